//! Service-wide switches shared by every node, such as the drain flag.

use super::{rows, Result, Store};

pub const DRAINING: &str = "draining";

pub async fn get(store: &Store, name: &str) -> Result<Option<String>> {
    let row = sqlx::query(&store.sql("SELECT value FROM settings WHERE name = ?")).bind(name).fetch_optional(store.reader()).await?;
    row.map(|r| rows::text(&r, "value")).transpose()
}

pub async fn set(store: &Store, name: &str, value: &str) -> Result<()> {
    let mut tx = store.writer().begin().await?;
    sqlx::query(&store.sql("DELETE FROM settings WHERE name = ?")).bind(name).execute(&mut *tx).await?;
    sqlx::query(&store.sql("INSERT INTO settings (name, value) VALUES (?, ?)")).bind(name).bind(value).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a setting (absent settings fall back to their defaults).
pub async fn remove(store: &Store, name: &str) -> Result<()> {
    sqlx::query(&store.sql("DELETE FROM settings WHERE name = ?")).bind(name).execute(store.writer()).await?;
    Ok(())
}

pub async fn is_draining(store: &Store) -> Result<bool> {
    Ok(get(store, DRAINING).await?.as_deref() == Some("1"))
}
