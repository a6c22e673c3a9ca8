-- Status of every gazetteer place on every revision (issue 12), precomputed at import and
-- stored as changes: a revision has a row for each place whose status differs from the
-- revision before it (the `base`; a source's first revision: a row for every place).
-- Status on a day is a place's latest row; "which changed" is a range read.
CREATE TABLE IF NOT EXISTS place_status (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    from_status TEXT,
    status TEXT NOT NULL,
    occupied_share DOUBLE PRECISION,
    contested_share DOUBLE PRECISION,
    distance_km DOUBLE PRECISION,
    PRIMARY KEY (snapshot_id, slug)
);
CREATE INDEX IF NOT EXISTS place_status_slug ON place_status (slug, snapshot_id);
-- Which revision each revision's rows were computed against: a revision whose base is no
-- longer the revision before it (one arrived out of order, or its base was deleted) is stale.
CREATE TABLE IF NOT EXISTS place_status_marks (
    snapshot_id INTEGER PRIMARY KEY REFERENCES snapshots (id) ON DELETE CASCADE,
    base_id INTEGER REFERENCES snapshots (id) ON DELETE CASCADE
);
-- The point and outline each place's rows were computed from (a digest): a place whose
-- digest differs (outlines imported, gazetteer updated) is recomputed over every revision.
CREATE TABLE IF NOT EXISTS place_status_places (
    slug TEXT PRIMARY KEY,
    digest TEXT NOT NULL
);
