//! Realtime: each stored or regrouped notification is published on the
//! pub/sub channel, as the list shows it, for its recipient only.

use chorus_core::Id;

use crate::helpers::{TestApp, card_ids};
use crate::on_both;

on_both!(new_and_regrouped_notifications_are_pushed_and_others_are_not);

async fn new_and_regrouped_notifications_are_pushed_and_others_are_not(app: &TestApp) {
    let author = app.register("author").await;
    let ana = app.register("ana").await;
    let bo = app.register("bo").await;
    let post = app.new_id();

    app.react(&ana, post, &author).await;
    let push = app.next_push().await;
    assert_eq!(push.recipient, author.id);
    let listed = app.notifications(&author).await;
    assert_eq!(push.notification, listed[0], "the same object as the list");
    assert_eq!(
        push.notification["actor"]["username"],
        ana.username.as_str()
    );

    app.react(&bo, post, &author).await;
    let regrouped = app.next_push().await;
    assert_eq!(regrouped.notification["id"], listed[0]["id"]);
    assert_eq!(regrouped.notification["actor_count"], 2);
    assert_eq!(
        card_ids(&regrouped.notification["actors"]),
        [bo.id(), ana.id()]
    );

    // Nothing to push: one's own action, a type switched off, a block.
    app.react(&author, post, &author).await;
    app.prefer(&author, "reaction", false).await;
    app.react(&ana, Id(post.0 + 1), &author).await;
    app.block(&author, &bo).await;
    app.post_mentioning(&bo, "public", &[&author]).await;
    app.no_push().await;

    app.post_mentioning(&ana, "public", &[&author, &bo]).await;
    let mut pushed = [app.next_push().await, app.next_push().await];
    pushed.sort_by_key(|push| push.recipient);
    let mut expected = [author.id, bo.id];
    expected.sort();
    assert!(
        pushed
            .iter()
            .all(|push| push.notification["type"] == "mention")
    );
    assert_eq!(pushed.map(|push| push.recipient), expected, "one each");
}
