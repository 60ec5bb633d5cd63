//! Stored notifications as the API shows them: actors' cards fetched at
//! read time, in one batched call per page.

use std::collections::HashMap;

use chorus_core::time::{Timestamp, from_micros};
use chorus_core::{ApiResult, Id};
use chorus_rpc::UsersApi;
use chorus_rpc::users::UserCard;
use serde::Serialize;
use utoipa::ToSchema;

use super::Notifications;
use crate::domain::{Kind, Subject};
use crate::store::notifications::NotificationRow;

/// `{id, type, actor, actors, actor_count, subject, created_at, updated_at,
/// read_at}`: `actor` is the newest actor (`null` if their account is gone),
/// `actors` the newest three, `actor_count` every distinct actor.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = Notification)]
pub struct NotificationView {
    pub id: Id,
    #[serde(rename = "type")]
    pub kind: Kind,
    #[schema(required = true)]
    pub actor: Option<UserCard>,
    /// Newest first, at most 3.
    pub actors: Vec<UserCard>,
    /// Distinct people who did it ("ana and 4 others" is 5).
    pub actor_count: i64,
    pub subject: Subject,
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// The last time someone was added to it (grouping).
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    #[serde(serialize_with = "chorus_core::time::rfc3339::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime, required = true)]
    pub read_at: Option<Timestamp>,
}

impl Notifications {
    pub(super) async fn hydrate(
        &self,
        rows: Vec<NotificationRow>,
    ) -> ApiResult<Vec<NotificationView>> {
        hydrate(self.users(), rows).await
    }
}

/// `rows` with their actors' cards, in order; a row that no longer reads
/// (an unknown kind or subject) is left out and logged.
pub(super) async fn hydrate(
    users: &dyn UsersApi,
    rows: Vec<NotificationRow>,
) -> ApiResult<Vec<NotificationView>> {
    let mut ids: Vec<Id> = rows
        .iter()
        .flat_map(|row| row.actor_ids.iter().copied())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let cards: HashMap<Id, UserCard> = if ids.is_empty() {
        HashMap::new()
    } else {
        let found = users.cards(&ids).await?;
        found.into_iter().map(|card| (card.id, card)).collect()
    };
    Ok(rows
        .into_iter()
        .filter_map(|row| view(row, &cards))
        .collect())
}

fn view(row: NotificationRow, cards: &HashMap<Id, UserCard>) -> Option<NotificationView> {
    let kind = Kind::parse(&row.kind)
        .inspect_err(|_| tracing::warn!(id = %row.id, kind = row.kind, "unknown notification kind"))
        .ok()?;
    let subject = Subject::from_json(&row.subject)
        .inspect_err(|error| tracing::warn!(id = %row.id, %error, "unreadable subject"))
        .ok()?;
    let actors: Vec<UserCard> = row
        .actor_ids
        .iter()
        .filter_map(|id| cards.get(id).cloned())
        .collect();
    Some(NotificationView {
        id: row.id,
        kind,
        actor: actors.first().cloned(),
        actors,
        actor_count: row.actor_count,
        subject,
        created_at: from_micros(row.created_at),
        updated_at: from_micros(row.updated_at),
        read_at: row.read_at.map(from_micros),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(id: i64) -> UserCard {
        UserCard {
            id: Id(id),
            username: format!("u{id}"),
            display_name: format!("U{id}"),
            avatar_url: None,
        }
    }

    fn row(actor_ids: Vec<Id>) -> NotificationRow {
        NotificationRow {
            id: Id(9),
            recipient_id: Id(1),
            kind: "reaction".into(),
            subject: Subject::post(Id(5)).to_json(),
            actor_ids,
            actor_count: 4,
            created_at: 1_700_000_000_000_000,
            updated_at: 1_700_000_000_500_000,
            read_at: None,
        }
    }

    #[test]
    fn a_view_has_the_contracts_shape_and_skips_accounts_that_are_gone() {
        let cards: HashMap<Id, UserCard> =
            [card(2), card(4)].into_iter().map(|c| (c.id, c)).collect();
        let shown = view(row(vec![Id(3), Id(2), Id(4)]), &cards).expect("reads");
        let json = serde_json::to_value(&shown).expect("json");
        assert_eq!(json["id"], "9");
        assert_eq!(json["type"], "reaction");
        assert_eq!(json["actor"]["id"], "2", "the newest one still there");
        assert_eq!(json["actors"].as_array().map(Vec::len), Some(2));
        assert_eq!(json["actor_count"], 4);
        assert_eq!(
            json["subject"],
            serde_json::json!({"type": "post", "id": "5"})
        );
        assert_eq!(json["created_at"], "2023-11-14T22:13:20.000Z");
        assert_eq!(json["updated_at"], "2023-11-14T22:13:20.500Z");
        assert_eq!(json["read_at"], serde_json::Value::Null);

        let nobody = view(row(vec![Id(3)]), &cards).expect("reads");
        assert_eq!(nobody.actor, None);
    }

    #[test]
    fn a_row_that_does_not_read_is_left_out() {
        let mut unknown = row(vec![]);
        unknown.kind = "poke".into();
        assert!(view(unknown, &HashMap::new()).is_none());
        let mut broken = row(vec![]);
        broken.subject = "{".into();
        assert!(view(broken, &HashMap::new()).is_none());
    }
}
