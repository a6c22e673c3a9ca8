"""A revision id merged away by migration 0013 (the same claim as the revision before it)
still answers with the id it lives on as: over HTTP a read of that revision is redirected
(308) to the kept one, a feature of it and any change are a not-found naming the kept id;
the CLI names it. Stores built the old way (tests.test_content_hash), then migrated."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from frontwatch.api.app import create_app
from frontwatch.errors import Merged, NotFound
from frontwatch.settings import Settings
from frontwatch.store import open_store
from frontwatch.store.base import _migrations
from tests.test_cli_data import run
from tests.test_cli_errors import one_line_error
from tests.test_content_hash import (
    SOURCE,
    _as_before_rehash,
    _opts,
    _region_store,
    _store_old_way,
    _write,
    _zones,
)

pytest_plugins = ["tests.pg"]  # the `pg_url` fixture
# The migration that records where a merged id went (0014 when written).
POINTER = next(v for v, script in _migrations() if "_backfill_merged_into" in script)


def _merged_store(url: Path | str, folder: Path) -> dict[str, int]:
    """A store the old code built (a claim stored twice in two formats, then a moved one),
    migrated: {"kept": id, "merged": id merged into it, "moved": id}."""
    store = _region_store(url, folder)
    kept = _store_old_way(store, _write(_zones(), folder / "g", "GPKG", "zones.gpkg"), _opts())
    merged = _store_old_way(store, _write(_zones(), folder / "s", "ESRI Shapefile",
                                          "zones.zip"), _opts())
    moved = _store_old_way(store, _write(_zones(moved=True), folder / "m", "GPKG",
                                         "zones.gpkg"), _opts())
    store.close()
    _as_before_rehash(url)
    open_store(url).close()  # migrates: `merged` goes into `kept`
    return {"kept": kept, "merged": merged, "moved": moved}


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def store_url(request, tmp_path) -> Path | str:
    return tmp_path / "old.sqlite" if request.param == "sqlite" else \
        request.getfixturevalue("pg_url")


def test_the_store_knows_where_a_merged_id_went(tmp_path, store_url):
    ids = _merged_store(store_url, tmp_path)
    with open_store(store_url) as store:
        assert store.merged_into(ids["merged"]) == ids["kept"]
        with pytest.raises(Merged) as merged:
            store.snapshot(ids["merged"])
        assert merged.value.kept == ids["kept"] and isinstance(merged.value, NotFound)
        assert f"merged into revision id {ids['kept']}" in str(merged.value)
        assert store.merged_into(ids["moved"]) is None  # a live one: no pointer
        store.delete_snapshot(ids["moved"])  # deleted by hand: a plain not-found
        assert store.merged_into(ids["moved"]) is None
        with pytest.raises(NotFound) as gone:
            store.snapshot(ids["moved"])
        assert not isinstance(gone.value, Merged)
        store.delete_snapshot(ids["kept"])  # the kept one deleted too: nothing to point at
        assert store.merged_into(ids["merged"]) is None


def test_http_redirects_a_merged_revision_and_names_it_for_a_feature(tmp_path):
    db = tmp_path / "old.sqlite"
    ids = _merged_store(db, tmp_path)
    merged, kept = ids["merged"], ids["kept"]
    api = TestClient(create_app(Settings(database_url=str(db), source=SOURCE, warm=False)),
                     follow_redirects=False)
    for method in ("GET", "HEAD"):
        r = api.request(method, f"/v1/snapshots/revisions/{merged}",
                        params={"status": "occupied"})
        assert r.status_code == 308, r.text
        assert r.headers["location"] == \
            f"/v1/snapshots/revisions/{kept}?status=occupied"  # relative: never Host's
        hostile = api.request(method, f"/v1/snapshots/revisions/{merged}",
                              headers={"Host": "evil.example"})
        assert hostile.headers["location"] == f"/v1/snapshots/revisions/{kept}"
    followed = api.get(f"/v1/snapshots/revisions/{merged}", params={"status": "occupied"},
                       follow_redirects=True)
    direct = api.get(f"/v1/snapshots/revisions/{kept}", params={"status": "occupied"})
    assert followed.status_code == 200 and followed.content == direct.content
    # a feature of it: the kept revision may split its features otherwise, so no guess
    r = api.get(f"/collections/control/items/{merged}-0")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["kept_id"] == kept and f"use id {kept}" in r.json()["detail"], r.text
    assert api.get(f"/collections/control/items/{kept}-0").status_code == 200
    # a paging walk pinned to it: restart, and why
    r = api.get("/collections/control/items", params={"snapshot": merged, "offset": 1})
    assert r.status_code == 409 and r.json()["code"] == "state-changed", r.text
    assert f"merged into revision id {kept}" in r.json()["detail"], r.text
    # an id never given: the plain 404
    r = api.get("/v1/snapshots/revisions/999999")
    assert r.status_code == 404 and "kept_id" not in r.json()


def test_cli_names_the_kept_revision_and_changes_nothing(tmp_path):
    db = tmp_path / "old.sqlite"
    ids = _merged_store(db, tmp_path)
    before = run("snapshots", "--json", db=db).stdout
    line = one_line_error(run("snapshots", "delete", "--id", str(ids["merged"]), "--yes",
                              db=db, check=False), 1,
                          f"no snapshot with id {ids['merged']}",
                          f"use id {ids['kept']}", "[not-found]")
    assert "merged" in line
    assert run("snapshots", "--json", db=db).stdout == before


def _without_pointer(path: Path) -> None:
    """As a version with migration 0013 but without the pointer's left the store."""
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("ALTER TABLE deleted_snapshots DROP COLUMN merged_into")
        conn.execute("DELETE FROM schema_version WHERE version=?", (POINTER,))
        conn.commit()


def test_a_store_merged_before_the_pointer_gets_it_from_the_notes(tmp_path):
    """A store migrated through 0013 by a version without the pointer: the `merged` notes
    give it back where they are unambiguous; where a revision of that moment was also
    deleted by hand, no pointer is guessed."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    clean, mixed = tmp_path / "a" / "s.sqlite", tmp_path / "b" / "s.sqlite"
    ids = _merged_store(clean, tmp_path / "a")
    mixed_ids = _merged_store(mixed, tmp_path / "b")
    with open_store(mixed) as store:
        store.delete_snapshot(mixed_ids["moved"])  # same moment, deleted by hand
    for path in (clean, mixed):
        _without_pointer(path)
        with open_store(path) as store:  # the pointer's migration runs
            assert "merged_into" in store._columns("deleted_snapshots")
    with open_store(clean) as store:
        assert store.merged_into(ids["merged"]) == ids["kept"]
    with open_store(mixed) as store:
        assert store.merged_into(mixed_ids["merged"]) is None
        assert store.merged_into(mixed_ids["moved"]) is None
