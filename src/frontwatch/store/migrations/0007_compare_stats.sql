-- Precomputed pairwise comparison of two sources (frontwatch.analytics.pairs): for each pair
-- of revisions in force together (snapshot_a of the source first in name order), each
-- comparison layer and each region version, the km² each calls occupied and both do.
-- One pair per moment either source gets a new revision, so a series reads rows only.
CREATE TABLE IF NOT EXISTS compare_stats (
    snapshot_a INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    snapshot_b INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    layer TEXT NOT NULL,
    region_id INTEGER NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
    a_km2 DOUBLE PRECISION NOT NULL,
    b_km2 DOUBLE PRECISION NOT NULL,
    both_km2 DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (snapshot_a, snapshot_b, layer, region_id)
);
CREATE INDEX IF NOT EXISTS compare_stats_region ON compare_stats (region_id, layer);
