-- The operator queue: open cases (terminal = 0, a small share of all cases) by deadline.
-- Partial indexes hold only open cases, so they stay small however many closed cases
-- pile up; the deadline is indexed as COALESCE(state_due_at, max) so cases without a
-- deadline sort last on both backends and the index can return rows already in order.
-- The region code rides along so a subtree filter is answered from the index alone.
--  * small subtrees (a township, a village): range on the region, sort a few hundred rows;
--  * large subtrees with a state filter: equality on state, then in deadline order;
--  * large subtrees without one: in deadline order.
CREATE INDEX cases_queue_region ON cases(region_code, COALESCE(state_due_at, 9223372036854775807)) WHERE terminal = 0;
CREATE INDEX cases_queue_state ON cases(state, COALESCE(state_due_at, 9223372036854775807), region_code) WHERE terminal = 0;
CREATE INDEX cases_queue_due ON cases(COALESCE(state_due_at, 9223372036854775807), region_code) WHERE terminal = 0;
