//! The auth routes of API.md, as a client uses them.

use reqwest::StatusCode;
use serde_json::json;

use crate::client::{Api, unique_username};
use crate::harness::Chorus;

crate::in_both_modes!(
    signing_up_returns_the_user_and_a_token_pair,
    logging_in_works_by_username_and_by_email,
    me_returns_the_signed_in_user,
    logging_out_stops_both_tokens_at_once,
    refreshing_rotates_and_reusing_an_old_refresh_token_revokes_the_session,
    changing_the_password_revokes_the_other_sessions,
    cookie_mode_sets_http_only_cookies_and_requires_the_csrf_header,
);

async fn signing_up_returns_the_user_and_a_token_pair(app: &Chorus) {
    let api = Api::new(&app.base);
    let username = unique_username("ana");
    let answer = api
        .post(
            "/api/v1/auth/signup",
            None,
            &json!({ "username": username, "email": format!("{username}@Example.com"), "password": "correct horse", "display_name": "Ana" }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let body = &answer.body;
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().expect("expires_in") > 0);
    assert!(
        body["access_token"]
            .as_str()
            .is_some_and(|t| t.split('.').count() == 3)
    );
    assert!(
        body["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 32)
    );
    let user = &body["user"];
    assert!(
        user["id"]
            .as_str()
            .is_some_and(|id| id.parse::<i64>().is_ok()),
        "id is a numeric string: {user}"
    );
    assert_eq!(user["username"], username.as_str());
    assert_eq!(
        user["email"],
        format!("{username}@example.com"),
        "emails are kept lowercase"
    );
    assert_eq!(user["display_name"], "Ana");
    assert!(
        user["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "RFC 3339 UTC: {user}"
    );
}

async fn logging_in_works_by_username_and_by_email(app: &Chorus) {
    let api = Api::new(&app.base);
    let session = api.signup("bo").await;
    let username = session.user["username"].as_str().expect("username");
    let email = session.user["email"].as_str().expect("email");

    for identifier in [
        username.to_string(),
        email.to_string(),
        email.to_uppercase(),
    ] {
        let answer = api.login(&identifier, &session.password).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "login as {identifier}: {}",
            answer.body
        );
        assert_eq!(answer.body["user"]["id"], session.user["id"]);
        assert_eq!(answer.body["token_type"], "Bearer");
    }
}

async fn me_returns_the_signed_in_user(app: &Chorus) {
    let api = Api::new(&app.base);
    let session = api.signup("cy").await;
    let answer = api.me(&session.access_token).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, session.user);

    let anonymous = api.get("/api/v1/auth/me", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    anonymous.error_code();
}

async fn logging_out_stops_both_tokens_at_once(app: &Chorus) {
    let api = Api::new(&app.base);
    let session = api.signup("di").await;
    let answer = api.logout(&session.access_token).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);

    let me = api.me(&session.access_token).await;
    assert_eq!(
        me.status,
        StatusCode::UNAUTHORIZED,
        "the access token must stop working at once"
    );
    me.error_code();
    let refreshed = api.refresh(&session.refresh_token).await;
    assert_eq!(
        refreshed.status,
        StatusCode::UNAUTHORIZED,
        "the refresh token too"
    );
    refreshed.error_code();
}

async fn refreshing_rotates_and_reusing_an_old_refresh_token_revokes_the_session(app: &Chorus) {
    let api = Api::new(&app.base);
    let session = api.signup("ed").await;

    let first = api.refresh(&session.refresh_token).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let new_access = first.body["access_token"]
        .as_str()
        .expect("access")
        .to_string();
    let new_refresh = first.body["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_string();
    assert_ne!(new_refresh, session.refresh_token);
    assert_eq!(api.me(&new_access).await.status, StatusCode::OK);

    // The old refresh token again: a sign of theft, so the whole session ends.
    let reused = api.refresh(&session.refresh_token).await;
    assert_eq!(reused.status, StatusCode::UNAUTHORIZED);
    reused.error_code();
    assert_eq!(
        api.refresh(&new_refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(api.me(&new_access).await.status, StatusCode::UNAUTHORIZED);
}

async fn changing_the_password_revokes_the_other_sessions(app: &Chorus) {
    let api = Api::new(&app.base);
    let session = api.signup("fa").await;
    let username = session.user["username"]
        .as_str()
        .expect("username")
        .to_string();
    let other = api.login(&username, &session.password).await;
    let other_token = other.body["access_token"]
        .as_str()
        .expect("token")
        .to_string();

    let wrong = api
        .post(
            "/api/v1/auth/password",
            Some(&session.access_token),
            &json!({ "current_password": "not the password", "new_password": "a brand new password" }),
        )
        .await;
    assert!(wrong.status.is_client_error(), "{}", wrong.body);

    let changed = api
        .post(
            "/api/v1/auth/password",
            Some(&session.access_token),
            &json!({ "current_password": session.password, "new_password": "a brand new password" }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    assert_eq!(
        api.me(&session.access_token).await.status,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        api.me(&other_token).await.status,
        StatusCode::UNAUTHORIZED,
        "the others end"
    );
    assert_eq!(
        api.login(&username, &session.password).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        api.login(&username, "a brand new password").await.status,
        StatusCode::OK
    );
}

async fn cookie_mode_sets_http_only_cookies_and_requires_the_csrf_header(app: &Chorus) {
    let plain = Api::new(&app.base);
    let session = plain.signup("gu").await;
    let username = session.user["username"].as_str().expect("username");

    let browser = Api::with_cookies(&app.base);
    let login = browser
        .post(
            "/api/v1/auth/login",
            None,
            &json!({ "identifier": username, "password": session.password, "cookie": true }),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let cookies: Vec<String> = login
        .headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ascii").to_string())
        .collect();
    let access = cookies
        .iter()
        .find(|c| c.starts_with("chorus_access="))
        .expect("access cookie");
    assert!(access.contains("HttpOnly"), "{access}");
    assert!(access.contains("SameSite"), "{access}");
    let csrf = cookies
        .iter()
        .find(|c| c.starts_with("chorus_csrf="))
        .and_then(|c| c.split(';').next())
        .and_then(|c| c.split_once('='))
        .map(|(_, v)| v.to_string())
        .expect("csrf cookie");

    // Reads need only the cookie.
    let me = browser.get("/api/v1/auth/me", None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);

    // A state-changing request without the CSRF header is refused…
    let forged = browser
        .send(browser.http.post(browser.url("/api/v1/auth/logout")))
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    forged.error_code();
    // …and with it, goes through.
    let logout = browser
        .send(
            browser
                .http
                .post(browser.url("/api/v1/auth/logout"))
                .header("x-csrf-token", csrf),
        )
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT, "{}", logout.body);
}
