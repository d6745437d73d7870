//! Evidence from a CloudWatch Logs log group, through the real SDK, against the CloudWatch
//! Logs emulator (tests/emulators/cloudwatch_logs.py, Logs Insights SQL run by DuckDB over the
//! same events): the report must equal, byte for byte, the report from the same events read
//! as log files, also when the window has to be split to fit Logs Insights' row limit.

use crate::emulators::{cloudwatch_logs, logged_calls, run_against, Emulator, LOG_GROUP};
use crate::util::*;
use serde_json::{json, Value};
use std::path::Path;

fn report_from_cloudwatch(
    s: &Scratch,
    emulator: &Emulator,
    snapshot: &Path,
    extra: &[&str],
) -> std::process::Output {
    let evidence = ["--cloudwatch-log-group", LOG_GROUP];
    run_against(
        &emulator.endpoint(),
        &generate_args(s, snapshot, &evidence, extra, "cw.csv"),
    )
}

fn operations(s: &Scratch, name: &str) -> Vec<Value> {
    logged_calls(s.dir.path(), "cloudwatch")
        .into_iter()
        .filter(|(op, _)| op == name)
        .map(|(_, params)| params)
        .collect()
}

#[test]
fn published_events_give_the_same_report_from_cloudwatch_logs() {
    let s = Scratch::new();
    let snapshot = data_dir().join("published-snapshot.json");
    let emulator = cloudwatch_logs(&published_dir(), None, s.dir.path());
    let out = report_from_cloudwatch(&s, &emulator, &snapshot, &["--lookback-days", "3653"]);
    assert_success(&out);
    let expected = std::fs::read(data_dir().join("published-report.csv")).unwrap();
    assert_eq!(std::fs::read(s.path("cw.csv")).unwrap(), expected);
    let started = operations(&s, "StartQuery");
    assert_eq!(started.len(), 2, "the evidence query and the change query");
    assert_eq!(started[0]["queryLanguage"], "SQL");
    assert!(started[0].get("logGroupNames").is_none());
}

#[test]
fn the_example_gives_the_same_report_and_changes_even_when_the_window_must_be_split() {
    let s = Scratch::new();
    let snapshot = example().join("snapshot.json");
    let logs = example().join("logs");
    let expected = report_from_logs(&s, &snapshot, &logs, &[]);
    let expected_changes = std::fs::read(s.path("logs.changes.csv")).unwrap();
    let emulator = cloudwatch_logs(&logs, None, s.dir.path());
    for max_rows in ["10000", "40"] {
        let out = report_from_cloudwatch(
            &s,
            &emulator,
            &snapshot,
            &["--cloudwatch-max-rows", max_rows],
        );
        assert_success(&out);
        assert!(
            std::fs::read(s.path("cw.csv")).unwrap() == expected,
            "the report differs with --cloudwatch-max-rows {max_rows}"
        );
        assert!(std::fs::read(s.path("cw.changes.csv")).unwrap() == expected_changes);
    }
    let manifest = read_json(&s.path("cw.manifest.json"));
    let logs_manifest = read_json(&s.path("logs.manifest.json"));
    for count in ["evidence_events", "cli_events", "portal_sign_in_events"] {
        assert_eq!(
            manifest["evidence"][count], logs_manifest["evidence"][count],
            "{count}"
        );
    }
    let queries = manifest["evidence"]["queries"].as_array().unwrap();
    let cut = queries.iter().filter(|q| q["truncated"] == true).count();
    // Each cut query was asked again as two halves, and the change query ran too.
    assert!(cut >= 1 && queries.len() > 2 * cut, "{queries:?}");
    assert!(queries
        .iter()
        .all(|q| q["bytes_scanned"].as_i64().unwrap() > 0));
    // Each part's time range reaches past it by the delivery slack, never before it.
    let starts: Vec<i64> = operations(&s, "StartQuery")
        .iter()
        .map(|p| p["startTime"].as_i64().unwrap())
        .collect();
    assert!(
        starts
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            > 2
    );
}

#[test]
fn a_query_still_running_at_the_deadline_is_stopped() {
    let s = Scratch::new();
    let emulator = cloudwatch_logs(
        &published_dir(),
        Some(&json!({"polls_before_finish": 100000})),
        s.dir.path(),
    );
    let out = report_from_cloudwatch(
        &s,
        &emulator,
        &data_dir().join("published-snapshot.json"),
        &["--query-timeout", "5"],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("was stopped"), "{}", stderr(&out));
    assert_eq!(operations(&s, "StopQuery").len(), 1);
    assert!(!s.path("cw.csv").exists());
}

#[test]
fn a_failed_change_query_leaves_the_report_without_changes_and_says_so() {
    // The published events hold no change event, so the change query names fields no event
    // has; with the emulator's switch, such a query ends Failed (AWS documents no rule). A
    // failed use event gives the evidence query the one field it names that they lack.
    let s = Scratch::new();
    let events = s.path("events");
    std::fs::create_dir_all(&events).unwrap();
    for entry in std::fs::read_dir(published_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            std::fs::copy(&path, events.join(path.file_name().unwrap())).unwrap();
        }
    }
    let mut failed = get_role_credentials(
        new_identity("u-nobody"),
        "111111111111",
        "AdministratorAccess",
        "2026-07-01T00:00:00Z",
    );
    failed["errorCode"] = json!("AccessDenied");
    std::fs::write(events.join("failed.json"), failed.to_string()).unwrap();
    let snapshot = data_dir().join("published-snapshot.json");
    let expected = std::fs::read(data_dir().join("published-report.csv")).unwrap();
    let codes = |manifest: &serde_json::Value| -> Vec<String> {
        let warnings = manifest["warnings"].as_array().unwrap();
        warnings.iter().map(|w| w["code"].to_string()).collect()
    };
    // No event has errorCode and no sign-in has additionalEventData: with an emulator that
    // fails on fields no event has, the COALESCE the queries read them through still works.
    let strict =
        json!({"unknown_fields": "fail", "polls_before_running": 0, "polls_before_finish": 0});
    let emulator = cloudwatch_logs(&events, Some(&strict), s.dir.path());
    let out = report_from_cloudwatch(&s, &emulator, &snapshot, &["--lookback-days", "3653"]);
    assert_success(&out);
    assert_eq!(std::fs::read(s.path("cw.csv")).unwrap(), expected);
    let manifest = read_json(&s.path("cw.manifest.json"));
    assert!(
        !codes(&manifest).contains(&"\"source_misses_access_changes\"".to_owned()),
        "{manifest}"
    );
    drop(emulator);
    let failing = json!({"failing_queries": ["@message"], "polls_before_running": 0, "polls_before_finish": 0});
    let emulator = cloudwatch_logs(&events, Some(&failing), s.dir.path());
    let out = report_from_cloudwatch(&s, &emulator, &snapshot, &["--lookback-days", "3653"]);
    assert_success(&out);
    assert_eq!(std::fs::read(s.path("cw.csv")).unwrap(), expected);
    let manifest = read_json(&s.path("cw.manifest.json"));
    let warning = manifest["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "source_misses_access_changes")
        .unwrap_or_else(|| panic!("no warning in {manifest}"));
    let message = warning["message"].as_str().unwrap();
    assert!(
        message.contains("access-change query") && message.contains("ended Failed"),
        "{message}"
    );
    assert!(
        message.contains("an UNUSED row may be new access"),
        "{message}"
    );
}

#[test]
fn a_failed_query_or_a_missing_log_group_stops_the_run() {
    let s = Scratch::new();
    let snapshot = data_dir().join("published-snapshot.json");
    let failing = cloudwatch_logs(
        &published_dir(),
        Some(&json!({"final_status": "Failed"})),
        s.dir.path(),
    );
    let out = report_from_cloudwatch(&s, &failing, &snapshot, &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("ended Failed"), "{}", stderr(&out));
    drop(failing);

    let s = Scratch::new();
    let emulator = cloudwatch_logs(&published_dir(), None, s.dir.path());
    let evidence = ["--cloudwatch-log-group", "no/such-group"];
    let out = run_against(
        &emulator.endpoint(),
        &generate_args(&s, &snapshot, &evidence, &[], "missing.csv"),
    );
    assert!(!out.status.success());
    let message = stderr(&out);
    assert!(
        message.contains("log group no/such-group was not found in us-east-1"),
        "{message}"
    );
    assert!(operations(&s, "StartQuery").is_empty());
    assert!(!s.path("missing.csv").exists());
}

#[test]
fn a_log_group_name_that_could_change_the_query_is_refused_before_any_call() {
    let s = Scratch::new();
    let snapshot = data_dir().join("published-snapshot.json");
    let evidence = ["--cloudwatch-log-group", "x'])` UNION SELECT"];
    let out = run(&generate_args(&s, &snapshot, &evidence, &[], "bad.csv"));
    assert_fails_with(&out, "is not a log group name");
}

#[test]
fn a_cloudwatch_role_is_assumed_through_sts_and_the_region_is_honoured() {
    let s = Scratch::new();
    let snapshot = example().join("snapshot.json");
    let expected = report_from_logs(&s, &snapshot, &example().join("logs"), &[]);
    let sts = crate::emulators::moto(&snapshot, None, s.dir.path());
    let evidence = cloudwatch_logs(&example().join("logs"), None, s.dir.path());
    let role = "arn:aws:iam::999999999999:role/logs-reader";
    let flags = [
        "--cloudwatch-log-group",
        LOG_GROUP,
        "--cloudwatch-role-arn",
        role,
        "--cloudwatch-region",
        "us-east-1",
    ];
    let out = crate::emulators::run_with_endpoints(
        &[
            ("AWS_ENDPOINT_URL", &sts.endpoint()),
            ("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", &evidence.endpoint()),
        ],
        &generate_args(&s, &snapshot, &flags, &[], "cw.csv"),
    );
    assert_success(&out);
    assert!(std::fs::read(s.path("cw.csv")).unwrap() == expected);
    assert_eq!(crate::emulators::roles_assumed(s.dir.path()), 1);
}

#[test]
fn cloudwatch_setup_prints_the_checks_for_the_named_groups() {
    let out = run(&args(&[
        "cloudwatch-setup",
        "--log-group",
        "org/trail,arn:aws:logs:eu-west-1:111122223333:log-group:other",
        "--lookback-days",
        "120",
    ]));
    assert_success(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(
        "FROM `logGroups(logGroupIdentifier: ['org/trail', 'arn:aws:logs:eu-west-1:111122223333:log-group:other'])`"
    ));
    assert!(text.contains("keep events at least 120 days"));
    assert!(text
        .contains("aws logs describe-log-groups --log-group-identifiers org/trail arn:aws:logs"));
    let bad = run(&args(&["cloudwatch-setup", "--log-group", "a'b"]));
    assert!(!bad.status.success());
}
