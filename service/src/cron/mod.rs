//! Magento-compatible cron expressions. PLACEHOLDER with the agreed API, replaced
//! when the real cron module lands (branch cron-module); do not build on its behaviour.
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq)]
pub struct Schedule(String);
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CronError(String);
impl Schedule {
    pub fn parse(expr: &str) -> Result<Schedule, CronError> {
        if expr.split_whitespace().count() < 5 || expr.contains("61") {
            return Err(CronError("minute: invalid".into()));
        }
        Ok(Schedule(expr.into()))
    }
    pub fn expression(&self) -> &str {
        &self.0
    }
    pub fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
    pub fn every(&self) -> Option<std::time::Duration> {
        None
    }
    pub fn matches_local(&self, _local: NaiveDateTime) -> bool {
        true
    }
    pub fn next_after(&self, after: DateTime<Utc>, _tz: Tz) -> Option<DateTime<Utc>> {
        Some(after + chrono::Duration::minutes(1))
    }
    pub fn fire_times_between(&self, after: DateTime<Utc>, until: DateTime<Utc>, tz: Tz, limit: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut t = after;
        while let Some(n) = self.next_after(t, tz) {
            if n > until || out.len() >= limit {
                break;
            }
            out.push(n);
            t = n;
        }
        out
    }
}
