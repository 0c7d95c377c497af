//! The API's edges: limits (page size, depth, complexity, body size), the
//! probes and metrics, introspection for GraphiQL, and the committed SDL.

mod api_support;

use api_support::*;
use serde_json::json;

const SDL_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../graphql/schema.graphql");

#[test]
fn the_committed_sdl_matches_the_schema_the_service_builds() {
    let built = cronkeeper::api::schema_sdl();
    let committed = std::fs::read_to_string(SDL_PATH).unwrap_or_default();
    assert!(
        committed == built,
        "graphql/schema.graphql is out of date with the schema the service builds; \
         regenerate it with `cargo run -p cronkeeper -- schema > graphql/schema.graphql` \
         (or `cargo test -p cronkeeper --test api_surface -- --ignored regenerate_the_committed_sdl`) and commit it"
    );
}

/// Rewrites graphql/schema.graphql from the schema; run on purpose only.
#[test]
#[ignore]
fn regenerate_the_committed_sdl() {
    std::fs::write(SDL_PATH, cronkeeper::api::schema_sdl()).unwrap();
}

#[tokio::test]
async fn a_page_larger_than_the_maximum_is_bad_input() {
    let api = spawn_api().await;
    let body = api.gql("viewer", "{ runs(first: 501) { totalCount } }", json!({})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert!(message(&body).starts_with("first:"), "{body}");
    let body = api.gql("viewer", "{ jobs(first: -1) { totalCount } }", json!({})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    api.ok("viewer", "{ runs(first: 500) { totalCount } auditLog(first: 500) { totalCount } }", json!({})).await;
}

#[tokio::test]
async fn queries_nested_too_deep_are_refused() {
    let api = spawn_api().await;
    let mut q = String::from("code");
    for _ in 0..10 {
        q = format!("lastRun {{ job {{ {q} }} }}");
    }
    let body = api.gql("viewer", &format!(r#"{{ job(code: "x") {{ {q} }} }}"#), json!({})).await;
    assert!(message(&body).to_lowercase().contains("nested too deep"), "{body}");
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn queries_that_are_too_complex_are_refused() {
    let api = spawn_api().await;
    let fields = "id jobCode lane status attempt scheduledAt startedAt finishedAt output error";
    let aliases: String = (0..12).map(|i| format!("r{i}: runs(first: 500) {{ nodes {{ {fields} }} }} ")).collect();
    let body = api.gql("viewer", &format!("{{ {aliases} }}"), json!({})).await;
    assert!(message(&body).to_lowercase().contains("too complex"), "{body}");
}

#[tokio::test]
async fn a_request_body_over_one_mebibyte_is_refused_with_413() {
    let api = spawn_api().await;
    let padding = " ".repeat(1024 * 1024 + 10);
    let resp = api
        .client
        .post(format!("{}/graphql", api.base))
        .bearer_auth(token("admin"))
        .json(&json!({ "query": format!("{{ me {{ role }} }}{padding}") }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn graphiql_introspection_fits_within_the_limits() {
    let api = spawn_api().await;
    let type_ref = "fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";
    let q = format!(
        "query IntrospectionQuery {{ __schema {{ queryType {{ name }} mutationType {{ name }} subscriptionType {{ name }} \
         types {{ ...FullType }} directives {{ name description locations args {{ ...InputValue }} }} }} }} \
         fragment FullType on __Type {{ kind name description fields(includeDeprecated: true) {{ name description args {{ ...InputValue }} type {{ ...TypeRef }} isDeprecated deprecationReason }} \
         inputFields {{ ...InputValue }} interfaces {{ ...TypeRef }} enumValues(includeDeprecated: true) {{ name description isDeprecated deprecationReason }} possibleTypes {{ ...TypeRef }} }} \
         fragment InputValue on __InputValue {{ name description type {{ ...TypeRef }} defaultValue }} {type_ref}"
    );
    let data = api.ok("viewer", &q, json!({})).await;
    assert_eq!(data["__schema"]["subscriptionType"]["name"], "Subscription");
}

#[tokio::test]
async fn health_needs_no_token_and_readiness_follows_the_scheduler() {
    let api = spawn_api().await;
    let health = api.client.get(format!("{}/healthz", api.base)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = api.client.get(format!("{}/readyz", api.base)).send().await.unwrap();
    assert_eq!(ready.status(), 503, "not ready before the scheduler ticked");
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!((body["store"].as_bool(), body["scheduler"].as_bool()), (Some(true), Some(false)));
    api.state.readiness.tick(chrono::Utc::now().timestamp_millis(), 1500);
    let ready = api.client.get(format!("{}/readyz", api.base)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn metrics_report_runs_lanes_lag_and_alert_deliveries() {
    let api = spawn_api().await;
    api.create_job("m").await;
    api.ok("operator", r#"mutation { runJobNow(code: "m") { id } }"#, json!({})).await;
    api.state.readiness.tick(chrono::Utc::now().timestamp_millis(), 2500);
    let resp = api.client.get(format!("{}/metrics", api.base)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = resp.text().await.unwrap();
    for line in [
        "cronkeeper_runs_total{lane=\"default\",status=\"QUEUED\"} 1",
        "cronkeeper_lane_queued{lane=\"default\"} 1",
        "cronkeeper_lane_busy{lane=\"default\"} 0",
        "cronkeeper_lane_slots{lane=\"critical\"} 2",
        "cronkeeper_scheduler_lag_seconds 2.5",
        "cronkeeper_alert_deliveries{outcome=\"failed\"} 0",
    ] {
        assert!(text.lines().any(|l| l == line), "missing `{line}` in:\n{text}");
    }
}
