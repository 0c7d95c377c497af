//! The timeline over HTTP: per-run rows, the folded `spans` and their
//! `spanColumns`, on runs
//! written into the store in the states workers leave them in.

mod api_support;

use api_support::*;
use serde_json::{json, Value};

const MINUTE: i64 = 60_000;
const SPANS_Q: &str = "query($from: DateTime!, $to: DateTime!, $res: Int) { timeline(from: $from, to: $to, resolutionSeconds: $res) \
    { jobCode spans { status start end count firstRunId lastRunId } } }";

/// Two hours ago, on a two-minute boundary, so which runs share a bucket is fixed.
fn base() -> i64 {
    (chrono::Utc::now().timestamp_millis() - 2 * 60 * MINUTE) / (2 * MINUTE) * (2 * MINUTE)
}

/// One run a minute for an hour, each 10 s long: SUCCEEDED except minutes 20
/// and 21 (FAILED) and 40 (TIMED_OUT). Returns the run ids by minute.
async fn an_hour_of_minute_runs(api: &Api, code: &str, t0: i64) -> Vec<i64> {
    api.create_job(code).await;
    let mut ids = Vec::new();
    for m in 0..60 {
        let status = match m {
            20 | 21 => "FAILED",
            40 => "TIMED_OUT",
            _ => "SUCCEEDED",
        };
        let at = t0 + m * MINUTE;
        ids.push(insert_run(api, code, status, at, Some(at), Some(at + 10_000), 0).await);
    }
    ids
}

/// A span as the service prints it (`DateTime` as chrono's RFC 3339).
fn span(status: &str, start: i64, end: i64, count: i64, first: i64, last: i64) -> Value {
    let at = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339();
    json!({ "status": status, "start": at(start), "end": at(end), "count": count, "firstRunId": first.to_string(), "lastRunId": last.to_string() })
}

#[tokio::test]
async fn spans_fold_runs_of_one_status_and_never_absorb_a_failure() {
    let api = spawn_api().await;
    let t0 = base();
    let ids = an_hour_of_minute_runs(&api, "every_minute", t0).await;
    let vars = json!({ "from": iso(t0 - MINUTE), "to": iso(t0 + 61 * MINUTE), "res": 120 });
    let data = api.ok("viewer", SPANS_Q, vars).await;
    let end = |m: i64| t0 + m * MINUTE + 10_000;
    assert_eq!(
        data["timeline"],
        json!([{ "jobCode": "every_minute", "spans": [
            span("SUCCEEDED", t0, end(19), 20, ids[0], ids[19]),
            span("FAILED", t0 + 20 * MINUTE, end(21), 2, ids[20], ids[21]),
            span("SUCCEEDED", t0 + 22 * MINUTE, end(39), 18, ids[22], ids[39]),
            span("TIMED_OUT", t0 + 40 * MINUTE, end(40), 1, ids[40], ids[40]),
            span("SUCCEEDED", t0 + 41 * MINUTE, end(59), 19, ids[41], ids[59]),
        ] }]),
    );
}

/// `spanColumns` is `spans` transposed: entry i of every list is span i.
#[tokio::test]
async fn span_columns_are_the_spans_field_by_field() {
    let api = spawn_api().await;
    let t0 = base();
    an_hour_of_minute_runs(&api, "every_minute", t0).await;
    an_hour_of_minute_runs(&api, "also_every_minute", t0).await;
    let vars = json!({ "from": iso(t0 - MINUTE), "to": iso(t0 + 61 * MINUTE), "res": 120 });
    let q = "query($from: DateTime!, $to: DateTime!, $res: Int) { timeline(from: $from, to: $to, resolutionSeconds: $res) \
        { jobCode spans { status start end count firstRunId lastRunId } spanColumns { status start end count firstRunId lastRunId } } }";
    let data = api.ok("viewer", q, vars).await;
    let rows = data["timeline"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    for row in rows {
        let spans = row["spans"].as_array().expect("spans");
        assert_eq!(spans.len(), 5, "{row}");
        let columns = &row["spanColumns"];
        for field in ["status", "start", "end", "count", "firstRunId", "lastRunId"] {
            let column: Vec<&Value> = columns[field].as_array().expect(field).iter().collect();
            let from_spans: Vec<&Value> = spans.iter().map(|s| &s[field]).collect();
            assert_eq!(column, from_spans, "{field} of {}", row["jobCode"]);
        }
    }
}

#[tokio::test]
async fn a_gap_longer_than_the_resolution_splits_a_span_and_a_coarser_one_joins_it() {
    let api = spawn_api().await;
    let t0 = base();
    api.create_job("hourly").await;
    let first = insert_run(&api, "hourly", "SUCCEEDED", t0, Some(t0), Some(t0 + 5_000), 0).await;
    let second = insert_run(&api, "hourly", "SUCCEEDED", t0 + 60 * MINUTE, Some(t0 + 60 * MINUTE), Some(t0 + 60 * MINUTE + 5_000), 0).await;
    let window = |res: i64| json!({ "from": iso(t0 - MINUTE), "to": iso(t0 + 90 * MINUTE), "res": res });
    let fine = api.ok("viewer", SPANS_Q, window(600)).await;
    assert_eq!(fine["timeline"][0]["spans"].as_array().unwrap().len(), 2, "{fine}");
    let coarse = api.ok("viewer", SPANS_Q, window(3600)).await;
    assert_eq!(coarse["timeline"][0]["spans"], json!([span("SUCCEEDED", t0, t0 + 60 * MINUTE + 5_000, 2, first, second)]));
}

#[tokio::test]
async fn spans_count_folded_missed_fire_times_and_end_a_running_run_now() {
    let api = spawn_api().await;
    let t0 = base();
    api.create_job("flaky").await;
    insert_run(&api, "flaky", "MISSED", t0, None, Some(t0), 3).await;
    insert_run(&api, "flaky", "MISSED", t0 + MINUTE, None, Some(t0 + MINUTE), 0).await;
    insert_run(&api, "flaky", "RUNNING", t0 + 2 * MINUTE, Some(t0 + 2 * MINUTE), None, 0).await;
    let before = chrono::Utc::now().timestamp_millis();
    let data = api.ok("viewer", SPANS_Q, json!({ "from": iso(t0 - MINUTE), "to": iso(t0 + 180 * MINUTE), "res": 120 })).await;
    let spans = data["timeline"][0]["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 2, "{data}");
    assert_eq!((spans[0]["status"].as_str(), spans[0]["count"].as_i64()), (Some("MISSED"), Some(4)), "a folded MISSED entry counts each fire time");
    assert_eq!(spans[1]["status"], "RUNNING");
    let end = chrono::DateTime::parse_from_rfc3339(spans[1]["end"].as_str().unwrap()).unwrap().timestamp_millis();
    assert!(end >= before, "a running run's span reaches now: {end} < {before}");
}

#[tokio::test]
async fn runs_and_spans_describe_the_same_runs_in_one_request() {
    let api = spawn_api().await;
    let t0 = base();
    let ids = an_hour_of_minute_runs(&api, "both", t0).await;
    api.create_job("idle").await;
    let q = "query($from: DateTime!, $to: DateTime!) { timeline(from: $from, to: $to, resolutionSeconds: 120) { jobCode runs { id status } spans { status count } } }";
    let data = api.ok("viewer", q, json!({ "from": iso(t0 - MINUTE), "to": iso(t0 + 61 * MINUTE) })).await;
    let rows = data["timeline"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "a job without runs in the window has no row: {data}");
    let runs = rows[0]["runs"].as_array().unwrap();
    assert_eq!(runs.iter().map(|r| r["id"].as_str().unwrap().parse::<i64>().unwrap()).collect::<Vec<_>>(), ids);
    let counted: i64 = rows[0]["spans"].as_array().unwrap().iter().map(|s| s["count"].as_i64().unwrap()).sum();
    assert_eq!(counted, 60, "every run is in exactly one span");
    // Without `spans` or `runs` selected, the rows still name the jobs.
    let codes = api.ok("viewer", "query($from: DateTime!, $to: DateTime!) { timeline(from: $from, to: $to) { jobCode } }", json!({ "from": iso(t0), "to": iso(t0 + MINUTE) })).await;
    assert_eq!(codes["timeline"], json!([{ "jobCode": "both" }]));
}

#[tokio::test]
async fn a_resolution_outside_the_window_is_bad_input_naming_the_argument() {
    let api = spawn_api().await;
    let t0 = base();
    for res in [0, -5, 3601] {
        let body = api.gql("viewer", SPANS_Q, json!({ "from": iso(t0), "to": iso(t0 + 60 * MINUTE), "res": res })).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{res}: {body}");
        assert!(message(&body).starts_with("resolutionSeconds:"), "{body}");
    }
}
