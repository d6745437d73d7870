//! How assignments spread over accounts, permission sets and principals.
//!
//! `uniform` (the default, and what `examples/small` was made with) draws each assignment at
//! random over (account, permission set, principal). Real organizations are concentrated, and
//! the concentration decides what a live enumeration of the directory costs: listing the
//! assignments takes one call per (account, permission set) pair that holds any, so the
//! number of distinct pairs matters far more than the number of assignments. `realistic`
//! reproduces that concentration:
//!
//! - each account has a handful of permission sets provisioned: a few common ones
//!   (AdministratorAccess, ReadOnlyAccess, Billing, ...) on most accounts, the specialist ones
//!   on a few, and each team's own `TeamNNDeveloper` set on its few accounts;
//! - about 85% of the assignments go to groups, each group holding one or two permission sets
//!   on a set of accounts (team `TeamNN` holds its own set, sometimes with ReadOnlyAccess);
//! - the rest are direct assignments of a minority of users;
//! - every user is in one to three groups and every group has members, except the last one,
//!   which stays empty on purpose (its assignments reach nobody).
//!
//! The traps of every shape stay: deleted users and a deleted group keep assignments, and one
//! assignment is listed twice.

use crate::grants::{listing, traps, Combo, Ghost, Grant};
use crate::json::{pick_ref, uuid};
use crate::names::{group_name, FIRST_TEAM_GROUP, FIRST_TEAM_SET};
use idc_credential_report::directory::{Assignment, Group, PrincipalType, Snapshot, User};
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::SmallRng;
use rand::seq::{index, SliceRandom};
use rand::Rng;
use std::collections::{BTreeSet, HashMap, HashSet};

/// How `--assignment-shape` spreads the assignments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AssignmentShape {
    /// At random over (account, permission set, principal); 40% to groups.
    Uniform,
    /// Concentrated as in real organizations: few permission sets per account, mostly groups.
    Realistic,
    /// An AWS Control Tower landing zone: its six permission sets on every account, the
    /// others on a few accounts each (`control_tower.rs`).
    ControlTower,
}

/// Share of the accounts that have each named permission set provisioned, in the order of
/// `org::PERMISSION_SETS`: AdministratorAccess, ReadOnlyAccess and Billing almost everywhere,
/// the other broad ones on some accounts, the specialist ones on a few. With 500 accounts and
/// 100 sets this gives about 1,900 pairs, and the 89 team sets about 500 more.
const NAMED_REACH: [f64; FIRST_TEAM_SET] = [
    0.9, 0.85, 0.55, 0.25, 0.35, 0.45, 0.06, 0.06, 0.06, 0.06, 0.06,
];
/// How often groups hold each named permission set, same order: ReadOnlyAccess and
/// PowerUserAccess are what most teams get, Billing is for finance alone, the specialist sets
/// for their specialists.
const NAMED_GRANT_WEIGHT: [f64; FIRST_TEAM_SET] =
    [0.4, 1.0, 0.05, 0.8, 0.5, 0.3, 0.1, 0.1, 0.1, 0.1, 0.1];
/// A team's own permission set is provisioned on its few accounts (prod, staging, dev, ...).
const TEAM_ACCOUNTS: std::ops::RangeInclusive<usize> = 2..=10;
const ADMINISTRATOR_ACCESS: usize = 0;
const READ_ONLY_ACCESS: usize = 1;
/// Share of the assignments that go to groups.
const GROUP_SHARE: f64 = 0.85;
/// Share of the users that hold direct assignments (break-glass, owners, leftovers).
const DIRECT_USER_SHARE: f64 = 0.15;
/// How often a group holds a second permission set next to its main one.
const SECOND_SET_CHANCE: f64 = 0.5;
/// Group popularity falls off as rank^-0.8: a few groups with hundreds of members (all of
/// engineering), many teams of a dozen.
const POPULARITY_EXPONENT: f64 = 0.8;
/// Draws of the random fills per wanted assignment before giving up on a small organization
/// that cannot hold that many distinct assignments (as the uniform shape does).
const ATTEMPTS_PER_ASSIGNMENT: usize = 20;

/// Groups with realistic memberships: each user in one to three groups (if there are fewer
/// users than groups, some users are in more, so that no group but the last is empty).
pub fn groups(rng: &mut SmallRng, store_hex: &str, users: &[User], count: usize) -> Vec<Group> {
    let ids: Vec<String> = (0..count)
        .map(|_| format!("{store_hex}-{}", uuid(rng)))
        .collect();
    let members = memberships(rng, users.len(), count.saturating_sub(1));
    ids.into_iter()
        .enumerate()
        .map(|(i, group_id)| Group {
            group_id,
            display_name: Some(group_name(i)),
            member_user_ids: members
                .get(i)
                .into_iter()
                .flatten()
                .map(|&u| users[u].user_id.clone())
                .collect(),
        })
        .collect()
}

/// For each of the first `staffed` groups, its members (user indexes, in order). Each group is
/// first given one member, so that none is empty; then each user joins groups by popularity
/// until they are in one (55%), two (30%) or three (15%).
fn memberships(rng: &mut SmallRng, users: usize, staffed: usize) -> Vec<BTreeSet<usize>> {
    let mut members = vec![BTreeSet::new(); staffed];
    if staffed == 0 || users == 0 {
        return members;
    }
    let popularity = popularity(rng, staffed);
    let mut joined: Vec<Vec<usize>> = vec![Vec::new(); users];
    let mut order: Vec<usize> = (0..users).collect();
    order.shuffle(rng);
    for group in 0..staffed {
        joined[order[group % users]].push(group);
    }
    for groups in joined.iter_mut() {
        let wanted = match rng.gen_range(0..20) {
            0..=10 => 1,
            11..=16 => 2,
            _ => 3,
        };
        while groups.len() < wanted.min(staffed) {
            let group = popularity.sample(rng);
            if !groups.contains(&group) {
                groups.push(group);
            }
        }
    }
    for (user, groups) in joined.iter().enumerate() {
        for &group in groups {
            members[group].insert(user);
        }
    }
    members
}

/// Zipf-like weights over the groups in a random order, so that the big groups are not
/// always the first ones.
fn popularity(rng: &mut SmallRng, groups: usize) -> WeightedIndex<f64> {
    let mut ranks: Vec<usize> = (0..groups).collect();
    ranks.shuffle(rng);
    let weights = ranks
        .iter()
        .map(|&rank| ((rank + 1) as f64).powf(-POPULARITY_EXPONENT));
    WeightedIndex::new(weights).expect("at least one group, positive weights")
}

/// Where each permission set is provisioned, and the assignments a shape may place there.
struct Provisioning {
    /// Per permission set: the accounts it is provisioned to, sorted.
    accounts: Vec<Vec<usize>>,
    /// Every provisioned (account, permission set) pair.
    pairs: Vec<Combo>,
    provisioned: HashSet<Combo>,
}

impl Provisioning {
    /// The named sets on a share of the accounts each, team sets on a few accounts each; every
    /// set on at least one account, and AdministratorAccess on the management account (the
    /// administrators' grant needs it).
    fn new(rng: &mut SmallRng, accounts: usize, sets: usize) -> Self {
        let accounts: Vec<Vec<usize>> = (0..sets)
            .map(|set| {
                let mut chosen: Vec<usize> = match NAMED_REACH.get(set) {
                    Some(&reach) => (0..accounts).filter(|_| rng.gen_bool(reach)).collect(),
                    None => {
                        let team_accounts = rng.gen_range(TEAM_ACCOUNTS).min(accounts);
                        index::sample(rng, accounts, team_accounts).into_vec()
                    }
                };
                if chosen.is_empty() || (set == ADMINISTRATOR_ACCESS && !chosen.contains(&0)) {
                    chosen.push(if set == ADMINISTRATOR_ACCESS {
                        0
                    } else {
                        rng.gen_range(0..accounts)
                    });
                }
                chosen.sort_unstable();
                chosen
            })
            .collect();
        let pairs: Vec<Combo> = accounts
            .iter()
            .enumerate()
            .flat_map(|(set, on)| {
                on.iter().map(move |&account| Combo {
                    account,
                    permission_set: set,
                })
            })
            .collect();
        let provisioned = pairs.iter().copied().collect();
        Provisioning {
            accounts,
            pairs,
            provisioned,
        }
    }

    fn random_pair(&self, rng: &mut SmallRng) -> Combo {
        *pick_ref(rng, &self.pairs)
    }
}

/// Assignments in the realistic shape (see the module documentation), sorted as a listing
/// returns them, with the same traps as the uniform shape.
pub fn assignments(
    rng: &mut SmallRng,
    target: usize,
    snapshot: &Snapshot,
    ghosts: &mut [Ghost],
    store_hex: &str,
) -> Vec<Assignment> {
    let (accounts, sets) = (snapshot.accounts.len(), snapshot.permission_sets.len());
    let provisioning = Provisioning::new(rng, accounts, sets);
    let mut grants = traps(rng, snapshot, ghosts, store_hex, |rng| {
        provisioning.random_pair(rng)
    });
    let wanted = target.saturating_sub(1).max(grants.len());
    let budget = target * ATTEMPTS_PER_ASSIGNMENT;
    let for_groups = (wanted as f64 * GROUP_SHARE).round() as usize;
    grant_groups(
        rng,
        &mut grants,
        snapshot,
        &provisioning,
        for_groups,
        budget,
    );
    grant_users(
        rng,
        &mut grants,
        &snapshot.users,
        &provisioning,
        wanted,
        budget,
    );
    listing(rng, grants, snapshot)
}

/// What a group holds: one or two permission sets, and how much of the organization it is
/// given them on (a weight: most groups reach a few accounts, some reach hundreds).
struct GroupAccess {
    sets: Vec<usize>,
    reach: f64,
}

/// The Administrators hold AdministratorAccess; team `TeamNN` holds its own `TeamNNDeveloper`
/// set (when there is one), sometimes with ReadOnlyAccess; other groups hold named sets, drawn
/// by `NAMED_GRANT_WEIGHT`.
fn group_access(rng: &mut SmallRng, group: usize, sets: usize) -> GroupAccess {
    let named = sets.min(FIRST_TEAM_SET);
    let common =
        WeightedIndex::new(&NAMED_GRANT_WEIGHT[..named]).expect("at least one permission set");
    let team_set = group
        .checked_sub(FIRST_TEAM_GROUP)
        .map(|team| FIRST_TEAM_SET + team)
        .filter(|&set| set < sets);
    let main = match (group, team_set) {
        (0, _) => ADMINISTRATOR_ACCESS,
        (_, Some(set)) => set,
        _ => common.sample(rng),
    };
    let mut held = vec![main];
    if group > 0 && rng.gen_bool(SECOND_SET_CHANCE) {
        let second = match team_set {
            Some(_) => READ_ONLY_ACCESS.min(named - 1),
            None => common.sample(rng),
        };
        if !held.contains(&second) {
            held.push(second);
        }
    }
    GroupAccess {
        sets: held,
        reach: rng.gen_range(0.05f64..1.0).powi(2),
    }
}

/// Adds group assignments until `count` of the grants are to groups. Each step gives a group
/// one more account where its main set is provisioned, with each of its sets provisioned there.
fn grant_groups(
    rng: &mut SmallRng,
    grants: &mut BTreeSet<Grant>,
    snapshot: &Snapshot,
    provisioning: &Provisioning,
    count: usize,
    budget: usize,
) {
    let sets = snapshot.permission_sets.len();
    let access: Vec<GroupAccess> = (0..snapshot.groups.len())
        .map(|group| group_access(rng, group, sets))
        .collect();
    let pick = WeightedIndex::new(access.iter().map(|a| a.reach)).expect("at least one group");
    let mut held = grants
        .iter()
        .filter(|(_, kind, _)| *kind == PrincipalType::Group)
        .count();
    for _ in 0..budget {
        if held >= count {
            break;
        }
        let group = pick.sample(rng);
        let sets = &access[group].sets;
        let account = *pick_ref(rng, &provisioning.accounts[sets[0]]);
        for &permission_set in sets {
            let combo = Combo {
                account,
                permission_set,
            };
            let id = &snapshot.groups[group].group_id;
            if held < count
                && provisioning.provisioned.contains(&combo)
                && grants.insert((combo, PrincipalType::Group, id.clone()))
            {
                held += 1;
            }
        }
    }
}

/// Adds direct user assignments, on provisioned pairs, until there are `wanted` grants; only
/// a minority of the users hold any.
fn grant_users(
    rng: &mut SmallRng,
    grants: &mut BTreeSet<Grant>,
    users: &[User],
    provisioning: &Provisioning,
    wanted: usize,
    budget: usize,
) {
    let direct = ((users.len() as f64 * DIRECT_USER_SHARE).ceil() as usize).clamp(1, users.len());
    let holders: Vec<&User> = users.choose_multiple(rng, direct).collect();
    for _ in 0..budget {
        if grants.len() >= wanted {
            break;
        }
        let user = pick_ref(rng, &holders);
        let combo = provisioning.random_pair(rng);
        grants.insert((combo, PrincipalType::User, user.user_id.clone()));
    }
}

/// What decides the cost of enumerating a snapshot's directory, for the generator's summary.
pub struct ShapeStats {
    pub listed: usize,
    pub distinct: usize,
    pub pairs: usize,
    pub group_share: f64,
    /// The fewest and most groups a user is in.
    pub groups_per_user: (usize, usize),
    pub empty_groups: usize,
}

impl ShapeStats {
    pub fn of(snapshot: &Snapshot) -> Self {
        let distinct: HashSet<&Assignment> = snapshot.assignments.iter().collect();
        let pairs: HashSet<(&str, &str)> = distinct
            .iter()
            .map(|a| (a.account_id.as_str(), a.permission_set_arn.as_str()))
            .collect();
        let to_groups = distinct
            .iter()
            .filter(|a| a.principal_type == PrincipalType::Group)
            .count();
        let mut per_user: HashMap<&str, usize> = snapshot
            .users
            .iter()
            .map(|u| (u.user_id.as_str(), 0))
            .collect();
        for id in snapshot.groups.iter().flat_map(|g| &g.member_user_ids) {
            *per_user.entry(id.as_str()).or_default() += 1;
        }
        ShapeStats {
            listed: snapshot.assignments.len(),
            distinct: distinct.len(),
            pairs: pairs.len(),
            group_share: to_groups as f64 / distinct.len().max(1) as f64,
            groups_per_user: (
                per_user.values().copied().min().unwrap_or(0),
                per_user.values().copied().max().unwrap_or(0),
            ),
            empty_groups: snapshot
                .groups
                .iter()
                .filter(|g| g.member_user_ids.is_empty())
                .count(),
        }
    }
}

impl std::fmt::Display for ShapeStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} assignments listed ({} distinct) on {} (account, permission set) pairs, \
             {:.1}% to groups; users in {}-{} groups; {} empty group(s)",
            self.listed,
            self.distinct,
            self.pairs,
            self.group_share * 100.0,
            self.groups_per_user.0,
            self.groups_per_user.1,
            self.empty_groups
        )
    }
}
