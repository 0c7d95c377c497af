-- Alerting tables, PostgreSQL flavour of migrations/sqlite/0002_alerts.sql
-- (see that file for what each table is for). Every integer is BIGINT.


-- Rules from the config file (source 'config', re-saved at every start) and
-- from the API (source 'api'). `spec` is the whole rule as JSON (alerts::Rule).
CREATE TABLE alert_rules (
    name        VARCHAR(255) PRIMARY KEY NOT NULL,
    kind        VARCHAR(255)    NOT NULL,
    spec        TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    enabled     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

-- Declared channels as the API may show them: kind and a masked URL only.
CREATE TABLE alert_channels (
    name        VARCHAR(255) PRIMARY KEY NOT NULL,
    kind        VARCHAR(255)    NOT NULL,
    url_masked  TEXT    NOT NULL,
    signed      BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT  NOT NULL
);

-- One row per (rule, subject): the streak counters against flapping and the
-- alert currently open for it, if any. Updated with a version fence, so two
-- evaluators can never open two alerts for one subject.
CREATE TABLE alert_trackers (
    rule        VARCHAR(255)    NOT NULL,
    subject     VARCHAR(255)    NOT NULL,
    bad_streak  BIGINT NOT NULL DEFAULT 0,
    good_streak BIGINT NOT NULL DEFAULT 0,
    open_alert  BIGINT,
    version     BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (rule, subject)
);

-- One row per episode: opened, (reminded,) (acknowledged,) resolved.
CREATE TABLE alerts (
    id               BIGSERIAL PRIMARY KEY,
    rule             VARCHAR(255)    NOT NULL,
    kind             VARCHAR(255)    NOT NULL,
    subject          VARCHAR(255)    NOT NULL,
    severity         TEXT    NOT NULL,
    state            VARCHAR(255)    NOT NULL,           -- OPEN | RESOLVED
    summary          TEXT    NOT NULL,
    detail           TEXT    NOT NULL,           -- JSON, alerts::Detail (latest bad observation)
    opened_at        BIGINT  NOT NULL,
    last_notified_at BIGINT  NOT NULL,
    reminders        BIGINT NOT NULL DEFAULT 0,
    acknowledged_at  BIGINT,
    acknowledged_by  TEXT,
    resolved_at      BIGINT,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX alerts_state ON alerts (state, opened_at);
CREATE INDEX alerts_rule_subject ON alerts (rule, subject);

-- The outbox: written in the same transaction as the alert change it reports,
-- delivered in id order per channel, fenced by `claim` like runs.
CREATE TABLE alert_notifications (
    id               BIGSERIAL PRIMARY KEY,
    idempotency_key  VARCHAR(255)    NOT NULL,
    alert_id         BIGINT,
    channel          VARCHAR(255)    NOT NULL,
    event            TEXT    NOT NULL,           -- opened | reminder | resolved | test
    message          TEXT    NOT NULL,           -- JSON, alerts::AlertMessage
    status           VARCHAR(255)    NOT NULL,           -- PENDING | DELIVERING | DELIVERED | FAILED
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    lease_until      BIGINT,
    claim            BIGINT NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       BIGINT  NOT NULL,
    delivered_at     BIGINT,
    failed_at        BIGINT
);
CREATE UNIQUE INDEX alert_notifications_key ON alert_notifications (idempotency_key);
CREATE INDEX alert_notifications_queue ON alert_notifications (channel, status, id);
CREATE INDEX alert_notifications_alert ON alert_notifications (alert_id);
