//! The Chorus a benchmark talks to: one given by URL, or a fresh `chorus up`
//! started from this very binary in a temporary folder, killed afterwards.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Server {
    pub addr: SocketAddr,
    child: Option<Child>,
    data_dir: Option<PathBuf>,
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
        })
    }

    /// Starts `chorus up` on a free port in a new temporary folder.
    pub async fn embedded() -> anyhow::Result<Self> {
        let data_dir = std::env::temp_dir().join(format!("chorus-bench-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&data_dir)?;
        let mut child = Command::new(std::env::current_exe()?)
            .arg("up")
            .current_dir(&data_dir)
            .env("CHORUS_LISTEN", "127.0.0.1:0")
            .env("CHORUS_DATA_DIR", data_dir.join("data"))
            .env("CHORUS_LOG__FILTER", "warn")
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
        })
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
