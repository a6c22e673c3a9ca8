-- What import repaired, dropped or excluded in each stored revision (one row per note, in
-- the order import wrote them), so that `frontwatch check` can list them later.
-- `kind` is the note's first word: repaired, dropped, excluded, skipped, kept.
CREATE TABLE IF NOT EXISTS import_notes (
    id INTEGER PRIMARY KEY,
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    note TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS import_notes_snapshot ON import_notes (snapshot_id);
