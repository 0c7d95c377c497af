//! Magento's MySQL queue (`db` connection), read-only: one grouped query over
//! `queue` and `queue_message_status` counts each queue's messages by status.
//! Status numbers are Magento's (`Magento\MysqlMq\Model\QueueManagement`).
//! A shop installed with a table prefix (env.php `'db' => ['table_prefix' =>
//! 'mg_']`) has them as `mg_queue` and `mg_queue_message_status`:
//! `queues.magento_table_prefix` says so (checked at config load to be only
//! `[A-Za-z0-9_]`, so it is safe to write into the query).
//!
//! The pool is lazy and small (two connections): cronkeeper must never be a
//! burden on the shop's database, and a database that is down only makes the
//! figures unknown.

use std::time::Duration;

use sqlx::mysql::{MySqlPool, MySqlPoolOptions};
use sqlx::Row as _;

use super::{QueueDepth, Transport};

pub const STATUS_NEW: i64 = 2;
pub const STATUS_IN_PROGRESS: i64 = 3;
pub const STATUS_RETRY_REQUIRED: i64 = 5;
pub const STATUS_ERROR: i64 = 6;

#[derive(Clone)]
pub struct MysqlQueues {
    pool: Result<MySqlPool, String>,
    table_prefix: String,
}

impl MysqlQueues {
    /// `table_prefix` must be checked already ([`crate::config::consumers::table_prefix`]).
    pub fn new(url: &str, table_prefix: &str) -> Self {
        debug_assert!(table_prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_'));
        let url = url.replacen("mariadb://", "mysql://", 1);
        let pool = MySqlPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(5))
            .connect_lazy(&url)
            // The error text may quote the URL: keep only its kind.
            .map_err(|e| match e {
                sqlx::Error::Configuration(_) => {
                    "queues.magento_database_url is not a valid MySQL URL".to_string()
                }
                other => format!(
                    "cannot use queues.magento_database_url: {}",
                    other.to_string().split(':').next().unwrap_or("error")
                ),
            });
        Self {
            pool,
            table_prefix: table_prefix.to_string(),
        }
    }

    /// Every queue Magento has created, with its counts by status.
    pub async fn depths(&self) -> Result<Vec<QueueDepth>, String> {
        let pool = self.pool.as_ref().map_err(Clone::clone)?;
        // SUM over a boolean gives DECIMAL; CAST keeps it a plain integer.
        // The age is computed by the server, in the same time zone as the
        // TIMESTAMP column it compares.
        let p = &self.table_prefix;
        let sql = format!(
            "SELECT q.name AS name, \
               CAST(COALESCE(SUM(s.status IN ({STATUS_NEW}, {STATUS_RETRY_REQUIRED})), 0) AS SIGNED) AS ready, \
               CAST(COALESCE(SUM(s.status = {STATUS_RETRY_REQUIRED}), 0) AS SIGNED) AS retrying, \
               CAST(COALESCE(SUM(s.status = {STATUS_IN_PROGRESS}), 0) AS SIGNED) AS in_flight, \
               CAST(COALESCE(SUM(s.status = {STATUS_ERROR}), 0) AS SIGNED) AS errored, \
               CAST(TIMESTAMPDIFF(SECOND, MIN(CASE WHEN s.status IN ({STATUS_NEW}, {STATUS_RETRY_REQUIRED}) THEN s.updated_at END), NOW()) AS SIGNED) AS oldest_age \
             FROM {p}queue q LEFT JOIN {p}queue_message_status s ON s.queue_id = q.id \
             WHERE q.name IS NOT NULL GROUP BY q.name ORDER BY q.name"
        );
        let rows = sqlx::query(&sql)
            .fetch_all(pool)
            .await
            .map_err(|e| describe(&e))?;
        rows.iter()
            .map(|r| {
                Ok(QueueDepth {
                    name: r.try_get("name").map_err(|e| describe(&e))?,
                    transport: Transport::Mysql,
                    ready: Some(r.try_get("ready").map_err(|e| describe(&e))?),
                    in_flight: Some(r.try_get("in_flight").map_err(|e| describe(&e))?),
                    errored: Some(r.try_get("errored").map_err(|e| describe(&e))?),
                    retrying: Some(r.try_get("retrying").map_err(|e| describe(&e))?),
                    broker_consumers: None,
                    oldest_age_seconds: r
                        .try_get::<Option<i64>, _>("oldest_age")
                        .map_err(|e| describe(&e))?
                        .map(|a| a.max(0)),
                })
            })
            .collect()
    }
}

/// A database error without anything from the URL.
fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => format!("Magento database: {}", db.message()),
        sqlx::Error::PoolTimedOut => "Magento database: no connection within 5 s".into(),
        sqlx::Error::Io(io) => format!("Magento database: {io}"),
        other => format!(
            "Magento database: {}",
            other.to_string().lines().next().unwrap_or("error")
        ),
    }
}
