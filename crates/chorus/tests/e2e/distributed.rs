//! Distributed mode specifics: events really cross RabbitMQ.

use std::time::Duration;

use futures::StreamExt;
use lapin::options::{
    BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties, ExchangeKind};

use crate::client::Api;
use crate::harness::Chorus;

#[tokio::test]
async fn a_signup_publishes_user_registered_on_the_broker() {
    let Some(app) = Chorus::distributed().await else {
        return;
    };
    let namespace = app.namespace.clone().expect("namespace");
    let amqp = chorus_testkit::amqp_url().expect("amqp");

    let connection = Connection::connect(&amqp, ConnectionProperties::default())
        .await
        .expect("amqp");
    let channel = connection.create_channel().await.expect("channel");
    let exchange = format!("{namespace}.events");
    channel
        .exchange_declare(
            exchange.as_str().into(),
            ExchangeKind::Topic,
            ExchangeDeclareOptions {
                durable: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("exchange");
    let queue = channel
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("queue");
    channel
        .queue_bind(
            queue.name().clone(),
            exchange.as_str().into(),
            "user.registered".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("bind");
    let mut consumer = channel
        .basic_consume(
            queue.name().clone(),
            "e2e".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("consume");

    let session = Api::new(&app.base).signup("rabbit").await;

    let delivery = tokio::time::timeout(Duration::from_secs(15), consumer.next())
        .await
        .expect("user.registered arrives within 15 s")
        .expect("a delivery")
        .expect("not an error");
    let event: serde_json::Value = serde_json::from_slice(&delivery.data).expect("json envelope");
    assert_eq!(event["type"], "user.registered");
    assert_eq!(event["payload"]["username"], session.user["username"]);
    assert_eq!(event["actor"], session.user["id"]);
    assert!(
        event["id"].is_string() && event["occurred_at"].is_string(),
        "{event}"
    );
}
