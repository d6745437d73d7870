//! Inline SVG bar charts of the unused assignments (report rows), by account and by
//! permission set.

use super::escape;
use crate::report::{Row, UsageStatus};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Bars per chart; the rest are summed up in a note.
const TOP: usize = 15;
const WIDTH: usize = 660;
const LABEL_WIDTH: usize = 270;
const COUNT_WIDTH: usize = 56;
const ROW_HEIGHT: usize = 22;
const BAR_HEIGHT: usize = 15;
/// Labels longer than this are cut, the whole label kept in the bar's tooltip.
const LABEL_CHARS: usize = 36;

pub(super) fn unused_charts(page: &mut String, rows: &[Row]) {
    let unused: Vec<&Row> = rows
        .iter()
        .filter(|r| r.usage_status() == UsageStatus::Unused)
        .collect();
    page.push_str(
        "<section id=\"charts\">\n<h2>Unused assignments</h2>\n\
         <p>Report rows (assignment &#215; user) with no console or CLI use in the window.</p>\n",
    );
    if unused.is_empty() {
        page.push_str("<p class=\"empty\">None: every assignment was used.</p>\n</section>\n");
        return;
    }
    page.push_str("<div class=\"charts\">\n");
    let by_account = tally(&unused, |r| {
        if r.account_name.is_empty() {
            r.account_id.clone()
        } else {
            format!("{} {}", r.account_id, r.account_name)
        }
    });
    chart(
        page,
        "unused-by-account",
        "By account",
        "accounts",
        &by_account,
    );
    let by_permission_set = tally(&unused, |r| r.permission_set_name.clone());
    chart(
        page,
        "unused-by-permission-set",
        "By permission set",
        "permission sets",
        &by_permission_set,
    );
    page.push_str("</div>\n</section>\n");
}

/// Counts per label, most first, then by label.
fn tally(rows: &[&Row], label: impl Fn(&Row) -> String) -> Vec<(String, usize)> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for row in rows {
        *counts.entry(label(row)).or_default() += 1;
    }
    ranked(counts)
}

fn ranked(counts: BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut bars: Vec<(String, usize)> = counts.into_iter().collect();
    bars.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    bars
}

fn chart(page: &mut String, id: &str, title: &str, noun: &str, bars: &[(String, usize)]) {
    let shown = &bars[..bars.len().min(TOP)];
    let max = shown.first().map_or(1, |b| b.1).max(1);
    let height = shown.len() * ROW_HEIGHT + 4;
    let scale = (WIDTH - LABEL_WIDTH - COUNT_WIDTH) as f64 / max as f64;
    let _ = writeln!(
        page,
        "<figure id=\"{id}\">\n<figcaption>{title} (top {} of {} {noun})</figcaption>\n\
         <svg class=\"chart\" viewBox=\"0 0 {WIDTH} {height}\" width=\"{WIDTH}\" height=\"{height}\" \
         role=\"img\" aria-label=\"{title}: unused assignments\">",
        shown.len(),
        bars.len()
    );
    for (i, (label, count)) in shown.iter().enumerate() {
        let y = i * ROW_HEIGHT + 2;
        let length = ((*count as f64 * scale).round() as usize).max(1);
        let text_y = y + BAR_HEIGHT - 3;
        let _ = writeln!(
            page,
            "<g><title>{full}: {count}</title>\
             <text class=\"label\" x=\"{lx}\" y=\"{text_y}\" text-anchor=\"end\">{short}</text>\
             <rect x=\"{LABEL_WIDTH}\" y=\"{y}\" width=\"{length}\" height=\"{BAR_HEIGHT}\"></rect>\
             <text class=\"count\" x=\"{cx}\" y=\"{text_y}\">{count}</text></g>",
            full = escape(label),
            short = escape(&shorten(label)),
            lx = LABEL_WIDTH - 6,
            cx = LABEL_WIDTH + length + 4,
        );
    }
    page.push_str("</svg>\n");
    let rest = &bars[shown.len()..];
    if !rest.is_empty() {
        let _ = writeln!(
            page,
            "<p class=\"note\">and {} more unused in {} other {noun}</p>",
            rest.iter().map(|b| b.1).sum::<usize>(),
            rest.len()
        );
    }
    page.push_str("</figure>\n");
}

fn shorten(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return label.to_owned();
    }
    let mut short: String = label.chars().take(LABEL_CHARS - 1).collect();
    short.push('\u{2026}');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_rank_by_count_then_label_and_the_rest_is_summed() {
        let counts: BTreeMap<String, usize> = (0..20)
            .map(|i| (format!("label-{i:02}"), if i == 7 { 9 } else { 1 + i % 3 }))
            .collect();
        let bars = ranked(counts);
        assert_eq!(bars[0], ("label-07".to_owned(), 9));
        assert_eq!(bars[1], ("label-02".to_owned(), 3));
        let mut page = String::new();
        chart(&mut page, "x", "By x", "xs", &bars);
        assert_eq!(page.matches("<rect").count(), TOP);
        assert!(page.contains("(top 15 of 20 xs)"), "{page}");
        let rest: usize = bars[TOP..].iter().map(|b| b.1).sum();
        assert!(page.contains(&format!("and {rest} more unused in 5 other xs")));
    }

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(shorten(&"x".repeat(40)).chars().count(), LABEL_CHARS);
        assert!(shorten(&"x".repeat(40)).ends_with('\u{2026}'));
        assert_eq!(shorten("prod"), "prod");
    }
}
