//! Relay-style connections for the long lists (jobs, runs, alerts, audit log):
//! `nodes` for simple clients, `edges { cursor node }` for cursor paging,
//! `pageInfo` and `totalCount` for the admin grids.
//!
//! Cursors are opaque to clients but simply encode an offset (base64 of
//! `o:<n>`); the store pages by offset, and grids that jump to page N need that
//! anyway. `first` is capped so one request cannot pull a whole history.

use async_graphql::SimpleObject;
use base64::Engine as _;

use super::errors::ApiError;
use crate::store::Page;

pub const DEFAULT_PAGE: i32 = 50;
pub const MAX_PAGE: i32 = 500;

/// Declares `<Name>Connection` and `<Name>Edge` for a node type. A macro
/// rather than generics: async-graphql cannot nest generic output types.
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty) => {
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        #[derive(async_graphql::SimpleObject)]
        pub struct $conn {
            pub nodes: Vec<$node>,
            pub edges: Vec<$edge>,
            pub page_info: $crate::api::connection::PageInfo,
            /// How many items match, across all pages.
            pub total_count: i64,
        }

        impl $conn {
            /// Wraps one page of items fetched with `page`.
            pub fn new(items: Vec<$node>, page: $crate::store::Page, total_count: i64) -> Self {
                let edges: Vec<$edge> = items
                    .iter()
                    .enumerate()
                    .map(|(i, node)| $edge { cursor: $crate::api::connection::encode_cursor(page.offset + i as i64), node: node.clone() })
                    .collect();
                let page_info = $crate::api::connection::page_info(
                    page,
                    items.len(),
                    total_count,
                    edges.first().map(|e| e.cursor.clone()),
                    edges.last().map(|e| e.cursor.clone()),
                );
                Self { nodes: items, edges, page_info, total_count }
            }
        }
    };
}
pub(crate) use connection;

#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

pub fn encode_cursor(offset: i64) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

pub fn decode_cursor(cursor: &str) -> Option<i64> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("o:")?.parse::<i64>().ok().filter(|n| *n >= 0)
}

/// The page `first`/`after` ask for, or BAD_USER_INPUT naming the argument.
pub fn page(first: Option<i32>, after: Option<&str>) -> Result<Page, ApiError> {
    let limit = first.unwrap_or(DEFAULT_PAGE);
    if limit < 0 {
        return Err(ApiError::bad_input("first", format!("must not be negative (got {limit})")));
    }
    if limit > MAX_PAGE {
        return Err(ApiError::bad_input("first", format!("at most {MAX_PAGE} items per page (got {limit})")));
    }
    let offset = match after {
        None => 0,
        Some(c) => decode_cursor(c).ok_or_else(|| ApiError::bad_input("after", "is not a cursor from this API"))? + 1,
    };
    Ok(Page { limit: limit as i64, offset })
}

pub fn page_info(page: Page, len: usize, total_count: i64, start_cursor: Option<String>, end_cursor: Option<String>) -> PageInfo {
    PageInfo {
        has_next_page: page.offset + (len as i64) < total_count,
        has_previous_page: page.offset > 0,
        start_cursor,
        end_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(41)), Some(41));
        assert_eq!(decode_cursor("not a cursor"), None);
        assert_eq!(page(Some(10), Some(&encode_cursor(9))).unwrap().offset, 10);
    }

    #[test]
    fn pages_larger_than_the_maximum_are_refused() {
        let err = page(Some(MAX_PAGE + 1), None).unwrap_err();
        assert_eq!(err.code(), "BAD_USER_INPUT");
        assert!(err.to_string().starts_with("first:"));
    }
}
