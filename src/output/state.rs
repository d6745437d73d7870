//! Working state that a run replaces, unlike reports: a directory read's checkpoint, and the
//! snapshot handed from one Step Functions step to the next. A file is replaced through a
//! temporary file and a rename; an S3 object by a conditional put, so that two runs sharing a
//! checkpoint cannot silently overwrite each other's progress.

use super::s3::{self, NewObject, Precondition, S3Target};
use super::{write_bytes_file, OutputError};
use crate::aws::{AwsError, Caller, RateLimiter};
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

impl StateLocation {
    /// `s3://BUCKET/KEY` or a file path.
    pub fn parse(text: &str, kms_key_arn: Option<String>) -> Result<StateLocation, StateError> {
        let not_a_location = || StateError::NotALocation(text.to_owned());
        if !text.starts_with("s3://") {
            if text.is_empty() || text.ends_with('/') {
                return Err(not_a_location());
            }
            return Ok(StateLocation::File(PathBuf::from(text)));
        }
        let (bucket, key) = super::s3::parse_object_uri(text).ok_or_else(not_a_location)?;
        Ok(StateLocation::S3 {
            bucket,
            key,
            kms_key_arn,
        })
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
                let client = s3::client(config);
                match s3::get_object_with_etag(&client, bucket, key).await {
                    Ok((body, etag)) => Ok(Some((body, Version(etag)))),
                    Err(e) if e.code() == Some("NoSuchKey") => Ok(None),
                    Err(e) => Err(e.into()),
                }
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
                let target = S3Target {
                    bucket: bucket.clone(),
                    prefix: String::new(),
                    kms_key_arn: kms_key_arn.clone(),
                };
                put_if_unchanged(config, &target, key, body, version).await
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
                let client = s3::client(config);
                let limiter = RateLimiter::per_second(STATE_RATE);
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

/// Puts the object unless another run replaced (or removed) it since `version` was read.
async fn put_if_unchanged(
    config: &aws_config::SdkConfig,
    target: &S3Target,
    key: &str,
    body: &[u8],
    version: &Version,
) -> Result<Version, StateError> {
    let object = NewObject {
        key,
        content_type: "application/json",
        body,
    };
    let precondition = match &version.0 {
        Some(etag) => Precondition::Unchanged(etag),
        None => Precondition::Absent,
    };
    let limiter = RateLimiter::per_second(STATE_RATE);
    let client = s3::client(config);
    let caller = Caller::default();
    let put = s3::put_object_if(&client, &caller, &limiter, target, &object, precondition);
    match put.await {
        Err(e)
            if matches!(
                e.code(),
                Some("PreconditionFailed" | "ConditionalRequestConflict" | "NoSuchKey")
            ) =>
        {
            Err(StateError::Conflict(target.uri(key)))
        }
        other => Ok(Version(other?)),
    }
}

/// A few calls a run: pacing only keeps a retry loop polite.
const STATE_RATE: f64 = 10.0;

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
