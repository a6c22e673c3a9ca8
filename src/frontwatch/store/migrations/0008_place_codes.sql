-- The gazetteer of every settlement (issue 12): a place's KATOTTG code, the Ukrainian names of
-- its raion and hromada, and its other spellings ("|"-separated) for tolerant search.
ALTER TABLE places ADD COLUMN katottg TEXT;
ALTER TABLE places ADD COLUMN raion TEXT;
ALTER TABLE places ADD COLUMN hromada TEXT;
ALTER TABLE places ADD COLUMN alt_names TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS places_katottg ON places (katottg);
