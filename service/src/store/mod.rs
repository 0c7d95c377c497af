//! The one place that speaks SQL. Small functions per aggregate (jobs, runs,
//! instances, audit, settings), each taking `&Store`. Queries are written once
//! with `?` placeholders and BIGINT epoch-millisecond timestamps; the few places
//! where SQLite, PostgreSQL and MySQL differ are kept in this module.
//!
//! SQLite allows one writer at a time, so on SQLite writes go through a pool of
//! one connection (no `SQLITE_BUSY` from two transactions upgrading at once) and
//! reads through a small pool of their own (WAL mode lets them run alongside).

pub mod alert_channels;
pub mod alerts;
pub mod audit;
pub mod consumers;
pub mod instances;
pub mod jobs;
pub mod leases;
pub mod publish;
mod query;
mod rows;
pub mod runs;
pub mod settings;
pub mod timeline;

use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};
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
    /// SQLite only: readers through the native driver, for the read paths
    /// that move thousands of rows (`timeline`), where `Any`'s per-column
    /// conversion is most of the cost.
    sqlite_read: Option<SqlitePool>,
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
                sqlite_without_memory_statistics();
                let write = sqlite_pool(&url, 1).await?;
                let read = sqlite_pool(&url, 4).await?;
                let sqlite_read = SqlitePoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(url.parse::<SqliteConnectOptions>()?.busy_timeout(Duration::from_secs(10)))
                    .await?;
                Ok(Store { write, read, sqlite_read: Some(sqlite_read), backend })
            }
            _ => {
                let url = url.replacen("mariadb://", "mysql://", 1);
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            if backend == Backend::MySql {
                                // PostgreSQL's default. Under InnoDB's REPEATABLE READ a
                                // transaction reads the snapshot of its first read, so a
                                // claim that waited for a job lock would count RUNNING runs
                                // as they were before the other claimer committed; READ
                                // COMMITTED also drops the gap locks that make claims and
                                // inserts wait on each other.
                                conn.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED").await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(&url)
                    .await?;
                Ok(Store { write: pool.clone(), read: pool, sqlite_read: None, backend })
            }
        }
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("../migrations/sqlite").run(&self.write).await?,
            Backend::Postgres => sqlx::migrate!("../migrations/postgres").run(&self.write).await?,
            Backend::MySql => {
                // sqlx's own migration lock on MySQL is `GET_LOCK(name, -1)`,
                // which MariaDB answers with NULL at once (a negative timeout is
                // not "forever" there), so two nodes starting on an empty or
                // freshly upgraded database raced, and the loser stopped with
                // "migration N is partially applied". Hold a named lock with a
                // finite wait on the connection that runs the migrations.
                let mut conn = self.write.acquire().await?;
                let got: Option<i64> =
                    sqlx::query_scalar("SELECT CAST(GET_LOCK('cronkeeper_migrate', 300) AS SIGNED)").fetch_one(&mut *conn).await?;
                if got != Some(1) {
                    return Err(StoreError::Database(sqlx::Error::Protocol(
                        "another node held the migration lock (cronkeeper_migrate) for 300 s".into(),
                    )));
                }
                let ran = sqlx::migrate!("../migrations/mysql").run(&mut *conn).await;
                let _ = sqlx::query("SELECT RELEASE_LOCK('cronkeeper_migrate')").execute(&mut *conn).await;
                ran?
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
        if let Some(pool) = &self.sqlite_read {
            pool.close().await;
        }
    }

    pub(crate) fn writer(&self) -> &AnyPool {
        &self.write
    }

    pub(crate) fn reader(&self) -> &AnyPool {
        &self.read
    }

    pub(crate) fn sqlite_reader(&self) -> Option<&SqlitePool> {
        self.sqlite_read.as_ref()
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

    /// `SUM(expr)` as a BIGINT. MySQL sums integers into DECIMAL, a type the Any
    /// driver cannot decode, and PostgreSQL sums BIGINTs into NUMERIC.
    pub(crate) fn sum_int(&self, expr: &str) -> String {
        match self.backend {
            Backend::MySql => format!("CAST(SUM({expr}) AS SIGNED)"),
            Backend::Postgres => format!("SUM({expr})::BIGINT"),
            Backend::Sqlite => format!("SUM({expr})"),
        }
    }

    /// Suffix of a SELECT that locks the rows it returns until the transaction
    /// ends. Empty on SQLite, where the one write connection already serialises
    /// every write transaction.
    pub(crate) fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            _ => " FOR UPDATE",
        }
    }

    /// Like [`Store::for_update`], but rows another transaction has locked are
    /// passed over instead of waited for: concurrent claimers each take a
    /// different row and never block on each other.
    pub(crate) fn for_update_skip_locked(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            _ => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// `DELETE FROM table WHERE <w> ORDER BY id LIMIT n`. MySQL refuses a
    /// `LIMIT` inside an `IN (subquery)` (and a subquery on the table being
    /// deleted from), but takes `ORDER BY ... LIMIT` on the DELETE itself,
    /// which SQLite and PostgreSQL do not.
    pub(crate) fn delete_batch(&self, table: &str, w: &Where, limit: i64) -> String {
        let limit = limit.max(1);
        match self.backend {
            Backend::MySql => format!("DELETE FROM {table}{} ORDER BY id LIMIT {limit}", w.sql()),
            _ => format!("DELETE FROM {table} WHERE id IN (SELECT id FROM {table}{} ORDER BY id LIMIT {limit})", w.sql()),
        }
    }

    /// Deletes at most `limit` rows of `table` matching `w`, lowest ids first
    /// (the retention purges: small batches keep each write short). Returns
    /// how many went.
    pub(crate) async fn purge_batch(&self, table: &str, w: &Where, limit: i64) -> Result<u64> {
        let sql = self.delete_batch(table, w, limit);
        let sql = self.sql(&sql);
        Ok(bind(sqlx::query(&sql), &w.binds).execute(self.writer()).await?.rows_affected())
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

/// Turns off SQLite's memory statistics, once per process, before the first
/// connection (SQLite accepts it only before it initialises). With them on
/// (the bundled build's default) every allocation takes a global mutex, and
/// sqlx copies each column value on its worker thread and frees it on a tokio
/// thread: the two threads hand that lock back and forth on every value
/// (~20% of a large read in a profile). cronkeeper never reads the statistics.
fn sqlite_without_memory_statistics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: a plain configuration call with an int argument; it fails
        // harmlessly (SQLITE_MISUSE) if SQLite was already initialised, e.g.
        // by another library in the same process.
        let rc = unsafe { libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0 as std::os::raw::c_int) };
        if rc != libsqlite3_sys::SQLITE_OK {
            tracing::debug!(rc, "SQLite was already initialised; memory statistics stay on");
        }
    });
}

async fn sqlite_pool(url: &str, max: u32) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(30))
        // sqlx pings a connection before every acquire by default, to find
        // server connections that died while idle. A SQLite connection is a
        // file handle on the driver's own thread and does not die that way,
        // and each ping is one more round trip to that thread: for the worker
        // pool, one per claim, job read and finish.
        .test_before_acquire(false)
        // When a write fails with SQLITE_FULL or SQLITE_IOERR, SQLite may have
        // rolled the transaction back by itself; sqlx's ROLLBACK then fails and
        // it goes on counting a transaction that no longer exists. Its next
        // `begin` issues a SAVEPOINT instead of BEGIN, which opens a transaction
        // nothing ever commits: every later write is seen by this connection
        // only, and lost when it closes (a full disk used to lose all state
        // from then on). An idle connection never holds a transaction, so one
        // that counts one is replaced by a fresh connection.
        .before_acquire(|conn, _| {
            Box::pin(async move {
                if sqlx::Connection::is_in_transaction(conn) {
                    tracing::error!("an SQLite connection was left inside a failed transaction; replacing it");
                    return Ok(false);
                }
                Ok(true)
            })
        })
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
pub(crate) mod testing;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod dispatch_tests;
#[cfg(test)]
mod consumer_tests;
#[cfg(test)]
mod alert_tests;
