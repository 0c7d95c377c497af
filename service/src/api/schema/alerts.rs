//! Alerting over GraphQL: rules (from the config file and from the API),
//! alerts with their notifications, and the mutations that manage rules, test
//! a channel and acknowledge an alert. Channels: [`super::alert_channels`]. The engine is `crate::alerts`;
//! see docs/alerting.md.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::runs::{RunObject, RunStatusGql};
use super::{datetime, page_complexity, state};
use crate::actions;
use crate::alerts::{self, DeliveryStatus, RuleInput};
use crate::api::audit::mutation;
use crate::api::auth::{Principal, Role};
use crate::api::connection::{connection, page};
use crate::api::errors::{ApiError, IntoGql};
use crate::domain::RunStatus;
use crate::store::alerts::{self as astore, NotificationFilter, StoredRule};
use crate::store::Page;

/// Notifications listed under one alert (an alert has a few per channel:
/// opened, reminders, resolved).
pub const NOTIFICATIONS_PER_ALERT: i64 = 100;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::alerts::Severity")]
pub enum AlertSeverity {
    Info,
    Warning,
    Critical,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::alerts::AlertState")]
pub enum AlertState {
    /// The condition holds (acknowledged or not).
    Open,
    /// The condition cleared, or its rule was deleted.
    Resolved,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "NotificationStatus", remote = "crate::alerts::DeliveryStatus")]
pub enum NotificationStatusGql {
    /// Waiting for its first attempt or its next retry.
    Pending,
    /// Being sent by a deliverer.
    Delivering,
    /// The endpoint answered 2xx; it is never sent again.
    Delivered,
    /// Given up: after the last attempt, or refused for good (4xx). `lastError` says why.
    Failed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "NotificationEvent", remote = "crate::alerts::NotifyEvent")]
pub enum NotificationEventGql {
    Opened,
    Reminder,
    Resolved,
    /// From `testAlertChannel`, not tied to an alert.
    Test,
}

/// Where a rule comes from. Config rules are changed in the file (they are
/// saved again at every start); the API manages its own.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AlertRuleSource {
    Config,
    Api,
}

// ---------------------------------------------------------------- alerts

#[derive(Clone)]
pub struct AlertObject(pub alerts::Alert);

#[Object(name = "Alert")]
impl AlertObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The rule's name.
    async fn rule(&self) -> &str {
        &self.0.rule
    }
    /// The rule's `when`, e.g. `run_failed`.
    async fn kind(&self) -> &str {
        self.0.kind.as_str()
    }
    /// What it is about: `job:<code>`, `lane:<name>`, `worker:<instance>` or `scheduler`.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn job_code(&self) -> Option<String> {
        match alerts::Subject::parse(&self.0.subject) {
            Some(alerts::Subject::Job(code)) => Some(code),
            _ => self.0.detail.job.clone(),
        }
    }
    async fn lane(&self) -> Option<String> {
        match alerts::Subject::parse(&self.0.subject) {
            Some(alerts::Subject::Lane(lane)) => Some(lane),
            _ => self.0.detail.lane.clone(),
        }
    }
    async fn severity(&self) -> AlertSeverity {
        self.0.severity.into()
    }
    async fn state(&self) -> AlertState {
        self.0.state.into()
    }
    /// An operator took it: no more reminders; it still resolves by itself.
    async fn acknowledged(&self) -> bool {
        self.0.acknowledged_at.is_some()
    }
    /// One line: what is wrong (the latest bad observation while open).
    async fn summary(&self) -> &str {
        &self.0.summary
    }
    /// The latest run's error, cut to 500 characters.
    async fn error(&self) -> Option<&str> {
        self.0.detail.error.as_deref()
    }
    /// The latest run that made it worse, if the rule is about runs.
    async fn run_id(&self) -> Option<ID> {
        self.0.detail.run_id.map(|id| ID(id.to_string()))
    }
    /// That run, unless it has been purged since.
    async fn run(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RunObject>> {
        match self.0.detail.run_id {
            Some(id) => Ok(crate::store::runs::get(&state(ctx).store, id).await.gql()?.map(RunObject)),
            None => Ok(None),
        }
    }
    /// The status that run ended with (or has, while it is still too long).
    async fn run_status(&self) -> Option<RunStatusGql> {
        self.0.detail.status.as_deref().and_then(RunStatus::parse).map(Into::into)
    }
    async fn duration_ms(&self) -> Option<i64> {
        self.0.detail.duration_ms
    }
    async fn opened_at(&self) -> DateTime<Utc> {
        datetime(self.0.opened_at)
    }
    /// The last opened, reminder or resolved notification.
    async fn last_notified_at(&self) -> DateTime<Utc> {
        datetime(self.0.last_notified_at)
    }
    /// Reminders sent so far.
    async fn reminders(&self) -> i32 {
        self.0.reminders.min(i32::MAX as u32) as i32
    }
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.acknowledged_at.map(datetime)
    }
    /// The token subject that acknowledged it.
    async fn acknowledged_by(&self) -> Option<&str> {
        self.0.acknowledged_by.as_deref()
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at.map(datetime)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        datetime(self.0.updated_at)
    }
    /// Its notifications (one per channel and event), oldest first, with
    /// their delivery status: a notification that failed for good shows
    /// `status: FAILED` and its `lastError`.
    #[graphql(complexity = "1 + 10 * child_complexity")]
    async fn notifications(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AlertNotificationObject>> {
        let filter = NotificationFilter { alert_id: Some(self.0.id), ..Default::default() };
        let found = astore::list_notifications(&state(ctx).store, &filter, Page { limit: NOTIFICATIONS_PER_ALERT, offset: 0 }).await.gql()?;
        Ok(found.into_iter().map(AlertNotificationObject).collect())
    }
}

connection!(AlertConnection, AlertEdge, AlertObject);

#[derive(Clone)]
pub struct AlertNotificationObject(pub alerts::Notification);

#[Object(name = "AlertNotification")]
impl AlertNotificationObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Sent as `X-Cronkeeper-Idempotency-Key` on every attempt.
    async fn idempotency_key(&self) -> &str {
        &self.0.idempotency_key
    }
    /// None for test notifications.
    async fn alert_id(&self) -> Option<ID> {
        self.0.alert_id.map(|id| ID(id.to_string()))
    }
    async fn channel(&self) -> &str {
        &self.0.channel
    }
    async fn event(&self) -> NotificationEventGql {
        self.0.event.into()
    }
    async fn status(&self) -> NotificationStatusGql {
        self.0.status.into()
    }
    /// Attempts made so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts.min(i32::MAX as u32) as i32
    }
    /// Why the last attempt failed (the channel URL is never part of it).
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        datetime(self.0.created_at)
    }
    /// When the next attempt is due, while PENDING.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.status == DeliveryStatus::Pending).then(|| datetime(self.0.next_attempt_at))
    }
    async fn delivered_at(&self) -> Option<DateTime<Utc>> {
        self.0.delivered_at.map(datetime)
    }
    async fn failed_at(&self) -> Option<DateTime<Utc>> {
        self.0.failed_at.map(datetime)
    }
}

connection!(AlertNotificationConnection, AlertNotificationEdge, AlertNotificationObject);

#[derive(InputObject, Default)]
pub struct AlertFilter {
    pub state: Option<AlertState>,
    /// A rule name.
    pub rule: Option<String>,
    /// Stored subject form: `job:<code>`, `lane:<name>`, `worker:<instance>` or `scheduler`.
    pub subject: Option<String>,
}

impl From<AlertFilter> for astore::AlertFilter {
    fn from(f: AlertFilter) -> Self {
        astore::AlertFilter { state: f.state.map(Into::into), rule: f.rule, subject: f.subject }
    }
}

#[derive(InputObject, Default)]
pub struct AlertNotificationFilter {
    pub status: Option<NotificationStatusGql>,
    pub channel: Option<String>,
    pub alert_id: Option<ID>,
}

// ---------------------------------------------------------------- rules

#[derive(SimpleObject)]
pub struct AlertScope {
    /// Job codes or patterns (`*`, `?`); empty means every job.
    pub jobs: Vec<String>,
    /// Lane names; empty means every lane.
    pub lanes: Vec<String>,
    pub queues: Vec<String>,
}

pub struct AlertRuleObject(pub StoredRule);

#[Object(name = "AlertRule")]
impl AlertRuleObject {
    /// Unique; alerts refer to their rule by name.
    async fn name(&self) -> &str {
        &self.0.rule.name
    }
    /// What it watches: run_failed, run_timed_out, consecutive_failures,
    /// run_too_long, not_succeeded_within, late_start, lane_saturated,
    /// queue_depth, queue_no_consumer, consumer_crash_loop, worker_lost, leader_lost.
    async fn when(&self) -> &str {
        self.0.rule.kind.as_str()
    }
    /// Whether the rule is judged (every kind is, since consumer supervision).
    async fn evaluated(&self) -> bool {
        self.0.rule.kind.is_evaluated()
    }
    async fn scope(&self) -> AlertScope {
        let s = &self.0.rule.scope;
        AlertScope { jobs: s.jobs.clone(), lanes: s.lanes.clone(), queues: s.queues.clone() }
    }
    /// Channel names.
    async fn channels(&self) -> &[String] {
        &self.0.rule.channels
    }
    async fn severity(&self) -> AlertSeverity {
        self.0.rule.severity.into()
    }
    /// run_failed: the outcomes that count as bad.
    async fn statuses(&self) -> Option<Vec<RunStatusGql>> {
        (self.0.rule.kind == alerts::RuleKind::RunFailed).then(|| self.0.rule.statuses.iter().map(|s| (*s).into()).collect())
    }
    async fn count(&self) -> Option<i32> {
        self.0.rule.count.map(|c| c as i32)
    }
    /// As in the config file, e.g. `15m`.
    async fn duration(&self) -> Option<String> {
        self.0.rule.to_input().duration
    }
    async fn duration_seconds(&self) -> Option<f64> {
        self.0.rule.duration_ms.map(|ms| ms as f64 / 1000.0)
    }
    async fn factor(&self) -> Option<f64> {
        self.0.rule.factor
    }
    /// Bad outcomes in a row before an alert opens.
    async fn open_after(&self) -> i32 {
        self.0.rule.open_after as i32
    }
    /// Good outcomes in a row before it resolves.
    async fn resolve_after(&self) -> i32 {
        self.0.rule.resolve_after as i32
    }
    async fn remind_every(&self) -> Option<String> {
        self.0.rule.to_input().remind_every
    }
    async fn enabled(&self) -> bool {
        self.0.rule.enabled
    }
    async fn source(&self) -> AlertRuleSource {
        if self.0.source == astore::SOURCE_CONFIG {
            AlertRuleSource::Config
        } else {
            AlertRuleSource::Api
        }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        datetime(self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        datetime(self.0.updated_at)
    }
}

/// A rule as in `[[alerts.rules]]` of the config file, key for key (camelCase).
#[derive(InputObject)]
pub struct AlertRuleInput {
    pub name: String,
    /// See `AlertRule.when`.
    pub when: String,
    #[graphql(default)]
    pub jobs: Vec<String>,
    #[graphql(default)]
    pub lanes: Vec<String>,
    #[graphql(default)]
    pub queues: Vec<String>,
    /// Names of channels (`alertChannels`), from the config file or the API.
    #[graphql(default)]
    pub channels: Vec<String>,
    /// A default per kind when omitted.
    pub severity: Option<AlertSeverity>,
    /// run_failed only (default FAILED, TIMED_OUT, INTERRUPTED, MISSED).
    pub statuses: Option<Vec<RunStatusGql>>,
    pub count: Option<i32>,
    /// A duration such as `90s`, `15m`, `2h`.
    pub duration: Option<String>,
    pub factor: Option<f64>,
    pub open_after: Option<i32>,
    pub resolve_after: Option<i32>,
    pub remind_every: Option<String>,
    pub enabled: Option<bool>,
}

impl From<AlertRuleInput> for RuleInput {
    fn from(i: AlertRuleInput) -> Self {
        RuleInput {
            name: i.name,
            when: i.when,
            jobs: i.jobs,
            lanes: i.lanes,
            queues: i.queues,
            channels: i.channels,
            severity: i.severity.map(|s| alerts::Severity::from(s).as_str().to_string()),
            statuses: i.statuses.map(|list| list.into_iter().map(|s| RunStatus::from(s).as_str().to_string()).collect()),
            count: i.count.map(i64::from),
            duration: i.duration,
            factor: i.factor,
            open_after: i.open_after.map(i64::from),
            resolve_after: i.resolve_after.map(i64::from),
            remind_every: i.remind_every,
            enabled: i.enabled,
        }
    }
}

// ---------------------------------------------------------------- roots

fn parse_alert_id(field: &str, id: &ID) -> Result<i64, ApiError> {
    id.as_str().trim().parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::bad_input(field, "is not an alert id"))
}

#[derive(Default)]
pub struct AlertsQuery;

#[Object]
impl AlertsQuery {
    /// Alerts, newest first, each with its notifications.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn alerts(
        &self,
        ctx: &Context<'_>,
        filter: Option<AlertFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AlertConnection> {
        let page = page(first, after.as_deref()).gql()?;
        let filter: astore::AlertFilter = filter.unwrap_or_default().into();
        let store = &state(ctx).store;
        let items = astore::list_alerts(store, &filter, page).await.gql()?;
        let total = astore::count_alerts(store, &filter).await.gql()?;
        Ok(AlertConnection::new(items.into_iter().map(AlertObject).collect(), page, total))
    }

    /// One alert, or null.
    async fn alert(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<AlertObject>> {
        let id = parse_alert_id("id", &id).gql()?;
        Ok(astore::get_alert(&state(ctx).store, id).await.gql()?.map(AlertObject))
    }

    /// Notifications of every alert and channel test, oldest first; e.g.
    /// `filter: { status: FAILED }` for those given up on.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn alert_notifications(
        &self,
        ctx: &Context<'_>,
        filter: Option<AlertNotificationFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AlertNotificationConnection> {
        let page = page(first, after.as_deref()).gql()?;
        let f = filter.unwrap_or_default();
        let alert_id = f.alert_id.as_ref().map(|id| parse_alert_id("filter.alertId", id)).transpose().gql()?;
        let filter = NotificationFilter { alert_id, channel: f.channel, status: f.status.map(Into::into) };
        let store = &state(ctx).store;
        let items = astore::list_notifications(store, &filter, page).await.gql()?;
        let total = astore::count_notifications(store, &filter).await.gql()?;
        Ok(AlertNotificationConnection::new(items.into_iter().map(AlertNotificationObject).collect(), page, total))
    }

    /// Every rule, from the config file and from the API, by name.
    async fn alert_rules(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AlertRuleObject>> {
        Ok(astore::list_rules(&state(ctx).store).await.gql()?.into_iter().map(AlertRuleObject).collect())
    }
}

#[derive(Default)]
pub struct AlertsMutation;

#[Object]
impl AlertsMutation {
    /// Creates or replaces a rule (admin). Errors are BAD_USER_INPUT naming
    /// the field (`input.channels[1]`); rules declared in the config file are
    /// changed there and refused here.
    async fn upsert_alert_rule(&self, ctx: &Context<'_>, input: AlertRuleInput) -> async_graphql::Result<AlertRuleObject> {
        mutation(ctx, Role::Admin, |a| async move {
            let input: RuleInput = input.into();
            Ok(AlertRuleObject(actions::upsert_alert_rule(&a, &input).await.map_err(|e| e.within("input"))?))
        })
        .await
    }

    /// Deletes a rule made over the API (admin); its open alerts close without
    /// a notification. False when there is no such rule.
    async fn delete_alert_rule(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<bool> {
        mutation(ctx, Role::Admin, |a| async move { Ok(actions::delete_alert_rule(&a, &name).await?) }).await
    }

    /// Queues a test message to a channel (operator); NOT_FOUND for
    /// an unknown one. Its delivery shows in `alertNotifications`.
    async fn test_alert_channel(&self, ctx: &Context<'_>, name: String) -> async_graphql::Result<bool> {
        mutation(ctx, Role::Operator, |a| async move {
            actions::test_alert_channel(&a, &name).await?;
            Ok(true)
        })
        .await
    }

    /// Takes an alert (operator): no more reminders; it still resolves by
    /// itself. Acknowledging twice keeps the first. NOT_FOUND if unknown.
    async fn acknowledge_alert(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<AlertObject> {
        let by = ctx.data_opt::<Principal>().map(|p| p.subject.clone()).unwrap_or_default();
        mutation(ctx, Role::Operator, |a| async move {
            let id = parse_alert_id("id", &id)?;
            Ok(AlertObject(actions::acknowledge_alert(&a, id, &by).await?))
        })
        .await
    }
}

// ---------------------------------------------------------------- events

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum AlertEventKind {
    Opened,
    Reminded,
    Acknowledged,
    Resolved,
    NotificationDelivered,
    /// Given up on a notification: after its last attempt or a permanent refusal.
    NotificationFailed,
}

/// One change from the alerting engine, for the `alertEvents` subscription.
pub struct AlertEventObject(pub alerts::AlertEvent);

#[Object(name = "AlertEvent")]
impl AlertEventObject {
    async fn kind(&self) -> AlertEventKind {
        use alerts::AlertEvent as E;
        match &self.0 {
            E::Opened(_) => AlertEventKind::Opened,
            E::Reminded(_) => AlertEventKind::Reminded,
            E::Acknowledged(_) => AlertEventKind::Acknowledged,
            E::Resolved(_) => AlertEventKind::Resolved,
            E::NotificationDelivered(_) => AlertEventKind::NotificationDelivered,
            E::NotificationFailed(_) => AlertEventKind::NotificationFailed,
        }
    }
    /// The alert as it was at the change; for notification events, the alert
    /// as it is now (null for channel tests).
    async fn alert(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<AlertObject>> {
        use alerts::AlertEvent as E;
        match &self.0 {
            E::Opened(a) | E::Reminded(a) | E::Acknowledged(a) | E::Resolved(a) => Ok(Some(AlertObject(a.clone()))),
            E::NotificationDelivered(n) | E::NotificationFailed(n) => match n.alert_id {
                Some(id) => Ok(astore::get_alert(&state(ctx).store, id).await.gql()?.map(AlertObject)),
                None => Ok(None),
            },
        }
    }
    /// For notification events.
    async fn notification(&self) -> Option<AlertNotificationObject> {
        use alerts::AlertEvent as E;
        match &self.0 {
            E::NotificationDelivered(n) | E::NotificationFailed(n) => Some(AlertNotificationObject(n.clone())),
            _ => None,
        }
    }
}
