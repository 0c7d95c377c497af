//! `[alerts]`: channels, rules and the delivery settings. Channel URLs, HMAC
//! keys and the dead man's switch URL become [`Secret`]s here, at the edge.

use std::time::Duration;

use serde::Deserialize;

use super::{duration, ConfigError, Secret};
use crate::alerts::channel::ChannelConfig;
use crate::alerts::rule::{Rule, RuleInput};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsFile {
    /// Base URL of the Magento admin, for links in messages.
    pub admin_base_url: Option<String>,
    pub dead_mans_switch_url: Option<String>,
    pub dead_mans_switch_every: Option<String>,
    pub evaluate_every: Option<String>,
    pub max_attempts: Option<i64>,
    pub retry_initial: Option<String>,
    pub retry_max: Option<String>,
    pub request_timeout: Option<String>,
    #[serde(default)]
    pub channels: Vec<ChannelFile>,
    #[serde(default)]
    pub rules: Vec<RuleInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelFile {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub secret: Option<String>,
}

impl std::fmt::Debug for ChannelFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelFile").field("name", &self.name).field("kind", &self.kind).finish_non_exhaustive()
    }
}

/// How the outbox retries.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryPolicy {
    /// Attempts before a notification is marked FAILED.
    pub max_attempts: u32,
    pub retry_initial: Duration,
    pub retry_max: Duration,
    pub request_timeout: Duration,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        Self { max_attempts: 12, retry_initial: Duration::from_secs(5), retry_max: Duration::from_secs(600), request_timeout: Duration::from_secs(10) }
    }
}

#[derive(Debug, Clone)]
pub struct AlertsConfig {
    pub admin_base_url: Option<String>,
    pub dead_mans_switch_url: Option<Secret>,
    pub dead_mans_switch_every: Duration,
    pub evaluate_every: Duration,
    pub delivery: DeliveryPolicy,
    pub channels: Vec<ChannelConfig>,
    pub rules: Vec<Rule>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        alerts_from(&AlertsFile::default()).expect("defaults are valid")
    }
}

impl AlertsConfig {
    pub fn channel(&self, name: &str) -> Option<&ChannelConfig> {
        self.channels.iter().find(|c| c.name == name)
    }
}

fn http_url(url: &str) -> bool {
    crate::alerts::channel::is_http_url(url)
}

pub fn alerts_from(f: &AlertsFile) -> Result<AlertsConfig, ConfigError> {
    let mut channels: Vec<ChannelConfig> = Vec::new();
    for (i, c) in f.channels.iter().enumerate() {
        let key = format!("alerts.channels[{i}]");
        if c.name.trim().is_empty() {
            return Err(ConfigError::new(format!("{key}.name"), "must not be empty"));
        }
        let key = format!("alerts.channels[{i}] ({})", c.name);
        if channels.iter().any(|x| x.name == c.name) {
            return Err(ConfigError::new(key, "a channel with this name is declared twice"));
        }
        // The errors never echo the URL or the key back: they are secrets.
        let channel = ChannelConfig::parse(&c.name, &c.kind, &c.url, c.secret.as_deref()).map_err(|e| ConfigError::new(format!("{key}.{}", e.field), e.message))?;
        channels.push(channel);
    }
    let names: Vec<String> = channels.iter().map(|c| c.name.clone()).collect();
    let mut rules: Vec<Rule> = Vec::new();
    for (i, r) in f.rules.iter().enumerate() {
        let key = format!("alerts.rules[{i}] ({})", r.name);
        let rule = Rule::from_input(r, &names).map_err(|e| ConfigError::new(format!("{key}.{}", e.field), e.message))?;
        if rules.iter().any(|x| x.name == rule.name) {
            return Err(ConfigError::new(key, "a rule with this name is declared twice"));
        }
        rules.push(rule);
    }
    if let Some(base) = &f.admin_base_url {
        if !http_url(base) {
            return Err(ConfigError::new("alerts.admin_base_url", "must start with http:// or https://"));
        }
    }
    if let Some(url) = &f.dead_mans_switch_url {
        if !http_url(url) {
            return Err(ConfigError::new("alerts.dead_mans_switch_url", "must start with http:// or https://"));
        }
    }
    let max_attempts = f.max_attempts.unwrap_or(12);
    if !(1..=100).contains(&max_attempts) {
        return Err(ConfigError::new("alerts.max_attempts", "must be between 1 and 100"));
    }
    let delivery = DeliveryPolicy {
        max_attempts: max_attempts as u32,
        retry_initial: nonzero(duration(&f.retry_initial, "alerts.retry_initial", "5s")?, "alerts.retry_initial")?,
        retry_max: nonzero(duration(&f.retry_max, "alerts.retry_max", "10m")?, "alerts.retry_max")?,
        request_timeout: nonzero(duration(&f.request_timeout, "alerts.request_timeout", "10s")?, "alerts.request_timeout")?,
    };
    if delivery.retry_max < delivery.retry_initial {
        return Err(ConfigError::new("alerts.retry_max", "must not be shorter than alerts.retry_initial"));
    }
    Ok(AlertsConfig {
        admin_base_url: f.admin_base_url.clone(),
        dead_mans_switch_url: f.dead_mans_switch_url.clone().map(Secret::new),
        dead_mans_switch_every: nonzero(duration(&f.dead_mans_switch_every, "alerts.dead_mans_switch_every", "60s")?, "alerts.dead_mans_switch_every")?,
        evaluate_every: nonzero(duration(&f.evaluate_every, "alerts.evaluate_every", "5s")?, "alerts.evaluate_every")?,
        delivery,
        channels,
        rules,
    })
}

fn nonzero(d: Duration, key: &str) -> Result<Duration, ConfigError> {
    if d.is_zero() {
        return Err(ConfigError::new(key, "must be greater than zero"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigError};

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_file(Config::parse_file(text, "test.toml")?)
    }

    const GOOD: &str = r#"
[alerts]
admin_base_url = "https://shop.test/admin"
[[alerts.channels]]
name = "ops-slack"
kind = "slack"
url = "https://hooks.slack.com/services/T000/B000/SECRETPATH"
[[alerts.channels]]
name = "hook"
kind = "webhook"
url = "https://receiver.test/cronkeeper"
secret = "0123456789abcdef-hmac"
[[alerts.rules]]
name = "failures"
when = "run_failed"
jobs = ["sales_*"]
channels = ["ops-slack", "hook"]
[[alerts.rules]]
name = "stuck"
when = "consecutive_failures"
count = 3
remind_every = "1h"
channels = ["hook"]
"#;

    #[test]
    fn the_documented_shape_loads_and_hides_secrets() {
        let c = load(GOOD).unwrap();
        assert_eq!(c.alerts.channels.len(), 2);
        assert_eq!(c.alerts.rules.len(), 2);
        assert_eq!(c.alerts.rules[1].open_after, 3);
        let debug = format!("{c:?}");
        assert!(!debug.contains("SECRETPATH") && !debug.contains("0123456789abcdef-hmac"), "{debug}");
    }

    #[test]
    fn errors_name_the_key() {
        let e = load(&GOOD.replace("when = \"run_failed\"", "when = \"run_failure\"")).unwrap_err();
        assert_eq!(e.key, "alerts.rules[0] (failures).when");
        let e = load(&GOOD.replace("channels = [\"hook\"]", "channels = [\"pager\"]")).unwrap_err();
        assert_eq!(e.key, "alerts.rules[1] (stuck).channels[0]");
        let e = load(&GOOD.replace("secret = \"0123456789abcdef-hmac\"", "")).unwrap_err();
        assert_eq!(e.key, "alerts.channels[1] (hook).secret");
        let e = load(&GOOD.replace("kind = \"slack\"", "kind = \"teams\"")).unwrap_err();
        assert_eq!(e.key, "alerts.channels[0] (ops-slack).kind");
        let e = load(&GOOD.replace("https://hooks.slack.com/services/T000/B000/SECRETPATH", "hooks.slack.com/SECRETPATH")).unwrap_err();
        assert_eq!(e.key, "alerts.channels[0] (ops-slack).url");
        assert!(!e.to_string().contains("SECRETPATH"));
        let e = load(&GOOD.replace("count = 3", "count = 3\nfactor = 2.0")).unwrap_err();
        assert_eq!(e.key, "alerts.rules[1] (stuck).factor");
        let e = load("[[alerts.rules]]\nname = \"x\"\nwhen = \"run_failed\"\nthreshold = 3\n").unwrap_err();
        assert!(e.message.contains("threshold"), "{e}");
    }

    #[test]
    fn no_alerts_section_means_nothing_to_do() {
        let c = load("").unwrap();
        assert!(c.alerts.channels.is_empty() && c.alerts.rules.is_empty() && c.alerts.dead_mans_switch_url.is_none());
    }
}
