//! Lane pools, executors and process supervision.
//!
//! This part is the OS side only (no store, no scheduling): start a job, capture
//! its output, time it out, kill it, and tell whether a recorded pid is still
//! our process.
//!
//! - [`process`]: command jobs in their own process group, supervised to the end.
//! - [`http`]: HTTP jobs.
//! - [`outcome`]: how an execution ended, and the run status that follows.
//! - [`group`]: SIGTERM/grace/SIGKILL for a process group; orphan recovery.
//! - [`procinfo`]: `/proc` identity (pid + start ticks).

pub mod group;
pub mod http;
pub mod outcome;
mod output;
pub mod process;
pub mod procinfo;

#[cfg(test)]
mod http_tests;
#[cfg(test)]
mod process_tests;

pub use group::{terminate_group, GroupEnd, GroupTermination};
pub use http::run_http;
pub use outcome::{Ending, Outcome};
pub use process::{spawn, Limits, ProcessSpec, RunningProcess, SpawnError};
pub use procinfo::{boot_id, is_alive, process_start_ticks};
