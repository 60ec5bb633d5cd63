//! Events read into plans, with the payloads their publishers send.

use chorus_core::{Envelope, Id};
use serde_json::{Value, json};

use super::*;
use crate::domain::SubjectKind;

fn event(kind: &str, actor: i64, payload: Value) -> Envelope {
    Envelope::new(Id(999), kind, Some(Id(actor)), payload)
}

fn drafts(plan: Plan) -> Vec<Draft> {
    match plan {
        Plan::Deliver { drafts, .. } => drafts,
        other => panic!("not a delivery: {other:?}"),
    }
}

fn who(drafts: &[Draft]) -> Vec<(i64, Kind)> {
    drafts.iter().map(|d| (d.recipient.0, d.kind)).collect()
}

#[test]
fn a_follow_tells_the_followee_and_an_approval_tells_the_follower() {
    let payload = json!({"follower_id": "1", "followee_id": "2"});
    let follow = drafts(plan(&event(USER_FOLLOWED, 1, payload.clone())).expect("plan"));
    assert_eq!(who(&follow), [(2, Kind::Follow)]);
    assert_eq!(follow[0].actor, Id(1));
    assert_eq!(follow[0].subject, Subject::user(Id(2)));
    assert!(follow[0].unless_friends);

    let approved = drafts(plan(&event(USER_FOLLOWED, 2, payload)).expect("plan"));
    assert_eq!(who(&approved), [(1, Kind::FollowAccepted)]);
    assert_eq!(approved[0].actor, Id(2));
}

#[test]
fn requests_and_acceptances_go_to_the_other_side() {
    let follow = json!({"request_id": "7", "follower_id": "1", "followee_id": "2"});
    let request = drafts(plan(&event(FOLLOW_REQUESTED, 1, follow)).expect("plan"));
    assert_eq!(who(&request), [(2, Kind::FollowRequest)]);
    assert_eq!(request[0].subject, Subject::follow_request(Id(7)));

    let friend = json!({"request_id": "8", "from_id": "1", "to_id": "2"});
    let asked = drafts(plan(&event(FRIEND_REQUESTED, 1, friend.clone())).expect("plan"));
    assert_eq!(who(&asked), [(2, Kind::FriendRequest)]);
    let accepted = drafts(plan(&event(FRIEND_ACCEPTED, 2, friend)).expect("plan"));
    assert_eq!(who(&accepted), [(1, Kind::FriendAccepted)]);
    assert_eq!(accepted[0].actor, Id(2));
    assert_eq!(accepted[0].subject.kind, SubjectKind::FriendRequest);
}

fn post_created(visibility: &str, mentions: &[i64]) -> Envelope {
    let mentions: Vec<Value> = mentions
        .iter()
        .map(|id| json!({"user_id": id.to_string(), "username": format!("u{id}")}))
        .collect();
    event(
        POST_CREATED,
        1,
        json!({
            "post_id": "50", "author_id": "1", "content": "hi", "visibility": visibility,
            "hashtags": [], "mentions": mentions, "media_ids": [], "repost_of": null,
            "created_at": "2026-01-01T00:00:00.000Z",
        }),
    )
}

#[test]
fn mentions_follow_the_posts_visibility() {
    let public = drafts(plan(&post_created("public", &[2, 3, 1])).expect("plan"));
    assert_eq!(who(&public), [(2, Kind::Mention), (3, Kind::Mention)]);
    assert_eq!(public[0].requires_following, None);
    assert_eq!(public[0].source, Some(Id(50)));
    assert_eq!(public[0].subject, Subject::post(Id(50)));

    let followers = drafts(plan(&post_created("followers", &[2])).expect("plan"));
    assert_eq!(followers[0].requires_following, Some(Id(1)));

    assert_eq!(
        plan(&post_created("private", &[2])).expect("plan"),
        Plan::Ignore
    );
    assert_eq!(
        plan(&post_created("public", &[])).expect("plan"),
        Plan::Ignore
    );
}

#[test]
fn a_mass_mention_is_cut_short() {
    let many: Vec<i64> = (2..200).collect();
    let planned = drafts(plan(&post_created("public", &many)).expect("plan"));
    assert_eq!(planned.len(), MAX_MENTIONS);
}

fn comment(parent_author: Option<i64>, mentions: &[i64], visibility: &str) -> Envelope {
    let mentions: Vec<Value> = mentions
        .iter()
        .map(|id| json!({"user_id": id.to_string(), "username": format!("u{id}")}))
        .collect();
    event(
        COMMENT_CREATED,
        3,
        json!({
            "comment_id": "70", "post_id": "50", "post_author_id": "1", "author_id": "3",
            "parent_id": parent_author.map(|_| "60"),
            "parent_author_id": parent_author.map(|id| id.to_string()),
            "content": "x", "mentions": mentions, "post_visibility": visibility,
        }),
    )
}

#[test]
fn a_comment_tells_each_person_once_a_reply_first() {
    let planned = drafts(plan(&comment(Some(2), &[1, 2, 4, 3], "public")).expect("plan"));
    assert_eq!(
        who(&planned),
        [(2, Kind::Reply), (1, Kind::Comment), (4, Kind::Mention)]
    );
    assert_eq!(
        planned[0].subject,
        Subject::comment(Id(70), Id(50), Some(Id(60)))
    );
    assert_eq!(
        planned[1].subject,
        Subject::post_with_comment(Id(50), Id(70))
    );
    assert!(planned.iter().all(|d| d.source == Some(Id(70))));

    // The post's author replying to someone in their own thread.
    let reply_to_author = drafts(plan(&comment(Some(1), &[], "public")).expect("plan"));
    assert_eq!(who(&reply_to_author), [(1, Kind::Reply)]);
}

#[test]
fn mentions_in_comments_follow_the_posts_visibility() {
    let followers = drafts(plan(&comment(None, &[4], "followers")).expect("plan"));
    assert_eq!(who(&followers), [(1, Kind::Comment), (4, Kind::Mention)]);
    assert_eq!(followers[1].requires_following, Some(Id(1)));
    let private = drafts(plan(&comment(None, &[4], "private")).expect("plan"));
    assert_eq!(who(&private), [(1, Kind::Comment)]);
}

#[test]
fn reactions_and_reposts_go_to_the_posts_author() {
    let reacted = json!({"post_id": "50", "post_author_id": "1", "user_id": "2",
                         "kind": "like", "post_visibility": "public"});
    let reaction = drafts(plan(&event(POST_REACTED, 2, reacted)).expect("plan"));
    assert_eq!(who(&reaction), [(1, Kind::Reaction)]);
    assert_eq!(reaction[0].group_key().as_deref(), Some("reaction:post:50"));

    let own = json!({"post_id": "50", "post_author_id": "1", "user_id": "1",
                     "kind": "like", "post_visibility": "public"});
    assert_eq!(
        plan(&event(POST_REACTED, 1, own)).expect("plan"),
        Plan::Ignore
    );

    let reposted = json!({"post_id": "50", "original_author_id": "1", "repost_id": "51",
                          "user_id": "2"});
    let repost = drafts(plan(&event(POST_REPOSTED, 2, reposted)).expect("plan"));
    assert_eq!(who(&repost), [(1, Kind::Repost)]);
    assert_eq!(repost[0].source, Some(Id(51)));
}

#[test]
fn a_message_tells_the_offline_members_only() {
    let sent = json!({
        "message_id": "90", "conversation_id": "80", "sender_id": "1",
        "recipient_ids": ["2", "3"], "offline_ids": ["3"], "preview": "hello there",
        "created_at": "2026-01-01T00:00:00.000Z",
    });
    let planned = drafts(plan(&event(MESSAGE_SENT, 1, sent)).expect("plan"));
    assert_eq!(who(&planned), [(3, Kind::Message)]);
    assert_eq!(
        planned[0].subject,
        Subject::conversation(Id(80), Id(90), "hello there")
    );
}

#[test]
fn deletions_and_blocks_are_cleanups() {
    let deleted = json!({"post_id": "50", "author_id": "1", "repost_of": null});
    assert_eq!(
        plan(&event(POST_DELETED, 1, deleted)).expect("plan"),
        Plan::PostDeleted { post: Id(50) }
    );
    let comment = json!({"comment_id": "70", "post_id": "50", "author_id": "3",
                         "post_author_id": "1"});
    assert_eq!(
        plan(&event(COMMENT_DELETED, 3, comment)).expect("plan"),
        Plan::CommentDeleted { comment: Id(70) }
    );
    let block = json!({"blocker_id": "1", "blocked_id": "2"});
    assert_eq!(
        plan(&event(USER_BLOCKED, 1, block)).expect("plan"),
        Plan::Blocked {
            blocker: Id(1),
            blocked: Id(2)
        }
    );
}

#[test]
fn a_malformed_payload_is_an_error_and_other_events_are_ignored() {
    assert!(plan(&event(POST_REACTED, 1, json!({"post_id": "x"}))).is_err());
    assert_eq!(
        plan(&event("user.updated", 1, json!({}))).expect("plan"),
        Plan::Ignore
    );
}
