-- Magento queue consumers (issue 6). `consumers` holds one definition per
-- consumer; `consumer_slots` one row per process slot (consumer, slot number),
-- leased by one cronkeeper instance at a time and fenced by `fence`, so two
-- processes can never both run instance #1 of a consumer; `queue_depth_samples`
-- is the sampled depth history.
CREATE TABLE consumers (
    name                VARCHAR(255) PRIMARY KEY NOT NULL,
    source              VARCHAR(16) NOT NULL,             -- config / magento
    definition          TEXT    NOT NULL,             -- JSON, consumers::ConsumerDefinition
    overrides           TEXT    NOT NULL, -- JSON array of fields an operator set
    stopped             BIGINT  NOT NULL DEFAULT 0,   -- stopConsumer
    restart_generation  BIGINT  NOT NULL DEFAULT 0,   -- bumped by restartConsumer / `consumers restart`
    parked_at           BIGINT,                       -- crash loop: no process until startConsumer
    parked_reason       TEXT,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE consumer_slots (
    consumer        VARCHAR(255) NOT NULL,
    slot            BIGINT  NOT NULL,
    holder          VARCHAR(255),                 -- instance id, NULL when free
    fence           BIGINT  NOT NULL DEFAULT 0,
    expires_at      BIGINT  NOT NULL DEFAULT 0,
    state           VARCHAR(16) NOT NULL DEFAULT 'free',
    node            VARCHAR(255),
    pid             BIGINT,
    pid_start       BIGINT,
    boot            VARCHAR(64),
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
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE queue_depth_samples (
    id          BIGINT PRIMARY KEY AUTO_INCREMENT,
    queue       VARCHAR(255) NOT NULL,
    transport   VARCHAR(16) NOT NULL,
    at          BIGINT  NOT NULL,
    ready       BIGINT,
    in_flight   BIGINT,
    errored     BIGINT
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX queue_depth_samples_queue_at ON queue_depth_samples (queue, at);
