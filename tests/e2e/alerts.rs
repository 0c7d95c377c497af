//! Alerting through the real binary: a failing job and a webhook channel.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

use crate::support::spawn_app;

const KEY: &str = "e2e-webhook-hmac-key-0123456789";

type Hits = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

async fn receiver() -> (std::net::SocketAddr, Hits) {
    let hits: Hits = Arc::default();
    let h = hits.clone();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: axum::body::Bytes| {
        let h = h.clone();
        async move {
            h.lock().unwrap().push((headers, body.to_vec()));
            "ok"
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, hits)
}

fn verify(headers: &HeaderMap, body: &[u8]) {
    use hmac::{Hmac, Mac};
    let sig = headers["x-cronkeeper-signature"].to_str().unwrap();
    let (t, v1) = sig.split_once(',').unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(KEY.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&hex::decode(v1.strip_prefix("v1=").unwrap()).unwrap()).expect("the signature verifies");
}

#[tokio::test]
async fn a_failing_job_sends_exactly_one_signed_opened_notification() {
    let (addr, hits) = receiver().await;
    let app = spawn_app(&format!(
        r#"
[[jobs]]
code = "sales_broken"
schedule = "@every 1h"
command = ["sh", "-c", "echo 'payment gateway unreachable' >&2; exit 3"]

[alerts]
admin_base_url = "https://shop.test/admin"
[[alerts.channels]]
name = "hook"
kind = "webhook"
url = "http://{addr}/cronkeeper/SECRETPATH"
secret = "{KEY}"
[[alerts.rules]]
name = "sales failures"
when = "run_failed"
jobs = ["sales_*"]
channels = ["hook"]
"#
    ))
    .await;
    app.queue_now("sales_broken", "default").await;
    app.wait_for("sales_broken", Duration::from_secs(20), |r| r.iter().any(|r| r.status.is_terminal())).await;
    app.queue_now("sales_broken", "default").await;
    app.wait_for("sales_broken", Duration::from_secs(20), |r| r.iter().filter(|r| r.status.is_terminal()).count() == 2).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    while hits.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no notification arrived; log:\n{}", app.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let hits = hits.lock().unwrap().clone();
    assert_eq!(hits.len(), 1, "two failures, one open alert, one notification");
    let (headers, body) = &hits[0];
    verify(headers, body);
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["event"], "opened");
    assert_eq!(v["job"], "sales_broken");
    assert_eq!(v["alert"]["rule"], "sales failures");
    assert!(v["error"].as_str().unwrap_or("").contains("payment gateway unreachable") || v["status"] == "FAILED", "{v}");
    assert!(v["link"].as_str().unwrap().starts_with("https://shop.test/admin/cronkeeper/run/index/id/"));
    assert_eq!(headers["x-cronkeeper-idempotency-key"].to_str().unwrap(), v["idempotency_key"].as_str().unwrap());
    let log = app.log();
    assert!(!log.contains("SECRETPATH") && !log.contains(KEY), "a secret reached the log:\n{log}");
}

/// A crash (kill -9) leaves a run RUNNING; the next start's recovery closes it
/// INTERRUPTED, and a rule on INTERRUPTED must hear of it, although recovery
/// runs before anything else starts.
#[tokio::test]
async fn a_run_interrupted_by_a_crash_is_alerted_after_the_restart() {
    let (addr, hits) = receiver().await;
    let mut app = spawn_app(&format!(
        r#"
[[jobs]]
code = "sales_long"
schedule = "0 0 1 1 *"
command = ["sleep", "60"]

[alerts]
[[alerts.channels]]
name = "hook"
kind = "webhook"
url = "http://{addr}/hook"
secret = "{KEY}"
[[alerts.rules]]
name = "crashes"
when = "run_failed"
statuses = ["INTERRUPTED"]
jobs = ["sales_*"]
channels = ["hook"]
"#
    ))
    .await;
    app.queue_now("sales_long", "default").await;
    app.wait_for("sales_long", Duration::from_secs(20), |r| r.iter().any(|r| r.status == cronkeeper::domain::RunStatus::Running)).await;
    app.kill_9();
    app.restart().await;
    app.wait_for("sales_long", Duration::from_secs(30), |r| r.iter().any(|r| r.status == cronkeeper::domain::RunStatus::Interrupted)).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while hits.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no notification for the interrupted run; log:\n{}", app.log());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (headers, body) = hits.lock().unwrap()[0].clone();
    verify(&headers, &body);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((v["event"].as_str(), v["job"].as_str(), v["status"].as_str()), (Some("opened"), Some("sales_long"), Some("INTERRUPTED")), "{v}");
}
