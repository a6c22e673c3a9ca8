-- Bounding boxes (lon/lat) of zones and regions, so a bbox query pre-filters in SQL instead of
-- decoding every geometry. NULL means "not computed" (rows written by an older version): a
-- query treats such a row as a candidate. Existing rows are filled in right after this script.
-- then: _backfill_bounds
ALTER TABLE zones ADD COLUMN minx REAL;
ALTER TABLE zones ADD COLUMN miny REAL;
ALTER TABLE zones ADD COLUMN maxx REAL;
ALTER TABLE zones ADD COLUMN maxy REAL;
ALTER TABLE regions ADD COLUMN minx REAL;
ALTER TABLE regions ADD COLUMN miny REAL;
ALTER TABLE regions ADD COLUMN maxx REAL;
ALTER TABLE regions ADD COLUMN maxy REAL;
