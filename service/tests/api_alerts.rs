//! Alerting over the API end to end: rules (config and API, role checks,
//! errors naming the field), channels masked everywhere, alerts with their
//! notifications (a notification given up on is visible), acknowledging,
//! the `alertEvents` subscription, and the noise cleanup: consecutive SKIPPED
//! and MISSED runs folded into one entry, retention adjustable over the API.

mod api_support;

use std::time::Duration;

use api_support::*;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use cronkeeper::alerts::{AlertEvent, Detail, Observation, RuleInput, Subject};
use cronkeeper::config::alerts::ChannelFile;
use cronkeeper::domain::{RunStatus, Trigger};
use cronkeeper::store::alerts as astore;
use cronkeeper::store::runs::{self, ClaimOutcome, NewRun};

const SLACK_URL: &str = "https://hooks.slack.com/services/T0SLACKSECRET/B0SLACKSECRET/slackpathsecret";
const HOOK_URL: &str = "https://alerts.example.test/cronkeeper/hookpathsecret?key=querysecret";
const HOOK_KEY: &str = "whsec-0123456789abcdef-hmackeysecret";
const SECRETS: [&str; 5] = [SLACK_URL, HOOK_URL, HOOK_KEY, "slackpathsecret", "hookpathsecret"];

const RULE_FIELDS: &str = "name when evaluated scope { jobs lanes queues } channels severity statuses count duration durationSeconds factor \
    openAfter resolveAfter remindEvery enabled source";
const UPSERT_RULE: &str = "mutation($input: AlertRuleInput!) { upsertAlertRule(input: $input) { name when evaluated scope { jobs lanes queues } \
    channels severity statuses count duration durationSeconds factor openAfter resolveAfter remindEvery enabled source } }";

async fn spawn() -> Api {
    spawn_api_with(|f| {
        f.alerts.channels = vec![
            ChannelFile { name: "ops-slack".into(), kind: "slack".into(), url: SLACK_URL.into(), secret: None },
            ChannelFile { name: "pager".into(), kind: "webhook".into(), url: HOOK_URL.into(), secret: Some(HOOK_KEY.into()) },
        ];
        f.alerts.rules =
            vec![RuleInput { name: "from-file".into(), when: "worker_lost".into(), channels: vec!["pager".into()], ..Default::default() }];
    })
    .await
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn assert_no_secret(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} leaks `{s}`: {text}");
    }
}

async fn rule_names(api: &Api) -> Vec<String> {
    let data = api.ok("viewer", "{ alertRules { name } }", json!({})).await;
    data["alertRules"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn rules_are_listed_created_changed_and_deleted_with_errors_naming_the_field() {
    let api = spawn().await;
    let listed = api.ok("viewer", &format!("{{ alertRules {{ {RULE_FIELDS} }} }}"), json!({})).await;
    let file_rule = &listed["alertRules"][0];
    assert_eq!((file_rule["name"].as_str(), file_rule["when"].as_str(), file_rule["source"].as_str()), (Some("from-file"), Some("worker_lost"), Some("CONFIG")));
    assert_eq!(file_rule["channels"], json!(["pager"]));

    let input = json!({ "name": "sales failures", "when": "run_failed", "jobs": ["sales_*"], "lanes": ["critical"], "channels": ["ops-slack", "pager"],
        "severity": "WARNING", "statuses": ["FAILED", "TIMED_OUT"], "openAfter": 2, "resolveAfter": 3, "remindEvery": "1h" });
    let rule = api.ok("admin", UPSERT_RULE, json!({ "input": input })).await["upsertAlertRule"].clone();
    assert_eq!(rule["source"], "API");
    assert_eq!(rule["scope"], json!({ "jobs": ["sales_*"], "lanes": ["critical"], "queues": [] }));
    assert_eq!(rule["channels"], json!(["ops-slack", "pager"]));
    assert_eq!((rule["severity"].as_str(), rule["statuses"].clone()), (Some("WARNING"), json!(["FAILED", "TIMED_OUT"])));
    assert_eq!((rule["openAfter"].as_i64(), rule["resolveAfter"].as_i64(), rule["remindEvery"].as_str()), (Some(2), Some(3), Some("1h")));
    assert_eq!((rule["evaluated"].as_bool(), rule["enabled"].as_bool()), (Some(true), Some(true)));

    // Replacing keeps one rule; thresholds of other kinds round-trip too.
    let slow = json!({ "name": "sales failures", "when": "run_too_long", "duration": "90s", "factor": 3.0, "channels": ["pager"] });
    let rule = api.ok("admin", UPSERT_RULE, json!({ "input": slow })).await["upsertAlertRule"].clone();
    assert_eq!((rule["when"].as_str(), rule["duration"].as_str(), rule["durationSeconds"].as_f64(), rule["factor"].as_f64()), (Some("run_too_long"), Some("1m 30s"), Some(90.0), Some(3.0)));
    assert!(rule["statuses"].is_null());
    let queue = json!({ "name": "queue deep", "when": "queue_depth", "queues": ["async.operations.all"], "count": 1000 });
    let rule = api.ok("admin", UPSERT_RULE, json!({ "input": queue })).await["upsertAlertRule"].clone();
    assert_eq!((rule["evaluated"].as_bool(), rule["count"].as_i64()), (Some(true), Some(1000)));
    assert_eq!(rule_names(&api).await, ["from-file", "queue deep", "sales failures"]);

    for (input, field) in [
        (json!({ "name": "x", "when": "run_falied" }), "input.when:"),
        (json!({ "name": "x", "when": "run_failed", "channels": ["pager", "nope"] }), "input.channels[1]:"),
        (json!({ "name": "x", "when": "consecutive_failures", "count": 3, "openAfter": 2 }), "input.openAfter:"),
        (json!({ "name": "x", "when": "run_failed", "remindEvery": "soon" }), "input.remindEvery:"),
        (json!({ "name": "x", "when": "worker_lost", "jobs": ["a"] }), "input.jobs:"),
        (json!({ "name": "x", "when": "run_failed", "statuses": ["SUCCEEDED"] }), "input.statuses[0]:"),
        (json!({ "name": "from-file", "when": "worker_lost" }), "input.name:"),
    ] {
        let body = api.gql("admin", UPSERT_RULE, json!({ "input": input })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert!(message(&body).starts_with(field), "{input}: {body}");
    }
    assert_eq!(rule_names(&api).await, ["from-file", "queue deep", "sales failures"], "refused inputs change nothing");

    // Operators manage alerts, not rules.
    let body = api.gql("operator", UPSERT_RULE, json!({ "input": { "name": "op", "when": "worker_lost" } })).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let body = api.gql("operator", r#"mutation { deleteAlertRule(name: "queue deep") }"#, json!({})).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");

    assert_eq!(api.ok("admin", r#"mutation { deleteAlertRule(name: "queue deep") }"#, json!({})).await["deleteAlertRule"], true);
    assert_eq!(api.ok("admin", r#"mutation { deleteAlertRule(name: "queue deep") }"#, json!({})).await["deleteAlertRule"], false);
    let body = api.gql("admin", r#"mutation { deleteAlertRule(name: "from-file") }"#, json!({})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "config rules are removed from the file: {body}");
    assert_eq!(rule_names(&api).await, ["from-file", "sales failures"]);

    let audit = api.audit_outcomes().await;
    assert!(audit.contains(&("upsertAlertRule".into(), "ok".into())), "{audit:?}");
    assert!(audit.iter().any(|(op, out)| op == "deleteAlertRule" && out.starts_with("FORBIDDEN")), "{audit:?}");
}

#[tokio::test]
async fn channels_are_masked_in_every_answer_and_in_the_audit_log() {
    let api = spawn().await;
    let mut seen = String::new();
    let data = api.ok("viewer", "{ alertChannels { name kind maskedUrl signed } }", json!({})).await;
    seen += &data.to_string();
    assert_eq!(
        data["alertChannels"],
        json!([
            { "name": "ops-slack", "kind": "slack", "maskedUrl": "https://hooks.slack.com/…", "signed": false },
            { "name": "pager", "kind": "webhook", "maskedUrl": "https://alerts.example.test/…", "signed": true },
        ])
    );

    let body = api.gql("viewer", r#"mutation { testAlertChannel(name: "pager") }"#, json!({})).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let body = api.gql("operator", r#"mutation { testAlertChannel(name: "nope") }"#, json!({})).await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    seen += &body.to_string();
    let data = api.ok("operator", r#"mutation { testAlertChannel(name: "pager") }"#, json!({})).await;
    assert_eq!(data["testAlertChannel"], true);

    let data = api.ok("viewer", "{ alertNotifications { totalCount nodes { alertId channel event status attempts idempotencyKey lastError nextAttemptAt } } }", json!({})).await;
    seen += &data.to_string();
    let n = &data["alertNotifications"];
    assert_eq!(n["totalCount"], 1);
    assert_eq!((n["nodes"][0]["channel"].as_str(), n["nodes"][0]["event"].as_str(), n["nodes"][0]["status"].as_str()), (Some("pager"), Some("TEST"), Some("PENDING")));
    assert!(n["nodes"][0]["alertId"].is_null() && n["nodes"][0]["nextAttemptAt"].is_string(), "{n}");

    let rule = json!({ "name": "r", "when": "run_failed", "channels": ["ops-slack", "pager"] });
    seen += &api.ok("admin", UPSERT_RULE, json!({ "input": rule })).await.to_string();
    seen += &api.ok("viewer", &format!("{{ alertRules {{ {RULE_FIELDS} }} }}"), json!({})).await.to_string();
    seen += &api.ok("viewer", "{ auditLog(first: 500) { nodes { operation arguments outcome } } }", json!({})).await.to_string();
    // The store holds masked URLs only.
    for c in cronkeeper::store::alert_channels::list_channels(&api.state.store).await.unwrap() {
        seen += &format!("{c:?}");
    }
    assert_no_secret("API answers, audit log and stored channels", &seen);
    assert!(seen.contains("testAlertChannel"), "the audit log was read: {seen}");
}

/// Opens an alert for `rule` on job `code` through the engine's store
/// function, as the evaluator does on a failed run.
async fn open_alert(api: &Api, rule: &str, code: &str) -> cronkeeper::alerts::Alert {
    let rule = astore::get_rule(&api.state.store, rule).await.unwrap().unwrap().rule;
    let detail = Detail {
        summary: format!("{code} ended FAILED"),
        job: Some(code.into()),
        lane: Some("default".into()),
        run_id: None,
        status: Some("FAILED".into()),
        error: Some("exit status 3: disk full".into()),
        duration_ms: Some(1234),
    };
    let change = astore::observe(&api.state.store, &rule, &Subject::Job(code.into()), &Observation::Bad(detail), now_ms()).await.unwrap();
    change.expect("the alert opens at the first failure").alert
}

const ALERT_FIELDS: &str = "id rule kind subject jobCode lane severity state acknowledged summary error runId runStatus durationMs openedAt \
    reminders acknowledgedAt acknowledgedBy resolvedAt notifications { channel event status attempts lastError deliveredAt failedAt }";

#[tokio::test]
async fn an_open_alert_shows_its_notifications_including_one_given_up_on_and_an_operator_acknowledges_it() {
    let api = spawn().await;
    let rule = json!({ "name": "sales failures", "when": "run_failed", "jobs": ["sales_*"], "channels": ["ops-slack", "pager"] });
    api.ok("admin", UPSERT_RULE, json!({ "input": rule })).await;
    let alert = open_alert(&api, "sales failures", "sales_send_emails").await;

    // The deliverer gives up on the Slack one (as after its last attempt), and delivers the webhook.
    let store = &api.state.store;
    for c in astore::claim_due(store, now_ms(), 60_000, 10).await.unwrap() {
        if c.notification.channel == "ops-slack" {
            assert!(astore::mark_failed(store, c.notification.id, c.claim, "HTTP 503 Service Unavailable (attempt 12 of 12)", now_ms()).await.unwrap());
        } else {
            assert!(astore::mark_delivered(store, c.notification.id, c.claim, now_ms()).await.unwrap());
        }
    }

    let q = format!("query($f: AlertFilter) {{ alerts(filter: $f) {{ totalCount pageInfo {{ hasNextPage }} edges {{ cursor }} nodes {{ {ALERT_FIELDS} }} }} }}");
    let data = api.ok("viewer", &q, json!({ "f": { "state": "OPEN", "rule": "sales failures", "subject": "job:sales_send_emails" } })).await;
    let page = &data["alerts"];
    assert_eq!((page["totalCount"].as_i64(), page["pageInfo"]["hasNextPage"].as_bool()), (Some(1), Some(false)));
    let a = &page["nodes"][0];
    assert_eq!(a["id"], alert.id.to_string());
    assert_eq!((a["kind"].as_str(), a["subject"].as_str(), a["jobCode"].as_str(), a["lane"].as_str()), (Some("run_failed"), Some("job:sales_send_emails"), Some("sales_send_emails"), Some("default")));
    assert_eq!((a["severity"].as_str(), a["state"].as_str(), a["acknowledged"].as_bool()), (Some("CRITICAL"), Some("OPEN"), Some(false)));
    assert_eq!((a["error"].as_str(), a["runStatus"].as_str(), a["durationMs"].as_i64()), (Some("exit status 3: disk full"), Some("FAILED"), Some(1234)));
    let notes = a["notifications"].as_array().unwrap();
    assert_eq!(notes.len(), 2, "{a}");
    let slack = notes.iter().find(|n| n["channel"] == "ops-slack").unwrap();
    assert_eq!((slack["event"].as_str(), slack["status"].as_str(), slack["attempts"].as_i64()), (Some("OPENED"), Some("FAILED"), Some(1)));
    assert_eq!(slack["lastError"], "HTTP 503 Service Unavailable (attempt 12 of 12)");
    assert!(slack["failedAt"].is_string() && slack["deliveredAt"].is_null());
    let hook = notes.iter().find(|n| n["channel"] == "pager").unwrap();
    assert_eq!(hook["status"], "DELIVERED");
    assert!(hook["deliveredAt"].is_string());

    let failed = api.ok("viewer", "{ alertNotifications(filter: { status: FAILED }) { totalCount nodes { channel alertId } } }", json!({})).await;
    assert_eq!(failed["alertNotifications"]["totalCount"], 1);
    assert_eq!(failed["alertNotifications"]["nodes"][0]["alertId"], alert.id.to_string());
    for f in [json!({ "state": "RESOLVED" }), json!({ "rule": "other" }), json!({ "subject": "job:other" })] {
        assert_eq!(api.ok("viewer", &q, json!({ "f": f })).await["alerts"]["totalCount"], 0, "{f}");
    }

    // Viewers watch, operators take.
    let ack = "mutation($id: ID!) { acknowledgeAlert(id: $id) { id state acknowledged acknowledgedBy acknowledgedAt } }";
    let body = api.gql("viewer", ack, json!({ "id": alert.id.to_string() })).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let taken = api.ok("operator", ack, json!({ "id": alert.id.to_string() })).await["acknowledgeAlert"].clone();
    assert_eq!((taken["state"].as_str(), taken["acknowledged"].as_bool(), taken["acknowledgedBy"].as_str()), (Some("OPEN"), Some(true), Some("operator-tester")));
    assert!(taken["acknowledgedAt"].is_string());
    let again = api.ok("admin", ack, json!({ "id": alert.id.to_string() })).await["acknowledgeAlert"].clone();
    assert_eq!(again["acknowledgedBy"], "operator-tester", "the first acknowledgement is kept");
    for (id, want) in [("999999", "NOT_FOUND"), ("abc", "BAD_USER_INPUT")] {
        let body = api.gql("operator", ack, json!({ "id": id })).await;
        assert_eq!(code(&body), want, "{id}: {body}");
    }
    let one = api.ok("viewer", "query($id: ID!) { alert(id: $id) { acknowledged } }", json!({ "id": alert.id.to_string() })).await;
    assert_eq!(one["alert"]["acknowledged"], true);
}

#[tokio::test]
async fn a_subscription_receives_alert_events() {
    let api = spawn().await;
    api.ok("admin", UPSERT_RULE, json!({ "input": { "name": "f", "when": "run_failed", "channels": ["pager"] } })).await;
    let alert = open_alert(&api, "f", "nightly").await;

    let url = format!("{}/graphql", api.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", token("viewer")) } });
    ws.send(Message::text(init.to_string())).await.unwrap();
    let ack = ws.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    let sub = json!({ "id": "1", "type": "subscribe", "payload": { "query":
        "subscription { alertEvents { kind alert { id rule state acknowledged acknowledgedBy } notification { channel status lastError } } }" } });
    ws.send(Message::text(sub.to_string())).await.unwrap();

    // The subscription starts asynchronously: acknowledge until the event arrives.
    let event = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            api.ok("operator", "mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }", json!({ "id": alert.id.to_string() })).await;
            if let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_millis(500), ws.next()).await {
                return serde_json::from_str::<Value>(msg.to_text().unwrap()).unwrap();
            }
        }
    })
    .await
    .expect("no alert event within 10 s");
    assert_eq!(event["type"], "next", "{event}");
    let e = &event["payload"]["data"]["alertEvents"];
    assert_eq!(e["kind"], "ACKNOWLEDGED", "{event}");
    assert_eq!(e["alert"], json!({ "id": alert.id.to_string(), "rule": "f", "state": "OPEN", "acknowledged": true, "acknowledgedBy": "operator-tester" }));
    assert!(e["notification"].is_null());

    // A notification given up on reaches subscribers too (the deliverer sends these).
    let store = &api.state.store;
    let c = astore::claim_due(store, now_ms(), 60_000, 10).await.unwrap().pop().unwrap();
    astore::mark_failed(store, c.notification.id, c.claim, "HTTP 410 Gone", now_ms()).await.unwrap();
    let failed = astore::get_notification(store, c.notification.id).await.unwrap().unwrap();
    api.state.alert_events.send(AlertEvent::NotificationFailed(failed));
    let e = loop {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.expect("no event").unwrap().unwrap();
        let v: Value = serde_json::from_str(msg.to_text().unwrap()).unwrap();
        if v["payload"]["data"]["alertEvents"]["kind"] != "ACKNOWLEDGED" {
            break v["payload"]["data"]["alertEvents"].clone();
        }
    };
    assert_eq!(e["kind"], "NOTIFICATION_FAILED");
    assert_eq!(e["notification"], json!({ "channel": "pager", "status": "FAILED", "lastError": "HTTP 410 Gone" }));
    assert_eq!(e["alert"]["id"], alert.id.to_string());
}

fn scheduled(code: &str, status: RunStatus, at: i64, missed_count: u32) -> NewRun {
    NewRun {
        job_code: code.into(),
        lane: "default".into(),
        status,
        trigger: Trigger::Schedule,
        attempt: 1,
        retry_of: None,
        priority: 0,
        fire_key: Some(at),
        scheduled_at: at,
        missed_count,
        error: None,
    }
}

const HISTORY: &str = "query($code: String!) { runs(filter: { jobCode: $code }, sort: { field: ID, direction: ASC }) { totalCount nodes { id status trigger count missedCount } } }";

#[tokio::test]
async fn consecutive_skipped_runs_of_a_job_fold_into_one_entry_with_a_count() {
    let api = spawn().await;
    api.create_job("solo").await; // concurrency FORBID by default
    let store = &api.state.store;
    let t0 = now_ms() - 10 * 60_000;
    for i in 0..4 {
        runs::insert(store, &scheduled("solo", RunStatus::Queued, t0 + i * 60_000, 0), t0).await.unwrap();
    }
    let ClaimOutcome::Run(first) = runs::claim_next(store, "default", "w", now_ms()).await.unwrap() else { panic!("the first run starts") };
    let mut entries = Vec::new();
    for _ in 0..3 {
        match runs::claim_next(store, "default", "w", now_ms()).await.unwrap() {
            ClaimOutcome::Skipped(id) => entries.push(id),
            other => panic!("expected a skip, got {other:?}"),
        }
    }
    assert!(entries.iter().all(|id| *id == entries[0]), "every skip names the one entry: {entries:?}");
    // A manual run asked for by someone is never folded away.
    runs::insert(store, &NewRun::manual("solo", "default", RunStatus::Queued, now_ms()), now_ms()).await.unwrap();
    let ClaimOutcome::Skipped(manual) = runs::claim_next(store, "default", "w", now_ms()).await.unwrap() else { panic!("skipped") };
    assert_ne!(manual, entries[0]);

    let data = api.ok("viewer", HISTORY, json!({ "code": "solo" })).await;
    assert_eq!(data["runs"]["totalCount"], 3, "{data}");
    let nodes = &data["runs"]["nodes"];
    assert_eq!((nodes[0]["id"].as_str(), nodes[0]["status"].as_str(), nodes[0]["count"].as_i64()), (Some(first.run.id.to_string().as_str()), Some("RUNNING"), Some(1)));
    assert_eq!((nodes[1]["status"].as_str(), nodes[1]["count"].as_i64(), nodes[1]["missedCount"].as_i64()), (Some("SKIPPED"), Some(3), Some(3)));
    assert_eq!(nodes[1]["id"], entries[0].to_string());
    assert_eq!((nodes[2]["status"].as_str(), nodes[2]["trigger"].as_str(), nodes[2]["count"].as_i64()), (Some("SKIPPED"), Some("MANUAL"), Some(1)));
}

#[tokio::test]
async fn consecutive_missed_records_fold_and_materialising_twice_adds_nothing() {
    let api = spawn().await;
    api.create_job("m").await;
    let store = &api.state.store;
    let t0 = now_ms() - 60 * 60_000;
    let min = 60_000;
    runs::materialise(store, "m", &[scheduled("m", RunStatus::Missed, t0, 3)], Some(t0 + 2 * min), Some(t0 + 3 * min), t0 + 3 * min).await.unwrap();
    let later = [scheduled("m", RunStatus::Missed, t0 + 3 * min, 2)];
    let ids = runs::materialise(store, "m", &later, Some(t0 + 4 * min), Some(t0 + 5 * min), t0 + 5 * min).await.unwrap();
    // A second scheduler materialising the same fire times (or a retry of the pass).
    let again = runs::materialise(store, "m", &later, Some(t0 + 4 * min), Some(t0 + 5 * min), t0 + 5 * min).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    let next = cronkeeper::store::jobs::next_fire(store, "m").await.unwrap();
    assert_eq!(next, Some(t0 + 5 * min), "the fire cursor moved with the folded record");

    let data = api.ok("viewer", HISTORY, json!({ "code": "m" })).await;
    assert_eq!(data["runs"]["totalCount"], 1, "{data}");
    let entry = &data["runs"]["nodes"][0];
    assert_eq!((entry["status"].as_str(), entry["count"].as_i64()), (Some("MISSED"), Some(5)));
    assert_eq!(ids, [entry["id"].as_str().unwrap().parse::<i64>().unwrap()]);

    // A run in between ends the streak: the next miss is a new entry.
    runs::materialise(store, "m", &[scheduled("m", RunStatus::Succeeded, t0 + 5 * min, 0)], Some(t0 + 5 * min), Some(t0 + 6 * min), t0 + 6 * min).await.unwrap();
    runs::materialise(store, "m", &[scheduled("m", RunStatus::Missed, t0 + 6 * min, 1)], Some(t0 + 6 * min), Some(t0 + 7 * min), t0 + 7 * min).await.unwrap();
    let data = api.ok("viewer", HISTORY, json!({ "code": "m" })).await;
    let statuses: Vec<(String, i64)> = data["runs"]["nodes"].as_array().unwrap().iter().map(|n| (n["status"].as_str().unwrap().into(), n["count"].as_i64().unwrap())).collect();
    assert_eq!(statuses, [("MISSED".into(), 5), ("SUCCEEDED".into(), 1), ("MISSED".into(), 1)]);
}

#[tokio::test]
async fn retention_per_status_is_visible_and_adjustable_by_admins() {
    let api = spawn().await;
    let q = "{ retention { succeededDays succeededSource otherDays otherSource } }";
    assert_eq!(api.ok("viewer", q, json!({})).await["retention"], json!({ "succeededDays": 7.0, "succeededSource": "CONFIG", "otherDays": 30.0, "otherSource": "CONFIG" }));

    let set = "mutation($s: Float, $o: Float) { setRetention(succeededDays: $s, otherDays: $o) { succeededDays succeededSource otherDays otherSource } }";
    let body = api.gql("operator", "mutation { setRetention(succeededDays: 1) { succeededDays } }", json!({})).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let r = api.ok("admin", "mutation { setRetention(succeededDays: 1.5) { succeededDays succeededSource otherDays otherSource } }", json!({})).await;
    assert_eq!(r["setRetention"], json!({ "succeededDays": 1.5, "succeededSource": "API", "otherDays": 30.0, "otherSource": "CONFIG" }));
    for bad in [json!({ "o": 0 }), json!({ "o": -1 }), json!({ "o": 4000 })] {
        let body = api.gql("admin", "mutation($o: Float) { setRetention(otherDays: $o) { otherDays } }", bad.clone()).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{bad}: {body}");
        assert!(message(&body).starts_with("otherDays:"), "{body}");
    }
    assert_eq!(api.ok("viewer", q, json!({})).await["retention"]["otherSource"], "CONFIG", "refused changes change nothing");

    // The retention pass reads the override: a 2-day-old success goes, a 1-day-old one stays.
    let store = &api.state.store;
    api.create_job("r").await;
    let day = 86_400_000;
    let old = runs::insert(store, &scheduled("r", RunStatus::Succeeded, now_ms() - 2 * day, 0), now_ms()).await.unwrap().unwrap();
    let young = runs::insert(store, &scheduled("r", RunStatus::Succeeded, now_ms() - day, 0), now_ms()).await.unwrap().unwrap();
    let removed = cronkeeper::scheduler::retention::purge_once(store, &api.state.clock, &api.state.config.retention, &tokio_util::sync::CancellationToken::new()).await.unwrap();
    assert_eq!(removed.runs, 1);
    assert!(runs::get(store, old).await.unwrap().is_none());
    assert!(runs::get(store, young).await.unwrap().is_some());

    // null goes back to the config file's value; an omitted argument is kept.
    let r = api.ok("admin", set, json!({ "s": null, "o": 10 })).await;
    assert_eq!(r["setRetention"], json!({ "succeededDays": 7.0, "succeededSource": "CONFIG", "otherDays": 10.0, "otherSource": "API" }));
    let r = api.ok("admin", "mutation { setRetention { otherDays otherSource } }", json!({})).await;
    assert_eq!(r["setRetention"], json!({ "otherDays": 10.0, "otherSource": "API" }));
    let audit = api.audit_outcomes().await;
    assert!(audit.iter().filter(|(op, _)| op == "setRetention").count() >= 6, "{audit:?}");
}

// ---------------------------------------------------------------- retention of alerting history

#[tokio::test]
async fn audit_alert_and_notification_retention_is_visible_adjustable_and_applied() {
    let api = spawn().await;
    let q = "{ retention { auditDays auditSource resolvedAlertsDays resolvedAlertsSource notificationsDays notificationsSource } }";
    assert_eq!(
        api.ok("viewer", q, json!({})).await["retention"],
        json!({ "auditDays": 90.0, "auditSource": "CONFIG", "resolvedAlertsDays": 30.0, "resolvedAlertsSource": "CONFIG", "notificationsDays": 30.0, "notificationsSource": "CONFIG" })
    );
    let set = "mutation($a: Float, $r: Float, $n: Float) { setRetention(auditDays: $a, resolvedAlertsDays: $r, notificationsDays: $n) { auditDays auditSource resolvedAlertsDays resolvedAlertsSource notificationsDays notificationsSource succeededSource } }";
    for (bad, field) in [(json!({ "a": 0 }), "auditDays:"), (json!({ "r": -2 }), "resolvedAlertsDays:"), (json!({ "n": 4000 }), "notificationsDays:")] {
        let body = api.gql("admin", set, bad.clone()).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{bad}: {body}");
        assert!(message(&body).starts_with(field), "{body}");
    }
    let body = api.gql("operator", set, json!({ "a": 1 })).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let r = api.ok("admin", set, json!({ "a": 2, "r": 1, "n": 1 })).await;
    assert_eq!(
        r["setRetention"],
        json!({ "auditDays": 2.0, "auditSource": "API", "resolvedAlertsDays": 1.0, "resolvedAlertsSource": "API", "notificationsDays": 1.0, "notificationsSource": "API", "succeededSource": "CONFIG" })
    );

    // What is older goes at the next pass; what is younger, open or queued stays.
    let store = &api.state.store;
    let day = 86_400_000;
    let now = now_ms();
    let old_entry = cronkeeper::store::audit::AuditEntry { id: 0, at: now - 3 * day, subject: "s".into(), role: "admin".into(), operation: "ancient".into(), arguments: "{}".into(), outcome: "ok".into() };
    cronkeeper::store::audit::record(store, &old_entry).await.unwrap();
    api.ok("admin", UPSERT_RULE, json!({ "input": { "name": "f", "when": "run_failed", "channels": ["pager"] } })).await;
    let rule = astore::get_rule(store, "f").await.unwrap().unwrap().rule;
    let bad = Observation::Bad(Detail { summary: "x".into(), ..Default::default() });
    astore::observe(store, &rule, &Subject::Job("gone".into()), &bad, now - 3 * day).await.unwrap();
    astore::observe(store, &rule, &Subject::Job("gone".into()), &Observation::Good, now - 2 * day).await.unwrap();
    astore::observe(store, &rule, &Subject::Job("still".into()), &bad, now - 3 * day).await.unwrap();
    for _ in 0..2 {
        let c = astore::claim_due(store, now, 60_000, 10).await.unwrap().pop().unwrap();
        astore::mark_delivered(store, c.notification.id, c.claim, now).await.unwrap();
    }
    let purged = cronkeeper::scheduler::retention::purge_once(store, &api.state.clock, &api.state.config.retention, &tokio_util::sync::CancellationToken::new()).await.unwrap();
    assert_eq!((purged.audit, purged.alerts, purged.notifications), (1, 1, 2), "{purged:?}");
    let audit = api.audit_outcomes().await;
    assert!(!audit.iter().any(|(op, _)| op == "ancient") && audit.iter().any(|(op, _)| op == "setRetention"), "{audit:?}");
    let alerts = api.ok("viewer", "{ alerts { nodes { subject state } } alertNotifications { totalCount nodes { status } } }", json!({})).await;
    assert_eq!(alerts["alerts"]["nodes"], json!([{ "subject": "job:still", "state": "OPEN" }]));
    assert_eq!(alerts["alertNotifications"]["totalCount"], 1, "the queued one stays: {alerts}");
    assert_eq!(alerts["alertNotifications"]["nodes"][0]["status"], "PENDING");
}

// ---------------------------------------------------------------- channels made over the API

const CHANNEL_FIELDS: &str = "name kind maskedUrl signed source usedBy updatedAt";
const API_HOOK_URL: &str = "https://receiver.example.test/in/apihookpathsecret?token=apiquerysecret";
const API_HOOK_KEY: &str = "api-webhook-hmac-key-secret-0123";
const API_SLACK_URL: &str = "https://hooks.slack.com/services/TAPI/BAPI/apislackpathsecret";
const API_SECRETS: [&str; 6] = [API_HOOK_URL, API_HOOK_KEY, API_SLACK_URL, "apihookpathsecret", "apiquerysecret", "apislackpathsecret"];

fn create_channel() -> String {
    format!("mutation($input: AlertChannelInput!) {{ createAlertChannel(input: $input) {{ {CHANNEL_FIELDS} }} }}")
}

fn update_channel() -> String {
    format!("mutation($input: AlertChannelChanges!) {{ updateAlertChannel(input: $input) {{ {CHANNEL_FIELDS} }} }}")
}

async fn channels(api: &Api) -> Value {
    api.ok("viewer", &format!("{{ alertChannels {{ {CHANNEL_FIELDS} }} }}"), json!({})).await["alertChannels"].clone()
}

#[tokio::test]
async fn channels_are_created_changed_and_deleted_over_the_api_with_write_only_secrets() {
    let api = spawn().await;
    let store = &api.state.store;
    let mut seen = String::new();

    let hook = api.ok("admin", &create_channel(), json!({ "input": { "name": "api-hook", "kind": "webhook", "url": API_HOOK_URL, "secret": API_HOOK_KEY } })).await;
    seen += &hook.to_string();
    let hook = &hook["createAlertChannel"];
    assert_eq!((hook["name"].as_str(), hook["kind"].as_str(), hook["maskedUrl"].as_str()), (Some("api-hook"), Some("webhook"), Some("https://receiver.example.test/…")));
    assert_eq!((hook["signed"].as_bool(), hook["source"].as_str(), hook["usedBy"].clone()), (Some(true), Some("API"), json!([])));
    assert!(hook["updatedAt"].is_string(), "{hook}");
    seen += &api.ok("admin", &create_channel(), json!({ "input": { "name": "api-slack", "kind": "slack", "url": API_SLACK_URL } })).await.to_string();

    let listed = channels(&api).await;
    seen += &listed.to_string();
    let summary: Vec<(String, String, bool)> =
        listed.as_array().unwrap().iter().map(|c| (c["name"].as_str().unwrap().into(), c["source"].as_str().unwrap().into(), c["signed"].as_bool().unwrap())).collect();
    assert_eq!(
        summary,
        [("api-hook".into(), "API".into(), true), ("api-slack".into(), "API".into(), false), ("ops-slack".into(), "CONFIG".into(), false), ("pager".into(), "CONFIG".into(), true)]
    );
    assert!(listed[3]["updatedAt"].is_null() && listed[3]["usedBy"] == json!(["from-file"]), "{listed}");

    // Refused inputs name the field and change nothing.
    let valid = json!({ "name": "new", "kind": "webhook", "url": "https://r.test/x/inputurlsecret", "secret": "0123456789abcdef" });
    let with = |key: &str, value: Value| {
        let mut input = valid.clone();
        input[key] = value;
        input
    };
    for (input, field) in [
        (with("name", json!("bad name!")), "input.name:"),
        (with("name", json!("pager")), "input.name:"),
        (with("name", json!("api-hook")), "input.name:"),
        (with("kind", json!("teams")), "input.kind:"),
        (with("url", json!("ftp://r.test/inputurlsecret")), "input.url:"),
        (with("url", json!("r.test/inputurlsecret")), "input.url:"),
        (with("secret", Value::Null), "input.secret:"),
        (with("secret", json!("short")), "input.secret:"),
        (json!({ "name": "s", "kind": "slack", "url": "https://hooks.slack.com/x/inputurlsecret", "secret": "0123456789abcdef" }), "input.secret:"),
    ] {
        let body = api.gql("admin", &create_channel(), json!({ "input": input })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert!(message(&body).starts_with(field), "{input}: {body}");
        assert!(!body.to_string().contains("inputurlsecret"), "an error repeats the URL: {body}");
    }
    assert_eq!(channels(&api).await.as_array().unwrap().len(), 4, "refused inputs change nothing");

    // Admins only.
    for (role, query, input) in [
        ("operator", create_channel(), json!({ "name": "op", "kind": "slack", "url": API_SLACK_URL })),
        ("operator", update_channel(), json!({ "name": "api-hook", "url": "https://x.test/y" })),
    ] {
        let body = api.gql(role, &query, json!({ "input": input })).await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
    }
    let body = api.gql("operator", r#"mutation { deleteAlertChannel(name: "api-slack") }"#, json!({})).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");

    // An update without the URL or the key keeps them; a new URL is taken.
    let moved = api.ok("admin", &update_channel(), json!({ "input": { "name": "api-hook", "url": "https://moved.example.test/in/movedpath" } })).await;
    assert_eq!((moved["updateAlertChannel"]["maskedUrl"].as_str(), moved["updateAlertChannel"]["signed"].as_bool()), (Some("https://moved.example.test/…"), Some(true)));
    let stored = cronkeeper::store::alert_channels::api_channel(store, "api-hook").await.unwrap().unwrap();
    assert_eq!((stored.url.expose(), stored.secret.as_ref().map(|s| s.expose())), ("https://moved.example.test/in/movedpath", Some(API_HOOK_KEY)));
    api.ok("admin", &update_channel(), json!({ "input": { "name": "api-hook", "secret": null } })).await;
    let stored = cronkeeper::store::alert_channels::api_channel(store, "api-hook").await.unwrap().unwrap();
    assert_eq!((stored.url.expose(), stored.secret.as_ref().map(|s| s.expose())), ("https://moved.example.test/in/movedpath", Some(API_HOOK_KEY)), "null keeps too");
    // Becoming Slack drops the key; becoming a webhook again needs one.
    let slack = api.ok("admin", &update_channel(), json!({ "input": { "name": "api-hook", "kind": "slack" } })).await;
    assert_eq!((slack["updateAlertChannel"]["kind"].as_str(), slack["updateAlertChannel"]["signed"].as_bool()), (Some("slack"), Some(false)));
    let body = api.gql("admin", &update_channel(), json!({ "input": { "name": "api-hook", "kind": "webhook" } })).await;
    assert!(code(&body) == "BAD_USER_INPUT" && message(&body).starts_with("input.secret:"), "{body}");
    let back = api.ok("admin", &update_channel(), json!({ "input": { "name": "api-hook", "kind": "webhook", "url": API_HOOK_URL, "secret": API_HOOK_KEY } })).await;
    seen += &back.to_string();
    assert_eq!(back["updateAlertChannel"]["signed"], true);
    for (input, want, field) in [
        (json!({ "name": "api-hook", "url": "mailto:ops@shop.test" }), "BAD_USER_INPUT", "input.url:"),
        (json!({ "name": "pager", "url": "https://x.test/y" }), "BAD_USER_INPUT", "input.name:"),
        (json!({ "name": "nope", "url": "https://x.test/y" }), "NOT_FOUND", ""),
    ] {
        let body = api.gql("admin", &update_channel(), json!({ "input": input })).await;
        assert_eq!(code(&body), want, "{input}: {body}");
        assert!(message(&body).starts_with(field), "{input}: {body}");
    }

    // Rules may name API channels; a channel in use is not deleted.
    api.ok("admin", UPSERT_RULE, json!({ "input": { "name": "uses-api", "when": "run_failed", "channels": ["api-hook", "pager"] } })).await;
    assert_eq!(channels(&api).await[0]["usedBy"], json!(["uses-api"]));
    let body = api.gql("admin", r#"mutation { deleteAlertChannel(name: "api-hook") }"#, json!({})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert!(message(&body).starts_with("name:") && message(&body).contains("`uses-api`"), "{body}");
    let body = api.gql("admin", r#"mutation { deleteAlertChannel(name: "pager") }"#, json!({})).await;
    assert!(code(&body) == "BAD_USER_INPUT" && message(&body).contains("configuration file"), "{body}");
    assert_eq!(api.ok("operator", r#"mutation { testAlertChannel(name: "api-slack") }"#, json!({})).await["testAlertChannel"], true);
    api.ok("admin", r#"mutation { deleteAlertRule(name: "uses-api") }"#, json!({})).await;
    assert_eq!(api.ok("admin", r#"mutation { deleteAlertChannel(name: "api-hook") }"#, json!({})).await["deleteAlertChannel"], true);
    assert_eq!(api.ok("admin", r#"mutation { deleteAlertChannel(name: "api-hook") }"#, json!({})).await["deleteAlertChannel"], false);
    let body = api.gql("admin", UPSERT_RULE, json!({ "input": { "name": "late", "when": "run_failed", "channels": ["api-hook"] } })).await;
    assert!(code(&body) == "BAD_USER_INPUT" && message(&body).starts_with("input.channels[0]:"), "a deleted channel is gone: {body}");

    // Nothing the API answered, nor the audit log, nor a stored listing holds a URL or key.
    seen += &channels(&api).await.to_string();
    let audit = api.ok("viewer", "{ auditLog(first: 500) { nodes { operation arguments outcome } } }", json!({})).await;
    seen += &audit.to_string();
    for c in cronkeeper::store::alert_channels::list_channels(store).await.unwrap() {
        seen += &format!("{c:?}");
    }
    for s in API_SECRETS.iter().chain(SECRETS.iter()) {
        assert!(!seen.contains(s), "`{s}` leaked: {seen}");
    }
    let created = audit["auditLog"]["nodes"].as_array().unwrap().iter().filter(|n| n["operation"] == "createAlertChannel").count();
    assert!(created >= 11, "every create was audited: {audit}");
    assert!(seen.contains("[redacted]"), "{audit}");
}

#[tokio::test]
async fn a_channel_made_over_the_api_is_delivered_to_like_a_config_one() {
    let api = spawn().await;
    let rec = Recorder::default();
    let base = rec.start().await;
    let first = format!("{base}/in/firstpathsecret");
    api.ok("admin", &create_channel(), json!({ "input": { "name": "rec", "kind": "webhook", "url": first, "secret": API_HOOK_KEY } })).await;
    api.ok("admin", UPSERT_RULE, json!({ "input": { "name": "f", "when": "run_failed", "channels": ["rec"] } })).await;
    let alert = open_alert(&api, "f", "nightly").await;

    // The outbox deliverer of a node whose config file knows nothing of `rec`.
    let st = &api.state;
    let deliverer = cronkeeper::alerts::deliver::Deliverer::new(st.store.clone(), st.clock.clone(), &st.config.alerts, st.alert_events.clone());
    let deliver = |n: usize| {
        let (deliverer, rec) = (deliverer.clone(), rec.clone());
        async move {
            tokio::time::timeout(Duration::from_secs(10), async {
                while rec.hits().len() < n {
                    deliverer.deliver_due().await.unwrap();
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
            .await
            .expect("delivered within 10 s");
            rec.hits()
        }
    };
    let hits = deliver(1).await;
    assert_eq!(hits[0].path, "/in/firstpathsecret");
    verify_signature(&hits[0].headers, &hits[0].body, API_HOOK_KEY);
    let body: Value = serde_json::from_slice(&hits[0].body).unwrap();
    assert_eq!((body["event"].as_str(), body["alert"]["id"].as_i64(), body["job"].as_str()), (Some("opened"), Some(alert.id), Some("nightly")));
    let n = api.ok("viewer", "{ alertNotifications(filter: { channel: \"rec\" }) { nodes { status attempts } } }", json!({})).await;
    assert_eq!(n["alertNotifications"]["nodes"], json!([{ "status": "DELIVERED", "attempts": 1 }]));

    // A new URL applies to the next notification; the key left out is kept.
    api.ok("admin", &update_channel(), json!({ "input": { "name": "rec", "url": format!("{base}/in/secondpath") } })).await;
    api.ok("operator", r#"mutation { testAlertChannel(name: "rec") }"#, json!({})).await;
    let hits = deliver(2).await;
    assert_eq!(hits[1].path, "/in/secondpath");
    verify_signature(&hits[1].headers, &hits[1].body, API_HOOK_KEY);
    assert_eq!(serde_json::from_slice::<Value>(&hits[1].body).unwrap()["event"], "test");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rec.hits().len(), 2, "each notification exactly once");
}
