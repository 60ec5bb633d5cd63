//! The cluster's processes: started detached (their own process group, so
//! they outlive the command that started them and a Ctrl-C in its terminal),
//! logging to a file each, and remembered in `cluster.json`.

use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::layout::{Member, Plan};

/// What `up` left running, read by `status`, `restart` and `down`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub plan: Plan,
    pub running: Vec<Running>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Running {
    pub member: Member,
    pub pid: u32,
}

impl State {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("cluster.json")
    }

    pub fn load(dir: &Path) -> anyhow::Result<Option<Self>> {
        let path = Self::path(dir);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let state = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a cluster state file", path.display()))?;
        Ok(Some(state))
    }

    pub fn save(&self) -> anyhow::Result<()> {
        let path = Self::path(&self.plan.dir);
        let text = serde_json::to_string_pretty(self)?;
        let partial = path.with_extension("json.partial");
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, &path).with_context(|| format!("writing {}", path.display()))
    }

    pub fn find(&self, label: &str) -> Option<&Running> {
        self.running.iter().find(|r| r.member.label() == label)
    }

    /// Replaces (or adds) the record of `member`'s process.
    pub fn record(&mut self, member: &Member, pid: u32) {
        self.running.retain(|r| r.member != *member);
        self.running.push(Running {
            member: member.clone(),
            pid,
        });
    }
}

/// Starts `member` from this very binary and waits until it says it listens.
pub async fn start(plan: &Plan, member: &Member, node_id: u16) -> anyhow::Result<u32> {
    let config = plan.config_path(member);
    std::fs::write(&config, plan.config(member, node_id))
        .with_context(|| format!("writing {}", config.display()))?;
    let log = plan.log_path(member);
    let offset = std::fs::metadata(&log).map_or(0, |m| m.len());
    let output = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .with_context(|| format!("opening {}", log.display()))?;
    let binary = std::env::current_exe().context("finding the chorus binary")?;
    let child = Command::new(binary)
        .args(["serve", "--target", &member.target, "--config"])
        .arg(&config)
        .current_dir(&plan.dir)
        .env_remove("CHORUS_CONFIG")
        .env_remove("CHORUS_LISTEN")
        .stdin(Stdio::null())
        .stdout(output.try_clone()?)
        .stderr(output)
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {}", member.label()))?;
    let pid = child.id();
    // Not waited for: the process outlives this command (it is reaped by
    // init once this command exits).
    drop(child);
    wait_listening(&log, offset, member, pid).await?;
    Ok(pid)
}

/// Waits for `chorus <target> listening on` in the log, past `offset`.
async fn wait_listening(log: &Path, offset: u64, member: &Member, pid: u32) -> anyhow::Result<()> {
    let needle = format!("chorus {} listening on", member.target);
    for _ in 0..600 {
        let text = std::fs::read(log).unwrap_or_default();
        let fresh =
            String::from_utf8_lossy(&text[(offset as usize).min(text.len())..]).into_owned();
        if fresh.contains(&needle) {
            return Ok(());
        }
        if !alive(pid) {
            let tail: String = fresh
                .lines()
                .rev()
                .take(15)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            anyhow::bail!(
                "{} exited at start; the end of {}:\n{tail}",
                member.label(),
                log.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!(
        "{} did not listen within 60 s (see {})",
        member.label(),
        log.display()
    )
}

/// Is `pid` a live (not zombie) process?
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses: `Z` is a zombie.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Sends `signal` (`TERM`, `KILL`…) to `pid`.
pub fn signal(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .stderr(Stdio::null())
        .status();
}

/// Waits up to `patience` for `pid` to go; true if it went.
pub async fn wait_gone(pid: u32, patience: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + patience;
    while alive(pid) {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    true
}

/// SIGTERM, then SIGKILL after `patience`.
pub async fn stop(pid: u32, patience: Duration) {
    if !alive(pid) {
        return;
    }
    signal(pid, "TERM");
    if !wait_gone(pid, patience).await {
        signal(pid, "KILL");
        wait_gone(pid, Duration::from_secs(5)).await;
    }
}
