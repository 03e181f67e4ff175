-- Figures of the statistical nodes above the village (township, county, city, province),
-- kept by trigger next to the village-level tables of 0009, so a county's, a city's or a
-- province's dashboard reads a few hundred rows instead of every village's:
--
-- * case_node_months: the monthly rollup counters per node (from case_rollups_monthly);
-- * case_node_states: current cases per node, type and state (from case_state_counts);
-- * case_node_due_days: open cases per node and the UTC day (state_due_at / 86400000) of
--   their current deadline. "Overdue now" is every bucket before today plus today's
--   cases already past due, which one range of the deadline index (cases_queue_due)
--   answers. Emptied buckets are deleted, so only days that hold open cases remain.
--
-- A node's code is the region code cut to its level and padded with zeros; a row counts
-- at a level only when its region lies at or below that level (the level's own digits are
-- not all zero), as case_category_months does. node_levels holds that rule as data so
-- every trigger is one statement over its four rows.
--
-- Grid and 三长 coverage changes only when a roster does: `stamps.coverage` is bumped by
-- every write that can move it (regions, posts, households), and the server keeps computed
-- coverage until the stamp moves.
--
-- Generated once by a script from one template for both backends; edit both files alike.

CREATE TABLE node_levels (
    level     TEXT PRIMARY KEY,
    len       INTEGER NOT NULL,
    seg_start INTEGER NOT NULL,
    zeros     TEXT NOT NULL,
    pad       TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO node_levels (level, len, seg_start, zeros, pad) VALUES
    ('township', 9, 7, '000', '000'),
    ('county', 6, 5, '00', '000000'),
    ('city', 4, 3, '00', '00000000'),
    ('province', 2, 1, '00', '0000000000');

CREATE TABLE case_node_months (
    level             TEXT NOT NULL,
    node              TEXT NOT NULL,
    month             TEXT NOT NULL,
    created           INTEGER NOT NULL DEFAULT 0,
    dispatched        INTEGER NOT NULL DEFAULT 0,
    responded_on_time INTEGER NOT NULL DEFAULT 0,
    closed            INTEGER NOT NULL DEFAULT 0,
    closed_on_time    INTEGER NOT NULL DEFAULT 0,
    handling_ms       INTEGER NOT NULL DEFAULT 0,
    rated             INTEGER NOT NULL DEFAULT 0,
    satisfied         INTEGER NOT NULL DEFAULT 0,
    basic_satisfied   INTEGER NOT NULL DEFAULT 0,
    unsatisfied       INTEGER NOT NULL DEFAULT 0,
    solved            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (level, node, month)
) WITHOUT ROWID;

CREATE TABLE case_node_states (
    level TEXT NOT NULL,
    node  TEXT NOT NULL,
    type  TEXT NOT NULL,
    state TEXT NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (level, node, type, state)
) WITHOUT ROWID;

CREATE TABLE case_node_due_days (
    level TEXT NOT NULL,
    node  TEXT NOT NULL,
    day   INTEGER NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (level, node, day)
) WITHOUT ROWID;

CREATE TABLE stamps (
    name TEXT PRIMARY KEY,
    n    INTEGER NOT NULL
);
INSERT INTO stamps (name, n) VALUES ('coverage', 0);

-- Children at one level of a subtree (the dashboard's drill-down) without walking every
-- grid and 邻 of it.
CREATE INDEX regions_level ON regions(level, code);

INSERT INTO case_node_months (level, node, month, created, dispatched, responded_on_time, closed, closed_on_time, handling_ms, rated, satisfied, basic_satisfied, unsatisfied, solved)
SELECT l.level, SUBSTR(m.region_code, 1, l.len) || l.pad, m.month, SUM(m.created), SUM(m.dispatched), SUM(m.responded_on_time), SUM(m.closed), SUM(m.closed_on_time), SUM(m.handling_ms), SUM(m.rated), SUM(m.satisfied), SUM(m.basic_satisfied), SUM(m.unsatisfied), SUM(m.solved)
FROM case_rollups_monthly m JOIN node_levels l ON SUBSTR(m.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros
GROUP BY l.level, SUBSTR(m.region_code, 1, l.len) || l.pad, m.month;

INSERT INTO case_node_states (level, node, type, state, n)
SELECT l.level, SUBSTR(s.region_code, 1, l.len) || l.pad, s.type, s.state, SUM(s.n)
FROM case_state_counts s JOIN node_levels l ON SUBSTR(s.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros
GROUP BY l.level, SUBSTR(s.region_code, 1, l.len) || l.pad, s.type, s.state HAVING SUM(s.n) <> 0;

INSERT INTO case_node_due_days (level, node, day, n)
SELECT l.level, SUBSTR(c.region_code, 1, l.len) || l.pad, c.state_due_at / 86400000, COUNT(*)
FROM cases c JOIN node_levels l ON SUBSTR(c.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros
WHERE c.terminal = 0 AND c.state_due_at IS NOT NULL
GROUP BY l.level, SUBSTR(c.region_code, 1, l.len) || l.pad, c.state_due_at / 86400000;

CREATE TRIGGER case_node_months_insert AFTER INSERT ON case_rollups_monthly BEGIN
    INSERT INTO case_node_months (level, node, month, created, dispatched, responded_on_time, closed, closed_on_time, handling_ms, rated, satisfied, basic_satisfied, unsatisfied, solved)
    SELECT l.level, SUBSTR(NEW.region_code, 1, l.len) || l.pad, NEW.month, NEW.created, NEW.dispatched, NEW.responded_on_time, NEW.closed, NEW.closed_on_time, NEW.handling_ms, NEW.rated, NEW.satisfied, NEW.basic_satisfied, NEW.unsatisfied, NEW.solved FROM node_levels l WHERE SUBSTR(NEW.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros
    ON CONFLICT (level, node, month) DO UPDATE SET
        created = case_node_months.created + excluded.created,
        dispatched = case_node_months.dispatched + excluded.dispatched,
        responded_on_time = case_node_months.responded_on_time + excluded.responded_on_time,
        closed = case_node_months.closed + excluded.closed,
        closed_on_time = case_node_months.closed_on_time + excluded.closed_on_time,
        handling_ms = case_node_months.handling_ms + excluded.handling_ms,
        rated = case_node_months.rated + excluded.rated,
        satisfied = case_node_months.satisfied + excluded.satisfied,
        basic_satisfied = case_node_months.basic_satisfied + excluded.basic_satisfied,
        unsatisfied = case_node_months.unsatisfied + excluded.unsatisfied,
        solved = case_node_months.solved + excluded.solved;
END;

CREATE TRIGGER case_node_months_update AFTER UPDATE ON case_rollups_monthly BEGIN
    INSERT INTO case_node_months (level, node, month, created, dispatched, responded_on_time, closed, closed_on_time, handling_ms, rated, satisfied, basic_satisfied, unsatisfied, solved)
    SELECT l.level, SUBSTR(NEW.region_code, 1, l.len) || l.pad, NEW.month, NEW.created - OLD.created, NEW.dispatched - OLD.dispatched, NEW.responded_on_time - OLD.responded_on_time, NEW.closed - OLD.closed, NEW.closed_on_time - OLD.closed_on_time, NEW.handling_ms - OLD.handling_ms, NEW.rated - OLD.rated, NEW.satisfied - OLD.satisfied, NEW.basic_satisfied - OLD.basic_satisfied, NEW.unsatisfied - OLD.unsatisfied, NEW.solved - OLD.solved FROM node_levels l WHERE SUBSTR(NEW.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros
    ON CONFLICT (level, node, month) DO UPDATE SET
        created = case_node_months.created + excluded.created,
        dispatched = case_node_months.dispatched + excluded.dispatched,
        responded_on_time = case_node_months.responded_on_time + excluded.responded_on_time,
        closed = case_node_months.closed + excluded.closed,
        closed_on_time = case_node_months.closed_on_time + excluded.closed_on_time,
        handling_ms = case_node_months.handling_ms + excluded.handling_ms,
        rated = case_node_months.rated + excluded.rated,
        satisfied = case_node_months.satisfied + excluded.satisfied,
        basic_satisfied = case_node_months.basic_satisfied + excluded.basic_satisfied,
        unsatisfied = case_node_months.unsatisfied + excluded.unsatisfied,
        solved = case_node_months.solved + excluded.solved;
END;

CREATE TRIGGER case_node_months_delete AFTER DELETE ON case_rollups_monthly BEGIN
    INSERT INTO case_node_months (level, node, month, created, dispatched, responded_on_time, closed, closed_on_time, handling_ms, rated, satisfied, basic_satisfied, unsatisfied, solved)
    SELECT l.level, SUBSTR(OLD.region_code, 1, l.len) || l.pad, OLD.month, -OLD.created, -OLD.dispatched, -OLD.responded_on_time, -OLD.closed, -OLD.closed_on_time, -OLD.handling_ms, -OLD.rated, -OLD.satisfied, -OLD.basic_satisfied, -OLD.unsatisfied, -OLD.solved FROM node_levels l WHERE SUBSTR(OLD.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros
    ON CONFLICT (level, node, month) DO UPDATE SET
        created = case_node_months.created + excluded.created,
        dispatched = case_node_months.dispatched + excluded.dispatched,
        responded_on_time = case_node_months.responded_on_time + excluded.responded_on_time,
        closed = case_node_months.closed + excluded.closed,
        closed_on_time = case_node_months.closed_on_time + excluded.closed_on_time,
        handling_ms = case_node_months.handling_ms + excluded.handling_ms,
        rated = case_node_months.rated + excluded.rated,
        satisfied = case_node_months.satisfied + excluded.satisfied,
        basic_satisfied = case_node_months.basic_satisfied + excluded.basic_satisfied,
        unsatisfied = case_node_months.unsatisfied + excluded.unsatisfied,
        solved = case_node_months.solved + excluded.solved;
END;

CREATE TRIGGER case_node_states_insert AFTER INSERT ON case_state_counts BEGIN
    INSERT INTO case_node_states (level, node, type, state, n)
    SELECT l.level, SUBSTR(NEW.region_code, 1, l.len) || l.pad, NEW.type, NEW.state, NEW.n FROM node_levels l WHERE SUBSTR(NEW.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros AND NEW.n <> 0
    ON CONFLICT (level, node, type, state) DO UPDATE SET n = case_node_states.n + excluded.n;
END;

CREATE TRIGGER case_node_states_update AFTER UPDATE ON case_state_counts BEGIN
    INSERT INTO case_node_states (level, node, type, state, n)
    SELECT l.level, SUBSTR(NEW.region_code, 1, l.len) || l.pad, NEW.type, NEW.state, NEW.n - OLD.n FROM node_levels l WHERE SUBSTR(NEW.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros AND NEW.n - OLD.n <> 0
    ON CONFLICT (level, node, type, state) DO UPDATE SET n = case_node_states.n + excluded.n;
END;

CREATE TRIGGER case_node_states_delete AFTER DELETE ON case_state_counts BEGIN
    INSERT INTO case_node_states (level, node, type, state, n)
    SELECT l.level, SUBSTR(OLD.region_code, 1, l.len) || l.pad, OLD.type, OLD.state, -OLD.n FROM node_levels l WHERE SUBSTR(OLD.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros AND -OLD.n <> 0
    ON CONFLICT (level, node, type, state) DO UPDATE SET n = case_node_states.n + excluded.n;
END;

CREATE TRIGGER cases_due_days_insert AFTER INSERT ON cases WHEN NEW.terminal = 0 AND NEW.state_due_at IS NOT NULL BEGIN
    INSERT INTO case_node_due_days (level, node, day, n)
    SELECT l.level, SUBSTR(NEW.region_code, 1, l.len) || l.pad, NEW.state_due_at / 86400000, 1 FROM node_levels l
    WHERE SUBSTR(NEW.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros AND NEW.terminal = 0 AND NEW.state_due_at IS NOT NULL
    ON CONFLICT (level, node, day) DO UPDATE SET n = case_node_due_days.n + excluded.n;
END;

CREATE TRIGGER cases_due_days_update AFTER UPDATE OF terminal, state_due_at, region_code ON cases
WHEN OLD.terminal IS NOT NEW.terminal OR OLD.state_due_at IS NOT NEW.state_due_at OR OLD.region_code IS NOT NEW.region_code BEGIN
    INSERT INTO case_node_due_days (level, node, day, n)
    SELECT l.level, SUBSTR(OLD.region_code, 1, l.len) || l.pad, OLD.state_due_at / 86400000, -1 FROM node_levels l
    WHERE SUBSTR(OLD.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros AND OLD.terminal = 0 AND OLD.state_due_at IS NOT NULL
    ON CONFLICT (level, node, day) DO UPDATE SET n = case_node_due_days.n + excluded.n;
    DELETE FROM case_node_due_days WHERE n = 0 AND day = OLD.state_due_at / 86400000
    AND (level, node) IN (SELECT l.level, SUBSTR(OLD.region_code, 1, l.len) || l.pad FROM node_levels l);
    INSERT INTO case_node_due_days (level, node, day, n)
    SELECT l.level, SUBSTR(NEW.region_code, 1, l.len) || l.pad, NEW.state_due_at / 86400000, 1 FROM node_levels l
    WHERE SUBSTR(NEW.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros AND NEW.terminal = 0 AND NEW.state_due_at IS NOT NULL
    ON CONFLICT (level, node, day) DO UPDATE SET n = case_node_due_days.n + excluded.n;
END;

CREATE TRIGGER cases_due_days_delete AFTER DELETE ON cases WHEN OLD.terminal = 0 AND OLD.state_due_at IS NOT NULL BEGIN
    INSERT INTO case_node_due_days (level, node, day, n)
    SELECT l.level, SUBSTR(OLD.region_code, 1, l.len) || l.pad, OLD.state_due_at / 86400000, -1 FROM node_levels l
    WHERE SUBSTR(OLD.region_code, l.seg_start, l.len - l.seg_start + 1) <> l.zeros AND OLD.terminal = 0 AND OLD.state_due_at IS NOT NULL
    ON CONFLICT (level, node, day) DO UPDATE SET n = case_node_due_days.n + excluded.n;
    DELETE FROM case_node_due_days WHERE n = 0 AND day = OLD.state_due_at / 86400000
    AND (level, node) IN (SELECT l.level, SUBSTR(OLD.region_code, 1, l.len) || l.pad FROM node_levels l);
END;

CREATE TRIGGER coverage_stamp_regions_insert AFTER INSERT ON regions BEGIN UPDATE stamps SET n = n + 1 WHERE name = 'coverage'; END;
CREATE TRIGGER coverage_stamp_regions_update AFTER UPDATE OF level, parent_code ON regions BEGIN UPDATE stamps SET n = n + 1 WHERE name = 'coverage'; END;
CREATE TRIGGER coverage_stamp_regions_delete AFTER DELETE ON regions BEGIN UPDATE stamps SET n = n + 1 WHERE name = 'coverage'; END;
CREATE TRIGGER coverage_stamp_posts_insert AFTER INSERT ON posts BEGIN UPDATE stamps SET n = n + 1 WHERE name = 'coverage'; END;
CREATE TRIGGER coverage_stamp_posts_update AFTER UPDATE OF region_code, post, employment ON posts BEGIN UPDATE stamps SET n = n + 1 WHERE name = 'coverage'; END;
CREATE TRIGGER coverage_stamp_posts_delete AFTER DELETE ON posts BEGIN UPDATE stamps SET n = n + 1 WHERE name = 'coverage'; END;
CREATE TRIGGER coverage_stamp_households_insert AFTER INSERT ON households BEGIN UPDATE stamps SET n = n + 1 WHERE name = 'coverage'; END;
CREATE TRIGGER coverage_stamp_households_update AFTER UPDATE OF region_code ON households BEGIN UPDATE stamps SET n = n + 1 WHERE name = 'coverage'; END;
CREATE TRIGGER coverage_stamp_households_delete AFTER DELETE ON households BEGIN UPDATE stamps SET n = n + 1 WHERE name = 'coverage'; END;
