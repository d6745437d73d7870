//! Damaged log files, each kind under both modes: read right, refused naming the file and the
//! event, or (with --allow-malformed-logs) skipped and listed with a warning. Never a silent
//! UNUSED: alice's only evidence is in the damaged file.

use crate::util::*;
use serde_json::json;

/// A scratch where alice holds AdministratorAccess in 111111111111, with no logs yet.
pub fn alice_holds_admin() -> Scratch {
    let s = Scratch::new();
    s.write_snapshot(&organization(vec![assign(
        "111111111111",
        PS_ADMIN,
        "USER",
        "u-alice",
    )]));
    s
}

/// alice's one use, as the JSON text of an event (keys in CloudTrail's order).
fn alice_event() -> String {
    get_role_credentials(
        new_identity("u-alice"),
        "111111111111",
        "AdministratorAccess",
        "2026-11-21T00:00:00Z",
    )
    .to_string()
}

/// The event with `field` (a top-level key) set to the JSON `value`.
fn with_field(field: &str, value: serde_json::Value) -> String {
    let mut event: serde_json::Value = serde_json::from_str(&alice_event()).unwrap();
    event[field] = value;
    event.to_string()
}

/// (kind, file text, read right?)
fn damaged_files() -> Vec<(&'static str, String, bool)> {
    let event = alice_event();
    let details_as_text = with_field(
        "serviceEventDetails",
        json!(r#"{"role_name": "AdministratorAccess", "account_id": "111111111111"}"#),
    );
    let mut identity_list: serde_json::Value = serde_json::from_str(&event).unwrap();
    identity_list["userIdentity"] = json!([identity_list["userIdentity"].clone()]);
    let mut obo_number: serde_json::Value = serde_json::from_str(&event).unwrap();
    obo_number["userIdentity"]["onBehalfOf"]["userId"] = json!(42);
    vec![
        (
            "escaped Records key",
            format!(r#"{{"\u0052ecords": [{event}]}}"#),
            true,
        ),
        (
            "serviceEventDetails as JSON text",
            format!(r#"{{"Records": [{details_as_text}]}}"#),
            true,
        ),
        (
            "Records an object",
            format!(r#"{{"Records": {{"0": {event}}}}}"#),
            false,
        ),
        (
            "records in lower case",
            format!(r#"{{"records": [{event}]}}"#),
            false,
        ),
        (
            "Records twice",
            format!(r#"{{"Records": [], "Records": [{event}]}}"#),
            false,
        ),
        (
            "userIdentity a list",
            format!(r#"{{"Records": [{identity_list}]}}"#),
            false,
        ),
        (
            "onBehalfOf.userId a number",
            format!(r#"{{"Records": [{obo_number}]}}"#),
            false,
        ),
        (
            "account_id a number",
            format!(
                r#"{{"Records": [{}]}}"#,
                with_field(
                    "serviceEventDetails",
                    json!({"role_name": "AdministratorAccess", "account_id": 111111111111u64})
                )
            ),
            false,
        ),
        (
            "serviceEventDetails a list",
            format!(
                r#"{{"Records": [{}]}}"#,
                with_field("serviceEventDetails", json!([1]))
            ),
            false,
        ),
        (
            "eventTime twice",
            format!(
                r#"{{"Records": [{}]}}"#,
                event.replacen('{', r#"{"eventTime": "2026-11-01T00:00:00Z", "#, 1)
            ),
            false,
        ),
    ]
}

#[test]
fn every_damaged_file_is_read_right_or_refused_never_a_silent_unused() {
    for (kind, text, read_right) in damaged_files() {
        let s = alice_holds_admin();
        let file = s.write_raw_log(
            "AWSLogs/999999999999/CloudTrail/us-east-1/2026/11/21/damaged.json",
            text.as_bytes(),
        );
        let strict = s.generate(&[]);
        let message = stderr(&strict);
        if read_right {
            assert_success(&strict);
            let rows = read_rows(&s.report());
            assert_eq!(
                row(&rows, "alice", "AdministratorAccess")["usage_status"],
                "USED",
                "{kind}"
            );
            continue;
        }
        assert!(!strict.status.success(), "{kind}: accepted");
        assert!(
            message.contains(&file.display().to_string()),
            "{kind}: the file is not named: {message}"
        );
        assert!(!s.report().exists(), "{kind}: a report was written");
        let lenient = s.generate(&["--allow-malformed-logs"]);
        assert_success(&lenient);
        let manifest = s.manifest();
        assert_eq!(
            manifest["warnings"][0]["code"], "skipped_files",
            "{kind}: {manifest}"
        );
        assert_eq!(
            manifest["evidence"]["skipped_files"][0]["path"],
            file.display().to_string(),
            "{kind}"
        );
    }
}

#[test]
fn a_damaged_use_event_is_named_by_its_index_and_field() {
    let s = alice_holds_admin();
    let damaged = with_field("userIdentity", json!("alice"));
    let text = format!(r#"{{"Records": [{{"eventName": "ListAccounts"}}, {damaged}]}}"#);
    s.write_raw_log(
        "AWSLogs/999999999999/CloudTrail/us-east-1/2026/11/21/one.json",
        text.as_bytes(),
    );
    let message = stderr(&s.generate(&[]));
    for part in ["one.json", "Records[1]", "userIdentity", "wrong JSON type"] {
        assert!(message.contains(part), "{part} not in {message}");
    }
}
