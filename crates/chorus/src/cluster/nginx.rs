//! nginx in front of the gateways, as the seeds deploy it: least
//! connections, WebSocket upgrades, unbuffered streams (SSE, uploads), and
//! a request that could not reach one gateway passed to the other.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;

use super::layout::{Plan, path_text};

/// Where Debian puts it, which a non-root `PATH` may lack.
const PLACES: [&str; 3] = ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"];

pub fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("nginx");
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    PLACES.iter().map(PathBuf::from).find(|p| p.is_file())
}

fn prefix(plan: &Plan) -> PathBuf {
    plan.dir.join("nginx")
}

pub fn pid_file(plan: &Plan) -> PathBuf {
    prefix(plan).join("nginx.pid")
}

fn error_log(plan: &Plan) -> PathBuf {
    plan.dir.join("logs").join("nginx-error.log")
}

pub fn config(plan: &Plan, gateway_ports: &[u16]) -> String {
    let prefix = prefix(plan);
    let temp = |name: &str| path_text(&prefix.join(name));
    let mut servers = String::new();
    for port in gateway_ports {
        let _ = writeln!(
            servers,
            "    server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;"
        );
    }
    format!(
        r#"# Written by `chorus cluster up`.
worker_processes 1;
pid {pid};
error_log {error_log} warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {body};
  proxy_temp_path {proxy};
  fastcgi_temp_path {fastcgi};
  uwsgi_temp_path {uwsgi};
  scgi_temp_path {scgi};
  # The gateway enforces each route's body limit.
  client_max_body_size 0;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}
  upstream gateways {{
    least_conn;
{servers}    keepalive 64;
  }}
  server {{
    listen {listen};
    # nginx's own answers (a path it refuses, no gateway reachable) in the
    # API's error shape; the gateways' answers pass through untouched.
    # (A path nginx refuses has no URI a named location could take: a
    # plain internal one it is.)
    error_page 400 =400 /__chorus/bad_request;
    error_page 502 503 504 =503 @unavailable;
    location = /__chorus/bad_request {{
      internal;
      default_type application/json;
      return 400 '{{"error":{{"code":"bad_request","message":"the request could not be read"}}}}';
    }}
    location @unavailable {{
      default_type application/json;
      return 503 '{{"error":{{"code":"unavailable","message":"no gateway answered; try again"}}}}';
    }}
    location / {{
      proxy_pass http://gateways;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_connect_timeout 1s;
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
      # Refused or timed out: the other gateway (nginx never re-sends a
      # request that a gateway may have received, unless it is idempotent).
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 2;
    }}
  }}
}}
"#,
        pid = path_text(&pid_file(plan)),
        error_log = path_text(&error_log(plan)),
        body = temp("body"),
        proxy = temp("proxy"),
        fastcgi = temp("fastcgi"),
        uwsgi = temp("uwsgi"),
        scgi = temp("scgi"),
        listen = plan.listen,
    )
}

/// Writes the config, checks it with `nginx -t` and starts nginx (it
/// daemonizes itself); returns its master's pid.
pub async fn start(plan: &Plan, gateway_ports: &[u16]) -> anyhow::Result<u32> {
    let nginx = binary().context("nginx is not installed (Debian: apt-get install nginx-light)")?;
    let prefix = prefix(plan);
    for temp in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
        let dir = prefix.join(temp);
        std::fs::create_dir_all(&dir)?;
        // Workers run as `nobody` when nginx starts as root.
        make_writable_by_all(&dir)?;
    }
    let conf = prefix.join("nginx.conf");
    std::fs::write(&conf, config(plan, gateway_ports))?;
    let command = || {
        let mut command = Command::new(&nginx);
        command
            .arg("-p")
            .arg(&prefix)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(error_log(plan));
        command
    };
    let test = command()
        .args(["-t", "-q"])
        .output()
        .context("running nginx -t")?;
    anyhow::ensure!(
        test.status.success(),
        "nginx -t refused {}: {}",
        conf.display(),
        String::from_utf8_lossy(&test.stderr)
    );
    // Its output goes to a file, not a pipe: the daemon it forks must not
    // hold a pipe this command waits on.
    let output_path = plan.dir.join("logs").join("nginx-start.log");
    let output = std::fs::File::create(&output_path)?;
    let started = command()
        .stdin(std::process::Stdio::null())
        .stdout(output.try_clone()?)
        .stderr(output)
        .status()
        .context("starting nginx")?;
    anyhow::ensure!(
        started.success(),
        "nginx did not start: {}",
        std::fs::read_to_string(&output_path).unwrap_or_default()
    );
    read_pid(plan).await.with_context(|| {
        format!(
            "nginx wrote no pid file (see {})",
            error_log(plan).display()
        )
    })
}

async fn read_pid(plan: &Plan) -> Option<u32> {
    for _ in 0..50 {
        if let Some(pid) = std::fs::read_to_string(pid_file(plan))
            .ok()
            .and_then(|text| text.trim().parse().ok())
        {
            return Some(pid);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    None
}

fn make_writable_by_all(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777))
}
