//! The Chorus a benchmark talks to: one given by URL, or a fresh `chorus up`
//! started from this very binary in a temporary folder, killed afterwards.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Server {
    pub addr: SocketAddr,
    child: Option<Child>,
    data_dir: Option<PathBuf>,
    env: Vec<(String, String)>,
}

impl Server {
    /// Uses the Chorus at `url` (`http://host:port`).
    pub async fn external(url: &str) -> anyhow::Result<Self> {
        let authority = url.trim_start_matches("http://").trim_end_matches('/');
        let addr = tokio::net::lookup_host(authority)
            .await
            .with_context(|| format!("--url {url}: cannot resolve"))?
            .next()
            .with_context(|| format!("--url {url}: no address"))?;
        Ok(Self {
            addr,
            child: None,
            data_dir: None,
            env: Vec::new(),
        })
    }

    /// Starts `chorus up` on a free port in a new temporary folder.
    pub async fn embedded() -> anyhow::Result<Self> {
        Self::embedded_with(&[]).await
    }

    /// Like `embedded`, with extra environment variables for the server
    /// (settings such as `CHORUS_FEED__CELEBRITY_THRESHOLD`); they win over
    /// the ones inherited from this process.
    pub async fn embedded_with(env: &[(String, String)]) -> anyhow::Result<Self> {
        let data_dir = std::env::temp_dir().join(format!("chorus-bench-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&data_dir)?;
        Self::embedded_in(data_dir, env).await
    }

    /// Starts `chorus up` on a free port in `dir` (data in `dir/data`), a
    /// folder made by `embedded_with` and kept by `stop_keeping_data`, say.
    /// `stop` removes it.
    pub async fn embedded_in(data_dir: PathBuf, env: &[(String, String)]) -> anyhow::Result<Self> {
        let mut command = Self::command_in(&data_dir, env)?;
        command.arg("up");
        if !env.iter().any(|(key, _)| key == "CHORUS_LISTEN") {
            command.env("CHORUS_LISTEN", "127.0.0.1:0");
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting chorus up")?;
        let stdout = child.stdout.take().context("no stdout from chorus up")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("chorus gateway listening on http://") {
                    return Ok::<_, anyhow::Error>(url.parse::<SocketAddr>()?);
                }
            }
            anyhow::bail!("chorus up exited before listening")
        })
        .await
        .context("chorus up did not start within 60 s")??;
        Ok(Self {
            addr,
            child: Some(child),
            data_dir: Some(data_dir),
            env: env.to_vec(),
        })
    }

    /// `chorus` from this very binary as the bench runs it: in `dir`, with
    /// its data in `dir/data`, quiet logs, and `env` over this process's
    /// variables. Arguments (`up`, `reindex`…) are the caller's.
    pub fn command_in(dir: &Path, env: &[(String, String)]) -> anyhow::Result<Command> {
        let mut command = Command::new(std::env::current_exe()?);
        command
            .current_dir(dir)
            .env("CHORUS_DATA_DIR", dir.join("data"))
            .env("CHORUS_LOG__FILTER", "warn");
        for (key, value) in env {
            command.env(key, value);
        }
        Ok(command)
    }

    /// The variables `embedded_with` was given.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// The process id of the embedded server; `None` for one given by URL.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// The embedded server's memory now, from `/proc/<pid>/status`.
    pub fn memory(&self) -> Option<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse::<u64>().ok())
        };
        Some(Memory {
            rss_kib: field("VmRSS:")?,
            peak_kib: field("VmHWM:")?,
        })
    }

    /// Stops the embedded server (killed, as `stop` does) and keeps its
    /// folder, for `embedded_in` to start another in; the folder is the
    /// caller's to remove then.
    pub async fn stop_keeping_data(mut self) -> anyhow::Result<PathBuf> {
        let child = self
            .child
            .as_mut()
            .context("a server given by --url cannot be stopped by the bench")?;
        child.kill().await.context("stopping chorus up")?;
        self.data_dir
            .take()
            .context("the bench's server has no folder of its own")
    }

    pub async fn stop(mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill().await;
        }
        if let Some(dir) = self.data_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Resident memory of a process, in KiB.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Memory {
    /// Resident now (VmRSS).
    pub rss_kib: u64,
    /// The most it has been resident (VmHWM).
    pub peak_kib: u64,
}
