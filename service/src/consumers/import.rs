//! Reading Magento's `queue_consumer.xml` files (schema
//! `urn:magento:framework-message-queue:etc/consumer.xsd`) into
//! [`MagentoConsumer`]s. Pure: merging into the store is [`super::sync`].
//!
//! Files are read all-or-nothing, like the crontab import: a half-read tree
//! would look like removed consumers. A consumer declared again in a later
//! file is merged the way Magento merges config: the attributes the later
//! declaration sets win, the others are kept.

use std::path::{Path, PathBuf};

use crate::magento::xml::{expect_root, parse_document, position, read_text};
use crate::magento::ImportError;

/// One `<consumer>` as Magento declares it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MagentoConsumer {
    pub name: String,
    pub queue: Option<String>,
    pub connection: Option<String>,
    pub handler: Option<String>,
    pub consumer_instance: Option<String>,
    pub max_messages: Option<u32>,
    /// Seconds (Magento's `maxIdleTime`, honoured by the process itself).
    pub max_idle_time: Option<u32>,
    pub only_spawn_when_message_available: Option<bool>,
    /// `file:line` of the (last) declaration.
    pub source: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConsumerImportError {
    #[error(transparent)]
    Read(#[from] ImportError),
    #[error("no queue_consumer.xml files found in {0}")]
    NothingFound(String),
    #[error("{source_name}:{line}:{column}: <consumer> {message}")]
    Invalid {
        source_name: String,
        line: u32,
        column: u32,
        message: String,
    },
}

/// Every consumer declared in the queue_consumer.xml files under `paths`, merged.
pub fn import(paths: &[PathBuf]) -> Result<Vec<MagentoConsumer>, ConsumerImportError> {
    let files = crate::magento::collect_queue_consumer_files(paths)?;
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(ConsumerImportError::NothingFound(shown.join(", ")));
    }
    let mut merged: Vec<MagentoConsumer> = Vec::new();
    for file in &files {
        for c in parse_file(file)? {
            match merged.iter_mut().find(|m| m.name == c.name) {
                Some(existing) => merge(existing, c),
                None => merged.push(c),
            }
        }
    }
    Ok(merged)
}

pub fn parse_file(path: &Path) -> Result<Vec<MagentoConsumer>, ConsumerImportError> {
    let text = read_text(path)?;
    parse_str(&text, &path.display().to_string())
}

pub fn parse_str(
    text: &str,
    source_name: &str,
) -> Result<Vec<MagentoConsumer>, ConsumerImportError> {
    let doc = parse_document(text, source_name)?;
    expect_root(&doc, source_name, "config")?;
    let mut out = Vec::new();
    for node in doc
        .root_element()
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == "consumer")
    {
        let (line, column) = position(&doc, node);
        let invalid = |message: String| ConsumerImportError::Invalid {
            source_name: source_name.to_string(),
            line,
            column,
            message,
        };
        let attr = |name: &str| {
            node.attribute(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let name = attr("name").ok_or_else(|| invalid("has no name attribute".into()))?;
        super::definition::validate_name(&name).map_err(|m| invalid(format!("name: {m}")))?;
        let number = |a: &str| -> Result<Option<u32>, ConsumerImportError> {
            attr(a)
                .map(|v| {
                    v.parse::<u32>()
                        .map_err(|_| invalid(format!("{a} `{v}` is not a whole number")))
                })
                .transpose()
        };
        let flag = match attr("onlySpawnWhenMessageAvailable").as_deref() {
            None => None,
            Some("true" | "1") => Some(true),
            Some("false" | "0") => Some(false),
            Some(other) => {
                return Err(invalid(format!(
                    "onlySpawnWhenMessageAvailable `{other}` is not true or false"
                )))
            }
        };
        out.push(MagentoConsumer {
            queue: attr("queue"),
            connection: attr("connection"),
            handler: attr("handler"),
            consumer_instance: attr("consumerInstance"),
            max_messages: number("maxMessages")?,
            max_idle_time: number("maxIdleTime")?,
            only_spawn_when_message_available: flag,
            source: format!("{source_name}:{line}"),
            name,
        });
    }
    Ok(out)
}

fn merge(into: &mut MagentoConsumer, later: MagentoConsumer) {
    into.queue = later.queue.or(into.queue.take());
    into.connection = later.connection.or(into.connection.take());
    into.handler = later.handler.or(into.handler.take());
    into.consumer_instance = later.consumer_instance.or(into.consumer_instance.take());
    into.max_messages = later.max_messages.or(into.max_messages);
    into.max_idle_time = later.max_idle_time.or(into.max_idle_time);
    into.only_spawn_when_message_available = later
        .only_spawn_when_message_available
        .or(into.only_spawn_when_message_available);
    into.source = later.source;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/magento-reference/queue")
    }

    #[test]
    fn every_consumer_magento_ships_is_read() {
        let dir = reference_dir();
        if !dir.exists() {
            assert!(
                std::env::var("CI").is_err(),
                "the Magento reference files are missing in CI: {}",
                dir.display()
            );
            eprintln!("SKIPPED reference import: {} not found", dir.display());
            return;
        }
        let consumers = import(&[dir.clone()]).unwrap();
        // One per <consumer> element across all the reference files.
        let mut declared = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().ends_with(".queue_consumer.xml") {
                declared += std::fs::read_to_string(&path)
                    .unwrap()
                    .matches("<consumer ")
                    .count();
            }
        }
        assert_eq!(consumers.len(), declared);
        let async_ops = consumers
            .iter()
            .find(|c| c.name == "async.operations.all")
            .unwrap();
        assert_eq!(async_ops.queue.as_deref(), Some("async.operations.all"));
        assert_eq!(
            async_ops.consumer_instance.as_deref(),
            Some("Magento\\AsynchronousOperations\\Model\\MassConsumer")
        );
        let alert = consumers
            .iter()
            .find(|c| c.name == "product_alert")
            .unwrap();
        assert_eq!(
            (alert.queue.as_deref(), alert.handler.as_deref()),
            (Some("product_alert.queue"), None)
        );
        let export = consumers
            .iter()
            .find(|c| c.name == "exportProcessor")
            .unwrap();
        assert_eq!(
            export.handler.as_deref(),
            Some("Magento\\ImportExport\\Model\\Export\\Consumer::process")
        );
        for c in &consumers {
            assert!(c.source.contains(".queue_consumer.xml:"), "{c:?}");
        }
    }

    #[test]
    fn all_attributes_of_the_schema_are_read() {
        let xml = r#"<config><consumer name="a.b" queue="q" connection="db" handler="V\M\C::run" maxMessages="200" maxIdleTime="30" sleep="5" onlySpawnWhenMessageAvailable="true"/></config>"#;
        let c = &parse_str(xml, "x.xml").unwrap()[0];
        assert_eq!(c.connection.as_deref(), Some("db"));
        assert_eq!(
            (
                c.max_messages,
                c.max_idle_time,
                c.only_spawn_when_message_available
            ),
            (Some(200), Some(30), Some(true))
        );
    }

    #[test]
    fn bad_declarations_name_the_file_and_line() {
        let e = parse_str("<config>\n<consumer queue=\"q\"/></config>", "m.xml")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("m.xml:2:") && e.contains("no name"), "{e}");
        let e = parse_str(
            "<config><consumer name=\"a\" maxMessages=\"lots\"/></config>",
            "m.xml",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("maxMessages `lots`"), "{e}");
        let e = parse_str("<routes/>", "m.xml").unwrap_err().to_string();
        assert!(e.contains("<config>"), "{e}");
    }

    #[test]
    fn a_later_declaration_overrides_only_what_it_sets() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("A.queue_consumer.xml"),
            r#"<config><consumer name="c" queue="q1" maxMessages="10"/></config>"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("B.queue_consumer.xml"),
            r#"<config><consumer name="c" queue="q2"/></config>"#,
        )
        .unwrap();
        let merged = import(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(merged.len(), 1);
        assert_eq!(
            (merged[0].queue.as_deref(), merged[0].max_messages),
            (Some("q2"), Some(10))
        );
    }

    #[test]
    fn a_directory_without_consumer_files_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            import(&[dir.path().to_path_buf()]),
            Err(ConsumerImportError::NothingFound(_))
        ));
    }
}
