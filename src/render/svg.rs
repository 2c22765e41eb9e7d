//! Charts for the web pages as SVG, made on the server: no script, styled by the pages'
//! stylesheet (classes, `currentColor`), so they follow light and dark. Geometry is worked out
//! in whole units from exact decimals; the figures themselves go in a table beside each chart.

use std::fmt::Write as _;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::escape_html;

/// One bar: its label, its value (for its length) and the value as shown.
#[derive(Clone, Debug, Default)]
pub struct Bar {
    pub label: String,
    /// A second line under a column's label (the year under its first month and each January).
    pub sublabel: Option<String>,
    /// What the bar is, in full, for its tooltip (the label when empty).
    pub title: String,
    pub value: Decimal,
    pub shown: String,
    /// A class for the bar (`now`: the running month; a category's name).
    pub class: &'static str,
}

/// `value`'s share of `max`, in whole units of `span` (0 for nothing, at least 1 for a positive
/// value so that it shows).
fn length(value: Decimal, max: Decimal, span: u32) -> u32 {
    if value <= Decimal::ZERO || max <= Decimal::ZERO {
        return 0;
    }
    let units = (value * Decimal::from(span) / max).round().to_u32().unwrap_or(span);
    units.clamp(1, span)
}

/// Horizontal bars, one per row (categories), labelled on the left and valued on the right.
pub fn bars(title: &str, bars: &[Bar]) -> String {
    const WIDTH: u32 = 440;
    const ROW: u32 = 30;
    const LABEL: u32 = 120;
    const VALUE: u32 = 100;
    let span = WIDTH - LABEL - VALUE;
    let max = bars.iter().map(|b| b.value).max().unwrap_or_default();
    let height = ROW * bars.len().max(1) as u32;
    let mut svg = format!(
        r#"<svg class="chart bars" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}" preserveAspectRatio="xMinYMin meet">"#,
        escape_html(title)
    );
    for (row, bar) in bars.iter().enumerate() {
        let y = row as u32 * ROW;
        let w = length(bar.value, max, span);
        let _ = write!(
            svg,
            r#"<text class="label" x="0" y="{ty}">{label}</text><rect class="bar {class}" x="{LABEL}" y="{ry}" width="{w}" height="{h}" rx="3"></rect><text class="value" x="{WIDTH}" y="{ty}" text-anchor="end">{shown}</text>"#,
            ty = y + ROW / 2 + 5,
            ry = y + 6,
            h = ROW - 12,
            label = escape_html(&bar.label),
            class = bar.class,
            shown = escape_html(&bar.shown),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Vertical columns, one per month, oldest on the left; the label under each column.
pub fn columns(title: &str, columns: &[Bar]) -> String {
    const HEIGHT: u32 = 200;
    const COLUMN: u32 = 36;
    const AXIS: u32 = 38;
    const TOP: u32 = 8;
    let span = HEIGHT - AXIS - TOP;
    let width = COLUMN * columns.len().max(1) as u32;
    let max = columns.iter().map(|b| b.value).max().unwrap_or_default();
    let mut svg = format!(
        r#"<svg class="chart columns" viewBox="0 0 {width} {HEIGHT}" role="img" aria-label="{}" preserveAspectRatio="xMinYMin meet">"#,
        escape_html(title)
    );
    for (i, column) in columns.iter().enumerate() {
        let x = i as u32 * COLUMN;
        let h = length(column.value, max, span);
        let title = if column.title.is_empty() { &column.label } else { &column.title };
        let _ = write!(
            svg,
            r#"<rect class="bar {class}" x="{rx}" y="{ry}" width="{w}" height="{h}" rx="2"><title>{title}: {shown}</title></rect><text class="label" x="{tx}" y="{ty}" text-anchor="middle">{label}</text>"#,
            class = column.class,
            rx = x + 5,
            ry = TOP + span - h,
            w = COLUMN - 10,
            tx = x + COLUMN / 2,
            ty = TOP + span + 16,
            title = escape_html(title),
            label = escape_html(&column.label),
            shown = escape_html(&column.shown),
        );
        if let Some(sublabel) = &column.sublabel {
            let _ = write!(
                svg,
                r#"<text class="label sub" x="{x}" y="{y}">{}</text>"#,
                escape_html(sublabel),
                x = x + 4,
                y = HEIGHT - 4,
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: &str) -> Bar {
        Bar { label: label.into(), value: value.parse().unwrap(), shown: format!("{value} USD"), ..Bar::default() }
    }

    #[test]
    fn lengths_are_shares_of_the_largest() {
        assert_eq!(length(Decimal::new(50, 0), Decimal::new(100, 0), 300), 150);
        assert_eq!(length(Decimal::new(1, 4), Decimal::new(100, 0), 300), 1, "a tiny amount still shows");
        assert_eq!(length(Decimal::ZERO, Decimal::new(100, 0), 300), 0);
        assert_eq!(length(Decimal::new(-5, 0), Decimal::new(100, 0), 300), 0, "a credit draws no bar");
    }

    #[test]
    fn charts_escape_their_labels_and_scale_to_the_largest() {
        let svg = bars("Spend <by> category", &[bar("A&B", "100"), bar("C", "25")]);
        assert!(svg.contains("A&amp;B") && svg.contains("Spend &lt;by&gt; category"), "{svg}");
        assert!(svg.contains(r#"width="220""#) && svg.contains(r#"width="55""#), "{svg}");
        let svg = columns("Months", &[bar("2026-11", "10"), bar("2026-12", "20")]);
        assert!(svg.contains(r#"height="154""#) && svg.contains(r#"height="77""#), "{svg}");
        assert!(svg.contains("<title>2026-11: 10 USD</title>"), "{svg}");
    }
}
