//! Evidence from Athena over the trail's S3 logs, through the real SDK, against the Athena +
//! Glue emulator (tests/emulators/athena.py): both table styles, with and without partition
//! projection, give the report the log files give.

use crate::emulators::{athena, logged_calls, run_against, Emulator};
use crate::util::*;
use serde_json::{json, Value};
use std::path::Path;

const MANAGEMENT: &str = "910178986558";

fn generate(
    s: &Scratch,
    emulator: &Emulator,
    snapshot: &Path,
    extra: &[&str],
    name: &str,
) -> std::process::Output {
    let mut args: Vec<String> = [
        "generate",
        "--directory-snapshot",
        &snapshot.display().to_string(),
        "--as-of",
        AS_OF,
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend(
        [
            "--athena-table",
            "db.trail",
            "--athena-output",
            "s3://athena-results/idc/",
        ]
        .iter()
        .map(|a| a.to_string()),
    );
    args.extend(extra.iter().map(|a| a.to_string()));
    args.extend(["--output".to_owned(), s.path(name).display().to_string()]);
    run_against(&emulator.endpoint(), &args)
}

fn from_logs(s: &Scratch, snapshot: &Path, logs: &Path, extra: &[&str]) -> Vec<u8> {
    let mut args: Vec<String> = [
        "generate",
        "--directory-snapshot",
        &snapshot.display().to_string(),
        "--as-of",
        AS_OF,
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.extend([
        "--cloudtrail-logs".to_owned(),
        logs.display().to_string(),
        "--output".to_owned(),
        s.path("logs.csv").display().to_string(),
    ]);
    args.extend(extra.iter().map(|a| a.to_string()));
    assert_success(&run(&args));
    std::fs::read(s.path("logs.csv")).unwrap()
}

fn manifest(s: &Scratch, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(s.path(name)).unwrap()).unwrap()
}

#[test]
fn published_events_give_the_same_report_in_both_table_styles() {
    let expected = std::fs::read(data_dir().join("published-report.csv")).unwrap();
    for style in ["struct", "strings"] {
        let s = Scratch::new();
        let emulator = athena(&published_dir(), style, "none", None, s.dir.path());
        let out = generate(
            &s,
            &emulator,
            &data_dir().join("published-snapshot.json"),
            &["--lookback-days", "3653"],
            "athena.csv",
        );
        assert_success(&out);
        assert!(
            std::fs::read(s.path("athena.csv")).unwrap() == expected,
            "{style} style differs"
        );
        assert_stderr_has(&out, "scans (and pays for) the whole trail");
    }
}

#[test]
fn projected_partitions_are_pruned_and_the_report_is_the_same() {
    let snapshot = example().join("snapshot.json");
    for style in ["struct", "strings"] {
        let s = Scratch::new();
        let expected = from_logs(&s, &snapshot, &example().join("logs"), &[]);
        let emulator = athena(
            &example().join("logs"),
            style,
            "projected",
            None,
            s.dir.path(),
        );
        let pruned = [
            "--athena-account",
            MANAGEMENT,
            "--athena-region",
            "us-east-1",
        ];
        assert_success(&generate(&s, &emulator, &snapshot, &pruned, "pruned.csv"));
        assert!(
            std::fs::read(s.path("pruned.csv")).unwrap() == expected,
            "{style} style differs"
        );
        let query = &manifest(&s, "pruned.manifest.json")["evidence"]["queries"][0];
        let sql = query["sql"].as_str().unwrap();
        assert!(
            sql.contains(&format!("\"account\" IN ('{MANAGEMENT}')"))
                && sql.contains("\"timestamp\" BETWEEN '2026/08/24' AND '2026/11/22'"),
            "{sql}"
        );
        let pruned_bytes = query["bytes_scanned"].as_i64().unwrap();

        let out = generate(
            &s,
            &emulator,
            &snapshot,
            &["--athena-region", "us-east-1"],
            "all-accounts.csv",
        );
        assert_success(&out);
        assert_stderr_has(&out, "reads every account's partitions");
        let all_bytes = manifest(&s, "all-accounts.manifest.json")["evidence"]["queries"][0]
            ["bytes_scanned"]
            .as_i64()
            .unwrap();
        assert!(
            0 < pruned_bytes && pruned_bytes < all_bytes,
            "pruned {pruned_bytes} bytes, unpruned {all_bytes}"
        );
    }
}

#[test]
fn polling_pages_retries_and_failures() {
    let s = Scratch::new();
    let snapshot = data_dir().join("published-snapshot.json");
    let config = json!({"polls_before_running": 2, "polls_before_finish": 2, "page_size": 1, "too_many_requests": 2});
    let emulator = athena(
        &published_dir(),
        "struct",
        "none",
        Some(&config),
        s.dir.path(),
    );
    assert_success(&generate(
        &s,
        &emulator,
        &snapshot,
        &["--lookback-days", "3653"],
        "athena.csv",
    ));
    assert_eq!(
        std::fs::read(s.path("athena.csv")).unwrap(),
        std::fs::read(data_dir().join("published-report.csv")).unwrap()
    );
    let calls = logged_calls(s.dir.path(), "athena");
    let count = |op: &str| calls.iter().filter(|(o, _)| o == op).count();
    assert_eq!(
        count("StartQueryExecution"),
        4,
        "retried TooManyRequestsException twice, then the evidence and change queries"
    );
    assert!(count("GetQueryResults") >= 5, "pages of one row");
    let raw = std::fs::read_to_string(s.path("athena-calls.jsonl")).unwrap();
    assert!(
        raw.lines()
            .all(|l| l.contains(r#""protocol": "awsJson1_1""#)),
        "the pinned Rust SDK speaks awsJson1_1 to Athena (the emulator serves restJson1 too)"
    );

    let s = Scratch::new();
    let config = json!({"final_state": "FAILED", "state_change_reason": "HIVE_BAD_DATA: injected"});
    let emulator = athena(
        &published_dir(),
        "struct",
        "none",
        Some(&config),
        s.dir.path(),
    );
    let out = generate(&s, &emulator, &snapshot, &[], "athena.csv");
    assert_fails_with(&out, "ended FAILED: HIVE_BAD_DATA: injected");
}

#[test]
fn a_query_still_running_at_the_deadline_is_stopped() {
    let s = Scratch::new();
    let emulator = athena(
        &published_dir(),
        "struct",
        "none",
        Some(&json!({"polls_before_finish": 100000})),
        s.dir.path(),
    );
    let out = generate(
        &s,
        &emulator,
        &data_dir().join("published-snapshot.json"),
        &["--query-timeout", "5"],
        "athena.csv",
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("was stopped"), "{}", stderr(&out));
    assert_eq!(
        logged_calls(s.dir.path(), "athena")
            .iter()
            .filter(|(o, _)| o == "StopQueryExecution")
            .count(),
        1
    );
}

#[test]
fn table_and_partition_names_are_validated_before_any_call() {
    let s = Scratch::new();
    let emulator = athena(&published_dir(), "struct", "none", None, s.dir.path());
    let bad_table: Vec<String> = [
        "generate",
        "--directory-snapshot",
        "x.json",
        "--athena-table",
        "db.trail;--",
        "--output",
        "y.csv",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let out = run_against(&emulator.endpoint(), &bad_table);
    assert_stderr_has(&out, "must be DATABASE.TABLE");
    for (flag, value, message) in [
        (
            "--athena-account",
            "1' OR '1'='1",
            "is not a 12-digit account id",
        ),
        (
            "--athena-region",
            "us-east-1')--",
            "is not an AWS Region name",
        ),
    ] {
        let out = generate(
            &s,
            &emulator,
            &data_dir().join("published-snapshot.json"),
            &[flag, value],
            "athena.csv",
        );
        assert!(!out.status.success());
        assert!(stderr(&out).contains(message), "{}", stderr(&out));
    }
    assert!(logged_calls(s.dir.path(), "athena").is_empty());
}
