//! A run: one attempt at one job, and the status machine it moves through.

use serde::{Deserialize, Serialize};

use super::{EpochMs, LaneName};

pub type RunId = i64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RunStatus {
    /// Created, due in the future (a scheduled-at run or a retry waiting out its backoff).
    Pending,
    /// Due, waiting for a free slot in its lane.
    Queued,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    /// Ended by an operator (or by a `replace` concurrency policy).
    Killed,
    /// The supervising cronkeeper process went away while it ran.
    Interrupted,
    /// A fire time that passed without a run (downtime, misfire policy).
    Missed,
    /// A fire time that was due while an earlier run was still going (forbid).
    Skipped,
}

impl RunStatus {
    pub const ALL: [RunStatus; 10] = [
        Self::Pending,
        Self::Queued,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::TimedOut,
        Self::Killed,
        Self::Interrupted,
        Self::Missed,
        Self::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Queued => "QUEUED",
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
            Self::TimedOut => "TIMED_OUT",
            Self::Killed => "KILLED",
            Self::Interrupted => "INTERRUPTED",
            Self::Missed => "MISSED",
            Self::Skipped => "SKIPPED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str().eq_ignore_ascii_case(s))
    }

    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Pending | Self::Queued | Self::Running)
    }

    /// Outcomes the retry policy acts on. KILLED never retries: an operator meant it.
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::Failed | Self::TimedOut | Self::Interrupted)
    }

    /// The transitions the status machine allows; every store update is fenced on it.
    pub fn can_become(self, next: RunStatus) -> bool {
        use RunStatus::*;
        match self {
            Pending => matches!(next, Queued | Running | Killed | Missed | Skipped),
            // MISSED: a scheduled run that waited past its starting deadline.
            Queued => matches!(next, Running | Killed | Skipped | Interrupted | Missed),
            Running => matches!(next, Succeeded | Failed | TimedOut | Killed | Interrupted),
            _ => false,
        }
    }
}

/// Why a run exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Schedule,
    CatchUp,
    Manual,
    Retry,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::CatchUp => "catch_up",
            Self::Manual => "manual",
            Self::Retry => "retry",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "schedule" => Some(Self::Schedule),
            "catch_up" => Some(Self::CatchUp),
            "manual" => Some(Self::Manual),
            "retry" => Some(Self::Retry),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub id: RunId,
    pub job_code: String,
    pub lane: LaneName,
    pub status: RunStatus,
    pub trigger: Trigger,
    /// 1 for the first attempt; each retry is a new run with attempt + 1.
    pub attempt: u32,
    /// The first attempt's id, for retries.
    pub retry_of: Option<RunId>,
    pub priority: i32,
    /// The fire time (or the time a manual/retry run becomes due).
    pub scheduled_at: EpochMs,
    pub queued_at: Option<EpochMs>,
    pub started_at: Option<EpochMs>,
    pub finished_at: Option<EpochMs>,
    pub heartbeat_at: Option<EpochMs>,
    pub exit_code: Option<i32>,
    /// Capped tail of stdout and stderr (the start and the end of long output).
    pub output: Option<String>,
    pub error: Option<String>,
    /// Node that ran it.
    pub worker: Option<String>,
    pub pid: Option<i32>,
    /// The process's start time in clock ticks since boot (/proc/<pid>/stat field 22),
    /// so a reused pid is never mistaken for our process.
    pub pid_start: Option<i64>,
    /// For a MISSED run standing for several fire times: how many it stands for.
    pub missed_count: u32,
    pub kill_requested: bool,
}

impl Run {
    pub fn duration_ms(&self) -> Option<i64> {
        Some(self.finished_at? - self.started_at?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_statuses_never_change() {
        for from in RunStatus::ALL.into_iter().filter(|s| s.is_terminal()) {
            for to in RunStatus::ALL {
                assert!(!from.can_become(to), "{from:?} -> {to:?}");
            }
        }
    }

    #[test]
    fn status_names_round_trip() {
        for s in RunStatus::ALL {
            assert_eq!(RunStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(RunStatus::parse("timed_out"), Some(RunStatus::TimedOut));
    }

    #[test]
    fn killed_runs_are_not_retried() {
        assert!(!RunStatus::Killed.is_retryable());
        assert!(RunStatus::TimedOut.is_retryable());
    }
}
