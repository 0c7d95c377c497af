-- Leader leases: one row per role that must run on exactly one process at a
-- time (the scheduler). Taken or renewed by one conditional UPDATE; see
-- scheduler/leader.rs. (PostgreSQL and MySQL have it in their 0001.)
CREATE TABLE leases (
    name        TEXT PRIMARY KEY NOT NULL,
    holder      TEXT   NOT NULL,
    expires_at  BIGINT NOT NULL
);
