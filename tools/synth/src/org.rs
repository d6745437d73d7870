//! The synthetic organization: accounts, permission sets, users, groups and assignments.
//!
//! The directory is built directly as the library's [`Snapshot`], so `snapshot.json` is
//! written by the same serde types the report reads and the format cannot drift. Next to it
//! the [`Org`] keeps what the snapshot deliberately leaves out but the logs still mention:
//! deleted users that assignments and old events still name, and names nobody has.

use crate::control_tower;
use crate::grants::{listing, traps, Combo, Ghost};
use crate::json::{chars, pick, pick_ref, uuid, HEX, LOWER_ALNUM, UPPER_ALNUM};
use crate::names::{group_name, PERMISSION_SETS};
use crate::shape::{self, AssignmentShape};
use chrono::{DateTime, Utc};
use idc_credential_report::directory::{
    Account, Assignment, Group, PermissionSet, PrincipalType, Snapshot, User, UserStatus,
};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::{BTreeSet, HashMap, HashSet};

/// The region that holds the Identity Center instance, and so its CloudTrail events.
pub const HOME_REGION: &str = "us-east-1";
const OTHER_REGIONS: [&str; 4] = ["us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"];

const FIRST_NAMES: [&str; 32] = [
    "maria",
    "james",
    "aiko",
    "oluwaseun",
    "li",
    "sofia",
    "noah",
    "priya",
    "lucas",
    "fatima",
    "mateo",
    "emma",
    "arjun",
    "chloe",
    "kenji",
    "ines",
    "omar",
    "hannah",
    "diego",
    "yuki",
    "amara",
    "felix",
    "zoe",
    "ravi",
    "lena",
    "tomas",
    "nadia",
    "samuel",
    "grace",
    "ivan",
    "leila",
    "hugo",
];
const LAST_NAMES: [&str; 32] = [
    "garcia",
    "smith",
    "tanaka",
    "adeyemi",
    "wei",
    "rossi",
    "mueller",
    "sharma",
    "martin",
    "haddad",
    "lopez",
    "dubois",
    "patel",
    "nguyen",
    "sato",
    "silva",
    "khan",
    "schmidt",
    "fernandez",
    "kim",
    "okafor",
    "weber",
    "chen",
    "iyer",
    "novak",
    "costa",
    "petrov",
    "jensen",
    "walsh",
    "ivanova",
    "moreau",
    "berg",
];
const ACCOUNT_NAMES: [&str; 20] = [
    "management",
    "log-archive",
    "audit",
    "security-tooling",
    "network-hub",
    "shared-services",
    "prod-payments",
    "prod-web",
    "staging-web",
    "dev-web",
    "data-lake",
    "analytics",
    "ml-platform",
    "backup",
    "identity",
    "ci-cd",
    "prod-api",
    "dev-api",
    "qa",
    "sandbox",
];
/// Users that assignments still name after they were deleted from the directory.
const GHOST_USERS: usize = 3;
/// Names that appear in old events but belong to no user of the directory.
const STRANGERS: usize = 4;

pub struct OrgParams {
    pub accounts: usize,
    pub permission_sets: usize,
    pub users: usize,
    pub groups: usize,
    pub assignments: usize,
    pub shape: AssignmentShape,
    pub as_of: i64,
    pub window_start: i64,
    /// Build what only the logs need: the IAM role of every account x permission set (24.5
    /// million for 7,000 accounts and 3,500 sets) and each user's holdings. Without it, both
    /// stay empty and the snapshot is the same.
    pub for_logs: bool,
}

/// The IAM role Identity Center provisions for a permission set in an account.
pub struct SsoRole {
    pub name: String,
    pub role_id: String,
}

pub struct Org {
    pub snapshot: Snapshot,
    /// `o-` and ten characters: the organization trail's folder.
    pub org_id: String,
    /// Per account: the regions its trail has events from, the home region first.
    pub regions: Vec<Vec<&'static str>>,
    pub store_arn: String,
    /// `AWSSSO_<hex>_DO_NOT_DELETE`, the SAML provider in every account.
    pub saml_provider: String,
    /// `[account][permission set]`.
    pub sso_roles: Vec<Vec<SsoRole>>,
    /// Per user of the snapshot: the combos they hold, directly or through a group.
    pub holdings: Vec<BTreeSet<Combo>>,
    pub ghosts: Vec<Ghost>,
    pub strangers: Vec<String>,
    /// Per user: the name they had before a rename, if any. Old events that carry it can
    /// only be matched by the user id in `principalId`.
    pub former_names: Vec<Option<String>>,
}

impl Org {
    pub fn mgmt(&self) -> &str {
        &self.snapshot.accounts[0].id
    }

    pub fn account_id(&self, account: usize) -> &str {
        &self.snapshot.accounts[account].id
    }

    pub fn permission_set_name(&self, permission_set: usize) -> &str {
        &self.snapshot.permission_sets[permission_set].name
    }

    pub fn user(&self, user: usize) -> &User {
        &self.snapshot.users[user]
    }

    pub fn created_at(&self, user: usize) -> Option<i64> {
        self.user(user).created_at.map(|t| t.timestamp())
    }

    pub fn role(&self, combo: Combo) -> &SsoRole {
        &self.sso_roles[combo.account][combo.permission_set]
    }

    /// The hex part of the identity store id, which also prefixes its user and group ids.
    fn store_hex(&self) -> &str {
        &self.snapshot.identity_store_id[2..]
    }

    /// A user id in this identity store's format that belongs to nobody.
    pub fn unknown_user_id(&self, rng: &mut SmallRng) -> String {
        format!("{}-{}", self.store_hex(), uuid(rng))
    }
}

pub fn build(params: &OrgParams, rng: &mut SmallRng) -> Org {
    let store_hex = chars(rng, HEX, 10);
    let instance = format!("ssoins-{}", chars(rng, HEX, 16));
    let account_ids = unique_account_ids(rng, params.accounts);
    let accounts = accounts(rng, account_ids);
    let named: &[(&str, Option<&str>)] = match params.shape {
        AssignmentShape::ControlTower => &control_tower::PERMISSION_SETS,
        _ => &PERMISSION_SETS,
    };
    let permission_sets = permission_sets(rng, &instance, named, params.permission_sets);
    let mut names = NameGen::default();
    let users = users(rng, &mut names, &store_hex, params);
    let groups = match params.shape {
        AssignmentShape::Uniform => groups(rng, &store_hex, &users, params.groups),
        AssignmentShape::Realistic => shape::groups(rng, &store_hex, &users, params.groups),
        AssignmentShape::ControlTower => {
            control_tower::groups(rng, &store_hex, &users, params.groups)
        }
    };
    let mut ghosts: Vec<Ghost> = (0..GHOST_USERS)
        .map(|_| Ghost {
            user_id: format!("{store_hex}-{}", uuid(rng)),
            user_name: names.fresh(rng).0,
            combos: Vec::new(),
        })
        .collect();
    let strangers = (0..STRANGERS).map(|_| names.fresh(rng).0).collect();
    let former_names = users
        .iter()
        .map(|_| rng.gen_bool(0.25).then(|| names.fresh(rng).0))
        .collect();
    let mut snapshot = Snapshot {
        instance_arn: format!("arn:aws:sso:::instance/{instance}"),
        identity_store_id: format!("d-{store_hex}"),
        captured_at: Some(DateTime::from_timestamp(params.as_of, 0).expect("valid as_of")),
        regions: Vec::new(),
        accounts,
        permission_sets,
        users,
        groups,
        assignments: Vec::new(),
        entitlements: Vec::new(),
        read: None,
    };
    snapshot.assignments = match params.shape {
        AssignmentShape::Uniform => {
            assignments(rng, params.assignments, &snapshot, &mut ghosts, &store_hex)
        }
        AssignmentShape::Realistic => {
            shape::assignments(rng, params.assignments, &snapshot, &mut ghosts, &store_hex)
        }
        AssignmentShape::ControlTower => {
            control_tower::assignments(rng, params.assignments, &snapshot, &mut ghosts, &store_hex)
        }
    };
    let mgmt = snapshot.accounts[0].id.clone();
    Org {
        org_id: format!("o-{}", chars(rng, LOWER_ALNUM, 10)),
        regions: account_regions(rng, snapshot.accounts.len()),
        store_arn: format!("arn:aws:identitystore::{mgmt}:identitystore/d-{store_hex}"),
        saml_provider: format!("AWSSSO_{}_DO_NOT_DELETE", chars(rng, HEX, 16)),
        sso_roles: match params.for_logs {
            true => sso_roles(rng, &snapshot),
            false => Vec::new(),
        },
        holdings: match params.for_logs {
            true => holdings(&snapshot),
            false => Vec::new(),
        },
        ghosts,
        strangers,
        former_names,
        snapshot,
    }
}

fn unique_account_ids(rng: &mut SmallRng, count: usize) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut ids = Vec::with_capacity(count);
    while ids.len() < count {
        let id = format!("{}{}", rng.gen_range(1..=9), chars(rng, b"0123456789", 11));
        if seen.insert(id.clone()) {
            ids.push(id);
        }
    }
    ids
}

fn accounts(rng: &mut SmallRng, ids: Vec<String>) -> Vec<Account> {
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| {
            let base = ACCOUNT_NAMES[i % ACCOUNT_NAMES.len()];
            let name = match i / ACCOUNT_NAMES.len() {
                0 => base.to_owned(),
                n => format!("{base}-{}", n + 1),
            };
            // Some accounts were never given a name the tool can read (e.g. no
            // organizations:ListAccounts permission when the snapshot was taken).
            let nameless = i > 0 && rng.gen_bool(0.12);
            Account {
                id,
                name: (!nameless).then_some(name),
                status: Some("ACTIVE".into()),
            }
        })
        .collect()
}

/// The `named` sets first, then `TeamNNDeveloper`, team NN's own set.
fn permission_sets(
    rng: &mut SmallRng,
    instance: &str,
    named: &[(&str, Option<&str>)],
    count: usize,
) -> Vec<PermissionSet> {
    (0..count)
        .map(|i| {
            let (name, description) = match named.get(i) {
                Some(&(name, description)) => (name.to_owned(), description.map(str::to_owned)),
                None => {
                    let team = i - named.len() + 1;
                    let description = rng
                        .gen_bool(0.5)
                        .then(|| format!("Developers of team {team}"));
                    (format!("Team{team:02}Developer"), description)
                }
            };
            PermissionSet {
                arn: format!(
                    "arn:aws:sso:::permissionSet/{instance}/ps-{}",
                    chars(rng, HEX, 16)
                ),
                name,
                description,
            }
        })
        .collect()
}

/// Unique user names, unique also ignoring case (as Identity Center requires).
#[derive(Default)]
struct NameGen {
    taken: HashSet<String>,
}

impl NameGen {
    /// A fresh user name, with the person's first and last name.
    fn fresh(&mut self, rng: &mut SmallRng) -> (String, &'static str, &'static str) {
        loop {
            let first = pick(rng, &FIRST_NAMES);
            let last = pick(rng, &LAST_NAMES);
            let suffix = match self.taken.len() {
                n if n < 200 => String::new(),
                _ => rng.gen_range(2..1000).to_string(),
            };
            let name = match rng.gen_range(0..10) {
                0..=4 => format!("{first}.{last}{suffix}"),
                5..=6 => format!("{first}.{last}{suffix}@example.com"),
                7 => format!("{}.{}{suffix}", capitalize(first), capitalize(last)),
                _ => format!("{}{last}{suffix}", &first[..1]),
            };
            if self.taken.insert(name.to_lowercase()) {
                return (name, first, last);
            }
        }
    }
}

pub fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn users(
    rng: &mut SmallRng,
    names: &mut NameGen,
    store_hex: &str,
    params: &OrgParams,
) -> Vec<User> {
    (0..params.users)
        .map(|_| {
            let (user_name, first, last) = names.fresh(rng);
            let display = format!("{} {}", capitalize(first), capitalize(last));
            let email = match user_name.contains('@') {
                true => user_name.clone(),
                false => format!("{}.{}@example.com", first, last),
            };
            let status = match rng.gen_range(0..20) {
                0..=1 => Some(UserStatus::Disabled),
                2 => None,
                _ => Some(UserStatus::Enabled),
            };
            User {
                user_id: format!("{store_hex}-{}", uuid(rng)),
                user_name,
                display_name: rng.gen_bool(0.9).then_some(display),
                email: rng.gen_bool(0.93).then_some(email),
                status,
                created_at: created_at(rng, params),
            }
        })
        .collect()
}

/// Mostly during 2024; about one user in eight was created inside the window (so older events
/// with their name belong to somebody else); a few have no creation time.
fn created_at(rng: &mut SmallRng, params: &OrgParams) -> Option<DateTime<Utc>> {
    const Y2024: i64 = 1_704_067_200;
    const Y2025: i64 = 1_735_689_600;
    let day = 86_400;
    let secs = match rng.gen_range(0..40) {
        0 => return None,
        1..=5 if params.as_of - params.window_start > 20 * day => {
            rng.gen_range(params.window_start + day..params.as_of - 7 * day)
        }
        _ if params.window_start > Y2025 + 30 * day => rng.gen_range(Y2024..Y2025),
        _ => rng.gen_range(params.window_start - 700 * day..params.window_start - 30 * day),
    };
    DateTime::from_timestamp(secs, 0)
}

/// Groups of 8 to 35% of the users when there are a handful of groups; with many groups,
/// proportionally smaller ones, so that a user is in one or two groups, not dozens.
fn groups(rng: &mut SmallRng, store_hex: &str, users: &[User], count: usize) -> Vec<Group> {
    let scale = (6.0 / count as f64).min(1.0);
    (0..count)
        .map(|i| {
            let name = group_name(i);
            // The last group has nobody in it: its assignments reach nobody.
            let share = if i + 1 == count {
                0.0
            } else {
                rng.gen_range(0.08..0.35) * scale
            };
            Group {
                group_id: format!("{store_hex}-{}", uuid(rng)),
                display_name: Some(name),
                member_user_ids: users
                    .iter()
                    .filter(|_| rng.gen_bool(share))
                    .map(|u| u.user_id.clone())
                    .collect(),
            }
        })
        .collect()
}

fn account_regions(rng: &mut SmallRng, accounts: usize) -> Vec<Vec<&'static str>> {
    (0..accounts)
        .map(|_| {
            let mut regions = vec![HOME_REGION];
            let mut others = OTHER_REGIONS.to_vec();
            others.shuffle(rng);
            regions.extend(others.into_iter().take(rng.gen_range(0..=2)));
            regions
        })
        .collect()
}

fn sso_roles(rng: &mut SmallRng, snapshot: &Snapshot) -> Vec<Vec<SsoRole>> {
    snapshot
        .accounts
        .iter()
        .map(|_| {
            snapshot
                .permission_sets
                .iter()
                .map(|ps| SsoRole {
                    name: format!("AWSReservedSSO_{}_{}", ps.name, chars(rng, HEX, 16)),
                    role_id: format!("AROA{}", chars(rng, UPPER_ALNUM, 17)),
                })
                .collect()
        })
        .collect()
}

/// Random assignments, unique, sorted by account and permission set as a listing returns them;
/// plus assignments of deleted users and of a deleted group, and one listed twice.
fn assignments(
    rng: &mut SmallRng,
    target: usize,
    snapshot: &Snapshot,
    ghosts: &mut [Ghost],
    store_hex: &str,
) -> Vec<Assignment> {
    let (accounts, sets) = (snapshot.accounts.len(), snapshot.permission_sets.len());
    let mut grants = traps(rng, snapshot, ghosts, store_hex, |rng| {
        random_combo(rng, accounts, sets)
    });
    let wanted = target.saturating_sub(1).max(grants.len());
    let mut attempts = 0;
    while grants.len() < wanted && attempts < target * 20 {
        attempts += 1;
        let principal = match snapshot.groups.is_empty() || rng.gen_bool(0.6) {
            true => (
                PrincipalType::User,
                pick_ref(rng, &snapshot.users).user_id.clone(),
            ),
            false => (
                PrincipalType::Group,
                pick_ref(rng, &snapshot.groups).group_id.clone(),
            ),
        };
        grants.insert((random_combo(rng, accounts, sets), principal.0, principal.1));
    }
    listing(rng, grants, snapshot)
}

fn random_combo(rng: &mut SmallRng, accounts: usize, sets: usize) -> Combo {
    Combo {
        account: rng.gen_range(0..accounts),
        permission_set: rng.gen_range(0..sets),
    }
}

/// Per user: every combo held directly or through a group, read back from the snapshot's own
/// assignments, so the truth follows exactly what the snapshot says.
fn holdings(snapshot: &Snapshot) -> Vec<BTreeSet<Combo>> {
    let index = |items: Vec<&str>| -> HashMap<String, usize> {
        items
            .into_iter()
            .enumerate()
            .map(|(i, id)| (id.to_owned(), i))
            .collect()
    };
    let users = index(snapshot.users.iter().map(|u| u.user_id.as_str()).collect());
    let accounts = index(snapshot.accounts.iter().map(|a| a.id.as_str()).collect());
    let sets = index(
        snapshot
            .permission_sets
            .iter()
            .map(|p| p.arn.as_str())
            .collect(),
    );
    let mut held = vec![BTreeSet::new(); snapshot.users.len()];
    for a in &snapshot.assignments {
        let combo = Combo {
            account: accounts[&a.account_id],
            permission_set: sets[&a.permission_set_arn],
        };
        let members: Vec<&String> = match a.principal_type {
            PrincipalType::User => vec![&a.principal_id],
            PrincipalType::Group => snapshot
                .groups
                .iter()
                .filter(|g| g.group_id == a.principal_id)
                .flat_map(|g| &g.member_user_ids)
                .collect(),
        };
        for id in members {
            if let Some(&u) = users.get(id) {
                held[u].insert(combo);
            }
        }
    }
    held
}
