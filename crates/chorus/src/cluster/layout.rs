//! Where every process of a local cluster listens and what it is told:
//! fixed ports (so a restarted instance comes back where the gateways and
//! its peers expect it), one PostgreSQL database per service, and one
//! config file per process.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::modules::Module;

/// Services called over gRPC by others: every process gets their URLs.
const CALLED_OVER_GRPC: [&str; 3] = ["users", "posts", "feed"];

/// The servers a cluster stands on, and its shape.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    /// Names the cluster's databases (`<name>_<service>`), and is the
    /// namespace of its queues, keys and channels.
    pub name: String,
    pub dir: PathBuf,
    /// Where nginx, in front of the gateways, listens.
    pub listen: String,
    /// Gateway `i` listens on `base_port + i`; instance `i` of the `k`-th
    /// service on `base_port + 10 (k + 1) + i`.
    pub base_port: u16,
    pub instances: usize,
    /// An administrative database URL: databases are created through it.
    pub postgres: String,
    pub redis: String,
    pub amqp: String,
    pub blobs: String,
    pub jwt_secret: String,
    pub internal_key: String,
}

/// One process of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// `gateway` or a service's name.
    pub target: String,
    /// 0-based among the instances of its target.
    pub index: usize,
    pub port: u16,
}

impl Member {
    /// `users/1`: how commands and reports name an instance (1-based).
    pub fn label(&self) -> String {
        format!("{}/{}", self.target, self.index + 1)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The services, in the order they start (callees before their callers).
pub fn services() -> Vec<&'static str> {
    Module::ALL
        .iter()
        .filter(|module| **module != Module::Gateway)
        .map(|module| module.name())
        .collect()
}

impl Plan {
    /// Every process: each service's instances (first instances first), then the gateways.
    pub fn members(&self) -> Vec<Member> {
        let services = services();
        let mut members = Vec::new();
        for index in 0..self.instances {
            for (k, service) in services.iter().enumerate() {
                members.push(Member {
                    target: service.to_string(),
                    index,
                    port: self.base_port + 10 * (k as u16 + 1) + index as u16,
                });
            }
        }
        for index in 0..self.instances {
            members.push(Member {
                target: "gateway".into(),
                index,
                port: self.base_port + index as u16,
            });
        }
        members
    }

    pub fn database(&self, service: &str) -> String {
        format!("{}_{service}", self.name)
    }

    /// The service's database URL: the admin URL with its database swapped.
    pub fn store_url(&self, service: &str) -> String {
        let (server, query) = match self.postgres.split_once('?') {
            Some((server, query)) => (server, format!("?{query}")),
            None => (self.postgres.as_str(), String::new()),
        };
        let after_scheme = server.find("://").map_or(0, |at| at + 3);
        let server = match server[after_scheme..].find('/') {
            Some(slash) => &server[..after_scheme + slash],
            None => server,
        };
        format!("{server}/{}{query}", self.database(service))
    }

    pub fn config_path(&self, member: &Member) -> PathBuf {
        self.dir
            .join("config")
            .join(format!("{}-{}.toml", member.target, member.index + 1))
    }

    pub fn log_path(&self, member: &Member) -> PathBuf {
        self.dir
            .join("logs")
            .join(format!("{}-{}.log", member.target, member.index + 1))
    }

    fn data_dir(&self, member: &Member) -> PathBuf {
        self.dir
            .join("data")
            .join(format!("{}-{}", member.target, member.index + 1))
    }

    /// The URLs of every instance of `target`, as a TOML list.
    fn urls_of(&self, target: &str) -> String {
        let urls: Vec<String> = self
            .members()
            .into_iter()
            .filter(|member| member.target == target)
            .map(|member| format!("{:?}", member.url()))
            .collect();
        format!("[{}]", urls.join(", "))
    }

    /// The config file of one process.
    pub fn config(&self, member: &Member, node_id: u16) -> String {
        let store = match member.target.as_str() {
            // The gateway keeps nothing in a database.
            "gateway" => "sqlite".to_string(),
            service => self.store_url(service),
        };
        let mut text = String::new();
        let _ = writeln!(
            text,
            "# Written by `chorus cluster up`; rewritten at each start."
        );
        if member.target == "gateway" {
            let _ = writeln!(text, "listen = \"127.0.0.1:{}\"", member.port);
        }
        let _ = writeln!(text, "data_dir = {:?}", path_text(&self.data_dir(member)));
        let _ = writeln!(text, "node_id = {node_id}");
        let _ = writeln!(text, "shutdown_grace_secs = 5\n");
        let _ = writeln!(text, "[infra]");
        let _ = writeln!(text, "store_url = {store:?}");
        let _ = writeln!(text, "cache_url = {:?}", self.redis);
        let _ = writeln!(text, "pubsub_url = {:?}", self.redis);
        let _ = writeln!(text, "bus_url = {:?}", self.amqp);
        let _ = writeln!(text, "blobs_url = {:?}", self.blobs);
        let _ = writeln!(text, "namespace = {:?}\n", self.name);
        let _ = writeln!(text, "[security]");
        let _ = writeln!(text, "jwt_secret = {:?}", self.jwt_secret);
        let _ = writeln!(text, "internal_key = {:?}\n", self.internal_key);
        if member.target == "gateway" {
            let _ = writeln!(text, "[gateway.upstreams]");
            for service in services() {
                let _ = writeln!(text, "{service} = {}", self.urls_of(service));
            }
            text.push('\n');
        } else {
            let _ = writeln!(text, "[services.{}]", member.target);
            let _ = writeln!(text, "listen = \"127.0.0.1:{}\"", member.port);
            if CALLED_OVER_GRPC.contains(&member.target.as_str()) {
                let _ = writeln!(text, "urls = {}", self.urls_of(&member.target));
            }
            text.push('\n');
        }
        for called in CALLED_OVER_GRPC {
            if called != member.target {
                let _ = writeln!(text, "[services.{called}]");
                let _ = writeln!(text, "urls = {}\n", self.urls_of(called));
            }
        }
        text
    }
}

pub fn path_text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            name: "chorus_cluster".into(),
            dir: PathBuf::from("/tmp/c"),
            listen: "127.0.0.1:8080".into(),
            base_port: 18000,
            instances: 2,
            postgres: "postgres://root@127.0.0.1:5432/postgres?sslmode=disable".into(),
            redis: "redis://127.0.0.1:6379".into(),
            amqp: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
            blobs: "s3://bucket/prefix?endpoint=http://127.0.0.1:8333".into(),
            jwt_secret: "j".into(),
            internal_key: "k".into(),
        }
    }

    #[test]
    fn every_process_has_its_own_port() {
        let members = plan().members();
        assert_eq!(members.len(), 2 * 9, "two of each service and two gateways");
        let mut ports: Vec<u16> = members.iter().map(|m| m.port).collect();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), members.len());
        assert_eq!(
            members.last().map(Member::label).as_deref(),
            Some("gateway/2")
        );
    }

    #[test]
    fn each_service_gets_its_own_database() {
        assert_eq!(
            plan().store_url("posts"),
            "postgres://root@127.0.0.1:5432/chorus_cluster_posts?sslmode=disable"
        );
        let mut bare = plan();
        bare.postgres = "postgres://root@127.0.0.1:5432".into();
        assert_eq!(
            bare.store_url("users"),
            "postgres://root@127.0.0.1:5432/chorus_cluster_users"
        );
    }

    #[test]
    fn a_config_parses_and_names_its_peers() {
        let plan = plan();
        for member in plan.members() {
            let text = plan.config(&member, 7);
            let parsed: toml::Table = toml::from_str(&text).expect("valid TOML");
            if member.target == "gateway" {
                let upstreams = &parsed["gateway"]["upstreams"];
                assert_eq!(upstreams["search"].as_array().map(Vec::len), Some(2));
            } else {
                let own = &parsed["services"][member.target.as_str()]["listen"];
                assert_eq!(
                    own.as_str(),
                    Some(format!("127.0.0.1:{}", member.port).as_str())
                );
                assert_eq!(
                    parsed["services"]["users"]["urls"].as_array().map(Vec::len),
                    Some(2)
                );
            }
        }
    }
}
