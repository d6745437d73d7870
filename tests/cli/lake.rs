//! Evidence from CloudTrail Lake, through the real SDK, against the Lake emulator
//! (tests/emulators/lake.py, DuckDB over the same events): the report must equal, byte for
//! byte, the report from the same events read as log files.

use crate::emulators::{lake, lake_calls, moto, run_against, run_with_endpoints, Emulator};
use crate::util::*;
use serde_json::{json, Value};
use std::path::Path;

const STORE: &str = "EXAMPLE-ee54-4813-92d5-999aeEXAMPLE";

fn report_from_lake(
    s: &Scratch,
    emulator: &Emulator,
    snapshot: &Path,
    extra: &[&str],
) -> std::process::Output {
    run_against(
        &emulator.endpoint(),
        &generate_args(
            s,
            snapshot,
            &["--event-data-store", STORE],
            extra,
            "lake.csv",
        ),
    )
}

fn manifest(s: &Scratch, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(s.path(name)).unwrap()).unwrap()
}

fn operations(s: &Scratch, name: &str) -> usize {
    lake_calls(s.dir.path())
        .iter()
        .filter(|(op, _)| op == name)
        .count()
}

#[test]
fn published_events_give_the_same_report_from_lake() {
    let s = Scratch::new();
    let snapshot = data_dir().join("published-snapshot.json");
    let emulator = lake(&published_dir(), STORE, None, s.dir.path());
    let out = report_from_lake(&s, &emulator, &snapshot, &["--lookback-days", "3653"]);
    assert_success(&out);
    let expected = std::fs::read(data_dir().join("published-report.csv")).unwrap();
    assert_eq!(std::fs::read(s.path("lake.csv")).unwrap(), expected);
}

#[test]
fn generated_events_give_the_same_report_from_lake_in_both_null_styles() {
    let s = Scratch::new();
    let snapshot = example().join("snapshot.json");
    let from_logs = report_from_logs(&s, &snapshot, &example().join("logs"), &[]);
    // A missing value is an absent cell or an empty map; `{"column": null}` cannot occur, as the
    // CloudTrail model declares the cells dense maps (the SDK refuses such a page).
    for style in ["omit", "empty_map"] {
        let emulator = lake(
            &example().join("logs"),
            STORE,
            Some(&json!({"null_style": style})),
            s.dir.path(),
        );
        assert_success(&report_from_lake(&s, &emulator, &snapshot, &[]));
        assert!(
            std::fs::read(s.path("lake.csv")).unwrap() == from_logs,
            "Lake report differs with null_style {style}"
        );
    }
    let m = manifest(&s, "lake.manifest.json");
    let logs = manifest(&s, "logs.manifest.json");
    assert_eq!(m["evidence"]["kind"], "cloudtrail-lake");
    for count in [
        "evidence_events",
        "console_events",
        "cli_events",
        "portal_sign_in_events",
    ] {
        assert_eq!(m["evidence"][count], logs["evidence"][count], "{count}");
    }
    let query = &m["evidence"]["queries"][0];
    assert!(query["sql"]
        .as_str()
        .unwrap()
        .contains(&format!("FROM {STORE}")));
    assert!(query["bytes_scanned"].as_i64().unwrap() > 0);
    assert!(query["events_scanned"].as_i64().unwrap() > 0);
    assert!(!query["query_id"].as_str().unwrap().is_empty());
}

#[test]
fn polls_through_queued_and_running_and_reads_pages_of_one() {
    let s = Scratch::new();
    let snapshot = example().join("snapshot.json");
    let from_logs = report_from_logs(&s, &snapshot, &example().join("logs"), &[]);
    let config = json!({"polls_before_running": 2, "polls_before_finish": 3, "page_size": 1});
    let emulator = lake(&example().join("logs"), STORE, Some(&config), s.dir.path());
    assert_success(&report_from_lake(&s, &emulator, &snapshot, &[]));
    assert!(std::fs::read(s.path("lake.csv")).unwrap() == from_logs);
    assert!(
        operations(&s, "DescribeQuery") >= 6,
        "polled until FINISHED"
    );
    let rows = manifest(&s, "lake.manifest.json")["attribution"].clone();
    let keys: u64 = [
        "keys_attributed",
        "keys_unknown_user",
        "keys_other_identity_store",
        "keys_user_name_before_creation",
    ]
    .iter()
    .map(|k| rows[k].as_u64().unwrap())
    .sum();
    assert!(
        operations(&s, "GetQueryResults") as u64 >= keys,
        "one row per page"
    );
}

#[test]
fn failed_and_timed_out_queries_stop_the_run_with_lakes_message() {
    for status in ["FAILED", "TIMED_OUT"] {
        let s = Scratch::new();
        let config =
            json!({"final_status": status, "error_message": "Query exceeded a limit (injected)"});
        let emulator = lake(&published_dir(), STORE, Some(&config), s.dir.path());
        let out = report_from_lake(
            &s,
            &emulator,
            &data_dir().join("published-snapshot.json"),
            &[],
        );
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains(&format!(
                "ended {status}: Query exceeded a limit (injected)"
            )),
            "{}",
            stderr(&out)
        );
        assert!(!s.path("lake.csv").exists(), "no report on failure");
    }
}

#[test]
fn max_concurrent_queries_is_retried() {
    let s = Scratch::new();
    let emulator = lake(
        &published_dir(),
        STORE,
        Some(&json!({"max_concurrent_rejections": 2})),
        s.dir.path(),
    );
    let out = report_from_lake(
        &s,
        &emulator,
        &data_dir().join("published-snapshot.json"),
        &["--lookback-days", "3653"],
    );
    assert_success(&out);
    // Two rejected, then the evidence query and the change query.
    assert_eq!(operations(&s, "StartQuery"), 4);
}

#[test]
fn a_query_still_running_at_the_deadline_is_cancelled() {
    let s = Scratch::new();
    let emulator = lake(
        &published_dir(),
        STORE,
        Some(&json!({"polls_before_finish": 100000})),
        s.dir.path(),
    );
    let out = report_from_lake(
        &s,
        &emulator,
        &data_dir().join("published-snapshot.json"),
        &["--query-timeout", "5"],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("was cancelled"), "{}", stderr(&out));
    assert_eq!(operations(&s, "CancelQuery"), 1);
    assert!(!s.path("lake.csv").exists());
}

#[test]
fn a_store_in_another_account_needs_its_owner_account_id() {
    let s = Scratch::new();
    let config = json!({"owner_account_id": "222233334444"});
    let emulator = lake(&published_dir(), STORE, Some(&config), s.dir.path());
    let snapshot = data_dir().join("published-snapshot.json");
    let arn = format!("arn:aws:cloudtrail:us-east-1:222233334444:eventdatastore/{STORE}");
    let without = run_against(
        &emulator.endpoint(),
        &generate_args(
            &s,
            &snapshot,
            &["--event-data-store", &arn],
            &[],
            "lake.csv",
        ),
    );
    assert!(!without.status.success());
    let with = run_against(
        &emulator.endpoint(),
        &generate_args(
            &s,
            &snapshot,
            &[
                "--event-data-store",
                &arn,
                "--lake-owner-account-id",
                "222233334444",
            ],
            &["--lookback-days", "3653"],
            "lake.csv",
        ),
    );
    assert_success(&with);
    let started = lake_calls(s.dir.path())
        .into_iter()
        .rfind(|(op, _)| op == "StartQuery")
        .unwrap();
    assert_eq!(started.1["EventDataStoreOwnerAccountId"], "222233334444");
    assert_eq!(
        std::fs::read(s.path("lake.csv")).unwrap(),
        std::fs::read(data_dir().join("published-report.csv")).unwrap()
    );
}

#[test]
fn preflight_findings_are_manifest_warnings() {
    let s = Scratch::new();
    let config = json!({"store": {"status": "STOPPED_INGESTION", "retention_days": 30,
        "advanced_event_selectors": [{"Name": "writes", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["false"]}]}]}});
    let emulator = lake(&published_dir(), STORE, Some(&config), s.dir.path());
    let out = report_from_lake(
        &s,
        &emulator,
        &data_dir().join("published-snapshot.json"),
        &[],
    );
    assert_success(&out);
    let codes: Vec<String> = manifest(&s, "lake.manifest.json")["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap().to_owned())
        .collect();
    for code in [
        "lake_store_not_enabled",
        "no_read_only_events",
        "lake_retention_shorter_than_window",
    ] {
        assert!(codes.iter().any(|c| c == code), "{code} not in {codes:?}");
    }
    assert_stderr_has(&out, "every CLI/SDK-only user will show as UNUSED");
}

#[test]
fn an_unknown_store_is_an_error() {
    let s = Scratch::new();
    let emulator = lake(&published_dir(), STORE, None, s.dir.path());
    let out = run_against(
        &emulator.endpoint(),
        &generate_args(
            &s,
            &data_dir().join("published-snapshot.json"),
            &["--event-data-store", "other-store"],
            &[],
            "lake.csv",
        ),
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(
            "cloudtrail:GetEventDataStore on other-store failed: EventDataStoreNotFoundException"
        ),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_store_id_that_could_change_the_query_is_refused_before_any_call() {
    let s = Scratch::new();
    let out = run(&generate_args(
        &s,
        &data_dir().join("published-snapshot.json"),
        &["--event-data-store", "x' OR 1=1 --"],
        &[],
        "lake.csv",
    ));
    assert_fails_with(&out, "is not an event data store id or ARN");
}

#[test]
fn a_lake_role_is_assumed_through_sts() {
    let s = Scratch::new();
    let directory = moto(&example().join("snapshot.json"), None, s.dir.path());
    let evidence = lake(&example().join("logs"), STORE, None, s.dir.path());
    let role = "arn:aws:iam::999999999999:role/lake-reader";
    let out = run_with_endpoints(
        &[
            ("AWS_ENDPOINT_URL", &directory.endpoint()),
            ("AWS_ENDPOINT_URL_CLOUDTRAIL", &evidence.endpoint()),
        ],
        &generate_args(
            &s,
            &example().join("snapshot.json"),
            &["--event-data-store", STORE, "--lake-role-arn", role],
            &[],
            "lake.csv",
        ),
    );
    assert_success(&out);
    assert_eq!(crate::emulators::roles_assumed(s.dir.path()), 1);
}

#[test]
fn live_directory_with_lake_evidence_matches_the_offline_report() {
    let s = Scratch::new();
    let snapshot = example().join("snapshot.json");
    let from_logs = report_from_logs(&s, &snapshot, &example().join("logs"), &[]);
    let directory = moto(&snapshot, None, s.dir.path());
    let evidence = lake(&example().join("logs"), STORE, None, s.dir.path());
    let mut live = args(&[
        "generate",
        "--assignment-strategy",
        "per-permission-set",
        "--event-data-store",
        STORE,
        "--as-of",
        AS_OF,
        "--output",
    ]);
    live.push(s.path("live.csv").display().to_string());
    let out = run_with_endpoints(
        &[
            ("AWS_ENDPOINT_URL", &directory.endpoint()),
            ("AWS_ENDPOINT_URL_CLOUDTRAIL", &evidence.endpoint()),
        ],
        &live,
    );
    assert_success(&out);
    assert!(std::fs::read(s.path("live.csv")).unwrap() == from_logs);
}
