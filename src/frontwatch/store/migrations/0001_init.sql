-- Frontwatch schema, version 1. Dialect-neutral: runs on SQLite and PostgreSQL.
-- Times are ISO-8601 UTC text ('YYYY-MM-DDTHH:MM:SSZ'), which sorts chronologically.
-- Geometry is WKB (lon/lat, EPSG:4326).

CREATE TABLE IF NOT EXISTS snapshots (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    valid_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    revision INTEGER NOT NULL,
    n_occupied INTEGER NOT NULL,
    n_contested INTEGER NOT NULL,
    n_liberated INTEGER NOT NULL,
    origin TEXT NOT NULL DEFAULT '',
    illustrative INTEGER NOT NULL DEFAULT 0,
    UNIQUE (source, valid_at, content_hash)
);
CREATE INDEX IF NOT EXISTS snapshots_source_valid ON snapshots (source, valid_at, recorded_at);

CREATE TABLE IF NOT EXISTS zones (
    id INTEGER PRIMARY KEY,
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    kind TEXT NOT NULL,
    since INTEGER,
    label TEXT NOT NULL DEFAULT '',
    geom BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS zones_snapshot ON zones (snapshot_id);

-- Dissolved union of each status per snapshot: what analytics intersect with regions.
CREATE TABLE IF NOT EXISTS snapshot_layers (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    geom BYTEA NOT NULL,
    PRIMARY KEY (snapshot_id, status)
);

CREATE TABLE IF NOT EXISTS regions (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL,
    level TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_uk TEXT NOT NULL,
    code TEXT,
    parent TEXT,
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    area_km2 REAL NOT NULL,
    illustrative INTEGER NOT NULL DEFAULT 0,
    geom BYTEA NOT NULL,
    UNIQUE (slug, valid_from, content_hash)
);
CREATE INDEX IF NOT EXISTS regions_slug ON regions (slug, valid_from);

CREATE TABLE IF NOT EXISTS places (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_uk TEXT NOT NULL,
    kind TEXT NOT NULL,
    population INTEGER,
    region TEXT NOT NULL,
    lon DOUBLE PRECISION NOT NULL,
    lat DOUBLE PRECISION NOT NULL,
    geonameid INTEGER,
    valid_from TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (slug, valid_from)
);
