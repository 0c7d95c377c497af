//! Ending a whole process group: SIGTERM, a grace period, then SIGKILL.
//!
//! Every job runs as the leader of its own process group, so signalling the group
//! reaches the job's children and grandchildren too. Known limit: a process that
//! calls `setsid()` or `setpgid()` (daemonizers, `setsid cmd &`, `nohup`-style
//! wrappers that detach) leaves the group and escapes this; Linux offers no
//! cheap, unprivileged way to follow it (cgroups would).
//!
//! Signalling `-pgid` is only safe while the number cannot have been reused: the
//! kernel keeps a pid number allocated while any process still uses it as its
//! pid *or* process group id. The supervisor keeps its leader unreaped (a zombie)
//! until the group is gone, which pins the number; a later cronkeeper recovering
//! orphans goes through [`terminate_group`], which checks identity first.

use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::time::{sleep, Instant};

use super::procinfo::{group_members, proc_stat};

const POLL: Duration = Duration::from_millis(20);
/// How long to wait for SIGKILLed processes to disappear (a task in
/// uninterruptible sleep, e.g. on a hung NFS mount, dies only when it wakes).
const KILL_WAIT: Duration = Duration::from_secs(5);

/// What ending a group took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupEnd {
    /// Live members when SIGTERM was sent (0: the group was already gone).
    pub signalled: usize,
    /// Some members outlived the grace period and were sent SIGKILL.
    pub needed_kill: bool,
    /// Members still alive after SIGKILL and a further wait (normally empty).
    pub survivors: Vec<i32>,
}

/// Ends group `pgid` without checking whose it is: for a caller that pinned the
/// number (it holds the unreaped leader). Returns when no live member is left or
/// the escalation gave up.
pub(crate) async fn end_group(pgid: i32, grace: Duration) -> GroupEnd {
    let members = group_members(pgid);
    if members.is_empty() {
        return GroupEnd::default();
    }
    let group = Pid::from_raw(pgid);
    let _ = killpg(group, Signal::SIGTERM);
    // A stopped member (SIGSTOP, SIGTSTP) would not act on SIGTERM until continued.
    let _ = killpg(group, Signal::SIGCONT);
    let mut end = GroupEnd { signalled: members.len(), ..GroupEnd::default() };
    if wait_until_empty(pgid, grace).await {
        return end;
    }
    end.needed_kill = true;
    let _ = killpg(group, Signal::SIGKILL);
    if !wait_until_empty(pgid, KILL_WAIT).await {
        end.survivors = group_members(pgid);
    }
    end
}

async fn wait_until_empty(pgid: i32, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if group_members(pgid).is_empty() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        sleep(POLL).await;
    }
}

/// The result of [`terminate_group`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupTermination {
    /// No process `pgid` started at those ticks leads group `pgid`: it has ended
    /// and been reaped, or the pid now belongs to someone else. Nothing was
    /// signalled.
    NotOurs,
    /// The leader was verified and the group was ended.
    Ended(GroupEnd),
}

/// Ends the process group led by `pgid`, after checking that `pgid` is still
/// the process that started at `start_ticks` (as recorded when it was spawned)
/// and still leads its group (running, or a zombie not yet reaped). For orphan recovery by a later cronkeeper, which
/// knows only the pid and start ticks from the database.
///
/// Limits: if the leader itself has already exited, its leftover group members
/// cannot be told apart from a new group that reuses the number, so they are left
/// alone (`NotOurs`). Start ticks identify a process within one boot only; store
/// [`super::procinfo::boot_id`] next to them and skip this on another boot.
pub async fn terminate_group(pgid: i32, start_ticks: u64, grace: Duration) -> GroupTermination {
    match proc_stat(pgid) {
        // A zombie leader still counts: it is verifiably ours and, unreaped, it
        // pins the group id (an init that does not reap leaves it so).
        Some(s) if s.start_ticks == start_ticks && s.pgrp == pgid => {
            GroupTermination::Ended(end_group(pgid, grace).await)
        }
        _ => GroupTermination::NotOurs,
    }
}
