//! The live directory, read with the real AWS SDK from the moto-based emulator
//! (tests/emulators/moto_server.py) preloaded with the example organization.

use crate::emulators::{calls, moto, run_against};
use crate::util::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn example_snapshot() -> PathBuf {
    example().join("snapshot.json")
}

fn example_logs() -> PathBuf {
    example().join("logs")
}

/// A snapshot as sets, so that order (and the input's one duplicate assignment) do not matter.
fn as_sets(snapshot: &Value) -> BTreeMap<&'static str, BTreeSet<String>> {
    let mut sets = BTreeMap::new();
    for key in ["accounts", "permission_sets", "users", "assignments"] {
        let items = snapshot[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.to_string())
            .collect();
        sets.insert(key, items);
    }
    let groups = snapshot["groups"].as_array().unwrap().iter().map(|g| {
        let mut members: Vec<&str> = g["member_user_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap())
            .collect();
        members.sort();
        format!("{} {} {members:?}", g["group_id"], g["display_name"])
    });
    sets.insert("groups", groups.collect());
    sets
}

fn snapshot_with(
    s: &Scratch,
    strategy: &str,
    config: Option<&Value>,
    extra: &[&str],
) -> (std::process::Output, PathBuf) {
    let emulator = moto(&example_snapshot(), config, s.dir.path());
    let out_path = s.path(&format!("live-{strategy}.json"));
    let mut command = args(&[
        "snapshot",
        "--assignment-strategy",
        strategy,
        "--output",
        &out_path.display().to_string(),
    ]);
    command.extend(args(extra));
    (run_against(&emulator.endpoint(), &command), out_path)
}

#[test]
fn per_permission_set_reads_the_snapshot_back_exactly_even_with_pages_of_one() {
    let s = Scratch::new();
    let (out, path) = snapshot_with(
        &s,
        "per-permission-set",
        Some(&json!({"max_page_size": 1})),
        &[],
    );
    assert_success(&out);
    let live = read_json(&path);
    assert_eq!(as_sets(&live), as_sets(&read_json(&example_snapshot())));
    let expected = read_json(&example_snapshot());
    assert_eq!(live["identity_store_id"], expected["identity_store_id"]);
    assert_eq!(live["instance_arn"], expected["instance_arn"]);
    // Pages of one: every list needed many calls, and none looped.
    let listed = calls(s.dir.path())
        .iter()
        .filter(|(a, _)| a == "identitystore:ListUsers")
        .count();
    assert!(
        listed >= 60,
        "{listed} ListUsers calls for 60 users in pages of one"
    );
}

#[test]
fn per_principal_misses_only_assignments_of_deleted_principals() {
    let s = Scratch::new();
    let (out, path) = snapshot_with(&s, "per-principal", None, &[]);
    assert_success(&out);
    let live = as_sets(&read_json(&path));
    let expected = read_json(&example_snapshot());
    let known: BTreeSet<&str> = expected["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_id"].as_str().unwrap())
        .chain(
            expected["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["group_id"].as_str().unwrap()),
        )
        .collect();
    let held: BTreeSet<String> = expected["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| known.contains(a["principal_id"].as_str().unwrap()))
        .map(|a| a.to_string())
        .collect();
    assert_eq!(live["assignments"], held);
    assert!(calls(s.dir.path())
        .iter()
        .all(|(a, _)| a != "sso:ListAccountAssignments"));
}

#[test]
fn per_principal_falls_back_when_refused_and_says_so() {
    let s = Scratch::new();
    let config = json!({"deny": ["sso-admin:ListAccountAssignmentsForPrincipal"]});
    let (out, path) = snapshot_with(&s, "per-principal", Some(&config), &[]);
    assert_success(&out);
    assert_stderr_has(&out, "fell back to per-permission-set");
    assert_eq!(
        as_sets(&read_json(&path)),
        as_sets(&read_json(&example_snapshot()))
    );
}

#[test]
fn auto_prefers_per_permission_set_unless_per_principal_halves_the_calls() {
    let s = Scratch::new();
    let (out, path) = snapshot_with(&s, "auto", None, &[]);
    assert_success(&out);
    // The example has 100 provisioned pairs and 66 users and groups: not half.
    let expected = "per-permission-set: 100 provisioned (account, permission set) pairs vs 66 users and groups";
    assert!(stderr(&out).contains(expected), "{}", stderr(&out));
    assert_eq!(
        as_sets(&read_json(&path)),
        as_sets(&read_json(&example_snapshot()))
    );
    // With most users and groups gone, per principal needs far fewer calls.
    let mut small = read_json(&example_snapshot());
    small["users"] = json!(small["users"].as_array().unwrap()[..10]);
    small["groups"] = json!(small["groups"].as_array().unwrap()[..2]);
    let small_path = s.path("small.json");
    std::fs::write(&small_path, small.to_string()).unwrap();
    let emulator = moto(&small_path, None, s.dir.path());
    let live = s.path("small-live.json").display().to_string();
    let out = run_against(
        &emulator.endpoint(),
        &args(&["snapshot", "--output", &live]),
    );
    assert_success(&out);
    let expected =
        "per-principal: 100 provisioned (account, permission set) pairs vs 12 users and groups";
    assert!(stderr(&out).contains(expected), "{}", stderr(&out));
}

#[test]
fn throttling_is_retried_under_the_pace() {
    let s = Scratch::new();
    // The emulator allows 10 calls/s; the tool is told it may make 40.
    let config = json!({"rates": {"sso-admin": 10}});
    let (out, path) = snapshot_with(
        &s,
        "per-permission-set",
        Some(&config),
        &["--sso-admin-rps", "40"],
    );
    assert_success(&out);
    let throttled = calls(s.dir.path())
        .iter()
        .filter(|(a, status)| a.starts_with("sso:") && *status == 400)
        .count();
    assert!(
        throttled > 0,
        "the emulator should have throttled some calls"
    );
    assert_eq!(
        as_sets(&read_json(&path)),
        as_sets(&read_json(&example_snapshot()))
    );
}

#[test]
fn at_the_quota_nothing_is_throttled() {
    let s = Scratch::new();
    let (out, _) = snapshot_with(&s, "per-permission-set", None, &[]);
    assert_success(&out);
    let throttled: Vec<_> = calls(s.dir.path())
        .into_iter()
        .filter(|(_, status)| *status == 400)
        .collect();
    assert!(throttled.is_empty(), "{throttled:?}");
}

#[test]
fn a_throttling_storm_that_outlasts_the_retries_stops_the_run() {
    let s = Scratch::new();
    let config = json!({"rates": {"sso-admin": 0.5}});
    let (out, path) = snapshot_with(
        &s,
        "per-permission-set",
        Some(&config),
        &["--sso-admin-rps", "200", "--max-attempts", "2"],
    );
    assert_fails_with(&out, "throttled 2 times in a row");
    assert!(!path.exists(), "no snapshot is written");
}

#[test]
fn server_errors_are_retried() {
    let s = Scratch::new();
    let config = json!({"fail_5xx": {"identitystore:ListUsers": 2}});
    let (out, path) = snapshot_with(&s, "per-permission-set", Some(&config), &[]);
    assert_success(&out);
    assert_eq!(
        as_sets(&read_json(&path)),
        as_sets(&read_json(&example_snapshot()))
    );
}

#[test]
fn access_denied_names_the_action_and_resource() {
    let s = Scratch::new();
    let config = json!({"deny": ["identitystore:ListUsers"]});
    let (out, path) = snapshot_with(&s, "auto", Some(&config), &[]);
    assert!(!out.status.success());
    let message = stderr(&out);
    assert!(
        message.contains("access denied: identitystore:ListUsers on d-"),
        "{message}"
    );
    assert!(
        message.contains("Allow the IAM action identitystore:ListUsers"),
        "{message}"
    );
    assert!(!path.exists());
}

#[test]
fn without_organizations_access_names_are_empty_and_a_warning_says_so() {
    let s = Scratch::new();
    let config = json!({"deny": ["organizations:ListAccounts"]});
    let (out, path) = snapshot_with(&s, "per-permission-set", Some(&config), &[]);
    assert_success(&out);
    assert_stderr_has(&out, "warning: account names are empty");
    assert_eq!(read_json(&path)["accounts"], json!([]));
}

#[test]
fn a_repeated_next_token_stops_instead_of_looping() {
    let s = Scratch::new();
    let config = json!({"repeat_next_token": ["identitystore:ListGroups"]});
    let (out, _) = snapshot_with(&s, "per-permission-set", Some(&config), &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("identitystore:ListGroups")
            && stderr(&out).contains("same NextToken twice"),
        "{}",
        stderr(&out)
    );
}

/// The example's report from the live directory read with `strategy` (`live.csv`) and from
/// the snapshot file `snapshot` (`offline.csv`).
fn live_and_from_file(s: &Scratch, strategy: &str, snapshot: &Path) {
    let emulator = moto(&example_snapshot(), None, s.dir.path());
    let logs = example_logs().display().to_string();
    let common = [
        "--cloudtrail-logs",
        &logs,
        "--as-of",
        "2026-11-22T00:00:00Z",
    ];
    let generate = |directory: &[&str], name: &str| {
        let mut words = args(&["generate"]);
        words.extend(args(directory));
        words.extend(args(&common));
        words.extend(["--output".to_owned(), s.path(name).display().to_string()]);
        words
    };
    let live = generate(&["--assignment-strategy", strategy], "live.csv");
    assert_success(&run_against(&emulator.endpoint(), &live));
    let snapshot = snapshot.display().to_string();
    let offline = generate(&["--directory-snapshot", &snapshot], "offline.csv");
    assert_success(&run(&offline));
}

#[test]
fn live_directory_report_equals_the_snapshot_file_report() {
    let s = Scratch::new();
    live_and_from_file(&s, "per-permission-set", &example_snapshot());
    assert_eq!(
        std::fs::read(s.path("live.csv")).unwrap(),
        std::fs::read(s.path("offline.csv")).unwrap()
    );
    let manifest = read_json(&s.path("live.manifest.json"));
    assert_eq!(manifest["directory"]["source"], "aws");
    assert_eq!(
        manifest["directory"]["read"]["assignment_strategy_used"],
        "per-permission-set"
    );
    assert!(
        manifest["directory"]["read"]["calls"]["sso:ListAccountAssignments"]["calls"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(
        manifest["report"]["principals_not_found"].as_u64().unwrap() > 0,
        "deleted principals give NOT_FOUND rows"
    );
}

#[test]
fn snapshot_round_trip_gives_the_same_report() {
    let s = Scratch::new();
    let (out, path) = snapshot_with(&s, "per-permission-set", None, &[]);
    assert_success(&out);
    let report = |snapshot: &Path, name: &str| {
        let out = s.path(name);
        assert_success(&run(&args(&[
            "generate",
            "--directory-snapshot",
            &snapshot.display().to_string(),
            "--cloudtrail-logs",
            &example_logs().display().to_string(),
            "--as-of",
            "2026-11-22T00:00:00Z",
            "--output",
            &out.display().to_string(),
        ])));
        std::fs::read(out).unwrap()
    };
    assert_eq!(
        report(&path, "round-trip.csv"),
        report(&example_snapshot(), "original.csv")
    );
}

#[test]
fn a_snapshot_carries_its_reads_warnings_into_the_report() {
    let s = Scratch::new();
    let (out, path) = snapshot_with(&s, "per-principal", None, &[]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("(deleted_principals_not_listed)"),
        "the snapshot command says what it cannot see: {}",
        stderr(&out)
    );
    let written = read_json(&path);
    assert_eq!(written["read"]["assignment_strategy_used"], "per-principal");
    live_and_from_file(&s, "per-principal", &path);
    let codes = |name: &str| -> Vec<String> {
        read_json(&s.path(name))["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["code"].as_str().unwrap().to_owned())
            .collect()
    };
    let live_codes = codes("live.manifest.json");
    assert!(
        live_codes.contains(&"deleted_principals_not_listed".to_owned()),
        "{live_codes:?}"
    );
    assert_eq!(
        codes("offline.manifest.json"),
        live_codes,
        "the same warnings, in order"
    );
}
