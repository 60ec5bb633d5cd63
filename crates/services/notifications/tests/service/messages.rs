//! Messages: only to members who were offline, grouped per conversation.

use chorus_core::Id;
use serde_json::json;

use crate::helpers::{TestApp, card_ids, summary};
use crate::on_both;

on_both!(offline_members_hear_of_messages_grouped_per_conversation);

async fn offline_members_hear_of_messages_grouped_per_conversation(app: &TestApp) {
    let ana = app.register("ana").await;
    let bo = app.register("bo").await;
    let cy = app.register("cy").await;
    let chat = app.new_id();
    let first = app
        .message(&ana, chat, &[&bo, &cy], &[&cy], "hello both")
        .await;
    assert!(app.notifications(&bo).await.is_empty(), "bo was online");
    let for_cy = app.notifications(&cy).await;
    assert_eq!(summary(&for_cy), [("message".into(), ana.id())]);
    assert_eq!(
        for_cy[0]["subject"],
        json!({"type": "conversation", "id": chat.to_string(),
               "message_id": first.to_string(), "preview": "hello both"})
    );

    let second = app
        .message(&bo, chat, &[&ana, &cy], &[&cy], &"long ".repeat(40))
        .await;
    let grouped = app.notifications(&cy).await;
    assert_eq!(grouped.len(), 1);
    assert_eq!(card_ids(&grouped[0]["actors"]), [bo.id(), ana.id()]);
    assert_eq!(grouped[0]["subject"]["message_id"], second.to_string());
    let preview = grouped[0]["subject"]["preview"].as_str().expect("preview");
    assert_eq!(preview.chars().count(), 100, "cut to 100 characters");

    app.message(&ana, Id(chat.0 + 1), &[&cy], &[&cy], "elsewhere")
        .await;
    assert_eq!(
        app.notifications(&cy).await.len(),
        2,
        "another conversation"
    );

    app.prefer(&cy, "message", false).await;
    app.message(&ana, app.new_id(), &[&cy], &[&cy], "muted")
        .await;
    assert_eq!(app.notifications(&cy).await.len(), 2, "switched off");
}
