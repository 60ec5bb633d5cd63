//! What a notification is about: `{type, id, …}` with the extra ids a client
//! needs to open it (the post of a comment, the newest comment of a group).

use chorus_core::Id;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Characters of a message kept as its preview.
pub const MAX_PREVIEW_CHARS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = NotificationSubjectType)]
pub enum SubjectKind {
    Post,
    Comment,
    User,
    Conversation,
    FollowRequest,
    FriendRequest,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Post => "post",
            SubjectKind::Comment => "comment",
            SubjectKind::User => "user",
            SubjectKind::Conversation => "conversation",
            SubjectKind::FollowRequest => "follow_request",
            SubjectKind::FriendRequest => "friend_request",
        }
    }
}

/// `{type, id}` plus, where they apply, `post_id` (a comment's post),
/// `comment_id` (the newest comment of a comment group), `parent_id` (the
/// comment a reply answers), `message_id` and `preview` (the newest message
/// of a conversation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = NotificationSubject)]
pub struct Subject {
    #[serde(rename = "type")]
    pub kind: SubjectKind,
    pub id: Id,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub post_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
}

impl Subject {
    fn of(kind: SubjectKind, id: Id) -> Self {
        Self {
            kind,
            id,
            post_id: None,
            comment_id: None,
            parent_id: None,
            message_id: None,
            preview: None,
        }
    }

    pub fn post(id: Id) -> Self {
        Self::of(SubjectKind::Post, id)
    }

    /// A post, pointing at its newest comment (a comment group).
    pub fn post_with_comment(post: Id, comment: Id) -> Self {
        Self {
            comment_id: Some(comment),
            ..Self::of(SubjectKind::Post, post)
        }
    }

    pub fn comment(id: Id, post: Id, parent: Option<Id>) -> Self {
        Self {
            post_id: Some(post),
            parent_id: parent,
            ..Self::of(SubjectKind::Comment, id)
        }
    }

    pub fn user(id: Id) -> Self {
        Self::of(SubjectKind::User, id)
    }

    pub fn follow_request(id: Id) -> Self {
        Self::of(SubjectKind::FollowRequest, id)
    }

    pub fn friend_request(id: Id) -> Self {
        Self::of(SubjectKind::FriendRequest, id)
    }

    /// A conversation, with its newest message and the start of it.
    pub fn conversation(id: Id, message: Id, preview: &str) -> Self {
        Self {
            message_id: Some(message),
            preview: Some(preview.chars().take(MAX_PREVIEW_CHARS).collect()),
            ..Self::of(SubjectKind::Conversation, id)
        }
    }

    /// The post this is about, directly or through one of its comments:
    /// deleting that post removes the notification.
    pub fn post_concerned(&self) -> Option<Id> {
        match self.kind {
            SubjectKind::Post => Some(self.id),
            SubjectKind::Comment => self.post_id,
            _ => None,
        }
    }

    pub fn to_json(&self) -> String {
        // Plain data: serialization cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subject_shows_only_the_ids_it_has_as_strings() {
        let json = serde_json::to_value(Subject::comment(Id(5), Id(4), None)).expect("json");
        assert_eq!(
            json,
            serde_json::json!({"type": "comment", "id": "5", "post_id": "4"})
        );
        let subject = Subject::post_with_comment(Id(4), Id(9));
        assert_eq!(
            Subject::from_json(&subject.to_json()).expect("parses"),
            subject
        );
    }

    #[test]
    fn a_preview_is_cut_to_a_hundred_characters() {
        let long = "é".repeat(250);
        let subject = Subject::conversation(Id(1), Id(2), &long);
        assert_eq!(subject.preview.map(|p| p.chars().count()), Some(100));
    }

    #[test]
    fn the_post_concerned_is_the_post_or_the_comments_post() {
        assert_eq!(Subject::post(Id(3)).post_concerned(), Some(Id(3)));
        assert_eq!(
            Subject::comment(Id(5), Id(4), Some(Id(2))).post_concerned(),
            Some(Id(4))
        );
        assert_eq!(Subject::user(Id(3)).post_concerned(), None);
    }
}
