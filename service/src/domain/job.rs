//! A job: what to run, when, in which lane, and the policies around it.

use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::{EpochMs, LaneName};

/// Where a job was declared. Magento jobs are owned by `crontab.xml` and re-synced;
/// user jobs are owned by whoever created them over the API or in the config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobSource {
    Magento,
    User,
}

impl JobSource {
    pub fn as_str(self) -> &'static str {
        match self {
            JobSource::Magento => "magento",
            JobSource::User => "user",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "magento" => Some(JobSource::Magento),
            "user" => Some(JobSource::User),
            _ => None,
        }
    }
}

/// What happens when a run is due while an earlier run of the same job is still going.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConcurrencyPolicy {
    /// The due run is recorded SKIPPED (Magento's behaviour: one run of a job at a time).
    #[default]
    Forbid,
    /// Runs overlap freely.
    Allow,
    /// The running one is killed and the new one starts.
    Replace,
}

impl ConcurrencyPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forbid => "forbid",
            Self::Allow => "allow",
            Self::Replace => "replace",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "forbid" => Some(Self::Forbid),
            "allow" => Some(Self::Allow),
            "replace" => Some(Self::Replace),
            _ => None,
        }
    }
}

/// What happens to fire times that passed while cronkeeper was down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MisfirePolicy {
    /// Missed fire times are recorded MISSED; the next regular fire time runs.
    Skip,
    /// The backlog collapses into one catch-up run, if the latest missed fire time
    /// is within the starting deadline; the others are recorded MISSED.
    #[default]
    RunOnce,
}

impl MisfirePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Skip => "skip",
            Self::RunOnce => "run_once",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "skip" => Some(Self::Skip),
            "run_once" | "runonce" => Some(Self::RunOnce),
            _ => None,
        }
    }
}

/// Exponential backoff between attempts: `initial * factor^(attempt-1)`, capped,
/// with up to `jitter` (a fraction, 0..=1) of the delay added at random so many
/// failing jobs do not retry in lockstep.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Backoff {
    pub initial_secs: f64,
    pub factor: f64,
    pub max_secs: f64,
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { initial_secs: 30.0, factor: 2.0, max_secs: 3600.0, jitter: 0.1 }
    }
}

impl Backoff {
    /// Delay before retry number `retry` (1 for the first retry), without jitter.
    pub fn base_delay(&self, retry: u32) -> Duration {
        let exp = self.factor.max(1.0).powi(retry.saturating_sub(1) as i32);
        let secs = (self.initial_secs.max(0.0) * exp).min(self.max_secs.max(0.0));
        Duration::from_secs_f64(secs)
    }

    /// Delay with jitter drawn from `unit`, a number in [0, 1).
    pub fn delay(&self, retry: u32, unit: f64) -> Duration {
        let base = self.base_delay(retry).as_secs_f64();
        let jitter = base * self.jitter.clamp(0.0, 1.0) * unit.clamp(0.0, 1.0);
        Duration::from_secs_f64((base + jitter).min(self.max_secs.max(base)))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 means a failure is final.
    pub max_retries: u32,
    pub backoff: Backoff,
}

/// How a run is carried out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Executor {
    /// An argv executed directly, never through a shell unless argv says so.
    Command {
        argv: Vec<String>,
        #[serde(default)]
        env: Vec<(String, String)>,
        #[serde(default)]
        working_dir: Option<String>,
    },
    /// `<php> <magento_root>/bin/magento cronkeeper:job:run <code>`; `code`
    /// defaults to the job's own code.
    Magento {
        #[serde(default)]
        code: Option<String>,
    },
    /// An HTTP request; 2xx is success.
    Http {
        url: String,
        #[serde(default)]
        method: Option<String>,
        #[serde(default)]
        timeout_secs: Option<u64>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub code: String,
    pub source: JobSource,
    /// Magento cron group (`default`, `index`, `consumers`, ...); free text for user jobs.
    pub group: Option<String>,
    pub lane: LaneName,
    /// Cron expression or `@every <duration>`; `None` while a Magento job waits for
    /// the schedule its `config_path` points at.
    pub schedule: Option<String>,
    /// The Magento `config_path` the schedule comes from, if any.
    pub config_path: Option<String>,
    /// IANA zone; `None` means the configured shop timezone.
    pub timezone: Option<String>,
    pub executor: Executor,
    /// `None` means the lane's default, then the global default.
    pub timeout: Option<Duration>,
    pub retry: RetryPolicy,
    pub concurrency: ConcurrencyPolicy,
    pub misfire: MisfirePolicy,
    /// How late a catch-up run may start after its fire time (run_once only).
    pub starting_deadline: Option<Duration>,
    pub paused: bool,
    pub business_critical: bool,
    /// Higher runs first among queued runs of the same lane.
    pub priority: i32,
    pub description: Option<String>,
    pub instance: Option<String>,
    pub method: Option<String>,
    /// Fields an operator changed by hand; a Magento re-sync never overwrites them.
    pub overrides: Vec<String>,
    pub created_at: EpochMs,
    pub updated_at: EpochMs,
}

impl Job {
    /// A user job with defaults for everything but what makes it a job.
    pub fn new(code: impl Into<String>, lane: LaneName, schedule: Option<String>, executor: Executor) -> Self {
        Self {
            code: code.into(),
            source: JobSource::User,
            group: None,
            lane,
            schedule,
            config_path: None,
            timezone: None,
            executor,
            timeout: None,
            retry: RetryPolicy::default(),
            concurrency: ConcurrencyPolicy::default(),
            misfire: MisfirePolicy::default(),
            starting_deadline: None,
            paused: false,
            business_critical: false,
            priority: 0,
            description: None,
            instance: None,
            method: None,
            overrides: Vec::new(),
            created_at: 0,
            updated_at: 0,
        }
    }

    /// A Magento job whose schedule lives in config and has not been resolved yet.
    pub fn awaits_schedule(&self) -> bool {
        self.schedule.is_none()
    }
}

/// Job codes are Magento identifiers: letters, digits, `_`, `-`, `.`, at most 255.
pub fn validate_job_code(code: &str) -> Result<(), String> {
    if code.is_empty() {
        return Err("code must not be empty".into());
    }
    if code.len() > 255 {
        return Err("code must be at most 255 characters".into());
    }
    if !code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')) {
        return Err(format!("code `{code}` may only contain letters, digits, `_`, `-`, `.` and `:`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_by_factor_and_stops_at_cap() {
        let b = Backoff { initial_secs: 1.0, factor: 2.0, max_secs: 5.0, jitter: 0.0 };
        assert_eq!(b.base_delay(1), Duration::from_secs(1));
        assert_eq!(b.base_delay(2), Duration::from_secs(2));
        assert_eq!(b.base_delay(3), Duration::from_secs(4));
        assert_eq!(b.base_delay(4), Duration::from_secs(5));
    }

    #[test]
    fn jitter_adds_at_most_its_fraction() {
        let b = Backoff { initial_secs: 10.0, factor: 1.0, max_secs: 100.0, jitter: 0.5 };
        assert_eq!(b.delay(1, 0.0), Duration::from_secs(10));
        assert_eq!(b.delay(1, 0.999_999).as_secs(), 14);
    }

    #[test]
    fn job_codes_are_checked() {
        assert!(validate_job_code("sales_send_order_emails").is_ok());
        assert!(validate_job_code("").is_err());
        assert!(validate_job_code("rm -rf").is_err());
    }
}
