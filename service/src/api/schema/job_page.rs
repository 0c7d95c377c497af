//! What the jobs grid asks of every job on a page (`lastRun`, `runCounts`,
//! `nextRunAt`), read once for the whole page instead of once per job.
//!
//! A page of 50 jobs asking for all three used to cost 150 queries. The `jobs`
//! query now hands each of its `Job`s the same [`JobPage`]; the first job whose
//! field is resolved loads that field for every code of the page in one query,
//! and the others wait for that answer (a per-request loader in the spirit of a
//! DataLoader, without its timer: the page is known up front). A `Job` reached
//! any other way (`job(code)`, `Run.job`, mutations) has no page and reads alone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use crate::domain::{EpochMs, Run, RunStatus};
use crate::store::{Result, Store};

type Counts = HashMap<String, Vec<(RunStatus, i64)>>;

#[derive(Debug)]
pub struct JobPage {
    codes: Vec<String>,
    /// When the page was read: `runCounts` without `since` counts from a day
    /// before this, the same instant for every job (and one query).
    pub read_at: EpochMs,
    last_runs: OnceCell<HashMap<String, Run>>,
    next_fires: OnceCell<HashMap<String, EpochMs>>,
    /// Per `since`: a request may alias `runCounts` with different windows.
    counts: Mutex<HashMap<EpochMs, Arc<OnceCell<Counts>>>>,
}

impl JobPage {
    pub fn new(codes: Vec<String>, read_at: EpochMs) -> Arc<JobPage> {
        Arc::new(JobPage { codes, read_at, last_runs: OnceCell::new(), next_fires: OnceCell::new(), counts: Mutex::new(HashMap::new()) })
    }

    pub async fn last_run(&self, store: &Store, code: &str) -> Result<Option<Run>> {
        let all = self.last_runs.get_or_try_init(|| crate::store::runs::last_runs_of(store, &self.codes)).await?;
        Ok(all.get(code).cloned())
    }

    pub async fn next_fire(&self, store: &Store, code: &str) -> Result<Option<EpochMs>> {
        let all = self.next_fires.get_or_try_init(|| crate::store::jobs::next_fires(store, &self.codes)).await?;
        Ok(all.get(code).copied())
    }

    pub async fn status_counts(&self, store: &Store, code: &str, since: EpochMs) -> Result<Vec<(RunStatus, i64)>> {
        let cell = self.counts.lock().expect("job page lock").entry(since).or_default().clone();
        let all = cell.get_or_try_init(|| crate::store::runs::status_counts_of(store, &self.codes, since)).await?;
        Ok(all.get(code).cloned().unwrap_or_default())
    }
}
