-- Precomputed area statistics: km² of each region version covered by each status in each
-- snapshot revision, so that area queries and time series never touch geometry.
-- `steps` counts incremental updates since the last full intersection (0 = exact anchor).
CREATE TABLE IF NOT EXISTS region_stats (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    region_id INTEGER NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
    occupied_km2 DOUBLE PRECISION NOT NULL,
    contested_km2 DOUBLE PRECISION NOT NULL,
    steps INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (snapshot_id, region_id)
);
CREATE INDEX IF NOT EXISTS region_stats_region ON region_stats (region_id, snapshot_id);
