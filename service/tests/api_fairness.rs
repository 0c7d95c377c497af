//! One caller cannot crowd out the others: a token subject over its share of
//! operations at once waits, then gets TOO_MANY_REQUESTS (HTTP 429, never a
//! 5xx), while other subjects are served; and a query text over the length
//! cap is refused before parsing, with the cap named.

mod api_support;

use std::time::{Duration, Instant};

use api_support::*;
use futures::{SinkExt as _, StreamExt as _};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use cronkeeper::api::schema::budget::MAX_QUERY_BYTES;

/// One operation per subject at once; the next one waits `wait`.
async fn spawn_with_share_of_one(wait: &str) -> Api {
    let wait = wait.to_string();
    spawn_api_with(move |f| {
        f.graphql.max_concurrent_per_subject = Some(1);
        f.graphql.queue_timeout = Some(wait);
    })
    .await
}

/// POSTs as `role` (subject `<role>-tester`); returns the status, the
/// Retry-After header and the JSON body.
async fn post(api: &Api, role: &str, query: &str) -> (u16, Option<String>, Value) {
    let resp = api
        .client
        .post(format!("{}/graphql", api.base))
        .bearer_auth(token(role))
        .json(&json!({ "query": query }))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry_after = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let text = resp.text().await.unwrap();
    (status, retry_after, serde_json::from_str(&text).unwrap_or_else(|_| panic!("HTTP {status}: not JSON: {text}")))
}

#[tokio::test]
async fn a_second_subject_is_served_while_the_first_waits_for_its_share() {
    let api = spawn_with_share_of_one("2s").await;
    // The viewer's one slot is taken, as by a long query of its own.
    let held = api.state.fair_share.turn("viewer-tester").await.unwrap();
    let started = Instant::now();
    let waiting = {
        let (base, client) = (api.base.clone(), api.client.clone());
        tokio::spawn(async move {
            let resp = client.post(format!("{base}/graphql")).bearer_auth(token("viewer")).json(&json!({ "query": "{ me { role } }" })).send().await.unwrap();
            (resp.status().as_u16(), started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, _, body) = post(&api, "operator", "{ me { subject role } }").await;
    assert_eq!((status, body["data"]["me"]["subject"].as_str()), (200, Some("operator-tester")), "{body}");
    assert!(!waiting.is_finished(), "the operator was answered while the viewer still waited for its turn");
    drop(held);
    let (status, waited) = waiting.await.unwrap();
    assert_eq!(status, 200, "served once its slot was free");
    assert!(waited < Duration::from_secs(2), "served when the slot was freed, not refused: {waited:?}");
}

#[tokio::test]
async fn over_its_share_a_subject_gets_429_too_many_requests_after_the_wait() {
    let api = spawn_with_share_of_one("300ms").await;
    let _held = api.state.fair_share.turn("viewer-tester").await.unwrap();
    let started = Instant::now();
    let (status, retry_after, body) = post(&api, "viewer", "{ me { role } }").await;
    let waited = started.elapsed();
    assert_eq!(status, 429, "{body}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    assert_eq!(code(&body), "TOO_MANY_REQUESTS", "{body}");
    assert!(message(&body).contains("at most 1 run at a time") && message(&body).contains("300ms"), "{body}");
    assert!(body["data"].is_null(), "nothing was executed: {body}");
    assert!(waited >= Duration::from_millis(300), "refused only after its wait: {waited:?}");
    let metrics = api.client.get(format!("{}/metrics", api.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.lines().any(|l| l == "cronkeeper_graphql_refused_busy_total 1"), "{metrics}");
}

/// The share is held by real operations: a mutation blocked on the database
/// (another connection holds SQLite's write lock) keeps the operator's only
/// slot, so its next request is refused, while the viewer is answered.
#[tokio::test]
async fn an_operation_stuck_in_the_store_holds_its_subjects_share_only() {
    use sqlx::{Connection as _, Executor as _};
    let api = spawn_with_share_of_one("500ms").await;
    api.create_job("blocked").await;
    let mut lock = sqlx::SqliteConnection::connect(&format!("sqlite://{}/t.db", api.dir.path().display())).await.unwrap();
    lock.execute("BEGIN IMMEDIATE").await.unwrap();
    let stuck = {
        let (base, client) = (api.base.clone(), api.client.clone());
        tokio::spawn(async move {
            let resp = client
                .post(format!("{base}/graphql"))
                .bearer_auth(token("operator"))
                .json(&json!({ "query": r#"mutation { runJobNow(code: "blocked") { id } }"# }))
                .send()
                .await
                .unwrap();
            resp.json::<Value>().await.unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!stuck.is_finished(), "the mutation waits for the write lock");
    let (status, _, body) = post(&api, "operator", "{ me { role } }").await;
    assert_eq!((status, code(&body).as_str()), (429, "TOO_MANY_REQUESTS"), "{body}");
    let (status, _, body) = post(&api, "viewer", "{ me { role } }").await;
    assert_eq!((status, body["data"]["me"]["role"].as_str()), (200, Some("viewer")), "{body}");
    lock.execute("ROLLBACK").await.unwrap();
    let done = tokio::time::timeout(Duration::from_secs(10), stuck).await.unwrap().unwrap();
    assert!(done["data"]["runJobNow"]["id"].is_string(), "the stuck mutation completes: {done}");
    let (status, _, _) = post(&api, "operator", "{ me { role } }").await;
    assert_eq!(status, 200, "the slot is free again");
}

#[tokio::test]
async fn websocket_operations_count_against_the_same_share() {
    let api = spawn_with_share_of_one("300ms").await;
    let _held = api.state.fair_share.turn("viewer-tester").await.unwrap();
    let mut ws = ws_acked(&api, &token("viewer")).await;
    ws.send(Message::text(json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ me { role } }" } }).to_string())).await.unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
    let text = reply.to_text().unwrap();
    assert!(text.contains("TOO_MANY_REQUESTS") && !text.contains("\"role\""), "{text}");
}

#[tokio::test]
async fn a_query_text_over_the_cap_is_refused_naming_the_cap() {
    let api = spawn_api().await;
    let aliases: String = (0..3000).map(|i| format!("a{i}: __typename ")).collect();
    let query = format!("{{ {aliases} }}");
    assert!(query.len() > MAX_QUERY_BYTES);
    let (status, _, body) = post(&api, "viewer", &query).await;
    assert_eq!((status, code(&body).as_str()), (200, "QUERY_TOO_LARGE"), "{body}");
    assert!(message(&body).contains(&format!("at most {MAX_QUERY_BYTES}")) && message(&body).contains(&query.len().to_string()), "{body}");
    // Just under the cap is parsed and answered.
    let fits: String = (0..1500).map(|i| format!("a{i}: __typename ")).collect();
    let (status, _, body) = post(&api, "viewer", &format!("{{ {fits} }}")).await;
    assert_eq!((status, body["data"]["a1499"].as_str()), (200, Some("Query")), "{body}");
}
