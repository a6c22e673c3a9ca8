-- Every place's status on each revision, whole (issue 12): written at import from the
-- change rows of `place_status`, so "every settlement's status on D" is one row read, not a
-- replay of every change up to D. `state` is zlib-compressed: one status code (uint8) per
-- place in the gazetteer's order, then the revision id (uint32) of each place's latest
-- change row; `places` hashes that order (a state of another gazetteer is not used) and
-- `digest` the content (a state is rewritten only when it changed).
CREATE TABLE IF NOT EXISTS place_status_state (
    snapshot_id INTEGER PRIMARY KEY REFERENCES snapshots (id) ON DELETE CASCADE,
    places TEXT NOT NULL,
    digest TEXT NOT NULL,
    state BLOB NOT NULL
);
-- The gazetteer orders the states are written in (hash → zlib-compressed slugs, one a
-- line), so a reader decodes a state without reading the gazetteer.
CREATE TABLE IF NOT EXISTS place_status_orders (
    places TEXT PRIMARY KEY,
    slugs BLOB NOT NULL
);
