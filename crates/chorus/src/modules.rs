//! The module manager: which services run in this process, on what, and how
//! they are reached.
//!
//! Like Grafana Loki's `-target`: `chorus up` is every module in one process
//! behind one listener; `chorus serve --target gateway,auth` runs the named
//! ones. A service in the gateway's process is called in process; one that is
//! not is reached over HTTP at the upstream URLs the config lists. Without a
//! gateway in the process, each service listens on its own address.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use chorus_core::token::TokenKeys;
use chorus_core::{IdGenerator, IdentityKey};
use chorus_gateway::{Backend, GatewayDeps, Upstream};
use chorus_ports::{Infra, ServiceContext, Subscription};
use chorus_rpc::{FeedApi, PostsApi, UsersApi};
use chorus_telemetry::{Readiness, ServeSpanLayer, otlp};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Module {
    Gateway,
    Auth,
    Users,
    Posts,
    Feed,
    Notifications,
    Chat,
    Media,
    Search,
}

impl Module {
    /// Every module, in start order (dependencies first).
    pub const ALL: &[Module] = &[
        Module::Auth,
        Module::Users,
        Module::Posts,
        Module::Feed,
        Module::Notifications,
        Module::Chat,
        Module::Media,
        Module::Search,
        Module::Gateway,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Module::Gateway => "gateway",
            Module::Auth => chorus_auth::NAME,
            Module::Users => chorus_users::NAME,
            Module::Posts => chorus_posts::NAME,
            Module::Feed => chorus_feed::NAME,
            Module::Notifications => chorus_notifications::NAME,
            Module::Chat => chorus_chat::NAME,
            Module::Media => chorus_media::NAME,
            Module::Search => chorus_search::NAME,
        }
    }

    /// `gateway,auth` → modules; `all` → every module.
    pub fn parse_list(list: &str) -> anyhow::Result<Vec<Module>> {
        let mut modules = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "all" {
                modules.extend_from_slice(Module::ALL);
                continue;
            }
            let module = Module::ALL
                .iter()
                .copied()
                .find(|m| m.name() == name)
                .with_context(|| {
                    let known: Vec<&str> = Module::ALL.iter().map(|m| m.name()).collect();
                    format!(
                        "unknown target {name:?}: choose from all, {}",
                        known.join(", ")
                    )
                })?;
            modules.push(module);
        }
        anyhow::ensure!(!modules.is_empty(), "--target names no module");
        modules.sort();
        modules.dedup();
        Ok(modules)
    }

    fn is_service(self) -> bool {
        self != Module::Gateway
    }
}

/// What every service tells the gateway about itself, whether or not it runs here.
struct ServiceInfo {
    module: Module,
    openapi: fn() -> utoipa::openapi::OpenApi,
    /// Routes outside the OpenAPI document (GraphQL, Socket.IO…).
    extra_paths: &'static [&'static str],
    /// What it consumes from the event bus, as every process declares it at
    /// start (given whether the bus is in process).
    subscriptions: fn(bool) -> Vec<Subscription>,
    /// Upload routes that take bodies above the gateway's limit, and theirs.
    body_limits: fn(&Config) -> Vec<(String, usize)>,
}

const SERVICES: &[ServiceInfo] = &[
    ServiceInfo {
        module: Module::Auth,
        openapi: chorus_auth::openapi,
        extra_paths: &[],
        subscriptions: |_| Vec::new(),
        body_limits: |_| Vec::new(),
    },
    ServiceInfo {
        module: Module::Users,
        openapi: chorus_users::openapi,
        extra_paths: &[],
        subscriptions: |_| chorus_users::subscriptions(),
        body_limits: |_| Vec::new(),
    },
    ServiceInfo {
        module: Module::Posts,
        openapi: chorus_posts::openapi,
        extra_paths: &[chorus_graphql::PATH],
        subscriptions: |_| chorus_posts::subscriptions(),
        body_limits: |_| Vec::new(),
    },
    ServiceInfo {
        module: Module::Feed,
        openapi: chorus_feed::openapi,
        extra_paths: &[],
        subscriptions: |_| chorus_feed::subscriptions(),
        body_limits: |_| Vec::new(),
    },
    ServiceInfo {
        module: Module::Notifications,
        openapi: chorus_notifications::openapi,
        extra_paths: &[],
        subscriptions: |_| chorus_notifications::subscriptions(),
        body_limits: |_| Vec::new(),
    },
    ServiceInfo {
        module: Module::Chat,
        openapi: chorus_chat::openapi,
        extra_paths: chorus_chat::SOCKET_IO_PATHS,
        subscriptions: |_| chorus_chat::subscriptions(),
        body_limits: |_| Vec::new(),
    },
    ServiceInfo {
        module: Module::Media,
        openapi: chorus_media::openapi,
        extra_paths: &[],
        subscriptions: |_| Vec::new(),
        body_limits: |config| {
            let limit = config.media.upload_body_limit();
            vec![(chorus_media::UPLOAD_PATH.to_string(), limit)]
        },
    },
    ServiceInfo {
        module: Module::Search,
        openapi: chorus_search::openapi,
        extra_paths: &[],
        subscriptions: chorus_search::subscriptions,
        body_limits: |_| Vec::new(),
    },
];

/// A service started in this process.
struct Started {
    module: Module,
    /// Its public routes.
    router: Router,
    /// Its internal (gRPC) routes: served on its own listener only, never
    /// through the gateway.
    internal: Router,
    readiness: Readiness,
}

/// What services started earlier in this process offer those started later.
#[derive(Default)]
struct Peers {
    users: Option<Arc<dyn UsersApi>>,
    posts: Option<Arc<dyn PostsApi>>,
    feed: Option<Arc<dyn FeedApi>>,
    /// What the GraphQL API beside the posts service is built from, once
    /// every service of the process has started (it asks the feed, which
    /// starts after posts).
    graphql: Option<(chorus_posts::app::Posts, Arc<dyn UsersApi>)>,
}

/// A running Chorus process.
pub struct Running {
    /// Where each listener ended up (`gateway`, or the service's name).
    pub addresses: BTreeMap<&'static str, SocketAddr>,
    http_shutdown: CancellationToken,
    servers: JoinSet<anyhow::Result<()>>,
    context: ServiceContext,
    grace: Duration,
    signals: Option<ShutdownSignals>,
    /// Spans' way out, when `log.otlp_endpoint` is set: flushed last.
    exporter: Option<otlp::Exporter>,
}

/// Builds what every service of this process shares.
pub async fn context(config: &Config) -> anyhow::Result<ServiceContext> {
    let infra = Infra::connect(&config.infra, &config.data_dir).await?;
    let ids = match config.node_id {
        Some(node) => IdGenerator::new(node),
        None => IdGenerator::with_random_node(),
    };
    Ok(ServiceContext {
        infra,
        infra_config: config.infra.clone(),
        data_dir: config.data_dir.clone(),
        ids: Arc::new(ids),
        identity_key: IdentityKey::new(&config.security.internal_key),
        token_keys: TokenKeys::new(&config.security.jwt_secret),
        access_ttl: Duration::from_secs(config.security.access_ttl_secs),
        draining: CancellationToken::new(),
        shutdown: CancellationToken::new(),
        tasks: TaskTracker::new(),
    })
}

/// Starts `modules` and their listeners; returns once they accept connections.
pub async fn start(config: &Config, modules: &[Module]) -> anyhow::Result<Running> {
    let signals = ShutdownSignals::register();
    // Before anything starts, so that every span of the process is exported.
    let exporter = match &config.log.otlp_endpoint {
        Some(endpoint) => Some(otlp::install(endpoint, &service_name(modules))?),
        None => None,
    };
    let context = context(config).await?;
    // Every queue exists before anything publishes, so no event is dropped
    // for want of a consumer that has not started yet. The in-process bus
    // reaches only this process's consumers, and waits for each one it
    // knows: declare only those that run here.
    for service in SERVICES {
        if config.infra.uses_in_process_bus() && !modules.contains(&service.module) {
            continue;
        }
        for subscription in (service.subscriptions)(config.infra.uses_in_process_bus()) {
            context.infra.bus.declare(&subscription).await?;
        }
    }

    let mut started = Vec::new();
    let mut peers = Peers::default();
    for &module in modules.iter().filter(|m| m.is_service()) {
        started.push(start_service(module, config, &context, &mut peers).await?);
    }
    if let Some((posts, users)) = peers.graphql.take() {
        let feed = feed_api(&peers, config, &context)?;
        let graphql = chorus_graphql::router(posts, users, feed, context.identity_key.clone());
        let service = started
            .iter_mut()
            .find(|s| s.module == Module::Posts)
            .context("GraphQL is served beside the posts service")?;
        service.router = std::mem::take(&mut service.router).merge(graphql);
    }
    // Last, so that it covers GraphQL too; through the gateway or on their own.
    for service in &mut started {
        let spans = ServeSpanLayer::http(service.module.name());
        service.router = std::mem::take(&mut service.router).layer(spans);
    }

    let infra_readiness = infra_readiness(&context);
    let http_shutdown = CancellationToken::new();
    let mut servers = JoinSet::new();
    let mut addresses = BTreeMap::new();

    if modules.contains(&Module::Gateway) {
        let mut readiness = infra_readiness.clone();
        let mut upstreams = Vec::new();
        for service in SERVICES {
            let name = service.module.name();
            let backend = match started.iter().find(|s| s.module == service.module) {
                Some(local) => {
                    readiness = readiness.merge(local.readiness.clone());
                    Backend::InProcess(local.router.clone())
                }
                None => Backend::Remote(
                    config
                        .gateway
                        .upstreams
                        .get(name)
                        .filter(|urls| !urls.is_empty())
                        .cloned()
                        .with_context(|| {
                            format!("setting gateway.upstreams.{name} is missing: the gateway needs the URLs of the {name} service's instances")
                        })?,
                ),
            };
            upstreams.push(Upstream {
                service: name.to_string(),
                openapi: (service.openapi)(),
                extra_paths: service.extra_paths.iter().map(|p| p.to_string()).collect(),
                body_limits: (service.body_limits)(config),
                backend,
            });
        }
        let deps = GatewayDeps {
            token_keys: context.token_keys.clone(),
            identity_key: context.identity_key.clone(),
            cache: context.infra.cache.clone(),
            readiness,
            shutdown: context.shutdown.clone(),
        };
        let router = chorus_gateway::router(&config.gateway, deps, upstreams)?;
        let addr = serve(
            &config.listen,
            "listen",
            router,
            &http_shutdown,
            &mut servers,
        )
        .await?;
        addresses.insert("gateway", addr);
    }

    // Services not behind a gateway in this process listen on their own;
    // beside a gateway, those given a listener too (for other processes' calls).
    let with_gateway = modules.contains(&Module::Gateway);
    for service in started {
        let name = service.module.name();
        let listen = config.services.get(name).and_then(|s| s.listen.clone());
        let listen = match listen {
            Some(listen) => listen,
            None if with_gateway => continue,
            None => anyhow::bail!(
                "setting services.{name}.listen is missing: where should the {name} service listen?"
            ),
        };
        let router = standalone_router(
            service.router.merge(service.internal),
            infra_readiness.clone().merge(service.readiness),
        );
        let setting = format!("services.{name}.listen");
        let addr = serve(&listen, &setting, router, &http_shutdown, &mut servers).await?;
        addresses.insert(name, addr);
    }

    Ok(Running {
        addresses,
        http_shutdown,
        servers,
        context,
        grace: Duration::from_secs(config.shutdown_grace_secs),
        signals: Some(signals),
        exporter,
    })
}

/// What this process's spans are exported as: `chorus` for every module,
/// else `chorus-` and the modules, e.g. `chorus-gateway`, `chorus-posts`.
fn service_name(modules: &[Module]) -> String {
    if Module::ALL.iter().all(|m| modules.contains(m)) {
        return "chorus".into();
    }
    let names: Vec<&str> = modules.iter().map(|m| m.name()).collect();
    format!("chorus-{}", names.join("-"))
}

async fn start_service(
    module: Module,
    config: &Config,
    context: &ServiceContext,
    peers: &mut Peers,
) -> anyhow::Result<Started> {
    match module {
        Module::Auth => {
            let auth = chorus_auth::AuthService::start(context, config.auth.clone())
                .await
                .context("starting the auth service")?;
            Ok(Started {
                module,
                router: auth.router(),
                internal: Router::new(),
                readiness: auth.readiness(),
            })
        }
        Module::Users => {
            let users = chorus_users::UsersService::start(context)
                .await
                .context("starting the users service")?;
            peers.users = Some(users.api());
            Ok(Started {
                module,
                router: users.router(),
                internal: chorus_rpc::grpc::users_routes(users.api(), context.identity_key.clone()),
                readiness: users.readiness(),
            })
        }
        Module::Posts => {
            let users = users_api(peers, config, context)?;
            let posts = chorus_posts::PostsService::start_with(
                context,
                config.posts.clone(),
                users.clone(),
            )
            .await
            .context("starting the posts service")?;
            peers.graphql = Some((posts.app(), users));
            peers.posts = Some(posts.api());
            Ok(Started {
                module,
                router: posts.router(),
                internal: chorus_rpc::grpc::posts_routes(posts.api(), context.identity_key.clone()),
                readiness: posts.readiness(),
            })
        }
        Module::Feed => {
            let users = users_api(peers, config, context)?;
            let posts = posts_api(peers, config, context)?;
            let feed = chorus_feed::FeedService::start(context, config.feed.clone(), users, posts)
                .await
                .context("starting the feed service")?;
            peers.feed = Some(feed.api());
            Ok(Started {
                module,
                router: feed.router(),
                internal: chorus_rpc::grpc::feed_routes(feed.api(), context.identity_key.clone()),
                readiness: feed.readiness(),
            })
        }
        Module::Notifications => {
            let users = users_api(peers, config, context)?;
            let notifications = chorus_notifications::NotificationsService::start(context, users)
                .await
                .context("starting the notifications service")?;
            Ok(Started {
                module,
                router: notifications.router(),
                internal: Router::new(),
                readiness: notifications.readiness(),
            })
        }
        Module::Chat => {
            let users = users_api(peers, config, context)?;
            let chat = chorus_chat::ChatService::start(context, config.chat.clone(), users)
                .await
                .context("starting the chat service")?;
            Ok(Started {
                module,
                router: chat.router(),
                internal: Router::new(),
                readiness: chat.readiness(),
            })
        }
        Module::Media => {
            let media = chorus_media::MediaService::start(context, config.media.clone())
                .await
                .context("starting the media service")?;
            Ok(Started {
                module,
                router: media.router(),
                internal: Router::new(),
                readiness: media.readiness(),
            })
        }
        Module::Search => {
            let users = users_api(peers, config, context)?;
            let posts = posts_api(peers, config, context)?;
            let search =
                chorus_search::SearchService::start(context, config.search.clone(), users, posts)
                    .await
                    .context("starting the search service")?;
            Ok(Started {
                module,
                router: search.router(),
                internal: Router::new(),
                readiness: search.readiness(),
            })
        }
        Module::Gateway => unreachable!("the gateway is not a service"),
    }
}

/// The users service as a caller in this process sees it: the service
/// itself when it runs here, otherwise a gRPC client to its instances.
fn users_api(
    peers: &Peers,
    config: &Config,
    context: &ServiceContext,
) -> anyhow::Result<Arc<dyn UsersApi>> {
    if let Some(users) = &peers.users {
        return Ok(users.clone());
    }
    let name = chorus_users::NAME;
    let (urls, deadline) = remote_service(config, name)?;
    let client = chorus_rpc::grpc::GrpcUsers::new(&urls, context.identity_key.clone(), deadline)
        .with_context(|| format!("setting services.{name}.urls"))?;
    Ok(Arc::new(client))
}

/// The posts service as a caller in this process sees it, like [`users_api`].
fn posts_api(
    peers: &Peers,
    config: &Config,
    context: &ServiceContext,
) -> anyhow::Result<Arc<dyn PostsApi>> {
    if let Some(posts) = &peers.posts {
        return Ok(posts.clone());
    }
    let (urls, deadline) = remote_service(config, chorus_posts::NAME)?;
    let client = chorus_rpc::grpc::GrpcPosts::new(&urls, context.identity_key.clone(), deadline)
        .with_context(|| format!("setting services.{}.urls", chorus_posts::NAME))?;
    Ok(Arc::new(client))
}

/// The feed service as GraphQL sees it: in process, or over gRPC when
/// `services.feed.urls` is set. Without either, GraphQL's `feed` answers
/// unavailable; the feed and the posts services each need the other's URL,
/// so one of them has to be started knowing a URL not yet listening.
fn feed_api(
    peers: &Peers,
    config: &Config,
    context: &ServiceContext,
) -> anyhow::Result<Option<Arc<dyn FeedApi>>> {
    if let Some(feed) = &peers.feed {
        return Ok(Some(feed.clone()));
    }
    let name = chorus_feed::NAME;
    if config.services.get(name).is_none_or(|s| s.urls.is_empty()) {
        tracing::warn!(
            "setting services.{name}.urls is missing: GraphQL's feed field will answer unavailable"
        );
        return Ok(None);
    }
    let (urls, deadline) = remote_service(config, name)?;
    let client = chorus_rpc::grpc::GrpcFeed::new(&urls, context.identity_key.clone(), deadline)
        .with_context(|| format!("setting services.{name}.urls"))?;
    Ok(Some(Arc::new(client)))
}

/// The instances of a service that runs in other processes, and the
/// deadline of a call to them.
fn remote_service(config: &Config, name: &str) -> anyhow::Result<(Vec<String>, Duration)> {
    let service = config.services.get(name).cloned().unwrap_or_default();
    anyhow::ensure!(
        !service.urls.is_empty(),
        "setting services.{name}.urls is missing: the {name} service does not run in this process, and others call it"
    );
    Ok((service.urls, Duration::from_millis(service.call_timeout_ms)))
}

/// Applies every targeted service's migrations, then returns.
pub async fn migrate(config: &Config, modules: &[Module]) -> anyhow::Result<()> {
    let context = context(config).await?;
    for &module in modules.iter().filter(|m| m.is_service()) {
        match module {
            Module::Auth => chorus_auth::AuthService::migrate(&context).await?,
            Module::Users => chorus_users::UsersService::migrate(&context).await?,
            Module::Posts => chorus_posts::PostsService::migrate(&context).await?,
            Module::Feed => chorus_feed::FeedService::migrate(&context).await?,
            Module::Notifications => {
                chorus_notifications::NotificationsService::migrate(&context).await?
            }
            Module::Chat => chorus_chat::ChatService::migrate(&context).await?,
            Module::Media => chorus_media::MediaService::migrate(&context).await?,
            // Its index is no database: it is built at start, or by `chorus reindex`.
            Module::Search | Module::Gateway => {}
        }
        println!("migrated {}", module.name());
    }
    context.infra.bus.close().await;
    Ok(())
}

/// Rebuilds every search index under the data folder from the posts and
/// users services (`chorus reindex`): in this process on their databases,
/// or over gRPC when `services.users.urls` / `services.posts.urls` say
/// where they run.
pub async fn reindex(config: &Config) -> anyhow::Result<()> {
    let context = context(config).await?;
    let remote = |name: &str| {
        config
            .services
            .get(name)
            .is_some_and(|s| !s.urls.is_empty())
    };
    let mut peers = Peers::default();
    if !remote(chorus_users::NAME) {
        peers.users = Some(chorus_users::UsersService::reader(&context).await?);
    }
    let users = users_api(&peers, config, &context)?;
    if !remote(chorus_posts::NAME) {
        peers.posts = Some(chorus_posts::PostsService::reader(&context, users.clone()).await?);
    }
    let posts = posts_api(&peers, config, &context)?;
    let rebuilt = chorus_search::reindex(&config.data_dir, users, posts).await;
    context.infra.bus.close().await;
    for (slot, counts) in rebuilt? {
        println!(
            "reindexed search slot {slot}: {} posts, {} users",
            counts.posts, counts.users
        );
    }
    Ok(())
}

fn infra_readiness(context: &ServiceContext) -> Readiness {
    let cache = context.infra.cache.clone();
    let pubsub = context.infra.pubsub.clone();
    let bus = context.infra.bus.clone();
    Readiness::new()
        .check("cache", move || {
            let cache = cache.clone();
            Box::pin(async move { cache.ping().await })
        })
        .check("pubsub", move || {
            let pubsub = pubsub.clone();
            Box::pin(async move { pubsub.ping().await })
        })
        .check("bus", move || {
            let bus = bus.clone();
            Box::pin(async move { bus.ping().await })
        })
}

/// A service on its own listener: its routes, the operational routes, metrics,
/// and JSON answers for unknown routes.
fn standalone_router(router: Router, readiness: Readiness) -> Router {
    router
        .merge(chorus_telemetry::ops_router(readiness))
        .fallback(|| async { chorus_core::ApiError::not_found("no such route") })
        .layer(axum::middleware::from_fn(
            chorus_telemetry::metrics::track_http,
        ))
}

async fn serve(
    listen: &str,
    setting: &str,
    router: Router,
    shutdown: &CancellationToken,
    servers: &mut JoinSet<anyhow::Result<()>>,
) -> anyhow::Result<SocketAddr> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("setting {setting} = {listen:?}: cannot listen there"))?;
    let addr = listener.local_addr()?;
    let shutdown = shutdown.clone();
    servers.spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .context("serving HTTP")
    });
    Ok(addr)
}

impl Running {
    /// Runs until SIGTERM or Ctrl-C (or a listener fails), then shuts down.
    pub async fn run_until_signal(mut self) -> anyhow::Result<()> {
        let mut signals = self
            .signals
            .take()
            .unwrap_or_else(ShutdownSignals::register);
        let failure = tokio::select! {
            _ = signals.received() => None,
            Some(result) = self.servers.join_next() => Some(result),
        };
        self.shutdown().await;
        match failure {
            Some(Ok(Ok(()))) | None => Ok(()),
            Some(Ok(Err(error))) => Err(error),
            Some(Err(error)) => Err(error.into()),
        }
    }

    /// Stops accepting, lets in-flight requests finish (within the grace
    /// period), then stops background work: relays make a last pass, so
    /// events committed by those requests go out now rather than at the next start.
    pub async fn shutdown(mut self) {
        tracing::info!("shutting down");
        self.context.draining.cancel();
        self.http_shutdown.cancel();
        let drained = tokio::time::timeout(self.grace, async {
            while self.servers.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!("in-flight requests did not finish within the grace period");
            self.servers.abort_all();
        }
        self.context.shutdown.cancel();
        self.context.tasks.close();
        if tokio::time::timeout(self.grace, self.context.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("background tasks did not stop within the grace period");
        }
        self.context.infra.bus.close().await;
        if let Some(exporter) = self.exporter.take() {
            exporter.shutdown().await;
        }
    }
}

/// SIGTERM and Ctrl-C, listened for from the start: registered before the
/// process says it listens, so a signal sent right after that line is caught
/// rather than killing the process unclean.
struct ShutdownSignals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl ShutdownSignals {
    fn register() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Self {
                terminate: signal(SignalKind::terminate()).ok(),
                interrupt: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    async fn received(&mut self) {
        #[cfg(unix)]
        {
            let terminate = async {
                match &mut self.terminate {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let interrupt = async {
                match &mut self.interrupt {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = terminate => {}
                _ = interrupt => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_exported_under_the_processs_target() {
        assert_eq!(service_name(Module::ALL), "chorus");
        let parse = |list: &str| Module::parse_list(list).expect("valid");
        assert_eq!(service_name(&parse("all")), "chorus");
        assert_eq!(service_name(&parse("gateway")), "chorus-gateway");
        assert_eq!(service_name(&parse("posts")), "chorus-posts");
        assert_eq!(service_name(&parse("auth,gateway")), "chorus-gateway-auth");
    }
}
