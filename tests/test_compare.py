"""Comparing sources on the shared data: the figures equal pyproj.Geod computed directly from
the two sources' files, the like-with-like rules hold, and the CLI and API say the same."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from datetime import date

import numpy as np
import pytest
import shapely
from pyproj import Geod
from shapely.geometry import shape

from frontwatch import dates
from frontwatch.analytics import compare as cmp
from frontwatch.errors import InputError, NotFound
from frontwatch.ingest import deepstate
from frontwatch.settings import Settings
from tests.conftest import (
    DS_FILE,
    NZZ_FILE,
    need_shared,
)
from tests.test_cli_data import run

DAY = date(2025, 6, 1)
PAIR = ("deepstate", "nzz")
GEOD = Geod(ellps="WGS84")


def _geod_km2(geom) -> float:
    polys = [p for p in getattr(geom, "geoms", [geom]) if not p.is_empty]
    return sum(abs(GEOD.geometry_area_perimeter(p)[0]) for p in polys) / 1e6


def _read(path):
    with gzip.open(path) as f:
        return json.load(f)


def _donetsk(shared):
    doc = _read(shared / "boundaries" / "Ukraine.geojson.gz")
    f = next(f for f in doc["features"] if f["properties"].get("name:en") == "Donetsk Oblast")
    return shapely.make_valid(shape(f["geometry"]))


def _deepstate_since_2022(path):
    """Occupied zones of kind 'occupied' (not Crimea, not ORDLO), read from the raw file."""
    fc = _read(path)
    fc = fc.get("map", fc)
    parts = []
    for f in fc["features"]:
        m = deepstate.classify(str(f["properties"].get("name", "")))
        if m.role == "zone" and m.status == "occupied" and m.kind == "occupied" \
                and f["geometry"]["type"] in ("Polygon", "MultiPolygon"):
            parts.append(shapely.make_valid(shape(f["geometry"])))
    return shapely.union_all(parts)


def _deepstate_grey(path):
    fc = _read(path)
    fc = fc.get("map", fc)
    return shapely.union_all([
        shapely.make_valid(shape(f["geometry"])) for f in fc["features"]
        if deepstate.classify(str(f["properties"].get("name", ""))).status == "contested"
        and f["geometry"]["type"] in ("Polygon", "MultiPolygon")])


def _nzz_occupied(path):
    feats = _read(path)["value"]["features"]
    return shapely.union_all([shapely.make_valid(shape(f["geometry"])) for f in feats
                              if f["properties"]["type"] in ("nochange", "gains")])


def test_figures_equal_geod_on_the_files(shared, cstore):
    region = _donetsk(shared)
    ds = shapely.intersection(_deepstate_since_2022(shared / "deepstate-raw" / DS_FILE), region)
    nz = shapely.intersection(_nzz_occupied(shared / "nzz" / NZZ_FILE), region)
    expected = _geod_figures(ds, nz)
    s = cmp.compare(cstore, PAIR, "Donetsk Oblast", DAY).summary
    _assert_near_geod(s, expected)
    assert expected["nzz_km2"] > 10_000 and expected["only_deepstate_km2"] > 10
    # Every output says what it compares and from which revisions.
    assert s["layer"] == "since-2022" and "grey zone is not compared" in s["rule"]
    by_src = {x["source"]: x for x in s["sources"]}
    assert by_src["deepstate"]["valid_at"].startswith("2025-06-01")
    assert by_src["nzz"]["valid_at"].startswith("2025-05-27") and by_src["nzz"]["age_days"] == 5
    assert "DeepStateMap" in s["attribution"] and "NZZ" in s["attribution"]
    # The grey zone is reported beside, never compared: NZZ has none.
    grey = s["grey_zone_km2_not_compared"]
    assert grey["deepstate"] > 0 and grey["nzz"] == 0
    in_grey = s["only_in_other_grey_zone_km2"]
    dgrey = shapely.intersection(_deepstate_grey(shared / "deepstate-raw" / DS_FILE), region)
    assert in_grey["nzz"] == pytest.approx(
        _geod_km2(shapely.intersection(shapely.difference(nz, ds), dgrey)), rel=1e-3, abs=0.05)
    assert 0 < in_grey["nzz"] < s["only_nzz_km2"] and in_grey["deepstate"] == 0


def _geod_figures(ds, nz) -> dict[str, float]:
    """pyproj.Geod km² of two layers already cut to a region."""
    both = shapely.intersection(ds, nz)
    return {"deepstate_km2": _geod_km2(ds), "nzz_km2": _geod_km2(nz),
            "both_km2": _geod_km2(both),
            "only_deepstate_km2": _geod_km2(shapely.difference(ds, nz)),
            "only_nzz_km2": _geod_km2(shapely.difference(nz, ds))}


def _assert_near_geod(s: dict, expected: dict[str, float]) -> None:
    """Each source's km² and both's equal Geod's to 1e-4; what only one calls occupied is
    that source's km² − both's. Measured on its own, a difference's km² departs from it by up
    to ~1e-5 of the source's km² (0.07 of Donetsk oblast's ~10,500 km² on 2025-06-01, 0.12
    of the theatre's ~68,600 on 06-30): an edge of up to 0.2° split by a new vertex is
    measured along another curve, so km² of lon/lat polygons do not add up exactly."""
    for key in ("deepstate_km2", "nzz_km2", "both_km2"):
        assert s[key] == pytest.approx(expected[key], rel=1e-4, abs=0.05), key
    for src in PAIR:
        derived = expected[f"{src}_km2"] - expected["both_km2"]
        assert s[f"only_{src}_km2"] == pytest.approx(derived, rel=1e-4, abs=0.02), src
        assert abs(s[f"only_{src}_km2"] - expected[f"only_{src}_km2"]) <= max(
            2e-5 * expected[f"{src}_km2"], 0.02), src
    union = expected["deepstate_km2"] + expected["nzz_km2"] - expected["both_km2"]
    assert s["agreement"] == pytest.approx(expected["both_km2"] / union, abs=1e-4)


def test_pieces_are_valid_ranked_and_add_up(cstore):
    res = cmp.compare(cstore, PAIR, "donetsk-oblast", DAY, min_km2=0.0)
    s = res.summary
    assert res.features and all(shapely.is_valid(g) for g, _ in res.features)
    for src in PAIR:
        total = sum(p["km2"] for _, p in res.features if p["claimed_by"] == src)
        assert total == pytest.approx(s[f"only_{src}_km2"], abs=0.01 * len(res.features))
    ranks = [p["km2"] for _, p in res.features]
    assert ranks == sorted(ranks, reverse=True) and res.features[0][1]["rank"] == 1
    assert res.features[0][1]["description"].startswith(f"{res.features[0][1]['km2']:,.1f} km²")
    doc = json.loads(res.to_geojson())
    assert doc["features"][0]["properties"]["claimed_by"] in PAIR
    assert doc["summary"]["layer"] == "since-2022"


def test_like_with_like_rules(cstore):
    nzz_2024 = cstore.resolve("nzz", date(2024, 3, 10))
    with pytest.raises(InputError, match="occupied-ordlo"):
        cmp.layer_of(cstore, nzz_2024, cmp.SINCE_2022)
    with pytest.raises(InputError, match="since 24 February 2022"):
        cmp.layer_of(cstore, cstore.resolve("nzz", DAY), cmp.ALL)
    ds = cstore.resolve("deepstate", DAY)
    since = cmp.layer_of(cstore, ds, cmp.SINCE_2022)
    everything = cmp.layer_of(cstore, ds, cmp.ALL)
    from frontwatch import geometry

    # Crimea and ORDLO (~44,000 km²) are in DeepStateMap's 'all', not in its since-2022 layer.
    assert geometry.area_km2(everything) - geometry.area_km2(since) > 40_000
    with pytest.raises(InputError, match="layer"):
        cmp.layer_of(cstore, ds, "grey")
    with pytest.raises(InputError, match="two different"):
        cmp.parse_sources("deepstate", cstore.sources())
    with pytest.raises(NotFound):
        cmp.parse_sources("deepstate,nope", cstore.sources())


def test_series_uses_the_revision_in_force_and_skips_what_cannot_compare(cstore,
                                                                         monkeypatch):
    rows, doc = cmp.compare_series(cstore, PAIR, "Donetsk Oblast", date(2025, 4, 1), DAY, 30)
    assert [r["date"] for r in rows] == ["2025-04-01", "2025-05-01", "2025-05-31"]
    assert rows[0]["nzz_date"] <= "2025-04-01" and rows[-1]["deepstate_date"] == "2025-04-01"
    one = cmp.compare(cstore, PAIR, "Donetsk Oblast", date(2025, 4, 1)).summary
    assert rows[0]["agreement"] == pytest.approx(one["agreement"], abs=1e-4)
    assert rows[0]["both_km2"] == pytest.approx(one["both_km2"], abs=0.2)
    assert doc["layer"] == "since-2022" and doc["left_out"] == []
    with pytest.raises(InputError, match="before it starts"):
        cmp.compare_series(cstore, PAIR, None, DAY, date(2025, 4, 1))
    # Before 2024-03-15 NZZ's map has no since-2022 layer: such dates are left out, with why.
    rows, doc = cmp.compare_series(cstore, PAIR, "UA14", date(2024, 3, 10), DAY, 1)
    assert rows[0]["date"] == rows[0]["nzz_date"] == "2025-03-29"  # NZZ's next map
    assert rows[0]["deepstate_date"] == "2024-03-04"
    assert doc["left_out"][0]["dates"] == 384
    assert "occupied-ordlo" in doc["left_out"][0]["reason"]
    # A range no date of which can be compared is refused like one date (400), with why.
    with pytest.raises(InputError, match="can be compared on the 'all' layer: nzz maps only"):
        cmp.compare_series(cstore, PAIR, "UA14", date(2025, 4, 1), DAY, 30, layer=cmp.ALL)
    monkeypatch.setattr(cmp, "MAX_DATES", 10)
    with pytest.raises(InputError, match="samples 62 dates"):
        cmp.compare_series(cstore, PAIR, "UA14", date(2025, 4, 1), DAY, 1)
    monkeypatch.setattr(cmp, "MAX_PAIRS", 1)
    with pytest.raises(InputError, match=r"step=30: .* 2 distinct pairs"):
        cmp.compare_series(cstore, PAIR, "UA14", date(2025, 4, 1), DAY, 30, precomputed=False)


def test_cli_one_date_series_and_errors(cmp_db, tmp_path):
    out = tmp_path / "pieces.geojson"
    doc = json.loads(run("compare", "--sources", "deepstate,nzz", "--region", "Donetsk Oblast",
                         "--date", "2025-06-01", "-o", str(out), "--json", db=cmp_db).stdout)
    s = doc["summary"]
    assert 0.5 < s["agreement"] < 1 and s["pieces"] == len(doc["pieces"]) > 0
    fc = json.loads(out.read_text())
    assert {f["properties"]["claimed_by"] for f in fc["features"]} <= set(PAIR)
    assert "DeepStateMap" in fc["attribution"] and "NZZ" in fc["attribution"]
    text = run("compare", "-r", "UA14", "--date", "2025-06-01", db=cmp_db)
    assert "agreement" in text.stdout and "only nzz" in text.stdout
    assert "since-2022" in text.stderr and "NZZ" in text.stderr
    rows = list(csv.DictReader(io.StringIO(run(
        "compare", "-r", "UA14", "--from", "2025-04-01", "--to", "2025-06-01", "--step", "30",
        "--csv", db=cmp_db).stdout)))
    # cut to the pair's data (NZZ's map of 2025-05-27): 04-01 and 05-01, not 05-31
    assert len(rows) == 2 and float(rows[0]["agreement"]) > 0.5
    bad = run("compare", "--date", "2025-06-01", "--layer", "all", db=cmp_db, check=False)
    assert bad.returncode == 1 and "since 24 February 2022" in bad.stderr
    assert "Traceback" not in bad.stderr
    both = run("compare", "--date", "2025-06-01", "--from", "2025-04-01", db=cmp_db,
               check=False)
    assert both.returncode == 2 and "either --date" in both.stderr  # options-conflict


@pytest.fixture(scope="module")
def client(cmp_db):
    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app

    return TestClient(create_app(Settings(database_url=str(cmp_db))))


def test_api_one_date_range_csv_and_pieces(client, cstore):
    r = client.get("/v1/compare", params={"sources": "deepstate,nzz", "region": "UA14",
                                          "date": "2025-06-01"})
    assert r.status_code == 200, r.text
    s = r.json()["summary"]
    expected = cmp.compare(cstore, PAIR, "UA14", DAY).summary
    assert s["agreement"] == expected["agreement"] and s["nzz_km2"] == expected["nzz_km2"]
    assert "NZZ" in r.headers["x-data-attribution"]
    r = client.get("/v1/compare", params={"region": "UA14", "from": "2025-04-01",
                                          "to": "2025-06-01", "step": 30, "format": "csv"})
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 2 and rows[-1]["deepstate_snapshot"]  # cut to 2025-05-27, as the CLI
    assert r.headers["x-range-clamped"] == "to=2025-05-27; requested=2025-06-01"
    # CSV is text: each figure fixed-point with its documented decimals (0.9330, not 0.933)
    for row in rows:
        assert re.fullmatch(r"0\.\d{4}|1\.0000", row["agreement"]), row["agreement"]
        assert re.fullmatch(r"\d+\.\d{2}", row["nzz_km2"]), row["nzz_km2"]
    r = client.get("/v1/compare/pieces", params={"region": "UA14", "date": "2025-06-01"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/geo+json"
    assert r.json()["features"][0]["properties"]["claimed_by"] in PAIR


def test_cli_csv_of_one_date_is_the_apis(client, cmp_db):
    """`compare --date D --csv` writes what `GET /v1/compare?date=D&format=csv` answers: the
    series' row of that date (the same columns and figures)."""
    cli = run("compare", "-r", "UA14", "--date", "2025-06-01", "--csv", db=cmp_db).stdout
    api = client.get("/v1/compare", params={"region": "UA14", "date": "2025-06-01",
                                            "format": "csv"}).text
    cli_rows, api_rows = (list(csv.DictReader(io.StringIO(t))) for t in (cli, api))
    assert len(cli_rows) == 1 and cli_rows == api_rows


def test_a_series_past_the_pair_data_is_cut_to_it_and_says_so(client, cmp_db):
    """A compare series was sampled to any `to`, past both sources' data, and never said it
    was cut: it is clamped to the days both cover (from the later first snapshot to the
    earlier newest: NZZ's map of 2025-05-27 here) and says so like /v1/areas (`clamped`,
    `to_requested`, X-Range-Clamped; the CLI a note naming --to); a future `to` is refused
    before any work, naming it."""
    q = {"region": "UA14", "from": "2025-05-01", "to": "2026-01-31", "step": 1}
    r = client.get("/v1/compare", params=q)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert (doc["from"], doc["to"], doc["to_requested"], doc["clamped"]) == (
        "2025-05-01", "2025-05-27", "2026-01-31", True)
    assert [s["date"] for s in doc["series"]][-1] == "2025-05-27" and len(doc["series"]) == 27
    assert r.headers["x-range-clamped"] == "to=2025-05-27; requested=2026-01-31"
    assert doc["stale_days"] == (date(2026, 1, 31) - date(2025, 5, 27)).days
    early = client.get("/v1/compare", params={**q, "from": "2020-01-01", "step": 30}).json()
    assert early["from"] == "2024-03-04"  # both sources' first maps
    assert early["from_requested"] == "2020-01-01" and early["clamped"] is True
    csv_r = client.get("/v1/compare", params={**q, "format": "csv"})
    assert csv_r.headers["x-range-clamped"] == r.headers["x-range-clamped"]
    assert len(list(csv.DictReader(io.StringIO(csv_r.text)))) == 27
    within = client.get("/v1/compare", params={**q, "to": "2025-05-20"})
    assert "x-range-clamped" not in within.headers and "clamped" not in within.json()
    future = client.get("/v1/compare", params={**q, "to": "4000-01-01"})
    assert future.status_code == 400 and "to='4000-01-01'" in future.json()["detail"]
    assert future.json()["type"].endswith("future-date")
    after = client.get("/v1/compare", params={**q, "from": "2025-12-01"})
    assert after.status_code == 404 and "from=2025-12-01" in after.json()["detail"]
    # the CLI: the same rows, a note naming --to, the same refusals naming its options
    cli = run("compare", "-r", "UA14", "--from", "2025-05-01", "--to", "2026-01-31",
              "--step", "1", "--json", db=cmp_db)
    got = json.loads(cli.stdout)
    assert got["to"] == "2025-05-27" and got["clamped"] and got["rows"] == doc["series"]
    assert "--to 2026-01-31 is after the newest snapshot" in cli.stderr
    bad = run("compare", "-r", "UA14", "--from", "2025-05-01", "--to", "4000-01-01",
              db=cmp_db, check=False)
    assert bad.returncode == 1 and "--to='4000-01-01' is in the future" in bad.stderr
    bad = run("compare", "-r", "UA14", "--from", "2025-12-01", "--to", "2026-01-31",
              db=cmp_db, check=False)
    assert bad.returncode == 1 and "--from=2025-12-01: no 'deepstate' and 'nzz'" in bad.stderr
    bad = run("compare", "-r", "UA14", "--from", "2025-05-02", "--to", "2025-05-01",
              db=cmp_db, check=False)
    assert bad.returncode == 1 and "--from 2025-05-02 is after --to 2025-05-01" in bad.stderr


@pytest.mark.parametrize("query,needle", [
    ({"date": "2025-13-01"}, "date"),
    ({}, "date"),
    ({"from": "2025-04-01"}, "to"),
    ({"date": "2025-06-01", "layer": "grey"}, "layer"),
    ({"date": "2025-06-01", "sources": "deepstate"}, "sources"),
    ({"date": "2025-06-01", "layer": "all"}, "since 24 February 2022"),
])
def test_api_bad_params_are_problems(client, query, needle):
    r = client.get("/v1/compare", params=query)
    assert r.status_code == 400 and r.headers["content-type"].startswith(
        "application/problem+json")
    assert needle in r.json()["detail"]


def test_pairs_precomputed_at_import_equal_geometry_and_follow_deletes(cmp_db, tmp_path,
                                                                      monkeypatch):
    import shutil

    from frontwatch.analytics import pairs, precompute
    from frontwatch.store import open_store

    path = tmp_path / "copy.sqlite"
    shutil.copy(cmp_db, path)
    store = open_store(path)
    try:
        args = (store, PAIR, "Donetsk Oblast", date(2025, 3, 29), DAY, 1)
        rows, doc = cmp.compare_series(*args)
        slow, slow_doc = cmp.compare_series(*args, precomputed=False)
        assert doc["computed_pairs"] == 0 and doc["precomputed_pairs"] == 4
        assert slow_doc["precomputed_pairs"] == 0 and len(rows) == len(slow) == 65
        for fast, exact in zip(rows, slow):
            assert fast["nzz_snapshot"] == exact["nzz_snapshot"]
            for key in ("deepstate_km2", "nzz_km2", "both_km2", "only_nzz_km2",
                        "only_deepstate_km2"):
                assert fast[key] == pytest.approx(exact[key], abs=0.2), key
        # The import pairs its revisions once all are stored (DeepStateMap is read first):
        # no pair that no date uses (DeepStateMap of 06-01 with NZZ's map of 03-29, which
        # the map of 05-27 replaces); a rebuild has the same pairs with the same figures.
        before = store._query("SELECT snapshot_a, snapshot_b, region_id, both_km2 FROM "
                              "compare_stats ORDER BY 1, 2, 3")
        assert pairs.rebuild(store)["pairs"] == 5  # 4 comparable + the one with ORDLO
        after = store._query("SELECT snapshot_a, snapshot_b, region_id, both_km2 FROM "
                             "compare_stats ORDER BY 1, 2, 3")
        had = {r[:3]: r[3] for r in before}
        assert {r[:3] for r in after} == set(had)
        assert [r[3] for r in after] == pytest.approx([had[r[:3]] for r in after], abs=1e-6)
        # The import measured each track incrementally; every pair measured in full agrees.
        cols = "snapshot_a, snapshot_b, region_id, a_km2, b_km2, both_km2"
        incremental = store._query(f"SELECT {cols} FROM compare_stats ORDER BY 1, 2, 3")
        monkeypatch.setattr(pairs, "ANCHOR_EVERY", 1)
        pairs.rebuild(store)
        full = store._query(f"SELECT {cols} FROM compare_stats ORDER BY 1, 2, 3")
        assert [r[:3] for r in full] == [r[:3] for r in incremental]
        assert np.allclose([r[3:] for r in incremental], [r[3:] for r in full], atol=0.01)
        gone = store.resolve("nzz", DAY)
        back = store.resolve("nzz", date(2025, 5, 1))
        ds = store.resolve("deepstate", DAY)
        assert not store.compare_stats_regions(ds.id, back.id, cmp.SINCE_2022)
        with store.transaction():
            store.delete_snapshot(gone.id)
            precompute.on_delete(store, gone)
        assert not store._query("SELECT 1 FROM compare_stats WHERE snapshot_b=?", (gone.id,))
        # The map in force again on 06-01 is paired with DeepStateMap's revision of that day.
        assert store.compare_stats_regions(ds.id, back.id, cmp.SINCE_2022)
        rows, doc = cmp.compare_series(store, PAIR, "UA14", DAY, DAY)
        assert doc["computed_pairs"] == 0 and rows[0]["nzz_snapshot"] == back.id
    finally:
        store.close()


def _box(lon: float, lat: float, r: float) -> list:
    return [[lon - r, lat - r], [lon + r, lat - r], [lon + r, lat + r], [lon - r, lat + r],
            [lon - r, lat - r]]


def test_lag_who_showed_a_place_first(tmp_path):
    """Synthetic maps around a real gazetteer place: DeepStateMap shows it occupied on
    01-10, NZZ on 01-15; Toretsk is shown occupied by NZZ only, on 01-15."""
    from frontwatch.analytics.lag import lag
    from frontwatch.bootstrap import ensure_places
    from frontwatch.ingest import ImportOptions, import_paths
    from frontwatch.ingest.regions import import_regions
    from frontwatch.store import open_store
    from tests.helpers import OCC, deepstate_fc, write

    shared = need_shared()
    store = open_store(tmp_path / "lag.sqlite")
    ensure_places(store)
    import_regions(store, shared / "boundaries" / "Ukraine.geojson.gz", "oblast")
    bakhmut, toretsk = store.place("bakhmut"), store.place("toretsk")
    ordlo = ("ОРДЛО /// CADR", _box(37.8, 48.0, 0.05))
    near = _box(bakhmut.lon + 0.2, bakhmut.lat, 0.05)  # occupied, not yet the town
    over = _box(bakhmut.lon, bakhmut.lat, 0.03)  # the town only (Opytne lies 0.04° south)
    files = [write(tmp_path / "1735732800.geojson", deepstate_fc(ordlo, (OCC, near))),
             write(tmp_path / "1736510400.geojson", deepstate_fc(ordlo, (OCC, over)))]

    def nzz(day: str, *rings: list) -> dict:
        return {"value": {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"type": "nochange", "date": day},
             "geometry": {"type": "MultiPolygon", "coordinates": [[r] for r in rings]}}]}}

    files += [write(tmp_path / "n1.json", nzz("2025-01-01", near)),
              write(tmp_path / "n2.json", nzz("2025-01-15", over,
                                              _box(toretsk.lon, toretsk.lat, 0.02)))]
    import_paths(store, files, ImportOptions())
    res = lag(store, PAIR, "Donetsk Oblast", date(2025, 1, 1), date(2025, 1, 31))
    rows = {(r["place"], r["event"]): r for r in res["rows"]}
    b = rows[("bakhmut", "occupied")]
    assert (b["deepstate_date"], b["nzz_date"], b["lag_days"], b["first"]) == (
        "2025-01-10", "2025-01-15", 5, "deepstate")
    t = rows[("toretsk", "occupied")]
    assert t["nzz_date"] == "2025-01-15" and t["deepstate_date"] is None
    assert t["first"] == "nzz only" and len(rows) == 2
    assert res["summary"]["deepstate"]["median_lead_days"] == 5
    assert res["summary"]["nzz"] == {"changes_shown": 2, "shown_first": 0,
                                     "median_lead_days": -5}
    # a change made on `from` is in the range, as in the change log (it was 'before
    # 2025-01-10', DeepStateMap's revision of that day taken as the baseline: no lag)
    on_from = lag(store, PAIR, "Donetsk Oblast", date(2025, 1, 10), date(2025, 1, 31))
    b = next(r for r in on_from["rows"] if r["place"] == "bakhmut")
    assert (b["deepstate_date"], b["nzz_date"], b["lag_days"], b["first"]) == (
        "2025-01-10", "2025-01-15", 5, "deepstate")
    assert {x["source"]: x["baseline"] for x in on_from["sources"]} == {
        "deepstate": "2025-01-01", "nzz": "2025-01-01"}
    # change pieces: each source's log has the town (gained) and the box east of it (lost)
    # on its date, NZZ's also Toretsk; the same observations from both logs count once
    pieces = {(p["nearest_place"], p["event"]): p for p in res["pieces"]}
    assert len(pieces) == 3 and res["pieces_summary"]["merged"] == 2
    town = pieces[("bakhmut", "occupied")]
    assert (town["deepstate_date"], town["nzz_date"], town["lag_days"], town["first"],
            town["listed_by"]) == ("2025-01-10", "2025-01-15", 5, "deepstate", "deepstate,nzz")
    assert town["km2"] == pytest.approx(_geod_km2(shapely.Polygon(over)), rel=1e-3)
    # Which revisions each source's lag read: its baseline, in force before `from` (none:
    # its history starts on `from`, whose revision is in the range), and the ones after.
    used = {x["source"]: x for x in res["sources"]}
    assert (used["deepstate"]["revisions"], used["deepstate"]["baseline"],
            used["deepstate"]["history_starts"], used["deepstate"]["last"]) == (
        2, None, "2025-01-01", "2025-01-10")
    assert (used["nzz"]["revisions"], used["nzz"]["last"]) == (2, "2025-01-15")
    assert "NZZ" in used["nzz"]["attribution"]
    # A range before a source's history reports that, not "nothing changed".
    with pytest.raises(NotFound, match="history starts 2025-01-01"):
        lag(store, PAIR, "Donetsk Oblast", date(2024, 6, 1), date(2024, 6, 30))
    # NZZ has no 'all' layer: refused with the reason, as one date is (it reported nothing).
    with pytest.raises(InputError, match="never Crimea"):
        lag(store, PAIR, "Donetsk Oblast", date(2025, 1, 1), date(2025, 1, 31), "all")
    east = next(p for p in res["pieces"] if p["event"] == "no longer occupied")
    assert (east["deepstate_date"], east["nzz_date"], east["lag_days"]) == (
        "2025-01-10", "2025-01-15", 5)
    assert east["km2"] == pytest.approx(_geod_km2(shapely.Polygon(near)), rel=1e-3)
    tor = pieces[("toretsk", "occupied")]
    assert (tor["deepstate_date"], tor["nzz_date"], tor["first"]) == (None, "2025-01-15",
                                                                     "nzz only")
    assert res["pieces_summary"]["deepstate"] == {
        "pieces_shown": 2, "shown_first": 2, "median_lead_days": 5,
        "shown_first_km2": round(town["km2"] + east["km2"], 2)}
    # a threshold above the town's size leaves only the larger box east of it
    big = lag(store, PAIR, "Donetsk Oblast", date(2025, 1, 1), date(2025, 1, 31),
              min_km2=town["km2"] + 1)
    assert [p["event"] for p in big["pieces"]] == ["no longer occupied"]
    out = run("compare", "lag", "-r", "UA14", "--from", "2025-01-01", "--to", "2025-01-31",
              "--json", "-o", str(tmp_path / "pieces.geojson"), db=tmp_path / "lag.sqlite")
    doc = json.loads(out.stdout)
    assert doc["rows"] == res["rows"] and doc["pieces"] == res["pieces"]
    fc = json.loads((tmp_path / "pieces.geojson").read_text())
    assert [f["properties"] for f in fc["features"]] == res["pieces"]
    assert all(shapely.is_valid(shape(f["geometry"])) for f in fc["features"])
    table = list(csv.DictReader(io.StringIO(run(
        "compare", "lag", "-r", "UA14", "--from", "2025-01-01", "--to", "2025-01-31", "--csv",
        db=tmp_path / "lag.sqlite").stdout)))
    assert [r["kind"] for r in table] == ["place"] * 2 + ["piece"] * 3
    assert table[2]["lag_days"] == "5" and table[2]["km2"]
    bad = run("compare", "lag", "-r", "UA14", "--from", "2025-01-01", "--to", "2025-01-31",
              "--min-km2", "0", db=tmp_path / "lag.sqlite", check=False)
    # below the API's bound (frontwatch.values.MIN_CHANGE_KM2): a usage mistake, exit 2
    assert bad.returncode == 2 and "--min-km2" in bad.stderr and "too small" in bad.stderr
    # over HTTP: the same rows and pieces, CSV with both kinds, bad values are problems
    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app

    client = TestClient(create_app(Settings(database_url=str(tmp_path / "lag.sqlite"))))
    q = {"region": "UA14", "from": "2025-01-01", "to": "2025-01-31"}
    r = client.get("/v1/compare/lag", params=q)
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == res["rows"] and r.json()["pieces"] == res["pieces"]
    assert "NZZ" in r.headers["x-data-attribution"]
    r = client.get("/v1/compare/lag", params={**q, "format": "csv"})
    assert [x["kind"] for x in csv.DictReader(io.StringIO(r.text))] == \
        ["place"] * 2 + ["piece"] * 3
    for bad_q, needle in (({"min_km2": "0"}, "min_km2"), ({"to": "2026-06-01"}, "366"),
                          ({"layer": "grey"}, "layer"), ({"from": "2025-02-01"}, "inverted")):
        r = client.get("/v1/compare/lag", params={**q, **bad_q})
        assert r.status_code == 400, (bad_q, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert needle in r.text, (bad_q, r.text)
    store.close()


@pytest.fixture(scope="module")
def june_db(tmp_path_factory):
    """Oblasts, DeepStateMap's revisions of 2025-06-01 … 06-14 and NZZ's maps of 2025-05-27
    … 06-14 (fetched 06-01 … 06-15)."""
    from frontwatch.bootstrap import ensure_places
    from frontwatch.ingest import ImportOptions, import_paths
    from frontwatch.ingest.regions import import_regions
    from frontwatch.store import open_store

    shared = need_shared()
    path = tmp_path_factory.mktemp("june") / "j.sqlite"
    store = open_store(path)
    ensure_places(store)
    import_regions(store, shared / "boundaries" / "Ukraine.geojson.gz", "oblast")
    import_paths(store, [*_june_files(shared)[0], *_june_files(shared)[1]], ImportOptions())
    store.close()
    return path


def _june_files(shared):
    ds = sorted(f for f in (shared / "deepstate-raw").iterdir()
                if f.name[:10].isdigit() and 1748806839 <= int(f.name[:10]) <= 1749934352)
    nzz = [shared / "nzz" / f"2025-06-{d:02d}.json.gz" for d in range(1, 16)]
    return ds, nzz


def _first_shown(revisions: list[tuple[date, float]], event: str, on: date):
    """The rule of the piece lag, on (date, share) pairs computed from the files."""
    shown = [(d, (s >= 0.5) == (event == "occupied")) for d, s in revisions]
    k = max(i for i, (d, _) in enumerate(shown) if i == 0 or d <= on)
    if shown[k][1]:
        while k > 0 and shown[k - 1][1]:
            k -= 1
        return "before" if k == 0 else shown[k][0]
    return next((d for d, yes in shown[k + 1:] if yes), None)


def test_piece_lag_on_the_shared_data_equals_the_files(shared, june_db):
    """The largest change pieces of June 2025 in Donetsk oblast: km² and each source's date
    recomputed from the two sources' files (each revision's own layer, pyproj.Geod areas)."""
    from datetime import UTC, datetime

    from frontwatch.analytics.lag import lag
    from frontwatch.store import open_store

    store = open_store(june_db)
    start, end = date(2025, 6, 1), date(2025, 6, 14)
    res = lag(store, PAIR, "Donetsk Oblast", start, end)
    store.close()
    s = res["pieces_summary"]
    assert s["pieces"] >= 5 and s["pieces_both_showed"] >= 3, s
    assert all(p["km2"] >= 1.0 for p in res["pieces"])
    region = _donetsk(shared)
    ds_files, nzz_files = _june_files(shared)
    layers = {"deepstate": [(datetime.fromtimestamp(int(f.name[:10]), UTC).date(),
                             shapely.intersection(_deepstate_since_2022(f), region))
                            for f in ds_files]}
    by_day = {}
    for f in nzz_files:
        by_day[date.fromisoformat(_read(f)["value"]["features"][0]["properties"]["date"])] = f
    # each source's baseline is its map in force before `from` (a change made on `from` is
    # in the range): NZZ's of 2025-05-27; DeepStateMap's history starts on `from` itself
    base = max(d for d in by_day if d < start)
    layers["nzz"] = [(d, shapely.intersection(_nzz_occupied(f), region))
                     for d, f in sorted(by_day.items()) if d >= base]
    before = {"deepstate": f"on or before {start}", "nzz": f"before {start}"}
    biggest = sorted(res["piece_features"], key=lambda f: -f[1]["km2"])[:8]
    for geom, props in biggest:
        km2 = _geod_km2(geom)
        assert props["km2"] == pytest.approx(km2, rel=2e-3, abs=0.01)
        listed = props["listed_by"].split(",")[0]
        on = date.fromisoformat(props[f"{listed}_date"])
        for src in PAIR:
            shares = [(d, _geod_km2(shapely.intersection(geom, lay)) / km2)
                      for d, lay in layers[src]]
            want = _first_shown(shares, props["event"], on)
            want = (before[src] if want == "before" else
                    want.isoformat() if want else None)
            assert props[f"{src}_date"] == want, (props, src, shares)


@pytest.mark.parametrize(("layer", "min_km2", "says"), [
    ("bogus", 1.0, "layer='bogus'"), ("since-2022", float("inf"), "min_km2=inf"),
    ("since-2022", float("nan"), "min_km2=nan"), ("since-2022", 0.001, "min_km2=0.001")])
def test_lag_refuses_what_the_api_refuses(store, layer, min_km2, says):
    """The CLI answered `--layer bogus` and `--min-km2 inf` with exit 0 and nothing found;
    the check lives in the domain now, for every entry point."""
    from frontwatch.analytics.lag import lag

    with pytest.raises(InputError, match=says):
        lag(store, ("deepstate", "nzz"), "donetsk-oblast", date(2025, 6, 1), date(2025, 6, 14),
            layer, min_km2)


def test_sweep_one_date_equals_the_series_and_geod(shared, june_db):
    """Every date of 2025-06-01 … 06-14: the one-date comparison (overlaid live) and the
    series' row on that date (read from the precomputed table) give the same figures to
    0.01 km², for Donetsk oblast (every date) and the whole theatre (every distinct pair of
    revisions); each pair's figures are within the measure's tolerance of pyproj.Geod on
    the two sources' files; and the CLI (one date, range) and the API (json and csv, one
    date and range) print those same figures."""
    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app
    from frontwatch.store import open_store

    start, end = date(2025, 6, 1), date(2025, 6, 14)
    ds_files, nzz_files = _june_files(shared)
    files = {"deepstate": {}, "nzz": {}}
    store = open_store(june_db)
    try:
        for f in [*ds_files, *nzz_files]:
            files["deepstate" if f in ds_files else "nzz"][f.name] = f
        regions = {"donetsk-oblast": _donetsk(shared),
                   "theatre": store.region("theatre", end).geometry}
        geod: dict[tuple, dict[str, float]] = {}
        layers: dict[str, object] = {}
        for slug, region in regions.items():
            rows, doc = cmp.compare_series(store, PAIR, slug, start, end, 1)
            assert doc["computed_pairs"] == 0 and len(rows) == 14, doc
            seen = set()
            for row in rows:
                pair = (row["deepstate_snapshot"], row["nzz_snapshot"])
                if slug == "theatre" and pair in seen:
                    continue
                seen.add(pair)
                one = cmp.compare(store, PAIR, slug, date.fromisoformat(row["date"]),
                                  min_km2=1e9).summary
                by_src = {x["source"]: x for x in one["sources"]}
                assert (by_src["deepstate"]["snapshot_id"],
                        by_src["nzz"]["snapshot_id"]) == pair, row["date"]
                for src in PAIR:
                    assert by_src[src]["age_days"] == row[f"{src}_age_days"]
                for key, value in row.items():
                    if key.endswith("_km2"):
                        assert abs(one[key] - value) <= 0.01 + 1e-9, (slug, row["date"], key)
                assert abs(one["agreement"] - row["agreement"]) <= 1e-4
                if (slug, pair) in geod:
                    continue
                cut = []
                for src, sid in zip(PAIR, pair):
                    origin = store.snapshot(sid).origin.rsplit("/", 1)[-1]
                    if origin not in layers:
                        path = files[src][origin]
                        layers[origin] = (_deepstate_since_2022 if src == "deepstate"
                                          else _nzz_occupied)(path)
                    cut.append(shapely.intersection(layers[origin], region))
                geod[slug, pair] = _geod_figures(*cut)
                _assert_near_geod(row, geod[slug, pair])
        assert len(geod) >= 2 * 5  # NZZ's maps and DeepStateMap's days make new pairs

        # Every output prints the same figures for the same query.
        day = "2025-06-10"
        row = next(r for r in cmp.compare_series(store, PAIR, "theatre", start, end, 1)[0]
                   if r["date"] == day)
        figures = {k: v for k, v in row.items() if k.endswith("_km2") or k == "agreement"}
        client = TestClient(create_app(Settings(database_url=str(june_db))))
        api_one = client.get("/v1/compare", params={"date": day}).json()["summary"]
        api_csv = next(csv.DictReader(io.StringIO(client.get(
            "/v1/compare", params={"date": day, "format": "csv"}).text)))
        api_range = client.get("/v1/compare", params={"from": "2025-06-01",
                                                      "to": "2025-06-14", "step": 3}).json()
        api_row = next(r for r in api_range["series"] if r["date"] == day)
        cli_one = json.loads(run("compare", "--date", day, "--json", db=june_db).stdout)
        cli_csv = next(r for r in csv.DictReader(io.StringIO(run(
            "compare", "--from", "2025-06-01", "--to", "2025-06-14", "--step", "3", "--csv",
            db=june_db).stdout)) if r["date"] == day)
        for key, value in figures.items():
            for name, got in (("api json", api_one[key]), ("api csv", float(api_csv[key])),
                              ("api range", api_row[key]),
                              ("cli json", cli_one["summary"][key]),
                              ("cli csv", float(cli_csv[key]))):
                assert got == value, (name, key)
    finally:
        store.close()


def test_lag_claims_no_date_before_a_source_history(shared, june_db):
    """A range starting 2025-05-28, before DeepStateMap's first revision in the store (of
    2025-06-01; NZZ's map of 05-27 is in force on 05-28): no piece or place is labelled
    'before 2025-05-28' for DeepStateMap (it was invented: nothing of it covers that day),
    a piece its first revision already shows is 'on or before 2025-06-01' with no lag, and
    who was first is 'unknown' where NZZ showed it by then. Checked on the files: that
    revision holds at least half of each such piece (pyproj.Geod)."""
    from frontwatch.analytics.lag import lag
    from frontwatch.store import open_store

    start, end = date(2025, 5, 28), date(2025, 6, 14)
    with open_store(june_db) as store:
        res = lag(store, PAIR, "Donetsk Oblast", start, end)
    used = {x["source"]: x for x in res["sources"]}
    assert used["deepstate"]["baseline"] is None
    assert used["deepstate"]["history_starts"] == "2025-06-01"
    assert used["nzz"]["baseline"] == "2025-05-27"
    rows = res["rows"] + res["pieces"]
    assert not [x for x in rows if x["deepstate_date"] == f"before {start}"]
    early = [(g, p) for g, p in res["piece_features"]
             if p["deepstate_date"] == "on or before 2025-06-01"]
    assert early, "the range should hold pieces DeepStateMap's first revision already shows"
    ds_first = shapely.intersection(_deepstate_since_2022(
        shared / "deepstate-raw" / DS_FILE), _donetsk(shared))
    for geom, p in early:
        assert p["lag_days"] is None, p
        nzz = p["nzz_date"]
        by_then = nzz is not None and (nzz.startswith("before") or nzz <= "2025-06-01")
        assert p["first"] == ("unknown" if by_then else "deepstate"), p
        share = _geod_km2(shapely.intersection(geom, ds_first)) / _geod_km2(geom)
        assert (share >= 0.5) == (p["event"] == "occupied"), (p, share)
    # who was first, by the rule: unknown when NZZ showed it by DeepStateMap's first day
    from frontwatch.analytics.piece_lag import BEFORE, who_first

    bases = {"deepstate": date(2025, 6, 1), "nzz": date(2025, 5, 27)}
    for nzz_day, first in ((date(2025, 5, 30), "unknown"), (date(2025, 6, 1), "unknown"),
                           (date(2025, 6, 2), "deepstate"), (None, "deepstate")):
        assert who_first(PAIR, {"deepstate": BEFORE, "nzz": nzz_day}, bases, start) == (
            None, first)
    assert who_first(PAIR, {"deepstate": date(2025, 6, 3), "nzz": BEFORE}, bases,
                     start) == (None, "nzz")
    # NZZ covers the range's first day: its 'before' label stays what it was
    assert any(x["nzz_date"] == f"before {start}" for x in rows)
    # the CLI says where DeepStateMap's history starts rather than inventing a baseline
    text = run("compare", "lag", "-r", "UA14", "--from", str(start), "--to", str(end),
               db=june_db)
    assert "history starts 2025-06-01" in text.stderr
    assert f"before {start}" not in "".join(line.split("│")[3] for line in
                                            text.stdout.splitlines() if line.count("│") > 6)


def test_lag_csv_of_the_cli_and_the_api_are_the_same_rows(june_db):
    """`compare lag --csv` and `GET /v1/compare/lag?format=csv` over the same range write
    the same table, byte for byte, and lag_days as the JSON's whole days (the API printed
    -4.0 where the CLI printed -4: pandas made the column with gaps float)."""
    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app

    q = {"region": "UA14", "from": "2025-05-28", "to": "2025-06-14"}
    args = ("compare", "lag", "-r", q["region"], "--from", q["from"], "--to", q["to"])
    cli = run(*args, "--csv", db=june_db).stdout
    client = TestClient(create_app(Settings(database_url=str(june_db))))
    api = client.get("/v1/compare/lag", params={**q, "format": "csv"})
    assert api.status_code == 200, api.text
    assert api.text == cli
    doc = json.loads(run(*args, "--json", db=june_db).stdout)
    rows = list(csv.DictReader(io.StringIO(cli)))
    expected = [x["lag_days"] for x in doc["rows"] + doc["pieces"]]
    assert [r["lag_days"] for r in rows] == ["" if d is None else str(d) for d in expected]
    assert any(d is not None and d < 0 for d in expected)


def test_agreement_is_the_same_fraction_in_every_output(client, cmp_db):
    """The table printed `agreement %` (91.9) where JSON and CSV say 0.9191: every output
    now gives the fraction (0..1) under a header that says what it is, and the JSON says
    what the figure means."""
    q = ("-r", "UA14", "--from", "2025-04-01", "--to", "2025-06-01", "--step", "30")
    table = run("compare", *q, db=cmp_db)
    rows = list(csv.DictReader(io.StringIO(run("compare", *q, "--csv", db=cmp_db).stdout)))
    doc = json.loads(run("compare", *q, "--json", db=cmp_db).stdout)
    api = client.get("/v1/compare", params={"region": "UA14", "from": "2025-04-01",
                                            "to": "2025-06-01", "step": 30}).json()
    api_csv = list(csv.DictReader(io.StringIO(client.get(
        "/v1/compare", params={"region": "UA14", "from": "2025-04-01", "to": "2025-06-01",
                               "step": 30, "format": "csv"}).text)))
    assert "agreement" in table.stdout and "(IoU)" in table.stdout
    assert "agreement %" not in table.stdout
    printed = [line.split()[-1] for line in table.stdout.splitlines()
               if line[:4] == "2025"]
    want = [r["agreement"] for r in doc["rows"]]
    assert len(want) == 2 and all(0.5 < a < 1 for a in want)  # the range cut to 2025-05-27
    assert printed == [f"{a:.4f}" for a in want]
    assert [float(r["agreement"]) for r in rows] == want
    assert [float(r["agreement"]) for r in api_csv] == want
    assert [r["agreement"] for r in api["series"]] == want
    for meaning in (doc["agreement_meaning"], api["agreement_meaning"]):
        assert "intersection over union" in meaning and "0 to 1" in meaning
    one = run("compare", "-r", "UA14", "--date", "2025-06-01", db=cmp_db).stdout
    s = json.loads(run("compare", "-r", "UA14", "--date", "2025-06-01", "--json",
                       db=cmp_db).stdout)["summary"]
    assert f"agreement {s['agreement']:.4f} (intersection over union)" in one
    assert "%" not in one.split("agreement", 1)[1].splitlines()[0]


def test_every_dated_answer_says_what_data_it_holds(june_db):
    """/v1/compare (one date, range, CSV), /v1/compare/pieces, /v1/compare/lag and /v1/diff
    sent no X-Data-Through, and the diff's summary had no data_through/stale_days for a `to`
    past the newest snapshot: every dated answer now says, in its headers and its body, the
    newest data it holds (for two sources, the earlier of their newest snapshots) and how
    many days the date asked lies past it, as /v1/areas and /v1/snapshots do."""
    from datetime import timedelta

    from fastapi.testclient import TestClient

    from frontwatch.api.app import create_app
    from frontwatch.store import open_store
    from frontwatch.store.base import iso

    with open_store(june_db) as store:
        newest = {s: store.resolve(s) for s in PAIR}
    pair_last = min(newest.values(), key=lambda i: i.valid_at)
    asked = newest["deepstate"].date + timedelta(days=17)
    through = {"pair": iso(pair_last.valid_at), "deepstate": iso(newest["deepstate"].valid_at)}
    stale = {"pair": (asked - pair_last.date).days, "deepstate": 17}
    client = TestClient(create_app(Settings(database_url=str(june_db))))
    rng = {"region": "UA14", "from": "2025-06-01", "to": asked.isoformat()}
    cases = [  # (path, query, which data, the body's member holding data_through or None)
        ("/v1/compare", {"region": "UA14", "date": asked.isoformat()}, "pair", "summary"),
        ("/v1/compare", {"region": "UA14", "date": asked.isoformat(), "format": "csv"},
         "pair", None),
        ("/v1/compare", {**rng, "step": 10}, "pair", ""),
        ("/v1/compare", {**rng, "step": 10, "format": "csv"}, "pair", None),
        ("/v1/compare/pieces", {"region": "UA14", "date": asked.isoformat()}, "pair",
         "summary"),
        ("/v1/compare/lag", rng, "pair", ""),
        ("/v1/compare/lag", {**rng, "format": "csv"}, "pair", None),
        ("/v1/diff", rng, "deepstate", "summary"),
        ("/v1/diff", rng, "deepstate", ""),
        ("/v1/frontline", {"date": asked.isoformat()}, "deepstate", ""),
        (f"/v1/snapshots/{asked}", {}, "deepstate", ""),
        ("/v1/places/toretsk", {"date": asked.isoformat()}, "deepstate", ""),
        ("/v1/places/toretsk/timeline", {"from": "2025-06-01", "to": asked.isoformat()},
         "deepstate", None),
    ]
    for path, q, which, member in cases:
        r = client.get(path, params=q)
        assert r.status_code == 200, (path, q, r.text[:300])
        assert r.headers["x-data-through"] == through[which], (path, q)
        if member is None:
            continue
        doc = r.json()
        doc = doc[member] if member else doc
        assert (doc["data_through"], doc["stale_days"]) == (through[which], stale[which]), \
            (path, q)
    assert "X-Data-Through" in client.get("/v1/compare", params={
        "region": "UA14", "date": "2025-06-10"}, headers={"Origin": "https://example.org"}
    ).headers["access-control-expose-headers"]  # a browser reads it cross-origin
    # the CLI says it too, as `area` and `diff` do
    one = run("compare", "-r", "UA14", "--date", asked.isoformat(), "--json", db=june_db)
    assert json.loads(one.stdout)["summary"]["stale_days"] == stale["pair"]
    assert f"{dates.n_days(stale['pair'])} after the newest snapshot" in one.stderr
    # …naming the source whose newest snapshot ends the pair's data
    assert f"after the newest snapshot ({pair_last.source} of {through['pair']})" in one.stderr
    diff = json.loads(run("diff", "2025-06-01", asked.isoformat(), "-r", "UA14", "--json",
                          db=june_db).stdout)
    assert diff["summary"]["stale_days"] == 17
    assert diff["summary"]["data_through"] == through["deepstate"]
