"""Small read helpers the HTTP layer needs from the store, kept in the domain so that the
API never writes SQL."""

from __future__ import annotations

from frontwatch.store.base import SqlStore

_VERSION_SQL = (
    "SELECT (SELECT max(id) FROM snapshots), (SELECT count(*) FROM snapshots), "
    "(SELECT max(id) FROM regions), (SELECT count(*) FROM regions), "
    "(SELECT max(id) FROM places), (SELECT count(*) FROM places)")


def data_version(store: SqlStore) -> tuple:
    """A token that changes whenever snapshots, regions or places are added or removed
    (rows are never updated in place, so max id and count together see every change).
    Responses built from the store are cached under it; one indexed query, ~20 µs."""
    return tuple(store._query(_VERSION_SQL)[0])
