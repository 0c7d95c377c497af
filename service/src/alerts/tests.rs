//! Alerting against a real SQLite file and a real local HTTP receiver.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::channel::{ChannelConfig, ChannelKind};
use super::deliver::Deliverer;
use super::evaluate::Evaluator;
use super::model::{AlertState, DeliveryStatus, NotifyEvent, Observation, Subject};
use super::rule::{Rule, RuleInput};
use super::AlertEvents;
use crate::clock::{Clock, ManualClock, SharedClock};
use crate::config::alerts::{AlertsConfig, DeliveryPolicy};
use crate::config::Secret;
use crate::domain::{Executor, Job, LaneName, RunStatus};
use crate::events::RunEvent;
use crate::store::alerts::{self as astore, NotificationFilter};
use crate::store::runs::{self, ClaimOutcome, Finish, NewRun};
use crate::store::testing::sqlite_store;
use crate::store::{self, Page, Store};

const T0: i64 = 1_700_000_000_000;
const HMAC_KEY: &str = "test-hmac-key-0123456789";

// ------------------------------------------------------------------ receiver

#[derive(Debug, Clone)]
struct Hit {
    at: Instant,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Records every request; answers from a script (status, Retry-After), then 200.
#[derive(Clone, Default)]
struct Receiver {
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<(u16, Option<&'static str>)>>>,
}

impl Receiver {
    async fn start(&self) -> (SocketAddr, CancellationToken) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        self.serve(listener)
    }

    fn serve(&self, listener: tokio::net::TcpListener) -> (SocketAddr, CancellationToken) {
        let addr = listener.local_addr().unwrap();
        let me = self.clone();
        let app = axum::Router::new().fallback(move |headers: HeaderMap, body: axum::body::Bytes| {
            let me = me.clone();
            async move {
                me.hits.lock().unwrap().push(Hit { at: Instant::now(), headers, body: body.to_vec() });
                let (status, retry_after) = me.script.lock().unwrap().pop_front().unwrap_or((200, None));
                let mut h = HeaderMap::new();
                if let Some(r) = retry_after {
                    h.insert("retry-after", r.parse().unwrap());
                }
                (StatusCode::from_u16(status).unwrap(), h, "ok")
            }
        });
        let stop = CancellationToken::new();
        let s = stop.clone();
        tokio::spawn(async move { axum::serve(listener, app).with_graceful_shutdown(async move { s.cancelled().await }).await.unwrap() });
        (addr, stop)
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    fn keys(&self) -> Vec<String> {
        self.hits().iter().map(|h| h.headers["x-cronkeeper-idempotency-key"].to_str().unwrap().to_string()).collect()
    }

    async fn wait_for(&self, n: usize, within: Duration) -> Vec<Hit> {
        let deadline = Instant::now() + within;
        while self.hits.lock().unwrap().len() < n {
            assert!(Instant::now() < deadline, "receiver got {} of {n} requests", self.hits.lock().unwrap().len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.hits()
    }
}

// ------------------------------------------------------------------ helpers

fn rule(toml_text: &str, channels: &[&str]) -> Rule {
    let input: RuleInput = toml::from_str(toml_text).unwrap();
    Rule::from_input(&input, &channels.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
}

fn job(code: &str) -> Job {
    let mut j = Job::new(code, LaneName::parse("default").unwrap(), Some("* * * * *".into()), Executor::Command { argv: vec!["true".into()], env: vec![], working_dir: None });
    j.concurrency = crate::domain::ConcurrencyPolicy::Allow;
    j
}

fn alerts_config(channels: Vec<ChannelConfig>, initial_ms: u64, max_ms: u64, attempts: u32) -> AlertsConfig {
    let mut c = AlertsConfig::default();
    c.channels = channels;
    c.delivery = DeliveryPolicy {
        max_attempts: attempts,
        retry_initial: Duration::from_millis(initial_ms),
        retry_max: Duration::from_millis(max_ms),
        request_timeout: Duration::from_secs(2),
    };
    c
}

fn webhook(name: &str, addr: SocketAddr) -> ChannelConfig {
    ChannelConfig { name: name.into(), kind: ChannelKind::Webhook, url: Secret::new(format!("http://{addr}/hook/s3cr3t-path")), secret: Some(Secret::new(HMAC_KEY.into())) }
}

struct Harness {
    store: Store,
    clock: Arc<ManualClock>,
    tick: Arc<AtomicI64>,
    eval: Evaluator,
    _dir: tempfile::TempDir,
}

async fn harness(rules: &[Rule]) -> Harness {
    let (store, dir) = sqlite_store().await;
    let clock = ManualClock::at(T0);
    let tick = Arc::new(AtomicI64::new(0));
    astore::save_config_rules(&store, rules, T0).await.unwrap();
    let eval = Evaluator {
        store: store.clone(),
        clock: clock.clone() as SharedClock,
        events: AlertEvents::new(),
        outbox: Arc::new(Notify::new()),
        lanes: vec![("default".into(), 1), ("bulk".into(), 1)],
        heartbeat_expiry: Duration::from_secs(60),
        scheduler_tick: Some(tick.clone()),
        depth: None,
    };
    Harness { store, clock, tick, eval, _dir: dir }
}

impl Harness {
    /// A run of `code` that ran `took_ms` and ended `status`, judged as its event arrives.
    async fn finish(&self, code: &str, status: RunStatus, took_ms: i64) -> i64 {
        let now = self.clock.now_ms();
        let id = runs::insert(&self.store, &NewRun::manual(code, "default", RunStatus::Queued, now), now).await.unwrap().unwrap();
        let ClaimOutcome::Run(c) = runs::claim_next(&self.store, "default", "w", now).await.unwrap() else { panic!("claim") };
        assert_eq!(c.run.id, id);
        self.clock.advance(took_ms);
        let f = Finish { status, exit_code: Some(1), output: None, error: (status != RunStatus::Succeeded).then(|| "boom: <exit 1>".to_string()) };
        runs::finish(&self.store, id, c.claim, &f, self.clock.now_ms()).await.unwrap();
        self.eval
            .on_run_event(&RunEvent { run_id: id, job_code: code.into(), lane: "default".into(), status, at: self.clock.now_ms() })
            .await
            .unwrap();
        self.clock.advance(1000);
        id
    }

    async fn pass(&self) {
        self.eval.periodic_pass().await.unwrap();
    }

    /// (event, alert id) of every queued notification, in order.
    async fn notified(&self) -> Vec<(NotifyEvent, i64)> {
        astore::list_notifications(&self.store, &NotificationFilter::default(), Page { limit: 1000, offset: 0 })
            .await
            .unwrap()
            .into_iter()
            .map(|n| (n.event, n.alert_id.unwrap()))
            .collect()
    }

    async fn alerts(&self) -> Vec<super::Alert> {
        astore::list_alerts(&self.store, &Default::default(), Page { limit: 100, offset: 0 }).await.unwrap()
    }

    /// Exactly one alert, opened once and resolved once, on channel `ops`.
    async fn assert_opened_then_resolved(&self, subject: &str) {
        let alerts = self.alerts().await;
        assert_eq!(alerts.len(), 1, "{alerts:#?}");
        assert_eq!(alerts[0].state, AlertState::Resolved);
        assert_eq!(alerts[0].subject, subject);
        assert_eq!(self.notified().await, [(NotifyEvent::Opened, alerts[0].id), (NotifyEvent::Resolved, alerts[0].id)]);
    }
}

// ------------------------------------------------------------------ rules fire once and resolve once

#[tokio::test]
async fn run_failed_opens_once_stays_quiet_and_resolves_once() {
    let h = harness(&[rule("name = 'f'\nwhen = 'run_failed'\njobs = ['sales_*']\nchannels = ['ops']", &["ops"])]).await;
    store::jobs::save(&h.store, &job("sales_x"), T0).await.unwrap();
    store::jobs::save(&h.store, &job("other"), T0).await.unwrap();
    h.finish("other", RunStatus::Failed, 10).await; // out of scope
    h.finish("sales_x", RunStatus::Failed, 10).await;
    h.finish("sales_x", RunStatus::TimedOut, 10).await; // still open: no repeat
    let open = h.alerts().await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].state, AlertState::Open);
    assert_eq!(open[0].detail.status.as_deref(), Some("TIMED_OUT"), "details follow the latest failure");
    h.finish("sales_x", RunStatus::Succeeded, 10).await;
    h.finish("sales_x", RunStatus::Succeeded, 10).await;
    h.assert_opened_then_resolved("job:sales_x").await;
    let a = &h.alerts().await[0];
    assert_eq!(a.detail.error.as_deref(), Some("boom: <exit 1>"));
}

#[tokio::test]
async fn run_timed_out_only_counts_timeouts() {
    let h = harness(&[rule("name = 't'\nwhen = 'run_timed_out'\nchannels = ['ops']", &["ops"])]).await;
    h.finish("j", RunStatus::Failed, 10).await;
    assert!(h.alerts().await.is_empty());
    h.finish("j", RunStatus::TimedOut, 10).await;
    h.finish("j", RunStatus::Succeeded, 10).await;
    h.assert_opened_then_resolved("job:j").await;
}

#[tokio::test]
async fn consecutive_failures_open_at_the_count_and_resolve_after_recovery_threshold() {
    let h = harness(&[rule("name = 'c'\nwhen = 'consecutive_failures'\ncount = 3\nresolve_after = 2\nchannels = ['ops']", &["ops"])]).await;
    h.finish("j", RunStatus::Failed, 10).await;
    h.finish("j", RunStatus::Failed, 10).await;
    h.finish("j", RunStatus::Succeeded, 10).await; // streak broken
    h.finish("j", RunStatus::Failed, 10).await;
    h.finish("j", RunStatus::Interrupted, 10).await;
    assert!(h.alerts().await.is_empty(), "only two in a row so far");
    h.finish("j", RunStatus::TimedOut, 10).await;
    assert_eq!(h.alerts().await.len(), 1);
    h.finish("j", RunStatus::Succeeded, 10).await;
    assert_eq!(h.alerts().await[0].state, AlertState::Open, "one success is not enough");
    h.finish("j", RunStatus::Succeeded, 10).await;
    h.assert_opened_then_resolved("job:j").await;
}

#[tokio::test]
async fn run_too_long_by_duration_while_running_and_at_the_end() {
    let h = harness(&[rule("name = 'l'\nwhen = 'run_too_long'\nduration = '1m'\nchannels = ['ops']", &["ops"])]).await;
    h.finish("j", RunStatus::Succeeded, 5_000).await;
    // A run still going past the limit is caught by the periodic pass.
    let now = h.clock.now_ms();
    let id = runs::insert(&h.store, &NewRun::manual("j", "default", RunStatus::Queued, now), now).await.unwrap().unwrap();
    let ClaimOutcome::Run(c) = runs::claim_next(&h.store, "default", "w", now).await.unwrap() else { panic!() };
    h.clock.advance(90_000);
    h.pass().await;
    h.pass().await;
    assert_eq!(h.alerts().await.len(), 1);
    assert_eq!(h.alerts().await[0].detail.run_id, Some(id));
    runs::finish(&h.store, id, c.claim, &Finish { status: RunStatus::Succeeded, exit_code: Some(0), output: None, error: None }, h.clock.now_ms()).await.unwrap();
    h.eval.on_run_event(&RunEvent { run_id: id, job_code: "j".into(), lane: "default".into(), status: RunStatus::Succeeded, at: 0 }).await.unwrap();
    assert_eq!(h.alerts().await[0].state, AlertState::Open, "that run was too long too");
    h.finish("j", RunStatus::Succeeded, 2_000).await;
    h.assert_opened_then_resolved("job:j").await;
}

#[tokio::test]
async fn run_too_long_by_factor_of_the_recent_median() {
    let h = harness(&[rule("name = 'k'\nwhen = 'run_too_long'\nfactor = 3.0\nchannels = ['ops']", &["ops"])]).await;
    for took in [1_000, 1_200, 900, 1_100] {
        h.finish("j", RunStatus::Succeeded, took).await;
    }
    assert!(h.alerts().await.is_empty());
    h.finish("j", RunStatus::Succeeded, 10_000).await; // > 3 × 1050 ms
    assert_eq!(h.alerts().await.len(), 1);
    assert!(h.alerts().await[0].summary.contains("median"), "{}", h.alerts().await[0].summary);
    h.finish("j", RunStatus::Succeeded, 1_000).await;
    h.assert_opened_then_resolved("job:j").await;
}

#[tokio::test]
async fn not_succeeded_within_opens_when_a_job_goes_quiet() {
    let h = harness(&[rule("name = 'n'\nwhen = 'not_succeeded_within'\nduration = '1h'\nchannels = ['ops']", &["ops"])]).await;
    store::jobs::save(&h.store, &job("j"), T0).await.unwrap();
    h.finish("j", RunStatus::Succeeded, 10).await;
    h.pass().await;
    assert!(h.alerts().await.is_empty());
    h.clock.advance(2 * 3600 * 1000);
    h.pass().await;
    h.pass().await;
    assert_eq!(h.alerts().await.len(), 1);
    h.finish("j", RunStatus::Succeeded, 10).await;
    h.pass().await;
    h.assert_opened_then_resolved("job:j").await;
}

#[tokio::test]
async fn late_start_catches_a_scheduled_run_left_waiting() {
    let h = harness(&[rule("name = 's'\nwhen = 'late_start'\nduration = '2m'\nchannels = ['ops']", &["ops"])]).await;
    store::jobs::save(&h.store, &job("j"), T0).await.unwrap();
    let mut n = NewRun::manual("j", "default", RunStatus::Queued, T0);
    n.trigger = crate::domain::Trigger::Schedule;
    n.fire_key = Some(T0);
    let id = runs::insert(&h.store, &n, T0).await.unwrap().unwrap();
    h.clock.advance(60_000);
    h.pass().await;
    assert!(h.alerts().await.is_empty(), "within grace");
    h.clock.advance(120_000);
    h.pass().await;
    assert_eq!(h.alerts().await[0].detail.run_id, Some(id));
    runs::claim_next(&h.store, "default", "w", h.clock.now_ms()).await.unwrap();
    h.pass().await;
    h.assert_opened_then_resolved("job:j").await;
}

#[tokio::test]
async fn lane_saturated_when_all_slots_are_busy_with_runs_queued() {
    let h = harness(&[rule("name = 'sat'\nwhen = 'lane_saturated'\nlanes = ['default']\nopen_after = 2\nchannels = ['ops']", &["ops"])]).await;
    let now = h.clock.now_ms();
    for _ in 0..2 {
        runs::insert(&h.store, &NewRun::manual("j", "default", RunStatus::Queued, now), now).await.unwrap();
    }
    let ClaimOutcome::Run(c) = runs::claim_next(&h.store, "default", "w", now).await.unwrap() else { panic!() };
    h.pass().await;
    assert!(h.alerts().await.is_empty(), "open_after = 2");
    h.pass().await;
    assert_eq!(h.alerts().await.len(), 1);
    runs::finish(&h.store, c.run.id, c.claim, &Finish { status: RunStatus::Succeeded, exit_code: None, output: None, error: None }, now).await.unwrap();
    h.pass().await;
    h.assert_opened_then_resolved("lane:default").await;
}

#[tokio::test]
async fn worker_lost_and_leader_lost() {
    let h = harness(&[
        rule("name = 'w'\nwhen = 'worker_lost'\nchannels = ['ops']", &["ops"]),
        rule("name = 'lead'\nwhen = 'leader_lost'\nduration = '30s'\nchannels = ['ops']", &["ops"]),
    ])
    .await;
    let i = store::instances::Instance {
        id: "n1:1:2:ab".into(),
        node: "n1".into(),
        pid: 1,
        pid_start: 2,
        role: "worker".into(),
        started_at: T0,
        heartbeat_at: T0,
        stopped_at: None,
        host: "n1".into(),
        lane_slots: vec![("default".into(), 2)],
        version: "0.1.0".into(),
    };
    store::instances::register(&h.store, &i).await.unwrap();
    h.tick.store(T0, Ordering::Relaxed);
    h.clock.advance(120_000);
    h.pass().await;
    let mut subjects: Vec<String> = h.alerts().await.iter().map(|a| a.subject.clone()).collect();
    subjects.sort();
    assert_eq!(subjects, ["scheduler", "worker:n1:1:2:ab"]);
    store::instances::heartbeat(&h.store, &i.id, h.clock.now_ms()).await.unwrap();
    h.tick.store(h.clock.now_ms(), Ordering::Relaxed);
    h.pass().await;
    h.pass().await;
    let alerts = h.alerts().await;
    assert!(alerts.iter().all(|a| a.state == AlertState::Resolved), "{alerts:#?}");
    let events: Vec<NotifyEvent> = h.notified().await.into_iter().map(|(e, _)| e).collect();
    assert_eq!(events, [NotifyEvent::Opened, NotifyEvent::Opened, NotifyEvent::Resolved, NotifyEvent::Resolved]);
}

#[tokio::test]
async fn reminders_repeat_at_most_every_interval_until_acknowledged() {
    let h = harness(&[rule("name = 'f'\nwhen = 'run_failed'\nremind_every = '10m'\nchannels = ['ops', 'ops2']", &["ops", "ops2"])]).await;
    h.finish("j", RunStatus::Failed, 10).await;
    h.pass().await;
    h.clock.advance(5 * 60_000);
    h.pass().await;
    assert_eq!(h.notified().await.len(), 2, "one opened per channel, no reminder yet");
    h.clock.advance(5 * 60_000);
    h.pass().await;
    h.pass().await;
    let n = h.notified().await;
    assert_eq!(n.iter().filter(|(e, _)| *e == NotifyEvent::Reminder).count(), 2, "{n:?}");
    let id = h.alerts().await[0].id;
    let events = AlertEvents::new();
    let mut rx = events.subscribe();
    let acked = super::acknowledge(&h.store, &events, id, "alice", h.clock.now_ms()).await.unwrap().unwrap();
    assert_eq!(acked.acknowledged_by.as_deref(), Some("alice"));
    assert!(matches!(rx.try_recv().unwrap(), super::AlertEvent::Acknowledged(_)));
    h.clock.advance(3600_000);
    h.pass().await;
    assert_eq!(h.notified().await.len(), 4, "acknowledged: no more reminders");
    h.finish("j", RunStatus::Succeeded, 10).await;
    assert_eq!(h.alerts().await[0].state, AlertState::Resolved, "still resolves by itself");
    let keys: Vec<String> =
        astore::list_notifications(&h.store, &Default::default(), Page { limit: 100, offset: 0 }).await.unwrap().into_iter().map(|n| n.idempotency_key).collect();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "{keys:?}");
}

#[tokio::test]
async fn config_rules_are_saved_at_start_and_removed_when_undeclared() {
    let (store, _d) = sqlite_store().await;
    let a = rule("name = 'a'\nwhen = 'run_failed'", &[]);
    let b = rule("name = 'b'\nwhen = 'queue_depth'\ncount = 100\nqueues = ['async.operations.all']", &[]);
    astore::save_config_rules(&store, &[a.clone(), b.clone()], 1).await.unwrap();
    let api = rule("name = 'from_api'\nwhen = 'worker_lost'", &[]);
    astore::upsert_rule(&store, &api, astore::SOURCE_API, 2).await.unwrap();
    let removed = astore::save_config_rules(&store, &[a.clone()], 3).await.unwrap();
    assert_eq!(removed, ["b"]);
    let names: Vec<(String, String)> = astore::list_rules(&store).await.unwrap().into_iter().map(|r| (r.rule.name, r.source)).collect();
    assert_eq!(names, [("a".to_string(), "config".to_string()), ("from_api".into(), "api".into())]);
    assert_eq!(astore::get_rule(&store, "a").await.unwrap().unwrap().rule, a);
    assert!(astore::delete_rule(&store, "from_api", 4).await.unwrap());
    assert!(!astore::delete_rule(&store, "from_api", 4).await.unwrap());
}

#[tokio::test]
async fn an_observation_and_its_notifications_commit_together() {
    // A rule naming a channel twice makes the second outbox insert violate the
    // idempotency key: the whole change must roll back, alert included.
    let (store, _d) = sqlite_store().await;
    let mut r = rule("name = 'f'\nwhen = 'run_failed'\nchannels = ['ops']", &["ops"]);
    r.channels.push("ops".into());
    let obs = Observation::Bad(super::Detail { summary: "x".into(), ..Default::default() });
    assert!(astore::observe(&store, &r, &Subject::Job("j".into()), &obs, T0).await.is_err());
    assert!(astore::list_alerts(&store, &Default::default(), Page { limit: 10, offset: 0 }).await.unwrap().is_empty());
    assert!(astore::list_notifications(&store, &Default::default(), Page { limit: 10, offset: 0 }).await.unwrap().is_empty());
    r.channels.pop();
    let c = astore::observe(&store, &r, &Subject::Job("j".into()), &obs, T0).await.unwrap().unwrap();
    assert_eq!(c.event, NotifyEvent::Opened);
}

// ------------------------------------------------------------------ delivery

/// Opens `n` alerts (on distinct subjects) so `n` notifications wait per channel.
async fn queue_notifications(store: &Store, channel: &str, n: usize) -> Vec<String> {
    let r = rule(&format!("name = 'f-{channel}'\nwhen = 'run_failed'\nchannels = ['{channel}']"), &[channel]);
    let mut keys = Vec::new();
    for i in 0..n {
        let obs = Observation::Bad(super::Detail { summary: format!("failure {i}"), job: Some(format!("job{i}")), ..Default::default() });
        let c = astore::observe(store, &r, &Subject::Job(format!("job{i}")), &obs, T0 + i as i64).await.unwrap().unwrap();
        keys.push(astore::idempotency_key(&c.alert, NotifyEvent::Opened, channel));
    }
    keys
}

fn system_clock() -> SharedClock {
    crate::clock::system()
}

/// An independent HMAC-SHA256 (RFC 2104) on top of SHA-256 alone.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let ipad: Vec<u8> = k.iter().map(|b| b ^ 0x36).collect();
    let opad: Vec<u8> = k.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new().chain_update(&ipad).chain_update(msg).finalize();
    let outer = Sha256::new().chain_update(&opad).chain_update(inner).finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks `X-Cronkeeper-Signature` against the body, as a receiver would.
pub(crate) fn verify(headers: &HeaderMap, body: &[u8], key: &str) {
    let sig = headers["x-cronkeeper-signature"].to_str().unwrap();
    let (t, v1) = sig.split_once(',').unwrap();
    let t: i64 = t.strip_prefix("t=").unwrap().parse().unwrap();
    let v1 = v1.strip_prefix("v1=").unwrap();
    let mut msg = t.to_string().into_bytes();
    msg.push(b'.');
    msg.extend_from_slice(body);
    assert_eq!(v1, hmac_sha256(key.as_bytes(), &msg), "signature does not verify");
    assert!((chrono::Utc::now().timestamp() - t).abs() < 60, "timestamp is current");
}

#[test]
fn the_independent_hmac_matches_rfc_4231_case_2() {
    assert_eq!(hmac_sha256(b"Jefe", b"what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

#[tokio::test]
async fn a_webhook_gets_a_signed_stable_json_body_with_the_idempotency_key() {
    let (store, _d) = sqlite_store().await;
    let rx = Receiver::default();
    let (addr, _stop) = rx.start().await;
    let keys = queue_notifications(&store, "hook", 1).await;
    let d = Deliverer::new(store.clone(), system_clock(), &alerts_config(vec![webhook("hook", addr)], 50, 200, 5), AlertEvents::new());
    assert_eq!(d.deliver_due().await.unwrap(), 1);
    let hits = rx.wait_for(1, Duration::from_secs(5)).await;
    verify(&hits[0].headers, &hits[0].body, HMAC_KEY);
    assert_eq!(rx.keys(), keys);
    let v: serde_json::Value = serde_json::from_slice(&hits[0].body).unwrap();
    assert_eq!(v["schema"], "cronkeeper.alert.v1");
    assert_eq!(v["event"], "opened");
    assert_eq!(v["job"], "job0");
    assert_eq!(v["alert"]["state"], "OPEN");
    let n = astore::list_notifications(&store, &Default::default(), Page { limit: 10, offset: 0 }).await.unwrap();
    assert_eq!((n[0].status, n[0].attempts), (DeliveryStatus::Delivered, 1));
    assert_eq!(d.deliver_due().await.unwrap(), 0, "a delivered notification is never sent again");
}

#[tokio::test]
async fn a_receiver_down_for_a_while_then_back_gets_everything_once_in_order() {
    let (store, _d) = sqlite_store().await;
    let port_holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = port_holder.local_addr().unwrap();
    drop(port_holder); // nothing listens: connections are refused
    let keys = queue_notifications(&store, "hook", 4).await;
    let d = Deliverer::new(store.clone(), system_clock(), &alerts_config(vec![webhook("hook", addr)], 50, 300, 100), AlertEvents::new());
    let stop = CancellationToken::new();
    let task = tokio::spawn(d.run(stop.clone()));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let n = astore::list_notifications(&store, &Default::default(), Page { limit: 10, offset: 0 }).await.unwrap();
    assert!(n[0].attempts >= 3, "retried while down: {:?}", n[0]);
    assert!(n[1..].iter().all(|n| n.attempts == 0), "later ones wait behind the head");
    assert!(n[0].last_error.as_deref().unwrap_or("").contains("onnect"), "{:?}", n[0].last_error);
    let rx = Receiver::default();
    let (_, _rstop) = rx.serve(tokio::net::TcpListener::bind(addr).await.unwrap());
    rx.wait_for(4, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rx.keys(), keys, "every notification exactly once, in order");
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn a_429_with_retry_after_is_honoured() {
    let (store, _d) = sqlite_store().await;
    let rx = Receiver::default();
    rx.script.lock().unwrap().extend([(429, Some("1")), (503, None)]);
    let (addr, _stop) = rx.start().await;
    queue_notifications(&store, "hook", 1).await;
    let d = Deliverer::new(store.clone(), system_clock(), &alerts_config(vec![webhook("hook", addr)], 20, 100, 10), AlertEvents::new());
    let stop = CancellationToken::new();
    let task = tokio::spawn(d.run(stop.clone()));
    let hits = rx.wait_for(3, Duration::from_secs(5)).await;
    let gap = hits[1].at - hits[0].at;
    assert!(gap >= Duration::from_millis(900), "Retry-After: 1 honoured, gap {gap:?}");
    assert!(hits[2].at - hits[1].at < Duration::from_millis(900), "the 503 had no Retry-After: backoff only");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.hits().len(), 3);
    assert!(rx.keys().iter().all(|k| k == &rx.keys()[0]), "the same idempotency key on every attempt");
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn undelivered_notifications_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ck.db", dir.path().display());
    let port_holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = port_holder.local_addr().unwrap();
    drop(port_holder);
    let keys = {
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let keys = queue_notifications(&store, "hook", 3).await;
        let d = Deliverer::new(store.clone(), system_clock(), &alerts_config(vec![webhook("hook", addr)], 10, 20, 100), AlertEvents::new());
        d.deliver_due().await.unwrap(); // refused: stays pending
        // A crash in the middle of an attempt: the head is held DELIVERING.
        tokio::time::sleep(Duration::from_millis(30)).await;
        let held = astore::claim_due(&store, chrono::Utc::now().timestamp_millis(), 50, 10).await.unwrap();
        assert_eq!(held.len(), 1);
        store.close().await;
        keys
    };
    tokio::time::sleep(Duration::from_millis(100)).await; // the dead holder's lease runs out
    let rx = Receiver::default();
    let (_, _rstop) = rx.serve(tokio::net::TcpListener::bind(addr).await.unwrap());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let d = Deliverer::new(store.clone(), system_clock(), &alerts_config(vec![webhook("hook", addr)], 10, 20, 100), AlertEvents::new());
    let stop = CancellationToken::new();
    let task = tokio::spawn(d.run(stop.clone()));
    rx.wait_for(3, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(rx.keys(), keys);
    stop.cancel();
    task.await.unwrap();
}

#[tokio::test]
async fn failed_notifications_are_kept_and_visible() {
    let (store, _d) = sqlite_store().await;
    let rx = Receiver::default();
    rx.script.lock().unwrap().extend([(500, None), (500, None), (404, None)]);
    let (addr, _stop) = rx.start().await;
    queue_notifications(&store, "hook", 2).await;
    let events = AlertEvents::new();
    let mut sub = events.subscribe();
    let d = Deliverer::new(store.clone(), system_clock(), &alerts_config(vec![webhook("hook", addr)], 10, 10, 2), events);
    let stop = CancellationToken::new();
    let task = tokio::spawn(d.run(stop.clone()));
    rx.wait_for(3, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.cancel();
    task.await.unwrap();
    let failed = astore::list_notifications(&store, &NotificationFilter { status: Some(DeliveryStatus::Failed), ..Default::default() }, Page { limit: 10, offset: 0 })
        .await
        .unwrap();
    assert_eq!(failed.len(), 2, "{failed:#?}");
    assert_eq!((failed[0].attempts, failed[0].last_error.as_deref()), (2, Some("HTTP 500")), "gave up after max_attempts");
    assert_eq!((failed[1].attempts, failed[1].last_error.as_deref()), (1, Some("HTTP 404")), "a 404 is not retried");
    assert!(matches!(sub.try_recv().unwrap(), super::AlertEvent::NotificationFailed(_)));
}

#[tokio::test]
async fn slack_gets_block_kit_with_colour_and_a_resolve_message() {
    let (store, _d) = sqlite_store().await;
    let rx = Receiver::default();
    let (addr, _stop) = rx.start().await;
    let r = rule("name = 'f'\nwhen = 'run_failed'\nchannels = ['slack']", &["slack"]);
    let bad = Observation::Bad(super::Detail { summary: "j ended FAILED".into(), job: Some("j".into()), lane: Some("default".into()), run_id: Some(9), status: Some("FAILED".into()), error: Some("boom".into()), duration_ms: Some(1500) });
    astore::observe(&store, &r, &Subject::Job("j".into()), &bad, T0).await.unwrap();
    astore::observe(&store, &r, &Subject::Job("j".into()), &Observation::Good, T0 + 1).await.unwrap();
    let slack = ChannelConfig { name: "slack".into(), kind: ChannelKind::Slack, url: Secret::new(format!("http://{addr}/services/T/B/X")), secret: None };
    let mut cfg = alerts_config(vec![slack], 10, 10, 3);
    cfg.admin_base_url = Some("https://shop.test/admin".into());
    let d = Deliverer::new(store.clone(), system_clock(), &cfg, AlertEvents::new());
    d.deliver_due().await.unwrap();
    d.deliver_due().await.unwrap();
    let hits = rx.wait_for(2, Duration::from_secs(5)).await;
    let opened: serde_json::Value = serde_json::from_slice(&hits[0].body).unwrap();
    let resolved: serde_json::Value = serde_json::from_slice(&hits[1].body).unwrap();
    assert_eq!(opened["attachments"][0]["color"], "#d32f2f");
    assert_eq!(opened["attachments"][0]["blocks"][0]["type"], "header");
    assert!(opened.to_string().contains("cronkeeper/run/index/id/9"));
    assert_eq!(resolved["attachments"][0]["color"], "#2e7d32");
    assert!(hits[0].headers.get("x-cronkeeper-signature").is_none(), "slack is not signed");
}

// ------------------------------------------------------------------ secrets stay out of logs

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_appear_in_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_ansi(false).with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (store, _d) = sqlite_store().await;
    let rx = Receiver::default();
    rx.script.lock().unwrap().extend([(500, None), (404, None)]);
    let (addr, _stop) = rx.start().await;
    let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let up = webhook("up", addr);
    let down = ChannelConfig { name: "down".into(), kind: ChannelKind::Slack, url: Secret::new(format!("http://{refused}/services/SLACKTOKEN")), secret: None };
    queue_notifications(&store, "up", 2).await;
    queue_notifications(&store, "down", 1).await;
    let d = Deliverer::new(store.clone(), system_clock(), &alerts_config(vec![up.clone(), down.clone()], 10, 10, 3), AlertEvents::new());
    for _ in 0..5 {
        d.deliver_due().await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let dms = super::deadman::DeadMansSwitch::new(Secret::new(format!("http://{refused}/ping/DEADMANTOKEN")), Duration::from_secs(1), system_clock(), Arc::new(AtomicI64::new(chrono::Utc::now().timestamp_millis())));
    assert!(!dms.ping_if_healthy().await);
    let config = alerts_config(vec![up.clone(), down.clone()], 10, 10, 3);
    tracing::info!(?config, "config as debugged");

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("will retry") && text.contains("refused") && text.contains("dead man"), "the failures were logged:\n{text}");
    for secret in [up.url.expose(), "s3cr3t-path", HMAC_KEY, down.url.expose(), "SLACKTOKEN", "DEADMANTOKEN"] {
        assert!(!text.contains(secret), "`{secret}` leaked into the logs:\n{text}");
    }
    let stored = astore::list_notifications(&store, &Default::default(), Page { limit: 10, offset: 0 }).await.unwrap();
    for n in stored {
        let e = n.last_error.unwrap_or_default();
        assert!(!e.contains("SLACKTOKEN") && !e.contains("s3cr3t"), "{e}");
    }
}

#[tokio::test]
async fn the_dead_mans_switch_pings_only_while_the_scheduler_ticks() {
    let rx = Receiver::default();
    let (addr, _stop) = rx.start().await;
    let tick = Arc::new(AtomicI64::new(0));
    let dms = super::deadman::DeadMansSwitch::new(Secret::new(format!("http://{addr}/ping")), Duration::from_millis(100), system_clock(), tick.clone());
    assert!(!dms.ping_if_healthy().await, "never ticked");
    tick.store(chrono::Utc::now().timestamp_millis(), Ordering::Relaxed);
    assert!(dms.ping_if_healthy().await);
    tick.store(chrono::Utc::now().timestamp_millis() - 60_000, Ordering::Relaxed);
    assert!(!dms.ping_if_healthy().await, "stale tick");
    assert_eq!(rx.hits().len(), 1);
}

#[tokio::test]
async fn consumer_crash_loop_is_open_while_the_consumer_is_parked() {
    use crate::consumers::{ConsumerDefinition, ConsumerSource, StoredConsumer};
    let h = harness(&[rule("name = 'loop'\nwhen = 'consumer_crash_loop'\nqueues = ['export*']\nchannels = ['ops']", &["ops"])]).await;
    let mut export = StoredConsumer::new(ConsumerDefinition::new("exportProcessor"), ConsumerSource::Magento, T0);
    export.definition.watch_queue = Some("export".into());
    let other = StoredConsumer::new(ConsumerDefinition::new("codegeneratorProcessor"), ConsumerSource::Magento, T0);
    store::consumers::save_all(&h.store, &[export, other], &[]).await.unwrap();
    store::consumers::park(&h.store, "codegeneratorProcessor", "crash loop: out of scope", T0).await.unwrap();
    h.pass().await;
    assert!(h.alerts().await.is_empty(), "nothing parked in scope yet");

    store::consumers::park(&h.store, "exportProcessor", "crash loop: 5 failed starts in a row, the last exited with code 255", T0).await.unwrap();
    h.pass().await;
    let alerts = h.alerts().await;
    assert_eq!(alerts.iter().map(|a| (a.subject.as_str(), a.state)).collect::<Vec<_>>(), [("consumer:exportProcessor", AlertState::Open)]);
    store::consumers::set_stopped(&h.store, "exportProcessor", false, T0 + 1).await.unwrap();
    h.pass().await;
    assert!(h.alerts().await.iter().all(|a| a.state == AlertState::Resolved));
    let events: Vec<NotifyEvent> = h.notified().await.into_iter().map(|(e, _)| e).collect();
    assert_eq!(events, [NotifyEvent::Opened, NotifyEvent::Resolved]);
}

mod closed_runs;
mod queues;
