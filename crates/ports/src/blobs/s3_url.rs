//! `infra.blobs_url` for S3-compatible storage:
//! `s3://<bucket>[/<prefix>][?endpoint=http://127.0.0.1:8333&region=us-east-1]`.
//!
//! Credentials and any option the URL leaves out come from the standard
//! `AWS_*` environment variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_REGION`, `AWS_ENDPOINT`, …). The query may also set any other
//! `object_store` S3 option by its name (`access_key_id`, `allow_http`,
//! `virtual_hosted_style_request`, …); it wins over the environment.

use anyhow::{Context, anyhow};
use object_store::ClientConfigKey;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};

use super::BlobKey;

/// A parsed `s3://` blobs URL.
#[derive(Clone)]
pub struct S3Url {
    bucket: String,
    /// Every key is stored under it; checked like a key, so it cannot climb out.
    prefix: Option<BlobKey>,
    options: Vec<(AmazonS3ConfigKey, String)>,
}

impl S3Url {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let shown = shown(raw);
        let context = || format!("setting infra.blobs_url = {shown:?}");
        let url = url::Url::parse(raw)
            .map_err(|error| anyhow!("{error}: expected s3://bucket[/prefix][?endpoint=…]"))
            .with_context(context)?;
        anyhow::ensure!(url.scheme() == "s3", "{}: not an s3:// URL", context());
        anyhow::ensure!(
            url.username().is_empty() && url.password().is_none(),
            "{}: credentials do not go before the bucket; set AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY (or the access_key_id and secret_access_key options)",
            context()
        );
        anyhow::ensure!(
            url.port().is_none(),
            "{}: the server goes in the endpoint option, not after the bucket: \
             s3://bucket?endpoint=http://host:port",
            context()
        );
        let bucket = url.host_str().unwrap_or_default().to_string();
        anyhow::ensure!(!bucket.is_empty(), "{}: the bucket is missing", context());
        let prefix = match written_path(raw).trim_end_matches('/') {
            "" => None,
            path => Some(
                BlobKey::parse(path)
                    .with_context(|| format!("{}: the key prefix after the bucket", context()))?,
            ),
        };
        let mut options = Vec::new();
        for (name, value) in url.query_pairs() {
            let key: AmazonS3ConfigKey = name.parse().map_err(|_| {
                anyhow!(
                    "{}: {name:?} is no S3 option (endpoint, region, …)",
                    context()
                )
            })?;
            anyhow::ensure!(
                !matches!(key, AmazonS3ConfigKey::Bucket),
                "{}: the bucket is the URL's host, not an option",
                context()
            );
            options.push((key, value.into_owned()));
        }
        Ok(Self {
            bucket,
            prefix,
            options,
        })
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn prefix(&self) -> Option<&BlobKey> {
        self.prefix.as_ref()
    }

    /// The environment's settings, then path-style requests (what local
    /// servers such as SeaweedFS expect), then the URL's options.
    pub(super) fn builder(&self) -> AmazonS3Builder {
        let mut builder = AmazonS3Builder::from_env().with_virtual_hosted_style_request(false);
        for (key, value) in &self.options {
            builder = builder.with_config(*key, value);
        }
        // An http:// endpoint is plainly meant to be used, unless the URL says otherwise.
        let endpoint = builder.get_config_value(&AmazonS3ConfigKey::Endpoint);
        let allow_http = AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp);
        if endpoint.is_some_and(|e| e.starts_with("http://"))
            && !self.options.iter().any(|(key, _)| *key == allow_http)
        {
            builder = builder.with_allow_http(true);
        }
        builder.with_bucket_name(&self.bucket)
    }
}

/// The path as written: parsing would resolve `..` away without a word.
fn written_path(raw: &str) -> &str {
    let rest = raw.split_once("://").map_or(raw, |(_, rest)| rest);
    let location = rest.split(['?', '#']).next().unwrap_or(rest);
    location.split_once('/').map_or("", |(_, path)| path)
}

/// What errors may quote of a raw URL: neither the query nor anything
/// before an `@`, where secrets may be.
fn shown(raw: &str) -> String {
    let location = raw.split('?').next().unwrap_or(raw);
    match location.rsplit_once('@') {
        Some((_, rest)) => format!("s3://…@{rest}"),
        None => location.to_string(),
    }
}

impl std::fmt::Display for S3Url {
    /// `s3://bucket/prefix`, without the options that may hold secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}", self.bucket)?;
        match &self.prefix {
            Some(prefix) => write!(f, "/{prefix}"),
            None => Ok(()),
        }
    }
}

impl std::fmt::Debug for S3Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "S3Url({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(url: &S3Url, key: AmazonS3ConfigKey) -> Option<String> {
        url.builder().get_config_value(&key)
    }

    #[test]
    fn bucket_prefix_and_options_are_read() {
        let url = S3Url::parse(
            "s3://media-bucket/chorus/prod/?endpoint=http://127.0.0.1:8333&region=eu-west-3",
        )
        .expect("valid");
        assert_eq!(url.bucket(), "media-bucket");
        assert_eq!(url.prefix().map(BlobKey::as_str), Some("chorus/prod"));
        assert_eq!(url.to_string(), "s3://media-bucket/chorus/prod");
        assert_eq!(
            value(&url, AmazonS3ConfigKey::Endpoint).as_deref(),
            Some("http://127.0.0.1:8333")
        );
        assert_eq!(
            value(&url, AmazonS3ConfigKey::Region).as_deref(),
            Some("eu-west-3")
        );
        assert_eq!(
            value(&url, AmazonS3ConfigKey::Bucket).as_deref(),
            Some("media-bucket")
        );
        assert_eq!(
            value(&url, AmazonS3ConfigKey::VirtualHostedStyleRequest).as_deref(),
            Some("false"),
            "path-style, as local servers expect"
        );
        let allow_http = AmazonS3ConfigKey::Client(ClientConfigKey::AllowHttp);
        assert_eq!(
            value(&url, allow_http).as_deref(),
            Some("true"),
            "an http:// endpoint is allowed"
        );
    }

    #[test]
    fn a_bare_bucket_has_no_prefix_and_options_are_decoded() {
        let url = S3Url::parse("s3://b?secret_access_key=a%2Bb%2Fc").expect("valid");
        assert_eq!(url.prefix(), None);
        assert_eq!(url.to_string(), "s3://b");
        assert_eq!(
            value(&url, AmazonS3ConfigKey::SecretAccessKey).as_deref(),
            Some("a+b/c")
        );
        assert!(!format!("{url:?}").contains("a+b"), "secrets are not shown");
    }

    #[test]
    fn malformed_urls_are_refused_naming_the_setting_and_hiding_options() {
        for (raw, says) in [
            ("s3://", "bucket is missing"),
            ("s3:///prefix", "bucket is missing"),
            ("s3://b/../up", "prefix"),
            ("s3://b/a/./c", "prefix"),
            ("s3://b//c", "prefix"),
            ("s3://b/a//c", "prefix"),
            ("s3://b/caf%C3%A9", "prefix"),
            (
                "s3://b?no_such_option=1&secret_access_key=hidden",
                "no_such_option",
            ),
            (
                "s3://b?bucket=other&secret_access_key=hidden",
                "bucket is the URL's host",
            ),
            ("s3://key:hidden@b", "AWS_ACCESS_KEY_ID"),
            ("s3://b:9000", "endpoint option"),
            ("http://b", "s3://"),
        ] {
            let error = format!("{:#}", S3Url::parse(raw).expect_err(raw));
            assert!(error.contains("infra.blobs_url"), "{raw}: {error}");
            assert!(error.contains(says), "{raw}: {error}");
            assert!(!error.contains("hidden"), "{raw}: {error}");
        }
    }
}
