//! The table of every report row: the header is markup, the rows travel as JSON in a data block
//! (all the CSV's columns, its cells as they are) that the page's script turns into cells, and
//! sorts and filters.

use super::escape;
use crate::output::report_csv::{report_cells, COLUMNS};
use crate::report::Row;
use std::fmt::Write;

/// The data block's id, which the script (page.js) reads.
const DATA_ID: &str = "report-data";

/// The columns shown, by their CSV names; the others (ARN, description, ids, email) stay in
/// the data and in the CSV.
const SHOWN: [&str; 22] = [
    "user_name",
    "account_id",
    "account_name",
    "permission_set_name",
    "usage_status",
    "last_used",
    "review_status",
    "days_since_last_used",
    "user_status",
    "assignment_type",
    "group_name",
    "display_name",
    "last_console_use",
    "last_cli_use",
    "review_note",
    "last_portal_sign_in",
    "granted_at",
    "granted_by",
    "member_since",
    "member_added_by",
    "role_arn",
    "judged_since",
];

pub(super) fn assignments(page: &mut String, rows: &[Row]) {
    let _ = writeln!(
        page,
        "<section id=\"assignments\">\n<h2>All assignments</h2>\n\
         <p>One row per account assignment and user, as in the report CSV. Click a column \
         header to sort by it (again to reverse).</p>\n\
         <div class=\"controls\">\
         <label>Filter <input id=\"filter\" type=\"search\" autocomplete=\"off\" \
         placeholder=\"account, permission set, user, group\"></label> \
         <label>Usage <select id=\"usage-filter\"><option value=\"\">all</option>\
         <option value=\"USED\">USED</option><option value=\"UNUSED\">UNUSED</option>\
         <option value=\"NEW\">NEW</option><option value=\"UNKNOWN\">UNKNOWN</option>\
         </select></label> \
         <output id=\"row-count\" aria-live=\"polite\">{} rows</output></div>\n\
         <noscript><p class=\"note\">This table is filled by the page's script, which is \
         off: the same {} rows are in the report CSV.</p></noscript>",
        rows.len(),
        rows.len()
    );
    page.push_str("<div class=\"scroll tall\"><table id=\"assignment-table\">\n<thead><tr>");
    for name in SHOWN {
        let column = COLUMNS
            .iter()
            .position(|c| *c == name)
            .expect("a report column");
        let _ = write!(
            page,
            "<th scope=\"col\" data-col=\"{column}\" aria-sort=\"none\">\
             <button type=\"button\">{}</button></th>",
            escape(name)
        );
    }
    page.push_str("</tr></thead>\n<tbody></tbody>\n</table></div>\n");
    data_block(page, rows);
    page.push_str("</section>\n");
}

/// `{"columns":[...],"rows":[[...],...]}`, one row a line, with `<`, `>` and `&` written as
/// `\u003c`, `\u003e` and `\u0026`, so that no cell can end the script element or open
/// anything inside it.
fn data_block(page: &mut String, rows: &[Row]) {
    let _ = write!(
        page,
        "<script type=\"application/json\" id=\"{DATA_ID}\">{{\"columns\":{},\"rows\":[",
        script_safe_json(&COLUMNS)
    );
    for (i, row) in rows.iter().enumerate() {
        page.push_str(if i == 0 { "\n" } else { ",\n" });
        page.push_str(&script_safe_json(&report_cells(row)));
    }
    page.push_str("\n]}</script>\n");
}

fn script_safe_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value)
        .expect("strings serialize")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_cannot_close_the_script_element() {
        let json = script_safe_json(&["</script><!-- & -->"]);
        assert_eq!(json, r#"["\u003c/script\u003e\u003c!-- \u0026 --\u003e"]"#);
        let back: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ["</script><!-- & -->"]);
    }

    #[test]
    fn every_shown_column_is_a_report_column() {
        for name in SHOWN {
            assert!(COLUMNS.contains(&name), "{name}");
        }
    }
}
