//! The events the notifications service consumes, and what each asks for:
//! notifications to deliver, or ones to take back. Pure: the rules that need
//! other services (blocks, who follows whom) and the store come after.

use chorus_core::{Envelope, Id};
use serde::Deserialize;

use crate::domain::{Draft, Kind, Subject, one_per_recipient};

pub const USER_FOLLOWED: &str = "user.followed";
pub const FOLLOW_REQUESTED: &str = "follow.requested";
pub const FRIEND_REQUESTED: &str = "friend.requested";
pub const FRIEND_ACCEPTED: &str = "friend.accepted";
pub const USER_BLOCKED: &str = "user.blocked";
pub const POST_CREATED: &str = "post.created";
pub const POST_REPOSTED: &str = "post.reposted";
pub const POST_REACTED: &str = "post.reacted";
pub const POST_DELETED: &str = "post.deleted";
pub const COMMENT_CREATED: &str = "comment.created";
pub const COMMENT_DELETED: &str = "comment.deleted";
pub const MESSAGE_SENT: &str = "message.sent";

/// Every topic the consumer listens to.
pub const TOPICS: [&str; 12] = [
    USER_FOLLOWED,
    FOLLOW_REQUESTED,
    FRIEND_REQUESTED,
    FRIEND_ACCEPTED,
    USER_BLOCKED,
    POST_CREATED,
    POST_REPOSTED,
    POST_REACTED,
    POST_DELETED,
    COMMENT_CREATED,
    COMMENT_DELETED,
    MESSAGE_SENT,
];

/// Mentions notified per post or comment: past that, a text is a mass
/// mention, not a conversation, and the rest are not told.
pub const MAX_MENTIONS: usize = 50;

/// Recipients of one message notified: bounds the work of one event.
pub const MAX_MESSAGE_RECIPIENTS: usize = 500;

/// What one event asks of the service.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Notifications by `actor`, at most one per recipient, none to `actor`.
    Deliver {
        actor: Id,
        drafts: Vec<Draft>,
    },
    /// A post is gone: so is every notification about it or its comments.
    PostDeleted {
        post: Id,
    },
    /// A comment is gone: what it caused is taken back.
    CommentDeleted {
        comment: Id,
    },
    /// Each no longer hears of the other.
    Blocked {
        blocker: Id,
        blocked: Id,
    },
    Ignore,
}

#[derive(Deserialize)]
struct Followed {
    follower_id: Id,
    followee_id: Id,
}

#[derive(Deserialize)]
struct FollowRequested {
    request_id: Id,
    follower_id: Id,
    followee_id: Id,
}

#[derive(Deserialize)]
struct FriendRequest {
    request_id: Id,
    from_id: Id,
    to_id: Id,
}

#[derive(Deserialize)]
struct Block {
    blocker_id: Id,
    blocked_id: Id,
}

#[derive(Deserialize)]
struct Mention {
    user_id: Id,
}

#[derive(Deserialize)]
struct PostCreated {
    post_id: Id,
    author_id: Id,
    visibility: String,
    #[serde(default)]
    mentions: Vec<Mention>,
}

#[derive(Deserialize)]
struct PostReposted {
    post_id: Id,
    original_author_id: Id,
    repost_id: Id,
    user_id: Id,
}

#[derive(Deserialize)]
struct PostReacted {
    post_id: Id,
    post_author_id: Id,
    user_id: Id,
}

#[derive(Deserialize)]
struct PostDeleted {
    post_id: Id,
}

#[derive(Deserialize)]
struct CommentCreated {
    comment_id: Id,
    post_id: Id,
    post_author_id: Id,
    author_id: Id,
    parent_id: Option<Id>,
    parent_author_id: Option<Id>,
    #[serde(default)]
    mentions: Vec<Mention>,
    post_visibility: String,
}

#[derive(Deserialize)]
struct CommentDeleted {
    comment_id: Id,
}

#[derive(Deserialize)]
struct MessageSent {
    message_id: Id,
    conversation_id: Id,
    sender_id: Id,
    offline_ids: Vec<Id>,
    #[serde(default)]
    preview: String,
}

/// Reads `event` into what it asks for; a payload that does not parse is an
/// error (the bus retries, then dead-letters it).
pub fn plan(event: &Envelope) -> Result<Plan, serde_json::Error> {
    let plan = match event.kind.as_str() {
        USER_FOLLOWED => followed(event.payload_as()?, event.actor),
        FOLLOW_REQUESTED => {
            let request: FollowRequested = event.payload_as()?;
            let subject = Subject::follow_request(request.request_id);
            deliver(
                request.follower_id,
                vec![Draft::new(
                    request.followee_id,
                    Kind::FollowRequest,
                    request.follower_id,
                    subject,
                )],
            )
        }
        FRIEND_REQUESTED => {
            let request: FriendRequest = event.payload_as()?;
            let subject = Subject::friend_request(request.request_id);
            deliver(
                request.from_id,
                vec![Draft::new(
                    request.to_id,
                    Kind::FriendRequest,
                    request.from_id,
                    subject,
                )],
            )
        }
        FRIEND_ACCEPTED => {
            let request: FriendRequest = event.payload_as()?;
            let subject = Subject::friend_request(request.request_id);
            deliver(
                request.to_id,
                vec![Draft::new(
                    request.from_id,
                    Kind::FriendAccepted,
                    request.to_id,
                    subject,
                )],
            )
        }
        USER_BLOCKED => {
            let block: Block = event.payload_as()?;
            Plan::Blocked {
                blocker: block.blocker_id,
                blocked: block.blocked_id,
            }
        }
        POST_CREATED => post_created(event.payload_as()?),
        POST_REPOSTED => {
            let repost: PostReposted = event.payload_as()?;
            let draft = Draft::new(
                repost.original_author_id,
                Kind::Repost,
                repost.user_id,
                Subject::post(repost.post_id),
            );
            deliver(repost.user_id, vec![draft.from_source(repost.repost_id)])
        }
        POST_REACTED => {
            let reaction: PostReacted = event.payload_as()?;
            let draft = Draft::new(
                reaction.post_author_id,
                Kind::Reaction,
                reaction.user_id,
                Subject::post(reaction.post_id),
            );
            deliver(reaction.user_id, vec![draft])
        }
        POST_DELETED => {
            let post: PostDeleted = event.payload_as()?;
            Plan::PostDeleted { post: post.post_id }
        }
        COMMENT_CREATED => comment_created(event.payload_as()?),
        COMMENT_DELETED => {
            let comment: CommentDeleted = event.payload_as()?;
            Plan::CommentDeleted {
                comment: comment.comment_id,
            }
        }
        MESSAGE_SENT => message_sent(event.payload_as()?),
        _ => Plan::Ignore,
    };
    Ok(plan)
}

fn deliver(actor: Id, drafts: Vec<Draft>) -> Plan {
    let drafts = one_per_recipient(drafts);
    if drafts.is_empty() {
        return Plan::Ignore;
    }
    Plan::Deliver { actor, drafts }
}

/// A follow, or (when the followee made it happen) an approved request.
fn followed(follow: Followed, actor: Option<Id>) -> Plan {
    let (follower, followee) = (follow.follower_id, follow.followee_id);
    let approved = actor == Some(followee) && followee != follower;
    let subject = Subject::user(followee);
    let mut draft = if approved {
        Draft::new(follower, Kind::FollowAccepted, followee, subject)
    } else {
        Draft::new(followee, Kind::Follow, follower, subject)
    };
    draft.unless_friends = true;
    let actor = draft.actor;
    deliver(actor, vec![draft])
}

/// Who may be told of a mention in a post of `author` with `visibility`:
/// `None` when nobody may (a private post), else the follow it takes.
fn mention_audience(visibility: &str, author: Id) -> Option<Option<Id>> {
    match visibility {
        "public" => Some(None),
        "followers" => Some(Some(author)),
        _ => None,
    }
}

fn mentions(
    mentioned: &[Mention],
    actor: Id,
    subject: &Subject,
    source: Id,
    audience: Option<Option<Id>>,
) -> Vec<Draft> {
    let Some(requires_following) = audience else {
        return Vec::new();
    };
    mentioned
        .iter()
        .filter(|mention| mention.user_id != actor)
        .take(MAX_MENTIONS)
        .map(|mention| Draft {
            requires_following,
            ..Draft::new(mention.user_id, Kind::Mention, actor, subject.clone()).from_source(source)
        })
        .collect()
}

/// Mentions in a new post (reposts are told by `post.reposted`; a quote's
/// own mentions are told here).
fn post_created(post: PostCreated) -> Plan {
    let audience = mention_audience(&post.visibility, post.author_id);
    let subject = Subject::post(post.post_id);
    let drafts = mentions(
        &post.mentions,
        post.author_id,
        &subject,
        post.post_id,
        audience,
    );
    deliver(post.author_id, drafts)
}

/// A reply to the parent's author, a comment to the post's author, a
/// mention to each mentioned: one each, in that precedence.
fn comment_created(comment: CommentCreated) -> Plan {
    let actor = comment.author_id;
    let source = comment.comment_id;
    let mut drafts = Vec::new();
    if let (Some(parent), Some(parent_author)) = (comment.parent_id, comment.parent_author_id) {
        let subject = Subject::comment(comment.comment_id, comment.post_id, Some(parent));
        drafts.push(Draft::new(parent_author, Kind::Reply, actor, subject).from_source(source));
    }
    let subject = Subject::post_with_comment(comment.post_id, comment.comment_id);
    drafts.push(
        Draft::new(comment.post_author_id, Kind::Comment, actor, subject).from_source(source),
    );
    let audience = mention_audience(&comment.post_visibility, comment.post_author_id);
    let subject = Subject::comment(comment.comment_id, comment.post_id, comment.parent_id);
    drafts.extend(mentions(
        &comment.mentions,
        actor,
        &subject,
        source,
        audience,
    ));
    deliver(actor, drafts)
}

/// A message to each member who had no chat socket open when it was sent.
fn message_sent(message: MessageSent) -> Plan {
    let subject = Subject::conversation(
        message.conversation_id,
        message.message_id,
        &message.preview,
    );
    let drafts = message
        .offline_ids
        .iter()
        .take(MAX_MESSAGE_RECIPIENTS)
        .map(|&recipient| {
            Draft::new(recipient, Kind::Message, message.sender_id, subject.clone())
                .from_source(message.message_id)
        })
        .collect();
    deliver(message.sender_id, drafts)
}

#[cfg(test)]
mod tests;
