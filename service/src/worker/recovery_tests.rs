//! Recovery against a real SQLite store and real processes.

use std::os::unix::process::CommandExt as _;
use std::sync::Arc;
use std::time::Duration;

use super::marked::{marked_processes, run_mark, RUN_MARK_VAR};
use super::recovery::recover;
use super::{process_start_ticks, WorkerContext};
use crate::config::Config;
use crate::domain::{Executor, Job, LaneName, RunStatus};
use crate::store::runs::{self, ClaimOutcome, NewRun};
use crate::store::testing::fresh;
use crate::store::{jobs, Backend};
use crate::wakeups::Wakeups;

/// The instance id of a cronkeeper on this node and boot that has died: a
/// reaped child's pid and start ticks.
fn dead_instance(node: &str) -> String {
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id() as i32;
    let ticks = process_start_ticks(pid).unwrap();
    child.wait().unwrap();
    format!("{node}:{pid}:{ticks}:{}", super::context::current_boot())
}

/// The window issue 2 named: cronkeeper killed after spawning a job but before
/// storing its pid. The run has no pid; recovery must still end the job.
#[tokio::test]
async fn a_job_whose_pid_was_never_stored_is_ended_by_its_mark() {
    let db = fresh(Backend::Sqlite).await.unwrap();
    let store = db.store.clone();
    let text = "kill_grace = \"1s\"\nheartbeat_interval = \"1s\"\nheartbeat_expiry = \"10s\"\n[lanes.default]\nslots = 1\n";
    let config = Arc::new(Config::from_file(Config::parse_file(text, "test").unwrap()).unwrap());
    let job = Job::new("sleeper", LaneName::parse("default").unwrap(), None, Executor::Command { argv: vec!["sleep".into(), "1000".into()], env: vec![], working_dir: None });
    jobs::save(&store, &job, 1).await.unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    runs::insert(&store, &NewRun::manual("sleeper", "default", RunStatus::Queued, now), now).await.unwrap();
    let dead = dead_instance(&config.node);
    let ClaimOutcome::Run(claimed) = runs::claim_next(&store, "default", &dead, now).await.unwrap() else { panic!("nothing claimed") };

    // What the dead cronkeeper had started, with its mark, pid never stored.
    let mark = run_mark(claimed.run.id, &dead);
    let mut job_process = std::process::Command::new("sh")
        .args(["-c", "sleep 1000 & setsid sleep 1000 & wait"])
        .env(RUN_MARK_VAR, &mark)
        .process_group(0)
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while marked_processes(&mark).len() < 3 {
        assert!(std::time::Instant::now() < deadline, "the job's processes never appeared");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let ctx = WorkerContext {
        store: store.clone(),
        config: config.clone(),
        clock: crate::clock::system(),
        events: Default::default(),
        wakeups: Wakeups::new(["default"]),
        instance: crate::worker::instance_id(&config.node),
    };
    let report = recover(&ctx).await.unwrap();
    assert_eq!((report.interrupted, report.orphans_ended), (1, 1), "{report:?}");
    assert!(marked_processes(&mark).is_empty(), "a process of the run survived recovery");
    assert!(job_process.wait().unwrap().code().is_none(), "the job was signalled");
    let run = runs::get(&store, claimed.run.id).await.unwrap().unwrap();
    assert_eq!(run.status, RunStatus::Interrupted);
}
