//! Conformance cases for alert channels and the retention of alerting
//! history, on every backend (see `tests.rs`). MySQL hands TEXT columns back
//! as bytes: these cases read every one of them.

use super::alert_channels::{self as ch, SOURCE_API, SOURCE_CONFIG};
use super::alerts as a;
use super::audit::{self, AuditEntry};
use super::testing::conformance;
use super::{Page, Store};
use crate::alerts::channel::ChannelConfig;
use crate::alerts::model::{Observation, Subject};
use crate::alerts::rule::{Rule, RuleInput};
use crate::alerts::DeliveryStatus;

fn channel(name: &str, kind: &str, url: &str, secret: Option<&str>) -> ChannelConfig {
    ChannelConfig::parse(name, kind, url, secret).unwrap()
}

async fn api_channels_keep_their_secrets_and_the_file_wins_a_name(store: Store) {
    let hook = channel("hook", "webhook", "https://receiver.test/path-SECRET", Some("0123456789abcdef-KEY"));
    assert!(ch::create_api_channel(&store, &hook, 1_000).await.unwrap());
    assert!(!ch::create_api_channel(&store, &hook, 1_001).await.unwrap(), "a name is taken once");
    let slack = channel("ops", "slack", "https://hooks.slack.com/services/T/B/X", None);
    assert_eq!(ch::save_config_channels(&store, &[slack.clone()], 2_000).await.unwrap(), Vec::<String>::new());

    let rows = ch::list_channels(&store).await.unwrap();
    assert_eq!(rows.iter().map(|r| (r.name.as_str(), r.source.as_str(), r.signed)).collect::<Vec<_>>(), [("hook", SOURCE_API, true), ("ops", SOURCE_CONFIG, false)]);
    assert_eq!(rows[0].url_masked, "https://receiver.test/…");
    assert!(!format!("{rows:?}").contains("SECRET") && !format!("{rows:?}").contains("KEY"), "{rows:?}");
    assert_eq!(ch::api_channel(&store, "hook").await.unwrap(), Some(hook.clone()));
    assert_eq!(ch::api_channel(&store, "ops").await.unwrap(), None, "a config channel's URL is only in the file");

    let moved = channel("hook", "webhook", "https://elsewhere.test/new", Some("0123456789abcdef-KEY"));
    assert!(ch::update_api_channel(&store, &moved, 3_000).await.unwrap());
    assert!(!ch::update_api_channel(&store, &slack, 3_000).await.unwrap(), "config channels are not updated here");
    let row = ch::get_channel(&store, "hook").await.unwrap().unwrap();
    assert_eq!((row.url_masked.as_str(), row.created_at, row.updated_at), ("https://elsewhere.test/…", 1_000, 3_000));

    // A later start declares `hook` in the file: the file's replaces the API's.
    let from_file = channel("hook", "slack", "https://hooks.slack.com/services/T/B/Y", None);
    assert_eq!(ch::save_config_channels(&store, &[slack, from_file], 4_000).await.unwrap(), ["hook"]);
    assert_eq!(ch::api_channel(&store, "hook").await.unwrap(), None);
    assert!(!ch::delete_api_channel(&store, "hook").await.unwrap());
    assert_eq!(ch::save_config_channels(&store, &[], 5_000).await.unwrap(), Vec::<String>::new());
    assert!(ch::list_channels(&store).await.unwrap().is_empty());

    assert!(ch::create_api_channel(&store, &hook, 6_000).await.unwrap());
    assert!(ch::delete_api_channel(&store, "hook").await.unwrap());
    assert!(ch::get_channel(&store, "hook").await.unwrap().is_none());
}

fn rule() -> Rule {
    let input = RuleInput { name: "r".into(), when: "run_failed".into(), channels: vec!["ops".into()], ..Default::default() };
    Rule::from_input(&input, &["ops".to_string()]).unwrap()
}

async fn alert_history_is_purged_by_age_and_state_in_batches(store: Store) {
    let day = 86_400_000;
    let now = 100 * day;
    for (i, at) in [now - 95 * day, now - 91 * day, now - 10 * day].into_iter().enumerate() {
        let e = AuditEntry { id: 0, at, subject: "s".into(), role: "admin".into(), operation: format!("op{i}"), arguments: "{}".into(), outcome: "ok".into() };
        audit::record(&store, &e).await.unwrap();
    }
    assert_eq!(audit::purge_batch(&store, now - 90 * day, 1).await.unwrap(), 1, "one batch of one");
    assert_eq!(audit::purge_batch(&store, now - 90 * day, 10).await.unwrap(), 1);
    let kept = audit::list(&store, Page { limit: 10, offset: 0 }).await.unwrap();
    assert_eq!(kept.iter().map(|e| e.operation.as_str()).collect::<Vec<_>>(), ["op2"]);

    // An alert resolved 40 days ago, one resolved 5 days ago, one open for 60 days.
    let r = rule();
    let bad = |s: &str| Observation::Bad(crate::alerts::Detail { summary: s.into(), ..Default::default() });
    let subject = |s: &str| Subject::Job(s.into());
    a::observe(&store, &r, &subject("old"), &bad("old"), now - 50 * day).await.unwrap();
    a::observe(&store, &r, &subject("old"), &Observation::Good, now - 40 * day).await.unwrap();
    a::observe(&store, &r, &subject("open"), &bad("open"), now - 60 * day).await.unwrap();
    a::observe(&store, &r, &subject("recent"), &bad("recent"), now - 6 * day).await.unwrap();
    a::observe(&store, &r, &subject("recent"), &Observation::Good, now - 5 * day).await.unwrap();
    assert_eq!(a::purge_resolved_batch(&store, now - 30 * day, 100).await.unwrap(), 1);
    let left: Vec<String> = a::list_alerts(&store, &Default::default(), Page { limit: 10, offset: 0 }).await.unwrap().into_iter().map(|x| x.subject).collect();
    assert_eq!(left, ["job:recent", "job:open"]);

    // Five notifications were queued (opened, resolved, opened, opened, resolved):
    // the two oldest delivered or given up on go; queued ones stay however old.
    let claimed = a::claim_due(&store, now, 60_000, 100).await.unwrap();
    assert_eq!(claimed.len(), 1, "one head per channel");
    a::mark_delivered(&store, claimed[0].notification.id, claimed[0].claim, now).await.unwrap();
    let claimed = a::claim_due(&store, now, 60_000, 100).await.unwrap();
    a::mark_failed(&store, claimed[0].notification.id, claimed[0].claim, "HTTP 410", now).await.unwrap();
    assert_eq!(a::purge_notifications_batch(&store, now - 30 * day, 100).await.unwrap(), 2);
    let left = a::list_notifications(&store, &Default::default(), Page { limit: 10, offset: 0 }).await.unwrap();
    assert_eq!(left.len(), 3);
    assert!(left.iter().all(|n| n.status == DeliveryStatus::Pending), "{left:?}");
}

/// Concurrent creates of one name: one wins, the others are told the name is
/// taken (the API's "already exists"), none fails with a database error.
async fn concurrent_creates_of_one_name_give_one_channel(store: Store) {
    let tries = (0..6).map(|i| {
        let store = store.clone();
        let hook = channel("race", "webhook", &format!("https://receiver.test/{i}"), Some("0123456789abcdef-KEY"));
        tokio::spawn(async move { ch::create_api_channel(&store, &hook, 1_000).await })
    });
    let mut won = 0;
    for t in futures::future::join_all(tries).await {
        if t.unwrap().expect("taken, not an error") {
            won += 1;
        }
    }
    assert_eq!(won, 1);
    assert_eq!(ch::list_channels(&store).await.unwrap().len(), 1);
}

conformance!(
    api_channels_keep_their_secrets_and_the_file_wins_a_name,
    alert_history_is_purged_by_age_and_state_in_batches,
    concurrent_creates_of_one_name_give_one_channel
);
