//! The event rules: one CloudTrail event in, at most one observation out (what it proves:
//! a use, a failed attempt, or access changes).
//!
//! Only the fields the rules need are decoded. Fields of other events may hold anything, so a
//! value of an unexpected type is remembered as such rather than rejected; only an event that
//! would be evidence must have the shape the rules need, else it is an error (evidence that
//! could not be read must never turn into "unused").

mod raw;
mod time;

pub(crate) use time::parse_event_time;

use super::changes::{Actor, Change, ChangeKind};
use super::json_value::Text;
use super::scim;
use super::{is_portal_login, UsageKey, UseKind, UserRef};
use raw::*;

/// What an event proves, before its user is matched to the directory.
// `Use` is the variant that matters and is moved once per qualifying event: boxing it
// would allocate for each, to save space in the rare others.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Observation {
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
pub(crate) enum EventError {
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
pub(crate) fn observe(json: &[u8]) -> Result<Option<Observation>, EventError> {
    let raw: RawEvent =
        serde_json::from_slice(json).map_err(|e| EventError::Json(e.to_string()))?;
    raw.observe()
}

/// The event names that are evidence, by event source.
pub(crate) fn use_kind(event_source: &str, event_name: &str) -> Option<UseKind> {
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

pub(crate) fn hash_event_id(event_id: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(event_id.as_bytes())
}

#[cfg(test)]
mod tests;
