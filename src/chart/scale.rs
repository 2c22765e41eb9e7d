//! The value axis of a chart: round tick steps, and the short number formats drawn on charts.

/// A value axis from 0 to `top` with a tick every `step`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Axis {
    pub step: f64,
    pub top: f64,
}

impl Axis {
    /// An axis that shows values up to `max` with about `target` round steps (1, 2, 2.5 or 5
    /// times a power of ten). `max` must be finite and positive; anything else gives 0 to 1.
    pub fn new(max: f64, target: u32) -> Axis {
        if !(max.is_finite() && max > 0.0) {
            return Axis { step: 1.0, top: 1.0 };
        }
        let raw = max / f64::from(target.max(1));
        let magnitude = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 2.5, 5.0, 10.0]
            .into_iter()
            .map(|m| m * magnitude)
            .find(|&s| s >= raw * (1.0 - 1e-9))
            .unwrap_or(10.0 * magnitude);
        let steps = (max / step - 1e-9).ceil().max(1.0);
        Axis { step, top: steps * step }
    }

    /// The tick values, 0 first.
    pub fn ticks(&self) -> impl Iterator<Item = f64> + '_ {
        let count = (self.top / self.step).round() as u32;
        (0..=count).map(move |i| f64::from(i) * self.step)
    }
}

/// Units for short numbers; past the last one numbers are written as `1.5e15`.
const UNITS: [(f64, &str); 5] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"), (1.0, "")];

fn unit_of(v: f64) -> Option<(f64, &'static str)> {
    if v >= 1e15 {
        return None;
    }
    UNITS.into_iter().find(|&(unit, _)| v >= unit).or(Some((1.0, "")))
}

/// Removes trailing zeros after a decimal point: `1.50` is `1.5`, `2.00` is `2`.
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s }
}

fn scientific(v: f64) -> String {
    let s = format!("{v:.2e}");
    match s.split_once('e') {
        Some((mantissa, exponent)) => format!("{}e{exponent}", trim_zeros(mantissa)),
        None => s,
    }
}

/// A tick label on an axis whose ticks are `step` apart: `0`, `250`, `1.25k`, `2M`.
pub(super) fn tick_label(v: f64, step: f64) -> String {
    if v <= 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    let Some((unit, suffix)) = unit_of(v) else { return scientific(v) };
    let scaled_step = step / unit;
    let decimals = (0..=3)
        .find(|&d| {
            let x = scaled_step * 10f64.powi(d);
            (x - x.round()).abs() < 1e-6 * x.max(1.0)
        })
        .unwrap_or(3) as usize;
    format!("{}{suffix}", trim_zeros(&format!("{:.*}", decimals, v / unit)))
}

/// A value in about three significant digits: `950`, `1.43k`, `14.3k`, `143k`, `2.5M`.
pub(super) fn short(v: f64) -> String {
    if v <= 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    let Some((unit, suffix)) = unit_of(v) else { return scientific(v) };
    let m = v / unit;
    let decimals = if m >= 100.0 || (unit == 1.0 && m >= 10.0) {
        0
    } else if m >= 10.0 {
        1
    } else {
        2
    };
    format!("{}{suffix}", trim_zeros(&format!("{m:.decimals$}")))
}

/// An amount for reading, not for an axis: `45.50`, `12,345`, and `1.23B` past a billion.
pub(super) fn amount(v: f64) -> String {
    if v <= 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    if v >= 1e9 {
        return short(v);
    }
    if v < 1000.0 {
        return format!("{v:.2}");
    }
    let digits = format!("{v:.0}");
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_axis(max: f64, target: u32, step: f64, top: f64) {
        let axis = Axis::new(max, target);
        assert_eq!((axis.step, axis.top), (step, top), "axis for {max} with {target} ticks");
    }

    #[test]
    fn axis_steps_are_round() {
        check_axis(1000.0, 5, 200.0, 1000.0);
        check_axis(1001.0, 5, 250.0, 1250.0);
        check_axis(930.0, 5, 200.0, 1000.0);
        check_axis(4.2, 5, 1.0, 5.0);
        check_axis(0.03, 5, 0.01, 0.03);
        check_axis(12_345.0, 5, 2500.0, 12_500.0);
        check_axis(1e15, 5, 2e14, 1e15);
        check_axis(0.0, 5, 1.0, 1.0);
        check_axis(f64::NAN, 5, 1.0, 1.0);
        check_axis(f64::INFINITY, 5, 1.0, 1.0);
    }

    #[test]
    fn axis_ticks_run_from_zero_to_top() {
        let ticks: Vec<f64> = Axis::new(1001.0, 5).ticks().collect();
        assert_eq!(ticks, [0.0, 250.0, 500.0, 750.0, 1000.0, 1250.0]);
    }

    fn check_tick(v: f64, step: f64, expected: &str) {
        assert_eq!(tick_label(v, step), expected, "tick {v} with step {step}");
    }

    #[test]
    fn tick_labels_are_short() {
        check_tick(0.0, 250.0, "0");
        check_tick(250.0, 250.0, "250");
        check_tick(1250.0, 250.0, "1.25k");
        check_tick(1500.0, 500.0, "1.5k");
        check_tick(2000.0, 500.0, "2k");
        check_tick(25_000.0, 5000.0, "25k");
        check_tick(1_200_000.0, 200_000.0, "1.2M");
        check_tick(3e9, 1e9, "3B");
        check_tick(4e12, 1e12, "4T");
        check_tick(1e15, 2e14, "1e15");
        check_tick(1.2e15, 2e14, "1.2e15");
        check_tick(0.02, 0.01, "0.02");
        check_tick(2.5, 0.5, "2.5");
    }

    fn check_short(v: f64, expected: &str) {
        assert_eq!(short(v), expected, "short {v}");
    }

    #[test]
    fn short_values_keep_three_digits() {
        check_short(0.0, "0");
        check_short(-5.0, "0");
        check_short(f64::NAN, "0");
        check_short(7.5, "7.5");
        check_short(42.0, "42");
        check_short(950.0, "950");
        check_short(1432.0, "1.43k");
        check_short(14_320.0, "14.3k");
        check_short(143_200.0, "143k");
        check_short(2_500_000.0, "2.5M");
        check_short(1e15, "1e15");
    }

    fn check_amount(v: f64, expected: &str) {
        assert_eq!(amount(v), expected, "amount {v}");
    }

    #[test]
    fn amounts_are_readable() {
        check_amount(0.0, "0");
        check_amount(45.5, "45.50");
        check_amount(999.0, "999.00");
        check_amount(1000.0, "1,000");
        check_amount(12_345.4, "12,345");
        check_amount(999_999_999.0, "999,999,999");
        check_amount(1.234e9, "1.23B");
        check_amount(f64::INFINITY, "0");
    }
}
