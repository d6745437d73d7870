//! The page's static sections: title, warnings, headline figures, where the evidence and the
//! directory came from, and the users nobody has seen lately.

use super::escape;
use crate::output::report_csv::{user_cells, USER_COLUMNS};
use crate::output::Manifest;
use crate::report::{ActivityStatus, UserSummary};
use std::fmt::Write;

pub(super) fn header(page: &mut String, manifest: &Manifest) {
    let _ = writeln!(
        page,
        "<header>\n<h1>IAM Identity Center credential report</h1>\n\
         <p class=\"lede\">Last console and CLI use of every account assignment \
         (account &#215; permission set &#215; user), from CloudTrail evidence between \
         <time>{}</time> and <time>{}</time>.</p>\n</header>",
        escape(&manifest.window_start),
        escape(&manifest.as_of),
    );
}

/// Every manifest warning, first thing on the page; or, plainly, that there are none.
pub(super) fn warnings(page: &mut String, manifest: &Manifest) {
    if manifest.warnings.is_empty() {
        page.push_str(
            "<section id=\"warnings\" class=\"warnings none\" aria-labelledby=\"warnings-title\">\n\
             <h2 id=\"warnings-title\">No warnings</h2>\n\
             <p>The tool found nothing that limits what this report proves.</p>\n</section>\n",
        );
        return;
    }
    let count = manifest.warnings.len();
    let _ = writeln!(
        page,
        "<section id=\"warnings\" class=\"warnings\" role=\"alert\" aria-labelledby=\"warnings-title\">\n\
         <h2 id=\"warnings-title\">{count} warning{}: read before relying on this report</h2>\n<ul>",
        if count == 1 { "" } else { "s" }
    );
    for warning in &manifest.warnings {
        let _ = writeln!(
            page,
            "<li data-code=\"{code}\"><code>{code}</code> <span class=\"message\">{}</span></li>",
            escape(&warning.message),
            code = escape(warning.code),
        );
    }
    page.push_str("</ul>\n</section>\n");
}

/// The manifest's counts, each marked with `data-figure` and its manifest name.
pub(super) fn figures(page: &mut String, manifest: &Manifest) {
    let (report, users) = (&manifest.report, &manifest.users);
    let assignments = [
        (
            "rows",
            "assignments (account \u{d7} permission set \u{d7} user)",
            report.rows,
            "",
        ),
        ("used", "used in the window", report.used, ""),
        ("unused", "unused in the window", report.unused, "bad"),
        (
            "new_access",
            "new in the window, not used yet",
            report.new,
            "",
        ),
        (
            "unknown",
            "use unknown (account access manager entitlements)",
            report.unknown,
            "",
        ),
        (
            "principals_not_found",
            "principals not found",
            report.principals_not_found,
            "bad",
        ),
    ];
    let people = [
        ("users", "users in the directory", users.users, ""),
        ("active", "active", users.active, ""),
        ("inactive", "inactive", users.inactive, "bad"),
        ("never_seen", "never seen", users.never_seen, "bad"),
        ("new", "new, not yet seen", users.new, ""),
    ];
    page.push_str("<section id=\"figures\" aria-label=\"Headline figures\">\n");
    for group in [&assignments[..], &people[..]] {
        page.push_str("<div class=\"figures\">\n");
        for &(name, label, value, tone) in group {
            let class = if tone.is_empty() || value == 0 {
                "figure".to_owned()
            } else {
                format!("figure {tone}")
            };
            let _ = writeln!(
                page,
                "<div class=\"{class}\"><span class=\"value\" data-figure=\"{name}\">{value}</span> \
                 <span class=\"label\">{}</span></div>",
                escape(label)
            );
        }
        page.push_str("</div>\n");
    }
    page.push_str("</section>\n");
}

/// The evidence window, the evidence and directory sources, and when and by what the report
/// was made.
pub(super) fn provenance(page: &mut String, manifest: &Manifest) {
    let evidence = &manifest.evidence;
    let directory = &manifest.directory;
    // A snapshot file's capture time is part of its data; a live read's is the time of the run,
    // which the page leaves to the manifest, so that a run again gives the same bytes.
    let captured = (directory.captured_at.as_deref())
        .filter(|_| directory.source == "snapshot-file")
        .map(|t| format!(", captured <time>{}</time>", escape(t)))
        .unwrap_or_default();
    let items = [
        (
            "window",
            "Evidence window",
            format!(
                "<time>{}</time> to <time>{}</time> ({} days)",
                escape(&manifest.window_start),
                escape(&manifest.as_of),
                manifest.lookback_days
            ),
        ),
        (
            "evidence",
            "Evidence source",
            format!(
                "<code>{}</code> {}: {} files, {} events read; {} evidence events ({} console, \
                 {} CLI, {} portal sign-in), {} failed, {} files skipped",
                escape(&evidence.kind),
                escape(&evidence.location),
                evidence.files_read,
                evidence.events_read,
                evidence.evidence_events,
                evidence.console_events,
                evidence.cli_events,
                evidence.portal_sign_in_events,
                evidence.failed_events,
                evidence.skipped_files.len()
            ),
        ),
        (
            "directory",
            "Directory source",
            format!(
                "<code>{}</code> {}{captured}: {} accounts, {} permission sets, {} users, \
                 {} groups, {} assignments; instance {}, identity store {}",
                escape(&directory.source),
                escape(&directory.location),
                directory.accounts,
                directory.permission_sets,
                directory.users,
                directory.groups,
                directory.assignments,
                escape(&directory.instance_arn),
                escape(&directory.identity_store_id)
            ),
        ),
        (
            "inactive-days",
            "Inactive after",
            format!(
                "{} days without a use or a portal sign-in",
                manifest.users.inactive_days
            ),
        ),
        ("files", "Files (SHA-256)", files(manifest)),
        // Not the time of the run: the same report gives the same page, so that a publish
        // retried after a lost reply finds its own bytes (the manifest has `generated_at`).
        (
            "generated",
            "Made by",
            format!(
                "{} {}",
                escape(manifest.tool.name),
                escape(manifest.tool.version)
            ),
        ),
    ];
    page.push_str(
        "<section id=\"provenance\" class=\"provenance\">\n<h2>Provenance</h2>\n\
         <p>What this report rests on, to quote in an audit. The manifest records this page's \
         own SHA-256.</p>\n<dl>\n",
    );
    for (id, term, detail) in items {
        let _ = writeln!(page, "<dt>{term}</dt><dd id=\"{id}\">{detail}</dd>");
    }
    page.push_str("</dl>\n</section>\n");
}

/// Every file of the set but this page and the manifest, and the review's inputs, each with
/// its SHA-256.
fn files(manifest: &Manifest) -> String {
    let review = &manifest.review;
    let mut files: Vec<(&String, &String, String)> = vec![
        (
            &manifest.report.file,
            &manifest.report.sha256,
            String::new(),
        ),
        (&manifest.users.file, &manifest.users.sha256, String::new()),
        (
            &manifest.changes.file,
            &manifest.changes.sha256,
            String::new(),
        ),
        (&review.diff.file, &review.diff.sha256, String::new()),
        (
            &review.users_diff.file,
            &review.users_diff.sha256,
            String::new(),
        ),
    ];
    if let Some(previous) = &review.previous {
        let role = format!(" (the previous report, as of {})", previous.as_of);
        files.push((&previous.report, &previous.report_sha256, role));
    }
    if let Some(exceptions) = &review.exceptions {
        files.push((
            &exceptions.file,
            &exceptions.sha256,
            " (the exceptions)".into(),
        ));
    }
    let items: Vec<String> = (files.into_iter())
        .map(|(file, sha256, role)| {
            let (sha256, file, role) = (escape(sha256), escape(file), escape(&role));
            format!("<li><code>{sha256}</code> {file}{role}</li>")
        })
        .collect();
    format!("<ul class=\"files\">{}</ul>", items.join(""))
}

/// The columns of the idle-user table, by their user summary names.
const IDLE_USER_COLUMNS: [&str; 11] = [
    "user_name",
    "display_name",
    "email",
    "user_status",
    "activity_status",
    "created_at",
    "assignments",
    "assignments_used",
    "last_used",
    "last_portal_sign_in",
    "days_since_last_activity",
];

/// The users counted inactive or never seen, in the summary's order (by user name).
pub(super) fn idle_users(page: &mut String, users: &[UserSummary], inactive_days: u32) {
    let idle: Vec<&UserSummary> = users
        .iter()
        .filter(|u| {
            matches!(
                u.activity_status,
                ActivityStatus::Inactive | ActivityStatus::NeverSeen
            )
        })
        .collect();
    let _ = writeln!(
        page,
        "<section id=\"idle-users\">\n<h2>Inactive and never-seen users</h2>\n\
         <p>Users not seen for {inactive_days} days or more (INACTIVE), or not at all in the \
         evidence window (NEVER_SEEN), by user name: {} of {}.</p>",
        idle.len(),
        users.len()
    );
    if idle.is_empty() {
        page.push_str("<p class=\"empty\">None.</p>\n</section>\n");
        return;
    }
    let columns = IDLE_USER_COLUMNS.map(|name| {
        USER_COLUMNS
            .iter()
            .position(|c| *c == name)
            .expect("a user summary column")
    });
    page.push_str("<div class=\"scroll\"><table id=\"idle-user-table\">\n<thead><tr>");
    for name in IDLE_USER_COLUMNS {
        let _ = write!(page, "<th scope=\"col\">{name}</th>");
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for user in idle {
        let cells = user_cells(user);
        page.push_str("<tr>");
        for &i in &columns {
            let _ = write!(page, "<td>{}</td>", escape(&cells[i]));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table></div>\n</section>\n");
}
