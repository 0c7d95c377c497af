//! Magento crontab.xml import and the Magento job-to-lane mapping.
//!
//! This module is pure: it reads files and returns job definitions and lane
//! choices; merging them into the store is the caller's business. The pieces:
//!
//! - [`files`]: which files to read (files or directories, walked deterministically).
//! - [`crontab`]: one crontab.xml into [`MagentoCronJob`]s, with file:line positions.
//! - this file: [`load_all`] / [`import`], reading everything and merging the way
//!   Magento merges its config, all-or-nothing.
//! - [`groups`]: cron_groups.xml settings, for documentation and defaults.
//! - [`lanes`]: the configurable job-to-lane mapping and its Magento defaults.

mod crontab;
mod error;
mod files;
mod groups;
mod lanes;
pub mod sync;
pub(crate) mod xml;

#[cfg(test)]
mod reference_tests;

use std::collections::HashMap;
use std::path::PathBuf;

pub use crontab::{parse_crontab, parse_crontab_str, MagentoCronJob};
pub use error::{ImportError, ImportWarning};
pub use files::{collect_cron_groups_files, collect_crontab_files, collect_queue_consumer_files};
pub use groups::{load_cron_groups, parse_cron_groups, parse_cron_groups_str, CronGroupConfig};
pub use lanes::{glob_match, LaneMapping, LaneMatcher, LaneRule};

/// The merged result of an import: one definition per job code, in the order codes
/// were first declared, and what the operator should be told.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MagentoImport {
    pub jobs: Vec<MagentoCronJob>,
    pub warnings: Vec<ImportWarning>,
}

/// Collects the crontab files under `paths`, parses every one, and merges them.
/// Any unreadable or invalid file fails the whole import: a half-read Magento tree
/// would look like jobs were removed, and the caller would unschedule them. For
/// the same reason, finding no crontab file at all is an error, not an empty import.
pub fn import(paths: &[PathBuf]) -> Result<MagentoImport, ImportError> {
    let files = collect_crontab_files(paths)?;
    if files.is_empty() {
        return Err(ImportError::NothingToImport);
    }
    let mut declared = Vec::new();
    for file in &files {
        declared.extend(parse_crontab(file)?);
    }
    Ok(merge_jobs(declared))
}

/// [`import`] for callers that only want the jobs; warnings are logged.
pub fn load_all(paths: &[PathBuf]) -> Result<Vec<MagentoCronJob>, ImportError> {
    let import = import(paths)?;
    for warning in &import.warnings {
        tracing::warn!(target: "cronkeeper::magento", "{warning}");
    }
    Ok(import.jobs)
}

/// Merges declarations given in load order, as Magento's config merge would:
///
/// - The same job in the same group again (a later file, or twice in one file):
///   Magento merges the two `<job>` nodes, so the later `instance`/`method` win,
///   a later `<schedule>` or `<config_path>` replaces the earlier one, and one the
///   later declaration leaves out is kept from the earlier. `source`/`line` point
///   at the later declaration.
/// - The same code in a different group: Magento would keep both, but cronkeeper
///   codes are unique, so the later declaration replaces the earlier one whole,
///   with a [`ImportWarning::CodeInTwoGroups`].
///
/// Jobs left with neither schedule nor config_path get an
/// [`ImportWarning::Unscheduled`].
pub fn merge_jobs(declared: impl IntoIterator<Item = MagentoCronJob>) -> MagentoImport {
    let mut jobs: Vec<MagentoCronJob> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut warnings = Vec::new();
    for job in declared {
        let Some(&i) = index.get(&job.code) else {
            index.insert(job.code.clone(), jobs.len());
            jobs.push(job);
            continue;
        };
        let existing = &mut jobs[i];
        if existing.group == job.group {
            existing.schedule = job.schedule.or(existing.schedule.take());
            existing.config_path = job.config_path.or(existing.config_path.take());
            existing.instance = job.instance;
            existing.method = job.method;
            existing.source = job.source;
            existing.line = job.line;
        } else {
            warnings.push(ImportWarning::CodeInTwoGroups {
                code: job.code.clone(),
                kept_group: job.group.clone(),
                dropped_group: existing.group.clone(),
                kept_source: format!("{}:{}", job.source, job.line),
                dropped_source: format!("{}:{}", existing.source, existing.line),
            });
            *existing = job;
        }
    }
    for job in jobs.iter().filter(|j| j.is_unscheduled()) {
        warnings.push(ImportWarning::Unscheduled {
            code: job.code.clone(),
            group: job.group.clone(),
            source: job.source.clone(),
            line: job.line,
        });
    }
    MagentoImport { jobs, warnings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::Path;

    fn write(dir: &Path, name: &str, groups: &str) -> PathBuf {
        let p = dir.join(name);
        fs::write(&p, format!("<?xml version=\"1.0\"?>\n<config>\n{groups}\n</config>\n")).unwrap();
        p
    }

    #[test]
    fn a_later_file_overrides_the_same_job_in_the_same_group() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "A.crontab.xml",
            r#"<group id="default"><job name="j" instance="Old" method="run"><schedule>0 0 * * *</schedule><config_path>a/b/c</config_path></job>
<job name="k" instance="K" method="m"><schedule>* * * * *</schedule></job></group>"#,
        );
        let b = write(
            tmp.path(),
            "B.crontab.xml",
            r#"<group id="default"><job name="j" instance="New" method="execute"><schedule>*/5 * * * *</schedule></job></group>"#,
        );
        let import = import(&[tmp.path().to_path_buf()]).unwrap();
        assert!(import.warnings.is_empty(), "{:?}", import.warnings);
        assert_eq!(import.jobs.len(), 2);
        let j = &import.jobs[0];
        assert_eq!((j.code.as_str(), j.instance.as_str(), j.method.as_str()), ("j", "New", "execute"));
        assert_eq!(j.schedule.as_deref(), Some("*/5 * * * *"));
        assert_eq!(
            j.config_path.as_deref(),
            Some("a/b/c"),
            "a child the later file omits is kept, as Magento merges nodes"
        );
        assert_eq!((j.source.as_str(), j.line), (b.display().to_string().as_str(), 3));
    }

    #[test]
    fn the_same_code_in_two_groups_keeps_the_last_and_warns() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "A.crontab.xml",
            r#"<group id="default"><job name="j" instance="A" method="m"><schedule>1 * * * *</schedule></job></group>"#,
        );
        write(tmp.path(), "B.crontab.xml", r#"<group id="index"><job name="j" instance="B" method="m"/></group>"#);
        let import = import(&[tmp.path().to_path_buf()]).unwrap();
        assert_eq!(import.jobs.len(), 1);
        let j = &import.jobs[0];
        assert_eq!((j.group.as_str(), j.instance.as_str(), j.schedule.as_deref()), ("index", "B", None));
        assert!(matches!(
            &import.warnings[0],
            ImportWarning::CodeInTwoGroups { code, kept_group, dropped_group, .. }
                if code == "j" && kept_group == "index" && dropped_group == "default"
        ));
        assert!(import.warnings[0].to_string().contains("A.crontab.xml:3"), "{}", import.warnings[0]);
        assert!(matches!(&import.warnings[1], ImportWarning::Unscheduled { code, .. } if code == "j"));
    }

    #[test]
    fn nothing_is_returned_when_one_of_several_files_is_bad() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "A.crontab.xml", r#"<group id="default"><job name="a" instance="A" method="m"/></group>"#);
        write(tmp.path(), "B.crontab.xml", r#"<group id="default"><job name="b" instance="B"/></group>"#);
        write(tmp.path(), "C.crontab.xml", r#"<group id="default"><job name="c" instance="C" method="m"/></group>"#);
        let err = load_all(&[tmp.path().to_path_buf()]).unwrap_err();
        assert!(
            matches!(&err, ImportError::MissingAttribute { attribute: "method", source_name, .. } if source_name.ends_with("B.crontab.xml")),
            "{err:?}"
        );
    }

    #[test]
    fn an_import_with_no_crontab_file_at_all_is_refused_rather_than_empty() {
        assert!(matches!(import(&[]), Err(ImportError::NothingToImport)));
        let tmp = tempfile::tempdir().unwrap();
        let groups = write(tmp.path(), "cron_groups.xml", r#"<group id="index"/>"#);
        assert!(matches!(load_all(&[groups]), Err(ImportError::NothingToImport)));
    }

    #[test]
    fn an_unscheduled_job_is_imported_with_a_warning() {
        let tmp = tempfile::tempdir().unwrap();
        write(tmp.path(), "A.crontab.xml", r#"<group id="default"><job name="a" instance="A" method="m"/></group>"#);
        let import = import(&[tmp.path().to_path_buf()]).unwrap();
        assert_eq!(import.jobs.len(), 1);
        assert_eq!(import.warnings.len(), 1);
        assert!(import.warnings[0].to_string().contains("crontab/default/jobs/a/schedule/cron_expr"));
    }
}
