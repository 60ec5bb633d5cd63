//! The event stream: who does what to whom, with the payloads the posts,
//! users and chat services publish, and the pushes each event should cause.
//! Those are worked out here from the contract, not asked of the service,
//! so that a push the service fails to send shows up as missing (a unit test
//! checks that both agree on a stream with no blocks or friendships).

use chorus_core::{Envelope, Id, IdGenerator};
use chorus_notifications::domain::Kind;
use chorus_rpc::push::NotificationPush;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

/// What an event of the stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Reaction,
    Comment,
    Follow,
    Repost,
    Message,
    Mention,
}

impl Action {
    pub const ALL: [Action; 6] = [
        Action::Reaction,
        Action::Comment,
        Action::Follow,
        Action::Repost,
        Action::Message,
        Action::Mention,
    ];

    /// Its percentage of the stream.
    pub fn percent(self) -> u32 {
        match self {
            Action::Reaction => 40,
            Action::Comment => 20,
            Action::Follow => 15,
            Action::Repost => 10,
            Action::Message => 10,
            Action::Mention => 5,
        }
    }

    pub fn topic(self) -> &'static str {
        match self {
            Action::Reaction => "post.reacted",
            Action::Comment => "comment.created",
            Action::Follow => "user.followed",
            Action::Repost => "post.reposted",
            Action::Message => "message.sent",
            Action::Mention => "post.created",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Action::Mention => "post.created (mentions)",
            other => other.topic(),
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    /// The action at `point` in `0..100`: each takes its percentage of points.
    fn at(point: u32) -> Action {
        let mut end = 0;
        for action in Action::ALL {
            end += action.percent();
            if point < end {
                return action;
            }
        }
        Action::Mention
    }
}

/// One push the service should send: to whom, its type, the newest actor
/// (first in line, also when it merged into a group), and the subject's id
/// with the newest comment or message of a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Effect {
    pub recipient: Id,
    pub kind: Kind,
    pub actor: Id,
    pub subject: Id,
    pub detail: Option<Id>,
}

impl Effect {
    /// The effect a push shows; `None` if it does not read as a notification.
    pub fn of_push(push: &NotificationPush) -> Option<Self> {
        let notification = &push.notification;
        let id = |value: &Value| value.as_str()?.parse::<Id>().ok();
        let subject = &notification["subject"];
        Some(Self {
            recipient: push.recipient,
            kind: Kind::parse(notification["type"].as_str()?).ok()?,
            actor: id(&notification["actor"]["id"])?,
            subject: id(&subject["id"])?,
            detail: id(&subject["comment_id"]).or_else(|| id(&subject["message_id"])),
        })
    }
}

/// An account of the population.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: Id,
    pub username: String,
}

/// An event to publish and the pushes it should cause (none for one's own
/// action, or a message everyone saw live).
#[derive(Debug, Clone)]
pub struct Planned {
    pub action: Action,
    pub event: Envelope,
    pub effects: Vec<Effect>,
}

/// Posts each member has written, that others react to, comment on and repost.
pub const POSTS_PER_MEMBER: usize = 5;
/// Reactions and comments by the post's own author: they notify nobody.
const OWN_POST_SHARE: f64 = 0.05;
/// Comments that answer another comment.
const REPLY_SHARE: f64 = 0.3;
/// Comments that mention someone.
const COMMENT_MENTION_SHARE: f64 = 0.1;
/// Conversations that are groups (3 to 8 members) rather than direct.
const GROUP_SHARE: f64 = 0.3;
const MAX_GROUP: usize = 8;
/// Recipients of a message with no chat socket open: only they are notified.
const OFFLINE_SHARE: f64 = 0.5;
/// Mentions in a post: 1 to this many.
const MAX_POST_MENTIONS: usize = 3;
const CREATED_AT: &str = "2026-01-02T03:04:05.678Z";

struct Post {
    id: Id,
    author: usize,
}

/// Draws the stream, reproducibly for a seed (ids aside, which come from
/// `ids` as the services' own would).
pub struct Workload<'a> {
    members: &'a [Member],
    ids: &'a IdGenerator,
    rng: StdRng,
    posts: Vec<Post>,
    conversations: Vec<(Id, Vec<usize>)>,
}

impl<'a> Workload<'a> {
    pub fn new(members: &'a [Member], ids: &'a IdGenerator, seed: u64) -> Self {
        assert!(members.len() >= 2, "a stream needs two members at least");
        let mut rng = StdRng::seed_from_u64(seed);
        let posts = (0..members.len())
            .flat_map(|author| (0..POSTS_PER_MEMBER).map(move |_| author))
            .map(|author| Post {
                id: ids.next_id(),
                author,
            })
            .collect();
        let conversations = (0..members.len())
            .map(|_| {
                let size = if rng.random_bool(GROUP_SHARE) {
                    rng.random_range(3..=MAX_GROUP)
                } else {
                    2
                };
                let size = size.min(members.len());
                let chosen = rand::seq::index::sample(&mut rng, members.len(), size).into_vec();
                (ids.next_id(), chosen)
            })
            .collect();
        Self {
            members,
            ids,
            rng,
            posts,
            conversations,
        }
    }

    /// `count` events of the mix.
    pub fn take(mut self, count: usize) -> Vec<Planned> {
        (0..count).map(|_| self.next_event()).collect()
    }

    pub fn next_event(&mut self) -> Planned {
        match Action::at(self.rng.random_range(0..100)) {
            Action::Reaction => self.reaction(),
            Action::Comment => self.comment(),
            Action::Follow => self.follow(),
            Action::Repost => self.repost(),
            Action::Message => self.message(),
            Action::Mention => self.mention(),
        }
    }

    fn reaction(&mut self) -> Planned {
        let (post, author) = self.post();
        let actor = self.actor_on(author);
        let kinds = chorus_posts::domain::REACTION_KINDS;
        let kind = kinds[self.rng.random_range(0..kinds.len())];
        let payload = json!({
            "post_id": post, "post_author_id": self.id(author), "user_id": self.id(actor),
            "kind": kind, "post_visibility": "public",
        });
        let effects = self.to_others(actor, vec![(author, Kind::Reaction, post, None)]);
        self.planned(Action::Reaction, actor, payload, effects)
    }

    fn comment(&mut self) -> Planned {
        let (post, author) = self.post();
        let actor = self.actor_on(author);
        let comment = self.ids.next_id();
        let parent = self
            .rng
            .random_bool(REPLY_SHARE)
            .then(|| (self.ids.next_id(), self.anyone()));
        let mentioned = self
            .rng
            .random_bool(COMMENT_MENTION_SHARE)
            .then(|| self.anyone());
        // Precedence, one per recipient: a reply, then the comment, then a mention.
        let mut candidates = Vec::new();
        if let Some((_, parent_author)) = parent {
            candidates.push((parent_author, Kind::Reply, comment, None));
        }
        candidates.push((author, Kind::Comment, post, Some(comment)));
        if let Some(mentioned) = mentioned {
            candidates.push((mentioned, Kind::Mention, comment, None));
        }
        let payload = json!({
            "comment_id": comment, "post_id": post, "post_author_id": self.id(author),
            "author_id": self.id(actor), "parent_id": parent.map(|(id, _)| id),
            "parent_author_id": parent.map(|(_, member)| self.id(member)),
            "content": "Great point, thanks for sharing",
            "mentions": self.mentions(mentioned.as_slice()), "post_visibility": "public",
        });
        let effects = self.to_others(actor, candidates);
        self.planned(Action::Comment, actor, payload, effects)
    }

    fn follow(&mut self) -> Planned {
        let follower = self.anyone();
        let followee = match self.popular() {
            same if same == follower => self.other_than(follower),
            followee => followee,
        };
        let payload = json!({ "follower_id": self.id(follower), "followee_id": self.id(followee) });
        let effects = vec![self.effect(followee, Kind::Follow, follower, self.id(followee), None)];
        self.planned(Action::Follow, follower, payload, effects)
    }

    fn repost(&mut self) -> Planned {
        let (post, author) = self.post();
        let user = self.other_than(author);
        let payload = json!({
            "post_id": post, "original_author_id": self.id(author),
            "repost_id": self.ids.next_id(), "user_id": self.id(user),
        });
        let effects = vec![self.effect(author, Kind::Repost, user, post, None)];
        self.planned(Action::Repost, user, payload, effects)
    }

    fn message(&mut self) -> Planned {
        let (conversation, members) = {
            let (id, members) =
                &self.conversations[self.rng.random_range(0..self.conversations.len())];
            (*id, members.clone())
        };
        let sender = members[self.rng.random_range(0..members.len())];
        let recipients: Vec<usize> = members.into_iter().filter(|&m| m != sender).collect();
        let offline: Vec<usize> = recipients
            .iter()
            .copied()
            .filter(|_| self.rng.random_bool(OFFLINE_SHARE))
            .collect();
        let message = self.ids.next_id();
        let ids = |members: &[usize]| members.iter().map(|&m| self.id(m)).collect::<Vec<_>>();
        let payload = json!({
            "message_id": message, "conversation_id": conversation, "sender_id": self.id(sender),
            "recipient_ids": ids(&recipients), "offline_ids": ids(&offline),
            "preview": "Are we still on for tomorrow? I can bring the slides", "created_at": CREATED_AT,
        });
        let effects = offline
            .iter()
            .map(|&r| self.effect(r, Kind::Message, sender, conversation, Some(message)))
            .collect();
        self.planned(Action::Message, sender, payload, effects)
    }

    fn mention(&mut self) -> Planned {
        let author = self.anyone();
        let wanted = self.rng.random_range(1..=MAX_POST_MENTIONS);
        let mut mentioned: Vec<usize> = Vec::with_capacity(wanted);
        for _ in 0..wanted {
            let member = self.other_than(author);
            if !mentioned.contains(&member) {
                mentioned.push(member);
            }
        }
        let post = self.ids.next_id();
        let content = mentioned
            .iter()
            .map(|&m| format!("@{}", self.members[m].username))
            .collect::<Vec<_>>()
            .join(" ");
        let payload = json!({
            "post_id": post, "author_id": self.id(author),
            "content": format!("{content} look at this"), "visibility": "public",
            "hashtags": [], "mentions": self.mentions(&mentioned), "media_ids": [],
            "repost_of": null, "created_at": CREATED_AT,
        });
        let effects = mentioned
            .iter()
            .map(|&m| self.effect(m, Kind::Mention, author, post, None))
            .collect();
        self.planned(Action::Mention, author, payload, effects)
    }

    fn planned(
        &self,
        action: Action,
        actor: usize,
        payload: Value,
        effects: Vec<Effect>,
    ) -> Planned {
        let event = Envelope::new(
            self.ids.next_id(),
            action.topic(),
            Some(self.id(actor)),
            payload,
        );
        Planned {
            action,
            event,
            effects,
        }
    }

    /// The candidates (recipient, kind, subject, detail) that may go out:
    /// none to the actor, the first one per recipient.
    fn to_others(
        &self,
        actor: usize,
        candidates: Vec<(usize, Kind, Id, Option<Id>)>,
    ) -> Vec<Effect> {
        let mut effects: Vec<Effect> = Vec::with_capacity(candidates.len());
        for (recipient, kind, subject, detail) in candidates {
            let recipient_id = self.id(recipient);
            if recipient != actor && !effects.iter().any(|e| e.recipient == recipient_id) {
                effects.push(self.effect(recipient, kind, actor, subject, detail));
            }
        }
        effects
    }

    fn effect(
        &self,
        recipient: usize,
        kind: Kind,
        actor: usize,
        subject: Id,
        detail: Option<Id>,
    ) -> Effect {
        Effect {
            recipient: self.id(recipient),
            kind,
            actor: self.id(actor),
            subject,
            detail,
        }
    }

    fn mentions(&self, members: &[usize]) -> Vec<Value> {
        members
            .iter()
            .map(|&m| json!({ "user_id": self.id(m), "username": self.members[m].username }))
            .collect()
    }

    fn id(&self, member: usize) -> Id {
        self.members[member].id
    }

    fn anyone(&mut self) -> usize {
        self.rng.random_range(0..self.members.len())
    }

    fn other_than(&mut self, member: usize) -> usize {
        let drawn = self.rng.random_range(0..self.members.len() - 1);
        if drawn >= member { drawn + 1 } else { drawn }
    }

    /// A member drawn with a skew to the first ones (index = n·u², so the
    /// first 10% get about a third of the draws): popular accounts get most
    /// of the follows, reactions and comments, so notifications group.
    fn popular(&mut self) -> usize {
        let u: f64 = self.rng.random();
        ((u * u * self.members.len() as f64) as usize).min(self.members.len() - 1)
    }

    /// A post of a popular author, and that author.
    fn post(&mut self) -> (Id, usize) {
        let author = self.popular();
        let post =
            &self.posts[author * POSTS_PER_MEMBER + self.rng.random_range(0..POSTS_PER_MEMBER)];
        (post.id, post.author)
    }

    /// Who acts on a post of `author`: now and then the author themself.
    fn actor_on(&mut self, author: usize) -> usize {
        if self.rng.random_bool(OWN_POST_SHARE) {
            author
        } else {
            self.other_than(author)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chorus_notifications::events::{Plan, plan};

    use super::*;

    fn members(count: usize) -> Vec<Member> {
        (0..count)
            .map(|i| Member {
                id: Id(1_000 + i as i64),
                username: format!("member{i}"),
            })
            .collect()
    }

    #[test]
    fn the_mix_has_the_stated_shares_and_some_events_notify_nobody() {
        let members = members(200);
        let ids = IdGenerator::new(1);
        let stream = Workload::new(&members, &ids, 7).take(20_000);
        let mut counts: HashMap<Action, usize> = HashMap::new();
        for planned in &stream {
            *counts.entry(planned.action).or_default() += 1;
            assert_eq!(planned.event.kind, planned.action.topic());
        }
        for action in Action::ALL {
            let share = counts.get(&action).copied().unwrap_or(0) as f64 / 200.0;
            let expected = f64::from(action.percent());
            assert!(
                (share - expected).abs() < 1.5,
                "{action:?}: {share:.1}% of the stream, expected {expected}%"
            );
        }
        let silent = stream.iter().filter(|p| p.effects.is_empty()).count();
        assert!(
            (200..4_000).contains(&silent),
            "own actions and messages read live notify nobody: {silent} of 20000"
        );
    }

    #[test]
    fn the_same_seed_draws_the_same_stream() {
        let members = members(50);
        let ids = IdGenerator::new(1);
        let shape = |seed| -> Vec<(Action, usize)> {
            Workload::new(&members, &ids, seed)
                .take(500)
                .iter()
                .map(|p| (p.action, p.effects.len()))
                .collect()
        };
        assert_eq!(shape(3), shape(3));
        assert_ne!(shape(3), shape(4));
    }

    /// The service's own planner reads every payload, and asks for exactly
    /// the notifications the stream expects (no blocks or friendships here,
    /// so nothing it plans is filtered out later).
    #[test]
    fn the_services_planner_agrees_with_the_expected_effects() {
        let members = members(30);
        let ids = IdGenerator::new(1);
        for planned in Workload::new(&members, &ids, 11).take(5_000) {
            let mut planned_by_service: Vec<Effect> = match plan(&planned.event) {
                Ok(Plan::Deliver { drafts, .. }) => drafts
                    .iter()
                    .map(|draft| Effect {
                        recipient: draft.recipient,
                        kind: draft.kind,
                        actor: draft.actor,
                        subject: draft.subject.id,
                        detail: draft.subject.comment_id.or(draft.subject.message_id),
                    })
                    .collect(),
                Ok(Plan::Ignore) => Vec::new(),
                other => panic!("{:?} planned as {other:?}", planned.event),
            };
            let mut expected = planned.effects.clone();
            planned_by_service.sort();
            expected.sort();
            assert_eq!(planned_by_service, expected, "{:?}", planned.event);
        }
    }

    #[test]
    fn a_push_reads_back_as_its_effect() {
        let push = NotificationPush {
            recipient: Id(5),
            notification: json!({
                "id": "900", "type": "message",
                "actor": {"id": "7", "username": "ana"}, "actors": [], "actor_count": 2,
                "subject": {"type": "conversation", "id": "40", "message_id": "41", "preview": "hi"},
            }),
        };
        assert_eq!(
            Effect::of_push(&push),
            Some(Effect {
                recipient: Id(5),
                kind: Kind::Message,
                actor: Id(7),
                subject: Id(40),
                detail: Some(Id(41)),
            })
        );
        let unreadable = NotificationPush {
            recipient: Id(5),
            notification: json!({"type": "poke"}),
        };
        assert_eq!(Effect::of_push(&unreadable), None);
    }
}
