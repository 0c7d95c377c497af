//! Magento-compatible cron expressions. (Placeholder until the cron module lands.)
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
}
