-- Settlement outlines attached to gazetteer places (`frontwatch places import FILE`): from
-- data the user holds (OpenStreetMap), never bundled. One outline per place slug.
CREATE TABLE IF NOT EXISTS place_polygons (
    slug TEXT PRIMARY KEY,
    katottg TEXT,
    area_km2 REAL NOT NULL,
    origin TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    geom BYTEA NOT NULL
);
