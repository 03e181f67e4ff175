-- Facts about the deployment itself, e.g. a check value of the master key, so a server
-- started with the wrong key refuses to run instead of failing on every personal field.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
