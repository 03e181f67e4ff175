-- Grids and people: grid boundaries, posts (网格员, 片长/组长/邻长), households and their
-- residents, 包干 assignments and visits, patrols, 民情日记 and family files.

CREATE TABLE grids (
    code       TEXT COLLATE "C" PRIMARY KEY REFERENCES regions(code),
    boundary   TEXT NOT NULL,
    min_lng    DOUBLE PRECISION NOT NULL,
    min_lat    DOUBLE PRECISION NOT NULL,
    max_lng    DOUBLE PRECISION NOT NULL,
    max_lat    DOUBLE PRECISION NOT NULL,
    area_m2    DOUBLE PRECISION NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Who holds a post at a node: a grid's 网格员 (full or part time) and deputies, and the
-- 片长/组长/邻长 of the 三长 chain. A post may be held by a user or by a resident.
CREATE TABLE posts (
    id          BIGSERIAL PRIMARY KEY,
    region_code TEXT COLLATE "C" NOT NULL REFERENCES regions(code),
    post        TEXT NOT NULL,
    employment  TEXT,
    name        TEXT NOT NULL,
    phone_enc   BYTEA,
    user_id     BIGINT REFERENCES users(id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX posts_region ON posts(region_code, post);

CREATE TABLE households (
    id           BIGSERIAL PRIMARY KEY,
    household_no TEXT NOT NULL UNIQUE,
    region_code  TEXT COLLATE "C" NOT NULL REFERENCES regions(code),
    address      TEXT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX households_region ON households(region_code, id);

ALTER TABLE residents ADD COLUMN household_id BIGINT REFERENCES households(id);
ALTER TABLE residents ADD COLUMN relation TEXT;
CREATE INDEX residents_household ON residents(household_id);

-- Where a case came from (a patrol item, a visit, a diary entry), for the link back.
ALTER TABLE cases ADD COLUMN origin TEXT;

-- 包干: party members, cadres of 机关 units and police tied to a village or grid.
CREATE TABLE assignments (
    id          BIGSERIAL PRIMARY KEY,
    region_code TEXT COLLATE "C" NOT NULL REFERENCES regions(code),
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    agency      TEXT NOT NULL,
    phone_enc   BYTEA,
    user_id     BIGINT REFERENCES users(id),
    active      BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL
);
CREATE INDEX assignments_region ON assignments(region_code);

CREATE TABLE visits (
    id            BIGSERIAL PRIMARY KEY,
    assignment_id BIGINT REFERENCES assignments(id),
    visitor_id    BIGINT NOT NULL REFERENCES users(id),
    region_code   TEXT COLLATE "C" NOT NULL REFERENCES regions(code),
    household_id  BIGINT REFERENCES households(id),
    visited_at    BIGINT NOT NULL,
    place         TEXT NOT NULL,
    whom          TEXT NOT NULL,
    findings      TEXT NOT NULL,
    case_id       BIGINT REFERENCES cases(id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX visits_region ON visits(region_code, visited_at);

CREATE TABLE patrol_templates (
    id    BIGSERIAL PRIMARY KEY,
    name  TEXT NOT NULL UNIQUE,
    items TEXT NOT NULL
);

CREATE TABLE patrol_plans (
    id          BIGSERIAL PRIMARY KEY,
    grid_code   TEXT COLLATE "C" NOT NULL REFERENCES regions(code),
    template_id BIGINT NOT NULL REFERENCES patrol_templates(id),
    every_days  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX patrol_plans_grid ON patrol_plans(grid_code);

CREATE TABLE patrols (
    id          BIGSERIAL PRIMARY KEY,
    grid_code   TEXT COLLATE "C" NOT NULL REFERENCES regions(code),
    plan_id     BIGINT REFERENCES patrol_plans(id),
    template_id BIGINT NOT NULL REFERENCES patrol_templates(id),
    worker_id   BIGINT NOT NULL REFERENCES users(id),
    started_at  BIGINT NOT NULL,
    ended_at    BIGINT,
    track       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX patrols_grid ON patrols(grid_code, started_at);

CREATE TABLE patrol_items (
    id        BIGSERIAL PRIMARY KEY,
    patrol_id BIGINT NOT NULL REFERENCES patrols(id),
    item_id   TEXT NOT NULL,
    item_name TEXT NOT NULL,
    result    TEXT NOT NULL,
    note      TEXT,
    lat       DOUBLE PRECISION,
    lng       DOUBLE PRECISION,
    case_id   BIGINT REFERENCES cases(id)
);
CREATE INDEX patrol_items_patrol ON patrol_items(patrol_id);

CREATE TABLE diary_entries (
    id          BIGSERIAL PRIMARY KEY,
    author_id   BIGINT NOT NULL REFERENCES users(id),
    region_code TEXT COLLATE "C" NOT NULL REFERENCES regions(code),
    resident    TEXT NOT NULL,
    request     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    done_at     BIGINT,
    done_note   TEXT,
    case_id     BIGINT REFERENCES cases(id)
);
CREATE INDEX diary_author ON diary_entries(author_id, id);
CREATE INDEX diary_region ON diary_entries(region_code);

-- 家庭家事档案: circumstances encrypted at rest; every read is audited.
CREATE TABLE family_files (
    id               BIGSERIAL PRIMARY KEY,
    household_id     BIGINT NOT NULL UNIQUE REFERENCES households(id),
    region_code      TEXT COLLATE "C" NOT NULL,
    circumstances    BYTEA NOT NULL,
    risk_level       TEXT NOT NULL,
    risk_factors     BYTEA NOT NULL,
    next_review_date TEXT NOT NULL,
    version          BIGINT NOT NULL DEFAULT 1,
    updated_by       BIGINT REFERENCES users(id),
    updated_at       BIGINT NOT NULL
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
