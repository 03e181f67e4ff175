-- The leaders' dashboard reads its case figures from the rollups; the two things the
-- rollups cannot answer get an index each, so neither scans all cases:
-- open cases past their deadline in a region subtree (and open cases per grid for the
-- map): one range over the open cases of the subtree;
CREATE INDEX cases_open_region ON cases(terminal, region_code, state_due_at);
-- the year's disputes of a subtree with their outcome (排查数/化解数): one range over the
-- subtree's disputes, narrowed by creation time inside the index.
CREATE INDEX cases_type_region_created ON cases(type, region_code, created_at);
