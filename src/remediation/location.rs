//! Where a report, a plan or an audit log is: a local file or an S3 object.

use super::RemediationError;
use crate::aws::{Caller, RateLimiter};
use crate::output::s3::{self, NewObject, S3Target};
use crate::pipeline::AwsSession;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    S3 { bucket: String, key: String },
}

impl Location {
    /// `s3://BUCKET/KEY` or a file path.
    pub fn parse(text: &str) -> Result<Location, RemediationError> {
        if !text.starts_with("s3://") {
            return Ok(Location::File(PathBuf::from(text)));
        }
        match s3::parse_object_uri(text) {
            Some((bucket, key)) => Ok(Location::S3 { bucket, key }),
            None => Err(RemediationError::Input {
                location: text.to_owned(),
                message: "not an S3 object: expected s3://BUCKET/KEY".into(),
            }),
        }
    }

    /// The file or object named `name` in the same folder.
    pub fn sibling(&self, name: &str) -> Location {
        match self {
            Location::File(path) => Location::File(path.with_file_name(name)),
            Location::S3 { bucket, key } => {
                let folder = key.rsplit_once('/').map_or("", |(folder, _)| folder);
                let key = if folder.is_empty() {
                    name.to_owned()
                } else {
                    format!("{folder}/{name}")
                };
                Location::S3 {
                    bucket: bucket.clone(),
                    key,
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

    pub async fn read(&self, session: &AwsSession) -> Result<Vec<u8>, RemediationError> {
        match self {
            Location::File(path) => std::fs::read(path).map_err(|e| RemediationError::Input {
                location: self.to_string(),
                message: format!("cannot read: {e}"),
            }),
            Location::S3 { bucket, key } => {
                let client = s3::client(session.config().await);
                Ok(s3::get_object(&client, bucket, key).await?)
            }
        }
    }

    /// Writes `body`: a file through a temporary file and a rename (replacing it whole), an S3
    /// object only where none is yet (SSE-KMS when `kms_key_arn` is given).
    pub async fn write_new(
        &self,
        session: &AwsSession,
        body: &[u8],
        kms_key_arn: Option<String>,
    ) -> Result<(), RemediationError> {
        match self {
            Location::File(path) => Ok(crate::output::write_bytes_file(path, body)?),
            Location::S3 { bucket, key } => {
                let client = s3::client(session.config().await);
                let target = S3Target {
                    bucket: bucket.clone(),
                    prefix: String::new(),
                    kms_key_arn,
                };
                let object = NewObject {
                    key,
                    content_type: "application/json",
                    body,
                };
                let limiter = RateLimiter::per_second(10.0);
                s3::put_new_object(&client, &Caller::default(), &limiter, &target, &object).await?;
                Ok(())
            }
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siblings_share_the_folder() {
        let report = Location::parse("s3://bkt/p/latest/credential-report.csv").unwrap();
        assert_eq!(
            report
                .sibling("credential-report.manifest.json")
                .to_string(),
            "s3://bkt/p/latest/credential-report.manifest.json"
        );
        let local = Location::parse("out/report.csv").unwrap();
        assert_eq!(
            local.sibling("report.users.csv").to_string(),
            "out/report.users.csv"
        );
        assert!(Location::parse("s3://bkt/").is_err());
    }
}
