//! Benchmark only: DeathStarBench's social-network front end (`/wrk2-api/*`),
//! so that its wrk2 load scripts run against Chorus unchanged.
//!
//! Served only when `gateway.wrk2_api` is on (off by default; a warning at
//! start says so); otherwise these paths are unknown routes (404). They are
//! **unauthenticated**: each request acts for the user it names, as
//! DeathStarBench's front end does. This module translates it into Chorus
//! public API calls, sent through the gateway's own upstream dispatch with
//! the identity header signed for that user; nothing outside it changes, and
//! every other route still needs a token.
//!
//! | route | Chorus calls | answer |
//! |---|---|---|
//! | `POST /wrk2-api/user/register` | `POST /api/v1/auth/signup` | `Success!` |
//! | `POST /wrk2-api/user/follow` | `POST /api/v1/users/{id}/follow` | `Success!` |
//! | `POST /wrk2-api/user/unfollow` | `DELETE /api/v1/users/{id}/follow` | `Success!` |
//! | `POST /wrk2-api/post/compose` | `POST /api/v1/posts` (public) | `Successfully upload post` |
//! | `GET`/`POST /wrk2-api/home-timeline/read` | `GET /api/v1/feed?limit=…` | JSON array |
//! | `GET`/`POST /wrk2-api/user-timeline/read` | `GET /api/v1/users/{id}/posts?limit=…` | JSON array |
//!
//! Parameters are DeathStarBench's (see `form`), from a form body and the
//! query string. Its user ids map to Chorus ids through the `directory` in
//! the cache, written at registration. A user the map does not know is
//! looked up by username (`GET /api/v1/users/{username}`); one named only
//! by id is looked up as `username_<id>`, DeathStarBench's naming. A read
//! for a user that cannot be found answers `[]`, as DeathStarBench does.
//!
//! A registration answers once the users service has the new profile (it
//! may lag the signup in distributed mode), so that a follow may come at once.
//!
//! Signing up needs an email: `<username>@wrk2.invalid` (`.invalid` is
//! reserved, RFC 2606, so it is nobody's; the auth service accepts it). The
//! password is DeathStarBench's, so it must meet Chorus's rules (8 to 128
//! characters; the scripts' `password_<i>` do), as the username must
//! (3 to 30 of a-z, 0-9, `_`; `username_<i>` does). Mentions `@username_<j>`
//! in a composed text are ordinary Chorus mentions. Media ids are ignored
//! (see [`form::Compose`]).
//!
//! Errors are DeathStarBench's: a status and one line of text. Missing
//! parameters answer `400 Incomplete arguments`, unusable ones
//! `400 Invalid arguments: …`; a Chorus refusal keeps its status, e.g.
//! `409 User registration failure: this username is already taken`.

mod answer;
mod chorus;
mod directory;
mod form;
mod timeline;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chorus_core::{Id, IdentityKey};
use chorus_ports::Cache;
use http::{HeaderMap, StatusCode, Uri};

use crate::observe::REQUEST_ID;
use answer::Failure;
use chorus::{Chorus, Dispatch};
use directory::Directory;
use form::{Compose, Pair, Params, Read, Register};
use timeline::Entry;

/// The domain of the emails given to DeathStarBench's users.
const EMAIL_DOMAIN: &str = "wrk2.invalid";

/// How long a registration waits for the users service to make the profile.
const PROFILE_WAIT: Duration = Duration::from_secs(5);

/// The log line at start when the routes are on.
pub(crate) const WARNING: &str = "gateway.wrk2_api is on: the benchmark-only /wrk2-api/* routes act for any user without a token; never turn it on in production";

struct Wrk2 {
    dispatch: Arc<Dispatch>,
    directory: Directory,
}

/// The routes, sending their Chorus calls to `services` (the upstream
/// routers, without the authentication layer).
pub(crate) fn routes(services: Router, identity_key: IdentityKey, cache: Arc<dyn Cache>) -> Router {
    let state = Arc::new(Wrk2 {
        dispatch: Arc::new(Dispatch {
            services,
            identity_key,
        }),
        directory: Directory::new(cache),
    });
    Router::new()
        .route("/wrk2-api/user/register", post(register))
        .route("/wrk2-api/user/follow", post(follow))
        .route("/wrk2-api/user/unfollow", post(unfollow))
        .route("/wrk2-api/post/compose", post(compose))
        .route(
            "/wrk2-api/home-timeline/read",
            get(home_timeline).post(home_timeline),
        )
        .route(
            "/wrk2-api/user-timeline/read",
            get(user_timeline).post(user_timeline),
        )
        .with_state(state)
}

/// What every handler reads: the parameters, and Chorus for this request.
fn incoming(wrk2: &Wrk2, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> (Params, Chorus) {
    let chorus = Chorus::new(Arc::clone(&wrk2.dispatch), headers.get(REQUEST_ID).cloned());
    (Params::new(uri.query(), body), chorus)
}

/// The answer of a request, or the failure worded as `operation`'s.
fn outcome<T>(
    result: Result<T, Failure>,
    operation: &str,
    answer: impl FnOnce(T) -> Response,
) -> Response {
    match result {
        Ok(value) => answer(value),
        Err(failure) => failure.during(operation).into_response(),
    }
}

async fn register(
    State(wrk2): State<Arc<Wrk2>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (params, chorus) = incoming(&wrk2, &uri, &headers, &body);
    let request = match Register::from(&params) {
        Ok(request) => request,
        Err(refused) => return Failure::from(refused).into_response(),
    };
    outcome(
        wrk2.register(&chorus, &request).await,
        "User registration failure",
        |()| answer::text("Success!"),
    )
}

async fn follow(state: State<Arc<Wrk2>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    follow_or_unfollow(state, uri, headers, body, true).await
}

async fn unfollow(state: State<Arc<Wrk2>>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    follow_or_unfollow(state, uri, headers, body, false).await
}

async fn follow_or_unfollow(
    State(wrk2): State<Arc<Wrk2>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    follow: bool,
) -> Response {
    let (params, chorus) = incoming(&wrk2, &uri, &headers, &body);
    let pair = match Pair::from(&params) {
        Ok(pair) => pair,
        Err(refused) => return Failure::from(refused).into_response(),
    };
    let result = match wrk2.pair(&chorus, &pair).await {
        Ok((user, followee)) if follow => chorus.follow(user, followee).await,
        Ok((user, followee)) => chorus.unfollow(user, followee).await,
        Err(failure) => Err(failure),
    };
    let refusal = if follow {
        "Follow Failed"
    } else {
        "Unfollow Failed"
    };
    outcome(result, refusal, |()| answer::text("Success!"))
}

async fn compose(
    State(wrk2): State<Arc<Wrk2>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (params, chorus) = incoming(&wrk2, &uri, &headers, &body);
    let request = match Compose::from(&params) {
        Ok(request) => request,
        Err(refused) => return Failure::from(refused).into_response(),
    };
    outcome(
        wrk2.compose(&chorus, &request).await,
        "compose_post failure",
        |()| answer::text("Successfully upload post"),
    )
}

/// Which timeline a read is for.
#[derive(Clone, Copy)]
enum Timeline {
    Home,
    User,
}

async fn home_timeline(
    State(wrk2): State<Arc<Wrk2>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    read(&wrk2, &uri, &headers, &body, Timeline::Home).await
}

async fn user_timeline(
    State(wrk2): State<Arc<Wrk2>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    read(&wrk2, &uri, &headers, &body, Timeline::User).await
}

async fn read(
    wrk2: &Wrk2,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    timeline: Timeline,
) -> Response {
    let (params, chorus) = incoming(wrk2, uri, headers, body);
    let request = match Read::from(&params) {
        Ok(request) => request,
        Err(refused) => return Failure::from(refused).into_response(),
    };
    let operation = match timeline {
        Timeline::Home => "Get home-timeline failure",
        Timeline::User => "Get user-timeline failure",
    };
    outcome(
        wrk2.read(&chorus, &request, timeline).await,
        operation,
        |entries| answer::json(&entries),
    )
}

/// DeathStarBench's `Success!` means the user may be followed at once: wait
/// (a little) until the users service has the new profile. Past the wait
/// the account exists anyway, and its profile comes soon after.
async fn wait_for_profile(chorus: &Chorus, id: Id) -> Result<(), Failure> {
    let found = chorus_core::wait::until_some(PROFILE_WAIT, Duration::from_millis(20), || async {
        Ok::<_, Failure>(chorus.has_profile(id).await?.then_some(()))
    })
    .await?;
    if found.is_none() {
        tracing::warn!(user_id = %id, "wrk2: the new profile is not there yet");
    }
    Ok(())
}

fn no_such_user(who: impl std::fmt::Display) -> Failure {
    Failure::new(StatusCode::NOT_FOUND, format!("no such user: {who}"))
}

impl Wrk2 {
    async fn register(&self, chorus: &Chorus, request: &Register) -> Result<(), Failure> {
        let email = format!("{}@{EMAIL_DOMAIN}", request.username);
        let account = chorus
            .signup(
                &request.username,
                &email,
                &request.password,
                &request.display_name(),
            )
            .await?;
        self.directory
            .remember(request.user_id, account.id, &account.username)
            .await
            .map_err(|error| Failure::cache(&error))?;
        wait_for_profile(chorus, account.id).await
    }

    /// The Chorus ids of a follow's two users.
    async fn pair(&self, chorus: &Chorus, pair: &Pair) -> Result<(Id, Id), Failure> {
        match pair {
            Pair::Ids { user, followee } => Ok((
                self.by_user_id(chorus, *user)
                    .await?
                    .ok_or_else(|| no_such_user(user))?,
                self.by_user_id(chorus, *followee)
                    .await?
                    .ok_or_else(|| no_such_user(followee))?,
            )),
            Pair::Names { user, followee } => Ok((
                self.by_name(chorus, user)
                    .await?
                    .ok_or_else(|| no_such_user(user))?,
                self.by_name(chorus, followee)
                    .await?
                    .ok_or_else(|| no_such_user(followee))?,
            )),
        }
    }

    async fn compose(&self, chorus: &Chorus, request: &Compose) -> Result<(), Failure> {
        let author = match self.by_user_id(chorus, request.user_id).await? {
            Some(author) => author,
            None => self
                .by_name(chorus, &request.username)
                .await?
                .ok_or_else(|| no_such_user(request.user_id))?,
        };
        chorus.post(author, &request.text).await
    }

    async fn read(
        &self,
        chorus: &Chorus,
        request: &Read,
        timeline: Timeline,
    ) -> Result<Vec<Entry>, Failure> {
        if request.is_empty() {
            return Ok(Vec::new());
        }
        let Some(user) = self.by_user_id(chorus, request.user_id).await? else {
            return Ok(Vec::new());
        };
        let posts = timeline::first(request.stop, |limit, cursor| async move {
            match timeline {
                Timeline::Home => chorus.feed(user, limit, cursor.as_deref()).await,
                Timeline::User => chorus.posts_of(user, limit, cursor.as_deref()).await,
            }
        })
        .await?;
        let posts: Vec<_> = posts.into_iter().skip(request.start).collect();
        let (authors, names) = timeline::people(&posts);
        let labels = self
            .directory
            .labels(&authors, &names)
            .await
            .map_err(|error| Failure::cache(&error))?;
        Ok(posts
            .into_iter()
            .map(|post| timeline::entry(post, &labels))
            .collect())
    }

    /// The Chorus id of DeathStarBench's user `user_id`: registered here,
    /// else the account named `username_<user_id>`.
    async fn by_user_id(&self, chorus: &Chorus, user_id: i64) -> Result<Option<Id>, Failure> {
        let known = self
            .directory
            .by_user_id(user_id)
            .await
            .map_err(|error| Failure::cache(&error))?;
        match known {
            Some(known) => Ok(Some(known.id)),
            None => self.by_name(chorus, &format!("username_{user_id}")).await,
        }
    }

    /// The Chorus id of the account named `username`, remembered once found.
    async fn by_name(&self, chorus: &Chorus, username: &str) -> Result<Option<Id>, Failure> {
        let known = self
            .directory
            .by_name(username)
            .await
            .map_err(|error| Failure::cache(&error))?;
        if let Some(known) = known {
            return Ok(Some(known.id));
        }
        let Some(account) = chorus.account_named(username).await? else {
            return Ok(None);
        };
        if let Err(error) = self.directory.remember_name(username, account.id).await {
            tracing::warn!(%error, "wrk2: cannot remember a username");
        }
        Ok(Some(account.id))
    }
}
