//! `CRONKEEPER_*` environment overrides: every scalar key of the file has one,
//! named after its path (`lanes.bulk.slots` -> `CRONKEEPER_LANES_BULK_SLOTS`),
//! so containers and systemd units can change a setting without a file.
//! `[auth]` keys drop the table name (`CRONKEEPER_JWT_SECRET`), as operators
//! expect for the one secret they must set.

use std::collections::BTreeMap;

use super::file::{FileConfig, LaneFile};
use super::ConfigError;

/// Every overridable scalar: (environment variable, key path in the file).
pub const ENV_KEYS: &[(&str, &str)] = &[
    ("CRONKEEPER_LISTEN", "listen"),
    ("CRONKEEPER_DATABASE_URL", "database_url"),
    ("CRONKEEPER_DATA_DIR", "data_dir"),
    ("CRONKEEPER_NODE", "node"),
    ("CRONKEEPER_DEFAULT_TIMEOUT", "default_timeout"),
    ("CRONKEEPER_TIMEZONE", "timezone"),
    ("CRONKEEPER_KILL_GRACE", "kill_grace"),
    ("CRONKEEPER_HEARTBEAT_INTERVAL", "heartbeat_interval"),
    ("CRONKEEPER_HEARTBEAT_EXPIRY", "heartbeat_expiry"),
    ("CRONKEEPER_DRAIN_TIMEOUT", "drain_timeout"),
    ("CRONKEEPER_OUTPUT_CAP_BYTES", "output_cap_bytes"),
    ("CRONKEEPER_AMQP_URL", "amqp_url"),
    ("CRONKEEPER_AMQP_PREFIX", "amqp_prefix"),
    ("CRONKEEPER_RETENTION_SUCCEEDED", "retention.succeeded"),
    ("CRONKEEPER_RETENTION_OTHER", "retention.other"),
    ("CRONKEEPER_RETENTION_AUDIT", "retention.audit"),
    ("CRONKEEPER_RETENTION_RESOLVED_ALERTS", "retention.resolved_alerts"),
    ("CRONKEEPER_RETENTION_NOTIFICATIONS", "retention.notifications"),
    ("CRONKEEPER_RETENTION_PURGE_BATCH", "retention.purge_batch"),
    ("CRONKEEPER_MAGENTO_ROOT", "magento.root"),
    ("CRONKEEPER_MAGENTO_PHP", "magento.php"),
    ("CRONKEEPER_JWT_SECRET", "auth.jwt_secret"),
    ("CRONKEEPER_JWT_PUBLIC_KEY_FILE", "auth.public_key_file"),
    ("CRONKEEPER_JWT_ALGORITHM", "auth.algorithm"),
    ("CRONKEEPER_JWT_ISSUER", "auth.issuer"),
    ("CRONKEEPER_JWT_MAX_TOKEN_LIFETIME", "auth.max_token_lifetime"),
    ("CRONKEEPER_MAGENTO_DATABASE_URL", "queues.magento_database_url"),
    ("CRONKEEPER_QUEUES_MAGENTO_TABLE_PREFIX", "queues.magento_table_prefix"),
    ("CRONKEEPER_QUEUES_DEPTH_SAMPLE_EVERY", "queues.depth_sample_every"),
    ("CRONKEEPER_QUEUES_DEPTH_HISTORY_KEEP", "queues.depth_history_keep"),
    ("CRONKEEPER_GRAPHQL_MAX_CONCURRENT_PER_SUBJECT", "graphql.max_concurrent_per_subject"),
    ("CRONKEEPER_GRAPHQL_QUEUE_TIMEOUT", "graphql.queue_timeout"),
];

pub fn apply(file: &mut FileConfig, env: &BTreeMap<String, String>) -> Result<(), ConfigError> {
    for (var, key) in ENV_KEYS {
        if let Some(value) = env.get(*var) {
            set_scalar(file, key, value).map_err(|message| ConfigError::new(format!("{key} (from {var})"), message))?;
        }
    }
    for (var, value) in env.range("CRONKEEPER_LANES_".to_string()..) {
        let Some(rest) = var.strip_prefix("CRONKEEPER_LANES_") else { break };
        let (lane, field) = if let Some(lane) = rest.strip_suffix("_SLOTS") {
            (lane, "slots")
        } else if let Some(lane) = rest.strip_suffix("_DEFAULT_TIMEOUT") {
            (lane, "default_timeout")
        } else {
            return Err(ConfigError::new(var.clone(), "unknown lane setting: use CRONKEEPER_LANES_<LANE>_SLOTS or _DEFAULT_TIMEOUT"));
        };
        let key = format!("lanes.{}.{}", lane.to_ascii_lowercase(), field);
        let entry = file.lanes.entry(lane.to_ascii_lowercase()).or_insert_with(LaneFile::default);
        match field {
            "slots" => entry.slots = Some(parse_int(value).map_err(|m| ConfigError::new(format!("{key} (from {var})"), m))?),
            _ => entry.default_timeout = Some(value.clone()),
        }
    }
    Ok(())
}

fn parse_int(value: &str) -> Result<i64, String> {
    value.trim().parse::<i64>().map_err(|_| format!("`{value}` is not a whole number"))
}

fn set_scalar(f: &mut FileConfig, key: &str, v: &str) -> Result<(), String> {
    let s = Some(v.to_string());
    match key {
        "listen" => f.listen = s,
        "database_url" => f.database_url = s,
        "data_dir" => f.data_dir = s,
        "node" => f.node = s,
        "default_timeout" => f.default_timeout = s,
        "timezone" => f.timezone = s,
        "kill_grace" => f.kill_grace = s,
        "heartbeat_interval" => f.heartbeat_interval = s,
        "heartbeat_expiry" => f.heartbeat_expiry = s,
        "drain_timeout" => f.drain_timeout = s,
        "output_cap_bytes" => f.output_cap_bytes = Some(parse_int(v)?),
        "amqp_url" => f.amqp_url = s,
        "amqp_prefix" => f.amqp_prefix = s,
        "retention.succeeded" => f.retention.succeeded = s,
        "retention.other" => f.retention.other = s,
        "retention.audit" => f.retention.audit = s,
        "retention.resolved_alerts" => f.retention.resolved_alerts = s,
        "retention.notifications" => f.retention.notifications = s,
        "retention.purge_batch" => f.retention.purge_batch = Some(parse_int(v)?),
        "magento.root" => f.magento.root = s,
        "magento.php" => f.magento.php = s,
        "auth.jwt_secret" => f.auth.jwt_secret = s,
        "auth.public_key_file" => f.auth.public_key_file = s,
        "auth.algorithm" => f.auth.algorithm = s,
        "auth.issuer" => f.auth.issuer = s,
        "auth.max_token_lifetime" => f.auth.max_token_lifetime = s,
        "queues.magento_database_url" => f.queues.magento_database_url = s,
        "queues.amqp_url" => f.queues.amqp_url = s,
        "queues.magento_table_prefix" => f.queues.magento_table_prefix = s,
        "queues.depth_sample_every" => f.queues.depth_sample_every = s,
        "queues.depth_history_keep" => f.queues.depth_history_keep = s,
        "graphql.max_concurrent_per_subject" => f.graphql.max_concurrent_per_subject = Some(parse_int(v)?),
        "graphql.queue_timeout" => f.graphql.queue_timeout = s,
        other => unreachable!("ENV_KEYS names a key set_scalar does not know: {other}"),
    }
    Ok(())
}
