//! The alerting vocabulary shared by the store, the evaluator, the deliverer
//! and the API: subjects, observations, alerts, notifications, and the pure
//! lifecycle step that decides when an alert opens and resolves.

use serde::{Deserialize, Serialize};

use super::rule::{RuleKind, Severity};
use crate::domain::{EpochMs, RunId};

/// What an alert is about; one alert at a time per (rule, subject).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    Job(String),
    Lane(String),
    Worker(String),
    Scheduler,
    /// A message queue (`queue_depth`, `queue_no_consumer`).
    Queue(String),
    /// A supervised queue consumer (`consumer_crash_loop`).
    Consumer(String),
}

impl Subject {
    /// Stored form: `job:<code>`, `lane:<name>`, `worker:<instance>`, `scheduler`,
    /// `queue:<name>`, `consumer:<name>`.
    pub fn key(&self) -> String {
        match self {
            Subject::Job(c) => format!("job:{c}"),
            Subject::Lane(l) => format!("lane:{l}"),
            Subject::Worker(w) => format!("worker:{w}"),
            Subject::Scheduler => "scheduler".into(),
            Subject::Queue(q) => format!("queue:{q}"),
            Subject::Consumer(c) => format!("consumer:{c}"),
        }
    }
    pub fn parse(key: &str) -> Option<Subject> {
        if key == "scheduler" {
            return Some(Subject::Scheduler);
        }
        let (kind, rest) = key.split_once(':')?;
        match kind {
            "job" => Some(Subject::Job(rest.into())),
            "lane" => Some(Subject::Lane(rest.into())),
            "worker" => Some(Subject::Worker(rest.into())),
            "queue" => Some(Subject::Queue(rest.into())),
            "consumer" => Some(Subject::Consumer(rest.into())),
            _ => None,
        }
    }
}

/// What a bad observation saw: shown in the alert and its messages.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Detail {
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lane: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<RunId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The run's error, cut to [`ERROR_EXCERPT_CHARS`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
}

pub const ERROR_EXCERPT_CHARS: usize = 500;

/// The first `ERROR_EXCERPT_CHARS` characters, with an ellipsis when cut.
pub fn excerpt(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(ERROR_EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// One evaluation of one rule for one subject.
#[derive(Debug, Clone, PartialEq)]
pub enum Observation {
    Bad(Detail),
    Good,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlertState {
    Open,
    Resolved,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "OPEN",
            Self::Resolved => "RESOLVED",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "OPEN" => Some(Self::Open),
            "RESOLVED" => Some(Self::Resolved),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    pub id: i64,
    pub rule: String,
    pub kind: RuleKind,
    /// Stored form of the [`Subject`].
    pub subject: String,
    pub severity: Severity,
    pub state: AlertState,
    pub summary: String,
    pub detail: Detail,
    pub opened_at: EpochMs,
    pub last_notified_at: EpochMs,
    pub reminders: u32,
    pub acknowledged_at: Option<EpochMs>,
    pub acknowledged_by: Option<String>,
    pub resolved_at: Option<EpochMs>,
    pub updated_at: EpochMs,
}

/// Why a notification was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyEvent {
    Opened,
    Reminder,
    Resolved,
    /// `testAlertChannel`: not tied to an alert.
    Test,
}

impl NotifyEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "opened",
            Self::Reminder => "reminder",
            Self::Resolved => "resolved",
            Self::Test => "test",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "opened" => Some(Self::Opened),
            "reminder" => Some(Self::Reminder),
            "resolved" => Some(Self::Resolved),
            "test" => Some(Self::Test),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    Pending,
    /// Claimed by a deliverer (until its lease ends).
    Delivering,
    Delivered,
    /// Gave up after the last attempt, or the endpoint refused it for good.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Delivering => "DELIVERING",
            Self::Delivered => "DELIVERED",
            Self::Failed => "FAILED",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PENDING" => Some(Self::Pending),
            "DELIVERING" => Some(Self::Delivering),
            "DELIVERED" => Some(Self::Delivered),
            "FAILED" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// The channel-neutral content of one notification, frozen in the outbox when
/// the alert changes, so a retry sends exactly what the first attempt did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertMessage {
    pub event: NotifyEvent,
    pub alert_id: Option<i64>,
    pub rule: String,
    pub kind: String,
    pub subject: String,
    pub severity: Severity,
    pub state: String,
    pub summary: String,
    pub detail: Detail,
    pub opened_at: Option<EpochMs>,
    pub resolved_at: Option<EpochMs>,
    pub acknowledged: bool,
    pub at: EpochMs,
}

impl AlertMessage {
    pub fn for_alert(alert: &Alert, event: NotifyEvent, at: EpochMs) -> Self {
        Self {
            event,
            alert_id: Some(alert.id),
            rule: alert.rule.clone(),
            kind: alert.kind.as_str().into(),
            subject: alert.subject.clone(),
            severity: alert.severity,
            state: alert.state.as_str().into(),
            summary: alert.summary.clone(),
            detail: alert.detail.clone(),
            opened_at: Some(alert.opened_at),
            resolved_at: alert.resolved_at,
            acknowledged: alert.acknowledged_at.is_some(),
            at,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: i64,
    pub idempotency_key: String,
    pub alert_id: Option<i64>,
    pub channel: String,
    pub event: NotifyEvent,
    pub message: AlertMessage,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: EpochMs,
    pub last_error: Option<String>,
    pub created_at: EpochMs,
    pub delivered_at: Option<EpochMs>,
    pub failed_at: Option<EpochMs>,
}

/// Per (rule, subject) streaks and the open alert.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tracker {
    pub bad_streak: u32,
    pub good_streak: u32,
    pub open_alert: Option<i64>,
}

/// What an observation does to an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Counters move, nothing is notified (including: still open, no repeat).
    Count,
    Open,
    Resolve,
}

/// The lifecycle, without a store: bad outcomes in a row open an alert after
/// `open_after`, good ones in a row resolve it after `resolve_after`; while open,
/// more bad outcomes change nothing but the details (reminders are time-based,
/// see [`reminder_due`]).
pub fn step(t: Tracker, bad: bool, open_after: u32, resolve_after: u32) -> (Tracker, Step) {
    if bad {
        let next = Tracker { bad_streak: t.bad_streak.saturating_add(1), good_streak: 0, ..t };
        let step = if t.open_alert.is_none() && next.bad_streak >= open_after.max(1) { Step::Open } else { Step::Count };
        (next, step)
    } else {
        let next = Tracker { good_streak: t.good_streak.saturating_add(1), bad_streak: 0, ..t };
        let step = if t.open_alert.is_some() && next.good_streak >= resolve_after.max(1) { Step::Resolve } else { Step::Count };
        (next, step)
    }
}

/// An open, unacknowledged alert last notified `remind_every` ago or more.
pub fn reminder_due(alert: &Alert, remind_every_ms: Option<i64>, now: EpochMs) -> bool {
    match remind_every_ms {
        Some(every) => alert.state == AlertState::Open && alert.acknowledged_at.is_none() && now - alert.last_notified_at >= every,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(obs: &[bool], open_after: u32, resolve_after: u32) -> Vec<Step> {
        let mut t = Tracker::default();
        let mut steps = Vec::new();
        for (i, bad) in obs.iter().enumerate() {
            let (next, s) = step(t, *bad, open_after, resolve_after);
            t = next;
            match s {
                Step::Open => t.open_alert = Some(i as i64),
                Step::Resolve => t.open_alert = None,
                Step::Count => {}
            }
            steps.push(s);
        }
        steps
    }

    #[test]
    fn opens_once_and_resolves_once() {
        use Step::*;
        assert_eq!(run(&[true, true, true, false], 1, 1), [Open, Count, Count, Resolve]);
    }

    #[test]
    fn flapping_is_damped_by_both_thresholds() {
        use Step::*;
        // Two bad in a row needed; a good in between resets the streak.
        assert_eq!(run(&[true, false, true, true, false, true, false, false], 2, 2), [Count, Count, Count, Open, Count, Count, Count, Resolve]);
    }

    #[test]
    fn good_outcomes_without_an_open_alert_do_nothing() {
        assert_eq!(run(&[false, false], 1, 1), [Step::Count, Step::Count]);
    }

    #[test]
    fn subjects_round_trip_and_excerpts_cut() {
        for s in [Subject::Job("a:b".into()), Subject::Lane("bulk".into()), Subject::Worker("n:1:2:ab".into()), Subject::Scheduler, Subject::Queue("async.operations.all".into()), Subject::Consumer("exportProcessor".into())] {
            assert_eq!(Subject::parse(&s.key()), Some(s));
        }
        let long = "é".repeat(600);
        assert_eq!(excerpt(&long).chars().count(), ERROR_EXCERPT_CHARS + 1);
        assert_eq!(excerpt("short"), "short");
    }
}
