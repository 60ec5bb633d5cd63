//! The application layer: every rule of the service, in one place. The REST
//! routes and the Socket.IO handlers both call these methods and nothing
//! else, so a message sent either way is checked, stored, announced on the
//! bus and delivered live the same way.

mod calls;
mod conversations;
mod messages;
mod presence;
mod receipts;
pub mod views;

use std::collections::HashMap;
use std::sync::Arc;

use chorus_core::time::{Timestamp, from_micros, now, to_micros};
use chorus_core::{ApiError, ApiResult, Id, IdGenerator};
use chorus_ports::Db;
use chorus_ports::outbox::AfterCommit;
use chorus_rpc::UsersApi;
use chorus_rpc::users::UserCard;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use calls::{CallAction, Signal};

use crate::config::ChatConfig;
use crate::live::{Fanout, Presence};
use crate::store::conversations::{self as stored_conversations, ConversationRecord};
use crate::store::members;

/// The chat's use cases; cheap to clone.
#[derive(Clone)]
pub struct Chat {
    inner: Arc<Inner>,
}

/// What the chat is built from.
pub struct ChatParts {
    pub db: Db,
    pub ids: Arc<IdGenerator>,
    pub users: Arc<dyn UsersApi>,
    pub config: ChatConfig,
    pub after_commit: AfterCommit,
    pub fanout: Fanout,
    pub presence: Presence,
    /// Where timers (unanswered calls) run, and when they stop.
    pub tasks: TaskTracker,
    pub shutdown: CancellationToken,
}

struct Inner {
    parts: ChatParts,
}

impl Chat {
    pub fn new(parts: ChatParts) -> Self {
        Self {
            inner: Arc::new(Inner { parts }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.parts.db
    }

    pub fn config(&self) -> &ChatConfig {
        &self.inner.parts.config
    }

    pub fn presence(&self) -> &Presence {
        &self.inner.parts.presence
    }

    fn ids(&self) -> &IdGenerator {
        &self.inner.parts.ids
    }

    fn users(&self) -> &dyn UsersApi {
        self.inner.parts.users.as_ref()
    }

    fn fanout(&self) -> &Fanout {
        &self.inner.parts.fanout
    }

    fn after_commit(&self) -> AfterCommit {
        self.inner.parts.after_commit
    }

    /// The conversation, if `user` is one of its members; 404 otherwise,
    /// whether it does not exist or is someone else's.
    pub async fn member_conversation(
        &self,
        user: Id,
        conversation: Id,
    ) -> ApiResult<ConversationRecord> {
        let reader = self.db().reader();
        let found = stored_conversations::find(reader, conversation)
            .await
            .map_err(ApiError::internal)?;
        match found {
            Some(record)
                if members::is_member(reader, conversation, user)
                    .await
                    .map_err(ApiError::internal)? =>
            {
                Ok(record)
            }
            _ => Err(no_such_conversation()),
        }
    }

    /// Cards of `ids` that exist, by id.
    async fn cards(&self, ids: &[Id]) -> ApiResult<HashMap<Id, UserCard>> {
        let mut wanted = ids.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        Ok(self
            .users()
            .cards(&wanted)
            .await?
            .into_iter()
            .map(|card| (card.id, card))
            .collect())
    }

    async fn card(&self, id: Id) -> ApiResult<Option<UserCard>> {
        Ok(self.cards(&[id]).await?.remove(&id))
    }
}

/// Now, at the microsecond precision it is stored with, so that what a change
/// answers equals what a later read shows.
fn stored_now() -> Timestamp {
    from_micros(to_micros(now()))
}

pub fn no_such_conversation() -> ApiError {
    ApiError::not_found("no such conversation")
}

fn no_such_user() -> ApiError {
    ApiError::not_found("no such user")
}
