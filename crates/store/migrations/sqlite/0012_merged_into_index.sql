-- A case's page lists the cases merged into it. Without an index that was a scan of
-- every case (15 s at ten million); merged cases are few, so the index is partial.
CREATE INDEX cases_merged_into ON cases(merged_into) WHERE merged_into IS NOT NULL;
