//! Alerting: rules, per-(rule, subject) trackers, alerts and the notification
//! outbox (channels: `store::alert_channels`).
//!
//! Every alert change (open, reminder, resolve) writes its notifications, one
//! per channel of the rule, in the same transaction, so an alert is never
//! recorded without its notifications nor a notification queued for a change
//! that was rolled back. Outbox rows are delivered in id order per channel and
//! fenced by `claim` like runs: a deliverer whose lease ran out and whose row
//! was taken over changes nothing.

use sqlx::Row as _;

use super::{bind, rows, Result, Row, Store, StoreError, Value, Where};
use crate::alerts::model::{Alert, AlertMessage, AlertState, DeliveryStatus, Detail, Notification, NotifyEvent, Observation, Step, Subject, Tracker};
use crate::alerts::rule::{Rule, RuleKind, Severity};
use crate::alerts::model;
use super::Page;
use crate::domain::EpochMs;

// ---------------------------------------------------------------- rules

/// A rule as stored, with where it came from (`config` or `api`).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRule {
    pub rule: Rule,
    pub source: String,
    pub created_at: EpochMs,
    pub updated_at: EpochMs,
}

pub const SOURCE_CONFIG: &str = "config";
pub const SOURCE_API: &str = "api";

fn stored_rule(r: &Row) -> Result<StoredRule> {
    let spec = rows::text(r, "spec")?;
    Ok(StoredRule {
        rule: serde_json::from_str(&spec).map_err(|e| StoreError::Corrupt(format!("alert rule spec: {e}")))?,
        source: rows::text(r, "source")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub async fn list_rules(store: &Store) -> Result<Vec<StoredRule>> {
    let found = sqlx::query("SELECT spec, source, created_at, updated_at FROM alert_rules ORDER BY name").fetch_all(store.reader()).await?;
    found.iter().map(stored_rule).collect()
}

pub async fn get_rule(store: &Store, name: &str) -> Result<Option<StoredRule>> {
    let sql = store.sql("SELECT spec, source, created_at, updated_at FROM alert_rules WHERE name = ?");
    let row = sqlx::query(&sql).bind(name).fetch_optional(store.reader()).await?;
    row.as_ref().map(stored_rule).transpose()
}

async fn upsert_rule_on(store: &Store, conn: &mut sqlx::AnyConnection, rule: &Rule, source: &str, now: EpochMs) -> Result<()> {
    let spec = serde_json::to_string(rule).expect("rules serialise");
    let sql = store.sql("UPDATE alert_rules SET kind = ?, spec = ?, source = ?, enabled = ?, updated_at = ? WHERE name = ?");
    let done = sqlx::query(&sql)
        .bind(rule.kind.as_str())
        .bind(&spec)
        .bind(source)
        .bind(rule.enabled as i64)
        .bind(now)
        .bind(&rule.name)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        let sql = store.sql("INSERT INTO alert_rules (name, kind, spec, source, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
        sqlx::query(&sql)
            .bind(&rule.name)
            .bind(rule.kind.as_str())
            .bind(&spec)
            .bind(source)
            .bind(rule.enabled as i64)
            .bind(now)
            .bind(now)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Creates or replaces a rule (`upsertAlertRule`: source [`SOURCE_API`]).
pub async fn upsert_rule(store: &Store, rule: &Rule, source: &str, now: EpochMs) -> Result<()> {
    let mut conn = store.writer().acquire().await?;
    upsert_rule_on(store, &mut conn, rule, source, now).await
}

/// The file is the source of truth for the rules it declares: saves them all
/// and deletes config rules no longer declared. Returns the names deleted.
pub async fn save_config_rules(store: &Store, rules: &[Rule], now: EpochMs) -> Result<Vec<String>> {
    let previous: Vec<String> = list_rules(store).await?.into_iter().filter(|r| r.source == SOURCE_CONFIG).map(|r| r.rule.name).collect();
    let removed: Vec<String> = previous.into_iter().filter(|n| !rules.iter().any(|r| &r.name == n)).collect();
    let mut tx = store.writer().begin().await?;
    for rule in rules {
        upsert_rule_on(store, &mut tx, rule, SOURCE_CONFIG, now).await?;
    }
    for name in &removed {
        delete_rule_on(store, &mut tx, name, now).await?;
    }
    tx.commit().await?;
    Ok(removed)
}

async fn delete_rule_on(store: &Store, conn: &mut sqlx::AnyConnection, name: &str, now: EpochMs) -> Result<bool> {
    let done = sqlx::query(&store.sql("DELETE FROM alert_rules WHERE name = ?")).bind(name).execute(&mut *conn).await?;
    sqlx::query(&store.sql("DELETE FROM alert_trackers WHERE rule = ?")).bind(name).execute(&mut *conn).await?;
    // Alerts stay as history; the open ones close without a notification.
    sqlx::query(&store.sql("UPDATE alerts SET state = 'RESOLVED', resolved_at = ?, updated_at = ? WHERE rule = ? AND state = 'OPEN'"))
        .bind(now)
        .bind(now)
        .bind(name)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes a rule (`deleteAlertRule`); its open alerts are closed silently.
pub async fn delete_rule(store: &Store, name: &str, now: EpochMs) -> Result<bool> {
    let mut tx = store.writer().begin().await?;
    let found = delete_rule_on(store, &mut tx, name, now).await?;
    tx.commit().await?;
    Ok(found)
}

// ---------------------------------------------------------------- alerts

const ALERT_COLUMNS: &str = "id, rule, kind, subject, severity, state, summary, detail, opened_at, last_notified_at, reminders, \
    acknowledged_at, acknowledged_by, resolved_at, updated_at";

fn alert(r: &Row) -> Result<Alert> {
    let kind = rows::text(r, "kind")?;
    let severity = rows::text(r, "severity")?;
    let state = rows::text(r, "state")?;
    let detail = rows::text(r, "detail")?;
    Ok(Alert {
        id: r.try_get("id")?,
        rule: rows::text(r, "rule")?,
        kind: RuleKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("alert kind `{kind}`")))?,
        subject: rows::text(r, "subject")?,
        severity: Severity::parse(&severity).ok_or_else(|| StoreError::Corrupt(format!("alert severity `{severity}`")))?,
        state: AlertState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("alert state `{state}`")))?,
        summary: rows::text(r, "summary")?,
        detail: serde_json::from_str(&detail).map_err(|e| StoreError::Corrupt(format!("alert detail: {e}")))?,
        opened_at: r.try_get("opened_at")?,
        last_notified_at: r.try_get("last_notified_at")?,
        reminders: r.try_get::<i64, _>("reminders")?.max(0) as u32,
        acknowledged_at: r.try_get("acknowledged_at")?,
        acknowledged_by: rows::opt_text(r, "acknowledged_by")?,
        resolved_at: r.try_get("resolved_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub state: Option<AlertState>,
    pub rule: Option<String>,
    /// Stored subject form, e.g. `job:sales_x`.
    pub subject: Option<String>,
}

fn alert_where(filter: &AlertFilter) -> Where {
    let mut w = Where::default();
    if let Some(s) = filter.state {
        w.and("state = ?", [Value::from(s.as_str())]);
    }
    if let Some(r) = &filter.rule {
        w.and("rule = ?", [Value::from(r.as_str())]);
    }
    if let Some(s) = &filter.subject {
        w.and("subject = ?", [Value::from(s.as_str())]);
    }
    w
}

/// Alerts, newest first (`alerts` query).
pub async fn list_alerts(store: &Store, filter: &AlertFilter, page: Page) -> Result<Vec<Alert>> {
    let w = alert_where(filter);
    let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts{} ORDER BY id DESC LIMIT {} OFFSET {}", w.sql(), page.limit.max(0), page.offset.max(0));
    let sql = store.sql(&sql);
    bind(sqlx::query(&sql), &w.binds).fetch_all(store.reader()).await?.iter().map(alert).collect()
}

/// How many alerts match (the `alerts` connection's `totalCount`).
pub async fn count_alerts(store: &Store, filter: &AlertFilter) -> Result<i64> {
    let w = alert_where(filter);
    let sql = format!("SELECT COUNT(*) AS n FROM alerts{}", w.sql());
    let sql = store.sql(&sql);
    Ok(bind(sqlx::query(&sql), &w.binds).fetch_one(store.reader()).await?.try_get::<i64, _>("n")?)
}

pub async fn get_alert(store: &Store, id: i64) -> Result<Option<Alert>> {
    let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?");
    let row = sqlx::query(&store.sql(&sql)).bind(id).fetch_optional(store.reader()).await?;
    row.as_ref().map(alert).transpose()
}

async fn alert_on(store: &Store, conn: &mut sqlx::AnyConnection, id: i64) -> Result<Alert> {
    let sql = format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?");
    alert(&sqlx::query(&store.sql(&sql)).bind(id).fetch_one(&mut *conn).await?)
}

/// What an observation or a reminder pass changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub event: NotifyEvent,
    pub alert: Alert,
}

async fn read_tracker(store: &Store, conn: &mut sqlx::AnyConnection, rule: &str, subject: &str) -> Result<Option<(Tracker, i64)>> {
    let sql = store.sql("SELECT bad_streak, good_streak, open_alert, version FROM alert_trackers WHERE rule = ? AND subject = ?");
    let row = sqlx::query(&sql).bind(rule).bind(subject).fetch_optional(&mut *conn).await?;
    row.map(|r| {
        Ok((
            Tracker {
                bad_streak: r.try_get::<i64, _>("bad_streak")?.max(0) as u32,
                good_streak: r.try_get::<i64, _>("good_streak")?.max(0) as u32,
                open_alert: r.try_get("open_alert")?,
            },
            r.try_get::<i64, _>("version")?,
        ))
    })
    .transpose()
}

/// Records one observation of `rule` for `subject` and applies the lifecycle:
/// opens an alert (with its notifications), resolves it (with its
/// notifications), or only moves the streaks. Returns the change, if any.
///
/// A good observation for a subject with no streak and no open alert writes
/// nothing, so the periodic pass can report every healthy subject cheaply.
pub async fn observe(store: &Store, rule: &Rule, subject: &Subject, obs: &Observation, now: EpochMs) -> Result<Option<Change>> {
    let key = subject.key();
    if matches!(obs, Observation::Good) {
        let mut conn = store.reader().acquire().await?;
        match read_tracker(store, &mut conn, &rule.name, &key).await? {
            None => return Ok(None),
            Some((t, _)) if t.bad_streak == 0 && t.open_alert.is_none() => return Ok(None),
            Some(_) => {}
        }
    }
    for _ in 0..5 {
        if let Some(change) = observe_once(store, rule, &key, obs, now).await? {
            return Ok(change);
        }
    }
    Err(StoreError::Corrupt(format!("alert tracker {}/{key} kept changing under us", rule.name)))
}

/// `None` when the tracker's version moved under us (another evaluator): try again.
async fn observe_once(store: &Store, rule: &Rule, key: &str, obs: &Observation, now: EpochMs) -> Result<Option<Option<Change>>> {
    let mut tx = store.writer().begin().await?;
    let ins = store.insert_ignore("INTO alert_trackers (rule, subject, updated_at) VALUES (?, ?, ?)");
    sqlx::query(&store.sql(&ins)).bind(&rule.name).bind(key).bind(now).execute(&mut *tx).await?;
    let (tracker, version) = read_tracker(store, &mut tx, &rule.name, key).await?.expect("tracker row just ensured");
    let bad = matches!(obs, Observation::Bad(_));
    let (mut next, step) = model::step(tracker, bad, rule.open_after, rule.resolve_after);
    let mut change = None;
    match (step, obs) {
        (Step::Open, Observation::Bad(detail)) => {
            let id = insert_alert(store, &mut tx, rule, key, detail, now).await?;
            next.open_alert = Some(id);
            let a = alert_on(store, &mut tx, id).await?;
            enqueue_for_alert(store, &mut tx, rule, &a, NotifyEvent::Opened, now).await?;
            change = Some(Change { event: NotifyEvent::Opened, alert: a });
        }
        (Step::Resolve, _) => {
            let id = tracker.open_alert.expect("resolve needs an open alert");
            let sql = store.sql("UPDATE alerts SET state = 'RESOLVED', resolved_at = ?, last_notified_at = ?, updated_at = ? WHERE id = ? AND state = 'OPEN'");
            sqlx::query(&sql).bind(now).bind(now).bind(now).bind(id).execute(&mut *tx).await?;
            next.open_alert = None;
            let a = alert_on(store, &mut tx, id).await?;
            enqueue_for_alert(store, &mut tx, rule, &a, NotifyEvent::Resolved, now).await?;
            change = Some(Change { event: NotifyEvent::Resolved, alert: a });
        }
        (_, Observation::Bad(detail)) if tracker.open_alert.is_some() => {
            // Still open: keep the latest details, notify nobody.
            let sql = store.sql("UPDATE alerts SET summary = ?, detail = ?, updated_at = ? WHERE id = ?");
            sqlx::query(&sql)
                .bind(&detail.summary)
                .bind(serde_json::to_string(detail).expect("details serialise"))
                .bind(now)
                .bind(tracker.open_alert)
                .execute(&mut *tx)
                .await?;
        }
        _ => {}
    }
    let sql = store.sql(
        "UPDATE alert_trackers SET bad_streak = ?, good_streak = ?, open_alert = ?, version = version + 1, updated_at = ? \
         WHERE rule = ? AND subject = ? AND version = ?",
    );
    let done = sqlx::query(&sql)
        .bind(next.bad_streak as i64)
        .bind(next.good_streak as i64)
        .bind(next.open_alert)
        .bind(now)
        .bind(&rule.name)
        .bind(key)
        .bind(version)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(change))
}

async fn insert_alert(store: &Store, conn: &mut sqlx::AnyConnection, rule: &Rule, subject: &str, detail: &Detail, now: EpochMs) -> Result<i64> {
    let values: Vec<Value> = vec![
        rule.name.as_str().into(),
        rule.kind.as_str().into(),
        subject.into(),
        rule.severity.as_str().into(),
        detail.summary.as_str().into(),
        serde_json::to_string(detail).expect("details serialise").into(),
        now.into(),
        now.into(),
        now.into(),
    ];
    let sql = "INSERT INTO alerts (rule, kind, subject, severity, state, summary, detail, opened_at, last_notified_at, updated_at) \
               VALUES (?, ?, ?, ?, 'OPEN', ?, ?, ?, ?, ?)";
    insert_returning_id(store, conn, sql, &values).await
}

async fn insert_returning_id(store: &Store, conn: &mut sqlx::AnyConnection, sql: &str, values: &[Value]) -> Result<i64> {
    if store.backend() == super::Backend::MySql {
        let done = bind(sqlx::query(sql), values).execute(&mut *conn).await?;
        return done.last_insert_id().ok_or_else(|| StoreError::Corrupt("no id for an inserted row".into()));
    }
    let sql = format!("{sql} RETURNING id");
    let sql = store.sql(&sql);
    Ok(bind(sqlx::query(&sql), values).fetch_one(&mut *conn).await?.try_get::<i64, _>("id")?)
}

/// `ck-<alert>-<event>-<n>-<channel>`: unique per notification, the same on
/// every delivery attempt, so receivers can drop duplicates.
pub fn idempotency_key(alert: &Alert, event: NotifyEvent, channel: &str) -> String {
    let n = if event == NotifyEvent::Reminder { alert.reminders } else { 0 };
    format!("ck-{}-{}-{}-{}", alert.id, event.as_str(), n, channel)
}

async fn enqueue_for_alert(store: &Store, conn: &mut sqlx::AnyConnection, rule: &Rule, a: &Alert, event: NotifyEvent, now: EpochMs) -> Result<()> {
    let message = AlertMessage::for_alert(a, event, now);
    for channel in &rule.channels {
        let key = idempotency_key(a, event, channel);
        enqueue_on(store, conn, &key, Some(a.id), channel, &message, now).await?;
    }
    Ok(())
}

async fn enqueue_on(
    store: &Store,
    conn: &mut sqlx::AnyConnection,
    key: &str,
    alert_id: Option<i64>,
    channel: &str,
    message: &AlertMessage,
    now: EpochMs,
) -> Result<i64> {
    let values: Vec<Value> = vec![
        key.into(),
        alert_id.into(),
        channel.into(),
        message.event.as_str().into(),
        serde_json::to_string(message).expect("messages serialise").into(),
        now.into(),
        now.into(),
    ];
    let sql = "INSERT INTO alert_notifications (idempotency_key, alert_id, channel, event, message, status, next_attempt_at, created_at) \
               VALUES (?, ?, ?, ?, ?, 'PENDING', ?, ?)";
    insert_returning_id(store, conn, sql, &values).await
}

/// Queues a test message to one channel (`testAlertChannel`); returns its id.
pub async fn enqueue_test(store: &Store, channel: &str, now: EpochMs) -> Result<i64> {
    let message = AlertMessage {
        event: NotifyEvent::Test,
        alert_id: None,
        rule: "test".into(),
        kind: "test".into(),
        subject: "channel:".to_string() + channel,
        severity: Severity::Info,
        state: "TEST".into(),
        summary: format!("Test message from cronkeeper to channel {channel}"),
        detail: Detail { summary: "If you can read this, the channel works.".into(), ..Default::default() },
        opened_at: None,
        resolved_at: None,
        acknowledged: false,
        at: now,
    };
    let key = format!("ck-test-{now}-{:08x}-{channel}", rand::random::<u32>());
    let mut conn = store.writer().acquire().await?;
    enqueue_on(store, &mut conn, &key, None, channel, &message, now).await
}

/// Open, unacknowledged alerts whose reminder is due get one: `reminders`
/// moves on, `last_notified_at` is reset and the notifications are queued, in
/// one transaction per alert. `rules` are the current rules (for channels and
/// intervals). Returns the alerts reminded.
pub async fn remind_due(store: &Store, rules: &[Rule], now: EpochMs) -> Result<Vec<Alert>> {
    let open = list_alerts(store, &AlertFilter { state: Some(AlertState::Open), ..Default::default() }, Page { limit: 10_000, offset: 0 }).await?;
    let mut reminded = Vec::new();
    for a in open {
        let Some(rule) = rules.iter().find(|r| r.name == a.rule) else { continue };
        if !model::reminder_due(&a, rule.remind_every_ms, now) {
            continue;
        }
        let mut tx = store.writer().begin().await?;
        let sql = store.sql(
            "UPDATE alerts SET reminders = reminders + 1, last_notified_at = ?, updated_at = ? \
             WHERE id = ? AND state = 'OPEN' AND acknowledged_at IS NULL AND last_notified_at = ?",
        );
        let done = sqlx::query(&sql).bind(now).bind(now).bind(a.id).bind(a.last_notified_at).execute(&mut *tx).await?;
        if done.rows_affected() != 1 {
            tx.rollback().await?;
            continue;
        }
        let a = alert_on(store, &mut tx, a.id).await?;
        enqueue_for_alert(store, &mut tx, rule, &a, NotifyEvent::Reminder, now).await?;
        tx.commit().await?;
        reminded.push(a);
    }
    Ok(reminded)
}

/// An operator takes an open alert (`acknowledgeAlert`): no more reminders;
/// it still resolves by itself. `None` if there is no such alert. Acknowledging
/// twice keeps the first acknowledgement.
pub async fn acknowledge(store: &Store, id: i64, by: &str, now: EpochMs) -> Result<Option<Alert>> {
    let sql = store.sql("UPDATE alerts SET acknowledged_at = ?, acknowledged_by = ?, updated_at = ? WHERE id = ? AND acknowledged_at IS NULL");
    sqlx::query(&sql).bind(now).bind(by).bind(now).bind(id).execute(store.writer()).await?;
    get_alert(store, id).await
}

// ---------------------------------------------------------------- outbox

const NOTIFICATION_COLUMNS: &str = "id, idempotency_key, alert_id, channel, event, message, status, attempts, next_attempt_at, \
    last_error, created_at, delivered_at, failed_at";

fn notification(r: &Row) -> Result<Notification> {
    let event = rows::text(r, "event")?;
    let status = rows::text(r, "status")?;
    let message = rows::text(r, "message")?;
    Ok(Notification {
        id: r.try_get("id")?,
        idempotency_key: rows::text(r, "idempotency_key")?,
        alert_id: r.try_get("alert_id")?,
        channel: rows::text(r, "channel")?,
        event: NotifyEvent::parse(&event).ok_or_else(|| StoreError::Corrupt(format!("notification event `{event}`")))?,
        message: serde_json::from_str(&message).map_err(|e| StoreError::Corrupt(format!("notification message: {e}")))?,
        status: DeliveryStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("notification status `{status}`")))?,
        attempts: r.try_get::<i64, _>("attempts")?.max(0) as u32,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_error: rows::opt_text(r, "last_error")?,
        created_at: r.try_get("created_at")?,
        delivered_at: r.try_get("delivered_at")?,
        failed_at: r.try_get("failed_at")?,
    })
}

#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    pub alert_id: Option<i64>,
    pub channel: Option<String>,
    pub status: Option<DeliveryStatus>,
}

fn notification_where(filter: &NotificationFilter) -> Where {
    let mut w = Where::default();
    if let Some(id) = filter.alert_id {
        w.and("alert_id = ?", [Value::from(id)]);
    }
    if let Some(c) = &filter.channel {
        w.and("channel = ?", [Value::from(c.as_str())]);
    }
    if let Some(s) = filter.status {
        w.and("status = ?", [Value::from(s.as_str())]);
    }
    w
}

/// How many notifications match.
pub async fn count_notifications(store: &Store, filter: &NotificationFilter) -> Result<i64> {
    let w = notification_where(filter);
    let sql = format!("SELECT COUNT(*) AS n FROM alert_notifications{}", w.sql());
    let sql = store.sql(&sql);
    Ok(bind(sqlx::query(&sql), &w.binds).fetch_one(store.reader()).await?.try_get::<i64, _>("n")?)
}

/// Notifications in id order (the failed ones: `status: Some(Failed)`).
pub async fn list_notifications(store: &Store, filter: &NotificationFilter, page: Page) -> Result<Vec<Notification>> {
    let w = notification_where(filter);
    let sql = format!("SELECT {NOTIFICATION_COLUMNS} FROM alert_notifications{} ORDER BY id LIMIT {} OFFSET {}", w.sql(), page.limit.max(0), page.offset.max(0));
    let sql = store.sql(&sql);
    bind(sqlx::query(&sql), &w.binds).fetch_all(store.reader()).await?.iter().map(notification).collect()
}

pub async fn get_notification(store: &Store, id: i64) -> Result<Option<Notification>> {
    let sql = format!("SELECT {NOTIFICATION_COLUMNS} FROM alert_notifications WHERE id = ?");
    let row = sqlx::query(&store.sql(&sql)).bind(id).fetch_optional(store.reader()).await?;
    row.as_ref().map(notification).transpose()
}

/// A notification a deliverer holds, with its fencing token.
#[derive(Debug, Clone)]
pub struct ClaimedNotification {
    pub notification: Notification,
    pub claim: i64,
}

/// Takes the head of each channel's queue (its oldest undelivered, unfailed
/// notification) when it is due and not held by a live lease. Later
/// notifications of a channel wait for the head: order is kept per channel.
pub async fn claim_due(store: &Store, now: EpochMs, lease_ms: i64, limit: i64) -> Result<Vec<ClaimedNotification>> {
    let sql = format!(
        "SELECT n.id, n.claim FROM alert_notifications n \
         WHERE n.status IN ('PENDING', 'DELIVERING') \
         AND n.id = (SELECT MIN(m.id) FROM alert_notifications m WHERE m.channel = n.channel AND m.status IN ('PENDING', 'DELIVERING')) \
         AND n.next_attempt_at <= ? AND (n.status = 'PENDING' OR n.lease_until < ?) \
         ORDER BY n.id LIMIT {}",
        limit.max(1)
    );
    let heads = sqlx::query(&store.sql(&sql)).bind(now).bind(now).fetch_all(store.reader()).await?;
    let mut claimed = Vec::new();
    for head in heads {
        let id: i64 = head.try_get("id")?;
        let claim: i64 = head.try_get("claim")?;
        let sql = store.sql(
            "UPDATE alert_notifications SET status = 'DELIVERING', claim = claim + 1, lease_until = ? \
             WHERE id = ? AND claim = ? AND (status = 'PENDING' OR (status = 'DELIVERING' AND lease_until < ?))",
        );
        let done = sqlx::query(&sql).bind(now + lease_ms).bind(id).bind(claim).bind(now).execute(store.writer()).await?;
        if done.rows_affected() == 1 {
            if let Some(n) = get_notification(store, id).await? {
                claimed.push(ClaimedNotification { notification: n, claim: claim + 1 });
            }
        }
    }
    Ok(claimed)
}

/// After a 2xx: never sent again. False if the claim was lost.
pub async fn mark_delivered(store: &Store, id: i64, claim: i64, now: EpochMs) -> Result<bool> {
    let sql = store.sql(
        "UPDATE alert_notifications SET status = 'DELIVERED', attempts = attempts + 1, delivered_at = ?, lease_until = NULL, last_error = NULL \
         WHERE id = ? AND claim = ? AND status = 'DELIVERING'",
    );
    Ok(sqlx::query(&sql).bind(now).bind(id).bind(claim).execute(store.writer()).await?.rows_affected() == 1)
}

/// After a retryable failure: back to PENDING, due again at `next_attempt_at`.
pub async fn mark_retry(store: &Store, id: i64, claim: i64, next_attempt_at: EpochMs, error: &str) -> Result<bool> {
    let sql = store.sql(
        "UPDATE alert_notifications SET status = 'PENDING', attempts = attempts + 1, next_attempt_at = ?, lease_until = NULL, last_error = ? \
         WHERE id = ? AND claim = ? AND status = 'DELIVERING'",
    );
    Ok(sqlx::query(&sql).bind(next_attempt_at).bind(error).bind(id).bind(claim).execute(store.writer()).await?.rows_affected() == 1)
}

/// Gives up on a notification (last attempt failed, or a permanent refusal).
pub async fn mark_failed(store: &Store, id: i64, claim: i64, error: &str, now: EpochMs) -> Result<bool> {
    let sql = store.sql(
        "UPDATE alert_notifications SET status = 'FAILED', attempts = attempts + 1, failed_at = ?, lease_until = NULL, last_error = ? \
         WHERE id = ? AND claim = ? AND status = 'DELIVERING'",
    );
    Ok(sqlx::query(&sql).bind(now).bind(error).bind(id).bind(claim).execute(store.writer()).await?.rows_affected() == 1)
}

/// The earliest time a queued notification becomes due, for the deliverer's sleep.
pub async fn next_due(store: &Store) -> Result<Option<EpochMs>> {
    let row = sqlx::query("SELECT MIN(CASE WHEN status = 'PENDING' THEN next_attempt_at ELSE lease_until END) AS t FROM alert_notifications WHERE status IN ('PENDING', 'DELIVERING')")
        .fetch_one(store.reader())
        .await?;
    Ok(row.try_get::<Option<i64>, _>("t")?)
}

// ---------------------------------------------------------------- retention

/// Deletes at most `batch` alerts resolved before `before` (retention.resolved_alerts).
/// Open alerts are never purged, however old.
pub async fn purge_resolved_batch(store: &Store, before: EpochMs, batch: i64) -> Result<u64> {
    let mut w = Where::default();
    w.and("state = 'RESOLVED'", []);
    w.and("resolved_at < ?", [Value::from(before)]);
    store.purge_batch("alerts", &w, batch).await
}

/// Deletes at most `batch` notifications created before `before` that are
/// done with (DELIVERED or FAILED; retention.notifications). Queued ones stay
/// until they are delivered or given up on.
pub async fn purge_notifications_batch(store: &Store, before: EpochMs, batch: i64) -> Result<u64> {
    let mut w = Where::default();
    w.and("status IN ('DELIVERED', 'FAILED')", []);
    w.and("created_at < ?", [Value::from(before)]);
    store.purge_batch("alert_notifications", &w, batch).await
}

// ---------------------------------------------------------------- figures for the evaluator

/// Durations (ms) of a job's latest successful runs, newest first, excluding `except`.
pub async fn recent_success_durations(store: &Store, code: &str, except: i64, limit: i64) -> Result<Vec<i64>> {
    let sql = format!(
        "SELECT started_at, finished_at FROM runs WHERE job_code = ? AND status = 'SUCCEEDED' AND id <> ? \
         AND started_at IS NOT NULL AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT {}",
        limit.max(1)
    );
    let found = sqlx::query(&store.sql(&sql)).bind(code).bind(except).fetch_all(store.reader()).await?;
    found.iter().map(|r| Ok(r.try_get::<i64, _>("finished_at")? - r.try_get::<i64, _>("started_at")?)).collect()
}

/// The last success of every job that has one.
pub async fn last_successes(store: &Store) -> Result<Vec<(String, EpochMs)>> {
    let found = sqlx::query("SELECT job_code, MAX(finished_at) AS t FROM runs WHERE status = 'SUCCEEDED' GROUP BY job_code").fetch_all(store.reader()).await?;
    found.iter().filter_map(|r| Some(Ok((r.try_get("job_code").ok()?, r.try_get::<Option<i64>, _>("t").ok()??)))).collect()
}

/// Per job, the oldest scheduled (or catch-up) run still waiting to start that
/// was due by `now`: (job, run id, scheduled_at).
pub async fn oldest_waiting_scheduled(store: &Store, now: EpochMs) -> Result<Vec<(String, i64, EpochMs)>> {
    let sql = store.sql(
        "SELECT r.job_code, r.id, r.scheduled_at FROM runs r WHERE r.status IN ('PENDING', 'QUEUED') \
         AND r.trigger_kind IN ('schedule', 'catch_up') AND r.scheduled_at <= ? \
         AND r.id = (SELECT MIN(x.id) FROM runs x WHERE x.job_code = r.job_code AND x.status IN ('PENDING', 'QUEUED') \
                     AND x.trigger_kind IN ('schedule', 'catch_up') AND x.scheduled_at <= ?)",
    );
    let found = sqlx::query(&sql).bind(now).bind(now).fetch_all(store.reader()).await?;
    found.iter().map(|r| Ok((r.try_get("job_code")?, r.try_get("id")?, r.try_get("scheduled_at")?))).collect()
}
