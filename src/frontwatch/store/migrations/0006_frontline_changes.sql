-- Precomputed at import, like region_stats, so that a front-line series and a change log
-- over the whole history are table reads.
-- Front-line length (geodesic km) of each snapshot revision, for the theatre version it was
-- measured against: a row whose theatre_id is no longer the version in force is stale.
CREATE TABLE IF NOT EXISTS frontline_lengths (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    theatre_id INTEGER NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
    length_km DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (snapshot_id, theatre_id)
);
-- km² of each region version gained and lost by the occupied area and the grey zone from
-- `base_id` (the state in force at the end of the day before) to the snapshot revision: a
-- row whose base is no longer that state (an earlier revision arrived later) is stale.
CREATE TABLE IF NOT EXISTS region_changes (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    region_id INTEGER NOT NULL REFERENCES regions (id) ON DELETE CASCADE,
    base_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    occupied_gained_km2 DOUBLE PRECISION NOT NULL,
    occupied_lost_km2 DOUBLE PRECISION NOT NULL,
    contested_gained_km2 DOUBLE PRECISION NOT NULL,
    contested_lost_km2 DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (snapshot_id, region_id)
);
CREATE INDEX IF NOT EXISTS region_changes_region ON region_changes (region_id, snapshot_id);
