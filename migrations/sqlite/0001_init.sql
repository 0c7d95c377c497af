-- cronkeeper schema, SQLite flavour. Timestamps are BIGINT milliseconds since the
-- Unix epoch (UTC) and booleans are 0/1 integers, so the PostgreSQL and MySQL
-- flavours can share every query the store runs.

CREATE TABLE jobs (
    code               TEXT PRIMARY KEY NOT NULL,
    source             TEXT    NOT NULL,
    grp                TEXT,
    lane               TEXT    NOT NULL,
    schedule           TEXT,
    config_path        TEXT,
    timezone           TEXT,
    executor           TEXT    NOT NULL,           -- JSON, domain::Executor
    timeout_ms         BIGINT,
    max_retries        INTEGER NOT NULL DEFAULT 0,
    backoff            TEXT    NOT NULL,           -- JSON, domain::Backoff
    concurrency        TEXT    NOT NULL DEFAULT 'forbid',
    misfire            TEXT    NOT NULL DEFAULT 'run_once',
    starting_deadline_ms BIGINT,
    paused             INTEGER NOT NULL DEFAULT 0,
    business_critical  INTEGER NOT NULL DEFAULT 0,
    priority           INTEGER NOT NULL DEFAULT 0,
    description        TEXT,
    instance           TEXT,
    method             TEXT,
    overrides          TEXT    NOT NULL DEFAULT '[]', -- JSON array of field names an operator set
    -- Scheduler bookkeeping: the fire time it materialised last, so a restart
    -- knows exactly which fire times it has not looked at yet.
    last_fire_at       BIGINT,
    next_fire_at       BIGINT,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL
);
CREATE INDEX jobs_lane ON jobs (lane);
CREATE INDEX jobs_next_fire ON jobs (next_fire_at);

CREATE TABLE runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    job_code        TEXT    NOT NULL,
    lane            TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    trigger_kind    TEXT    NOT NULL,
    attempt         INTEGER NOT NULL DEFAULT 1,
    retry_of        BIGINT,
    priority        INTEGER NOT NULL DEFAULT 0,
    -- The schedule fire time this run stands for; NULL for manual runs and retries.
    -- UNIQUE with job_code: materialising the same fire time twice is a no-op.
    fire_key        BIGINT,
    scheduled_at    BIGINT  NOT NULL,
    queued_at       BIGINT,
    started_at      BIGINT,
    finished_at     BIGINT,
    heartbeat_at    BIGINT,
    exit_code       INTEGER,
    output          TEXT,
    error           TEXT,
    worker          TEXT,
    pid             INTEGER,
    pid_start       BIGINT,
    missed_count    INTEGER NOT NULL DEFAULT 0,
    kill_requested  INTEGER NOT NULL DEFAULT 0,
    -- Fencing token: bumped on every claim, checked on every update, so a late
    -- worker or a recovery pass never overwrites a run someone else now owns.
    claim           INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX runs_fire_once ON runs (job_code, fire_key);
CREATE INDEX runs_claimable ON runs (lane, status, priority, scheduled_at);
CREATE INDEX runs_job_time ON runs (job_code, scheduled_at);
CREATE INDEX runs_job_status_time ON runs (job_code, status, scheduled_at);
CREATE INDEX runs_time ON runs (scheduled_at);
CREATE INDEX runs_status_finished ON runs (status, finished_at);

CREATE TABLE instances (
    id            TEXT PRIMARY KEY NOT NULL,  -- node/pid/start: unique per process life
    node          TEXT    NOT NULL,
    pid           INTEGER NOT NULL,
    pid_start     BIGINT  NOT NULL,
    role          TEXT    NOT NULL,
    started_at    BIGINT  NOT NULL,
    heartbeat_at  BIGINT  NOT NULL,
    stopped_at    BIGINT,
    draining      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         BIGINT NOT NULL,
    subject    TEXT   NOT NULL,
    role       TEXT   NOT NULL,
    operation  TEXT   NOT NULL,
    arguments  TEXT   NOT NULL,
    outcome    TEXT   NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Service-wide switches that must survive restarts and be seen by every node
-- (the drain flag of `cronkeeper drain`).
CREATE TABLE settings (
    name   TEXT PRIMARY KEY NOT NULL,
    value  TEXT NOT NULL
);
