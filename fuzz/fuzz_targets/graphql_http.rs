//! The GraphQL endpoint as a client reaches it: arbitrary bytes POSTed to
//! `/graphql` of the real router (body limit, JSON and batch decoding,
//! variables coercion, parse, the document budget, validation with the depth
//! and complexity limits, execution) on a temporary SQLite store holding a
//! few jobs. The first byte picks the caller's role, so mutations are refused
//! (viewer), partly allowed (operator) or run (admin). Errors are answers;
//! a panic, a 5xx or a hang is a finding.
#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use cronkeeper::alerts::AlertEvents;
use cronkeeper::api::{self, ApiState, Readiness, Role};
use cronkeeper::config::{Config, FileConfig, Secret};
use cronkeeper::events::Events;
use cronkeeper::store::Store;
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const SECRET: &str = "a-fuzzing-secret-that-is-long-enough-0123456789";

struct Service {
    runtime: tokio::runtime::Runtime,
    router: Router,
    secret: Secret,
    _dir: tempfile::TempDir,
}

fn service() -> &'static Service {
    static SERVICE: OnceLock<Service> = OnceLock::new();
    SERVICE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut file = FileConfig::default();
        file.data_dir = Some(dir.path().display().to_string());
        file.database_url = Some(format!("sqlite://{}/fuzz.db", dir.path().display()));
        file.auth.jwt_secret = Some(SECRET.into());
        let config = Config::from_file(file).unwrap();
        let router = runtime.block_on(async {
            let store = Store::connect(&config.database_url).await.unwrap();
            store.migrate().await.unwrap();
            api::router(ApiState {
                store,
                fair_share: api::FairShare::new(&config.graphql),
                config: Arc::new(config),
                events: Events::new(),
                clock: cronkeeper::clock::system(),
                readiness: Arc::new(Readiness::default()),
                alert_events: AlertEvents::new(),
                dispatch: Default::default(),
            })
        });
        let service = Service { runtime, router, secret: Secret::new(SECRET.into()), _dir: dir };
        for code in ["fuzz_a", "fuzz_b"] {
            let body = serde_json::json!({
                "query": "mutation($code: String!) { upsertJob(input: {code: $code, schedule: \"*/5 * * * *\", executor: {command: {argv: [\"true\"]}}}) { code } }",
                "variables": { "code": code },
            });
            let (status, answer) = service.post(Role::Admin, body.to_string().into_bytes());
            assert!(status.is_success() && !answer.contains("\"errors\""), "seeding {code}: {status} {answer}");
        }
        service
    })
}

impl Service {
    fn post(&self, role: Role, body: Vec<u8>) -> (StatusCode, String) {
        let now = chrono::Utc::now().timestamp_millis();
        let token = api::auth::mint(&self.secret, "fuzzer", role, Duration::from_secs(600), now, None);
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(body))
            .unwrap();
        self.runtime.block_on(async {
            let response = self.router.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
            (status, String::from_utf8_lossy(&bytes).into_owned())
        })
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let role = match selector % 3 {
        0 => Role::Viewer,
        1 => Role::Operator,
        _ => Role::Admin,
    };
    let (status, answer) = service().post(role, body.to_vec());
    assert!(!status.is_server_error(), "HTTP {status}: {answer}");
});
