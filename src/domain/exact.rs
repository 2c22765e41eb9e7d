//! Exact sums of decimals: added in any order or grouping, read with one rounding at the end.
//!
//! `rust_decimal` keeps 28 significant digits, so adding non-terminating shares (a yearly charge
//! spread over 365 days) rounds, and the last digit of a plain running sum depends on the order
//! and grouping of its terms. Spend is summed from records in one place and from month roll-ups
//! in another; with [`ExactSum`] both give the same decimal, to the last digit.

use rust_decimal::Decimal;

/// Powers of ten up to 10^28, the finest scale a decimal has.
const POW10: [i128; 29] = {
    let mut table = [1i128; 29];
    let mut i = 1;
    while i < 29 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// Ten to the 28th: one whole unit in the fraction's units.
const ONE: i128 = POW10[28];

/// The largest decimal mantissa, plus one (96 bits).
const MANTISSA_LIMIT: u128 = 1 << 96;

/// A sum of decimals kept exactly. Reading it ([`ExactSum::value`]) gives the sum at the largest
/// scale of its terms, as plain addition would when nothing rounds; when that does not fit a
/// decimal, it is rounded once, half to even, to the finest scale that does.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct ExactSum {
    /// The sum's whole units, rounded down (toward minus infinity).
    units: i128,
    /// The rest, in 10^-28ths: `0 <= fraction < 10^28`.
    fraction: i128,
    /// The largest scale of the terms.
    scale: u32,
}

impl ExactSum {
    pub fn add(&mut self, value: Decimal) {
        let scale = value.scale();
        let unit = POW10[scale as usize];
        let mantissa = value.mantissa();
        self.units += mantissa.div_euclid(unit);
        self.fraction += mantissa.rem_euclid(unit) * POW10[28 - scale as usize];
        self.carry();
        self.scale = self.scale.max(scale);
    }

    /// Adds another exact sum, exactly.
    pub fn add_sum(&mut self, other: &ExactSum) {
        self.units += other.units;
        self.fraction += other.fraction;
        self.carry();
        self.scale = self.scale.max(other.scale);
    }

    fn carry(&mut self) {
        if self.fraction >= ONE {
            self.units += 1;
            self.fraction -= ONE;
        }
    }

    /// The sum's parts, for storing it exactly: whole units (rounded toward minus infinity), the
    /// rest in 10^-28ths, and the largest scale of its terms.
    pub fn to_parts(&self) -> (i128, i128, u32) {
        (self.units, self.fraction, self.scale)
    }

    /// A sum from [`ExactSum::to_parts`]; `None` when the parts are not such parts.
    pub fn from_parts(units: i128, fraction: i128, scale: u32) -> Option<ExactSum> {
        ((0..ONE).contains(&fraction) && scale <= 28).then_some(ExactSum { units, fraction, scale })
    }

    /// The sum as a decimal: exact when it fits, else rounded once (half to even).
    ///
    /// # Panics
    /// When the whole units alone do not fit a decimal, as plain addition would.
    pub fn value(&self) -> Decimal {
        for scale in (0..=self.scale).rev() {
            let Some(whole) = self.units.checked_mul(POW10[scale as usize]) else { continue };
            let step = POW10[28 - scale as usize];
            let (kept, rest) = (self.fraction / step, self.fraction % step);
            let mut mantissa = whole + kept;
            if rest * 2 > step || (rest * 2 == step && mantissa.rem_euclid(2) == 1) {
                mantissa += 1;
            }
            if mantissa.unsigned_abs() < MANTISSA_LIMIT {
                return Decimal::from_i128_with_scale(mantissa, scale);
            }
        }
        panic!("a sum of decimals overflowed");
    }
}

impl From<Decimal> for ExactSum {
    fn from(value: Decimal) -> ExactSum {
        let mut sum = ExactSum::default();
        sum.add(value);
        sum
    }
}

impl std::ops::AddAssign<Decimal> for ExactSum {
    fn add_assign(&mut self, value: Decimal) {
        self.add(value);
    }
}

impl std::iter::Sum<Decimal> for ExactSum {
    fn sum<I: Iterator<Item = Decimal>>(iter: I) -> ExactSum {
        let mut sum = ExactSum::default();
        iter.for_each(|value| sum.add(value));
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::dec;

    /// `terms` summed exactly read as `expected` (its digits and scale).
    #[track_caller]
    fn check(terms: &[&str], expected: &str) {
        let sum: ExactSum = terms.iter().map(|t| dec(t)).sum();
        assert_eq!(sum.value().to_string(), expected, "{terms:?}");
        // Any order, any grouping: the same.
        let reversed: ExactSum = terms.iter().rev().map(|t| dec(t)).sum();
        assert_eq!(reversed.value().to_string(), expected, "{terms:?} reversed");
        let (left, right) = terms.split_at(terms.len() / 2);
        let mut halves: ExactSum = left.iter().map(|t| dec(t)).sum();
        halves.add_sum(&right.iter().map(|t| dec(t)).sum());
        assert_eq!(halves.value().to_string(), expected, "{terms:?} in halves");
    }

    #[test]
    fn sums_are_exact_and_keep_the_terms_scale() {
        check(&[], "0");
        check(&["1.50", "2.5"], "4.00");
        check(&["12.34", "-0.34"], "12.00");
        check(&["-1.25", "-2"], "-3.25");
        check(&["0.1", "-0.3"], "-0.2");
        check(&["1000000000000", "0.000000000000000000000000001"], "1000000000000.0000000000000000");
        // A third of a 31-day month, thrice: the digits past 28 are kept until the end.
        check(
            &["3.3333333333333333333333333333", "3.3333333333333333333333333333", "3.3333333333333333333333333334"],
            "10.000000000000000000000000000",
        );
    }

    #[test]
    fn order_does_not_change_the_last_digit() {
        // Plain addition rounds at each step and depends on the order; the exact sum does not.
        let terms =
            ["0.0273972602739726027397260274", "12.345678901234567890123456789", "0.0000000000000000000000000005"];
        let forward = terms.iter().fold(Decimal::ZERO, |sum, t| sum + dec(t));
        let backward = terms.iter().rev().fold(Decimal::ZERO, |sum, t| sum + dec(t));
        assert_ne!(forward, backward, "the example must show plain addition depending on order");
        check(&terms, "12.373076161508540492863182817");
    }
}
