//! Conformance cases for consumers, their fenced slots and depth samples, on
//! every backend (see `tests.rs`).

use super::consumers::{self as c, DepthSample, Exited, Started};
use super::testing::conformance;
use super::Store;
use crate::consumers::definition::{ConsumerDefinition, ConsumerSource, StoredConsumer};

const TTL: i64 = 10_000;

async fn a_consumer_slot_has_one_holder_and_a_stale_holder_can_write_nothing(store: Store) {
    let (before, a) = c::try_claim(&store, "export", 0, "node-a:1:1:b", None, TTL, 1_000)
        .await
        .unwrap()
        .expect("a free slot is taken");
    assert_eq!((before.holder, a.fence), (None, 1));
    assert!(
        c::try_claim(&store, "export", 0, "node-b:2:2:b", None, TTL, 2_000)
            .await
            .unwrap()
            .is_none(),
        "held and not expired"
    );
    let started = Started {
        node: "node-a",
        pid: 4242,
        pid_start: 77,
        boot: "b",
        generation: 0,
        restart: false,
    };
    assert!(c::record_start(&store, &a, &started, 2_000).await.unwrap());
    assert!(c::renew(&store, &a, TTL, 5_000).await.unwrap());

    // A stalls past its lease; B takes the slot over and sees what A left.
    let (seen, b) = c::try_claim(&store, "export", 0, "node-b:2:2:b", None, TTL, 16_000)
        .await
        .unwrap()
        .expect("an expired slot is taken");
    assert_eq!(
        (seen.holder.as_deref(), seen.pid, seen.pid_start, b.fence),
        (Some("node-a:1:1:b"), Some(4242), Some(77), 2)
    );
    assert!(
        !c::renew(&store, &a, TTL, 16_500).await.unwrap(),
        "the old holder learns it lost the slot"
    );
    let exit = Exited {
        code: Some(0),
        reason: "late",
        output_tail: "",
        failures: 0,
        state: "running",
        next_start_at: None,
    };
    assert!(!c::record_exit(&store, &a, &exit, 16_600).await.unwrap());
    assert!(!c::release(&store, &a).await.unwrap());
    assert!(c::record_start(
        &store,
        &b,
        &Started {
            pid: 5151,
            ..started
        },
        17_000
    )
    .await
    .unwrap());
    let slot = &c::slots_of(&store, "export").await.unwrap()[0];
    assert_eq!(
        (slot.holder.as_deref(), slot.pid, slot.restarts),
        (Some("node-b:2:2:b"), Some(5151), 0)
    );

    // A dead holder named by the caller is taken over at once.
    let (_, d) = c::try_claim(
        &store,
        "export",
        0,
        "node-b:3:3:b",
        Some("node-b:2:2:b"),
        TTL,
        17_100,
    )
    .await
    .unwrap()
    .expect("taken from a dead holder");
    assert_eq!(d.fence, 3);
    assert!(c::release(&store, &d).await.unwrap());
    let slot = &c::slots_of(&store, "export").await.unwrap()[0];
    assert_eq!(
        (slot.holder.as_deref(), slot.pid, slot.state.as_str()),
        (None, None, "free")
    );
    assert_eq!(
        c::delete_free_slots_from(&store, "export", 0)
            .await
            .unwrap(),
        1
    );
}

async fn contenders_for_a_free_slot_get_exactly_one_winner(store: Store) {
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            c::try_claim(&store, "race", 0, &format!("n:{i}:1:b"), None, TTL, 1_000)
                .await
                .unwrap()
                .is_some()
        }));
    }
    let mut winners = 0;
    for t in tasks {
        winners += t.await.unwrap() as usize;
    }
    assert_eq!(winners, 1);
}

async fn consumers_round_trip_with_their_switches(store: Store) {
    let mut def = ConsumerDefinition::new("async.operations.all");
    def.instances = 3;
    def.idle_timeout = Some(std::time::Duration::from_secs(30));
    let mut stored = StoredConsumer::new(def, ConsumerSource::Magento, 10);
    stored.overrides = vec!["instances".into()];
    c::save_all(&store, std::slice::from_ref(&stored), &[])
        .await
        .unwrap();
    assert_eq!(
        c::get(&store, "async.operations.all")
            .await
            .unwrap()
            .unwrap(),
        stored
    );

    assert_eq!(c::bump_generation(&store, None, 20).await.unwrap(), 1);
    assert!(c::park(
        &store,
        "async.operations.all",
        "crash loop: 5 failed starts",
        30
    )
    .await
    .unwrap());
    assert!(
        !c::park(&store, "async.operations.all", "again", 31)
            .await
            .unwrap(),
        "the first reason stays"
    );
    assert!(c::set_stopped(&store, "async.operations.all", true, 40)
        .await
        .unwrap());
    let back = c::get(&store, "async.operations.all")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            back.restart_generation,
            back.parked_reason.as_deref(),
            back.stopped
        ),
        (1, Some("crash loop: 5 failed starts"), true)
    );
    assert!(c::set_stopped(&store, "async.operations.all", false, 50)
        .await
        .unwrap());
    let back = c::get(&store, "async.operations.all")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (back.parked_at, back.stopped),
        (None, false),
        "starting unparks"
    );
    assert!(!c::set_stopped(&store, "nope", true, 60).await.unwrap());

    c::save_all(&store, &[], &["async.operations.all".to_string()])
        .await
        .unwrap();
    assert!(c::list(&store).await.unwrap().is_empty());
}

async fn depth_samples_are_kept_in_time_order_and_purged(store: Store) {
    let sample = |at, ready| DepthSample {
        queue: "export".into(),
        transport: "mysql".into(),
        at,
        ready: Some(ready),
        in_flight: Some(1),
        errored: None,
    };
    c::insert_samples(&store, &[sample(300, 3), sample(100, 1), sample(200, 2)])
        .await
        .unwrap();
    let found = c::samples(&store, "export", 150, 100).await.unwrap();
    assert_eq!(
        found.iter().map(|s| (s.at, s.ready)).collect::<Vec<_>>(),
        [(200, Some(2)), (300, Some(3))]
    );
    assert_eq!(found[0].errored, None);
    assert_eq!(c::purge_samples(&store, 250).await.unwrap(), 2);
    assert_eq!(c::samples(&store, "export", 0, 100).await.unwrap().len(), 1);
}

conformance!(
    a_consumer_slot_has_one_holder_and_a_stale_holder_can_write_nothing,
    contenders_for_a_free_slot_get_exactly_one_winner,
    consumers_round_trip_with_their_switches,
    depth_samples_are_kept_in_time_order_and_purged,
);
