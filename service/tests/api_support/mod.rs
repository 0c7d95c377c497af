//! Shared helpers for the API's end-to-end tests: a real router on a real
//! SQLite store, served on 127.0.0.1:0 and spoken to over HTTP; and tokens
//! built by hand (header.payload.signature with HMAC-SHA256), independent of
//! the service's own minting code, so a bug there cannot hide a bug in
//! verification.
#![allow(dead_code)]

use std::sync::Arc;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use cronkeeper::alerts::AlertEvents;
use cronkeeper::api::{self, ApiState, Readiness};
use cronkeeper::config::{Config, FileConfig};
use cronkeeper::events::Events;
use cronkeeper::store::Store;

pub const SECRET: &str = "an-hs256-test-secret-that-is-long-enough-0123456789";

pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
    pub state: ApiState,
    pub dir: tempfile::TempDir,
}

pub async fn spawn_api() -> Api {
    spawn_api_with(|_| {}).await
}

/// Serves the API with the default config changed by `tweak`.
pub async fn spawn_api_with(tweak: impl FnOnce(&mut FileConfig)) -> Api {
    let dir = tempfile::tempdir().unwrap();
    let mut file = FileConfig::default();
    file.data_dir = Some(dir.path().display().to_string());
    file.database_url = Some(format!("sqlite://{}/t.db", dir.path().display()));
    file.auth.jwt_secret = Some(SECRET.into());
    tweak(&mut file);
    let config = Config::from_file(file).unwrap();
    let store = Store::connect(&config.database_url).await.unwrap();
    store.migrate().await.unwrap();
    // As `Application::build` does: the file's alert rules and channels are saved.
    cronkeeper::alerts::apply_config(&store, &config, chrono::Utc::now().timestamp_millis()).await.unwrap();
    let state = ApiState {
        store,
        fair_share: api::FairShare::new(&config.graphql),
        config: Arc::new(config),
        events: Events::new(),
        clock: cronkeeper::clock::system(),
        readiness: Arc::new(Readiness::default()),
        alert_events: AlertEvents::new(),
        dispatch: Default::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = api::router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Api { base: format!("http://{addr}"), client: reqwest::Client::new(), state, dir }
}

pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT from raw header and claims, signed HS256 with `key` (the header's
/// `alg` is whatever the caller put there).
pub fn mint_raw(header: &Value, claims: &Value, key: &[u8]) -> String {
    let signing_input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(signing_input.as_bytes());
    format!("{signing_input}.{}", b64(&mac.finalize().into_bytes()))
}

/// Valid claims for `role`, five minutes long.
pub fn claims(role: &str) -> Value {
    let now = now_secs();
    json!({ "sub": format!("{role}-tester"), "role": role, "aud": "cronkeeper", "iat": now, "exp": now + 300 })
}

pub fn hs256() -> Value {
    json!({ "alg": "HS256", "typ": "JWT" })
}

pub fn token(role: &str) -> String {
    mint_raw(&hs256(), &claims(role), SECRET.as_bytes())
}

impl Api {
    /// POSTs a GraphQL request; returns the JSON body whatever the outcome.
    pub async fn gql_with(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self.client.post(format!("{}/graphql", self.base)).json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("HTTP {status}: not JSON: {text}"))
    }

    pub async fn gql(&self, role: &str, query: &str, variables: Value) -> Value {
        self.gql_with(Some(&token(role)), query, variables).await
    }

    /// As [`Api::gql`], failing the test on any GraphQL error.
    pub async fn ok(&self, role: &str, query: &str, variables: Value) -> Value {
        let body = self.gql(role, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Creates a command job every minute in the default lane.
    pub async fn create_job(&self, code: &str) -> Value {
        self.ok(
            "admin",
            "mutation($input: JobInput!) { upsertJob(input: $input) { code lane paused } }",
            json!({ "input": { "code": code, "schedule": "*/5 * * * *", "executor": { "command": { "argv": ["/bin/true"] } } } }),
        )
        .await["upsertJob"]
            .clone()
    }

    pub async fn audit_outcomes(&self) -> Vec<(String, String)> {
        let data = self.ok("viewer", "{ auditLog(first: 500) { nodes { operation outcome } } }", json!({})).await;
        data["auditLog"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["operation"].as_str().unwrap().to_string(), n["outcome"].as_str().unwrap().to_string()))
            .collect()
    }
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A graphql-transport-ws connection, initialised with `token` and acknowledged.
pub async fn ws_acked(api: &Api, token: &str) -> Ws {
    use futures::{SinkExt as _, StreamExt as _};
    use tokio_tungstenite::tungstenite::{client::IntoClientRequest as _, Message};
    let url = format!("{}/graphql", api.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    ws.send(Message::text(init.to_string())).await.unwrap();
    let ack = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    ws
}

/// `errors[0].extensions.code`, or "" when the request succeeded.
pub fn code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("").to_string()
}

pub fn message(body: &Value) -> String {
    body["errors"][0]["message"].as_str().unwrap_or("").to_string()
}

/// Writes a run straight into the store's database, in any state a worker
/// could have left it (the API only creates waiting runs). Returns its id.
pub async fn insert_run(api: &Api, code: &str, status: &str, scheduled_at: i64, started_at: Option<i64>, finished_at: Option<i64>, missed_count: i64) -> i64 {
    use sqlx::Connection as _;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}/t.db", api.dir.path().display())).await.unwrap();
    sqlx::query(
        "INSERT INTO runs (job_code, lane, status, trigger_kind, scheduled_at, started_at, finished_at, missed_count) \
         VALUES (?, 'default', ?, 'schedule', ?, ?, ?, ?) RETURNING id",
    )
    .bind(code)
    .bind(status)
    .bind(scheduled_at)
    .bind(started_at)
    .bind(finished_at)
    .bind(missed_count)
    .fetch_one(&mut conn)
    .await
    .map(|row| sqlx::Row::get::<i64, _>(&row, 0))
    .unwrap()
}

/// An RFC 3339 instant from ms since the epoch, as GraphQL `DateTime` takes it.
pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// One request a [`Recorder`] received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

/// A local HTTP server standing in for Slack or a webhook receiver: answers
/// 200 to everything and records each request.
#[derive(Clone, Default)]
pub struct Recorder {
    pub hits: Arc<std::sync::Mutex<Vec<Recorded>>>,
}

impl Recorder {
    /// Serves on 127.0.0.1:0; returns the base URL (`http://127.0.0.1:<port>`).
    pub async fn start(&self) -> String {
        let hits = self.hits.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let hits = hits.clone();
            async move {
                hits.lock().unwrap().push(Recorded { path: uri.path().to_string(), headers, body: body.to_vec() });
                "ok"
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{addr}")
    }

    pub fn hits(&self) -> Vec<Recorded> {
        self.hits.lock().unwrap().clone()
    }
}

/// Checks `X-Cronkeeper-Signature: t=<s>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with `key`.
pub fn verify_signature(headers: &axum::http::HeaderMap, body: &[u8], key: &str) {
    let sig = headers["x-cronkeeper-signature"].to_str().unwrap();
    let (t, v1) = sig.split_once(',').unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&hex::decode(v1.strip_prefix("v1=").unwrap()).unwrap()).expect("the signature verifies with the channel's key");
}
