//! Reading Magento `cron_groups.xml`: per-group scheduling settings.
//!
//! cronkeeper does not pre-generate a schedule table, so most of these settings have
//! no direct effect. They are read because they document intent (the `index` and
//! `consumers` groups ask for a separate process, the `index` group for a schedule
//! regenerated every minute) and can seed defaults: `use_separate_process` hints at
//! a lane, `schedule_lifetime` at a misfire deadline. All values are minutes, as in
//! Magento; absent elements stay `None` so Magento's own defaults can apply.

use std::path::Path;

use roxmltree::{Document, Node};
use serde::Serialize;

use super::xml::{children_named, expect_root, parse_document, position, read_text, required_attr, text_of};
use super::ImportError;

/// One `<group>` of cron_groups.xml.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct CronGroupConfig {
    pub id: String,
    pub schedule_generate_every: Option<u32>,
    pub schedule_ahead_for: Option<u32>,
    pub schedule_lifetime: Option<u32>,
    pub history_cleanup_every: Option<u32>,
    pub history_success_lifetime: Option<u32>,
    pub history_failure_lifetime: Option<u32>,
    pub use_separate_process: Option<bool>,
    /// The file the group was (last) declared in.
    pub source: String,
}

impl CronGroupConfig {
    /// Magento's config merge for one group: every setting the later declaration
    /// gives replaces the earlier one; settings it leaves out are kept.
    pub fn merge_from(&mut self, later: &CronGroupConfig) {
        macro_rules! take {
            ($($f:ident),*) => { $( if later.$f.is_some() { self.$f = later.$f; } )* };
        }
        take!(
            schedule_generate_every,
            schedule_ahead_for,
            schedule_lifetime,
            history_cleanup_every,
            history_success_lifetime,
            history_failure_lifetime,
            use_separate_process
        );
        self.source = later.source.clone();
    }
}

/// Reads and parses one cron_groups.xml file.
pub fn parse_cron_groups(path: &Path) -> Result<Vec<CronGroupConfig>, ImportError> {
    let text = read_text(path)?;
    parse_cron_groups_str(&text, &path.display().to_string())
}

/// Parses cron_groups.xml text; `source_name` is used in errors.
pub fn parse_cron_groups_str(text: &str, source_name: &str) -> Result<Vec<CronGroupConfig>, ImportError> {
    let doc = parse_document(text, source_name)?;
    expect_root(&doc, source_name, "config")?;
    let mut groups = Vec::new();
    for group in children_named(doc.root_element(), "group") {
        let id = required_attr(&doc, group, source_name, "group", "id")?;
        let num = |name: &'static str| number(&doc, group, source_name, name);
        groups.push(CronGroupConfig {
            id,
            schedule_generate_every: num("schedule_generate_every")?,
            schedule_ahead_for: num("schedule_ahead_for")?,
            schedule_lifetime: num("schedule_lifetime")?,
            history_cleanup_every: num("history_cleanup_every")?,
            history_success_lifetime: num("history_success_lifetime")?,
            history_failure_lifetime: num("history_failure_lifetime")?,
            use_separate_process: boolean(&doc, group, source_name, "use_separate_process")?,
            source: source_name.to_string(),
        });
    }
    Ok(groups)
}

/// Reads every file in order and merges groups by id (later settings win).
pub fn load_cron_groups(paths: &[std::path::PathBuf]) -> Result<Vec<CronGroupConfig>, ImportError> {
    let mut merged: Vec<CronGroupConfig> = Vec::new();
    for path in paths {
        for group in parse_cron_groups(path)? {
            match merged.iter_mut().find(|g| g.id == group.id) {
                Some(existing) => existing.merge_from(&group),
                None => merged.push(group),
            }
        }
    }
    Ok(merged)
}

fn invalid(
    doc: &Document<'_>,
    node: Node<'_, '_>,
    source_name: &str,
    expected: &'static str,
    value: String,
) -> ImportError {
    let (line, column) = position(doc, node);
    ImportError::InvalidValue {
        source_name: source_name.to_string(),
        line,
        column,
        element: node.tag_name().name().to_string(),
        expected,
        value,
    }
}

fn number(
    doc: &Document<'_>,
    group: Node<'_, '_>,
    source_name: &str,
    name: &'static str,
) -> Result<Option<u32>, ImportError> {
    let Some(node) = children_named(group, name).next() else { return Ok(None) };
    let Some(text) = text_of(node) else { return Ok(None) };
    text.parse::<u32>().map(Some).map_err(|_| invalid(doc, node, source_name, "a whole number of minutes", text))
}

/// xs:boolean: `1`/`true` or `0`/`false`.
fn boolean(
    doc: &Document<'_>,
    group: Node<'_, '_>,
    source_name: &str,
    name: &'static str,
) -> Result<Option<bool>, ImportError> {
    let Some(node) = children_named(group, name).next() else { return Ok(None) };
    let Some(text) = text_of(node) else { return Ok(None) };
    match text.as_str() {
        "1" | "true" => Ok(Some(true)),
        "0" | "false" => Ok(Some(false)),
        _ => Err(invalid(doc, node, source_name, "0, 1, true or false", text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INDEX: &str = r#"<config>
  <group id="index">
    <schedule_generate_every>1</schedule_generate_every>
    <schedule_ahead_for>4</schedule_ahead_for>
    <schedule_lifetime>2</schedule_lifetime>
    <use_separate_process>1</use_separate_process>
  </group>
</config>"#;

    #[test]
    fn a_group_reads_its_settings_in_minutes_and_leaves_absent_ones_unset() {
        let groups = parse_cron_groups_str(INDEX, "g.xml").unwrap();
        assert_eq!(
            groups,
            vec![CronGroupConfig {
                id: "index".into(),
                schedule_generate_every: Some(1),
                schedule_ahead_for: Some(4),
                schedule_lifetime: Some(2),
                use_separate_process: Some(true),
                source: "g.xml".into(),
                ..Default::default()
            }]
        );
    }

    #[test]
    fn a_non_numeric_setting_reports_element_and_line() {
        let xml = "<config>\n<group id=\"x\">\n<schedule_lifetime>soon</schedule_lifetime>\n</group>\n</config>";
        let err = parse_cron_groups_str(xml, "g.xml").unwrap_err();
        assert_eq!(err.to_string(), "g.xml:3:1: <schedule_lifetime> must be a whole number of minutes, found `soon`");
    }

    #[test]
    fn a_later_declaration_overrides_only_what_it_sets() {
        let mut base = parse_cron_groups_str(INDEX, "a.xml").unwrap().remove(0);
        let later = parse_cron_groups_str(
            r#"<config><group id="index"><schedule_lifetime>10</schedule_lifetime></group></config>"#,
            "b.xml",
        )
        .unwrap()
        .remove(0);
        base.merge_from(&later);
        assert_eq!(base.schedule_lifetime, Some(10));
        assert_eq!(base.schedule_ahead_for, Some(4));
        assert_eq!(base.source, "b.xml");
    }
}
