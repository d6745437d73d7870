//! Every evidence rule from the README, each with a test that fails if the rule is broken.

use crate::util::*;
use serde_json::json;

fn admin_for_alice() -> Vec<serde_json::Value> {
    vec![assign("111111111111", PS_ADMIN, "USER", "u-alice")]
}

#[test]
fn console_and_cli_uses_fill_their_columns_and_last_used_is_the_later() {
    let s = Scratch::new();
    s.write_snapshot(&organization(admin_for_alice()));
    s.deliver(&[
        federate(
            new_identity("u-alice"),
            "111111111111",
            "AdministratorAccess",
            "2026-11-01T10:00:00Z",
        ),
        get_role_credentials(
            new_identity("u-alice"),
            "111111111111",
            "AdministratorAccess",
            "2026-11-20T09:30:00Z",
        ),
        federate(
            new_identity("u-alice"),
            "111111111111",
            "AdministratorAccess",
            "2026-10-01T10:00:00Z",
        ),
    ]);
    let rows = s.rows(&[]);
    let r = row(&rows, "alice", "AdministratorAccess");
    assert_eq!(r["last_console_use"], "2026-11-01T10:00:00Z");
    assert_eq!(r["last_cli_use"], "2026-11-20T09:30:00Z");
    assert_eq!(r["last_used"], "2026-11-20T09:30:00Z");
    assert_eq!(r["days_since_last_used"], "1");
    assert_eq!(r["usage_status"], "USED");
}

#[test]
fn cli_only_users_are_used() {
    let s = Scratch::new();
    s.write_snapshot(&organization(admin_for_alice()));
    s.deliver(&[get_role_credentials(
        new_identity("u-alice"),
        "111111111111",
        "AdministratorAccess",
        "2026-11-21T00:00:00Z",
    )]);
    let rows = s.rows(&[]);
    let r = row(&rows, "alice", "AdministratorAccess");
    assert_eq!(
        (r["usage_status"].as_str(), r["last_console_use"].as_str()),
        ("USED", "")
    );
}

#[test]
fn window_includes_both_ends_and_nothing_outside() {
    let s = Scratch::new();
    let mut assignments = admin_for_alice();
    assignments.push(assign("111111111111", PS_ADMIN, "USER", "u-bob"));
    assignments.push(assign("222222222222", PS_ADMIN, "USER", "u-alice"));
    assignments.push(assign("222222222222", PS_ADMIN, "USER", "u-bob"));
    s.write_snapshot(&organization(assignments));
    // --lookback-days 10 from 2026-11-22T00:00:00Z starts at 2026-11-12T00:00:00Z.
    s.deliver(&[
        federate(
            new_identity("u-alice"),
            "111111111111",
            "AdministratorAccess",
            "2026-11-12T00:00:00Z",
        ),
        federate(
            new_identity("u-bob"),
            "111111111111",
            "AdministratorAccess",
            "2026-11-11T23:59:59Z",
        ),
        federate(
            new_identity("u-alice"),
            "222222222222",
            "AdministratorAccess",
            "2026-11-22T00:00:00Z",
        ),
        federate(
            new_identity("u-bob"),
            "222222222222",
            "AdministratorAccess",
            "2026-11-22T00:00:01Z",
        ),
    ]);
    let rows = s.rows(&["--lookback-days", "10"]);
    let used: Vec<(&str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["account_id"].as_str(),
                r["user_name"].as_str(),
                r["usage_status"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        used,
        [
            ("111111111111", "alice", "USED"),
            ("111111111111", "bob", "UNUSED"),
            ("222222222222", "alice", "USED"),
            ("222222222222", "bob", "UNUSED"),
        ]
    );
    let manifest = s.manifest();
    assert_eq!(manifest["window_start"], "2026-11-12T00:00:00Z");
    assert_eq!(manifest["as_of"], AS_OF);
}

#[test]
fn events_with_an_error_code_are_not_evidence() {
    let s = Scratch::new();
    s.write_snapshot(&organization(admin_for_alice()));
    let mut denied = get_role_credentials(
        new_identity("u-alice"),
        "111111111111",
        "AdministratorAccess",
        "2026-11-21T00:00:00Z",
    );
    denied["errorCode"] = json!("AccessDenied");
    denied["errorMessage"] = json!("no");
    s.deliver(&[denied]);
    let rows = s.rows(&[]);
    assert_eq!(
        row(&rows, "alice", "AdministratorAccess")["usage_status"],
        "UNUSED"
    );
    assert_eq!(s.manifest()["evidence"]["failed_events"], 1);
}

#[test]
fn the_permission_set_is_matched_by_name_and_the_account_by_id() {
    let s = Scratch::new();
    let mut assignments = admin_for_alice();
    assignments.push(assign("111111111111", PS_READ, "USER", "u-alice"));
    s.write_snapshot(&organization(assignments));
    s.deliver(&[
        federate(
            new_identity("u-alice"),
            "111111111111",
            "ReadOnlyAccess",
            "2026-11-21T00:00:00Z",
        ),
        federate(
            new_identity("u-alice"),
            "222222222222",
            "AdministratorAccess",
            "2026-11-21T00:00:00Z",
        ),
        federate(
            new_identity("u-alice"),
            "111111111111",
            "administratoraccess",
            "2026-11-21T00:00:00Z",
        ),
    ]);
    let rows = s.rows(&[]);
    assert_eq!(
        row(&rows, "alice", "ReadOnlyAccess")["usage_status"],
        "USED"
    );
    assert_eq!(
        row(&rows, "alice", "AdministratorAccess")["usage_status"],
        "UNUSED"
    );
    assert_eq!(rows.len(), 2, "uses without an assignment create no rows");
    let manifest = s.manifest();
    assert_eq!(manifest["attribution"]["uses_without_assignment"], 2);
    let codes: Vec<&str> = field_of(&manifest["warnings"], "code");
    assert!(codes.contains(&"uses_without_assignment"), "{codes:?}");
}

#[test]
fn principal_id_then_user_name_attribute_old_events() {
    let s = Scratch::new();
    let mut assignments = admin_for_alice();
    assignments.push(assign("111111111111", PS_ADMIN, "USER", "u-bob"));
    s.write_snapshot(&organization(assignments));
    s.deliver(&[
        // principalId is bob's user id: it wins over the user name.
        federate(
            old_identity("u-bob", "alice"),
            "111111111111",
            "AdministratorAccess",
            "2026-11-20T00:00:00Z",
        ),
        // principalId is an account id: the user name decides, case-insensitively.
        user_authentication(
            old_identity("999999999999", "ALICE"),
            "Success",
            "2026-11-19T00:00:00Z",
        ),
    ]);
    let rows = s.rows(&[]);
    assert_eq!(
        row(&rows, "bob", "AdministratorAccess")["last_console_use"],
        "2026-11-20T00:00:00Z"
    );
    assert_eq!(
        row(&rows, "alice", "AdministratorAccess")["usage_status"],
        "UNUSED"
    );
    assert_eq!(
        row(&rows, "alice", "AdministratorAccess")["last_portal_sign_in"],
        "2026-11-19T00:00:00Z"
    );
}

#[test]
fn a_user_name_older_than_the_user_belongs_to_someone_else() {
    let s = Scratch::new();
    s.write_snapshot(&organization(vec![assign(
        "111111111111",
        PS_ADMIN,
        "USER",
        "u-carol",
    )]));
    // carol was created 2026-10-01; an earlier "carol" used the account in September.
    s.deliver(&[federate(
        old_identity("999999999999", "carol"),
        "111111111111",
        "AdministratorAccess",
        "2026-09-30T23:59:59Z",
    )]);
    let rows = s.rows(&[]);
    // Not credited to carol; and, created inside the window, she is NEW rather than UNUSED.
    assert_eq!(
        row(&rows, "carol", "AdministratorAccess")["usage_status"],
        "NEW"
    );
    assert_eq!(
        s.manifest()["attribution"]["keys_user_name_before_creation"],
        1
    );

    s.deliver(&[federate(
        old_identity("999999999999", "carol"),
        "111111111111",
        "AdministratorAccess",
        "2026-10-01T00:00:00Z",
    )]);
    let rows = s.rows(&[]);
    assert_eq!(
        row(&rows, "carol", "AdministratorAccess")["last_console_use"],
        "2026-10-01T00:00:00Z"
    );
}

#[test]
fn on_behalf_of_wins_and_another_identity_store_is_ignored() {
    let s = Scratch::new();
    let mut assignments = admin_for_alice();
    assignments.push(assign("111111111111", PS_ADMIN, "USER", "u-bob"));
    s.write_snapshot(&organization(assignments));
    let mut transitional = old_identity("999999999999", "alice");
    transitional["onBehalfOf"] = json!({"userId": "u-bob", "identityStoreArn": STORE_ARN});
    let mut foreign = new_identity("u-alice");
    foreign["onBehalfOf"]["identityStoreArn"] =
        json!("arn:aws:identitystore::999999999999:identitystore/d-2222222222");
    s.deliver(&[
        federate(
            transitional,
            "111111111111",
            "AdministratorAccess",
            "2026-11-20T00:00:00Z",
        ),
        federate(
            foreign,
            "111111111111",
            "AdministratorAccess",
            "2026-11-21T00:00:00Z",
        ),
    ]);
    let rows = s.rows(&[]);
    assert_eq!(
        row(&rows, "bob", "AdministratorAccess")["usage_status"],
        "USED"
    );
    assert_eq!(
        row(&rows, "alice", "AdministratorAccess")["usage_status"],
        "UNUSED"
    );
    assert_eq!(s.manifest()["attribution"]["keys_other_identity_store"], 1);
}

#[test]
fn only_successful_user_authentication_is_a_portal_sign_in() {
    let s = Scratch::new();
    s.write_snapshot(&organization(admin_for_alice()));
    s.deliver(&[
        user_authentication(new_identity("u-alice"), "Success", "2026-11-10T00:00:00Z"),
        user_authentication(new_identity("u-alice"), "Failure", "2026-11-15T00:00:00Z"),
    ]);
    let rows = s.rows(&[]);
    let r = row(&rows, "alice", "AdministratorAccess");
    assert_eq!(r["last_portal_sign_in"], "2026-11-10T00:00:00Z");
    assert_eq!(
        r["usage_status"], "UNUSED",
        "a portal sign-in is not a use of an assignment"
    );
}

#[test]
fn a_use_credits_direct_and_group_assignments_alike() {
    let s = Scratch::new();
    s.write_snapshot(&organization(vec![
        assign("111111111111", PS_ADMIN, "USER", "u-alice"),
        assign("111111111111", PS_ADMIN, "GROUP", "g-ops"),
        assign("111111111111", PS_ADMIN, "GROUP", "g-empty"),
    ]));
    s.deliver(&[get_role_credentials(
        new_identity("u-alice"),
        "111111111111",
        "AdministratorAccess",
        "2026-11-21T00:00:00Z",
    )]);
    let rows = s.rows(&[]);
    let summary: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["user_name"].as_str(),
                r["assignment_type"].as_str(),
                r["group_name"].as_str(),
                r["usage_status"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("alice", "GROUP", "Ops", "USED"),
            ("alice", "USER", "", "USED"),
            ("bob", "GROUP", "Ops", "UNUSED")
        ],
        "a group without members gives no rows"
    );
    assert_eq!(rows[2]["group_id"], "g-ops");
    assert_eq!(rows[1]["group_id"], "");
}

#[test]
fn deleted_principals_get_not_found_rows() {
    let s = Scratch::new();
    s.write_snapshot(&organization(vec![
        assign("111111111111", PS_ADMIN, "USER", "u-gone"),
        assign("111111111111", PS_READ, "GROUP", "g-gone"),
    ]));
    s.deliver(&[federate(
        new_identity("u-gone"),
        "111111111111",
        "AdministratorAccess",
        "2026-11-21T00:00:00Z",
    )]);
    let rows = s.rows(&[]);
    assert_eq!(rows.len(), 2);
    let user_row = rows.iter().find(|r| r["user_id"] == "u-gone").unwrap();
    assert_eq!(
        (
            user_row["user_name"].as_str(),
            user_row["user_status"].as_str(),
            user_row["usage_status"].as_str()
        ),
        ("", "NOT_FOUND", "UNUSED")
    );
    let group_row = rows.iter().find(|r| r["group_id"] == "g-gone").unwrap();
    assert_eq!(
        (
            group_row["user_id"].as_str(),
            group_row["user_status"].as_str()
        ),
        ("", "NOT_FOUND")
    );
    assert_eq!(s.manifest()["report"]["principals_not_found"], 2);
}

#[test]
fn duplicate_deliveries_count_once() {
    let s = Scratch::new();
    s.write_snapshot(&organization(admin_for_alice()));
    let event = federate(
        new_identity("u-alice"),
        "111111111111",
        "AdministratorAccess",
        "2026-11-21T00:00:00Z",
    );
    for _ in 0..3 {
        s.deliver(std::slice::from_ref(&event));
    }
    s.deliver(&[event.clone(), event]);
    s.rows(&[]);
    let evidence = &s.manifest()["evidence"];
    assert_eq!(
        (
            evidence["evidence_events"].as_u64(),
            evidence["duplicate_events"].as_u64()
        ),
        (Some(1), Some(4))
    );
    assert_eq!(evidence["events_read"], 5);
}

#[test]
fn no_cli_events_is_warned_about() {
    let s = Scratch::new();
    s.write_snapshot(&organization(admin_for_alice()));
    s.deliver(&[federate(
        new_identity("u-alice"),
        "111111111111",
        "AdministratorAccess",
        "2026-11-21T00:00:00Z",
    )]);
    let out = s.generate(&[]);
    assert_success(&out);
    assert_stderr_has(&out, "GetRoleCredentials");
    assert_eq!(s.manifest()["warnings"][0]["code"], "no_cli_events");

    s.deliver(&[get_role_credentials(
        new_identity("u-bob"),
        "111111111111",
        "AdministratorAccess",
        "2026-11-21T00:00:00Z",
    )]);
    s.rows(&[]);
    let codes = s.manifest()["warnings"].to_string();
    assert!(!codes.contains("no_cli_events"), "{codes}");
}

#[test]
fn only_access_portal_sign_ins_count() {
    let s = Scratch::new();
    s.write_snapshot(&organization(vec![
        assign("111111111111", PS_ADMIN, "USER", "u-alice"),
        assign("111111111111", PS_ADMIN, "USER", "u-bob"),
        assign("111111111111", PS_READ, "USER", "u-carol"),
    ]));
    let workspaces = "https://clients.amazonaws.com/workspaces/";
    s.deliver(&[
        // WorkSpaces Personal signs in through the same event, naming its user by name.
        sign_in_to(
            old_identity("999999999999", "alice"),
            "Success",
            "2026-11-19T00:00:00Z",
            workspaces,
        ),
        // A name-only event without LoginTo cannot be told apart either.
        {
            let mut e = user_authentication(
                old_identity("999999999999", "bob"),
                "Success",
                "2026-11-19T00:00:00Z",
            );
            e.as_object_mut().unwrap().remove("additionalEventData");
            e
        },
        // The portal in its dual-stack form; and onBehalfOf of this identity store counts
        // whatever LoginTo says.
        sign_in_to(
            old_identity("999999999999", "bob"),
            "Success",
            "2026-11-18T00:00:00Z",
            "https://ssoins-1111111111111111.portal.us-east-1.app.aws/",
        ),
        sign_in_to(
            new_identity("u-carol"),
            "Success",
            "2026-11-17T00:00:00Z",
            workspaces,
        ),
    ]);
    let rows = s.rows(&[]);
    let portal = |user: &str, set: &str| row(&rows, user, set)["last_portal_sign_in"].clone();
    assert_eq!(
        portal("alice", "AdministratorAccess"),
        "",
        "a WorkSpaces sign-in is not a portal one"
    );
    assert_eq!(portal("bob", "AdministratorAccess"), "2026-11-18T00:00:00Z");
    assert_eq!(portal("carol", "ReadOnlyAccess"), "2026-11-17T00:00:00Z");
}
