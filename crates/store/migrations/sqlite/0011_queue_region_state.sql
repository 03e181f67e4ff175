-- The small-subtree queue index also carries the state, so a township's or a village's
-- queue filtered by state is answered from the index without reading each open case's
-- row (measured at 1 M cases: a township's page went from 12 ms to a few).
DROP INDEX cases_queue_region;
CREATE INDEX cases_queue_region ON cases(region_code, COALESCE(state_due_at, 9223372036854775807), state) WHERE terminal = 0;
