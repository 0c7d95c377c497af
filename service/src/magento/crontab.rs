//! Reading one Magento `crontab.xml` into job declarations.
//!
//! The shape follows Magento's own reader (`Magento\Cron\Model\Config\Converter\Xml`):
//! `<config><group id><job name instance method>` with an optional `<schedule>` and
//! an optional `<config_path>`. Both children are kept independently, as Magento
//! does: at run time Magento prefers the config value behind `config_path` and
//! falls back to `schedule`. A job with neither is valid Magento (its expression
//! may come from config.xml / core_config_data instead) and is kept, flagged by
//! [`MagentoCronJob::is_unscheduled`].
//!
//! This file only reads; merging several files is [`super::merge_jobs`]'s job, so
//! one file's output may still contain the same job twice.

use std::path::Path;

use serde::Serialize;

use super::xml::{children_named, expect_root, parse_document, position, read_text, required_attr, text_of};
use super::ImportError;
use crate::domain::validate_job_code;

/// One `<job>` as declared in crontab.xml, before lanes or policies are applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MagentoCronJob {
    /// The job's `name` attribute; cronkeeper's job code.
    pub code: String,
    /// The enclosing `<group id>` (`default`, `index`, `consumers`, ...).
    pub group: String,
    /// PHP class (or virtual type) Magento instantiates.
    pub instance: String,
    /// Method Magento calls on it.
    pub method: String,
    /// The `<schedule>` cron expression, trimmed, if present and non-blank.
    pub schedule: Option<String>,
    /// The `<config_path>` whose stored value is the cron expression, if present.
    pub config_path: Option<String>,
    /// The file the (winning) declaration came from.
    pub source: String,
    /// 1-based line of its `<job` tag.
    pub line: u32,
}

impl MagentoCronJob {
    /// Neither `<schedule>` nor `<config_path>`: Magento never runs it on its own
    /// unless config.xml / core_config_data provides
    /// `crontab/<group>/jobs/<code>/schedule/cron_expr`.
    pub fn is_unscheduled(&self) -> bool {
        self.schedule.is_none() && self.config_path.is_none()
    }
}

/// Reads and parses one crontab.xml file. Errors name the file as given.
pub fn parse_crontab(path: &Path) -> Result<Vec<MagentoCronJob>, ImportError> {
    let text = read_text(path)?;
    parse_crontab_str(&text, &path.display().to_string())
}

/// Parses crontab.xml text. `source_name` is used in errors and recorded on each
/// job (normally the file path).
pub fn parse_crontab_str(text: &str, source_name: &str) -> Result<Vec<MagentoCronJob>, ImportError> {
    let doc = parse_document(text, source_name)?;
    expect_root(&doc, source_name, "config")?;

    let mut jobs = Vec::new();
    for group in children_named(doc.root_element(), "group") {
        let group_id = required_attr(&doc, group, source_name, "group", "id")?;
        for job in children_named(group, "job") {
            let code = required_attr(&doc, job, source_name, "job", "name")?;
            let instance = required_attr(&doc, job, source_name, "job", "instance")?;
            let method = required_attr(&doc, job, source_name, "job", "method")?;
            let (line, column) = position(&doc, job);
            if let Err(reason) = validate_job_code(&code) {
                return Err(ImportError::InvalidJobCode {
                    source_name: source_name.to_string(),
                    line,
                    column,
                    code,
                    reason,
                });
            }
            // Like Magento: the first non-blank element of each kind counts.
            let schedule = children_named(job, "schedule").find_map(text_of);
            let config_path = children_named(job, "config_path").find_map(text_of);
            jobs.push(MagentoCronJob {
                code,
                group: group_id.clone(),
                instance,
                method,
                schedule,
                config_path,
                source: source_name.to_string(),
                line,
            });
        }
    }
    Ok(jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(body: &str) -> String {
        format!("<?xml version=\"1.0\"?>\n<config>\n{body}\n</config>\n")
    }

    #[test]
    fn a_job_with_a_schedule_keeps_every_field_and_its_line() {
        let xml = wrap(
            r#"  <group id="default">
    <job name="a_job" instance="Vendor\Mod\Cron\A" method="execute">
      <schedule> */5 * * * * </schedule>
    </job>
  </group>"#,
        );
        let jobs = parse_crontab_str(&xml, "t.xml").unwrap();
        assert_eq!(
            jobs,
            vec![MagentoCronJob {
                code: "a_job".into(),
                group: "default".into(),
                instance: "Vendor\\Mod\\Cron\\A".into(),
                method: "execute".into(),
                schedule: Some("*/5 * * * *".into()),
                config_path: None,
                source: "t.xml".into(),
                line: 4,
            }]
        );
    }

    #[test]
    fn a_job_with_only_config_path_has_no_schedule() {
        let xml = wrap(
            r#"<group id="default"><job name="j" instance="C" method="m"><config_path>crontab/default/jobs/j/schedule/cron_expr</config_path></job></group>"#,
        );
        let job = &parse_crontab_str(&xml, "t.xml").unwrap()[0];
        assert_eq!(job.schedule, None);
        assert_eq!(job.config_path.as_deref(), Some("crontab/default/jobs/j/schedule/cron_expr"));
        assert!(!job.is_unscheduled());
    }

    #[test]
    fn a_job_with_neither_schedule_nor_config_path_is_kept_and_flagged() {
        let xml = wrap(r#"<group id="default"><job name="j" instance="C" method="m"/></group>"#);
        let jobs = parse_crontab_str(&xml, "t.xml").unwrap();
        assert_eq!(jobs.len(), 1);
        assert!(jobs[0].is_unscheduled());
    }

    #[test]
    fn blank_schedule_counts_as_absent_like_magento() {
        let xml =
            wrap(r#"<group id="default"><job name="j" instance="C" method="m"><schedule>  </schedule></job></group>"#);
        assert!(parse_crontab_str(&xml, "t.xml").unwrap()[0].is_unscheduled());
    }

    #[test]
    fn jobs_in_several_groups_carry_their_group() {
        let xml = wrap(
            r#"<group id="default"><job name="a" instance="C" method="m"/></group>
<group id="index"><job name="b" instance="C" method="m"/><job name="c" instance="C" method="m"/></group>"#,
        );
        let groups: Vec<_> = parse_crontab_str(&xml, "t.xml").unwrap().into_iter().map(|j| (j.code, j.group)).collect();
        assert_eq!(
            groups,
            vec![("a".into(), "default".into()), ("b".into(), "index".into()), ("c".into(), "index".into())]
        );
    }

    #[test]
    fn malformed_xml_reports_file_line_and_column() {
        let xml = "<config>\n  <group id=\"default\">\n    <job name=\"a\" instance=\"C\" method=\"m\">\n  </group>\n</config>\n";
        let err = parse_crontab_str(xml, "Broken.crontab.xml").unwrap_err();
        match &err {
            ImportError::Xml { source_name, line, .. } => {
                assert_eq!(source_name, "Broken.crontab.xml");
                assert_eq!(*line, 4, "the mismatched </group> is on line 4: {err}");
            }
            other => panic!("expected an XML error, got {other:?}"),
        }
        assert!(err.to_string().starts_with("Broken.crontab.xml:4:"), "{err}");
    }

    #[test]
    fn a_job_without_instance_reports_which_attribute_and_where() {
        let xml = "<config>\n<group id=\"default\">\n<job name=\"a\" method=\"m\"/>\n</group>\n</config>";
        let err = parse_crontab_str(xml, "x.xml").unwrap_err();
        assert!(
            matches!(&err, ImportError::MissingAttribute { element: "job", attribute: "instance", line: 3, .. }),
            "{err:?}"
        );
        assert_eq!(err.to_string(), "x.xml:3:1: <job> is missing required attribute `instance`");
    }

    #[test]
    fn a_job_without_name_or_method_reports_that_attribute() {
        let no_name = wrap(r#"<group id="default"><job instance="C" method="m"/></group>"#);
        let no_method = wrap(r#"<group id="default"><job name="a" instance="C"/></group>"#);
        let blank_name = wrap(r#"<group id="default"><job name=" " instance="C" method="m"/></group>"#);
        for (xml, attr) in [(no_name, "name"), (no_method, "method"), (blank_name, "name")] {
            match parse_crontab_str(&xml, "x.xml").unwrap_err() {
                ImportError::MissingAttribute { attribute, .. } => assert_eq!(attribute, attr),
                other => panic!("expected missing `{attr}`, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_group_without_id_is_refused() {
        let xml = wrap(r#"<group><job name="a" instance="C" method="m"/></group>"#);
        let err = parse_crontab_str(&xml, "x.xml").unwrap_err();
        assert!(matches!(err, ImportError::MissingAttribute { element: "group", attribute: "id", .. }), "{err:?}");
    }

    #[test]
    fn a_file_that_is_not_a_config_document_is_refused() {
        let err = parse_crontab_str("<routes/>", "x.xml").unwrap_err();
        assert!(matches!(err, ImportError::UnexpectedRoot { .. }), "{err:?}");
    }

    #[test]
    fn a_job_name_cronkeeper_cannot_store_is_refused_with_its_position() {
        let xml = wrap(r#"<group id="default"><job name="bad name" instance="C" method="m"/></group>"#);
        let err = parse_crontab_str(&xml, "x.xml").unwrap_err();
        assert!(matches!(err, ImportError::InvalidJobCode { line: 3, .. }), "{err:?}");
    }

    #[test]
    fn an_unreadable_file_names_the_path() {
        let err = parse_crontab(Path::new("/nonexistent/dir/crontab.xml")).unwrap_err();
        assert!(matches!(err, ImportError::Io { .. }));
        assert!(err.to_string().contains("/nonexistent/dir/crontab.xml"), "{err}");
    }
}
