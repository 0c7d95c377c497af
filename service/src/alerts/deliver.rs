//! The outbox deliverer: takes the head of each channel's queue, sends it, and
//! records the result before doing anything else. Channels come from the
//! config file or, made over the API, from the store: delivered alike.
//!
//! - 2xx: DELIVERED at once, so a success is never sent again.
//! - connection errors, timeouts, 408, 429 and 5xx: retried with exponential
//!   backoff (`retry_initial` doubling up to `retry_max`), or after the
//!   endpoint's `Retry-After` seconds when that is longer; after
//!   `max_attempts` the notification is FAILED (and visible as such).
//! - any other status (400, 403, 404, ...): FAILED at once, retrying would not help.
//!
//! A crash between sending and recording leaves the row DELIVERING; once its
//! lease ends another attempt is made (the idempotency key header lets the
//! receiver drop the duplicate). That is the only way a notification is sent twice.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::channel::{self, ChannelConfig, ChannelKind, IDEMPOTENCY_HEADER, SIGNATURE_HEADER};
use super::model::Notification;
use super::{AlertEvent, AlertEvents};
use crate::clock::SharedClock;
use crate::config::alerts::{AlertsConfig, DeliveryPolicy};
use crate::store::{self, alerts as outbox, Store};

/// Longest Retry-After honoured; a larger one is capped.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// Longest sleep between looks at the outbox (other nodes may have queued work).
const POLL: Duration = Duration::from_secs(1);

#[derive(Debug)]
enum Attempt {
    Delivered,
    Retry { after: Option<Duration>, error: String },
    Refused(String),
}

#[derive(Clone)]
pub struct Deliverer {
    store: Store,
    clock: SharedClock,
    channels: Arc<Vec<ChannelConfig>>,
    admin_base_url: Option<String>,
    policy: DeliveryPolicy,
    http: reqwest::Client,
    wake: Arc<Notify>,
    events: AlertEvents,
}

impl Deliverer {
    pub fn new(store: Store, clock: SharedClock, config: &AlertsConfig, events: AlertEvents) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.delivery.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cronkeeper/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with rustls builds");
        Self {
            store,
            clock,
            channels: Arc::new(config.channels.clone()),
            admin_base_url: config.admin_base_url.clone(),
            policy: config.delivery.clone(),
            http,
            wake: Arc::new(Notify::new()),
            events,
        }
    }

    /// Notify this to make the deliverer look at the outbox now.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    fn lease_ms(&self) -> i64 {
        (self.policy.request_timeout + Duration::from_secs(30)).as_millis() as i64
    }

    /// Until `stop`: delivers what is due, then sleeps until the next row is
    /// due, a waker call, or [`POLL`], whichever comes first. Rows left by a
    /// previous process are picked up on the first pass.
    pub async fn run(self, stop: CancellationToken) {
        loop {
            let sent = match self.deliver_due().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(error = %e, "alert outbox pass failed");
                    0
                }
            };
            if sent > 0 {
                continue;
            }
            let now = self.clock.now_ms();
            let wait = match outbox::next_due(&self.store).await {
                Ok(Some(t)) if t > now => Duration::from_millis((t - now) as u64).min(POLL),
                Ok(Some(_)) => Duration::from_millis(50),
                _ => POLL,
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// One pass: claims each channel's due head and attempts it. Returns how
    /// many were attempted.
    pub async fn deliver_due(&self) -> store::Result<usize> {
        let claimed = outbox::claim_due(&self.store, self.clock.now_ms(), self.lease_ms(), 100).await?;
        let n = claimed.len();
        let attempts = claimed.into_iter().map(|c| self.attempt(c));
        for r in futures::future::join_all(attempts).await {
            r?;
        }
        Ok(n)
    }

    async fn attempt(&self, c: outbox::ClaimedNotification) -> store::Result<()> {
        let n = &c.notification;
        let Some(ch) = self.channel(&n.channel).await? else {
            let error = format!("channel `{}` is neither configured on this node nor made over the API", n.channel);
            tracing::error!(notification = n.id, channel = %n.channel, "alert notification failed: its channel does not exist");
            return self.fail(&c, &error).await;
        };
        let outcome = self.send(&ch, n).await;
        let now = self.clock.now_ms();
        match outcome {
            Attempt::Delivered => {
                outbox::mark_delivered(&self.store, n.id, c.claim, now).await?;
                tracing::info!(notification = n.id, channel = %n.channel, event = n.event.as_str(), "alert notification delivered");
                if let Some(n) = outbox::get_notification(&self.store, n.id).await? {
                    self.events.send(AlertEvent::NotificationDelivered(n));
                }
                Ok(())
            }
            Attempt::Refused(error) => {
                tracing::error!(notification = n.id, channel = %n.channel, %error, "alert notification refused by its endpoint; not retried");
                self.fail(&c, &error).await
            }
            Attempt::Retry { after, error } => {
                let attempts = n.attempts + 1;
                if attempts >= self.policy.max_attempts {
                    tracing::error!(notification = n.id, channel = %n.channel, attempts, %error, "alert notification failed after its last attempt");
                    return self.fail(&c, &error).await;
                }
                let delay = backoff(&self.policy, n.attempts).max(after.unwrap_or_default().min(MAX_RETRY_AFTER));
                tracing::warn!(notification = n.id, channel = %n.channel, attempts, retry_in_ms = delay.as_millis() as u64, %error, "alert notification not delivered; will retry");
                outbox::mark_retry(&self.store, n.id, c.claim, now + delay.as_millis() as i64, &error).await?;
                Ok(())
            }
        }
    }

    /// The config file's channel of that name, else the API's (read at each
    /// attempt, so a changed URL or key applies to the next one on every node).
    async fn channel(&self, name: &str) -> store::Result<Option<ChannelConfig>> {
        match self.channels.iter().find(|ch| ch.name == name) {
            Some(ch) => Ok(Some(ch.clone())),
            None => store::alert_channels::api_channel(&self.store, name).await,
        }
    }

    async fn fail(&self, c: &outbox::ClaimedNotification, error: &str) -> store::Result<()> {
        outbox::mark_failed(&self.store, c.notification.id, c.claim, error, self.clock.now_ms()).await?;
        if let Some(n) = outbox::get_notification(&self.store, c.notification.id).await? {
            self.events.send(AlertEvent::NotificationFailed(n));
        }
        Ok(())
    }

    async fn send(&self, ch: &ChannelConfig, n: &Notification) -> Attempt {
        let base = self.admin_base_url.as_deref();
        let mut req = self.http.post(ch.url.expose()).header("Content-Type", "application/json").header(IDEMPOTENCY_HEADER, &n.idempotency_key);
        let body = match ch.kind {
            ChannelKind::Slack => channel::slack_body(&n.message, base),
            ChannelKind::Webhook => {
                let body = channel::webhook_body(&n.message, &n.idempotency_key, base);
                if let Some(secret) = &ch.secret {
                    let t = self.clock.now_ms().div_euclid(1000);
                    req = req.header(SIGNATURE_HEADER, channel::signature(secret, t, &body));
                }
                body
            }
        };
        match req.body(body).send().await {
            Ok(resp) => classify(resp.status(), resp.headers()),
            Err(e) => Attempt::Retry { after: None, error: scrub(&describe(e), ch) },
        }
    }
}

fn classify(status: reqwest::StatusCode, headers: &reqwest::header::HeaderMap) -> Attempt {
    if status.is_success() {
        return Attempt::Delivered;
    }
    let error = format!("HTTP {}", status.as_u16());
    if status.as_u16() == 429 || status.as_u16() == 408 || status.is_server_error() {
        let after = headers.get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs);
        return Attempt::Retry { after, error };
    }
    Attempt::Refused(error)
}

/// `retry_initial * 2^(attempts so far)`, capped at `retry_max`.
pub fn backoff(p: &DeliveryPolicy, attempts_so_far: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts_so_far.min(30));
    p.retry_initial.saturating_mul(factor).min(p.retry_max)
}

/// The error and its causes, without the URL (reqwest puts it in its message).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Belt and braces: whatever an error says, the channel's URL and key do not leave.
fn scrub(text: &str, ch: &ChannelConfig) -> String {
    let mut out = text.replace(ch.url.expose(), "[redacted]");
    if let Some(s) = &ch.secret {
        out = out.replace(s.expose(), "[redacted]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let p = DeliveryPolicy { max_attempts: 5, retry_initial: Duration::from_secs(5), retry_max: Duration::from_secs(60), request_timeout: Duration::from_secs(1) };
        let got: Vec<u64> = (0..6).map(|a| backoff(&p, a).as_secs()).collect();
        assert_eq!(got, [5, 10, 20, 40, 60, 60]);
        assert_eq!(backoff(&p, 1000).as_secs(), 60);
    }

    #[test]
    fn statuses_are_classified() {
        let h = reqwest::header::HeaderMap::new();
        assert!(matches!(classify(reqwest::StatusCode::NO_CONTENT, &h), Attempt::Delivered));
        assert!(matches!(classify(reqwest::StatusCode::BAD_GATEWAY, &h), Attempt::Retry { after: None, .. }));
        assert!(matches!(classify(reqwest::StatusCode::NOT_FOUND, &h), Attempt::Refused(_)));
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        match classify(reqwest::StatusCode::TOO_MANY_REQUESTS, &h) {
            Attempt::Retry { after, .. } => assert_eq!(after, Some(Duration::from_secs(7))),
            other => panic!("{other:?}"),
        }
    }
}
