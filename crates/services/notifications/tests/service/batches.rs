//! Batches, as the bus hands what is queued to the consumer: one
//! transaction for all, each event applied once (repeats inside a batch and
//! across batches change nothing), and a later event of the batch sees what
//! an earlier one stored (it merges into the group that one opened).

use chorus_core::{Envelope, Id};
use serde_json::json;

use crate::helpers::{TestApp, User, card_ids};
use crate::on_both;

on_both!(
    repeats_inside_and_across_batches_are_applied_once,
    events_of_one_batch_see_each_other
);

fn reacted(app: &TestApp, user: &User, post: Id, author: &User) -> Envelope {
    let payload = json!({
        "post_id": post, "post_author_id": author.id, "user_id": user.id,
        "kind": "like", "post_visibility": "public",
    });
    app.event("post.reacted", user, payload)
}

fn commented(app: &TestApp, user: &User, comment: Id, post: Id, author: &User) -> Envelope {
    let payload = json!({
        "comment_id": comment, "post_id": post, "post_author_id": author.id,
        "author_id": user.id, "parent_id": null, "parent_author_id": null,
        "content": "hi", "mentions": [], "post_visibility": "public",
    });
    app.event("comment.created", user, payload)
}

async fn repeats_inside_and_across_batches_are_applied_once(app: &TestApp) {
    let author = app.register("author").await;
    let [ana, bo, cy, dee] = [
        app.register("ana").await,
        app.register("bo").await,
        app.register("cy").await,
        app.register("dee").await,
    ];
    let post = app.new_id();
    let liked = reacted(app, &ana, post, &author);
    let said = commented(app, &bo, app.new_id(), post, &author);
    let also_liked = reacted(app, &cy, post, &author);
    let instance = app.another_instance().await;

    let batch = [
        liked.clone(),
        said.clone(),
        liked.clone(),
        also_liked.clone(),
        said.clone(),
    ];
    instance.apply_batch(&batch).await.expect("applies");
    // One push per event applied, in order: the repeats changed nothing.
    let pushes = [
        app.next_push().await,
        app.next_push().await,
        app.next_push().await,
    ];
    assert_eq!(pushes[0].notification["type"], "reaction");
    assert_eq!(pushes[0].notification["actor_count"], 1);
    assert_eq!(pushes[1].notification["type"], "comment");
    assert_eq!(pushes[2].notification["id"], pushes[0].notification["id"]);
    assert_eq!(pushes[2].notification["actor_count"], 2);
    app.no_push().await;

    // Across batches, and alone: applied before, so skipped.
    let new_like = reacted(app, &dee, post, &author);
    instance
        .apply_batch(&[said.clone(), also_liked.clone(), new_like])
        .await
        .expect("applies");
    let regrouped = app.next_push().await;
    assert_eq!(regrouped.notification["actor_count"], 3);
    app.no_push().await;
    instance.apply(&liked).await.expect("applies");
    instance.apply_batch(&batch).await.expect("applies");
    app.no_push().await;

    let items = app.notifications(&author).await;
    assert_eq!(items.len(), 2, "{items:?}");
    let reaction = items
        .iter()
        .find(|item| item["type"] == "reaction")
        .expect("the reaction group");
    assert_eq!(reaction["actor_count"], 3);
    assert_eq!(card_ids(&reaction["actors"]), [dee.id(), cy.id(), ana.id()]);
    let comment = items
        .iter()
        .find(|item| item["type"] == "comment")
        .expect("the comment");
    assert_eq!(comment["actor_count"], 1);
}

async fn events_of_one_batch_see_each_other(app: &TestApp) {
    let author = app.register("author").await;
    let [ana, bo, cy] = [
        app.register("ana").await,
        app.register("bo").await,
        app.register("cy").await,
    ];
    let (post, other_post) = (app.new_id(), app.new_id());
    let (first_comment, second_comment) = (app.new_id(), app.new_id());
    let deleted = app.event(
        "comment.deleted",
        &ana,
        json!({
            "comment_id": first_comment, "post_id": post, "author_id": ana.id,
            "post_author_id": author.id,
        }),
    );
    let batch = [
        reacted(app, &ana, post, &author),
        reacted(app, &bo, post, &author),
        reacted(app, &cy, other_post, &author),
        commented(app, &ana, first_comment, post, &author),
        reacted(app, &cy, post, &author),
        commented(app, &bo, second_comment, post, &author),
        // Takes back what the comment stored earlier in this batch.
        deleted,
    ];
    let instance = app.another_instance().await;
    instance.apply_batch(&batch).await.expect("applies");

    let items = app.notifications(&author).await;
    let reactions: Vec<_> = items
        .iter()
        .filter(|item| item["type"] == "reaction")
        .collect();
    assert_eq!(reactions.len(), 2, "one group per post: {items:?}");
    let on_post = reactions
        .iter()
        .find(|item| item["subject"]["id"] == post.to_string())
        .expect("the group of the first post");
    assert_eq!(on_post["actor_count"], 3, "merged into one group");
    assert_eq!(card_ids(&on_post["actors"]), [cy.id(), bo.id(), ana.id()]);
    let comments: Vec<_> = items
        .iter()
        .filter(|item| item["type"] == "comment")
        .collect();
    assert_eq!(comments.len(), 1, "{items:?}");
    assert_eq!(comments[0]["actor_count"], 1);
    assert_eq!(card_ids(&comments[0]["actors"]), [bo.id()]);
    assert_eq!(
        comments[0]["subject"]["comment_id"],
        second_comment.to_string()
    );
}
