//! The retry policy applied to a run that just ended: each retry is a new run
//! (attempt + 1, linked to the first), due after the job's backoff with jitter.
//! KILLED runs are never retried: an operator meant it.

use crate::domain::{Job, Run, RunId, RunStatus};
use crate::store::{self, Store};

/// Creates the next attempt if `status` is retryable and the job has retries left.
pub async fn after_outcome(store: &Store, job: Option<&Job>, run: &Run, status: RunStatus, now: i64) -> store::Result<Option<RunId>> {
    let Some(job) = job else { return Ok(None) };
    if !status.is_retryable() || run.attempt > job.retry.max_retries {
        return Ok(None);
    }
    let delay = job.retry.backoff.delay(run.attempt, rand::random::<f64>());
    let id = store::runs::insert_retry(store, run, delay.as_millis() as i64, now).await?;
    if let Some(id) = id {
        tracing::info!(job = %run.job_code, run = run.id, retry = id, attempt = run.attempt + 1, delay_ms = delay.as_millis() as u64, "retry scheduled");
    }
    Ok(id)
}
