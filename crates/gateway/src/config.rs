//! What the gateway reads from `chorus.toml` (`[gateway]`) and `CHORUS_GATEWAY__*`.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, bail};
use http::Method;
use http::header::{HeaderName, HeaderValue, RETRY_AFTER};
use serde::{Deserialize, Serialize};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayConfig {
    /// Longest a request may take until its response starts (then 504).
    pub request_timeout_ms: u64,
    /// Largest request body accepted (then 413).
    pub body_limit_bytes: usize,
    /// Empty: any origin, without credentials. Otherwise exactly these
    /// origins, with credentials (the session cookie).
    pub cors_allowed_origins: Vec<String>,
    /// Service name to the base URLs of its instances (distributed mode).
    pub upstreams: BTreeMap<String, Vec<String>>,
    /// How often every upstream instance's `/health` is polled.
    pub health_check_interval_ms: u64,
    /// Longest one upstream attempt may take until its response starts.
    pub upstream_timeout_ms: u64,
    /// Benchmark only: serve DeathStarBench's `/wrk2-api/*` routes, which act
    /// for any user without a token (see the `wrk2` module). Never in production.
    pub wrk2_api: bool,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            request_timeout_ms: 30_000,
            body_limit_bytes: 1024 * 1024,
            cors_allowed_origins: Vec::new(),
            upstreams: BTreeMap::new(),
            health_check_interval_ms: 2_000,
            upstream_timeout_ms: 10_000,
            wrk2_api: false,
        }
    }
}

impl GatewayConfig {
    /// Zero timeouts or limits would refuse every request: refuse them at start instead.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        let positive = [
            ("request_timeout_ms", self.request_timeout_ms),
            ("health_check_interval_ms", self.health_check_interval_ms),
            ("upstream_timeout_ms", self.upstream_timeout_ms),
        ];
        for (name, value) in positive {
            if value == 0 {
                bail!("gateway.{name} must be above 0");
            }
        }
        if self.body_limit_bytes == 0 {
            bail!("gateway.body_limit_bytes must be above 0");
        }
        Ok(())
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    pub(crate) fn upstream_timeout(&self) -> Duration {
        Duration::from_millis(self.upstream_timeout_ms)
    }

    pub(crate) fn health_check_interval(&self) -> Duration {
        Duration::from_millis(self.health_check_interval_ms)
    }

    /// Browsers may read answers from the configured origins; with a list,
    /// they may also send the session cookie (which a wildcard must never allow).
    pub(crate) fn cors_layer(&self) -> anyhow::Result<CorsLayer> {
        let layer = CorsLayer::new()
            .allow_methods([
                Method::GET,
                Method::HEAD,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allow_headers(AllowHeaders::mirror_request())
            .expose_headers([HeaderName::from_static("x-request-id"), RETRY_AFTER])
            .max_age(Duration::from_secs(600));
        if self.cors_allowed_origins.is_empty() {
            return Ok(layer.allow_origin(AllowOrigin::any()));
        }
        let origins = self
            .cors_allowed_origins
            .iter()
            .map(|origin| {
                if origin == "*" {
                    bail!("gateway.cors_allowed_origins: leave the list empty to allow any origin");
                }
                HeaderValue::from_str(origin.trim_end_matches('/'))
                    .with_context(|| format!("gateway.cors_allowed_origins: bad origin {origin:?}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(layer
            .allow_origin(AllowOrigin::list(origins))
            .allow_credentials(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        assert!(GatewayConfig::default().validate().is_ok());
    }

    #[test]
    fn a_zero_timeout_is_refused() {
        let config = GatewayConfig {
            request_timeout_ms: 0,
            ..GatewayConfig::default()
        };
        assert!(config.validate().is_err());
    }

    #[test]
    fn a_wildcard_origin_in_the_list_is_refused() {
        let config = GatewayConfig {
            cors_allowed_origins: vec!["*".to_string()],
            ..GatewayConfig::default()
        };
        assert!(config.cors_layer().is_err());
    }

    #[test]
    fn the_wrk2_api_is_off_unless_asked_for() {
        assert!(!GatewayConfig::default().wrk2_api);
        let parsed: GatewayConfig = serde_json::from_str(r#"{"wrk2_api": true}"#).expect("parses");
        assert!(parsed.wrk2_api);
    }

    #[test]
    fn an_unknown_field_is_refused() {
        let parsed: Result<GatewayConfig, _> =
            serde_json::from_str(r#"{"request_timeout_ms": 5, "typo": 1}"#);
        assert!(parsed.is_err());
    }
}
