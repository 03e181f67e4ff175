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
    region_code       TEXT NOT NULL,
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
    PRIMARY KEY (region_code, month)
) WITHOUT ROWID;

CREATE TABLE case_category_months (
    node     TEXT NOT NULL,
    month    TEXT NOT NULL,
    category TEXT NOT NULL,
    created  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (node, month, category)
) WITHOUT ROWID;

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
) GROUP BY node, month, category HAVING SUM(created) <> 0;

CREATE TRIGGER case_rollups_derive_insert AFTER INSERT ON case_rollups BEGIN
    INSERT INTO case_rollups_monthly (region_code, month, created, dispatched, responded_on_time, closed, closed_on_time, handling_ms, rated, satisfied, basic_satisfied, unsatisfied, solved)
    VALUES (NEW.region_code, NEW.month, NEW.created, NEW.dispatched, NEW.responded_on_time, NEW.closed, NEW.closed_on_time, NEW.handling_ms, NEW.rated, NEW.satisfied, NEW.basic_satisfied, NEW.unsatisfied, NEW.solved)
    ON CONFLICT (region_code, month) DO UPDATE SET
        created = case_rollups_monthly.created + excluded.created,
        dispatched = case_rollups_monthly.dispatched + excluded.dispatched,
        responded_on_time = case_rollups_monthly.responded_on_time + excluded.responded_on_time,
        closed = case_rollups_monthly.closed + excluded.closed,
        closed_on_time = case_rollups_monthly.closed_on_time + excluded.closed_on_time,
        handling_ms = case_rollups_monthly.handling_ms + excluded.handling_ms,
        rated = case_rollups_monthly.rated + excluded.rated,
        satisfied = case_rollups_monthly.satisfied + excluded.satisfied,
        basic_satisfied = case_rollups_monthly.basic_satisfied + excluded.basic_satisfied,
        unsatisfied = case_rollups_monthly.unsatisfied + excluded.unsatisfied,
        solved = case_rollups_monthly.solved + excluded.solved;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT NEW.region_code, NEW.month, NEW.category, NEW.created WHERE SUBSTR(NEW.region_code, 10, 3) <> '000' AND NEW.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT SUBSTR(NEW.region_code, 1, 9) || '000', NEW.month, NEW.category, NEW.created WHERE SUBSTR(NEW.region_code, 7, 3) <> '000' AND NEW.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT SUBSTR(NEW.region_code, 1, 6) || '000000', NEW.month, NEW.category, NEW.created WHERE SUBSTR(NEW.region_code, 5, 2) <> '00' AND NEW.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT SUBSTR(NEW.region_code, 1, 4) || '00000000', NEW.month, NEW.category, NEW.created WHERE SUBSTR(NEW.region_code, 3, 2) <> '00' AND NEW.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT SUBSTR(NEW.region_code, 1, 2) || '0000000000', NEW.month, NEW.category, NEW.created WHERE 1 = 1 AND NEW.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
END;

CREATE TRIGGER case_rollups_derive_update AFTER UPDATE ON case_rollups BEGIN
    INSERT INTO case_rollups_monthly (region_code, month, created, dispatched, responded_on_time, closed, closed_on_time, handling_ms, rated, satisfied, basic_satisfied, unsatisfied, solved)
    VALUES (NEW.region_code, NEW.month, NEW.created - OLD.created, NEW.dispatched - OLD.dispatched, NEW.responded_on_time - OLD.responded_on_time, NEW.closed - OLD.closed, NEW.closed_on_time - OLD.closed_on_time, NEW.handling_ms - OLD.handling_ms, NEW.rated - OLD.rated, NEW.satisfied - OLD.satisfied, NEW.basic_satisfied - OLD.basic_satisfied, NEW.unsatisfied - OLD.unsatisfied, NEW.solved - OLD.solved)
    ON CONFLICT (region_code, month) DO UPDATE SET
        created = case_rollups_monthly.created + excluded.created,
        dispatched = case_rollups_monthly.dispatched + excluded.dispatched,
        responded_on_time = case_rollups_monthly.responded_on_time + excluded.responded_on_time,
        closed = case_rollups_monthly.closed + excluded.closed,
        closed_on_time = case_rollups_monthly.closed_on_time + excluded.closed_on_time,
        handling_ms = case_rollups_monthly.handling_ms + excluded.handling_ms,
        rated = case_rollups_monthly.rated + excluded.rated,
        satisfied = case_rollups_monthly.satisfied + excluded.satisfied,
        basic_satisfied = case_rollups_monthly.basic_satisfied + excluded.basic_satisfied,
        unsatisfied = case_rollups_monthly.unsatisfied + excluded.unsatisfied,
        solved = case_rollups_monthly.solved + excluded.solved;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT NEW.region_code, NEW.month, NEW.category, NEW.created - OLD.created WHERE SUBSTR(NEW.region_code, 10, 3) <> '000' AND NEW.created - OLD.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT SUBSTR(NEW.region_code, 1, 9) || '000', NEW.month, NEW.category, NEW.created - OLD.created WHERE SUBSTR(NEW.region_code, 7, 3) <> '000' AND NEW.created - OLD.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT SUBSTR(NEW.region_code, 1, 6) || '000000', NEW.month, NEW.category, NEW.created - OLD.created WHERE SUBSTR(NEW.region_code, 5, 2) <> '00' AND NEW.created - OLD.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT SUBSTR(NEW.region_code, 1, 4) || '00000000', NEW.month, NEW.category, NEW.created - OLD.created WHERE SUBSTR(NEW.region_code, 3, 2) <> '00' AND NEW.created - OLD.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT SUBSTR(NEW.region_code, 1, 2) || '0000000000', NEW.month, NEW.category, NEW.created - OLD.created WHERE 1 = 1 AND NEW.created - OLD.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
END;

CREATE TRIGGER case_rollups_derive_delete AFTER DELETE ON case_rollups BEGIN
    INSERT INTO case_rollups_monthly (region_code, month, created, dispatched, responded_on_time, closed, closed_on_time, handling_ms, rated, satisfied, basic_satisfied, unsatisfied, solved)
    VALUES (OLD.region_code, OLD.month, -OLD.created, -OLD.dispatched, -OLD.responded_on_time, -OLD.closed, -OLD.closed_on_time, -OLD.handling_ms, -OLD.rated, -OLD.satisfied, -OLD.basic_satisfied, -OLD.unsatisfied, -OLD.solved)
    ON CONFLICT (region_code, month) DO UPDATE SET
        created = case_rollups_monthly.created + excluded.created,
        dispatched = case_rollups_monthly.dispatched + excluded.dispatched,
        responded_on_time = case_rollups_monthly.responded_on_time + excluded.responded_on_time,
        closed = case_rollups_monthly.closed + excluded.closed,
        closed_on_time = case_rollups_monthly.closed_on_time + excluded.closed_on_time,
        handling_ms = case_rollups_monthly.handling_ms + excluded.handling_ms,
        rated = case_rollups_monthly.rated + excluded.rated,
        satisfied = case_rollups_monthly.satisfied + excluded.satisfied,
        basic_satisfied = case_rollups_monthly.basic_satisfied + excluded.basic_satisfied,
        unsatisfied = case_rollups_monthly.unsatisfied + excluded.unsatisfied,
        solved = case_rollups_monthly.solved + excluded.solved;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT OLD.region_code, OLD.month, OLD.category, -OLD.created WHERE SUBSTR(OLD.region_code, 10, 3) <> '000' AND -OLD.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT SUBSTR(OLD.region_code, 1, 9) || '000', OLD.month, OLD.category, -OLD.created WHERE SUBSTR(OLD.region_code, 7, 3) <> '000' AND -OLD.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT SUBSTR(OLD.region_code, 1, 6) || '000000', OLD.month, OLD.category, -OLD.created WHERE SUBSTR(OLD.region_code, 5, 2) <> '00' AND -OLD.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT SUBSTR(OLD.region_code, 1, 4) || '00000000', OLD.month, OLD.category, -OLD.created WHERE SUBSTR(OLD.region_code, 3, 2) <> '00' AND -OLD.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
    INSERT INTO case_category_months (node, month, category, created)
    SELECT SUBSTR(OLD.region_code, 1, 2) || '0000000000', OLD.month, OLD.category, -OLD.created WHERE 1 = 1 AND -OLD.created <> 0
    ON CONFLICT (node, month, category) DO UPDATE SET created = case_category_months.created + excluded.created;
END;

CREATE INDEX cases_open_region ON cases(terminal, region_code, state_due_at);

CREATE TABLE dispute_months (
    region_code          TEXT NOT NULL,
    month                TEXT NOT NULL,
    screened             INTEGER NOT NULL DEFAULT 0,
    resolved             INTEGER NOT NULL DEFAULT 0,
    failed               INTEGER NOT NULL DEFAULT 0,
    civil_to_criminal    INTEGER NOT NULL DEFAULT 0,
    criminal_to_homicide INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (region_code, month)
) WITHOUT ROWID;

INSERT INTO dispute_months (region_code, month, screened, resolved, failed, civil_to_criminal, criminal_to_homicide)
SELECT c.rollup_region, c.month, COUNT(*), SUM(CASE WHEN d.outcome = 'success' THEN 1 ELSE 0 END), SUM(CASE WHEN d.outcome = 'failure' THEN 1 ELSE 0 END), SUM(d.civil_to_criminal), SUM(d.criminal_to_homicide)
FROM dispute_details d JOIN cases c ON c.id = d.case_id GROUP BY c.rollup_region, c.month;

CREATE TRIGGER dispute_months_insert AFTER INSERT ON dispute_details BEGIN
    INSERT INTO dispute_months (region_code, month, screened, resolved, failed, civil_to_criminal, criminal_to_homicide)
    SELECT c.rollup_region, c.month, 1, CASE WHEN NEW.outcome = 'success' THEN 1 ELSE 0 END, CASE WHEN NEW.outcome = 'failure' THEN 1 ELSE 0 END, NEW.civil_to_criminal, NEW.criminal_to_homicide FROM cases c WHERE c.id = NEW.case_id
    ON CONFLICT (region_code, month) DO UPDATE SET
        screened = dispute_months.screened + excluded.screened,
        resolved = dispute_months.resolved + excluded.resolved,
        failed = dispute_months.failed + excluded.failed,
        civil_to_criminal = dispute_months.civil_to_criminal + excluded.civil_to_criminal,
        criminal_to_homicide = dispute_months.criminal_to_homicide + excluded.criminal_to_homicide;
END;

CREATE TRIGGER dispute_months_update AFTER UPDATE ON dispute_details BEGIN
    INSERT INTO dispute_months (region_code, month, screened, resolved, failed, civil_to_criminal, criminal_to_homicide)
    SELECT c.rollup_region, c.month, 0, (CASE WHEN NEW.outcome = 'success' THEN 1 ELSE 0 END) - (CASE WHEN OLD.outcome = 'success' THEN 1 ELSE 0 END), (CASE WHEN NEW.outcome = 'failure' THEN 1 ELSE 0 END) - (CASE WHEN OLD.outcome = 'failure' THEN 1 ELSE 0 END), (NEW.civil_to_criminal) - (OLD.civil_to_criminal), (NEW.criminal_to_homicide) - (OLD.criminal_to_homicide) FROM cases c WHERE c.id = NEW.case_id
    ON CONFLICT (region_code, month) DO UPDATE SET
        screened = dispute_months.screened + excluded.screened,
        resolved = dispute_months.resolved + excluded.resolved,
        failed = dispute_months.failed + excluded.failed,
        civil_to_criminal = dispute_months.civil_to_criminal + excluded.civil_to_criminal,
        criminal_to_homicide = dispute_months.criminal_to_homicide + excluded.criminal_to_homicide;
END;

CREATE TRIGGER dispute_months_delete AFTER DELETE ON dispute_details BEGIN
    INSERT INTO dispute_months (region_code, month, screened, resolved, failed, civil_to_criminal, criminal_to_homicide)
    SELECT c.rollup_region, c.month, -1, -(CASE WHEN OLD.outcome = 'success' THEN 1 ELSE 0 END), -(CASE WHEN OLD.outcome = 'failure' THEN 1 ELSE 0 END), -(OLD.civil_to_criminal), -(OLD.criminal_to_homicide) FROM cases c WHERE c.id = OLD.case_id
    ON CONFLICT (region_code, month) DO UPDATE SET
        screened = dispute_months.screened + excluded.screened,
        resolved = dispute_months.resolved + excluded.resolved,
        failed = dispute_months.failed + excluded.failed,
        civil_to_criminal = dispute_months.civil_to_criminal + excluded.civil_to_criminal,
        criminal_to_homicide = dispute_months.criminal_to_homicide + excluded.criminal_to_homicide;
END;
