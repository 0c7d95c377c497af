//! Conformance cases for what dispatch needs from the store: claiming a run by
//! id (AMQP messages name runs) and the publisher's view of QUEUED runs. Run
//! on SQLite, PostgreSQL and MySQL like `tests.rs`.

use std::collections::HashSet;

use super::runs::{self, ClaimById, ClaimOutcome, Finish, NewRun};
use super::testing::conformance;
use super::{jobs, publish, Store};
use crate::domain::{ConcurrencyPolicy, Executor, Job, LaneName, RunStatus};

fn job(code: &str, lane: &str, concurrency: ConcurrencyPolicy) -> Job {
    let mut j = Job::new(code, LaneName::parse(lane).unwrap(), Some("* * * * *".into()), Executor::Command { argv: vec!["true".into()], env: vec![], working_dir: None });
    j.concurrency = concurrency;
    j
}

async fn queue(store: &Store, code: &str, lane: &str, at: i64) -> i64 {
    runs::insert(store, &NewRun::manual(code, lane, RunStatus::Queued, at), at).await.unwrap().unwrap()
}

async fn a_claim_by_id_takes_only_a_waiting_run_of_its_lane(store: Store) {
    jobs::save(&store, &job("j", "default", ConcurrencyPolicy::Allow), 1).await.unwrap();
    let id = queue(&store, "j", "default", 100).await;
    assert!(matches!(runs::claim_by_id(&store, id, "critical", "w1", 200).await.unwrap(), ClaimById::OtherLane(l) if l == "default"));
    let ClaimById::Claimed(ClaimOutcome::Run(claimed)) = runs::claim_by_id(&store, id, "default", "w1", 200).await.unwrap() else { panic!("not claimed") };
    assert_eq!((claimed.run.id, claimed.run.status, claimed.claim, claimed.run.worker.as_deref()), (id, RunStatus::Running, 1, Some("w1")));
    // The same id again (a redelivered message): taken, and said so.
    assert!(matches!(runs::claim_by_id(&store, id, "default", "w2", 300).await.unwrap(), ClaimById::NotWaiting(RunStatus::Running)));
    let done = Finish { status: RunStatus::Succeeded, exit_code: Some(0), output: None, error: None };
    assert!(runs::finish(&store, id, 1, &done, 400).await.unwrap());
    assert!(matches!(runs::claim_by_id(&store, id, "default", "w2", 500).await.unwrap(), ClaimById::NotWaiting(RunStatus::Succeeded)));
    assert!(matches!(runs::claim_by_id(&store, 987_654, "default", "w2", 500).await.unwrap(), ClaimById::Unknown));
}

async fn a_claim_by_id_applies_forbid_like_the_embedded_queue(store: Store) {
    jobs::save(&store, &job("solo", "default", ConcurrencyPolicy::Forbid), 1).await.unwrap();
    let first = queue(&store, "solo", "default", 100).await;
    let second = queue(&store, "solo", "default", 110).await;
    assert!(matches!(runs::claim_by_id(&store, first, "default", "w1", 200).await.unwrap(), ClaimById::Claimed(ClaimOutcome::Run(_))));
    let ClaimById::Claimed(ClaimOutcome::Skipped(entry)) = runs::claim_by_id(&store, second, "default", "w2", 210).await.unwrap() else { panic!("not skipped") };
    assert_eq!(runs::require(&store, entry).await.unwrap().status, RunStatus::Skipped);
}

async fn concurrent_claims_of_one_id_start_it_once(store: Store) {
    jobs::save(&store, &job("dup", "default", ConcurrencyPolicy::Allow), 1).await.unwrap();
    let ids: Vec<i64> = futures::future::join_all((0..40).map(|i| queue(&store, "dup", "default", 100 + i))).await;
    // Every id handed to four workers at once, as duplicate messages would be.
    let mut tasks = Vec::new();
    for w in 0..4 {
        let (store, ids) = (store.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            let mut started = Vec::new();
            for id in ids {
                loop {
                    match runs::claim_by_id(&store, id, "default", &format!("w{w}"), 1000).await.unwrap() {
                        ClaimById::Claimed(ClaimOutcome::Run(c)) => started.push(c.run.id),
                        ClaimById::Locked => {
                            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                            continue;
                        }
                        ClaimById::NotWaiting(RunStatus::Running) => {}
                        other => panic!("unexpected {other:?}"),
                    }
                    break;
                }
            }
            started
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    assert_eq!(all.len(), 40, "started {} times for 40 runs", all.len());
    assert_eq!(all.iter().copied().collect::<HashSet<_>>().len(), 40);
}

async fn queued_runs_wait_to_be_published_until_confirmed(store: Store) {
    jobs::save(&store, &job("p", "default", ConcurrencyPolicy::Allow), 1).await.unwrap();
    let a = queue(&store, "p", "default", 100).await;
    let b = queue(&store, "p", "bulk", 100).await;
    let pending = runs::insert(&store, &NewRun::manual("p", "default", RunStatus::Pending, 9_000), 100).await.unwrap().unwrap();
    let listed: Vec<i64> = publish::unpublished(&store, 10).await.unwrap().iter().map(|r| r.id).collect();
    assert_eq!(listed, vec![a, b], "PENDING runs wait for their time first");
    assert_eq!(publish::mark_published(&store, &[a], 1_000).await.unwrap(), 1);
    assert_eq!(publish::unpublished(&store, 10).await.unwrap(), vec![publish::ToPublish { id: b, lane: "bulk".into(), priority: 0 }]);
    assert_eq!(publish::published_at(&store, a).await.unwrap(), Some(1_000));
    // Still waiting long after: listed for publishing again, per lane.
    assert_eq!(publish::published_before(&store, "default", 2_000, 10).await.unwrap().len(), 1);
    assert!(publish::published_before(&store, "default", 1_000, 10).await.unwrap().is_empty());
    assert!(publish::published_before(&store, "bulk", 2_000, 10).await.unwrap().is_empty(), "never published is not republished");
    // A run promoted from PENDING joins the unpublished ones.
    runs::promote_due(&store, 10_000).await.unwrap();
    assert!(publish::unpublished(&store, 10).await.unwrap().iter().any(|r| r.id == pending));
}

conformance!(
    a_claim_by_id_takes_only_a_waiting_run_of_its_lane,
    a_claim_by_id_applies_forbid_like_the_embedded_queue,
    concurrent_claims_of_one_id_start_it_once,
    queued_runs_wait_to_be_published_until_confirmed,
);
