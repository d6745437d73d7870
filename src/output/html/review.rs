//! The review queue, after the warnings: where a reviewer starts. Privileged access nobody
//! used, users disabled or gone who still hold access, access granted in the window and by
//! whom, what changed since the previous report, and the accepted exceptions. Each section
//! says plainly when it is empty, so that "nothing to review" is never a missing section.

use super::escape;
use crate::evidence::changes::{ChangeKind, MemberChange};
use crate::output::report_csv::format_opt_time;
use crate::report::{ChangeRow, Row, UsageStatus};
use crate::review::Review;
use std::collections::BTreeMap;
use std::fmt::Write;

/// A section with a heading, a line saying what it lists, and a table (or "None.").
struct Section<'a> {
    id: &'a str,
    title: &'a str,
    intro: String,
    columns: &'a [&'a str],
    rows: Vec<Vec<String>>,
}

impl Section<'_> {
    fn render(self, page: &mut String) {
        let _ = writeln!(
            page,
            "<section id=\"{}\" class=\"queue\">\n<h2>{}</h2>\n<p>{}</p>",
            self.id,
            escape(self.title),
            self.intro
        );
        if self.rows.is_empty() {
            page.push_str("<p class=\"empty\">None.</p>\n</section>\n");
            return;
        }
        let _ = write!(
            page,
            "<div class=\"scroll short\"><table id=\"{}-table\">\n<thead><tr>",
            self.id
        );
        for column in self.columns {
            let _ = write!(page, "<th scope=\"col\">{}</th>", escape(column));
        }
        page.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            page.push_str("<tr>");
            for cell in row {
                let _ = write!(page, "<td>{}</td>", escape(cell));
            }
            page.push_str("</tr>\n");
        }
        page.push_str("</tbody>\n</table></div>\n</section>\n");
    }
}

/// Every section of the queue, in the order a reviewer works through them.
pub(super) fn queue(page: &mut String, rows: &[Row], changes: &[ChangeRow], review: &Review) {
    privileged_unused(rows, review).render(page);
    inactive_principals(rows).render(page);
    grants(changes).render(page);
    since_previous(review).render(page);
    exceptions(review).render(page);
}

/// One line per assignment of a privileged permission set with UNUSED rows that no exception
/// accepts: a reviewer acts on assignments, and a group's line names its unused members.
fn privileged_unused<'a>(rows: &[Row], review: &'a Review) -> Section<'a> {
    let privileged = &review.privileged;
    let key = |r: &Row| {
        let principal = match r.assignment_type_str() {
            "USER" => r.user_id.clone(),
            _ => r.group_id.clone(),
        };
        let set = (r.permission_set_arn.clone(), r.role_arn.clone());
        (
            r.account_id.clone(),
            set,
            r.assignment_type_str(),
            principal,
        )
    };
    let mut members: BTreeMap<_, usize> = BTreeMap::new();
    let mut unused: BTreeMap<_, Vec<&Row>> = BTreeMap::new();
    for row in rows
        .iter()
        .filter(|r| privileged.contains(&r.permission_set_name))
    {
        *members.entry(key(row)).or_default() += 1;
        if row.usage_status() == UsageStatus::Unused && row.accepted.is_none() {
            unused.entry(key(row)).or_default().push(row);
        }
    }
    let row_count: usize = unused.values().map(Vec::len).sum();
    let lines: Vec<Vec<String>> = (unused.iter())
        .map(|(key, found)| {
            let first = found[0];
            let names: Vec<&str> = found.iter().map(|r| r.user_name.as_str()).collect();
            let (holder, unused_by) = match first.assignment_type_str() {
                "USER" => (or_unnamed(&first.user_name), "the user".to_owned()),
                _ => (
                    format!("group {}", or_unnamed(&first.group_name)),
                    format!(
                        "{} of {} members: {}",
                        found.len(),
                        members[key],
                        names.join(", ")
                    ),
                ),
            };
            let since = found.iter().map(|r| r.judged_since).min();
            vec![
                account(first),
                first.permission_set_name.clone(),
                holder,
                unused_by,
                format_opt_time(since),
            ]
        })
        .collect();
    Section {
        id: "privileged-unused",
        title: "Privileged access unused",
        intro: format!(
            "Assignments of permission sets counted as privileged ({}) with UNUSED rows that no \
             exception accepts: {} assignments, {} rows.",
            escape(&privileged.patterns().join(", ")),
            lines.len(),
            row_count
        ),
        columns: &[
            "account",
            "permission set",
            "assigned to",
            "unused by",
            "judged since",
        ],
        rows: lines,
    }
}

/// Users DISABLED or NOT_FOUND with the access they still hold, one line per user.
fn inactive_principals(rows: &[Row]) -> Section<'static> {
    let mut holders: BTreeMap<(String, String), (&'static str, Vec<String>)> = BTreeMap::new();
    for row in rows {
        let status = row.user_status_str();
        if !matches!(status, "DISABLED" | "NOT_FOUND") {
            continue;
        }
        let who = match row.user_id.is_empty() {
            false => (or_unnamed(&row.user_name), row.user_id.clone()),
            true => (
                format!("group {}", or_unnamed(&row.group_name)),
                row.group_id.clone(),
            ),
        };
        let held = format!("{} / {}", account(row), row.permission_set_name);
        holders
            .entry(who)
            .or_insert((status, Vec::new()))
            .1
            .push(held);
    }
    let count = holders.len();
    let rows = (holders.into_iter())
        .map(|((name, id), (status, held))| {
            vec![
                name,
                id,
                status.to_owned(),
                held.len().to_string(),
                held.join("; "),
            ]
        })
        .collect();
    Section {
        id: "inactive-principals",
        title: "Disabled or missing users who still hold access",
        intro: format!("Users DISABLED in the directory, or no longer in it (NOT_FOUND), with the assignments that still name them: {count} users."),
        columns: &["user", "id", "user_status", "assignments", "account / permission set"],
        rows,
    }
}

/// Assignments created and group members added in the window, newest first, with who did it.
fn grants(changes: &[ChangeRow]) -> Section<'static> {
    let granted = |c: &&ChangeRow| match c.change.kind {
        ChangeKind::CreateAccountAssignment | ChangeKind::CreateGroupMembership => true,
        ChangeKind::ScimCreateGroup | ChangeKind::ScimPatchGroup => {
            c.change.member_change == Some(MemberChange::Added)
        }
        ChangeKind::DeleteAccountAssignment | ChangeKind::DeleteGroupMembership => false,
    };
    let rows: Vec<Vec<String>> = (changes.iter().rev().filter(granted))
        .map(|c| {
            let what = match c.change.kind {
                ChangeKind::CreateAccountAssignment => format!(
                    "{} / {} to {} {}",
                    non_empty(&c.account_name, &c.change.account_id),
                    c.permission_set_name,
                    c.change.principal_type.to_lowercase(),
                    non_empty(&c.principal_name, &c.change.principal_id)
                ),
                _ => format!(
                    "{} added to group {}",
                    non_empty(&c.user_name, &c.user_id),
                    non_empty(&c.group_name, &c.group_id)
                ),
            };
            vec![
                format_opt_time(Some(c.change.time)),
                c.change.kind.event_name().to_owned(),
                what,
                c.made_by().to_owned(),
                c.change.source_ip_address.clone(),
            ]
        })
        .collect();
    Section {
        id: "grants",
        title: "Access granted in the window",
        intro: format!("Assignments created and members added to groups in the evidence window, newest first, from the changes file: {} grants.", rows.len()),
        columns: &["time", "event", "what", "made by", "source IP"],
        rows,
    }
}

fn since_previous(review: &Review) -> Section<'static> {
    let Some(previous) = &review.previous else {
        return Section {
            id: "since-previous",
            title: "Changes since the previous report",
            intro: "No previous report was given (<code>--previous-report</code>), so nothing is compared.".into(),
            columns: &[],
            rows: Vec::new(),
        };
    };
    let mut rows: Vec<Vec<String>> = (review.diff.iter())
        .map(|d| {
            let status = |s: &Option<crate::review::RowState>| {
                s.as_ref().map_or(String::new(), |s| s.usage_status.clone())
            };
            vec![
                d.change.as_str().to_owned(),
                d.ids.user_name.clone(),
                format!("{} {}", d.ids.account_id, d.ids.account_name),
                d.ids.permission_set_name.clone(),
                status(&d.previous),
                status(&d.current),
            ]
        })
        .collect();
    rows.extend(review.user_diff.iter().map(|d| {
        let activity = |s: &Option<crate::review::UserState>| {
            s.as_ref().map_or(String::new(), |s| {
                format!("{} {}", s.activity_status, s.user_status)
            })
        };
        vec![
            d.change.as_str().to_owned(),
            d.user_name().to_owned(),
            "(user)".into(),
            String::new(),
            activity(&d.previous),
            activity(&d.current),
        ]
    }));
    Section {
        id: "since-previous",
        title: "Changes since the previous report",
        intro: format!(
            "Compared with the report of <time>{}</time> (<code>{}</code>, SHA-256 <code>{}</code>): {} row changes, {} user changes (all in the difference files).",
            escape(&previous.as_of),
            escape(&previous.report),
            escape(&previous.report_sha256),
            review.diff.len(),
            review.user_diff.len()
        ),
        columns: &["change", "user", "account", "permission set", "before", "now"],
        rows,
    }
}

fn exceptions(review: &Review) -> Section<'static> {
    let Some(outcome) = &review.exceptions else {
        return Section {
            id: "exceptions",
            title: "Accepted exceptions",
            intro: "No exceptions file was given (<code>--exceptions</code>).".into(),
            columns: &[],
            rows: Vec::new(),
        };
    };
    let line = |e: &crate::review::Exception, state: String| {
        vec![
            state,
            e.account.clone(),
            e.permission_set.clone(),
            e.principal.clone(),
            e.reason.clone(),
            e.approved_by.clone(),
            e.expires.to_string(),
        ]
    };
    let rows = (outcome
        .applied
        .iter()
        .map(|a| line(&a.exception, format!("accepts {} rows", a.rows))))
    .chain(
        outcome
            .expired
            .iter()
            .map(|e| line(e, "EXPIRED: accepts nothing".into())),
    )
    .chain(
        outcome
            .unmatched
            .iter()
            .map(|e| line(e, "matches no row".into())),
    )
    .collect();
    Section {
        id: "exceptions",
        title: "Accepted exceptions",
        intro: format!(
            "From <code>{}</code> (SHA-256 <code>{}</code>): {} exceptions accept {} rows; {} expired, {} match nothing.",
            escape(&outcome.file),
            escape(&outcome.sha256),
            outcome.exceptions,
            outcome.rows_accepted,
            outcome.expired.len(),
            outcome.unmatched.len()
        ),
        columns: &["state", "account", "permission set", "principal", "reason", "approved by", "expires"],
        rows,
    }
}

fn account(row: &Row) -> String {
    match row.account_name.is_empty() {
        true => row.account_id.clone(),
        false => format!("{} {}", row.account_id, row.account_name),
    }
}

/// A principal gone from the directory has no name any more.
fn or_unnamed(name: &str) -> String {
    match name.is_empty() {
        true => "(name unknown)".into(),
        false => name.to_owned(),
    }
}

fn non_empty<'a>(name: &'a str, id: &'a str) -> &'a str {
    if name.is_empty() {
        id
    } else {
        name
    }
}
