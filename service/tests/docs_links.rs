//! No dead links in the documentation: every relative link in README.md,
//! docs/**/*.md and magento-module/README.md must name a file or directory of
//! the repository, and every `#anchor` a heading of its target page (GitHub's
//! slugs). Links to other sites are not fetched: CI must not depend on them.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

#[test]
fn every_relative_link_and_anchor_in_the_docs_resolves() {
    let root = Path::new(ROOT);
    let mut pages = vec![root.join("README.md"), root.join("magento-module/README.md")];
    markdown_under(&root.join("docs"), &mut pages);
    let mut dead = Vec::new();
    for page in &pages {
        let text = std::fs::read_to_string(page).unwrap();
        for (line, target) in links(&text) {
            if let Some(problem) = check(page, &target) {
                dead.push(format!("{}:{line}: ({target}) {problem}", page.strip_prefix(root).unwrap_or(page).display()));
            }
        }
    }
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));
}

#[test]
fn slugs_follow_github() {
    assert_eq!(slug("Jobs: `[[jobs]]`"), "jobs-jobs");
    assert_eq!(slug("2. Switch over without a double run"), "2-switch-over-without-a-double-run");
    assert_eq!(slug("What happens when…"), "what-happens-when");
    assert_eq!(slug("`Query.job`"), "queryjob");
    assert_eq!(slug("Dead man's switch"), "dead-mans-switch");
}

fn markdown_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            markdown_under(&path, out);
        } else if path.extension().is_some_and(|e| e == "md") {
            out.push(path);
        }
    }
}

/// `](target)` link targets outside fenced code blocks and inline code, with
/// their line numbers.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join("");
        let mut rest = prose.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            if let Some(end) = rest.find(')') {
                found.push((n + 1, rest[..end].trim().to_string()));
                rest = &rest[end..];
            }
        }
    }
    found
}

fn check(page: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let file = if path.is_empty() { page.to_path_buf() } else { page.parent().unwrap().join(path) };
    if !file.exists() {
        return Some("no such file".into());
    }
    let anchor = anchor?;
    if file.extension().is_none_or(|e| e != "md") {
        return None;
    }
    let headings = anchors(&std::fs::read_to_string(&file).unwrap());
    (!headings.contains(anchor)).then(|| format!("no heading with anchor #{anchor} in {}", file.display()))
}

/// The anchors GitHub gives a page's headings, duplicates numbered.
fn anchors(text: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let base = slug(line.trim_start_matches('#'));
        let mut candidate = base.clone();
        let mut n = 0;
        while seen.contains(&candidate) {
            n += 1;
            candidate = format!("{base}-{n}");
        }
        seen.insert(candidate);
    }
    seen
}

/// GitHub's heading slug: lower case, letters, digits, `-` and `_` kept,
/// spaces become `-`, everything else is dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}
