//! Leases: a named role (the scheduler) held by one process at a time, until
//! `expires_at`. Taking and renewing are single conditional statements, so two
//! contenders can never both believe they hold a lease, on any backend.

use sqlx::Row as _;

use super::{rows, Result, Store};
use crate::domain::EpochMs;

/// Takes `name` for `holder` until `now + ttl_ms` if it is free, expired or
/// already `holder`'s; returns whether `holder` now holds it.
///
/// One `UPDATE ... WHERE holder = me OR expires_at < now` renews or takes over
/// an existing row atomically (the row lock serialises contenders, and each
/// re-checks the condition on the row as the other left it); when there is no
/// row yet, an insert that ignores a duplicate key lets exactly one contender
/// create it.
pub async fn try_acquire_or_renew(store: &Store, name: &str, holder: &str, ttl_ms: i64, now: EpochMs) -> Result<bool> {
    let expires = now + ttl_ms.max(1);
    let sql = store.sql("UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND (holder = ? OR expires_at < ?)");
    let done = sqlx::query(&sql).bind(holder).bind(expires).bind(name).bind(holder).bind(now).execute(store.writer()).await?;
    if done.rows_affected() == 1 {
        return Ok(true);
    }
    let sql = store.insert_ignore("INTO leases (name, holder, expires_at) VALUES (?, ?, ?)");
    let done = sqlx::query(&store.sql(&sql)).bind(name).bind(holder).bind(expires).execute(store.writer()).await?;
    Ok(done.rows_affected() == 1)
}

/// Takes `name` from `previous` (a holder known to be dead) whatever its expiry;
/// false if someone else took or renewed it first.
pub async fn take_over(store: &Store, name: &str, previous: &str, holder: &str, ttl_ms: i64, now: EpochMs) -> Result<bool> {
    let sql = store.sql("UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND holder = ?");
    let done = sqlx::query(&sql).bind(holder).bind(now + ttl_ms.max(1)).bind(name).bind(previous).execute(store.writer()).await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease up (at a clean shutdown), so a follower need not wait for it to expire.
pub async fn release(store: &Store, name: &str, holder: &str) -> Result<bool> {
    let sql = store.sql("DELETE FROM leases WHERE name = ? AND holder = ?");
    Ok(sqlx::query(&sql).bind(name).bind(holder).execute(store.writer()).await?.rows_affected() == 1)
}

/// The current holder and expiry, expired or not.
pub async fn holder(store: &Store, name: &str) -> Result<Option<(String, EpochMs)>> {
    let sql = store.sql("SELECT holder, expires_at FROM leases WHERE name = ?");
    let row = sqlx::query(&sql).bind(name).fetch_optional(store.reader()).await?;
    row.map(|r| Ok((rows::text(&r, "holder")?, r.try_get::<i64, _>("expires_at")?))).transpose()
}
