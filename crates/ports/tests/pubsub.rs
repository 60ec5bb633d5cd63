//! The pub/sub contract, written once and run on every adapter: in process,
//! and Redis when one is reachable (always in CI).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chorus_ports::PubSub;
use chorus_ports::pubsub::{MemoryPubSub, RedisPubSub};
use chorus_testkit::unique_namespace;
use futures::StreamExt;
use futures::stream::BoxStream;

/// The longest any one adapter's run may take before the test fails.
const SUITE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a message may take to arrive.
const DELIVERY: Duration = Duration::from_secs(5);
/// How long we listen to be fairly sure that nothing is coming.
const QUIET: Duration = Duration::from_millis(300);

type Messages = BoxStream<'static, Bytes>;

/// The next message, or a failure naming `what` if none comes in time.
async fn next(stream: &mut Messages, what: &str) -> Bytes {
    tokio::time::timeout(DELIVERY, stream.next())
        .await
        .unwrap_or_else(|_| panic!("{what}: no message within {DELIVERY:?}"))
        .unwrap_or_else(|| panic!("{what}: the stream ended"))
}

/// Asserts that nothing arrives for a while.
async fn nothing_arrives(stream: &mut Messages, what: &str) {
    if let Ok(message) = tokio::time::timeout(QUIET, stream.next()).await {
        panic!("{what}: unexpected {message:?}");
    }
}

async fn subscribe(pubsub: &Arc<dyn PubSub>, channel: &str) -> Messages {
    pubsub.subscribe(channel).await.expect("subscribe")
}

async fn publish(pubsub: &Arc<dyn PubSub>, channel: &str, message: &'static [u8]) {
    pubsub
        .publish(channel, Bytes::from_static(message))
        .await
        .expect("publish");
}

/// Every check, in order. `neighbour` is a second pub/sub on the same backend
/// under another namespace.
async fn pubsub_conformance(pubsub: Arc<dyn PubSub>, neighbour: Arc<dyn PubSub>) {
    let checks = async {
        ping_answers(&pubsub).await;
        publishing_with_no_subscriber_is_no_error(&pubsub).await;
        two_subscribers_of_a_channel_both_receive_every_message(&pubsub).await;
        a_batch_arrives_whole_and_in_order(&pubsub).await;
        a_burst_of_ten_thousand_arrives_whole(&pubsub).await;
        dropping_a_subscriber_mid_burst_leaves_the_other_whole(&pubsub).await;
        a_subscriber_gets_only_its_own_channel(&pubsub).await;
        messages_published_before_subscribing_are_not_delivered(&pubsub).await;
        dropping_one_subscriber_leaves_the_other_working(&pubsub).await;
        a_channel_can_be_followed_again_after_all_its_subscribers_left(&pubsub).await;
        two_namespaces_do_not_hear_each_other(&pubsub, &neighbour).await;
    };
    tokio::time::timeout(SUITE_TIMEOUT, checks)
        .await
        .expect("the pub/sub suite finishes in time");
}

async fn ping_answers(pubsub: &Arc<dyn PubSub>) {
    pubsub.ping().await.expect("ping");
}

async fn publishing_with_no_subscriber_is_no_error(pubsub: &Arc<dyn PubSub>) {
    publish(pubsub, "empty-room", b"anyone?").await;
}

async fn two_subscribers_of_a_channel_both_receive_every_message(pubsub: &Arc<dyn PubSub>) {
    let mut first = subscribe(pubsub, "room").await;
    let mut second = subscribe(pubsub, "room").await;
    publish(pubsub, "room", b"one").await;
    publish(pubsub, "room", b"two").await;
    publish(pubsub, "room", b"three").await;
    for (stream, who) in [(&mut first, "first"), (&mut second, "second")] {
        assert_eq!(next(stream, who).await, "one");
        assert_eq!(next(stream, who).await, "two", "messages keep their order");
        assert_eq!(next(stream, who).await, "three");
    }
}

async fn a_batch_arrives_whole_and_in_order(pubsub: &Arc<dyn PubSub>) {
    let mut stream = subscribe(pubsub, "batches").await;
    pubsub
        .publish_all("batches", Vec::new())
        .await
        .expect("an empty batch is no error");
    let batch: Vec<Bytes> = (0..100).map(|n| Bytes::from(format!("m{n}"))).collect();
    pubsub
        .publish_all("batches", batch.clone())
        .await
        .expect("publish a batch");
    for expected in batch {
        assert_eq!(next(&mut stream, "batch").await, expected, "in order");
    }
    nothing_arrives(&mut stream, "after the batch").await;
}

/// Larger than any buffer the adapters used to fan out through.
const BURST: usize = 10_000;

fn burst(tag: &str) -> Vec<Bytes> {
    (0..BURST)
        .map(|n| Bytes::from(format!("{tag}{n}")))
        .collect()
}

async fn a_burst_of_ten_thousand_arrives_whole(pubsub: &Arc<dyn PubSub>) {
    let mut stream = subscribe(pubsub, "bursts").await;
    let burst = burst("b");
    pubsub
        .publish_all("bursts", burst.clone())
        .await
        .expect("publish a burst");
    for (n, expected) in burst.into_iter().enumerate() {
        let what = format!("message {n} of the burst");
        assert_eq!(next(&mut stream, &what).await, expected, "{what}: in order");
    }
    nothing_arrives(&mut stream, "after the burst").await;
}

async fn dropping_a_subscriber_mid_burst_leaves_the_other_whole(pubsub: &Arc<dyn PubSub>) {
    let mut leaving = subscribe(pubsub, "stampede").await;
    let mut staying = subscribe(pubsub, "stampede").await;
    let burst = burst("s");
    let publishing = tokio::spawn({
        let (pubsub, burst) = (pubsub.clone(), burst.clone());
        async move { pubsub.publish_all("stampede", burst).await }
    });
    assert_eq!(next(&mut leaving, "leaving").await, burst[0]);
    drop(leaving);
    publishing
        .await
        .expect("the publishing task")
        .expect("publish a burst");
    for (n, expected) in burst.into_iter().enumerate() {
        let what = format!("message {n} of the burst, staying");
        assert_eq!(
            next(&mut staying, &what).await,
            expected,
            "{what}: in order"
        );
    }
    publish(pubsub, "stampede", b"and after").await;
    assert_eq!(next(&mut staying, "after the burst").await, "and after");
}

async fn a_subscriber_gets_only_its_own_channel(pubsub: &Arc<dyn PubSub>) {
    let mut a = subscribe(pubsub, "channel-a").await;
    let mut b = subscribe(pubsub, "channel-b").await;
    // Prefixes are no wildcards: "channel-a" must not hear "channel-a2".
    let mut a2 = subscribe(pubsub, "channel-a2").await;
    publish(pubsub, "channel-b", b"for b").await;
    publish(pubsub, "channel-a", b"for a").await;
    assert_eq!(next(&mut a, "a").await, "for a");
    assert_eq!(next(&mut b, "b").await, "for b");
    nothing_arrives(&mut a, "a after its one message").await;
    nothing_arrives(&mut a2, "a2").await;
}

async fn messages_published_before_subscribing_are_not_delivered(pubsub: &Arc<dyn PubSub>) {
    publish(pubsub, "late", b"too early").await;
    let mut late = subscribe(pubsub, "late").await;
    publish(pubsub, "late", b"on time").await;
    assert_eq!(next(&mut late, "late").await, "on time");
}

async fn dropping_one_subscriber_leaves_the_other_working(pubsub: &Arc<dyn PubSub>) {
    let leaving = subscribe(pubsub, "lobby").await;
    let mut staying = subscribe(pubsub, "lobby").await;
    drop(leaving);
    // Give an adapter that cleans up in the background time to do it.
    tokio::time::sleep(Duration::from_millis(100)).await;
    publish(pubsub, "lobby", b"still listening?").await;
    assert_eq!(next(&mut staying, "staying").await, "still listening?");
}

async fn a_channel_can_be_followed_again_after_all_its_subscribers_left(pubsub: &Arc<dyn PubSub>) {
    for round in 0..5 {
        let mut stream = subscribe(pubsub, "revolving-door").await;
        publish(pubsub, "revolving-door", b"hello").await;
        assert_eq!(next(&mut stream, &format!("round {round}")).await, "hello");
        // Dropped at once: the next round's subscribe races the cleanup.
    }
}

async fn two_namespaces_do_not_hear_each_other(
    pubsub: &Arc<dyn PubSub>,
    neighbour: &Arc<dyn PubSub>,
) {
    let mut ours = subscribe(pubsub, "town-square").await;
    let mut theirs = subscribe(neighbour, "town-square").await;
    publish(pubsub, "town-square", b"ours").await;
    assert_eq!(next(&mut ours, "ours").await, "ours");
    nothing_arrives(&mut theirs, "the neighbour").await;
    publish(neighbour, "town-square", b"theirs").await;
    assert_eq!(next(&mut theirs, "theirs").await, "theirs");
    nothing_arrives(&mut ours, "ours after the neighbour spoke").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pubsub_contract_holds_in_process() {
    chorus_testkit::init_test_logs();
    pubsub_conformance(
        Arc::new(MemoryPubSub::new(&unique_namespace("pubsub"))),
        Arc::new(MemoryPubSub::new(&unique_namespace("pubsub"))),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pubsub_contract_holds_on_redis() {
    chorus_testkit::init_test_logs();
    let Some(url) = chorus_testkit::redis_url() else {
        return;
    };
    let pubsub = RedisPubSub::connect(&url, &unique_namespace("pubsub"))
        .await
        .expect("connect to Redis");
    let neighbour = RedisPubSub::connect(&url, &unique_namespace("pubsub"))
        .await
        .expect("connect to Redis");
    pubsub_conformance(Arc::new(pubsub), Arc::new(neighbour)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_redis_pubsub_instances_of_one_namespace_hear_each_other() {
    let Some(url) = chorus_testkit::redis_url() else {
        return;
    };
    let namespace = unique_namespace("pubsub");
    let here: Arc<dyn PubSub> = Arc::new(RedisPubSub::connect(&url, &namespace).await.expect("a"));
    let there: Arc<dyn PubSub> = Arc::new(RedisPubSub::connect(&url, &namespace).await.expect("b"));
    let mut stream = subscribe(&there, "fan-out").await;
    publish(&here, "fan-out", b"across instances").await;
    assert_eq!(next(&mut stream, "there").await, "across instances");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_redis_pubsub_ends_its_streams() {
    let Some(url) = chorus_testkit::redis_url() else {
        return;
    };
    let pubsub = RedisPubSub::connect(&url, &unique_namespace("pubsub"))
        .await
        .expect("connect");
    let mut stream = pubsub.subscribe("closing").await.expect("subscribe");
    drop(pubsub);
    let end = tokio::time::timeout(DELIVERY, stream.next())
        .await
        .expect("the stream ends instead of hanging");
    assert_eq!(end, None);
}

/// How many Redis connections follow `channel` (PUBSUB NUMSUB).
async fn redis_followers(redis: &fred::prelude::Client, channel: &str) -> i64 {
    use fred::prelude::*;
    let reply: Vec<Value> = redis.pubsub_numsub(channel).await.expect("PUBSUB NUMSUB");
    reply
        .get(1)
        .and_then(Value::as_i64)
        .expect("a channel and its count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_channel_is_subscribed_once_and_released_with_its_last_stream() {
    use fred::prelude::*;
    let Some(url) = chorus_testkit::redis_url() else {
        return;
    };
    let namespace = unique_namespace("pubsub");
    let pubsub: Arc<dyn PubSub> = Arc::new(
        RedisPubSub::connect(&url, &namespace)
            .await
            .expect("connect"),
    );
    let redis = Builder::from_config(Config::from_url(&url).expect("a Redis URL"))
        .build()
        .expect("a client");
    redis.init().await.expect("connect");
    let channel = format!("{namespace}:watched");

    let first = subscribe(&pubsub, "watched").await;
    let mut second = subscribe(&pubsub, "watched").await;
    assert_eq!(redis_followers(&redis, &channel).await, 1, "one SUBSCRIBE");
    drop(first);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        redis_followers(&redis, &channel).await,
        1,
        "still followed by the second stream"
    );
    publish(&pubsub, "watched", b"still here").await;
    assert_eq!(next(&mut second, "second").await, "still here");

    drop(second);
    tokio::time::timeout(DELIVERY, async {
        while redis_followers(&redis, &channel).await != 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the last stream to go unsubscribes the channel");
    redis.quit().await.expect("quit");
}

/// The socket address and the `redis://` URL through `proxy` for `url`.
fn via_proxy(
    url: &str,
) -> (
    std::net::SocketAddr,
    impl Fn(std::net::SocketAddr) -> String,
) {
    use std::net::ToSocketAddrs;
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (userinfo, host_port) = match authority.rsplit_once('@') {
        Some((user, host)) => (format!("{user}@"), host),
        None => (String::new(), authority),
    };
    let target = host_port
        .to_socket_addrs()
        .expect("a resolvable address")
        .next()
        .expect("one address");
    let (scheme, path) = (scheme.to_string(), path.to_string());
    (target, move |addr| {
        format!("{scheme}://{userinfo}{addr}{path}")
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_subscriber_resubscribes_after_a_lost_connection() {
    chorus_testkit::init_test_logs();
    let Some(url) = chorus_testkit::redis_url() else {
        return;
    };
    let (target, proxied) = via_proxy(&url);
    let proxy = chorus_testkit::TcpProxy::start(target);
    let namespace = unique_namespace("pubsub");
    let listener = RedisPubSub::connect(&proxied(proxy.addr()), &namespace)
        .await
        .expect("connect through the proxy");
    let speaker: Arc<dyn PubSub> = Arc::new(
        RedisPubSub::connect(&url, &namespace)
            .await
            .expect("connect"),
    );
    let mut stream = listener.subscribe("news").await.expect("subscribe");
    publish(&speaker, "news", b"before").await;
    assert_eq!(next(&mut stream, "before the cut").await, "before");

    proxy.stop().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    listener.ping().await.expect_err("ping tells the truth");
    proxy.resume().await;

    // Until the subscriber is back, messages are lost (pub/sub keeps
    // nothing): keep publishing until one gets through.
    let received = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            publish(&speaker, "news", b"after").await;
            if let Ok(Some(message)) =
                tokio::time::timeout(Duration::from_millis(250), stream.next()).await
            {
                return message;
            }
        }
    })
    .await
    .expect("the subscription comes back by itself");
    assert_eq!(received, "after");
    listener.ping().await.expect("ping after recovery");
}
