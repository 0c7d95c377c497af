//! Alert rules: what to watch (`when`), where (jobs, lanes, queues), whom to
//! tell (channels) and the thresholds. [`RuleInput`] is the shape an operator
//! writes (config file, GraphQL input); [`Rule::from_input`] validates it into
//! a [`Rule`], naming the offending key in every error.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::{parse_duration, RunStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    RunFailed,
    RunTimedOut,
    ConsecutiveFailures,
    RunTooLong,
    NotSucceededWithin,
    LateStart,
    LaneSaturated,
    QueueDepth,
    QueueNoConsumer,
    ConsumerCrashLoop,
    WorkerLost,
    LeaderLost,
}

impl RuleKind {
    pub const ALL: [RuleKind; 12] = [
        Self::RunFailed,
        Self::RunTimedOut,
        Self::ConsecutiveFailures,
        Self::RunTooLong,
        Self::NotSucceededWithin,
        Self::LateStart,
        Self::LaneSaturated,
        Self::QueueDepth,
        Self::QueueNoConsumer,
        Self::ConsumerCrashLoop,
        Self::WorkerLost,
        Self::LeaderLost,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RunFailed => "run_failed",
            Self::RunTimedOut => "run_timed_out",
            Self::ConsecutiveFailures => "consecutive_failures",
            Self::RunTooLong => "run_too_long",
            Self::NotSucceededWithin => "not_succeeded_within",
            Self::LateStart => "late_start",
            Self::LaneSaturated => "lane_saturated",
            Self::QueueDepth => "queue_depth",
            Self::QueueNoConsumer => "queue_no_consumer",
            Self::ConsumerCrashLoop => "consumer_crash_loop",
            Self::WorkerLost => "worker_lost",
            Self::LeaderLost => "leader_lost",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Every kind is evaluated now (the queue and consumer rules since
    /// consumer supervision, `alerts/queues.rs`); kept for the API's
    /// `evaluated` field.
    pub fn is_evaluated(self) -> bool {
        true
    }

    /// Judged from queue depths and consumer state (`alerts/queues.rs`).
    pub fn is_queue_rule(self) -> bool {
        matches!(self, Self::QueueDepth | Self::QueueNoConsumer | Self::ConsumerCrashLoop)
    }

    /// Judged on each finished run (from run events) rather than by the periodic pass.
    pub fn is_run_outcome(self) -> bool {
        matches!(self, Self::RunFailed | Self::RunTimedOut | Self::ConsecutiveFailures | Self::RunTooLong)
    }

    fn default_severity(self) -> Severity {
        match self {
            Self::RunTooLong | Self::LateStart | Self::LaneSaturated | Self::QueueDepth => Severity::Warning,
            _ => Severity::Critical,
        }
    }

    /// Threshold keys this kind accepts (beyond the common ones).
    fn accepts(self, key: &str) -> bool {
        let allowed: &[&str] = match self {
            Self::RunFailed => &["statuses"],
            Self::RunTimedOut => &[],
            Self::ConsecutiveFailures => &["count"],
            Self::RunTooLong => &["duration", "factor"],
            Self::NotSucceededWithin | Self::LateStart | Self::LaneSaturated | Self::LeaderLost => &["duration"],
            Self::QueueDepth | Self::QueueNoConsumer | Self::ConsumerCrashLoop => &["count", "duration"],
            Self::WorkerLost => &[],
        };
        allowed.contains(&key)
    }

    fn scoped_by(self, key: &str) -> bool {
        match self {
            Self::WorkerLost | Self::LeaderLost => false,
            Self::LaneSaturated => key == "lanes",
            Self::QueueDepth | Self::QueueNoConsumer | Self::ConsumerCrashLoop => key == "queues",
            _ => key == "jobs" || key == "lanes",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "info" => Some(Self::Info),
            "warning" => Some(Self::Warning),
            "critical" => Some(Self::Critical),
            _ => None,
        }
    }
}

/// Rule as written in `[[alerts.rules]]` (and mirrored by the GraphQL input).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub name: String,
    pub when: String,
    #[serde(default)]
    pub jobs: Vec<String>,
    #[serde(default)]
    pub lanes: Vec<String>,
    #[serde(default)]
    pub queues: Vec<String>,
    #[serde(default)]
    pub channels: Vec<String>,
    pub severity: Option<String>,
    /// run_failed only: which outcomes count (default FAILED, TIMED_OUT, INTERRUPTED, MISSED).
    pub statuses: Option<Vec<String>>,
    pub count: Option<i64>,
    pub duration: Option<String>,
    pub factor: Option<f64>,
    pub open_after: Option<i64>,
    pub resolve_after: Option<i64>,
    pub remind_every: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scope {
    /// Job codes or glob patterns (`*`, `?`); empty means every job.
    pub jobs: Vec<String>,
    /// Lane names; empty means every lane.
    pub lanes: Vec<String>,
    pub queues: Vec<String>,
}

impl Scope {
    pub fn matches_job(&self, code: &str, lane: &str) -> bool {
        (self.jobs.is_empty() || self.jobs.iter().any(|p| glob_match(p, code))) && self.matches_lane(lane)
    }
    pub fn matches_lane(&self, lane: &str) -> bool {
        self.lanes.is_empty() || self.lanes.iter().any(|l| l == lane)
    }
}

/// A validated rule, stored as JSON in `alert_rules.spec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub kind: RuleKind,
    pub scope: Scope,
    pub channels: Vec<String>,
    pub severity: Severity,
    /// run_failed: the outcomes that count as bad.
    pub statuses: Vec<RunStatus>,
    pub count: Option<u32>,
    pub duration_ms: Option<i64>,
    pub factor: Option<f64>,
    /// Bad outcomes (or evaluation passes) in a row before the alert opens.
    pub open_after: u32,
    /// Good outcomes in a row before it resolves.
    pub resolve_after: u32,
    pub remind_every_ms: Option<i64>,
    pub enabled: bool,
}

/// A problem with one key of a rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct RuleError {
    pub field: String,
    pub message: String,
}

fn err(field: &str, message: impl Into<String>) -> RuleError {
    RuleError { field: field.into(), message: message.into() }
}

pub const DEFAULT_FAILED_STATUSES: [RunStatus; 4] = [RunStatus::Failed, RunStatus::TimedOut, RunStatus::Interrupted, RunStatus::Missed];
/// late_start grace when none is given.
pub const DEFAULT_LATE_GRACE_MS: i64 = 60_000;
/// leader_lost: a scheduler tick older than this means the scheduler is gone.
pub const DEFAULT_LEADER_LOST_MS: i64 = 30_000;

impl Rule {
    /// Validates an input; `channels` are the names of the declared channels.
    pub fn from_input(input: &RuleInput, channels: &[String]) -> Result<Rule, RuleError> {
        let name = input.name.trim();
        if name.is_empty() || name.len() > 128 || name.chars().any(|c| c.is_control()) {
            return Err(err("name", "must be 1-128 printable characters"));
        }
        let kind = RuleKind::parse(&input.when).ok_or_else(|| {
            let names: Vec<_> = RuleKind::ALL.iter().map(|k| k.as_str()).collect();
            err("when", format!("`{}` is not one of {}", input.when, names.join(", ")))
        })?;
        let given = [
            ("statuses", input.statuses.is_some()),
            ("count", input.count.is_some()),
            ("duration", input.duration.is_some()),
            ("factor", input.factor.is_some()),
        ];
        for (key, set) in given {
            if set && !kind.accepts(key) {
                return Err(err(key, format!("does not apply to `when = \"{}\"`", kind.as_str())));
            }
        }
        for (key, set) in [("jobs", !input.jobs.is_empty()), ("lanes", !input.lanes.is_empty()), ("queues", !input.queues.is_empty())] {
            if set && !kind.scoped_by(key) {
                return Err(err(key, format!("`when = \"{}\"` cannot be scoped by {key}", kind.as_str())));
            }
        }
        for (i, pattern) in input.jobs.iter().enumerate() {
            if pattern.is_empty() || pattern.chars().any(|c| c.is_whitespace()) {
                return Err(err(&format!("jobs[{i}]"), "must be a job code or a pattern like sales_*"));
            }
        }
        for (i, ch) in input.channels.iter().enumerate() {
            if !channels.contains(ch) {
                return Err(err(&format!("channels[{i}]"), format!("no channel `{ch}` is declared (add [[alerts.channels]] with name = \"{ch}\", or create it with createAlertChannel)")));
            }
        }
        let severity = match &input.severity {
            None => kind.default_severity(),
            Some(s) => Severity::parse(s).ok_or_else(|| err("severity", format!("`{s}` is not info, warning or critical")))?,
        };
        let statuses = match &input.statuses {
            None => DEFAULT_FAILED_STATUSES.to_vec(),
            Some(list) => {
                let mut out = Vec::new();
                for (i, s) in list.iter().enumerate() {
                    let st = RunStatus::parse(s)
                        .filter(|st| st.is_terminal() && *st != RunStatus::Succeeded)
                        .ok_or_else(|| err(&format!("statuses[{i}]"), format!("`{s}` is not one of FAILED, TIMED_OUT, INTERRUPTED, MISSED, KILLED, SKIPPED")))?;
                    out.push(st);
                }
                if out.is_empty() {
                    return Err(err("statuses", "must name at least one status"));
                }
                out
            }
        };
        let duration_ms = input.duration.as_deref().map(|d| positive_duration(d, "duration")).transpose()?;
        let remind_every_ms = input.remind_every.as_deref().map(|d| positive_duration(d, "remind_every")).transpose()?;
        let count = match input.count {
            None => None,
            Some(n) if (1..=10_000).contains(&n) => Some(n as u32),
            Some(_) => return Err(err("count", "must be between 1 and 10000")),
        };
        if let Some(f) = input.factor {
            if !(f > 1.0 && f <= 1000.0) {
                return Err(err("factor", "must be greater than 1 (and at most 1000)"));
            }
        }
        let mut open_after = streak(input.open_after, "open_after")?;
        let resolve_after = streak(input.resolve_after, "resolve_after")?;
        match kind {
            RuleKind::ConsecutiveFailures => {
                let n = count.ok_or_else(|| err("count", "is required: how many failures in a row open the alert"))?;
                if input.open_after.is_some() {
                    return Err(err("open_after", "use `count` for consecutive_failures"));
                }
                open_after = n;
            }
            RuleKind::RunTooLong if duration_ms.is_none() && input.factor.is_none() => {
                return Err(err("duration", "give `duration` (a fixed limit), `factor` (k times the recent median) or both"));
            }
            RuleKind::NotSucceededWithin if duration_ms.is_none() => {
                return Err(err("duration", "is required: how long a job may go without a success"));
            }
            _ => {}
        }
        Ok(Rule {
            name: name.to_string(),
            kind,
            scope: Scope { jobs: input.jobs.clone(), lanes: input.lanes.clone(), queues: input.queues.clone() },
            channels: input.channels.clone(),
            severity,
            statuses,
            count,
            duration_ms,
            factor: input.factor,
            open_after,
            resolve_after,
            remind_every_ms,
            enabled: input.enabled.unwrap_or(true),
        })
    }

    /// The input that validates back into this rule (for API answers).
    pub fn to_input(&self) -> RuleInput {
        RuleInput {
            name: self.name.clone(),
            when: self.kind.as_str().into(),
            jobs: self.scope.jobs.clone(),
            lanes: self.scope.lanes.clone(),
            queues: self.scope.queues.clone(),
            channels: self.channels.clone(),
            severity: Some(self.severity.as_str().into()),
            statuses: (self.kind == RuleKind::RunFailed).then(|| self.statuses.iter().map(|s| s.as_str().to_string()).collect()),
            count: self.count.map(i64::from),
            duration: self.duration_ms.map(|ms| crate::config::fmt(Duration::from_millis(ms as u64))),
            factor: self.factor,
            open_after: (self.kind != RuleKind::ConsecutiveFailures).then_some(self.open_after as i64),
            resolve_after: Some(self.resolve_after as i64),
            remind_every: self.remind_every_ms.map(|ms| crate::config::fmt(Duration::from_millis(ms as u64))),
            enabled: Some(self.enabled),
        }
    }
}

fn positive_duration(text: &str, field: &str) -> Result<i64, RuleError> {
    let d = parse_duration(text).map_err(|e| err(field, e.to_string()))?;
    if d.is_zero() {
        return Err(err(field, "must be greater than zero"));
    }
    Ok(d.as_millis().min(i64::MAX as u128) as i64)
}

fn streak(v: Option<i64>, field: &str) -> Result<u32, RuleError> {
    match v {
        None => Ok(1),
        Some(n) if (1..=1000).contains(&n) => Ok(n as u32),
        Some(_) => Err(err(field, "must be between 1 and 1000")),
    }
}

/// `*` matches any run of characters, `?` exactly one; everything else itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(when: &str) -> RuleInput {
        RuleInput { name: "r".into(), when: when.into(), ..Default::default() }
    }

    #[test]
    fn globs_match_like_shells() {
        assert!(glob_match("sales_*", "sales_send_order_emails"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a?c*", "abcdef"));
        assert!(!glob_match("sales_*", "catalog_sales"));
        assert!(glob_match("*_emails", "sales_send_order_emails"));
        assert!(!glob_match("exact", "exactly"));
    }

    #[test]
    fn every_kind_round_trips_its_name() {
        for k in RuleKind::ALL {
            assert_eq!(RuleKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn errors_name_the_key() {
        let chans = vec!["ops".to_string()];
        let e = Rule::from_input(&input("run_falied"), &chans).unwrap_err();
        assert_eq!(e.field, "when");
        let e = Rule::from_input(&input("consecutive_failures"), &chans).unwrap_err();
        assert_eq!(e.field, "count");
        let mut i = input("run_failed");
        i.factor = Some(2.0);
        assert_eq!(Rule::from_input(&i, &chans).unwrap_err().field, "factor");
        let mut i = input("run_failed");
        i.channels = vec!["ops".into(), "nope".into()];
        assert_eq!(Rule::from_input(&i, &chans).unwrap_err().field, "channels[1]");
        let mut i = input("worker_lost");
        i.jobs = vec!["x".into()];
        assert_eq!(Rule::from_input(&i, &chans).unwrap_err().field, "jobs");
        let mut i = input("run_too_long");
        assert_eq!(Rule::from_input(&i, &chans).unwrap_err().field, "duration");
        i.factor = Some(1.0);
        assert_eq!(Rule::from_input(&i, &chans).unwrap_err().field, "factor");
        let mut i = input("run_failed");
        i.statuses = Some(vec!["SUCCEEDED".into()]);
        assert_eq!(Rule::from_input(&i, &chans).unwrap_err().field, "statuses[0]");
    }

    #[test]
    fn consecutive_failures_opens_after_count_and_inputs_round_trip() {
        let mut i = input("consecutive_failures");
        i.count = Some(3);
        i.jobs = vec!["sales_*".into()];
        i.remind_every = Some("1h".into());
        let r = Rule::from_input(&i, &[]).unwrap();
        assert_eq!((r.open_after, r.resolve_after, r.severity), (3, 1, Severity::Critical));
        assert_eq!(Rule::from_input(&r.to_input(), &[]).unwrap(), r);
        let mut i = input("run_too_long");
        i.duration = Some("90s".into());
        i.factor = Some(3.0);
        let r = Rule::from_input(&i, &[]).unwrap();
        assert_eq!(Rule::from_input(&r.to_input(), &[]).unwrap(), r);
    }
}
