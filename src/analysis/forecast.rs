//! Forecasts of monthly totals: a least-squares linear trend over the completed months with an
//! 80% prediction interval, once there are at least [`MIN_MONTHS`] of them.
//!
//! For months x = 0..n-1 with totals y, the fit is y = a + b x and the interval at a future x0 is
//! a + b x0 ± t(0.90, n-2) · s · sqrt(1 + 1/n + (x0 - x̄)² / Sxx), where s² is the residual
//! variance. Computed in exact decimals on totals scaled to at most 1, so huge amounts neither
//! overflow nor lose precision; the lower bound never goes below zero.

use rust_decimal::prelude::*;
use serde::Serialize;

use crate::domain::money::AMOUNT_SCALE;

/// Months of history a forecast needs.
pub const MIN_MONTHS: usize = 3;

/// One forecast month: the expected total and its 80% prediction interval.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Estimate {
    pub expected: Decimal,
    pub low: Decimal,
    pub high: Decimal,
}

/// The fitted trend.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Trend {
    /// Change per month.
    pub slope: Decimal,
    /// The months after the last one (x = n, n+1, ...), as asked for.
    pub ahead: Vec<Estimate>,
}

/// The 0.90 quantile of Student's t with 1..=30 degrees of freedom; beyond, the normal 1.2816.
const T90: [&str; 30] = [
    "3.0777", "1.8856", "1.6377", "1.5332", "1.4759", "1.4398", "1.4149", "1.3968", "1.3830", "1.3722", "1.3634",
    "1.3562", "1.3502", "1.3450", "1.3406", "1.3368", "1.3334", "1.3304", "1.3277", "1.3253", "1.3232", "1.3212",
    "1.3195", "1.3178", "1.3163", "1.3150", "1.3137", "1.3125", "1.3114", "1.3104",
];

fn t90(degrees: usize) -> Decimal {
    let text = T90.get(degrees.wrapping_sub(1)).copied().unwrap_or("1.2816");
    Decimal::from_str(text).expect("valid constant")
}

/// The trend of `totals` (oldest first) and estimates for the `skip + 1 ..= skip + count` months
/// after the last one; `None` with fewer than [`MIN_MONTHS`] totals.
pub fn linear(totals: &[Decimal], skip: usize, count: usize) -> Option<Trend> {
    let n = totals.len();
    if n < MIN_MONTHS {
        return None;
    }
    let scale = totals.iter().map(|v| v.abs()).max().filter(|m| !m.is_zero()).unwrap_or(Decimal::ONE);
    let ys: Vec<Decimal> = totals.iter().map(|v| v / scale).collect();
    let nd = Decimal::from(n);
    let xs: Vec<Decimal> = (0..n).map(Decimal::from).collect();
    let x_mean = xs.iter().sum::<Decimal>() / nd;
    let y_mean = ys.iter().sum::<Decimal>() / nd;
    let sxx: Decimal = xs.iter().map(|x| (x - x_mean) * (x - x_mean)).sum();
    let sxy: Decimal = xs.iter().zip(&ys).map(|(x, y)| (x - x_mean) * (y - y_mean)).sum();
    let slope = sxy / sxx;
    let intercept = y_mean - slope * x_mean;
    let residual: Decimal = xs.iter().zip(&ys).map(|(x, y)| (y - intercept - slope * x).powi(2)).sum();
    let s = (residual / Decimal::from(n - 2)).sqrt().unwrap_or_default();
    let t = t90(n - 2);
    let ahead = (1..=count)
        .map(|step| {
            let x0 = Decimal::from(n - 1 + skip + step);
            let expected = intercept + slope * x0;
            let spread = (Decimal::ONE + Decimal::ONE / nd + (x0 - x_mean).powi(2) / sxx).sqrt().unwrap_or_default();
            let margin = t * s * spread;
            let unscaled = |value: Decimal| (value * scale).round_dp(AMOUNT_SCALE).max(Decimal::ZERO);
            Estimate {
                expected: unscaled(expected),
                low: unscaled(expected - margin),
                high: unscaled(expected + margin),
            }
        })
        .collect();
    Some(Trend { slope: (slope * scale).round_dp(AMOUNT_SCALE), ahead })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::dec;

    fn totals(values: &[&str]) -> Vec<Decimal> {
        values.iter().map(|v| dec(v)).collect()
    }

    #[test]
    fn too_little_history_gives_no_forecast() {
        assert_eq!(linear(&totals(&[]), 0, 3), None);
        assert_eq!(linear(&totals(&["100"]), 0, 3), None);
        assert_eq!(linear(&totals(&["100", "120"]), 0, 3), None);
    }

    #[test]
    fn a_perfect_line_continues_with_no_spread() {
        let trend = linear(&totals(&["100", "110", "120", "130"]), 0, 2).unwrap();
        assert_eq!(trend.slope, dec("10"));
        assert_eq!(trend.ahead[0], Estimate { expected: dec("140"), low: dec("140"), high: dec("140") });
        assert_eq!(trend.ahead[1].expected, dec("150"));
        // Skipping the running month: the first estimate is two months after the last.
        let trend = linear(&totals(&["100", "110", "120", "130"]), 1, 1).unwrap();
        assert_eq!(trend.ahead[0].expected, dec("150"));
    }

    #[test]
    fn noisy_history_has_an_interval_worked_out_by_hand() {
        // y = 100, 130, 110, 140: x̄ = 1.5, ȳ = 120, Sxx = 5, Sxy = (-1.5)(-20) + (-0.5)(10) +
        // (0.5)(-10) + (1.5)(20) = 50, slope 10, intercept 105. Residuals -5, 15, -15, 5:
        // s² = 500 / 2 = 250, s = 15.8114. At x0 = 4: 145 ± 1.8856 x 15.8114 x sqrt(1 + 1/4 +
        // 6.25/5) = 145 ± 1.8856 x 15.8114 x 1.5811 = 145 ± 47.14.
        let trend = linear(&totals(&["100", "130", "110", "140"]), 0, 1).unwrap();
        let estimate = trend.ahead[0];
        assert_eq!(estimate.expected.round_dp(2), dec("145"));
        assert_eq!(estimate.low.round_dp(2), dec("97.86"));
        assert_eq!(estimate.high.round_dp(2), dec("192.14"));
    }

    #[test]
    fn falling_costs_never_forecast_below_zero() {
        let trend = linear(&totals(&["300", "200", "100"]), 0, 3).unwrap();
        assert!(trend.ahead.iter().all(|e| e.low >= Decimal::ZERO && e.expected >= Decimal::ZERO));
        assert_eq!(trend.ahead[2].expected, Decimal::ZERO);
    }

    #[test]
    fn huge_totals_do_not_overflow() {
        let big = totals(&["900000000000000", "950000000000000", "1000000000000000"]);
        let trend = linear(&big, 0, 1).unwrap();
        assert_eq!(trend.ahead[0].expected.round_dp(0), dec("1050000000000000"));
        let zeros = totals(&["0", "0", "0"]);
        assert_eq!(
            linear(&zeros, 0, 1).unwrap().ahead[0],
            Estimate { expected: dec("0"), low: dec("0"), high: dec("0") }
        );
    }
}
