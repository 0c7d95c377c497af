//! Starting a command job and supervising it to the end: output capture, the
//! timeout, kill requests, and making sure no process of a run outlives it.
//!
//! Design choices, and why:
//! - The argv is executed directly (no shell unless argv[0] is one), in a new
//!   process group (`process_group(0)`, which keeps std's `posix_spawn` fast path;
//!   no `pre_exec`), stdin from /dev/null.
//! - stdout and stderr share one pipe (like `2>&1`), so the captured output is
//!   interleaved exactly in the order the job wrote it, and there is one fd to read.
//! - The leader is *not* reaped when it exits: we watch it through a pidfd, which
//!   reports the exit without reaping. While it is an unreaped zombie its pid
//!   cannot be reused, so signalling its group id stays safe until the leftovers of
//!   the group are gone; only then is it reaped.
//! - Output reading stops shortly after the group is gone even without EOF: a
//!   process that escaped the group with `setsid()`/`setpgid()` may hold the pipe
//!   open forever. Such a process is a known limit: it is not terminated.
//! - Dropping a [`RunningProcess`] before `supervise` finished SIGKILLs the whole
//!   group at once (no grace: `Drop` cannot wait).

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncReadExt, Interest};
use tokio::net::unix::pipe;
use tokio::process::{Child, Command};
use tokio::task::JoinHandle;
use tokio::time::{sleep, sleep_until, timeout, Instant};
use tokio_util::sync::CancellationToken;

use super::group::{end_group, group_is_gone, GroupEnd};
use super::output::{CappedBuffer, LiveTail};
use super::outcome::{Ending, Outcome};
use super::procinfo::process_start_ticks;

/// How long to keep reading output after the group is gone, waiting for EOF.
const DRAIN: Duration = Duration::from_millis(500);
/// How long to wait for the SIGKILLed leader to be reapable.
const REAP_WAIT: Duration = Duration::from_secs(5);
const READ_CHUNK: usize = 64 * 1024;

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSpec {
    pub argv: Vec<String>,
    /// Added to (or overriding) the environment cronkeeper itself runs with.
    pub env: Vec<(String, String)>,
    pub working_dir: Option<PathBuf>,
    /// Bytes of output kept: the first half and the last half.
    pub output_cap: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Counted from the spawn. `Duration::MAX` means no timeout.
    pub timeout: Duration,
    /// Between SIGTERM and SIGKILL to the group.
    pub grace: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("nothing to run: the command line is empty")]
    EmptyArgv,
    #[error("cannot use working directory {}: {source}", dir.display())]
    WorkingDir { dir: PathBuf, source: io::Error },
    #[error("cannot start `{program}`: {}", describe(source))]
    Start { program: String, source: io::Error },
}

impl SpawnError {
    /// Whether starting again later may work: resource exhaustion (EAGAIN,
    /// EMFILE, ENOMEM) may pass; a missing program or directory will not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::EmptyArgv | Self::WorkingDir { .. } => false,
            Self::Start { source, .. } => !matches!(
                source.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::PermissionDenied | io::ErrorKind::InvalidInput
            ) && source.raw_os_error() != Some(libc::ENOEXEC),
        }
    }
}

/// A job that could not be started ends `Failed` with the reason as its error.
impl From<SpawnError> for Outcome {
    fn from(e: SpawnError) -> Self {
        Outcome { ending: Ending::Failed, exit_code: None, output: String::new(), error: Some(e.to_string()) }
    }
}

fn describe(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => format!("command not found ({e})"),
        io::ErrorKind::PermissionDenied => format!("permission denied ({e})"),
        _ => e.to_string(),
    }
}

/// A started job; call [`RunningProcess::supervise`] to see it to its end.
#[derive(Debug)]
pub struct RunningProcess {
    child: Child,
    pid: i32,
    start_ticks: u64,
    started_at: Instant,
    /// `None` if pidfds are unavailable (kernel < 5.3, seccomp); then we poll.
    pidfd: Option<AsyncFd<OwnedFd>>,
    reader: Option<JoinHandle<(CappedBuffer, bool)>>,
    stop_reading: CancellationToken,
    /// The end of the output so far, for whoever wants it before the exit.
    live: LiveTail,
    /// Once the leader is reaped its pid may be reused: never signal it again.
    reaped: bool,
}

/// Variables of cronkeeper's own configuration, withheld from jobs.
const OWN_ENV_PREFIX: &str = "CRONKEEPER_";

/// Starts `spec.argv` as the leader of a new process group.
pub async fn spawn(spec: &ProcessSpec) -> Result<RunningProcess, SpawnError> {
    spawn_with(spec, false).await
}

/// Like [`spawn`], and the process is killed when cronkeeper dies
/// ([`super::tether`]): for queue consumers, which must never run unsupervised.
pub async fn spawn_tethered(spec: &ProcessSpec) -> Result<RunningProcess, SpawnError> {
    spawn_with(spec, true).await
}

async fn spawn_with(spec: &ProcessSpec, tethered: bool) -> Result<RunningProcess, SpawnError> {
    let program = spec.argv.first().ok_or(SpawnError::EmptyArgv)?;
    if let Some(dir) = &spec.working_dir {
        // Checked up front: a missing directory would otherwise surface as a
        // misleading "command not found" (both are ENOENT).
        match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                let source = io::Error::new(io::ErrorKind::NotADirectory, "not a directory");
                return Err(SpawnError::WorkingDir { dir: dir.clone(), source });
            }
            Err(source) => return Err(SpawnError::WorkingDir { dir: dir.clone(), source }),
        }
    }
    let start_err = |source| SpawnError::Start { program: program.clone(), source };
    let (read_end, write_end) = output_pipe().map_err(start_err)?;
    let stderr_end = write_end.try_clone().map_err(start_err)?;

    let mut cmd = Command::new(program);
    // cronkeeper's own settings (the JWT secret, database and AMQP URLs with
    // their passwords) are not the job's business: a job that prints its
    // environment would store them in its run output. A job's own `env` may
    // still set a CRONKEEPER_* variable on purpose.
    for (key, _) in std::env::vars_os() {
        if key.to_str().is_some_and(|k| k.starts_with(OWN_ENV_PREFIX)) {
            cmd.env_remove(&key);
        }
    }
    cmd.args(&spec.argv[1..])
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(write_end))
        .stderr(Stdio::from(stderr_end))
        .process_group(0)
        .kill_on_drop(true);
    if let Some(dir) = &spec.working_dir {
        cmd.current_dir(dir);
    }
    let spawned = if tethered {
        super::tether::tie(&mut cmd);
        // Dropped by the spawner thread right after the spawn.
        super::tether::spawn(cmd).await
    } else {
        let spawned = cmd.spawn();
        // The command holds our copies of the pipe's write end: close them now, or
        // the reader would never see EOF.
        drop(cmd);
        spawned
    };
    let child = spawned.map_err(start_err)?;
    let pid = child.id().expect("a just-spawned child is not reaped") as i32;
    let stop_reading = CancellationToken::new();
    let mut running = RunningProcess {
        child,
        pid,
        start_ticks: 0,
        started_at: Instant::now(),
        pidfd: pidfd_open(pid).ok(),
        reader: None,
        stop_reading: stop_reading.clone(),
        live: LiveTail::default(),
        reaped: false,
    };
    // Unreaped, so /proc/<pid> exists even if it already exited. On error,
    // dropping `running` kills the group.
    running.start_ticks = process_start_ticks(pid).ok_or_else(|| {
        start_err(io::Error::other(format!("cannot read /proc/{pid}/stat of the started process")))
    })?;
    let receiver = pipe::Receiver::from_owned_fd(read_end).map_err(start_err)?;
    running.reader = Some(tokio::spawn(read_output(receiver, spec.output_cap, stop_reading, running.live.clone())));
    tracing::debug!(pid, start_ticks = running.start_ticks, program = %program, "job process started");
    Ok(running)
}

impl RunningProcess {
    /// The leader's pid, which is also the process group id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The leader's start time in clock ticks since boot (identity with the pid).
    pub fn start_ticks(&self) -> u64 {
        self.start_ticks
    }

    /// The last bytes of output so far, readable while the process runs.
    pub fn live_tail(&self) -> LiveTail {
        self.live.clone()
    }

    /// Waits for the job to end: by itself, at the timeout, or on `kill`. In every
    /// case the rest of its process group is ended too (SIGTERM, `grace`,
    /// SIGKILL) before this returns.
    pub async fn supervise(mut self, limits: Limits, kill: CancellationToken) -> Outcome {
        let deadline = self.started_at.checked_add(limits.timeout);
        let ending = tokio::select! {
            biased;
            _ = self.leader_exit() => None,
            _ = kill.cancelled() => Some(Ending::Killed),
            _ = async { match deadline {
                Some(d) => sleep_until(d).await,
                None => std::future::pending().await,
            } } => Some(Ending::TimedOut),
        };
        let (group, status) = if ending.is_none() {
            // The leader exited by itself: reap it, then one syscall tells whether
            // it left anything behind (see `group` on why this is safe).
            let status = self.reap().await;
            let alone = status.is_some() && group_is_gone(self.pid);
            (if alone { GroupEnd::default() } else { end_group(self.pid, limits.grace).await }, status)
        } else {
            // We are ending it: the unreaped leader pins the group id meanwhile.
            let group = end_group(self.pid, limits.grace).await;
            (group, self.reap().await)
        };
        let ending = ending.unwrap_or(match status {
            Some(s) => match (s.code(), s.signal()) {
                (Some(code), _) => Ending::Exited(code),
                (None, Some(sig)) => Ending::Signaled(sig),
                (None, None) => Ending::Exited(-1),
            },
            None => Ending::Signaled(Signal::SIGKILL as i32),
        });

        if group.needed_kill || !group.survivors.is_empty() {
            tracing::warn!(pgid = self.pid, ?ending, survivors = ?group.survivors,
                "job process group ignored SIGTERM for the grace period and was SIGKILLed");
        }
        let (buffer, eof) = self.collect_output().await;
        if !eof {
            tracing::warn!(pgid = self.pid, "a process that left the job's group holds its output pipe open");
        }
        let mut output = buffer.into_string();
        let mut note = |line: String| {
            if !output.is_empty() && !output.ends_with('\n') {
                output.push('\n');
            }
            output.push_str("[cronkeeper] ");
            output.push_str(&line);
            output.push('\n');
        };
        if matches!(ending, Ending::Exited(_) | Ending::Signaled(_)) && group.signalled > 0 {
            note(format!(
                "the job exited and left {} process(es) in its process group; they were terminated{}",
                group.signalled,
                if group.needed_kill { " (SIGKILL was needed)" } else { "" }
            ));
        }
        if !group.survivors.is_empty() {
            note(format!("processes {:?} were still there after SIGKILL", group.survivors));
        }
        if status.is_none() {
            note(format!("the job's process {} could not be reaped after SIGKILL", self.pid));
        }
        if !eof {
            note("stopped reading output: the pipe is still held open by a process that \
                  left the job's process group (setsid/daemonized); it was not terminated"
                .to_owned());
        }
        Outcome {
            ending,
            exit_code: status.and_then(|s| s.code()),
            output,
            error: describe_failure(ending, limits, &group),
        }
    }

    /// Reaps the leader; `None` if it cannot be reaped within [`REAP_WAIT`]
    /// (then drop SIGKILLs the group again and tokio reaps it later).
    async fn reap(&mut self) -> Option<std::process::ExitStatus> {
        let status = timeout(REAP_WAIT, self.child.wait()).await.ok()?.ok()?;
        self.reaped = true;
        Some(status)
    }

    /// Resolves when the leader has exited, without reaping it.
    async fn leader_exit(&self) {
        if let Some(fd) = &self.pidfd {
            if fd.readable().await.is_ok() {
                return;
            }
        }
        while !has_exited(self.pid) {
            sleep(Duration::from_millis(50)).await;
        }
    }

    /// The captured output, and whether the pipe reached EOF.
    async fn collect_output(&mut self) -> (CappedBuffer, bool) {
        let Some(mut reader) = self.reader.take() else { return (CappedBuffer::new(0), true) };
        if let Ok(done) = timeout(DRAIN, &mut reader).await {
            return done.unwrap_or_else(|_| (CappedBuffer::new(0), true));
        }
        self.stop_reading.cancel();
        reader.await.unwrap_or_else(|_| (CappedBuffer::new(0), false))
    }
}

impl Drop for RunningProcess {
    fn drop(&mut self) {
        if !self.reaped {
            // Still pinned by the unreaped leader, so this is our group.
            let _ = killpg(Pid::from_raw(self.pid), Signal::SIGKILL);
        }
        self.stop_reading.cancel();
    }
}

fn describe_failure(ending: Ending, limits: Limits, group: &GroupEnd) -> Option<String> {
    let escalation = if group.needed_kill {
        format!("; SIGKILL was needed after the {:?} grace period", limits.grace)
    } else {
        String::new()
    };
    match ending {
        Ending::Exited(0) => None,
        Ending::Exited(code) => Some(format!("exited with code {code}")),
        Ending::Signaled(sig) => Some(format!(
            "terminated by signal {}",
            Signal::try_from(sig).map(|s| s.as_str().to_owned()).unwrap_or_else(|_| sig.to_string())
        )),
        Ending::TimedOut => Some(format!("timed out after {:?}{escalation}", limits.timeout)),
        Ending::Killed => Some(format!("killed on request{escalation}")),
        Ending::HttpStatus(_) | Ending::Failed => None,
    }
}

/// Reads the job's output until EOF or until told to stop, in fixed-size chunks
/// into a capped buffer (constant memory whatever the job writes).
async fn read_output(mut rx: pipe::Receiver, cap: usize, stop: CancellationToken, live: LiveTail) -> (CappedBuffer, bool) {
    let mut buf = CappedBuffer::new(cap);
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        tokio::select! {
            biased; // a job writing nonstop must not starve the stop request
            _ = stop.cancelled() => break,
            read = rx.read(&mut chunk) => match read {
                Ok(0) => return (buf, true),
                Ok(n) => {
                    buf.push(&chunk[..n]);
                    live.push(&chunk[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return (buf, true),
            },
        }
    }
    // Take what is already in the pipe, without waiting for more (bounded: the
    // writer may still be going).
    for _ in 0..16 {
        match rx.try_read(&mut chunk) {
            Ok(0) => return (buf, true),
            Ok(n) => buf.push(&chunk[..n]),
            Err(_) => break,
        }
    }
    (buf, false)
}

/// A pipe with close-on-exec set atomically, so a process spawned concurrently
/// by another thread does not inherit (and hold open) our write end.
fn output_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two fds into the array on success.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both fds were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn pidfd_open(pid: i32) -> io::Result<AsyncFd<OwnedFd>> {
    // SAFETY: plain syscall; returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the fd was just returned to us.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    // SAFETY: the AsyncFd owns the OwnedFd, which stays open until it is dropped.
    unsafe { AsyncFd::register_with_interest(fd, Interest::READABLE) }.map_err(|e| e.into_parts().1)
}

/// Whether our child `pid` has exited, without reaping it (fallback for pidfd).
fn has_exited(pid: i32) -> bool {
    // SAFETY: siginfo_t is plain data; waitid fills it.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    let r = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags) };
    if r != 0 {
        return io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD);
    }
    // SAFETY: waitid succeeded, si_pid is valid (0 if nothing has exited).
    unsafe { info.si_pid() != 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_polling_fallback_sees_an_exit_without_reaping() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !has_exited(pid) {
            assert!(std::time::Instant::now() < deadline, "exit never seen");
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(process_start_ticks(pid).is_some(), "still unreaped, so the pid stays pinned");
        assert_eq!(child.wait().unwrap().code(), Some(0));
    }
}
