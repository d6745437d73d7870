//! Putting the report set in the security bucket, so that no reader ever gets a mixed set:
//! 1. every file under a dated archive key, never overwritten (a key that exists already is
//!    accepted only if its `sha256` metadata is this file's: this run's own earlier write whose
//!    reply was lost);
//! 2. copies to `latest/` (kept for readers that expect fixed names), the manifest last; if a
//!    copy fails, `latest/` is put back to the previous set (from the archive the previous
//!    pointer names), or emptied of this run's copies if there was none;
//! 3. `latest.json`, one PUT and so atomic: the pointer to the archive set, written last. A
//!    reader that wants a consistent set reads it and then the immutable archive objects.
//!
//! The `year=/month=/day=` layout lets Athena and QuickSight read the history as a table.

use super::latest::{Bucket, Pointer, SetFile};
use super::Artifact;
use crate::aws::{AwsError, Caller, RateLimiter};
use crate::store::file::sha256_hex;
pub(crate) use crate::store::s3::S3Target;
use crate::store::s3::{put_absent, put_new_object, Created, NewObject};
use chrono::{DateTime, Datelike, Utc};
use serde::Serialize;

/// Where a report set's files go under the target's prefix.
impl S3Target {
    /// `prefix/reports/year=YYYY/month=MM/day=DD/credential-report-<as_of>` (no extension).
    pub fn archive_stem(&self, as_of: DateTime<Utc>) -> String {
        format!(
            "{}reports/year={:04}/month={:02}/day={:02}/credential-report-{}",
            self.prefix,
            as_of.year(),
            as_of.month(),
            as_of.day(),
            as_of.format("%Y%m%dT%H%M%SZ")
        )
    }

    pub fn latest_stem(&self) -> String {
        format!("{}latest/credential-report", self.prefix)
    }
}

/// Where a published report is.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Published {
    /// `latest.json`: the pointer to the complete set (see the module's doc).
    pub latest_pointer_s3_uri: String,
    pub report_s3_uri: String,
    pub users_s3_uri: String,
    pub html_s3_uri: String,
    pub changes_s3_uri: String,
    pub diff_s3_uri: String,
    pub users_diff_s3_uri: String,
    pub manifest_s3_uri: String,
    pub latest_s3_uri: String,
    pub latest_users_s3_uri: String,
    pub latest_html_s3_uri: String,
    pub latest_changes_s3_uri: String,
    pub latest_diff_s3_uri: String,
    pub latest_users_diff_s3_uri: String,
    pub latest_manifest_s3_uri: String,
}

const S3_RATE: f64 = 50.0;

/// Publishes the report set (see the module's doc). The artifacts' names are `<archive stem
/// file name><suffix>` (see [`S3Target::archive_stem`]), the manifest last.
pub(crate) async fn publish(
    client: &aws_sdk_s3::Client,
    target: &S3Target,
    as_of: DateTime<Utc>,
    artifacts: &[Artifact],
) -> Result<Published, AwsError> {
    let s3 = Bucket {
        client,
        target,
        caller: Caller::default(),
        limiter: RateLimiter::per_second(S3_RATE),
    };
    let archive = target.archive_stem(as_of);
    let (manifest, files) = artifacts
        .split_last()
        .expect("a report set ends with its manifest");
    for artifact in files {
        let key = format!("{archive}{}", artifact.suffix);
        put_new(client, &s3.caller, &s3.limiter, target, &key, artifact).await?;
    }
    let key = format!("{archive}{}", manifest.suffix);
    let object = new_object(&key, manifest);
    let manifest_sha256 = match put_absent(client, &s3.caller, &s3.limiter, target, &object).await?
    {
        Created::Different => s3.adopt_archived_manifest(&key, manifest).await?,
        Created::New | Created::Same => sha256_hex(&manifest.body),
    };
    let mut files: Vec<SetFile> = files.iter().map(SetFile::of).collect();
    files.push(SetFile {
        suffix: manifest.suffix.to_owned(),
        sha256: manifest_sha256,
    });
    let pointer = Pointer {
        archive_stem: archive.clone(),
        files,
    };
    let previous = s3.read_pointer().await?;
    s3.copy_to_latest(&pointer, previous.as_ref()).await?;
    s3.write_pointer(&pointer).await?;
    Ok(published(target, &archive))
}

fn published(target: &S3Target, archive: &str) -> Published {
    let latest = target.latest_stem();
    let uri = |stem: &str, suffix: &str| target.uri(&format!("{stem}{suffix}"));
    Published {
        latest_pointer_s3_uri: target.uri(&target.pointer_key()),
        report_s3_uri: uri(archive, ".csv"),
        users_s3_uri: uri(archive, ".users.csv"),
        html_s3_uri: uri(archive, ".html"),
        changes_s3_uri: uri(archive, ".changes.csv"),
        diff_s3_uri: uri(archive, ".diff.csv"),
        users_diff_s3_uri: uri(archive, ".users.diff.csv"),
        manifest_s3_uri: uri(archive, ".manifest.json"),
        latest_s3_uri: uri(&latest, ".csv"),
        latest_users_s3_uri: uri(&latest, ".users.csv"),
        latest_html_s3_uri: uri(&latest, ".html"),
        latest_changes_s3_uri: uri(&latest, ".changes.csv"),
        latest_diff_s3_uri: uri(&latest, ".diff.csv"),
        latest_users_diff_s3_uri: uri(&latest, ".users.diff.csv"),
        latest_manifest_s3_uri: uri(&latest, ".manifest.json"),
    }
}

async fn put_new(
    client: &aws_sdk_s3::Client,
    caller: &Caller,
    limiter: &RateLimiter,
    target: &S3Target,
    key: &str,
    artifact: &Artifact,
) -> Result<(), AwsError> {
    put_new_object(client, caller, limiter, target, &new_object(key, artifact)).await
}

fn new_object<'a>(key: &'a str, artifact: &'a Artifact) -> NewObject<'a> {
    NewObject {
        key,
        content_type: artifact.content_type,
        body: &artifact.body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_keys_are_partitioned_by_day() {
        let t = S3Target::parse("s3://bkt/p/", None).unwrap();
        let as_of = "2026-11-22T20:00:00Z".parse().unwrap();
        assert_eq!(
            t.archive_stem(as_of),
            "p/reports/year=2026/month=11/day=22/credential-report-20261122T200000Z"
        );
        assert_eq!(t.latest_stem(), "p/latest/credential-report");
    }
}
