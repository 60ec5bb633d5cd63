//! Read receipts: how far each member has read.

use chorus_core::{ApiError, ApiResult, Id};

use super::views::ReadReceipt;
use super::{Chat, stored_now};
use crate::live::rooms::{CHAT_NAMESPACE, conversation_room};
use crate::live::{RoomEmit, wire};
use crate::store::{members, messages};

impl Chat {
    /// Moves the caller's receipt to `message` (never back) and tells the
    /// room (`message_read`) when it moved. 404 for a message that is not
    /// in the conversation.
    pub async fn mark_read(&self, me: Id, conversation: Id, message: Id) -> ApiResult<ReadReceipt> {
        self.member_conversation(me, conversation).await?;
        let found = messages::find(self.db().reader(), message)
            .await
            .map_err(ApiError::internal)?;
        if found.is_none_or(|found| found.conversation_id != conversation) {
            return Err(ApiError::not_found("no such message in this conversation"));
        }
        let receipt = ReadReceipt {
            conversation_id: conversation,
            user_id: me,
            message_id: message,
            read_at: stored_now(),
        };
        let moved = members::mark_read(
            self.db().writer(),
            conversation,
            me,
            message,
            receipt.read_at,
        )
        .await
        .map_err(ApiError::internal)?;
        if moved {
            self.fanout()
                .publish(RoomEmit::new(
                    CHAT_NAMESPACE,
                    vec![conversation_room(conversation)],
                    wire::MESSAGE_READ,
                    wire::message_read(&receipt),
                    None,
                ))
                .await;
        }
        Ok(receipt)
    }
}
