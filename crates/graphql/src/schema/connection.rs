//! Cursor connections: `{edges {cursor node}, pageInfo, nodes}` over the
//! REST pages. `after` takes the REST cursor; `endCursor` is the page's
//! `next_cursor` when there is more (it may lie past the last edge when the
//! service skipped rows the caller may not see), else the last edge's cursor.

use async_graphql::SimpleObject;
use chorus_core::{ApiError, Cursor, Id, Page, PageQuery, page::MAX_LIMIT};

use super::post::{CommentNode, PostNode};

/// Page size when `first` is null.
pub(crate) const DEFAULT_FIRST: i32 = 20;

/// A connection type and its edge type over one node type.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty) => {
        #[derive(SimpleObject)]
        pub(crate) struct $connection {
            edges: Vec<$edge>,
            page_info: PageInfo,
            /// The edges' nodes, for clients that need no cursors.
            nodes: Vec<$node>,
        }

        #[derive(SimpleObject)]
        pub(crate) struct $edge {
            /// Pass as `after` to continue after this node.
            cursor: String,
            node: $node,
        }

        impl $connection {
            /// A page whose items are positioned by id (as the services' cursors are).
            pub(crate) fn from_page<T>(
                page: Page<T>,
                id: impl Fn(&T) -> Id,
                node: impl Fn(T) -> $node,
            ) -> Self {
                let edges = page
                    .items
                    .into_iter()
                    .map(|item| (Cursor::encode(id(&item).to_string()), node(item)))
                    .collect();
                Self::from_edges(edges, page.next_cursor)
            }

            /// Nodes with the cursor that continues after each.
            #[allow(dead_code, reason = "not every connection type has such a list")]
            pub(crate) fn from_edges(
                edges: Vec<(String, $node)>,
                next_cursor: Option<String>,
            ) -> Self {
                let edges: Vec<$edge> = edges
                    .into_iter()
                    .map(|(cursor, node)| $edge { cursor, node })
                    .collect();
                let cursors: Vec<&str> = edges.iter().map(|edge| edge.cursor.as_str()).collect();
                let page_info = PageInfo::new(&cursors, next_cursor);
                Self {
                    nodes: edges.iter().map(|edge| edge.node.clone()).collect(),
                    page_info,
                    edges,
                }
            }
        }
    };
}

connection!(PostConnection, PostEdge, PostNode);
connection!(CommentConnection, CommentEdge, CommentNode);

/// Forward pagination only: `hasPreviousPage` is always false.
#[derive(SimpleObject)]
pub(crate) struct PageInfo {
    has_next_page: bool,
    has_previous_page: bool,
    start_cursor: Option<String>,
    end_cursor: Option<String>,
}

/// `first` (1 to 100; null means the default) and `after` as the services' page request.
pub(crate) fn page_query(first: Option<i32>, after: Option<&str>) -> Result<PageQuery, ApiError> {
    let limit = u32::try_from(first.unwrap_or(DEFAULT_FIRST))
        .ok()
        .filter(|limit| (1..=MAX_LIMIT).contains(limit))
        .ok_or_else(|| ApiError::invalid_field("first", "must be a whole number from 1 to 100"))?;
    let cursor = match after {
        None | Some("") => None,
        Some(raw) => Some(Cursor::decode(raw)?),
    };
    Ok(PageQuery { limit, cursor })
}

impl PageInfo {
    fn new(cursors: &[&str], next_cursor: Option<String>) -> Self {
        let last = cursors.last().map(|cursor| cursor.to_string());
        Self {
            has_next_page: next_cursor.is_some(),
            has_previous_page: false,
            start_cursor: cursors.first().map(|cursor| cursor.to_string()),
            end_cursor: next_cursor.or(last),
        }
    }
}
