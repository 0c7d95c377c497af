//! Every mutation goes through [`mutation`]: it checks the caller's role, runs
//! the operation, and writes one audit entry (subject, role, operation, the
//! arguments with secrets redacted, outcome), refusals included. Keeping this
//! in one place means a new mutation cannot forget either step.

use std::future::Future;

use async_graphql::Context;
use serde_json::Value;

use super::auth::{AuthError, Principal, Role};
use super::errors::{ApiError, ApiResult, IntoGql};
use super::ApiState;
use crate::store::audit::AuditEntry;

/// Runs a mutation for a caller with at least `need`, and audits it.
pub async fn mutation<T, F, Fut>(ctx: &Context<'_>, need: Role, op: F) -> async_graphql::Result<T>
where
    F: FnOnce(crate::actions::Ctx) -> Fut,
    Fut: Future<Output = ApiResult<T>>,
{
    mutation_redacting(ctx, need, &[], op).await
}

/// [`mutation`] for arguments holding secrets under names [`redact`] does not
/// know: the values under `secret_keys` (e.g. a channel's `url`, whole URLs
/// being secrets there) are blanked in the audit entry too.
pub async fn mutation_redacting<T, F, Fut>(ctx: &Context<'_>, need: Role, secret_keys: &[&str], op: F) -> async_graphql::Result<T>
where
    F: FnOnce(crate::actions::Ctx) -> Fut,
    Fut: Future<Output = ApiResult<T>>,
{
    let state = ctx.data_unchecked::<ApiState>();
    let Some(principal) = ctx.data_opt::<Principal>() else {
        return Err(ApiError::Unauthenticated(AuthError::Missing)).gql();
    };
    let name = ctx.field().name().to_string();
    let outcome = if principal.role.allows(need) {
        op(state.actions()).await
    } else {
        Err(ApiError::Forbidden(format!(
            "{name} needs the {} role; this token has {}",
            need.as_str(),
            principal.role.as_str()
        )))
    };
    let arguments = match ctx.field().arguments() {
        Ok(args) => {
            let map: serde_json::Map<String, Value> =
                args.into_iter().map(|(k, v)| (k.to_string(), v.into_json().unwrap_or(Value::Null))).collect();
            redact_keys(redact(Value::Object(map)), secret_keys)
        }
        Err(_) => Value::Null,
    };
    let entry = AuditEntry {
        id: 0,
        at: state.clock.now_ms(),
        subject: principal.subject.clone(),
        role: principal.role.as_str().to_string(),
        operation: name,
        arguments: arguments.to_string(),
        outcome: match &outcome {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("{}: {}", e.code(), e.public_message()),
        },
    };
    if let Err(e) = crate::store::audit::record(&state.store, &entry).await {
        tracing::error!(cause = %e, operation = %entry.operation, subject = %entry.subject, "audit entry could not be written");
    }
    outcome.gql()
}

const REDACTED: &str = "[redacted]";

/// Names whose values are secrets: `password`, `jwtSecret`, `DB_PASSWORD`, `apiToken`...
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["secret", "password", "passwd", "token", "apikey", "api_key", "credential", "private"].iter().any(|s| n.contains(s))
}

/// `https://user:pass@host/x` -> `https://[redacted]@host/x`; other URLs unchanged.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else { return url.to_string() };
    let rest = &url[scheme_end + 3..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}://{REDACTED}@{}", &url[..scheme_end], &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// Blanks every value under a secret-like key, the value of `{name, value}`
/// pairs whose name is secret-like (environment variables), and credentials in
/// URLs.
pub fn redact(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let secret_pair = map.get("name").and_then(Value::as_str).is_some_and(is_secret_name) && map.contains_key("value");
            Value::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let v = if is_secret_name(&k) || (secret_pair && k == "value") {
                            Value::String(REDACTED.into())
                        } else {
                            redact(v)
                        };
                        (k, v)
                    })
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.into_iter().map(redact).collect()),
        Value::String(s) if s.contains("://") => Value::String(redact_url(&s)),
        other => other,
    }
}

/// Blanks every value under one of `keys`, at any depth.
pub fn redact_keys(value: Value, keys: &[&str]) -> Value {
    if keys.is_empty() {
        return value;
    }
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = if keys.contains(&k.as_str()) && !v.is_null() { Value::String(REDACTED.into()) } else { redact_keys(v, keys) };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| redact_keys(v, keys)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_in_arguments_are_redacted() {
        let args = json!({
            "input": {
                "code": "x",
                "apiToken": "abc",
                "executor": {
                    "command": { "argv": ["bin"], "env": [{ "name": "DB_PASSWORD", "value": "hunter2" }, { "name": "MODE", "value": "fast" }] },
                    "http": { "url": "https://bob:pw@example.test/hook?x=1" }
                }
            }
        });
        let text = redact(args).to_string();
        assert!(!text.contains("abc") && !text.contains("hunter2") && !text.contains("bob:pw"), "{text}");
        assert!(text.contains("fast") && text.contains("example.test/hook"), "{text}");
    }

    #[test]
    fn named_keys_are_blanked_at_any_depth() {
        let args = json!({ "input": { "name": "ops", "url": "https://hooks.slack.com/services/T/B/XYZ", "secret": null } });
        let text = redact_keys(redact(args), &["url"]).to_string();
        assert!(!text.contains("XYZ") && text.contains("\"name\":\"ops\""), "{text}");
    }

    #[test]
    fn urls_without_credentials_are_kept() {
        assert_eq!(redact_url("https://example.test/a@b"), "https://example.test/a@b");
    }
}
