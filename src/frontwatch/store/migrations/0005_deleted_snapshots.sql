-- Snapshot revisions removed on purpose (`frontwatch snapshots delete`, `sources remove`):
-- a record of what went, and of the ids it held, which are never handed out again (SQLite
-- would otherwise give the highest deleted id, and its immutable URL, to the next import).
CREATE TABLE IF NOT EXISTS deleted_snapshots (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    valid_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    deleted_at TEXT NOT NULL
);
