//! The fields of a CloudTrail event that the rules read, borrowed from the event's bytes. A
//! field of an unexpected JSON type decodes as such (see `json_value`), so that the rules can
//! refuse it when the event matters and ignore it when it does not.

use crate::evidence::json_value::{Object, Text};
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawEvent<'a> {
    #[serde(borrow, default)]
    pub(super) event_time: Text<'a>,
    #[serde(borrow, default)]
    pub(super) event_source: Text<'a>,
    #[serde(borrow, default)]
    pub(super) event_name: Text<'a>,
    #[serde(borrow, default, rename = "eventID")]
    pub(super) event_id: Text<'a>,
    #[serde(borrow, default)]
    pub(super) error_code: Text<'a>,
    #[serde(borrow, default)]
    pub(super) user_identity: Object<RawUserIdentity<'a>>,
    #[serde(borrow, default)]
    pub(super) service_event_details: Object<RawServiceEventDetails<'a>>,
    #[serde(borrow, default)]
    pub(super) aws_region: Text<'a>,
    #[serde(borrow, default, rename = "sourceIPAddress")]
    pub(super) source_ip_address: Text<'a>,
    #[serde(borrow, default)]
    pub(super) request_parameters: Object<RawChangeFields<'a>>,
    #[serde(borrow, default)]
    pub(super) response_elements: Object<RawChangeFields<'a>>,
    #[serde(borrow, default)]
    pub(super) additional_event_data: Object<RawAdditionalEventData<'a>>,
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct RawAdditionalEventData<'a> {
    #[serde(borrow, default, rename = "LoginTo")]
    pub(super) login_to: Text<'a>,
}

/// The request parameters (and response elements) of the change events.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawChangeFields<'a> {
    /// SCIM: the group (PatchGroup's request, CreateGroup's response).
    #[serde(borrow, default)]
    pub(super) id: Text<'a>,
    /// SCIM: the request body (present only in SCIM events).
    #[serde(default)]
    pub(super) http_body: Option<serde_json::Value>,
    #[serde(borrow, default)]
    pub(super) instance_arn: Text<'a>,
    #[serde(borrow, default)]
    pub(super) target_id: Text<'a>,
    #[serde(borrow, default)]
    pub(super) target_type: Text<'a>,
    #[serde(borrow, default)]
    pub(super) permission_set_arn: Text<'a>,
    #[serde(borrow, default)]
    pub(super) principal_type: Text<'a>,
    #[serde(borrow, default)]
    pub(super) principal_id: Text<'a>,
    #[serde(borrow, default)]
    pub(super) identity_store_id: Text<'a>,
    #[serde(borrow, default)]
    pub(super) group_id: Text<'a>,
    #[serde(borrow, default)]
    pub(super) member_id: Object<RawMemberId<'a>>,
    #[serde(borrow, default)]
    pub(super) membership_id: Text<'a>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawMemberId<'a> {
    #[serde(borrow, default)]
    pub(super) user_id: Text<'a>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawUserIdentity<'a> {
    #[serde(borrow, default)]
    pub(super) principal_id: Text<'a>,
    #[serde(borrow, default)]
    pub(super) user_name: Text<'a>,
    #[serde(borrow, default)]
    pub(super) on_behalf_of: Object<RawOnBehalfOf<'a>>,
    #[serde(borrow, default)]
    pub(super) arn: Text<'a>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawOnBehalfOf<'a> {
    #[serde(borrow, default)]
    pub(super) user_id: Text<'a>,
    #[serde(borrow, default)]
    pub(super) identity_store_arn: Text<'a>,
}

#[derive(Deserialize, Default, Clone)]
pub(super) struct RawServiceEventDetails<'a> {
    #[serde(borrow, default)]
    pub(super) account_id: Text<'a>,
    #[serde(borrow, default)]
    pub(super) role_name: Text<'a>,
    #[serde(borrow, default, rename = "UserAuthentication")]
    pub(super) user_authentication: Text<'a>,
}
