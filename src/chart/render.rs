//! Lays out and paints a [`CostChart`]: title, the monthly stacked bars with projection and
//! forecast on the left, the category breakdown on the right.

use anyhow::{Context as _, Result};
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::scale::{self, Axis};
use super::text::{self, Align, Area, Style};
use super::{CostChart, ForecastPoint};

pub(super) const WIDTH: u32 = 1200;
pub(super) const HEIGHT: u32 = 600;

const W: f64 = WIDTH as f64;
const H: f64 = HEIGHT as f64;
const MARGIN: f64 = 28.0;
/// Right edge of the bar chart when the breakdown panel is shown.
const BARS_RIGHT: f64 = 790.0;
/// Left edge of the breakdown panel.
const BREAKDOWN_LEFT: f64 = 830.0;
/// Top of both panels, below the title.
const PANEL_TOP: f64 = 84.0;

// Text sizes (em, px). Discord shows the 1200 px image about half size in a message, so these
// are about twice what would do on paper.
const TITLE_EM: f64 = 28.0;
const PANEL_TITLE_EM: f64 = 20.0;
const LABEL_EM: f64 = 16.0;
const LEGEND_EM: f64 = 16.0;
const EMPTY_EM: f64 = 24.0;

const BACKGROUND: RGBColor = RGBColor(255, 255, 255);
const TEXT: RGBColor = RGBColor(0x1F, 0x29, 0x37);
const MUTED: RGBColor = RGBColor(0x6B, 0x72, 0x80);
const GRID: RGBColor = RGBColor(0xE5, 0xE7, 0xEB);
const AXIS: RGBColor = RGBColor(0x9C, 0xA3, 0xAF);
const FUTURE: RGBColor = RGBColor(0xF6, 0xF7, 0xF9);
const TRACK: RGBColor = RGBColor(0xF1, 0xF2, 0xF4);
const FORECAST: RGBColor = RGBColor(0x47, 0x55, 0x69);

/// Category colours (Tableau 10), in legend order; more categories than this reuse them.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0xED, 0xC9, 0x48),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xBA, 0xB0, 0xAC),
];

fn series_color(index: usize) -> RGBColor {
    PALETTE[index % PALETTE.len()]
}

/// `color` moved towards white by `amount` (0 keeps it, 1 is white).
fn lighten(color: RGBColor, amount: f64) -> RGBColor {
    let mix = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * amount).round() as u8;
    RGBColor(mix(color.0), mix(color.1), mix(color.2))
}

/// Amounts as drawn: non-finite and negative values count as 0, and values are capped far
/// beyond any real cost so that sums stay finite.
fn clean(v: f64) -> f64 {
    if v.is_finite() && v > 0.0 { v.min(1e100) } else { 0.0 }
}

/// A pixel coordinate, kept near the image so that no drawing loop runs far outside it.
fn px(v: f64) -> i32 {
    if v.is_finite() { v.clamp(-100.0, W.max(H) + 100.0).round() as i32 } else { 0 }
}

fn fill_rect(area: &Area<'_>, x0: f64, y0: f64, x1: f64, y1: f64, color: impl Color) -> Result<()> {
    // plotters fills both corner pixels; the right and bottom edges here are exclusive.
    let (x0, x1) = (px(x0.min(x1)), px(x0.max(x1)) - 1);
    let (y0, y1) = (px(y0.min(y1)), px(y0.max(y1)) - 1);
    if x1 < x0 || y1 < y0 {
        return Ok(());
    }
    area.draw(&Rectangle::new([(x0, y0), (x1, y1)], color.filled())).context("drawing a chart rectangle")
}

fn line(area: &Area<'_>, points: &[(f64, f64)], color: impl Color, width: u32) -> Result<()> {
    let points: Vec<(i32, i32)> = points.iter().map(|&(x, y)| (px(x), px(y))).collect();
    area.draw(&PathElement::new(points, color.stroke_width(width))).context("drawing a chart line")
}

/// The chart's numbers, cleaned and indexed by month.
struct Data {
    months: usize,
    /// `stacks[month][series]`.
    stacks: Vec<Vec<f64>>,
    totals: Vec<f64>,
    current: Option<usize>,
    /// Only when there is a current month to put it on.
    projection: Option<f64>,
    /// Sorted by month, inside the chart, with `low <= mid <= high`.
    forecast: Vec<ForecastPoint>,
}

impl Data {
    fn new(chart: &CostChart) -> Data {
        let months = chart.months.len();
        let stacks: Vec<Vec<f64>> = (0..months)
            .map(|m| chart.series.iter().map(|s| clean(s.values.get(m).copied().unwrap_or(0.0))).collect())
            .collect();
        let totals = stacks.iter().map(|stack| stack.iter().sum()).collect();
        let current = chart.current_month.filter(|&m| m < months);
        let projection = current.and(chart.projection).map(clean).filter(|&p| p > 0.0);
        let mut forecast: Vec<ForecastPoint> = chart
            .forecast
            .iter()
            .filter(|f| f.month < months)
            .map(|f| {
                let mut v = [clean(f.low), clean(f.mid), clean(f.high)];
                v.sort_by(f64::total_cmp);
                ForecastPoint { month: f.month, low: v[0], mid: v[1], high: v[2] }
            })
            .collect();
        forecast.sort_by_key(|f| f.month);
        forecast.dedup_by_key(|f| f.month);
        Data { months, stacks, totals, current, projection, forecast }
    }

    /// The largest value the bars, projection and forecast reach.
    fn max(&self) -> f64 {
        let bars = self.totals.iter().copied();
        let forecast = self.forecast.iter().map(|f| f.high);
        bars.chain(forecast).chain(self.projection).fold(0.0, f64::max)
    }

    fn is_empty(&self) -> bool {
        self.months == 0 || self.max() <= 0.0
    }

    /// Where the forecast line starts: the month before the first forecast month, at its
    /// projection if it is the current month, else at its total.
    fn forecast_anchor(&self) -> Option<(usize, f64)> {
        let month = self.forecast.first()?.month.checked_sub(1)?;
        let value = if Some(month) == self.current { self.projection } else { None };
        let value = value.unwrap_or(self.totals[month]);
        (value > 0.0).then_some((month, value))
    }
}

/// Paints `chart` onto `area`, which is [`WIDTH`] by [`HEIGHT`].
pub(super) fn paint(area: &Area<'_>, chart: &CostChart) -> Result<()> {
    area.fill(&BACKGROUND).context("filling the chart background")?;
    let title = text::fit(&chart.title, TITLE_EM, W - 2.0 * MARGIN);
    text::draw(area, &title, MARGIN, 50.0, Style { em: TITLE_EM, color: TEXT }, Align::Left)?;

    let data = Data::new(chart);
    let has_breakdown = !chart.breakdown.is_empty();
    let bars_right = if has_breakdown { BARS_RIGHT } else { W - MARGIN };
    if data.is_empty() {
        let no_breakdown = chart.breakdown.iter().all(|(_, v)| clean(*v) <= 0.0);
        let (left, right) = if no_breakdown { (MARGIN, W - MARGIN) } else { (MARGIN, bars_right) };
        // A faint empty grid behind the message, so the image still reads as a chart.
        for i in 0..5 {
            let y = PANEL_TOP + 30.0 + f64::from(i) * (H - MARGIN - PANEL_TOP - 60.0) / 4.0;
            line(area, &[(left, y), (right, y)], if i == 4 { AXIS } else { GRID }, 1)?;
        }
        let empty = text::fit(&chart.empty_text, EMPTY_EM, right - left - 40.0);
        let (center, middle) = ((left + right) / 2.0, (PANEL_TOP + H) / 2.0);
        let half = text::width(&empty, EMPTY_EM) / 2.0 + 20.0;
        fill_rect(area, center - half, middle - 30.0, center + half, middle + 20.0, BACKGROUND)?;
        text::draw(area, &empty, center, middle, Style { em: EMPTY_EM, color: MUTED }, Align::Center)?;
        if no_breakdown {
            return Ok(());
        }
    } else {
        paint_bars(area, chart, &data, bars_right)?;
    }
    if has_breakdown {
        line(area, &[(BARS_RIGHT + 20.0, PANEL_TOP + 8.0), (BARS_RIGHT + 20.0, H - MARGIN)], GRID, 1)?;
        paint_breakdown(area, chart)?;
    }
    Ok(())
}

/// One legend entry: what its swatch looks like, and its text.
enum Swatch {
    Series(RGBColor),
    /// The running month: a pale bar under a dashed box up to its projection.
    Projection,
    Forecast,
}

/// The legend takes at most this many rows; the breakdown panel lists every category anyway.
const MAX_LEGEND_ROWS: usize = 2;

/// Lays legend entries out in rows from `left` to `right`; returns (row, x) for each entry that
/// fits in [`MAX_LEGEND_ROWS`] rows (the first ones), and the number of rows.
fn legend_layout(entries: &[(Swatch, String)], left: f64, right: f64) -> (Vec<(usize, f64)>, usize) {
    let widths: Vec<f64> =
        entries.iter().map(|(swatch, label)| swatch_width(swatch) + 8.0 + text::width(label, LEGEND_EM)).collect();
    // Entries sit 22 px apart, closer if that keeps them on one row.
    let one_row = widths.iter().sum::<f64>() + 14.0 * widths.len().saturating_sub(1) as f64;
    let gap = if one_row <= right - left { 22f64.min(14.0 + (right - left - one_row) / 8.0) } else { 22.0 };
    let mut places = Vec::with_capacity(entries.len());
    let (mut row, mut x) = (0, left);
    for w in widths {
        if x > left && x + w > right {
            row += 1;
            x = left;
        }
        if row == MAX_LEGEND_ROWS {
            break;
        }
        places.push((row, x));
        x += w + gap;
    }
    let rows = places.last().map_or(0, |&(row, _)| row + 1);
    (places, rows)
}

fn swatch_width(swatch: &Swatch) -> f64 {
    match swatch {
        Swatch::Series(_) => 14.0,
        Swatch::Projection => 14.0,
        Swatch::Forecast => 26.0,
    }
}

const LEGEND_ROW: f64 = 26.0;

fn paint_bars(area: &Area<'_>, chart: &CostChart, data: &Data, right: f64) -> Result<()> {
    let n = data.months;

    // Legend, at the bottom.
    let mut legend: Vec<(Swatch, String)> = chart
        .series
        .iter()
        .enumerate()
        .map(|(i, s)| (Swatch::Series(series_color(i)), text::fit(&s.name, LEGEND_EM, 260.0)))
        .collect();
    let fixed = usize::from(data.projection.is_some()) + usize::from(!data.forecast.is_empty());
    if data.projection.is_some() {
        legend.push((Swatch::Projection, text::fit(&chart.projection_label, LEGEND_EM, 320.0)));
    }
    if !data.forecast.is_empty() {
        legend.push((Swatch::Forecast, text::fit(&chart.forecast_label, LEGEND_EM, 320.0)));
    }
    let (mut places, mut rows) = legend_layout(&legend, MARGIN, right);
    let mut hidden = String::new();
    if places.len() < legend.len() {
        // Too many categories: keep the projection and forecast entries, and end with how many
        // are left out.
        legend.rotate_right(fixed);
        (places, rows) = legend_layout(&legend, MARGIN, right - 48.0);
        hidden = format!("+{}", legend.len() - places.len());
    }
    let legend_top = H - MARGIN - rows as f64 * LEGEND_ROW + 6.0;

    // Value axis.
    let axis = Axis::new(data.max() * 1.04, 5);
    let ticks: Vec<(f64, String)> = axis.ticks().map(|v| (v, scale::tick_label(v, axis.step))).collect();
    let tick_width = ticks.iter().map(|(_, label)| text::width(label, LABEL_EM)).fold(0.0, f64::max);
    let currency = text::fit(&chart.currency, LABEL_EM, 200.0);
    let left = MARGIN + tick_width.max(text::width(&currency, LABEL_EM) * 0.5) + 12.0;
    let top = PANEL_TOP + 34.0;
    let bottom = legend_top - if rows > 0 { 44.0 } else { 36.0 };
    let plot_h = bottom - top;
    let y_of = |v: f64| bottom - (v / axis.top).min(1.0) * plot_h;

    let slot = (right - left) / n as f64;
    let bar_w = (slot * 0.64).clamp(2.0, 64.0);
    let x_of = |m: usize| left + slot * (m as f64 + 0.5);

    // Forecast months get a faint background, so the future reads as different.
    if let (Some(first), Some(last)) = (data.forecast.first(), data.forecast.last()) {
        let x0 = left + slot * first.month as f64;
        let x1 = left + slot * (last.month + 1) as f64;
        fill_rect(area, x0, top - 8.0, x1, bottom, FUTURE)?;
    }

    // Grid and tick labels.
    let label = Style { em: LABEL_EM, color: MUTED };
    for (v, tick) in &ticks {
        let y = y_of(*v);
        let color = if *v == 0.0 { AXIS } else { GRID };
        line(area, &[(left, y), (right, y)], color, 1)?;
        text::draw(area, tick, left - 10.0, y + 5.0, label, Align::Right)?;
    }
    text::draw(area, &currency, MARGIN, top - 16.0, label, Align::Left)?;

    // Stacked bars, bottom up in legend order.
    for m in 0..n {
        let is_current = Some(m) == data.current;
        let (x0, x1) = (x_of(m) - bar_w / 2.0, x_of(m) + bar_w / 2.0);
        let mut sum = 0.0;
        for (i, &v) in data.stacks[m].iter().enumerate() {
            if v <= 0.0 {
                continue;
            }
            let (y_low, y_high) = (y_of(sum), y_of(sum + v));
            sum += v;
            let color = if is_current { lighten(series_color(i), 0.45) } else { series_color(i) };
            fill_rect(area, x0, y_high, x1, y_low, color)?;
            // A hairline between segments keeps neighbouring colours apart.
            if y_low - y_high >= 3.0 && sum < data.totals[m] {
                fill_rect(area, x0, y_high, x1, y_high + 1.0, BACKGROUND)?;
            }
        }
    }

    // The current month's projection: a dashed box from the bar's top up to it, and its value
    // above, clear of the forecast line that may start there.
    if let (Some(m), Some(projection)) = (data.current, data.projection) {
        paint_projection(area, x_of(m), bar_w, y_of(data.totals[m]), y_of(projection))?;
    }
    paint_forecast(area, data, &x_of, &y_of, bar_w)?;
    if let (Some(m), Some(projection)) = (data.current, data.projection) {
        let label = format!("~{}", scale::short(projection));
        let half = text::width(&label, LABEL_EM) / 2.0;
        let mut baseline = y_of(projection).min(y_of(data.totals[m])) - 8.0;
        let next = data.forecast.first().filter(|_| data.forecast_anchor().is_some_and(|(a, _)| a == m));
        if let Some(next) = next {
            let (x0, y0, x1, y1) = (x_of(m), y_of(projection), x_of(next.month), y_of(next.mid));
            let y_at_label_end = y0 + (y1 - y0) * ((half + 2.0) / (x1 - x0)).min(1.0);
            baseline = baseline.min(y_at_label_end - 5.0);
        }
        let style = Style { em: LABEL_EM, color: FORECAST };
        text::draw(area, &label, x_of(m), baseline.max(top), style, Align::Center)?;
    }

    // Month labels, thinned so that they do not touch; the current month always keeps its own.
    let widest = chart.months.iter().map(|m| text::width(m, LABEL_EM)).fold(0.0, f64::max);
    let every = ((widest + 14.0) / slot).ceil().max(1.0) as usize;
    let keep = data.current.unwrap_or(n - 1);
    for (m, month) in chart.months.iter().enumerate() {
        if m.abs_diff(keep) % every != 0 {
            continue;
        }
        let color = if Some(m) == data.current { TEXT } else { MUTED };
        let month = text::fit(month, LABEL_EM, slot * every as f64 - 8.0);
        text::draw(area, &month, x_of(m), bottom + 24.0, Style { em: LABEL_EM, color }, Align::Center)?;
    }

    // Legend.
    for ((swatch, label), &(row, x)) in legend.iter().zip(&places) {
        let mid = legend_top + row as f64 * LEGEND_ROW;
        match swatch {
            Swatch::Series(color) => fill_rect(area, x, mid - 7.0, x + 14.0, mid + 7.0, *color)?,
            Swatch::Projection => {
                fill_rect(area, x, mid + 1.0, x + 14.0, mid + 7.0, lighten(series_color(0), 0.45))?;
                paint_projection(area, x + 7.0, 14.0, mid + 1.0, mid - 7.0)?;
            }
            Swatch::Forecast => {
                fill_rect(area, x, mid - 7.0, x + 26.0, mid + 7.0, FORECAST.mix(0.18))?;
                line(area, &[(x, mid), (x + 26.0, mid)], FORECAST, 2)?;
                marker(area, x + 13.0, mid)?;
            }
        }
        let style = Style { em: LEGEND_EM, color: TEXT };
        text::draw(area, label, x + swatch_width(swatch) + 8.0, mid + 5.0, style, Align::Left)?;
    }
    let last_row = legend_top + rows.saturating_sub(1) as f64 * LEGEND_ROW;
    text::draw(area, &hidden, right, last_row + 5.0, Style { em: LEGEND_EM, color: MUTED }, Align::Right)?;
    Ok(())
}

fn marker(area: &Area<'_>, x: f64, y: f64) -> Result<()> {
    area.draw(&Circle::new((px(x), px(y)), 4, BACKGROUND.filled())).context("drawing a chart marker")?;
    area.draw(&Circle::new((px(x), px(y)), 4, FORECAST.stroke_width(2))).context("drawing a chart marker")
}

fn paint_projection(area: &Area<'_>, x: f64, bar_w: f64, y_actual: f64, y_projected: f64) -> Result<()> {
    let (x0, x1) = (x - bar_w / 2.0, x + bar_w / 2.0);
    if y_projected < y_actual - 1.0 {
        fill_rect(area, x0, y_projected, x1, y_actual, FORECAST.mix(0.08))?;
        let outline = [(x0, y_actual), (x0, y_projected), (x1, y_projected), (x1, y_actual)];
        let points: Vec<(i32, i32)> = outline.iter().map(|&(x, y)| (px(x), px(y))).collect();
        let dashed = DashedPathElement::new(points, 5, 4, FORECAST.stroke_width(2));
        area.draw(&dashed).context("drawing the projection")
    } else {
        line(area, &[(x0 - 3.0, y_projected), (x1 + 3.0, y_projected)], FORECAST, 2)
    }
}

fn paint_forecast(
    area: &Area<'_>,
    data: &Data,
    x_of: &dyn Fn(usize) -> f64,
    y_of: &dyn Fn(f64) -> f64,
    bar_w: f64,
) -> Result<()> {
    if data.forecast.is_empty() {
        return Ok(());
    }
    let mut points: Vec<ForecastPoint> = Vec::with_capacity(data.forecast.len() + 1);
    if let Some((month, value)) = data.forecast_anchor() {
        points.push(ForecastPoint { month, low: value, mid: value, high: value });
    }
    points.extend_from_slice(&data.forecast);

    if points.len() == 1 {
        let f = points[0];
        let x = x_of(f.month);
        fill_rect(area, x - bar_w / 2.0, y_of(f.high), x + bar_w / 2.0, y_of(f.low), FORECAST.mix(0.18))?;
    } else {
        let upper = points.iter().map(|f| (px(x_of(f.month)), px(y_of(f.high))));
        let lower = points.iter().rev().map(|f| (px(x_of(f.month)), px(y_of(f.low))));
        let band: Vec<(i32, i32)> = upper.chain(lower).collect();
        area.draw(&Polygon::new(band, FORECAST.mix(0.18).filled())).context("drawing the forecast band")?;
        let mids: Vec<(f64, f64)> = points.iter().map(|f| (x_of(f.month), y_of(f.mid))).collect();
        let dashed: Vec<(i32, i32)> = mids.iter().map(|&(x, y)| (px(x), px(y))).collect();
        area.draw(&DashedPathElement::new(dashed, 8, 5, FORECAST.stroke_width(2)))
            .context("drawing the forecast line")?;
    }
    for f in &data.forecast {
        marker(area, x_of(f.month), y_of(f.mid))?;
    }
    Ok(())
}

fn paint_breakdown(area: &Area<'_>, chart: &CostChart) -> Result<()> {
    let (left, right) = (BREAKDOWN_LEFT, W - MARGIN);
    let width = right - left;
    let title = text::fit(&chart.breakdown_title, PANEL_TITLE_EM, width);
    text::draw(area, &title, left, PANEL_TOP + 22.0, Style { em: PANEL_TITLE_EM, color: TEXT }, Align::Left)?;

    let rows_top = PANEL_TOP + 46.0;
    let available = H - MARGIN - rows_top;
    const MIN_ROW: f64 = 42.0;
    let total_rows = chart.breakdown.len();
    let fits = ((available / MIN_ROW).floor() as usize).max(1);
    // When not every category fits, the last row says how many more there are.
    let shown = if total_rows > fits { fits - 1 } else { total_rows };
    let row_h = (available / total_rows.min(fits) as f64).clamp(MIN_ROW, 60.0);
    let max = chart.breakdown.iter().map(|(_, v)| clean(*v)).fold(0.0, f64::max);

    for (i, (name, value)) in chart.breakdown.iter().take(shown).enumerate() {
        let value = clean(*value);
        let y = rows_top + i as f64 * row_h;
        let color = chart.series.iter().position(|s| s.name == *name).map_or(series_color(i), series_color);
        let amount = format!("{} {}", scale::amount(value), chart.currency);
        let amount_w = text::width(&amount, LABEL_EM);
        let name = text::fit(name, LABEL_EM, width - amount_w - 16.0);
        text::draw(area, &name, left, y + 16.0, Style { em: LABEL_EM, color: TEXT }, Align::Left)?;
        text::draw(area, &amount, right, y + 16.0, Style { em: LABEL_EM, color: MUTED }, Align::Right)?;
        fill_rect(area, left, y + 25.0, right, y + 35.0, TRACK)?;
        if max > 0.0 && value > 0.0 {
            let bar = (value / max * width).max(3.0);
            fill_rect(area, left, y + 25.0, left + bar, y + 35.0, color)?;
        }
    }
    if shown < total_rows {
        let y = rows_top + shown as f64 * row_h;
        let more = format!("+{}", total_rows - shown);
        text::draw(area, &more, left, y + 16.0, Style { em: LABEL_EM, color: MUTED }, Align::Left)?;
    }
    Ok(())
}
