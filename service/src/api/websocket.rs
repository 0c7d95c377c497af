//! Subscriptions over WebSocket (graphql-transport-ws, and the legacy
//! subscriptions-transport-ws): async-graphql speaks the protocol, this module
//! owns the connection around it, for two things async-graphql-axum's `serve`
//! cannot do:
//!
//! - a refused `connection_init` closes with **4403 Forbidden**, as the
//!   graphql-ws protocol asks (async-graphql closes with 1002 for any refusal);
//! - the connection is closed with **4401 Unauthorized** when the token it was
//!   authenticated with expires, so a subscription cannot outlive its token
//!   (the client reconnects with a fresh one).
//!
//! The close reason starts with the `extensions.code` (`UNAUTHENTICATED: ...`),
//! like the errors of the HTTP endpoint.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use std::str::FromStr as _;

use async_graphql::http::{WebSocket as GraphQLSession, WebSocketProtocols, WsMessage};
use async_graphql::Data;
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::http::{header, HeaderMap};
use futures::{SinkExt as _, StreamExt as _};

use super::auth::AuthError;
use super::errors::ApiError;
use super::{App, Principal};

/// graphql-ws: the server refused `connection_init` (bad, missing or expired token).
pub const CLOSE_FORBIDDEN: u16 = 4403;
/// graphql-ws: the caller is no longer authorized; here, its token expired.
pub const CLOSE_UNAUTHORIZED: u16 = 4401;
/// What async-graphql closes with when `connection_init` is refused.
const CLOSE_PROTOCOL_ERROR: u16 = 1002;

/// What the `connection_init` callback tells the connection loop.
#[derive(Default)]
struct Handshake {
    refused: AtomicBool,
    /// The token's expiry (ms since the epoch); 0 until a token is accepted.
    expires_at: AtomicI64,
}

/// The first subprotocol of `Sec-WebSocket-Protocol` that async-graphql speaks
/// (graphql-transport-ws or the legacy graphql-ws), as async-graphql-axum's
/// extractor picks it.
pub(super) fn protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    let offered = headers.get(header::SEC_WEBSOCKET_PROTOCOL)?.to_str().ok()?;
    offered.split(',').find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
}

/// Runs one WebSocket until either side closes it or its token expires.
pub(super) async fn serve(app: Arc<App>, socket: WebSocket, protocol: WebSocketProtocols, upgraded_as: Option<Principal>) {
    let (mut sink, stream) = socket.split();
    let input = stream
        .take_while(|frame| futures::future::ready(frame.is_ok()))
        .filter_map(|frame| {
            futures::future::ready(match frame {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => Some(m.into_data()),
                _ => None,
            })
        });
    let handshake = Arc::new(Handshake::default());
    let (init_app, init_handshake) = (app.clone(), handshake.clone());
    let mut messages = Box::pin(GraphQLSession::new(app.schema.clone(), input, protocol).on_connection_init(move |payload| async move {
        match connection_init(&init_app, upgraded_as, payload) {
            Ok(principal) => {
                init_handshake.expires_at.store(principal.expires_at.max(1), Ordering::SeqCst);
                let mut data = Data::default();
                data.insert(principal);
                Ok(data)
            }
            Err(e) => {
                init_handshake.refused.store(true, Ordering::SeqCst);
                Err(async_graphql::Error::new(close_reason(&e)))
            }
        }
    }));
    loop {
        let expires_at = handshake.expires_at.load(Ordering::SeqCst);
        let left = Duration::from_millis((expires_at - app.state.clock.now_ms()).max(0) as u64);
        let message = tokio::select! {
            next = messages.next() => match next {
                Some(m) => m,
                None => break,
            },
            _ = tokio::time::sleep(left), if expires_at > 0 => {
                WsMessage::Close(CLOSE_UNAUTHORIZED, close_reason(&ApiError::Unauthenticated(AuthError::Expired)))
            }
        };
        let (frame, last) = match message {
            WsMessage::Text(text) => (Message::Text(text.into()), false),
            WsMessage::Close(code, reason) => {
                let code = if code == CLOSE_PROTOCOL_ERROR && handshake.refused.load(Ordering::SeqCst) { CLOSE_FORBIDDEN } else { code };
                (Message::Close(Some(CloseFrame { code, reason: reason.into() })), true)
            }
        };
        if sink.send(frame).await.is_err() || last {
            break;
        }
    }
}

fn close_reason(e: &ApiError) -> String {
    format!("{}: {}", e.code(), e.public_message())
}

/// graphql-transport-ws sends no HTTP headers a browser can set, so the token
/// comes in the `connection_init` payload: `{"Authorization": "Bearer ..."}`.
/// A token there is always checked; without one, an upgrade request that
/// carried a valid `Authorization` header is enough.
fn connection_init(app: &App, upgraded_as: Option<Principal>, payload: serde_json::Value) -> Result<Principal, ApiError> {
    let token = payload.as_object().and_then(|o| {
        o.iter().find(|(k, _)| k.eq_ignore_ascii_case("authorization")).and_then(|(_, v)| v.as_str())
    });
    match (token, upgraded_as) {
        (None, Some(principal)) => Ok(principal),
        (token, _) => app.authenticate(token),
    }
}
