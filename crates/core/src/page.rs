//! Cursor pagination: `?limit=&cursor=` in, `{"items": […], "next_cursor": …}` out.
//!
//! Cursors are opaque to clients: base64url of whatever position the service
//! needs (usually the last id seen) and a check tag, so a service can change
//! its position format without breaking anyone, and a cursor edited by hand
//! is refused (400) rather than read as some other position.

use axum::extract::{FromRequestParts, Query};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::request::Parts;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ApiError;

pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// The query parameters of a list route.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageRequest {
    /// Items per page: 1 to 100, default 20.
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The page size: default 20, at most 100; anything but a positive integer is refused.
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit.as_deref() {
            None | Some("") => Ok(DEFAULT_LIMIT),
            Some(raw) => match raw.parse::<u64>() {
                Ok(0) | Err(_) => Err(ApiError::invalid_field(
                    "limit",
                    "must be a whole number from 1 to 100",
                )),
                Ok(n) => Ok(n.min(u64::from(MAX_LIMIT)) as u32),
            },
        }
    }

    pub fn cursor(&self) -> Result<Option<Cursor>, ApiError> {
        match self.cursor.as_deref() {
            None | Some("") => Ok(None),
            Some(raw) => Cursor::decode(raw).map(Some),
        }
    }

    /// Both parameters, checked.
    pub fn parse(&self) -> Result<PageQuery, ApiError> {
        Ok(PageQuery {
            limit: self.limit()?,
            cursor: self.cursor()?,
        })
    }
}

/// A checked page request: what services' list methods take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageQuery {
    /// 1 to 100.
    pub limit: u32,
    /// Where the previous page ended; `None` for the first page.
    pub cursor: Option<Cursor>,
}

impl PageQuery {
    pub fn first(limit: u32) -> Self {
        Self {
            limit: limit.clamp(1, MAX_LIMIT),
            cursor: None,
        }
    }
}

/// A decoded position in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(pub String);

impl Cursor {
    pub fn encode(position: impl AsRef<str>) -> String {
        let position = position.as_ref();
        URL_SAFE_NO_PAD.encode(format!("{position}~{}", check_tag(position)))
    }

    pub fn decode(raw: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::invalid_field("cursor", "not a cursor this list gave out");
        let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (position, tag) = text.rsplit_once('~').ok_or_else(invalid)?;
        if tag != check_tag(position) {
            return Err(invalid());
        }
        Ok(Cursor(position.to_string()))
    }

    /// The position as an integer (the common case: an id or a sequence).
    pub fn as_i64(&self) -> Result<i64, ApiError> {
        self.0
            .parse()
            .map_err(|_| ApiError::invalid_field("cursor", "not a cursor this list gave out"))
    }
}

/// Eight hex digits of a hash of the position: not a secret (a forged cursor
/// only moves where a list starts, never what a caller may see), just enough
/// that an edited cursor fails loudly.
fn check_tag(position: &str) -> String {
    let digest = Sha256::digest(position.as_bytes());
    digest[..4].iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched rows: the extra row only
    /// tells that there is more, and `position` makes the cursor from the last kept row.
    pub fn from_overfetch(mut rows: Vec<T>, limit: u32, position: impl Fn(&T) -> String) -> Self {
        let limit = limit as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last().map(|last| Cursor::encode(position(last)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

/// Extractor of `?limit=&cursor=`, checked: 400 for a bad limit or a cursor
/// this service did not give out.
pub struct ListPage(pub PageQuery);

impl<S: Send + Sync> FromRequestParts<S> for ListPage {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(request) = Query::<PageRequest>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::validation(rejection.body_text()))?;
        request.parse().map(ListPage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(limit: Option<&str>) -> PageRequest {
        PageRequest {
            limit: limit.map(String::from),
            cursor: None,
        }
    }

    #[test]
    fn limit_defaults_to_twenty_and_caps_at_a_hundred() {
        assert_eq!(request(None).limit().expect("ok"), 20);
        assert_eq!(request(Some("5")).limit().expect("ok"), 5);
        assert_eq!(request(Some("5000")).limit().expect("ok"), 100);
    }

    #[test]
    fn a_limit_that_is_not_a_positive_number_is_refused() {
        for bad in ["0", "-1", "ten", "1.5"] {
            assert!(request(Some(bad)).limit().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let raw = Cursor::encode("12345");
        assert_eq!(
            Cursor::decode(&raw)
                .expect("decodes")
                .as_i64()
                .expect("int"),
            12345
        );
        assert!(Cursor::decode("!!!").is_err());
    }

    #[test]
    fn an_edited_cursor_is_refused() {
        let raw = Cursor::encode("12345");
        let forged = URL_SAFE_NO_PAD.encode("12346~00000000");
        assert!(Cursor::decode(&forged).is_err());
        let mut flipped = raw.clone().into_bytes();
        flipped[0] = if flipped[0] == b'M' { b'N' } else { b'M' };
        let flipped = String::from_utf8(flipped).expect("ascii");
        assert!(Cursor::decode(&flipped).is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode("12345")).is_err());
    }

    #[test]
    fn a_page_knows_whether_more_follows() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next_cursor, Some(Cursor::encode("2")));
        let last = Page::from_overfetch(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(last.next_cursor, None);
    }
}
