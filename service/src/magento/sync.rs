//! Merging Magento's cron configuration into the store, for both
//! `cronkeeper import magento-crontab` and the module's `syncMagentoJobs`.
//!
//! Magento owns what a job *is* (group, instance, method, and the schedule it
//! declares); the operator owns how it *runs*. A field an operator changed
//! (listed in `Job::overrides`: lane, schedule, paused, timeout, ...) is never
//! undone by a re-import, and a user job with the same code is left alone.
//! Everything is decided first and written in one transaction.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;

use super::{LaneMapping, MagentoCronJob};
use crate::config::Config;
use crate::domain::{EpochMs, Executor, Job, JobSource};
use crate::store::{self, Store};

/// One job as Magento declares it (from crontab.xml or pushed by the module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MagentoJobDef {
    pub code: String,
    pub group: String,
    /// Resolved cron expression; `None` while only a config path is known.
    pub schedule: Option<String>,
    pub config_path: Option<String>,
    pub instance: String,
    pub method: String,
    /// `bin/magento` arguments the job runs instead of `cronkeeper:job:run
    /// <code>`, for jobs the module derives from one Magento job (one
    /// `cronkeeper:indexer:update <indexer>` job per indexer). Such a job gets
    /// the `command` executor `<php> <magento root>/bin/magento <args…>`.
    pub command: Option<Vec<String>>,
}

impl From<&MagentoCronJob> for MagentoJobDef {
    fn from(j: &MagentoCronJob) -> Self {
        Self {
            code: j.code.clone(),
            group: j.group.clone(),
            schedule: j.schedule.clone(),
            config_path: j.config_path.clone(),
            instance: j.instance.clone(),
            method: j.method.clone(),
            command: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    pub removed: Vec<String>,
    /// Jobs imported paused because their schedule lives in Magento config.
    pub awaiting_schedule: Vec<String>,
    pub warnings: Vec<String>,
    /// Waiting runs of removed jobs, closed SKIPPED: the caller announces them.
    pub closed: Vec<crate::store::runs::Closed>,
}

impl fmt::Display for SyncReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} created, {} updated, {} unchanged, {} removed",
            self.created.len(),
            self.updated.len(),
            self.unchanged.len(),
            self.removed.len()
        )?;
        if !self.awaiting_schedule.is_empty() {
            writeln!(f, "paused until their config_path schedule is known: {}", self.awaiting_schedule.join(", "))?;
        }
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Import(#[from] super::ImportError),
    #[error("job `{code}`: {field}: {message}")]
    Invalid { code: String, field: &'static str, message: String },
    #[error("[magento.lanes]: {0}")]
    Mapping(String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// The configured lane mapping, or Magento's defaults when the file has none.
pub fn lane_mapping(config: &Config) -> Result<LaneMapping, SyncError> {
    let mapping = match &config.magento.lanes {
        None => LaneMapping::magento_defaults(),
        Some(value) => value.clone().try_into().map_err(|e: toml::de::Error| SyncError::Mapping(e.message().to_string()))?,
    };
    for lane in mapping.lanes() {
        if config.lane(lane.as_str()).is_none() {
            return Err(SyncError::Mapping(format!("maps jobs to lane `{lane}`, which is not configured")));
        }
    }
    Ok(mapping)
}

/// `cronkeeper import magento-crontab`: files are parsed all-or-nothing, then
/// merged. Jobs missing from these files are kept (an import may cover a
/// single module).
pub async fn import_files(store: &Store, config: &Config, paths: &[PathBuf], now: EpochMs) -> Result<SyncReport, SyncError> {
    let import = super::import(paths)?;
    let defs: Vec<MagentoJobDef> = import.jobs.iter().map(MagentoJobDef::from).collect();
    let mut report = apply(store, config, &defs, false, now).await?;
    report.warnings.splice(0..0, import.warnings.iter().map(|w| w.to_string()));
    Ok(report)
}

/// Merges `defs` into the store. With `remove_missing` (a full sync from the
/// module), Magento jobs that are no longer declared are deleted.
pub async fn apply(store: &Store, config: &Config, defs: &[MagentoJobDef], remove_missing: bool, now: EpochMs) -> Result<SyncReport, SyncError> {
    let mapping = lane_mapping(config)?;
    let mut report = SyncReport::default();
    let mut to_save = Vec::new();
    let mut seen = BTreeSet::new();
    for def in defs {
        crate::domain::validate_job_code(&def.code).map_err(|message| SyncError::Invalid { code: def.code.clone(), field: "code", message })?;
        if let Some(expr) = &def.schedule {
            crate::cron::Schedule::parse(expr).map_err(|e| SyncError::Invalid { code: def.code.clone(), field: "schedule", message: format!("`{expr}`: {e}") })?;
        }
        if !seen.insert(def.code.clone()) {
            report.warnings.push(format!("job `{}` is declared twice; the later declaration wins", def.code));
        }
        let lane = mapping.lane_for(&def.code, &def.group).clone();
        let executor = executor_for(config, def)?;
        match store::jobs::get(store, &def.code).await? {
            None => {
                let mut job = Job::new(def.code.clone(), lane, def.schedule.clone(), executor);
                job.source = JobSource::Magento;
                apply_def(&mut job, def);
                job.paused = def.schedule.is_none();
                if job.paused {
                    report.awaiting_schedule.push(def.code.clone());
                }
                report.created.push(def.code.clone());
                to_save.push(job);
            }
            Some(existing) if existing.source == JobSource::User => {
                report.warnings.push(format!("job `{}` exists as a user job; the Magento declaration was not applied", def.code));
            }
            Some(existing) => {
                let mut job = existing.clone();
                apply_def(&mut job, def);
                if !job.overrides.iter().any(|o| o == "lane") {
                    job.lane = lane;
                }
                if !job.overrides.iter().any(|o| o == "executor") {
                    job.executor = executor;
                }
                if !job.overrides.iter().any(|o| o == "schedule") {
                    job.schedule = def.schedule.clone();
                    if !job.overrides.iter().any(|o| o == "paused") {
                        job.paused = job.schedule.is_none();
                    }
                }
                if job.schedule.is_none() {
                    report.awaiting_schedule.push(def.code.clone());
                }
                if same_definition(&job, &existing) {
                    report.unchanged.push(def.code.clone());
                } else {
                    report.updated.push(def.code.clone());
                    to_save.push(job);
                }
            }
        }
    }
    if remove_missing {
        let all = store::jobs::list(
            store,
            &store::jobs::JobFilter { source: Some(JobSource::Magento), ..Default::default() },
            store::jobs::JobSort::Code,
            store::Direction::Asc,
            store::Page { limit: i64::MAX / 2, offset: 0 },
        )
        .await?;
        report.removed = all.into_iter().map(|j| j.code).filter(|c| !seen.contains(c)).collect();
    }
    store::jobs::save_all(store, &to_save, &report.removed, now).await?;
    for code in &report.removed {
        report.closed.extend(store::runs::cancel_waiting(store, code, "job removed from Magento's cron configuration", now).await?);
    }
    Ok(report)
}

/// `cronkeeper:job:run <code>` (the `magento` executor) unless the definition
/// names its own `bin/magento` arguments. Those become a `command` job whose
/// argv is fixed now, so it needs `magento.root`; a sync after changing the
/// root or the PHP binary rewrites it.
fn executor_for(config: &Config, def: &MagentoJobDef) -> Result<Executor, SyncError> {
    let Some(args) = &def.command else { return Ok(Executor::Magento { code: None }) };
    let invalid = |message: String| SyncError::Invalid { code: def.code.clone(), field: "command", message };
    if args.is_empty() || args.iter().any(|a| a.trim().is_empty() || a.contains('\0')) {
        return Err(invalid("needs at least one argument, none of them blank".into()));
    }
    let root = config.magento.root.as_ref().ok_or_else(|| {
        invalid("magento.root is not configured (set [magento] root or CRONKEEPER_MAGENTO_ROOT), so bin/magento cannot be located".into())
    })?;
    let mut argv = vec![config.magento.php.clone(), root.join("bin/magento").display().to_string()];
    argv.extend(args.iter().cloned());
    Ok(Executor::Command { argv, env: Vec::new(), working_dir: Some(root.display().to_string()) })
}

fn apply_def(job: &mut Job, def: &MagentoJobDef) {
    job.group = Some(def.group.clone());
    job.instance = Some(def.instance.clone());
    job.method = Some(def.method.clone());
    job.config_path = def.config_path.clone();
}

fn same_definition(a: &Job, b: &Job) -> bool {
    (a.group.as_ref(), a.instance.as_ref(), a.method.as_ref(), a.config_path.as_ref(), a.schedule.as_ref(), &a.lane, a.paused, &a.executor)
        == (b.group.as_ref(), b.instance.as_ref(), b.method.as_ref(), b.config_path.as_ref(), b.schedule.as_ref(), &b.lane, b.paused, &b.executor)
}

#[cfg(test)]
mod tests;
