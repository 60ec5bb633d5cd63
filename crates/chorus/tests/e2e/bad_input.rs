//! Bad input gets the right 4xx in the contract's error shape, never a 500.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chorus_core::Id;
use chorus_core::Secret;
use chorus_core::identity::{IDENTITY_HEADER, Identity, IdentityKey};
use chorus_core::token::{AccessClaims, TokenKeys};
use reqwest::StatusCode;
use serde_json::json;

use crate::client::{Api, unique_username};
use crate::harness::{Chorus, Mode};

crate::in_both_modes!(
    malformed_json_is_a_400,
    a_wrong_content_type_is_a_415,
    unknown_fields_are_refused,
    usernames_outside_the_rules_are_refused,
    weak_and_huge_passwords_are_refused,
    an_invalid_email_is_refused,
    an_oversize_body_is_a_413,
    a_taken_username_or_email_is_a_409,
    two_racing_signups_for_one_name_give_one_201_and_one_409,
    a_wrong_password_is_a_401_with_the_same_message_whether_or_not_the_user_exists,
    bad_tokens_are_401s,
    a_forged_identity_header_is_refused,
    unknown_routes_and_methods_answer_in_the_error_shape,
    a_media_path_climbing_out_is_a_4xx,
);

async fn malformed_json_is_a_400(app: &Chorus) {
    let api = Api::new(&app.base);
    let answer = api
        .send(
            api.http
                .post(api.url("/api/v1/auth/signup"))
                .header("content-type", "application/json")
                .body("{\"username\": \"x\",,}"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    answer.error_code();
}

async fn a_wrong_content_type_is_a_415(app: &Chorus) {
    let api = Api::new(&app.base);
    let answer = api
        .send(
            api.http
                .post(api.url("/api/v1/auth/login"))
                .header("content-type", "text/plain")
                .body("{\"identifier\": \"a\", \"password\": \"b\"}"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    answer.error_code();
}

async fn unknown_fields_are_refused(app: &Chorus) {
    let api = Api::new(&app.base);
    let username = unique_username("uf");
    let answer = api
        .post(
            "/api/v1/auth/signup",
            None,
            &json!({ "username": username, "email": format!("{username}@example.com"), "password": "long enough pw", "is_admin": true }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    answer.error_code();
}

async fn usernames_outside_the_rules_are_refused(app: &Chorus) {
    let api = Api::new(&app.base);
    for username in [
        "ab",
        &"a".repeat(31),
        "Alice",
        "al ice",
        "al-ice",
        "ålice",
        "",
    ] {
        let answer = api
            .signup_raw(username, "someone@example.com", "long enough pw")
            .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{username:?}: {}",
            answer.body
        );
        assert_eq!(answer.error_code(), "validation_failed");
    }
}

async fn weak_and_huge_passwords_are_refused(app: &Chorus) {
    let api = Api::new(&app.base);
    let username = unique_username("pw");
    let email = format!("{username}@example.com");
    for password in ["short", "1234567", &"x".repeat(129)] {
        let answer = api.signup_raw(&username, &email, password).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{} chars: {}",
            password.len(),
            answer.body
        );
        answer.error_code();
    }
    let huge = "x".repeat(1024 * 1024);
    let answer = api.signup_raw(&username, &email, &huge).await;
    assert!(
        answer.status == StatusCode::BAD_REQUEST || answer.status == StatusCode::PAYLOAD_TOO_LARGE,
        "a 1 MB password: {}",
        answer.status
    );
    answer.error_code();
}

async fn an_invalid_email_is_refused(app: &Chorus) {
    let api = Api::new(&app.base);
    for email in ["not-an-email", "a@", "@b.c", "a b@c.d", ""] {
        let answer = api
            .signup_raw(&unique_username("em"), email, "long enough pw")
            .await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{email:?}: {}",
            answer.body
        );
        answer.error_code();
    }
}

async fn an_oversize_body_is_a_413(app: &Chorus) {
    let api = Api::new(&app.base);
    let body = format!(
        "{{\"identifier\": \"{}\", \"password\": \"x\"}}",
        "a".repeat(3 * 1024 * 1024)
    );
    let answer = api
        .send(
            api.http
                .post(api.url("/api/v1/auth/login"))
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    answer.error_code();
}

async fn a_taken_username_or_email_is_a_409(app: &Chorus) {
    let api = Api::new(&app.base);
    let session = api.signup("dup").await;
    let username = session.user["username"].as_str().expect("username");
    let email = session.user["email"].as_str().expect("email");

    let same_name = api
        .signup_raw(username, "other@example.com", "long enough pw")
        .await;
    assert_eq!(same_name.status, StatusCode::CONFLICT, "{}", same_name.body);
    same_name.error_code();
    let same_email = api
        .signup_raw(
            &unique_username("dup"),
            &email.to_uppercase(),
            "long enough pw",
        )
        .await;
    assert_eq!(
        same_email.status,
        StatusCode::CONFLICT,
        "{}",
        same_email.body
    );
}

async fn two_racing_signups_for_one_name_give_one_201_and_one_409(app: &Chorus) {
    let api = Api::new(&app.base);
    let username = unique_username("race");
    let (email_a, email_b) = (
        format!("{username}@a.example"),
        format!("{username}@b.example"),
    );
    let (a, b) = tokio::join!(
        api.signup_raw(&username, &email_a, "long enough pw"),
        api.signup_raw(&username, &email_b, "long enough pw"),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} / {}", a.body, b.body);
}

async fn a_wrong_password_is_a_401_with_the_same_message_whether_or_not_the_user_exists(
    app: &Chorus,
) {
    let api = Api::new(&app.base);
    let session = api.signup("wp").await;
    let known = api
        .login(
            session.user["username"].as_str().expect("name"),
            "wrong password",
        )
        .await;
    let unknown = api
        .login(&unique_username("nobody"), "wrong password")
        .await;
    assert_eq!(known.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        known.body, unknown.body,
        "the answer must not tell whether the account exists"
    );
}

async fn bad_tokens_are_401s(app: &Chorus) {
    let api = Api::new(&app.base);
    let session = api.signup("tk").await;
    let user_id: i64 = session.user["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("numeric");
    let now = chrono::Utc::now().timestamp();
    let keys = TokenKeys::new(&app.jwt_secret());
    let claims = |exp: i64| AccessClaims {
        sub: Id(user_id),
        sid: Id(1),
        iat: now - 100,
        exp,
        csrf: None,
    };

    let expired = keys.issue(&claims(now - 10));
    let foreign = TokenKeys::new(&Secret::new("not our secret")).issue(&claims(now + 600));
    let mut tampered = session.access_token.clone();
    tampered.insert(tampered.len() / 2, 'x');
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let none_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(now + 600)).expect("json"));
    let alg_none = format!("{none_header}.{none_body}.");

    for (what, token) in [
        ("expired", expired.as_str()),
        ("signed with another key", foreign.as_str()),
        ("tampered", tampered.as_str()),
        ("alg none", alg_none.as_str()),
        ("garbage", "abc"),
    ] {
        let answer = api.me(token).await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {}",
            answer.body
        );
        answer.error_code();
    }
    let basic = api
        .send(
            api.http
                .get(api.url("/api/v1/auth/me"))
                .header("authorization", "Basic YTpi"),
        )
        .await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
}

async fn a_forged_identity_header_is_refused(app: &Chorus) {
    let api = Api::new(&app.base);
    let session = api.signup("fi").await;
    let user_id: i64 = session.user["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("numeric");
    let forged = IdentityKey::new(&Secret::new("guessed key")).sign(Identity {
        user_id: Id(user_id),
        session_id: Id(1),
    });

    // Through the gateway, a client's identity header is dropped: still anonymous.
    let through_gateway = api
        .send(
            api.http
                .get(api.url("/api/v1/auth/me"))
                .header(IDENTITY_HEADER, &forged),
        )
        .await;
    assert_eq!(through_gateway.status, StatusCode::UNAUTHORIZED);
    through_gateway.error_code();

    // Straight to the service, it is checked and refused.
    if app.mode == Mode::Distributed {
        let direct = app.auth_direct.as_deref().expect("auth address");
        let answer = api
            .send(
                api.http
                    .get(format!("{direct}/api/v1/auth/me"))
                    .header(IDENTITY_HEADER, &forged),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
        answer.error_code();
    }
}

async fn unknown_routes_and_methods_answer_in_the_error_shape(app: &Chorus) {
    let api = Api::new(&app.base);
    let missing = api.get("/api/v1/no-such-thing", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    missing.error_code();
    let wrong_method = api
        .send(api.http.delete(api.url("/api/v1/auth/login")))
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    wrong_method.error_code();
}

/// A media key or path that tries to climb out of the media store (`../`,
/// encoded or not) is a clean 4xx, never a file from elsewhere or a 500.
async fn a_media_path_climbing_out_is_a_4xx(app: &Chorus) {
    let api = Api::new(&app.base);
    for path in [
        "/media/..%2F..%2Fsecrets.json",
        "/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/media/..%5C..%5Csecrets.json",
        "/media/1/..%2F..%2Fsecrets.json",
        "/api/v1/media/..%2Fsecrets.json",
        "/media/sha256%2F..%2F..%2Fsecrets.json",
    ] {
        let answer = api.get(path, None).await;
        assert!(
            answer.status.is_client_error(),
            "{path}: {} {}",
            answer.status,
            answer.body
        );
        assert!(
            answer.body["error"]["code"].is_string(),
            "{path}: the error shape: {}",
            answer.body
        );
    }
}
