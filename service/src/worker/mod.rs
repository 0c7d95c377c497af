//! Lane pools, executors and process supervision.
//!
//! - [`pool`]: lane pools with reserved slots; claims, execution, heartbeats,
//!   kill delivery and the drain on shutdown.
//! - [`recovery`]: closes runs whose supervisor died and ends their orphans.
//! - `executor`, `retry`: job executor dispatch and the retry policy.
//! - [`process`]: command jobs in their own process group, supervised to the end.
//! - [`http`]: HTTP jobs.
//! - [`outcome`]: how an execution ended, and the run status that follows.
//! - [`tether`]: consumer processes that die with cronkeeper.
//! - [`group`]: SIGTERM/grace/SIGKILL for a process group; orphan recovery.
//! - [`procinfo`]: `/proc` identity (pid + start ticks).
//! - [`marked`]: a run's processes found by the mark in their environment.

pub mod context;
mod executor;
pub mod group;
pub mod http;
pub mod marked;
pub mod outcome;
mod output;
pub mod process;
pub mod pool;
pub mod procinfo;
pub mod recovery;
mod retry;
pub mod selection;
pub mod tether;

#[cfg(test)]
mod http_tests;
#[cfg(test)]
mod pool_tests;
#[cfg(test)]
mod process_tests;
#[cfg(test)]
mod recovery_tests;

pub use group::{terminate_group, GroupEnd, GroupTermination};
pub use http::run_http;
pub use outcome::{Ending, Outcome};
pub use output::LiveTail;
pub use process::{spawn, spawn_tethered, Limits, ProcessSpec, RunningProcess, SpawnError};
pub use procinfo::{boot_id, is_alive, process_start_ticks};
pub use context::{instance_id, WorkerContext};
pub use executor::magento_argv;
pub use pool::Pool;
