//! The names and declarations of the RabbitMQ topology, and the message
//! properties the bus reads and writes (see the [module doc](super)).

use std::time::Duration;

use anyhow::Context;
use chorus_core::Envelope;
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, ExchangeKind};

use crate::bus::Subscription;

/// The header that counts deliveries to a handler, the first being 1.
pub(super) const ATTEMPT_HEADER: &str = "x-chorus-attempt";
/// The header a dead-lettered copy carries: the handler's last error.
pub(super) const ERROR_HEADER: &str = "x-chorus-error";

/// AMQP delivery mode 2: the broker writes the message to disk.
const PERSISTENT: u8 = 2;
/// Long enough for an operator to read; short enough not to bloat every copy.
const MAX_ERROR_LEN: usize = 1000;

/// The topic exchange every event is published to.
pub(super) fn exchange(namespace: &str) -> String {
    format!("{namespace}.events")
}

/// The three queues of one consumer.
pub(super) struct QueueNames {
    /// Where its events wait for it: `{ns}.{consumer}`.
    pub main: String,
    /// Where failed events wait out their backoff: `{ns}.{consumer}.retry`.
    pub retry: String,
    /// Where events it gave up on stay: `{ns}.{consumer}.dlq`.
    pub dead: String,
}

impl QueueNames {
    pub fn new(namespace: &str, consumer: &str) -> Self {
        let main = format!("{namespace}.{consumer}");
        Self {
            retry: format!("{main}.retry"),
            dead: format!("{main}.dlq"),
            main,
        }
    }
}

/// A name as AMQP wants it, refused (instead of panicking) past 255 bytes.
pub(super) fn short(name: &str) -> anyhow::Result<ShortString> {
    ShortString::try_new(name)
        .map_err(|_| anyhow::anyhow!("AMQP name {name:?} is longer than 255 bytes"))
}

/// Declares the events exchange; idempotent, like every declaration here.
pub(super) async fn declare_exchange(channel: &Channel, namespace: &str) -> anyhow::Result<()> {
    let options = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    channel
        .exchange_declare(
            short(&exchange(namespace))?,
            ExchangeKind::Topic,
            options,
            FieldTable::default(),
        )
        .await
        .with_context(|| format!("declaring exchange {}", exchange(namespace)))
}

/// Declares the exchange, then the consumer's queues and its bindings.
pub(super) async fn declare_consumer(
    channel: &Channel,
    namespace: &str,
    subscription: &Subscription,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        !subscription.consumer.is_empty(),
        "a subscription needs a consumer name"
    );
    declare_exchange(channel, namespace).await?;
    let names = QueueNames::new(namespace, &subscription.consumer);
    let expiring = || {
        let mut arguments = FieldTable::default();
        if let Some(after) = subscription.expires_after {
            let millis = i64::try_from(after.as_millis()).unwrap_or(i64::MAX).max(1);
            arguments.insert("x-expires".into(), AMQPValue::LongLongInt(millis));
        }
        arguments
    };
    declare_queue(channel, &names.main, expiring()).await?;
    let mut retry_args = expiring();
    // An expired message goes back, through the default exchange, to the main queue.
    retry_args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString("".into()),
    );
    retry_args.insert(
        "x-dead-letter-routing-key".into(),
        AMQPValue::LongString(names.main.as_str().into()),
    );
    declare_queue(channel, &names.retry, retry_args).await?;
    declare_queue(channel, &names.dead, expiring()).await?;
    let exchange = exchange(namespace);
    for topic in &subscription.topics {
        channel
            .queue_bind(
                short(&names.main)?,
                short(&exchange)?,
                short(topic)?,
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .with_context(|| format!("binding queue {} to {topic:?}", names.main))?;
    }
    Ok(())
}

async fn declare_queue(channel: &Channel, name: &str, arguments: FieldTable) -> anyhow::Result<()> {
    channel
        .queue_declare(short(name)?, QueueDeclareOptions::durable(), arguments)
        .await
        .with_context(|| format!("declaring queue {name}"))?;
    Ok(())
}

/// The properties of a freshly published event.
pub(super) fn event_properties(event: &Envelope) -> anyhow::Result<BasicProperties> {
    let mut headers = FieldTable::default();
    headers.insert(ATTEMPT_HEADER.into(), AMQPValue::LongLongInt(1));
    Ok(BasicProperties::default()
        .with_delivery_mode(PERSISTENT)
        .with_content_type("application/json".into())
        .with_message_id(short(&event.id.to_string())?)
        .with_type(short(&event.kind)?)
        .with_headers(headers))
}

/// The properties of a copy of `original` sent to the retry queue (with
/// `expires_after`) or to the dead-letter queue (with `error`).
pub(super) fn copy_properties(
    original: &BasicProperties,
    attempt: u32,
    expires_after: Option<Duration>,
    error: Option<&str>,
) -> BasicProperties {
    let mut headers = original.headers().clone().unwrap_or_default();
    headers.insert(
        ATTEMPT_HEADER.into(),
        AMQPValue::LongLongInt(attempt.into()),
    );
    if let Some(error) = error {
        let error: String = error.chars().take(MAX_ERROR_LEN).collect();
        headers.insert(
            ERROR_HEADER.into(),
            AMQPValue::LongString(LongString::from(error)),
        );
    }
    let mut properties = BasicProperties::default()
        .with_delivery_mode(PERSISTENT)
        .with_headers(headers);
    if let Some(content_type) = original.content_type() {
        properties = properties.with_content_type(content_type.clone());
    }
    if let Some(id) = original.message_id() {
        properties = properties.with_message_id(id.clone());
    }
    if let Some(kind) = original.kind() {
        properties = properties.with_type(kind.clone());
    }
    if let Some(wait) = expires_after {
        properties = properties.with_expiration(wait.as_millis().to_string().into());
    }
    properties
}

/// Which attempt this delivery is: 1 unless an earlier failure counted it up.
pub(super) fn attempt(properties: &BasicProperties) -> u32 {
    let value = properties
        .headers()
        .as_ref()
        .and_then(|headers| headers.inner().get(ATTEMPT_HEADER).cloned());
    let attempt = match value {
        Some(AMQPValue::LongLongInt(n)) => n,
        Some(AMQPValue::LongInt(n)) => n.into(),
        Some(AMQPValue::LongUInt(n)) => n.into(),
        Some(AMQPValue::ShortInt(n)) => n.into(),
        Some(AMQPValue::ShortUInt(n)) => n.into(),
        Some(AMQPValue::ShortShortInt(n)) => n.into(),
        Some(AMQPValue::ShortShortUInt(n)) => n.into(),
        _ => 1,
    };
    u32::try_from(attempt.max(1)).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names_follow_the_namespace_and_consumer() {
        let names = QueueNames::new("chorus", "feed");
        assert_eq!(exchange("chorus"), "chorus.events");
        assert_eq!(names.main, "chorus.feed");
        assert_eq!(names.retry, "chorus.feed.retry");
        assert_eq!(names.dead, "chorus.feed.dlq");
    }

    #[test]
    fn a_retry_copy_counts_the_attempt_and_expires() {
        let event = Envelope::new(
            chorus_core::Id(9),
            "user.registered",
            None,
            serde_json::json!({}),
        );
        let original = event_properties(&event).expect("valid names");
        assert_eq!(attempt(&original), 1);
        let copy = copy_properties(&original, 2, Some(Duration::from_millis(250)), None);
        assert_eq!(attempt(&copy), 2);
        assert_eq!(
            copy.expiration().as_ref().map(ShortString::as_str),
            Some("250")
        );
        assert_eq!(
            copy.message_id().as_ref().map(ShortString::as_str),
            Some("9")
        );
        assert_eq!(
            copy.kind().as_ref().map(ShortString::as_str),
            Some("user.registered")
        );
        assert_eq!(copy.delivery_mode(), &Some(PERSISTENT));
    }

    #[test]
    fn a_dead_copy_carries_the_error_and_never_expires() {
        let original = BasicProperties::default();
        let copy = copy_properties(&original, 3, None, Some("boom"));
        assert_eq!(copy.expiration(), &None);
        let headers = copy.headers().clone().unwrap_or_default();
        assert!(
            matches!(headers.inner().get(ERROR_HEADER), Some(AMQPValue::LongString(s)) if s.as_bytes() == b"boom")
        );
    }

    #[test]
    fn a_message_without_the_header_is_a_first_attempt() {
        assert_eq!(attempt(&BasicProperties::default()), 1);
    }
}
