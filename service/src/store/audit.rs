//! The audit log: who changed what through the API, and how it went.

use sqlx::Row as _;

use super::{rows, Page, Result, Store, Value, Where};
use crate::domain::EpochMs;

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: EpochMs,
    pub subject: String,
    pub role: String,
    pub operation: String,
    /// JSON of the arguments, secrets already redacted by the caller.
    pub arguments: String,
    /// `ok` or the error code and message.
    pub outcome: String,
}

pub async fn record(store: &Store, e: &AuditEntry) -> Result<()> {
    let sql = store.sql("INSERT INTO audit_log (at, subject, role, operation, arguments, outcome) VALUES (?, ?, ?, ?, ?, ?)");
    sqlx::query(&sql)
        .bind(e.at)
        .bind(&e.subject)
        .bind(&e.role)
        .bind(&e.operation)
        .bind(&e.arguments)
        .bind(&e.outcome)
        .execute(store.writer())
        .await?;
    Ok(())
}

/// Newest first.
pub async fn list(store: &Store, page: Page) -> Result<Vec<AuditEntry>> {
    let sql = format!(
        "SELECT id, at, subject, role, operation, arguments, outcome FROM audit_log ORDER BY id DESC LIMIT {} OFFSET {}",
        page.limit.max(0),
        page.offset.max(0)
    );
    let found = sqlx::query(&sql).fetch_all(store.reader()).await?;
    found
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                subject: rows::text(r, "subject")?,
                role: rows::text(r, "role")?,
                operation: rows::text(r, "operation")?,
                arguments: rows::text(r, "arguments")?,
                outcome: rows::text(r, "outcome")?,
            })
        })
        .collect()
}

pub async fn count(store: &Store) -> Result<i64> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM audit_log").fetch_one(store.reader()).await?.try_get("n")?)
}

/// Deletes at most `batch` entries recorded before `before` (retention.audit).
pub async fn purge_batch(store: &Store, before: EpochMs, batch: i64) -> Result<u64> {
    let mut w = Where::default();
    w.and("at < ?", [Value::from(before)]);
    store.purge_batch("audit_log", &w, batch).await
}
