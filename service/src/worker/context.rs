//! What every part of a worker node shares.

use std::sync::Arc;

use crate::clock::SharedClock;
use crate::config::Config;
use crate::events::{Events, RunEvent};
use crate::domain::{Run, RunStatus};
use crate::store::Store;
use crate::wakeups::Wakeups;

#[derive(Clone, Debug)]
pub struct WorkerContext {
    pub store: Store,
    pub config: Arc<Config>,
    pub clock: SharedClock,
    pub events: Events,
    pub wakeups: Wakeups,
    /// This process's instance id: `node:pid:start_ticks:boot`, written into the
    /// runs it holds.
    pub instance: String,
}

impl WorkerContext {
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }

    pub fn emit(&self, run: &Run, status: RunStatus) {
        self.events.run_changed(RunEvent { run_id: run.id, job_code: run.job_code.clone(), lane: run.lane.to_string(), status, at: self.now() });
    }
}

/// The id of this process as an instance: unique across pid reuse and reboots.
pub fn instance_id(node: &str) -> String {
    let pid = std::process::id() as i32;
    let start = super::process_start_ticks(pid).unwrap_or(0);
    let boot = super::boot_id().unwrap_or_default();
    format!("{node}:{pid}:{start}:{}", &boot[..boot.len().min(8)])
}

/// The parts of an instance id, if it is one.
pub struct InstanceParts<'a> {
    pub node: &'a str,
    pub pid: i32,
    pub start_ticks: u64,
    pub boot: &'a str,
}

pub fn parse_instance(id: &str) -> Option<InstanceParts<'_>> {
    let mut parts = id.rsplitn(4, ':');
    let boot = parts.next()?;
    let start_ticks = parts.next()?.parse().ok()?;
    let pid = parts.next()?.parse().ok()?;
    let node = parts.next()?;
    Some(InstanceParts { node, pid, start_ticks, boot })
}

pub fn current_boot() -> String {
    let boot = super::boot_id().unwrap_or_default();
    boot[..boot.len().min(8)].to_string()
}
