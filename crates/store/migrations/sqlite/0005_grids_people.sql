-- Grids and people: grid boundaries, posts (网格员, 片长/组长/邻长), households and their
-- residents, 包干 assignments and visits, patrols, 民情日记 and family files.

CREATE TABLE grids (
    code       TEXT PRIMARY KEY REFERENCES regions(code),
    boundary   TEXT NOT NULL,
    min_lng    REAL NOT NULL,
    min_lat    REAL NOT NULL,
    max_lng    REAL NOT NULL,
    max_lat    REAL NOT NULL,
    area_m2    REAL NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Who holds a post at a node: a grid's 网格员 (full or part time) and deputies, and the
-- 片长/组长/邻长 of the 三长 chain. A post may be held by a user or by a resident.
CREATE TABLE posts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code TEXT NOT NULL REFERENCES regions(code),
    post        TEXT NOT NULL,
    employment  TEXT,
    name        TEXT NOT NULL,
    phone_enc   BLOB,
    user_id     INTEGER REFERENCES users(id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX posts_region ON posts(region_code, post);

CREATE TABLE households (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    household_no TEXT NOT NULL UNIQUE,
    region_code  TEXT NOT NULL REFERENCES regions(code),
    address      TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX households_region ON households(region_code, id);

ALTER TABLE residents ADD COLUMN household_id INTEGER REFERENCES households(id);
ALTER TABLE residents ADD COLUMN relation TEXT;
CREATE INDEX residents_household ON residents(household_id);

-- Where a case came from (a patrol item, a visit, a diary entry), for the link back.
ALTER TABLE cases ADD COLUMN origin TEXT;

-- 包干: party members, cadres of 机关 units and police tied to a village or grid.
CREATE TABLE assignments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    region_code TEXT NOT NULL REFERENCES regions(code),
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    agency      TEXT NOT NULL,
    phone_enc   BLOB,
    user_id     INTEGER REFERENCES users(id),
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL
);
CREATE INDEX assignments_region ON assignments(region_code);

CREATE TABLE visits (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment_id INTEGER REFERENCES assignments(id),
    visitor_id    INTEGER NOT NULL REFERENCES users(id),
    region_code   TEXT NOT NULL REFERENCES regions(code),
    household_id  INTEGER REFERENCES households(id),
    visited_at    INTEGER NOT NULL,
    place         TEXT NOT NULL,
    whom          TEXT NOT NULL,
    findings      TEXT NOT NULL,
    case_id       INTEGER REFERENCES cases(id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX visits_region ON visits(region_code, visited_at);

CREATE TABLE patrol_templates (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    name  TEXT NOT NULL UNIQUE,
    items TEXT NOT NULL
);

CREATE TABLE patrol_plans (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    grid_code   TEXT NOT NULL REFERENCES regions(code),
    template_id INTEGER NOT NULL REFERENCES patrol_templates(id),
    every_days  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX patrol_plans_grid ON patrol_plans(grid_code);

CREATE TABLE patrols (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    grid_code   TEXT NOT NULL REFERENCES regions(code),
    plan_id     INTEGER REFERENCES patrol_plans(id),
    template_id INTEGER NOT NULL REFERENCES patrol_templates(id),
    worker_id   INTEGER NOT NULL REFERENCES users(id),
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    track       TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX patrols_grid ON patrols(grid_code, started_at);

CREATE TABLE patrol_items (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    patrol_id INTEGER NOT NULL REFERENCES patrols(id),
    item_id   TEXT NOT NULL,
    item_name TEXT NOT NULL,
    result    TEXT NOT NULL,
    note      TEXT,
    lat       REAL,
    lng       REAL,
    case_id   INTEGER REFERENCES cases(id)
);
CREATE INDEX patrol_items_patrol ON patrol_items(patrol_id);

CREATE TABLE diary_entries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id   INTEGER NOT NULL REFERENCES users(id),
    region_code TEXT NOT NULL REFERENCES regions(code),
    resident    TEXT NOT NULL,
    request     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    done_at     INTEGER,
    done_note   TEXT,
    case_id     INTEGER REFERENCES cases(id)
);
CREATE INDEX diary_author ON diary_entries(author_id, id);
CREATE INDEX diary_region ON diary_entries(region_code);

-- 家庭家事档案: circumstances encrypted at rest; every read is audited.
CREATE TABLE family_files (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id     INTEGER NOT NULL UNIQUE REFERENCES households(id),
    region_code      TEXT NOT NULL,
    circumstances    BLOB NOT NULL,
    risk_level       TEXT NOT NULL,
    risk_factors     BLOB NOT NULL,
    next_review_date TEXT NOT NULL,
    version          INTEGER NOT NULL DEFAULT 1,
    updated_by       INTEGER REFERENCES users(id),
    updated_at       INTEGER NOT NULL
);
CREATE INDEX family_files_region ON family_files(region_code, next_review_date);

-- The default check-item template of a grid patrol; each item names the case type and
-- category an 异常 answer raises.
INSERT INTO patrol_templates (name, items) VALUES ('网格日常巡查', '[
  {"id": "hydrant", "name": "消防栓压力", "type": "general", "category": "facilities.hydrant"},
  {"id": "river", "name": "河道垃圾", "type": "general", "category": "environment.river_garbage"},
  {"id": "neighbors", "name": "邻里纠纷", "type": "dispute", "category": "dispute.neighbor"},
  {"id": "hazard", "name": "安全隐患", "type": "general", "category": "safety.fire"},
  {"id": "road", "name": "道路设施", "type": "general", "category": "facilities.road"}
]');
