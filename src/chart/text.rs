//! Text on charts: the bundled fonts, and drawing strings that mix Thai and Latin script.
//!
//! plotters draws a string with one font, and neither bundled font covers both scripts (Noto Sans
//! Thai has no Latin letters or digits), so each character is drawn with the font of its script.
//! Sizes here are em sizes in pixels (what "font-size" means elsewhere).
//!
//! plotters' ab_glyph renderer does no shaping and drops each glyph's left side bearing, which
//! spaces Latin text unevenly and puts Thai vowel and tone marks (which hang left of their origin,
//! over their consonant) onto the next letter. So text is laid out here, one glyph at a time, from
//! the fonts' own metrics (read with `ab_glyph`), and plotters only paints each glyph; Thai tone marks are lifted over an
//! upper vowel and marks move left of a consonant's tall stem, which keeps Thai words legible.

use std::sync::{Once, OnceLock};

use ab_glyph::{Font as _, FontRef};
use anyhow::{Context as _, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::Pos;
use plotters::style::{FontDesc, FontFamily, FontStyle, register_font};

/// The drawing surface every chart is painted on.
pub(super) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

const LATIN_FAMILY: &str = "jarvis-noto-sans";
const THAI_FAMILY: &str = "jarvis-noto-sans-thai";
static LATIN_TTF: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Regular.ttf");
static THAI_TTF: &[u8] = include_bytes!("../../assets/fonts/NotoSansThai-Regular.ttf");

/// Registers the bundled fonts with plotters, once per process.
pub(super) fn register_fonts() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // The bytes are fixed at compile time and tests draw with both fonts, so this cannot fail
        // because of input; if it ever did, text would be missing, not the chart.
        let _ = register_font(LATIN_FAMILY, FontStyle::Normal, LATIN_TTF);
        let _ = register_font(THAI_FAMILY, FontStyle::Normal, THAI_TTF);
    });
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Script {
    Latin,
    Thai,
}

impl Script {
    fn of(c: char) -> Script {
        if is_thai(c) { Script::Thai } else { Script::Latin }
    }

    fn family(self) -> &'static str {
        match self {
            Script::Latin => LATIN_FAMILY,
            Script::Thai => THAI_FAMILY,
        }
    }

    fn font(self) -> Option<&'static Font> {
        static LATIN: OnceLock<Option<Font>> = OnceLock::new();
        static THAI: OnceLock<Option<Font>> = OnceLock::new();
        match self {
            Script::Latin => LATIN.get_or_init(|| Font::parse(LATIN_TTF)).as_ref(),
            Script::Thai => THAI.get_or_init(|| Font::parse(THAI_TTF)).as_ref(),
        }
    }
}

/// A bundled font's glyph metrics, as text layout needs them.
struct Font {
    glyphs: FontRef<'static>,
    /// Font units per em: glyph metrics divided by this are in ems.
    units_per_em: f64,
}

impl Font {
    fn parse(data: &'static [u8]) -> Option<Font> {
        let glyphs = FontRef::try_from_slice(data).ok()?;
        let units_per_em = f64::from(glyphs.units_per_em()?);
        Some(Font { glyphs, units_per_em })
    }

    /// Advance width and left side bearing of the glyph for `c` (the missing-glyph box when the
    /// font has none), in ems.
    fn h_metrics(&self, c: char) -> (f64, f64) {
        let glyph = self.glyphs.glyph_id(c);
        let ems = |units: f32| f64::from(units) / self.units_per_em;
        (ems(self.glyphs.h_advance_unscaled(glyph)), ems(self.glyphs.h_side_bearing_unscaled(glyph)))
    }

    /// plotters' font size for an em of `em` px, snapped to an even number of pixels; returns the
    /// size and the em it gives. plotters scales a font to its height (ascent minus descent, as
    /// `ab_glyph`'s `as_scaled` does), not its em, and places a glyph at `trunc(size / 2 + top)`,
    /// which lines glyphs of different heights up on one baseline only when `size / 2` is whole.
    fn snapped_size(&self, em: f64) -> (f64, f64) {
        let size_per_em = f64::from(self.glyphs.height_unscaled()) / self.units_per_em;
        let size = (em * size_per_em / 2.0).round().max(1.0) * 2.0;
        (size, size / size_per_em)
    }
}

/// True for characters of the Thai block, which are drawn with Noto Sans Thai.
pub(super) fn is_thai(c: char) -> bool {
    ('\u{0E00}'..='\u{0E7F}').contains(&c)
}

/// Where the `x` given to [`draw`] sits on the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Align {
    Left,
    Center,
    Right,
}

/// Style of one piece of text: em size in pixels and colour.
#[derive(Clone, Copy, Debug)]
pub(super) struct Style {
    pub em: f64,
    pub color: RGBColor,
}

/// One glyph placed on a line, in pixels from the line's origin on the baseline: `pen` is its
/// origin, `bearing` where its outline starts relative to that, `dy` a shift downwards.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Placed {
    c: char,
    script: Script,
    /// plotters' font size for this glyph.
    size: f64,
    pen: f64,
    bearing: f64,
    dy: f64,
}

/// Lays `text` out on one line at em size `em`; returns the glyphs and the line's width.
fn layout(text: &str, em: f64) -> (Vec<Placed>, f64) {
    let chars: Vec<char> = text.chars().collect();
    let mut placed = Vec::with_capacity(chars.len());
    let mut pen = 0.0;
    let mut consonant: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        let script = Script::of(c);
        let Some(font) = script.font() else { continue };
        let (size, em) = font.snapped_size(em);
        let (advance, mut bearing) = font.h_metrics(c);
        let mut dy = 0.0;
        if is_thai_mark(c) {
            if is_thai_upper_mark(c) && consonant.is_some_and(is_thai_ascender) {
                bearing -= 0.14;
            }
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            if is_thai_tone(c) && (prev.is_some_and(is_thai_upper_vowel) || next == Some('\u{0E33}')) {
                dy -= 0.2;
            }
        } else {
            consonant = Some(c);
        }
        placed.push(Placed { c, script, size, pen, bearing: bearing * em, dy: dy * em });
        pen += advance * em;
    }
    (placed, pen)
}

/// Width in pixels of `text` drawn at em size `em`.
pub(super) fn width(text: &str, em: f64) -> f64 {
    layout(text, em).1
}

/// `text`, cut short with an ellipsis if it is wider than `max_width`.
pub(super) fn fit(text: &str, em: f64, max_width: f64) -> String {
    if width(text, em) <= max_width {
        return text.to_string();
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        // Never end on a dangling Thai mark whose consonant was cut off.
        while chars.last().is_some_and(|&c| is_thai_mark(c)) {
            chars.pop();
        }
        let candidate = chars.iter().collect::<String>().trim_end().to_string() + "…";
        if width(&candidate, em) <= max_width {
            return candidate;
        }
    }
    String::new()
}

/// Draws `text` with its baseline at `baseline`, aligned on `x` as `align` says.
pub(super) fn draw(area: &Area<'_>, text: &str, x: f64, baseline: f64, style: Style, align: Align) -> Result<()> {
    if text.is_empty() || !style.em.is_finite() || style.em <= 0.0 {
        return Ok(());
    }
    let (glyphs, total) = layout(text, style.em);
    let origin = match align {
        Align::Left => x,
        Align::Center => x - total / 2.0,
        Align::Right => x - total,
    };
    let baseline = baseline.round();
    let mut buf = [0u8; 4];
    for glyph in glyphs {
        if glyph.c.is_whitespace() {
            continue;
        }
        let font = FontDesc::new(FontFamily::Name(glyph.script.family()), glyph.size, FontStyle::Normal);
        let text_style = TextStyle { font, color: style.color.to_backend_color(), pos: Pos::default() };
        // plotters puts the glyph's first pixel column (not its origin) at x, and the baseline
        // half a size below y.
        let left = (origin + glyph.pen).round() + glyph.bearing.floor();
        let top = baseline + glyph.dy.round() - glyph.size / 2.0;
        let position = (left as i32, top as i32);
        area.draw_text(glyph.c.encode_utf8(&mut buf), &text_style, position).context("drawing chart text")?;
    }
    Ok(())
}

/// Thai vowel and tone marks, which have no width and sit over or under their consonant.
fn is_thai_mark(c: char) -> bool {
    matches!(c, '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}')
}

fn is_thai_upper_mark(c: char) -> bool {
    matches!(c, '\u{0E31}' | '\u{0E34}'..='\u{0E37}' | '\u{0E47}'..='\u{0E4E}')
}

fn is_thai_upper_vowel(c: char) -> bool {
    matches!(c, '\u{0E31}' | '\u{0E34}'..='\u{0E37}' | '\u{0E4D}')
}

fn is_thai_tone(c: char) -> bool {
    matches!(c, '\u{0E48}'..='\u{0E4B}')
}

/// Consonants with a tall right stem; marks above them move left to clear it.
fn is_thai_ascender(c: char) -> bool {
    matches!(c, '\u{0E1B}' | '\u{0E1D}' | '\u{0E1F}' | '\u{0E2C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_width(text: &str, expected: f64) {
        let w = width(text, 100.0);
        assert!((w - expected).abs() < 1e-6, "{text:?} is {w} px wide, not {expected}");
    }

    #[test]
    fn widths_come_from_the_font_of_each_script() {
        // At em 100, Noto Sans is drawn at size 136 (em 99.85) and Noto Sans Thai at size 152
        // (em 100.60): sizes are snapped to even pixels.
        let (latin_em, thai_em) = (100.0 * 136.0 / 136.2, 100.0 * 152.0 / 151.1);
        check_width("", 0.0);
        check_width("H", 0.741 * latin_em);
        check_width("HH", 2.0 * 0.741 * latin_em);
        check_width("ก", 0.6 * thai_em);
        // A vowel mark adds no width; a Thai consonant followed by a Latin digit uses both fonts.
        check_width("กิ", 0.6 * thai_em);
        check_width("ก0", 0.6 * thai_em + 0.572 * latin_em);
    }

    #[test]
    fn fit_keeps_short_text_and_shortens_long_text() {
        assert_eq!(fit("Cloud", 20.0, 500.0), "Cloud");
        let cut = fit("A very long category name indeed", 20.0, 120.0);
        assert!(cut.ends_with('…') && cut.len() < 30, "{cut}");
        assert!(width(&cut, 20.0) <= 120.0);
        let thai = fit("ค่าบริการคลาวด์และซอฟต์แวร์", 20.0, 80.0);
        assert!(thai.ends_with('…') && width(&thai, 20.0) <= 80.0, "{thai}");
        assert_eq!(fit("Cloud", 20.0, 1.0), "");
    }

    /// Ink columns (first, last) of `text` drawn at x = 20 on a white strip.
    fn ink_columns(text: &str) -> Option<(usize, usize)> {
        register_fonts();
        let (w, h) = (300usize, 80usize);
        let mut buf = vec![255u8; w * h * 3];
        {
            let area = BitMapBackend::with_buffer(&mut buf, (w as u32, h as u32)).into_drawing_area();
            let style = Style { em: 40.0, color: RGBColor(0, 0, 0) };
            draw(&area, text, 20.0, 60.0, style, Align::Left).unwrap();
            area.present().unwrap();
        }
        let inked: Vec<usize> = (0..w).filter(|&x| (0..h).any(|y| buf[(y * w + x) * 3] < 128)).collect();
        Some((*inked.first()?, *inked.last()?))
    }

    #[test]
    fn glyphs_keep_their_side_bearings() {
        // At em 40 (snapped to 39.65) "H" spans 0.097 to 0.643 em: from x = 20, columns 23.8 to
        // 45.5, so the first mostly inked column is 24. plotters alone would start it at 20.
        let (left, right) = ink_columns("H").unwrap();
        assert_eq!(left, 24);
        assert!((44..=45).contains(&right), "H ends at {right}");
    }

    #[test]
    fn thai_marks_sit_over_their_consonant() {
        // Left to plotters, SARA I would be drawn right of KO KAI's advance.
        let (_, consonant_right) = ink_columns("ก").unwrap();
        let (left, right) = ink_columns("กิ").unwrap();
        assert!(left >= 20, "ink starts at {left}, left of the text");
        assert!(right <= consonant_right + 1, "the mark ends at {right}, the consonant at {consonant_right}");
    }

    #[test]
    fn mixed_text_draws_both_scripts() {
        let (_, thai_right) = ink_columns("ก").unwrap();
        let (_, mixed_right) = ink_columns("ก 12").unwrap();
        assert!(mixed_right > thai_right + 20, "digits after Thai text were not drawn");
    }
}
