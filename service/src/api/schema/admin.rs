//! Administration: the audit log, merging Magento's job list, purging run
//! history and the retention periods of history (runs, audit, alerts). Sync, purge and retention changes are
//! admin-only; reading the audit log and the retention is open to every role
//! (audit arguments are stored with secrets already redacted).

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::runs::RunStatusGql;
use super::{datetime, page_complexity, state};
use crate::actions::{self, Change, MagentoJobDef};
use crate::api::audit::mutation;
use crate::api::auth::Role;
use crate::api::connection::{connection, page};
use crate::api::errors::IntoGql;
use crate::scheduler::retention::{Effective, Kept, Period, Source};
use crate::store::audit::AuditEntry;

connection!(AuditEntryConnection, AuditEntryEdge, AuditEntryObject);

#[derive(Clone)]
pub struct AuditEntryObject(pub AuditEntry);

#[Object(name = "AuditEntry")]
impl AuditEntryObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn at(&self) -> DateTime<Utc> {
        datetime(self.0.at)
    }
    /// The token's `sub`.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    async fn role(&self) -> &str {
        &self.0.role
    }
    /// The mutation, e.g. `pauseJob`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// The arguments as JSON, secrets redacted.
    async fn arguments(&self) -> &str {
        &self.0.arguments
    }
    /// `ok`, or the error code and message.
    async fn outcome(&self) -> &str {
        &self.0.outcome
    }
}

/// One job from Magento's `crontab.xml` files.
#[derive(InputObject)]
pub struct MagentoJobInput {
    pub code: String,
    pub group: String,
    /// The cron expression; omit when it lives in config (give `configPath`).
    pub schedule: Option<String>,
    /// The config path holding the schedule, when it is not resolved yet.
    pub config_path: Option<String>,
    pub instance: String,
    pub method: String,
    /// `bin/magento` arguments to run instead of `cronkeeper:job:run <code>`,
    /// e.g. `["cronkeeper:indexer:update", "catalog_product_price"]`. The job
    /// then has the `command` executor `<php> <magento.root>/bin/magento <args…>`
    /// (the service needs `magento.root`). Used for the per-indexer jobs the
    /// module derives from Magento's indexer cron jobs.
    pub command: Option<Vec<String>>,
}

#[derive(SimpleObject)]
pub struct SyncResult {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub removed: i64,
    pub warnings: Vec<String>,
}

/// Where a setting's value comes from.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum SettingSource {
    /// The config file (or its default).
    Config,
    /// Set over the API (`setRetention`), overriding the config file.
    Api,
}

impl From<Source> for SettingSource {
    fn from(s: Source) -> Self {
        match s {
            Source::Config => SettingSource::Config,
            Source::Api => SettingSource::Api,
        }
    }
}

/// How long history is kept: finished runs per status, the audit log,
/// resolved alerts and finished alert notifications. The retention pass
/// (every minute, on scheduler nodes) deletes older rows in small batches.
#[derive(SimpleObject)]
pub struct Retention {
    /// SUCCEEDED runs, in days (fractions allowed).
    pub succeeded_days: f64,
    pub succeeded_source: SettingSource,
    /// Every other finished status (FAILED, TIMED_OUT, KILLED, INTERRUPTED, MISSED, SKIPPED).
    pub other_days: f64,
    pub other_source: SettingSource,
    /// Audit log entries (`auditLog`).
    pub audit_days: f64,
    pub audit_source: SettingSource,
    /// RESOLVED alerts, counted from their resolution; open alerts are never purged.
    pub resolved_alerts_days: f64,
    pub resolved_alerts_source: SettingSource,
    /// DELIVERED and FAILED alert notifications, counted from their creation;
    /// queued ones are never purged.
    pub notifications_days: f64,
    pub notifications_source: SettingSource,
}

const DAY_MS: f64 = 86_400_000.0;

impl From<Effective> for Retention {
    fn from(e: Effective) -> Self {
        let days = |p: Period| p.ms as f64 / DAY_MS;
        Retention {
            succeeded_days: days(e.succeeded),
            succeeded_source: e.succeeded.source.into(),
            other_days: days(e.other),
            other_source: e.other.source.into(),
            audit_days: days(e.audit),
            audit_source: e.audit.source.into(),
            resolved_alerts_days: days(e.resolved_alerts),
            resolved_alerts_source: e.resolved_alerts.source.into(),
            notifications_days: days(e.notifications),
            notifications_source: e.notifications.source.into(),
        }
    }
}

fn change(v: MaybeUndefined<f64>) -> Change<f64> {
    match v {
        MaybeUndefined::Undefined => Change::Keep,
        MaybeUndefined::Null => Change::Clear,
        MaybeUndefined::Value(d) => Change::Set(d),
    }
}

#[derive(Default)]
pub struct AdminQuery;

#[Object]
impl AdminQuery {
    /// Every mutation with who made it and how it went, newest first.
    #[graphql(complexity = "page_complexity(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<AuditEntryConnection> {
        let page = page(first, after.as_deref()).gql()?;
        let store = &state(ctx).store;
        let items = crate::store::audit::list(store, page).await.gql()?;
        let total = crate::store::audit::count(store).await.gql()?;
        Ok(AuditEntryConnection::new(items.into_iter().map(AuditEntryObject).collect(), page, total))
    }

    /// The history retention in force (runs, audit log, alerts,
    /// notifications): the config file's, unless overridden.
    async fn retention(&self, ctx: &Context<'_>) -> async_graphql::Result<Retention> {
        let st = state(ctx);
        Ok(crate::scheduler::retention::effective(&st.store, &st.config.retention).await.gql()?.into())
    }
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Merges Magento's job list (admin): creates missing Magento jobs, updates
    /// changed ones except fields an operator overrode, removes those Magento
    /// no longer declares. Jobs without a resolved schedule are created paused.
    async fn sync_magento_jobs(&self, ctx: &Context<'_>, input: Vec<MagentoJobInput>) -> async_graphql::Result<SyncResult> {
        mutation(ctx, Role::Admin, |a| async move {
            let defs = input
                .into_iter()
                .map(|j| MagentoJobDef {
                    code: j.code,
                    group: j.group,
                    schedule: j.schedule,
                    config_path: j.config_path,
                    instance: j.instance,
                    method: j.method,
                    command: j.command,
                })
                .collect();
            let r = actions::sync_magento_jobs(&a, defs).await.map_err(|e| e.within("input"))?;
            Ok(SyncResult { created: r.created, updated: r.updated, unchanged: r.unchanged, removed: r.removed, warnings: r.warnings })
        })
        .await
    }

    /// Deletes finished runs scheduled before `olderThan` (admin), all finished
    /// statuses unless `statuses` narrows it. Returns how many were deleted.
    async fn purge_runs(
        &self,
        ctx: &Context<'_>,
        older_than: DateTime<Utc>,
        statuses: Option<Vec<RunStatusGql>>,
    ) -> async_graphql::Result<i64> {
        mutation(ctx, Role::Admin, |a| async move {
            let statuses = statuses.map(|s| s.into_iter().map(Into::into).collect());
            Ok(actions::purge_runs(&a, older_than.timestamp_millis(), statuses).await?)
        })
        .await
    }

    /// Changes how long history is kept (admin), in days: an omitted
    /// argument keeps its current value, `null` goes back to the config
    /// file's. Stored for every node; the next retention pass applies it.
    async fn set_retention(
        &self,
        ctx: &Context<'_>,
        succeeded_days: MaybeUndefined<f64>,
        other_days: MaybeUndefined<f64>,
        audit_days: MaybeUndefined<f64>,
        resolved_alerts_days: MaybeUndefined<f64>,
        notifications_days: MaybeUndefined<f64>,
    ) -> async_graphql::Result<Retention> {
        let changes = vec![
            (Kept::Succeeded, change(succeeded_days)),
            (Kept::Other, change(other_days)),
            (Kept::Audit, change(audit_days)),
            (Kept::ResolvedAlerts, change(resolved_alerts_days)),
            (Kept::Notifications, change(notifications_days)),
        ];
        mutation(ctx, Role::Admin, |a| async move { Ok(actions::set_retention(&a, changes).await?.into()) }).await
    }
}
