//! Alert channels: the ones declared in the config file (source `config`,
//! saved at every start with their masked URL only: the URL and the key stay
//! in the file) and the ones managed over the API (source `api`, with their
//! URL and HMAC key, which every node's deliverer reads from here).
//!
//! The URL and the key of an API channel are read in one place only,
//! [`api_channel`], for delivery; every listing returns [`ChannelRow`], which
//! cannot hold them. docs/alerting.md says how to protect them at rest.

use sqlx::Row as _;

use super::{rows, Result, Row, Store};
use crate::alerts::channel::{ChannelConfig, ChannelKind};
use crate::config::Secret;
use crate::domain::EpochMs;

pub const SOURCE_CONFIG: &str = "config";
pub const SOURCE_API: &str = "api";

/// A channel as the API may show it: never its URL or key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRow {
    pub name: String,
    pub kind: String,
    pub url_masked: String,
    pub signed: bool,
    /// [`SOURCE_CONFIG`] or [`SOURCE_API`].
    pub source: String,
    pub created_at: EpochMs,
    pub updated_at: EpochMs,
}

impl ChannelRow {
    /// The row a validated channel is shown as.
    pub fn of(c: &ChannelConfig, source: &str, now: EpochMs) -> Self {
        ChannelRow {
            name: c.name.clone(),
            kind: c.kind.as_str().into(),
            url_masked: c.masked_url(),
            signed: c.secret.is_some(),
            source: source.into(),
            created_at: now,
            updated_at: now,
        }
    }
}

const ROW_COLUMNS: &str = "name, kind, url_masked, signed, source, created_at, updated_at";

fn channel_row(r: &Row) -> Result<ChannelRow> {
    Ok(ChannelRow {
        name: rows::text(r, "name")?,
        kind: rows::text(r, "kind")?,
        url_masked: rows::text(r, "url_masked")?,
        signed: r.try_get::<i64, _>("signed")? != 0,
        source: rows::text(r, "source")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Replaces the channels declared in the config file (saved at every start).
/// The file is the source of truth for the names it declares: an API channel
/// of the same name is replaced by the file's. Returns the names replaced.
pub async fn save_config_channels(store: &Store, channels: &[ChannelConfig], now: EpochMs) -> Result<Vec<String>> {
    let mut tx = store.writer().begin().await?;
    sqlx::query(&store.sql("DELETE FROM alert_channels WHERE source = ?")).bind(SOURCE_CONFIG).execute(&mut *tx).await?;
    let mut replaced = Vec::new();
    for c in channels {
        let done = sqlx::query(&store.sql("DELETE FROM alert_channels WHERE name = ?")).bind(&c.name).execute(&mut *tx).await?;
        if done.rows_affected() > 0 {
            replaced.push(c.name.clone());
        }
        insert_on(store, &mut tx, &ChannelRow::of(c, SOURCE_CONFIG, now), None).await?;
    }
    tx.commit().await?;
    Ok(replaced)
}

/// Inserts a row; `secrets` (URL and key) for API channels only.
async fn insert_on(store: &Store, conn: &mut sqlx::AnyConnection, row: &ChannelRow, secrets: Option<&ChannelConfig>) -> Result<()> {
    let sql = store.sql(
        "INSERT INTO alert_channels (name, kind, url_masked, signed, source, url, secret, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    sqlx::query(&sql)
        .bind(&row.name)
        .bind(&row.kind)
        .bind(&row.url_masked)
        .bind(row.signed as i64)
        .bind(&row.source)
        .bind(secrets.map(|c| c.url.expose().to_string()))
        .bind(secrets.and_then(|c| c.secret.as_ref()).map(|s| s.expose().to_string()))
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Every channel, config and API, by name.
pub async fn list_channels(store: &Store) -> Result<Vec<ChannelRow>> {
    let sql = format!("SELECT {ROW_COLUMNS} FROM alert_channels ORDER BY name");
    sqlx::query(&sql).fetch_all(store.reader()).await?.iter().map(channel_row).collect()
}

pub async fn get_channel(store: &Store, name: &str) -> Result<Option<ChannelRow>> {
    let sql = format!("SELECT {ROW_COLUMNS} FROM alert_channels WHERE name = ?");
    let row = sqlx::query(&store.sql(&sql)).bind(name).fetch_optional(store.reader()).await?;
    row.as_ref().map(channel_row).transpose()
}

/// An API channel with its URL and key, for delivery (and for an update that
/// keeps them). `None` for unknown names and for config channels, whose URL
/// is only in the file.
pub async fn api_channel(store: &Store, name: &str) -> Result<Option<ChannelConfig>> {
    let sql = store.sql("SELECT name, kind, url, secret FROM alert_channels WHERE name = ? AND source = ?");
    let Some(r) = sqlx::query(&sql).bind(name).bind(SOURCE_API).fetch_optional(store.reader()).await? else { return Ok(None) };
    let kind = rows::text(&r, "kind")?;
    let Some(url) = rows::opt_text(&r, "url")? else { return Err(super::StoreError::Corrupt(format!("alert channel `{name}` has no URL"))) };
    Ok(Some(ChannelConfig {
        name: rows::text(&r, "name")?,
        kind: ChannelKind::parse(&kind).ok_or_else(|| super::StoreError::Corrupt(format!("alert channel kind `{kind}`")))?,
        url: Secret::new(url),
        secret: rows::opt_text(&r, "secret")?.map(Secret::new),
    }))
}

/// Creates an API channel; false (and nothing written) when the name is taken.
pub async fn create_api_channel(store: &Store, c: &ChannelConfig, now: EpochMs) -> Result<bool> {
    let mut tx = store.writer().begin().await?;
    let taken = sqlx::query(&store.sql("SELECT name FROM alert_channels WHERE name = ?")).bind(&c.name).fetch_optional(&mut *tx).await?;
    if taken.is_some() {
        tx.rollback().await?;
        return Ok(false);
    }
    match insert_on(store, &mut tx, &ChannelRow::of(c, SOURCE_API, now), Some(c)).await {
        // A concurrent create of the same name committed between our SELECT and
        // INSERT (the servers' READ COMMITTED does not see it coming): the name is taken.
        Err(super::StoreError::Database(e)) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
            tx.rollback().await?;
            return Ok(false);
        }
        other => other?,
    }
    tx.commit().await?;
    Ok(true)
}

/// Replaces an API channel's kind, URL and key; false when there is no API
/// channel of that name.
pub async fn update_api_channel(store: &Store, c: &ChannelConfig, now: EpochMs) -> Result<bool> {
    let sql = store.sql(
        "UPDATE alert_channels SET kind = ?, url_masked = ?, signed = ?, url = ?, secret = ?, updated_at = ? WHERE name = ? AND source = ?",
    );
    let done = sqlx::query(&sql)
        .bind(c.kind.as_str())
        .bind(c.masked_url())
        .bind(c.secret.is_some() as i64)
        .bind(c.url.expose())
        .bind(c.secret.as_ref().map(|s| s.expose().to_string()))
        .bind(now)
        .bind(&c.name)
        .bind(SOURCE_API)
        .execute(store.writer())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes an API channel; false when there is none of that name.
pub async fn delete_api_channel(store: &Store, name: &str) -> Result<bool> {
    let sql = store.sql("DELETE FROM alert_channels WHERE name = ? AND source = ?");
    Ok(sqlx::query(&sql).bind(name).bind(SOURCE_API).execute(store.writer()).await?.rows_affected() == 1)
}
