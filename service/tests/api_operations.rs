//! The schema contract end to end over HTTP: every query and mutation, input
//! validation that names the field and changes nothing, the Magento sync,
//! and run events over a WebSocket subscription.

mod api_support;

use std::time::Duration;

use api_support::*;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const UPSERT: &str = "mutation($input: JobInput!) { upsertJob(input: $input) { code lane schedule timezone timeoutSeconds maxRetries \
    backoff { initialSeconds factor maxSeconds } concurrencyPolicy misfirePolicy priority paused businessCritical description group \
    source overrides executor { __typename ... on CommandExecutor { argv env { name value } workingDir } ... on HttpExecutor { url method timeoutSeconds } } } }";

async fn job_count(api: &Api) -> i64 {
    api.ok("viewer", "{ jobs { totalCount } }", json!({})).await["jobs"]["totalCount"].as_i64().unwrap()
}

#[tokio::test]
async fn upsert_job_creates_a_job_with_every_setting_and_reads_it_back() {
    let api = spawn_api().await;
    let input = json!({
        "code": "export_feed", "schedule": "0 3 * * *", "timezone": "Europe/Amsterdam", "lane": "bulk",
        "group": "feeds", "description": "nightly feed", "timeoutSeconds": 600, "maxRetries": 2,
        "backoff": { "initialSeconds": 10, "factor": 3, "maxSeconds": 300 }, "concurrencyPolicy": "ALLOW",
        "misfirePolicy": "SKIP", "priority": 7, "paused": false, "businessCritical": true,
        "executor": { "command": { "argv": ["php", "feed.php"], "env": [{ "name": "MODE", "value": "full" }], "workingDir": "/srv" } }
    });
    let job = api.ok("admin", UPSERT, json!({ "input": input })).await["upsertJob"].clone();
    assert_eq!(job["lane"], "bulk");
    assert_eq!(job["timezone"], "Europe/Amsterdam");
    assert_eq!(job["timeoutSeconds"], 600);
    assert_eq!(job["backoff"], json!({ "initialSeconds": 10.0, "factor": 3.0, "maxSeconds": 300.0 }));
    assert_eq!(job["concurrencyPolicy"], "ALLOW");
    assert_eq!(job["misfirePolicy"], "SKIP");
    assert_eq!(job["source"], "USER");
    assert_eq!(job["executor"]["__typename"], "CommandExecutor");
    assert_eq!(job["executor"]["argv"], json!(["php", "feed.php"]));

    let read = api.ok("viewer", r#"{ job(code: "export_feed") { code priority businessCritical effectiveTimeoutSeconds nextRunAt lastRun { id } runCounts { status count } warnings } }"#, json!({})).await;
    assert_eq!(read["job"]["priority"], 7);
    assert_eq!(read["job"]["effectiveTimeoutSeconds"], 600);
    assert!(read["job"]["nextRunAt"].is_string(), "{read}");
    assert!(read["job"]["lastRun"].is_null());
    assert_eq!(read["job"]["runCounts"], json!([]));
    assert!(api.ok("viewer", r#"{ job(code: "nope") { code } }"#, json!({})).await["job"].is_null());
}

#[tokio::test]
async fn an_update_keeps_omitted_fields_and_null_clears_nullable_ones() {
    let api = spawn_api().await;
    let input = json!({ "code": "j", "schedule": "* * * * *", "timezone": "Asia/Tokyo", "description": "d", "priority": 3,
        "executor": { "http": { "url": "https://example.test/hook", "method": "POST", "timeoutSeconds": 5 } } });
    api.ok("admin", UPSERT, json!({ "input": input })).await;
    let job = api.ok("admin", UPSERT, json!({ "input": { "code": "j", "timezone": null, "lane": "critical" } })).await["upsertJob"].clone();
    assert_eq!(job["timezone"], Value::Null);
    assert_eq!(job["lane"], "critical");
    assert_eq!(job["description"], "d");
    assert_eq!(job["priority"], 3);
    assert_eq!(job["executor"]["url"], "https://example.test/hook");
}

#[tokio::test]
async fn bad_input_names_the_field_and_changes_nothing() {
    let api = spawn_api().await;
    api.create_job("keep").await;
    let cases = [
        (json!({ "code": "keep", "schedule": "@hourly" }), "input.schedule"),
        (json!({ "code": "keep", "lane": "nowhere" }), "input.lane"),
        (json!({ "code": "keep", "timezone": "Mars/Olympus" }), "input.timezone"),
        (json!({ "code": "keep", "timeoutSeconds": -5 }), "input.timeoutSeconds"),
        (json!({ "code": "keep", "maxRetries": -1 }), "input.maxRetries"),
        (json!({ "code": "keep", "backoff": { "factor": 50 } }), "input.backoff.factor"),
        (json!({ "code": "keep", "executor": { "command": { "argv": [] } } }), "input.executor.command.argv"),
        (json!({ "code": "keep", "executor": { "http": { "url": "ftp://x" } } }), "input.executor.http.url"),
        (json!({ "code": "new job", "schedule": "* * * * *" }), "input.code"),
        (json!({ "code": "fresh", "schedule": "* * * * *" }), "input.executor"),
        (json!({ "code": "fresh", "executor": { "magento": {} } }), "input.schedule"),
        (json!({ "code": "fresh", "schedule": "@hourly", "executor": { "magento": {} } }), "input.schedule"),
    ];
    for (input, field) in cases {
        let body = api.gql("admin", UPSERT, json!({ "input": input })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert!(message(&body).starts_with(&format!("{field}:")), "{input}: expected {field}, got {body}");
    }
    assert_eq!(job_count(&api).await, 1);
    let job = api.ok("viewer", r#"{ job(code: "keep") { schedule lane timezone timeoutSeconds maxRetries updatedAt createdAt } }"#, json!({})).await;
    assert_eq!(job["job"]["schedule"], "*/5 * * * *");
    assert_eq!(job["job"]["lane"], "default");
    assert_eq!(job["job"]["timezone"], Value::Null);
    assert_eq!(job["job"]["timeoutSeconds"], Value::Null);
    assert_eq!(job["job"]["updatedAt"], job["job"]["createdAt"]);
    let refused = api.audit_outcomes().await.iter().filter(|(_, o)| o.starts_with("BAD_USER_INPUT")).count();
    assert_eq!(refused, 12, "each refused mutation is audited");
}

#[tokio::test]
async fn the_jobs_connection_pages_filters_and_sorts() {
    let api = spawn_api().await;
    for code in ["a1", "a2", "a3", "b1", "b2"] {
        api.create_job(code).await;
    }
    api.ok("admin", UPSERT, json!({ "input": { "code": "b2", "lane": "bulk", "description": "special one" } })).await;
    let q = "query($after: String) { jobs(first: 2, after: $after) { totalCount nodes { code } edges { cursor node { code } } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    let p1 = api.ok("viewer", q, json!({})).await["jobs"].clone();
    assert_eq!(p1["totalCount"], 5);
    assert_eq!(p1["nodes"], json!([{ "code": "a1" }, { "code": "a2" }]));
    assert_eq!(p1["pageInfo"]["hasNextPage"], true);
    assert_eq!(p1["edges"][1]["cursor"], p1["pageInfo"]["endCursor"]);
    let p3 = api.ok("viewer", q, json!({ "after": api.ok("viewer", q, json!({ "after": p1["pageInfo"]["endCursor"] })).await["jobs"]["pageInfo"]["endCursor"] })).await["jobs"].clone();
    assert_eq!(p3["nodes"], json!([{ "code": "b2" }]));
    assert_eq!(p3["pageInfo"], json!({ "hasNextPage": false, "hasPreviousPage": true, "endCursor": p3["edges"][0]["cursor"] }));

    let f = api.ok("viewer", r#"{ byLane: jobs(filter: { lane: "bulk" }) { totalCount } bySearch: jobs(filter: { search: "SPECIAL" }) { nodes { code } }
        byCodes: jobs(filter: { codes: ["a1", "b1"] }) { totalCount } users: jobs(filter: { source: USER, paused: false }) { totalCount }
        sorted: jobs(sort: { field: CODE, direction: DESC }, first: 1) { nodes { code } } }"#, json!({})).await;
    assert_eq!(f["byLane"]["totalCount"], 1);
    assert_eq!(f["bySearch"]["nodes"], json!([{ "code": "b2" }]));
    assert_eq!(f["byCodes"]["totalCount"], 2);
    assert_eq!(f["users"]["totalCount"], 5);
    assert_eq!(f["sorted"]["nodes"], json!([{ "code": "b2" }]));

    let body = api.gql("viewer", r#"{ jobs(after: "bm9wZQ") { totalCount } }"#, json!({})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(message(&body).starts_with("after:"));
}

#[tokio::test]
async fn mass_actions_act_on_all_codes_or_on_none() {
    let api = spawn_api().await;
    for code in ["x", "y", "z"] {
        api.create_job(code).await;
    }
    let body = api.gql("operator", r#"mutation { pauseJobs(codes: ["x", "missing"]) { code } }"#, json!({})).await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    assert!(message(&body).contains("missing"));
    let paused = api.ok("viewer", "{ jobs(filter: { paused: true }) { totalCount } }", json!({})).await;
    assert_eq!(paused["jobs"]["totalCount"], 0, "a refused mass pause paused something");

    let data = api.ok("operator", r#"mutation { pauseJobs(codes: ["x", "y"]) { code paused } }"#, json!({})).await;
    assert_eq!(data["pauseJobs"], json!([{ "code": "x", "paused": true }, { "code": "y", "paused": true }]));
    let data = api.ok("operator", r#"mutation { resumeJobs(codes: ["x"]) { paused } runJobsNow(codes: ["x", "z"]) { jobCode status } }"#, json!({})).await;
    assert_eq!(data["resumeJobs"], json!([{ "paused": false }]));
    assert_eq!(data["runJobsNow"], json!([{ "jobCode": "x", "status": "QUEUED" }, { "jobCode": "z", "status": "QUEUED" }]));
    let data = api.ok("operator", r#"mutation { resumeJob(code: "y") { paused } }"#, json!({})).await;
    assert_eq!(data["resumeJob"]["paused"], false);

    let body = api.gql("admin", r#"mutation { deleteJobs(codes: ["x", "nope"]) }"#, json!({})).await;
    assert_eq!(code(&body), "NOT_FOUND");
    assert_eq!(job_count(&api).await, 3);
    let data = api.ok("admin", r#"mutation { deleteJobs(codes: ["x", "y"]) }"#, json!({})).await;
    assert_eq!(data["deleteJobs"], 2);
    let data = api.ok("admin", r#"mutation { deleteJob(code: "z") }"#, json!({})).await;
    assert_eq!(data["deleteJob"], true);
    assert_eq!(job_count(&api).await, 0);
    let runs = api.ok("viewer", "{ runs { nodes { jobCode status error } } }", json!({})).await;
    for run in runs["runs"]["nodes"].as_array().unwrap() {
        assert_eq!(run["status"], "SKIPPED", "waiting runs of deleted jobs are skipped: {run}");
    }
    let body = api.gql("admin", r#"mutation { deleteJob(code: "z") }"#, json!({})).await;
    assert_eq!(code(&body), "NOT_FOUND");
}

#[tokio::test]
async fn run_now_schedule_at_kill_and_retry_follow_the_run_contract() {
    let api = spawn_api().await;
    api.ok("admin", UPSERT, json!({ "input": { "code": "mail", "schedule": "* * * * *", "lane": "critical", "priority": 9, "executor": { "magento": {} } } })).await;
    let run = api.ok("operator", r#"mutation { runJobNow(code: "mail") { id jobCode lane status trigger attempt retryOf priority scheduledAt } }"#, json!({})).await["runJobNow"].clone();
    assert_eq!(run["status"], "QUEUED");
    assert_eq!(run["trigger"], "MANUAL");
    assert_eq!((run["lane"].as_str(), run["priority"].as_i64(), run["attempt"].as_i64()), (Some("critical"), Some(9), Some(1)));
    assert!(run["retryOf"].is_null());
    let id = run["id"].as_str().unwrap().to_string();

    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let later = api.ok("operator", "mutation($at: DateTime!) { scheduleJobAt(code: \"mail\", at: $at) { status scheduledAt } }", json!({ "at": at })).await;
    assert_eq!(later["scheduleJobAt"]["status"], "PENDING");
    let body = api.gql("operator", r#"mutation { scheduleJobAt(code: "mail", at: "2001-01-01T00:00:00Z") { id } }"#, json!({})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(message(&body).starts_with("at:"));

    let body = api.gql("operator", "mutation($id: ID!) { retryRun(id: $id) { id } }", json!({ "id": id })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "a queued run cannot be retried: {body}");
    let killed = api.ok("operator", "mutation($id: ID!) { killRun(id: $id) { status error } }", json!({ "id": id })).await;
    assert_eq!(killed["killRun"]["status"], "KILLED");
    let body = api.gql("operator", "mutation($id: ID!) { killRun(id: $id) { status } }", json!({ "id": id })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "killing a finished run: {body}");

    let retry = api.ok("operator", "mutation($id: ID!) { retryRun(id: $id) { id status trigger attempt retryOf } }", json!({ "id": id })).await["retryRun"].clone();
    assert_eq!((retry["status"].as_str(), retry["trigger"].as_str(), retry["attempt"].as_i64()), (Some("QUEUED"), Some("RETRY"), Some(2)));
    assert_eq!(retry["retryOf"], id.as_str());
    // Kill and retry the retry: the chain still points at the first attempt.
    let retry_id = retry["id"].as_str().unwrap().to_string();
    api.ok("operator", "mutation($id: ID!) { killRun(id: $id) { id } }", json!({ "id": retry_id })).await;
    let third = api.ok("operator", "mutation($id: ID!) { retryRun(id: $id) { attempt retryOf } }", json!({ "id": retry_id })).await;
    assert_eq!(third["retryRun"], json!({ "attempt": 3, "retryOf": id }));

    for (m, want) in [
        (r#"mutation { killRun(id: "999999") { id } }"#, "NOT_FOUND"),
        (r#"mutation { killRun(id: "abc") { id } }"#, "BAD_USER_INPUT"),
        (r#"mutation { runJobNow(code: "ghost") { id } }"#, "NOT_FOUND"),
        (r#"mutation { acknowledgeAlert(id: "1") { id } }"#, "NOT_FOUND"),
    ] {
        assert_eq!(code(&api.gql("operator", m, json!({})).await), want, "{m}");
    }
    let one = api.ok("viewer", "query($id: ID!) { run(id: $id) { id status durationMs job { code } } }", json!({ "id": id })).await;
    assert_eq!(one["run"]["job"]["code"], "mail");
}

#[tokio::test]
async fn killing_a_running_run_flags_it_for_its_worker() {
    let api = spawn_api().await;
    api.create_job("long").await;
    api.ok("operator", r#"mutation { runJobNow(code: "long") { id } }"#, json!({})).await;
    let now = chrono::Utc::now().timestamp_millis();
    let claimed = cronkeeper::store::runs::claim_next(&api.state.store, "default", "test-worker", now).await.unwrap();
    let cronkeeper::store::runs::ClaimOutcome::Run(claimed) = claimed else { panic!("nothing to claim") };
    let killed = api.ok("operator", "mutation($id: ID!) { killRun(id: $id) { status killRequested worker } }", json!({ "id": claimed.run.id.to_string() })).await;
    assert_eq!(killed["killRun"], json!({ "status": "RUNNING", "killRequested": true, "worker": "test-worker" }));
}

#[tokio::test]
async fn runs_filter_sort_and_the_timeline_groups_by_job() {
    let api = spawn_api().await;
    api.create_job("a").await;
    api.create_job("b").await;
    api.ok("operator", r#"mutation { runJobsNow(codes: ["a", "b", "a"]) { id } }"#, json!({})).await;
    let data = api.ok("viewer", r#"{ all: runs { totalCount } a: runs(filter: { jobCode: "a", statuses: [QUEUED] }, sort: { field: ID, direction: ASC }) { nodes { jobCode } }
        none: runs(filter: { statuses: [FAILED] }) { totalCount } lane: runs(filter: { lane: "default", jobCodes: ["b"] }) { totalCount } }"#, json!({})).await;
    assert_eq!(data["all"]["totalCount"], 2, "duplicate codes in one mass action run once");
    assert_eq!(data["a"]["nodes"], json!([{ "jobCode": "a" }]));
    assert_eq!(data["none"]["totalCount"], 0);
    assert_eq!(data["lane"]["totalCount"], 1);

    let from = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let to = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let tl = api.ok("viewer", "query($from: DateTime!, $to: DateTime!) { timeline(from: $from, to: $to) { jobCode runs { status } } }", json!({ "from": from, "to": to })).await;
    assert_eq!(tl["timeline"], json!([{ "jobCode": "a", "runs": [{ "status": "QUEUED" }] }, { "jobCode": "b", "runs": [{ "status": "QUEUED" }] }]));
    let only_b = api.ok("viewer", "query($from: DateTime!, $to: DateTime!) { timeline(from: $from, to: $to, jobCodes: [\"b\"]) { jobCode } }", json!({ "from": from, "to": to })).await;
    assert_eq!(only_b["timeline"], json!([{ "jobCode": "b" }]));
    let body = api.gql("viewer", "query($from: DateTime!) { timeline(from: $from, to: $from) { jobCode } }", json!({ "from": from })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn purge_runs_deletes_only_old_finished_runs() {
    let api = spawn_api().await;
    api.create_job("p").await;
    let ids: Vec<String> = api.ok("operator", r#"mutation { runJobsNow(codes: ["p"]) { id } }"#, json!({})).await["runJobsNow"]
        .as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_string()).collect();
    api.ok("operator", "mutation($id: ID!) { killRun(id: $id) { id } }", json!({ "id": ids[0] })).await;
    api.ok("operator", r#"mutation { runJobNow(code: "p") { id } }"#, json!({})).await;
    let body = api.gql("admin", r#"mutation($t: DateTime!) { purgeRuns(olderThan: $t, statuses: [QUEUED]) }"#, json!({ "t": chrono::Utc::now().to_rfc3339() })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(message(&body).starts_with("statuses:"), "{body}");
    let old = api.ok("admin", r#"mutation { purgeRuns(olderThan: "2001-01-01T00:00:00Z") }"#, json!({})).await;
    assert_eq!(old["purgeRuns"], 0);
    tokio::time::sleep(Duration::from_millis(5)).await;
    let purged = api.ok("admin", r#"mutation($t: DateTime!) { purgeRuns(olderThan: $t, statuses: [KILLED, FAILED]) }"#, json!({ "t": chrono::Utc::now().to_rfc3339() })).await;
    assert_eq!(purged["purgeRuns"], 1);
    let left = api.ok("viewer", "{ runs { nodes { status } } }", json!({})).await;
    assert_eq!(left["runs"]["nodes"], json!([{ "status": "QUEUED" }]));
}

const SYNC: &str = "mutation($input: [MagentoJobInput!]!) { syncMagentoJobs(input: $input) { created updated unchanged removed warnings } }";

fn magento(code: &str, group: &str, schedule: Option<&str>) -> Value {
    json!({ "code": code, "group": group, "schedule": schedule, "configPath": if schedule.is_none() { json!(format!("crontab/{code}")) } else { Value::Null },
        "instance": "Vendor\\Cron\\Thing", "method": "execute" })
}

#[tokio::test]
async fn magento_sync_creates_updates_removes_and_respects_operator_overrides() {
    let api = spawn_api().await;
    api.create_job("user_job").await;
    let first = json!([
        magento("indexer_reindex_all_invalid", "index", Some("* * * * *")),
        magento("sales_send_order_emails", "default", Some("* * * * *")),
        magento("newsletter_send_all", "default", Some("*/5 * * * *")),
        magento("configured_elsewhere", "default", None),
        magento("going_away", "default", Some("0 * * * *")),
        magento("user_job", "default", Some("0 * * * *")),
    ]);
    let r = api.ok("admin", SYNC, json!({ "input": first })).await["syncMagentoJobs"].clone();
    assert_eq!((r["created"].as_i64(), r["updated"].as_i64(), r["removed"].as_i64()), (Some(5), Some(0), Some(0)), "{r}");
    assert!(r["warnings"].to_string().contains("user_job"), "{r}");

    let jobs = api.ok("viewer", r#"{ jobs(filter: { source: MAGENTO }) { nodes { code lane paused schedule configPath warnings } } }"#, json!({})).await;
    let by_code = |c: &str| jobs["jobs"]["nodes"].as_array().unwrap().iter().find(|j| j["code"] == c).unwrap().clone();
    assert_eq!(by_code("indexer_reindex_all_invalid")["lane"], "critical");
    assert_eq!(by_code("sales_send_order_emails")["lane"], "critical");
    assert_eq!(by_code("newsletter_send_all")["lane"], "default");
    assert_eq!(by_code("configured_elsewhere")["paused"], true);
    assert!(by_code("configured_elsewhere")["warnings"][0].as_str().unwrap().contains("crontab/configured_elsewhere"));

    // An operator moves one job to another lane and pauses another.
    api.ok("admin", UPSERT, json!({ "input": { "code": "newsletter_send_all", "lane": "bulk" } })).await;
    api.ok("operator", r#"mutation { pauseJob(code: "sales_send_order_emails") { code } }"#, json!({})).await;
    let j = api.ok("viewer", r#"{ job(code: "newsletter_send_all") { overrides } }"#, json!({})).await;
    assert_eq!(j["job"]["overrides"], json!(["lane"]));

    let second = json!([
        magento("indexer_reindex_all_invalid", "index", Some("* * * * *")),
        magento("sales_send_order_emails", "default", Some("*/2 * * * *")),
        magento("newsletter_send_all", "default", Some("*/10 * * * *")),
        magento("configured_elsewhere", "default", Some("30 2 * * *")),
        magento("user_job", "default", Some("0 * * * *")),
    ]);
    let r = api.ok("admin", SYNC, json!({ "input": second })).await["syncMagentoJobs"].clone();
    assert_eq!((r["created"].as_i64(), r["updated"].as_i64(), r["unchanged"].as_i64(), r["removed"].as_i64()), (Some(0), Some(3), Some(1), Some(1)), "{r}");
    let j = api.ok("viewer", r#"{ a: job(code: "newsletter_send_all") { lane schedule } b: job(code: "sales_send_order_emails") { paused schedule }
        c: job(code: "configured_elsewhere") { paused schedule } d: job(code: "going_away") { code } e: job(code: "user_job") { source } }"#, json!({})).await;
    assert_eq!(j["a"], json!({ "lane": "bulk", "schedule": "*/10 * * * *" }), "the lane override survives the sync");
    assert_eq!(j["b"], json!({ "paused": true, "schedule": "*/2 * * * *" }), "the pause survives the sync");
    assert_eq!(j["c"], json!({ "paused": false, "schedule": "30 2 * * *" }), "a resolved schedule unpauses");
    assert!(j["d"].is_null());
    assert_eq!(j["e"]["source"], "USER");

    let body = api.gql("admin", SYNC, json!({ "input": [magento("bad code!", "default", None)] })).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(message(&body).starts_with("input[0].code:"), "{body}");
    assert_eq!(job_count(&api).await, 5, "a refused sync changed nothing");
}

#[tokio::test]
async fn secrets_are_redacted_in_the_audit_log_and_in_job_executors() {
    let api = spawn_api().await;
    let input = json!({ "code": "s", "schedule": "* * * * *",
        "executor": { "command": { "argv": ["x"], "env": [{ "name": "DB_PASSWORD", "value": "hunter2" }, { "name": "LEVEL", "value": "3" }] } } });
    api.ok("admin", UPSERT, json!({ "input": input })).await;
    let audit = api.ok("viewer", "{ auditLog { totalCount nodes { subject role operation arguments outcome at } } }", json!({})).await;
    let entry = &audit["auditLog"]["nodes"][0];
    assert_eq!((entry["subject"].as_str(), entry["role"].as_str(), entry["operation"].as_str()), (Some("admin-tester"), Some("admin"), Some("upsertJob")));
    assert!(!entry["arguments"].as_str().unwrap().contains("hunter2"), "{entry}");
    assert!(entry["arguments"].as_str().unwrap().contains("LEVEL"), "{entry}");
    let job = api.ok("viewer", r#"{ job(code: "s") { executor { ... on CommandExecutor { env { name value } } } } }"#, json!({})).await;
    assert_eq!(job["job"]["executor"]["env"], json!([{ "name": "DB_PASSWORD", "value": "[redacted]" }, { "name": "LEVEL", "value": "3" }]));
}

#[tokio::test]
async fn lanes_workers_and_the_not_yet_supervised_lists_tell_the_truth() {
    let api = spawn_api().await;
    api.create_job("q").await;
    api.ok("operator", r#"mutation { runJobNow(code: "q") { id } }"#, json!({})).await;
    let now = chrono::Utc::now().timestamp_millis();
    cronkeeper::store::instances::register(&api.state.store, &cronkeeper::store::instances::Instance {
        id: "node1/42/7".into(), node: "node1".into(), pid: 42, pid_start: 7, role: "all".into(), started_at: now, heartbeat_at: now, stopped_at: None,
        host: "web-1".into(), lane_slots: vec![("critical".into(), 4), ("default".into(), 2)], version: "9.9.9".into(),
    }).await.unwrap();
    let data = api.ok("viewer", "{ lanes { name slots busy queued oldestQueuedAt oldestQueuedAgeSeconds } workers { id node pid alive } queues { name transport ready inFlight consumers } consumers { name } alerts { totalCount nodes { id } } alertRules { name } }", json!({})).await;
    let default = data["lanes"].as_array().unwrap().iter().find(|l| l["name"] == "default").unwrap();
    assert_eq!((default["slots"].as_i64(), default["busy"].as_i64(), default["queued"].as_i64()), (Some(2), Some(0), Some(1)));
    assert!(default["oldestQueuedAt"].is_string());
    assert_eq!(data["lanes"].as_array().unwrap().len(), 3);
    assert_eq!(data["workers"], json!([{ "id": "node1/42/7", "node": "node1", "pid": 42, "alive": true }]));
    // The embedded lane queues: the store's QUEUED and RUNNING runs, and the live workers of each lane.
    let default = data["queues"].as_array().unwrap().iter().find(|q| q["name"] == "default").unwrap();
    assert_eq!(default, &json!({ "name": "default", "transport": "EMBEDDED", "ready": 1, "inFlight": 0, "consumers": 1 }));
    let bulk = data["queues"].as_array().unwrap().iter().find(|q| q["name"] == "bulk").unwrap();
    assert_eq!(bulk["consumers"], 0, "no worker works bulk");
    let w = api.ok("viewer", "{ workers { host lanes slots busy version status lastHeartbeatAt } }", json!({})).await;
    assert_eq!(w["workers"][0]["lanes"], json!(["critical", "default"]));
    assert_eq!((w["workers"][0]["slots"].as_i64(), w["workers"][0]["busy"].as_i64()), (Some(6), Some(0)));
    assert_eq!((w["workers"][0]["host"].as_str(), w["workers"][0]["version"].as_str(), w["workers"][0]["status"].as_str()), (Some("web-1"), Some("9.9.9"), Some("ACTIVE")));
    assert_eq!(data["consumers"], json!([]));
    assert_eq!(data["alerts"]["totalCount"], 0);
    assert_eq!(data["alertRules"], json!([]));
}

#[tokio::test]
async fn cron_preview_lists_fire_times_and_names_bad_input() {
    let api = spawn_api().await;
    let data = api.ok("viewer", r#"{ cronPreview(expression: "*/15 * * * *", timezone: "Europe/Berlin", count: 3) { expression timezone nextRuns warnings } }"#, json!({})).await;
    assert_eq!(data["cronPreview"]["timezone"], "Europe/Berlin");
    assert_eq!(data["cronPreview"]["nextRuns"].as_array().unwrap().len(), 3);
    for (q, field) in [
        (r#"{ cronPreview(expression: "@hourly") { expression } }"#, "expression"),
        (r#"{ cronPreview(expression: "* * * * *", timezone: "Nowhere/Land") { expression } }"#, "timezone"),
        (r#"{ cronPreview(expression: "* * * * *", count: 1000) { expression } }"#, "count"),
    ] {
        let body = api.gql("viewer", q, json!({})).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{q}");
        assert!(message(&body).starts_with(&format!("{field}:")), "{body}");
    }
}

#[tokio::test]
async fn a_subscription_receives_run_events_as_they_happen() {
    let api = spawn_api().await;
    api.create_job("watched").await;
    api.create_job("other").await;
    let url = format!("{}/graphql", api.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", token("viewer")) } });
    ws.send(Message::text(init.to_string())).await.unwrap();
    let ack = ws.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    let sub = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { runEvents(jobCode: \"watched\") { runId jobCode lane status run { trigger } } }" } });
    ws.send(Message::text(sub.to_string())).await.unwrap();

    // The subscription starts asynchronously: keep causing events until one arrives.
    let event = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            api.ok("operator", r#"mutation { runJobsNow(codes: ["other", "watched"]) { id } }"#, json!({})).await;
            if let Ok(Some(Ok(msg))) = tokio::time::timeout(Duration::from_millis(500), ws.next()).await {
                return serde_json::from_str::<Value>(msg.to_text().unwrap()).unwrap();
            }
        }
    })
    .await
    .expect("no run event within 10 s");
    assert_eq!(event["type"], "next", "{event}");
    assert_eq!(event["payload"]["data"]["runEvents"]["jobCode"], "watched", "the jobCode filter lets only its job through");
    assert_eq!(event["payload"]["data"]["runEvents"]["status"], "QUEUED");
    assert_eq!(event["payload"]["data"]["runEvents"]["run"]["trigger"], "MANUAL");
}

#[tokio::test]
async fn the_jobs_page_answers_last_run_counts_and_next_run_as_each_job_alone_does() {
    let api = spawn_api().await;
    let now = chrono::Utc::now().timestamp_millis();
    for code in ["p_busy", "p_failing", "p_never", "p_paused"] {
        api.create_job(code).await;
    }
    api.ok("operator", r#"mutation { pauseJob(code: "p_paused") { code } }"#, json!({})).await;
    for (i, status) in ["SUCCEEDED", "FAILED", "SUCCEEDED"].iter().enumerate() {
        let at = now - 3_600_000 + i as i64 * 60_000;
        insert_run(&api, "p_busy", status, at, Some(at), Some(at + 1_000), 0).await;
    }
    insert_run(&api, "p_failing", "FAILED", now - 60_000, Some(now - 60_000), Some(now - 50_000), 0).await;
    insert_run(&api, "p_failing", "SUCCEEDED", now - 3 * 86_400_000, Some(now - 3 * 86_400_000), Some(now - 3 * 86_400_000 + 1), 0).await;
    api.ok("operator", r#"mutation { runJobNow(code: "p_busy") { id } }"#, json!({})).await;

    const FIELDS: &str = "code nextRunAt lastRun { id status } runCounts { status count } week: runCounts(since: \"2000-01-01T00:00:00Z\") { status count }";
    let page = api.ok("viewer", &format!("{{ jobs(first: 50) {{ nodes {{ {FIELDS} }} }} }}"), json!({})).await;
    let nodes = page["jobs"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 4);
    for node in nodes {
        let alone = api.ok("viewer", &format!("query($c: String!) {{ job(code: $c) {{ {FIELDS} }} }}"), json!({ "c": node["code"] })).await;
        assert_eq!(node, &alone["job"], "the page's answer for {} differs from job(code)", node["code"]);
    }
    let busy = nodes.iter().find(|n| n["code"] == "p_busy").unwrap();
    assert_eq!(busy["lastRun"]["status"], "SUCCEEDED", "the queued run is not the last run: {busy}");
    assert_eq!(busy["runCounts"].as_array().unwrap().len(), 3, "SUCCEEDED, FAILED and the QUEUED run: {busy}");
    let failing = nodes.iter().find(|n| n["code"] == "p_failing").unwrap();
    assert_eq!(failing["runCounts"], json!([{ "status": "FAILED", "count": 1 }]), "the default window is the last day");
    assert_eq!(failing["week"].as_array().unwrap().len(), 2, "an aliased runCounts keeps its own `since`");
    let never = nodes.iter().find(|n| n["code"] == "p_never").unwrap();
    assert!(never["lastRun"].is_null() && never["runCounts"] == json!([]));
    assert!(nodes.iter().find(|n| n["code"] == "p_paused").unwrap()["nextRunAt"].is_null());
}
