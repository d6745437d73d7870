//! Who holds what: the Identity Center directory as a snapshot.
//!
//! The snapshot is the tool's public interchange format: read from a file, or written from
//! live AWS by the `snapshot` command, so an offline run can replay the directory of any past
//! day. See `docs/snapshot-format.md`.

pub mod aws;
pub mod checkpoint;
mod snapshot;

pub use snapshot::{load_snapshot, SnapshotError};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Everything the report needs to know about one Identity Center instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub instance_arn: String,
    pub identity_store_id: String,
    pub captured_at: Option<DateTime<Utc>>,
    /// The Regions the instance is enabled in (sso-admin `ListRegions`), where its users sign
    /// in and take credentials. Empty when not known (a snapshot from before Regions were
    /// recorded): evidence sources then read their own default Regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<InstanceRegion>,
    #[serde(default)]
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub permission_sets: Vec<PermissionSet>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub assignments: Vec<Assignment>,
    /// Account access manager entitlements: a user or group may assume an IAM role in an
    /// account through an application of the instance. Not account assignments, so
    /// `ListAccountAssignments` never shows them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entitlements: Vec<Entitlement>,
    /// How the `snapshot` command read it (strategy, calls, and what it could not see), so
    /// that a report from the file raises the same warnings as one from the live read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<aws::DirectoryReadInfo>,
}

/// One account access manager entitlement (`account-access ListEntitlements`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Entitlement {
    pub application_arn: String,
    pub entitlement_id: String,
    pub principal_type: PrincipalType,
    pub principal_id: String,
    /// The IAM role the principal may assume.
    pub role_arn: String,
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

/// One Region of a (possibly multi-Region) Identity Center instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceRegion {
    pub name: String,
    /// The Region the instance was created in, where its directory is administered.
    #[serde(default)]
    pub primary: bool,
    /// `ACTIVE`, `ADDING` or `REMOVING`; None when the Region was not listed but assumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_at: Option<DateTime<Utc>>,
}

impl InstanceRegion {
    /// Primary first, then by name.
    pub fn order(&self) -> (bool, &str) {
        (!self.primary, self.name.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermissionSet {
    pub arn: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub user_id: String,
    pub user_name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub status: Option<UserStatus>,
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    Enabled,
    Disabled,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Enabled => "ENABLED",
            UserStatus::Disabled => "DISABLED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub group_id: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub member_user_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Assignment {
    pub account_id: String,
    pub permission_set_arn: String,
    pub principal_type: PrincipalType,
    pub principal_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PrincipalType {
    User,
    Group,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::User => "USER",
            PrincipalType::Group => "GROUP",
        }
    }
}

impl Snapshot {
    /// The names of the instance's Regions, primary first; empty when not known.
    pub fn region_names(&self) -> Vec<String> {
        let mut regions: Vec<&InstanceRegion> = self.regions.iter().collect();
        regions.sort_by_key(|r| r.order());
        regions.into_iter().map(|r| r.name.clone()).collect()
    }

    /// The identity store id named by an `identitystore` ARN, if it is one of ours.
    pub fn owns_identity_store_arn(&self, arn: &str) -> bool {
        arn.rsplit('/').next() == Some(self.identity_store_id.as_str())
    }
}
