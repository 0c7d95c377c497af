//! The scheduler's in-memory view of the jobs: parsed schedules and fire
//! cursors, reloaded only when a job changed, so a tick over 10,000 schedules
//! is a scan of memory, not 10,000 rows read every second.

use chrono_tz::Tz;

use crate::cron::Schedule;
use crate::domain::{EpochMs, Job, MisfirePolicy};
use crate::store::{self, Store};

use super::plan::DEFAULT_STARTING_DEADLINE_MS;

#[derive(Debug, Clone)]
pub struct Entry {
    pub code: String,
    pub lane: String,
    pub priority: i32,
    pub schedule: Schedule,
    pub tz: Tz,
    pub misfire: MisfirePolicy,
    pub deadline_ms: i64,
    pub last_fire: Option<EpochMs>,
    pub next_fire: Option<EpochMs>,
}

#[derive(Debug, Default)]
pub struct JobCache {
    pub entries: Vec<Entry>,
    /// The shortest starting deadline of any job, paused ones included (their
    /// queued runs expire too): no queued run younger than this can be stale.
    pub min_deadline_ms: Option<i64>,
    /// `store::jobs::version` when last loaded.
    version: Option<i64>,
}

impl JobCache {
    /// Reloads if any job was added, removed or changed since the last load.
    pub async fn refresh(&mut self, store: &Store, default_tz: Tz) -> store::Result<bool> {
        let version = store::jobs::version(store).await?;
        if self.version == Some(version) {
            return Ok(false);
        }
        let jobs = store::jobs::all(store).await?;
        self.min_deadline_ms = jobs.iter().map(deadline_ms).min();
        let cursors: std::collections::HashMap<_, _> = store::jobs::cursors(store).await?.into_iter().collect();
        self.entries = jobs
            .iter()
            .filter_map(|job| entry(job, default_tz, cursors.get(&job.code).copied()))
            .collect();
        self.version = Some(version);
        Ok(true)
    }
}


fn deadline_ms(job: &Job) -> i64 {
    job.starting_deadline.map(|d| d.as_millis() as i64).unwrap_or(DEFAULT_STARTING_DEADLINE_MS)
}

/// Paused jobs and jobs still waiting for a schedule are not in the cache.
fn entry(job: &Job, default_tz: Tz, cursor: Option<store::jobs::FireCursor>) -> Option<Entry> {
    if job.paused {
        return None;
    }
    let schedule = match Schedule::parse(job.schedule.as_deref()?) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(job = %job.code, error = %e, "stored schedule no longer parses; job not scheduled");
            return None;
        }
    };
    let tz = job.timezone.as_deref().and_then(|t| t.parse().ok()).unwrap_or(default_tz);
    Some(Entry {
        code: job.code.clone(),
        lane: job.lane.to_string(),
        priority: job.priority,
        schedule,
        tz,
        misfire: job.misfire,
        deadline_ms: deadline_ms(job),
        last_fire: cursor.and_then(|c| c.last_fire_at),
        next_fire: cursor.and_then(|c| c.next_fire_at),
    })
}
