-- PostgreSQL flavour of migrations/sqlite/0009_api_alert_channels.sql.
-- Alert channels managed over the API (createAlertChannel, ...), next to the
-- ones declared in the config file, which stay read-only (source 'config',
-- re-saved at every start without URL or key). API channels (source 'api')
-- keep their URL and, for webhooks, their HMAC key here, in plain text: every
-- node's outbox deliverer must read them, and the database is the one thing
-- all nodes share. Protect the database like the config file (docs/alerting.md).
-- Neither column is ever returned by the API; `url_masked` is what it shows.
ALTER TABLE alert_channels ADD COLUMN source VARCHAR(16) NOT NULL DEFAULT 'config';
ALTER TABLE alert_channels ADD COLUMN url TEXT;
ALTER TABLE alert_channels ADD COLUMN secret TEXT;
ALTER TABLE alert_channels ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;

-- Retention of alerting history (retention.resolved_alerts, retention.notifications):
-- the purge looks rows up by state or status and age.
CREATE INDEX alerts_resolved ON alerts (state, resolved_at);
CREATE INDEX alert_notifications_done ON alert_notifications (status, created_at);
