//! The API as an operator's script uses it: a token from `cronkeeper token`,
//! a run started over GraphQL and carried out by the real workers.

use std::process::Command;
use std::time::Duration;

use cronkeeper::domain::RunStatus;

use crate::support::{graphql, spawn_app, BIN};

#[tokio::test]
async fn a_run_started_over_graphql_with_a_cli_token_is_carried_out_by_the_workers() {
    let app = spawn_app(
        r#"
[[jobs]]
code = "export"
schedule = "0 3 * * *"
command = ["sh", "-c", "echo exported"]
"#,
    )
    .await;
    let out = Command::new(BIN)
        .args(["token", "--role", "operator", "--sub", "ops-script", "--ttl", "5m", "--config"])
        .arg(&app.config)
        .env("CRONKEEPER_JWT_SECRET", "e2e-test-secret-e2e-test-secret-0123456789")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let answer = graphql(app.port, &token, r#"mutation { runJobNow(code: "export") { id status } }"#).await;
    assert!(answer["errors"].is_null(), "{answer}");
    let runs = app.wait_for("export", Duration::from_secs(10), |r| r.iter().any(|r| r.status == RunStatus::Succeeded)).await;
    assert_eq!(runs[0].output.as_deref().map(str::trim), Some("exported"));
    let answer = graphql(app.port, &token, r#"{ runs(filter: { jobCode: "export" }, first: 5) { totalCount nodes { status output } } }"#).await;
    assert_eq!(answer["data"]["runs"]["nodes"][0]["status"], "SUCCEEDED", "{answer}");
    let refused = graphql(app.port, &token, r#"mutation { deleteJob(code: "export") }"#).await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
}

#[tokio::test]
async fn readiness_reports_a_running_scheduler_and_metrics_show_the_lanes() {
    let app = spawn_app("").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = reqwest::get(format!("http://127.0.0.1:{}/readyz", app.port)).await.unwrap();
        if r.status().is_success() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "never ready: {}", r.text().await.unwrap());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let metrics = reqwest::get(format!("http://127.0.0.1:{}/metrics", app.port)).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("cronkeeper_lane_slots{lane=\"critical\"}"), "{metrics}");
}

#[test]
fn the_schema_command_prints_the_committed_sdl() {
    let out = Command::new(BIN).arg("schema").output().unwrap();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../graphql/schema.graphql")).unwrap();
    assert!(String::from_utf8(out.stdout).unwrap() == committed, "graphql/schema.graphql is stale: run `cargo run -p cronkeeper -- schema > graphql/schema.graphql`");
}

#[test]
fn a_token_longer_than_the_maximum_lifetime_is_refused_at_minting() {
    let out = Command::new(BIN)
        .args(["token", "--role", "admin", "--sub", "a", "--ttl", "2h"])
        .env("CRONKEEPER_JWT_SECRET", "e2e-test-secret-e2e-test-secret-0123456789")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_token_lifetime"));
}
