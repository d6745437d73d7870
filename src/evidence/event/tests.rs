//! The event rules on published and damaged events.

use super::*;
use serde_json::{json, Value};

fn published(name: &str) -> Value {
    let path = format!(
        "{}/../shared/fixtures/cloudtrail/published/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e} (is ../shared beside the checkout?)"));
    let value: Value = serde_json::from_str(&text).unwrap();
    match value.get("Records") {
        Some(records) => records[0].clone(),
        None => value,
    }
}

fn observe_value(event: &Value) -> Result<Option<Observation>, EventError> {
    observe(&serde_json::to_vec(event).unwrap())
}

fn use_of(event: &Value) -> (UsageKey, i64) {
    match observe_value(event).unwrap() {
        Some(Observation::Use { key, time, .. }) => (key, time),
        other => panic!("expected a use, got {other:?}"),
    }
}

#[test]
fn new_format_get_role_credentials_is_cli_use_by_on_behalf_of() {
    let (key, time) = use_of(&published("idc-new-GetRoleCredentials.json"));
    assert_eq!(key.kind, UseKind::Cli);
    assert_eq!(key.account_id, "950363612855");
    assert_eq!(key.role_name, "AdministratorAccess");
    assert_eq!(
        key.user.on_behalf_of_user_id.as_deref(),
        Some("976710cc5d-9d976f61-3b89-4b98-88db-2ea3bbc1f3fa")
    );
    assert_eq!(
        key.user.identity_store_arn.as_deref(),
        Some("arn:aws:identitystore::607481581596:identitystore/d-976710cc5d")
    );
    assert_eq!(key.user.user_name, None);
    assert_eq!(time, parse_event_time("2026-07-01T00:08:20Z").unwrap());
}

#[test]
fn old_format_federate_is_console_use_by_name_and_principal() {
    let (key, _) = use_of(&published("idc-old-Federate-seed.json"));
    assert_eq!(key.kind, UseKind::Console);
    assert_eq!(key.account_id, "sampleaccountid2");
    assert_eq!(key.user.user_name.as_deref(), Some("ssouser01"));
    assert_eq!(
        key.user.principal_id.as_deref(),
        Some("95671c316d-7a6a2ff4-4eb0-414a-9447-a1decc0c7c1e")
    );
    assert_eq!(key.user.on_behalf_of_user_id, None);
}

#[test]
fn portal_sign_ins_in_every_generation() {
    for name in [
        "idc-old-UserAuthentication-seed.json",
        "idc-old-UserAuthentication.json",
        "idc-transitional-UserAuthentication.json",
    ] {
        let (key, _) = use_of(&published(name));
        assert_eq!(key.kind, UseKind::PortalSignIn, "{name}");
        assert_eq!(
            (key.account_id.as_str(), key.role_name.as_str()),
            ("", ""),
            "{name}"
        );
    }
    let (key, _) = use_of(&published("idc-transitional-UserAuthentication.json"));
    assert_eq!(
        key.user.on_behalf_of_user_id.as_deref(),
        Some("f12bb510-a011-702f-10dd-5607e2776dbc")
    );
    assert_eq!(key.user.user_name.as_deref(), Some("demo-user-2"));
}

#[test]
fn listings_sign_in_steps_and_member_account_events_are_not_uses() {
    for name in [
        "idc-new-ListAccounts.json",
        "idc-new-ListAccountRoles.json",
        "idc-new-ListApplications.json",
        "idc-new-CreateToken.json",
        "idc-old-CreateToken.json",
        "idc-2017-portal-url-eventname.json",
        "idc-old-CredentialChallenge.json",
        "idc-old-CredentialVerification-a.json",
        "idc-transitional-CredentialVerification.json",
        "member-AssumeRoleWithSAML.json",
        "member-ConsoleLogin-sso-role-seed.json",
        "member-GetCallerIdentity-onBehalfOf.json",
    ] {
        assert_eq!(observe_value(&published(name)).unwrap(), None, "{name}");
    }
}

#[test]
fn events_with_an_error_code_are_not_evidence() {
    let mut event = published("idc-new-GetRoleCredentials.json");
    event["errorCode"] = json!("AccessDenied");
    assert_eq!(observe_value(&event).unwrap(), Some(Observation::Failed));
    event["errorCode"] = json!(null);
    assert!(matches!(
        observe_value(&event).unwrap(),
        Some(Observation::Use { .. })
    ));
    event["errorCode"] = json!("");
    assert!(matches!(
        observe_value(&event).unwrap(),
        Some(Observation::Use { .. })
    ));
}

#[test]
fn a_name_only_sign_in_counts_only_when_it_is_to_the_access_portal() {
    let mut event = published("idc-old-UserAuthentication.json");
    assert!(observe_value(&event).unwrap().is_some());
    event["additionalEventData"]["LoginTo"] = json!("https://clients.amazonaws.com/workspaces/");
    assert_eq!(
        observe_value(&event).unwrap(),
        None,
        "WorkSpaces Personal's sign-in"
    );
    event.as_object_mut().unwrap().remove("additionalEventData");
    assert_eq!(
        observe_value(&event).unwrap(),
        None,
        "no LoginTo: cannot be told apart"
    );
    let mut event = published("idc-transitional-UserAuthentication.json");
    event["additionalEventData"]["LoginTo"] = json!("https://clients.amazonaws.com/workspaces/");
    assert!(
        observe_value(&event).unwrap().is_some(),
        "onBehalfOf: judged by its identity store"
    );
}

/// Every field the rules read, in every published use event, replaced by a value of
/// another JSON type: the event is refused, or (a field its rule does not read) observed
/// as before. Never a silent drop.
#[test]
fn a_field_of_the_wrong_type_is_refused_in_every_published_use_event() {
    const PATHS: [&str; 12] = [
        "eventTime",
        "userIdentity",
        "userIdentity.onBehalfOf",
        "userIdentity.onBehalfOf.userId",
        "userIdentity.onBehalfOf.identityStoreArn",
        "userIdentity.principalId",
        "userIdentity.userName",
        "serviceEventDetails",
        "serviceEventDetails.account_id",
        "serviceEventDetails.role_name",
        "serviceEventDetails.UserAuthentication",
        "additionalEventData.LoginTo",
    ];
    let dir = format!(
        "{}/../shared/fixtures/cloudtrail/published",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut damaged = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.ends_with(".json") {
            continue;
        }
        let event = published(&name);
        let Ok(Some(original @ Observation::Use { .. })) = observe_value(&event) else {
            continue;
        };
        for path in PATHS {
            let keys: Vec<&str> = path.split('.').collect();
            let Some(present) = keys.iter().try_fold(&event, |v, k| v.get(*k)) else {
                continue;
            };
            let others = match present {
                Value::Object(_) => vec![json!(42), json!(true), json!([1]), json!("not json")],
                _ => vec![json!(42), json!(true), json!([1]), json!({"x": "y"})],
            };
            for other in others {
                let mut copy = event.clone();
                let (last, parents) = keys.split_last().unwrap();
                let parent = parents.iter().fold(&mut copy, |v, k| &mut v[*k]);
                parent[*last] = other.clone();
                match observe_value(&copy) {
                    Err(_) => damaged += 1,
                    Ok(Some(seen)) if seen == original => {}
                    found => panic!("{name}: {path} = {other} gave {found:?}"),
                }
            }
        }
    }
    assert!(damaged > 50, "only {damaged} damaged events were refused");
}

#[test]
fn failed_portal_sign_in_is_not_evidence() {
    let mut event = published("idc-old-UserAuthentication.json");
    event["serviceEventDetails"]["UserAuthentication"] = json!("Failure");
    assert_eq!(observe_value(&event).unwrap(), None);
}

#[test]
fn federate_without_account_and_role_is_an_application_sign_in() {
    let mut event = published("idc-old-Federate-seed.json");
    event["serviceEventDetails"] = json!({"account_id": "111111111111"});
    assert_eq!(observe_value(&event).unwrap(), None);
    event["serviceEventDetails"] = json!({"role_name": "AdministratorAccess"});
    assert_eq!(observe_value(&event).unwrap(), None);
    event.as_object_mut().unwrap().remove("serviceEventDetails");
    assert_eq!(observe_value(&event).unwrap(), None);
}

#[test]
fn event_source_must_match_the_event_name() {
    let mut event = published("idc-new-GetRoleCredentials.json");
    event["eventSource"] = json!("signin.amazonaws.com");
    assert_eq!(observe_value(&event).unwrap(), None);
}

#[test]
fn a_use_event_that_cannot_be_read_is_an_error() {
    let mut event = published("idc-new-GetRoleCredentials.json");
    event["eventTime"] = json!(1751328500);
    let err = observe_value(&event).unwrap_err();
    assert_eq!(
        err.to_string(),
        "GetRoleCredentials event has eventTime missing or not a string"
    );
    event["eventTime"] = json!("yesterday");
    assert!(observe_value(&event).is_err());
    event.as_object_mut().unwrap().remove("eventTime");
    assert!(observe_value(&event).is_err());
}

#[test]
fn other_events_may_have_any_shape() {
    let event = json!({"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances", "eventTime": 5,
        "userIdentity": "odd", "serviceEventDetails": [1, {"a": null}], "errorCode": {"x": 1}});
    assert_eq!(observe_value(&event).unwrap(), None);
    assert_eq!(observe_value(&json!({})).unwrap(), None);
    assert!(observe(b"{not json").is_err());
}

#[test]
fn escaped_strings_are_decoded() {
    let mut event = published("idc-old-Federate-seed.json");
    event["userIdentity"]["userName"] = json!("o\"brien\u{e9}");
    let (key, _) = use_of(&event);
    assert_eq!(key.user.user_name.as_deref(), Some("o\"brien\u{e9}"));
}
