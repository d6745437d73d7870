//! `latest/` and `latest.json` in the security bucket: the newest complete report set, never
//! shown mixed (see [`super::s3`]'s doc for the whole publish).

use super::s3::{encryption, exists_already, get_object, stored_sha256, S3Target};
use super::{sha256_hex, Artifact};
use crate::aws::{AwsError, Caller, RateLimiter};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ChecksumAlgorithm;
use serde::{Deserialize, Serialize};

/// `latest.json`: which archive set is the latest complete one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    /// The archive key of the set without its suffix (`.../credential-report-<as_of>`).
    pub archive_stem: String,
    /// The set's files, as suffixes of the stem, the manifest last.
    pub suffixes: Vec<String>,
    /// The manifest's SHA-256 (hex): it holds every other file's.
    pub manifest_sha256: String,
}

/// The calls of one publish to one bucket.
pub(crate) struct Bucket<'a> {
    pub client: &'a aws_sdk_s3::Client,
    pub target: &'a S3Target,
    pub caller: Caller,
    pub limiter: RateLimiter,
}

impl Bucket<'_> {
    /// The manifest archived under `key` by an earlier run for the same time, which stands
    /// when it describes the same files as this run's `manifest` (only its `generated_at`
    /// differs): a publish run again after a failure then completes. Returns its SHA-256.
    pub async fn adopt_archived_manifest(
        &self,
        key: &str,
        manifest: &Artifact,
    ) -> Result<String, AwsError> {
        let uri = self.target.uri(key);
        let archived = get_object(self.client, &self.target.bucket, key).await?;
        let files = |bytes: &[u8]| -> Option<Vec<serde_json::Value>> {
            let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
            let files = ["report", "users", "html", "changes"].map(|f| value[f]["sha256"].clone());
            files.iter().all(|f| f.is_string()).then(|| files.to_vec())
        };
        match (files(&archived), files(&manifest.body)) {
            (Some(there), Some(ours)) if there == ours => Ok(sha256_hex(&archived)),
            _ => Err(exists_already(&uri)),
        }
    }

    /// The current pointer, if any. One that cannot be read as a pointer is an error: a
    /// failed copy could not put the previous set back.
    pub async fn read_pointer(&self) -> Result<Option<Pointer>, AwsError> {
        let key = self.target.pointer_key();
        let uri = self.target.uri(&key);
        let result = self
            .caller
            .call(&self.limiter, "s3:GetObject", &uri, || {
                self.client
                    .get_object()
                    .bucket(&self.target.bucket)
                    .key(&key)
                    .send()
            })
            .await;
        let output = match result {
            Ok(output) => output,
            Err(AwsError::Service { code, .. }) if code == "NoSuchKey" => return Ok(None),
            Err(error) => return Err(error),
        };
        let body = output.body.collect().await.map_err(|e| {
            AwsError::Other(format!(
                "s3:GetObject on {uri}: reading the body failed: {e}"
            ))
        })?;
        serde_json::from_slice(&body.into_bytes())
            .map(Some)
            .map_err(|e| {
                AwsError::Other(format!(
                    "{uri} is not this tool's pointer ({e}): move it away, then publish again"
                ))
            })
    }

    /// One PUT: the latest complete set is now `pointer`'s.
    pub async fn write_pointer(&self, pointer: &Pointer) -> Result<(), AwsError> {
        let key = self.target.pointer_key();
        let mut body = serde_json::to_vec_pretty(pointer).expect("the pointer serializes");
        body.push(b'\n');
        self.caller
            .call(
                &self.limiter,
                "s3:PutObject",
                &self.target.uri(&key),
                || {
                    self.client
                        .put_object()
                        .bucket(&self.target.bucket)
                        .key(&key)
                        .body(ByteStream::from(body.clone()))
                        .content_type("application/json")
                        .checksum_algorithm(ChecksumAlgorithm::Sha256)
                        .set_server_side_encryption(encryption(self.target))
                        .set_ssekms_key_id(self.target.kms_key_arn.clone())
                        .send()
                },
            )
            .await?;
        Ok(())
    }

    /// Copies `pointer`'s set to `latest/`, the manifest last. If a copy fails, `latest/` gets
    /// the `previous` set back (or loses this run's copies when there was none), and the
    /// error says so.
    pub async fn copy_to_latest(
        &self,
        pointer: &Pointer,
        previous: Option<&Pointer>,
    ) -> Result<(), AwsError> {
        let Err(error) = self.copy_set(pointer).await else {
            return Ok(());
        };
        let put_back = match previous {
            Some(previous) => self.copy_set(previous).await,
            None => self.remove_latest(pointer).await,
        };
        let outcome = match put_back {
            Ok(()) => "latest/ was put back to the previous report set".to_owned(),
            Err(again) => format!(
                "putting latest/ back failed too ({again}): latest/ may be mixed, read {} instead",
                self.target.uri(&self.target.pointer_key())
            ),
        };
        Err(AwsError::Other(format!(
            "copying the report set to latest/ failed: {error}; {outcome}. The archive set is complete: publish again to finish"
        )))
    }

    /// Copies every file of `pointer`'s set to `latest/` (the manifest last), then checks
    /// that each copy holds its source's bytes (the `sha256` metadata a copy keeps): a copy
    /// answered 200 that did not happen (S3's 200 with an error body) is caught here. Every
    /// file is tried even after a failure, so that putting a set back restores all it can.
    async fn copy_set(&self, pointer: &Pointer) -> Result<(), AwsError> {
        let latest = self.target.latest_stem();
        let mut first_error = None;
        for suffix in &pointer.suffixes {
            let from = format!("{}{suffix}", pointer.archive_stem);
            if let Err(error) = self.copy(&from, &format!("{latest}{suffix}")).await {
                first_error.get_or_insert(error);
            }
        }
        if let Some(error) = first_error {
            return Err(error);
        }
        for suffix in &pointer.suffixes {
            let (from, to) = (
                format!("{}{suffix}", pointer.archive_stem),
                format!("{latest}{suffix}"),
            );
            let source = self.sha256_of(&from).await?;
            if source.is_none() || self.sha256_of(&to).await? != source {
                return Err(AwsError::Other(format!(
                    "{} does not hold the bytes of {} after the copy",
                    self.target.uri(&to),
                    self.target.uri(&from)
                )));
            }
        }
        Ok(())
    }

    async fn sha256_of(&self, key: &str) -> Result<Option<String>, AwsError> {
        stored_sha256(self.client, &self.caller, &self.limiter, self.target, key).await
    }

    async fn remove_latest(&self, pointer: &Pointer) -> Result<(), AwsError> {
        let latest = self.target.latest_stem();
        for suffix in &pointer.suffixes {
            let key = format!("{latest}{suffix}");
            self.caller
                .call(
                    &self.limiter,
                    "s3:DeleteObject",
                    &self.target.uri(&key),
                    || {
                        self.client
                            .delete_object()
                            .bucket(&self.target.bucket)
                            .key(&key)
                            .send()
                    },
                )
                .await?;
        }
        Ok(())
    }

    async fn copy(&self, from: &str, to: &str) -> Result<(), AwsError> {
        let source = format!("{}/{from}", self.target.bucket);
        self.caller
            .call(&self.limiter, "s3:PutObject", &self.target.uri(to), || {
                self.client
                    .copy_object()
                    .bucket(&self.target.bucket)
                    .key(to)
                    .copy_source(&source)
                    .checksum_algorithm(ChecksumAlgorithm::Sha256)
                    .set_server_side_encryption(encryption(self.target))
                    .set_ssekms_key_id(self.target.kms_key_arn.clone())
                    .send()
            })
            .await?;
        Ok(())
    }
}
