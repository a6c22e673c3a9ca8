-- Inputs already imported, by a hash of their bytes and the import options, so that
-- re-importing a folder skips known files without parsing them again.
CREATE TABLE IF NOT EXISTS inputs (
    input_hash TEXT PRIMARY KEY,
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    origin TEXT NOT NULL DEFAULT ''
);
