//! Configuration in three layers: built-in defaults that serve a newcomer with no
//! file, the TOML file (`--config`), then `CRONKEEPER_*` environment variables.
//! Everything is parsed into typed values here, once; an invalid value stops the
//! start with a [`ConfigError`] naming the key and what is wrong.

pub mod alerts;
pub mod consumers;
mod env;
mod file;
pub mod graphql;
mod jobs;
mod secret;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;

use crate::domain::{parse_duration, LaneName};
pub use env::ENV_KEYS;
pub use file::FileConfig;
pub use secret::Secret;

/// A configuration problem, named by its key path (`lanes.bulk.slots`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid configuration: {key}: {message}")]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self { key: key.into(), message: message.into() }
    }
}

#[derive(Debug, Clone)]
pub struct LaneConfig {
    pub name: LaneName,
    pub slots: usize,
    pub default_timeout: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct MagentoConfig {
    pub root: Option<PathBuf>,
    pub php: String,
    /// The `[magento.lanes]` table, read by `magento::LaneMapping`.
    pub lanes: Option<toml::Value>,
    /// `[magento.consumer_lanes]`, or the built-in mapping; every lane checked.
    pub consumer_lanes: crate::consumers::lanes::ConsumerLaneMapping,
}

#[derive(Debug, Clone)]
pub struct AuthConfig {
    pub jwt_secret: Option<Secret>,
    pub public_key_file: Option<PathBuf>,
    pub algorithm: String,
    pub issuer: Option<String>,
    pub max_token_lifetime: Duration,
}

/// RabbitMQ dispatch (`amqp_url`): lane queues on a broker instead of the store.
#[derive(Debug, Clone)]
pub struct AmqpConfig {
    /// `amqp://user:password@host:5672/vhost` or `amqps://…`; holds a password.
    pub url: Secret,
    /// Queue names are `<prefix>.lane.<lane>`, dead letters go to `<prefix>.dead-letter`.
    pub prefix: String,
}

pub const DEFAULT_AMQP_PREFIX: &str = "cronkeeper";

#[derive(Debug, Clone)]
pub struct RetentionConfig {
    pub succeeded: Duration,
    pub other: Duration,
    pub audit: Duration,
    pub resolved_alerts: Duration,
    pub notifications: Duration,
    pub purge_batch: i64,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database_url: String,
    /// Where the embedded database and generated secrets live.
    pub data_dir: PathBuf,
    /// This node's name in runs and the workers list.
    pub node: String,
    pub default_timeout: Duration,
    pub timezone: Tz,
    /// Time between SIGTERM and SIGKILL for a run's process group.
    pub kill_grace: Duration,
    pub heartbeat_interval: Duration,
    /// A RUNNING run whose heartbeat is older than this is taken as lost.
    pub heartbeat_expiry: Duration,
    /// On SIGTERM, how long running runs get before they are closed INTERRUPTED.
    pub drain_timeout: Duration,
    pub output_cap_bytes: usize,
    /// `None`: the embedded queue (the store) dispatches runs.
    pub amqp: Option<AmqpConfig>,
    pub retention: RetentionConfig,
    pub lanes: Vec<LaneConfig>,
    pub magento: MagentoConfig,
    pub auth: AuthConfig,
    pub jobs: Vec<crate::domain::Job>,
    pub alerts: alerts::AlertsConfig,
    /// `[[consumers]]`: Magento queue consumers declared in the file.
    pub consumers: Vec<crate::consumers::definition::ConsumerDefinition>,
    /// `[queues]`: where queue depths are read and how often they are sampled.
    pub queues: consumers::QueuesConfig,
    /// `[graphql]`: operations per token subject at once, and how long more wait.
    pub graphql: graphql::GraphqlConfig,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "var";

impl Config {
    /// Defaults, then the file at `path` (if any), then the process environment.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars().filter(|(k, _)| k.starts_with("CRONKEEPER_")).collect();
        Self::load_with_env(path, &env)
    }

    pub fn load_with_env(path: Option<&Path>, env: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let mut file = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::new("--config", format!("cannot read {}: {e}", path.display())))?;
                Self::parse_file(&text, &path.display().to_string())?
            }
            None => FileConfig::default(),
        };
        env::apply(&mut file, env)?;
        Self::from_file(file)
    }

    pub fn parse_file(text: &str, source: &str) -> Result<FileConfig, ConfigError> {
        toml::from_str(text).map_err(|e| {
            let key = e.span().map(|s| line_of(text, s.start)).map(|l| format!("{source}:{l}")).unwrap_or(source.to_string());
            ConfigError::new(key, e.message().to_string())
        })
    }

    pub fn from_file(f: FileConfig) -> Result<Config, ConfigError> {
        let listen_text = f.listen.clone().unwrap_or_else(|| DEFAULT_LISTEN.to_string());
        let listen: SocketAddr = listen_text
            .parse()
            .map_err(|_| ConfigError::new("listen", format!("`{listen_text}` is not an address like 127.0.0.1:8080")))?;
        let data_dir = PathBuf::from(f.data_dir.clone().unwrap_or_else(|| DEFAULT_DATA_DIR.to_string()));
        let database_url = f
            .database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}/cronkeeper.db", data_dir.display()));
        check_database_url(&database_url)?;
        let timezone_text = f.timezone.clone().unwrap_or_else(|| "UTC".to_string());
        let timezone: Tz = timezone_text
            .parse()
            .map_err(|_| ConfigError::new("timezone", format!("`{timezone_text}` is not an IANA time zone like Europe/Amsterdam")))?;

        let lanes = lanes_from(&f.lanes)?;
        let default_timeout = duration(&f.default_timeout, "default_timeout", "30m")?;
        let kill_grace = duration(&f.kill_grace, "kill_grace", "10s")?;
        let heartbeat_interval = duration(&f.heartbeat_interval, "heartbeat_interval", "5s")?;
        let heartbeat_expiry = duration(&f.heartbeat_expiry, "heartbeat_expiry", "60s")?;
        let drain_timeout = duration(&f.drain_timeout, "drain_timeout", "60s")?;
        let output_cap = f.output_cap_bytes.unwrap_or(64 * 1024);
        if !(1024..=16 * 1024 * 1024).contains(&output_cap) {
            return Err(ConfigError::new("output_cap_bytes", "must be between 1024 and 16777216"));
        }
        let retention = RetentionConfig {
            succeeded: duration(&f.retention.succeeded, "retention.succeeded", "7days")?,
            other: duration(&f.retention.other, "retention.other", "30days")?,
            audit: duration(&f.retention.audit, "retention.audit", "90days")?,
            resolved_alerts: duration(&f.retention.resolved_alerts, "retention.resolved_alerts", "30days")?,
            notifications: duration(&f.retention.notifications, "retention.notifications", "30days")?,
            purge_batch: positive(f.retention.purge_batch.unwrap_or(500), "retention.purge_batch")?,
        };
        let auth = AuthConfig {
            jwt_secret: f.auth.jwt_secret.clone().map(Secret::new),
            public_key_file: f.auth.public_key_file.clone().map(PathBuf::from),
            algorithm: f.auth.algorithm.clone().unwrap_or_else(|| "HS256".into()),
            issuer: f.auth.issuer.clone(),
            max_token_lifetime: duration(&f.auth.max_token_lifetime, "auth.max_token_lifetime", "15m")?,
        };
        if let Some(secret) = &auth.jwt_secret {
            if secret.expose().len() < 32 {
                return Err(ConfigError::new("auth.jwt_secret", "must be at least 32 bytes long"));
            }
        }
        let magento = MagentoConfig {
            root: f.magento.root.clone().map(PathBuf::from),
            php: f.magento.php.clone().unwrap_or_else(|| "php".into()),
            lanes: f.magento.lanes.clone(),
            consumer_lanes: consumer_lanes_from(f.magento.consumer_lanes.clone(), &lanes)?,
        };
        let node = f.node.clone().unwrap_or_else(hostname);
        let amqp = amqp_from(f.amqp_url.as_deref(), f.amqp_prefix.as_deref())?;
        let alerts = alerts::alerts_from(&f.alerts)?;
        let queues = consumers::queues_from(&f.queues, f.amqp_url.as_deref())?;
        let graphql = graphql::graphql_from(&f.graphql)?;

        let mut config = Config {
            listen,
            database_url,
            data_dir,
            node,
            default_timeout,
            timezone,
            kill_grace,
            heartbeat_interval,
            heartbeat_expiry,
            drain_timeout,
            output_cap_bytes: output_cap as usize,
            amqp,
            retention,
            lanes,
            magento,
            auth,
            jobs: Vec::new(),
            alerts,
            consumers: Vec::new(),
            queues,
            graphql,
        };
        config.jobs = jobs::jobs_from(&f.jobs, &config)?;
        config.consumers = consumers::consumers_from(&f.consumers, &config)?;
        config.check_timeouts()?;
        Ok(config)
    }

    pub fn lane(&self, name: &str) -> Option<&LaneConfig> {
        self.lanes.iter().find(|l| l.name.as_str() == name)
    }

    /// The timeout a run of `job` gets: its own, else its lane's, else the global default.
    pub fn timeout_for(&self, job: &crate::domain::Job) -> Duration {
        job.timeout
            .or_else(|| self.lane(job.lane.as_str()).and_then(|l| l.default_timeout))
            .unwrap_or(self.default_timeout)
    }

    /// The supervision timers must nest, or recovery would act on healthy runs:
    /// heartbeats are sent several times per expiry window, and a run being
    /// terminated (kill grace) finishes before a drain gives up on it.
    fn check_timeouts(&self) -> Result<(), ConfigError> {
        if self.heartbeat_interval.is_zero() {
            return Err(ConfigError::new("heartbeat_interval", "must be greater than zero"));
        }
        if self.heartbeat_interval * 3 > self.heartbeat_expiry {
            return Err(ConfigError::new(
                "heartbeat_expiry",
                format!(
                    "{} must be at least three heartbeat_interval ({}), or a busy node would be taken for dead",
                    fmt(self.heartbeat_expiry),
                    fmt(self.heartbeat_interval)
                ),
            ));
        }
        if self.kill_grace >= self.drain_timeout {
            return Err(ConfigError::new(
                "drain_timeout",
                format!("{} must be longer than kill_grace ({}) so a drained run can be ended cleanly", fmt(self.drain_timeout), fmt(self.kill_grace)),
            ));
        }
        if self.kill_grace + self.heartbeat_interval >= self.heartbeat_expiry {
            return Err(ConfigError::new(
                "heartbeat_expiry",
                format!(
                    "{} must exceed kill_grace ({}) plus heartbeat_interval ({}): a run being terminated still counts as alive",
                    fmt(self.heartbeat_expiry),
                    fmt(self.kill_grace),
                    fmt(self.heartbeat_interval)
                ),
            ));
        }
        Ok(())
    }
}

pub(crate) fn fmt(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

pub(crate) fn duration(value: &Option<String>, key: &str, default: &str) -> Result<Duration, ConfigError> {
    let text = value.as_deref().unwrap_or(default);
    parse_duration(text).map_err(|e| ConfigError::new(key, e.to_string()))
}

fn positive(v: i64, key: &str) -> Result<i64, ConfigError> {
    if v < 1 {
        return Err(ConfigError::new(key, "must be at least 1"));
    }
    Ok(v)
}

/// The AMQP settings, if `amqp_url` is set. The URL is checked for its scheme
/// only here; the broker says the rest when the service connects.
fn amqp_from(url: Option<&str>, prefix: Option<&str>) -> Result<Option<AmqpConfig>, ConfigError> {
    let prefix = prefix.unwrap_or(DEFAULT_AMQP_PREFIX).to_string();
    let prefix_ok = !prefix.is_empty() && prefix.len() <= 100 && prefix.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !prefix_ok {
        return Err(ConfigError::new("amqp_prefix", format!("`{prefix}` must be 1 to 100 letters, digits, dots, dashes or underscores")));
    }
    let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else { return Ok(None) };
    if !(url.starts_with("amqp://") || url.starts_with("amqps://")) {
        // The value may hold a password: name the key, not the value.
        return Err(ConfigError::new("amqp_url", "must start with amqp:// or amqps://"));
    }
    Ok(Some(AmqpConfig { url: Secret::new(url.to_string()), prefix }))
}

fn check_database_url(url: &str) -> Result<(), ConfigError> {
    let ok = ["sqlite:", "postgres://", "postgresql://", "mysql://", "mariadb://"].iter().any(|p| url.starts_with(p));
    if ok {
        Ok(())
    } else {
        Err(ConfigError::new("database_url", "must start with sqlite:, postgres://, postgresql://, mysql:// or mariadb://"))
    }
}

/// `[magento.consumer_lanes]` (or the built-in mapping), every lane it names configured.
fn consumer_lanes_from(
    table: Option<toml::Value>,
    lanes: &[LaneConfig],
) -> Result<crate::consumers::lanes::ConsumerLaneMapping, ConfigError> {
    const KEY: &str = "magento.consumer_lanes";
    let mapping = match table {
        None => crate::consumers::lanes::ConsumerLaneMapping::magento_defaults(),
        Some(t) => crate::consumers::lanes::ConsumerLaneMapping::from_toml(t).map_err(|m| ConfigError::new(KEY, m))?,
    };
    if let Some(missing) = mapping.lanes().find(|l| !lanes.iter().any(|c| &c.name == *l)) {
        return Err(ConfigError::new(KEY, format!("maps consumers to lane `{missing}`, which is not configured (add [lanes.{missing}])")));
    }
    Ok(mapping)
}

/// The default lanes, then whatever the file adds or changes.
fn lanes_from(file: &BTreeMap<String, file::LaneFile>) -> Result<Vec<LaneConfig>, ConfigError> {
    let mut lanes: BTreeMap<String, LaneConfig> = BTreeMap::new();
    for (name, slots) in [("critical", 2), ("default", 2), ("bulk", 1)] {
        lanes.insert(name.into(), LaneConfig { name: LaneName::parse(name).unwrap(), slots, default_timeout: None });
    }
    for (name, lf) in file {
        let key = format!("lanes.{name}");
        let lane_name = LaneName::parse(name).map_err(|e| ConfigError::new(&key, e.to_string()))?;
        let entry = lanes.entry(name.clone()).or_insert(LaneConfig { name: lane_name, slots: 1, default_timeout: None });
        if let Some(slots) = lf.slots {
            if !(1..=1024).contains(&slots) {
                return Err(ConfigError::new(format!("{key}.slots"), "must be between 1 and 1024"));
            }
            entry.slots = slots as usize;
        }
        if lf.default_timeout.is_some() {
            entry.default_timeout = Some(duration(&lf.default_timeout, &format!("{key}.default_timeout"), "30m")?);
        }
    }
    Ok(lanes.into_values().collect())
}

pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests;
