//! Channels and what they are sent: Slack Block Kit messages and the signed
//! generic webhook (schema `cronkeeper.alert.v1`, documented in docs/alerting.md).
//! Rendering is pure and deterministic, so every attempt at a notification
//! sends the same body.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::model::{AlertMessage, NotifyEvent};
use super::rule::Severity;
use crate::config::Secret;
use crate::domain::to_datetime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelKind {
    Slack,
    Webhook,
}

impl ChannelKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Webhook => "webhook",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "slack" => Some(Self::Slack),
            "webhook" => Some(Self::Webhook),
            _ => None,
        }
    }
}

/// A declared channel. Debug shows neither the URL nor the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    pub name: String,
    pub kind: ChannelKind,
    pub url: Secret,
    /// Webhook only: the HMAC-SHA256 key.
    pub secret: Option<Secret>,
}

/// A problem with one field of a channel (`kind`, `url`, `secret`). The
/// message never repeats the value: URLs and keys are secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ChannelError {
    pub field: &'static str,
    pub message: String,
}

fn channel_err(field: &'static str, message: impl Into<String>) -> ChannelError {
    ChannelError { field, message: message.into() }
}

/// Shortest webhook HMAC key accepted.
pub const MIN_SECRET_LEN: usize = 16;

/// `http://` or `https://` and something after it.
pub fn is_http_url(url: &str) -> bool {
    (url.starts_with("http://") || url.starts_with("https://")) && url.len() > "https://".len()
}

impl ChannelConfig {
    /// Validates a channel as written in `[[alerts.channels]]` or sent to
    /// `createAlertChannel`: a known kind, an http(s) URL, and a key of at
    /// least [`MIN_SECRET_LEN`] characters for a webhook (none for Slack).
    /// The name is the caller's to check (the file and the API differ).
    pub fn parse(name: &str, kind: &str, url: &str, secret: Option<&str>) -> Result<ChannelConfig, ChannelError> {
        let kind = ChannelKind::parse(kind).ok_or_else(|| channel_err("kind", format!("`{kind}` is not slack or webhook")))?;
        if !is_http_url(url) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(channel_err("url", "must be an http:// or https:// URL"));
        }
        match (kind, secret) {
            (ChannelKind::Webhook, None) => return Err(channel_err("secret", "is required for a webhook: the HMAC-SHA256 key receivers verify")),
            (ChannelKind::Webhook, Some(s)) if s.chars().count() < MIN_SECRET_LEN => {
                return Err(channel_err("secret", format!("must be at least {MIN_SECRET_LEN} characters")))
            }
            (ChannelKind::Slack, Some(_)) => return Err(channel_err("secret", "applies to webhook channels only")),
            _ => {}
        }
        Ok(ChannelConfig { name: name.to_string(), kind, url: Secret::new(url.to_string()), secret: secret.map(|s| Secret::new(s.to_string())) })
    }

    /// The URL as it may be shown: scheme and host, the rest masked.
    pub fn masked_url(&self) -> String {
        mask_url(self.url.expose())
    }
}

pub fn mask_url(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = host.rsplit('@').next().unwrap_or(host);
    format!("{scheme}://{host}/…")
}

pub const SIGNATURE_HEADER: &str = "X-Cronkeeper-Signature";
pub const IDEMPOTENCY_HEADER: &str = "X-Cronkeeper-Idempotency-Key";
pub const SCHEMA: &str = "cronkeeper.alert.v1";

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
pub fn signature(secret: &Secret, unix_seconds: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key length");
    mac.update(unix_seconds.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={unix_seconds},v1={}", hex::encode(mac.finalize().into_bytes()))
}

fn rfc3339(ms: Option<i64>) -> Value {
    ms.map(|ms| Value::String(to_datetime(ms).to_rfc3339_opts(chrono::SecondsFormat::Millis, true))).unwrap_or(Value::Null)
}

/// A link into the Magento admin for the run, the job or the dashboard.
pub fn admin_link(base: Option<&str>, m: &AlertMessage) -> Option<String> {
    let base = base?.trim_end_matches('/');
    Some(match (&m.detail.run_id, &m.detail.job) {
        (Some(id), _) => format!("{base}/cronkeeper/run/index/id/{id}"),
        (None, Some(job)) => format!("{base}/cronkeeper/job/index/code/{job}"),
        _ => format!("{base}/cronkeeper/dashboard/index"),
    })
}

/// The generic webhook body. Field names are a public contract: only add.
pub fn webhook_body(m: &AlertMessage, key: &str, admin_base_url: Option<&str>) -> Vec<u8> {
    let body = json!({
        "schema": SCHEMA,
        "idempotency_key": key,
        "event": m.event.as_str(),
        "at": rfc3339(Some(m.at)),
        "alert": {
            "id": m.alert_id,
            "rule": m.rule,
            "kind": m.kind,
            "subject": m.subject,
            "severity": m.severity.as_str(),
            "state": m.state,
            "summary": m.summary,
            "opened_at": rfc3339(m.opened_at),
            "resolved_at": rfc3339(m.resolved_at),
            "acknowledged": m.acknowledged,
        },
        "job": m.detail.job,
        "lane": m.detail.lane,
        "run_id": m.detail.run_id,
        "status": m.detail.status,
        "error": m.detail.error,
        "duration_ms": m.detail.duration_ms,
        "link": admin_link(admin_base_url, m),
    });
    serde_json::to_vec(&body).expect("JSON values serialise")
}

pub fn severity_color(m: &AlertMessage) -> &'static str {
    if m.event == NotifyEvent::Resolved {
        return "#2e7d32";
    }
    match m.severity {
        Severity::Critical => "#d32f2f",
        Severity::Warning => "#f9a825",
        Severity::Info => "#1976d2",
    }
}

/// Slack's mrkdwn needs `&`, `<` and `>` escaped.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max - 1).collect::<String>() + "…"
    }
}

fn human_ms(ms: i64) -> String {
    let rounded = if ms >= 10_000 { ms / 1000 * 1000 } else { ms };
    crate::config::fmt(std::time::Duration::from_millis(rounded.max(0) as u64))
}

/// Block Kit inside an attachment, so the colour bar shows the severity.
pub fn slack_body(m: &AlertMessage, admin_base_url: Option<&str>) -> Vec<u8> {
    let verb = match m.event {
        NotifyEvent::Opened => "Alert",
        NotifyEvent::Reminder => "Still failing",
        NotifyEvent::Resolved => "Resolved",
        NotifyEvent::Test => "Test",
    };
    let icon = match (m.event, m.severity) {
        (NotifyEvent::Resolved, _) => ":white_check_mark:",
        (NotifyEvent::Test, _) => ":wave:",
        (_, Severity::Critical) => ":red_circle:",
        (_, Severity::Warning) => ":large_orange_circle:",
        (_, Severity::Info) => ":large_blue_circle:",
    };
    let header = cut(&format!("{verb}: {} ({})", m.rule, m.kind), 150);
    let mut fields = Vec::new();
    let mut field = |label: &str, value: &Option<String>| {
        if let Some(v) = value {
            fields.push(json!({"type": "mrkdwn", "text": format!("*{label}*\n{}", esc(v))}));
        }
    };
    field("Job", &m.detail.job);
    field("Lane", &m.detail.lane);
    field("Status", &m.detail.status);
    field("Duration", &m.detail.duration_ms.map(human_ms));
    field("Severity", &Some(m.severity.as_str().to_string()));
    if m.detail.job.is_none() {
        field("Subject", &Some(m.subject.clone()));
    }
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": header, "emoji": true}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("{icon} {}", esc(&cut(&m.summary, 2900)))}}),
        json!({"type": "section", "fields": fields}),
    ];
    if let Some(error) = &m.detail.error {
        if m.event != NotifyEvent::Resolved {
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("```{}```", esc(&cut(error, 2800)))}}));
        }
    }
    let mut context = vec![json!({"type": "mrkdwn", "text": format!("opened {}", rfc3339(m.opened_at).as_str().unwrap_or("-"))})];
    if let Some(link) = admin_link(admin_base_url, m) {
        context.push(json!({"type": "mrkdwn", "text": format!("<{}|Open in the Magento admin>", link)}));
    }
    blocks.push(json!({"type": "context", "elements": context}));
    let body = json!({
        "text": cut(&format!("{verb}: {} — {}", m.rule, m.summary), 300),
        "attachments": [{"color": severity_color(m), "blocks": blocks}],
    });
    serde_json::to_vec(&body).expect("JSON values serialise")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::model::Detail;

    pub(crate) fn message(event: NotifyEvent) -> AlertMessage {
        AlertMessage {
            event,
            alert_id: Some(7),
            rule: "failures".into(),
            kind: "run_failed".into(),
            subject: "job:sales_x".into(),
            severity: Severity::Critical,
            state: "OPEN".into(),
            summary: "sales_x FAILED".into(),
            detail: Detail {
                summary: "sales_x FAILED".into(),
                job: Some("sales_x".into()),
                lane: Some("default".into()),
                run_id: Some(42),
                status: Some("FAILED".into()),
                error: Some("exit 1: <boom> & more".into()),
                duration_ms: Some(1500),
            },
            opened_at: Some(1_700_000_000_000),
            resolved_at: None,
            acknowledged: false,
            at: 1_700_000_000_000,
        }
    }

    #[test]
    fn slack_message_has_header_fields_error_link_and_colour() {
        let body: Value = serde_json::from_slice(&slack_body(&message(NotifyEvent::Opened), Some("https://shop.test/admin/"))).unwrap();
        let att = &body["attachments"][0];
        assert_eq!(att["color"], "#d32f2f");
        let blocks = att["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        let text = body.to_string();
        assert!(text.contains("*Job*\\nsales_x") && text.contains("*Lane*\\ndefault") && text.contains("*Status*\\nFAILED"), "{text}");
        assert!(text.contains("&lt;boom&gt; &amp; more"), "{text}");
        assert!(text.contains("<https://shop.test/admin/cronkeeper/run/index/id/42|Open in the Magento admin>"), "{text}");
        let resolved: Value = serde_json::from_slice(&slack_body(&message(NotifyEvent::Resolved), None)).unwrap();
        assert_eq!(resolved["attachments"][0]["color"], "#2e7d32");
        assert!(resolved.to_string().contains("Resolved: failures"));
    }

    #[test]
    fn webhook_body_is_stable_and_signature_is_hmac_of_t_dot_body() {
        let m = message(NotifyEvent::Opened);
        let a = webhook_body(&m, "k1", None);
        assert_eq!(a, webhook_body(&m, "k1", None));
        let v: Value = serde_json::from_slice(&a).unwrap();
        assert_eq!(v["schema"], SCHEMA);
        assert_eq!(v["alert"]["id"], 7);
        assert_eq!(v["idempotency_key"], "k1");
        // RFC 4231 test case 2 shape: key "Jefe".
        let sig = signature(&Secret::new("Jefe".into()), 1, b"x");
        assert!(sig.starts_with("t=1,v1=") && sig.len() == "t=1,v1=".len() + 64);
    }

    #[test]
    fn channels_are_validated_field_by_field_without_echoing_secrets() {
        let field = |kind: &str, url: &str, secret: Option<&str>| ChannelConfig::parse("c", kind, url, secret).unwrap_err().field;
        assert_eq!(field("teams", "https://x.test/a", None), "kind");
        assert_eq!(field("slack", "ftp://x.test/s3cr3t", None), "url");
        assert_eq!(field("slack", "https://x.test/a b", None), "url");
        assert_eq!(field("slack", "https://x.test/a", Some("0123456789abcdef")), "secret");
        assert_eq!(field("webhook", "https://x.test/a", None), "secret");
        assert_eq!(field("webhook", "https://x.test/a", Some("short")), "secret");
        let e = ChannelConfig::parse("c", "slack", "hooks.slack.com/s3cr3t", None).unwrap_err();
        assert!(!e.to_string().contains("s3cr3t"), "{e}");
        let ok = ChannelConfig::parse("c", "webhook", "http://127.0.0.1:9/h", Some("0123456789abcdef")).unwrap();
        assert_eq!((ok.kind, ok.masked_url()), (ChannelKind::Webhook, "http://127.0.0.1:9/…".to_string()));
    }

    #[test]
    fn masked_urls_keep_only_the_host() {
        assert_eq!(mask_url("https://hooks.slack.com/services/T0/B0/XYZ"), "https://hooks.slack.com/…");
        assert_eq!(mask_url("http://user:pw@127.0.0.1:9/x?y"), "http://127.0.0.1:9/…");
    }
}
