//! The document budget: how long a GraphQL document's text may be, checked
//! before it is parsed, and how big the document may be once its fragments
//! are expanded, checked right after parsing and before anything walks the
//! document with fragments inlined.
//!
//! Why the length: parsing is linear but not cheap (a 340 KB document of
//! 20 000 aliases took 260 ms to parse and refuse in a debug build, on a Tokio
//! worker thread), and the 1 MiB body limit let such documents in. The Magento
//! module's largest document is 838 bytes and GraphiQL's introspection query
//! about 2 KB; [`MAX_QUERY_BYTES`] leaves ample room for hand-written ones,
//! and a document of that length parses in tens of ms even in a debug build.
//!
//! Why: async-graphql's own checks (recursion depth, complexity) inline every
//! fragment spread, so a "fragment bomb" of a few hundred bytes
//! (`fragment A on Query { ...B ...B ...B } fragment B on Query { ...C ...C ...C } …`)
//! makes them visit billions of selections: seconds to hours of one worker
//! thread before the complexity limit can refuse it. Here every fragment is
//! sized once (memoised), so the check is linear in the document, and a
//! fragment cycle is refused outright.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, Request, ServerError, ServerResult};

/// Longest query text (the `query` member, variables not counted) accepted;
/// longer ones are refused before parsing.
pub const MAX_QUERY_BYTES: usize = 32 * 1024;
/// Selections (fields, fragment spreads and inline fragments, directives
/// included) a document may hold with its fragments expanded. GraphiQL's
/// introspection query has about 300; the Magento module's largest query
/// fewer than 100.
pub const MAX_SELECTIONS: usize = 10_000;
/// Nesting of selection sets and fragment spreads, as async-graphql's
/// recursion limit counts it (its default, 32), checked here first so the
/// sizing below cannot recurse deeper either.
pub const MAX_NESTING: usize = 32;

/// Installs [`check`] on every request, HTTP and WebSocket alike.
pub struct DocumentBudget;

impl ExtensionFactory for DocumentBudget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(DocumentBudgetExtension)
    }
}

struct DocumentBudgetExtension;

#[async_trait::async_trait]
impl Extension for DocumentBudgetExtension {
    async fn prepare_request(&self, ctx: &ExtensionContext<'_>, request: Request, next: NextPrepareRequest<'_>) -> ServerResult<Request> {
        check_length(&request.query).map_err(too_large)?;
        // The later extensions first (the caller's turn, `fair_share`), so the
        // parse below runs within the turn. Parsed once here; async-graphql
        // reuses the parsed document.
        let mut request = next.run(ctx, request).await?;
        check(request.parsed_query()?).map_err(too_large)?;
        Ok(request)
    }
}

fn too_large(message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut ext = async_graphql::ErrorExtensionValues::default();
    ext.set("code", "QUERY_TOO_LARGE");
    error.extensions = Some(ext);
    error
}

/// Refuses a query text longer than [`MAX_QUERY_BYTES`], naming both lengths.
pub fn check_length(query: &str) -> Result<(), String> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(format!(
            "the query text is too long: {} bytes, at most {MAX_QUERY_BYTES} ({} KiB); variables do not count",
            query.len(),
            MAX_QUERY_BYTES / 1024
        ));
    }
    Ok(())
}

/// Refuses a document whose expanded size exceeds [`MAX_SELECTIONS`], whose
/// nesting exceeds [`MAX_NESTING`], or whose fragments spread each other in a
/// cycle; the message says which.
pub fn check(doc: &ExecutableDocument) -> Result<(), String> {
    let mut sizer = Sizer { doc, sizes: HashMap::new() };
    let mut total = 0usize;
    for (_, operation) in doc.operations.iter() {
        total = total.saturating_add(sizer.selection_set(&operation.node.selection_set, 0)?);
    }
    for fragment in doc.fragments.values() {
        // Unused fragments are validated too; count them once.
        total = total.saturating_add(sizer.selection_set(&fragment.node.selection_set, 0)?);
    }
    if total > MAX_SELECTIONS {
        return Err(format!(
            "the query is too large: {total} selections with its fragments expanded, at most {MAX_SELECTIONS}"
        ));
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Size {
    InProgress,
    Done(usize),
}

struct Sizer<'a> {
    doc: &'a ExecutableDocument,
    sizes: HashMap<&'a str, Size>,
}

impl<'a> Sizer<'a> {
    fn selection_set(&mut self, set: &'a Positioned<SelectionSet>, nesting: usize) -> Result<usize, String> {
        if nesting > MAX_NESTING {
            return Err(format!("the query is nested too deep: more than {MAX_NESTING} levels of fields and fragments"));
        }
        let mut total = 0usize;
        for selection in &set.node.items {
            let size = match &selection.node {
                Selection::Field(field) => {
                    let f = &field.node;
                    1 + f.directives.len() + self.selection_set(&f.selection_set, nesting + 1)?
                }
                Selection::InlineFragment(inline) => {
                    1 + inline.node.directives.len() + self.selection_set(&inline.node.selection_set, nesting + 1)?
                }
                Selection::FragmentSpread(spread) => {
                    1 + spread.node.directives.len() + self.fragment(spread.node.fragment_name.node.as_str(), nesting + 1)?
                }
            };
            total = total.saturating_add(size);
            if total > MAX_SELECTIONS {
                // Stop early: the answer is already known.
                return Ok(total);
            }
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a str, nesting: usize) -> Result<usize, String> {
        match self.sizes.get(name) {
            Some(Size::Done(n)) => return Ok(*n),
            Some(Size::InProgress) => return Err(format!("fragment `{name}` spreads itself (directly or through others)")),
            None => {}
        }
        // An unknown fragment is async-graphql's to report (KnownFragmentNames).
        let Some(fragment) = self.doc.fragments.get(name) else { return Ok(0) };
        self.sizes.insert(name, Size::InProgress);
        let n = self.selection_set(&fragment.node.selection_set, nesting)?;
        self.sizes.insert(name, Size::Done(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_text(query: &str) -> Result<(), String> {
        check(&async_graphql::parser::parse_query(query).unwrap())
    }

    /// `levels` fragments, each spreading the next `fan_out` times: fan_out^levels selections.
    fn fragment_bomb(levels: usize, fan_out: usize) -> String {
        let mut q = String::from("query { ...F0 }\n");
        for i in 0..levels {
            let spreads = format!("...F{} ", i + 1).repeat(fan_out);
            q.push_str(&format!("fragment F{i} on Query {{ {spreads} }}\n"));
        }
        q.push_str(&format!("fragment F{levels} on Query {{ me {{ role }} }}\n"));
        q
    }

    #[test]
    fn ordinary_queries_and_fragments_fit() {
        assert_eq!(check_text("{ me { role } jobs(first: 10) { nodes { code lastRun { id status } } } }"), Ok(()));
        assert_eq!(check_text(&fragment_bomb(3, 3)), Ok(()));
    }

    #[test]
    fn a_fragment_bomb_is_refused_at_once_with_its_size() {
        let started = std::time::Instant::now();
        let err = check_text(&fragment_bomb(12, 10)).unwrap_err(); // 10^12 selections, within the nesting limit
        assert!(err.contains("too large"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "took {:?}", started.elapsed());
    }

    #[test]
    fn a_fragment_cycle_is_refused() {
        let err = check_text("{ ...A } fragment A on Query { ...B ...B } fragment B on Query { ...A ...A }").unwrap_err();
        assert!(err.contains("spreads itself"), "{err}");
    }

    #[test]
    fn a_long_chain_of_fragments_is_refused_without_deep_recursion() {
        let mut q = String::from("{ ...F0 }\n");
        for i in 0..5000 {
            q.push_str(&format!("fragment F{i} on Query {{ ...F{} }}\n", i + 1));
        }
        q.push_str("fragment F5000 on Query { __typename }\n");
        let err = check_text(&q).unwrap_err();
        assert!(err.contains("nested too deep"), "{err}");
    }

    #[test]
    fn a_long_text_is_refused_before_parsing_with_the_limit() {
        let q = format!("{{ {} }}", "me { role } ".repeat(MAX_QUERY_BYTES / 12 + 1));
        let err = check_length(&q).unwrap_err();
        assert!(err.contains(&MAX_QUERY_BYTES.to_string()) && err.contains(&q.len().to_string()), "{err}");
        assert_eq!(check_length(&q[..MAX_QUERY_BYTES]), Ok(()));
    }

    #[test]
    fn many_aliases_count_each() {
        let q = format!("{{ {} }}", (0..MAX_SELECTIONS + 1).map(|i| format!("a{i}: __typename")).collect::<Vec<_>>().join(" "));
        assert!(check_text(&q).unwrap_err().contains("too large"));
    }
}
