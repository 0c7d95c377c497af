//! Finding a run's processes by the mark in their environment, when the pid is
//! not enough.
//!
//! Every job process starts with `CRONKEEPER_RUN=<run id>@<instance>` in its
//! environment, and its children inherit it. Recovery uses the mark where the
//! recorded pid cannot help:
//! - a cronkeeper killed between spawning a job and storing its pid left a run
//!   with no pid at all, and a job process nobody would otherwise end;
//! - a leader that exited leaves group members that cannot be told apart from a
//!   new group reusing the number (see [`super::group::terminate_group`]);
//! - a child that left the group with `setsid()` keeps the mark.
//!
//! The instance part (node, pid, start ticks and boot of the supervising
//! cronkeeper) makes the mark unique even when two cronkeeper installations on
//! one machine hand out the same run ids. A process that replaced its own
//! environment before exec (`env -i`) is not found this way; the group
//! termination still covers it while it stays in its group.
//!
//! Signals go through a pidfd opened *before* the mark is checked again, so a
//! pid reused between the scan and the signal is never signalled.

use std::fs;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use tokio::time::{sleep, Instant};

/// The variable carrying the mark.
pub const RUN_MARK_VAR: &str = "CRONKEEPER_RUN";

const POLL: Duration = Duration::from_millis(20);
const KILL_WAIT: Duration = Duration::from_secs(5);

/// The mark's value for run `run_id` supervised by `instance`.
pub fn run_mark(run_id: i64, instance: &str) -> String {
    format!("{run_id}@{instance}")
}

/// Live processes whose environment holds exactly `CRONKEEPER_RUN=<mark>`.
/// Zombies have no environment left and are not listed. Processes whose
/// environment we may not read (another user's) are skipped.
pub fn marked_processes(mark: &str) -> Vec<i32> {
    let entry = format!("{RUN_MARK_VAR}={mark}");
    let Ok(dir) = fs::read_dir("/proc") else { return Vec::new() };
    let me = std::process::id() as i32;
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != me && has_entry(pid, entry.as_bytes()))
        .collect()
}

fn has_entry(pid: i32, entry: &[u8]) -> bool {
    fs::read(format!("/proc/{pid}/environ")).is_ok_and(|env| env.split(|&b| b == 0).any(|e| e == entry))
}

/// What [`end_marked`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarkedEnd {
    /// Marked processes found and sent SIGTERM.
    pub signalled: usize,
    /// Some outlived the grace period and were sent SIGKILL.
    pub needed_kill: bool,
    /// Still alive after SIGKILL and a further wait (normally empty).
    pub survivors: Vec<i32>,
}

/// Ends every process carrying `mark`: SIGTERM (and SIGCONT), the grace
/// period, then SIGKILL, repeated until none is left, so a child forked
/// meanwhile is ended too.
pub async fn end_marked(mark: &str, grace: Duration) -> MarkedEnd {
    let signalled = signal_marked(mark, libc::SIGTERM);
    if signalled == 0 {
        return MarkedEnd::default();
    }
    let mut end = MarkedEnd { signalled, ..MarkedEnd::default() };
    // A stopped process would not act on SIGTERM until continued.
    signal_marked(mark, libc::SIGCONT);
    if wait_until_none(mark, grace, None).await {
        return end;
    }
    end.needed_kill = true;
    if !wait_until_none(mark, KILL_WAIT, Some(libc::SIGKILL)).await {
        end.survivors = marked_processes(mark);
    }
    end
}

/// Polls until no marked process is left, sending `resend` on every poll.
async fn wait_until_none(mark: &str, within: Duration, resend: Option<i32>) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if let Some(signal) = resend {
            signal_marked(mark, signal);
        }
        sleep(POLL).await;
        if marked_processes(mark).is_empty() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
    }
}

/// Sends `signal` to each marked process through a pidfd, checking the mark
/// again after opening it. Returns how many were signalled.
fn signal_marked(mark: &str, signal: i32) -> usize {
    let entry = format!("{RUN_MARK_VAR}={mark}");
    marked_processes(mark)
        .into_iter()
        .filter(|&pid| {
            let Some(fd) = pidfd(pid) else { return false };
            // The pidfd now pins *this* process: if the pid was reused before it
            // was opened, the mark check below fails; after, the signal fails.
            has_entry(pid, entry.as_bytes()) && send(&fd, signal)
        })
        .count()
}

fn pidfd(pid: i32) -> Option<OwnedFd> {
    // SAFETY: plain syscall; returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    // SAFETY: a non-negative result is a new fd owned by nobody else.
    (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

fn send(fd: &OwnedFd, signal: i32) -> bool {
    // SAFETY: plain syscall on a valid pidfd, no siginfo, no flags.
    unsafe { libc::syscall(libc::SYS_pidfd_send_signal, fd.as_raw_fd(), signal, std::ptr::null::<libc::siginfo_t>(), 0) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt as _;

    /// A marked job that forks a child and a `setsid` child (which leaves the
    /// group): all three carry the mark.
    fn marked_job(mark: &str) -> std::process::Child {
        std::process::Command::new("sh")
            .args(["-c", "sleep 1000 & setsid sleep 1000 & wait"])
            .env(RUN_MARK_VAR, mark)
            .process_group(0)
            .spawn()
            .unwrap()
    }

    async fn count_within(mark: &str, n: usize) -> Vec<i32> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = marked_processes(mark);
            if found.len() >= n || Instant::now() >= deadline {
                return found;
            }
            sleep(POLL).await;
        }
    }

    #[tokio::test]
    async fn every_marked_process_is_ended_even_one_that_left_the_group() {
        let mark = run_mark(4242, &format!("test:{}:marked", std::process::id()));
        let mut leader = marked_job(&mark);
        assert_eq!(count_within(&mark, 3).await.len(), 3, "leader, child and setsid child");
        let end = end_marked(&mark, Duration::from_secs(2)).await;
        assert_eq!(end.signalled, 3, "{end:?}");
        assert!(end.survivors.is_empty() && !end.needed_kill, "{end:?}");
        assert!(marked_processes(&mark).is_empty());
        assert!(leader.wait().unwrap().code().is_none(), "the leader was signalled");
    }

    #[tokio::test]
    async fn a_similar_mark_is_not_ours() {
        let instance = format!("test:{}:similar", std::process::id());
        let theirs = run_mark(12, &instance);
        let mut other = marked_job(&theirs);
        assert_eq!(count_within(&theirs, 3).await.len(), 3);
        // Run 1 of the same instance: a prefix of "12@...", never a match.
        let ours = run_mark(1, &instance);
        assert_eq!(end_marked(&ours, Duration::from_secs(1)).await, MarkedEnd::default());
        assert_eq!(marked_processes(&theirs).len(), 3, "another run's processes must be left alone");
        end_marked(&theirs, Duration::from_secs(1)).await;
        other.wait().unwrap();
    }

    #[tokio::test]
    async fn a_process_ignoring_sigterm_is_killed_after_the_grace_period() {
        let mark = run_mark(7, &format!("test:{}:stubborn", std::process::id()));
        let mut child = std::process::Command::new("sh")
            .args(["-c", "trap '' TERM; while :; do sleep 0.05; done"])
            .env(RUN_MARK_VAR, &mark)
            .process_group(0)
            .spawn()
            .unwrap();
        assert!(!count_within(&mark, 1).await.is_empty());
        let end = end_marked(&mark, Duration::from_millis(300)).await;
        assert!(end.needed_kill && end.survivors.is_empty(), "{end:?}");
        child.wait().unwrap();
    }
}
