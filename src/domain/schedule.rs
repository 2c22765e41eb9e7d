//! When Jarvis posts its report: a cadence (daily, weekly on a weekday, monthly on a day) at a
//! local time in the workspace's timezone. Pure: slots are computed from an instant, and the
//! caller remembers which slot it last posted, so a restart never posts twice and downtime over
//! several slots posts once.

use std::fmt;

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::Serialize;

use super::error::UserError;

/// How often the report is posted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cadence {
    Daily,
    Weekly(Weekday),
    /// On this day of the month (1-28, so every month has it).
    Monthly(u32),
}

impl Cadence {
    /// Reads `daily`, `weekly monday` (or `weekly mon`), `monthly 1`.
    pub fn parse(input: &str) -> Result<Cadence, UserError> {
        let bad = |reason: &str| UserError::invalid("cadence", input, reason.to_string());
        let words: Vec<String> = input.split_whitespace().map(str::to_ascii_lowercase).collect();
        match words.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["daily"] => Ok(Cadence::Daily),
            ["weekly", day] => {
                day.parse::<Weekday>().map(Cadence::Weekly).map_err(|_| bad("give a weekday, e.g. weekly monday"))
            }
            ["monthly", day] => match day.parse::<u32>() {
                Ok(day @ 1..=28) => Ok(Cadence::Monthly(day)),
                _ => Err(bad("give a day from 1 to 28 (every month has it), e.g. monthly 1")),
            },
            _ => Err(bad("use daily, weekly <weekday> or monthly <day>")),
        }
    }

    /// Whether a report is due on `date`.
    fn on(self, date: NaiveDate) -> bool {
        match self {
            Cadence::Daily => true,
            Cadence::Weekly(day) => date.weekday() == day,
            Cadence::Monthly(day) => date.day() == day,
        }
    }
}

impl fmt::Display for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cadence::Daily => f.write_str("daily"),
            Cadence::Weekly(day) => write!(f, "weekly {}", full_weekday(*day)),
            Cadence::Monthly(day) => write!(f, "monthly {day}"),
        }
    }
}

impl Serialize for Cadence {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

crate::domain::schema::by_hand!(
    Cadence,
    crate::domain::schema::string("How often the report is posted.", "weekly on monday")
);

fn full_weekday(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// Reads `09:00` or `9:30`.
pub fn parse_time(input: &str) -> Result<NaiveTime, UserError> {
    NaiveTime::parse_from_str(input.trim(), "%H:%M")
        .map_err(|_| UserError::invalid("time", input, "use HH:MM on a 24-hour clock, e.g. 09:00"))
}

/// A report schedule.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Schedule {
    pub cadence: Cadence,
    /// Local time in the workspace's timezone.
    pub at: NaiveTime,
}

/// The instant `date` at `time` means in `tz`. A time skipped by a daylight-saving change posts
/// at the end of the gap (02:30 on a spring-forward night is 03:00); a time that happens twice
/// posts the first time.
fn instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => {
            // Walk forward a minute at a time to the first local time that exists.
            (1..=180).find_map(|minutes| {
                let later = local + chrono::Duration::minutes(minutes);
                tz.from_local_datetime(&later).earliest().map(|t| t.with_timezone(&Utc))
            })
        }
    }
}

impl Schedule {
    /// The latest slot at or before `now`, looking back up to a year.
    pub fn last_slot(&self, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = now.with_timezone(&tz).date_naive();
        (0..=366u64)
            .filter_map(|back| today.checked_sub_days(Days::new(back)))
            .filter(|date| self.cadence.on(*date))
            .filter_map(|date| instant(tz, date, self.at))
            .find(|slot| *slot <= now)
    }

    /// The first slot after `now`.
    pub fn next_slot(&self, tz: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let today = now.with_timezone(&tz).date_naive();
        (0..=366u64)
            .filter_map(|ahead| today.checked_add_days(Days::new(ahead)))
            .filter(|date| self.cadence.on(*date))
            .filter_map(|date| instant(tz, date, self.at))
            .find(|slot| *slot > now)
    }

    /// What to do at `now`, given the slot last posted: post the latest slot if it was not
    /// posted yet (late when posted more than `grace` after it), else nothing. Downtime over
    /// several slots posts the latest once.
    pub fn due(
        &self,
        tz: Tz,
        now: DateTime<Utc>,
        last_posted: Option<DateTime<Utc>>,
        grace: chrono::Duration,
    ) -> Option<Due> {
        let slot = self.last_slot(tz, now)?;
        if last_posted.is_some_and(|posted| posted >= slot) {
            return None;
        }
        Some(Due { slot, late: now - slot > grace })
    }
}

/// A report to post now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Due {
    /// The slot it stands for (remember it as posted).
    pub slot: DateTime<Utc>,
    /// Posted well after its time (after downtime): say so.
    pub late: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn weekly_monday_9() -> Schedule {
        Schedule { cadence: Cadence::parse("weekly monday").unwrap(), at: parse_time("09:00").unwrap() }
    }

    #[test]
    fn cadences_and_times_parse() {
        assert_eq!(Cadence::parse("Daily").unwrap(), Cadence::Daily);
        assert_eq!(Cadence::parse("weekly mon").unwrap(), Cadence::Weekly(Weekday::Mon));
        assert_eq!(Cadence::parse("monthly 28").unwrap(), Cadence::Monthly(28));
        assert!(Cadence::parse("monthly 31").unwrap_err().to_string().contains("from 1 to 28"));
        assert!(Cadence::parse("weekly funday").unwrap_err().to_string().contains("weekday"));
        assert!(Cadence::parse("hourly").unwrap_err().to_string().contains("daily, weekly"));
        assert_eq!(Cadence::Weekly(Weekday::Mon).to_string(), "weekly monday");
        assert!(parse_time("25:00").is_err());
        assert_eq!(parse_time("9:30").unwrap().to_string(), "09:30:00");
    }

    #[test]
    fn weekly_slots_follow_new_york_across_daylight_saving() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let schedule = weekly_monday_9();
        // Before the change (EDT, UTC-4): Monday 2026-10-26 09:00 is 13:00 UTC.
        assert_eq!(schedule.next_slot(ny, utc("2026-10-20T00:00:00Z")), Some(utc("2026-10-26T13:00:00Z")));
        // Clocks go back on Sunday 2026-11-01; Monday 2026-11-02 09:00 EST is 14:00 UTC.
        assert_eq!(schedule.next_slot(ny, utc("2026-10-27T00:00:00Z")), Some(utc("2026-11-02T14:00:00Z")));
        assert_eq!(schedule.last_slot(ny, utc("2026-11-02T13:59:00Z")), Some(utc("2026-10-26T13:00:00Z")));
        assert_eq!(schedule.last_slot(ny, utc("2026-11-02T14:00:00Z")), Some(utc("2026-11-02T14:00:00Z")));
        // Spring forward, Sunday 2027-03-14: a daily 02:30 does not exist that night; it posts at 03:00 EDT.
        let night = Schedule { cadence: Cadence::Daily, at: parse_time("02:30").unwrap() };
        assert_eq!(night.next_slot(ny, utc("2027-03-14T05:00:00Z")), Some(utc("2027-03-14T07:00:00Z")));
        // Fall back, Sunday 2026-11-01: 01:30 happens twice; the first (EDT) counts.
        let early = Schedule { cadence: Cadence::Daily, at: parse_time("01:30").unwrap() };
        assert_eq!(early.next_slot(ny, utc("2026-11-01T04:00:00Z")), Some(utc("2026-11-01T05:30:00Z")));
    }

    #[test]
    fn bangkok_has_no_daylight_saving() {
        let bangkok: Tz = "Asia/Bangkok".parse().unwrap();
        let schedule = Schedule { cadence: Cadence::Monthly(1), at: parse_time("08:00").unwrap() };
        assert_eq!(schedule.next_slot(bangkok, utc("2026-11-15T00:00:00Z")), Some(utc("2026-12-01T01:00:00Z")));
        assert_eq!(schedule.next_slot(bangkok, utc("2027-03-15T00:00:00Z")), Some(utc("2027-04-01T01:00:00Z")));
    }

    #[test]
    fn due_posts_each_slot_once_and_one_late_report_after_downtime() {
        let ny: Tz = "America/New_York".parse().unwrap();
        let schedule = weekly_monday_9();
        let grace = chrono::Duration::minutes(15);
        // At the slot: due, on time.
        let at = utc("2026-11-02T14:00:30Z");
        let due = schedule.due(ny, at, None, grace).unwrap();
        assert_eq!((due.slot, due.late), (utc("2026-11-02T14:00:00Z"), false));
        // A restart a minute later, with the slot remembered: nothing.
        assert_eq!(schedule.due(ny, utc("2026-11-02T14:01:30Z"), Some(due.slot), grace), None);
        // Down from before 2026-11-09 until 2026-11-20: two slots missed, one late report, for
        // the latest slot; then nothing until the next.
        let back = utc("2026-11-20T12:00:00Z");
        let late = schedule.due(ny, back, Some(due.slot), grace).unwrap();
        assert_eq!((late.slot, late.late), (utc("2026-11-16T14:00:00Z"), true));
        assert_eq!(schedule.due(ny, back, Some(late.slot), grace), None);
    }
}
