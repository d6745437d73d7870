//! `expected.json`: what a correct report must find, computed from the plan's genuine uses
//! and the snapshot's assignments, never from the generated events.

use crate::json::format_time;
use crate::org::Org;
use crate::plan::{PlanConfig, Use, UseKind};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Serialize)]
pub struct Expected {
    pub as_of: String,
    pub lookback_days: u32,
    /// Held (user, account, permission set) combos used inside the window, sorted.
    pub uses: Vec<UseRow>,
    /// Users who signed in to the access portal inside the window, sorted.
    pub portal_sign_ins: Vec<SignInRow>,
    /// `"<user_id> <account_id> <permission_set_name>"` of in-window uses of combos the user
    /// does not hold, sorted.
    pub uses_without_assignment: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct UseRow {
    pub user_id: String,
    pub account_id: String,
    pub permission_set_name: String,
    pub last_console_use: Option<String>,
    pub last_cli_use: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SignInRow {
    pub user_id: String,
    pub last_portal_sign_in: String,
}

/// Latest console and CLI use of one combo.
#[derive(Default)]
struct Last {
    console: Option<i64>,
    cli: Option<i64>,
}

fn keep_latest(slot: &mut Option<i64>, time: i64) {
    *slot = Some(slot.map_or(time, |t| t.max(time)));
}

pub fn compute(org: &Org, uses: &[Use], cfg: &PlanConfig, lookback_days: u32) -> Expected {
    let mut held: BTreeMap<(String, String, String), Last> = BTreeMap::new();
    let mut sign_ins: BTreeMap<String, i64> = BTreeMap::new();
    let mut unheld = BTreeSet::new();
    for u in uses.iter().filter(|u| cfg.in_window(u.time)) {
        let user_id = org.user(u.user).user_id.clone();
        let Some(combo) = u.combo else {
            let entry = sign_ins.entry(user_id).or_insert(u.time);
            *entry = (*entry).max(u.time);
            continue;
        };
        let account_id = org.account_id(combo.account).to_owned();
        let set_name = org.permission_set_name(combo.permission_set).to_owned();
        if !org.holdings[u.user].contains(&combo) {
            unheld.insert(format!("{user_id} {account_id} {set_name}"));
            continue;
        }
        let last = held.entry((user_id, account_id, set_name)).or_default();
        match u.kind {
            UseKind::Console => keep_latest(&mut last.console, u.time),
            UseKind::Cli => keep_latest(&mut last.cli, u.time),
            UseKind::PortalSignIn => unreachable!("portal sign-ins have no combo"),
        }
    }
    Expected {
        as_of: format_time(cfg.as_of),
        lookback_days,
        uses: held
            .into_iter()
            .map(
                |((user_id, account_id, permission_set_name), last)| UseRow {
                    user_id,
                    account_id,
                    permission_set_name,
                    last_console_use: last.console.map(format_time),
                    last_cli_use: last.cli.map(format_time),
                },
            )
            .collect(),
        portal_sign_ins: sign_ins
            .into_iter()
            .map(|(user_id, time)| SignInRow {
                user_id,
                last_portal_sign_in: format_time(time),
            })
            .collect(),
        uses_without_assignment: unheld.into_iter().collect(),
    }
}
