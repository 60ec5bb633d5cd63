//! Presence as members see it: who of a room is online, and the news when
//! someone comes online or leaves the last of their connections.

use std::future::Future;

use chorus_core::time::Timestamp;
use chorus_core::{ApiError, ApiResult, Id};

use super::views::RoomUser;
use super::{Chat, stored_now};
use crate::live::rooms::{CHAT_NAMESPACE, conversation_room};
use crate::live::{RoomEmit, wire};
use crate::store::{conversations, last_seen, members};

/// The conversations whose rooms hear of a member's presence changes: the
/// most recently active ones.
const PRESENCE_ROOMS: u32 = 500;

impl Chat {
    /// A `/chat` socket of `user` opened here. The count changes at once
    /// (so that a quick disconnect cannot overtake it); the returned future
    /// writes it to the cache and, for the user's first socket here, tells
    /// their conversations they are online.
    pub fn socket_opened(&self, user: Id) -> impl Future<Output = ()> + Send + use<> {
        let first_here = self.presence().socket_opened(user);
        let chat = self.clone();
        async move {
            if let Err(error) = chat.presence().publish(user).await {
                tracing::warn!(error = %format!("{error:#}"), %user, "cannot record presence");
            }
            if first_here {
                chat.announce_presence(user, true, Some(stored_now())).await;
            }
        }
    }

    /// A `/chat` socket of `user` closed here. When it was their last one
    /// anywhere, `last_seen_at` is recorded and their conversations hear
    /// they went offline.
    pub fn socket_closed(&self, user: Id) -> impl Future<Output = ()> + Send + use<> {
        let last_here = self.presence().socket_closed(user);
        let chat = self.clone();
        async move {
            if let Err(error) = chat.presence().publish(user).await {
                tracing::warn!(error = %format!("{error:#}"), %user, "cannot record presence");
            }
            if !last_here {
                return;
            }
            match chat.presence().is_online(user).await {
                Ok(true) => return,
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), %user, "presence unreadable");
                }
            }
            let at = stored_now();
            if let Err(error) = last_seen::record(chat.db().writer(), user, at).await {
                tracing::warn!(%error, %user, "cannot record last_seen_at");
            }
            chat.announce_presence(user, false, Some(at)).await;
        }
    }

    async fn announce_presence(&self, user: Id, online: bool, at: Option<Timestamp>) {
        let rooms =
            match conversations::ids_of_member(self.db().reader(), user, PRESENCE_ROOMS).await {
                Ok(ids) => ids.into_iter().map(conversation_room).collect(),
                Err(error) => {
                    tracing::warn!(%error, %user, "cannot list the rooms to tell of presence");
                    return;
                }
            };
        self.fanout()
            .publish(RoomEmit::new(
                CHAT_NAMESPACE,
                rooms,
                wire::PRESENCE,
                wire::presence(user, online, at),
                None,
            ))
            .await;
    }

    /// Tells one room that `user` is online (after `join_room`).
    pub async fn announce_online_in(&self, user: Id, conversation: Id) {
        self.fanout()
            .publish(RoomEmit::new(
                CHAT_NAMESPACE,
                vec![conversation_room(conversation)],
                wire::PRESENCE,
                wire::presence(user, true, Some(stored_now())),
                None,
            ))
            .await;
    }

    /// The members of a conversation with their presence, for `room_users`.
    pub async fn room_users(&self, me: Id, conversation: Id) -> ApiResult<Vec<RoomUser>> {
        self.member_conversation(me, conversation).await?;
        let ids = members::of(self.db().reader(), conversation)
            .await
            .map_err(ApiError::internal)?;
        let cards = self.cards(&ids).await?;
        let online = self.presence().online(&ids).await.unwrap_or_else(|error| {
            tracing::warn!(error = %format!("{error:#}"), "presence unreadable");
            Default::default()
        });
        let mut conn = self
            .db()
            .reader()
            .acquire()
            .await
            .map_err(ApiError::internal)?;
        let seen = last_seen::of_many(&mut conn, &ids)
            .await
            .map_err(ApiError::internal)?;
        Ok(ids
            .iter()
            .filter_map(|id| cards.get(id))
            .map(|card| RoomUser {
                id: card.id,
                username: card.username.clone(),
                display_name: card.display_name.clone(),
                avatar_url: card.avatar_url.clone(),
                online: online.contains(&card.id),
                last_seen_at: seen.get(&card.id).copied(),
            })
            .collect())
    }

    /// The room's `room_users`, sent to everyone in it.
    pub async fn broadcast_room_users(&self, me: Id, conversation: Id) -> ApiResult<()> {
        let users = self.room_users(me, conversation).await?;
        self.fanout()
            .publish(RoomEmit::new(
                CHAT_NAMESPACE,
                vec![conversation_room(conversation)],
                wire::ROOM_USERS,
                wire::room_users(conversation, &users),
                None,
            ))
            .await;
        Ok(())
    }

    /// Tells the other sockets of the room that `me` is typing (or
    /// stopped). The caller has checked that `me` is a member.
    pub async fn relay_typing(
        &self,
        me: Id,
        username: &str,
        conversation: Id,
        is_typing: bool,
        except_socket: &str,
    ) {
        self.fanout()
            .publish(RoomEmit::new(
                CHAT_NAMESPACE,
                vec![conversation_room(conversation)],
                wire::USER_TYPING,
                wire::user_typing(conversation, me, username, is_typing),
                Some(except_socket),
            ))
            .await;
    }

    /// `user`'s username, for events that name them ("" when unknown).
    pub async fn username(&self, user: Id) -> String {
        match self.card(user).await {
            Ok(card) => card.map(|card| card.username).unwrap_or_default(),
            Err(error) => {
                tracing::warn!(%error, %user, "cannot read the username");
                String::new()
            }
        }
    }
}
