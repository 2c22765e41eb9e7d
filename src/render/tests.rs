use serde_json::json;

use super::*;
use crate::analysis::text;

#[test]
fn every_language_has_every_message() {
    let english = message_table(Language::English);
    for language in Language::ALL.iter().copied().filter(|l| *l != Language::English) {
        let path = format!("{}/messages.json", language.as_str());
        let (_, contents) = embedded::PROMPTS.iter().find(|(p, _)| *p == path).expect("a messages.json per language");
        let own: BTreeMap<String, String> = serde_json::from_str(contents).unwrap();
        let missing: Vec<&String> = english.keys().filter(|k| !own.contains_key(*k)).collect();
        let extra: Vec<&String> = own.keys().filter(|k| !english.contains_key(*k)).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{path}: missing {missing:?}, unknown {extra:?}");
    }
}

#[test]
fn every_template_compiles_in_both_flavors() {
    for language in Language::ALL {
        for flavor in [Flavor::Discord, Flavor::Plain] {
            Renderer::new(*language, flavor).unwrap_or_else(|e| panic!("{language}: {e}"));
        }
    }
}

#[test]
fn messages_are_worded_per_language_with_their_arguments() {
    let days = |n: &str| text!("alert.renewal.title", item = "acme.com", days = n);
    let en = Renderer::get(Language::English, Flavor::Plain);
    assert_eq!(en.text(&days("0")), "acme.com renews today");
    assert_eq!(en.text(&days("1")), "acme.com renews tomorrow");
    assert_eq!(en.text(&days("7")), "acme.com renews in 7 days");
    let th = Renderer::get(Language::Thai, Flavor::Plain);
    assert!(th.text(&days("7")).contains("acme.com"));
    assert_ne!(th.text(&days("7")), en.text(&days("7")));
    // Names of choices go through `name.<group>.<value>`.
    let budget = text!("alert.budget.no_rate.title", scope = "ai_services");
    assert_eq!(en.text(&budget), "AI services budget cannot be checked");
    // An unknown id shows itself rather than vanishing.
    assert_eq!(en.text(&text!("no.such.message")), "[no.such.message]");
}

#[test]
fn texts_inside_views_are_resolved() {
    let en = Renderer::get(Language::English, Flavor::Plain);
    let view =
        json!({"title": text!("alert.expired.title", item = "acme.dev"), "n": 3, "list": [text!("label.today")]});
    assert_eq!(en.resolve(&view), json!({"title": "acme.dev has expired", "n": 3, "list": ["today"]}));
}

#[test]
fn on_discord_only_what_people_typed_is_escaped() {
    let discord = Renderer::get(Language::English, Flavor::Discord);
    let action = text!("alert.missing_rate.action", from = "THB", to = "USD", first = "2026-11-01");
    // Each front end names its own command.
    assert!(discord.text(&action).contains("`/settings rate base:THB quote:USD rate:<rate> date:2026-11-01`"));
    let plain = Renderer::get(Language::English, Flavor::Plain).text(&action);
    assert!(plain.contains("`jarvis rate set THB USD <rate> --date 2026-11-01`"), "{plain}");
    let expired = text!("alert.expired.title", item = "@everyone *x*");
    assert_eq!(discord.text(&expired), "@\u{200B}everyone \\*x\\* has expired");
}

#[test]
fn text_people_typed_cannot_format_or_ping_on_discord() {
    assert_eq!(escape_discord("@everyone"), "@\u{200B}everyone");
    assert_eq!(escape_discord("<@123456>"), "<\u{200B}@\u{200B}123456>");
    assert_eq!(escape_discord("*bold* _it_ `code` ~s~ |sp| [l](u)"), r"\*bold\* \_it\_ \`code\` \~s\~ \|sp\| \[l\](u)");
    assert_eq!(escape_discord("# not a heading - or > quote"), r"\# not a heading - or > quote");
    assert_eq!(escape_discord("api-prod 2026-12-01"), "api-prod 2026-12-01");
    // A note cannot add lines (a fake heading or total) to the page around it.
    assert_eq!(escape_discord("inv 1\n## Total: 0.00 USD"), "inv 1 ## Total: 0.00 USD");
}

#[test]
fn lists_are_capped_with_a_count_of_the_rest() {
    let view =
        json!({"alerts": [1, 2, 3], "nested": {"providers": [{"deductions": ["a", "b", "c"]}]}, "months": [1, 2, 3]});
    assert_eq!(
        cap_lists(&view, 2),
        json!({
            "alerts": [1, 2], "alerts_more": 1,
            "nested": {"providers": [{"deductions": ["a", "b"], "deductions_more": 1}], "providers_more": 0},
            "months": [1, 2, 3], "months_more": 0
        })
    );
    // A list the view cut itself counts the rest from its total, capped or not.
    let cut_by_view = json!({"alerts": [1, 2, 3], "alerts_total": 40, "months": [1, 2], "months_total": 9});
    assert_eq!(
        cap_lists(&cut_by_view, 2),
        json!({"alerts": [1, 2], "alerts_more": 38, "alerts_total": 40, "months": [1, 2], "months_more": 7, "months_total": 9})
    );
}

#[test]
fn text_is_cut_at_the_limit_on_a_character_boundary() {
    assert_eq!(cut("hello", 10), "hello");
    assert_eq!(cut("hello world", 6), "hello…");
    // Thai characters are one UTF-16 unit each; an emoji is two.
    assert_eq!(discord_len("ไทย"), 3);
    assert_eq!(discord_len("🔴"), 2);
    assert_eq!(cut("🔴🔴🔴", 5), "🔴🔴…");
    assert_eq!(tidy("a  \n\n\n\nb\n\n"), "a\n\nb");
}

#[test]
fn helpers_format_amounts_and_percentages() {
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_helper("money", Box::new(money_helper));
    hb.register_helper("pct", Box::new(percent_helper));
    hb.register_helper("bar", Box::new(bar_helper));
    hb.register_helper("nonzero", Box::new(nonzero));
    let render = |template: &str, data: serde_json::Value| hb.render_template(template, &data).unwrap();
    let m = json!({"m": {"amount": "1234.5", "currency": "USD"}, "neg": {"amount": "-3", "currency": "JPY"}});
    assert_eq!(render("{{money m}}", m.clone()), "1,234.50 USD");
    assert_eq!(render("{{money m sign=true}} {{money neg sign=true}}", m), "+1,234.50 USD -3 JPY");
    assert_eq!(render("{{money a c}}", json!({"a": "842.6", "c": "USD"})), "842.60 USD");
    assert_eq!(
        render("{{pct p}} {{pct q}} {{pct n sign=true}}", json!({"p": "85.55", "q": null, "n": "2.7"})),
        "85.6% — +2.7%"
    );
    assert_eq!(render("{{bar p}}", json!({"p": "80"})), "▰▰▰▰▰▰▰▰▱▱");
    assert_eq!(render("{{bar p}}", json!({"p": "250"})), "▰▰▰▰▰▰▰▰▰▰");
    let zeros =
        json!({"a": {"amount": "0", "currency": "JPY"}, "b": "0.00", "c": {"amount": "0.01", "currency": "USD"}});
    assert_eq!(render("{{#if (nonzero a)}}a{{/if}}{{#if (nonzero b)}}b{{/if}}{{#if (nonzero c)}}c{{/if}}", zeros), "c");
}

#[track_caller]
fn check_plural(count: &str, one: &str, many: &str, expected: &str) {
    assert_eq!(plural(count.parse().unwrap(), one, many), expected, "{count} {one}/{many}");
}

#[test]
fn counts_take_the_right_word_and_are_grouped() {
    check_plural("1", "item", "items", "1 item");
    check_plural("1.00", "item", "items", "1 item");
    check_plural("0", "item", "items", "0 items");
    check_plural("2", "item", "items", "2 items");
    check_plural("1.5", "day", "days", "1.5 days");
    check_plural("-1", "day", "days", "-1 day");
    check_plural("2016", "check", "checks", "2,016 checks");
    check_plural("51000", "request", "requests", "51,000 requests");
    check_plural("1234567.25", "GB", "GB", "1,234,567.25 GB");
}

#[track_caller]
fn check_unit(unit: &str, expected: &str) {
    assert_eq!(english_plural(unit), expected, "{unit}");
}

#[test]
fn typed_units_get_an_english_plural_only_where_one_is_safe() {
    check_unit("request", "requests");
    check_unit("image", "images");
    check_unit("query", "queries");
    check_unit("day", "days");
    check_unit("batch", "batches");
    check_unit("box", "boxes");
    check_unit("GB-month", "GB-months");
    check_unit("vCPU-second", "vCPU-seconds");
    check_unit("1K characters", "1K characters");
    check_unit("1M tokens", "1M tokens");
    check_unit("request/day", "requests/day");
    check_unit("image per month", "images per month");
    check_unit("GB", "GB");
    check_unit("kWh", "kWh");
    check_unit("MAU", "MAU");
    check_unit("x", "x");
    check_unit("ภาพ", "ภาพ");
    check_unit("", "");
}

#[test]
fn the_plural_helpers_word_counts_per_language_and_escape_typed_units() {
    let render = |lang: Language, flavor: Flavor, template: &str, data: serde_json::Value| {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        if flavor == Flavor::Discord {
            hb.register_escape_fn(escape_discord);
        }
        hb.register_helper("plural", Box::new(PluralHelper { language: lang, with_count: true }));
        hb.register_helper("noun", Box::new(PluralHelper { language: lang, with_count: false }));
        hb.render_template(template, &data).unwrap()
    };
    let en = |template: &str, data| render(Language::English, Flavor::Plain, template, data);
    assert_eq!(en("{{plural n \"item\" \"items\"}}", json!({"n": 1})), "1 item");
    assert_eq!(en("{{plural n \"item\" \"items\"}}", json!({"n": "3"})), "3 items");
    assert_eq!(en("{{plural n unit}}", json!({"n": "25", "unit": "image"})), "25 images");
    // Arguments the analysis grouped already are read back.
    assert_eq!(en("{{plural n unit}}", json!({"n": "51,000", "unit": "request"})), "51,000 requests");
    assert_eq!(
        en("{{n}} of {{f}} free {{noun f unit}}", json!({"n": "1", "f": "1", "unit": "image"})),
        "1 of 1 free image"
    );
    // Thai does not inflect: the unit stays as typed.
    let th = render(Language::Thai, Flavor::Plain, "{{plural n unit}}", json!({"n": "25", "unit": "image"}));
    assert_eq!(th, "25 image");
    // On Discord a typed unit cannot format the page.
    let discord = render(Language::English, Flavor::Discord, "{{plural n unit}}", json!({"n": "2", "unit": "*x*"}));
    assert_eq!(discord, r"2 \*x\*");
}

#[track_caller]
fn check_words(language: Language, text: Text, expected: &str) {
    assert_eq!(Renderer::get(language, Flavor::Plain).text(&text), expected, "{}", text.id);
}

#[test]
fn counts_in_sentences_agree_with_their_nouns_and_are_grouped() {
    use Language::{English as En, Thai as Th};
    check_words(En, text!("label.items_count", count = 1), "1 item");
    check_words(En, text!("label.items_count", count = 1234), "1,234 items");
    check_words(Th, text!("label.items_count", count = 1234), "1,234 รายการ");
    check_words(
        En,
        text!("label.items_left_out", count = 1),
        "1 item is left out of the run-rate for want of an exchange rate",
    );
    check_words(En, text!("label.no_renewals", days = 1), "Nothing renews in the next 1 day.");
    check_words(En, text!("label.renewals_title", days = 60), "Renewals in the next 60 days");
    check_words(En, text!("label.total_all", count = 1987), "Total of all 1,987 records (every page)");
    check_words(En, text!("label.monthly_total_all", count = 1), "Monthly run-rate of all 1 item (every page)");
    check_words(Th, text!("label.monthly_total_all", count = 1987), "อัตราค่าใช้จ่ายต่อเดือนของทั้งหมด 1,987 รายการ (ทุกหน้า)");
    check_words(En, text!("label.and_more", count = 12000), "...and 12,000 more");
    check_words(
        En,
        text!("label.site_checks_rule", down = 1, up = 1),
        "down after 1 failed check in a row, up again after 1 good one",
    );
    check_words(
        En,
        text!("label.site_checks_rule", down = 3, up = 2),
        "down after 3 failed checks in a row, up again after 2 good ones",
    );
    check_words(
        En,
        text!("site.input.uptime", percent = "100%", ok = 1, checks = 1),
        "uptime 100% over 7 days (1 of 1 check)",
    );
    check_words(
        En,
        text!("site.input.uptime", percent = "99.9%", ok = 2015, checks = 2016),
        "uptime 99.9% over 7 days (2,015 of 2,016 checks)",
    );
    check_words(
        Th,
        text!("site.input.uptime", percent = "99.9%", ok = 2015, checks = 2016),
        "ใช้งานได้ 99.9% ใน 7 วัน (ผ่าน 2,015 จาก 2,016 ครั้ง)",
    );
    check_words(En, text!("site.input.latency", ms = 1200), "median response 1,200 ms over 24 h");
    check_words(
        En,
        text!("site.input.domain", domain = "acme.dev", date = "2030-01-01", days = 1128),
        "acme.dev registered until 2030-01-01 (1,128 days)",
    );
    check_words(
        En,
        text!("deduction.renewal.manual", item = "acme.dev", date = "2026-12-01", days = 1),
        "acme.dev must be renewed by hand by 2026-12-01 (1 day)",
    );
    check_words(En, text!("input.services", count = 1), "1 AI provider, integration or metered service");
    check_words(En, text!("input.budgets", count = 2), "2 budgets set");
    check_words(
        En,
        text!("alert.expired.detail", item = "x", date = "2023-01-01", days = 1429),
        "x ended on 2023-01-01, 1,429 days ago, and does not auto-renew.",
    );
    check_words(
        En,
        text!(
            "alert.free_tier.used_up.paid",
            used = "1,480",
            free = "25",
            unit = "image",
            price = "0.04 USD",
            end = "2026-11-30"
        ),
        "1,480 of 25 free images used this cycle; each further image costs 0.04 USD until the cycle ends on 2026-11-30.",
    );
    check_words(
        En,
        text!(
            "alert.free_tier.near.detail",
            used = "1",
            free = "1",
            unit = "GB",
            percent = "100%",
            end = "2026-11-30",
            runs_out = ""
        ),
        "1 of 1 free GB used (100%). At this pace it lasts until the cycle ends on 2026-11-30.",
    );
    check_words(
        En,
        text!(
            "alert.usage_limit.detail",
            used = "51,000",
            limit = "60,000",
            unit = "request",
            percent = "85%",
            runs_out = ""
        ),
        "51,000 of 60,000 requests used (85%).",
    );
    check_words(
        En,
        text!(
            "alert.site_down.detail",
            url = "https://a.dev/",
            since = "x",
            failures = 1,
            kind = "timeout",
            reason = ""
        ),
        "https://a.dev/ has been down since x: 1 failed check in a row. Last check: no answer in time.",
    );
}

#[test]
fn long_lists_are_cut_before_wording_and_still_counted_whole() {
    let view = json!({"alerts": [1, 2, 3, 4, 5], "nested": {"items": [1, 2, 3]}, "months": [1, 2, 3, 4]});
    assert_eq!(
        precap_lists(view, 2),
        json!({"alerts": [1, 2], "alerts_total": 5, "nested": {"items": [1, 2], "items_total": 3}, "months": [1, 2, 3, 4]})
    );
    // A total the view gave stands; the page counts the rest from it.
    let given = json!({"alerts": [1, 2, 3], "alerts_total": 40});
    let cut = precap_lists(given, 2);
    assert_eq!(cut, json!({"alerts": [1, 2], "alerts_total": 40}));
    assert_eq!(cap_lists(&cut, 1), json!({"alerts": [1], "alerts_more": 39, "alerts_total": 40}));
}
