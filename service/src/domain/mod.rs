//! The vocabulary of cronkeeper: jobs, runs and their status machine, lanes and
//! the policies that decide what happens when a run is late, busy or failing.
//!
//! Nothing here touches the store, the clock or the OS; the scheduler, the
//! workers and the API all speak in these types.

mod command;
mod duration;
mod job;
mod lane;
mod run;

pub use command::{check_command, CommandError};
pub use duration::{parse_duration, DurationError};
pub use job::{validate_job_code, 
    Backoff, ConcurrencyPolicy, Executor, Job, JobSource, MisfirePolicy, RetryPolicy,
};
pub use lane::{LaneName, LaneNameError};
pub use run::{RunId, Run, RunStatus, Trigger};

/// Milliseconds since the Unix epoch, UTC. Every timestamp is stored this way so
/// the three store backends share one column type (BIGINT) and one comparison.
pub type EpochMs = i64;

pub fn to_datetime(ms: EpochMs) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
