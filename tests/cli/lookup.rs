//! Evidence from CloudTrail's event history (LookupEvents), through the real SDK, against the
//! CloudTrail emulator (tests/emulators/lake.py, which also serves LookupEvents at 2 calls/s).

use crate::emulators::{lake, lake_calls, run_against};
use crate::util::*;
use serde_json::json;
use std::path::Path;

fn generate_args(evidence: &[&str], output: &Path, lookback: &str) -> Vec<String> {
    let mut all: Vec<String> = [
        "generate",
        "--directory-snapshot",
        &example().join("snapshot.json").display().to_string(),
        "--as-of",
        AS_OF,
        "--lookback-days",
        lookback,
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    all.extend(evidence.iter().map(|a| a.to_string()));
    all.extend(["--output".to_owned(), output.display().to_string()]);
    all
}

#[test]
fn event_history_gives_the_same_report_as_log_files() {
    let s = Scratch::new();
    assert_success(&run(&generate_args(
        &[
            "--cloudtrail-logs",
            &example().join("logs").display().to_string(),
        ],
        &s.path("logs.csv"),
        "85",
    )));
    let emulator = lake(
        &example().join("logs"),
        "unused-store",
        Some(&json!({"now": AS_OF})),
        s.dir.path(),
    );
    let out = run_against(
        &emulator.endpoint(),
        &generate_args(
            &["--cloudtrail-lookup", "us-east-1"],
            &s.path("lookup.csv"),
            "85",
        ),
    );
    assert_success(&out);
    assert!(
        std::fs::read(s.path("lookup.csv")).unwrap() == std::fs::read(s.path("logs.csv")).unwrap()
    );
    let lookups: Vec<_> = lake_calls(s.dir.path())
        .into_iter()
        .filter(|(op, _)| op == "LookupEvents")
        .collect();
    assert!(lookups.len() > 3, "paginated: {} calls", lookups.len());
    for name in ["Federate", "GetRoleCredentials", "UserAuthentication"] {
        assert!(
            lookups
                .iter()
                .any(|(_, p)| p["LookupAttributes"][0]["AttributeValue"] == name),
            "{name}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.path("lookup.manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["evidence"]["kind"], "cloudtrail-lookup");
    let throttled = stderr(&out).contains("throttled");
    assert!(!throttled, "paced under 2 calls/s: {}", stderr(&out));
}

#[test]
fn a_window_longer_than_the_history_is_refused() {
    let s = Scratch::new();
    let out = run(&generate_args(
        &["--cloudtrail-lookup", "us-east-1"],
        &s.path("lookup.csv"),
        "91",
    ));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("keeps 90 days: --lookback-days 91 is longer"),
        "{}",
        stderr(&out)
    );
}
