"""A date the data cannot answer for is refused naming the input as the caller typed it:
the CLI's option or argument (`DATE=`, `--from=`, `--compare=`), the API's parameter
(`date=`, `from=`, `to=`, `compare=`), with the same error class on both sides (README's
error table: future-date and input-invalid exit 1 / 400, not-found exit 1 / 404).

`map` and `chart` checked only the format of their dates up front, and the render code
then refused a future date, a date before the data or an inverted range naming the API's
`date=`/`from=`/`to=`: the check is one now (render.query with the caller's names)."""

from __future__ import annotations

import re

import pytest

from frontwatch.settings import Settings
from tests.test_cli_errors import one_line_error, run

# the demo's history: 2024-09-01 … 2025-05-01
CLI_CASES = [
    (["map", "2099-01-01", "--png"], 1, "DATE='2099-01-01' is in the future", "[future-date]"),
    (["map", "2010-01-01", "--png"], 1, "DATE=2010-01-01: no 'demo' snapshot on or before",
     "[not-found]"),
    (["map", "2025-03-01", "--compare", "2099-01-01"], 1,
     "--compare='2099-01-01' is in the future", "[future-date]"),
    (["map", "2025-03-01", "--compare", "2010-01-01"], 1,
     "--compare=2010-01-01: no 'demo' snapshot on or before", "[not-found]"),
    (["map", "2025-03-01", "--compare", "2025-04-01"], 1,
     "--compare 2025-04-01 must be before the map date (DATE 2025-03-01)", "[input-invalid]"),
    (["map", "2025-03-01", "--from", "2099-01-01"], 1, "--from='2099-01-01' is in the future",
     "[future-date]"),
    (["map", "2025-03-01", "--from", "2025-04-01"], 1,
     "--from 2025-04-01 must be before DATE 2025-03-01", "[input-invalid]"),
    (["map", "2026-01-01", "--from", "2025-12-01"], 1,
     "--from=2025-12-01: no 'demo' snapshot from 2025-12-01", "[not-found]"),
    (["map", "2010-06-01", "--from", "2010-01-01"], 1,
     "DATE=2010-06-01: no 'demo' snapshot on or before", "[not-found]"),
    (["map", "latest", "--from", "2025-01-01"], 1, "a time-lapse needs an end date: "
     "DATE=YYYY-MM-DD, not latest", "[input-invalid]"),
    (["map", "2025-03-01", "--from", "2025-01-01", "--png"], 1,
     "a time-lapse (--from) has no static image", "[input-invalid]"),
    (["chart", "-r", "donbas", "--from", "2099-01-01"], 1,
     "--from='2099-01-01' is in the future", "[future-date]"),
    (["chart", "-r", "donbas", "--to", "2010-01-01"], 1,
     "--to=2010-01-01: no 'demo' snapshot on or before 2010-01-01; its history starts "
     "2024-09-01", "[not-found]"),
    (["chart", "-r", "donbas", "--from", "2026-01-01"], 1,
     "--from=2026-01-01: no 'demo' snapshot from 2026-01-01", "[not-found]"),
    (["chart", "-r", "donbas", "--from", "2025-03-01", "--to", "2025-02-01"], 1,
     "--from 2025-03-01 is after --to 2025-02-01", "[input-invalid]"),
    (["series", "-r", "donbas", "--from", "2026-01-01", "--to", "2026-02-01"], 1,
     "--from=2026-01-01: no 'demo' snapshot from", "[not-found]"),
    (["changelog", "-r", "donbas", "--from", "2025-03-01", "--to", "2025-02-01"], 1,
     "--from 2025-03-01 is after --to 2025-02-01", "[input-invalid]"),
    (["places", "changed", "--from", "2024-01-01", "--to", "2024-02-01"], 1,
     "--to=2024-02-01: no 'demo' snapshot on or before", "[not-found]"),
    # the single-date commands name theirs too (area said the API's `to=`, the rest nothing)
    (["area", "-r", "donbas", "--date", "2010-01-01"], 1,
     "--date=2010-01-01: no 'demo' snapshot on or before 2010-01-01; its history starts "
     "2024-09-01", "[not-found]"),
    (["frontline", "--date", "2010-01-01"], 1, "--date=2010-01-01: no 'demo' snapshot",
     "[not-found]"),
    (["show", "2010-01-01"], 1, "DATE=2010-01-01: no 'demo' snapshot", "[not-found]"),
    (["diff", "2010-01-01", "2025-03-01"], 1, "D1=2010-01-01: no 'demo' snapshot",
     "[not-found]"),
    (["diff", "2010-01-01", "2010-02-01"], 1, "D1=2010-01-01: no 'demo' snapshot",
     "[not-found]"),
    # nothing recorded by --as-of: when the first was, never "on or before None"
    (["show", "latest", "--as-of", "2020-01-01T00:00:00Z"], 1,
     "no 'demo' snapshot recorded by 2020-01-01T00:00:00Z; the first was recorded at ",
     "[not-found]"),
]
API_NAME = re.compile(r"(?<![-\w])(date|from|to|compare)=")  # the API's, not --from=


@pytest.mark.parametrize(("args", "code", "says", "kind"), CLI_CASES,
                         ids=[" ".join(c[0]) for c in CLI_CASES])
def test_the_cli_names_the_date_it_was_given(demo_db, tmp_path, args, code, says, kind):
    out = {"chart": ["-o", str(tmp_path / "c.png")],
           "map": ["-o", str(tmp_path / ("m.png" if "--png" in args else "m.html"))]}
    line = one_line_error(run(*args, *out.get(args[0], []), db=demo_db), code, says, kind)
    assert not API_NAME.search(line), line  # never the API's parameter


API_CASES = [
    ("/maps/2099-01-01.png", 400, "date='2099-01-01' is in the future"),
    ("/maps/2010-01-01.png", 404, "date=2010-01-01: no 'demo' snapshot on or before"),
    ("/maps/2025-03-01.html?compare=2010-01-01", 404, "compare=2010-01-01: no 'demo'"),
    ("/maps/2026-01-01.html?from=2025-12-01", 404, "from=2025-12-01: no 'demo' snapshot from"),
    # the time-lapse ends on the path's date when no to= is given: that one is named
    ("/maps/2025-03-01.html?from=2025-04-01", 400, "from 2025-04-01 must be before date "
     "2025-03-01"),
    ("/maps/2025-03-01.html?from=2025-04-01&to=2025-03-15", 400, "from 2025-04-01 must be "
     "before to 2025-03-15"),
    ("/v1/frontline?date=2010-01-01", 404, "date=2010-01-01: no 'demo' snapshot on or before"),
    ("/v1/snapshots/2010-01-01", 404, "date=2010-01-01: no 'demo' snapshot on or before"),
    ("/v1/diff?from=2010-01-01&to=2025-03-01", 404, "from=2010-01-01: no 'demo' snapshot"),
    ("/v1/snapshots/latest?as_of=2020-01-01T00:00:00Z", 404, "no 'demo' snapshot recorded "
     "by 2020-01-01T00:00:00Z; the first was recorded at "),
    ("/charts/areas.png?region=donbas&to=2010-01-01", 404, "to=2010-01-01: no 'demo'"),
    ("/charts/areas.png?region=donbas&from=2026-01-01", 404, "from=2026-01-01: no 'demo'"),
    ("/v1/areas?region=donbas&from=2026-01-01", 404, "from=2026-01-01: no 'demo'"),
]


@pytest.mark.parametrize(("url", "status", "says"), API_CASES, ids=[c[0] for c in API_CASES])
def test_the_api_names_the_parameter_the_same_way(demo_db, url, status, says):
    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app

    with TestClient(create_app(Settings(database_url=str(demo_db)))) as client:
        r = client.get(url)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert says in r.json()["detail"], r.json()["detail"]
