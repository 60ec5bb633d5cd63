//! Call sessions and their signaling. The server keeps the session (who
//! called, how it went) and relays WebRTC's offers, answers and ICE
//! candidates between members; media never passes through it.

use std::time::Duration;

use chorus_core::time::to_micros;
use chorus_core::{ApiError, ApiResult, Id, Page, PageQuery};
use serde_json::Value;

use super::conversations::id_cursor;
use super::views::CallView;
use super::{Chat, stored_now};
use crate::domain::{CallKind, CallState, ConversationKind};
use crate::live::rooms::{CHAT_NAMESPACE, user_room};
use crate::live::{RoomEmit, wire};
use crate::store::calls::{self, CallRecord};
use crate::store::conversations::ConversationRecord;
use crate::store::members;

/// What a member does with a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallAction {
    Accept,
    Reject,
    Hangup,
}

impl CallAction {
    /// The event the other members get (the same name as the client's).
    pub fn event(self) -> &'static str {
        match self {
            CallAction::Accept => wire::CALL_ACCEPT,
            CallAction::Reject => wire::CALL_REJECT,
            CallAction::Hangup => wire::CALL_HANGUP,
        }
    }
}

/// A WebRTC signaling message relayed between members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Offer,
    Answer,
    Ice,
}

impl Signal {
    pub fn event(self) -> &'static str {
        match self {
            Signal::Offer => wire::CALL_OFFER,
            Signal::Answer => wire::CALL_ANSWER,
            Signal::Ice => wire::CALL_ICE,
        }
    }

    /// The payload field that carries it.
    pub fn field(self) -> &'static str {
        match self {
            Signal::Offer | Signal::Answer => "sdp",
            Signal::Ice => "candidate",
        }
    }
}

fn no_such_call() -> ApiError {
    ApiError::not_found("no such call")
}

fn call_over() -> ApiError {
    ApiError::conflict("this call is over")
}

impl Chat {
    fn ring_timeout(&self) -> Duration {
        Duration::from_secs(self.config().call_ring_timeout_secs)
    }

    /// Records a ringing call and invites every other member (on all their
    /// sockets, in the conversation's room or not). Unanswered, it turns
    /// missed after `chat.call_ring_timeout_secs`.
    pub async fn start_call(&self, me: Id, conversation: Id, kind: &str) -> ApiResult<CallView> {
        let kind = CallKind::parse(kind)?;
        self.member_conversation(me, conversation).await?;
        let others = self.other_members(conversation, me).await?;
        let call = CallRecord {
            id: self.ids().next_id(),
            conversation_id: conversation,
            initiator_id: me,
            kind,
            state: CallState::Ringing,
            started_at: stored_now(),
            answered_at: None,
            ended_at: None,
        };
        calls::insert(self.db().writer(), &call)
            .await
            .map_err(ApiError::internal)?;
        let from = self
            .card(me)
            .await?
            .ok_or_else(|| ApiError::not_found("your profile is not set up yet"))?;
        self.fanout()
            .publish(RoomEmit::new(
                CHAT_NAMESPACE,
                others.iter().copied().map(user_room).collect(),
                wire::CALL_INVITE,
                wire::call_invite(call.id, conversation, &from, kind),
                None,
            ))
            .await;
        self.miss_if_unanswered(call.id, conversation);
        Ok(call.into())
    }

    /// After the ring timeout, a call still ringing is missed: every member
    /// gets `call_hangup` with `reason: "missed"`.
    fn miss_if_unanswered(&self, call: Id, conversation: Id) {
        let chat = self.clone();
        let shutdown = self.inner.parts.shutdown.clone();
        let timeout = self.ring_timeout();
        self.inner.parts.tasks.spawn(async move {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(timeout) => {}
            }
            match calls::find(chat.db().reader(), call).await {
                Ok(Some(record)) if record.state == CallState::Ringing => {
                    if let Err(error) = chat.expire(&record, conversation).await {
                        tracing::warn!(%error, %call, "cannot mark an unanswered call missed");
                    }
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, %call, "cannot read a ringing call"),
            }
        });
    }

    async fn expire(&self, call: &CallRecord, conversation: Id) -> ApiResult<()> {
        let at = stored_now();
        let missed = calls::transition(
            self.db().writer(),
            call.id,
            CallState::Ringing,
            CallState::Missed,
            at,
        )
        .await
        .map_err(ApiError::internal)?;
        if missed {
            let everyone = members::of(self.db().reader(), conversation)
                .await
                .map_err(ApiError::internal)?;
            self.fanout()
                .publish(RoomEmit::new(
                    CHAT_NAMESPACE,
                    everyone.into_iter().map(user_room).collect(),
                    wire::CALL_HANGUP,
                    wire::call_update(call.id, conversation, call.initiator_id, Some("missed")),
                    None,
                ))
                .await;
        }
        Ok(())
    }

    /// A call of a conversation `me` belongs to (404 otherwise), and that
    /// conversation; a call left ringing past the timeout (its timer lost
    /// with a crashed instance) is found missed.
    async fn member_call(&self, me: Id, call: Id) -> ApiResult<(CallRecord, ConversationRecord)> {
        let mut record = calls::find(self.db().reader(), call)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(no_such_call)?;
        let conversation = self
            .member_conversation(me, record.conversation_id)
            .await
            .map_err(|_| no_such_call())?;
        if record.state == CallState::Ringing && self.rang_out(&record) {
            self.expire(&record, record.conversation_id).await?;
            record = calls::find(self.db().reader(), call)
                .await
                .map_err(ApiError::internal)?
                .ok_or_else(no_such_call)?;
        }
        Ok((record, conversation))
    }

    fn rang_out(&self, call: &CallRecord) -> bool {
        let timeout = i64::try_from(self.ring_timeout().as_micros()).unwrap_or(i64::MAX);
        to_micros(stored_now()) - to_micros(call.started_at) > timeout
    }

    async fn other_members(&self, conversation: Id, me: Id) -> ApiResult<Vec<Id>> {
        Ok(members::of(self.db().reader(), conversation)
            .await
            .map_err(ApiError::internal)?
            .into_iter()
            .filter(|&id| id != me)
            .collect())
    }

    /// Accept, reject or hang up; the session's state follows, and every
    /// member's sockets but `except_socket` get the same event `{callId,
    /// roomId, from}`. In a direct call either side's hang-up ends it; in
    /// a group only the caller's does (the others just leave).
    pub async fn act_on_call(
        &self,
        me: Id,
        call: Id,
        action: CallAction,
        except_socket: Option<&str>,
    ) -> ApiResult<CallView> {
        let (record, conversation) = self.member_call(me, call).await?;
        let is_caller = record.initiator_id == me;
        let direct = conversation.kind == ConversationKind::Direct;
        let next = match (action, record.state) {
            (CallAction::Accept | CallAction::Reject, _) if is_caller => {
                return Err(ApiError::validation(
                    "you started this call: hang up to end it",
                ));
            }
            (CallAction::Hangup, state) if !state.is_live() => return Ok(record.into()),
            (_, state) if !state.is_live() => return Err(call_over()),
            (CallAction::Accept, CallState::Ringing) => Some(CallState::Active),
            (CallAction::Accept, _) => None,
            (CallAction::Reject, CallState::Ringing) if direct => Some(CallState::Rejected),
            (CallAction::Reject, _) => None,
            (CallAction::Hangup, CallState::Ringing) if is_caller => Some(CallState::Missed),
            (CallAction::Hangup, CallState::Ringing) if direct => Some(CallState::Rejected),
            (CallAction::Hangup, CallState::Active) if direct || is_caller => {
                Some(CallState::Ended)
            }
            (CallAction::Hangup, _) => None,
        };
        if let Some(next) = next {
            let moved =
                calls::transition(self.db().writer(), call, record.state, next, stored_now())
                    .await
                    .map_err(ApiError::internal)?;
            // Another member changed it first: accepting a call someone
            // else accepted is joining it; anything else on a call that
            // ended meanwhile is too late.
            if !moved {
                let now = calls::find(self.db().reader(), call)
                    .await
                    .map_err(ApiError::internal)?
                    .ok_or_else(no_such_call)?;
                let joined = action == CallAction::Accept && now.state == CallState::Active;
                let already_over = action == CallAction::Hangup && !now.state.is_live();
                if !joined && !already_over {
                    return Err(call_over());
                }
            }
        }
        let everyone = members::of(self.db().reader(), conversation.id)
            .await
            .map_err(ApiError::internal)?;
        self.fanout()
            .publish(RoomEmit::new(
                CHAT_NAMESPACE,
                everyone.into_iter().map(user_room).collect(),
                action.event(),
                wire::call_update(call, conversation.id, me, None),
                except_socket,
            ))
            .await;
        let updated = calls::find(self.db().reader(), call)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(no_such_call)?;
        Ok(updated.into())
    }

    /// Relays an offer, answer or ICE candidate of a live call to member
    /// `to` only, or without `to` to every other member.
    pub async fn signal(
        &self,
        me: Id,
        call: Id,
        signal: Signal,
        to: Option<Id>,
        payload: Value,
        except_socket: Option<&str>,
    ) -> ApiResult<()> {
        if payload.is_null() {
            return Err(ApiError::invalid_field(signal.field(), "is required"));
        }
        let (record, conversation) = self.member_call(me, call).await?;
        if !record.state.is_live() {
            return Err(call_over());
        }
        let others = self.other_members(conversation.id, me).await?;
        let targets = match to {
            Some(to) if others.contains(&to) => vec![to],
            Some(_) => return Err(ApiError::not_found("no such member in this call")),
            None => others,
        };
        self.fanout()
            .publish(RoomEmit::new(
                CHAT_NAMESPACE,
                targets.into_iter().map(user_room).collect(),
                signal.event(),
                wire::call_signal(call, conversation.id, me, signal.field(), payload),
                except_socket,
            ))
            .await;
        Ok(())
    }

    /// A conversation's call sessions, newest first.
    pub async fn calls(
        &self,
        me: Id,
        conversation: Id,
        page: PageQuery,
    ) -> ApiResult<Page<CallView>> {
        self.member_conversation(me, conversation).await?;
        let before = id_cursor(&page.cursor)?;
        let rows = calls::before(self.db().reader(), conversation, before, page.limit + 1)
            .await
            .map_err(ApiError::internal)?;
        let views = rows
            .into_iter()
            .map(|mut call| {
                // Shown as it stands, even if its timer was lost with an instance.
                if call.state == CallState::Ringing && self.rang_out(&call) {
                    call.state = CallState::Missed;
                }
                CallView::from(call)
            })
            .collect();
        Ok(Page::from_overfetch(
            views,
            page.limit,
            |view: &CallView| view.id.to_string(),
        ))
    }
}
