//! The TOML file as written by an operator: every field optional, names as in
//! the docs. `deny_unknown_fields` turns a typo (`slotz = 2`) into an error that
//! names the key instead of a setting silently ignored.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub database_url: Option<String>,
    pub data_dir: Option<String>,
    pub node: Option<String>,
    pub default_timeout: Option<String>,
    pub timezone: Option<String>,
    pub kill_grace: Option<String>,
    pub heartbeat_interval: Option<String>,
    pub heartbeat_expiry: Option<String>,
    pub drain_timeout: Option<String>,
    pub output_cap_bytes: Option<i64>,
    /// RabbitMQ dispatch; unset means the embedded queue (the store).
    pub amqp_url: Option<String>,
    /// Prefix of the lane queue and dead-letter names on the broker.
    pub amqp_prefix: Option<String>,
    #[serde(default)]
    pub retention: RetentionFile,
    #[serde(default)]
    pub lanes: BTreeMap<String, LaneFile>,
    #[serde(default)]
    pub magento: MagentoFile,
    #[serde(default)]
    pub auth: AuthFile,
    #[serde(default)]
    pub jobs: Vec<JobFile>,
    #[serde(default)]
    pub alerts: super::alerts::AlertsFile,
    #[serde(default)]
    pub consumers: Vec<super::consumers::ConsumerFile>,
    #[serde(default)]
    pub queues: super::consumers::QueuesFile,
    #[serde(default)]
    pub graphql: super::graphql::GraphqlFile,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionFile {
    pub succeeded: Option<String>,
    pub other: Option<String>,
    /// The audit log of API mutations.
    pub audit: Option<String>,
    /// Alerts resolved this long ago (open ones are kept).
    pub resolved_alerts: Option<String>,
    /// Alert notifications delivered or given up on this long ago.
    pub notifications: Option<String>,
    pub purge_batch: Option<i64>,
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct LaneFile {
    pub slots: Option<i64>,
    pub default_timeout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MagentoFile {
    pub root: Option<String>,
    pub php: Option<String>,
    /// Job-to-lane mapping for imported Magento jobs; see `magento::LaneMapping`.
    pub lanes: Option<toml::Value>,
    /// Consumer-to-lane mapping for imported Magento consumers; see `consumers::lanes`.
    pub consumer_lanes: Option<toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthFile {
    pub jwt_secret: Option<String>,
    pub public_key_file: Option<String>,
    pub algorithm: Option<String>,
    pub issuer: Option<String>,
    pub max_token_lifetime: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct JobFile {
    pub code: String,
    pub schedule: String,
    pub lane: Option<String>,
    pub timezone: Option<String>,
    pub timeout: Option<String>,
    pub command: Option<Vec<String>>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub working_dir: Option<String>,
    /// Run through Magento (`bin/magento cronkeeper:job:run <code>`).
    pub magento: Option<bool>,
    pub http: Option<HttpFile>,
    pub max_retries: Option<u32>,
    pub backoff: Option<BackoffFile>,
    pub concurrency: Option<String>,
    pub misfire: Option<String>,
    pub starting_deadline: Option<String>,
    pub priority: Option<i32>,
    pub business_critical: Option<bool>,
    pub paused: Option<bool>,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct HttpFile {
    pub url: String,
    pub method: Option<String>,
    pub timeout: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct BackoffFile {
    pub initial: Option<String>,
    pub factor: Option<f64>,
    pub max: Option<String>,
    pub jitter: Option<f64>,
}
