//! Publishing to S3 under faults: a proxy between the tool and moto fails request k of a
//! publish, for every k and every kind of fault. After each faulted run `latest/` holds one
//! whole set (each file's SHA-256 is the one its manifest records), the exit code says whether
//! the publish completed, and a rerun completes.

use crate::emulators::{arm_fault, example_with_bucket, fault_proxy, run_against, Emulator};
use crate::s3_output::get_from;
use crate::util::*;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

const BUCKET: &str = "security-bucket";
const KINDS: [&str; 5] = [
    "unavailable",
    "reset_after",
    "truncated",
    "error_200",
    "denied",
];
/// Each file of a set, and where its manifest records its SHA-256.
const FILES: [(&str, &str); 6] = [
    (".csv", "/report/sha256"),
    (".users.csv", "/users/sha256"),
    (".html", "/html/sha256"),
    (".changes.csv", "/changes/sha256"),
    (".diff.csv", "/review/diff/sha256"),
    (".users.diff.csv", "/review/users_diff/sha256"),
];

fn as_of(hour: i64) -> String {
    let start: DateTime<Utc> = AS_OF.parse().unwrap();
    (start + Duration::hours(hour))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn archive_stem(hour: i64) -> String {
    let time: DateTime<Utc> = as_of(hour).parse().unwrap();
    let part = |format: &str| time.format(format).to_string();
    format!(
        "idc/reports/year={}/month={}/day={}/credential-report-{}",
        part("%Y"),
        part("%m"),
        part("%d"),
        part("%Y%m%dT%H%M%SZ")
    )
}

fn publish(proxy: &Emulator, hour: i64) -> std::process::Output {
    let args: Vec<String> = [
        "generate",
        "--directory-snapshot",
        &example().join("snapshot.json").display().to_string(),
        "--cloudtrail-logs",
        &example().join("logs").display().to_string(),
        "--as-of",
        &as_of(hour),
        "--output",
        &format!("s3://{BUCKET}/idc/"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    run_against(&proxy.endpoint(), &args)
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The manifest of `latest/`, after checking that every file there is the one it records.
fn whole_latest(moto: &Emulator, context: &str) -> Value {
    let get = |key: String| get_from(moto, BUCKET, &key).body;
    let manifest: Value =
        serde_json::from_slice(&get("idc/latest/credential-report.manifest.json".into())).unwrap();
    for (suffix, entry) in FILES {
        let body = get(format!("idc/latest/credential-report{suffix}"));
        assert_eq!(
            manifest.pointer(entry).and_then(Value::as_str),
            Some(sha256(&body).as_str()),
            "latest/ is mixed ({suffix}) after {context}"
        );
    }
    manifest
}

/// The archived manifest of the run at `hour`, after checking its set is whole.
fn whole_archive(moto: &Emulator, hour: i64) -> Value {
    let stem = archive_stem(hour);
    let get = |suffix: &str| get_from(moto, BUCKET, &format!("{stem}{suffix}")).body;
    let manifest: Value = serde_json::from_slice(&get(".manifest.json")).unwrap();
    for (suffix, entry) in FILES {
        assert_eq!(
            manifest.pointer(entry).and_then(Value::as_str),
            Some(sha256(&get(suffix)).as_str()),
            "archive {stem}{suffix}"
        );
    }
    manifest
}

/// `latest/` and `latest.json` are the run at `hour`'s.
fn assert_latest_is(moto: &Emulator, hour: i64, context: &str) {
    let latest = whole_latest(moto, context);
    assert_eq!(latest, whole_archive(moto, hour), "{context}");
    let pointer: Value =
        serde_json::from_slice(&get_from(moto, BUCKET, "idc/latest.json").body).unwrap();
    assert_eq!(pointer["archive_stem"], archive_stem(hour), "{context}");
}

#[test]
fn every_fault_of_every_publish_request_leaves_latest_whole_and_a_rerun_completes() {
    let s = Scratch::new();
    let moto = example_with_bucket(s.dir.path(), BUCKET);
    let proxy = fault_proxy(&moto);
    arm_fault(&proxy, 0, "");
    assert_success(&publish(&proxy, 0));
    assert_latest_is(&moto, 0, "the first publish");
    let mut hour = 0;
    let mut faulted = 0;
    let mut failed = 0;
    for kind in KINDS {
        for request in 1.. {
            hour += 1;
            arm_fault(&proxy, request, kind);
            let out = publish(&proxy, hour);
            let (_, fired) = arm_fault(&proxy, 0, "");
            let context = format!("{kind} at request {request}");
            if !fired {
                assert_success(&out);
                assert_latest_is(&moto, hour, &context);
                break;
            }
            faulted += 1;
            let latest = whole_latest(&moto, &context);
            if out.status.success() {
                assert_latest_is(&moto, hour, &context);
            } else {
                failed += 1;
                assert!(stderr(&out).contains("s3"), "{context}: {}", stderr(&out));
                let old_or_new = [as_of(hour - 1), as_of(hour)];
                assert!(
                    old_or_new.iter().any(|t| latest["as_of"] == t.as_str()),
                    "{context}: latest/ is {}, neither the old set nor the new one",
                    latest["as_of"]
                );
            }
            let rerun = publish(&proxy, hour);
            assert_success(&rerun);
            assert_latest_is(&moto, hour, &format!("the rerun after {context}"));
        }
    }
    assert!(faulted >= KINDS.len() * 5, "only {faulted} faulted runs");
    eprintln!("{faulted} faulted publishes, {failed} of them ended in an error; 0 mixed, every rerun completed");
}
