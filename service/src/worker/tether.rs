//! Processes that must not outlive cronkeeper: queue consumers. When
//! cronkeeper dies (`kill -9`, the OOM killer, a panic) on a node that stays
//! up, its consumer processes would keep consuming while another node takes
//! their slots once the lease expires: two processes per slot, the duplicate
//! supervision exists to prevent. So the kernel kills them with it.
//!
//! How: the child asks for `PR_SET_PDEATHSIG(SIGKILL)` between fork and exec.
//! The kernel sends that signal when the *thread* that forked the child exits,
//! not the process; tokio's threads come and go (blocking threads end after
//! being idle, `block_in_place` hands a worker thread over), so tethered
//! children are forked by one thread of our own that lives as long as the
//! process. If cronkeeper died between the fork and the `prctl`, no signal
//! would ever come: the child checks its parent afterwards and refuses to run.
//!
//! SIGKILL, not SIGTERM: a process that ignores SIGTERM would survive, and
//! nothing is left to escalate. The signal reaches the process cronkeeper
//! started (the group leader, `exec`'d programs included); processes that
//! leader forks are not tethered (see docs/consumers.md, known limits).

use std::io;
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};

use tokio::process::{Child, Command};
use tokio::sync::oneshot;

struct Request {
    command: Command,
    runtime: tokio::runtime::Handle,
    reply: oneshot::Sender<io::Result<Child>>,
}

/// Makes `command`'s process die with this cronkeeper process.
pub fn tie(command: &mut Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure runs in the forked child before exec and only makes
    // async-signal-safe calls (prctl, getppid); it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                // cronkeeper is already gone: run nothing it cannot supervise.
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}

/// Spawns a [`tie`]d command from the long-lived spawner thread (see the
/// module docs), registered with the caller's runtime. The command is
/// dropped there, after the spawn, closing the parent's copies of its pipes.
pub async fn spawn(command: Command) -> io::Result<Child> {
    let (reply, answer) = oneshot::channel();
    let request = Request {
        command,
        runtime: tokio::runtime::Handle::current(),
        reply,
    };
    spawner()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(request)
        .map_err(|_| io::Error::other("the process spawner thread is gone"))?;
    answer
        .await
        .map_err(|_| io::Error::other("the process spawner thread is gone"))?
}

fn spawner() -> &'static Mutex<mpsc::Sender<Request>> {
    static SPAWNER: OnceLock<Mutex<mpsc::Sender<Request>>> = OnceLock::new();
    SPAWNER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("ck-tethered-spawn".into())
            .spawn(move || {
                // Never returns while the process lives: the children's
                // death signal is tied to this thread.
                for Request {
                    mut command,
                    runtime,
                    reply,
                } in rx
                {
                    let _entered = runtime.enter();
                    let spawned = command.spawn();
                    drop(command);
                    let _ = reply.send(spawned);
                }
            })
            .expect("start the process spawner thread");
        Mutex::new(tx)
    })
}
