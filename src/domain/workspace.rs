//! Workspaces (one per Discord guild, or a local one for the CLI) and their settings.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::choice::choice_enum;
use super::error::{UserError, close_matches};
use super::money::Currency;
use super::numbers::{ListRule, join};
use super::site::Hysteresis;

/// The workspace the CLI uses unless told otherwise.
pub const LOCAL_WORKSPACE: &str = "local";

/// A workspace id: a Discord guild id, or a local name such as `local` or `demo`
/// (1-64 letters, digits, `-` or `_`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct WorkspaceId(String);

impl WorkspaceId {
    pub fn parse(input: &str) -> Result<WorkspaceId, UserError> {
        let ok = !input.is_empty()
            && input.len() <= 64
            && input.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(WorkspaceId(input.to_string()))
        } else {
            Err(UserError::invalid(
                "workspace",
                input,
                "use 1-64 letters, digits, `-` or `_` (a Discord server id, or a name such as `local`)",
            ))
        }
    }

    pub fn local() -> WorkspaceId {
        WorkspaceId(LOCAL_WORKSPACE.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkspaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for WorkspaceId {
    type Err = UserError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WorkspaceId::parse(s)
    }
}

choice_enum! {
    /// Languages Jarvis can answer in.
    pub enum Language as "language" {
        English = "en",
        Thai = "th",
    }
}

/// An IANA timezone such as `Asia/Bangkok`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Timezone(pub Tz);

impl Timezone {
    pub fn parse(input: &str) -> Result<Timezone, UserError> {
        let text = input.trim();
        Tz::from_str(text)
            .ok()
            .or_else(|| chrono_tz::TZ_VARIANTS.iter().copied().find(|tz| tz.name().eq_ignore_ascii_case(text)))
            .ok_or(())
            .map(Timezone)
            .map_err(|_| {
                let suggestions = close_matches(text, chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()));
                let hint = match suggestions.first() {
                    Some(best) => {
                        format!("did you mean {best}? Use an IANA name such as Asia/Bangkok or America/New_York")
                    }
                    None => "use an IANA name such as Asia/Bangkok, Europe/Berlin or America/New_York".into(),
                };
                UserError::invalid("timezone", input, hint)
            })
    }

    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// The calendar date at `now` in this timezone: what "today" means for the workspace, and
    /// the local day an instant such as `created_at` falls on.
    pub fn today(self, now: DateTime<Utc>) -> NaiveDate {
        now.with_timezone(&self.0).date_naive()
    }
}

impl fmt::Display for Timezone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Timezone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

crate::domain::schema::by_hand!(Timezone, crate::domain::schema::string("An IANA time zone.", "Asia/Bangkok"));

/// Days before a renewal at which alerts fire, largest first, e.g. 30, 7 and 1. A lead time of 0
/// fires on the renewal day itself.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct LeadTimes(Vec<u32>);

impl Default for LeadTimes {
    fn default() -> Self {
        LeadTimes(vec![30, 7, 1])
    }
}

impl LeadTimes {
    /// Most lead times one list can hold.
    pub const MAX_COUNT: usize = 6;

    /// Reads `30,7,1` (spaces and a trailing `d` allowed; order does not matter; a day given twice
    /// is refused).
    pub fn parse(input: &str) -> Result<LeadTimes, UserError> {
        let rule = ListRule {
            field: "lead times",
            suffix: 'd',
            range: 0..=MAX_WINDOW_DAYS,
            max_count: Self::MAX_COUNT,
            what: "numbers of days",
            example: "30,7,1",
        };
        let mut days = rule.parse(input)?;
        days.reverse();
        Ok(LeadTimes(days))
    }

    /// The lead times, largest first.
    pub fn days(&self) -> &[u32] {
        &self.0
    }
}

impl fmt::Display for LeadTimes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&join(&self.0))
    }
}

impl Serialize for LeadTimes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

crate::domain::schema::by_hand!(
    LeadTimes,
    crate::domain::schema::whole_numbers("Days before a renewal at which alerts fire, largest first.")
);

/// Longest "expiring soon" window, in days.
pub const MAX_WINDOW_DAYS: u32 = 366;

/// A workspace's settings.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct Settings {
    /// Totals and budgets are in this currency.
    pub base_currency: Currency,
    /// Decides what "today" is, and later when reports are posted.
    pub timezone: Timezone,
    pub language: Language,
    /// An item renewing within this many days is `expiring`.
    pub expiring_window_days: u32,
    /// Days before a renewal that renewal alerts fire (items can override them).
    pub lead_times: LeadTimes,
    /// The Discord role, besides Manage Server, whose members may change the ledger.
    pub admin_role: Option<RoleId>,
    /// Where alerts are posted (a Discord channel id); none: alerts are not posted.
    pub alert_channel: Option<u64>,
    /// The role alerts ping; none: alerts ping no one.
    pub alert_role: Option<RoleId>,
    /// Hours between reminders of an alert nobody acknowledged.
    pub remind_hours: u32,
    /// When a monitored site counts as down, and as up again.
    pub site_checks: Hysteresis,
}

/// A Discord role id (a snowflake), typed as digits or as a role mention `<@&123>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct RoleId(pub u64);

impl RoleId {
    pub fn parse(input: &str) -> Result<RoleId, UserError> {
        let digits = input.trim().trim_start_matches("<@&").trim_end_matches('>');
        digits.parse::<u64>().ok().filter(|id| *id > 0).map(RoleId).ok_or_else(|| {
            UserError::invalid(
                "admin role",
                input,
                "give the role itself (a mention such as @Admins) or its id, or `none`",
            )
        })
    }
}

impl fmt::Display for RoleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<@&{}>", self.0)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            base_currency: Currency::USD,
            timezone: Timezone(Tz::UTC),
            language: Language::English,
            expiring_window_days: 30,
            lead_times: LeadTimes::default(),
            admin_role: None,
            alert_channel: None,
            alert_role: None,
            remind_hours: 24,
            site_checks: Hysteresis::default(),
        }
    }
}

choice_enum! {
    /// The settings `settings set` can change.
    pub enum SettingKey as "setting" {
        Currency = "currency",
        Timezone = "timezone",
        Language = "language",
        ExpiringWindow = "expiring_window",
        LeadTimes = "lead_times",
        AdminRole = "admin_role",
        AlertChannel = "alert_channel",
        AlertRole = "alert_role",
        RemindHours = "remind_hours",
        SiteDownAfter = "site_down_after",
        SiteUpAfter = "site_up_after",
    }
}

impl Settings {
    /// These settings with `key` set from the user's text.
    pub fn with(&self, key: SettingKey, value: &str) -> Result<Settings, UserError> {
        let mut next = self.clone();
        match key {
            SettingKey::Currency => next.base_currency = Currency::parse(value)?,
            SettingKey::Timezone => next.timezone = Timezone::parse(value)?,
            SettingKey::Language => {
                next.language = value.parse()?;
            }
            SettingKey::LeadTimes => next.lead_times = LeadTimes::parse(value)?,
            SettingKey::AdminRole => {
                next.admin_role = match value.trim() {
                    "none" | "" => None,
                    other => Some(RoleId::parse(other)?),
                }
            }
            SettingKey::AlertRole => {
                next.alert_role = match value.trim() {
                    "none" | "" => None,
                    other => Some(RoleId::parse(other)?),
                }
            }
            SettingKey::AlertChannel => {
                next.alert_channel = match value.trim() {
                    "none" | "" => None,
                    other => {
                        let digits = other.trim_start_matches("<#").trim_end_matches('>');
                        Some(digits.parse::<u64>().ok().filter(|id| *id > 0).ok_or_else(|| {
                            UserError::invalid(
                                "alert channel",
                                value,
                                "give the channel (#alerts) or its id, or `none`",
                            )
                        })?)
                    }
                }
            }
            SettingKey::RemindHours => {
                let hours: u32 = value
                    .trim()
                    .trim_end_matches('h')
                    .parse()
                    .map_err(|_| UserError::invalid("reminder interval", value, "give whole hours, e.g. 24"))?;
                if !(1..=720).contains(&hours) {
                    return Err(UserError::invalid("reminder interval", value, "it must be between 1 and 720 hours"));
                }
                next.remind_hours = hours;
            }
            SettingKey::SiteDownAfter | SettingKey::SiteUpAfter => {
                let what = if key == SettingKey::SiteDownAfter {
                    "failed checks before down"
                } else {
                    "good checks before up"
                };
                let count: u32 = value
                    .trim()
                    .parse()
                    .map_err(|_| UserError::invalid(what, value, "give a whole number of checks in a row, e.g. 3"))?;
                if !(1..=20).contains(&count) {
                    return Err(UserError::invalid(what, value, "it must be between 1 and 20 checks"));
                }
                if key == SettingKey::SiteDownAfter {
                    next.site_checks.down_after = count;
                } else {
                    next.site_checks.up_after = count;
                }
            }
            SettingKey::ExpiringWindow => {
                let days: u32 = value.trim().trim_end_matches('d').parse().map_err(|_| {
                    UserError::invalid("expiring window", value, "give a whole number of days, e.g. 30")
                })?;
                if !(1..=MAX_WINDOW_DAYS).contains(&days) {
                    return Err(UserError::invalid(
                        "expiring window",
                        value,
                        format!("it must be between 1 and {MAX_WINDOW_DAYS} days"),
                    ));
                }
                next.expiring_window_days = days;
            }
        }
        Ok(next)
    }

    /// The setting's value as `settings set` takes it (`none` when unset): `with(key,
    /// value(key))` changes nothing, which is how a backup carries the settings.
    pub fn value(&self, key: SettingKey) -> String {
        let role = |role: Option<RoleId>| role.map_or_else(|| "none".to_string(), |r| r.0.to_string());
        match key {
            SettingKey::Currency => self.base_currency.to_string(),
            SettingKey::Timezone => self.timezone.to_string(),
            SettingKey::Language => self.language.to_string(),
            SettingKey::ExpiringWindow => self.expiring_window_days.to_string(),
            SettingKey::LeadTimes => self.lead_times.to_string(),
            SettingKey::AdminRole => role(self.admin_role),
            SettingKey::AlertChannel => self.alert_channel.map_or_else(|| "none".to_string(), |c| c.to_string()),
            SettingKey::AlertRole => role(self.alert_role),
            SettingKey::RemindHours => self.remind_hours.to_string(),
            SettingKey::SiteDownAfter => self.site_checks.down_after.to_string(),
            SettingKey::SiteUpAfter => self.site_checks.up_after.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(key: SettingKey, value: &str, expected: Result<&str, &str>) {
        let actual = Settings::default().with(key, value);
        match (actual, expected) {
            (Ok(settings), Ok(want)) => {
                let shown = match key {
                    SettingKey::Currency => settings.base_currency.to_string(),
                    SettingKey::Timezone => settings.timezone.to_string(),
                    SettingKey::Language => settings.language.to_string(),
                    SettingKey::ExpiringWindow => settings.expiring_window_days.to_string(),
                    SettingKey::LeadTimes => settings.lead_times.to_string(),
                    SettingKey::AdminRole => settings.admin_role.map_or("none".into(), |r| r.0.to_string()),
                    SettingKey::AlertRole => settings.alert_role.map_or("none".into(), |r| r.0.to_string()),
                    SettingKey::AlertChannel => settings.alert_channel.map_or("none".into(), |c| c.to_string()),
                    SettingKey::RemindHours => settings.remind_hours.to_string(),
                    SettingKey::SiteDownAfter => settings.site_checks.down_after.to_string(),
                    SettingKey::SiteUpAfter => settings.site_checks.up_after.to_string(),
                };
                assert_eq!(shown, want);
            }
            (Err(error), Err(fragment)) => assert!(error.to_string().contains(fragment), "{value:?}: {error}"),
            (actual, expected) => panic!("{value:?}: got {actual:?}, want {expected:?}"),
        }
    }

    #[test]
    fn settings() {
        use SettingKey::*;
        check(Currency, "thb", Ok("THB"));
        check(Currency, "BTC", Err("ISO 4217"));
        check(Timezone, "Asia/Bangkok", Ok("Asia/Bangkok"));
        check(Timezone, "asia/bangkok", Ok("Asia/Bangkok"));
        check(Timezone, "Asia/Bangkock", Err("did you mean Asia/Bangkok?"));
        check(Timezone, "Mars/Olympus", Err("IANA name"));
        check(Language, "en", Ok("en"));
        check(Language, "th", Ok("th"));
        check(Language, "fr", Err("choose one of: en, th"));
        check(ExpiringWindow, "14", Ok("14"));
        check(ExpiringWindow, "0", Err("between 1 and 366"));
        check(ExpiringWindow, "soon", Err("whole number of days"));
        check(LeadTimes, "7, 30,1", Ok("30,7,1"));
        check(LeadTimes, "7, 30,1,7", Err("it gives 7 twice; give each of the"));
        check(LeadTimes, "14d,0", Ok("14,0"));
        check(LeadTimes, "", Err("give 1 to 6 numbers"));
        check(LeadTimes, "1,2,3,4,5,6,7", Err("give 1 to 6 numbers"));
        check(LeadTimes, "400", Err("between 0 and 366"));
        check(LeadTimes, "0", Ok("0"));
        check(LeadTimes, "a week", Err("give whole numbers of days"));
        check(AdminRole, "<@&123456789012345678>", Ok("123456789012345678"));
        check(AdminRole, "123", Ok("123"));
        check(AdminRole, "none", Ok("none"));
        check(AdminRole, "@Admins", Err("its id"));
        check(AlertChannel, "<#555>", Ok("555"));
        check(AlertChannel, "alerts", Err("or its id"));
        check(AlertRole, "<@&77>", Ok("77"));
        check(RemindHours, "12h", Ok("12"));
        check(RemindHours, "0", Err("between 1 and 720"));
        check(SiteDownAfter, "5", Ok("5"));
        check(SiteUpAfter, "1", Ok("1"));
        check(SiteDownAfter, "0", Err("between 1 and 20"));
        check(SiteUpAfter, "two", Err("whole number of checks"));
    }

    #[test]
    fn every_value_reads_back_as_itself() {
        let mut changed = Settings::default();
        for (key, value) in [
            (SettingKey::Currency, "THB"),
            (SettingKey::Timezone, "Asia/Bangkok"),
            (SettingKey::Language, "th"),
            (SettingKey::ExpiringWindow, "14"),
            (SettingKey::LeadTimes, "60,14,0"),
            (SettingKey::AdminRole, "42"),
            (SettingKey::AlertChannel, "555"),
            (SettingKey::AlertRole, "77"),
            (SettingKey::RemindHours, "6"),
            (SettingKey::SiteDownAfter, "5"),
            (SettingKey::SiteUpAfter, "4"),
        ] {
            changed = changed.with(key, value).unwrap();
            assert_eq!(changed.value(key), value, "{key}");
        }
        for settings in [Settings::default(), changed] {
            for key in SettingKey::ALL {
                assert_eq!(settings.with(*key, &settings.value(*key)).unwrap(), settings, "{key}");
            }
        }
        assert_eq!(Settings::default().value(SettingKey::AdminRole), "none");
    }

    #[test]
    fn today_follows_the_timezone() {
        let now: DateTime<Utc> = "2026-11-30T20:00:00Z".parse().unwrap();
        assert_eq!(Timezone::parse("UTC").unwrap().today(now).to_string(), "2026-11-30");
        assert_eq!(Timezone::parse("Asia/Bangkok").unwrap().today(now).to_string(), "2026-12-01");
        assert_eq!(Timezone::parse("America/New_York").unwrap().today(now).to_string(), "2026-11-30");
    }

    #[test]
    fn workspace_ids() {
        assert!(WorkspaceId::parse("123456789012345678").is_ok());
        assert!(WorkspaceId::parse("local").is_ok());
        assert!(WorkspaceId::parse("").is_err());
        assert!(WorkspaceId::parse("a b").is_err());
        assert!(WorkspaceId::parse(&"x".repeat(65)).is_err());
    }
}
