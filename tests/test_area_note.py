"""`ukrainian` from a source that maps only ground taken since 2022 (NZZ) is region − that
layer, not Ukrainian-held ground: every output of the area figures says so (a `note`), while
the keys scripts read stay as they are. DeepStateMap, which maps all occupied ground, has no
note."""

from __future__ import annotations

import csv
import io
from datetime import date

import orjson
import pytest

from frontwatch import analytics
from frontwatch.sources import remainder_note
from tests.helpers import cli_in_process

DAY = date(2025, 6, 1)
KEYS = {"region_km2", "occupied_km2", "contested_km2", "ukrainian_km2", "occupied_pct",
        "contested_pct", "ukrainian_pct", "attribution"}

pytestmark = pytest.mark.shared


def test_the_note_names_the_layer_and_what_the_rest_is():
    note = remainder_note("nzz")
    assert note is not None
    assert "taken since 2022-02-24" in note and "not 'ukrainian-held'" in note
    assert "Crimea" in note
    assert remainder_note("deepstate") is None and remainder_note("deepstate-archive") is None
    assert remainder_note("a-source-named-at-import") is None  # declares no layer


def test_area_figures_carry_the_note(cstore):
    nzz = analytics.area(cstore, "donetsk-oblast", DAY, source="nzz")
    ds = analytics.area(cstore, "donetsk-oblast", DAY, source="deepstate")
    assert nzz["note"] == remainder_note("nzz") and ds["note"] is None
    assert set(nzz) >= KEYS  # the figures themselves are unchanged
    assert nzz["ukrainian_km2"] == pytest.approx(
        nzz["region_km2"] - nzz["occupied_km2"] - nzz["contested_km2"])


def test_cli_area(cmp_db, monkeypatch, capsys):
    base = ["area", "--region", "Donetsk Oblast", "--date", str(DAY), "--db", str(cmp_db)]
    run = cli_in_process([*base, "--source", "nzz", "--json"], monkeypatch, capsys)
    doc = orjson.loads(run.stdout)
    assert run.returncode == 0 and set(doc) >= KEYS and doc["note"] == remainder_note("nzz")

    run = cli_in_process([*base, "--source", "nzz"], monkeypatch, capsys)
    assert run.returncode == 0
    assert "not mapped as taken since 2022" in run.stdout  # the row is named for what it is
    assert "ukrainian" not in run.stdout  # the note is on stderr
    assert "not 'ukrainian-held'" in " ".join(run.stderr.split())

    run = cli_in_process([*base, "--source", "deepstate"], monkeypatch, capsys)
    assert "ukrainian" in run.stdout and "since 2022" not in run.stdout + run.stderr


def test_cli_series(cmp_db, monkeypatch, capsys):
    base = ["series", "--region", "donetsk-oblast", "--from", "2025-05-20",
            "--to", "2025-05-27",
            "--db", str(cmp_db), "--source", "nzz"]
    run = cli_in_process([*base, "--csv"], monkeypatch, capsys)
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    assert run.returncode == 0 and rows and "ukrainian_km2" in rows[0]  # columns unchanged
    assert "not 'ukrainian-held'" in " ".join(run.stderr.split())
    doc = orjson.loads(cli_in_process([*base, "--json"], monkeypatch, capsys).stdout)
    assert doc["note"] == remainder_note("nzz") and "ukrainian_km2" in doc["rows"][0]


@pytest.fixture(scope="module")
def client(cmp_db):
    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app
    from frontwatch.settings import Settings

    return TestClient(create_app(Settings(database_url=str(cmp_db))))


def test_api_areas(client):
    q = "/v1/areas?region=donetsk-oblast&from=2025-05-20&to=2025-05-27"
    doc = client.get(f"{q}&source=nzz").json()
    assert doc["note"] == remainder_note("nzz") and "ukrainian_km2" in doc["series"][0]
    r = client.get(f"{q}&source=nzz&format=csv", headers={"Origin": "https://example.org"})
    assert r.status_code == 200 and r.headers["X-Data-Note"] == remainder_note("nzz")
    assert "ukrainian_km2" in r.text.splitlines()[0]
    assert "X-Data-Note" in r.headers["access-control-expose-headers"]

    ds = client.get(f"{q}&source=deepstate")
    assert ds.json()["note"] is None
    assert "X-Data-Note" not in client.get(f"{q}&source=deepstate&format=csv").headers
