//! What a notification is, independent of storage and transport: its kinds,
//! its subject, a draft of one to deliver, and how actors of a group line up.

mod actors;
mod kind;
mod subject;

use chorus_core::Id;

pub use actors::{MAX_SHOWN_ACTORS, parse_actor_ids, push_actor, render_actor_ids};
pub use kind::{Kind, UnknownKind};
pub use subject::{Subject, SubjectKind};

/// A notification one event asks to deliver, before the rules (blocks,
/// visibility, preferences) have had their say.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub recipient: Id,
    pub kind: Kind,
    pub actor: Id,
    pub subject: Subject,
    /// The id of what the actor did (a comment, a repost, a message, a post
    /// that mentions), when deleting it should take the notification back.
    pub source: Option<Id>,
    /// Set on mentions in followers-only posts: the recipient may see the
    /// post only if they follow this author.
    pub requires_following: Option<Id>,
    /// Follows between friends are told by the friendship notifications:
    /// skip this one if recipient and actor are friends.
    pub unless_friends: bool,
}

impl Draft {
    pub fn new(recipient: Id, kind: Kind, actor: Id, subject: Subject) -> Self {
        Self {
            recipient,
            kind,
            actor,
            subject,
            source: None,
            requires_following: None,
            unless_friends: false,
        }
    }

    pub fn from_source(mut self, source: Id) -> Self {
        self.source = Some(source);
        self
    }

    /// The key repeats merge under, for kinds that group.
    pub fn group_key(&self) -> Option<String> {
        self.kind.groups().then(|| {
            format!(
                "{}:{}:{}",
                self.kind.as_str(),
                self.subject.kind.as_str(),
                self.subject.id
            )
        })
    }
}

/// Keeps the drafts that may go out as far as the event alone tells: none
/// for one's own action, one per recipient (the first wins: callers list
/// them by precedence, a reply before a comment before a mention).
pub fn one_per_recipient(drafts: Vec<Draft>) -> Vec<Draft> {
    let mut kept: Vec<Draft> = Vec::with_capacity(drafts.len());
    for draft in drafts {
        if draft.recipient != draft.actor && !kept.iter().any(|k| k.recipient == draft.recipient) {
            kept.push(draft);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(recipient: i64, kind: Kind, actor: i64) -> Draft {
        Draft::new(Id(recipient), kind, Id(actor), Subject::post(Id(100)))
    }

    #[test]
    fn one_per_recipient_keeps_the_first_and_drops_ones_own() {
        let drafts = vec![
            draft(2, Kind::Reply, 1),
            draft(2, Kind::Comment, 1),
            draft(3, Kind::Comment, 1),
            draft(1, Kind::Mention, 1),
            draft(3, Kind::Mention, 1),
            draft(4, Kind::Mention, 1),
        ];
        let kept: Vec<(i64, Kind)> = one_per_recipient(drafts)
            .into_iter()
            .map(|d| (d.recipient.0, d.kind))
            .collect();
        assert_eq!(
            kept,
            [(2, Kind::Reply), (3, Kind::Comment), (4, Kind::Mention)]
        );
    }

    #[test]
    fn only_grouping_kinds_have_a_group_key() {
        assert_eq!(
            draft(2, Kind::Reaction, 1).group_key().as_deref(),
            Some("reaction:post:100")
        );
        assert_eq!(draft(2, Kind::Mention, 1).group_key(), None);
        let follow = Draft::new(Id(2), Kind::Follow, Id(1), Subject::user(Id(2)));
        assert_eq!(follow.group_key().as_deref(), Some("follow:user:2"));
    }
}
