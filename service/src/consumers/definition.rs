//! What a consumer *is*: the Magento consumer name, how to start it, how many
//! processes, where, and when. One [`ConsumerDefinition`] per consumer, stored
//! as JSON in the `consumers` table next to the operator's switches (stopped,
//! restart generation, parking), which live in [`StoredConsumer`].

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::domain::{EpochMs, LaneName};

/// Magento's `consumers_runner` default for `--max-messages` (env.php
/// `cron_consumers_runner/max_messages`).
pub const DEFAULT_MAX_MESSAGES: u32 = 10_000;
/// Consecutive non-zero exits after which a consumer is parked.
pub const DEFAULT_CRASH_LOOP_LIMIT: u32 = 5;
/// Most processes one consumer may have; more is a typo, not a plan.
pub const MAX_INSTANCES: u32 = 64;

/// Where a definition came from; decides who may change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConsumerSource {
    /// `[[consumers]]` in the config file: saved at every start, the file wins.
    Config,
    /// `cronkeeper import magento-consumers` or `syncMagentoConsumers`.
    Magento,
}

impl ConsumerSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Config => "config",
            Self::Magento => "magento",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "config" => Some(Self::Config),
            "magento" => Some(Self::Magento),
            _ => None,
        }
    }
}

/// Exponential backoff after a non-zero exit: `initial * 2^(failures-1)`, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartBackoff {
    pub initial_ms: u64,
    pub max_ms: u64,
}

impl Default for RestartBackoff {
    fn default() -> Self {
        Self {
            initial_ms: 1_000,
            max_ms: 60_000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsumerDefinition {
    /// Magento's consumer name (`async.operations.all`).
    pub name: String,
    #[serde(deserialize_with = "lane_from_text")]
    pub lane: LaneName,
    /// Processes wanted across all nodes; 0 disables the consumer.
    pub instances: u32,
    /// `--max-messages` of each process; it exits 0 when reached and is replaced at once.
    pub max_messages: u32,
    /// The argv; `None` runs `<php> <magento.root>/bin/magento queue:consumers:start <name> --single-thread --max-messages=<n>`.
    pub command: Option<Vec<String>>,
    /// Start processes only while `watch_queue` has messages waiting.
    pub only_when_messages: bool,
    /// The queue whose depth `only_when_messages` and `idle_timeout` look at.
    pub watch_queue: Option<String>,
    /// Magento's connection for the queue: `db` (MySQL queue tables) or `amqp`.
    pub connection: Option<String>,
    /// `--area-code` of the default command (Magento starts consumers in
    /// `global`); set by `[magento.consumer_lanes]`.
    #[serde(default)]
    pub area_code: Option<String>,
    /// Magento's handler, for display (`Vendor\Module\Model\Consumer::process`).
    pub handler: Option<String>,
    /// Stop the processes once the watched queue has been empty this long;
    /// they come back when messages arrive.
    #[serde(default, with = "opt_ms")]
    pub idle_timeout: Option<Duration>,
    /// Nodes the processes may run on; empty means any.
    #[serde(default)]
    pub nodes: Vec<String>,
    pub crash_loop_limit: u32,
    #[serde(default)]
    pub backoff: RestartBackoff,
}

impl ConsumerDefinition {
    /// A definition with cronkeeper's defaults: one process, 10 000 messages,
    /// lane `default`, watching the queue of the same name.
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            watch_queue: Some(name.clone()),
            name,
            lane: LaneName::parse("default").expect("a valid lane name"),
            instances: 1,
            max_messages: DEFAULT_MAX_MESSAGES,
            command: None,
            only_when_messages: false,
            connection: None,
            area_code: None,
            handler: None,
            idle_timeout: None,
            nodes: Vec::new(),
            crash_loop_limit: DEFAULT_CRASH_LOOP_LIMIT,
            backoff: RestartBackoff::default(),
        }
    }

    /// Whether this node may run processes of the consumer.
    pub fn runs_on(&self, node: &str) -> bool {
        self.nodes.is_empty() || self.nodes.iter().any(|n| n == node)
    }

    /// The argv a process is started with.
    pub fn argv(&self, config: &Config) -> Result<Vec<String>, String> {
        if let Some(argv) = &self.command {
            return Ok(argv.clone());
        }
        let root = config.magento.root.as_ref().ok_or_else(|| {
            format!("consumer `{}` has no command and magento.root is not set, so bin/magento cannot be found", self.name)
        })?;
        let mut argv = vec![
            config.magento.php.clone(),
            root.join("bin/magento").display().to_string(),
            "queue:consumers:start".into(),
            self.name.clone(),
            "--single-thread".into(),
            format!("--max-messages={}", self.max_messages),
        ];
        if let Some(area) = &self.area_code {
            argv.push(format!("--area-code={area}"));
        }
        Ok(argv)
    }

    /// Checks the fields a definition from any source must satisfy; the error
    /// names the field (`instances`, `watch_queue`) and says why.
    pub fn validate(&self, config: &Config) -> Result<(), (&'static str, String)> {
        validate_name(&self.name).map_err(|m| ("name", m))?;
        if config.lane(self.lane.as_str()).is_none() {
            return Err((
                "lane",
                format!(
                    "no lane `{}` is configured (add [lanes.{}])",
                    self.lane, self.lane
                ),
            ));
        }
        if self.instances > MAX_INSTANCES {
            return Err((
                "instances",
                format!("must be between 0 and {MAX_INSTANCES}"),
            ));
        }
        if self.max_messages == 0 {
            return Err(("max_messages", "must be at least 1".into()));
        }
        if let Some(argv) = &self.command {
            if argv.first().map_or(true, |p| p.is_empty()) {
                return Err(("command", "must name a program as its first element".into()));
            }
        }
        if (self.only_when_messages || self.idle_timeout.is_some()) && self.watch_queue.is_none() {
            return Err((
                "watch_queue",
                "only_when_messages and idle_timeout need the queue to watch".into(),
            ));
        }
        if let Some(q) = &self.watch_queue {
            validate_name(q).map_err(|m| ("watch_queue", m))?;
        }
        if let Some(c) = &self.connection {
            if c.trim().is_empty() || c.len() > 64 {
                return Err((
                    "connection",
                    "must be a Magento connection name such as db or amqp".into(),
                ));
            }
        }
        if let Some(area) = &self.area_code {
            super::lanes::validate_area_code(area).map_err(|m| ("area_code", m))?;
        }
        if self.crash_loop_limit == 0 {
            return Err(("crash_loop_limit", "must be at least 1".into()));
        }
        if self.backoff.initial_ms == 0 || self.backoff.max_ms < self.backoff.initial_ms {
            return Err((
                "backoff",
                "initial must be above zero and max at least initial".into(),
            ));
        }
        Ok(())
    }
}

/// Consumer and queue names as Magento allows them: letters, digits and `._-`.
pub fn validate_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 200 {
        return Err("must be 1 to 200 characters".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "`{name}` contains `{c}`; use letters, digits, `.`, `_` and `-`"
        ));
    }
    Ok(())
}

/// A definition as stored, with the switches operators flip over the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConsumer {
    pub definition: ConsumerDefinition,
    pub source: ConsumerSource,
    /// Fields an operator changed over the API; a Magento re-import keeps them.
    pub overrides: Vec<String>,
    /// `stopConsumer`: no process until `startConsumer`.
    pub stopped: bool,
    /// Bumped by `restartConsumer` and `cronkeeper consumers restart`; a
    /// process started under an older generation is replaced.
    pub restart_generation: i64,
    /// Set when a crash loop parked the consumer.
    pub parked_at: Option<EpochMs>,
    pub parked_reason: Option<String>,
    pub created_at: EpochMs,
    pub updated_at: EpochMs,
}

impl StoredConsumer {
    pub fn new(definition: ConsumerDefinition, source: ConsumerSource, now: EpochMs) -> Self {
        Self {
            definition,
            source,
            overrides: Vec::new(),
            stopped: false,
            restart_generation: 0,
            parked_at: None,
            parked_reason: None,
            created_at: now,
            updated_at: now,
        }
    }

    pub fn name(&self) -> &str {
        &self.definition.name
    }

    /// Processes wanted now, on all nodes together, before idleness is considered.
    pub fn wanted(&self) -> u32 {
        if self.stopped || self.parked_at.is_some() {
            0
        } else {
            self.definition.instances
        }
    }

    pub fn overridden(&self, field: &str) -> bool {
        self.overrides.iter().any(|o| o == field)
    }

    pub fn add_override(&mut self, field: &str) {
        if !self.overridden(field) {
            self.overrides.push(field.to_string());
        }
    }
}

fn lane_from_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<LaneName, D::Error> {
    let text = String::deserialize(d)?;
    LaneName::parse(&text).map_err(serde::de::Error::custom)
}

mod opt_ms {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_some(&(d.as_millis() as u64)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with_root() -> Config {
        let mut config = Config::from_file(Default::default()).unwrap();
        config.magento.root = Some("/var/www/shop".into());
        config
    }

    #[test]
    fn the_default_command_is_magentos_single_thread_consumer_with_its_budget() {
        let mut def = ConsumerDefinition::new("async.operations.all");
        def.max_messages = 500;
        let argv = def.argv(&config_with_root()).unwrap();
        assert_eq!(
            argv,
            [
                "php",
                "/var/www/shop/bin/magento",
                "queue:consumers:start",
                "async.operations.all",
                "--single-thread",
                "--max-messages=500"
            ]
        );
    }

    #[test]
    fn an_area_code_is_passed_to_magentos_command() {
        let mut def = ConsumerDefinition::new("cronkeeper.sales.email.send");
        def.area_code = Some("crontab".into());
        let argv = def.argv(&config_with_root()).unwrap();
        assert_eq!(argv.last().map(String::as_str), Some("--area-code=crontab"));
        def.area_code = Some("crontab --evil".into());
        assert_eq!(
            def.validate(&config_with_root()).unwrap_err().0,
            "area_code"
        );
    }

    #[test]
    fn without_a_magento_root_the_default_command_names_what_is_missing() {
        let config = Config::from_file(Default::default()).unwrap();
        let err = ConsumerDefinition::new("exportProcessor")
            .argv(&config)
            .unwrap_err();
        assert!(err.contains("magento.root"), "{err}");
    }

    #[test]
    fn validation_names_the_field_that_is_wrong() {
        let config = config_with_root();
        let mut def = ConsumerDefinition::new("x");
        def.lane = LaneName::parse("nowhere").unwrap();
        assert_eq!(def.validate(&config).unwrap_err().0, "lane");
        let mut def = ConsumerDefinition::new("x");
        def.instances = 1000;
        assert_eq!(def.validate(&config).unwrap_err().0, "instances");
        let mut def = ConsumerDefinition::new("x");
        def.only_when_messages = true;
        def.watch_queue = None;
        assert_eq!(def.validate(&config).unwrap_err().0, "watch_queue");
        assert_eq!(
            ConsumerDefinition::new("a b")
                .validate(&config)
                .unwrap_err()
                .0,
            "name"
        );
        assert!(
            ConsumerDefinition::new("media.storage.catalog.image.resize")
                .validate(&config)
                .is_ok()
        );
    }

    #[test]
    fn stopped_or_parked_consumers_want_no_process() {
        let mut c = StoredConsumer::new(ConsumerDefinition::new("x"), ConsumerSource::Magento, 0);
        c.definition.instances = 3;
        assert_eq!(c.wanted(), 3);
        c.stopped = true;
        assert_eq!(c.wanted(), 0);
        c.stopped = false;
        c.parked_at = Some(1);
        assert_eq!(c.wanted(), 0);
    }

    #[test]
    fn definitions_round_trip_through_json() {
        let mut def = ConsumerDefinition::new("x");
        def.idle_timeout = Some(Duration::from_secs(90));
        def.nodes = vec!["web1".into()];
        let json = serde_json::to_string(&def).unwrap();
        assert_eq!(
            serde_json::from_str::<ConsumerDefinition>(&json).unwrap(),
            def
        );
    }
}
