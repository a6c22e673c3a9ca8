-- Where a revision merged by migration 0013 (the same claim as the revision before it) went:
-- its old id then answers with the kept revision's id (an HTTP redirect, a not-found naming
-- it) instead of a bare "not found". NULL: a revision deleted on purpose. A store that ran
-- 0013 before this column existed gets it from the kept revisions' `merged` import notes
-- where they say it unambiguously (one kept revision of that moment, as many notes as ids).
-- readers: not needed (a store without the column has no pointer to give: a plain 404)
-- then: _backfill_merged_into
ALTER TABLE deleted_snapshots ADD COLUMN merged_into INTEGER;
