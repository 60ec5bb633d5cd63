//! Sending messages and reading a conversation's history.

use chorus_core::{ApiError, ApiResult, Id, Page, PageQuery};
use chorus_ports::outbox;

use super::conversations::id_cursor;
use super::views::MessageView;
use super::{Chat, stored_now};
use crate::domain::{ConversationKind, MessageContent};
use crate::events;
use crate::live::rooms::{CHAT_NAMESPACE, conversation_room};
use crate::live::{RoomEmit, wire};
use crate::store::messages::{self, MessageRecord};
use crate::store::{conversations, members};

impl Chat {
    /// Stores the message (with `message.sent` in the same transaction, and
    /// the sender's read receipt moved to it), then delivers it live to the
    /// conversation's room on every instance. Refused: blank or too long
    /// (400), not a member (404), a direct conversation across a block (403).
    pub async fn send_message(
        &self,
        me: Id,
        conversation: Id,
        content: &str,
    ) -> ApiResult<MessageView> {
        let content = MessageContent::parse(content, self.config().max_message_chars)?;
        let record = self.member_conversation(me, conversation).await?;
        let member_ids = members::of(self.db().reader(), conversation)
            .await
            .map_err(ApiError::internal)?;
        let recipients: Vec<Id> = member_ids.into_iter().filter(|&id| id != me).collect();
        if record.kind == ConversationKind::Direct {
            let relations = self.users().relations(me, &recipients).await?;
            if relations.values().any(|relation| relation.blocked) {
                return Err(ApiError::forbidden(
                    "you cannot message this user while a block stands between you",
                ));
            }
        }
        let offline = self.offline_among(&recipients).await;

        let message = MessageRecord {
            id: self.ids().next_id(),
            conversation_id: conversation,
            sender_id: me,
            content: content.into_string(),
            created_at: stored_now(),
        };
        let mut tx = self.db().begin().await?;
        messages::insert(&mut *tx, &message)
            .await
            .map_err(ApiError::internal)?;
        conversations::touch(&mut *tx, conversation, message.id, message.created_at)
            .await
            .map_err(ApiError::internal)?;
        members::mark_read(&mut *tx, conversation, me, message.id, message.created_at)
            .await
            .map_err(ApiError::internal)?;
        let event = events::message_sent(self.ids(), &message, &recipients, &offline);
        outbox::enqueue(&mut tx, &event).await?;
        tx.commit().await.map_err(ApiError::internal)?;

        let view = MessageView::new(message, self.card(me).await.unwrap_or(None));
        self.fanout()
            .publish(RoomEmit::new(
                CHAT_NAMESPACE,
                vec![conversation_room(conversation)],
                wire::NEW_MESSAGE,
                wire::new_message(&view),
                None,
            ))
            .await;
        self.after_commit().run(self.db()).await;
        Ok(view)
    }

    /// Those of `users` with no chat socket open anywhere; when presence
    /// cannot be read, all of them (a notification too many beats none).
    async fn offline_among(&self, users: &[Id]) -> Vec<Id> {
        match self.presence().online(users).await {
            Ok(online) => users
                .iter()
                .copied()
                .filter(|id| !online.contains(id))
                .collect(),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "presence unreadable; counting everyone offline");
                users.to_vec()
            }
        }
    }

    /// A conversation's messages, newest first; the cursor leads to older ones.
    pub async fn messages(
        &self,
        me: Id,
        conversation: Id,
        page: PageQuery,
    ) -> ApiResult<Page<MessageView>> {
        self.member_conversation(me, conversation).await?;
        let before = id_cursor(&page.cursor)?;
        let rows = messages::before(self.db().reader(), conversation, before, page.limit + 1)
            .await
            .map_err(ApiError::internal)?;
        let views = self.message_views(rows).await?;
        Ok(Page::from_overfetch(views, page.limit, |view| {
            view.id.to_string()
        }))
    }

    /// The last `chat.history_size` messages, oldest first, and the REST
    /// cursor to the ones before them (what `join_room` answers).
    pub async fn history(
        &self,
        me: Id,
        conversation: Id,
    ) -> ApiResult<(Vec<MessageView>, Option<String>)> {
        let page = self
            .messages(
                me,
                conversation,
                PageQuery::first(self.config().history_size),
            )
            .await?;
        let mut messages = page.items;
        messages.reverse();
        Ok((messages, page.next_cursor))
    }

    async fn message_views(&self, rows: Vec<MessageRecord>) -> ApiResult<Vec<MessageView>> {
        let senders: Vec<Id> = rows.iter().map(|message| message.sender_id).collect();
        let cards = self.cards(&senders).await?;
        Ok(rows
            .into_iter()
            .map(|message| {
                let sender = cards.get(&message.sender_id).cloned();
                MessageView::new(message, sender)
            })
            .collect())
    }
}
