//! The store conformance suite: every case runs against SQLite, PostgreSQL and
//! MySQL/MariaDB, each on a fresh database (see `testing.rs` for where the
//! servers are and what happens when one is unreachable).

use std::collections::HashSet;

use super::runs::{self, ClaimOutcome, Finish, NewRun, RunFilter, RunSort};
use super::testing::conformance;
use super::{audit, instances, leases, settings};
use super::{jobs, Backend, Direction, Page, Store};
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

async fn a_saved_job_reads_back_identically(store: Store) {
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

async fn job_filters_sorting_and_counts_agree(store: Store) {
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

async fn materialising_the_same_fire_time_twice_creates_one_run(store: Store) {
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

async fn claims_take_priority_then_due_time_and_only_from_their_lane(store: Store) {
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

async fn a_forbid_job_never_runs_twice_at_once(store: Store) {
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

/// `allow` starts a second run beside the first; `replace` starts it too and
/// asks for the first one's kill; a job with no RUNNING run just starts (on
/// SQLite the one-statement claim, elsewhere the transaction: same answers).
async fn allow_and_replace_start_beside_a_running_run(store: Store) {
    for (code, policy) in [("both", ConcurrencyPolicy::Allow), ("newest", ConcurrencyPolicy::Replace)] {
        let mut j = job(code, "bulk");
        j.concurrency = policy;
        jobs::save(&store, &j, 1).await.unwrap();
        let first = runs::insert(&store, &queued(code, "bulk", 10, 0, Some(10)), 1).await.unwrap().unwrap();
        let second = runs::insert(&store, &queued(code, "bulk", 20, 0, Some(20)), 1).await.unwrap().unwrap();
        let ClaimOutcome::Run(a) = runs::claim_next(&store, "bulk", "w", 30).await.unwrap() else { panic!("{code}: first claim") };
        assert_eq!((a.run.id, a.run.status, a.run.worker.as_deref()), (first, RunStatus::Running, Some("w")));
        assert_eq!(a.claim, 1, "{code}: the claim counter moved on from the queued run's");
        let ClaimOutcome::Run(b) = runs::claim_next(&store, "bulk", "w", 31).await.unwrap() else { panic!("{code}: second claim") };
        assert_eq!(b.run.id, second);
        let flagged = runs::kill_requested(&store, &[(a.run.id, a.claim)]).await.unwrap();
        assert_eq!(flagged.is_empty(), policy == ConcurrencyPolicy::Allow, "{code}: kill requests {flagged:?}");
    }
}

async fn a_stale_claim_cannot_overwrite_a_finished_run(store: Store) {
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

async fn kill_requests_close_waiting_runs_and_flag_running_ones(store: Store) {
    jobs::save(&store, &job("j", "default"), 1).await.unwrap();
    let waiting = runs::insert(&store, &queued("j", "default", 10, 0, None), 1).await.unwrap().unwrap();
    let running = runs::insert(&store, &queued("j", "default", 5, 0, None), 1).await.unwrap().unwrap();
    let ClaimOutcome::Run(c) = runs::claim_next(&store, "default", "w", 30).await.unwrap() else { panic!() };
    assert_eq!(c.run.id, running);
    assert_eq!(runs::request_kill(&store, waiting, 31).await.unwrap().status, RunStatus::Killed);
    assert_eq!(runs::request_kill(&store, running, 31).await.unwrap().status, RunStatus::Running);
    assert_eq!(runs::heartbeat(&store, &[(c.run.id, c.claim)], 32).await.unwrap(), vec![running]);
}

async fn purging_removes_only_old_finished_runs_of_the_given_statuses(store: Store) {
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

async fn lane_figures_count_running_and_queued_with_the_oldest_wait(store: Store) {
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

async fn concurrent_claimers_take_every_run_exactly_once(store: Store) {
    let mut j = job("busy", "default");
    j.concurrency = ConcurrencyPolicy::Allow;
    jobs::save(&store, &j, 1).await.unwrap();
    let news: Vec<NewRun> = (0..200).map(|i| queued("busy", "default", 1000 + i, (i % 3) as i32, Some(1000 + i))).collect();
    assert_eq!(runs::materialise(&store, "busy", &news, None, None, 1).await.unwrap().len(), 200);
    let mut tasks = Vec::new();
    for w in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                match runs::claim_next(&store, "default", &format!("w{w}"), 5000).await.unwrap() {
                    ClaimOutcome::Run(c) => got.push(c.run.id),
                    ClaimOutcome::Skipped(id) => panic!("an allow job skipped run {id}"),
                    ClaimOutcome::Empty => return got,
                }
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().copied().collect();
    assert_eq!(all.len(), 200, "claimed {} times in all", all.len());
    assert_eq!(unique.len(), 200, "a run was claimed twice");
    let running = RunFilter { statuses: Some(vec![RunStatus::Running]), ..Default::default() };
    assert_eq!(runs::count(&store, &running).await.unwrap(), 200);
    assert!(runs::running(&store).await.unwrap().iter().all(|c| c.claim == 1));
}

async fn concurrent_claimers_never_start_a_forbid_job_twice(store: Store) {
    jobs::save(&store, &job("solo", "default"), 1).await.unwrap();
    let news: Vec<NewRun> = (0..20).map(|i| queued("solo", "default", 100 + i, 0, Some(100 + i))).collect();
    runs::materialise(&store, "solo", &news, None, None, 1).await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut started = 0;
            loop {
                match runs::claim_next(&store, "default", &format!("w{w}"), 500).await.unwrap() {
                    ClaimOutcome::Run(_) => started += 1,
                    ClaimOutcome::Skipped(_) => {}
                    ClaimOutcome::Empty => return started,
                }
            }
        }));
    }
    let mut started = 0;
    for t in tasks {
        started += t.await.unwrap();
    }
    assert_eq!(started, 1, "a forbid job started {started} runs at once");
    // Consecutive skips of a scheduled run fold into one history entry with a count.
    let skipped = RunFilter { statuses: Some(vec![RunStatus::Skipped]), ..Default::default() };
    let entries = runs::list(&store, &skipped, RunSort::Id, Direction::Asc, Page { limit: 100, offset: 0 }).await.unwrap();
    let total: u32 = entries.iter().map(|r| r.missed_count.max(1)).sum();
    assert_eq!(total, 19, "{entries:?}");
}

async fn a_lease_has_one_holder_until_it_expires(store: Store) {
    const TTL: i64 = 10_000;
    assert!(leases::try_acquire_or_renew(&store, "scheduler", "a", TTL, 0).await.unwrap());
    assert!(!leases::try_acquire_or_renew(&store, "scheduler", "b", TTL, 1).await.unwrap());
    assert!(leases::try_acquire_or_renew(&store, "scheduler", "a", TTL, 5_000).await.unwrap(), "the holder renews");
    assert!(leases::try_acquire_or_renew(&store, "scheduler", "a", TTL, 5_000).await.unwrap(), "renewing with no change still counts");
    assert!(!leases::try_acquire_or_renew(&store, "scheduler", "b", TTL, 14_999).await.unwrap(), "renewed until 15 000");
    assert!(leases::try_acquire_or_renew(&store, "scheduler", "b", TTL, 15_001).await.unwrap(), "expired: taken over");
    assert!(!leases::try_acquire_or_renew(&store, "scheduler", "a", TTL, 15_002).await.unwrap(), "the old holder lost it");
    assert_eq!(leases::holder(&store, "scheduler").await.unwrap(), Some(("b".into(), 25_001)));
    assert!(leases::try_acquire_or_renew(&store, "other", "a", TTL, 15_003).await.unwrap(), "leases are independent");
    assert!(!leases::take_over(&store, "scheduler", "a", "c", TTL, 15_004).await.unwrap(), "a is not the holder");
    assert!(leases::take_over(&store, "scheduler", "b", "c", TTL, 15_004).await.unwrap());
    assert!(!leases::release(&store, "scheduler", "b").await.unwrap());
    assert!(leases::release(&store, "scheduler", "c").await.unwrap());
    assert!(leases::try_acquire_or_renew(&store, "scheduler", "a", TTL, 15_005).await.unwrap(), "released: free at once");
}

async fn contenders_for_a_free_lease_get_exactly_one_winner(store: Store) {
    let mut tasks = Vec::new();
    for w in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(
            async move { leases::try_acquire_or_renew(&store, "scheduler", &format!("n{w}"), 10_000, 100).await.unwrap() },
        ));
    }
    let mut winners = 0;
    for t in tasks {
        winners += t.await.unwrap() as usize;
    }
    assert_eq!(winners, 1);
}

async fn text_columns_round_trip_long_and_unicode_values(store: Store) {
    jobs::save(&store, &job("j", "default"), 1).await.unwrap();
    let id = runs::insert(&store, &queued("j", "default", 10, 0, None), 1).await.unwrap().unwrap();
    let ClaimOutcome::Run(c) = runs::claim_next(&store, "default", "w", 20).await.unwrap() else { panic!() };
    assert_eq!(c.run.id, id);
    let output = format!("{}\nGrüße, 日本, 🚀\n", "x".repeat(200_000));
    let done =
        Finish { status: RunStatus::Failed, exit_code: Some(3), output: Some(output.clone()), error: Some("exit 3: ünïcode".into()) };
    assert!(runs::finish(&store, id, c.claim, &done, 30).await.unwrap());
    let run = runs::require(&store, id).await.unwrap();
    assert_eq!((run.output.as_deref(), run.error.as_deref(), run.exit_code), (Some(output.as_str()), Some("exit 3: ünïcode"), Some(3)));

    settings::set(&store, settings::DRAINING, "1").await.unwrap();
    settings::set(&store, settings::DRAINING, "1").await.unwrap();
    assert!(settings::is_draining(&store).await.unwrap());
    assert_eq!(settings::get(&store, "nothing").await.unwrap(), None);

    let entry = audit::AuditEntry {
        id: 0,
        at: 5,
        subject: "admin@example.com".into(),
        role: "admin".into(),
        operation: "pauseJobs".into(),
        arguments: r#"{"codes":["j"],"note":"café"}"#.into(),
        outcome: "ok".into(),
    };
    audit::record(&store, &entry).await.unwrap();
    audit::record(&store, &audit::AuditEntry { at: 6, outcome: "FORBIDDEN: no".into(), ..entry.clone() }).await.unwrap();
    let found = audit::list(&store, Page { limit: 10, offset: 0 }).await.unwrap();
    assert_eq!(audit::count(&store).await.unwrap(), 2);
    assert_eq!(found[0].outcome, "FORBIDDEN: no", "newest first");
    assert_eq!(audit::AuditEntry { id: 0, ..found[1].clone() }, entry);

    let i = instances::Instance {
        id: "node-1:42:123:abcd".into(),
        node: "node-1".into(),
        pid: 42,
        pid_start: 123,
        role: "serve".into(),
        started_at: 100,
        heartbeat_at: 100,
        stopped_at: None,
        host: "web-1.example".into(),
        lane_slots: vec![("critical".into(), 4), ("default".into(), 2)],
        version: "0.1.0".into(),
    };
    instances::register(&store, &i).await.unwrap();
    assert_eq!(instances::get(&store, &i.id).await.unwrap().unwrap(), i, "registration reads back whole");
    instances::heartbeat(&store, &i.id, 200).await.unwrap();
    assert_eq!(instances::list_recent(&store, 150).await.unwrap().len(), 1);
    let beating = instances::get(&store, &i.id).await.unwrap().unwrap();
    assert_eq!(beating.status(250, 100), instances::InstanceStatus::Active);
    assert_eq!(beating.status(301, 100), instances::InstanceStatus::Lost, "silent past the expiry");
    instances::mark_stopped(&store, &i.id, 300).await.unwrap();
    let back = instances::get(&store, &i.id).await.unwrap().unwrap();
    assert_eq!((back.heartbeat_at, back.stopped_at), (200, Some(300)));
    assert_eq!(back.status(10_000, 100), instances::InstanceStatus::Stopped);
    assert_eq!(instances::prune(&store, 250).await.unwrap(), 1);
}

async fn history_queries_retries_and_cancels_agree(store: Store) {
    let mut j = job("j", "default");
    j.concurrency = ConcurrencyPolicy::Allow;
    jobs::save(&store, &j, 1).await.unwrap();
    jobs::save(&store, &job("k", "bulk"), 1).await.unwrap();
    for at in [100, 200, 300] {
        runs::insert(&store, &queued("j", "default", at, 0, Some(at)), 1).await.unwrap();
    }
    let mut pending = queued("k", "bulk", 10_000, 0, None);
    pending.status = RunStatus::Pending;
    let pending = runs::insert(&store, &pending, 1).await.unwrap().unwrap();
    let ClaimOutcome::Run(c) = runs::claim_next(&store, "default", "w", 400).await.unwrap() else { panic!() };
    assert_eq!(c.run.scheduled_at, 100);
    assert!(runs::set_process(&store, c.run.id, c.claim, 4242, 99).await.unwrap());
    let fail = Finish { status: RunStatus::Failed, exit_code: Some(1), output: None, error: Some("boom".into()) };
    assert!(runs::finish(&store, c.run.id, c.claim, &fail, 450).await.unwrap());
    let failed = runs::require(&store, c.run.id).await.unwrap();
    assert_eq!((failed.pid, failed.pid_start, failed.worker.as_deref()), (Some(4242), Some(99), Some("w")));
    let retry = runs::insert_retry(&store, &failed, 1000, 450).await.unwrap().expect("a retry");
    assert_eq!(runs::insert_retry(&store, &failed, 1000, 450).await.unwrap(), None, "idempotent per attempt");
    let retry = runs::require(&store, retry).await.unwrap();
    assert_eq!((retry.status, retry.attempt, retry.retry_of, retry.trigger), (RunStatus::Pending, 2, Some(failed.id), Trigger::Retry));

    let counts: HashSet<_> = runs::status_counts(&store, "j", 0).await.unwrap().into_iter().collect();
    assert_eq!(counts, HashSet::from([(RunStatus::Queued, 2), (RunStatus::Failed, 1), (RunStatus::Pending, 1)]));
    assert_eq!(runs::last_run(&store, "j").await.unwrap().map(|r| r.id), Some(failed.id));
    assert!(runs::has_active(&store, "j").await.unwrap());
    let j = ["j".to_string()];
    let lean = crate::store::timeline::timeline(&store, 150, 350, Some(&j), 500, Default::default()).await.unwrap();
    assert_eq!(lean.iter().map(|r| r.scheduled_at).collect::<Vec<_>>(), [100, 200, 300]);
    assert_eq!((lean[0].status, lean[0].exit_code, lean[0].error.as_deref()), (RunStatus::Failed, Some(1), None), "text columns left out");
    let detail = crate::store::timeline::TimelineDetail { error_and_worker: true };
    let full = crate::store::timeline::timeline(&store, 150, 350, Some(&j), 500, detail).await.unwrap();
    assert_eq!((full[0].error.as_deref(), full[0].worker.as_deref()), (Some("boom"), Some("w")));
    let mut expected = failed.clone();
    expected.output = None;
    (expected.heartbeat_at, expected.pid, expected.pid_start) = (None, None, None);
    assert_eq!(full[0], expected, "every column a timeline reads round-trips");
    // Folded: the two queued runs 100 ms apart join; the failure (started at 400) stands alone.
    let spans = crate::store::timeline::spans(&store, 150, 350, Some(&j), 500, 150).await.unwrap();
    let folded: Vec<_> = spans.iter().map(|s| (s.status, s.start, s.end, s.count)).collect();
    assert_eq!(folded, [(RunStatus::Queued, 200, 300, 2), (RunStatus::Failed, 400, 450, 1)]);
    assert_eq!((spans[1].first_run, spans[1].last_run), (failed.id, failed.id));
    let apart = crate::store::timeline::spans(&store, 150, 350, Some(&j), 500, 50).await.unwrap();
    assert_eq!(apart.len(), 3, "a gap longer than the resolution splits: {apart:?}");

    // The jobs grid's batched reads answer as the per-job ones do.
    let jk = ["j".to_string(), "k".to_string(), "none".to_string()];
    let counts_of = runs::status_counts_of(&store, &jk, 0).await.unwrap();
    assert_eq!(counts_of["j"].iter().cloned().collect::<HashSet<_>>(), counts);
    assert_eq!(counts_of["k"], runs::status_counts(&store, "k", 0).await.unwrap());
    assert!(!counts_of.contains_key("none"));
    let last = runs::last_runs_of(&store, &jk).await.unwrap();
    assert_eq!(last.get("j"), runs::last_run(&store, "j").await.unwrap().as_ref());
    assert_eq!(last.len(), 1, "k has only waiting runs, `none` no runs: {last:?}");
    let fires = jobs::next_fires(&store, &jk).await.unwrap();
    for code in &jk {
        assert_eq!(fires.get(code).copied(), jobs::next_fire(&store, code).await.unwrap(), "{code}");
    }
    let filter = RunFilter { job_codes: Some(vec!["j".into(), "k".into()]), from: Some(150), to: Some(20_000), ..Default::default() };
    let page = runs::list(&store, &filter, RunSort::ScheduledAt, Direction::Desc, Page { limit: 2, offset: 1 }).await.unwrap();
    assert_eq!(page.iter().map(|r| r.scheduled_at).collect::<Vec<_>>(), [1450, 300]);
    assert_eq!(runs::count(&store, &filter).await.unwrap(), 4);

    assert_eq!(runs::promote_due(&store, 9_999).await.unwrap(), 1, "the retry, due at 1450");
    assert_eq!(runs::promote_due(&store, 10_000).await.unwrap(), 1, "the pending run of k");
    assert_eq!(runs::require(&store, pending).await.unwrap().status, RunStatus::Queued);
    assert_eq!(runs::cancel_waiting(&store, "j", "job removed", 600).await.unwrap().len(), 3);
    assert!(!runs::has_active(&store, "j").await.unwrap());
    assert!(runs::running_of_job(&store, "j").await.unwrap().is_empty());

    let cursors = jobs::cursors(&store).await.unwrap();
    assert_eq!(cursors.len(), 2);
    assert_eq!(jobs::delete(&store, &["k".into(), "missing".into()]).await.unwrap(), 1);
    jobs::save_all(&store, &[job("m", "default")], &["j".into()], 700).await.unwrap();
    let codes: Vec<_> = jobs::all(&store).await.unwrap().into_iter().map(|j| j.code).collect();
    assert_eq!(codes, ["m"]);
}

conformance!(
    a_saved_job_reads_back_identically,
    job_filters_sorting_and_counts_agree,
    materialising_the_same_fire_time_twice_creates_one_run,
    claims_take_priority_then_due_time_and_only_from_their_lane,
    a_forbid_job_never_runs_twice_at_once,
    allow_and_replace_start_beside_a_running_run,
    a_stale_claim_cannot_overwrite_a_finished_run,
    kill_requests_close_waiting_runs_and_flag_running_ones,
    purging_removes_only_old_finished_runs_of_the_given_statuses,
    lane_figures_count_running_and_queued_with_the_oldest_wait,
    concurrent_claimers_take_every_run_exactly_once,
    concurrent_claimers_never_start_a_forbid_job_twice,
    a_lease_has_one_holder_until_it_expires,
    contenders_for_a_free_lease_get_exactly_one_winner,
    text_columns_round_trip_long_and_unicode_values,
    history_queries_retries_and_cancels_agree,
);

/// Two nodes starting at once on an empty MySQL/MariaDB database: both come up
/// (one waits for the other's migrations) instead of one failing on a
/// half-applied migration.
#[tokio::test]
async fn two_nodes_migrating_an_empty_mysql_database_at_once_both_succeed() {
    let Some(t) = crate::store::testing::empty(Backend::MySql).await else { return };
    let url = t.url().expect("a server database");
    let (a, b) = (Store::connect(&url).await.unwrap(), Store::connect(&url).await.unwrap());
    let (ra, rb) = tokio::join!(a.migrate(), b.migrate());
    ra.expect("first node migrates");
    rb.expect("second node migrates");
    assert!(jobs::all(&a).await.unwrap().is_empty(), "the schema is there");
    a.close().await;
    b.close().await;
}

/// SQLite's plan for `sql` with its placeholders bound to `binds`, one line per step.
async fn sqlite_plan(store: &Store, sql: &str, binds: &[super::Value]) -> Vec<String> {
    let sql = format!("EXPLAIN QUERY PLAN {sql}");
    let rows = super::bind(sqlx::query(&sql), binds).fetch_all(store.reader()).await.unwrap();
    rows.iter().map(|r| sqlx::Row::try_get::<String, _>(r, "detail").unwrap()).collect()
}

/// On SQLite a claim walks `runs_claimable` in its own order and stops at the
/// first entry: no sort of the lane's whole backlog per claim (a temp B-tree).
#[tokio::test]
async fn a_claim_on_sqlite_reads_the_index_in_order_without_sorting_the_backlog() {
    let (store, _dir) = crate::store::testing::sqlite_store().await;
    let plan = sqlite_plan(&store, &runs::claim_candidate_sql(&store), &["default".into()]).await;
    assert!(plan.iter().any(|d| d.contains("runs_claimable")), "{plan:?}");
    assert!(!plan.iter().any(|d| d.contains("TEMP B-TREE")), "{plan:?}");
}

/// The same for SQLite's one-statement claim, whose RUNNING check must also
/// read an index (`runs_job_status_time`), not scan the job's history.
#[tokio::test]
async fn the_one_statement_claim_on_sqlite_reads_indexes_only() {
    let (store, _dir) = crate::store::testing::sqlite_store().await;
    let binds = [1_i64.into(), 1_i64.into(), "w".into(), "default".into()];
    let plan = sqlite_plan(&store, runs::claim_unblocked_sql(), &binds).await;
    assert!(plan.iter().any(|d| d.contains("runs_claimable")), "{plan:?}");
    assert!(plan.iter().any(|d| d.contains("runs_job_status_time")), "{plan:?}");
    assert!(!plan.iter().any(|d| d.contains("TEMP B-TREE") || d.starts_with("SCAN")), "{plan:?}");
}
