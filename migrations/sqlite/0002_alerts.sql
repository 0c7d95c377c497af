-- Alerting: rules, channels (names only: URLs and HMAC keys stay in the config
-- file, never at rest here), per-(rule, subject) trackers, alert episodes and
-- the notification outbox. Same conventions as 0001: BIGINT epoch ms, 0/1 ints.

-- Rules from the config file (source 'config', re-saved at every start) and
-- from the API (source 'api'). `spec` is the whole rule as JSON (alerts::Rule).
CREATE TABLE alert_rules (
    name        TEXT PRIMARY KEY NOT NULL,
    kind        TEXT    NOT NULL,
    spec        TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);

-- Declared channels as the API may show them: kind and a masked URL only.
CREATE TABLE alert_channels (
    name        TEXT PRIMARY KEY NOT NULL,
    kind        TEXT    NOT NULL,
    url_masked  TEXT    NOT NULL,
    signed      INTEGER NOT NULL DEFAULT 0,
    updated_at  BIGINT  NOT NULL
);

-- One row per (rule, subject): the streak counters against flapping and the
-- alert currently open for it, if any. Updated with a version fence, so two
-- evaluators can never open two alerts for one subject.
CREATE TABLE alert_trackers (
    rule        TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    bad_streak  INTEGER NOT NULL DEFAULT 0,
    good_streak INTEGER NOT NULL DEFAULT 0,
    open_alert  BIGINT,
    version     INTEGER NOT NULL DEFAULT 0,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (rule, subject)
);

-- One row per episode: opened, (reminded,) (acknowledged,) resolved.
CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    rule             TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    severity         TEXT    NOT NULL,
    state            TEXT    NOT NULL,           -- OPEN | RESOLVED
    summary          TEXT    NOT NULL,
    detail           TEXT    NOT NULL,           -- JSON, alerts::Detail (latest bad observation)
    opened_at        BIGINT  NOT NULL,
    last_notified_at BIGINT  NOT NULL,
    reminders        INTEGER NOT NULL DEFAULT 0,
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
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key  TEXT    NOT NULL,
    alert_id         BIGINT,
    channel          TEXT    NOT NULL,
    event            TEXT    NOT NULL,           -- opened | reminder | resolved | test
    message          TEXT    NOT NULL,           -- JSON, alerts::AlertMessage
    status           TEXT    NOT NULL,           -- PENDING | DELIVERING | DELIVERED | FAILED
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    lease_until      BIGINT,
    claim            INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    created_at       BIGINT  NOT NULL,
    delivered_at     BIGINT,
    failed_at        BIGINT
);
CREATE UNIQUE INDEX alert_notifications_key ON alert_notifications (idempotency_key);
CREATE INDEX alert_notifications_queue ON alert_notifications (channel, status, id);
CREATE INDEX alert_notifications_alert ON alert_notifications (alert_id);
