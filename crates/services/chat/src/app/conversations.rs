//! Starting conversations and listing them.

use std::collections::HashMap;

use chorus_core::{ApiError, ApiResult, Cursor, Id, Page, PageQuery};

use super::views::{ConversationView, MessageView};
use super::{Chat, no_such_user, stored_now};
use crate::domain::{ConversationKind, parse_title};
use crate::store::conversations::{self, ConversationRecord, Position};
use crate::store::{members, messages};

impl Chat {
    /// A direct conversation when there is one other member and no title
    /// (the pair's existing one if any: `created` is then false), a group
    /// otherwise. Members that do not exist, or that block the caller or
    /// are blocked by them, are refused as unknown (404): the users service
    /// tells that a block exists, not who made it, and hiding it is safe.
    pub async fn start_conversation(
        &self,
        me: Id,
        member_ids: &[Id],
        title: Option<&str>,
    ) -> ApiResult<(ConversationView, bool)> {
        let mut others: Vec<Id> = member_ids.iter().copied().filter(|&id| id != me).collect();
        others.sort_unstable();
        others.dedup();
        if others.is_empty() {
            return Err(ApiError::invalid_field(
                "member_ids",
                "name at least one other user",
            ));
        }
        let max = self.config().max_group_members;
        if others.len() + 1 > max {
            return Err(ApiError::invalid_field(
                "member_ids",
                format!("a conversation has at most {max} members, you included"),
            ));
        }
        let title = parse_title(title, self.config().max_title_chars)?;
        self.check_reachable(me, &others).await?;

        let kind = match (others.as_slice(), &title) {
            ([_], None) => ConversationKind::Direct,
            _ => ConversationKind::Group,
        };
        let direct_key =
            (kind == ConversationKind::Direct).then(|| conversations::direct_key(me, others[0]));
        if let Some(key) = &direct_key
            && let Some(existing) = conversations::find_direct(self.db().reader(), key)
                .await
                .map_err(ApiError::internal)?
        {
            return Ok((self.view_one(me, existing).await?, false));
        }

        let at = stored_now();
        let record = ConversationRecord {
            id: self.ids().next_id(),
            kind,
            title,
            created_by: me,
            created_at: at,
            last_activity_at: chorus_core::time::to_micros(at),
            last_message_id: None,
        };
        let mut tx = self.db().begin().await?;
        let inserted = conversations::insert(&mut *tx, &record, direct_key.as_deref())
            .await
            .map_err(ApiError::internal)?;
        if !inserted {
            // The pair's conversation was created meanwhile: answer that one.
            drop(tx);
            let key = direct_key.unwrap_or_default();
            let existing = conversations::find_direct(self.db().reader(), &key)
                .await
                .map_err(ApiError::internal)?
                .ok_or_else(|| ApiError::internal("direct conversation vanished"))?;
            return Ok((self.view_one(me, existing).await?, false));
        }
        for member in std::iter::once(me).chain(others.iter().copied()) {
            members::insert(&mut *tx, record.id, member, at)
                .await
                .map_err(ApiError::internal)?;
        }
        tx.commit().await.map_err(ApiError::internal)?;
        Ok((self.view_one(me, record).await?, true))
    }

    /// Every one of `others` exists and no block stands between them and `me`.
    async fn check_reachable(&self, me: Id, others: &[Id]) -> ApiResult<()> {
        let cards = self.cards(others).await?;
        if others.iter().any(|id| !cards.contains_key(id)) {
            return Err(no_such_user());
        }
        let relations = self.users().relations(me, others).await?;
        if others
            .iter()
            .any(|id| relations.get(id).is_some_and(|relation| relation.blocked))
        {
            return Err(no_such_user());
        }
        Ok(())
    }

    /// One of the caller's conversations.
    pub async fn conversation(&self, me: Id, id: Id) -> ApiResult<ConversationView> {
        let record = self.member_conversation(me, id).await?;
        self.view_one(me, record).await
    }

    /// The caller's conversations, most recent activity first.
    pub async fn conversations(
        &self,
        me: Id,
        page: PageQuery,
    ) -> ApiResult<Page<ConversationView>> {
        let after = match &page.cursor {
            None => Position::START,
            Some(cursor) => Position::decode(&cursor.0).ok_or_else(bad_cursor)?,
        };
        let mut records: Vec<ConversationRecord> =
            conversations::of_member(self.db().reader(), me, after, page.limit + 1)
                .await
                .map_err(ApiError::internal)?
                .into_iter()
                .map(|(record, _)| record)
                .collect();
        // The extra row only tells that more follow: no view is built for it.
        let more = records.len() > page.limit as usize;
        records.truncate(page.limit as usize);
        let next_cursor = records.last().filter(|_| more).map(|last| {
            let position = Position {
                at: last.last_activity_at,
                id: last.id.as_i64(),
            };
            Cursor::encode(position.encode())
        });
        Ok(Page {
            items: self.views(me, records).await?,
            next_cursor,
        })
    }

    async fn view_one(&self, me: Id, record: ConversationRecord) -> ApiResult<ConversationView> {
        self.views(me, vec![record])
            .await?
            .pop()
            .ok_or_else(|| ApiError::internal("a conversation view went missing"))
    }

    /// Views of `records` for `me`, in their order: members, last messages,
    /// unread counts and cards fetched once for all of them.
    async fn views(
        &self,
        me: Id,
        records: Vec<ConversationRecord>,
    ) -> ApiResult<Vec<ConversationView>> {
        let ids: Vec<Id> = records.iter().map(|record| record.id).collect();
        let last_ids: Vec<Id> = records.iter().filter_map(|r| r.last_message_id).collect();
        let mut conn = self
            .db()
            .reader()
            .acquire()
            .await
            .map_err(ApiError::internal)?;
        let mut member_ids = members::of_many(&mut conn, &ids)
            .await
            .map_err(ApiError::internal)?;
        let last_messages: HashMap<Id, messages::MessageRecord> =
            messages::find_many(&mut conn, &last_ids)
                .await
                .map_err(ApiError::internal)?
                .into_iter()
                .map(|message| (message.id, message))
                .collect();
        let unread = members::unread_counts(&mut conn, me, &ids)
            .await
            .map_err(ApiError::internal)?;
        drop(conn);

        let mut people: Vec<Id> = member_ids.values().flatten().copied().collect();
        people.extend(last_messages.values().map(|message| message.sender_id));
        let cards = self.cards(&people).await?;
        Ok(records
            .into_iter()
            .map(|record| {
                let members = member_ids
                    .remove(&record.id)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|id| cards.get(id).cloned())
                    .collect();
                let last_message = record
                    .last_message_id
                    .and_then(|id| last_messages.get(&id))
                    .map(|message| {
                        MessageView::new(message.clone(), cards.get(&message.sender_id).cloned())
                    });
                ConversationView {
                    id: record.id,
                    kind: record.kind,
                    title: record.title,
                    members,
                    created_by: record.created_by,
                    created_at: record.created_at,
                    last_message,
                    unread_count: unread.get(&record.id).copied().unwrap_or(0),
                }
            })
            .collect())
    }
}

fn bad_cursor() -> ApiError {
    ApiError::invalid_field("cursor", "not a cursor this list gave out")
}

/// The cursor of the page after one that ended at `id` (lists by id, newest first).
pub(super) fn id_cursor(cursor: &Option<Cursor>) -> ApiResult<Option<Id>> {
    match cursor {
        None => Ok(None),
        Some(cursor) => cursor.as_i64().map(|id| Some(Id(id))),
    }
}
