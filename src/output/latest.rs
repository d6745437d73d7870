//! `latest/` and `latest.json` in the security bucket: the newest complete report set, never
//! shown mixed (see [`super::s3`]'s doc for the whole publish).

use super::Artifact;
use crate::aws::{AwsError, Caller, RateLimiter};
use crate::store::file::sha256_hex;
use crate::store::s3::{
    encryption, exists_already, get_object, put_object_if, stored_sha256, NewObject, Precondition,
    S3Target,
};
use aws_sdk_s3::types::ChecksumAlgorithm;
use serde::{Deserialize, Serialize};

/// `latest.json`: which archive set is the latest complete one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Pointer {
    /// The archive key of the set without its suffix (`.../credential-report-<as_of>`).
    pub archive_stem: String,
    /// The set's files, the manifest last.
    pub files: Vec<SetFile>,
}

/// One file of a pointed set: its key's suffix after the stem, and its SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct SetFile {
    pub suffix: String,
    pub sha256: String,
}

impl SetFile {
    pub(crate) fn of(artifact: &Artifact) -> SetFile {
        SetFile {
            suffix: artifact.suffix.to_owned(),
            sha256: sha256_hex(&artifact.body),
        }
    }
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
    pub(super) async fn adopt_archived_manifest(
        &self,
        key: &str,
        manifest: &Artifact,
    ) -> Result<String, AwsError> {
        let uri = self.target.uri(key);
        let archived = get_object(self.client, &self.target.bucket, key).await?;
        let files = |bytes: &[u8]| -> Option<Vec<serde_json::Value>> {
            let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
            let files = [
                "/report/sha256",
                "/users/sha256",
                "/html/sha256",
                "/changes/sha256",
                "/review/diff/sha256",
                "/review/users_diff/sha256",
            ]
            .map(|f| value.pointer(f).cloned().unwrap_or_default());
            files.iter().all(|f| f.is_string()).then(|| files.to_vec())
        };
        match (files(&archived), files(&manifest.body)) {
            (Some(there), Some(ours)) if there == ours => Ok(sha256_hex(&archived)),
            _ => Err(exists_already(&uri)),
        }
    }

    /// The current pointer, if any. One that cannot be read as a pointer is an error: a
    /// failed copy could not put the previous set back.
    pub(super) async fn read_pointer(&self) -> Result<Option<Pointer>, AwsError> {
        let key = self.target.pointer_key();
        let body = match get_object(self.client, &self.target.bucket, &key).await {
            Ok(body) => body,
            Err(AwsError::Service { code, .. }) if code == "NoSuchKey" => return Ok(None),
            Err(error) => return Err(error),
        };
        serde_json::from_slice(&body).map(Some).map_err(|e| {
            AwsError::Other(format!(
                "{} is not this tool's pointer ({e}): move it away, then publish again",
                self.target.uri(&key)
            ))
        })
    }

    /// One PUT: the latest complete set is now `pointer`'s.
    pub(super) async fn write_pointer(&self, pointer: &Pointer) -> Result<(), AwsError> {
        let key = self.target.pointer_key();
        let mut body = serde_json::to_vec_pretty(pointer).expect("the pointer serializes");
        body.push(b'\n');
        let object = NewObject {
            key: &key,
            content_type: "application/json",
            body: &body,
        };
        let (client, target) = (self.client, self.target);
        put_object_if(
            client,
            &self.caller,
            &self.limiter,
            target,
            &object,
            Precondition::Any,
        )
        .await
        .map(|_| ())
    }

    /// Copies `pointer`'s set to `latest/`, the manifest last. If a copy fails, `latest/` gets
    /// the `previous` set back (or loses this run's copies when there was none), and the
    /// error says so.
    pub(super) async fn copy_to_latest(
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
    /// that each copy holds the bytes the pointer records (the `sha256` metadata a copy
    /// keeps): a copy answered 200 that did not happen (S3's 200 with an error body) is caught
    /// here. Every file is tried even after a failure, so that putting a set back restores
    /// all it can.
    async fn copy_set(&self, pointer: &Pointer) -> Result<(), AwsError> {
        let latest = self.target.latest_stem();
        let mut first_error = None;
        for file in &pointer.files {
            let from = format!("{}{}", pointer.archive_stem, file.suffix);
            if let Err(error) = self.copy(&from, &format!("{latest}{}", file.suffix)).await {
                first_error.get_or_insert(error);
            }
        }
        if let Some(error) = first_error {
            return Err(error);
        }
        for file in &pointer.files {
            let to = format!("{latest}{}", file.suffix);
            let there = stored_sha256(self.client, &self.caller, &self.limiter, self.target, &to);
            if there.await?.as_deref() != Some(file.sha256.as_str()) {
                return Err(AwsError::Other(format!(
                    "{} does not hold the bytes of {}{} after the copy",
                    self.target.uri(&to),
                    self.target.uri(&pointer.archive_stem),
                    file.suffix
                )));
            }
        }
        Ok(())
    }

    async fn remove_latest(&self, pointer: &Pointer) -> Result<(), AwsError> {
        let latest = self.target.latest_stem();
        for SetFile { suffix, .. } in &pointer.files {
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
