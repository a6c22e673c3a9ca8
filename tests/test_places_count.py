"""One count of places per region, whatever lists them (issue 12): `GET /v1/places`, OGC's
`/collections/places/items` (`numberMatched` of `region = '…'`), `frontwatch places
--region`, the place-status table and the sums over oblasts and raions — for every oblast of
the shared data. Each place is counted once, in its own oblast."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from frontwatch.settings import Settings
from tests.conftest import DS_FILE, need_shared


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    """Places, every oblast, Donetsk's raions and one DeepStateMap revision (which fills the
    place-status table)."""
    from frontwatch.bootstrap import ensure_places
    from frontwatch.ingest import ImportOptions, import_paths
    from frontwatch.ingest.regions import import_regions
    from frontwatch.store import open_store

    shared = need_shared()
    path = tmp_path_factory.mktemp("count") / "c.sqlite"
    store = open_store(path)
    ensure_places(store)
    import_regions(store, shared / "boundaries" / "Ukraine.geojson.gz", "oblast")
    import_regions(store, shared / "boundaries" / "donetska_oblast.geojson.gz", "raion")
    import_paths(store, [shared / "deepstate-raw" / DS_FILE], ImportOptions())
    store.close()
    return path


@pytest.fixture(scope="module")
def client(db):
    from frontwatch.api.app import create_app

    return TestClient(create_app(Settings(database_url=str(db), source="deepstate")))


def _cli(db, *args: str) -> list[dict]:
    from frontwatch.cli import app

    result = CliRunner().invoke(app, ["places", *args, "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _ogc_matched(client, region: str) -> int:
    doc = client.get("/collections/places/items",
                     params={"filter": f"region = '{region}'", "limit": 1}).json()
    return doc["numberMatched"]


@pytest.mark.shared
def test_every_listing_agrees_for_each_oblast(db, client) -> None:
    from frontwatch.analytics import placestatus
    from frontwatch.store import open_store

    store = open_store(db)
    try:
        oblasts = sorted({r.slug for r in store.regions() if r.level == "oblast"})
        every = {p.slug for p in store.places()}
        table = set(placestatus.status_on(store, store.snapshots("deepstate")[-1].date,
                                          source="deepstate"))
    finally:
        store.close()
    assert len(oblasts) >= 25
    assert table == every  # the table holds every place, and no other slug
    by_column = Counter(p["region"] for p in _cli(db))
    seen: Counter[str] = Counter()
    for oblast in oblasts:
        api = client.get("/v1/places", params={"region": oblast}).json()
        cli = _cli(db, "--region", oblast)
        counts = {"api": api["count"], "ogc": _ogc_matched(client, oblast), "cli": len(cli),
                  "gazetteer": by_column[oblast]}
        assert len(set(counts.values())) == 1, (oblast, counts)
        assert {p["slug"] for p in api["places"]} == {p["slug"] for p in cli}
        seen.update(p["slug"] for p in cli)
    cities = sum(by_column[c] for c in ("kyiv", "sevastopol"))  # no outline of their own
    theatre = client.get("/v1/places", params={"region": "theatre"}).json()["count"]
    assert sum(seen.values()) + cities == theatre == len(every)
    assert max(seen.values()) == 1  # each place in one oblast
    donbas = client.get("/v1/places", params={"region": "donbas"}).json()["count"]
    assert donbas == by_column["donetsk-oblast"] + by_column["luhansk-oblast"]


@pytest.mark.shared
def test_raions_partition_their_oblast(db, client) -> None:
    """A raion holds its oblast's places only (coded ones by their code), none twice."""
    from frontwatch.store import open_store

    store = open_store(db)
    try:
        raions = [r.slug for r in store.regions() if r.level == "raion"]
    finally:
        store.close()
    oblast = {p["slug"] for p in client.get(
        "/v1/places", params={"region": "donetsk-oblast"}).json()["places"]}
    seen: Counter[str] = Counter()
    for raion in raions:
        rows = client.get("/v1/places", params={"region": raion}).json()["places"]
        assert {p["slug"] for p in rows} <= oblast, raion
        assert all(p["region"] == "donetsk-oblast" for p in rows)
        seen.update(p["slug"] for p in rows)
    assert len(raions) == 8 and max(seen.values()) == 1
    assert len(seen) >= 0.97 * len(oblast)  # uncoded points just off the OSM lines: none
