//! Account access manager entitlements: rows like assignments (`assignment_type`
//! `ENTITLEMENT`, the role in `role_arn`, groups expanded), whose use is UNKNOWN and never
//! planned for removal; read live from the emulator's account-access API (moto_server.py).

use crate::emulators::{calls, generate_with_denied, moto, run_against};
use crate::util::*;
use serde_json::{json, Value};

const PROD: &str = "111111111111";
const DEV: &str = "222222222222";
const APPLICATION: &str = "arn:aws:account-access:us-east-1:111111111111:application/app-1";
const BREAK_GLASS: &str = "arn:aws:iam::111111111111:role/BreakGlass";
const SUPPORT: &str = "arn:aws:iam::222222222222:role/Support";

fn entitlement(id: &str, kind: &str, principal: &str, role: &str, account: &str) -> Value {
    json!({"application_arn": APPLICATION, "entitlement_id": id, "principal_type": kind,
           "principal_id": principal, "role_arn": role, "account_id": account,
           "created_at": "2026-01-01T00:00:00Z"})
}

/// alice uses prod/Admin and signs in; bob may assume BreakGlass in prod, the Ops group
/// (alice and bob) Support in dev, through account access manager.
fn organization_with_entitlements() -> Value {
    let mut org = organization(vec![
        assign(PROD, PS_ADMIN, "USER", "u-alice"),
        assign(PROD, PS_READ, "USER", "u-bob"),
    ]);
    org["entitlements"] = json!([
        entitlement("ent-1", "USER", "u-bob", BREAK_GLASS, PROD),
        entitlement("ent-2", "GROUP", "g-ops", SUPPORT, DEV),
    ]);
    org
}

fn reported() -> Scratch {
    let s = Scratch::new();
    s.write_snapshot(&organization_with_entitlements());
    s.deliver(&[
        get_role_credentials(
            new_identity("u-alice"),
            PROD,
            "AdministratorAccess",
            "2026-11-20T10:00:00Z",
        ),
        user_authentication(new_identity("u-alice"), "Success", "2026-11-20T09:59:00Z"),
    ]);
    assert_success(&s.generate(&[]));
    s
}

fn entitlement_rows(rows: &[Row]) -> Vec<(String, String, String, String)> {
    rows.iter()
        .filter(|r| r["assignment_type"] == "ENTITLEMENT")
        .map(|r| {
            (
                r["user_name"].clone(),
                r["group_name"].clone(),
                r["role_arn"].clone(),
                r["usage_status"].clone(),
            )
        })
        .collect()
}

#[test]
fn entitlements_give_unknown_rows_with_their_role_groups_expanded() {
    let s = reported();
    let rows = read_rows(&s.report());
    let unknown = "UNKNOWN".to_owned();
    assert_eq!(
        entitlement_rows(&rows),
        [
            (
                "bob".into(),
                String::new(),
                BREAK_GLASS.into(),
                unknown.clone()
            ),
            (
                "alice".into(),
                "Ops".into(),
                SUPPORT.into(),
                unknown.clone()
            ),
            ("bob".into(), "Ops".into(), SUPPORT.into(), unknown),
        ]
    );
    let alice_support = rows
        .iter()
        .find(|r| r["role_arn"] == SUPPORT && r["user_name"] == "alice")
        .unwrap();
    assert_eq!(alice_support["last_portal_sign_in"], "2026-11-20T09:59:00Z");
    assert_eq!(alice_support["days_since_last_used"], "");
    assert_eq!(alice_support["account_name"], "dev");
    assert_eq!(row(&rows, "bob", "ReadOnlyAccess")["role_arn"], "");

    let manifest = s.manifest();
    assert_eq!(manifest["report"]["unknown"], 3);
    assert_eq!(manifest["report"]["unused"], 1, "bob's ReadOnlyAccess only");
    let reason = manifest["report"]["unknown_reason"].as_str().unwrap();
    assert!(reason.contains("never UNUSED"), "{reason}");
    let html = std::fs::read_to_string(s.path("out/report.html")).unwrap();
    assert!(html.contains(SUPPORT) && html.contains("ENTITLEMENT"));
    let users = read_rows(&s.path("out/report.users.csv"));
    let bob = users.iter().find(|u| u["user_name"] == "bob").unwrap();
    assert_eq!(
        bob["assignments"], "3",
        "ReadOnlyAccess and two entitlements"
    );
}

#[test]
fn entitlements_and_the_users_who_hold_them_are_never_planned_for_removal() {
    let s = reported();
    let plan_path = s.path("plan.json").display().to_string();
    let report = s.report().display().to_string();
    let out = run(&args(&[
        "plan-removal",
        "--report",
        &report,
        "--output",
        &plan_path,
        "--include-users",
        "--accept-warnings",
        "stale_report",
    ]));
    assert_success(&out);
    let plan = read_json(std::path::Path::new(&plan_path));
    let planned: Vec<&str> = field_of(&plan["assignments"], "permission_set_name");
    assert_eq!(planned, ["ReadOnlyAccess"], "bob's unused assignment only");
    // bob has no evidence of use, but keeps access through his entitlements.
    assert_eq!(plan["users"], json!([]));
}

fn snapshot_from(s: &Scratch, config: Option<&Value>, name: &str) -> (Value, Vec<(String, u64)>) {
    let emulator = moto(&s.snapshot(), config, s.dir.path());
    let live = s.path(name);
    let out = run_against(
        &emulator.endpoint(),
        &args(&["snapshot", "--output", &live.display().to_string()]),
    );
    assert_success(&out);
    drop(emulator);
    (read_json(&live), calls(s.dir.path()))
}

#[test]
fn the_live_directory_reads_the_instance_entitlements_only() {
    let s = Scratch::new();
    let organization = organization_with_entitlements();
    s.write_snapshot(&organization);
    // The emulator also serves an application of another instance, which is left out.
    let (live, log) = snapshot_from(&s, None, "live.json");
    assert_eq!(live["entitlements"], organization["entitlements"]);
    let listed = |log: &[(String, u64)], status| {
        log.iter()
            .filter(|(a, st)| a == "account-access:ListEntitlements" && *st == status)
            .count()
    };
    assert_eq!(listed(&log, 200), 1, "one listing for the one application");

    // A service that wants a criterion in the filter: listed per account instead.
    let strict = json!({"account_access_filter_needs_criterion": true});
    let (live, log) = snapshot_from(&s, Some(&strict), "strict.json");
    assert_eq!(live["entitlements"], organization["entitlements"]);
    assert!(listed(&log, 400) >= 1 && listed(&log, 200) >= 2, "{log:?}");
}

#[test]
fn a_refused_account_access_api_is_a_warning_not_a_silent_gap() {
    let s = Scratch::new();
    s.write_snapshot(&organization_with_entitlements());
    s.deliver(&[user_authentication(
        new_identity("u-alice"),
        "Success",
        "2026-11-20T09:59:00Z",
    )]);
    let manifest = generate_with_denied(&s, "account-access:ListApplications");
    let warning = manifest["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "entitlements_not_read")
        .expect("a warning");
    assert!(warning["message"]
        .as_str()
        .unwrap()
        .contains("account-access:ListApplications"));
    assert!(entitlement_rows(&read_rows(&s.path("denied.csv"))).is_empty());
}
