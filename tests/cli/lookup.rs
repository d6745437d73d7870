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
    assert_fails_with(&out, "keeps 90 days: --lookback-days 91 is longer");
}

/// The published events span 2017 to 2026, beyond any 90-day history: each 90-day window that
/// ends just after a cluster of them gives the same report from event history as from the files.
#[test]
fn published_events_give_the_same_report_from_event_history_window_by_window() {
    let s = Scratch::new();
    let snapshot = data_dir().join("published-snapshot.json");
    let mut used_or_signed_in = 0;
    for as_of in [
        "2017-11-30T00:00:00Z",
        "2020-06-17T00:00:00Z",
        "2020-12-08T00:00:00Z",
        "2023-03-30T00:00:00Z",
        "2025-08-09T00:00:00Z",
        "2026-07-02T00:00:00Z",
    ] {
        let window = |evidence: &[&str], output: &Path| -> Vec<String> {
            let mut all = args(&[
                "generate",
                "--directory-snapshot",
                &snapshot.display().to_string(),
                "--as-of",
                as_of,
                "--lookback-days",
                "90",
                "--output",
                &output.display().to_string(),
            ]);
            all.extend(evidence.iter().map(|a| a.to_string()));
            all
        };
        let (from_files, from_history) = (s.path("files.csv"), s.path("history.csv"));
        assert_success(&run(&window(
            &["--cloudtrail-logs", &published_dir().display().to_string()],
            &from_files,
        )));
        let emulator = lake(
            &published_dir(),
            "unused-store",
            Some(&json!({"now": as_of})),
            s.dir.path(),
        );
        assert_success(&run_against(
            &emulator.endpoint(),
            &window(&["--cloudtrail-lookup", "us-east-1"], &from_history),
        ));
        let expected = std::fs::read(&from_files).unwrap();
        assert!(
            std::fs::read(&from_history).unwrap() == expected,
            "the reports differ for the window ending {as_of}"
        );
        used_or_signed_in += read_rows(&from_files)
            .iter()
            .filter(|r| r["usage_status"] == "USED" || !r["last_portal_sign_in"].is_empty())
            .count();
    }
    assert!(
        used_or_signed_in >= 3,
        "the windows hold evidence: {used_or_signed_in}"
    );
}
