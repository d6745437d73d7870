//! The story the logs tell: who signs in, who uses which assignment when, and every event
//! that looks like evidence but is not.
//!
//! The ground truth is kept here as the planned genuine uses themselves ([`Use`]), so
//! `expected.json` never depends on reading the events back: a bug in how events are written
//! cannot hide the same bug in the reader. Everything else emitted is a trap, and is recorded
//! nowhere.

use crate::events::{self, Details, Envelope, Failure, RoleSession, Who};
use crate::grants::Combo;
use crate::json::{chars, ip, pick, uuid, HEX};
use crate::org::{capitalize, Org, HOME_REGION};
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::BTreeMap;

/// 2025-07-14: events begin to name users by `onBehalfOf` only.
pub(crate) const NEW_FORMAT_FROM: i64 = 1_752_451_200;
/// 2025-11-26: the new format is deployed everywhere.
const NEW_FORMAT_EVERYWHERE: i64 = 1_764_115_200;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;
/// The share of genuine uses followed by their member-account events. A real organization
/// trail has them for every use; a share exercises the same trap in a smaller tree.
const FOLLOW_UP_SHARE: f64 = 0.4;

const BROWSERS: [&str; 5] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
];
const CLIS: [&str; 4] = [
    "aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#sso.get-role-credentials",
    "aws-cli/2.21.1 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1016-aws md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#s3.ls",
    "aws-sdk-go-v2/1.36.3 ua/2.1 os/linux lang/go#1.26.4 md/GOOS#linux md/GOARCH#arm64 api/sso#1.25.3 m/E,g",
    "Boto3/1.35.66 md/Botocore#1.35.66 ua/2.0 os/macos#24.1.0 md/arch#arm64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.66",
];
/// The client Identity Center itself uses to call STS in the member account.
const SSO_SERVICE_AGENT: &str = "aws-sdk-java/2.46.14 md/io#sync md/http#Apache md/internal ua/2.1 api/STS#2.46.x os/Linux#4.14.355-284.735.amzn2.x86_64 lang/java#17.0.19 md/OpenJDK_64-Bit_Server_VM#17.0.19+11-LTS md/vendor#Amazon.com_Inc. md/en_US m/E,N,AJ";

pub struct PlanConfig {
    pub as_of: i64,
    pub window_start: i64,
    /// The earliest time of generated activity (`--days` before `as_of`).
    pub history_start: i64,
    /// The share of genuine uses written in an older `userIdentity` format whatever their date.
    pub old_format_share: f64,
}

impl PlanConfig {
    pub fn in_window(&self, time: i64) -> bool {
        (self.window_start..=self.as_of).contains(&time)
    }
}

/// One event, serialized, and where it is delivered.
pub struct Placed {
    /// Whose trail folder holds it.
    pub account: usize,
    pub region: &'static str,
    pub event_time: i64,
    /// Decides the file: the event time, or later for a second delivery.
    pub place_time: i64,
    /// A second delivery of an event, in a file of its own.
    pub redelivered: bool,
    pub json: Vec<u8>,
    /// A genuine use (a candidate for delivering twice).
    pub genuine: bool,
    /// Written alone as a plain `.json` file instead of in a delivered `.json.gz`.
    pub plain: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UseKind {
    Console,
    Cli,
    PortalSignIn,
}

/// A genuine use by a user of the snapshot: the ground truth.
#[derive(Debug, Clone)]
pub struct Use {
    pub user: usize,
    pub kind: UseKind,
    /// `None` for portal sign-ins.
    pub combo: Option<Combo>,
    pub time: i64,
}

pub struct Plan {
    pub placed: Vec<Placed>,
    pub uses: Vec<Use>,
}

pub fn build(org: &Org, cfg: &PlanConfig, rng: SmallRng) -> Plan {
    let mut planner = Planner::new(org, cfg, rng);
    let mut users: Vec<usize> = (0..org.snapshot.users.len()).collect();
    users.shuffle(&mut planner.rng);
    let idle_count = users.len() * 3 / 10;
    let (idle, active) = users.split_at(idle_count);
    let (mut idle, active) = (idle.to_vec(), active.to_vec());
    planner.window_edges(&mut idle);
    planner.everyday_use(&active);
    planner.uses_without_assignment(&active);
    let plain_user = planner.plain_file_event(&active);
    planner.renamed_user_use(&active, plain_user);
    planner.failed_role_uses();
    planner.failed_sign_ins();
    planner.other_identity_store();
    planner.before_user_created();
    planner.unknown_users();
    planner.application_sign_ins(&active);
    planner.portal_listings_without_use();
    planner.member_events_without_use();
    planner.portal_urls_2017(&active);
    planner.second_deliveries();
    Plan {
        placed: planner.placed,
        uses: planner.uses,
    }
}

/// The session of the reserved role of `combo` that `actor` started at `started`.
fn role_session<'o>(org: &'o Org, actor: Actor<'o>, combo: Combo, started: i64) -> RoleSession<'o> {
    let role = org.role(combo);
    RoleSession {
        account: org.account_id(combo.account),
        role_name: &role.name,
        role_id: &role.role_id,
        session_name: actor.user_name,
        home_region: HOME_REGION,
        started,
    }
}

/// Which `userIdentity` generation an event is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Center,
    Transitional,
    /// `principalId` is the identity-store user id (portal events only; sign-ins carry the
    /// account there).
    LegacyUserId,
    /// `principalId` is the account id: only the user name identifies the user.
    LegacyAccount,
}

/// Whom an event is about, as far as the event can say.
#[derive(Clone, Copy)]
struct Actor<'a> {
    user_id: &'a str,
    user_name: &'a str,
    store_arn: &'a str,
    /// The account of the Identity Center instance, whose trail records the event.
    home: usize,
    /// A name the user had before being renamed.
    former_name: Option<&'a str>,
}

impl<'a> Actor<'a> {
    fn user(org: &'a Org, user: usize) -> Self {
        let u = org.user(user);
        Actor {
            user_id: &u.user_id,
            user_name: &u.user_name,
            store_arn: &org.store_arn,
            home: 0,
            former_name: org.former_names[user].as_deref(),
        }
    }

    /// How an event in `format` names this actor; `credential_id` is the portal session's (or,
    /// for a sign-in, the sign-in's own).
    fn who(
        &self,
        org: &'a Org,
        format: Format,
        written_name: &'a str,
        credential_id: &'a str,
        sign_in: bool,
    ) -> Who<'a> {
        let account = org.account_id(self.home);
        match format {
            Format::Center => Who::Center {
                account,
                user_id: self.user_id,
                store_arn: self.store_arn,
                credential_id,
            },
            Format::Transitional => Who::Transitional {
                account,
                user_id: self.user_id,
                store_arn: self.store_arn,
                credential_id,
                user_name: written_name,
            },
            Format::LegacyUserId if !sign_in => Who::Legacy {
                account,
                principal_id: self.user_id,
                user_name: written_name,
            },
            Format::LegacyUserId | Format::LegacyAccount => Who::Legacy {
                account,
                principal_id: account,
                user_name: written_name,
            },
        }
    }
}

/// Where a person connects from, with what, and their current portal session.
#[derive(Clone)]
struct Person {
    ip: String,
    browser: &'static str,
    cli: &'static str,
    cli_share: f64,
    token: String,
}

impl Person {
    fn random(rng: &mut SmallRng) -> Self {
        Person {
            ip: ip(rng),
            browser: pick(rng, &BROWSERS),
            cli: pick(rng, &CLIS),
            cli_share: rng.gen_range(0.1..0.9),
            token: events::portal_credential_id(rng),
        }
    }
}

/// What a `Federate` or `GetRoleCredentials` turns out to be.
#[derive(Clone, Copy)]
enum Outcome {
    /// A use by a user of the snapshot: recorded, and often followed by member-account events.
    Genuine,
    /// Looks like a use but is not one the report may count.
    Trap,
    Failed(&'static str, &'static str),
}

struct Planner<'a> {
    org: &'a Org,
    cfg: &'a PlanConfig,
    rng: SmallRng,
    people: Vec<Person>,
    portal_url: String,
    placed: Vec<Placed>,
    uses: Vec<Use>,
}

impl<'a> Planner<'a> {
    fn new(org: &'a Org, cfg: &'a PlanConfig, mut rng: SmallRng) -> Self {
        let people = org
            .snapshot
            .users
            .iter()
            .map(|_| Person::random(&mut rng))
            .collect();
        Planner {
            org,
            cfg,
            rng,
            people,
            portal_url: format!(
                "https://{}.awsapps.com/start/",
                org.snapshot.identity_store_id
            ),
            placed: Vec::new(),
            uses: Vec::new(),
        }
    }

    // ---- writing events ----

    /// Serializes one event into the plan; returns its index.
    fn emit(
        &mut self,
        account: usize,
        time: i64,
        genuine: bool,
        write: impl FnOnce(&mut Vec<u8>, &mut SmallRng),
    ) -> usize {
        let mut json = Vec::with_capacity(1536);
        write(&mut json, &mut self.rng);
        self.placed.push(Placed {
            account,
            region: HOME_REGION,
            event_time: time,
            place_time: time,
            redelivered: false,
            json,
            genuine,
            plain: false,
        });
        self.placed.len() - 1
    }

    fn envelope<'s>(
        &self,
        time: i64,
        ip: &'s str,
        user_agent: &'s str,
        account: usize,
    ) -> Envelope<'s>
    where
        'a: 's,
    {
        Envelope {
            time,
            region: HOME_REGION,
            ip,
            user_agent,
            recipient: self.org.account_id(account),
        }
    }

    fn format_at(&mut self, time: i64) -> Format {
        if self.rng.gen_bool(self.cfg.old_format_share) {
            return pick(
                &mut self.rng,
                &[
                    Format::Transitional,
                    Format::LegacyUserId,
                    Format::LegacyAccount,
                ],
            );
        }
        match time {
            t if t < NEW_FORMAT_FROM && self.rng.gen_bool(0.7) => Format::LegacyUserId,
            t if t < NEW_FORMAT_FROM => Format::LegacyAccount,
            t if t < NEW_FORMAT_EVERYWHERE && self.rng.gen_bool(0.5) => Format::Transitional,
            _ => Format::Center,
        }
    }

    /// The user name as an older event spells it: sometimes in another letter case.
    fn written_name(&mut self, name: &str, format: Format) -> String {
        if format == Format::Center || self.rng.gen_bool(0.7) {
            return name.to_owned();
        }
        match self.rng.gen_range(0..3) {
            0 => name.to_uppercase(),
            1 => name.to_lowercase(),
            _ => name
                .split('.')
                .map(capitalize)
                .collect::<Vec<_>>()
                .join("."),
        }
    }

    /// A `Federate` (console) or `GetRoleCredentials` (CLI), in the instance's account.
    /// Returns the index of the event.
    #[allow(clippy::too_many_arguments)]
    fn role_event(
        &mut self,
        actor: Actor<'_>,
        person: &Person,
        format: Format,
        combo: Combo,
        kind: UseKind,
        time: i64,
        outcome: Outcome,
    ) -> usize {
        let org = self.org;
        let written = match actor.former_name {
            // Written before the user was renamed: only the user id in principalId still matches.
            Some(former) if format == Format::LegacyUserId && self.rng.gen_bool(0.3) => {
                former.to_owned()
            }
            _ => self.written_name(actor.user_name, format),
        };
        let who = actor.who(org, format, &written, &person.token, false);
        let (name, agent) = match kind {
            UseKind::Cli => ("GetRoleCredentials", person.cli),
            _ => ("Federate", person.browser),
        };
        let details = Details::Role {
            role_name: org.permission_set_name(combo.permission_set),
            account_id: org.account_id(combo.account),
        };
        let failure: Failure = match outcome {
            Outcome::Failed(code, message) => Some((code, message)),
            _ => None,
        };
        let env = self.envelope(time, &person.ip, agent, actor.home);
        let genuine = matches!(outcome, Outcome::Genuine);
        let index = self.emit(actor.home, time, genuine, |out, rng| {
            events::portal_call(out, rng, &env, &who, name, details, failure);
        });
        if genuine && self.rng.gen_bool(FOLLOW_UP_SHARE) {
            self.member_follow_up(actor, person, combo, kind, time);
        }
        index
    }

    /// A `UserAuthentication`, in the instance's account. Returns the index of the event.
    fn sign_in_event(
        &mut self,
        actor: Actor<'_>,
        person: &Person,
        format: Format,
        time: i64,
        outcome: &str,
    ) -> usize {
        let org = self.org;
        let written = self.written_name(actor.user_name, format);
        let credential = uuid(&mut self.rng);
        let who = actor.who(org, format, &written, &credential, true);
        let env = self.envelope(time, &person.ip, person.browser, actor.home);
        let portal_url = self.portal_url.clone();
        self.emit(actor.home, time, false, |out, rng| {
            events::user_authentication(out, rng, &env, &who, &portal_url, outcome);
        })
    }

    /// What the member account records after a use: the console sign-in under the reserved
    /// role, or the role assumption for CLI credentials and the caller's first call.
    fn member_follow_up(
        &mut self,
        actor: Actor<'_>,
        person: &Person,
        combo: Combo,
        kind: UseKind,
        time: i64,
    ) {
        let org = self.org;
        let session = role_session(org, actor, combo, time);
        if kind == UseKind::Console {
            let t = time + self.rng.gen_range(1..4);
            let env = self.envelope(t, &person.ip, person.browser, combo.account);
            self.emit(combo.account, t, false, |out, rng| {
                events::console_login(out, rng, &env, &session)
            });
            return;
        }
        let service_ip = ip(&mut self.rng);
        let env = self.envelope(time + 1, &service_ip, SSO_SERVICE_AGENT, combo.account);
        let provider = &org.saml_provider;
        self.emit(combo.account, time + 1, false, |out, rng| {
            events::assume_role_with_saml(out, rng, &env, &session, provider);
        });
        let mut later = Vec::new();
        if self.rng.gen_bool(0.5) {
            later.push(time + self.rng.gen_range(2..30));
        }
        // The credentials last twelve hours; some are used long after they were issued.
        if self.rng.gen_bool(0.25) {
            later.push(time + self.rng.gen_range(HOUR..10 * HOUR));
        }
        for t in later {
            self.caller_identity(actor, person, combo, time, t);
        }
    }

    /// A `GetCallerIdentity` in the member account with role credentials issued at
    /// `started`; it carries `onBehalfOf`.
    fn caller_identity(
        &mut self,
        actor: Actor<'_>,
        person: &Person,
        combo: Combo,
        started: i64,
        time: i64,
    ) {
        let session = role_session(self.org, actor, combo, started);
        let env = self.envelope(time, &person.ip, person.cli, combo.account);
        self.emit(combo.account, time, false, |out, rng| {
            events::get_caller_identity(out, rng, &env, &session, (actor.user_id, actor.store_arn));
        });
    }

    /// The portal listings that precede a use: `ListAccounts`, `ListAccountRoles`, and for
    /// the CLI sometimes a `CreateToken`. Returns the time of the use.
    fn portal_listings(
        &mut self,
        actor: Actor<'_>,
        person: &Person,
        format: Format,
        combo: Combo,
        kind: UseKind,
        time: i64,
    ) -> i64 {
        let org = self.org;
        let written = self.written_name(actor.user_name, format);
        let who = actor.who(org, format, &written, &person.token, false);
        let agent = if kind == UseKind::Cli {
            person.cli
        } else {
            person.browser
        };
        let mut t = time;
        if kind == UseKind::Cli && self.rng.gen_bool(0.3) {
            let env = self.envelope(t, &person.ip, agent, actor.home);
            let store = &org.snapshot.identity_store_id;
            self.emit(actor.home, t, false, |out, rng| {
                events::create_token(out, rng, &env, &who, "sso-oauth.amazonaws.com", store);
            });
            t += self.rng.gen_range(5..40);
        }
        let env = self.envelope(t, &person.ip, agent, actor.home);
        self.emit(actor.home, t, false, |out, rng| {
            events::portal_call(out, rng, &env, &who, "ListAccounts", Details::Absent, None);
        });
        t += self.rng.gen_range(1..15);
        let env = self.envelope(t, &person.ip, agent, actor.home);
        let account = org.account_id(combo.account);
        self.emit(actor.home, t, false, |out, rng| {
            events::portal_call(
                out,
                rng,
                &env,
                &who,
                "ListAccountRoles",
                Details::Account(account),
                None,
            );
        });
        t + self.rng.gen_range(1..20)
    }

    // ---- genuine uses: the ground truth ----

    fn user_role_use(
        &mut self,
        user: usize,
        combo: Combo,
        kind: UseKind,
        time: i64,
        format: Format,
    ) -> usize {
        let person = self.people[user].clone();
        let index = self.role_event(
            Actor::user(self.org, user),
            &person,
            format,
            combo,
            kind,
            time,
            Outcome::Genuine,
        );
        self.uses.push(Use {
            user,
            kind,
            combo: Some(combo),
            time,
        });
        index
    }

    fn user_sign_in(&mut self, user: usize, time: i64, format: Format) {
        let person = self.people[user].clone();
        let index = self.sign_in_event(
            Actor::user(self.org, user),
            &person,
            format,
            time,
            "Success",
        );
        self.placed[index].genuine = true;
        self.uses.push(Use {
            user,
            kind: UseKind::PortalSignIn,
            combo: None,
            time,
        });
    }

    /// One sitting: maybe a portal sign-in, then one or two uses of favourite assignments,
    /// the first after browsing the portal (always in the console, sometimes from the CLI).
    fn session(&mut self, user: usize, start: i64, favorites: &[Combo]) {
        let format = self.format_at(start);
        self.people[user].token = events::portal_credential_id(&mut self.rng);
        let person = self.people[user].clone();
        let mut t = start;
        if favorites.is_empty() || self.rng.gen_bool(0.6) {
            self.user_sign_in(user, t, format);
            t += self.rng.gen_range(15..90);
        }
        let uses = if favorites.is_empty() {
            0
        } else {
            self.rng.gen_range(1..=2)
        };
        for n in 0..uses {
            let combo = pick(&mut self.rng, favorites);
            let kind = if self.rng.gen_bool(person.cli_share) {
                UseKind::Cli
            } else {
                UseKind::Console
            };
            if n == 0 && (kind == UseKind::Console || self.rng.gen_bool(0.25)) {
                t = self.portal_listings(
                    Actor::user(self.org, user),
                    &person,
                    format,
                    combo,
                    kind,
                    t,
                );
            }
            self.user_role_use(user, combo, kind, t, format);
            t += self.rng.gen_range(60..1800);
        }
    }

    /// The earliest time a user can act: the history start, or an hour after they were created.
    fn earliest(&self, user: usize) -> i64 {
        let created = self.org.created_at(user).map_or(i64::MIN, |c| c + HOUR);
        self.cfg.history_start.max(created)
    }

    fn everyday_use(&mut self, active: &[usize]) {
        let days = (self.cfg.as_of - self.cfg.history_start) / DAY;
        let max_sessions = 1 + days / 30;
        for &user in active {
            let held: Vec<Combo> = self.org.holdings[user].iter().copied().collect();
            let favorite_count = self.rng.gen_range(1..=3).min(held.len());
            let favorites: Vec<Combo> = held
                .choose_multiple(&mut self.rng, favorite_count)
                .copied()
                .collect();
            let (lo, hi) = (self.earliest(user), self.cfg.as_of - 2 * HOUR);
            if lo >= hi {
                continue;
            }
            for _ in 0..self.rng.gen_range(1..=max_sessions) {
                let start = self.rng.gen_range(lo..hi);
                self.session(user, start, &favorites);
            }
        }
    }

    /// Uses exactly at both ends of the window (which count) and one second outside each end
    /// (which do not), each by a user with no other activity, so nothing else masks them.
    fn window_edges(&mut self, idle: &mut Vec<usize>) {
        let (start, end) = (self.cfg.window_start, self.cfg.as_of);
        let role_edges = [
            (start, UseKind::Console, Format::Center),
            (start - 1, UseKind::Cli, Format::LegacyUserId),
            (end, UseKind::Cli, Format::Center),
            (end + 1, UseKind::Console, Format::Center),
        ];
        for (time, kind, format) in role_edges {
            let Some(user) = self.take_idle(idle, true) else {
                continue;
            };
            let combo = *self.org.holdings[user]
                .iter()
                .next()
                .expect("take_idle checked");
            self.user_role_use(user, combo, kind, time, format);
            if time == start - 1 {
                // The credentials it issued are still used inside the window.
                self.lingering_credentials(user, combo, time, start + 2 * HOUR);
            }
        }
        for time in [start, start - 1, end, end + 1] {
            let Some(user) = self.take_idle(idle, false) else {
                continue;
            };
            let format = self.format_at(time);
            self.user_sign_in(user, time, format);
        }
    }

    /// Takes an idle user created well before the window (holding something, if asked).
    fn take_idle(&mut self, idle: &mut Vec<usize>, needs_holding: bool) -> Option<usize> {
        let org = self.org;
        let limit = self.cfg.window_start - DAY;
        let settled = |u: usize| match org.created_at(u) {
            Some(created) => created < limit,
            None => true,
        };
        let position = idle
            .iter()
            .position(|&u| settled(u) && (!needs_holding || !org.holdings[u].is_empty()))?;
        Some(idle.remove(position))
    }

    /// Genuine uses of accounts and permission sets the user does not hold (any more).
    fn uses_without_assignment(&mut self, active: &[usize]) {
        let org = self.org;
        let (accounts, sets) = (
            org.snapshot.accounts.len(),
            org.snapshot.permission_sets.len(),
        );
        for (i, &user) in active.iter().take(4).enumerate() {
            let unheld = (0..50)
                .map(|_| Combo {
                    account: self.rng.gen_range(0..accounts),
                    permission_set: self.rng.gen_range(0..sets),
                })
                .find(|c| !org.holdings[user].contains(c));
            let Some(combo) = unheld else { continue };
            let kind = if i % 2 == 0 {
                UseKind::Console
            } else {
                UseKind::Cli
            };
            let time = self.time_in_window(user);
            let format = self.format_at(time);
            self.user_role_use(user, combo, kind, time, format);
            // And once long ago, before the window: never reported.
            let before = self.cfg.window_start - self.rng.gen_range(DAY..5 * DAY);
            if i == 0 && before > self.earliest(user) {
                self.user_role_use(user, combo, kind, before, Format::Center);
            }
        }
    }

    /// One genuine use delivered alone in a plain `.json` file (a hand-made export), late in
    /// the window. Returns its user.
    fn plain_file_event(&mut self, active: &[usize]) -> Option<usize> {
        let org = self.org;
        let &user = active.iter().find(|&&u| !org.holdings[u].is_empty())?;
        let combo = *org.holdings[user].iter().next_back()?;
        let time = self.cfg.as_of - 20 * 60;
        let index = self.user_role_use(user, combo, UseKind::Cli, time, Format::Center);
        self.placed[index].plain = true;
        Some(user)
    }

    /// A use late in the window, in the old format and under the name the user had before a
    /// rename: only the user id in `principalId` still names them.
    fn renamed_user_use(&mut self, active: &[usize], skip: Option<usize>) {
        let org = self.org;
        let renamed = active.iter().find(|&&u| {
            Some(u) != skip && org.former_names[u].is_some() && !org.holdings[u].is_empty()
        });
        let Some(&user) = renamed else { return };
        let actor = Actor {
            user_name: org.former_names[user].as_deref().unwrap_or_default(),
            former_name: None,
            ..Actor::user(org, user)
        };
        let combo = *org.holdings[user].iter().next().expect("checked");
        let time = self.cfg.as_of - 40 * 60;
        let person = self.people[user].clone();
        let kind = UseKind::Console;
        self.role_event(
            actor,
            &person,
            Format::LegacyUserId,
            combo,
            kind,
            time,
            Outcome::Genuine,
        );
        self.uses.push(Use {
            user,
            kind,
            combo: Some(combo),
            time,
        });
    }

    // ---- traps: events that must not count ----

    /// The latest in-window genuine use per user and combo (`None`: portal sign-ins), before `as_of`.
    fn last_uses(&self, sign_ins: bool) -> Vec<((usize, Option<Combo>), i64)> {
        let mut last = BTreeMap::new();
        for u in self
            .uses
            .iter()
            .filter(|u| (u.kind == UseKind::PortalSignIn) == sign_ins)
        {
            if self.cfg.in_window(u.time) && u.time < self.cfg.as_of {
                let entry = last.entry((u.user, u.combo)).or_insert(u.time);
                *entry = (*entry).max(u.time);
            }
        }
        last.into_iter().collect()
    }

    /// A random time in `lo..hi`, or `lo` if that is empty.
    fn some_time(&mut self, lo: i64, hi: i64) -> i64 {
        if hi > lo {
            self.rng.gen_range(lo..hi)
        } else {
            lo
        }
    }

    /// A random time inside the window at which `user` already existed.
    fn time_in_window(&mut self, user: usize) -> i64 {
        let lo = self.cfg.window_start.max(self.earliest(user));
        self.some_time(lo, self.cfg.as_of)
    }

    fn sample<T>(&mut self, mut items: Vec<T>, count: usize) -> Vec<T> {
        items.shuffle(&mut self.rng);
        items.truncate(count);
        items
    }

    /// A time after `last`, no later than `as_of`.
    fn after(&mut self, last: i64, within: i64) -> i64 {
        let hi = (last + within).min(self.cfg.as_of);
        if hi > last {
            self.rng.gen_range(last + 1..=hi)
        } else {
            last + 1
        }
    }

    /// Failed `Federate` / `GetRoleCredentials` after the user's last real use of the combo.
    fn failed_role_uses(&mut self) {
        let candidates = self.last_uses(false);
        for ((user, combo), last) in self.sample(candidates, 6) {
            let combo = combo.expect("role uses have a combo");
            let time = self.after(last, 3 * DAY);
            let (kind, failure) = match self.rng.gen_bool(0.5) {
                true => (
                    UseKind::Console,
                    Outcome::Failed(
                        "AccessDenied",
                        "User is not authorized to access this account",
                    ),
                ),
                false => (
                    UseKind::Cli,
                    Outcome::Failed(
                        "UnauthorizedException",
                        "Session token not found or invalid",
                    ),
                ),
            };
            let person = self.people[user].clone();
            self.role_event(
                Actor::user(self.org, user),
                &person,
                Format::Center,
                combo,
                kind,
                time,
                failure,
            );
        }
    }

    /// Failed portal sign-ins after the user's last successful one.
    fn failed_sign_ins(&mut self) {
        let candidates = self.last_uses(true);
        for ((user, _), last) in self.sample(candidates, 5) {
            let time = self.after(last, 2 * DAY);
            let person = self.people[user].clone();
            let format = self.format_at(time);
            self.sign_in_event(
                Actor::user(self.org, user),
                &person,
                format,
                time,
                "Failure",
            );
        }
    }

    /// Our users' ids, in events of another Identity Center instance (an account instance in a
    /// member account), later than their real uses.
    fn other_identity_store(&mut self) {
        let org = self.org;
        if org.snapshot.accounts.len() < 2 {
            return;
        }
        let member = self.rng.gen_range(1..org.snapshot.accounts.len());
        let other_arn = format!(
            "arn:aws:identitystore::{}:identitystore/d-{}",
            org.account_id(member),
            chars(&mut self.rng, HEX, 10)
        );
        let roles = self.last_uses(false);
        for ((user, combo), last) in self.sample(roles, 4) {
            let actor = Actor {
                store_arn: &other_arn,
                home: member,
                ..Actor::user(org, user)
            };
            let time = self.after(last, 5 * DAY);
            let kind = pick(&mut self.rng, &[UseKind::Console, UseKind::Cli]);
            let person = self.people[user].clone();
            let combo = combo.expect("role uses have a combo");
            self.role_event(
                actor,
                &person,
                Format::Center,
                combo,
                kind,
                time,
                Outcome::Trap,
            );
        }
        let sign_ins = self.last_uses(true);
        for ((user, _), last) in self.sample(sign_ins, 2) {
            let actor = Actor {
                store_arn: &other_arn,
                home: member,
                ..Actor::user(org, user)
            };
            let time = self.after(last, 5 * DAY);
            let person = self.people[user].clone();
            self.sign_in_event(actor, &person, Format::Transitional, time, "Success");
        }
    }

    /// Old-format events naming a user by the name of a user created later: they belong to an
    /// earlier holder of the name.
    fn before_user_created(&mut self) {
        let org = self.org;
        for user in 0..org.snapshot.users.len() {
            let Some(created) = org.created_at(user) else {
                continue;
            };
            if created <= self.cfg.window_start + HOUR || created > self.cfg.as_of {
                continue;
            }
            let time = self.some_time(self.cfg.window_start + 60, created - 60);
            let combo = org.holdings[user].iter().next().copied().unwrap_or(Combo {
                account: 0,
                permission_set: 0,
            });
            let person = Person::random(&mut self.rng);
            let stale_id = org.unknown_user_id(&mut self.rng);
            let predecessor = Actor {
                user_id: &stale_id,
                former_name: None,
                ..Actor::user(org, user)
            };
            self.sign_in_event(
                predecessor,
                &person,
                Format::LegacyAccount,
                time - 40,
                "Success",
            );
            let format = if self.rng.gen_bool(0.5) {
                Format::LegacyAccount
            } else {
                Format::LegacyUserId
            };
            self.role_event(
                predecessor,
                &person,
                format,
                combo,
                UseKind::Console,
                time,
                Outcome::Trap,
            );
        }
    }

    /// Deleted users (still named by assignments), names nobody has, and ids nobody has.
    fn unknown_users(&mut self) {
        let org = self.org;
        let (lo, hi) = (self.cfg.window_start, self.cfg.as_of);
        for ghost in &org.ghosts {
            let actor = Actor {
                user_id: &ghost.user_id,
                user_name: &ghost.user_name,
                store_arn: &org.store_arn,
                home: 0,
                former_name: None,
            };
            let person = Person::random(&mut self.rng);
            for &combo in &ghost.combos {
                let time = self.rng.gen_range(lo..hi);
                let format = self.format_at(time);
                self.sign_in_event(actor, &person, format, time - 30, "Success");
                self.role_event(
                    actor,
                    &person,
                    format,
                    combo,
                    UseKind::Cli,
                    time,
                    Outcome::Trap,
                );
            }
        }
        let unknown_ids: Vec<String> = (0..2).map(|_| org.unknown_user_id(&mut self.rng)).collect();
        let names = org
            .strangers
            .iter()
            .map(|n| (n.as_str(), Format::LegacyAccount));
        let ids = unknown_ids.iter().map(|id| (id.as_str(), Format::Center));
        for (name_or_id, format) in names.chain(ids) {
            let actor = Actor {
                user_id: name_or_id,
                user_name: name_or_id,
                store_arn: &org.store_arn,
                home: 0,
                former_name: None,
            };
            let person = Person::random(&mut self.rng);
            let time = self.rng.gen_range(lo..hi);
            let combo = Combo {
                account: self.rng.gen_range(0..org.snapshot.accounts.len()),
                permission_set: self.rng.gen_range(0..org.snapshot.permission_sets.len()),
            };
            self.sign_in_event(actor, &person, format, time - 25, "Success");
            let kind = pick(&mut self.rng, &[UseKind::Console, UseKind::Cli]);
            self.role_event(actor, &person, format, combo, kind, time, Outcome::Trap);
        }
    }

    /// `Federate` into an application (no account, no role), late in the window.
    fn application_sign_ins(&mut self, active: &[usize]) {
        let org = self.org;
        let application_arn = format!(
            "arn:aws:sso::{}:application/{}/apl-{}",
            org.mgmt(),
            org.snapshot
                .instance_arn
                .rsplit('/')
                .next()
                .unwrap_or_default(),
            chars(&mut self.rng, HEX, 16)
        );
        for &user in active.iter().rev().take(4) {
            let time = self.some_time(self.cfg.as_of - 3 * DAY, self.cfg.as_of);
            let format = self.format_at(time);
            let written = self.written_name(&org.user(user).user_name, format);
            let person = self.people[user].clone();
            let who = Actor::user(org, user).who(org, format, &written, &person.token, false);
            let env = self.envelope(time, &person.ip, person.browser, 0);
            let details = match self.rng.gen_bool(0.5) {
                true => Details::Application {
                    application_arn: &application_arn,
                },
                false => Details::Absent,
            };
            self.emit(0, time, false, |out, rng| {
                events::portal_call(out, rng, &env, &who, "Federate", details, None);
            });
        }
    }

    /// Held combos with no use inside the window.
    fn unused_holdings(&self) -> Vec<(usize, Combo)> {
        let used: std::collections::HashSet<(usize, Combo)> = self
            .uses
            .iter()
            .filter(|u| self.cfg.in_window(u.time))
            .filter_map(|u| u.combo.map(|c| (u.user, c)))
            .collect();
        let org = self.org;
        (0..org.snapshot.users.len())
            .flat_map(|u| org.holdings[u].iter().map(move |&c| (u, c)))
            .filter(|key| !used.contains(key))
            .collect()
    }

    /// Portal browsing that names an account but uses nothing, plus `ListApplications` and
    /// `CreateToken` (by both event sources).
    fn portal_listings_without_use(&mut self) {
        let org = self.org;
        let unused = self.unused_holdings();
        for (user, combo) in self.sample(unused, 4) {
            let time = self.time_in_window(user);
            let person = self.people[user].clone();
            let format = self.format_at(time);
            self.portal_listings(
                Actor::user(org, user),
                &person,
                format,
                combo,
                UseKind::Console,
                time,
            );
        }
        let users = org.snapshot.users.len();
        for source in ["sso.amazonaws.com", "sso-oauth.amazonaws.com"] {
            let user = self.rng.gen_range(0..users);
            let time = self.time_in_window(user);
            let person = self.people[user].clone();
            let who = Actor::user(org, user).who(org, Format::Center, "", &person.token, false);
            let env = self.envelope(time, &person.ip, person.browser, 0);
            let store = &org.snapshot.identity_store_id;
            self.emit(0, time, false, |out, rng| {
                events::list_applications(out, rng, &env, &who)
            });
            let env = Envelope {
                user_agent: person.cli,
                ..env
            };
            self.emit(0, time, false, |out, rng| {
                events::create_token(out, rng, &env, &who, source, store)
            });
        }
    }

    /// Member-account activity under a reserved role, inside the window, for holdings that
    /// were not used in it: `ConsoleLogin`, `AssumeRoleWithSAML`, `GetCallerIdentity`.
    fn member_events_without_use(&mut self) {
        let unused = self.unused_holdings();
        for (user, combo) in self.sample(unused, 3) {
            let time = self.time_in_window(user);
            let kind = pick(&mut self.rng, &[UseKind::Console, UseKind::Cli]);
            let person = self.people[user].clone();
            self.member_follow_up(Actor::user(self.org, user), &person, combo, kind, time);
        }
    }

    /// Role credentials issued at `started` (before the window) and still used at `time`.
    fn lingering_credentials(&mut self, user: usize, combo: Combo, started: i64, time: i64) {
        let person = self.people[user].clone();
        self.caller_identity(Actor::user(self.org, user), &person, combo, started, time);
    }

    /// The 2017 format: the called portal URL as the `eventName`.
    fn portal_urls_2017(&mut self, active: &[usize]) {
        let org = self.org;
        for &user in active.iter().take(2) {
            let time = self.time_in_window(user);
            let person = self.people[user].clone();
            let name = &org.user(user).user_name;
            let who =
                Actor::user(org, user).who(org, Format::LegacyAccount, name, &person.token, false);
            let env = self.envelope(time, &person.ip, person.browser, 0);
            let url =
                format!("https://portal.sso.{HOME_REGION}.amazonaws.com/instance/appinstances");
            self.emit(0, time, false, |out, rng| {
                events::portal_url_2017(out, rng, &env, &who, &url)
            });
        }
    }

    /// Some genuine events are delivered twice, in another file hours later: they count once.
    fn second_deliveries(&mut self) {
        let candidates: Vec<usize> = (0..self.placed.len())
            .filter(|&i| {
                let p = &self.placed[i];
                p.genuine && !p.plain && self.cfg.in_window(p.event_time)
            })
            .collect();
        let count = (candidates.len() / 30).max(2);
        for i in self.sample(candidates, count) {
            let original = &self.placed[i];
            let copy = Placed {
                account: original.account,
                region: original.region,
                event_time: original.event_time,
                place_time: original.event_time + self.rng.gen_range(HOUR..6 * HOUR),
                redelivered: true,
                json: original.json.clone(),
                genuine: false,
                plain: false,
            };
            self.placed.push(copy);
        }
    }
}
