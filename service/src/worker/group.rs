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
//! pid *or* process group id. When the supervisor ends a job (timeout, kill), it
//! keeps the leader unreaped (a zombie) until the group is gone, which pins the
//! number. When the leader exits by itself, the supervisor reaps it first and asks
//! [`group_is_gone`]: one `kill(-pgid, 0)` instead of a scan of every process's
//! `/proc/<pid>/stat`, which was most of the cost of a short run. If members are
//! left, they pin the number themselves while they live, and [`end_group`] only
//! signals right after a scan (at most one poll, 20 ms, earlier) found some; the
//! number could only come back after the kernel's pid allocator wrapped around
//! `pid_max`. A later cronkeeper recovering orphans goes through
//! [`terminate_group`], which checks identity first.

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

/// Whether no process at all, zombies included, has process group id `pgid`.
/// Only conclusive once the caller has reaped its leader: an unreaped leader is a
/// member, so this is false until then.
pub(crate) fn group_is_gone(pgid: i32) -> bool {
    killpg(Pid::from_raw(pgid), None) == Err(nix::errno::Errno::ESRCH)
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

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt as _;
    use std::process::{Command, Stdio};

    use super::*;

    fn leader(script: &str) -> std::process::Child {
        Command::new("sh").args(["-c", script]).stdout(Stdio::null()).process_group(0).spawn().unwrap()
    }

    #[test]
    fn a_group_whose_reaped_leader_was_alone_is_gone() {
        let mut child = leader("exit 0");
        let pgid = child.id() as i32;
        child.wait().unwrap();
        assert!(group_is_gone(pgid));
    }

    #[test]
    fn an_unreaped_leader_still_counts_as_a_member() {
        let mut child = leader("exit 0");
        let pgid = child.id() as i32;
        while proc_stat(pgid).is_some_and(|s| !s.is_dead()) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(!group_is_gone(pgid), "the zombie pins the group");
        child.wait().unwrap();
        assert!(group_is_gone(pgid));
    }

    #[tokio::test]
    async fn a_member_left_behind_keeps_the_group_and_is_ended() {
        let mut child = leader("sleep 30 & exit 0");
        let pgid = child.id() as i32;
        child.wait().unwrap();
        assert!(!group_is_gone(pgid), "the background sleep is still in the group");
        let end = end_group(pgid, Duration::from_secs(2)).await;
        assert_eq!(end.signalled, 1);
        assert!(!end.needed_kill);
        assert!(group_is_gone(pgid) || group_members(pgid).is_empty());
    }
}
