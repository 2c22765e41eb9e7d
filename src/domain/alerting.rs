//! What to do about alerts over time: post new ones, remind about ones nobody acknowledged,
//! post again when one escalates, and mark the posted message resolved when its condition clears.
//! Pure: alerts and their remembered state in, actions out.

use chrono::{DateTime, Duration, Utc};

/// An alert as the poster sees it: its family (the fact, e.g. the renewal of item 12 on
/// 2027-01-15), its key (the fact and the threshold crossed) and its severity rank.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Raised {
    pub family: String,
    pub key: String,
    /// 0 info, 1 warning, 2 critical.
    pub severity: u8,
}

/// What is remembered of an alert family once posted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remembered {
    pub family: String,
    pub key: String,
    pub severity: u8,
    /// When it was last posted or reminded.
    pub last_posted: DateTime<Utc>,
    pub acknowledged: bool,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub resolved: bool,
}

/// The family of an alert key: the key without the threshold it crossed, so `renewal:12:2027-01-15:7`
/// and `renewal:12:2027-01-15:1` are one alert escalating, and `budget:total:2026-11:spent:80` and
/// `...:spent:100` too. Keys without a threshold are their own family.
pub fn family(key: &str) -> String {
    let thresholded = ["renewal:", "budget:", "free_tier:", "usage_limit:", "cert:", "domain_expiring:"];
    match key.rsplit_once(':') {
        Some((family, _)) if thresholded.iter().any(|p| key.starts_with(p)) => family.to_string(),
        _ => key.to_string(),
    }
}

/// One thing to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Post these families (new, or escalated) together, in one message.
    Post(Vec<String>),
    /// Remind about these families together: nobody acknowledged them within the reminder
    /// interval.
    Remind(Vec<String>),
    /// Its condition cleared: mark the posted message resolved.
    Resolve(String),
}

/// The actions for `now`. New and escalated alerts are posted together, and reminders share one
/// message too (not a burst); acknowledged or snoozed ones stay quiet until they escalate (or the
/// snooze ends).
pub fn plan(raised: &[Raised], remembered: &[Remembered], now: DateTime<Utc>, remind_every: Duration) -> Vec<Action> {
    let mut post = Vec::new();
    let mut remind = Vec::new();
    let mut actions = Vec::new();
    for alert in raised {
        match remembered.iter().find(|r| r.family == alert.family && !r.resolved) {
            None => post.push(alert.family.clone()),
            Some(known) if alert.key != known.key || alert.severity > known.severity => post.push(alert.family.clone()),
            Some(known) => {
                let quiet = known.acknowledged || known.snoozed_until.is_some_and(|until| until > now);
                if !quiet && now - known.last_posted >= remind_every {
                    remind.push(known.family.clone());
                }
            }
        }
    }
    for known in remembered.iter().filter(|r| !r.resolved) {
        if !raised.iter().any(|a| a.family == known.family) {
            actions.push(Action::Resolve(known.family.clone()));
        }
    }
    if !remind.is_empty() {
        actions.insert(0, Action::Remind(remind));
    }
    if !post.is_empty() {
        actions.insert(0, Action::Post(post));
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn raised(key: &str, severity: u8) -> Raised {
        Raised { family: family(key), key: key.into(), severity }
    }

    fn known(key: &str, severity: u8, posted: &str) -> Remembered {
        Remembered {
            family: family(key),
            key: key.into(),
            severity,
            last_posted: t(posted),
            acknowledged: false,
            snoozed_until: None,
            resolved: false,
        }
    }

    #[test]
    fn families_drop_the_threshold() {
        assert_eq!(family("renewal:12:2027-01-15:7"), "renewal:12:2027-01-15");
        assert_eq!(family("budget:total:2026-11:spent:100"), "budget:total:2026-11:spent");
        assert_eq!(family("free_tier:3:2026-11-01:pace"), "free_tier:3:2026-11-01");
        assert_eq!(family("expired:3:2026-12-06"), "expired:3:2026-12-06");
        assert_eq!(family("api_key:8:invalid"), "api_key:8:invalid");
        assert_eq!(family("cert:3:2026-12-20:21"), "cert:3:2026-12-20");
        assert_eq!(family("domain_expiring:acme.dev:2026-12-20:7"), "domain_expiring:acme.dev:2026-12-20");
        assert_eq!(family("site_down:3:2026-12-01 10:00 UTC"), "site_down:3:2026-12-01 10:00 UTC");
    }

    #[test]
    fn new_alerts_are_posted_together_and_known_ones_are_reminded_daily() {
        let now = t("2026-11-30T12:00:00Z");
        let day = Duration::hours(24);
        let alerts = [raised("renewal:1:2026-12-06:7", 2), raised("api_key:8:invalid", 2)];
        assert_eq!(
            plan(&alerts, &[], now, day),
            [Action::Post(vec!["renewal:1:2026-12-06".into(), "api_key:8:invalid".into()])]
        );
        // Posted 23 h ago: quiet; 24 h ago: a reminder.
        let states = [
            known("renewal:1:2026-12-06:7", 2, "2026-11-29T13:00:00Z"),
            known("api_key:8:invalid", 2, "2026-11-29T12:00:00Z"),
        ];
        assert_eq!(plan(&alerts, &states, now, day), [Action::Remind(vec!["api_key:8:invalid".into()])]);
        // Both due: one reminder for the two; a new alert at the same time gets its own post.
        let later = t("2026-11-30T13:00:00Z");
        let with_new = [alerts[0].clone(), alerts[1].clone(), raised("expired:3:2026-11-29", 2)];
        assert_eq!(
            plan(&with_new, &states, later, day),
            [
                Action::Post(vec!["expired:3:2026-11-29".into()]),
                Action::Remind(vec!["renewal:1:2026-12-06".into(), "api_key:8:invalid".into()]),
            ]
        );
    }

    #[test]
    fn acknowledged_and_snoozed_alerts_stay_quiet_until_they_escalate() {
        let now = t("2026-11-30T12:00:00Z");
        let day = Duration::hours(24);
        let mut acked = known("renewal:1:2026-12-06:7", 1, "2026-11-20T12:00:00Z");
        acked.acknowledged = true;
        assert_eq!(plan(&[raised("renewal:1:2026-12-06:7", 1)], &[acked.clone()], now, day), []);
        // 7 days -> 1 day: escalated, posted again.
        assert_eq!(
            plan(&[raised("renewal:1:2026-12-06:1", 1)], &[acked], now, day),
            [Action::Post(vec!["renewal:1:2026-12-06".into()])]
        );
        let mut snoozed = known("budget:total:2026-11:spent:80", 1, "2026-11-20T12:00:00Z");
        snoozed.snoozed_until = Some(t("2026-12-01T00:00:00Z"));
        assert_eq!(plan(&[raised("budget:total:2026-11:spent:80", 1)], &[snoozed.clone()], now, day), []);
        // Warning -> critical (80% -> 100%) breaks the snooze.
        assert_eq!(
            plan(&[raised("budget:total:2026-11:spent:100", 2)], &[snoozed.clone()], now, day),
            [Action::Post(vec!["budget:total:2026-11:spent".into()])]
        );
        // The snooze over: reminded again.
        assert_eq!(
            plan(&[raised("budget:total:2026-11:spent:80", 1)], &[snoozed], t("2026-12-01T00:00:01Z"), day),
            [Action::Remind(vec!["budget:total:2026-11:spent".into()])]
        );
    }

    #[test]
    fn cleared_alerts_are_resolved_once() {
        let now = t("2026-11-30T12:00:00Z");
        let day = Duration::hours(24);
        let state = known("api_key:8:invalid", 2, "2026-11-30T10:00:00Z");
        assert_eq!(plan(&[], std::slice::from_ref(&state), now, day), [Action::Resolve("api_key:8:invalid".into())]);
        let done = Remembered { resolved: true, ..state };
        assert_eq!(plan(&[], std::slice::from_ref(&done), now, day), []);
        // Raised again after it was resolved: a new post.
        assert_eq!(
            plan(&[raised("api_key:8:invalid", 2)], &[done], now, day),
            [Action::Post(vec!["api_key:8:invalid".into()])]
        );
    }
}
