//! Working state that a run replaces, unlike reports: a directory read's checkpoint, and the
//! snapshot handed from one Step Functions step to the next. A file is replaced through a
//! temporary file and a rename; an S3 object by a conditional put, so that two runs sharing a
//! checkpoint cannot silently overwrite each other's progress.

use super::{write_bytes_file, OutputError};
use crate::aws::{AwsError, Caller, RateLimiter};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ServerSideEncryption};
use std::path::PathBuf;

/// A local file, or an S3 object (`s3://BUCKET/KEY`), with an optional KMS key for SSE-KMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateLocation {
    File(PathBuf),
    S3 {
        bucket: String,
        key: String,
        kms_key_arn: Option<String>,
    },
}

/// What was read, and the version to replace (an S3 ETag) so that a concurrent writer is noticed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Version(Option<String>);

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("{location}: {source}")]
    File {
        location: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("{0} was changed by another run since this one read it: two runs must not share it (the other run's progress is kept; run again when it has finished)")]
    Conflict(String),
    #[error("{0:?} is not a place for state: expected a file path or s3://BUCKET/KEY")]
    NotALocation(String),
}

const S3_RATE: f64 = 50.0;

impl StateLocation {
    /// `s3://BUCKET/KEY` or a file path.
    pub fn parse(text: &str, kms_key_arn: Option<String>) -> Result<StateLocation, StateError> {
        let Some(rest) = text.strip_prefix("s3://") else {
            if text.is_empty() || text.ends_with('/') {
                return Err(StateError::NotALocation(text.to_owned()));
            }
            return Ok(StateLocation::File(PathBuf::from(text)));
        };
        match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() && !key.ends_with('/') => {
                Ok(StateLocation::S3 {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                    kms_key_arn,
                })
            }
            _ => Err(StateError::NotALocation(text.to_owned())),
        }
    }

    /// The whole content and its version, or `None` when there is nothing there yet.
    pub async fn read(
        &self,
        config: &aws_config::SdkConfig,
    ) -> Result<Option<(Vec<u8>, Version)>, StateError> {
        match self {
            StateLocation::File(path) => match std::fs::read(path) {
                Ok(body) => Ok(Some((body, Version::default()))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(StateError::File {
                    location: self.to_string(),
                    source,
                }),
            },
            StateLocation::S3 { bucket, key, .. } => {
                let client = super::s3::client(config);
                let resource = self.to_string();
                let limiter = RateLimiter::per_second(S3_RATE);
                let result = Caller::default()
                    .call(&limiter, "s3:GetObject", &resource, || {
                        client.get_object().bucket(bucket).key(key).send()
                    })
                    .await;
                let output = match result {
                    Err(e) if e.code() == Some("NoSuchKey") => return Ok(None),
                    other => other?,
                };
                let version = Version(output.e_tag.clone());
                let body = output.body.collect().await.map_err(|e| {
                    AwsError::Other(format!(
                        "s3:GetObject on {resource}: reading the body failed: {e}"
                    ))
                })?;
                Ok(Some((body.into_bytes().to_vec(), version)))
            }
        }
    }

    /// Replaces the content whole. In S3 only if the object is still at `version` (or, with
    /// no version, only if there is no object yet); returns the new version.
    pub async fn write(
        &self,
        config: &aws_config::SdkConfig,
        body: &[u8],
        version: &Version,
    ) -> Result<Version, StateError> {
        match self {
            StateLocation::File(path) => {
                write_bytes_file(path, body)?;
                Ok(Version::default())
            }
            StateLocation::S3 {
                bucket,
                key,
                kms_key_arn,
            } => {
                let object = Object {
                    bucket,
                    key,
                    kms_key_arn: kms_key_arn.as_deref(),
                };
                object.put(config, body, version).await
            }
        }
    }

    /// Removes it; nothing there is not an error.
    pub async fn remove(&self, config: &aws_config::SdkConfig) -> Result<(), StateError> {
        match self {
            StateLocation::File(path) => match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(StateError::File {
                    location: self.to_string(),
                    source: e,
                }),
                _ => Ok(()),
            },
            StateLocation::S3 { bucket, key, .. } => {
                let client = super::s3::client(config);
                let limiter = RateLimiter::per_second(S3_RATE);
                Caller::default()
                    .call(&limiter, "s3:DeleteObject", &self.to_string(), || {
                        client.delete_object().bucket(bucket).key(key).send()
                    })
                    .await?;
                Ok(())
            }
        }
    }
}

struct Object<'a> {
    bucket: &'a str,
    key: &'a str,
    kms_key_arn: Option<&'a str>,
}

impl Object<'_> {
    async fn put(
        &self,
        config: &aws_config::SdkConfig,
        body: &[u8],
        version: &Version,
    ) -> Result<Version, StateError> {
        let client = super::s3::client(config);
        let resource = format!("s3://{}/{}", self.bucket, self.key);
        let limiter = RateLimiter::per_second(S3_RATE);
        let result = Caller::default()
            .call(&limiter, "s3:PutObject", &resource, || {
                let request = client
                    .put_object()
                    .bucket(self.bucket)
                    .key(self.key)
                    .body(ByteStream::from(body.to_vec()))
                    .content_type("application/json")
                    .checksum_algorithm(ChecksumAlgorithm::Sha256)
                    .set_server_side_encryption(
                        self.kms_key_arn.map(|_| ServerSideEncryption::AwsKms),
                    )
                    .set_ssekms_key_id(self.kms_key_arn.map(str::to_owned));
                match &version.0 {
                    Some(etag) => request.if_match(etag),
                    None => request.if_none_match("*"),
                }
                .send()
            })
            .await;
        match result {
            Err(e)
                if matches!(
                    e.code(),
                    Some("PreconditionFailed" | "ConditionalRequestConflict" | "NoSuchKey")
                ) =>
            {
                Err(StateError::Conflict(resource))
            }
            other => Ok(Version(other?.e_tag)),
        }
    }
}

impl std::fmt::Display for StateLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StateLocation::File(path) => write!(f, "{}", path.display()),
            StateLocation::S3 { bucket, key, .. } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_objects_are_told_apart() {
        assert_eq!(
            StateLocation::parse("s3://b/p/state/x.json", None)
                .unwrap()
                .to_string(),
            "s3://b/p/state/x.json"
        );
        assert!(matches!(
            StateLocation::parse("work/x.json", None).unwrap(),
            StateLocation::File(_)
        ));
        for bad in ["s3://b/", "s3://", "", "dir/"] {
            assert!(StateLocation::parse(bad, None).is_err(), "{bad}");
        }
    }
}
