//! Two instances of the service apply events at once, as two processes
//! behind one queue do: repeats still make one group, each actor counted once.

use chorus_core::Envelope;
use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both;

on_both!(concurrent_repeats_on_two_instances_make_one_group);

/// Attempts per event, as the bus would retry one that lost a race.
const ATTEMPTS: usize = 5;

async fn concurrent_repeats_on_two_instances_make_one_group(app: &TestApp) {
    let author = app.register("author").await;
    let mut fans = Vec::new();
    for _ in 0..16 {
        fans.push(app.register("fan").await);
    }
    let instances = [app.another_instance().await, app.another_instance().await];
    let post = app.new_id();
    let events: Vec<Envelope> = fans
        .iter()
        .map(|fan| {
            let payload = json!({
                "post_id": post, "post_author_id": author.id, "user_id": fan.id,
                "kind": "like", "post_visibility": "public",
            });
            app.event("post.reacted", fan, payload)
        })
        .collect();
    let runs = events.iter().enumerate().map(|(n, event)| {
        let instance = &instances[n % 2];
        async move {
            for attempt in 1..=ATTEMPTS {
                match instance.apply(event).await {
                    Ok(()) => return,
                    Err(error) if attempt < ATTEMPTS => eprintln!("retrying: {error:#}"),
                    Err(error) => panic!("{error:#}"),
                }
            }
        }
    });
    futures::future::join_all(runs).await;
    // Redelivered, each changes nothing.
    for event in &events[..4] {
        instances[1].apply(event).await.expect("applies");
    }

    let items = app.notifications(&author).await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["actor_count"], 16);
    assert_eq!(items[0]["actors"].as_array().map(Vec::len), Some(3));
}
