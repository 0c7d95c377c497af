//! One held slot: the task that runs a consumer's process in it, replaces it
//! when it exits, backs off after failures, parks a crash loop, and ends the
//! process group (TERM, grace, KILL) when told to. The supervisor owns the
//! lease; this task owns the process. Every write it makes is fenced on the
//! slot's `fence`, so a task whose slot was taken over can change nothing.

use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::definition::ConsumerDefinition;
use super::restart::{after_exit, EndReason, Exit, Next};
use crate::config::Config;
use crate::store::consumers::{self as slots, Exited, Held, Slot, Started};
use crate::store::Store;
use crate::worker::{self, Ending, Limits, ProcessSpec};

/// Bytes of a process's output kept in the slot for the API.
pub const OUTPUT_TAIL_BYTES: usize = 4096;

/// What the supervisor wants from a slot task, updated every tick.
#[derive(Debug, Clone, PartialEq)]
pub struct Orders {
    pub definition: ConsumerDefinition,
    /// A process started under an older generation is replaced.
    pub generation: i64,
    /// Whether a new process may be started (only-when-messages, idleness).
    pub may_start: bool,
    /// End the process and give the slot up.
    pub end: Option<EndReason>,
}

/// What a slot task needs from the process that runs it.
#[derive(Clone)]
pub struct SlotEnv {
    pub store: Store,
    pub config: std::sync::Arc<Config>,
    pub clock: crate::clock::SharedClock,
    pub node: String,
    pub boot: String,
}

/// Runs the slot until it is told to end, parks, loses the slot, or waits
/// for messages. `previous` is the slot row as it was before this holder
/// took it (its failure streak carries over).
pub async fn run(env: SlotEnv, held: Held, previous: Slot, mut orders: watch::Receiver<Orders>) {
    let mut failures = previous.failures.max(0) as u32;
    let mut started_before = previous.started_at.is_some() || previous.last_exit_at.is_some();
    loop {
        let o = orders.borrow_and_update().clone();
        if let Some(reason) = o.end {
            return give_up(&env, &held, reason.describe()).await;
        }
        if !o.may_start {
            return give_up(&env, &held, "waiting for messages").await;
        }
        let generation = o.generation;
        let exit = run_once(
            &env,
            &held,
            &o.definition,
            generation,
            started_before,
            &mut orders,
        )
        .await;
        started_before = true;
        let Some(exit) = exit else { return }; // the slot was lost: nothing more may be written
        let now = env.clock.now_ms();
        let (next, streak) = after_exit(
            &exit.0,
            failures,
            o.definition.crash_loop_limit,
            o.definition.backoff,
        );
        failures = streak;
        let tail = tail(&exit.1);
        let code = exit.0.code().map(i64::from);
        let reason = exit.0.describe();
        match next {
            // With only-when-messages, the depth the supervisor last saw may
            // be stale (the process just emptied the queue): give the slot up
            // and let the next tick decide on a fresh depth.
            Next::StartNow if o.definition.only_when_messages => {
                write_exit(
                    &env, &held, code, &reason, &tail, failures, "waiting", None, now,
                )
                .await;
                return release(&env, &held).await;
            }
            Next::StartNow => {
                if !write_exit(
                    &env, &held, code, &reason, &tail, failures, "running", None, now,
                )
                .await
                {
                    return;
                }
            }
            Next::Backoff(delay) => {
                let at = now + delay.as_millis() as i64;
                if !write_exit(
                    &env,
                    &held,
                    code,
                    &reason,
                    &tail,
                    failures,
                    "backoff",
                    Some(at),
                    now,
                )
                .await
                {
                    return;
                }
                tracing::warn!(consumer = %held.consumer, slot = held.slot, %reason, failures, delay_ms = delay.as_millis() as u64, "consumer process failed; restarting after a backoff");
                if let Some(end) = wait(delay, &mut orders).await {
                    return give_up(&env, &held, end.describe()).await;
                }
            }
            Next::Park(why) => {
                write_exit(
                    &env, &held, code, &reason, &tail, failures, "parked", None, now,
                )
                .await;
                match slots::park(&env.store, &held.consumer, &why, now).await {
                    Ok(true) => {
                        tracing::error!(consumer = %held.consumer, reason = %why, "consumer parked: it keeps failing")
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!(consumer = %held.consumer, error = %e, "could not park a crash-looping consumer")
                    }
                }
                return release(&env, &held).await;
            }
            Next::Nothing => {
                write_exit(
                    &env, &held, code, &reason, &tail, failures, "running", None, now,
                )
                .await;
                if exit.0 != Exit::Ended(EndReason::Restart) {
                    return release(&env, &held).await;
                }
            }
        }
    }
}

/// Starts one process and sees it to its end. `None` when the slot was lost
/// (the process is ended all the same). The second element is its output.
async fn run_once(
    env: &SlotEnv,
    held: &Held,
    def: &ConsumerDefinition,
    generation: i64,
    restart: bool,
    orders: &mut watch::Receiver<Orders>,
) -> Option<(Exit, String)> {
    let argv = match def.argv(&env.config) {
        Ok(argv) => argv,
        Err(why) => return Some((Exit::StartFailed(why), String::new())),
    };
    let spec = ProcessSpec {
        argv,
        env: vec![
            ("CRONKEEPER_CONSUMER".into(), def.name.clone()),
            ("CRONKEEPER_CONSUMER_SLOT".into(), held.slot.to_string()),
        ],
        // Magento's commands are relative to its root (`bin/magento`), own commands too.
        working_dir: env.config.magento.root.clone(),
        output_cap: env.config.output_cap_bytes,
    };
    // Tethered: a consumer must never outlive its supervisor (another node
    // takes the slot once the lease expires).
    let process = match worker::spawn_tethered(&spec).await {
        Ok(p) => p,
        Err(e) => return Some((Exit::StartFailed(e.to_string()), String::new())),
    };
    let started = Started {
        node: &env.node,
        pid: process.pid() as i64,
        pid_start: process.start_ticks() as i64,
        boot: &env.boot,
        generation,
        restart,
    };
    let recorded = slots::record_start(&env.store, held, &started, env.clock.now_ms()).await;
    if !matches!(recorded, Ok(true)) {
        // Lost the slot, or cannot say which pid runs in it (a later
        // cronkeeper could not find it): do not leave it running unrecorded.
        tracing::warn!(consumer = %held.consumer, slot = held.slot, error = ?recorded.err(), "could not record a consumer process; ending it");
        let kill = CancellationToken::new();
        kill.cancel();
        process.supervise(limits(env), kill).await;
        return None;
    }
    tracing::info!(consumer = %held.consumer, slot = held.slot, pid = process.pid(), "consumer process started");
    let kill = CancellationToken::new();
    let mut ended: Option<EndReason> = None;
    // `outputTail` is this process's output while it runs, written every
    // heartbeat when it changed (record_start cleared the previous one's).
    let live = process.live_tail();
    let mut shown = 0u64;
    let mut refresh = tokio::time::interval(env.config.heartbeat_interval);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let supervised = process.supervise(limits(env), kill.clone());
    tokio::pin!(supervised);
    let outcome = loop {
        tokio::select! {
            outcome = &mut supervised => break outcome,
            _ = refresh.tick() => {
                let (seen, text) = live.snapshot();
                if seen != shown {
                    shown = seen;
                    if let Err(e) = slots::record_output(&env.store, held, &tail(&text)).await {
                        tracing::debug!(consumer = %held.consumer, error = %e, "could not record a consumer's output so far");
                    }
                }
            }
            changed = orders.changed(), if ended.is_none() => {
                let o = orders.borrow().clone();
                let reason = match (changed, o.end) {
                    (Err(_), _) => Some(EndReason::Shutdown),
                    (Ok(()), Some(end)) => Some(end),
                    (Ok(()), None) if o.generation > generation => Some(EndReason::Restart),
                    _ => None,
                };
                if let Some(reason) = reason {
                    ended = Some(reason);
                    kill.cancel();
                }
            }
        }
    };
    let exit = match (ended, outcome.ending) {
        (Some(reason), _) => Exit::Ended(reason),
        (None, Ending::Exited(code)) => Exit::Code(code),
        (None, Ending::Signaled(sig)) => Exit::Signal(sig),
        (None, other) => Exit::StartFailed(format!("{other:?}")),
    };
    tracing::info!(consumer = %held.consumer, slot = held.slot, exit = %exit.describe(), "consumer process ended");
    if ended == Some(EndReason::LostSlot) {
        return None;
    }
    Some((exit, outcome.output))
}

fn limits(env: &SlotEnv) -> Limits {
    Limits {
        timeout: Duration::MAX,
        grace: env.config.kill_grace,
    }
}

/// Waits out a backoff; `Some` if told to end meanwhile.
async fn wait(delay: Duration, orders: &mut watch::Receiver<Orders>) -> Option<EndReason> {
    let deadline = tokio::time::Instant::now() + delay;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return None,
            changed = orders.changed() => {
                if changed.is_err() {
                    return Some(EndReason::Shutdown);
                }
                if let Some(end) = orders.borrow().end {
                    return Some(end);
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn write_exit(
    env: &SlotEnv,
    held: &Held,
    code: Option<i64>,
    reason: &str,
    tail: &str,
    failures: u32,
    state: &str,
    next: Option<i64>,
    now: i64,
) -> bool {
    let e = Exited {
        code,
        reason,
        output_tail: tail,
        failures: failures as i64,
        state,
        next_start_at: next,
    };
    match slots::record_exit(&env.store, held, &e, now).await {
        Ok(true) => true,
        Ok(false) => {
            tracing::warn!(consumer = %held.consumer, slot = held.slot, "the slot was taken over by another instance; this one stops");
            false
        }
        Err(e) => {
            tracing::error!(consumer = %held.consumer, slot = held.slot, error = %e, "could not record a consumer exit");
            true
        }
    }
}

async fn give_up(env: &SlotEnv, held: &Held, why: &str) {
    tracing::debug!(consumer = %held.consumer, slot = held.slot, why, "giving a consumer slot up");
    release(env, held).await
}

async fn release(env: &SlotEnv, held: &Held) {
    if let Err(e) = slots::release(&env.store, held).await {
        tracing::warn!(consumer = %held.consumer, slot = held.slot, error = %e, "could not release a consumer slot; it frees itself when its lease expires");
    }
}

/// The last [`OUTPUT_TAIL_BYTES`] of `output`, cut at a character boundary.
pub fn tail(output: &str) -> String {
    if output.len() <= OUTPUT_TAIL_BYTES {
        return output.to_string();
    }
    let mut start = output.len() - OUTPUT_TAIL_BYTES;
    while !output.is_char_boundary(start) {
        start += 1;
    }
    output[start..].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_the_end_and_whole_characters() {
        assert_eq!(tail("short"), "short");
        let long = format!(
            "{}é{}",
            "a".repeat(OUTPUT_TAIL_BYTES),
            "z".repeat(OUTPUT_TAIL_BYTES - 1)
        );
        let t = tail(&long);
        assert!(t.len() <= OUTPUT_TAIL_BYTES && t.ends_with('z'));
        assert!(t.starts_with('z') || t.starts_with('é'));
    }
}
