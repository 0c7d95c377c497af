//! Store behaviour on a real SQLite file. The same cases will run against
//! PostgreSQL and MariaDB when those backends land.

use super::runs::{self, ClaimOutcome, Finish, NewRun, RunFilter, RunSort};
use super::testing::sqlite_store;
use super::{jobs, Direction, Page};
use crate::domain::{ConcurrencyPolicy, Executor, Job, LaneName, RunStatus, Trigger};

fn job(code: &str, lane: &str) -> Job {
    Job::new(code, LaneName::parse(lane).unwrap(), Some("* * * * *".into()), Executor::Command { argv: vec!["true".into()], env: vec![], working_dir: None })
}

fn queued(code: &str, lane: &str, at: i64, priority: i32, fire: Option<i64>) -> NewRun {
    NewRun {
        job_code: code.into(),
        lane: lane.into(),
        status: RunStatus::Queued,
        trigger: Trigger::Schedule,
        attempt: 1,
        retry_of: None,
        priority,
        fire_key: fire,
        scheduled_at: at,
        missed_count: 0,
        error: None,
    }
}

#[tokio::test]
async fn a_saved_job_reads_back_identically() {
    let (store, _dir) = sqlite_store().await;
    let mut j = job("sales_send_order_emails", "critical");
    j.timeout = Some(std::time::Duration::from_secs(90));
    j.overrides = vec!["lane".into()];
    j.executor = Executor::Http { url: "http://127.0.0.1:1/x".into(), method: Some("POST".into()), timeout_secs: Some(5) };
    jobs::save(&store, &j, 1000).await.unwrap();
    let mut back = jobs::require(&store, "sales_send_order_emails").await.unwrap();
    assert_eq!(back.created_at, 1000);
    back.created_at = 0;
    back.updated_at = 0;
    assert_eq!(back, j);
}

#[tokio::test]
async fn job_filters_sorting_and_counts_agree() {
    let (store, _dir) = sqlite_store().await;
    for (code, lane) in [("a_job", "critical"), ("b_job", "default"), ("c_other", "default")] {
        jobs::save(&store, &job(code, lane), 1).await.unwrap();
    }
    let filter = jobs::JobFilter { lane: Some("default".into()), ..Default::default() };
    let found = jobs::list(&store, &filter, jobs::JobSort::Code, Direction::Desc, Page { limit: 10, offset: 0 }).await.unwrap();
    assert_eq!(found.iter().map(|j| j.code.as_str()).collect::<Vec<_>>(), ["c_other", "b_job"]);
    assert_eq!(jobs::count(&store, &filter).await.unwrap(), 2);
    let search = jobs::JobFilter { search: Some("JOB".into()), ..Default::default() };
    assert_eq!(jobs::count(&store, &search).await.unwrap(), 2);
    let underscore = jobs::JobFilter { search: Some("b_j".into()), ..Default::default() };
    assert_eq!(jobs::count(&store, &underscore).await.unwrap(), 1, "`_` matches itself, not any character");
    let wildcard = jobs::JobFilter { search: Some("a%".into()), ..Default::default() };
    assert_eq!(jobs::count(&store, &wildcard).await.unwrap(), 0, "`%` matches itself");
    jobs::set_paused(&store, &["a_job".into()], true, 2).await.unwrap();
    assert!(jobs::require(&store, "a_job").await.unwrap().paused);
}

#[tokio::test]
async fn materialising_the_same_fire_time_twice_creates_one_run() {
    let (store, _dir) = sqlite_store().await;
    jobs::save(&store, &job("j", "default"), 1).await.unwrap();
    let news = vec![queued("j", "default", 60_000, 0, Some(60_000))];
    let first = runs::materialise(&store, "j", &news, Some(60_000), Some(120_000), 1).await.unwrap();
    let second = runs::materialise(&store, "j", &news, Some(60_000), Some(120_000), 1).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(second.is_empty());
    assert_eq!(runs::count(&store, &RunFilter::default()).await.unwrap(), 1);
    let cursor = jobs::next_fire(&store, "j").await.unwrap();
    assert_eq!(cursor, Some(120_000));
}

#[tokio::test]
async fn claims_take_priority_then_due_time_and_only_from_their_lane() {
    let (store, _dir) = sqlite_store().await;
    for code in ["low", "high", "other"] {
        let mut j = job(code, "default");
        j.concurrency = ConcurrencyPolicy::Allow;
        jobs::save(&store, &j, 1).await.unwrap();
    }
    runs::insert(&store, &queued("low", "default", 10, 0, None), 1).await.unwrap();
    runs::insert(&store, &queued("high", "default", 20, 5, None), 1).await.unwrap();
    runs::insert(&store, &queued("other", "bulk", 5, 9, None), 1).await.unwrap();
    let take = |o: ClaimOutcome| match o {
        ClaimOutcome::Run(c) => c.run.job_code,
        other => panic!("expected a run, got {other:?}"),
    };
    assert_eq!(take(runs::claim_next(&store, "default", "w", 30).await.unwrap()), "high");
    assert_eq!(take(runs::claim_next(&store, "default", "w", 30).await.unwrap()), "low");
    assert!(matches!(runs::claim_next(&store, "default", "w", 30).await.unwrap(), ClaimOutcome::Empty));
}

#[tokio::test]
async fn a_forbid_job_never_runs_twice_at_once() {
    let (store, _dir) = sqlite_store().await;
    jobs::save(&store, &job("solo", "default"), 1).await.unwrap();
    runs::insert(&store, &queued("solo", "default", 10, 0, Some(10)), 1).await.unwrap();
    runs::insert(&store, &queued("solo", "default", 20, 0, Some(20)), 1).await.unwrap();
    assert!(matches!(runs::claim_next(&store, "default", "w", 30).await.unwrap(), ClaimOutcome::Run(_)));
    let skipped = match runs::claim_next(&store, "default", "w", 30).await.unwrap() {
        ClaimOutcome::Skipped(id) => id,
        other => panic!("expected a skip, got {other:?}"),
    };
    assert_eq!(runs::require(&store, skipped).await.unwrap().status, RunStatus::Skipped);
}

#[tokio::test]
async fn a_stale_claim_cannot_overwrite_a_finished_run() {
    let (store, _dir) = sqlite_store().await;
    jobs::save(&store, &job("j", "default"), 1).await.unwrap();
    runs::insert(&store, &queued("j", "default", 10, 0, None), 1).await.unwrap();
    let ClaimOutcome::Run(c) = runs::claim_next(&store, "default", "w", 30).await.unwrap() else { panic!() };
    let ok = Finish { status: RunStatus::Succeeded, exit_code: Some(0), output: Some("hi".into()), error: None };
    assert!(runs::finish(&store, c.run.id, c.claim, &ok, 40).await.unwrap());
    assert!(!runs::interrupt(&store, c.run.id, c.claim, "late recovery", 50).await.unwrap());
    assert!(!runs::finish(&store, c.run.id, c.claim - 1, &ok, 50).await.unwrap());
    let run = runs::require(&store, c.run.id).await.unwrap();
    assert_eq!((run.status, run.duration_ms()), (RunStatus::Succeeded, Some(10)));
}

#[tokio::test]
async fn kill_requests_close_waiting_runs_and_flag_running_ones() {
    let (store, _dir) = sqlite_store().await;
    jobs::save(&store, &job("j", "default"), 1).await.unwrap();
    let waiting = runs::insert(&store, &queued("j", "default", 10, 0, None), 1).await.unwrap().unwrap();
    let running = runs::insert(&store, &queued("j", "default", 5, 0, None), 1).await.unwrap().unwrap();
    let ClaimOutcome::Run(c) = runs::claim_next(&store, "default", "w", 30).await.unwrap() else { panic!() };
    assert_eq!(c.run.id, running);
    assert_eq!(runs::request_kill(&store, waiting, 31).await.unwrap().status, RunStatus::Killed);
    assert_eq!(runs::request_kill(&store, running, 31).await.unwrap().status, RunStatus::Running);
    assert_eq!(runs::heartbeat(&store, &[(c.run.id, c.claim)], 32).await.unwrap(), vec![running]);
}

#[tokio::test]
async fn purging_removes_only_old_finished_runs_of_the_given_statuses() {
    let (store, _dir) = sqlite_store().await;
    jobs::save(&store, &job("j", "default"), 1).await.unwrap();
    for (at, status) in [(10, RunStatus::Succeeded), (20, RunStatus::Failed), (30, RunStatus::Queued), (500, RunStatus::Succeeded)] {
        let mut n = queued("j", "default", at, 0, Some(at));
        n.status = status;
        runs::insert(&store, &n, 1).await.unwrap();
    }
    let removed = runs::purge_batch(&store, 100, &[RunStatus::Succeeded, RunStatus::Queued], 10).await.unwrap();
    assert_eq!(removed, 1);
    let left = runs::list(&store, &RunFilter::default(), RunSort::ScheduledAt, Direction::Asc, Page { limit: 10, offset: 0 }).await.unwrap();
    assert_eq!(left.iter().map(|r| r.scheduled_at).collect::<Vec<_>>(), [20, 30, 500]);
}

#[tokio::test]
async fn lane_figures_count_running_and_queued_with_the_oldest_wait() {
    let (store, _dir) = sqlite_store().await;
    let mut j = job("j", "bulk");
    j.concurrency = ConcurrencyPolicy::Allow;
    jobs::save(&store, &j, 1).await.unwrap();
    for at in [10, 20, 30] {
        runs::insert(&store, &queued("j", "bulk", at, 0, None), 1).await.unwrap();
    }
    runs::claim_next(&store, "bulk", "w", 40).await.unwrap();
    let figures = runs::lane_figures(&store).await.unwrap();
    assert_eq!(figures, vec![runs::LaneFigures { lane: "bulk".into(), running: 1, queued: 2, oldest_queued_at: Some(20) }]);
}
