//! `--output s3://...`: the archive object is written once and never overwritten, then copied
//! to latest/; a failed run leaves latest/ as it was. Read back with the real S3 client.

use crate::emulators::{example_with_bucket, run_against, Emulator};
use crate::util::*;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use std::path::Path;

const BUCKET: &str = "security-bucket";
const ARCHIVE: &str = "idc/reports/year=2026/month=11/day=22/credential-report-20261122T000000Z";

fn generate(emulator: &Emulator, logs: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<String> = [
        "generate",
        "--directory-snapshot",
        &example().join("snapshot.json").display().to_string(),
        "--cloudtrail-logs",
        &logs.display().to_string(),
        "--as-of",
        AS_OF,
        "--output",
        &format!("s3://{BUCKET}/idc/"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    run_against(&emulator.endpoint(), &args)
}

fn client(emulator: &Emulator) -> aws_sdk_s3::Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(emulator.endpoint())
        .force_path_style(true)
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

pub struct Object {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub encryption: Option<String>,
    pub kms_key: Option<String>,
}

fn get(emulator: &Emulator, key: &str) -> Object {
    get_from(emulator, BUCKET, key)
}

/// The object `key` in `bucket`, with how it is encrypted.
pub fn get_from(emulator: &Emulator, bucket: &str, key: &str) -> Object {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let out = client(emulator)
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key}: {e:?}"));
        Object {
            content_type: out.content_type.clone(),
            encryption: out
                .server_side_encryption
                .as_ref()
                .map(|e| e.as_str().to_owned()),
            kms_key: out.ssekms_key_id.clone(),
            body: out.body.collect().await.unwrap().into_bytes().to_vec(),
        }
    })
}

#[test]
fn the_report_is_archived_by_day_and_copied_to_latest() {
    let s = Scratch::new();
    let emulator = example_with_bucket(s.dir.path(), BUCKET);
    assert_success(&generate(&emulator, &example().join("logs"), &[]));
    let local = s.path("local.csv");
    assert_success(&run(&[
        "generate".into(),
        "--directory-snapshot".into(),
        example().join("snapshot.json").display().to_string(),
        "--cloudtrail-logs".into(),
        example().join("logs").display().to_string(),
        "--as-of".into(),
        AS_OF.into(),
        "--output".into(),
        local.display().to_string(),
    ]));
    let archived = get(&emulator, &format!("{ARCHIVE}.csv"));
    assert_eq!(archived.body, std::fs::read(&local).unwrap());
    assert_eq!(
        archived.content_type.as_deref(),
        Some("text/csv; charset=utf-8")
    );
    assert_eq!(
        get(&emulator, "idc/latest/credential-report.csv").body,
        archived.body
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&get(&emulator, &format!("{ARCHIVE}.manifest.json")).body).unwrap();
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(&archived.body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(manifest["report"]["sha256"], sha);
    assert_eq!(
        manifest["report"]["file"],
        "credential-report-20261122T000000Z.csv"
    );
    assert_eq!(
        get(&emulator, "idc/latest/credential-report.manifest.json").body,
        get(&emulator, &format!("{ARCHIVE}.manifest.json")).body
    );
    // The user summary, the HTML view and the changes travel with the report, named in its
    // manifest.
    for (suffix, content_type, entry) in [
        (".users.csv", "text/csv; charset=utf-8", "/users"),
        (".html", "text/html; charset=utf-8", "/html"),
        (".changes.csv", "text/csv; charset=utf-8", "/changes"),
        (".diff.csv", "text/csv; charset=utf-8", "/review/diff"),
        (
            ".users.diff.csv",
            "text/csv; charset=utf-8",
            "/review/users_diff",
        ),
    ] {
        let entry = manifest.pointer(entry).unwrap();
        let object = get(&emulator, &format!("{ARCHIVE}{suffix}"));
        assert_eq!(object.content_type.as_deref(), Some(content_type));
        let sha: String = sha2::Sha256::digest(&object.body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(entry["sha256"], sha, "{suffix}");
        assert_eq!(
            entry["file"],
            format!("credential-report-20261122T000000Z{suffix}")
        );
        assert_eq!(
            get(&emulator, &format!("idc/latest/credential-report{suffix}")).body,
            object.body
        );
    }
}

#[test]
fn an_archived_report_is_never_overwritten_and_a_failed_run_keeps_latest() {
    let s = Scratch::new();
    let emulator = example_with_bucket(s.dir.path(), BUCKET);
    assert_success(&generate(&emulator, &example().join("logs"), &[]));
    let before = get(&emulator, "idc/latest/credential-report.csv").body;
    let again = generate(
        &emulator,
        &example().join("logs"),
        &["--lookback-days", "30"],
    );
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("exists already"),
        "{}",
        stderr(&again)
    );
    let broken = s.write_raw_log("broken.json", b"{");
    let failed = generate(&emulator, broken.parent().unwrap(), &[]);
    assert!(!failed.status.success());
    assert_eq!(
        get(&emulator, "idc/latest/credential-report.csv").body,
        before
    );
}

#[test]
fn a_kms_key_encrypts_every_object() {
    let s = Scratch::new();
    let emulator = example_with_bucket(s.dir.path(), BUCKET);
    let key = "arn:aws:kms:us-east-1:910178986558:key/11111111-2222-3333-4444-555555555555";
    assert_success(&generate(
        &emulator,
        &example().join("logs"),
        &["--kms-key-arn", key],
    ));
    for name in [
        format!("{ARCHIVE}.csv"),
        "idc/latest/credential-report.manifest.json".to_owned(),
    ] {
        let object = get(&emulator, &name);
        assert_eq!(
            (object.encryption.as_deref(), object.kms_key.as_deref()),
            (Some("aws:kms"), Some(key)),
            "{name}"
        );
    }
}
