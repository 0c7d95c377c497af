//! Nothing stays RUNNING forever. A run is RUNNING only while the instance that
//! claimed it is alive; when that instance is gone (its process is dead on this
//! node, it stopped, or its heartbeats stopped), the run is closed INTERRUPTED
//! (fenced on its claim, so a run that just finished is left alone) and the
//! retry policy applies.
//!
//! Orphaned job processes are ended, not adopted: a dead supervisor took the
//! read end of the output pipe and the exit status with it, so an adopted
//! process could neither be captured nor judged, and it would keep running
//! outside any slot and any timeout. They are found by pid *and* start time,
//! on this node and this boot only, so a reused pid is never signalled, and
//! by the run's mark in their environment (see [`super::marked`]), which also
//! finds a job started by a cronkeeper killed before it stored the pid.

use super::context::{current_boot, parse_instance, WorkerContext};
use super::marked::{end_marked, run_mark};
use super::{is_alive, retry, terminate_group, GroupTermination};
use crate::domain::RunStatus;
use crate::store::{self, instances};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryReport {
    pub interrupted: usize,
    pub orphans_ended: usize,
}

/// One pass over every RUNNING run not held by this instance.
pub async fn recover(ctx: &WorkerContext) -> store::Result<RecoveryReport> {
    let mut report = RecoveryReport::default();
    let now = ctx.now();
    let expiry = ctx.config.heartbeat_expiry.as_millis() as i64;
    for claimed in store::runs::running(&ctx.store).await? {
        let run = &claimed.run;
        let owner = run.worker.clone().unwrap_or_default();
        if owner == ctx.instance {
            continue;
        }
        let reason = match owner_gone(ctx, &owner, now, expiry).await? {
            Some(reason) => reason,
            None if run.heartbeat_at.is_some_and(|h| now - h > expiry) => format!("no heartbeat for over {} s", expiry / 1000),
            None => continue,
        };
        if owned_by_this_boot(ctx, &owner) && end_orphans(ctx, run, &owner).await {
            report.orphans_ended += 1;
        }
        let message = format!("interrupted: {reason}");
        if store::runs::interrupt(&ctx.store, run.id, claimed.claim, &message, now).await? {
            report.interrupted += 1;
            ctx.emit(run, RunStatus::Interrupted);
            tracing::warn!(run = run.id, job = %run.job_code, %reason, "closed a run whose supervisor is gone");
            let job = store::jobs::get(&ctx.store, &run.job_code).await?;
            retry::after_outcome(&ctx.store, job.as_ref(), run, RunStatus::Interrupted, now).await?;
        }
    }
    Ok(report)
}

/// Why the owning instance is gone, or `None` if it may still be alive.
async fn owner_gone(ctx: &WorkerContext, owner: &str, now: i64, expiry: i64) -> store::Result<Option<String>> {
    let Some(parts) = parse_instance(owner) else {
        return Ok(Some(format!("held by an unknown worker `{owner}`")));
    };
    if parts.node == ctx.config.node {
        let alive = parts.boot == current_boot() && is_alive(parts.pid, parts.start_ticks);
        return Ok((!alive).then(|| format!("the cronkeeper process ({owner}) that ran it has died")));
    }
    Ok(match instances::get(&ctx.store, owner).await? {
        None => Some(format!("worker {owner} is unknown")),
        Some(i) if i.stopped_at.is_some() => Some(format!("worker {owner} has stopped")),
        Some(i) if now - i.heartbeat_at > expiry => Some(format!("worker {owner} sent no heartbeat for over {} s", expiry / 1000)),
        Some(_) => None,
    })
}

/// Ends what is left of `run`'s processes on this node: its group, found by
/// the recorded pid and start ticks, then anything still carrying the run's
/// mark (a run with no pid recorded yet, leftovers of an exited leader, a
/// child that left the group). Whether anything was ended.
async fn end_orphans(ctx: &WorkerContext, run: &crate::domain::Run, owner: &str) -> bool {
    let mut ended = false;
    if let (Some(pid), Some(start)) = (run.pid, run.pid_start) {
        if let GroupTermination::Ended(end) = terminate_group(pid, start as u64, ctx.config.kill_grace).await {
            ended = end.signalled > 0;
            tracing::warn!(run = run.id, pid, "ended an orphaned job process group");
        }
    }
    let marked = end_marked(&run_mark(run.id, owner), ctx.config.kill_grace).await;
    if marked.signalled > 0 {
        tracing::warn!(run = run.id, processes = marked.signalled, "ended orphaned job processes found by their run mark");
    }
    ended || marked.signalled > 0
}

fn owned_by_this_boot(ctx: &WorkerContext, owner: &str) -> bool {
    parse_instance(owner).is_some_and(|p| p.node == ctx.config.node && p.boot == current_boot())
}

/// Runs [`recover`] now and then every heartbeat interval until `stop`.
pub async fn run(ctx: WorkerContext, stop: tokio_util::sync::CancellationToken) {
    loop {
        match recover(&ctx).await {
            Ok(r) if r.interrupted > 0 => tracing::info!(interrupted = r.interrupted, orphans_ended = r.orphans_ended, "recovery pass"),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "recovery pass failed"),
        }
        // Forget instances silent for a week: the workers list stays short.
        let _ = crate::store::instances::prune(&ctx.store, ctx.now() - 7 * 24 * 3600 * 1000).await;
        tokio::select! { _ = stop.cancelled() => return, _ = tokio::time::sleep(ctx.config.heartbeat_interval) => {} }
    }
}
