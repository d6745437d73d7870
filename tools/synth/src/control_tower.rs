//! The `control-tower` assignment shape: an organization landed with AWS Control Tower, the
//! top of the range the tool is for (the directory benchmark's 7,000 accounts).
//!
//! Control Tower sets up six permission sets and provisions them to every enrolled account,
//! each held there by one of its groups; Account Factory makes each account's owner its
//! administrator. What decides the cost of reading such a directory is that the six sets make
//! six (account, permission set) pairs per account, whatever else the organization does:
//!
//! - the six Control Tower sets on every account, one Control Tower group each;
//! - each account's owner (one of a minority of users) holds AWSAdministratorAccess on it;
//! - every other set (`TeamNNDeveloper`) on a few accounts, held by one team group;
//! - the rest of the assignments at random on those pairs, mostly to groups;
//! - memberships as in the realistic shape (every user in one to three groups, the last
//!   group empty), and the same traps as every shape.

use crate::grants::{listing, traps, Combo, Ghost, Grant};
use crate::json::pick_ref;
use crate::shape;
use idc_credential_report::directory::{Assignment, Group, PrincipalType, Snapshot, User};
use rand::rngs::SmallRng;
use rand::seq::{index, SliceRandom};
use rand::Rng;

/// Control Tower's permission sets, with the descriptions it gives them.
pub const PERMISSION_SETS: [(&str, Option<&str>); 6] = [
    ("AWSAdministratorAccess", Some("Provides full access to AWS services and resources")),
    ("AWSPowerUserAccess", Some("Provides full access to AWS services and resources, but does not allow management of Users and groups")),
    ("AWSReadOnlyAccess", Some("This policy grants permissions to view resources and basic metadata across all AWS services")),
    ("AWSOrganizationsFullAccess", Some("Provides full access to AWS Organizations")),
    ("AWSServiceCatalogAdminFullAccess", Some("Provides full access to AWS Service Catalog admin capabilities")),
    ("AWSServiceCatalogEndUserAccess", Some("Provides access to the AWS Service Catalog end user console")),
];
/// The group that holds each of them on every account, same order.
const GROUPS: [&str; 6] = [
    "AWSAccountAdmins",
    "AWSSecurityAuditPowerUsers",
    "AWSSecurityAuditors",
    "AWSControlTowerAdmins",
    "AWSServiceCatalogAdmins",
    "AWSAccountFactory",
];
const ADMINISTRATOR_ACCESS: usize = 0;
/// Control Tower's sets and one team set; its groups, one team group and the empty last one.
pub const MIN_PERMISSION_SETS: usize = PERMISSION_SETS.len() + 1;
pub const MIN_GROUPS: usize = GROUPS.len() + 2;
/// A team's own set is on its few accounts (prod, staging, dev, ...).
const TEAM_ACCOUNTS: std::ops::RangeInclusive<usize> = 2..=10;
/// Share of the users that own accounts or hold other direct assignments.
const DIRECT_USER_SHARE: f64 = 0.15;
/// Share of the assignments added at random that go to groups.
const GROUP_SHARE: f64 = 0.85;
/// Draws of the random fill per wanted assignment before giving up.
const ATTEMPTS_PER_ASSIGNMENT: usize = 20;

/// Groups as in the realistic shape, the first six named after Control Tower's.
pub fn groups(rng: &mut SmallRng, store_hex: &str, users: &[User], count: usize) -> Vec<Group> {
    let mut groups = shape::groups(rng, store_hex, users, count);
    for (group, name) in groups.iter_mut().zip(GROUPS) {
        group.display_name = Some(name.to_owned());
    }
    groups
}

/// Assignments in the Control Tower shape (see the module documentation), at least the ones
/// the landing zone makes, sorted as a listing returns them, with the traps of every shape.
/// Needs at least `MIN_PERMISSION_SETS` sets and `MIN_GROUPS` groups.
pub fn assignments(
    rng: &mut SmallRng,
    target: usize,
    snapshot: &Snapshot,
    ghosts: &mut [Ghost],
    store_hex: &str,
) -> Vec<Assignment> {
    let accounts = snapshot.accounts.len();
    let team_pairs = team_pairs(rng, accounts, snapshot.permission_sets.len());
    let mut grants = traps(rng, snapshot, ghosts, store_hex, |rng| {
        *pick_ref(rng, &team_pairs)
    });
    let group = |i: usize| (PrincipalType::Group, snapshot.groups[i].group_id.clone());
    for account in 0..accounts {
        for permission_set in 0..PERMISSION_SETS.len() {
            grants.insert(grant(account, permission_set, group(permission_set)));
        }
    }
    let holders = direct_holders(rng, &snapshot.users);
    for account in 0..accounts {
        let owner = pick_ref(rng, &holders).user_id.clone();
        grants.insert(grant(
            account,
            ADMINISTRATOR_ACCESS,
            (PrincipalType::User, owner),
        ));
    }
    // Each team set to one team group: past Control Tower's groups, the empty last one aside.
    let teams = snapshot.groups.len() - 1 - GROUPS.len();
    for combo in &team_pairs {
        let team = GROUPS.len() + (combo.permission_set - PERMISSION_SETS.len()) % teams;
        grants.insert((*combo, PrincipalType::Group, group(team).1));
    }
    let wanted = target.saturating_sub(1).max(grants.len());
    for _ in 0..target * ATTEMPTS_PER_ASSIGNMENT {
        if grants.len() >= wanted {
            break;
        }
        let combo = *pick_ref(rng, &team_pairs);
        let principal = match rng.gen_bool(GROUP_SHARE) {
            true => group(rng.gen_range(0..snapshot.groups.len())),
            false => (PrincipalType::User, pick_ref(rng, &holders).user_id.clone()),
        };
        grants.insert((combo, principal.0, principal.1));
    }
    listing(rng, grants, snapshot)
}

fn grant(account: usize, permission_set: usize, principal: (PrincipalType, String)) -> Grant {
    let combo = Combo {
        account,
        permission_set,
    };
    (combo, principal.0, principal.1)
}

/// Every (account, set) pair of the sets past Control Tower's, each on a few accounts.
fn team_pairs(rng: &mut SmallRng, accounts: usize, sets: usize) -> Vec<Combo> {
    (PERMISSION_SETS.len()..sets)
        .flat_map(|permission_set| {
            let on = rng.gen_range(TEAM_ACCOUNTS).min(accounts);
            let mut chosen = index::sample(rng, accounts, on).into_vec();
            chosen.sort_unstable();
            chosen.into_iter().map(move |account| Combo {
                account,
                permission_set,
            })
        })
        .collect()
}

/// The users who hold direct assignments: account owners and a few others.
fn direct_holders<'a>(rng: &mut SmallRng, users: &'a [User]) -> Vec<&'a User> {
    let direct = ((users.len() as f64 * DIRECT_USER_SHARE).ceil() as usize).clamp(1, users.len());
    users.choose_multiple(rng, direct).collect()
}
