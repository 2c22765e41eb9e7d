//! Delivering messages to Discord: how long to wait before trying again.

use chrono::Duration;

/// Attempts before a message is given up on: the 39 waits between them add up to about 29 hours
/// (2 s, 4 s, ... 34 min, then an hour at a time: 104,894 s), so an outage of a day loses nothing.
pub const MAX_ATTEMPTS: u32 = 40;

/// How long to wait after `attempts` failed tries: what Discord asked for (a 429's
/// Retry-After), else exponential backoff from 2 seconds, at most an hour.
pub fn retry_delay(attempts: u32, retry_after: Option<Duration>) -> Duration {
    if let Some(asked) = retry_after {
        return asked.max(Duration::milliseconds(1));
    }
    let seconds = 2i64.saturating_pow(attempts.min(20)).min(3600);
    Duration::seconds(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_honours_retry_after() {
        let waits: Vec<i64> = (1..=13).map(|a| retry_delay(a, None).num_seconds()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600]);
        // All the waits before giving up, as the documentation says: 4,094 s of doubling, then
        // 28 hours, about 29 hours in all (more than a day).
        let total: i64 = (1..MAX_ATTEMPTS).map(|a| retry_delay(a, None).num_seconds()).sum();
        assert_eq!(total, 4_094 + 28 * 3600);
        assert_eq!((total / 3600, total % 3600 / 60), (29, 8));
        assert_eq!(retry_delay(3, Some(Duration::milliseconds(1500))), Duration::milliseconds(1500));
    }
}
