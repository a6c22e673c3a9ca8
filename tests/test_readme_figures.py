"""The README's figures from the shared data are what the commands it names print.

Each case runs the real CLI on a store built the way *A first session* builds it (the
oblasts, then the Donetsk and Luhansk raions, so an oblast is the union of its raions) with
the DeepStateMap revisions and the NZZ maps the figures come from, and checks that the README
carries the figure at the precision it prints. A figure that drifts (new data, a new region
rule, a changed computation) fails here instead of staying wrong in the README."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest

from tests.conftest import DS_FILE, REPO, need_shared
from tests.helpers import cli_in_process

pytestmark = pytest.mark.shared

# the last DeepStateMap revision of each day the README quotes (the state of a day between
# revisions is the one before: 2025-01-01 shows 2024-12-30's), and NZZ's map of 2025-06-28
DS_FILES = (
    "1735595194.geojson.gz", "1736197748.geojson.gz",  # 2024-12-30, 2025-01-06
    "1740434128.geojson.gz", DS_FILE,  # 2025-02-24 (the state of 2025-03-01), 2025-06-01
    "1748723682.geojson.gz",  # 2025-05-31: the base of June's change log
    "1750801842.geojson.gz", "1751143690.geojson.gz", "1751314076.geojson.gz",  # 06-24/28/30
)
NZZ_FILES = ("2025-06-30.json.gz",)  # fetched on 2025-06-30: the map of 2025-06-28
# the weekly comparison 2025-04-01 … 2025-06-24: the revision of each source in force on each
# date (DeepStateMap's last of the day, NZZ's map of that day or before, fetched a day later)
SERIES_DS = ("1743539135", "1744140832", "1744748582", "1745343683", "1745960528",
             "1746529624", "1747162272", "1747771835", "1748376927", "1748983435",
             "1749586438", "1750193110")  # 2025-04-01 … 06-17; 06-24's is in DS_FILES
SERIES_NZZ = ("04-02", "04-09", "04-15", "04-23", "04-30", "05-06", "05-14", "05-20", "05-28",
              "06-04", "06-11", "06-18", "06-25")

DONETSK = ["--region", "Donetsk Oblast"]
THEATRE = ["--region", "theatre"]
# (command after `frontwatch`, the README's text with the command's JSON members in it)
CASES: list[tuple[list[str], str]] = [
    (["area", *THEATRE, "--date", "2025-06-28", "--source", "nzz"],
     "gives {occupied_km2:,.0f} km² of that map within the oblasts of Ukraine"),
    (["area", *THEATRE, "--date", "2025-06-28", "--source", "deepstate"],
     "where DeepStateMap that day (`--source deepstate`), Crimea and ORDLO included, has "
     "{occupied_km2:,.0f} km²"),
    (["area", *DONETSK, "--date", "2025-06-28", "--source", "nzz"],
     "(Donetsk oblast is the union of its raions, {region_km2:,.0f} km²)"),
    (["area", *DONETSK, "--date", "2025-06-28", "--source", "nzz"],
     "gives NZZ {occupied_km2:,.0f} km² ({occupied_pct:.1f} %)"),
    (["area", *DONETSK, "--date", "2025-06-28", "--source", "deepstate"],
     "DeepStateMap {occupied_km2:,.0f} km² occupied ({occupied_pct:.1f} %) and "
     "{contested_km2:,.0f} km² grey zone"),
    (["area", *DONETSK, "--date", "2025-06-01", "--source", "deepstate"],
     "On 2025-06-01 (`deepstate`) Donetsk oblast was {occupied_pct:.1f} % occupied "
     "({occupied_km2:,.0f} km²), {contested_pct:.1f} % grey zone and {ukrainian_pct:.1f} % "
     "Ukrainian-held"),
    (["frontline", "--date", "2025-06-01", "--source", "deepstate"],
     "{length_km:,.0f} km on 2025-06-01 (`deepstate`)"),
    (["frontline", "--from", "2025-01-01", "--to", "2025-06-30", "--source", "deepstate"],
     "gives {length_km@2025-01-01:,.0f} km on 2025-01-01 (the revision of 2024-12-30), "
     "{length_km@2025-01-08:,.0f} km on 2025-01-08 … {length_km@2025-06-25:,.0f} km on "
     "2025-06-25"),
    # the change log of June starts from the state at the end of May (`from` is 00:00 UTC)
    (["changelog", *DONETSK, "--from", "2025-06-01", "--to", "2025-06-30", "--source",
      "deepstate"], "Donetsk oblast gained a net {occupied_net_km2:,.2f} km² in June 2025"),
    (["area", *DONETSK, "--date", "2025-05-31", "--source", "deepstate"],
     "(`deepstate`: {occupied_km2:,.2f} km² at the end of May →"),
    (["area", *DONETSK, "--date", "2025-06-30", "--source", "deepstate"],
     "→ {occupied_km2:,.2f} km² on 2025-06-30)"),
    (["area", *DONETSK, "--date", "2025-03-01", "--source", "deepstate"],
     "Donetsk Oblast, 1 March – 30 June 2025: {occupied_km2:,.0f} →"),
    (["area", *DONETSK, "--date", "2025-06-30", "--source", "deepstate"],
     "→ {occupied_km2:,.0f} km² occupied ({occupied_pct:.1f} %)"),
    # *Comparing sources*: one date's summary (its members, nested ones as NAME[KEY]) on a
    # store with the Luhansk raions, as users build one (the theatre differs without them)
    (["compare", "--sources", "deepstate,nzz", *DONETSK, "--date", "2025-06-30"],
     "DeepStateMap {deepstate_km2:,.0f} km², NZZ {nzz_km2:,.0f} km², both {both_km2:,.0f} km², "
     "only DeepStateMap {only_deepstate_km2:,.0f} km², only NZZ {only_nzz_km2:,.0f} km² "
     "({only_in_other_grey_zone_km2[nzz]:,.0f} km² of it DeepStateMap's grey zone): "
     "**agreement {agreement:.4f}**"),
    (["compare", "--sources", "deepstate,nzz", *THEATRE, "--date", "2025-06-30"],
     "**The whole theatre, 2025-06-30**: DeepStateMap {deepstate_km2:,.0f} km², NZZ "
     "{nzz_km2:,.0f} km², both {both_km2:,.0f} km²: agreement {agreement:.4f}; "
     "{only_in_other_grey_zone_km2[nzz]:,.0f} of the {only_nzz_km2:,.0f} km² only NZZ calls "
     "occupied are DeepStateMap's grey zone"),
    (["compare", "--sources", "deepstate,nzz", *DONETSK, "--from", "2025-04-01", "--to",
      "2025-06-30", "--step", "7"],
     "(weekly, 2025-04-01 … 2025-06-24, all {precomputed_pairs} dates read from the "
     "precomputed table): agreement between {agreement@2025-06-17:.4f} and "
     "{agreement@2025-04-29:.4f} ({agreement@2025-04-01:.4f} on 2025-04-01, "
     "{agreement@2025-04-29:.4f} on 2025-04-29, {agreement@2025-06-03:.4f} on 2025-06-03, "
     "{agreement@2025-06-17:.4f} on 2025-06-17, {agreement@2025-06-24:.4f} on 2025-06-24)"),
]


@pytest.fixture(scope="module")
def figures_db(tmp_path_factory):
    from frontwatch.bootstrap import ensure_places
    from frontwatch.ingest import ImportOptions, import_paths
    from frontwatch.ingest.regions import import_regions
    from frontwatch.store import open_store

    data = need_shared()
    path = tmp_path_factory.mktemp("readme") / "r.sqlite"
    b = data / "boundaries"
    with open_store(path) as store:
        ensure_places(store)
        import_regions(store, b / "Ukraine.geojson.gz", "oblast")
        import_regions(store, b / "donetska_oblast.geojson.gz", "raion")
        import_regions(store, b / "luhanska_oblast.geojson.gz", "raion")
        import_paths(store, [*(data / "deepstate-raw" / f for f in DS_FILES),
                             *(data / "deepstate-raw" / f"{t}.geojson.gz" for t in SERIES_DS),
                             *(data / "nzz" / f for f in NZZ_FILES),
                             *(data / "nzz" / f"2025-{d}.json.gz" for d in SERIES_NZZ)],
                     ImportOptions())
    return path


def _readme() -> str:
    return " ".join((REPO / "README.md").read_text(encoding="utf-8").split())


@pytest.mark.parametrize(("args", "text"), CASES, ids=[" ".join(a) + " → " + t[:30]
                                                        for a, t in CASES])
def test_readme_carries_the_measured_figure(figures_db, monkeypatch, capsys, args, text):
    run = cli_in_process([*args, "--json", "--db", str(figures_db)], monkeypatch, capsys)
    assert run.returncode == 0, run.stderr
    doc: dict[str, Any] = orjson.loads(run.stdout)
    doc.update(doc.get("summary", {}))  # a comparison: its summary's members
    for row in doc.get("rows", []):  # a series: each value as NAME@DATE
        doc.update({f"{k}@{row['date']}": v for k, v in row.items() if k != "date"})
    expected = text.format(**doc)
    readme = _readme()
    if expected not in readme:
        # show the README's words around the template's longest fixed part: what it says
        anchor = re.escape(max(re.split(r"\{[^}]*\}", text), key=len).strip())
        found = re.search(r".{0,60}" + anchor + r".{0,60}", readme)
        pytest.fail(f"README should say {expected!r} (`frontwatch {' '.join(args)}`); it says "
                    f"{found.group(0) if found else 'nothing like it'!r}")
