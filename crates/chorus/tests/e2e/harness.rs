//! Starts real Chorus processes for the tests: `chorus up` in a fresh
//! temporary folder (as a newcomer would), or a distributed deployment of the
//! gateway and every service as separate processes on PostgreSQL, Redis and
//! RabbitMQ.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use chorus_core::Secret;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const JWT_SECRET: &str = "e2e-jwt-secret-for-tests-only";
pub const INTERNAL_KEY: &str = "e2e-internal-key-for-tests-only";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Embedded,
    Distributed,
}

pub struct Chorus {
    pub mode: Mode,
    /// The public base URL: the gateway.
    pub base: String,
    /// The auth service's own address in distributed mode (to go around the gateway).
    pub auth_direct: Option<String>,
    pub dir: PathBuf,
    /// The RabbitMQ/Redis/PostgreSQL namespace of a distributed deployment.
    pub namespace: Option<String>,
    /// In distributed mode, each service's instances' own base URLs (to
    /// reach one instance around the gateway); empty when embedded.
    pub instances: BTreeMap<String, Vec<String>>,
    processes: Vec<Child>,
    /// What a further instance of a distributed deployment is started
    /// with: the shared `[infra]` config, the environment, and the URLs of
    /// users and posts (empty when embedded).
    infra: String,
    env: Vec<(String, String)>,
    peers_config: String,
    /// Set when the deployment is a `chorus cluster` (under
    /// `CHORUS_E2E_CLUSTER=1`): its folder, brought down when dropped.
    cluster_dir: Option<PathBuf>,
    /// The folder of a shared running cluster this deployment is.
    shared_cluster: Option<PathBuf>,
}

/// Each service's instances' URLs, from a cluster's `cluster.json`.
fn cluster_instances(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("cluster.json")).expect("cluster.json"),
    )
    .expect("cluster state");
    let mut instances: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for running in state["running"].as_array().expect("running") {
        let target = running["member"]["target"].as_str().expect("target");
        if target == "nginx" || target == "gateway" {
            continue;
        }
        let port = running["member"]["port"].as_u64().expect("port");
        instances
            .entry(target.to_string())
            .or_default()
            .push(format!("http://127.0.0.1:{port}"));
    }
    instances
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_chorus")
}

pub fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chorus-e2e-{label}-{:x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

impl Chorus {
    /// A deployment in `mode`, or `None` when its servers are unreachable
    /// (a distributed run needs PostgreSQL, Redis and RabbitMQ). `env` goes
    /// to every process of it: settings such as `CHORUS_FEED__TIMELINE_CAP`.
    pub async fn start_with(mode: Mode, env: &[(&str, &str)]) -> Option<Self> {
        match mode {
            Mode::Embedded => Some(Self::embedded_with(env).await),
            Mode::Distributed => Self::distributed_with(env).await,
        }
    }

    /// `chorus up` in a new temporary folder, listening where `CHORUS_LISTEN` says.
    pub async fn embedded() -> Self {
        Self::embedded_with(&[]).await
    }

    /// `chorus up` in a new temporary folder, with extra environment variables.
    pub async fn embedded_with(env: &[(&str, &str)]) -> Self {
        let dir = temp_dir("up");
        Self::launch_embedded(dir, "127.0.0.1:0", env).await
    }

    pub async fn embedded_in(dir: PathBuf, listen: &str) -> Self {
        Self::launch_embedded(dir, listen, &[]).await
    }

    async fn launch_embedded(dir: PathBuf, listen: &str, env: &[(&str, &str)]) -> Self {
        let mut vars = vec![("CHORUS_LISTEN", listen)];
        vars.extend_from_slice(env);
        let mut child = spawn(&dir, &["up"], &vars);
        let base = wait_for_listener(&mut child, "gateway").await;
        Self {
            mode: Mode::Embedded,
            base,
            auth_direct: None,
            dir,
            namespace: None,
            instances: BTreeMap::new(),
            processes: vec![child],
            infra: String::new(),
            env: owned(env),
            peers_config: String::new(),
            cluster_dir: None,
            shared_cluster: None,
        }
    }

    /// Gateway, auth, users, posts, feed, notifications, chat and media as
    /// separate processes on the real servers, one instance of each service.
    pub async fn distributed() -> Option<Self> {
        Self::distributed_with(&[]).await
    }

    /// The distributed deployment, with extra environment variables for
    /// every process.
    pub async fn distributed_with(env: &[(&str, &str)]) -> Option<Self> {
        Self::distributed_scaled(env, 1).await
    }

    /// The distributed deployment with `instances` instances of posts,
    /// notifications and chat behind the gateway (the realtime services and
    /// the one that streams comments), the others once. Media's blobs go to
    /// the test S3 server, under a prefix of the deployment's own, when one
    /// answers (mandatory under `CHORUS_REQUIRE_SERVERS=1`), else to the
    /// deployment's folder.
    pub async fn distributed_scaled(env: &[(&str, &str)], instances: usize) -> Option<Self> {
        if let Some(dir) = std::env::var_os("CHORUS_E2E_CLUSTER_DIR")
            && env.is_empty()
        {
            return Some(Self::shared_cluster(PathBuf::from(dir)));
        }
        if std::env::var_os("CHORUS_E2E_CLUSTER").is_some()
            || std::env::var_os("CHORUS_E2E_CLUSTER_DIR").is_some()
        {
            return Self::cluster(env, instances.max(2)).await;
        }
        let postgres = chorus_testkit::postgres_url()?;
        let redis = chorus_testkit::redis_url()?;
        let amqp = chorus_testkit::amqp_url()?;
        let namespace = chorus_testkit::unique_namespace("e2e");
        let dir = temp_dir("serve");
        let blobs = chorus_testkit::s3_url()
            .map(|url| {
                let url = chorus_testkit::s3_url_under(&url, &namespace);
                format!("blobs_url = \"{url}\"\n")
            })
            .unwrap_or_default();
        let infra = format!(
            "[infra]\nstore_url = \"{postgres}\"\ncache_url = \"{redis}\"\npubsub_url = \"{redis}\"\nbus_url = \"{amqp}\"\n{blobs}namespace = \"{namespace}\"\n\n[security]\njwt_secret = \"{JWT_SECRET}\"\ninternal_key = \"{INTERNAL_KEY}\"\n"
        );
        let mut deployment = Deployment {
            dir: &dir,
            infra: &infra,
            env,
            processes: Vec::new(),
            instances: BTreeMap::new(),
        };
        let any_port = "127.0.0.1:0";
        deployment.start("auth", any_port, "").await;
        let users_url = deployment.start("users", any_port, "").await;
        let users_extra = format!("[services.users]\nurls = [\"{users_url}\"]\n");
        // Posts asks users over gRPC, and GraphQL beside it asks the feed,
        // which asks posts: the feed's address is chosen before either starts.
        let feed_listen = free_local_address();
        let posts_extra =
            format!("{users_extra}[services.feed]\nurls = [\"http://{feed_listen}\"]\n");
        for _ in 0..instances {
            deployment.start("posts", any_port, &posts_extra).await;
        }
        let feed_extra = format!(
            "{users_extra}[services.posts]\nurls = {}\n",
            toml_list(&deployment.instances["posts"])
        );
        deployment.start("feed", &feed_listen, &feed_extra).await;
        for name in ["notifications", "chat"] {
            for _ in 0..instances {
                deployment.start(name, any_port, &users_extra).await;
            }
        }
        deployment.start("media", any_port, "").await;
        // Search asks users and posts, like the feed; each instance claims
        // its own index in the shared folder and consumes its own queue.
        for _ in 0..instances {
            deployment.start("search", any_port, &feed_extra).await;
        }

        let upstreams: String = deployment
            .instances
            .iter()
            .map(|(name, urls)| format!("{name} = {}\n", toml_list(urls)))
            .collect();
        let gateway_config = dir.join("gateway.toml");
        std::fs::write(
            &gateway_config,
            format!("listen = \"127.0.0.1:0\"\n{infra}\n[gateway.upstreams]\n{upstreams}"),
        )
        .expect("gateway config");
        let mut gateway = spawn(
            &dir,
            &[
                "serve",
                "--target",
                "gateway",
                "--config",
                path(&gateway_config),
            ],
            env,
        );
        let base = wait_for_listener(&mut gateway, "gateway").await;
        let Deployment {
            mut processes,
            instances,
            ..
        } = deployment;
        // Stopped in this order: the gateway first, then the services.
        processes.insert(0, gateway);
        Some(Self {
            mode: Mode::Distributed,
            base,
            auth_direct: instances["auth"].first().cloned(),
            instances,
            dir,
            namespace: Some(namespace),
            processes,
            infra,
            env: owned(env),
            peers_config: feed_extra,
            cluster_dir: None,
            shared_cluster: None,
        })
    }

    /// `chorus cluster up` in a new temporary folder: `instances` of every
    /// service and gateway, nginx in front (the tests talk to nginx), on its
    /// own databases and namespace. Brought down and purged when dropped.
    pub async fn cluster(env: &[(&str, &str)], instances: usize) -> Option<Self> {
        chorus_testkit::postgres_url()?;
        chorus_testkit::redis_url()?;
        chorus_testkit::amqp_url()?;
        let dir = temp_dir("cluster");
        let cluster_dir = dir.join("cluster");
        std::fs::create_dir_all(&cluster_dir).expect("cluster dir");
        // The tests forge tokens: the cluster takes the harness's secrets.
        std::fs::write(
            cluster_dir.join("secrets.json"),
            serde_json::to_string(&(JWT_SECRET, INTERNAL_KEY)).expect("json"),
        )
        .expect("cluster secrets");
        let namespace = chorus_testkit::unique_namespace("e2e");
        let listen = free_local_address();
        let base_port = free_port_block(100);
        let mut vars: Vec<(&str, &str)> = env.to_vec();
        vars.push(("CHORUS_CLUSTER_DIR", path(&cluster_dir)));
        let instances_text = instances.to_string();
        let base_port_text = base_port.to_string();
        let output = run_to_end_within(
            &dir,
            &[
                "cluster",
                "up",
                "--listen",
                &listen,
                "--base-port",
                &base_port_text,
                "--instances",
                &instances_text,
                "--name",
                &namespace,
            ],
            &vars,
            Duration::from_secs(180),
        )
        .await;
        let stdout = String::from_utf8_lossy(&output.stdout);
        // Dropped (and so brought down) whether or not `up` succeeded.
        let mut app = Self {
            mode: Mode::Distributed,
            base: format!("http://{listen}"),
            auth_direct: None,
            dir,
            namespace: Some(namespace),
            instances: BTreeMap::new(),
            processes: Vec::new(),
            infra: String::new(),
            env: owned(env),
            peers_config: String::new(),
            cluster_dir: Some(cluster_dir.clone()),
            shared_cluster: None,
        };
        assert!(
            output.status.success(),
            "chorus cluster up failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        app.instances = cluster_instances(&cluster_dir);
        app.auth_direct = app.instances["auth"].first().cloned();
        Some(app)
    }

    /// The running cluster in `dir` (`CHORUS_E2E_CLUSTER_DIR`, started by
    /// `chorus cluster up` beforehand), shared by every test that needs no
    /// settings of its own; left running.
    fn shared_cluster(dir: PathBuf) -> Self {
        let state: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("cluster.json")).expect("a running cluster"),
        )
        .expect("cluster state");
        let instances = cluster_instances(&dir);
        Self {
            mode: Mode::Distributed,
            base: format!(
                "http://{}",
                state["plan"]["listen"].as_str().expect("listen")
            ),
            auth_direct: instances["auth"].first().cloned(),
            dir: temp_dir("shared-cluster"),
            namespace: state["plan"]["name"].as_str().map(str::to_string),
            instances,
            processes: Vec::new(),
            infra: String::new(),
            env: Vec::new(),
            peers_config: String::new(),
            cluster_dir: None,
            shared_cluster: Some(dir),
        }
    }

    /// The secret access tokens are signed with (to forge expired or tampered ones).
    pub fn jwt_secret(&self) -> Secret {
        match self.mode {
            Mode::Distributed => match &self.shared_cluster {
                Some(dir) => {
                    let text = std::fs::read_to_string(dir.join("secrets.json")).expect("secrets");
                    let (jwt, _): (String, String) =
                        serde_json::from_str(&text).expect("secrets json");
                    Secret::new(&jwt)
                }
                None => Secret::new(JWT_SECRET),
            },
            Mode::Embedded => {
                let text = std::fs::read_to_string(self.dir.join("data/secrets.json"))
                    .expect("secrets.json");
                let json: serde_json::Value = serde_json::from_str(&text).expect("secrets json");
                Secret::new(json["jwt_secret"].as_str().expect("jwt_secret"))
            }
        }
    }

    /// Starts one more instance of `name` in a distributed deployment, on
    /// its own listener and not behind the gateway (as a new instance is
    /// before a balancer learns of it); returns its URL.
    pub async fn start_instance(&mut self, name: &str) -> String {
        assert_eq!(
            self.mode,
            Mode::Distributed,
            "instances are for distributed mode"
        );
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut deployment = Deployment {
            dir: &self.dir,
            infra: &self.infra,
            env: &env,
            processes: Vec::new(),
            instances: self.instances.clone(),
        };
        let url = deployment
            .start(name, "127.0.0.1:0", &self.peers_config)
            .await;
        self.processes.extend(deployment.processes);
        self.instances = deployment.instances;
        url
    }

    /// Sends SIGTERM to every process and returns their exit statuses.
    pub async fn terminate(mut self) -> Vec<std::process::ExitStatus> {
        let mut statuses = Vec::new();
        for child in &mut self.processes {
            if let Some(pid) = child.id() {
                let _ = std::process::Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status();
            }
            let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
                .await
                .expect("exits within 30 s after SIGTERM")
                .expect("exit status");
            statuses.push(status);
        }
        statuses
    }

    /// Kills every process at once, as a crash would.
    pub async fn crash(mut self) -> PathBuf {
        for child in &mut self.processes {
            let _ = child.kill().await;
        }
        self.dir.clone()
    }

    /// Kills instance `index` of `name` with SIGKILL, as a crash would
    /// (distributed mode); it keeps its place in `instances`.
    pub async fn kill_instance(&mut self, name: &str, index: usize) {
        if self
            .cluster_command(&["kill", &format!("{name}/{}", index + 1)])
            .await
        {
            return;
        }
        let position = self.instance_process(name, index);
        let mut child = self.processes.remove(position);
        child.start_kill().expect("SIGKILL");
        child.wait().await.expect("the killed instance is reaped");
    }

    /// Starts instance `index` of `name` again (after [`Chorus::kill_instance`])
    /// with its config file, listening on the address it had.
    pub async fn restart_instance(&mut self, name: &str, index: usize) {
        if self
            .cluster_command(&["start", &format!("{name}/{}", index + 1)])
            .await
        {
            return;
        }
        let url = self.instances[name][index].clone();
        let config = self.instance_config(name, index);
        let text = std::fs::read_to_string(&config).expect("the instance's config");
        let any_port = format!("[services.{name}]\nlisten = \"127.0.0.1:0\"");
        let its_address = format!(
            "[services.{name}]\nlisten = \"{}\"",
            url.trim_start_matches("http://")
        );
        std::fs::write(&config, text.replace(&any_port, &its_address)).expect("rewrite config");
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut child = spawn(
            &self.dir,
            &["serve", "--target", name, "--config", path(&config)],
            &env,
        );
        let listening = wait_for_listener(&mut child, name).await;
        assert_eq!(listening, url, "{name} {index} came back where it was");
        self.processes.push(child);
    }

    /// In a cluster, runs `chorus cluster <args>` on it (and fails the test
    /// if that fails); false when this deployment is no cluster.
    async fn cluster_command(&self, args: &[&str]) -> bool {
        let Some(dir) = self.cluster_dir.as_ref().or(self.shared_cluster.as_ref()) else {
            return false;
        };
        let mut all = vec!["cluster"];
        all.extend_from_slice(args);
        let output = run_to_end_within(
            &self.dir,
            &all,
            &[("CHORUS_CLUSTER_DIR", path(dir))],
            Duration::from_secs(90),
        )
        .await;
        assert!(
            output.status.success(),
            "chorus {}: {}",
            all.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        true
    }

    /// The config file `Deployment::start` wrote for instance `index` of `name`.
    fn instance_config(&self, name: &str, index: usize) -> PathBuf {
        self.dir.join(format!("{name}-{}.toml", index + 1))
    }

    /// Where in `processes` instance `index` of `name` is: the process
    /// started with its config file (read from `/proc`, Linux only).
    fn instance_process(&self, name: &str, index: usize) -> usize {
        assert_eq!(
            self.mode,
            Mode::Distributed,
            "instances are for distributed mode"
        );
        let config = self.instance_config(name, index);
        let config = path(&config);
        self.processes
            .iter()
            .position(|child| {
                let Some(pid) = child.id() else {
                    return false;
                };
                std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|line| {
                    line.split(|&byte| byte == 0)
                        .any(|arg| arg == config.as_bytes())
                })
            })
            .unwrap_or_else(|| panic!("no running process of {name} {index}"))
    }
}

impl Drop for Chorus {
    fn drop(&mut self) {
        if let Some(dir) = self.cluster_dir.take() {
            let _ = std::process::Command::new(binary())
                .args(["cluster", "down", "--purge"])
                .env("CHORUS_CLUSTER_DIR", &dir)
                .stdout(Stdio::null())
                .status();
        }
    }
}

/// The first of `count` consecutive loopback ports no one listens on now,
/// below the ephemeral range (see [`free_local_address`]).
fn free_port_block(count: u16) -> u16 {
    for _ in 0..100 {
        let first: u16 = rand::random_range(20_000..(32_000 - count));
        let free = (first..first + count)
            .all(|port| std::net::TcpListener::bind(("127.0.0.1", port)).is_ok());
        if free {
            return first;
        }
    }
    panic!("no {count} free consecutive ports between 20000 and 32000");
}

/// A loopback address no one listens on right now, for a process whose
/// address must be known before it starts. Chosen below Linux's ephemeral
/// range (32768 and up by default): a port the OS hands out for `:0` could
/// be handed out again to any of the processes the tests start, between
/// this check and the bind.
pub fn free_local_address() -> String {
    for _ in 0..100 {
        let port: u16 = rand::random_range(20_000..32_000);
        if let Ok(probe) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            return probe.local_addr().expect("its address").to_string();
        }
    }
    panic!("no free port between 20000 and 32000");
}

/// The processes of a distributed deployment, as they start.
struct Deployment<'a> {
    dir: &'a Path,
    infra: &'a str,
    env: &'a [(&'a str, &'a str)],
    processes: Vec<Child>,
    instances: BTreeMap<String, Vec<String>>,
}

impl Deployment<'_> {
    /// Starts one instance of `chorus serve --target <name>` on its own
    /// listener, with `extra` config; returns its URL.
    async fn start(&mut self, name: &str, listen: &str, extra: &str) -> String {
        let urls = self.instances.entry(name.to_string()).or_default();
        let config = self.dir.join(format!("{name}-{}.toml", urls.len() + 1));
        std::fs::write(
            &config,
            format!(
                "{}\n[services.{name}]\nlisten = \"{listen}\"\n{extra}",
                self.infra
            ),
        )
        .expect("service config");
        let mut child = spawn(
            self.dir,
            &["serve", "--target", name, "--config", path(&config)],
            self.env,
        );
        let url = wait_for_listener(&mut child, name).await;
        self.processes.push(child);
        urls.push(url.clone());
        url
    }
}

fn owned(env: &[(&str, &str)]) -> Vec<(String, String)> {
    env.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `["a", "b"]` in TOML.
fn toml_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("{item:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Runs `chorus <args>` in `dir` to its end, as a one-off command in a
/// shell would; a run past 30 s fails the test (and is killed).
pub async fn run_to_end(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    run_to_end_within(dir, args, env, Duration::from_secs(30)).await
}

/// [`run_to_end`], with its own limit.
pub async fn run_to_end_within(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> std::process::Output {
    let mut command = Command::new(binary());
    command.args(args).current_dir(dir).kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    tokio::time::timeout(limit, command.output())
        .await
        .unwrap_or_else(|_| panic!("chorus {} did not exit within {limit:?}", args.join(" ")))
        .expect("chorus runs")
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut command = Command::new(binary());
    command
        .args(args)
        .current_dir(dir)
        .env(
            "CHORUS_LOG__FILTER",
            std::env::var("TEST_LOG").map(|_| "debug").unwrap_or("warn"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    for (key, value) in env {
        command.env(key, value);
    }
    command.spawn().expect("chorus starts")
}

/// Reads the process's stdout until it says where `name` listens.
async fn wait_for_listener(child: &mut Child, name: &str) -> String {
    let stdout = child.stdout.take().expect("stdout piped");
    let mut lines = BufReader::new(stdout).lines();
    let prefix = format!("chorus {name} listening on ");
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(url) = line.strip_prefix(&prefix) {
                return Some(url.to_string());
            }
        }
        None
    })
    .await
    .expect("chorus starts listening within 60 s")
    .unwrap_or_else(|| panic!("chorus exited before {name} listened"));
    // Keep draining stdout so the process never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    found
}
