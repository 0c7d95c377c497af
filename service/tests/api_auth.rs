//! Authentication and authorisation over real HTTP: every way a token can be
//! wrong, each role boundary, the playground, and WebSocket authentication.

mod api_support;

use api_support::*;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const ME: &str = "{ me { subject role } }";

async fn refused(api: &Api, token: &str) -> Value {
    let body = api.gql_with(Some(token), ME, json!({})).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    assert!(body["data"].is_null(), "nothing may run without a valid token: {body}");
    assert!(!body.to_string().contains(SECRET), "the secret leaked: {body}");
    body
}

#[tokio::test]
async fn a_valid_token_identifies_its_subject_and_role() {
    let api = spawn_api().await;
    let data = api.ok("operator", ME, json!({})).await;
    assert_eq!(data["me"], json!({ "subject": "operator-tester", "role": "operator" }));
}

#[tokio::test]
async fn a_request_without_a_token_is_unauthenticated_and_runs_nothing() {
    let api = spawn_api().await;
    let body = api.gql_with(None, "{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(code(&body), "UNAUTHENTICATED", "{body}");
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn garbage_in_the_authorization_header_is_unauthenticated() {
    let api = spawn_api().await;
    for token in ["garbage", "a.b.c", "", "eyJhbGciOiJIUzI1NiJ9.e30"] {
        refused(&api, token).await;
    }
    let resp = api.client.post(format!("{}/graphql", api.base)).header("Authorization", format!("Basic {}", token("admin")))
        .json(&json!({ "query": ME })).send().await.unwrap();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_token_with_alg_none_is_refused() {
    let api = spawn_api().await;
    let unsigned = mint_raw(&json!({ "alg": "none", "typ": "JWT" }), &claims("admin"), b"");
    let (head_and_body, _) = unsigned.rsplit_once('.').unwrap();
    refused(&api, &format!("{head_and_body}.")).await;
    refused(&api, &unsigned).await;
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let api = spawn_api().await;
    let body = refused(&api, &mint_raw(&hs256(), &claims("admin"), b"another-secret-that-is-long-enough-for-hs256")).await;
    assert!(message(&body).contains("signature"), "{body}");
}

#[tokio::test]
async fn a_token_whose_role_was_edited_after_signing_is_refused() {
    let api = spawn_api().await;
    let viewer = token("viewer");
    let parts: Vec<&str> = viewer.split('.').collect();
    let mut forged_claims = claims("viewer");
    forged_claims["role"] = json!("admin");
    use base64::Engine as _;
    let forged_payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged_claims.to_string());
    refused(&api, &format!("{}.{}.{}", parts[0], forged_payload, parts[2])).await;
}

#[tokio::test]
async fn a_signed_token_with_an_unknown_role_is_refused() {
    let api = spawn_api().await;
    for role in ["root", "Admin", ""] {
        let body = refused(&api, &mint_raw(&hs256(), &claims(role), SECRET.as_bytes())).await;
        assert!(message(&body).contains("role"), "{body}");
    }
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let api = spawn_api().await;
    let now = now_secs();
    let c = json!({ "sub": "a", "role": "admin", "aud": "cronkeeper", "iat": now - 900, "exp": now - 300 });
    let body = refused(&api, &mint_raw(&hs256(), &c, SECRET.as_bytes())).await;
    assert!(message(&body).contains("expired"), "{body}");
}

#[tokio::test]
async fn a_token_that_is_not_valid_yet_is_refused() {
    let api = spawn_api().await;
    let mut c = claims("admin");
    c["nbf"] = json!(now_secs() + 600);
    refused(&api, &mint_raw(&hs256(), &c, SECRET.as_bytes())).await;
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let api = spawn_api().await;
    let mut c = claims("admin");
    c["aud"] = json!("grafana");
    let body = refused(&api, &mint_raw(&hs256(), &c, SECRET.as_bytes())).await;
    assert!(message(&body).contains("audience"), "{body}");
}

#[tokio::test]
async fn tokens_without_exp_iat_or_aud_are_refused() {
    let api = spawn_api().await;
    for missing in ["exp", "iat", "aud", "sub"] {
        let mut c = claims("admin");
        c.as_object_mut().unwrap().remove(missing);
        refused(&api, &mint_raw(&hs256(), &c, SECRET.as_bytes())).await;
    }
}

#[tokio::test]
async fn a_token_living_longer_than_the_configured_maximum_is_refused() {
    let api = spawn_api().await;
    let now = now_secs();
    let c = json!({ "sub": "a", "role": "admin", "aud": "cronkeeper", "iat": now, "exp": now + 3600 });
    let body = refused(&api, &mint_raw(&hs256(), &c, SECRET.as_bytes())).await;
    assert!(message(&body).contains("lifetime"), "{body}");
}

#[tokio::test]
async fn the_issuer_is_checked_when_one_is_configured() {
    let api = spawn_api_with(|f| f.auth.issuer = Some("https://id.example.test".into())).await;
    let mut good = claims("viewer");
    good["iss"] = json!("https://id.example.test");
    let body = api.gql_with(Some(&mint_raw(&hs256(), &good, SECRET.as_bytes())), ME, json!({})).await;
    assert_eq!(body["data"]["me"]["role"], "viewer", "{body}");
    let mut wrong = claims("viewer");
    wrong["iss"] = json!("https://evil.example.test");
    refused(&api, &mint_raw(&hs256(), &wrong, SECRET.as_bytes())).await;
    refused(&api, &token("viewer")).await;
}

const ED25519_PRIVATE: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEILoyRIkaxtx/YiyRKeV2oYNXgsru8losMehhGrfJGtOa
-----END PRIVATE KEY-----
";
const ED25519_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEA8fcQ9K11DLDm+TxF0/jFFqtdF0DflJDSBsSD5Yyj0uM=
-----END PUBLIC KEY-----
";

#[tokio::test]
async fn with_a_public_key_configured_only_tokens_signed_by_its_private_key_pass() {
    let key_dir = tempfile::tempdir().unwrap();
    let key_path = key_dir.path().join("jwt.pub");
    std::fs::write(&key_path, ED25519_PUBLIC).unwrap();
    let api = spawn_api_with(|f| f.auth.public_key_file = Some(key_path.display().to_string())).await;

    let signed = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA),
        &claims("admin"),
        &jsonwebtoken::EncodingKey::from_ed_pem(ED25519_PRIVATE.as_bytes()).unwrap(),
    )
    .unwrap();
    let body = api.gql_with(Some(&signed), ME, json!({})).await;
    assert_eq!(body["data"]["me"]["role"], "admin", "{body}");

    // The shared secret no longer counts, and neither does the classic trick
    // of signing HS256 with the public key as the "secret".
    refused(&api, &token("admin")).await;
    let body = refused(&api, &mint_raw(&hs256(), &claims("admin"), ED25519_PUBLIC.as_bytes())).await;
    assert!(message(&body).contains("algorithm"), "{body}");
}

#[tokio::test]
async fn a_viewer_reads_but_cannot_pause_run_or_kill() {
    let api = spawn_api().await;
    api.create_job("report").await;
    let data = api.ok("viewer", "{ jobs { totalCount nodes { code } } }", json!({})).await;
    assert_eq!(data["jobs"]["totalCount"], 1);
    for m in [
        r#"mutation { pauseJob(code: "report") { code } }"#,
        r#"mutation { resumeJob(code: "report") { code } }"#,
        r#"mutation { runJobNow(code: "report") { id } }"#,
        r#"mutation { killRun(id: "1") { id } }"#,
        r#"mutation { retryRun(id: "1") { id } }"#,
        r#"mutation { acknowledgeAlert(id: "1") { id } }"#,
    ] {
        let body = api.gql("viewer", m, json!({})).await;
        assert_eq!(code(&body), "FORBIDDEN", "{m}: {body}");
    }
    let data = api.ok("viewer", r#"{ job(code: "report") { paused } runs { totalCount } }"#, json!({})).await;
    assert_eq!(data["job"]["paused"], false);
    assert_eq!(data["runs"]["totalCount"], 0);
}

#[tokio::test]
async fn an_operator_pauses_and_runs_but_cannot_edit_delete_sync_or_purge() {
    let api = spawn_api().await;
    api.create_job("report").await;
    let data = api.ok("operator", r#"mutation { pauseJob(code: "report") { paused } }"#, json!({})).await;
    assert_eq!(data["pauseJob"]["paused"], true);
    api.ok("operator", r#"mutation { runJobNow(code: "report") { status } }"#, json!({})).await;
    for m in [
        r#"mutation { upsertJob(input: { code: "report", priority: 5 }) { code } }"#,
        r#"mutation { deleteJob(code: "report") }"#,
        r#"mutation { deleteJobs(codes: ["report"]) }"#,
        r#"mutation { syncMagentoJobs(input: []) { created } }"#,
        r#"mutation { purgeRuns(olderThan: "2020-01-01T00:00:00Z") }"#,
    ] {
        let body = api.gql("operator", m, json!({})).await;
        assert_eq!(code(&body), "FORBIDDEN", "{m}: {body}");
    }
    let data = api.ok("viewer", r#"{ job(code: "report") { priority } }"#, json!({})).await;
    assert_eq!(data["job"]["priority"], 0, "a refused edit changed the job");
}

#[tokio::test]
async fn refused_mutations_are_audited_with_their_code() {
    let api = spawn_api().await;
    api.create_job("report").await;
    api.gql("viewer", r#"mutation { pauseJob(code: "report") { code } }"#, json!({})).await;
    let audit = api.audit_outcomes().await;
    assert!(audit.iter().any(|(op, outcome)| op == "pauseJob" && outcome.starts_with("FORBIDDEN")), "{audit:?}");
    assert!(audit.iter().any(|(op, outcome)| op == "upsertJob" && outcome == "ok"), "{audit:?}");
}

#[tokio::test]
async fn the_playground_needs_no_token_and_offers_a_header_for_one() {
    let api = spawn_api().await;
    let resp = api.client.get(format!("{}/graphql", api.base)).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("GraphiQL"), "{html}");
    assert!(html.contains("defaultHeaders") && html.contains("Authorization"), "no header editor pre-filled");
    assert!(html.contains("subscriptionUrl"), "no subscription endpoint");
}

async fn ws_connect(api: &Api) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let url = format!("{}/graphql", api.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws
}

#[tokio::test]
async fn a_websocket_upgrade_with_a_bad_authorization_header_gets_401() {
    let api = spawn_api().await;
    let url = format!("{}/graphql", api.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    req.headers_mut().insert("Authorization", "Bearer not-a-token".parse().unwrap());
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 401),
        other => panic!("expected HTTP 401, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn a_websocket_upgrade_with_a_good_authorization_header_needs_no_token_in_init() {
    let api = spawn_api().await;
    let url = format!("{}/graphql", api.base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    req.headers_mut().insert("Authorization", format!("Bearer {}", token("viewer")).parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
    ws.send(Message::text(json!({ "type": "connection_init" }).to_string())).await.unwrap();
    let reply = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
    assert!(reply.to_text().unwrap().contains("connection_ack"), "{reply:?}");
}

#[tokio::test]
async fn a_websocket_without_a_valid_token_is_closed_unauthenticated() {
    let api = spawn_api().await;
    for payload in [json!({}), json!({ "Authorization": "Bearer nonsense" })] {
        let mut ws = ws_connect(&api).await;
        ws.send(Message::text(json!({ "type": "connection_init", "payload": payload }).to_string())).await.unwrap();
        let reply = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await.unwrap();
        match reply {
            Some(Ok(Message::Close(Some(frame)))) => {
                assert_eq!(u16::from(frame.code), 4403, "graphql-ws: a refused connection_init is 4403 Forbidden: {frame:?}");
                assert!(frame.reason.contains("UNAUTHENTICATED"), "{frame:?}");
            }
            other => panic!("expected a close frame, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_websocket_with_an_expired_or_wrongly_signed_token_is_closed_forbidden() {
    let api = spawn_api().await;
    let mut expired = claims("viewer");
    expired["iat"] = json!(now_secs() - 600);
    expired["exp"] = json!(now_secs() - 300);
    let cases = [("expired", mint_raw(&hs256(), &expired, SECRET.as_bytes())), ("other key", mint_raw(&hs256(), &claims("admin"), b"another-key-that-is-long-enough-0123456789"))];
    for (what, token) in cases {
        let mut ws = ws_connect(&api).await;
        let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
        ws.send(Message::text(init.to_string())).await.unwrap();
        match tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await.unwrap() {
            Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 4403, "{what}: {frame:?}"),
            other => panic!("{what}: expected a close frame, got {other:?}"),
        }
    }
}

/// Opens a subscription authenticated by `token`; returns the socket once acknowledged.
async fn subscribed(api: &Api, token: &str) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut ws = ws_connect(api).await;
    ws.send(Message::text(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }).to_string())).await.unwrap();
    let ack = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack:?}");
    let sub = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { runEvents { runId } }" } });
    ws.send(Message::text(sub.to_string())).await.unwrap();
    ws
}

#[tokio::test]
async fn a_subscription_is_closed_with_4401_when_its_token_expires() {
    let api = spawn_api().await;
    let mut short = claims("viewer");
    short["exp"] = json!(now_secs() + 3);
    let mut short_lived = subscribed(&api, &mint_raw(&hs256(), &short, SECRET.as_bytes())).await;
    let mut long_lived = subscribed(&api, &token("viewer")).await;
    let opened = std::time::Instant::now();
    let frame = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(10), short_lived.next()).await.expect("not closed within 10 s") {
            Some(Ok(Message::Close(Some(frame)))) => break frame,
            Some(Ok(Message::Close(None))) | None => panic!("closed without a code"),
            Some(_) => continue,
        }
    };
    assert_eq!(u16::from(frame.code), 4401, "{frame:?}");
    assert!(frame.reason.contains("UNAUTHENTICATED") && frame.reason.contains("expired"), "{frame:?}");
    assert!(opened.elapsed() >= std::time::Duration::from_millis(1500), "closed at expiry, not at once: {:?}", opened.elapsed());
    // A subscription whose token is still valid keeps working.
    api.create_job("still_watched").await;
    api.ok("operator", r#"mutation { runJobNow(code: "still_watched") { id } }"#, json!({})).await;
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), long_lived.next()).await.expect("the long-lived subscription got nothing").unwrap().unwrap();
    assert!(next.to_text().unwrap().contains("\"next\""), "{next:?}");
}
