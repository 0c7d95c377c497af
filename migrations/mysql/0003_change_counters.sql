-- A counter per aggregate, bumped in the same transaction as every change to
-- it, so the scheduler can tell "something changed" from one primary-key read
-- instead of scanning the jobs table every second.
CREATE TABLE change_counters (
    name     VARCHAR(64) PRIMARY KEY NOT NULL,
    version  BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT INTO change_counters (name, version) VALUES ('jobs', 0);
