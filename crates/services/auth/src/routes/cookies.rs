//! Cookie mode: a browser client keeps its tokens in cookies instead of script.
//!
//! - `chorus_access`: the access token; HttpOnly, SameSite=Lax, Path=/.
//! - `chorus_refresh`: the refresh token; HttpOnly, SameSite=Strict, sent only
//!   to `/api/v1/auth`.
//! - `chorus_csrf`: a random value script can read (not HttpOnly) and must echo
//!   in `x-csrf-token` on state-changing requests; the same value is in the
//!   access token's `csrf` claim, which the gateway compares.

use axum::response::AppendHeaders;
use axum_extra::extract::CookieJar;
use chorus_core::token::{ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE};
use http::HeaderName;
use http::header::SET_COOKIE;

use crate::state::AppState;
use crate::tokens::Issued;

/// The path the refresh cookie is sent to.
const REFRESH_PATH: &str = "/api/v1/auth";

pub type SetCookies = AppendHeaders<Vec<(HeaderName, String)>>;

/// No cookies to set.
pub fn none() -> SetCookies {
    AppendHeaders(Vec::new())
}

/// The three session cookies for freshly issued tokens.
pub fn session(state: &AppState, issued: &Issued) -> SetCookies {
    let secure = state.config.cookie_secure;
    let access_ttl = state.access_ttl.as_secs();
    let mut cookies = vec![
        SetCookie {
            name: ACCESS_COOKIE,
            value: &issued.access_token,
            path: "/",
            max_age: access_ttl,
            http_only: true,
            same_site: "Lax",
            secure,
        },
        SetCookie {
            name: REFRESH_COOKIE,
            value: &issued.refresh_token,
            path: REFRESH_PATH,
            max_age: state.config.refresh_ttl_secs,
            http_only: true,
            same_site: "Strict",
            secure,
        },
    ];
    if let Some(csrf) = &issued.csrf {
        cookies.push(SetCookie {
            name: CSRF_COOKIE,
            value: csrf,
            path: "/",
            max_age: access_ttl,
            http_only: false,
            same_site: "Lax",
            secure,
        });
    }
    AppendHeaders(cookies.iter().map(|c| (SET_COOKIE, c.render())).collect())
}

/// Expires whichever session cookies the request carried.
pub fn clear(state: &AppState, jar: &CookieJar) -> SetCookies {
    let secure = state.config.cookie_secure;
    let cookies = [
        (ACCESS_COOKIE, "/", true, "Lax"),
        (REFRESH_COOKIE, REFRESH_PATH, true, "Strict"),
        (CSRF_COOKIE, "/", false, "Lax"),
    ];
    AppendHeaders(
        cookies
            .into_iter()
            .filter(|(name, ..)| jar.get(name).is_some())
            .map(|(name, path, http_only, same_site)| {
                let cookie = SetCookie {
                    name,
                    value: "",
                    path,
                    max_age: 0,
                    http_only,
                    same_site,
                    secure,
                };
                (SET_COOKIE, cookie.render())
            })
            .collect(),
    )
}

/// The refresh token a cookie-mode client sent, if any.
pub fn refresh_token(jar: &CookieJar) -> Option<String> {
    jar.get(REFRESH_COOKIE)
        .map(|cookie| cookie.value().to_string())
        .filter(|value| !value.is_empty())
}

struct SetCookie<'a> {
    name: &'a str,
    /// Tokens are base64url or JWTs: cookie-safe as they are.
    value: &'a str,
    path: &'a str,
    max_age: u64,
    http_only: bool,
    same_site: &'a str,
    secure: bool,
}

impl SetCookie<'_> {
    fn render(&self) -> String {
        let mut header = format!(
            "{}={}; Path={}; Max-Age={}; SameSite={}",
            self.name, self.value, self.path, self.max_age, self.same_site
        );
        if self.http_only {
            header.push_str("; HttpOnly");
        }
        if self.secure {
            header.push_str("; Secure");
        }
        header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_renders_every_attribute() {
        let cookie = SetCookie {
            name: "chorus_access",
            value: "abc",
            path: "/",
            max_age: 900,
            http_only: true,
            same_site: "Lax",
            secure: true,
        };
        assert_eq!(
            cookie.render(),
            "chorus_access=abc; Path=/; Max-Age=900; SameSite=Lax; HttpOnly; Secure"
        );
    }

    #[test]
    fn a_readable_cookie_is_not_http_only() {
        let cookie = SetCookie {
            name: "chorus_csrf",
            value: "xyz",
            path: "/",
            max_age: 900,
            http_only: false,
            same_site: "Lax",
            secure: false,
        };
        assert_eq!(
            cookie.render(),
            "chorus_csrf=xyz; Path=/; Max-Age=900; SameSite=Lax"
        );
    }
}
