//! The `chorus` command line.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Config;
use crate::modules::{self, Module};

#[derive(Parser)]
#[command(name = "chorus", version, about = "Chorus, a social-network backend")]
pub struct Cli {
    /// Configuration file (default: ./chorus.toml if present).
    #[arg(long, global = true, env = "CHORUS_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Every service in this process on embedded storage: nothing else to install.
    Up,
    /// The named services in this process, on the adapters the config names.
    Serve {
        /// Comma-separated modules: gateway, auth, or all.
        #[arg(long, value_name = "MODULES")]
        target: String,
    },
    /// Applies database migrations, then exits.
    Migrate {
        /// Comma-separated services (default: all).
        #[arg(long, value_name = "MODULES", default_value = "all")]
        target: String,
    },
    /// Rebuilds the search index from the posts and users services, then
    /// exits. Stop the search service (or `chorus up`) first: it holds its index.
    Reindex,
    /// Prints the effective configuration, secrets redacted.
    Config,
    /// Load tests a running or freshly started Chorus.
    Bench(crate::bench::BenchArgs),
    /// A distributed cluster on this machine: `up`, `status`, `down`…
    Cluster(crate::cluster::ClusterArgs),
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Up => {
            init_telemetry(&config);
            config.resolve_secrets(true)?;
            let running = modules::start(&config, Module::ALL).await?;
            announce(&running);
            running.run_until_signal().await
        }
        Command::Serve { target } => {
            init_telemetry(&config);
            let targets = Module::parse_list(&target)?;
            config.resolve_secrets(false)?;
            let running = modules::start(&config, &targets).await?;
            announce(&running);
            running.run_until_signal().await
        }
        Command::Migrate { target } => {
            init_telemetry(&config);
            config.resolve_secrets(true)?;
            modules::migrate(&config, &Module::parse_list(&target)?).await
        }
        Command::Reindex => {
            init_telemetry(&config);
            config.resolve_secrets(true)?;
            modules::reindex(&config).await
        }
        Command::Config => {
            print!("{}", config.to_redacted_toml()?);
            Ok(())
        }
        Command::Bench(args) => crate::bench::run(args).await,
        Command::Cluster(args) => crate::cluster::run(args).await,
    }
}

/// Logs, and the metrics recorder: installed before anything records, or
/// early counts would go nowhere.
fn init_telemetry(config: &Config) {
    chorus_telemetry::init_logs(config.log.format, &config.log.filter);
    chorus_telemetry::metrics::handle();
}

/// Tells the operator (and test harnesses reading stdout) where to connect.
fn announce(running: &modules::Running) {
    let mut out = std::io::stdout().lock();
    for (name, addr) in &running.addresses {
        let _ = writeln!(out, "chorus {name} listening on http://{addr}");
    }
    let _ = out.flush();
}
