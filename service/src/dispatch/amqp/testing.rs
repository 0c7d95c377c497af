//! A RabbitMQ for tests: the broker named by `CRONKEEPER_TEST_AMQP_URL`
//! (default `amqp://guest:guest@127.0.0.1:5672/%2f`), with a fresh name prefix
//! per test so tests never share a queue. When the broker cannot be reached:
//! in CI the test fails; elsewhere it prints `SKIPPED amqp transport suite`
//! and passes, like the store suites.
//!
//! Restarting the broker (`rabbitmqctl stop_app` / `start_app`, or the command
//! in `CRONKEEPER_TEST_RABBITMQCTL`) disturbs every connection to it, so the
//! tests of this binary that use the broker take [`BROKER`] shared, and the
//! restart test takes it exclusively.

use std::io::Write as _;
use std::time::Duration;

use lapin::{Connection, ConnectionProperties};
use rand::Rng as _;

pub static BROKER: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());

pub fn url() -> String {
    std::env::var("CRONKEEPER_TEST_AMQP_URL").ok().filter(|v| !v.is_empty()).unwrap_or_else(|| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// The broker's URL if it answers; otherwise `None` after saying so (or a panic in CI).
pub async fn reachable() -> Option<String> {
    let url = url();
    let outcome = tokio::time::timeout(Duration::from_secs(10), Connection::connect(&url, ConnectionProperties::default())).await;
    match outcome {
        Ok(Ok(c)) => {
            let _ = c.close(200, "probe".into()).await;
            Some(url)
        }
        other => {
            let reason = match other {
                Ok(Err(e)) => e.to_string(),
                _ => "timed out".into(),
            };
            assert!(!in_ci(), "the amqp transport suite must run in CI, but the broker at 127.0.0.1 cannot be reached: {reason}");
            let _ = writeln!(std::io::stderr(), "SKIPPED amqp transport suite: cannot connect to the test broker: {reason}");
            None
        }
    }
}

/// A prefix no other test uses: `ck-test-<random>`.
pub fn unique_prefix() -> String {
    format!("ck-test-{:012x}", rand::thread_rng().gen::<u64>() & 0xffff_ffff_ffff)
}

/// (ready, consumers) of a queue, by passive declare on a connection of its own.
pub async fn queue_state(url: &str, queue: &str) -> Option<(u32, u32)> {
    let c = Connection::connect(url, ConnectionProperties::default()).await.ok()?;
    let ch = c.create_channel().await.ok()?;
    let state = super::topology::inspect(&ch, queue).await.ok().flatten();
    let _ = c.close(200, "inspected".into()).await;
    state
}

/// Deletes the test's queues and exchange.
pub async fn clean_up(url: &str, prefix: &str, lanes: &[&str]) {
    let Ok(c) = Connection::connect(url, ConnectionProperties::default()).await else { return };
    if let Ok(ch) = c.create_channel().await {
        for lane in lanes {
            let _ = ch.queue_delete(super::topology::lane_queue(prefix, lane).as_str().into(), Default::default()).await;
        }
        let dl = super::topology::dead_letter(prefix);
        let _ = ch.queue_delete(dl.as_str().into(), Default::default()).await;
        let _ = ch.exchange_delete(dl.as_str().into(), Default::default()).await;
    }
    let _ = c.close(200, "cleaned".into()).await;
}

/// Runs `rabbitmqctl <action>`, panicking with its output if it fails.
pub fn rabbitmqctl(action: &str) {
    let command = std::env::var("CRONKEEPER_TEST_RABBITMQCTL").unwrap_or_else(|_| "rabbitmqctl".into());
    let mut parts = command.split_whitespace();
    let program = parts.next().expect("a command");
    let out = std::process::Command::new(program).args(parts).arg(action).output().unwrap_or_else(|e| panic!("cannot run {command} {action}: {e}"));
    assert!(out.status.success(), "{command} {action} failed: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}
