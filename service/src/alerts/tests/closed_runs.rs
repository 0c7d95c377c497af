//! Runs closed in bulk, without a worker, still reach the alert rules: a
//! scheduled run expired MISSED after waiting past its starting deadline, and
//! waiting runs closed SKIPPED when their job is removed.

use super::*;
use crate::events::Events;
use crate::scheduler::Scheduler;
use crate::wakeups::Wakeups;

/// Feeds every run event sent so far to the harness's evaluator.
async fn judge(h: &Harness, rx: &mut tokio::sync::broadcast::Receiver<RunEvent>) -> Vec<RunStatus> {
    let mut seen = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        seen.push(ev.status);
        h.eval.on_run_event(&ev).await.unwrap();
    }
    seen
}

#[tokio::test]
async fn a_scheduled_run_expired_missed_fires_a_rule_scoped_to_missed_once() {
    let h = harness(&[rule("name = 'missed'\nwhen = 'run_failed'\nstatuses = ['MISSED']\njobs = ['nightly']\nchannels = ['ops']", &["ops"])]).await;
    let mut nightly = job("nightly");
    nightly.schedule = Some("0 3 * * *".into());
    nightly.starting_deadline = Some(Duration::from_secs(600));
    store::jobs::save(&h.store, &nightly, T0 - 7_200_000).await.unwrap();
    // Due two hours ago, still QUEUED in a lane that never had a free slot.
    let stale = runs::NewRun { trigger: crate::domain::Trigger::Schedule, fire_key: Some(T0 - 7_200_000), ..NewRun::manual("nightly", "default", RunStatus::Queued, T0 - 7_200_000) };
    let id = runs::insert(&h.store, &stale, T0 - 7_200_000).await.unwrap().unwrap();

    let events = Events::new();
    let mut rx = events.subscribe_runs();
    let mut scheduler = Scheduler::new(h.store.clone(), h.clock.clone(), chrono_tz::UTC, Wakeups::new(["default"]), events);
    assert_eq!(scheduler.tick().await.unwrap().expired, 1);
    assert_eq!(runs::get(&h.store, id).await.unwrap().unwrap().status, RunStatus::Missed);
    assert!(judge(&h, &mut rx).await.contains(&RunStatus::Missed), "the expiry announced the run");

    let alerts = h.alerts().await;
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!((alerts[0].subject.as_str(), alerts[0].state, alerts[0].detail.run_id), ("job:nightly", AlertState::Open, Some(id)));
    assert_eq!(alerts[0].detail.status.as_deref(), Some("MISSED"));

    // The next expiry pass finds nothing more: no second alert, no repeat.
    h.clock.advance(60_000);
    assert_eq!(scheduler.tick().await.unwrap().expired, 0);
    judge(&h, &mut rx).await;
    assert_eq!(h.alerts().await.len(), 1);
    assert_eq!(h.notified().await, [(NotifyEvent::Opened, alerts[0].id)], "opened once, on channel ops");
}

#[tokio::test]
async fn waiting_runs_closed_skipped_by_a_job_removal_are_announced() {
    let h = harness(&[rule("name = 'skips'\nwhen = 'run_failed'\nstatuses = ['SKIPPED']\nchannels = ['ops']", &["ops"])]).await;
    store::jobs::save(&h.store, &job("gone"), T0).await.unwrap();
    let waiting = runs::insert(&h.store, &NewRun::manual("gone", "default", RunStatus::Queued, T0), T0).await.unwrap().unwrap();
    let closed = runs::cancel_waiting(&h.store, "gone", "job removed", T0).await.unwrap();
    assert_eq!(closed.iter().map(|c| (c.id, c.job_code.as_str(), c.lane.as_str())).collect::<Vec<_>>(), [(waiting, "gone", "default")]);
    h.eval.on_run_event(&closed[0].event(RunStatus::Skipped, T0)).await.unwrap();
    let alerts = h.alerts().await;
    assert_eq!((alerts.len(), alerts[0].detail.status.as_deref()), (1, Some("SKIPPED")));
    assert!(runs::cancel_waiting(&h.store, "gone", "again", T0).await.unwrap().is_empty(), "closed once");
}
