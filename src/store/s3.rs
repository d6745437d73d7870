//! S3 objects as this tool writes them: created only where none is (or replaced only at the
//! version read), encrypted with the caller's KMS key when one is given, and labelled with
//! their SHA-256 so that a retry after a lost reply recognises its own write.

use crate::aws::{AwsError, Caller, RateLimiter};
use crate::store::file::sha256_hex;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ServerSideEncryption};

/// Reads pace themselves at this rate: far under S3's per-prefix quota.
const S3_RATE: f64 = 50.0;

/// `s3://bucket/prefix/`, with an optional KMS key for SSE-KMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Target {
    pub bucket: String,
    /// Empty, or ending in `/`.
    pub prefix: String,
    pub kms_key_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an S3 location: expected s3://BUCKET/ or s3://BUCKET/PREFIX/")]
pub struct S3UriError(pub String);

impl S3Target {
    pub fn parse(uri: &str, kms_key_arn: Option<String>) -> Result<S3Target, S3UriError> {
        let error = || S3UriError(uri.to_owned());
        let rest = uri.strip_prefix("s3://").ok_or_else(error)?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_ok {
            return Err(error());
        }
        let prefix = match prefix.trim_matches('/') {
            "" => String::new(),
            p => format!("{p}/"),
        };
        Ok(S3Target {
            bucket: bucket.to_owned(),
            prefix,
            kms_key_arn,
        })
    }

    /// `prefix/latest.json`: the pointer to the latest complete set (written by `output::latest`).
    pub fn pointer_key(&self) -> String {
        format!("{}latest.json", self.prefix)
    }

    pub fn uri(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

pub(crate) fn encryption(target: &S3Target) -> Option<ServerSideEncryption> {
    target
        .kms_key_arn
        .as_ref()
        .map(|_| ServerSideEncryption::AwsKms)
}

/// An object to create, never to overwrite.
pub struct NewObject<'a> {
    pub key: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
}

/// Creates `object` in the target's bucket (SSE-KMS with the target's key, SHA-256 checksum);
/// an object already at that key is an error, never overwritten, unless it holds the same
/// bytes (a retry after a lost reply finds its own write).
pub async fn put_new_object(
    client: &aws_sdk_s3::Client,
    caller: &Caller,
    limiter: &RateLimiter,
    target: &S3Target,
    object: &NewObject<'_>,
) -> Result<(), AwsError> {
    match put_absent(client, caller, limiter, target, object).await? {
        Created::Different => Err(exists_already(&target.uri(object.key))),
        Created::New | Created::Same => Ok(()),
    }
}

pub(crate) fn exists_already(uri: &str) -> AwsError {
    AwsError::Other(format!(
        "{uri} exists already with other content, and this tool never overwrites what it wrote before"
    ))
}

/// What a create-only PUT found at its key.
pub(crate) enum Created {
    New,
    /// An object with the same SHA-256 (`sha256` metadata) was there.
    Same,
    Different,
}

pub(crate) async fn put_absent(
    client: &aws_sdk_s3::Client,
    caller: &Caller,
    limiter: &RateLimiter,
    target: &S3Target,
    object: &NewObject<'_>,
) -> Result<Created, AwsError> {
    let result = put_object_if(
        client,
        caller,
        limiter,
        target,
        object,
        Precondition::Absent,
    )
    .await;
    match result {
        Ok(_) => Ok(Created::New),
        Err(AwsError::Service { code, .. }) if code == "PreconditionFailed" => {
            let there = stored_sha256(client, caller, limiter, target, object.key).await?;
            match there.as_deref() == Some(sha256_hex(object.body).as_str()) {
                true => Ok(Created::Same),
                false => Ok(Created::Different),
            }
        }
        Err(error) => Err(error),
    }
}

/// The user metadata that records an object's SHA-256 (hex), set by every PUT of this tool.
const SHA256_METADATA: &str = "sha256";

pub(crate) async fn stored_sha256(
    client: &aws_sdk_s3::Client,
    caller: &Caller,
    limiter: &RateLimiter,
    target: &S3Target,
    key: &str,
) -> Result<Option<String>, AwsError> {
    let head = caller
        .call(limiter, "s3:GetObject", &target.uri(key), || {
            client.head_object().bucket(&target.bucket).key(key).send()
        })
        .await?;
    Ok(head.metadata.and_then(|m| m.get(SHA256_METADATA).cloned()))
}

/// What a put requires of the object already at its key.
#[derive(Debug, Clone, Copy)]
pub enum Precondition<'a> {
    /// No object there yet (`If-None-Match: *`).
    Absent,
    /// The object is still the version with this ETag (`If-Match`).
    Unchanged(&'a str),
    /// Whatever is there is replaced (the `latest.json` pointer: one PUT, atomic).
    Any,
}

/// Puts `object` (SSE-KMS with the target's key, SHA-256 checksum) only if `precondition`
/// holds; returns the new object's ETag.
pub async fn put_object_if(
    client: &aws_sdk_s3::Client,
    caller: &Caller,
    limiter: &RateLimiter,
    target: &S3Target,
    object: &NewObject<'_>,
    precondition: Precondition<'_>,
) -> Result<Option<String>, AwsError> {
    let resource = target.uri(object.key);
    let output = caller
        .call(limiter, "s3:PutObject", &resource, || {
            let request = client
                .put_object()
                .bucket(&target.bucket)
                .key(object.key)
                .body(ByteStream::from(object.body.to_vec()))
                .content_type(object.content_type)
                .checksum_algorithm(ChecksumAlgorithm::Sha256)
                .metadata(SHA256_METADATA, sha256_hex(object.body))
                .set_server_side_encryption(encryption(target))
                .set_ssekms_key_id(target.kms_key_arn.clone());
            match precondition {
                Precondition::Absent => request.if_none_match("*"),
                Precondition::Unchanged(etag) => request.if_match(etag),
                Precondition::Any => request,
            }
            .send()
        })
        .await?;
    Ok(output.e_tag)
}

/// Reads a whole object.
pub async fn get_object(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, AwsError> {
    Ok(get_object_with_etag(client, bucket, key).await?.0)
}

/// Reads a whole object and its ETag (to replace it only if unchanged).
pub async fn get_object_with_etag(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<(Vec<u8>, Option<String>), AwsError> {
    let resource = format!("s3://{bucket}/{key}");
    let limiter = RateLimiter::per_second(S3_RATE);
    let output = Caller::default()
        .call(&limiter, "s3:GetObject", &resource, || {
            client.get_object().bucket(bucket).key(key).send()
        })
        .await?;
    let etag = output.e_tag.clone();
    let body = output.body.collect().await.map_err(|e| {
        AwsError::Other(format!(
            "s3:GetObject on {resource}: reading the body failed: {e}"
        ))
    })?;
    Ok((body.into_bytes().to_vec(), etag))
}

/// `s3://BUCKET/KEY` as (bucket, key); `None` for anything else, a folder (`KEY/`) included.
pub fn parse_object_uri(text: &str) -> Option<(String, String)> {
    let (bucket, key) = text.strip_prefix("s3://")?.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty() && !key.ends_with('/'))
        .then(|| (bucket.to_owned(), key.to_owned()))
}

/// Path-style addressing when a custom endpoint is configured (an emulator or a gateway
/// that cannot resolve `BUCKET.host`); AWS's own endpoints keep virtual-hosted style.
pub fn client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let s3_config = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(config.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(s3_config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_parsed() {
        let t = S3Target::parse("s3://security-bucket/idc/reports-root/", None).unwrap();
        assert_eq!(
            (t.bucket.as_str(), t.prefix.as_str()),
            ("security-bucket", "idc/reports-root/")
        );
        assert_eq!(
            S3Target::parse("s3://security-bucket", None)
                .unwrap()
                .prefix,
            ""
        );
        assert_eq!(
            S3Target::parse("s3://security-bucket/a", None)
                .unwrap()
                .prefix,
            "a/"
        );
        for bad in [
            "security-bucket/x",
            "s3://",
            "s3://Upper/x",
            "s3://a/x",
            "https://b/x",
        ] {
            assert!(S3Target::parse(bad, None).is_err(), "{bad}");
        }
    }
}
