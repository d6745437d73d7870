//! Where the tool keeps what it reads back: a local file or an S3 object, named by one
//! [`Location`] (a checkpoint, the snapshot handed between Step Functions steps, a report read
//! for a plan, a plan, an audit log). Reports themselves are published by `output`, which
//! writes through the same primitives ([`file`], [`s3`]).
//!
//! A file is replaced through a temporary file and a rename; an S3 object is created only
//! where none is, or replaced only at the version read, so that two runs sharing a place
//! cannot silently overwrite each other's work.

pub mod file;
pub mod s3;

use crate::aws::{AwsError, Caller, RateLimiter};
use file::{write_bytes_file, WriteError};
use s3::{NewObject, Precondition, S3Target};
use std::path::PathBuf;

/// A local file, or an S3 object (`s3://BUCKET/KEY`) with an optional KMS key for SSE-KMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    S3 {
        bucket: String,
        key: String,
        kms_key_arn: Option<String>,
    },
}

/// The version read (an S3 ETag), so that a write replaces only what was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Version(Option<String>);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{location}: cannot {action}: {source}")]
    File {
        location: String,
        action: &'static str,
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("{0} was changed by another run since this one read it: two runs must not share it (the other run's progress is kept; run again when it has finished)")]
    Conflict(String),
    #[error("{0:?} is not a file path or an S3 object (s3://BUCKET/KEY)")]
    NotALocation(String),
}

impl Location {
    /// `s3://BUCKET/KEY` or a file path (not a folder).
    pub fn parse(text: &str, kms_key_arn: Option<String>) -> Result<Location, StoreError> {
        let not_a_location = || StoreError::NotALocation(text.to_owned());
        if !text.starts_with("s3://") {
            if text.is_empty() || text.ends_with('/') {
                return Err(not_a_location());
            }
            return Ok(Location::File(PathBuf::from(text)));
        }
        let (bucket, key) = s3::parse_object_uri(text).ok_or_else(not_a_location)?;
        Ok(Location::S3 {
            bucket,
            key,
            kms_key_arn,
        })
    }

    /// The file or object named `name` in the same folder.
    pub fn sibling(&self, name: &str) -> Location {
        match self {
            Location::File(path) => Location::File(path.with_file_name(name)),
            Location::S3 {
                bucket,
                key,
                kms_key_arn,
            } => {
                let key = match key.rsplit_once('/') {
                    Some((folder, _)) => format!("{folder}/{name}"),
                    None => name.to_owned(),
                };
                Location::S3 {
                    bucket: bucket.clone(),
                    key,
                    kms_key_arn: kms_key_arn.clone(),
                }
            }
        }
    }

    pub fn file_name(&self) -> String {
        match self {
            Location::File(path) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            Location::S3 { key, .. } => key.rsplit('/').next().unwrap_or_default().to_owned(),
        }
    }

    fn file_error(&self, action: &'static str, source: std::io::Error) -> StoreError {
        StoreError::File {
            location: self.to_string(),
            action,
            source,
        }
    }

    /// The whole content and its version, or `None` when there is nothing there yet.
    pub async fn read(
        &self,
        config: &aws_config::SdkConfig,
    ) -> Result<Option<(Vec<u8>, Version)>, StoreError> {
        match self {
            Location::File(path) => match std::fs::read(path) {
                Ok(body) => Ok(Some((body, Version::default()))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(self.file_error("read", source)),
            },
            Location::S3 { bucket, key, .. } => {
                let client = s3::client(config);
                match s3::get_object_with_etag(&client, bucket, key).await {
                    Ok((body, etag)) => Ok(Some((body, Version(etag)))),
                    Err(e) if e.code() == Some("NoSuchKey") => Ok(None),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    /// The whole content of what must be there (a report, a plan).
    pub async fn read_existing(
        &self,
        config: &aws_config::SdkConfig,
    ) -> Result<Vec<u8>, StoreError> {
        match self {
            Location::File(path) => std::fs::read(path).map_err(|e| self.file_error("read", e)),
            Location::S3 { bucket, key, .. } => {
                Ok(s3::get_object(&s3::client(config), bucket, key).await?)
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
    ) -> Result<Version, StoreError> {
        let precondition = match &version.0 {
            Some(etag) => Precondition::Unchanged(etag),
            None => Precondition::Absent,
        };
        match self.put(config, body, precondition).await {
            Err(StoreError::Aws(e))
                if matches!(
                    e.code(),
                    Some("PreconditionFailed" | "ConditionalRequestConflict" | "NoSuchKey")
                ) =>
            {
                Err(StoreError::Conflict(self.to_string()))
            }
            other => other,
        }
    }

    /// Writes what is written once (a plan, an audit log): a file through a temporary file
    /// and a rename, an S3 object only where none is yet (or the same bytes are).
    pub async fn write_new(
        &self,
        config: &aws_config::SdkConfig,
        body: &[u8],
    ) -> Result<(), StoreError> {
        let Location::S3 {
            bucket,
            key,
            kms_key_arn,
        } = self
        else {
            return self.put(config, body, Precondition::Any).await.map(|_| ());
        };
        let target = object_target(bucket, kms_key_arn);
        let object = json_object(key, body);
        let (client, limiter) = (s3::client(config), RateLimiter::per_second(STORE_RATE));
        s3::put_new_object(&client, &Caller::default(), &limiter, &target, &object).await?;
        Ok(())
    }

    async fn put(
        &self,
        config: &aws_config::SdkConfig,
        body: &[u8],
        precondition: Precondition<'_>,
    ) -> Result<Version, StoreError> {
        match self {
            Location::File(path) => {
                write_bytes_file(path, body)?;
                Ok(Version::default())
            }
            Location::S3 {
                bucket,
                key,
                kms_key_arn,
            } => {
                let target = object_target(bucket, kms_key_arn);
                let (client, limiter) = (s3::client(config), RateLimiter::per_second(STORE_RATE));
                let caller = Caller::default();
                let object = json_object(key, body);
                let put =
                    s3::put_object_if(&client, &caller, &limiter, &target, &object, precondition);
                Ok(Version(put.await?))
            }
        }
    }

    /// Removes it; nothing there is not an error.
    pub async fn remove(&self, config: &aws_config::SdkConfig) -> Result<(), StoreError> {
        match self {
            Location::File(path) => match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(self.file_error("remove", e))
                }
                _ => Ok(()),
            },
            Location::S3 { bucket, key, .. } => {
                let client = s3::client(config);
                let limiter = RateLimiter::per_second(STORE_RATE);
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

/// A few calls a run: pacing only keeps a retry loop polite.
const STORE_RATE: f64 = 10.0;

fn object_target(bucket: &str, kms_key_arn: &Option<String>) -> S3Target {
    S3Target {
        bucket: bucket.to_owned(),
        prefix: String::new(),
        kms_key_arn: kms_key_arn.clone(),
    }
}

fn json_object<'a>(key: &'a str, body: &'a [u8]) -> NewObject<'a> {
    NewObject {
        key,
        content_type: "application/json",
        body,
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::S3 { bucket, key, .. } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_objects_are_told_apart() {
        let object = Location::parse("s3://b/p/state/x.json", None).unwrap();
        assert_eq!(object.to_string(), "s3://b/p/state/x.json");
        assert!(matches!(
            Location::parse("work/x.json", None).unwrap(),
            Location::File(_)
        ));
        for bad in ["s3://b/", "s3://", "", "dir/"] {
            assert!(Location::parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn siblings_share_the_folder() {
        let report = Location::parse("s3://bkt/p/latest/credential-report.csv", None).unwrap();
        assert_eq!(
            report
                .sibling("credential-report.manifest.json")
                .to_string(),
            "s3://bkt/p/latest/credential-report.manifest.json"
        );
        let local = Location::parse("out/report.csv", None).unwrap();
        assert_eq!(
            local.sibling("report.users.csv").to_string(),
            "out/report.users.csv"
        );
    }
}
