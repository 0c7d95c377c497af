-- Magento queue consumers (issue 6). `consumers` holds one definition per
-- consumer; `consumer_slots` one row per process slot (consumer, slot number),
-- leased by one cronkeeper instance at a time and fenced by `fence`, so two
-- processes can never both run instance #1 of a consumer; `queue_depth_samples`
-- is the sampled depth history.
CREATE TABLE consumers (
    name                TEXT PRIMARY KEY NOT NULL,
    source              TEXT    NOT NULL,             -- config / magento
    definition          TEXT    NOT NULL,             -- JSON, consumers::ConsumerDefinition
    overrides           TEXT    NOT NULL DEFAULT '[]', -- JSON array of fields an operator set
    stopped             INTEGER NOT NULL DEFAULT 0,   -- stopConsumer
    restart_generation  BIGINT  NOT NULL DEFAULT 0,   -- bumped by restartConsumer / `consumers restart`
    parked_at           BIGINT,                       -- crash loop: no process until startConsumer
    parked_reason       TEXT,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE TABLE consumer_slots (
    consumer        TEXT    NOT NULL,
    slot            BIGINT  NOT NULL,
    holder          TEXT,                 -- instance id, NULL when free
    fence           BIGINT  NOT NULL DEFAULT 0,
    expires_at      BIGINT  NOT NULL DEFAULT 0,
    state           TEXT    NOT NULL DEFAULT 'free',
    node            TEXT,
    pid             BIGINT,
    pid_start       BIGINT,
    boot            TEXT,
    started_at      BIGINT,
    generation      BIGINT  NOT NULL DEFAULT 0,
    restarts        BIGINT  NOT NULL DEFAULT 0,
    failures        BIGINT  NOT NULL DEFAULT 0,   -- consecutive non-zero exits
    next_start_at   BIGINT,
    last_exit_code  BIGINT,
    last_exit_reason TEXT,
    last_exit_at    BIGINT,
    output_tail     TEXT,
    PRIMARY KEY (consumer, slot)
);

CREATE TABLE queue_depth_samples (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    queue       TEXT    NOT NULL,
    transport   TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    ready       BIGINT,
    in_flight   BIGINT,
    errored     BIGINT
);
CREATE INDEX queue_depth_samples_queue_at ON queue_depth_samples (queue, at);
