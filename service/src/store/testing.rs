//! Fresh, migrated stores for tests, on each backend.
//!
//! SQLite gets a file in a temporary directory. PostgreSQL and MySQL/MariaDB get
//! a database of their own per test, `cronkeeper_test_<random>`, created on the
//! server named by `CRONKEEPER_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) or `CRONKEEPER_TEST_MYSQL_URL`
//! (default `mysql://root@127.0.0.1:3306/`) and dropped when the test ends.
//!
//! When the server cannot be reached: in CI (`CI` set) the test fails, since
//! CI must run every suite; elsewhere it prints `SKIPPED <suite>: <reason>`
//! once and passes.

use std::future::Future;
use std::io::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use rand::Rng as _;
use sqlx::{AnyConnection, Connection as _, Executor as _};

use super::{Backend, Store};

/// A fresh SQLite store in a temporary directory (kept alive by the returned guard).
pub async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/test.db", dir.path().display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

/// A store for one test; its database goes with it.
pub struct TestStore {
    pub store: Store,
    _dir: Option<tempfile::TempDir>,
    /// Admin URL and database name to drop.
    server_db: Option<(String, String)>,
}

impl TestStore {
    /// The URL of this test database (server backends only).
    pub fn url(&self) -> Option<String> {
        self.server_db.as_ref().map(|(admin, db)| with_database(admin, db))
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let Some((admin, db)) = self.server_db.take() else { return };
        let backend = self.store.backend();
        // Drop runs inside the test's runtime; a runtime of its own on another
        // thread can block on the DROP without touching the test's connections.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let mut conn = AnyConnection::connect(&admin).await?;
                let sql = match backend {
                    // FORCE ends the test pool's connections, still open here.
                    Backend::Postgres => format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
                    _ => {
                        conn.execute("SET SESSION lock_wait_timeout = 10").await?;
                        format!("DROP DATABASE IF EXISTS {db}")
                    }
                };
                conn.execute(sql.as_str()).await?;
                conn.close().await
            })
        })
        .join();
        if let Ok(Err(e)) = dropped {
            let _ = writeln!(std::io::stderr(), "warning: could not drop test database: {e}");
        }
    }
}

pub fn suite_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite store suite",
        Backend::Postgres => "postgres store suite",
        Backend::MySql => "mysql store suite",
    }
}

fn admin_url(backend: Backend) -> Option<String> {
    let (var, default) = match backend {
        Backend::Sqlite => return None,
        Backend::Postgres => ("CRONKEEPER_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        Backend::MySql => ("CRONKEEPER_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/"),
    };
    Some(std::env::var(var).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_string()).replacen("mariadb://", "mysql://", 1))
}

/// `scheme://auth@host:port/db?query` with the database replaced.
fn with_database(url: &str, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a database URL has a scheme");
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let authority = before_query.split('/').next().unwrap_or(before_query);
    match query {
        Some(q) => format!("{scheme}://{authority}/{db}?{q}"),
        None => format!("{scheme}://{authority}/{db}"),
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Says once per backend and process that its suite was skipped. Written to the
/// real stderr, past the test harness's capture, so `cargo test` shows it.
fn report_skip(backend: Backend, reason: &str) {
    static SAID: Mutex<Vec<Backend>> = Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if !said.contains(&backend) {
        said.push(backend);
        let _ = writeln!(std::io::stderr(), "SKIPPED {}: {reason}", suite_name(backend));
    }
}

/// A fresh store on `backend`, or `None` (after saying so) when the server is
/// unreachable outside CI.
pub async fn fresh(backend: Backend) -> Option<TestStore> {
    let t = empty(backend).await?;
    t.store.migrate().await.expect("migrate the test database");
    Some(t)
}

/// Like [`fresh`], but nothing migrated yet; `url()` connects more stores to it.
pub async fn empty(backend: Backend) -> Option<TestStore> {
    sqlx::any::install_default_drivers();
    let Some(admin) = admin_url(backend) else {
        let (store, dir) = sqlite_store().await;
        return Some(TestStore { store, _dir: Some(dir), server_db: None });
    };
    let mut conn = match tokio::time::timeout(Duration::from_secs(10), AnyConnection::connect(&admin)).await {
        Ok(Ok(conn)) => conn,
        outcome => {
            let reason = match outcome {
                Ok(Err(e)) => format!("cannot connect to {admin}: {e}"),
                _ => format!("cannot connect to {admin}: timed out"),
            };
            if in_ci() {
                panic!("{} must run in CI, but {reason}", suite_name(backend));
            }
            report_skip(backend, &reason);
            return None;
        }
    };
    let db = format!("cronkeeper_test_{:016x}", rand::thread_rng().gen::<u64>());
    conn.execute(format!("CREATE DATABASE {db}").as_str()).await.expect("create a test database");
    let _ = conn.close().await;
    // From here on the database is dropped with the guard, even if setup fails.
    let mut guard = TestStore {
        store: Store::connect(&with_database(&admin, &db)).await.expect("connect to the test database"),
        _dir: None,
        server_db: None,
    };
    guard.server_db = Some((admin, db));
    Some(guard)
}

/// Runs `test` on a fresh store of `backend` (or skips it, see [`fresh`]).
pub async fn run<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    if let Some(t) = fresh(backend).await {
        test(t.store.clone()).await;
    }
}

/// Generates, for each listed `async fn name(store: Store)`, one `#[tokio::test]`
/// per backend: `sqlite::name`, `postgres::name` and `mysql::name`.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $name() { $crate::store::testing::run($crate::store::Backend::Sqlite, super::$name).await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $name() { $crate::store::testing::run($crate::store::Backend::Postgres, super::$name).await })*
        }
        mod mysql {
            $(#[tokio::test] async fn $name() { $crate::store::testing::run($crate::store::Backend::MySql, super::$name).await })*
        }
    };
}
pub(crate) use conformance;
