//! Secrets `chorus up` makes for itself on first start, kept in the data
//! folder (readable by the owner only) so that tokens survive a restart.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chorus_core::Secret;
use serde::{Deserialize, Serialize};

const FILE: &str = "secrets.json";

#[derive(Serialize, Deserialize)]
struct Stored {
    jwt_secret: String,
    internal_key: String,
}

pub struct Secrets {
    pub jwt_secret: Secret,
    pub internal_key: Secret,
}

pub fn load_or_create(data_dir: &Path) -> anyhow::Result<Secrets> {
    let path = data_dir.join(FILE);
    let stored = if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is damaged", path.display()))?
    } else {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating data folder {}", data_dir.display()))?;
        let stored = Stored {
            jwt_secret: random_secret(),
            internal_key: random_secret(),
        };
        write_private(&path, &serde_json::to_string_pretty(&stored)?)?;
        stored
    };
    Ok(Secrets {
        jwt_secret: Secret::new(stored.jwt_secret),
        internal_key: Secret::new(stored.internal_key),
    })
}

fn random_secret() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_made_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("chorus-secrets-{}", rand::random::<u64>()));
        let first = load_or_create(&dir).expect("created");
        let second = load_or_create(&dir).expect("loaded");
        assert_eq!(first.jwt_secret, second.jwt_secret);
        assert_ne!(first.jwt_secret, first.internal_key);
        std::fs::remove_dir_all(&dir).expect("cleaned up");
    }
}
