//! Command supervision against real processes and real signals (no OS mocks).
//! Margins are generous: the test machine is small and busy.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::group::{terminate_group, GroupTermination};
use super::process::{spawn, Limits, ProcessSpec, SpawnError};
use super::procinfo::{is_alive, process_start_ticks};
use super::Ending;

const CAP: usize = 64 * 1024;
const MARGIN: Duration = Duration::from_secs(3);

fn sh(script: &str) -> ProcessSpec {
    ProcessSpec {
        argv: vec!["sh".into(), "-c".into(), script.into()],
        env: vec![],
        working_dir: None,
        output_cap: CAP,
    }
}

fn limits(timeout_ms: u64, grace_ms: u64) -> Limits {
    Limits { timeout: Duration::from_millis(timeout_ms), grace: Duration::from_millis(grace_ms) }
}

/// Waits for a script to write a pid into `file`; returns it with its start ticks.
async fn pid_from(file: &Path) -> (i32, u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(file) {
            if let Ok(pid) = text.trim().parse::<i32>() {
                return (pid, process_start_ticks(pid).expect("pid from file is running"));
            }
        }
        assert!(Instant::now() < deadline, "no pid written to {}", file.display());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits (up to `within`) for the process to be gone; false if it is still there.
async fn gone_within(pid: i32, ticks: u64, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while is_alive(pid, ticks) {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    true
}

fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn exit_code_zero_is_a_success_without_error() {
    let no_timeout = Limits { timeout: Duration::MAX, grace: Duration::from_secs(1) };
    let out = spawn(&sh("true")).await.unwrap().supervise(no_timeout, CancellationToken::new()).await;
    assert_eq!(out.ending, Ending::Exited(0));
    assert_eq!(out.exit_code, Some(0));
    assert_eq!(out.error, None);
}

#[tokio::test]
async fn non_zero_exit_code_is_reported_with_its_output() {
    let p = spawn(&sh("echo failing; exit 3")).await.unwrap();
    let out = p.supervise(limits(10_000, 1000), CancellationToken::new()).await;
    assert_eq!(out.ending, Ending::Exited(3));
    assert_eq!(out.exit_code, Some(3));
    assert_eq!(out.output, "failing\n");
    assert_eq!(out.error.as_deref(), Some("exited with code 3"));
}

#[tokio::test]
async fn a_job_killed_by_a_foreign_signal_ends_signaled() {
    let out = spawn(&sh("kill -9 $$")).await.unwrap().supervise(limits(10_000, 1000), CancellationToken::new()).await;
    assert_eq!(out.ending, Ending::Signaled(9));
    assert_eq!(out.exit_code, None);
    assert_eq!(out.error.as_deref(), Some("terminated by signal SIGKILL"));
}

#[tokio::test]
async fn command_not_found_gives_a_spawn_error_naming_the_program() {
    let mut spec = sh("");
    spec.argv = vec!["cronkeeper-no-such-command-4711".into()];
    let err = spawn(&spec).await.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(&err, SpawnError::Start { program, source }
        if program == "cronkeeper-no-such-command-4711" && source.kind() == std::io::ErrorKind::NotFound), "{err:?}");
    assert!(msg.contains("`cronkeeper-no-such-command-4711`") && msg.contains("command not found"), "{msg}");
    assert!(!err.is_retryable());
    let outcome = super::Outcome::from(err);
    assert_eq!((outcome.ending, outcome.error), (Ending::Failed, Some(msg)));
}

#[tokio::test]
async fn a_file_without_execute_permission_gives_permission_denied() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("job.sh");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    let mut spec = sh("");
    spec.argv = vec![script.to_string_lossy().into_owned()];
    let msg = spawn(&spec).await.unwrap_err().to_string();
    assert!(msg.contains("job.sh") && msg.contains("permission denied"), "{msg}");
}

#[tokio::test]
async fn a_missing_working_directory_or_empty_argv_is_rejected_clearly() {
    let mut spec = sh("true");
    spec.working_dir = Some("/nonexistent/cronkeeper-dir".into());
    let err = spawn(&spec).await.unwrap_err();
    assert!(matches!(err, SpawnError::WorkingDir { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/cronkeeper-dir"));
    spec.argv.clear();
    assert!(matches!(spawn(&spec).await.unwrap_err(), SpawnError::EmptyArgv));
}

#[tokio::test]
async fn env_additions_and_working_dir_are_applied() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = sh("echo \"$CK_TEST_VAR\"; pwd; test -n \"$PATH\" && echo path-inherited");
    spec.env = vec![("CK_TEST_VAR".into(), "hello world".into())];
    spec.working_dir = Some(dir.path().to_path_buf());
    let out = spawn(&spec).await.unwrap().supervise(limits(10_000, 1000), CancellationToken::new()).await;
    let real = dir.path().canonicalize().unwrap();
    assert_eq!(out.output, format!("hello world\n{}\npath-inherited\n", real.display()));
}

#[tokio::test]
async fn stdout_and_stderr_are_interleaved_in_the_order_written_and_stdin_is_empty() {
    let p = spawn(&sh("echo one; echo two >&2; echo three; cat; echo four >&2")).await.unwrap();
    let out = p.supervise(limits(10_000, 1000), CancellationToken::new()).await;
    assert_eq!(out.output, "one\ntwo\nthree\nfour\n");
}

#[tokio::test]
async fn timeout_ends_the_shell_and_its_background_child() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pid");
    let script = format!("sleep 1000 & echo $! > {}; while true; do sleep 1; done", f.display());
    let p = spawn(&sh(&script)).await.unwrap();
    let (leader, leader_ticks) = (p.pid(), p.start_ticks());
    let (child, child_ticks) = pid_from(&f).await;
    let begun = Instant::now();
    let lim = limits(1000, 1000);
    let out = p.supervise(lim, CancellationToken::new()).await;
    assert_eq!(out.ending, Ending::TimedOut);
    assert!(begun.elapsed() < lim.timeout + lim.grace + MARGIN, "took {:?}", begun.elapsed());
    assert!(out.error.as_deref().unwrap().starts_with("timed out after 1s"), "{:?}", out.error);
    assert!(!is_alive(leader, leader_ticks), "the shell survived");
    assert!(!is_alive(child, child_ticks), "its sleep child survived");
}

#[tokio::test]
async fn a_grandchild_that_ignores_sigterm_is_sigkilled_after_the_grace() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pid");
    let script = format!("(trap '' TERM; exec sleep 1000) & echo $! > {}; wait", f.display());
    let p = spawn(&sh(&script)).await.unwrap();
    let (child, child_ticks) = pid_from(&f).await;
    let begun = Instant::now();
    let lim = limits(500, 1000);
    let out = p.supervise(lim, CancellationToken::new()).await;
    let took = begun.elapsed();
    assert_eq!(out.ending, Ending::TimedOut);
    assert!(took >= lim.grace, "SIGKILL came before the grace ended: {took:?}");
    assert!(took < lim.timeout + lim.grace + MARGIN, "took {took:?}");
    assert!(out.error.as_deref().unwrap().contains("SIGKILL was needed"), "{:?}", out.error);
    assert!(!is_alive(child, child_ticks), "the TERM-ignoring grandchild survived");
}

#[tokio::test]
async fn a_stopped_job_is_continued_so_sigterm_can_end_it() {
    let p = spawn(&sh("kill -STOP $$; sleep 1000")).await.unwrap();
    let out = p.supervise(limits(500, 20_000), CancellationToken::new()).await;
    assert_eq!(out.ending, Ending::TimedOut);
    assert!(!out.error.as_deref().unwrap().contains("SIGKILL"), "{:?}", out.error);
}

#[tokio::test]
async fn huge_output_stays_capped_with_head_marker_and_tail_in_constant_memory() {
    const TOTAL: usize = 200_000_000;
    let hwm_before = vm_hwm_kib();
    let script = format!("printf start; head -c {TOTAL} /dev/zero | tr '\\0' a; printf end");
    let p = spawn(&sh(&script)).await.unwrap();
    let out = p.supervise(limits(120_000, 1000), CancellationToken::new()).await;
    assert_eq!(out.ending, Ending::Exited(0));
    let omitted = TOTAL + "start".len() + "end".len() - CAP;
    let marker = format!("\n… [{omitted} bytes omitted] …\n");
    assert_eq!(out.output.len(), CAP + marker.len());
    assert!(out.output.starts_with("startaaaa"));
    assert!(out.output.ends_with("aaaaend"));
    assert_eq!(out.output.find(&marker), Some(CAP / 2));
    let grown_kib = vm_hwm_kib().saturating_sub(hwm_before);
    assert!(grown_kib < 100 * 1024, "peak memory grew by {grown_kib} KiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_request_ends_the_whole_group_as_killed() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pid");
    let script = format!("sleep 1000 & echo $! > {}; echo started; wait", f.display());
    let p = spawn(&sh(&script)).await.unwrap();
    let (leader, leader_ticks) = (p.pid(), p.start_ticks());
    let kill = CancellationToken::new();
    let lim = limits(60_000, 1000);
    let task = tokio::spawn(p.supervise(lim, kill.clone()));
    let (child, child_ticks) = pid_from(&f).await;
    let begun = Instant::now();
    kill.cancel();
    let out = task.await.unwrap();
    assert_eq!(out.ending, Ending::Killed);
    assert!(begun.elapsed() < lim.grace + MARGIN, "took {:?}", begun.elapsed());
    assert!(out.output.starts_with("started\n"), "{:?}", out.output);
    assert_eq!(out.error.as_deref(), Some("killed on request"));
    assert!(!is_alive(leader, leader_ticks) && !is_alive(child, child_ticks));
}

#[tokio::test]
async fn a_leader_exiting_while_a_background_child_holds_stdout_returns_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pid");
    // The child is gone by the time supervise returns, so the script records its
    // start ticks itself (field 22; comm "sleep" has no spaces).
    let script = format!("sleep 1000 & echo $! $(cut -d' ' -f22 /proc/$!/stat) > {}; echo done", f.display());
    let p = spawn(&sh(&script)).await.unwrap();
    let begun = Instant::now();
    let lim = limits(60_000, 10_000);
    let out = p.supervise(lim, CancellationToken::new()).await;
    assert_eq!(out.ending, Ending::Exited(0));
    assert!(begun.elapsed() < MARGIN, "took {:?} (waited for the grace?)", begun.elapsed());
    assert!(out.output.starts_with("done\n"), "{:?}", out.output);
    assert!(out.output.contains("[cronkeeper] the job exited and left 1 process(es)"), "{:?}", out.output);
    let text = std::fs::read_to_string(&f).unwrap();
    let mut fields = text.split_whitespace().map(|x| x.parse::<u64>().unwrap());
    let (child, ticks) = (fields.next().unwrap() as i32, fields.next().unwrap());
    assert!(!is_alive(child, ticks), "the background child outlived the run");
}

#[tokio::test]
async fn a_process_that_escapes_with_setsid_does_not_hang_output_reading() {
    // Known limit: setsid() leaves the process group, so the escapee is not
    // terminated; but it must not keep supervise waiting on the output pipe.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pid");
    let script = format!(
        "setsid sh -c 'echo $$ > {f}; exec sleep 30' & while [ ! -s {f} ]; do sleep 0.05; done; echo hi",
        f = f.display()
    );
    let p = spawn(&sh(&script)).await.unwrap();
    let begun = Instant::now();
    let out = p.supervise(limits(60_000, 1000), CancellationToken::new()).await;
    assert_eq!(out.ending, Ending::Exited(0));
    assert!(begun.elapsed() < MARGIN, "took {:?}", begun.elapsed());
    assert!(out.output.starts_with("hi\n"), "{:?}", out.output);
    assert!(out.output.contains("[cronkeeper] stopped reading output"), "{:?}", out.output);
    let (escapee, ticks) = pid_from(&f).await;
    assert!(is_alive(escapee, ticks), "the escapee is out of reach, as documented");
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(escapee), nix::sys::signal::Signal::SIGKILL);
}

#[tokio::test]
async fn dropping_a_running_process_kills_its_whole_group() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pid");
    let p = spawn(&sh(&format!("sleep 1000 & echo $! > {}; wait", f.display()))).await.unwrap();
    let (leader, leader_ticks) = (p.pid(), p.start_ticks());
    let (child, child_ticks) = pid_from(&f).await;
    drop(p);
    assert!(gone_within(leader, leader_ticks, MARGIN).await, "leader survived the drop");
    assert!(gone_within(child, child_ticks, MARGIN).await, "child survived the drop");
}

#[tokio::test]
async fn start_ticks_survive_a_comm_with_spaces_and_parentheses() {
    let p = spawn(&sh("printf 'a) b (c' > /proc/$$/comm; sleep 1000")).await.unwrap();
    let (pid, ticks) = (p.pid(), p.start_ticks());
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap().trim() != "a) b (c" {
        assert!(Instant::now() < deadline, "comm never changed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(process_start_ticks(pid), Some(ticks));
    assert!(is_alive(pid, ticks));
    let kill = CancellationToken::new();
    kill.cancel();
    assert_eq!(p.supervise(limits(60_000, 1000), kill).await.ending, Ending::Killed);
}

/// A group started outside the supervisor, as a crashed cronkeeper leaves it.
fn orphan_group(pid_file: &Path) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    std::process::Command::new("sh")
        .args(["-c", &format!("sleep 1000 & echo $! > {}; wait", pid_file.display())])
        .process_group(0)
        .spawn()
        .unwrap()
}

#[tokio::test]
async fn terminate_group_ends_a_verified_orphan_group() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pid");
    let mut leader = orphan_group(&f);
    let pid = leader.id() as i32;
    let ticks = process_start_ticks(pid).unwrap();
    let (child, child_ticks) = pid_from(&f).await;
    let result = terminate_group(pid, ticks, Duration::from_secs(2)).await;
    assert!(matches!(result, GroupTermination::Ended(ref e) if e.signalled == 2 && !e.needed_kill), "{result:?}");
    assert!(!is_alive(child, child_ticks));
    assert!(leader.wait().unwrap().signal().is_some());
}

#[tokio::test]
async fn terminate_group_refuses_a_pid_whose_start_ticks_do_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pid");
    let mut leader = orphan_group(&f);
    let pid = leader.id() as i32;
    let ticks = process_start_ticks(pid).unwrap();
    let (child, child_ticks) = pid_from(&f).await;
    let result = terminate_group(pid, ticks + 1, Duration::from_secs(1)).await;
    assert_eq!(result, GroupTermination::NotOurs);
    assert!(is_alive(pid, ticks) && is_alive(child, child_ticks), "a wrong identity must not be signalled");
    let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    leader.wait().unwrap();
    assert_eq!(terminate_group(pid, ticks, Duration::from_secs(1)).await, GroupTermination::NotOurs);
}

#[tokio::test]
async fn terminate_group_ends_leftovers_of_an_exited_but_unreaped_leader() {
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pid");
    let mut leader = std::process::Command::new("sh")
        .args(["-c", &format!("sleep 1000 & echo $! > {}", f.display())])
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = leader.id() as i32;
    let ticks = process_start_ticks(pid).unwrap();
    let (child, child_ticks) = pid_from(&f).await;
    assert!(gone_within(pid, ticks, MARGIN).await, "the leader should exit by itself (as a zombie)");
    let result = terminate_group(pid, ticks, Duration::from_secs(2)).await;
    assert!(matches!(result, GroupTermination::Ended(ref e) if e.signalled == 1), "{result:?}");
    assert!(!is_alive(child, child_ticks));
    assert_eq!(leader.wait().unwrap().code(), Some(0));
}

#[tokio::test]
async fn a_job_does_not_inherit_cronkeepers_own_settings_but_may_set_its_own() {
    // A name no other test uses: setting it cannot change what they see.
    let leaked = format!("CRONKEEPER_TEST_SECRET_{}", std::process::id());
    std::env::set_var(&leaked, "hunter2");
    std::env::set_var("CK_TEST_UNRELATED_VARIABLE", "kept");
    let mut spec = sh("env");
    spec.env = vec![("CRONKEEPER_RUN_NOTE".into(), "set by the job".into())];
    let out = spawn(&spec).await.unwrap().supervise(limits(10_000, 500), CancellationToken::new()).await;
    std::env::remove_var(&leaked);
    assert_eq!(out.ending, Ending::Exited(0), "{out:?}");
    assert!(!out.output.contains("hunter2") && !out.output.contains(&leaked), "cronkeeper's variable reached the job: {}", out.output);
    assert!(out.output.contains("CRONKEEPER_RUN_NOTE=set by the job"), "{}", out.output);
    assert!(out.output.contains("CK_TEST_UNRELATED_VARIABLE=kept"), "the rest of the environment is inherited: {}", out.output);
}
