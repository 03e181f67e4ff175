-- The leaders' dashboard reads small tables kept by triggers, so every writer — the case
-- engine's `case_stats::bump`, the dispute endpoints, `wangge gen`'s bulk load — keeps
-- them without knowing, in the same transaction, and a county's figures cost the same
-- at ten thousand cases as at ten million. Two are coarser views of `case_rollups`:
--
-- * case_rollups_monthly: the counters per rollup region (village) and month, without
--   category and source, so a county's year is villages × 12 rows;
-- * case_category_months: cases raised per statistical node (village, township, county,
--   city, province — each rollup row counts once at every level above it) and month and
--   category, so "this year's top categories" of any region is at most 12 × categories
--   rows of one key;
--
-- and one counts the dispute files:
--
-- * dispute_months: disputes per rollup region and month raised, with their outcomes
--   (排查数 = files, 化解数 = outcome success, 调解不成 = outcome failure).
--
-- And an index on cases for what the rollups cannot answer: open cases past their
-- deadline in a region subtree (and open cases per grid for the map).

CREATE TABLE case_rollups_monthly (
    region_code       TEXT COLLATE "C" NOT NULL,
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
    PRIMARY KEY (region_code, month)
);

CREATE TABLE case_category_months (
    node     TEXT COLLATE "C" NOT NULL,
    month    TEXT NOT NULL,
    category TEXT NOT NULL,
    created  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (node, month, category)
);

INSERT INTO case_rollups_monthly (region_code, month, created, dispatched, responded_on_time, closed, closed_on_time, handling_ms, rated, satisfied, basic_satisfied, unsatisfied, solved)
SELECT region_code, month, SUM(created), SUM(dispatched), SUM(responded_on_time), SUM(closed), SUM(closed_on_time), SUM(handling_ms), SUM(rated), SUM(satisfied), SUM(basic_satisfied), SUM(unsatisfied), SUM(solved)
FROM case_rollups GROUP BY region_code, month;

INSERT INTO case_category_months (node, month, category, created)
SELECT node, month, category, SUM(created) FROM (
    SELECT region_code AS node, month, category, created FROM case_rollups WHERE SUBSTR(region_code, 10, 3) <> '000'
    UNION ALL
    SELECT SUBSTR(region_code, 1, 9) || '000' AS node, month, category, created FROM case_rollups WHERE SUBSTR(region_code, 7, 3) <> '000'
    UNION ALL
    SELECT SUBSTR(region_code, 1, 6) || '000000' AS node, month, category, created FROM case_rollups WHERE SUBSTR(region_code, 5, 2) <> '00'
    UNION ALL
    SELECT SUBSTR(region_code, 1, 4) || '00000000' AS node, month, category, created FROM case_rollups WHERE SUBSTR(region_code, 3, 2) <> '00'
    UNION ALL
    SELECT SUBSTR(region_code, 1, 2) || '0000000000' AS node, month, category, created FROM case_rollups WHERE 1 = 1
) AS levels GROUP BY node, month, category HAVING SUM(created) <> 0;

-- Adds signed counters of one rollup row to both views.
CREATE FUNCTION case_rollups_apply(r TEXT, m TEXT, cat TEXT, d_created BIGINT, d_dispatched BIGINT, d_responded_on_time BIGINT, d_closed BIGINT, d_closed_on_time BIGINT, d_handling_ms BIGINT, d_rated BIGINT, d_satisfied BIGINT, d_basic_satisfied BIGINT, d_unsatisfied BIGINT, d_solved BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO case_rollups_monthly AS t (region_code, month, created, dispatched, responded_on_time, closed, closed_on_time, handling_ms, rated, satisfied, basic_satisfied, unsatisfied, solved)
    VALUES (r, m, d_created, d_dispatched, d_responded_on_time, d_closed, d_closed_on_time, d_handling_ms, d_rated, d_satisfied, d_basic_satisfied, d_unsatisfied, d_solved)
    ON CONFLICT (region_code, month) DO UPDATE SET
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
    IF d_created <> 0 THEN
        INSERT INTO case_category_months AS t (node, month, category, created)
        SELECT node, m, cat, d_created FROM (VALUES
            (r, SUBSTR(r, 10, 3) <> '000'),
            (SUBSTR(r, 1, 9) || '000', SUBSTR(r, 7, 3) <> '000'),
            (SUBSTR(r, 1, 6) || '000000', SUBSTR(r, 5, 2) <> '00'),
            (SUBSTR(r, 1, 4) || '00000000', SUBSTR(r, 3, 2) <> '00'),
            (SUBSTR(r, 1, 2) || '0000000000', 1 = 1)
        ) AS levels (node, counts) WHERE counts
        ON CONFLICT (node, month, category) DO UPDATE SET created = t.created + excluded.created;
    END IF;
END;
$$;

CREATE FUNCTION case_rollups_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM case_rollups_apply(NEW.region_code, NEW.month, NEW.category, NEW.created, NEW.dispatched, NEW.responded_on_time, NEW.closed, NEW.closed_on_time, NEW.handling_ms, NEW.rated, NEW.satisfied, NEW.basic_satisfied, NEW.unsatisfied, NEW.solved);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM case_rollups_apply(NEW.region_code, NEW.month, NEW.category, NEW.created - OLD.created, NEW.dispatched - OLD.dispatched, NEW.responded_on_time - OLD.responded_on_time, NEW.closed - OLD.closed, NEW.closed_on_time - OLD.closed_on_time, NEW.handling_ms - OLD.handling_ms, NEW.rated - OLD.rated, NEW.satisfied - OLD.satisfied, NEW.basic_satisfied - OLD.basic_satisfied, NEW.unsatisfied - OLD.unsatisfied, NEW.solved - OLD.solved);
    ELSE
        PERFORM case_rollups_apply(OLD.region_code, OLD.month, OLD.category, -OLD.created, -OLD.dispatched, -OLD.responded_on_time, -OLD.closed, -OLD.closed_on_time, -OLD.handling_ms, -OLD.rated, -OLD.satisfied, -OLD.basic_satisfied, -OLD.unsatisfied, -OLD.solved);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER case_rollups_derive AFTER INSERT OR UPDATE OR DELETE ON case_rollups
    FOR EACH ROW EXECUTE FUNCTION case_rollups_derive();

CREATE INDEX cases_open_region ON cases(terminal, region_code, state_due_at);

CREATE TABLE dispute_months (
    region_code          TEXT COLLATE "C" NOT NULL,
    month                TEXT NOT NULL,
    screened             BIGINT NOT NULL DEFAULT 0,
    resolved             BIGINT NOT NULL DEFAULT 0,
    failed               BIGINT NOT NULL DEFAULT 0,
    civil_to_criminal    BIGINT NOT NULL DEFAULT 0,
    criminal_to_homicide BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (region_code, month)
);

INSERT INTO dispute_months (region_code, month, screened, resolved, failed, civil_to_criminal, criminal_to_homicide)
SELECT c.rollup_region, c.month, COUNT(*), SUM(CASE WHEN d.outcome = 'success' THEN 1 ELSE 0 END), SUM(CASE WHEN d.outcome = 'failure' THEN 1 ELSE 0 END), SUM(d.civil_to_criminal), SUM(d.criminal_to_homicide)
FROM dispute_details d JOIN cases c ON c.id = d.case_id GROUP BY c.rollup_region, c.month;

CREATE FUNCTION dispute_months_apply(cid BIGINT, d_screened BIGINT, d_resolved BIGINT, d_failed BIGINT, d_civil_to_criminal BIGINT, d_criminal_to_homicide BIGINT)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO dispute_months AS t (region_code, month, screened, resolved, failed, civil_to_criminal, criminal_to_homicide)
    SELECT c.rollup_region, c.month, d_screened, d_resolved, d_failed, d_civil_to_criminal, d_criminal_to_homicide FROM cases c WHERE c.id = cid
    ON CONFLICT (region_code, month) DO UPDATE SET
        screened = t.screened + excluded.screened,
        resolved = t.resolved + excluded.resolved,
        failed = t.failed + excluded.failed,
        civil_to_criminal = t.civil_to_criminal + excluded.civil_to_criminal,
        criminal_to_homicide = t.criminal_to_homicide + excluded.criminal_to_homicide;
END;
$$;

CREATE FUNCTION dispute_months_derive() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM dispute_months_apply(NEW.case_id, 1, CASE WHEN NEW.outcome = 'success' THEN 1 ELSE 0 END, CASE WHEN NEW.outcome = 'failure' THEN 1 ELSE 0 END, NEW.civil_to_criminal, NEW.criminal_to_homicide);
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM dispute_months_apply(NEW.case_id, 0, (CASE WHEN NEW.outcome = 'success' THEN 1 ELSE 0 END) - (CASE WHEN OLD.outcome = 'success' THEN 1 ELSE 0 END), (CASE WHEN NEW.outcome = 'failure' THEN 1 ELSE 0 END) - (CASE WHEN OLD.outcome = 'failure' THEN 1 ELSE 0 END), (NEW.civil_to_criminal) - (OLD.civil_to_criminal), (NEW.criminal_to_homicide) - (OLD.criminal_to_homicide));
    ELSE
        PERFORM dispute_months_apply(OLD.case_id, -1, -(CASE WHEN OLD.outcome = 'success' THEN 1 ELSE 0 END), -(CASE WHEN OLD.outcome = 'failure' THEN 1 ELSE 0 END), -(OLD.civil_to_criminal), -(OLD.criminal_to_homicide));
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER dispute_months_derive AFTER INSERT OR UPDATE OR DELETE ON dispute_details
    FOR EACH ROW EXECUTE FUNCTION dispute_months_derive();
