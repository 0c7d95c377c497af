//! Which lane a Magento job runs in, as configuration rather than code.
//!
//! The point of lanes is that a slow catalog export can never hold up the order
//! confirmation e-mail. Which jobs deserve the protected lane differs per shop, so
//! the mapping is data an operator can replace in the config file:
//!
//! ```toml
//! [magento.lanes]
//! default = "default"
//! rules = [
//!   { jobs = "sales_send_*_emails", lane = "critical" },
//!   { jobs = ["indexer_*", "catalog_index_refresh_price"], lane = "critical" },
//!   { group = "index", lane = "critical" },
//! ]
//! ```
//!
//! A rule matches job codes by glob (`*` is the only wildcard and matches any run
//! of characters, including none) or a Magento cron group by glob; the first
//! matching rule wins, and jobs no rule matches go to `default`. Rules given in the
//! config replace [`LaneMapping::magento_defaults`] entirely, so what the file says
//! is all that applies.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::LaneName;

/// Rules in order plus the lane for everything else. `Default` is
/// [`LaneMapping::magento_defaults`], for a config file that says nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaneMapping {
    #[serde(default)]
    pub rules: Vec<LaneRule>,
    #[serde(rename = "default", default = "default_lane")]
    pub default_lane: LaneName,
}

/// What a rule looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaneMatcher {
    /// Job-code globs; any one matching is enough.
    Jobs(Vec<String>),
    /// A cron group id glob (`index`, `consumers`, ...).
    Group(String),
}

/// "Jobs matching this go to that lane."
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRule", into = "RawRule")]
pub struct LaneRule {
    pub matcher: LaneMatcher,
    pub lane: LaneName,
}

fn default_lane() -> LaneName {
    lane("default")
}

fn lane(name: &str) -> LaneName {
    LaneName::parse(name).expect("built-in lane names are valid")
}

impl Default for LaneMapping {
    fn default() -> Self {
        Self::magento_defaults()
    }
}

impl LaneMapping {
    /// The built-in mapping. `critical` gets what customers or the storefront wait
    /// on: the order / invoice / shipment / credit-memo e-mails, the async sales
    /// grid inserts (the admin order grid lags without them), the indexers (prices
    /// and stock shown to shoppers) and the special-price refresh, plus anything
    /// else in Magento's `index` group. Everything else goes to `default`.
    pub fn magento_defaults() -> Self {
        let critical = lane("critical");
        Self {
            rules: vec![
                LaneRule::jobs(
                    [
                        "sales_send_order_emails",
                        "sales_send_order_invoice_emails",
                        "sales_send_order_shipment_emails",
                        "sales_send_order_creditmemo_emails",
                    ],
                    critical.clone(),
                ),
                LaneRule::jobs(["sales_grid_*_async_insert"], critical.clone()),
                LaneRule::jobs(["indexer_*"], critical.clone()),
                LaneRule::jobs(["catalog_index_refresh_price"], critical.clone()),
                LaneRule::group("index", critical),
            ],
            default_lane: default_lane(),
        }
    }

    /// The lane of the first rule matching the job, else the default lane.
    pub fn lane_for(&self, code: &str, group: &str) -> &LaneName {
        self.rules.iter().find(|r| r.matches(code, group)).map_or(&self.default_lane, |r| &r.lane)
    }

    /// Every lane this mapping can send a job to, so configuration can check each
    /// one exists before any job is imported.
    pub fn lanes(&self) -> BTreeSet<&LaneName> {
        self.rules.iter().map(|r| &r.lane).chain(std::iter::once(&self.default_lane)).collect()
    }
}

impl LaneRule {
    pub fn jobs<S: Into<String>>(patterns: impl IntoIterator<Item = S>, lane: LaneName) -> Self {
        Self { matcher: LaneMatcher::Jobs(patterns.into_iter().map(Into::into).collect()), lane }
    }

    pub fn group(id: impl Into<String>, lane: LaneName) -> Self {
        Self { matcher: LaneMatcher::Group(id.into()), lane }
    }

    pub fn matches(&self, code: &str, group: &str) -> bool {
        match &self.matcher {
            LaneMatcher::Jobs(patterns) => patterns.iter().any(|p| glob_match(p, code)),
            LaneMatcher::Group(pattern) => glob_match(pattern, group),
        }
    }
}

/// `group:<id>` or the job globs joined by `,`: how a rule reads in logs.
impl fmt::Display for LaneMatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LaneMatcher::Jobs(p) => f.write_str(&p.join(",")),
            LaneMatcher::Group(g) => write!(f, "group:{g}"),
        }
    }
}

/// `*`-only glob over the whole string.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == text; // no `*`
    };
    let Some(rest) = text.strip_prefix(first) else { return false };
    // Stripping the suffix from what the prefix left keeps the two from overlapping.
    let Some(mut rest) = rest.strip_suffix(last) else { return false };
    // Leftmost match of each middle piece is optimal when `*` is the only wildcard.
    for piece in middle {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    true
}

/// The config-file shape of a rule: exactly one of `jobs` or `group`, and `lane`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    jobs: Option<OneOrMany>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    lane: LaneName,
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl TryFrom<RawRule> for LaneRule {
    type Error = String;
    fn try_from(raw: RawRule) -> Result<Self, String> {
        let matcher = match (raw.jobs, raw.group) {
            (Some(_), Some(_)) => return Err("a lane rule takes either `jobs` or `group`, not both".into()),
            (None, None) => return Err("a lane rule needs `jobs` (job-code globs) or `group`".into()),
            (Some(OneOrMany::One(p)), None) => LaneMatcher::Jobs(vec![p]),
            (Some(OneOrMany::Many(ps)), None) => LaneMatcher::Jobs(ps),
            (None, Some(g)) => LaneMatcher::Group(g),
        };
        let blank = match &matcher {
            LaneMatcher::Jobs(ps) => ps.is_empty() || ps.iter().any(|p| p.trim().is_empty()),
            LaneMatcher::Group(g) => g.trim().is_empty(),
        };
        if blank {
            return Err(format!("a lane rule for lane `{}` has an empty `jobs` or `group`", raw.lane));
        }
        Ok(LaneRule { matcher, lane: raw.lane })
    }
}

impl From<LaneRule> for RawRule {
    fn from(rule: LaneRule) -> Self {
        match rule.matcher {
            LaneMatcher::Jobs(mut ps) if ps.len() == 1 => {
                RawRule { jobs: Some(OneOrMany::One(ps.remove(0))), group: None, lane: rule.lane }
            }
            LaneMatcher::Jobs(ps) => RawRule { jobs: Some(OneOrMany::Many(ps)), group: None, lane: rule.lane },
            LaneMatcher::Group(g) => RawRule { jobs: None, group: Some(g), lane: rule.lane },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_matches_any_run_of_characters_including_none() {
        assert!(glob_match("indexer_*", "indexer_update_all_views"));
        assert!(glob_match("indexer_*", "indexer_"));
        assert!(!glob_match("indexer_*", "xindexer_a"));
        assert!(glob_match("sales_grid_*_async_insert", "sales_grid_order_invoice_async_insert"));
        assert!(!glob_match("sales_grid_*_async_insert", "sales_grid_order_async_insert_x"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "abc"));
        assert!(glob_match("a*b*c", "a_b_b_c"));
        assert!(!glob_match("a*a", "a"), "prefix and suffix may not overlap");
        assert!(glob_match("exact", "exact"));
        assert!(!glob_match("exact", "exactly"));
    }

    #[test]
    fn the_first_matching_rule_wins_and_the_rest_fall_to_default() {
        let m = LaneMapping {
            rules: vec![
                LaneRule::jobs(["sales_*"], lane("sales")),
                LaneRule::group("index", lane("critical")),
                LaneRule::jobs(["*"], lane("never")),
            ],
            default_lane: lane("default"),
        };
        assert_eq!(m.lane_for("sales_x", "index").as_str(), "sales");
        assert_eq!(m.lane_for("indexer_y", "index").as_str(), "critical");
        assert_eq!(m.lane_for("other", "default").as_str(), "never");
        let m = LaneMapping { rules: vec![], default_lane: lane("bulk") };
        assert_eq!(m.lane_for("anything", "default").as_str(), "bulk");
    }

    #[test]
    fn the_magento_defaults_put_a_job_in_the_index_group_in_critical_whatever_its_name() {
        let m = LaneMapping::magento_defaults();
        assert_eq!(m.lane_for("acme_rebuild", "index").as_str(), "critical");
        assert_eq!(m.lane_for("acme_rebuild", "default").as_str(), "default");
        assert_eq!(m.lane_for("sales_send_order_creditmemo_emails", "default").as_str(), "critical");
        assert_eq!(m.lane_for("sales_clean_orders", "default").as_str(), "default");
        assert_eq!(m.lanes().into_iter().map(|l| l.as_str()).collect::<Vec<_>>(), ["critical", "default"]);
    }

    #[test]
    fn the_per_indexer_jobs_the_module_derives_land_in_critical_whatever_their_group() {
        // Stage 3 (issue 8): `<original code>.<indexer id>`; the originals are covered by reference_tests.
        let m = LaneMapping::magento_defaults();
        for code in ["indexer_update_all_views.catalog_product_price", "indexer_reindex_all_invalid.customer_grid", "indexer_clean_all_changelogs.inventory"] {
            assert_eq!(m.lane_for(code, "default").as_str(), "critical", "{code}");
        }
    }

    #[derive(Deserialize)]
    struct Config {
        magento: Magento,
    }
    #[derive(Deserialize)]
    struct Magento {
        lanes: LaneMapping,
    }

    #[test]
    fn the_config_file_shape_deserialises_with_jobs_or_group_rules() {
        let cfg: Config = toml::from_str(
            r#"
[magento.lanes]
default = "default"
rules = [ { jobs = "sales_send_*_emails", lane = "critical" }, { group = "index", lane = "critical" },
          { jobs = ["a_*", "b"], lane = "bulk" } ]
"#,
        )
        .unwrap();
        let m = cfg.magento.lanes;
        assert_eq!(m.rules.len(), 3);
        assert_eq!(m.rules[0], LaneRule::jobs(["sales_send_*_emails"], lane("critical")));
        assert_eq!(m.rules[1], LaneRule::group("index", lane("critical")));
        assert_eq!(m.lane_for("sales_send_order_emails", "default").as_str(), "critical");
        assert_eq!(m.lane_for("b", "default").as_str(), "bulk");
        assert_eq!(m.lane_for("other", "default").as_str(), "default");
    }

    #[test]
    fn the_default_lane_may_be_left_out_of_the_config() {
        let m: LaneMapping = toml::from_str(r#"rules = [ { group = "consumers", lane = "workers" } ]"#).unwrap();
        assert_eq!(m.default_lane.as_str(), "default");
    }

    #[test]
    fn a_rule_with_both_or_neither_matcher_or_a_bad_lane_is_refused() {
        for bad in [
            r#"rules = [ { jobs = "a", group = "b", lane = "x" } ]"#,
            r#"rules = [ { lane = "x" } ]"#,
            r#"rules = [ { jobs = "", lane = "x" } ]"#,
            r#"rules = [ { jobs = "a", lane = "Not A Lane" } ]"#,
            r#"rules = [ { job = "a", lane = "x" } ]"#,
            r#"default = "UPPER""#,
        ] {
            assert!(toml::from_str::<LaneMapping>(bad).is_err(), "accepted: {bad}");
        }
    }

    #[test]
    fn a_mapping_survives_a_round_trip_through_toml() {
        let m = LaneMapping::magento_defaults();
        let text = toml::to_string(&m).unwrap();
        assert_eq!(toml::from_str::<LaneMapping>(&text).unwrap(), m);
    }
}
