-- cronkeeper schema, MySQL and MariaDB flavour of migrations/sqlite/0001_init.sql.
-- Timestamps are BIGINT milliseconds since the Unix epoch (UTC) and booleans
-- are 0/1 integers, so every store query is shared by the three backends.
-- Every integer is BIGINT: the Any driver then hands back one integer kind
-- whatever the column, and binds (always i64) match the column type exactly.
-- Never TINYINT/MEDIUMINT/DECIMAL: the Any driver refuses those MySQL types.
-- Tables are InnoDB, utf8mb4 with a binary collation, so codes compare and sort
-- byte for byte as on SQLite and PostgreSQL. Keys are VARCHAR(255) at most,
-- inside InnoDB's 3072-byte index key limit.

CREATE TABLE jobs (
    code               VARCHAR(255) PRIMARY KEY NOT NULL,
    source             VARCHAR(32)  NOT NULL,
    grp                VARCHAR(255),
    lane               VARCHAR(64)  NOT NULL,
    schedule           VARCHAR(255),
    config_path        VARCHAR(512),
    timezone           VARCHAR(64),
    executor           TEXT    NOT NULL,           -- JSON, domain::Executor
    timeout_ms         BIGINT,
    max_retries        BIGINT  NOT NULL DEFAULT 0,
    backoff            TEXT    NOT NULL,           -- JSON, domain::Backoff
    concurrency        VARCHAR(16) NOT NULL DEFAULT 'forbid',
    misfire            VARCHAR(16) NOT NULL DEFAULT 'run_once',
    starting_deadline_ms BIGINT,
    paused             BIGINT  NOT NULL DEFAULT 0,
    business_critical  BIGINT  NOT NULL DEFAULT 0,
    priority           BIGINT  NOT NULL DEFAULT 0,
    description        TEXT,
    instance           VARCHAR(512),
    method             VARCHAR(255),
    overrides          TEXT    NOT NULL,           -- JSON array of field names an operator set (no DEFAULT: MySQL 8 refuses literal TEXT defaults)
    last_fire_at       BIGINT,
    next_fire_at       BIGINT,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX jobs_lane ON jobs (lane);
CREATE INDEX jobs_next_fire ON jobs (next_fire_at);

CREATE TABLE runs (
    id              BIGINT PRIMARY KEY AUTO_INCREMENT,
    job_code        VARCHAR(255) NOT NULL,
    lane            VARCHAR(64)  NOT NULL,
    status          VARCHAR(16)  NOT NULL,
    trigger_kind    VARCHAR(16)  NOT NULL,
    attempt         BIGINT  NOT NULL DEFAULT 1,
    retry_of        BIGINT,
    priority        BIGINT  NOT NULL DEFAULT 0,
    -- The schedule fire time this run stands for; NULL for manual runs and retries.
    -- UNIQUE with job_code: materialising the same fire time twice is a no-op
    -- (NULLs are distinct, so manual runs and retries never collide).
    fire_key        BIGINT,
    scheduled_at    BIGINT  NOT NULL,
    queued_at       BIGINT,
    started_at      BIGINT,
    finished_at     BIGINT,
    heartbeat_at    BIGINT,
    exit_code       BIGINT,
    output          LONGTEXT,
    error           TEXT,
    worker          VARCHAR(255),
    pid             BIGINT,
    pid_start       BIGINT,
    missed_count    BIGINT  NOT NULL DEFAULT 0,
    kill_requested  BIGINT  NOT NULL DEFAULT 0,
    -- Fencing token: bumped on every claim, checked on every update.
    claim           BIGINT  NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE UNIQUE INDEX runs_fire_once ON runs (job_code, fire_key);
-- In claim order, so `claim_next` walks the index and SKIP LOCKED stops at the
-- first free row.
CREATE INDEX runs_claimable ON runs (lane, status, priority DESC, scheduled_at, id);
CREATE INDEX runs_job_time ON runs (job_code, scheduled_at);
CREATE INDEX runs_job_status_time ON runs (job_code, status, scheduled_at);
CREATE INDEX runs_time ON runs (scheduled_at);
CREATE INDEX runs_status_finished ON runs (status, finished_at);
CREATE INDEX runs_retry_of ON runs (retry_of, attempt);

CREATE TABLE instances (
    id            VARCHAR(255) PRIMARY KEY NOT NULL,
    node          VARCHAR(255) NOT NULL,
    pid           BIGINT  NOT NULL,
    pid_start     BIGINT  NOT NULL,
    role          VARCHAR(32) NOT NULL,
    started_at    BIGINT  NOT NULL,
    heartbeat_at  BIGINT  NOT NULL,
    stopped_at    BIGINT,
    draining      BIGINT  NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE audit_log (
    id         BIGINT PRIMARY KEY AUTO_INCREMENT,
    at         BIGINT NOT NULL,
    subject    VARCHAR(255) NOT NULL,
    role       VARCHAR(32)  NOT NULL,
    operation  VARCHAR(255) NOT NULL,
    arguments  TEXT   NOT NULL,
    outcome    TEXT   NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE settings (
    name   VARCHAR(255) PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Leader leases: one row per role that must run on exactly one node at a time
-- (the scheduler). Taken or renewed by one conditional UPDATE; see scheduler/leader.rs.
CREATE TABLE leases (
    name        VARCHAR(64)  PRIMARY KEY NOT NULL,
    holder      VARCHAR(255) NOT NULL,
    expires_at  BIGINT       NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
