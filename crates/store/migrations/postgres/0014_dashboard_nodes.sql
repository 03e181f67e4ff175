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
);
INSERT INTO node_levels (level, len, seg_start, zeros, pad) VALUES
    ('township', 9, 7, '000', '000'),
    ('county', 6, 5, '00', '000000'),
    ('city', 4, 3, '00', '00000000'),
    ('province', 2, 1, '00', '0000000000');

CREATE TABLE case_node_months (
    level             TEXT NOT NULL,
    node              TEXT COLLATE "C" NOT NULL,
    month             TEXT NOT NULL,
    created           BIGINT NOT NULL DEFAULT 0,
    dispatched        BIGINT NOT NULL DEFAULT 0,
    responded_on_time BIGINT NOT NULL DEFAULT 0,
    closed            BIGINT NOT NULL DEFAULT 0,
    closed_on_time    BIGINT NOT NULL DEFAULT 0,
    handling_ms       BIGINT NOT NULL DEFAULT 0,
    rated             BIGINT NOT NULL DEFAULT 0,
    satisfied         BIGINT NOT NULL DEFAULT 0,
    basic_satisfied   BIGINT NOT NULL DEFAULT 0,
    unsatisfied       BIGINT NOT NULL DEFAULT 0,
    solved            BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (level, node, month)
);

CREATE TABLE case_node_states (
    level TEXT NOT NULL,
    node  TEXT COLLATE "C" NOT NULL,
    type  TEXT NOT NULL,
    state TEXT NOT NULL,
    n     BIGINT NOT NULL,
    PRIMARY KEY (level, node, type, state)
);

CREATE TABLE case_node_due_days (
    level TEXT NOT NULL,
    node  TEXT COLLATE "C" NOT NULL,
    day   BIGINT NOT NULL,
    n     BIGINT NOT NULL,
    PRIMARY KEY (level, node, day)
);

CREATE TABLE stamps (
    name TEXT PRIMARY KEY,
    n    BIGINT NOT NULL
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

-- Adds signed counters of one village-month row to its nodes.
CREATE FUNCTION case_node_months_apply(r TEXT, m TEXT, d_created BIGINT, d_dispatched BIGINT, d_responded_on_time BIGINT, d_closed BIGINT, d_closed_on_time BIGINT, d_handling_ms BIGINT, d_rated BIGINT, d_satisfied BIGINT, d_basic_satisfied BIGINT, d_unsatisfied BIGINT, d_solved BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_node_months AS t (level, node, month, created, dispatched, responded_on_time, closed, closed_on_time, handling_ms, rated, satisfied, basic_satisfied, unsatisfied, solved)
    SELECT l.level, SUBSTR(r, 1, l.len) || l.pad, m, d_created, d_dispatched, d_responded_on_time, d_closed, d_closed_on_time, d_handling_ms, d_rated, d_satisfied, d_basic_satisfied, d_unsatisfied, d_solved FROM node_levels l WHERE SUBSTR(r, l.seg_start, l.len - l.seg_start + 1) <> l.zeros
    ON CONFLICT (level, node, month) DO UPDATE SET
        created = t.created + excluded.created,
        dispatched = t.dispatched + excluded.dispatched,
        responded_on_time = t.responded_on_time + excluded.responded_on_time,
        closed = t.closed + excluded.closed,
        closed_on_time = t.closed_on_time + excluded.closed_on_time,
        handling_ms = t.handling_ms + excluded.handling_ms,
        rated = t.rated + excluded.rated,
        satisfied = t.satisfied + excluded.satisfied,
        basic_satisfied = t.basic_satisfied + excluded.basic_satisfied,
        unsatisfied = t.unsatisfied + excluded.unsatisfied,
        solved = t.solved + excluded.solved;
END;
$$;

CREATE FUNCTION case_node_months_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM case_node_months_apply(NEW.region_code, NEW.month, NEW.created, NEW.dispatched, NEW.responded_on_time, NEW.closed, NEW.closed_on_time, NEW.handling_ms, NEW.rated, NEW.satisfied, NEW.basic_satisfied, NEW.unsatisfied, NEW.solved);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM case_node_months_apply(NEW.region_code, NEW.month, NEW.created - OLD.created, NEW.dispatched - OLD.dispatched, NEW.responded_on_time - OLD.responded_on_time, NEW.closed - OLD.closed, NEW.closed_on_time - OLD.closed_on_time, NEW.handling_ms - OLD.handling_ms, NEW.rated - OLD.rated, NEW.satisfied - OLD.satisfied, NEW.basic_satisfied - OLD.basic_satisfied, NEW.unsatisfied - OLD.unsatisfied, NEW.solved - OLD.solved);
    ELSE
        PERFORM case_node_months_apply(OLD.region_code, OLD.month, -OLD.created, -OLD.dispatched, -OLD.responded_on_time, -OLD.closed, -OLD.closed_on_time, -OLD.handling_ms, -OLD.rated, -OLD.satisfied, -OLD.basic_satisfied, -OLD.unsatisfied, -OLD.solved);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER case_node_months_derive AFTER INSERT OR UPDATE OR DELETE ON case_rollups_monthly
    FOR EACH ROW EXECUTE FUNCTION case_node_months_derive();

CREATE FUNCTION case_node_states_apply(r TEXT, ty TEXT, st TEXT, d BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF d <> 0 THEN
        INSERT INTO case_node_states AS t (level, node, type, state, n)
        SELECT l.level, SUBSTR(r, 1, l.len) || l.pad, ty, st, d FROM node_levels l WHERE SUBSTR(r, l.seg_start, l.len - l.seg_start + 1) <> l.zeros
        ON CONFLICT (level, node, type, state) DO UPDATE SET n = t.n + excluded.n;
    END IF;
END;
$$;

CREATE FUNCTION case_node_states_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM case_node_states_apply(NEW.region_code, NEW.type, NEW.state, NEW.n);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM case_node_states_apply(NEW.region_code, NEW.type, NEW.state, NEW.n - OLD.n);
    ELSE
        PERFORM case_node_states_apply(OLD.region_code, OLD.type, OLD.state, -OLD.n);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER case_node_states_derive AFTER INSERT OR UPDATE OR DELETE ON case_state_counts
    FOR EACH ROW EXECUTE FUNCTION case_node_states_derive();

-- Moves one open case in or out of its deadline's day bucket at every node above it.
CREATE FUNCTION case_due_days_apply(r TEXT, due BIGINT, d BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF due IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO case_node_due_days AS t (level, node, day, n)
    SELECT l.level, SUBSTR(r, 1, l.len) || l.pad, due / 86400000, d FROM node_levels l WHERE SUBSTR(r, l.seg_start, l.len - l.seg_start + 1) <> l.zeros
    ON CONFLICT (level, node, day) DO UPDATE SET n = t.n + excluded.n;
    IF d < 0 THEN
        DELETE FROM case_node_due_days WHERE n = 0 AND day = due / 86400000
        AND (level, node) IN (SELECT l.level, SUBSTR(r, 1, l.len) || l.pad FROM node_levels l);
    END IF;
END;
$$;

-- Deferred to commit, after the group commit's summed rollups (case_stats::Tally), and
-- under the rollups advisory lock: every new case moves the bucket of its province, city
-- and county, rows that concurrent servers would otherwise hold from a batch's first case
-- to its commit. A batch holds that lock exclusively by then, so batches take turns here;
-- other write transactions hold it shared from their start (Store::begin), which this
-- repeats for writers that did not.
CREATE FUNCTION cases_due_days_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.terminal IS NOT DISTINCT FROM NEW.terminal
        AND OLD.state_due_at IS NOT DISTINCT FROM NEW.state_due_at
        AND OLD.region_code IS NOT DISTINCT FROM NEW.region_code THEN
        RETURN NULL;
    END IF;
    IF (TG_OP <> 'INSERT' AND OLD.terminal = 0 AND OLD.state_due_at IS NOT NULL)
        OR (TG_OP <> 'DELETE' AND NEW.terminal = 0 AND NEW.state_due_at IS NOT NULL) THEN
        PERFORM pg_advisory_xact_lock_shared(hashtext(current_schema() || '.wangge.rollups'));
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.terminal = 0 THEN
        PERFORM case_due_days_apply(OLD.region_code, OLD.state_due_at, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.terminal = 0 THEN
        PERFORM case_due_days_apply(NEW.region_code, NEW.state_due_at, 1);
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER cases_due_days_derive AFTER INSERT OR DELETE OR UPDATE OF terminal, state_due_at, region_code ON cases
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cases_due_days_derive();

CREATE FUNCTION coverage_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE stamps SET n = n + 1 WHERE name = 'coverage';
    RETURN NULL;
END;
$$;

CREATE TRIGGER coverage_stamp_regions AFTER INSERT OR DELETE OR UPDATE OF level, parent_code ON regions
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_stamp_bump();
CREATE TRIGGER coverage_stamp_posts AFTER INSERT OR DELETE OR UPDATE OF region_code, post, employment ON posts
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_stamp_bump();
CREATE TRIGGER coverage_stamp_households AFTER INSERT OR DELETE OR UPDATE OF region_code ON households
    FOR EACH STATEMENT EXECUTE FUNCTION coverage_stamp_bump();
