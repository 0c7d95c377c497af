//! Which lane a Magento consumer imported or synced from Magento lands in,
//! as configuration, like the crontab's `[magento.lanes]`:
//!
//! ```toml
//! [magento.consumer_lanes]
//! default = "default"
//! rules = [
//!   { consumers = "cronkeeper.sales.email.*", lane = "critical", area_code = "crontab" },
//!   { consumers = ["product_action_attribute.*", "exportProcessor"], lane = "bulk" },
//! ]
//! ```
//!
//! A rule matches consumer names by `*` glob ([`glob_match`]); the first
//! matching rule wins, and consumers no rule matches go to `default`. Rules
//! in the file replace [`ConsumerLaneMapping::magento_defaults`] entirely.
//!
//! A rule may also name the Magento area the consumer's processes start in
//! (`queue:consumers:start --area-code`): Magento starts consumers in the
//! `global` area, and a consumer that sends e-mails the way the cron does
//! needs the cron's (stage 2, docs/stages.md).
//!
//! An operator's `updateConsumer(lane: …)` is an override: a later sync
//! leaves that consumer's lane alone ([`super::sync`]).

use serde::Deserialize;

use crate::domain::LaneName;
use crate::magento::glob_match;

/// The stage 2 e-mail consumer of the Magento module (`etc/queue_consumer.xml`).
pub const SALES_EMAIL_CONSUMERS: &str = "cronkeeper.sales.email.*";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerLaneMapping {
    pub rules: Vec<ConsumerLaneRule>,
    pub default_lane: LaneName,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerLaneRule {
    /// Consumer-name globs; any one matching is enough.
    pub consumers: Vec<String>,
    pub lane: LaneName,
    /// `--area-code` of the default command; `None` leaves Magento's `global`.
    pub area_code: Option<String>,
}

/// Where one consumer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement<'a> {
    pub lane: &'a LaneName,
    pub area_code: Option<&'a str>,
}

impl Default for ConsumerLaneMapping {
    fn default() -> Self {
        Self::magento_defaults()
    }
}

impl ConsumerLaneMapping {
    /// The built-in mapping: the module's sales e-mail consumer (orders,
    /// invoices, shipments, credit memos a customer waits for) in `critical`,
    /// started in the `crontab` area the sales e-mail cron jobs send from;
    /// everything else in `default`.
    pub fn magento_defaults() -> Self {
        Self {
            rules: vec![ConsumerLaneRule {
                consumers: vec![SALES_EMAIL_CONSUMERS.into()],
                lane: lane("critical"),
                area_code: Some("crontab".into()),
            }],
            default_lane: lane("default"),
        }
    }

    pub fn place(&self, consumer: &str) -> Placement<'_> {
        match self
            .rules
            .iter()
            .find(|r| r.consumers.iter().any(|p| glob_match(p, consumer)))
        {
            Some(r) => Placement {
                lane: &r.lane,
                area_code: r.area_code.as_deref(),
            },
            None => Placement {
                lane: &self.default_lane,
                area_code: None,
            },
        }
    }

    /// Every lane the mapping can send a consumer to.
    pub fn lanes(&self) -> impl Iterator<Item = &LaneName> {
        self.rules
            .iter()
            .map(|r| &r.lane)
            .chain(std::iter::once(&self.default_lane))
    }

    /// Reads the `[magento.consumer_lanes]` table; the error says what is wrong
    /// (the caller names the key).
    pub fn from_toml(value: toml::Value) -> Result<Self, String> {
        let raw: RawMapping = value
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())?;
        let mut rules = Vec::new();
        for (i, r) in raw.rules.into_iter().enumerate() {
            let consumers = match r.consumers {
                OneOrMany::One(p) => vec![p],
                OneOrMany::Many(ps) => ps,
            };
            if consumers.is_empty() || consumers.iter().any(|p| p.trim().is_empty()) {
                return Err(format!(
                    "rules[{i}]: `consumers` must name at least one consumer glob, none empty"
                ));
            }
            let lane = LaneName::parse(&r.lane).map_err(|e| format!("rules[{i}].lane: {e}"))?;
            if let Some(area) = &r.area_code {
                validate_area_code(area).map_err(|m| format!("rules[{i}].area_code: {m}"))?;
            }
            rules.push(ConsumerLaneRule {
                consumers,
                lane,
                area_code: r.area_code,
            });
        }
        let default_lane = match raw.default {
            Some(d) => LaneName::parse(&d).map_err(|e| format!("default: {e}"))?,
            None => lane("default"),
        };
        Ok(Self {
            rules,
            default_lane,
        })
    }
}

/// Magento area codes are lowercase words (`global`, `crontab`, `adminhtml`,
/// `frontend`, `webapi_rest`); they end up on a command line.
pub fn validate_area_code(area: &str) -> Result<(), String> {
    if area.is_empty()
        || area.len() > 64
        || !area.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    {
        return Err(format!(
            "`{area}` is not a Magento area code (lowercase letters and `_`, like crontab)"
        ));
    }
    Ok(())
}

fn lane(name: &str) -> LaneName {
    LaneName::parse(name).expect("built-in lane names are valid")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    #[serde(default)]
    rules: Vec<RawRule>,
    default: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    consumers: OneOrMany,
    lane: String,
    area_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConsumerLaneMapping, String> {
        ConsumerLaneMapping::from_toml(toml::from_str(text).unwrap())
    }

    #[test]
    fn the_default_puts_the_sales_email_consumer_in_critical_in_the_crontab_area() {
        let m = ConsumerLaneMapping::magento_defaults();
        let p = m.place("cronkeeper.sales.email.send");
        assert_eq!(
            (p.lane.as_str(), p.area_code),
            ("critical", Some("crontab"))
        );
        let p = m.place("async.operations.all");
        assert_eq!((p.lane.as_str(), p.area_code), ("default", None));
    }

    #[test]
    fn the_first_matching_rule_wins_and_the_file_replaces_the_defaults() {
        let m = parse(
            r#"
default = "bulk"
rules = [
  { consumers = ["export*", "codegen*"], lane = "default" },
  { consumers = "*", lane = "critical", area_code = "adminhtml" },
]
"#,
        )
        .unwrap();
        assert_eq!(m.place("exportProcessor").lane.as_str(), "default");
        let p = m.place("cronkeeper.sales.email.send");
        assert_eq!(
            (p.lane.as_str(), p.area_code),
            ("critical", Some("adminhtml"))
        );
        let only_default = parse(r#"default = "bulk""#).unwrap();
        assert_eq!(
            only_default
                .place("cronkeeper.sales.email.send")
                .lane
                .as_str(),
            "bulk"
        );
        assert_eq!(
            only_default.lanes().map(|l| l.as_str()).collect::<Vec<_>>(),
            ["bulk"]
        );
    }

    #[test]
    fn bad_rules_are_refused_with_where_and_why() {
        for (text, says) in [
            (r#"rules = [ { lane = "critical" } ]"#, "consumers"),
            (
                r#"rules = [ { consumers = "", lane = "critical" } ]"#,
                "rules[0]",
            ),
            (
                r#"rules = [ { consumers = "a", lane = "Not A Lane" } ]"#,
                "rules[0].lane",
            ),
            (
                r#"rules = [ { consumers = "a", lane = "x", area_code = "crontab; rm" } ]"#,
                "rules[0].area_code",
            ),
            (r#"rules = [ { jobs = "a", lane = "x" } ]"#, "jobs"),
            (r#"default = "UPPER""#, "default"),
        ] {
            let e = parse(text).unwrap_err();
            assert!(e.contains(says), "{text}: {e}");
        }
    }
}
