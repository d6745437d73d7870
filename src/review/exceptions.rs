//! Accepted exceptions: findings a reviewer has decided to keep (a break-glass administrator
//! kept unused on purpose, a service user that signs in once a quarter), from a small CSV
//! (docs/review.md). A row an unexpired exception matches is ACCEPTED: it is shown as such
//! and never planned for removal, but its `usage_status` still says what the evidence says.
//! Expired exceptions, and exceptions that match nothing, are listed so that they get renewed
//! or removed rather than silently kept.

use super::ReviewError;
use crate::aws::{check_account, AwsSession};
use crate::report::{Acceptance, Row};
use crate::store::file::sha256_hex;
use crate::store::Location;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The columns an exceptions file must have (others are allowed and ignored).
pub const EXCEPTION_COLUMNS: [&str; 6] = [
    "account",
    "permission_set",
    "principal",
    "reason",
    "approved_by",
    "expires",
];

/// One accepted exception.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exception {
    /// Its line in the file, for people looking for it.
    pub line: u64,
    /// An account id, or `*` for every account.
    pub account: String,
    /// A permission set name, or `*` for every permission set.
    pub permission_set: String,
    /// A user or group, by name or id.
    pub principal: String,
    pub reason: String,
    pub approved_by: String,
    /// The last day it applies (UTC), `YYYY-MM-DD`.
    pub expires: NaiveDate,
}

/// An exceptions file, read and checked.
#[derive(Debug, Clone)]
pub struct Exceptions {
    pub location: String,
    pub sha256: String,
    pub entries: Vec<Exception>,
}

/// What the exceptions did to one report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ExceptionOutcome {
    pub file: String,
    pub sha256: String,
    pub exceptions: usize,
    /// Rows an exception accepted.
    pub rows_accepted: usize,
    /// Exceptions in force, each with the rows it accepted.
    pub applied: Vec<Applied>,
    /// Exceptions past their `expires` date: they accept nothing.
    pub expired: Vec<Exception>,
    /// Exceptions in force that match no row: misspelt, or the access is gone.
    pub unmatched: Vec<Exception>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Applied {
    #[serde(flatten)]
    pub exception: Exception,
    pub rows: usize,
}

#[derive(Deserialize)]
struct RawException {
    account: String,
    permission_set: String,
    principal: String,
    reason: String,
    approved_by: String,
    expires: String,
}

impl Exceptions {
    /// Reads and checks the file at `location`.
    pub async fn read(
        location: &Location,
        session: &AwsSession,
    ) -> Result<Exceptions, ReviewError> {
        let bytes = location.read_existing(session.config().await).await?;
        Exceptions::parse(&location.to_string(), &bytes)
    }

    /// Parses an exceptions file; every error names the file and the line.
    pub fn parse(location: &str, bytes: &[u8]) -> Result<Exceptions, ReviewError> {
        let error = |message: String| ReviewError::Input {
            location: location.to_owned(),
            message,
        };
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let headers = reader.headers().map_err(|e| error(e.to_string()))?.clone();
        let missing: Vec<&str> = (EXCEPTION_COLUMNS.iter().copied())
            .filter(|c| !headers.iter().any(|h| h == *c))
            .collect();
        if !missing.is_empty() {
            return Err(error(format!(
                "the header lacks {}: an exceptions file starts with the line {}",
                missing.join(", "),
                EXCEPTION_COLUMNS.join(",")
            )));
        }
        let mut entries = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| error(e.to_string()))?;
            let line = record.position().map_or(0, |p| p.line());
            let raw: RawException = (record.deserialize(Some(&headers)))
                .map_err(|e| error(format!("line {line}: {e}")))?;
            let entry = check(raw, line).map_err(|m| error(format!("line {line}: {m}")))?;
            entries.push(entry);
        }
        Ok(Exceptions {
            location: location.to_owned(),
            sha256: sha256_hex(bytes),
            entries,
        })
    }

    /// Marks every row an exception in force at `as_of` matches, and reports on each exception.
    pub fn apply(self, rows: &mut [Row], as_of: i64) -> ExceptionOutcome {
        let (in_force, expired): (Vec<Exception>, Vec<Exception>) =
            (self.entries.iter().cloned()).partition(|e| !e.expired_at(as_of));
        let mut counts = vec![0usize; in_force.len()];
        for row in rows.iter_mut() {
            if let Some(i) = in_force.iter().position(|e| e.matches(row)) {
                counts[i] += 1;
                row.accepted = Some(in_force[i].acceptance());
            }
        }
        let (applied, unmatched): (Vec<Applied>, Vec<Applied>) = (in_force.into_iter())
            .zip(counts)
            .map(|(exception, rows)| Applied { exception, rows })
            .partition(|a| a.rows > 0);
        ExceptionOutcome {
            file: self.location,
            sha256: self.sha256,
            exceptions: self.entries.len(),
            rows_accepted: applied.iter().map(|a| a.rows).sum(),
            applied,
            expired,
            unmatched: unmatched.into_iter().map(|a| a.exception).collect(),
        }
    }
}

fn check(raw: RawException, line: u64) -> Result<Exception, String> {
    if raw.account != "*" {
        check_account(&raw.account).map_err(|e| format!("{e} (or * for every account)"))?;
    }
    for (column, value) in [
        ("permission_set", &raw.permission_set),
        ("principal", &raw.principal),
        ("reason", &raw.reason),
        ("approved_by", &raw.approved_by),
    ] {
        if value.is_empty() {
            return Err(format!("{column} is empty: every exception names what it accepts, why, and who approved it"));
        }
    }
    let expires = NaiveDate::parse_from_str(&raw.expires, "%Y-%m-%d").map_err(|_| {
        format!(
            "expires {:?} is not a date (YYYY-MM-DD): every exception ends, so that it is reviewed again",
            raw.expires
        )
    })?;
    Ok(Exception {
        line,
        account: raw.account,
        permission_set: raw.permission_set,
        principal: raw.principal,
        reason: raw.reason,
        approved_by: raw.approved_by,
        expires,
    })
}

impl Exception {
    /// It applies through its `expires` day (UTC).
    fn expired_at(&self, as_of: i64) -> bool {
        let end = self.expires.succ_opt().unwrap_or(self.expires);
        as_of >= end.and_time(chrono::NaiveTime::MIN).and_utc().timestamp()
    }

    fn matches(&self, row: &Row) -> bool {
        let any_or = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        let group = row.assignment_type_str() == "GROUP";
        let principal = [&row.user_name, &row.user_id]
            .into_iter()
            .chain(
                group
                    .then_some([&row.group_name, &row.group_id])
                    .into_iter()
                    .flatten(),
            )
            .any(|name| !name.is_empty() && *name == self.principal);
        any_or(&self.account, &row.account_id)
            && any_or(&self.permission_set, &row.permission_set_name)
            && principal
    }

    fn acceptance(&self) -> Acceptance {
        Acceptance {
            reason: self.reason.clone(),
            approved_by: self.approved_by.clone(),
            expires: self.expires.format("%Y-%m-%d").to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::PrincipalType;

    const HEADER: &str = "account,permission_set,principal,reason,approved_by,expires\n";

    fn exceptions(lines: &str) -> Exceptions {
        Exceptions::parse("exceptions.csv", format!("{HEADER}{lines}").as_bytes()).unwrap()
    }

    fn row(user: &str, group: Option<&str>) -> Row {
        let mut row = crate::report::tests_support::empty_row();
        row.account_id = "111122223333".into();
        row.permission_set_name = "AdministratorAccess".into();
        row.user_name = user.into();
        row.user_id = format!("u-{user}");
        if let Some(group) = group {
            row.assignment_type = PrincipalType::Group;
            row.group_name = group.into();
            row.group_id = format!("g-{group}");
        }
        row
    }

    /// 2026-11-22T00:00:00Z.
    const AS_OF: i64 = 1_795_305_600;

    #[test]
    fn an_exception_applies_through_its_last_day() {
        let last_day = exceptions("*,*,bob,r,a,2026-11-21\n");
        assert!(last_day.entries[0].expired_at(AS_OF));
        assert!(!last_day.entries[0].expired_at(AS_OF - 1));
        let outcome = exceptions("*,*,bob,r,a,2026-11-21\n").apply(&mut [row("bob", None)], AS_OF);
        assert_eq!((outcome.expired.len(), outcome.rows_accepted), (1, 0));
    }

    #[test]
    fn a_principal_is_a_user_or_for_group_rows_a_group_by_name_or_id() {
        let mut rows = [
            row("bob", None),
            row("carol", Some("admins")),
            row("dave", None),
        ];
        rows[2].group_name = "admins".into(); // a USER row's group columns are not its principal
        let outcome = exceptions(
            "111122223333,AdministratorAccess,u-bob,r,a,2099-01-01\n*,*,admins,r,a,2099-01-01\n",
        )
        .apply(&mut rows, AS_OF);
        let accepted: Vec<&str> = (rows.iter())
            .filter(|r| r.accepted.is_some())
            .map(|r| r.user_name.as_str())
            .collect();
        assert_eq!(accepted, ["bob", "carol"]);
        assert_eq!(outcome.applied.len(), 2);
        assert!(outcome.unmatched.is_empty());
    }

    #[test]
    fn another_account_or_permission_set_does_not_match() {
        let mut rows = [row("bob", None)];
        let outcome =
            exceptions("444455556666,*,bob,r,a,2099-01-01\n*,ReadOnlyAccess,bob,r,a,2099-01-01\n")
                .apply(&mut rows, AS_OF);
        assert_eq!(outcome.unmatched.len(), 2);
        assert!(rows[0].accepted.is_none());
    }

    /// Mutated files are read or refused, never a panic.
    #[test]
    fn mutated_files_never_panic() {
        let valid = format!("# comment\n{HEADER}*,Admin,bob,\"a, quoted\",me,2027-01-01\n");
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut bytes = valid.clone().into_bytes();
            for _ in 0..(next() % 6 + 1) {
                let at = (next() as usize) % bytes.len();
                match next() % 3 {
                    0 => bytes[at] = next() as u8,
                    1 => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, b",\"\n\r#*"[(next() % 6) as usize]),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let _ = Exceptions::parse("fuzz.csv", &bytes);
        }
    }
}
