//! `[[consumers]]` (supervised Magento queue consumers) and `[queues]` (where
//! queue depths are read, and how often they are sampled). The two database
//! URLs carry passwords, so they become [`Secret`]s here, at the edge.

use std::time::Duration;

use serde::Deserialize;

use super::{duration, Config, ConfigError, Secret};
use crate::consumers::definition::{ConsumerDefinition, RestartBackoff};
use crate::domain::LaneName;

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ConsumerFile {
    pub name: String,
    pub lane: Option<String>,
    pub instances: Option<i64>,
    pub max_messages: Option<i64>,
    pub command: Option<Vec<String>>,
    pub only_when_messages: Option<bool>,
    pub watch_queue: Option<String>,
    pub connection: Option<String>,
    pub area_code: Option<String>,
    pub idle_timeout: Option<String>,
    #[serde(default)]
    pub nodes: Vec<String>,
    pub crash_loop_limit: Option<i64>,
    pub backoff: Option<ConsumerBackoffFile>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct ConsumerBackoffFile {
    pub initial: Option<String>,
    pub max: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueuesFile {
    /// Magento's own database, read-only, for the MySQL queue's depths.
    pub magento_database_url: Option<String>,
    /// Magento's table prefix (env.php `db` → `table_prefix`), for the queue tables.
    pub magento_table_prefix: Option<String>,
    /// RabbitMQ, for passive declares of AMQP queues.
    pub amqp_url: Option<String>,
    pub depth_sample_every: Option<String>,
    pub depth_history_keep: Option<String>,
}

impl std::fmt::Debug for QueuesFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueuesFile")
            .field("magento_table_prefix", &self.magento_table_prefix)
            .field("depth_sample_every", &self.depth_sample_every)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct QueuesConfig {
    pub magento_database_url: Option<Secret>,
    /// Prepended to `queue` and `queue_message_status`, as Magento does with
    /// env.php's `table_prefix`; empty for none. Only `[A-Za-z0-9_]`, so it
    /// can be written into SQL as an identifier.
    pub magento_table_prefix: String,
    pub amqp_url: Option<Secret>,
    /// How often the depth history is sampled (by one process at a time).
    pub depth_sample_every: Duration,
    /// How long samples are kept.
    pub depth_history_keep: Duration,
}

/// `dispatch_amqp_url` is the top-level `amqp_url` (run dispatch): the broker
/// to watch Magento's queues on when `queues.amqp_url` does not name another.
pub fn queues_from(f: &QueuesFile, dispatch_amqp_url: Option<&str>) -> Result<QueuesConfig, ConfigError> {
    let magento_database_url = f.magento_database_url.clone().filter(|u| !u.is_empty());
    if let Some(url) = &magento_database_url {
        if !(url.starts_with("mysql://") || url.starts_with("mariadb://")) {
            return Err(ConfigError::new(
                "queues.magento_database_url",
                "must start with mysql:// or mariadb:// (Magento's database)",
            ));
        }
    }
    let magento_table_prefix = table_prefix(f.magento_table_prefix.as_deref().unwrap_or(""))?;
    let amqp_url = f.amqp_url.clone().filter(|u| !u.is_empty()).or_else(|| dispatch_amqp_url.filter(|u| !u.is_empty()).map(str::to_owned));
    if let Some(url) = &amqp_url {
        if !(url.starts_with("amqp://") || url.starts_with("amqps://")) {
            return Err(ConfigError::new(
                "queues.amqp_url",
                "must start with amqp:// or amqps://",
            ));
        }
    }
    let depth_sample_every = duration(&f.depth_sample_every, "queues.depth_sample_every", "1m")?;
    if depth_sample_every < Duration::from_secs(1) {
        return Err(ConfigError::new(
            "queues.depth_sample_every",
            "must be at least 1s",
        ));
    }
    Ok(QueuesConfig {
        magento_database_url: magento_database_url.map(Secret::new),
        magento_table_prefix,
        amqp_url: amqp_url.map(Secret::new),
        depth_sample_every,
        depth_history_keep: duration(&f.depth_history_keep, "queues.depth_history_keep", "7days")?,
    })
}

/// Magento's table prefix, checked: it is written into the depth query as
/// part of table names, so only what Magento's installer accepts passes
/// (letters, digits, underscores).
pub fn table_prefix(prefix: &str) -> Result<String, ConfigError> {
    const KEY: &str = "queues.magento_table_prefix";
    if prefix.len() > 64 {
        return Err(ConfigError::new(KEY, "must be at most 64 characters"));
    }
    if let Some(c) = prefix
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
    {
        return Err(ConfigError::new(
            KEY,
            format!("`{prefix}` contains `{c}`; a Magento table prefix has only letters, digits and `_` (env.php 'db' => ['table_prefix' => ...])"),
        ));
    }
    Ok(prefix.to_string())
}

/// `[[consumers]]` into definitions, each checked like API input; errors name
/// `consumers[i] (name).field`.
pub fn consumers_from(
    files: &[ConsumerFile],
    config: &Config,
) -> Result<Vec<ConsumerDefinition>, ConfigError> {
    let mut seen = std::collections::BTreeSet::new();
    files
        .iter()
        .enumerate()
        .map(|(i, cf)| {
            let key = format!("consumers[{i}] ({})", cf.name);
            if !seen.insert(cf.name.clone()) {
                return Err(ConfigError::new(
                    key,
                    "a consumer with this name is declared twice",
                ));
            }
            let def = consumer_from(cf)
                .map_err(|(field, message)| ConfigError::new(format!("{key}.{field}"), message))?;
            def.validate(config)
                .map_err(|(field, message)| ConfigError::new(format!("{key}.{field}"), message))?;
            Ok(def)
        })
        .collect()
}

type FieldError = (&'static str, String);

fn consumer_from(cf: &ConsumerFile) -> Result<ConsumerDefinition, FieldError> {
    let mut def = ConsumerDefinition::new(cf.name.clone());
    if let Some(lane) = &cf.lane {
        def.lane = LaneName::parse(lane).map_err(|e| ("lane", e.to_string()))?;
    }
    if let Some(n) = cf.instances {
        def.instances =
            u32::try_from(n).map_err(|_| ("instances", "must be 0 or more".to_string()))?;
    }
    if let Some(n) = cf.max_messages {
        def.max_messages = u32::try_from(n)
            .ok()
            .filter(|n| *n > 0)
            .ok_or(("max_messages", "must be at least 1".to_string()))?;
    }
    def.command = cf.command.clone();
    def.only_when_messages = cf.only_when_messages.unwrap_or(false);
    if let Some(q) = &cf.watch_queue {
        def.watch_queue = Some(q.clone());
    }
    def.connection = cf.connection.clone();
    def.area_code = cf.area_code.clone();
    if cf.idle_timeout.is_some() {
        let d = duration(&cf.idle_timeout, "idle_timeout", "0s")
            .map_err(|e| ("idle_timeout", e.message))?;
        if d.is_zero() {
            return Err(("idle_timeout", "must be greater than zero".into()));
        }
        def.idle_timeout = Some(d);
    }
    def.nodes = cf.nodes.clone();
    if let Some(n) = cf.crash_loop_limit {
        def.crash_loop_limit = u32::try_from(n)
            .ok()
            .filter(|n| *n > 0)
            .ok_or(("crash_loop_limit", "must be at least 1".to_string()))?;
    }
    if let Some(b) = &cf.backoff {
        let mut backoff = RestartBackoff::default();
        if b.initial.is_some() {
            backoff.initial_ms = duration(&b.initial, "backoff.initial", "1s")
                .map_err(|e| ("backoff.initial", e.message))?
                .as_millis() as u64;
        }
        if b.max.is_some() {
            backoff.max_ms = duration(&b.max, "backoff.max", "1m")
                .map_err(|e| ("backoff.max", e.message))?
                .as_millis() as u64;
        }
        def.backoff = backoff;
    }
    Ok(def)
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    fn load(text: &str) -> Result<Config, super::ConfigError> {
        Config::from_file(Config::parse_file(text, "test.toml")?)
    }

    #[test]
    fn the_issue_example_loads() {
        let config = load(
            r#"
[[consumers]]
name = "async.operations.all"
lane = "bulk"
instances = 2
max_messages = 10000
# command = ["php", "bin/magento", "queue:consumers:start", "async.operations.all", "--single-thread", "--max-messages=10000"]
only_when_messages = false
watch_queue = "async.operations.all"
"#,
        )
        .unwrap();
        let c = &config.consumers[0];
        assert_eq!(
            (
                c.name.as_str(),
                c.lane.as_str(),
                c.instances,
                c.max_messages
            ),
            ("async.operations.all", "bulk", 2, 10_000)
        );
        assert_eq!(c.watch_queue.as_deref(), Some("async.operations.all"));
        assert!(c.command.is_none() && !c.only_when_messages);
    }

    #[test]
    fn errors_name_the_consumer_and_the_key() {
        let e = load("[[consumers]]\nname = \"a\"\nlane = \"nowhere\"\n").unwrap_err();
        assert_eq!(e.key, "consumers[0] (a).lane");
        let e = load("[[consumers]]\nname = \"a\"\ninstances = -1\n").unwrap_err();
        assert_eq!(e.key, "consumers[0] (a).instances");
        let e = load("[[consumers]]\nname = \"a\"\nidle_timeout = \"soon\"\n").unwrap_err();
        assert_eq!(e.key, "consumers[0] (a).idle_timeout");
        let e = load("[[consumers]]\nname = \"a\"\n[[consumers]]\nname = \"a\"\n").unwrap_err();
        assert_eq!(e.key, "consumers[1] (a)");
        let e = load("[[consumers]]\nname = \"a\"\ninstance = 2\n").unwrap_err();
        assert!(e.message.contains("instance"), "{e}");
    }

    #[test]
    fn the_magento_table_prefix_is_checked_and_defaults_to_none() {
        assert_eq!(load("").unwrap().queues.magento_table_prefix, "");
        let config = load("[queues]\nmagento_table_prefix = \"mg_2\"\n").unwrap();
        assert_eq!(config.queues.magento_table_prefix, "mg_2");
        for bad in ["mg-", "mg_;DROP", "m g", "é"] {
            let e = load(&format!("[queues]\nmagento_table_prefix = \"{bad}\"\n")).unwrap_err();
            assert_eq!(e.key, "queues.magento_table_prefix", "{bad}");
            assert!(e.message.contains("letters, digits and `_`"), "{e}");
        }
    }

    #[test]
    fn a_consumer_lane_mapping_to_an_unknown_lane_stops_the_start() {
        let e = load("[magento.consumer_lanes]\nrules = [ { consumers = \"x.*\", lane = \"sales\" } ]\n")
            .unwrap_err();
        assert_eq!(e.key, "magento.consumer_lanes");
        assert!(e.message.contains("lane `sales`, which is not configured"), "{e}");
        let e = load("[magento.consumer_lanes]\nrules = [ { consumer = \"x.*\", lane = \"bulk\" } ]\n")
            .unwrap_err();
        assert_eq!(e.key, "magento.consumer_lanes", "{e}");
        let ok = load("[magento.consumer_lanes]\ndefault = \"bulk\"\n").unwrap();
        assert_eq!(ok.magento.consumer_lanes.place("anything").lane.as_str(), "bulk");
    }

    #[test]
    fn queue_urls_are_checked_and_kept_secret() {
        let e = load("[queues]\nmagento_database_url = \"postgres://x\"\n").unwrap_err();
        assert_eq!(e.key, "queues.magento_database_url");
        let config = load("[queues]\nmagento_database_url = \"mysql://u:hunter2@db/shop\"\namqp_url = \"amqp://u:pw@mq\"\n").unwrap();
        let shown = format!("{:?}", config.queues);
        assert!(
            !shown.contains("hunter2") && !shown.contains("pw@"),
            "{shown}"
        );
    }
}
