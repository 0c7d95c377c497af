//! Small helpers shared by the crontab.xml and cron_groups.xml readers: reading a
//! file, parsing it, and turning byte offsets into the line:column an operator
//! can jump to. Kept apart so both readers report positions the same way.

use std::path::Path;

use roxmltree::{Document, Node};

use super::ImportError;

/// Reads a config file as UTF-8 text. A byte-order mark is dropped (some editors
/// on Windows add one; Magento's DOM loader accepts it).
pub(crate) fn read_text(path: &Path) -> Result<String, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io { path: path.to_path_buf(), source })?;
    let text = String::from_utf8(bytes).map_err(|e| ImportError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8: {e}")),
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// Parses XML, mapping roxmltree's error (which carries a position) to ours.
/// DTDs are refused (roxmltree's default): Magento config never has one, and
/// refusing them keeps entity expansion out of the picture.
pub(crate) fn parse_document<'a>(text: &'a str, source_name: &str) -> Result<Document<'a>, ImportError> {
    Document::parse(text).map_err(|e| {
        let pos = e.pos();
        // roxmltree ends its message with " at row:col"; we print the position up front.
        let message = e.to_string();
        let message = message.strip_suffix(&format!(" at {}:{}", pos.row, pos.col)).unwrap_or(&message).to_string();
        ImportError::Xml { source_name: source_name.to_string(), line: pos.row, column: pos.col, message }
    })
}

/// Line and column (both 1-based) where `node` starts.
pub(crate) fn position(doc: &Document<'_>, node: Node<'_, '_>) -> (u32, u32) {
    let pos = doc.text_pos_at(node.range().start);
    (pos.row, pos.col)
}

/// Checks the root element's name so a wrong file (e.g. a `di.xml` in the list)
/// fails with a clear message instead of yielding zero jobs.
pub(crate) fn expect_root(doc: &Document<'_>, source_name: &str, expected: &'static str) -> Result<(), ImportError> {
    let root = doc.root_element();
    if root.tag_name().name() == expected {
        return Ok(());
    }
    let (line, column) = position(doc, root);
    Err(ImportError::UnexpectedRoot {
        source_name: source_name.to_string(),
        line,
        column,
        expected,
        found: root.tag_name().name().to_string(),
    })
}

/// A required attribute, trimmed; absent or blank is an error naming the element.
/// Blank counts as missing because Magento's converter treats an empty job name as
/// absent, and an empty class or method could never run.
pub(crate) fn required_attr(
    doc: &Document<'_>,
    node: Node<'_, '_>,
    source_name: &str,
    element: &'static str,
    attribute: &'static str,
) -> Result<String, ImportError> {
    match node.attribute(attribute).map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v.to_string()),
        _ => {
            let (line, column) = position(doc, node);
            Err(ImportError::MissingAttribute {
                source_name: source_name.to_string(),
                line,
                column,
                element,
                attribute,
            })
        }
    }
}

/// All text inside an element (text and CDATA), trimmed; `None` when blank.
/// Magento skips a `<schedule>` or `<config_path>` whose value is empty.
pub(crate) fn text_of(node: Node<'_, '_>) -> Option<String> {
    let text: String = node.descendants().filter(|n| n.is_text()).filter_map(|n| n.text()).collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Child elements with the given local name, in document order.
pub(crate) fn children_named<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    name: &'static str,
) -> impl Iterator<Item = Node<'a, 'input>> {
    node.children().filter(move |c| c.is_element() && c.tag_name().name() == name)
}
