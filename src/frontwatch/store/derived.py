"""The tables analytics derives from each revision at import (area stats per region, front-line
lengths, the change log, place status, pairwise comparison figures): their SQL, as a mixin of
the store so that `frontwatch.store.base` keeps only snapshots, regions and places.

Written and read by frontwatch.analytics (areas, front, changelog_table, placestatus, pairs).
A revision's rows go with it (ON DELETE CASCADE), and every table can be rebuilt from the
snapshots (`frontwatch stats rebuild`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

T = TypeVar("T")


class DerivedTables:
    """Reads and writes of the derived tables; mixed into :class:`~frontwatch.store.base.SqlStore`,
    which supplies the connection and the query plumbing declared below."""

    if TYPE_CHECKING:  # provided by SqlStore
        conn: Any

        def _sql(self, sql: str) -> str: ...
        def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
        def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]: ...
        def _query_in(self, sql: str, ids: Sequence[Any], params: Sequence[Any] = ()
                      ) -> list[tuple]: ...
        def transaction(self, wait: bool = True) -> AbstractContextManager[None]: ...

    def _replace(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
                 ) -> None:
        """Write `rows` (values in `columns` order) in one transaction, each replacing the
        row with the same first two columns (its key: snapshot and region/theatre)."""
        key = " AND ".join(f"{c}=?" for c in columns[:2])
        with self.transaction():
            cur = self.conn.cursor()
            cur.executemany(self._sql(f"DELETE FROM {table} WHERE {key}"),
                            [(r[0], r[1]) for r in rows])
            cur.executemany(self._sql(
                f"INSERT INTO {table} ({', '.join(columns)}) "
                f"VALUES ({','.join('?' * len(columns))})"), [tuple(r) for r in rows])

    def _per_snapshot(self, table: str, key: str, value: str, snapshot_ids: Sequence[int],
                      cast: Callable[[Any], T]) -> dict[int, dict[int, T]]:
        """snapshot_id → {`key`: cast(`value`)} of the rows of `table` for those snapshots."""
        out: dict[int, dict[int, T]] = {}
        for sid, k, v in self._query_in(f"SELECT snapshot_id, {key}, {value} FROM {table} "
                                        "WHERE snapshot_id IN ({ids})", snapshot_ids):
            out.setdefault(int(sid), {})[int(k)] = cast(v)
        return out

    # --- stats (analytics) ------------------------------------------------------------------
    # Rows of `region_stats`, written and read by frontwatch.analytics.areas.
    def stats_regions(self) -> list[tuple[int, str, str, float, bytes]]:
        """(id, slug, valid_from, area_km2, wkb) of every region version that can be in
        force: the latest recorded one per (slug, valid_from)."""
        rows = self._query(
            "SELECT id, slug, valid_from, area_km2, geom FROM regions r WHERE id = "
            "(SELECT r2.id FROM regions r2 WHERE r2.slug=r.slug AND r2.valid_from=r.valid_from "
            "ORDER BY r2.recorded_at DESC, r2.id DESC LIMIT 1) ORDER BY id")
        return [(r[0], r[1], r[2], float(r[3]), bytes(r[4])) for r in rows]

    def stats_signature(self) -> tuple[int, int]:
        """Changes whenever regions are added or removed (to invalidate prepared caches)."""
        row = self._query("SELECT count(*), coalesce(max(id), 0) FROM regions")[0]
        return int(row[0]), int(row[1])

    def stats_of_snapshot(self, snapshot_id: int) -> dict[int, tuple[float, float, int]]:
        """region_id → (occupied_km2, contested_km2, steps) stored for one snapshot."""
        rows = self._query("SELECT region_id, occupied_km2, contested_km2, steps FROM "
                           "region_stats WHERE snapshot_id=?", (snapshot_id,))
        return {r[0]: (float(r[1]), float(r[2]), int(r[3])) for r in rows}

    def stats_snapshot_ids(self, source: str) -> set[int]:
        """Snapshots of a source that have stats rows."""
        return {r[0] for r in self._query(
            "SELECT DISTINCT st.snapshot_id FROM region_stats st JOIN snapshots s ON "
            "s.id=st.snapshot_id WHERE s.source=?", (source,))}

    def stats_missing_regions(self, source: str) -> set[int]:
        """Region ids (of :meth:`stats_regions`) without stats for some snapshot of a
        source."""
        n = self._query("SELECT count(*) FROM snapshots WHERE source=?", (source,))[0][0]
        have = {r[0]: r[1] for r in self._query(
            "SELECT st.region_id, count(*) FROM region_stats st JOIN snapshots s ON "
            "s.id=st.snapshot_id WHERE s.source=? GROUP BY st.region_id", (source,))}
        return {r[0] for r in self.stats_regions() if have.get(r[0], 0) < n}

    def put_stats(self, rows: Sequence[tuple[int, int, float, float, int]]) -> None:
        """Write (snapshot_id, region_id, occupied_km2, contested_km2, steps), replacing."""
        self._replace("region_stats", ("snapshot_id", "region_id", "occupied_km2",
                                       "contested_km2", "steps"), rows)

    def clear_stats(self, source: str | None = None) -> None:
        self._clear("region_stats", source)

    def stats_series(self, slug: str, source: str) -> list[tuple]:
        """(valid_at, snapshot_id, region valid_from, region area_km2, occupied_km2,
        contested_km2) of every stored revision for one region slug, oldest first."""
        versions = {r[0]: r for r in self.region_versions(slug)}
        if not versions:
            return []
        rows = self._query(
            "SELECT s.valid_at, s.id, st.region_id, st.occupied_km2, st.contested_km2 "
            "FROM region_stats st JOIN snapshots s ON s.id=st.snapshot_id "
            f"WHERE st.region_id IN ({','.join('?' * len(versions))}) AND s.source=? "
            "ORDER BY s.valid_at, s.recorded_at, s.id", [*versions, source])
        return [(r[0], r[1], versions[r[2]][1], versions[r[2]][2], r[3], r[4]) for r in rows]

    def region_versions(self, slug: str) -> list[tuple[int, str, float]]:
        """(id, valid_from, area_km2) of the versions of a region that can be in force (the
        latest recorded per valid_from), oldest valid_from first."""
        rows = self._query(
            "SELECT id, valid_from, area_km2 FROM regions r WHERE slug=? AND id = "
            "(SELECT r2.id FROM regions r2 WHERE r2.slug=r.slug AND r2.valid_from=r.valid_from "
            "ORDER BY r2.recorded_at DESC, r2.id DESC LIMIT 1) ORDER BY valid_from", (slug,))
        return [(int(r[0]), r[1], float(r[2])) for r in rows]

    # --- front-line lengths (analytics) -----------------------------------------------------
    # Rows of `frontline_lengths`, written and read by frontwatch.analytics.front.
    def frontline_lengths(self, snapshot_ids: Sequence[int]) -> dict[int, dict[int, float]]:
        """snapshot_id → {theatre_id: length_km} stored for those snapshots."""
        return self._per_snapshot("frontline_lengths", "theatre_id", "length_km", snapshot_ids,
                                  float)

    def frontline_length_of_content(self, content_hash: str, theatre_id: int) -> float | None:
        """A length already measured for the same content and theatre (an unchanged day)."""
        rows = self._query(
            "SELECT f.length_km FROM frontline_lengths f JOIN snapshots s ON "
            "s.id=f.snapshot_id WHERE s.content_hash=? AND f.theatre_id=? LIMIT 1",
            (content_hash, theatre_id))
        return float(rows[0][0]) if rows else None

    def put_frontline_lengths(self, rows: Sequence[tuple[int, int, float]]) -> None:
        """Write (snapshot_id, theatre_id, length_km), replacing."""
        self._replace("frontline_lengths", ("snapshot_id", "theatre_id", "length_km"), rows)

    def prune_frontline_lengths(self, theatre_ids: Sequence[int]) -> int:
        """Delete lengths measured against a theatre version not in `theatre_ids` (replaced
        or removed): they can never be read again. Returns how many rows went."""
        keep = list(theatre_ids) or [-1]
        cur = self._execute(f"DELETE FROM frontline_lengths WHERE theatre_id NOT IN "
                            f"({','.join('?' * len(keep))})", keep)
        return max(cur.rowcount, 0)

    def clear_frontline_lengths(self, source: str | None = None) -> None:
        self._clear("frontline_lengths", source)

    def _clear(self, table: str, source: str | None) -> None:
        if source is None:
            self._execute(f"DELETE FROM {table}")
        else:
            self._execute(f"DELETE FROM {table} WHERE snapshot_id IN (SELECT id FROM "
                          "snapshots WHERE source=?)", (source,))

    # --- change log (analytics) -------------------------------------------------------------
    # Rows of `region_changes`, written and read by frontwatch.analytics.changelog_table.
    def region_changes(self, region_id: int, snapshot_ids: Sequence[int]
                       ) -> dict[int, tuple[int, float, float, float, float]]:
        """snapshot_id → (base_id, occupied_gained_km2, occupied_lost_km2,
        contested_gained_km2, contested_lost_km2) of one region version."""
        rows = self._query_in(
            "SELECT snapshot_id, base_id, occupied_gained_km2, occupied_lost_km2, "
            "contested_gained_km2, contested_lost_km2 FROM region_changes WHERE region_id=? "
            "AND snapshot_id IN ({ids})", snapshot_ids, [region_id])
        return {int(r[0]): (int(r[1]), *(float(x) for x in r[2:])) for r in rows}

    def region_changes_done(self, snapshot_ids: Sequence[int]) -> dict[int, dict[int, int]]:
        """snapshot_id → {region_id: base_id} of the rows stored for those snapshots."""
        return self._per_snapshot("region_changes", "region_id", "base_id", snapshot_ids, int)

    def put_region_changes(self, rows: Sequence[tuple[int, int, int, float, float, float,
                                                      float]]) -> None:
        """Write (snapshot_id, region_id, base_id, occupied gained, occupied lost, contested
        gained, contested lost km²), replacing."""
        self._replace("region_changes", (
            "snapshot_id", "region_id", "base_id", "occupied_gained_km2", "occupied_lost_km2",
            "contested_gained_km2", "contested_lost_km2"), rows)

    def clear_region_changes(self, source: str | None = None) -> None:
        self._clear("region_changes", source)

    # --- place status (analytics.placestatus) ----------------------------------------------
    # Rows of `place_status` (only the places whose status changed on a revision), with the
    # revision each was compared with (`place_status_marks`) and the point/outline digest of
    # each place they were computed from (`place_status_places`).
    _PS_COLS = ("p.snapshot_id, p.slug, p.from_status, p.status, p.occupied_share, "
                "p.contested_share, p.distance_km, s.valid_at")

    def place_status_rows(self, source: str, after: str | None = None,
                          until: str | None = None, *, changes_only: bool = False,
                          slugs: Sequence[str] | None = None) -> list[tuple]:
        """(snapshot_id, slug, from_status, status, occupied_share, contested_share,
        distance_km, valid_at) of a source's revisions with `after` < valid_at <= `until` (ISO text,
        None = open), in store order; `changes_only` leaves out a first revision's rows."""
        sql = (f"SELECT {self._PS_COLS} FROM place_status p JOIN snapshots s ON "
               "s.id=p.snapshot_id WHERE s.source=?")
        params: list[Any] = [source]
        if after is not None:
            sql += " AND s.valid_at>?"
            params.append(after)
        if until is not None:
            sql += " AND s.valid_at<=?"
            params.append(until)
        if changes_only:
            sql += " AND p.from_status IS NOT NULL"
        order = " ORDER BY s.valid_at, s.recorded_at, s.id"
        if slugs is None:
            return self._query(sql + order, params)
        return self._query_in(sql + " AND p.slug IN ({ids})" + order, slugs, params)

    def place_statuses(self, source: str, until: str) -> list[tuple[str, str, int]]:
        """(slug, status, snapshot_id) of every row of a source's revisions valid by
        `until` (ISO text), in store order: a place's last row is its status then."""
        return self._query(
            "SELECT p.slug, p.status, p.snapshot_id FROM place_status p JOIN snapshots s ON "
            "s.id=p.snapshot_id WHERE s.source=? AND s.valid_at<=? "
            "ORDER BY s.valid_at, s.recorded_at, s.id", (source, until))

    def place_status_marks(self, source: str) -> dict[int, int | None]:
        """snapshot_id → base_id (None: computed as the source's first revision)."""
        return {int(r[0]): (None if r[1] is None else int(r[1])) for r in self._query(
            "SELECT m.snapshot_id, m.base_id FROM place_status_marks m JOIN snapshots s ON "
            "s.id=m.snapshot_id WHERE s.source=?", (source,))}

    def put_place_status(self, snapshot_id: int, base_id: int | None,
                         rows: Sequence[tuple], slugs: Sequence[str] | None = None) -> None:
        """Replace one revision's rows (all of them, or those of `slugs`) by `rows` (slug,
        from_status, status, occupied_share, contested_share, distance_km) and, for a whole
        revision, record its base."""
        with self.transaction():
            if slugs is None:
                self._execute("DELETE FROM place_status WHERE snapshot_id=?", (snapshot_id,))
                self._execute("DELETE FROM place_status_marks WHERE snapshot_id=?",
                              (snapshot_id,))
                self._execute("INSERT INTO place_status_marks (snapshot_id, base_id) "
                              "VALUES (?,?)", (snapshot_id, base_id))
            else:
                self.conn.cursor().executemany(
                    self._sql("DELETE FROM place_status WHERE snapshot_id=? AND slug=?"),
                    [(snapshot_id, s) for s in slugs])
            self.conn.cursor().executemany(self._sql(
                "INSERT INTO place_status (snapshot_id, slug, from_status, status, "
                "occupied_share, contested_share, distance_km) VALUES (?,?,?,?,?,?,?)"),
                [(snapshot_id, *r) for r in rows])

    def place_status_state(self, snapshot_id: int) -> tuple[str, bytes] | None:
        """(hash of the gazetteer order, compressed state) of one revision, if written."""
        rows = self._query("SELECT places, state FROM place_status_state WHERE snapshot_id=?",
                           (snapshot_id,))
        return (rows[0][0], bytes(rows[0][1])) if rows else None

    def place_status_state_digests(self, source: str) -> dict[int, str]:
        """revision id → content digest of the states written for a source."""
        return {int(r[0]): r[1] for r in self._query(
            "SELECT t.snapshot_id, t.digest FROM place_status_state t JOIN snapshots s ON "
            "s.id=t.snapshot_id WHERE s.source=?", (source,))}

    def place_status_order(self, places: str) -> bytes | None:
        rows = self._query("SELECT slugs FROM place_status_orders WHERE places=?", (places,))
        return bytes(rows[0][0]) if rows else None

    def put_place_status_order(self, places: str, slugs: bytes) -> None:
        with self.transaction():
            self._execute("DELETE FROM place_status_orders WHERE places=?", (places,))
            self._execute("INSERT INTO place_status_orders (places, slugs) VALUES (?,?)",
                          (places, slugs))

    def put_place_status_states(self, rows: Sequence[tuple[int, str, str, bytes]]) -> None:
        """Write (revision id, places hash, digest, state) rows, replacing."""
        with self.transaction():
            cur = self.conn.cursor()
            cur.executemany(self._sql("DELETE FROM place_status_state WHERE snapshot_id=?"),
                            [(r[0],) for r in rows])
            cur.executemany(self._sql("INSERT INTO place_status_state (snapshot_id, places, "
                                      "digest, state) VALUES (?,?,?,?)"), list(rows))

    def place_status_digests(self) -> dict[str, str]:
        return dict(self._query("SELECT slug, digest FROM place_status_places"))

    def set_place_status_digests(self, digests: dict[str, str]) -> None:
        """Record the digest of every place the table now describes (and only those)."""
        with self.transaction():
            self._execute("DELETE FROM place_status_places")
            self.conn.cursor().executemany(
                self._sql("INSERT INTO place_status_places (slug, digest) VALUES (?,?)"),
                list(digests.items()))

    def drop_place_status(self, slugs: Sequence[str], source: str | None = None) -> None:
        """Forget the rows of some places (of one source, or all)."""
        sql = "DELETE FROM place_status WHERE slug=?"
        if source is not None:
            sql += " AND snapshot_id IN (SELECT id FROM snapshots WHERE source=?)"
        with self.transaction():
            self.conn.cursor().executemany(self._sql(sql), [
                (s,) if source is None else (s, source) for s in slugs])

    def clear_place_status(self, source: str | None = None) -> None:
        self._clear("place_status", source)
        self._clear("place_status_marks", source)
        self._clear("place_status_state", source)
        if source is None:
            self._execute("DELETE FROM place_status_places")

    # --- pairwise comparison stats (analytics.pairs) ---------------------------------------
    def put_compare_stats(self, a_id: int, b_id: int, layer: str,
                          rows: Sequence[tuple[int, float, float, float]]) -> None:
        """Write (region_id, a_km2, b_km2, both_km2) of one pair of revisions, replacing."""
        with self.transaction():
            self._execute("DELETE FROM compare_stats WHERE snapshot_a=? AND snapshot_b=? AND "
                          "layer=?", (a_id, b_id, layer))
            self.conn.cursor().executemany(self._sql(
                "INSERT INTO compare_stats (snapshot_a, snapshot_b, layer, region_id, a_km2, "
                "b_km2, both_km2) VALUES (?,?,?,?,?,?,?)"),
                [(a_id, b_id, layer, *r) for r in rows])

    def compare_stats_rows(self, region_id: int, layer: str, a_source: str, b_source: str
                           ) -> dict[tuple[int, int], tuple[float, float, float]]:
        """(snapshot_a, snapshot_b) → (a_km2, b_km2, both_km2) of one region version."""
        rows = self._query(
            "SELECT c.snapshot_a, c.snapshot_b, c.a_km2, c.b_km2, c.both_km2 FROM "
            "compare_stats c JOIN snapshots sa ON sa.id=c.snapshot_a JOIN snapshots sb ON "
            "sb.id=c.snapshot_b WHERE c.region_id=? AND c.layer=? AND sa.source=? AND "
            "sb.source=?", (region_id, layer, a_source, b_source))
        return {(r[0], r[1]): (float(r[2]), float(r[3]), float(r[4])) for r in rows}

    def compare_stats_regions(self, a_id: int, b_id: int, layer: str) -> set[int]:
        """Region ids one pair of revisions has figures for."""
        return {int(r[0]) for r in self._query(
            "SELECT region_id FROM compare_stats WHERE snapshot_a=? AND snapshot_b=? AND "
            "layer=?", (a_id, b_id, layer))}

    def compare_stats_pairs(self, layer: str) -> list[tuple[int, int]]:
        """Every stored pair of revisions of a layer."""
        return [(int(r[0]), int(r[1])) for r in self._query(
            "SELECT DISTINCT snapshot_a, snapshot_b FROM compare_stats WHERE layer=?",
            (layer,))]

    def clear_compare_stats(self) -> None:
        self._execute("DELETE FROM compare_stats")
