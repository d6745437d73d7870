//! `plan-removal` and `apply-removal`: what is planned and why, every refusal, the re-check
//! against the live directory (moto), the cap, the dry run and the audit log.

use crate::emulators::{calls, moto, run_against, Emulator};
use crate::util::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Output;

const PROD: &str = "111111111111";
const DEV: &str = "222222222222";

/// alice uses prod/Admin; bob's prod/ReadOnly and the Ops group's dev/ReadOnly go unused;
/// carol (created 52 days before the report) has not used dev/Admin yet.
pub fn organization_in_use() -> Value {
    organization(vec![
        assign(PROD, PS_ADMIN, "USER", "u-alice"),
        assign(PROD, PS_READ, "USER", "u-bob"),
        assign(DEV, PS_READ, "GROUP", "g-ops"),
        assign(DEV, PS_ADMIN, "USER", "u-carol"),
    ])
}

/// A scratch with [`organization_in_use`] and `events` delivered, not yet reported on.
fn scratch_with(events: &[Value]) -> Scratch {
    scratch_with_organization(&organization_in_use(), events)
}

fn scratch_with_organization(organization: &Value, events: &[Value]) -> Scratch {
    let s = Scratch::new();
    s.write_snapshot(organization);
    s.deliver(events);
    s
}

/// A scratch with the report of [`organization_in_use`], where alice used prod/Admin, in `out/`.
pub fn reported() -> Scratch {
    let s = scratch_with(&[alice_uses_prod_admin()]);
    assert_success(&s.generate(&[]));
    s
}

fn alice_uses_prod_admin() -> Value {
    get_role_credentials(
        new_identity("u-alice"),
        PROD,
        "AdministratorAccess",
        "2026-11-20T10:00:00Z",
    )
}

fn plan_path(s: &Scratch) -> String {
    s.path("plan.json").display().to_string()
}

fn plan(s: &Scratch, extra: &[&str]) -> Output {
    let report = s.report().display().to_string();
    let output = plan_path(s);
    let mut parts = vec!["plan-removal", "--report", &report, "--output", &output];
    parts.extend_from_slice(extra);
    run(&args(&parts))
}

/// The report is from 2026-11-22, so it is stale today: tests about other things accept that.
fn planned(s: &Scratch, extra: &[&str]) -> Value {
    let mut all = vec!["--accept-warnings", "stale_report"];
    all.extend_from_slice(extra);
    let out = plan(s, &all);
    assert_success(&out);
    read_json(Path::new(&plan_path(s)))
}

fn planned_targets(plan: &Value) -> Vec<String> {
    plan["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{} {} {}",
                a["account_id"].as_str().unwrap(),
                a["permission_set_name"].as_str().unwrap(),
                a["principal_name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn the_plan_lists_only_what_went_unused_with_its_evidence() {
    let s = reported();
    let plan = planned(&s, &[]);
    assert_eq!(
        planned_targets(&plan),
        [
            "111111111111 ReadOnlyAccess bob",
            "222222222222 ReadOnlyAccess Ops"
        ],
        "alice's used assignment and new user carol's stay"
    );
    let group = &plan["assignments"][1];
    assert_eq!(group["principal_type"], "GROUP");
    assert_eq!(group["member_user_ids"], json!(["u-alice", "u-bob"]));
    assert!(group["reason"].as_str().unwrap().starts_with(
        "no console or CLI use by any member between 2026-08-24T00:00:00Z and 2026-11-22T00:00:00Z"
    ));
    let manifest = s.manifest();
    assert_eq!(
        plan["evidence"]["report_sha256"],
        manifest["report"]["sha256"]
    );
    assert_eq!(
        plan["evidence"]["users_sha256"],
        manifest["users"]["sha256"]
    );
    assert_eq!(plan["accepted_warnings"][0]["code"], "stale_report");
    assert_eq!(plan["users"], json!([]), "users only with --include-users");
}

#[test]
fn users_are_planned_only_when_inactive_and_left_without_access() {
    let s = reported();
    let plan = planned(&s, &["--include-users"]);
    let users: Vec<&str> = field_of(&plan["users"], "user_name");
    // alice is active; carol is new; bob loses both his assignments in this plan.
    assert_eq!(users, ["bob"]);
}

#[test]
fn a_shorter_unused_period_plans_less_and_a_longer_one_than_the_window_is_refused() {
    let s = scratch_with(&[get_role_credentials(
        new_identity("u-bob"),
        PROD,
        "ReadOnlyAccess",
        "2026-10-01T00:00:00Z",
    )]);
    assert_success(&s.generate(&[]));
    // bob used prod/ReadOnly 52 days before the report: unused for 30 days, not for 60.
    let bob = "111111111111 ReadOnlyAccess bob".to_owned();
    assert!(planned_targets(&planned(&s, &["--unused-days", "30"])).contains(&bob));
    assert!(!planned_targets(&planned(&s, &["--unused-days", "60"])).contains(&bob));
    let out = plan(
        &s,
        &["--unused-days", "120", "--accept-warnings", "stale_report"],
    );
    assert_fails_with(&out, "window_shorter_than_unused_days");
}

#[test]
fn warnings_stop_the_plan_until_each_is_accepted_by_name() {
    // Console use only: the manifest warns that CLI use may be invisible.
    let s = scratch_with(&[federate(
        new_identity("u-alice"),
        PROD,
        "AdministratorAccess",
        "2026-11-20T10:00:00Z",
    )]);
    assert_success(&s.generate(&[]));
    let out = plan(&s, &[]);
    assert!(!out.status.success());
    let message = stderr(&out);
    for code in [
        "no_cli_events",
        "stale_report",
        "--accept-warnings no_cli_events,stale_report",
    ] {
        assert!(message.contains(code), "{code:?} not in: {message}");
    }
    assert!(!Path::new(&plan_path(&s)).exists(), "no plan on refusal");
    let out = plan(&s, &["--accept-warnings", "stale_report"]);
    assert!(!out.status.success(), "one accepted warning is not all");
    let plan = planned(&s, &["--accept-warnings", "no_cli_events"]);
    let accepted: Vec<&str> = field_of(&plan["accepted_warnings"], "code");
    assert_eq!(accepted, ["no_cli_events", "stale_report"]);
}

#[test]
fn skipped_log_files_stop_the_plan() {
    let s = scratch_with(&[alice_uses_prod_admin()]);
    s.write_raw_log(
        "AWSLogs/999999999999/CloudTrail/us-east-1/2026/11/21/broken.json.gz",
        b"not gzip",
    );
    assert_success(&s.generate(&["--allow-malformed-logs"]));
    let out = plan(&s, &["--accept-warnings", "stale_report"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("skipped_files"), "{}", stderr(&out));
}

#[test]
fn an_edited_report_is_refused() {
    let s = reported();
    let report = std::fs::read_to_string(s.report()).unwrap();
    std::fs::write(s.report(), report.replace("USED", "UNUSED")).unwrap();
    let out = plan(&s, &["--accept-warnings", "stale_report"]);
    assert_fails_with(&out, "the file was changed after the report was made");
}

// ---- applying, against the live directory -------------------------------------------------

fn apply(endpoint: &str, s: &Scratch, extra: &[&str]) -> Output {
    apply_logging_to(endpoint, s, "audit.json", extra)
}

fn apply_logging_to(endpoint: &str, s: &Scratch, audit_log: &str, extra: &[&str]) -> Output {
    let plan = plan_path(s);
    let audit = s.path(audit_log).display().to_string();
    let mut parts = vec!["apply-removal", "--plan", &plan, "--audit-log", &audit];
    parts.extend_from_slice(extra);
    run_against(endpoint, &args(&parts))
}

/// The report of [`reported`], a plan from it, and the same directory live in moto.
fn planned_against_the_directory(plan_flags: &[&str]) -> (Scratch, Emulator) {
    let s = reported();
    planned(&s, plan_flags);
    let emulator = moto(&s.snapshot(), None, s.dir.path());
    (s, emulator)
}

fn audit(s: &Scratch) -> Value {
    read_json(&s.path("audit.json"))
}

/// The IAM actions of the calls an audit log item records, in order.
fn call_actions(item: &Value) -> Vec<&str> {
    item["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap())
        .collect()
}

fn sso_calls(dir: &Path, action: &str) -> usize {
    calls(dir).iter().filter(|(a, _)| a == action).count()
}

/// The live directory's assignments, read back with `snapshot`.
fn live_assignments(endpoint: &str, s: &Scratch) -> Vec<String> {
    let path = s.path("live.json");
    let out = run_against(
        endpoint,
        &args(&["snapshot", "--output", &path.display().to_string()]),
    );
    assert_success(&out);
    let mut found: Vec<String> = read_json(&path)["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{} {} {}",
                a["account_id"].as_str().unwrap(),
                a["permission_set_arn"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap(),
                a["principal_id"].as_str().unwrap()
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn a_dry_run_rechecks_everything_and_deletes_nothing() {
    let (s, emulator) = planned_against_the_directory(&[]);
    let out = apply(&emulator.endpoint(), &s, &[]);
    assert_success(&out);
    assert_stderr_has(&out, "dry run: 2 assignment(s)");
    assert_eq!(sso_calls(s.dir.path(), "sso:DeleteAccountAssignment"), 0);
    assert!(sso_calls(s.dir.path(), "sso:ListAccountAssignments") >= 2);
    let log = audit(&s);
    assert_eq!(
        (log["dry_run"].as_bool(), log["would_delete"].as_u64()),
        (Some(true), Some(2))
    );
    assert_eq!(live_assignments(&emulator.endpoint(), &s).len(), 4);
}

#[test]
fn applying_deletes_exactly_the_plan_and_records_every_call() {
    let (s, emulator) = planned_against_the_directory(&[]);
    let out = apply(
        &emulator.endpoint(),
        &s,
        &["--yes", "--approved-by", "reviewer@example.org"],
    );
    assert_success(&out);
    assert_eq!(
        live_assignments(&emulator.endpoint(), &s),
        [
            "111111111111 ps-admin u-alice",
            "222222222222 ps-admin u-carol"
        ]
    );
    let log = audit(&s);
    assert_eq!(log["deleted_assignments"], 2);
    assert_eq!(log["approved_by"], "reviewer@example.org");
    let first = &log["items"][0];
    assert_eq!(first["outcome"], "deleted");
    let actions = call_actions(first);
    // The emulator answers IN_PROGRESS first (as AWS does): the deletion is polled to its end.
    assert_eq!(
        actions,
        [
            "sso:DescribePermissionSet",
            "sso:ListAccountAssignments",
            "sso:DeleteAccountAssignment",
            "sso:DescribeAccountAssignmentDeletionStatus"
        ]
    );
    let restore = first["restore"].as_str().unwrap();
    assert!(restore.starts_with("aws sso-admin create-account-assignment --instance-arn arn:aws:sso:::instance/ssoins-1111111111111111 --target-id 111111111111 --target-type AWS_ACCOUNT"));
    assert!(stderr(&out).contains("to undo: aws sso-admin create-account-assignment"));
    // Applying the same plan again finds nothing left to delete.
    let again = apply_logging_to(&emulator.endpoint(), &s, "audit-2.json", &["--yes"]);
    assert_success(&again);
    let log = read_json(&s.path("audit-2.json"));
    assert_eq!(
        (log["deleted_assignments"].as_u64(), log["skipped"].as_u64()),
        (Some(0), Some(2))
    );
}

#[test]
fn changes_since_the_plan_are_skipped() {
    let s = reported();
    planned(&s, &[]);
    // Since the report: bob's assignment was removed by someone else, and carol joined Ops.
    let mut live = organization_in_use();
    live["assignments"].as_array_mut().unwrap().remove(1);
    live["groups"][0]["member_user_ids"] = json!(["u-alice", "u-bob", "u-carol"]);
    let live_path = s.path("live-snapshot.json");
    std::fs::write(&live_path, live.to_string()).unwrap();
    let emulator = moto(&live_path, None, s.dir.path());
    let out = apply(&emulator.endpoint(), &s, &["--yes"]);
    assert_success(&out);
    let log = audit(&s);
    let reasons: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["reason"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        reasons,
        [
            "the assignment no longer exists",
            "1 user(s) joined the group after the report; their use of it was not checked"
        ]
    );
    assert_eq!(log["skipped"], 2);
    assert_eq!(sso_calls(s.dir.path(), "sso:DeleteAccountAssignment"), 0);
}

#[test]
fn more_deletions_than_the_cap_are_refused_before_any_call() {
    let (s, emulator) = planned_against_the_directory(&[]);
    let out = apply(&emulator.endpoint(), &s, &["--yes", "--max-deletions", "1"]);
    assert_fails_with(&out, "2 deletions, more than the cap of 1");
    assert!(calls(s.dir.path())
        .iter()
        .all(|(a, _)| !a.starts_with("sso:")));
    assert!(!s.path("audit.json").exists());
}

#[test]
fn a_plan_changed_after_review_is_refused() {
    let (s, emulator) = planned_against_the_directory(&[]);
    let out = apply(
        &emulator.endpoint(),
        &s,
        &["--yes", "--plan-sha256", &"0".repeat(64)],
    );
    assert_fails_with(&out, "it changed after approval");
    assert_eq!(sso_calls(s.dir.path(), "sso:DeleteAccountAssignment"), 0);
}

#[test]
fn users_are_deleted_only_when_allowed_and_left_without_access() {
    let (s, emulator) = planned_against_the_directory(&["--include-users"]);
    let out = apply(&emulator.endpoint(), &s, &["--yes"]);
    assert_fails_with(&out, "--allow-user-deletion");
    let out = apply(
        &emulator.endpoint(),
        &s,
        &["--yes", "--allow-user-deletion"],
    );
    assert_success(&out);
    let log = audit(&s);
    assert_eq!(
        (
            log["deleted_assignments"].as_u64(),
            log["deleted_users"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let user = &log["items"][2];
    let actions = call_actions(user);
    assert_eq!(
        actions,
        [
            "identitystore:DescribeUser",
            "sso:ListAccountAssignmentsForPrincipal",
            "identitystore:ListGroupMembershipsForMember",
            "sso:ListAccountAssignmentsForPrincipal",
            "identitystore:DeleteUser"
        ]
    );
    let live = s.path("live.json");
    assert_success(&run_against(
        &emulator.endpoint(),
        &args(&["snapshot", "--output", &live.display().to_string()]),
    ));
    let names: Vec<String> = read_json(&live)["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["alice", "carol"]);
}

#[test]
fn names_the_spreadsheet_quoted_still_match_the_live_directory() {
    // "=bob" is written as "'=bob" in the CSVs; the re-check must compare the real name.
    let mut organization = organization_in_use();
    organization["users"][1]["user_name"] = json!("=bob");
    let s = scratch_with_organization(&organization, &[alice_uses_prod_admin()]);
    assert_success(&s.generate(&[]));
    assert!(std::fs::read_to_string(s.report())
        .unwrap()
        .contains(",'=bob,"));
    let plan = planned(&s, &["--include-users"]);
    assert_eq!(plan["users"][0]["user_name"], "=bob");
    let emulator = moto(&s.snapshot(), None, s.dir.path());
    let out = apply(
        &emulator.endpoint(),
        &s,
        &["--yes", "--allow-user-deletion"],
    );
    assert_success(&out);
    assert_eq!(audit(&s)["deleted_users"], 1, "{}", stderr(&out));
}
