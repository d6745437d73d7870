//! The report as one self-contained HTML page, for people: headline figures, the evidence window
//! and every manifest warning, charts of unused assignments, the inactive and never-seen users,
//! and every row in a table that sorts and filters.
//!
//! The page fetches nothing: CSS, script and charts (SVG) are inline and a Content Security
//! Policy forbids any load. Every value is the one the CSVs hold (the same cell functions make
//! both), escaped for its HTML context; the rows travel as JSON in a data block that the script
//! turns into table cells as text. The same report and manifest give the same bytes.

mod charts;
mod review;
mod sections;
mod table;

use super::Manifest;
use crate::report::Report;
use crate::review::Review;
use std::fmt::Write;

const CSS: &str = include_str!("html/page.css");
const SCRIPT: &str = include_str!("html/page.js");

/// Nothing may be loaded: only inline style, the page's own script (by its SHA-256, so that
/// no injected script or event handler could run even if escaping failed), and images from
/// `data:` URLs.
fn csp() -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(script_element_text().as_bytes());
    let hash = base64::engine::general_purpose::STANDARD.encode(digest);
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'; img-src data:"
    )
}

/// The exact text between `<script>` and `</script>`, which the hash covers.
fn script_element_text() -> String {
    format!("\n{SCRIPT}")
}

/// Renders the page: no external resources, everything inline.
/// The warnings, the review queue and every row come first: what a reviewer acts on; then the
/// figures, the charts, the idle users, and the provenance an auditor quotes.
pub fn render_html(report: &Report, review: &Review, manifest: &Manifest) -> String {
    let mut page = String::with_capacity(16_384 + report.rows.len() * 400);
    head(&mut page, manifest);
    page.push_str("<body>\n");
    sections::header(&mut page, manifest);
    sections::warnings(&mut page, manifest);
    review::queue(&mut page, &report.rows, &report.changes, review);
    table::assignments(&mut page, &report.rows);
    sections::figures(&mut page, manifest);
    charts::unused_charts(&mut page, &report.rows);
    sections::idle_users(&mut page, &report.users, manifest.users.inactive_days);
    sections::provenance(&mut page, manifest);
    let _ = writeln!(
        page,
        "<script>{}</script>\n</body>\n</html>",
        script_element_text()
    );
    page
}

fn head(page: &mut String, manifest: &Manifest) {
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>IAM Identity Center credential report, as of {}</title>\n\
         <style>\n{CSS}</style>\n</head>\n",
        csp(),
        escape(&manifest.as_of)
    );
}

/// Escapes text for element content and for quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::SourceInfo;
    use crate::output::{DirectoryInfo, ReportCounts, ToolInfo, UserCounts, Warning};
    use crate::report::{ActivityStatus, JoinStats, Row, UserSummary};

    const HOSTILE: &str = "<img src=x onerror=alert(1)>";

    fn row(account: &str, user: &str, display_name: &str, cli: Option<i64>) -> Row {
        Row {
            account_id: account.into(),
            account_name: format!("</script><b>{account}</b>"),
            permission_set_name: "ReadOnly".into(),
            permission_set_arn: "arn:aws:sso:::permissionSet/ssoins-1/ps-1".into(),
            permission_set_description: "a \"quoted\" & <tagged> set".into(),
            user_id: format!("u-{user}"),
            user_name: user.into(),
            display_name: display_name.into(),
            last_cli_use: cli,
            granted_by: HOSTILE.into(),
            ..crate::report::tests_support::empty_row()
        }
    }

    fn user(name: &str, display_name: &str, status: ActivityStatus) -> UserSummary {
        UserSummary {
            user_id: format!("u-{name}"),
            user_name: name.into(),
            display_name: display_name.into(),
            email: String::new(),
            user_status: None,
            created_at: None,
            assignments: 1,
            assignments_used: 0,
            assignments_new: 0,
            last_console_use: None,
            last_cli_use: None,
            last_portal_sign_in: None,
            activity_status: status,
            as_of: 1_795_305_600,
        }
    }

    fn sample() -> (Report, Manifest) {
        let report = Report {
            rows: vec![
                row("111111111111", "alice", HOSTILE, None),
                row("111111111111", "bob", "Bob", Some(1_795_168_800)),
                row("222222222222", "carol", "Carol", None),
            ],
            changes: Vec::new(),
            users: vec![
                user("alice", HOSTILE, ActivityStatus::NeverSeen),
                user("bob", "Bob", ActivityStatus::Active),
                user("carol", "Carol", ActivityStatus::Inactive),
            ],
            join: JoinStats::default(),
        };
        let manifest = Manifest {
            tool: ToolInfo::default(),
            generated_at: "2026-11-22T01:00:00Z".into(),
            as_of: "2026-11-22T00:00:00Z".into(),
            window_start: "2026-08-24T00:00:00Z".into(),
            lookback_days: 90,
            directory: DirectoryInfo {
                source: "snapshot-file".into(),
                location: "snap<shot>.json".into(),
                ..DirectoryInfo::default()
            },
            evidence: SourceInfo {
                kind: "cloudtrail-logs".into(),
                ..SourceInfo::default()
            },
            attribution: JoinStats::default(),
            report: ReportCounts {
                rows: 3,
                used: 1,
                unused: 2,
                ..ReportCounts::default()
            },
            users: UserCounts {
                inactive_days: 90,
                users: 3,
                active: 1,
                inactive: 1,
                never_seen: 1,
                ..UserCounts::default()
            },
            html: Default::default(),
            changes: Default::default(),
            review: Default::default(),
            warnings: vec![Warning {
                code: "unknown_users",
                message: "2 keys name <script>users</script> & others".into(),
            }],
        };
        (report, manifest)
    }

    /// The page with the data block and the script taken out: what the parser sees as markup.
    fn markup(page: &str) -> String {
        let start = page.find("<script type=\"application/json\"").unwrap();
        let end = start + page[start..].find("</script>").unwrap();
        let without_data = format!("{}{}", &page[..start], &page[end..]);
        let script = without_data.rfind("<script>").unwrap();
        without_data[..script].to_owned()
    }

    #[test]
    fn directory_text_is_escaped_in_every_context() {
        let (report, manifest) = sample();
        let page = render_html(&report, &Review::default(), &manifest);
        let markup = markup(&page);
        assert!(!markup.contains("<img"), "{markup}");
        assert!(!markup.contains("<b>"), "{markup}");
        assert!(!markup.contains("<script>users"), "{markup}");
        assert!(
            markup.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{markup}"
        );
        assert!(markup.contains("&lt;script&gt;users&lt;/script&gt; &amp; others"));
        assert!(markup.contains("snap&lt;shot&gt;.json"));
        assert_eq!(
            page.matches("<script").count(),
            2,
            "the data block and the script"
        );
        assert_eq!(
            page.matches("</script>").count(),
            2,
            "no text closes a script early"
        );
        assert!(page.contains("\\u003c/script\\u003e\\u003cb\\u003e111111111111"));
        assert!(page.contains("a \\\"quoted\\\" \\u0026 \\u003ctagged\\u003e set"));
    }

    #[test]
    fn review_text_is_escaped_too() {
        let (mut report, manifest) = sample();
        let file = format!(
            "account,permission_set,principal,reason,approved_by,expires\n\
             *,ReadOnly,alice,\"{HOSTILE}\",\"{HOSTILE}\",2099-01-01\n\
             *,ReadOnly,nobody,\"{HOSTILE}\",me,2099-01-01\n"
        );
        let exceptions = crate::review::Exceptions::parse(HOSTILE, file.as_bytes()).unwrap();
        let review = Review {
            exceptions: Some(exceptions.apply(&mut report.rows, 1_795_305_600)),
            ..Review::default()
        };
        let page = render_html(&report, &review, &manifest);
        let markup = markup(&page);
        assert!(!markup.contains("<img"), "{markup}");
        assert!(markup.contains("id=\"exceptions-table\""));
        assert!(markup.contains("matches no row"));
    }

    #[test]
    fn nothing_external_is_referenced() {
        let (mut report, manifest) = sample();
        report.rows[0].display_name = "Alice".into();
        report.users[0].display_name = "Alice".into();
        let page = render_html(&report, &Review::default(), &manifest);
        assert!(
            !SCRIPT.contains("</") && !CSS.contains("</"),
            "inline code ends early"
        );
        let code = markup(&page) + SCRIPT;
        for needle in ["http:", "https:", "src=", "href=", "@import", "url("] {
            assert!(!code.contains(needle), "{needle}");
        }
        assert!(page.contains(&format!(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
            csp()
        )));
        assert!(!csp().contains("script-src 'unsafe-inline'"));
    }

    #[test]
    fn the_same_report_gives_the_same_bytes() {
        let (report, manifest) = sample();
        assert_eq!(
            render_html(&report, &Review::default(), &manifest),
            render_html(&report, &Review::default(), &manifest)
        );
    }

    #[test]
    fn figures_warnings_and_idle_users_are_shown() {
        let (report, manifest) = sample();
        let page = render_html(&report, &Review::default(), &manifest);
        assert!(page.contains("data-figure=\"unused\">2<"), "{page}");
        assert!(page.contains("data-code=\"unknown_users\""));
        assert!(
            page.contains("<td>carol</td>"),
            "the inactive user is listed"
        );
        assert!(!page.contains("<td>bob</td>"), "the active user is not");
        let (report, mut manifest) = sample();
        manifest.warnings.clear();
        assert!(render_html(&report, &Review::default(), &manifest).contains("No warnings"));
    }
}
