//! What the gateway reads from `chorus.toml` (`[gateway]`) and `CHORUS_GATEWAY__*`.

use std::collections::{BTreeMap, BTreeSet};
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
    /// Per service name: its own `upstream_timeout_ms` (e.g. `search = 2000`).
    pub upstream_timeouts_ms: BTreeMap<String, u64>,
    /// Consecutive failures (refused or broken connection, timeout, or a
    /// 502/503/504 from the instance) that eject an instance.
    pub breaker_failures: u32,
    /// How long an ejected instance waits before one probe may try it;
    /// doubles (up to 30 s) each time the probe fails.
    pub breaker_cooldown_ms: u64,
    /// Retries another instance gets per request at most.
    pub max_retries: u32,
    /// Retries may be at most this share of an upstream's requests over ~10 s…
    pub retry_budget_percent: u32,
    /// …though this many a second are always allowed.
    pub retry_budget_min_per_sec: u32,
    /// While the revocation list (the cache) cannot be read, tokens are let
    /// through for this long after its last successful read, unless this
    /// gateway saw their session revoked; then refused (503). 0: refuse at once.
    pub revocation_outage_grace_secs: u64,
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
            upstream_timeouts_ms: BTreeMap::new(),
            breaker_failures: 5,
            breaker_cooldown_ms: 1_000,
            max_retries: 1,
            retry_budget_percent: 20,
            retry_budget_min_per_sec: 10,
            revocation_outage_grace_secs: 60,
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
            ("breaker_failures", self.breaker_failures.into()),
            ("breaker_cooldown_ms", self.breaker_cooldown_ms),
        ];
        let per_service = self
            .upstream_timeouts_ms
            .iter()
            .map(|(service, &value)| (format!("upstream_timeouts_ms.{service}"), value));
        let named = positive.map(|(name, value)| (name.to_string(), value));
        for (name, value) in named.into_iter().chain(per_service) {
            if value == 0 {
                bail!("gateway.{name} must be above 0");
            }
        }
        if self.body_limit_bytes == 0 {
            bail!("gateway.body_limit_bytes must be above 0");
        }
        if self.retry_budget_percent > 100 {
            bail!("gateway.retry_budget_percent must be at most 100");
        }
        Ok(())
    }

    /// Settings that name services must name services the gateway has.
    pub(crate) fn validate_services<'a>(
        &self,
        services: impl IntoIterator<Item = &'a str>,
    ) -> anyhow::Result<()> {
        let known: BTreeSet<&str> = services.into_iter().collect();
        let unknown: Vec<&str> = self
            .upstream_timeouts_ms
            .keys()
            .map(String::as_str)
            .filter(|service| !known.contains(service))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "gateway.upstream_timeouts_ms names unknown services: {} (known: {})",
                unknown.join(", "),
                known.into_iter().collect::<Vec<_>>().join(", ")
            );
        }
        Ok(())
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.request_timeout_ms)
    }

    pub(crate) fn revocation_outage_grace(&self) -> Duration {
        Duration::from_secs(self.revocation_outage_grace_secs)
    }

    pub(crate) fn upstream_timeout(&self) -> Duration {
        Duration::from_millis(self.upstream_timeout_ms)
    }

    /// The service's own upstream timeout, else the common one.
    pub(crate) fn upstream_timeout_of(&self, service: &str) -> Duration {
        self.upstream_timeouts_ms
            .get(service)
            .map_or(self.upstream_timeout(), |&ms| Duration::from_millis(ms))
    }

    pub(crate) fn breaker_cooldown(&self) -> Duration {
        Duration::from_millis(self.breaker_cooldown_ms)
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
    fn a_per_service_timeout_overrides_the_common_one() {
        let parsed: GatewayConfig =
            serde_json::from_str(r#"{"upstream_timeouts_ms": {"search": 2000}}"#).expect("parses");
        assert!(parsed.validate().is_ok());
        assert_eq!(parsed.upstream_timeout_of("search"), Duration::from_secs(2));
        assert_eq!(parsed.upstream_timeout_of("posts"), Duration::from_secs(10));
        assert!(parsed.validate_services(["posts", "search"]).is_ok());
        let error = parsed
            .validate_services(["posts", "users"])
            .expect_err("search is unknown");
        assert!(
            error.to_string().contains("unknown services: search"),
            "{error}"
        );
    }

    #[test]
    fn breaker_and_budget_settings_are_checked() {
        for config in [
            GatewayConfig {
                breaker_failures: 0,
                ..GatewayConfig::default()
            },
            GatewayConfig {
                breaker_cooldown_ms: 0,
                ..GatewayConfig::default()
            },
            GatewayConfig {
                retry_budget_percent: 101,
                ..GatewayConfig::default()
            },
            GatewayConfig {
                upstream_timeouts_ms: BTreeMap::from([("search".to_string(), 0)]),
                ..GatewayConfig::default()
            },
        ] {
            assert!(config.validate().is_err(), "{config:?}");
        }
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
