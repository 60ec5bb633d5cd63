//! Reactions, comments, replies, mentions and reposts; deletions take them back.

use http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, card_ids, summary};
use crate::on_both;

on_both!(
    reactions_group_until_read_and_ones_own_are_not_told,
    a_comment_tells_each_person_once,
    mentions_reach_only_those_who_may_see_the_post,
    deletions_take_back_what_they_caused,
);

async fn reactions_group_until_read_and_ones_own_are_not_told(app: &TestApp) {
    let author = app.register("author").await;
    let post = app.new_id();
    app.react(&author, post, &author).await;
    assert!(
        app.notifications(&author).await.is_empty(),
        "one's own reaction"
    );

    let mut fans = Vec::new();
    for name in ["ana", "bo", "cy", "dan", "eve"] {
        let fan = app.register(name).await;
        app.react(&fan, post, &author).await;
        fans.push(fan);
    }
    let items = app.notifications(&author).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let group = &items[0];
    assert_eq!(group["type"], "reaction");
    assert_eq!(
        group["subject"],
        json!({"type": "post", "id": post.to_string()})
    );
    assert_eq!(group["actor_count"], 5);
    assert_eq!(
        card_ids(&group["actors"]),
        [fans[4].id(), fans[3].id(), fans[2].id()]
    );

    // A repeat by someone already counted moves them first, counted once.
    app.react(&fans[0], post, &author).await;
    let again = &app.notifications(&author).await[0];
    assert_eq!(again["actor_count"], 5);
    assert_eq!(
        card_ids(&again["actors"]),
        [fans[0].id(), fans[4].id(), fans[3].id()]
    );

    // Another post is another group.
    let other = app.new_id();
    app.react(&fans[1], other, &author).await;
    assert_eq!(app.notifications(&author).await.len(), 2);

    let read = app
        .post(
            &format!(
                "/api/v1/notifications/{}/read",
                group["id"].as_str().expect("id")
            ),
            &author,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    app.react(&fans[2], post, &author).await;
    let items = app.notifications(&author).await;
    assert_eq!(
        items.len(),
        3,
        "a read group takes no more: a new one starts"
    );
    assert_eq!(items[0]["actor_count"], 1);
    assert_eq!(items[0]["subject"]["id"], post.to_string());
}

async fn a_comment_tells_each_person_once(app: &TestApp) {
    let author = app.register("author").await;
    let ana = app.register("ana").await;
    let bo = app.register("bo").await;
    let cy = app.register("cy").await;
    let post = app.new_id();

    let first = app.comment(&ana, post, &author, None, &[]).await;
    let told = app.notifications(&author).await;
    assert_eq!(summary(&told), [("comment".into(), ana.id())]);
    assert_eq!(
        told[0]["subject"],
        json!({"type": "post", "id": post.to_string(), "comment_id": first.to_string()})
    );

    // bo replies to ana, mentioning the author (who hears of the comment)
    // and cy (who hears of the mention).
    let reply = app
        .comment(
            &bo,
            post,
            &author,
            Some((first, &ana)),
            &[&author, &cy, &bo],
        )
        .await;
    let for_ana = app.notifications(&ana).await;
    assert_eq!(summary(&for_ana), [("reply".into(), bo.id())]);
    assert_eq!(
        for_ana[0]["subject"],
        json!({"type": "comment", "id": reply.to_string(), "post_id": post.to_string(),
               "parent_id": first.to_string()})
    );
    let for_author = app.notifications(&author).await;
    assert_eq!(
        summary(&for_author),
        [("comment".into(), bo.id())],
        "grouped"
    );
    assert_eq!(for_author[0]["actor_count"], 2);
    assert_eq!(for_author[0]["subject"]["comment_id"], reply.to_string());
    let for_cy = app.notifications(&cy).await;
    assert_eq!(summary(&for_cy), [("mention".into(), bo.id())]);
    assert_eq!(for_cy[0]["subject"]["type"], "comment");
    assert!(
        app.notifications(&bo).await.is_empty(),
        "not for one's own comment"
    );

    // The author replies to ana and mentions her too: one reply, no mention.
    app.comment(&author, post, &author, Some((first, &ana)), &[&ana])
        .await;
    let for_ana = app.notifications(&ana).await;
    assert_eq!(
        summary(&for_ana),
        [("reply".into(), author.id()), ("reply".into(), bo.id())]
    );
    assert_eq!(app.notifications(&author).await.len(), 1);
}

async fn mentions_reach_only_those_who_may_see_the_post(app: &TestApp) {
    let author = app.register("author").await;
    let fan = app.register("fan").await;
    let stranger = app.register("stranger").await;
    app.follow(&fan, &author).await;
    assert!(app.notifications(&fan).await.is_empty());

    app.post_mentioning(&author, "followers", &[&fan, &stranger])
        .await;
    assert_eq!(
        summary(&app.notifications(&fan).await),
        [("mention".into(), author.id())]
    );
    assert!(
        app.notifications(&stranger).await.is_empty(),
        "cannot see it"
    );

    app.post_mentioning(&author, "private", &[&fan, &stranger])
        .await;
    assert_eq!(
        app.notifications(&fan).await.len(),
        1,
        "nobody sees a private post"
    );

    let public = app
        .post_mentioning(&author, "public", &[&fan, &stranger])
        .await;
    let for_stranger = app.notifications(&stranger).await;
    assert_eq!(summary(&for_stranger), [("mention".into(), author.id())]);
    assert_eq!(
        for_stranger[0]["subject"],
        json!({"type": "post", "id": public.to_string()})
    );
    assert_eq!(
        app.notifications(&fan).await.len(),
        2,
        "mentions do not group"
    );
}

async fn deletions_take_back_what_they_caused(app: &TestApp) {
    let author = app.register("author").await;
    let ana = app.register("ana").await;
    let bo = app.register("bo").await;
    let post = app.new_id();

    let by_ana = app.comment(&ana, post, &author, None, &[]).await;
    let by_bo = app.comment(&bo, post, &author, None, &[]).await;
    app.delete_comment(&bo, by_bo, post, &author).await;
    let group = &app.notifications(&author).await[0];
    assert_eq!(group["actor_count"], 1);
    assert_eq!(card_ids(&group["actors"]), [ana.id()]);
    assert_eq!(
        group["subject"]["comment_id"],
        by_ana.to_string(),
        "the newest left"
    );
    app.delete_comment(&author, by_ana, post, &author).await;
    assert!(app.notifications(&author).await.is_empty(), "nobody left");

    let first = app.comment(&author, post, &author, None, &[]).await;
    let reply = app
        .comment(&ana, post, &author, Some((first, &author)), &[&bo])
        .await;
    assert_eq!(app.notifications(&author).await.len(), 1);
    assert_eq!(app.notifications(&bo).await.len(), 1);
    app.delete_comment(&ana, reply, post, &author).await;
    assert!(
        app.notifications(&author).await.is_empty(),
        "the reply is gone"
    );
    assert!(app.notifications(&bo).await.is_empty(), "and its mention");

    let shared_by_ana = app.repost(&ana, post, &author).await;
    app.repost(&bo, post, &author).await;
    let reposts = &app.notifications(&author).await[0];
    assert_eq!(
        (reposts["type"].as_str(), reposts["actor_count"].as_i64()),
        (Some("repost"), Some(2))
    );
    app.delete_post(&ana, shared_by_ana, Some(post)).await;
    let reposts = &app.notifications(&author).await[0];
    assert_eq!(card_ids(&reposts["actors"]), [bo.id()]);
    assert_eq!(reposts["actor_count"], 1);

    app.react(&ana, post, &author).await;
    let other = app.new_id();
    app.react(&ana, other, &author).await;
    assert_eq!(app.notifications(&author).await.len(), 3);
    app.delete_post(&author, post, None).await;
    let left = app.notifications(&author).await;
    assert_eq!(left.len(), 1, "only the other post's: {left:?}");
    assert_eq!(left[0]["subject"]["id"], other.to_string());
}
