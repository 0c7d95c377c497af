//! Why an import failed, with enough position to fix it.
//!
//! Operators hit these while pointing cronkeeper at a Magento tree they did not
//! write (third-party modules, hand-edited overrides), so every variant names the
//! file and, where the XML parser knows it, the line and column: "which file, where"
//! is the whole of the fix.

use std::path::PathBuf;

/// A failure that stops an import. Nothing is returned alongside it: an import
/// either yields every job or none.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file or directory could not be read (missing, permissions, not UTF-8, ...).
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A directory argument holds no `crontab.xml` / `*.crontab.xml` at any depth:
    /// almost always a wrong path, so it is refused rather than read as "no jobs".
    #[error("no crontab.xml files found under {}", dir.display())]
    NoCrontabFiles { dir: PathBuf },

    /// The arguments named no crontab file at all (an empty list, or only
    /// cron_groups.xml files). Refused for the same reason as an empty directory:
    /// importing "no jobs" would read as every Magento job having been removed.
    #[error("no crontab.xml files to import")]
    NothingToImport,

    /// The text is not well-formed XML.
    #[error("{source_name}:{line}:{column}: malformed XML: {message}")]
    Xml { source_name: String, line: u32, column: u32, message: String },

    /// Well-formed XML, but not the document we expected (wrong root element).
    #[error("{source_name}:{line}:{column}: expected a <{expected}> root element, found <{found}>")]
    UnexpectedRoot { source_name: String, line: u32, column: u32, expected: &'static str, found: String },

    /// A required attribute is absent or blank (`name`/`instance`/`method` on
    /// `<job>`, `id` on `<group>`).
    #[error("{source_name}:{line}:{column}: <{element}> is missing required attribute `{attribute}`")]
    MissingAttribute { source_name: String, line: u32, column: u32, element: &'static str, attribute: &'static str },

    /// A job name Magento accepts but cronkeeper's job codes cannot carry.
    #[error("{source_name}:{line}:{column}: job name `{code}` cannot be a cronkeeper job code: {reason}")]
    InvalidJobCode { source_name: String, line: u32, column: u32, code: String, reason: String },

    /// An element whose text must be a number or boolean (cron_groups.xml) is not.
    #[error("{source_name}:{line}:{column}: <{element}> must be {expected}, found `{value}`")]
    InvalidValue { source_name: String, line: u32, column: u32, element: String, expected: &'static str, value: String },
}

/// Something the import accepted but an operator should hear about. Warnings never
/// stop an import; they are returned with the jobs and logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportWarning {
    /// The job has neither `<schedule>` nor `<config_path>` in any crontab.xml.
    /// Magento still accepts it: it never runs by itself unless a
    /// `crontab/<group>/jobs/<code>/schedule/cron_expr` value in config.xml or
    /// core_config_data supplies the expression (Magento's DB cron reader).
    Unscheduled { code: String, group: String, source: String, line: u32 },
    /// The same job code is declared in two groups. Magento keys jobs per group and
    /// would schedule both; cronkeeper codes are unique, so the later one is kept.
    CodeInTwoGroups {
        code: String,
        kept_group: String,
        dropped_group: String,
        kept_source: String,
        dropped_source: String,
    },
}

impl std::fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportWarning::Unscheduled { code, group, source, line } => write!(
                f,
                "{source}:{line}: job `{code}` (group `{group}`) has neither <schedule> nor <config_path>; \
                 it only runs if config supplies crontab/{group}/jobs/{code}/schedule/cron_expr, or when triggered by hand"
            ),
            ImportWarning::CodeInTwoGroups { code, kept_group, dropped_group, kept_source, dropped_source } => write!(
                f,
                "job `{code}` is declared in group `{dropped_group}` ({dropped_source}) and again in group \
                 `{kept_group}` ({kept_source}); keeping the latter, job codes are unique in cronkeeper"
            ),
        }
    }
}
