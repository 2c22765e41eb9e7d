//! PNG charts of the monthly costs: stacked bars by category with the forecast band, and the
//! category breakdown. Fonts are bundled with the binary (Noto Sans and Noto Sans Thai, SIL OFL
//! 1.1), so no system font is needed.
//!
//! Charts are pictures: amounts arrive here already computed (exactly, elsewhere) and are drawn
//! as `f64`, the one place floats are fine.

use anyhow::{Context as _, Result};
use plotters::prelude::*;

mod render;
mod scale;
mod text;

/// One stacked series: a category's amounts, one per month of [`CostChart::months`].
#[derive(Clone, Debug, PartialEq)]
pub struct ChartSeries {
    /// The legend label, already translated (may be Thai).
    pub name: String,
    pub values: Vec<f64>,
}

/// A forecast month: the expected cost and its 80% prediction interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ForecastPoint {
    /// Index into [`CostChart::months`].
    pub month: usize,
    pub low: f64,
    pub mid: f64,
    pub high: f64,
}

/// Everything a chart shows, with its texts already in the reader's language.
#[derive(Clone, Debug, PartialEq)]
pub struct CostChart {
    pub title: String,
    /// ISO code shown on the value axis, e.g. `USD`.
    pub currency: String,
    /// X-axis labels, oldest first, e.g. `2026-01`; includes the current month and forecast months.
    pub months: Vec<String>,
    /// Stacked bars, one series per category, in legend order (values 0 for forecast months).
    pub series: Vec<ChartSeries>,
    /// The month that is still running (month-to-date), drawn lighter, with its projection.
    pub current_month: Option<usize>,
    /// The current month's projected total, drawn as a marker above its bar.
    pub projection: Option<f64>,
    /// Forecast months: a line for the expected cost and a shaded band for the interval.
    pub forecast: Vec<ForecastPoint>,
    /// Legend text for the running month's pale bar and dashed projection, e.g. `This month so
    /// far, projected`.
    pub projection_label: String,
    /// Legend text for the forecast band, e.g. `Forecast (80% interval)`.
    pub forecast_label: String,
    /// Title of the breakdown panel, e.g. `Monthly cost by category`.
    pub breakdown_title: String,
    /// Category label and its monthly amount, in display order.
    pub breakdown: Vec<(String, f64)>,
    /// Shown instead of bars when there is nothing to draw.
    pub empty_text: String,
}

/// Width and height in pixels of the images [`render_png`] draws.
pub const SIZE: (u32, u32) = (render::WIDTH, render::HEIGHT);

/// Draws `chart` as a PNG image (about 1200x600), returning the encoded bytes.
///
/// Any input draws: no months, all zero (then [`CostChart::empty_text`] is shown), one month,
/// huge amounts; negative and non-finite amounts are drawn as 0.
pub fn render_png(chart: &CostChart) -> Result<Vec<u8>> {
    text::register_fonts();
    let (width, height) = SIZE;
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        render::paint(&area, chart)?;
        area.present().context("finishing the chart image")?;
    }
    encode_png(&rgb, width, height)
}

/// Encodes 8-bit RGB pixels as a PNG file in memory.
fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(rgb.len() / 8);
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().context("writing the PNG header")?;
    writer.write_image_data(rgb).context("encoding the chart as PNG")?;
    writer.finish().context("finishing the PNG")?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Months `2025-11` .. `2027-02`: 12 past months, the current month `2026-11` and 3 forecast
    /// months, with 5 categories.
    fn realistic() -> CostChart {
        let months: Vec<String> = (0..16)
            .map(|i| {
                let m = 10 + i;
                format!("{}-{:02}", 2025 + m / 12, m % 12 + 1)
            })
            .collect();
        let shape = |base: f64, growth: f64| -> Vec<f64> {
            (0..16)
                .map(|i| match i {
                    0..12 => base * (1.0 + growth * i as f64) * (1.0 + 0.08 * ((i * 7 % 5) as f64 - 2.0) / 2.0),
                    12 => base * (1.0 + growth * 12.0) * 0.55,
                    _ => 0.0,
                })
                .collect()
        };
        let series = vec![
            ChartSeries { name: "Cloud".into(), values: shape(820.0, 0.03) },
            ChartSeries { name: "AI & ML APIs".into(), values: shape(310.0, 0.12) },
            ChartSeries { name: "SaaS".into(), values: shape(260.0, 0.01) },
            ChartSeries { name: "Domains & DNS".into(), values: shape(35.0, 0.0) },
            ChartSeries { name: "Other".into(), values: shape(90.0, 0.02) },
        ];
        let current_total: f64 = series.iter().map(|s| s.values[12]).sum();
        let projection = current_total / 0.55;
        let forecast = (13..16)
            .map(|m| {
                let mid = projection * (1.0 + 0.04 * (m - 12) as f64);
                let spread = 0.08 * (m - 12) as f64;
                ForecastPoint { month: m, low: mid * (1.0 - spread), mid, high: mid * (1.0 + spread) }
            })
            .collect();
        let breakdown = series.iter().map(|s| (s.name.clone(), s.values[11])).collect();
        CostChart {
            title: "Monthly spending".into(),
            currency: "USD".into(),
            months,
            series,
            current_month: Some(12),
            projection: Some(projection),
            forecast,
            projection_label: "This month so far, projected (dashed)".into(),
            forecast_label: "Forecast (80% interval)".into(),
            breakdown_title: "Last month by category".into(),
            breakdown,
            empty_text: "No costs recorded yet".into(),
        }
    }

    fn thai() -> CostChart {
        let mut chart = realistic();
        let names = ["คลาวด์", "บริการ AI", "ซอฟต์แวร์ SaaS", "โดเมนและ DNS", "อื่น ๆ"];
        for (series, name) in chart.series.iter_mut().zip(names) {
            series.name = name.into();
        }
        for (row, name) in chart.breakdown.iter_mut().zip(names) {
            row.0 = name.into();
        }
        let thai_months =
            ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."];
        chart.months = (0..16).map(|i| format!("{} {}", thai_months[(10 + i) % 12], 68 + (10 + i) / 12)).collect();
        chart.title = "ค่าใช้จ่ายรายเดือนของบริษัท".into();
        chart.forecast_label = "พยากรณ์ (ช่วง 80%)".into();
        chart.projection_label = "เดือนนี้จนถึงตอนนี้ และคาดว่าทั้งเดือน (เส้นประ)".into();
        chart.breakdown_title = "เดือนที่แล้ว แยกตามหมวด".into();
        chart.empty_text = "ยังไม่มีค่าใช้จ่ายที่บันทึกไว้".into();
        chart
    }

    fn empty() -> CostChart {
        CostChart {
            title: "Monthly spending".into(),
            currency: "USD".into(),
            months: vec![],
            series: vec![],
            current_month: None,
            projection: None,
            forecast: vec![],
            projection_label: "This month so far, projected (dashed)".into(),
            forecast_label: "Forecast (80% interval)".into(),
            breakdown_title: "This month by category".into(),
            breakdown: vec![],
            empty_text: "No costs recorded yet".into(),
        }
    }

    /// A decoded chart: its size and RGB pixels.
    struct Image {
        width: u32,
        height: u32,
        rgb: Vec<u8>,
    }

    impl Image {
        fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
            let i = (y * self.width + x) as usize * 3;
            [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
        }

        /// How many pixels in the rows `ys` and columns `xs` satisfy `test`.
        fn count(&self, xs: std::ops::Range<u32>, ys: std::ops::Range<u32>, test: impl Fn([u8; 3]) -> bool) -> usize {
            ys.flat_map(|y| xs.clone().map(move |x| (x, y))).filter(|&(x, y)| test(self.pixel(x, y))).count()
        }

        fn colours(&self) -> usize {
            let mut seen: Vec<[u8; 3]> = self.rgb.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
            seen.sort_unstable();
            seen.dedup();
            seen.len()
        }
    }

    fn dark(p: [u8; 3]) -> bool {
        p.iter().all(|&c| c < 140)
    }

    fn render(chart: &CostChart) -> Image {
        let bytes = render_png(chart).expect("chart renders");
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut rgb = vec![0; reader.output_buffer_size().expect("a sane size")];
        let info = reader.next_frame(&mut rgb).expect("PNG image data");
        assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight));
        rgb.truncate(info.buffer_size());
        Image { width: info.width, height: info.height, rgb }
    }

    fn first_palette_colour(image: &Image) -> usize {
        let [r, g, b] = [0x4E, 0x79, 0xA7];
        image.count(0..image.width, 0..image.height, |p| p == [r, g, b])
    }

    #[test]
    fn realistic_chart_is_a_png_of_the_promised_size_with_bars() {
        let image = render(&realistic());
        assert_eq!((image.width, image.height), SIZE);
        assert!(image.colours() > 50, "only {} colours", image.colours());
        assert!(first_palette_colour(&image) > 2000, "the first category's bars are missing");
        assert!(image.count(0..600, 20..60, dark) > 200, "the title is missing");
    }

    #[test]
    fn thai_labels_are_drawn() {
        let image = render(&thai());
        assert_eq!((image.width, image.height), SIZE);
        assert!(image.count(0..600, 15..65, dark) > 200, "the Thai title is missing");
        let mut untitled = thai();
        untitled.title.clear();
        let blank = render(&untitled);
        assert_eq!(blank.count(0..1200, 15..65, dark), 0, "something but the title is in the title band");
        // Thai month labels with digits, in the row under the bars.
        assert!(image.count(50..800, 515..540, dark) > 100, "the Thai month labels are missing");
    }

    #[test]
    fn empty_chart_shows_the_empty_text_instead_of_bars() {
        for chart in [empty(), CostChart { months: realistic().months, series: realistic().series, ..empty() }] {
            let mut chart = chart;
            for series in &mut chart.series {
                series.values.iter_mut().for_each(|v| *v = 0.0);
            }
            let image = render(&chart);
            assert_eq!((image.width, image.height), SIZE);
            assert_eq!(first_palette_colour(&image), 0, "bars drawn for an empty chart");
            assert!(image.count(400..800, 310..360, |p| p != [255; 3]) > 100, "the empty text is missing");
        }
    }

    #[test]
    fn zero_costs_with_a_breakdown_still_draw() {
        let mut chart = realistic();
        chart.series.iter_mut().for_each(|s| s.values.iter_mut().for_each(|v| *v = 0.0));
        chart.projection = Some(0.0);
        chart.forecast.clear();
        chart.breakdown.iter_mut().for_each(|row| row.1 = 0.0);
        let image = render(&chart);
        assert_eq!(first_palette_colour(&image), 0);
        assert!(image.colours() > 2);
    }

    #[test]
    fn huge_and_broken_values_draw() {
        let mut chart = realistic();
        chart.series[0].values.iter_mut().take(12).for_each(|v| *v = 1e15);
        chart.series[1].values[3] = f64::NAN;
        chart.series[2].values[4] = f64::INFINITY;
        chart.series[3].values[5] = -50.0;
        chart.series[4].values[6] = f64::MAX;
        chart.projection = Some(f64::NAN);
        chart.forecast[0].high = f64::NEG_INFINITY;
        chart.forecast[1] = ForecastPoint { month: 14, low: 2e15, mid: 1e15, high: 0.0 };
        chart.breakdown[0].1 = 1e15;
        chart.breakdown[1].1 = f64::NAN;
        let image = render(&chart);
        assert_eq!((image.width, image.height), SIZE);
        assert!(first_palette_colour(&image) > 2000, "the huge bars are missing");
    }

    #[test]
    fn one_month_and_inconsistent_indexes_draw() {
        let mut chart = realistic();
        chart.months.truncate(1);
        chart.current_month = Some(0);
        chart.forecast = vec![ForecastPoint { month: 0, low: 1.0, mid: 2.0, high: 3.0 }];
        let image = render(&chart);
        assert!(first_palette_colour(&image) > 100);

        let mut chart = realistic();
        chart.series[0].values.truncate(2);
        chart.current_month = Some(99);
        chart.forecast.push(ForecastPoint { month: 99, low: 1.0, mid: 2.0, high: 3.0 });
        chart.breakdown.clear();
        let image = render(&chart);
        assert!(first_palette_colour(&image) > 100);
    }

    #[test]
    fn many_categories_fit_the_panels() {
        let mut chart = realistic();
        let names: Vec<String> = (0..30).map(|i| format!("Vendor number {i} with a long name")).collect();
        chart.series = names.iter().map(|name| ChartSeries { name: name.clone(), values: vec![10.0; 13] }).collect();
        chart.breakdown = names.iter().zip(1..).map(|(name, i)| (name.clone(), 100.0 * f64::from(i))).collect();
        let image = render(&chart);
        let ink = |p: [u8; 3]| p != [255; 3];
        // The breakdown ends with a "+N" row and stops above the bottom margin.
        assert!(image.count(830..880, 528..548, ink) > 40, "the breakdown's \"+N\" row is missing");
        assert_eq!(image.count(812..1200, 573..600, ink), 0, "the breakdown runs into the margin");
        // The legend keeps to two rows, so the value axis' zero line stays low in the image.
        let zero_line = |p: [u8; 3]| p == [0x9C, 0xA3, 0xAF];
        assert!(image.count(40..790, 460..520, zero_line) > 300, "the legend squeezed the bars");
    }
}
