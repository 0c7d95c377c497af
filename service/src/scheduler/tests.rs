//! Scheduler behaviour with an exact clock on a real SQLite store.

use std::sync::Arc;

use super::*;
use crate::clock::ManualClock;
use crate::domain::{ConcurrencyPolicy, Executor, Job, LaneName, MisfirePolicy, Trigger};
use crate::store::runs::RunFilter;
use crate::store::testing::sqlite_store;
use crate::store::{jobs, runs, Direction, Page};

const MIN: i64 = 60_000;
/// 2026-01-05 00:00:00 UTC, a Monday.
const T0: i64 = 1_767_571_200_000;

async fn setup(schedule: &str, misfire: MisfirePolicy) -> (Scheduler, Arc<ManualClock>, Store, tempfile::TempDir) {
    let (store, dir) = sqlite_store().await;
    let mut job = Job::new("j", LaneName::parse("default").unwrap(), Some(schedule.into()), Executor::Command { argv: vec!["true".into()], env: vec![], working_dir: None });
    job.misfire = misfire;
    job.concurrency = ConcurrencyPolicy::Allow;
    job.starting_deadline = Some(std::time::Duration::from_secs(600));
    jobs::save(&store, &job, T0).await.unwrap();
    let clock = ManualClock::at(T0 + 500);
    let s = Scheduler::new(store.clone(), clock.clone(), chrono_tz::UTC, Wakeups::new(["default"]), Events::new());
    (s, clock, store, dir)
}

async fn all_runs(store: &Store) -> Vec<crate::domain::Run> {
    runs::list(store, &RunFilter::default(), runs::RunSort::Id, Direction::Asc, Page { limit: 1000, offset: 0 }).await.unwrap()
}

#[tokio::test]
async fn each_fire_time_becomes_exactly_one_queued_run() {
    let (mut s, clock, store, _d) = setup("* * * * *", MisfirePolicy::RunOnce).await;
    s.tick().await.unwrap(); // starts the cursor at T0+1min
    for minute in 1..=3 {
        clock.set(T0 + minute * MIN + 5);
        assert_eq!(s.tick().await.unwrap().queued, 1);
        assert_eq!(s.tick().await.unwrap().queued, 0, "a second tick in the same minute queues nothing");
    }
    let found = all_runs(&store).await;
    assert_eq!(found.iter().map(|r| r.scheduled_at).collect::<Vec<_>>(), [T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN]);
    assert!(found.iter().all(|r| r.status == RunStatus::Queued && r.trigger == Trigger::Schedule));
}

#[tokio::test]
async fn a_restarted_scheduler_never_creates_the_same_run_twice() {
    let (mut s, clock, store, _d) = setup("* * * * *", MisfirePolicy::RunOnce).await;
    s.tick().await.unwrap();
    clock.set(T0 + MIN + 5);
    s.tick().await.unwrap();
    // A second scheduler over the same store, as after a restart or on a second node.
    let mut again = Scheduler::new(store.clone(), clock.clone(), chrono_tz::UTC, Wakeups::new(["default"]), Events::new());
    again.tick().await.unwrap();
    clock.set(T0 + 2 * MIN + 5);
    again.tick().await.unwrap();
    s.tick().await.unwrap();
    assert_eq!(all_runs(&store).await.len(), 2);
}

#[tokio::test]
async fn downtime_collapses_into_one_catch_up_and_one_missed_record() {
    let (mut s, clock, store, _d) = setup("* * * * *", MisfirePolicy::RunOnce).await;
    s.tick().await.unwrap();
    clock.set(T0 + 5 * MIN + 10_000); // down for five fire times
    s.tick().await.unwrap();
    let found = all_runs(&store).await;
    assert_eq!(found.len(), 2, "{found:?}");
    let missed = found.iter().find(|r| r.status == RunStatus::Missed).unwrap();
    assert_eq!(missed.missed_count, 4);
    let catch_up = found.iter().find(|r| r.status == RunStatus::Queued).unwrap();
    assert_eq!((catch_up.scheduled_at, catch_up.trigger), (T0 + 5 * MIN, Trigger::CatchUp));
}

#[tokio::test]
async fn a_downtime_longer_than_the_deadline_only_counts_misses() {
    let (mut s, clock, store, _d) = setup("* * * * *", MisfirePolicy::RunOnce).await;
    s.tick().await.unwrap();
    clock.set(T0 + 3 * 24 * 60 * MIN + 30 * 1000 + 1); // three days later, mid-minute
    s.tick().await.unwrap();
    let found = all_runs(&store).await;
    let missed: u32 = found.iter().filter(|r| r.status == RunStatus::Missed).map(|r| r.missed_count).sum();
    let ran = found.iter().filter(|r| r.status == RunStatus::Queued).count();
    assert_eq!(ran, 1, "the latest fire time, 30 s ago, still runs");
    assert_eq!(missed, 3 * 24 * 60 - 1);
    // And the schedule carries on normally afterwards: no cliff.
    clock.set(T0 + 3 * 24 * 60 * MIN + MIN + 10);
    assert_eq!(s.tick().await.unwrap().queued, 1);
}

#[tokio::test]
async fn skip_policy_records_downtime_as_missed_without_catching_up() {
    let (mut s, clock, store, _d) = setup("*/5 * * * *", MisfirePolicy::Skip).await;
    s.tick().await.unwrap();
    clock.set(T0 + 12 * MIN);
    s.tick().await.unwrap();
    let found = all_runs(&store).await;
    assert!(found.iter().all(|r| r.status == RunStatus::Missed), "{found:?}");
    assert_eq!(found.iter().map(|r| r.missed_count).sum::<u32>(), 2);
}

#[tokio::test]
async fn paused_jobs_are_not_scheduled_and_resume_without_a_backlog() {
    let (mut s, clock, store, _d) = setup("* * * * *", MisfirePolicy::RunOnce).await;
    jobs::set_paused(&store, &["j".into()], true, T0 + 1).await.unwrap();
    s.tick().await.unwrap();
    clock.set(T0 + 10 * MIN + 5);
    s.tick().await.unwrap();
    assert!(all_runs(&store).await.is_empty());
    jobs::set_paused(&store, &["j".into()], false, T0 + 10 * MIN + 6).await.unwrap();
    s.tick().await.unwrap();
    clock.set(T0 + 11 * MIN + 5);
    s.tick().await.unwrap();
    let found = all_runs(&store).await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].status, RunStatus::Queued);
}

#[tokio::test]
async fn pending_runs_are_queued_when_their_time_comes() {
    let (mut s, clock, store, _d) = setup("0 0 1 1 *", MisfirePolicy::RunOnce).await;
    let new = runs::NewRun::manual("j", "default", RunStatus::Pending, T0 + 2 * MIN);
    let id = runs::insert(&store, &new, T0).await.unwrap().unwrap();
    clock.set(T0 + MIN);
    s.tick().await.unwrap();
    assert_eq!(runs::require(&store, id).await.unwrap().status, RunStatus::Pending);
    clock.set(T0 + 2 * MIN);
    assert_eq!(s.tick().await.unwrap().promoted, 1);
    assert_eq!(runs::require(&store, id).await.unwrap().status, RunStatus::Queued);
}

#[tokio::test]
async fn a_catch_up_is_not_lost_when_only_older_fire_times_were_missed() {
    // Hourly job, down for three hours, back ten minutes after the hour: the
    // latest fire time is within the deadline and must run; the older ones are missed.
    let (store, _dir) = sqlite_store().await;
    let mut job = Job::new("hourly", LaneName::parse("default").unwrap(), Some("0 * * * *".into()), Executor::Command { argv: vec!["true".into()], env: vec![], working_dir: None });
    job.starting_deadline = Some(std::time::Duration::from_secs(15 * 60));
    jobs::save(&store, &job, T0).await.unwrap();
    let clock = ManualClock::at(T0 + 500);
    let mut s = Scheduler::new(store.clone(), clock.clone(), chrono_tz::UTC, Wakeups::new(["default"]), Events::new());
    s.tick().await.unwrap();
    clock.set(T0 + 3 * 60 * MIN + 10 * MIN);
    let report = s.tick().await.unwrap();
    assert_eq!(report.queued, 1);
    let found = all_runs(&store).await;
    let queued: Vec<_> = found.iter().filter(|r| r.status == RunStatus::Queued).collect();
    assert_eq!(queued.len(), 1, "{found:?}");
    assert_eq!(queued[0].scheduled_at, T0 + 3 * 60 * MIN);
    let missed: u32 = found.iter().filter(|r| r.status == RunStatus::Missed).map(|r| r.missed_count).sum();
    assert_eq!(missed, 2);
}

#[tokio::test]
async fn scheduled_runs_that_wait_past_their_deadline_expire_but_manual_runs_do_not() {
    let (mut s, clock, store, _d) = setup("* * * * *", MisfirePolicy::RunOnce).await;
    s.tick().await.unwrap();
    clock.set(T0 + MIN + 5);
    s.tick().await.unwrap();
    let manual = runs::NewRun::manual("j", "default", RunStatus::Queued, T0 + MIN);
    let manual = runs::insert(&store, &manual, T0 + MIN).await.unwrap().unwrap();
    // Nothing claims (no workers): eleven minutes later the first scheduled run
    // is past the job's ten-minute starting deadline.
    clock.set(T0 + 12 * MIN);
    assert!(s.tick().await.unwrap().expired >= 1);
    let first = all_runs(&store).await.into_iter().find(|r| r.scheduled_at == T0 + MIN && r.trigger == Trigger::Schedule).unwrap();
    assert_eq!(first.status, RunStatus::Missed);
    assert_eq!(runs::require(&store, manual).await.unwrap().status, RunStatus::Queued);
}

#[tokio::test]
async fn the_expiry_bound_is_the_shortest_deadline_of_all_jobs_paused_ones_included() {
    // Job "j" has a 10-minute deadline; a paused job with a 2-minute one must
    // still see its waiting run expire: the bound that keeps the expiry pass
    // cheap must not hide it.
    let (mut s, clock, store, _d) = setup("0 0 1 1 *", MisfirePolicy::RunOnce).await;
    let mut quick = Job::new("quick", LaneName::parse("default").unwrap(), Some("* * * * *".into()), Executor::Command { argv: vec!["true".into()], env: vec![], working_dir: None });
    quick.starting_deadline = Some(std::time::Duration::from_secs(120));
    quick.paused = true;
    jobs::save(&store, &quick, T0).await.unwrap();
    let mut waiting = runs::NewRun::manual("quick", "default", RunStatus::Queued, T0);
    waiting.trigger = Trigger::Schedule;
    waiting.fire_key = Some(T0);
    let id = runs::insert(&store, &waiting, T0).await.unwrap().unwrap();
    s.tick().await.unwrap();
    clock.set(T0 + 90_000);
    s.tick().await.unwrap();
    assert_eq!(runs::require(&store, id).await.unwrap().status, RunStatus::Queued, "not yet past 2 minutes");
    clock.set(T0 + 3 * MIN);
    assert_eq!(s.tick().await.unwrap().expired, 1);
    assert_eq!(runs::require(&store, id).await.unwrap().status, RunStatus::Missed);
}

/// Two schedulers on one store, each with its own lease holder, on one clock.
async fn two_leaders() -> (Scheduler, Scheduler, Arc<ManualClock>, Store, tempfile::TempDir) {
    let (s, clock, store, dir) = setup("* * * * *", MisfirePolicy::RunOnce).await;
    let a = s.with_leader(leader::Leader::new(store.clone(), leader::SCHEDULER_LEASE, "node-a"));
    let b = Scheduler::new(store.clone(), clock.clone(), chrono_tz::UTC, Wakeups::new(["default"]), Events::new())
        .with_leader(leader::Leader::new(store.clone(), leader::SCHEDULER_LEASE, "node-b"));
    (a, b, clock, store, dir)
}

#[tokio::test]
async fn a_store_that_does_not_answer_fails_the_tick_instead_of_passing_it_as_following() {
    let (mut a, _b, _clock, store, _d) = two_leaders().await;
    assert!(a.tick().await.unwrap().leading);
    store.close().await;
    assert!(a.tick().await.is_err(), "readiness hangs on this: a follower is ready, a leader cut off from its store is not");
}

#[tokio::test]
async fn only_the_lease_holder_materialises() {
    let (mut a, mut b, clock, store, _d) = two_leaders().await;
    assert!(a.tick().await.unwrap().leading);
    assert!(!b.tick().await.unwrap().leading, "the lease is taken");
    for minute in 1..=3 {
        clock.set(T0 + minute * MIN + 5);
        let (ra, rb) = (a.tick().await.unwrap(), b.tick().await.unwrap());
        assert_eq!((ra.leading, ra.queued), (true, 1));
        assert_eq!((rb.leading, rb.queued), (false, 0));
    }
    assert_eq!(all_runs(&store).await.len(), 3);
}

#[tokio::test]
async fn a_follower_takes_over_when_the_leader_stops_renewing_without_losing_or_doubling_a_fire_time() {
    let (mut a, mut b, clock, store, _d) = two_leaders().await;
    a.tick().await.unwrap();
    clock.set(T0 + MIN + 5);
    assert_eq!(a.tick().await.unwrap().queued, 1);
    // The leader's last renewal, 3 s before the next fire time; then it dies.
    clock.set(T0 + 2 * MIN - 3_000);
    assert!(a.tick().await.unwrap().leading);
    drop(a);
    let ttl = leader::LEASE_TTL.as_millis() as i64;
    let expiry = T0 + 2 * MIN - 3_000 + ttl;
    // The follower ticks every second; it leads only once the lease has expired,
    // at most one tick after.
    let mut t = T0 + 2 * MIN - 2_000;
    loop {
        clock.set(t);
        let report = b.tick().await.unwrap();
        if report.leading {
            assert!(t > expiry && t <= expiry + 1_000, "took over at {t}, lease expired at {expiry}");
            assert_eq!(report.queued, 1, "the fire time that passed during the gap still runs");
            break;
        }
        assert!(t <= expiry, "not leading at {t}, after the lease expired at {expiry}");
        t += 1_000;
    }
    assert!(t - (T0 + 2 * MIN - 3_000) <= 15_000, "a follower takes over within 15 s");
    clock.set(T0 + 3 * MIN + 5);
    assert_eq!(b.tick().await.unwrap().queued, 1);
    let found = all_runs(&store).await;
    assert_eq!(found.iter().map(|r| r.scheduled_at).collect::<Vec<_>>(), [T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN], "{found:?}");
    assert!(found.iter().all(|r| r.status == RunStatus::Queued && r.trigger == Trigger::Schedule), "{found:?}");
}

#[tokio::test]
async fn a_leader_that_stops_cleanly_hands_over_at_the_next_tick() {
    let (mut a, mut b, clock, store, _d) = two_leaders().await;
    a.tick().await.unwrap();
    assert!(!b.tick().await.unwrap().leading);
    let stop = tokio_util::sync::CancellationToken::new();
    stop.cancel();
    a.run(stop).await; // one tick, then releases the lease
    clock.set(T0 + MIN + 5);
    let report = b.tick().await.unwrap();
    assert_eq!((report.leading, report.queued), (true, 1));
    assert_eq!(all_runs(&store).await.len(), 1);
}

/// Several processes sharing a database: only the holder of the retention
/// lease purges (the others would only fight over the same rows).
#[tokio::test]
async fn retention_purges_only_in_the_process_holding_its_lease() {
    use crate::config::RetentionConfig;
    use crate::store::runs::{ClaimOutcome, Finish, NewRun};
    let (s, clock, store, _d) = setup("0 3 * * *", MisfirePolicy::RunOnce).await;
    drop(s);
    runs::insert(&store, &NewRun::manual("j", "default", RunStatus::Queued, T0), T0).await.unwrap();
    let ClaimOutcome::Run(c) = runs::claim_next(&store, "default", "w", T0).await.unwrap() else { panic!("no claim") };
    let done = Finish { status: RunStatus::Succeeded, exit_code: Some(0), output: None, error: None };
    assert!(runs::finish(&store, c.run.id, c.claim, &done, T0).await.unwrap());
    clock.set(T0 + 40 * 24 * 60 * MIN);
    let day = std::time::Duration::from_secs(24 * 3600);
    let r = RetentionConfig { succeeded: day, other: day, audit: day, resolved_alerts: day, notifications: day, purge_batch: 10 };

    // Another process holds the lease: this one leaves the old run alone.
    let ttl = std::time::Duration::from_secs(600);
    assert!(leader::try_acquire_or_renew(&store, retention::RETENTION_LEASE, "other", ttl, T0 + 40 * 24 * 60 * MIN).await.unwrap());
    let stop = tokio_util::sync::CancellationToken::new();
    let follower = tokio::spawn(retention::run(store.clone(), clock.clone(), r.clone(), "follower".into(), stop.clone()));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(all_runs(&store).await.len(), 1, "a process without the lease purged");
    stop.cancel();
    follower.await.unwrap();

    // The lease is free: the next process takes it and purges.
    crate::store::leases::release(&store, retention::RETENTION_LEASE, "other").await.unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let holder = tokio::spawn(retention::run(store.clone(), clock.clone(), r, "holder".into(), stop.clone()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !all_runs(&store).await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the lease holder never purged");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    stop.cancel();
    holder.await.unwrap();
    assert_eq!(crate::store::leases::holder(&store, retention::RETENTION_LEASE).await.unwrap(), None, "released at shutdown");
}
