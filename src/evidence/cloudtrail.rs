//! One CloudTrail event in, at most one observation out.
//!
//! Only the fields the rules need are decoded. Fields of other events may hold anything, so a
//! value of an unexpected type is remembered as such rather than rejected; only an event that
//! would be evidence must have the shape the rules need, else it is an error (evidence that
//! could not be read must never turn into "unused").

use super::changes::{Actor, Change, ChangeKind};
use super::json_value::{Object, Text};
use super::scim;
use super::{is_portal_login, UsageKey, UseKind, UserRef};
use serde::Deserialize;

/// What an event proves, before its user is matched to the directory.
// `Use` is the variant that matters and is moved once per qualifying event: boxing it
// would allocate for each, to save space in the rare others.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// A qualifying event: the use it proves, when, and a hash of its `eventID` for dedup.
    Use {
        key: UsageKey,
        time: i64,
        event_id: Option<u128>,
        /// `awsRegion`: where the portal or credentials were used (multi-Region instances).
        region: String,
    },
    /// A qualifying event name that failed (`errorCode`): not evidence.
    Failed,
    /// Access changes: one, or one per member a SCIM event names (a failed event is no
    /// change and gives no observation).
    Changes(Vec<Change>),
}

/// Why an event that matters could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("not valid JSON: {0}")]
    Json(String),
    #[error("{event_name} event has {field} {problem}")]
    Field {
        event_name: String,
        field: &'static str,
        problem: String,
    },
}

/// Decodes one event and applies the evidence rules that need no directory.
pub fn observe(json: &[u8]) -> Result<Option<Observation>, EventError> {
    let raw: RawEvent =
        serde_json::from_slice(json).map_err(|e| EventError::Json(e.to_string()))?;
    raw.observe()
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawEvent<'a> {
    #[serde(borrow, default)]
    event_time: Text<'a>,
    #[serde(borrow, default)]
    event_source: Text<'a>,
    #[serde(borrow, default)]
    event_name: Text<'a>,
    #[serde(borrow, default, rename = "eventID")]
    event_id: Text<'a>,
    #[serde(borrow, default)]
    error_code: Text<'a>,
    #[serde(borrow, default)]
    user_identity: Object<RawUserIdentity<'a>>,
    #[serde(borrow, default)]
    service_event_details: Object<RawServiceEventDetails<'a>>,
    #[serde(borrow, default)]
    aws_region: Text<'a>,
    #[serde(borrow, default, rename = "sourceIPAddress")]
    source_ip_address: Text<'a>,
    #[serde(borrow, default)]
    request_parameters: Object<RawChangeFields<'a>>,
    #[serde(borrow, default)]
    response_elements: Object<RawChangeFields<'a>>,
    #[serde(borrow, default)]
    additional_event_data: Object<RawAdditionalEventData<'a>>,
}

#[derive(Deserialize, Default, Clone)]
struct RawAdditionalEventData<'a> {
    #[serde(borrow, default, rename = "LoginTo")]
    login_to: Text<'a>,
}

/// The request parameters (and response elements) of the change events.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawChangeFields<'a> {
    /// SCIM: the group (PatchGroup's request, CreateGroup's response).
    #[serde(borrow, default)]
    id: Text<'a>,
    /// SCIM: the request body (present only in SCIM events).
    #[serde(default)]
    http_body: Option<serde_json::Value>,
    #[serde(borrow, default)]
    instance_arn: Text<'a>,
    #[serde(borrow, default)]
    target_id: Text<'a>,
    #[serde(borrow, default)]
    target_type: Text<'a>,
    #[serde(borrow, default)]
    permission_set_arn: Text<'a>,
    #[serde(borrow, default)]
    principal_type: Text<'a>,
    #[serde(borrow, default)]
    principal_id: Text<'a>,
    #[serde(borrow, default)]
    identity_store_id: Text<'a>,
    #[serde(borrow, default)]
    group_id: Text<'a>,
    #[serde(borrow, default)]
    member_id: Object<RawMemberId<'a>>,
    #[serde(borrow, default)]
    membership_id: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawMemberId<'a> {
    #[serde(borrow, default)]
    user_id: Text<'a>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
struct RawUserIdentity<'a> {
    #[serde(borrow, default)]
    principal_id: Text<'a>,
    #[serde(borrow, default)]
    user_name: Text<'a>,
    #[serde(borrow, default)]
    on_behalf_of: Object<RawOnBehalfOf<'a>>,
    #[serde(borrow, default)]
    arn: Text<'a>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
struct RawOnBehalfOf<'a> {
    #[serde(borrow, default)]
    user_id: Text<'a>,
    #[serde(borrow, default)]
    identity_store_arn: Text<'a>,
}

#[derive(Deserialize, Default, Clone)]
struct RawServiceEventDetails<'a> {
    #[serde(borrow, default)]
    account_id: Text<'a>,
    #[serde(borrow, default)]
    role_name: Text<'a>,
    #[serde(borrow, default, rename = "UserAuthentication")]
    user_authentication: Text<'a>,
}

/// The event names that are evidence, by event source.
pub fn use_kind(event_source: &str, event_name: &str) -> Option<UseKind> {
    match (event_source, event_name) {
        ("sso.amazonaws.com", "Federate") => Some(UseKind::Console),
        ("sso.amazonaws.com", "GetRoleCredentials") => Some(UseKind::Cli),
        ("signin.amazonaws.com", "UserAuthentication") => Some(UseKind::PortalSignIn),
        _ => None,
    }
}

impl RawEvent<'_> {
    fn observe(&self) -> Result<Option<Observation>, EventError> {
        let (Some(source), Some(name)) = (self.event_source.as_str(), self.event_name.as_str())
        else {
            return Ok(None);
        };
        if let Some(kind) = ChangeKind::of_event(source, name) {
            return self.change(kind);
        }
        let Some(kind) = use_kind(source, name) else {
            return Ok(None);
        };
        if self.error_code.is_set() {
            return Ok(Some(Observation::Failed));
        }
        let time = self.time(name)?;
        let details = self.use_details(name)?;
        let details = details.as_ref();
        let (account_id, role_name) = match kind {
            UseKind::PortalSignIn => {
                let outcome = details.and_then(|d| d.user_authentication.as_str());
                if outcome != Some("Success") {
                    return Ok(None);
                }
                (String::new(), String::new())
            }
            UseKind::Console | UseKind::Cli => {
                let account = details.and_then(|d| d.account_id.as_str());
                let role = details.and_then(|d| d.role_name.as_str());
                match (account, role) {
                    (Some(a), Some(r)) if !a.is_empty() && !r.is_empty() => {
                        (a.to_owned(), r.to_owned())
                    }
                    // Application sign-ins carry no account and role: not an assignment use.
                    _ => return Ok(None),
                }
            }
        };
        let user = self.user_ref(name)?;
        let other_sign_in =
            kind == UseKind::PortalSignIn && !self.is_portal_sign_in(name, &user)?;
        if user.is_empty() || other_sign_in {
            return Ok(None);
        }
        Ok(Some(Observation::Use {
            key: UsageKey {
                user,
                kind,
                account_id,
                role_name,
            },
            time,
            event_id: self.event_id.as_str().map(hash_event_id),
            region: self.aws_region.non_empty().unwrap_or_default(),
        }))
    }

    /// `eventTime`, which every event that matters must have.
    fn time(&self, name: &str) -> Result<i64, EventError> {
        let field_error = |problem: String| EventError::Field {
            event_name: name.to_owned(),
            field: "eventTime",
            problem,
        };
        let text = self
            .event_time
            .as_str()
            .ok_or_else(|| field_error("missing or not a string".into()))?;
        parse_event_time(text).ok_or_else(|| field_error(format!("{text:?}, not an RFC 3339 time")))
    }

    fn change(&self, kind: ChangeKind) -> Result<Option<Observation>, EventError> {
        if self.error_code.is_set() {
            return Ok(None);
        }
        let text = |t: &Text| t.non_empty().unwrap_or_default();
        let mut change = Change::new(kind, self.time(kind.event_name())?);
        change.event_id = text(&self.event_id);
        change.aws_region = text(&self.aws_region);
        change.source_ip_address = text(&self.source_ip_address);
        if let Some(identity) = self.user_identity.get() {
            let on_behalf_of = identity.on_behalf_of.get();
            change.actor = Actor {
                arn: text(&identity.arn),
                on_behalf_of_user_id: on_behalf_of.map(|o| text(&o.user_id)).unwrap_or_default(),
                identity_store_arn: on_behalf_of
                    .map(|o| text(&o.identity_store_arn))
                    .unwrap_or_default(),
            };
        }
        if let Some(request) = self.request_parameters.get() {
            change.instance_arn = text(&request.instance_arn);
            change.account_id = text(&request.target_id);
            change.target_type = text(&request.target_type);
            change.permission_set_arn = text(&request.permission_set_arn);
            change.principal_type = text(&request.principal_type);
            change.principal_id = text(&request.principal_id);
            change.identity_store_id = text(&request.identity_store_id);
            change.group_id = text(&request.group_id);
            change.member_user_id = request
                .member_id
                .get()
                .map(|m| text(&m.user_id))
                .unwrap_or_default();
            change.membership_id = text(&request.membership_id);
        }
        if change.membership_id.is_empty() {
            if let Some(response) = self.response_elements.get() {
                change.membership_id = text(&response.membership_id);
            }
        }
        if kind.is_scim() {
            return Ok(Some(Observation::Changes(self.scim_changes(&change))));
        }
        Ok(Some(Observation::Changes(vec![change])))
    }

    fn scim_changes(&self, base: &Change) -> Vec<Change> {
        let text = |t: &Text| t.non_empty().unwrap_or_default();
        let request = self.request_parameters.get();
        // PatchGroup names its group in the request, CreateGroup's response names the new one.
        let group_id = [request, self.response_elements.get()]
            .into_iter()
            .flatten()
            .map(|fields| text(&fields.id))
            .find(|id| !id.is_empty())
            .unwrap_or_default();
        let body = request.and_then(|r| r.http_body.as_ref());
        scim::member_changes(base, &group_id, body)
    }

    /// A `UserAuthentication` with its user in `onBehalfOf` (judged by its identity store
    /// later), or with `LoginTo` the access portal: not another service's sign-in.
    fn is_portal_sign_in(&self, name: &str, user: &UserRef) -> Result<bool, EventError> {
        let data = self
            .additional_event_data
            .decoded()
            .map_err(|()| wrong_type(name, "additionalEventData", "an object"))?;
        let login_to = data
            .as_ref()
            .map(|d| d.login_to.clone())
            .unwrap_or_default();
        strings(name, &[("additionalEventData.LoginTo", &login_to)])?;
        Ok(user.on_behalf_of_user_id.is_some() || login_to.as_str().is_some_and(is_portal_login))
    }

    /// `serviceEventDetails` of a use event: an object, or the same as JSON text (the form
    /// AWS's Athena DDL declares); the fields the rules read must be strings or absent.
    fn use_details(&self, name: &str) -> Result<Option<RawServiceEventDetails<'_>>, EventError> {
        let details = self
            .service_event_details
            .decoded()
            .map_err(|()| wrong_type(name, "serviceEventDetails", "an object"))?;
        if let Some(d) = &details {
            strings(
                name,
                &[
                    ("serviceEventDetails.account_id", &d.account_id),
                    ("serviceEventDetails.role_name", &d.role_name),
                    (
                        "serviceEventDetails.UserAuthentication",
                        &d.user_authentication,
                    ),
                ],
            )?;
        }
        Ok(details)
    }

    /// The user a use event names; a `userIdentity` of the wrong shape is an error, since
    /// skipping it would turn the use into "unused".
    fn user_ref(&self, name: &str) -> Result<UserRef, EventError> {
        let identity = self.user_identity.strict();
        let Some(identity) =
            identity.map_err(|()| wrong_type(name, "userIdentity", "an object"))?
        else {
            return Ok(UserRef::default());
        };
        let on_behalf_of = identity
            .on_behalf_of
            .strict()
            .map_err(|()| wrong_type(name, "userIdentity.onBehalfOf", "an object"))?;
        strings(
            name,
            &[
                ("userIdentity.principalId", &identity.principal_id),
                ("userIdentity.userName", &identity.user_name),
            ],
        )?;
        if let Some(o) = on_behalf_of {
            strings(
                name,
                &[
                    ("userIdentity.onBehalfOf.userId", &o.user_id),
                    (
                        "userIdentity.onBehalfOf.identityStoreArn",
                        &o.identity_store_arn,
                    ),
                ],
            )?;
        }
        Ok(UserRef {
            on_behalf_of_user_id: on_behalf_of.and_then(|o| o.user_id.non_empty()),
            identity_store_arn: on_behalf_of.and_then(|o| o.identity_store_arn.non_empty()),
            principal_id: identity.principal_id.non_empty(),
            user_name: identity.user_name.non_empty(),
        })
    }
}

fn wrong_type(event_name: &str, field: &'static str, expected: &str) -> EventError {
    EventError::Field {
        event_name: event_name.to_owned(),
        field,
        problem: format!("of the wrong JSON type: it must be {expected}"),
    }
}

/// Each field must be a string, null or absent.
fn strings(event_name: &str, fields: &[(&'static str, &Text)]) -> Result<(), EventError> {
    match fields.iter().find(|(_, t)| matches!(t, Text::Other)) {
        Some((field, _)) => Err(wrong_type(event_name, field, "a string")),
        None => Ok(()),
    }
}

pub fn hash_event_id(event_id: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(event_id.as_bytes())
}

/// Parses CloudTrail's `2026-07-01T00:08:20Z` quickly, and any other RFC 3339 time, or Lake's
/// `2026-07-01 00:08:20.000`, through chrono.
pub fn parse_event_time(text: &str) -> Option<i64> {
    if let Some(secs) = parse_plain_utc(text.as_bytes()) {
        return Some(secs);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp())
}

fn parse_plain_utc(b: &[u8]) -> Option<i64> {
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        b[range].iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let date =
        chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)? as u32, num(8..10)? as u32)?;
    let (h, m, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp() + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
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
        event["additionalEventData"]["LoginTo"] =
            json!("https://clients.amazonaws.com/workspaces/");
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
        event["additionalEventData"]["LoginTo"] =
            json!("https://clients.amazonaws.com/workspaces/");
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

    #[test]
    fn event_times_in_every_spelling() {
        let expected = 1_751_328_500;
        assert_eq!(parse_event_time("2025-07-01T00:08:20Z"), Some(expected));
        assert_eq!(parse_event_time("2025-07-01T00:08:20.000Z"), Some(expected));
        assert_eq!(
            parse_event_time("2025-07-01T02:08:20+02:00"),
            Some(expected)
        );
        assert_eq!(parse_event_time("2025-07-01 00:08:20.000"), Some(expected));
        assert_eq!(parse_event_time("2025-02-30T00:00:00Z"), None);
        assert_eq!(parse_event_time("2025-07-01T24:00:00Z"), None);
    }
}
