//! The one place that speaks SQL. Small functions per aggregate (jobs, runs,
//! instances, audit, settings), each taking `&Store`. Queries are written once
//! with `?` placeholders and BIGINT epoch-millisecond timestamps; the few places
//! where SQLite, PostgreSQL and MySQL differ are kept in this module.
//!
//! SQLite allows one writer at a time, so on SQLite writes go through a pool of
//! one connection (no `SQLITE_BUSY` from two transactions upgrading at once) and
//! reads through a small pool of their own (WAL mode lets them run alongside).

pub mod alerts;
pub mod audit;
pub mod instances;
pub mod jobs;
mod query;
mod rows;
pub mod runs;
pub mod settings;

use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};

pub use query::{Direction, Page};
pub(crate) use query::{bind, Value, Where};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Clone, Debug)]
pub struct Store {
    write: AnyPool,
    read: AnyPool,
    backend: Backend,
}

impl Store {
    /// Connects, creating the SQLite file and its directory on first start.
    pub async fn connect(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres") {
            Backend::Postgres
        } else {
            Backend::MySql
        };
        match backend {
            Backend::Sqlite => {
                let url = sqlite_url(url)?;
                let write = sqlite_pool(&url, 1).await?;
                let read = sqlite_pool(&url, 4).await?;
                Ok(Store { write, read, backend })
            }
            _ => {
                let url = url.replacen("mariadb://", "mysql://", 1);
                let pool = AnyPoolOptions::new().max_connections(16).acquire_timeout(Duration::from_secs(10)).connect(&url).await?;
                Ok(Store { write: pool.clone(), read: pool, backend })
            }
        }
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("../migrations/sqlite").run(&self.write).await?,
            Backend::Postgres | Backend::MySql => {
                return Err(StoreError::Corrupt(
                    "PostgreSQL and MySQL stores are not available in this build yet; use a sqlite: database_url".into(),
                ))
            }
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").fetch_one(&self.read).await.is_ok()
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }

    pub(crate) fn writer(&self) -> &AnyPool {
        &self.write
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Rewrites `?` placeholders as `$1, $2, ...` for PostgreSQL.
    pub(crate) fn sql<'a>(&self, query: &'a str) -> Cow<'a, str> {
        if self.backend != Backend::Postgres {
            return Cow::Borrowed(query);
        }
        let mut out = String::with_capacity(query.len() + 8);
        let mut n = 0;
        for c in query.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        Cow::Owned(out)
    }

    /// `INSERT ... ` that does nothing when a unique key already exists.
    pub(crate) fn insert_ignore(&self, rest: &str) -> String {
        match self.backend {
            Backend::MySql => format!("INSERT IGNORE {rest}"),
            _ => format!("INSERT {rest} ON CONFLICT DO NOTHING"),
        }
    }
}

/// `sqlite://var/x.db` -> a URL that creates the file, with its directory made.
fn sqlite_url(url: &str) -> Result<String> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    if path != ":memory:" && !path.is_empty() {
        if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Database(sqlx::Error::Configuration(format!("cannot create {}: {e}", dir.display()).into()))
            })?;
        }
    }
    if url.contains("mode=") {
        Ok(url.to_string())
    } else if url.contains('?') {
        Ok(format!("{url}&mode=rwc"))
    } else {
        Ok(format!("{url}?mode=rwc"))
    }
}

async fn sqlite_pool(url: &str, max: u32) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(|conn, _| {
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;").await?;
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

pub(crate) type Row = AnyRow;

#[cfg(test)]
pub(crate) mod testing {
    use super::Store;

    /// A fresh SQLite store in a temporary directory (kept alive by the returned guard).
    pub async fn sqlite_store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/test.db", dir.path().display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        (store, dir)
    }
}

#[cfg(test)]
mod tests;
