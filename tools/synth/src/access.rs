//! Access changes in the trail: `CreateAccountAssignment`/`DeleteAccountAssignment`
//! (sso.amazonaws.com) and `CreateGroupMembership`/`DeleteGroupMembership`
//! (identitystore.amazonaws.com), made by an administrator through an `AWSReservedSSO_` role
//! session in the management account, so that the report has grants and memberships to show.
//!
//! The shapes are those of the published events in `tests/data/changes` (see its SOURCES).
//! Planned with their own random stream, so the rest of the plan (and its truth) is the same
//! with or without them: grants of some snapshot assignments and additions of some group
//! members inside the window, one grant before the window (not shown), one grant taken back,
//! one membership added and removed, one failed grant (not a change).

use crate::events::RoleSession;
use crate::grants::Combo;
use crate::json::{uuid, JsonWriter};
use crate::org::{Org, HOME_REGION};
use crate::plan::{Placed, PlanConfig};
use idc_credential_report::directory::{Assignment, PrincipalType};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::Rng;

const CLI_AGENT: &str = "aws-cli/2.31.3 md/awscrt#0.27.6 ua/2.1 os/linux#6.1 md/arch#x86_64 lang/python#3.13.7 md/pyimpl#CPython m/E,Z";
const ADMIN_IP: &str = "198.51.100.23";
/// Grants and membership additions inside the window.
const GRANTS: usize = 6;
const ADDITIONS: usize = 4;

/// One change event to write.
struct ChangeEvent<'a> {
    time: i64,
    source: &'a str,
    name: &'a str,
    request: &'a dyn Fn(&mut JsonWriter),
    response: Option<&'a dyn Fn(&mut JsonWriter)>,
    error: Option<(&'a str, &'a str)>,
}

/// The administrator: the first user, through the reserved role of the first permission
/// set in the management account.
struct Admin<'a> {
    org: &'a Org,
    session: RoleSession<'a>,
    user_id: &'a str,
}

impl Admin<'_> {
    fn write(&self, out: &mut Vec<u8>, rng: &mut SmallRng, event: &ChangeEvent) {
        let mut w = JsonWriter::new(out);
        w.element(|w| {
            w.string("eventVersion", "1.11");
            // Events since 2025-07 name the Identity Center user behind the session.
            let on_behalf_of = (event.time >= crate::plan::NEW_FORMAT_FROM)
                .then_some((self.user_id, self.org.store_arn.as_str()));
            self.session.write_identity(w, rng, true, on_behalf_of);
            w.time("eventTime", event.time)
                .string("eventSource", event.source)
                .string("eventName", event.name)
                .string("awsRegion", HOME_REGION)
                .string("sourceIPAddress", ADMIN_IP)
                .string("userAgent", CLI_AGENT);
            if let Some((code, message)) = event.error {
                w.string("errorCode", code).string("errorMessage", message);
            }
            w.object("requestParameters", |w| (event.request)(w));
            match (event.response, event.error) {
                (Some(response), None) => {
                    w.object("responseElements", |w| response(w));
                }
                _ => {
                    w.null("responseElements");
                }
            }
            w.uuid("requestID", rng)
                .uuid("eventID", rng)
                .boolean("readOnly", false)
                .string("eventType", "AwsApiCall")
                .boolean("managementEvent", true)
                .string("recipientAccountId", self.org.mgmt())
                .string("eventCategory", "Management");
        });
    }
}

/// The planned access changes, each placed in the management account's trail.
pub fn plan(org: &Org, cfg: &PlanConfig, rng: &mut SmallRng) -> Vec<Placed> {
    let Some(admin_user) = org.snapshot.users.first() else {
        return Vec::new();
    };
    let combo = Combo {
        account: 0,
        permission_set: 0,
    };
    let role = org.role(combo);
    let admin = Admin {
        org,
        session: RoleSession {
            account: org.mgmt(),
            role_name: &role.name,
            role_id: &role.role_id,
            session_name: &admin_user.user_name,
            home_region: HOME_REGION,
            started: cfg.window_start,
        },
        user_id: &admin_user.user_id,
    };
    let mut placed = Vec::new();
    let mut place = |time: i64, json: Vec<u8>| {
        placed.push(Placed {
            account: 0,
            region: HOME_REGION,
            event_time: time,
            place_time: time,
            redelivered: false,
            json,
            genuine: false,
            plain: false,
        })
    };
    let in_window = |rng: &mut SmallRng| rng.gen_range(cfg.window_start + 3600..cfg.as_of - 3600);
    let mut assignments: Vec<&Assignment> = org.snapshot.assignments.iter().collect();
    assignments.shuffle(rng);
    for (i, assignment) in assignments.iter().take(GRANTS + 1).enumerate() {
        // The last one was granted before the window.
        let time = match i {
            GRANTS => cfg.window_start - 86_400,
            _ => in_window(rng),
        };
        let json = assignment_event(
            &admin,
            rng,
            time,
            "CreateAccountAssignment",
            assignment,
            None,
        );
        place(time, json);
    }
    if let Some(assignment) = assignments.get(GRANTS + 1) {
        let time = in_window(rng);
        let denied = Some((
            "AccessDeniedException",
            "User is not authorized to perform: sso:CreateAccountAssignment",
        ));
        let json = assignment_event(
            &admin,
            rng,
            time,
            "CreateAccountAssignment",
            assignment,
            denied,
        );
        place(time, json);
    }
    if let Some(assignment) = assignments.get(GRANTS + 2) {
        // Granted to a group it was not meant for, then taken back.
        let mut wrong = (*assignment).clone();
        wrong.principal_type = PrincipalType::Group;
        wrong.principal_id = org.snapshot.groups[0].group_id.clone();
        wrong.account_id = org.account_id(org.snapshot.accounts.len() - 1).to_owned();
        let time = in_window(rng);
        for (name, at) in [
            ("CreateAccountAssignment", time),
            ("DeleteAccountAssignment", time + 600),
        ] {
            let json = assignment_event(&admin, rng, at, name, &wrong, None);
            place(at, json);
        }
    }
    let mut members: Vec<(&str, &str)> = org
        .snapshot
        .groups
        .iter()
        .flat_map(|g| {
            g.member_user_ids
                .iter()
                .map(move |u| (g.group_id.as_str(), u.as_str()))
        })
        .collect();
    members.shuffle(rng);
    for (group, user) in members.iter().take(ADDITIONS) {
        let time = in_window(rng);
        let (json, _) = membership_added(&admin, rng, time, group, user);
        place(time, json);
    }
    if let (Some(group), Some(user)) = (org.snapshot.groups.last(), org.snapshot.users.last()) {
        // Added by mistake, removed ten minutes later (the removal names only the membership).
        let time = in_window(rng);
        let (json, membership_id) =
            membership_added(&admin, rng, time, &group.group_id, &user.user_id);
        place(time, json);
        let store = &org.snapshot.identity_store_id;
        let request = |w: &mut JsonWriter| {
            w.string("identityStoreId", store)
                .string("membershipId", &membership_id);
        };
        let event = ChangeEvent {
            time: time + 600,
            source: "identitystore.amazonaws.com",
            name: "DeleteGroupMembership",
            request: &request,
            response: None,
            error: None,
        };
        let mut json = Vec::new();
        admin.write(&mut json, rng, &event);
        place(time + 600, json);
    }
    placed
}

fn assignment_event(
    admin: &Admin,
    rng: &mut SmallRng,
    time: i64,
    name: &str,
    assignment: &Assignment,
    error: Option<(&str, &str)>,
) -> Vec<u8> {
    let instance = &admin.org.snapshot.instance_arn;
    let request = |w: &mut JsonWriter| {
        w.string("instanceArn", instance)
            .string("targetId", &assignment.account_id)
            .string("targetType", "AWS_ACCOUNT")
            .string("permissionSetArn", &assignment.permission_set_arn)
            .string("principalType", assignment.principal_type.as_str())
            .string("principalId", &assignment.principal_id);
    };
    let status_key = match name {
        "DeleteAccountAssignment" => "accountAssignmentDeletionStatus",
        _ => "accountAssignmentCreationStatus",
    };
    let request_id = uuid(rng);
    let response = |w: &mut JsonWriter| {
        w.object(status_key, |w| {
            w.string("status", "IN_PROGRESS")
                .string("requestId", &request_id)
                .string("targetId", &assignment.account_id)
                .string("targetType", "AWS_ACCOUNT")
                .string("permissionSetArn", &assignment.permission_set_arn)
                .string("principalType", assignment.principal_type.as_str())
                .string("principalId", &assignment.principal_id);
        });
    };
    let event = ChangeEvent {
        time,
        source: "sso.amazonaws.com",
        name,
        request: &request,
        response: Some(&response),
        error,
    };
    let mut json = Vec::new();
    admin.write(&mut json, rng, &event);
    json
}

/// A `CreateGroupMembership` and the membership id it returned.
fn membership_added(
    admin: &Admin,
    rng: &mut SmallRng,
    time: i64,
    group: &str,
    user: &str,
) -> (Vec<u8>, String) {
    let store = &admin.org.snapshot.identity_store_id;
    let membership_id = format!("{}-{}", &store[2..], uuid(rng));
    let request = |w: &mut JsonWriter| {
        w.string("identityStoreId", store)
            .string("groupId", group)
            .object("memberId", |w| {
                w.string("userId", user);
            });
    };
    let response = |w: &mut JsonWriter| {
        w.string("membershipId", &membership_id)
            .string("identityStoreId", store);
    };
    let event = ChangeEvent {
        time,
        source: "identitystore.amazonaws.com",
        name: "CreateGroupMembership",
        request: &request,
        response: Some(&response),
        error: None,
    };
    let mut json = Vec::new();
    admin.write(&mut json, rng, &event);
    (json, membership_id)
}
