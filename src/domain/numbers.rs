//! Short lists of whole numbers typed as `30,7,1`: renewal alert lead times, budget thresholds.

use std::ops::RangeInclusive;

use super::error::UserError;

/// How a list is read and what its messages say.
pub(crate) struct ListRule {
    /// The input's name in messages, e.g. `lead times`.
    pub field: &'static str,
    /// A unit suffix people may type after each number (`d`, `%`).
    pub suffix: char,
    pub range: RangeInclusive<u32>,
    pub max_count: usize,
    /// What the numbers are, for messages: `days`, `percentages`.
    pub what: &'static str,
    pub example: &'static str,
}

impl ListRule {
    /// The numbers in `input`, ascending. Order does not matter, a number given twice is refused
    /// (it would be dropped without a word: `80,80` reads as one threshold); spaces and the unit
    /// suffix are allowed.
    pub fn parse(&self, input: &str) -> Result<Vec<u32>, UserError> {
        let mut values = Vec::new();
        for part in input.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let value: u32 = part.trim_end_matches(self.suffix).trim().parse().map_err(|_| {
                UserError::invalid(
                    self.field,
                    input,
                    format!("give whole {} separated by commas, e.g. {}", self.what, self.example),
                )
            })?;
            if !self.range.contains(&value) {
                return Err(UserError::invalid(
                    self.field,
                    input,
                    format!("each must be between {} and {}", self.range.start(), self.range.end()),
                ));
            }
            if values.contains(&value) {
                return Err(UserError::invalid(
                    self.field,
                    input,
                    format!("it gives {value} twice; give each of the {} once, e.g. {}", self.what, self.example),
                ));
            }
            values.push(value);
        }
        values.sort_unstable();
        if values.is_empty() || values.len() > self.max_count {
            return Err(UserError::invalid(
                self.field,
                input,
                format!("give 1 to {} {} separated by commas, e.g. {}", self.max_count, self.what, self.example),
            ));
        }
        Ok(values)
    }
}

/// `30,7,1`.
pub(crate) fn join(values: &[u32]) -> String {
    values.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}
