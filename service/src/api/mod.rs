//! The HTTP face of cronkeeper: GraphQL (queries, mutations, subscriptions over
//! WebSocket) at `/graphql` with the GraphiQL playground on GET, plus the
//! unauthenticated probes `/healthz`, `/readyz` and `/metrics`.
//!
//! Authentication happens here, before GraphQL runs: a POST without a valid
//! bearer token gets one UNAUTHENTICATED error and executes nothing (not even
//! introspection); a WebSocket must present its token in `connection_init`
//! and is closed when that token expires ([`websocket`]).
//! Role checks and the audit log are per mutation, in [`audit`].

pub mod audit;
pub mod auth;
pub mod connection;
pub mod errors;
pub mod health;
pub mod metrics;
pub mod schema;
pub mod websocket;

use std::sync::Arc;

use async_graphql::http::{GraphiQLSource, ALL_WEBSOCKET_PROTOCOLS};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{FromRequestParts, Request, State, WebSocketUpgrade};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::limit::RequestBodyLimitLayer;

use crate::alerts::AlertEvents;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::events::Events;
use crate::store::Store;
pub use auth::{ensure_jwt_secret, Principal, Role};
use auth::{AuthError, Verifier};
use errors::ApiError;
pub use health::Readiness;
pub use schema::fair_share::FairShare;

/// Largest request body accepted; GraphQL documents are small.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// What the API needs from the running service.
#[derive(Clone, Debug)]
pub struct ApiState {
    pub store: Store,
    pub config: Arc<Config>,
    pub events: Events,
    pub clock: SharedClock,
    pub readiness: Arc<Readiness>,
    /// Alert changes, for the `alertEvents` subscription and `acknowledgeAlert`.
    pub alert_events: AlertEvents,
    /// The lane queues' transport, for the `queues` query.
    pub dispatch: crate::dispatch::Dispatch,
    /// Operations at once per token subject (`[graphql]`); build it with
    /// `FairShare::new(&config.graphql)`.
    pub fair_share: FairShare,
}

impl ApiState {
    /// The business operations, bound to this service.
    pub fn actions(&self) -> crate::actions::Ctx {
        crate::actions::Ctx {
            store: self.store.clone(),
            config: self.config.clone(),
            events: self.events.clone(),
            clock: self.clock.clone(),
            alert_events: self.alert_events.clone(),
        }
    }
}

/// Shared by every request handler.
struct App {
    state: ApiState,
    schema: schema::ApiSchema,
    /// `None` when `[auth]` cannot verify anything (see the log): every
    /// request is then refused rather than let through.
    verifier: Option<Verifier>,
}

impl App {
    fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, ApiError> {
        let verifier = self.verifier.as_ref().ok_or(ApiError::Unauthenticated(AuthError::Malformed))?;
        Ok(verifier.authenticate(authorization, self.state.clock.now_ms())?)
    }
}

/// The SDL of the schema, as committed in `graphql/schema.graphql`.
pub fn schema_sdl() -> String {
    schema::builder().finish().sdl()
}

/// What `cronkeeper serve` prints at start: where the playground is and how
/// to get a token for it.
pub fn startup_banner(config: &Config) -> String {
    let mut addr = config.listen;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!(
        "GraphQL playground: http://{addr}/graphql\n\
         Mint a token for it: cronkeeper token --role admin --sub $USER --ttl 10m\n\
         and put it in the playground's Headers tab: {{\"Authorization\": \"Bearer <token>\"}}"
    )
}

/// All routes. Call [`ensure_jwt_secret`] first and put its secret into
/// `config.auth.jwt_secret`; without a usable key every request is refused.
pub fn router(state: ApiState) -> Router {
    let verifier = match Verifier::from_config(&state.config.auth) {
        Ok(v) => Some(v),
        Err(problem) => {
            tracing::error!(%problem, "JWT verification is not configured; every GraphQL request will be refused");
            None
        }
    };
    let app = Arc::new(App { schema: schema::build(state.clone()), state, verifier });
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .with_state(app)
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
}

fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
}

async fn graphql_post(State(app): State<Arc<App>>, headers: HeaderMap, request: GraphQLRequest) -> Response {
    match app.authenticate(authorization(&headers)) {
        Ok(principal) => {
            let response = app.schema.execute(request.into_inner().data(principal)).await;
            let busy = response.errors.iter().any(|e| error_code(e) == Some(errors::TOO_MANY_REQUESTS));
            let body = GraphQLResponse::from(response);
            if busy {
                // Proxies and HTTP clients know 429 and Retry-After; the body still says why.
                (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], body).into_response()
            } else {
                body.into_response()
            }
        }
        Err(e) => GraphQLResponse::from(async_graphql::Response::from_errors(vec![e.to_server_error()])).into_response(),
    }
}

fn error_code(e: &async_graphql::ServerError) -> Option<&str> {
    match e.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code.as_str()),
        _ => None,
    }
}

/// GET is the playground, or a WebSocket upgrade for subscriptions.
async fn graphql_get(State(app): State<Arc<App>>, request: Request) -> Response {
    let upgrade = request.headers().get(header::UPGRADE).and_then(|v| v.to_str().ok());
    if !upgrade.is_some_and(|u| u.eq_ignore_ascii_case("websocket")) {
        return Html(playground_html()).into_response();
    }
    let (mut parts, _body) = request.into_parts();
    let Some(protocol) = websocket::protocol(&parts.headers) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(u) => u,
        Err(rejection) => return rejection.into_response(),
    };
    // Clients that can send headers may authenticate the upgrade itself; a bad
    // token there is refused before any GraphQL exchange, with a plain 401.
    let upgraded_as = match authorization(&parts.headers) {
        None => None,
        Some(header) => match app.authenticate(Some(header)) {
            Ok(principal) => Some(principal),
            Err(e) => {
                let body = serde_json::json!({ "errors": [e.to_server_error()] });
                return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], axum::Json(body)).into_response();
            }
        },
    };
    upgrade.protocols(ALL_WEBSOCKET_PROTOCOLS).on_upgrade(move |socket| websocket::serve(app, socket, protocol, upgraded_as))
}

/// GraphiQL with its headers editor open and pre-filled with the header to
/// complete; GraphiQL passes those headers to the WebSocket `connection_init` too.
fn playground_html() -> String {
    let html = GraphiQLSource::build().endpoint("/graphql").subscription_endpoint("/graphql").title("cronkeeper").finish();
    let headers = r#"defaultHeaders: '{\n  "Authorization": "Bearer <paste a token from: cronkeeper token --role viewer --sub you>"\n}',"#;
    html.replacen("defaultEditorToolsVisibility: true,", &format!("defaultEditorToolsVisibility: 'headers',\n          {headers}"), 1)
}
