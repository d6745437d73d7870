//! The access-change history: published and composed change events (tests/data/changes) give
//! the report's `granted_at`/`member_since` columns and `report.changes.csv`, and every
//! evidence source (log files, CloudTrail Lake, Athena in both table styles, event history)
//! gives the same two files, byte for byte.

use crate::emulators::{athena, cloudwatch_logs, lake, run_against, LOG_GROUP};
use crate::util::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const AS_OF_2023: &str = "2023-05-01T00:00:00Z";
const STORE_ID: &str = "EXAMPLE-ee54-4813-92d5-999aeEXAMPLE";
const GROUP: &str = "34887428-4081-7042-c3c6-928d413009e7";
const JANE: &str = "94e80458-9021-70ea-08fa-c3a10a1d8a92";
const SCIM_GROUP: &str = "e1a2c3d4-0001-7000-8000-0000000000e1";
const CAROL: &str = "c1a2c3d4-0001-7000-8000-00000000000c";

fn events() -> PathBuf {
    data_dir().join("changes")
}

/// `generate` over the change fixtures' snapshot, as of 2023-05-01 with a 30-day window.
fn generate_args(evidence: &[&str], output: &Path) -> Vec<String> {
    let mut all = args(&[
        "generate",
        "--directory-snapshot",
        &data_dir()
            .join("changes-snapshot.json")
            .display()
            .to_string(),
        "--as-of",
        AS_OF_2023,
        "--lookback-days",
        "30",
    ]);
    all.extend(args(evidence));
    all.extend(["--output".to_owned(), output.display().to_string()]);
    all
}

/// The report and the changes file written beside `output`.
fn outputs(output: &Path) -> (Vec<u8>, Vec<u8>) {
    let changes = output.with_file_name(format!(
        "{}.changes.csv",
        output.file_stem().unwrap().to_string_lossy()
    ));
    (
        std::fs::read(output).unwrap(),
        std::fs::read(changes).unwrap(),
    )
}

fn from_logs(s: &Scratch) -> (Vec<u8>, Vec<u8>) {
    let output = s.path("logs.csv");
    assert_success(&run(&generate_args(
        &["--cloudtrail-logs", &events().display().to_string()],
        &output,
    )));
    outputs(&output)
}

fn manifest(path: &Path) -> Value {
    read_json(&path.with_extension("manifest.json"))
}

fn rows_of(bytes: &[u8]) -> Vec<Row> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

#[test]
fn change_events_give_grants_memberships_and_the_changes_file() {
    let s = Scratch::new();
    let (report, changes) = from_logs(&s);
    let rows = rows_of(&report);
    let row = |user: &str, set: &str| {
        rows.iter()
            .find(|r| r["user_name"] == user && r["permission_set_name"] == set)
            .unwrap_or_else(|| panic!("no row for {user} {set}"))
    };
    // Jane holds ReadOnlyAccess through the group: granted to the group by root, and she was
    // added to the group by her own Identity Center session (onBehalfOf).
    let jane = row("jane.admin@example.com", "ReadOnlyAccess");
    assert_eq!(jane["assignment_type"], "GROUP");
    assert_eq!(jane["granted_at"], "2023-04-25T19:25:55Z");
    assert_eq!(jane["granted_by"], "arn:aws:iam::111122223333:root");
    assert_eq!(jane["member_since"], "2023-04-26T09:00:00Z");
    assert_eq!(jane["member_added_by"], "jane.admin@example.com");
    // Dave is a member from before the window: the grant is known, the membership is not.
    let dave_group = row("dave", "ReadOnlyAccess");
    assert_eq!(dave_group["granted_at"], "2023-04-25T19:25:55Z");
    assert_eq!(
        (
            dave_group["member_since"].as_str(),
            dave_group["member_added_by"].as_str()
        ),
        ("", "")
    );
    // Bob's own assignment was made from an AWSReservedSSO_ session without onBehalfOf: the
    // session name is the Identity Center user.
    let bob = row("bob", "ReadOnlyAccess");
    assert_eq!(bob["granted_at"], "2023-04-26T08:05:00Z");
    assert_eq!(bob["granted_by"], "jane.admin@example.com");
    assert_eq!(bob["member_since"], "", "a USER row has no membership");
    // Dave's AdministratorAccess-test is older than the window (the failed event is no grant).
    let dave_admin = row("dave", "AdministratorAccess-test");
    assert_eq!(
        (
            dave_admin["granted_at"].as_str(),
            dave_admin["granted_by"].as_str()
        ),
        ("", "")
    );
    // The judged period: an access that began inside the window (grant, membership) and went
    // unused is NEW from its start, never UNUSED; one held all along is judged from the
    // window's start. Users created at the window's start held it for all of it.
    fn judged(r: &Row) -> (&str, &str) {
        (r["usage_status"].as_str(), r["judged_since"].as_str())
    }
    assert_eq!(
        judged(jane),
        ("NEW", "2023-04-26T09:00:00Z"),
        "joined after the grant"
    );
    assert_eq!(judged(dave_group), ("NEW", "2023-04-25T19:25:55Z"));
    assert_eq!(judged(bob), ("NEW", "2023-04-26T08:05:00Z"));
    assert_eq!(judged(dave_admin), ("UNUSED", "2023-04-01T00:00:00Z"));
    // Sign-ins: bob's through WorkSpaces (LoginTo not the access portal) is not a portal
    // sign-in, dave's to the portal is; every source below gives the same report.
    assert_eq!(bob["last_portal_sign_in"], "");
    assert_eq!(dave_admin["last_portal_sign_in"], "2023-04-20T09:00:00Z");
    // SCIM: carol was added to scim-admins by a PatchGroup that names her; an earlier
    // PatchGroup added members it does not name, so bob too is judged only from then.
    let carol_scim = row("carol", "AdministratorAccess-test");
    assert_eq!(carol_scim["member_since"], "2023-04-10T07:30:00Z");
    assert_eq!(judged(carol_scim), ("NEW", "2023-04-10T07:30:00Z"));
    let bob_scim = row("bob", "AdministratorAccess-test");
    assert_eq!(bob_scim["member_since"], "");
    assert_eq!(judged(bob_scim), ("NEW", "2023-04-08T07:30:00Z"));

    let changes = rows_of(&changes);
    let names: Vec<&str> = changes.iter().map(|c| c["event_name"].as_str()).collect();
    assert_eq!(
        names,
        [
            "CreateGroup",
            "PatchGroup",
            "PatchGroup",
            "PatchGroup",
            "CreateAccountAssignment",
            "CreateAccountAssignment",
            "DeleteAccountAssignment",
            "CreateAccountAssignment",
            "CreateGroupMembership",
            "CreateGroupMembership",
            "DeleteGroupMembership",
            "DeleteGroupMembership",
        ],
        "sorted by time, the failed events left out"
    );
    let scim: Vec<[&str; 5]> = changes[..4]
        .iter()
        .map(|c| {
            [
                c["event_source"].as_str(),
                c["group_id"].as_str(),
                c["user_id"].as_str(),
                c["member_change"].as_str(),
                c["group_name"].as_str(),
            ]
        })
        .collect();
    let source = "identitystore-scim.amazonaws.com";
    assert_eq!(
        scim,
        [
            [
                source,
                "f1a2c3d4-0001-7000-8000-0000000000f1",
                "d1a2c3d4-0001-7000-8000-00000000000d",
                "added",
                ""
            ],
            [source, SCIM_GROUP, "", "unknown", "scim-admins"],
            [source, SCIM_GROUP, CAROL, "added", "scim-admins"],
            [
                source,
                SCIM_GROUP,
                "a1a2c3d4-0001-7000-8000-00000000000a",
                "removed",
                "scim-admins"
            ],
        ]
    );
    assert!(changes[1]["note"].contains("does not say which members changed"));
    let changes = &changes[4..];
    let first = &changes[0];
    assert_eq!(first["event_time"], "2023-04-25T19:24:49Z");
    assert_eq!(first["event_source"], "sso.amazonaws.com");
    assert_eq!(first["account_name"], "management");
    assert_eq!(first["permission_set_name"], "AdministratorAccess-test");
    assert_eq!(
        (
            first["principal_type"].as_str(),
            first["principal_name"].as_str()
        ),
        ("GROUP", "admin-test-group")
    );
    assert_eq!(first["group_id"], GROUP);
    assert_eq!(first["actor_arn"], "arn:aws:iam::111122223333:root");
    assert_eq!(first["event_id"], "bea150ce-12b4-4417-9983-7be8c28a7a3a");
    assert_eq!(first["source_ip_address"], "203.0.113.10");
    let added = &changes[4];
    assert_eq!(added["event_source"], "identitystore.amazonaws.com");
    assert_eq!(
        (added["user_id"].as_str(), added["user_name"].as_str()),
        (JANE, "jane.admin@example.com")
    );
    assert_eq!(added["group_name"], "admin-test-group");
    assert_eq!(added["actor_user_id"], JANE);
    assert_eq!(added["member_change"], "added");
    // A deletion names only the membership: resolved through its creation in the window...
    let removed = &changes[6];
    assert_eq!(
        (
            removed["user_name"].as_str(),
            removed["group_name"].as_str()
        ),
        ("carol", "admin-test-group")
    );
    assert_eq!(removed["note"], "");
    // ...or left unresolved, and said so.
    let unknown = &changes[7];
    assert_eq!(
        (unknown["user_id"].as_str(), unknown["group_id"].as_str()),
        ("", "")
    );
    assert_eq!(
        unknown["membership_id"],
        "906791299c-99999999-aaaa-bbbb-cccc-000000000009"
    );
    assert!(unknown["note"].contains("before the window"));

    let m = manifest(&s.path("logs.csv"));
    let recorded = &m["changes"];
    assert_eq!(recorded["file"], "logs.changes.csv");
    assert_eq!(recorded["rows"], 12);
    assert_eq!(
        recorded["by_event_name"],
        json!({"CreateAccountAssignment": 3, "DeleteAccountAssignment": 1,
               "CreateGroupMembership": 2, "DeleteGroupMembership": 2,
               "CreateGroup": 1, "PatchGroup": 3})
    );
    assert_eq!(recorded["memberships_unresolved"], 1);
    assert_eq!(recorded["memberships_unknown"], 1);
    let warning = m["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "membership_changes_unknown")
        .unwrap_or_else(|| panic!("no warning in {m}"));
    assert!(warning["message"]
        .as_str()
        .unwrap()
        .starts_with("1 SCIM group change(s) in 1 group(s)"));
    use sha2::Digest;
    let sha: String = sha2::Sha256::digest(std::fs::read(s.path("logs.changes.csv")).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(recorded["sha256"], sha);
}

#[test]
fn lake_gives_the_same_changes_as_log_files() {
    let s = Scratch::new();
    let expected = from_logs(&s);
    let emulator = lake(&events(), STORE_ID, None, s.dir.path());
    let output = s.path("lake.csv");
    assert_success(&run_against(
        &emulator.endpoint(),
        &generate_args(&["--event-data-store", STORE_ID], &output),
    ));
    assert!(outputs(&output) == expected, "Lake differs from log files");
    let queries = manifest(&output)["evidence"]["queries"].clone();
    let change_sql = queries[1]["sql"].as_str().unwrap();
    assert!(
        change_sql.contains("'CreateGroupMembership'"),
        "{change_sql}"
    );
    assert!(change_sql.contains("eventTime >= timestamp '2023-04-01 00:00:00'"));
}

#[test]
fn cloudwatch_logs_give_the_same_changes_as_log_files() {
    let s = Scratch::new();
    let expected = from_logs(&s);
    let emulator = cloudwatch_logs(&events(), None, s.dir.path());
    let output = s.path("cw.csv");
    assert_success(&run_against(
        &emulator.endpoint(),
        &generate_args(&["--cloudwatch-log-group", LOG_GROUP], &output),
    ));
    assert!(
        outputs(&output) == expected,
        "CloudWatch Logs differs from log files"
    );
    let queries = manifest(&output)["evidence"]["queries"].clone();
    let change_sql = queries[1]["sql"].as_str().unwrap();
    assert!(
        change_sql.starts_with("SELECT `@message` AS event_json")
            && change_sql.contains("'PatchGroup'"),
        "whole events, read by the log reader's rules: {change_sql}"
    );
}

#[test]
fn a_lake_store_without_write_events_is_not_queried_for_changes_and_says_so() {
    let s = Scratch::new();
    let read_only = json!({"store": {"advanced_event_selectors": [{"Name": "reads", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]},
        {"Field": "readOnly", "Equals": ["true"]}]}]}});
    let emulator = lake(&events(), STORE_ID, Some(&read_only), s.dir.path());
    let output = s.path("lake.csv");
    assert_success(&run_against(
        &emulator.endpoint(),
        &generate_args(&["--event-data-store", STORE_ID], &output),
    ));
    let m = manifest(&output);
    assert_eq!(m["evidence"]["queries"].as_array().unwrap().len(), 1);
    assert_eq!(m["changes"]["rows"], 0);
    let codes: Vec<&str> = field_of(&m["warnings"], "code");
    assert!(codes.contains(&"source_misses_access_changes"), "{codes:?}");
}

#[test]
fn athena_gives_the_same_changes_as_log_files_in_both_styles() {
    for style in ["struct", "strings"] {
        let s = Scratch::new();
        let expected = from_logs(&s);
        let emulator = athena(&events(), style, "projected", None, s.dir.path());
        let output = s.path("athena.csv");
        assert_success(&run_against(
            &emulator.endpoint(),
            &generate_args(
                &[
                    "--athena-table",
                    "db.trail",
                    "--athena-output",
                    "s3://athena-results/idc/",
                    "--athena-account",
                    "111122223333",
                    "--athena-region",
                    "us-east-1",
                ],
                &output,
            ),
        ));
        assert!(outputs(&output) == expected, "Athena ({style}) differs");
        let change_sql = manifest(&output)["evidence"]["queries"][1]["sql"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            change_sql.contains("\"timestamp\" BETWEEN '2023/04/01' AND '2023/05/01'"),
            "pruned like the evidence query: {change_sql}"
        );
    }
}

#[test]
fn event_history_gives_the_same_changes_as_log_files_and_notes_its_reach() {
    let s = Scratch::new();
    let expected = from_logs(&s);
    let emulator = lake(
        &events(),
        "unused-store",
        Some(&json!({"now": AS_OF_2023})),
        s.dir.path(),
    );
    let output = s.path("lookup.csv");
    assert_success(&run_against(
        &emulator.endpoint(),
        &generate_args(&["--cloudtrail-lookup", "us-east-1"], &output),
    ));
    assert!(outputs(&output) == expected, "event history differs");
    let coverage = manifest(&output)["changes"]["coverage"].clone();
    assert!(coverage.as_str().unwrap().contains("90 days"), "{coverage}");
}
