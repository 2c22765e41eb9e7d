//! The renewal calendar as iCalendar (RFC 5545), for Google Calendar, Outlook and Apple Calendar
//! to subscribe to: one all-day event per renewal (or expiry), with a reminder at each of the
//! item's lead times (its own, else the workspace's).

use chrono::{DateTime, Utc};
use icalendar::{Alarm, Calendar, Component as _, Event, EventLike as _, Property, Trigger};
use serde_json::json;

use super::Renderer;
use crate::app::RenewalCalendar;
use crate::domain::workspace::WorkspaceId;

/// `calendar` as an iCalendar text (CRLF lines, folded at 75 octets), worded by `renderer`;
/// `now` stamps the events (a feed is made afresh for each request).
pub fn renewal_feed(
    renderer: &Renderer,
    workspace: &WorkspaceId,
    calendar: &RenewalCalendar,
    now: DateTime<Utc>,
) -> String {
    let name = renderer.message("ics.name", &json!({}));
    let mut feed = Calendar::empty();
    feed.append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//Jarvis//Renewals//EN"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", "PUBLISH"))
        .append_property(("X-WR-CALNAME", name.as_str()))
        // Calendars look again about twice a day.
        .append_property(("REFRESH-INTERVAL;VALUE=DURATION", "PT12H"))
        .append_property(("X-PUBLISHED-TTL", "PT12H"));
    for renewal in &calendar.renewals {
        let price = renewal.price.to_string();
        let args = json!({ "item": renewal.item, "price": price });
        let (summary, description) = if renewal.auto_renew {
            (renderer.message("ics.renews", &args), renderer.message("ics.renews.detail", &args))
        } else {
            (renderer.message("ics.expires", &args), renderer.message("ics.expires.detail", &args))
        };
        let uid = format!("{}-{}-{}@jarvis", workspace.as_str(), renewal.item_id, renewal.date.format("%Y%m%d"));
        let mut event = Event::new();
        event
            .uid(&uid)
            .summary(&summary)
            .description(&description)
            .starts(renewal.date)
            .ends(renewal.date.succ_opt().unwrap_or(renewal.date))
            .timestamp(now)
            .append_property(("TRANSP", "TRANSPARENT"));
        for days in calendar.lead_times_of(renewal.item_id).days().iter().copied().filter(|d| *d > 0) {
            let text = renderer.message("ics.reminder", &json!({ "item": renewal.item, "days": days }));
            let alarm = Alarm::display(&text, Trigger::before_start(chrono::Duration::days(i64::from(days))))
                .uid(&format!("{uid}-{days}d"))
                .timestamp(now)
                // `-P7D` rather than seconds: what calendars themselves write.
                .append_property(
                    Property::new("TRIGGER", format!("-P{days}D")).add_parameter("RELATED", "START").done(),
                )
                .done();
            event.alarm(alarm);
        }
        feed.push(event.done());
    }
    feed.done().to_string()
}
