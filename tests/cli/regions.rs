//! A multi-Region instance: its replica Region records the sign-ins and credentials of the
//! users who work there, and only there. Every evidence source must read that Region (the
//! rows are USED), and a source told to read fewer Regions than the instance has must warn.

use crate::emulators::{
    athena, cloudwatch_logs, generate_with_denied, lake, moto, run_against, LOG_GROUP,
};
use crate::util::*;
use serde_json::{json, Value};

const PRIMARY: &str = "us-east-1";
const REPLICA: &str = "eu-west-1";

/// alice works only through the replica Region's portal (sign-in and CLI credentials there),
/// bob only through the primary's console.
fn replica_case() -> Scratch {
    let s = Scratch::new();
    let mut org = organization(vec![
        assign("111111111111", PS_ADMIN, "USER", "u-alice"),
        assign("222222222222", PS_READ, "USER", "u-bob"),
    ]);
    org["regions"] = json!([
        {"name": PRIMARY, "primary": true, "status": "ACTIVE"},
        {"name": REPLICA, "primary": false, "status": "ACTIVE", "added_at": "2026-10-01T00:00:00Z"},
    ]);
    s.write_snapshot(&org);
    s.deliver_in(
        PRIMARY,
        &[federate(
            new_identity("u-bob"),
            "222222222222",
            "ReadOnlyAccess",
            "2026-11-20T09:00:00Z",
        )],
    );
    s.deliver_in(
        REPLICA,
        &[
            user_authentication(new_identity("u-alice"), "Success", "2026-11-20T10:00:00Z"),
            get_role_credentials(
                new_identity("u-alice"),
                "111111111111",
                "AdministratorAccess",
                "2026-11-20T10:01:00Z",
            ),
        ],
    );
    s
}

/// `generate` over the case's snapshot with `evidence`, writing `name` (and its manifest).
fn generate(s: &Scratch, endpoint: &str, evidence: &[&str], name: &str) -> (Vec<Row>, Value) {
    let mut all = args(&[
        "generate",
        "--directory-snapshot",
        &s.snapshot().display().to_string(),
        "--as-of",
        AS_OF,
        "--lookback-days",
        "30",
        "--output",
        &s.path(name).display().to_string(),
    ]);
    all.extend(args(evidence));
    assert_success(&run_against(endpoint, &all));
    let manifest = s.path(name).with_extension("manifest.json");
    (read_rows(&s.path(name)), read_json(&manifest))
}

fn report_from_logs(s: &Scratch) -> Vec<u8> {
    let logs = s.logs().display().to_string();
    generate(
        s,
        "http://127.0.0.1:9",
        &["--cloudtrail-logs", &logs],
        "logs.csv",
    );
    std::fs::read(s.path("logs.csv")).unwrap()
}

fn warning<'a>(manifest: &'a Value, code: &str) -> Option<&'a str> {
    manifest["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == code)
        .map(|w| w["message"].as_str().unwrap())
}

fn codes(manifest: &Value) -> Vec<&str> {
    manifest["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect()
}

/// alice's row is USED through the replica Region, with its sign-in.
fn assert_replica_use_seen(rows: &[Row]) {
    let alice = row(rows, "alice", "AdministratorAccess");
    assert_eq!(alice["usage_status"], "USED", "{alice:?}");
    assert_eq!(alice["last_portal_sign_in"], "2026-11-20T10:00:00Z");
    assert_eq!(row(rows, "bob", "ReadOnlyAccess")["usage_status"], "USED");
}

/// A source told to read the primary Region only: alice looks unused, and the manifest says
/// which Region was left out under `code`.
fn assert_replica_missed(rows: &[Row], manifest: &Value, code: &str) {
    assert_eq!(
        row(rows, "alice", "AdministratorAccess")["usage_status"],
        "UNUSED"
    );
    let message = warning(manifest, code).unwrap_or_else(|| panic!("{code}: {manifest}"));
    assert!(message.contains(REPLICA), "{message}");
}

#[test]
fn log_files_hold_the_replica_region_and_the_manifest_lists_the_regions() {
    let s = replica_case();
    let logs = s.logs().display().to_string();
    let (rows, manifest) = generate(
        &s,
        "http://127.0.0.1:9",
        &["--cloudtrail-logs", &logs],
        "r.csv",
    );
    assert_replica_use_seen(&rows);
    assert_eq!(manifest["directory"]["regions"], json!([PRIMARY, REPLICA]));
    assert_eq!(
        manifest["evidence"]["regions_with_evidence"],
        json!([REPLICA, PRIMARY])
    );
    assert!(manifest["evidence"].get("regions").is_none());
    assert!(!codes(&manifest).iter().any(|c| c.contains("regions")));
}

#[test]
fn event_history_looks_up_every_region_of_the_instance_unless_told_fewer() {
    let s = replica_case();
    let expected = report_from_logs(&s);
    // One event history per Region, as AWS keeps it: each request sees its own Region's.
    let config = json!({"now": AS_OF, "lookup": {"rate": null, "scope": "signed"}});
    let emulator = lake(&s.logs(), "unused-store", Some(&config), s.dir.path());
    let (rows, manifest) = generate(
        &s,
        &emulator.endpoint(),
        &["--cloudtrail-lookup"],
        "all.csv",
    );
    assert_replica_use_seen(&rows);
    assert!(std::fs::read(s.path("all.csv")).unwrap() == expected);
    assert_eq!(manifest["evidence"]["regions"], json!([PRIMARY, REPLICA]));
    assert!(warning(&manifest, "evidence_misses_regions").is_none());
    // Event history cannot look up a Region that is no longer listed, and says so.
    let removed = warning(&manifest, "removed_regions_unseen").expect("the removed-Region limit");
    assert!(removed.contains("us-east-1, eu-west-1"), "{removed}");

    let (rows, manifest) = generate(
        &s,
        &emulator.endpoint(),
        &["--cloudtrail-lookup", PRIMARY],
        "primary.csv",
    );
    assert_replica_missed(&rows, &manifest, "evidence_misses_regions");
}

#[test]
fn athena_reads_every_region_partition_of_the_instance_unless_told_fewer() {
    let s = replica_case();
    let expected = report_from_logs(&s);
    let emulator = athena(&s.logs(), "struct", "projected", None, s.dir.path());
    let athena_args = [
        "--athena-table",
        "db.trail",
        "--athena-output",
        "s3://athena-results/idc/",
    ];
    let (rows, manifest) = generate(&s, &emulator.endpoint(), &athena_args, "all.csv");
    assert_replica_use_seen(&rows);
    assert!(std::fs::read(s.path("all.csv")).unwrap() == expected);
    // Every Region's partitions, not only the instance's listed ones: a Region removed from
    // the instance during the window is listed nowhere now, and its uses still count.
    assert_eq!(manifest["evidence"]["regions"], Value::Null);
    let sql = manifest["evidence"]["queries"][0]["sql"].as_str().unwrap();
    assert!(!sql.contains("\"region\" IN"), "{sql}");

    let mut fewer = athena_args.to_vec();
    fewer.extend(["--athena-region", PRIMARY]);
    let (rows, manifest) = generate(&s, &emulator.endpoint(), &fewer, "primary.csv");
    assert_replica_missed(&rows, &manifest, "evidence_misses_regions");
}

#[test]
fn a_lake_store_of_one_region_misses_the_replica_and_says_so() {
    let s = replica_case();
    let expected = report_from_logs(&s);
    let emulator = lake(&s.logs(), "multi", None, s.dir.path());
    let (rows, manifest) = generate(
        &s,
        &emulator.endpoint(),
        &["--event-data-store", "multi"],
        "m.csv",
    );
    assert_replica_use_seen(&rows);
    assert!(std::fs::read(s.path("m.csv")).unwrap() == expected);
    assert!(warning(&manifest, "lake_store_misses_regions").is_none());
    drop(emulator);

    let single = json!({"store": {"multi_region_enabled": false}});
    let emulator = lake(&s.logs(), "single", Some(&single), s.dir.path());
    let (_, manifest) = generate(
        &s,
        &emulator.endpoint(),
        &["--event-data-store", "single"],
        "s.csv",
    );
    let message = warning(&manifest, "lake_store_misses_regions").expect("a warning");
    assert!(
        message.contains(REPLICA) && message.contains("multi-Region"),
        "{message}"
    );
    assert_eq!(manifest["evidence"]["regions"], json!([PRIMARY]));
}

#[test]
fn a_cloudwatch_log_group_of_a_multi_region_trail_holds_the_replica_region() {
    let s = replica_case();
    let expected = report_from_logs(&s);
    let emulator = cloudwatch_logs(&s.logs(), None, s.dir.path());
    let evidence = ["--cloudwatch-log-group", LOG_GROUP];
    let (rows, _) = generate(&s, &emulator.endpoint(), &evidence, "cw.csv");
    assert_replica_use_seen(&rows);
    assert!(std::fs::read(s.path("cw.csv")).unwrap() == expected);
}

#[test]
fn the_live_directory_records_the_instance_regions_or_warns_when_it_cannot_list_them() {
    let s = replica_case();
    let emulator = moto(&s.snapshot(), None, s.dir.path());
    let live = s.path("live.json");
    let out = run_against(
        &emulator.endpoint(),
        &args(&["snapshot", "--output", &live.display().to_string()]),
    );
    assert_success(&out);
    let regions = &read_json(&live)["regions"];
    assert_eq!(regions, &read_json(&s.snapshot())["regions"]);
    drop(emulator);

    let manifest = generate_with_denied(&s, "sso-admin:ListRegions");
    assert_eq!(manifest["directory"]["regions"], json!([PRIMARY]));
    let message = warning(&manifest, "regions_not_listed").expect("a warning");
    assert!(message.contains("us-east-1 only"), "{message}");
}
