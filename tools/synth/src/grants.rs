//! Assignments before they are listed: who holds which account and permission set, the traps
//! every shape of organization starts from (deleted users and groups that assignments still
//! name), and the listing as a snapshot holds it (one assignment listed twice).

use crate::json::uuid;
use idc_credential_report::directory::{Assignment, PrincipalType, Snapshot};
use rand::rngs::SmallRng;
use rand::Rng;
use std::collections::BTreeSet;

/// One account and one permission set: what a `Federate` or `GetRoleCredentials` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Combo {
    pub account: usize,
    pub permission_set: usize,
}

/// A deleted user: gone from the directory, still named by assignments and by events.
pub struct Ghost {
    pub user_id: String,
    pub user_name: String,
    pub combos: Vec<Combo>,
}

/// One assignment before it is listed: ordered by account and permission set, as a listing
/// returns them.
pub type Grant = (Combo, PrincipalType, String);

/// The grants every shape starts from: the administrators on the management account, the
/// deleted users' assignments (recorded in `ghosts` for the logs) and a deleted group's.
/// `combo` picks where a deleted principal's assignment is.
pub fn traps(
    rng: &mut SmallRng,
    snapshot: &Snapshot,
    ghosts: &mut [Ghost],
    store_hex: &str,
    mut combo: impl FnMut(&mut SmallRng) -> Combo,
) -> BTreeSet<Grant> {
    let mut grants = BTreeSet::new();
    // The administrators hold the management account, as in every organization.
    if let Some(admins) = snapshot.groups.first() {
        grants.insert((
            Combo {
                account: 0,
                permission_set: 0,
            },
            PrincipalType::Group,
            admins.group_id.clone(),
        ));
    }
    for ghost in ghosts.iter_mut() {
        let combo = combo(rng);
        ghost.combos.push(combo);
        grants.insert((combo, PrincipalType::User, ghost.user_id.clone()));
    }
    let deleted_group = format!("{store_hex}-{}", uuid(rng));
    grants.insert((combo(rng), PrincipalType::Group, deleted_group));
    grants
}

/// The grants as the snapshot lists them, in order, with one of them listed twice (AWS cannot
/// hold a duplicate, a snapshot can, and the tool must count it once).
pub fn listing(
    rng: &mut SmallRng,
    grants: BTreeSet<Grant>,
    snapshot: &Snapshot,
) -> Vec<Assignment> {
    let duplicate = rng.gen_range(0..grants.len());
    let mut out = Vec::with_capacity(grants.len() + 1);
    for (i, (combo, principal_type, principal_id)) in grants.into_iter().enumerate() {
        let assignment = Assignment {
            account_id: snapshot.accounts[combo.account].id.clone(),
            permission_set_arn: snapshot.permission_sets[combo.permission_set].arn.clone(),
            principal_type,
            principal_id,
        };
        if i == duplicate {
            out.push(assignment.clone());
        }
        out.push(assignment);
    }
    out
}
