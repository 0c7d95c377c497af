//! Administration: the audit log, merging Magento's job list, and purging run
//! history. Sync and purge are admin-only; reading the audit log is open to
//! every role (its arguments are stored with secrets already redacted).

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};

use super::runs::RunStatusGql;
use super::{datetime, page_complexity, state};
use crate::actions::{self, MagentoJobDef};
use crate::api::audit::mutation;
use crate::api::auth::Role;
use crate::api::connection::{connection, page};
use crate::api::errors::IntoGql;
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
}

#[derive(SimpleObject)]
pub struct SyncResult {
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    pub removed: i64,
    pub warnings: Vec<String>,
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
}
