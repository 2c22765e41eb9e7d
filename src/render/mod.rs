//! Words for people: the handlebars templates in `prompts/<language>/`, embedded at build time.
//!
//! Two kinds of templates live there. `messages.json` maps message ids to short handlebars
//! sentences; the analysis returns [`Text`]s (an id and its arguments) and [`Renderer::text`]
//! words them. The `*.md.hbs` pages (the Jarvis report, the dashboard, trends, alerts) render
//! whole views as Discord-flavoured markdown, fitted to Discord's limits: lists are cut short with
//! "...and N more" until the page fits.
//!
//! A language is a folder: a page or message missing from it falls back to English. Templates
//! run in strict mode, so a misspelt field is an error, not an empty string.
//!
//! Escaping for Discord happens once, where text people typed enters: message arguments (item
//! names in a sentence) and plain fields of a view (`{{item}}`). Worded messages are already
//! safe, so pages place them with `{{{triple braces}}}` and their own markdown (a command in
//! backticks) survives.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use handlebars::{Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderError, RenderErrorReason};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::analysis::Text;
use crate::domain::money::{Currency, Money};
use crate::domain::workspace::Language;

pub mod chart;
pub mod ics;
pub mod svg;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/prompts.rs"));
}

/// Discord's limits on what one message can hold (characters, as Discord counts them).
pub mod limits {
    /// An embed's description.
    pub const EMBED_DESCRIPTION: usize = 4096;
    /// A message's text content.
    pub const CONTENT: usize = 2000;
    /// An embed's title.
    pub const EMBED_TITLE: usize = 256;
    /// An embed field's value.
    pub const FIELD_VALUE: usize = 1024;
}

/// Where the text goes: Discord (markdown special characters and mentions in user text are
/// escaped) or a terminal / JSON (left as typed).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Flavor {
    Discord,
    Plain,
    /// The web pages: user text HTML-escaped; the `web/*.html.hbs` pages are registered too.
    Html,
}

/// The pages Jarvis renders.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Page {
    Report,
    Dashboard,
    Trends,
    Alerts,
    Renewals,
    /// A list of items (`ItemList`).
    Items,
    /// One item (`ItemDetail`).
    Item,
    /// Cost records (`CostHistory`).
    History,
    Budgets,
    Settings,
    /// Monitored websites (`SiteList`).
    Sites,
    /// The instances sharing the ledger (`StatusView`).
    Status,
    /// A FOCUS bill imported, or a dry run of one (`ImportSummary`).
    Import,
}

impl Page {
    pub const ALL: [Page; 13] = [
        Page::Report,
        Page::Dashboard,
        Page::Trends,
        Page::Alerts,
        Page::Renewals,
        Page::Items,
        Page::Item,
        Page::History,
        Page::Budgets,
        Page::Settings,
        Page::Sites,
        Page::Status,
        Page::Import,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Page::Report => "report",
            Page::Dashboard => "dashboard",
            Page::Trends => "trends",
            Page::Alerts => "alerts",
            Page::Renewals => "renewals",
            Page::Items => "items",
            Page::Item => "item",
            Page::History => "history",
            Page::Budgets => "budgets",
            Page::Settings => "settings",
            Page::Sites => "sites",
            Page::Status => "status",
            Page::Import => "import",
        }
    }
}

/// Renders messages and pages in one language and flavor.
pub struct Renderer {
    language: Language,
    flavor: Flavor,
    /// Messages, never escaped: they are plain sentences until a page places them.
    messages: Handlebars<'static>,
    /// Pages, escaping per the flavor; the messages are registered here too, for `{{t "id"}}`.
    pages: Handlebars<'static>,
}

/// Files of `prompts/` for `language`, with English filling any gaps.
fn files(language: Language) -> BTreeMap<String, &'static str> {
    let mut files = BTreeMap::new();
    for lang in [Language::English, language] {
        let prefix = format!("{}/", lang.as_str());
        for (path, contents) in embedded::PROMPTS {
            if let Some(name) = path.strip_prefix(&prefix) {
                files.insert(name.to_string(), *contents);
            }
        }
    }
    files
}

/// The messages for `language`, English filling gaps.
fn message_table(language: Language) -> BTreeMap<String, String> {
    let mut table = BTreeMap::new();
    for lang in [Language::English, language] {
        let path = format!("{}/messages.json", lang.as_str());
        if let Some((_, contents)) = embedded::PROMPTS.iter().find(|(p, _)| *p == path) {
            let parsed: BTreeMap<String, String> =
                serde_json::from_str(contents).unwrap_or_else(|e| panic!("prompts/{path} is not valid: {e}"));
            table.extend(parsed);
        }
    }
    table
}

impl Renderer {
    /// The renderer for `language` and `flavor`, built once and shared.
    pub fn get(language: Language, flavor: Flavor) -> &'static Renderer {
        static CACHE: OnceLock<std::sync::Mutex<BTreeMap<(String, u8), &'static Renderer>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let mut cache = cache.lock().expect("renderer cache");
        let key = (language.as_str().to_string(), flavor as u8);
        cache.entry(key).or_insert_with(|| {
            let renderer = Renderer::new(language, flavor).unwrap_or_else(|e| panic!("prompts/ do not compile: {e}"));
            Box::leak(Box::new(renderer))
        })
    }

    /// Compiles the templates (tests use this to see errors; the app uses [`Renderer::get`]).
    pub fn new(language: Language, flavor: Flavor) -> anyhow::Result<Renderer> {
        let table = Arc::new(message_table(language));
        let mut messages = Handlebars::new();
        let mut pages = Handlebars::new();
        for registry in [&mut messages, &mut pages] {
            registry.set_strict_mode(true);
            match flavor {
                Flavor::Discord => registry.register_escape_fn(escape_discord),
                Flavor::Plain => registry.register_escape_fn(handlebars::no_escape),
                Flavor::Html => registry.register_escape_fn(escape_html),
            }
        }
        for (id, template) in table.iter() {
            messages.register_template_string(id, template).map_err(|e| anyhow::anyhow!("message {id}: {e}"))?;
            pages.register_template_string(&format!("msg:{id}"), template)?;
        }
        for (name, contents) in files(language) {
            if let Some(page) = name.strip_suffix(".html.hbs") {
                if flavor == Flavor::Html {
                    pages.register_template_string(page, contents).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
                }
            } else if let Some(page) = name.strip_suffix(".md.hbs") {
                pages.register_template_string(page, contents).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
            } else if let Some(partial) = name.strip_suffix(".hbs") {
                pages.register_partial(partial, contents)?;
            }
        }
        for registry in [&mut messages, &mut pages] {
            registry.register_helper("money", Box::new(money_helper));
            registry.register_helper("pct", Box::new(percent_helper));
            registry.register_helper("bar", Box::new(bar_helper));
            registry.register_helper("nonzero", Box::new(nonzero));
            registry.register_helper("qty", Box::new(quantity_helper));
            registry.register_helper("plural", Box::new(PluralHelper { language, with_count: true }));
            registry.register_helper("noun", Box::new(PluralHelper { language, with_count: false }));
            let names = Arc::clone(&table);
            registry.register_helper(
                "name",
                Box::new(
                    move |h: &Helper, _: &Handlebars, _: &Context, _: &mut RenderContext, out: &mut dyn Output| {
                        let group = param_str(h, 0)?;
                        let value = param_str(h, 1)?;
                        let key = format!("name.{group}.{value}");
                        match names.get(&key) {
                            Some(name) => out.write(name)?,
                            // A value with no name is shown as it is, escaped as text is here.
                            None if flavor == Flavor::Html => out.write(&escape_html(&value))?,
                            None => out.write(&value)?,
                        }
                        Ok(())
                    },
                ),
            );
        }
        // `{{command "rate_set" from=.. to=.. date=..}}`: the command that does something, as this
        // front end spells it (`command.<name>.cli` or `command.<name>.discord`).
        let front = match flavor {
            Flavor::Discord => "discord",
            Flavor::Plain | Flavor::Html => "cli",
        };
        for (registry, prefix) in [(&mut messages, ""), (&mut pages, "msg:")] {
            registry.register_helper(
                "command",
                Box::new(
                    move |h: &Helper, r: &Handlebars, _: &Context, _: &mut RenderContext, out: &mut dyn Output| {
                        let name = param_str(h, 0)?;
                        let args: Map<String, Value> =
                            h.hash().iter().map(|(k, v)| (k.to_string(), v.value().clone())).collect();
                        out.write(&r.render(&format!("{prefix}command.{name}.{front}"), &args)?)?;
                        Ok(())
                    },
                ),
            );
        }
        pages.register_helper(
            "t",
            Box::new(move |h: &Helper, r: &Handlebars, _: &Context, _: &mut RenderContext, out: &mut dyn Output| {
                let id = param_str(h, 0)?;
                let args: Map<String, Value> =
                    h.hash().iter().map(|(k, v)| (k.to_string(), v.value().clone())).collect();
                let text = r.render(&format!("msg:{id}"), &args)?;
                match flavor {
                    Flavor::Html => out.write(&markdown_marks_to_html(&text))?,
                    _ => out.write(&text)?,
                }
                Ok(())
            }),
        );
        Ok(Renderer { language, flavor, messages, pages })
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// A message in words (its arguments escaped for Discord in that flavor). An id missing from
    /// the prompts shows as `[id]`, which the prompt tests catch.
    pub fn text(&self, text: &Text) -> String {
        self.message(text.id, &text.args)
    }

    /// Message `id` worded with `args` (an id missing from the prompts shows as `[id]`).
    pub fn message(&self, id: &str, args: &impl Serialize) -> String {
        if !self.messages.has_template(id) {
            return format!("[{id}]");
        }
        let mut text = self.messages.render(id, args).unwrap_or_else(|e| format!("[{id}: {e}]"));
        if self.flavor == Flavor::Html {
            text = markdown_marks_to_html(&text);
        }
        // Handlebars writes into an 8 KiB buffer; thousands of short messages (a long list of
        // alerts) would each keep theirs.
        text.shrink_to_fit();
        text
    }

    /// Whether the prompts have message `id` (in this language or English).
    pub fn has(&self, id: &str) -> bool {
        self.messages.has_template(id)
    }

    /// The display name of a choice, `name.<group>.<value>` (a category, a billing period...),
    /// if the prompts have one.
    pub fn name(&self, group: &str, value: &str) -> Option<String> {
        let id = format!("name.{group}.{value}");
        self.messages.has_template(&id).then(|| self.message(&id, &()))
    }

    /// `value` as JSON with every [`Text`] in it worded: what `--json` prints and pages render.
    pub fn resolve<T: Serialize>(&self, value: &T) -> Value {
        let json = serde_json::to_value(value).expect("views serialize to JSON");
        self.resolve_value(json)
    }

    fn resolve_value(&self, value: Value) -> Value {
        match value {
            Value::Object(map) if is_text(&map) => {
                Value::String(self.message(map["id"].as_str().expect("checked"), &map["args"]))
            }
            Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, self.resolve_value(v))).collect()),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.resolve_value(v)).collect()),
            other => other,
        }
    }

    /// A page from `view`, at most `limit` characters: lists are cut shorter (ending with "...and
    /// N more") until it fits; as a last resort the text is cut. An error means a template does
    /// not fit the view (a bug the prompt tests are there to catch).
    pub fn page<T: Serialize>(&self, page: Page, view: &T, limit: usize) -> anyhow::Result<String> {
        let json = serde_json::to_value(view).expect("views serialize to JSON");
        // A line of a list takes more than `MIN_LINE` characters, so no more lines than that
        // fit the limit: the rest is only counted, not worded (4,000 alerts, a page of 25).
        let json = if limit < usize::MAX { precap_lists(json, limit / MIN_LINE + 1) } else { json };
        let resolved = self.resolve_value(json);
        let mut last = String::new();
        for cap in [usize::MAX, 25, 15, 10, 6, 4, 2, 1, 0] {
            let data = cap_lists(&resolved, cap);
            let rendered = self.pages.render(page.name(), &data).map_err(|e| {
                anyhow::anyhow!("the {} page ({}) does not render: {e}", page.name(), self.language.as_str())
            })?;
            last = tidy(&rendered);
            if discord_len(&last) <= limit {
                return Ok(last);
            }
        }
        Ok(cut(&last, limit))
    }
}

impl Renderer {
    /// The web page `web/<name>.html.hbs` from `data`, every [`Text`] in it worded (this
    /// renderer must be [`Flavor::Html`]).
    pub fn html<T: Serialize>(&self, name: &str, data: &T) -> anyhow::Result<String> {
        let resolved = self.resolve(data);
        self.pages
            .render(&format!("web/{name}"), &resolved)
            .map_err(|e| anyhow::anyhow!("the web page {name} ({}) does not render: {e}", self.language.as_str()))
    }
}

/// HTML-escaped text, with `*` as an entity too, so that [`markdown_marks_to_html`] only ever
/// sees the marks of our own messages, never what people typed.
pub fn escape_html(text: &str) -> String {
    handlebars::html_escape(text).replace('*', "&#42;")
}

/// A message's own code spans and bold (`` `jarvis rate set` ``, `**name**`) as HTML. What
/// people typed was escaped before this ([`escape_html`] turns their backticks and asterisks into
/// entities), so only the template's marks are left to turn.
fn markdown_marks_to_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let (mut code, mut bold) = (false, false);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("**") && !code {
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
            rest = &rest[2..];
        } else if c == '`' {
            out.push_str(if code { "</code>" } else { "<code>" });
            code = !code;
            rest = &rest[1..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if code {
        out.push_str("</code>");
    }
    if bold {
        out.push_str("</strong>");
    }
    out
}

fn is_text(map: &Map<String, Value>) -> bool {
    map.len() == 2 && map.get("id").is_some_and(Value::is_string) && map.get("args").is_some_and(Value::is_object)
}

/// Length as Discord counts it (UTF-16 code units, which is never less than characters).
pub fn discord_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `text` cut to `limit` (Discord's count) with an ellipsis, at a character boundary.
pub fn cut(text: &str, limit: usize) -> String {
    if discord_len(text) <= limit {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        if used + c.len_utf16() + 1 > limit {
            break;
        }
        used += c.len_utf16();
        out.push(c);
    }
    out.push('…');
    out
}

/// Blank lines collapsed to one and trailing spaces dropped, so templates can be laid out
/// readably.
fn tidy(text: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// The lists a page may cut short: the ones that grow with the workspace. (Score components,
/// their inputs, months and forecasts are short and always shown whole.)
const CAPPED: &[&str] = &[
    "alerts",
    "sites",
    "risks",
    "recommendations",
    "deductions",
    "providers",
    "upcoming_renewals",
    "renewals",
    "missing_rates",
    "items",
    "records",
    "history",
    "rates",
    "checks",
    "warnings",
];

/// Fewer characters than any line of a capped list takes on a page.
const MIN_LINE: usize = 16;

/// `value` with every list in [`CAPPED`] cut to `keep` entries, its length kept in a sibling
/// `<name>_total` (unless the view gave one) for [`cap_lists`] to count the rest from.
fn precap_lists(value: Value, keep: usize) -> Value {
    match value {
        Value::Object(map) => {
            let given: Vec<String> = map.keys().filter(|k| k.ends_with("_total")).cloned().collect();
            let mut out = Map::new();
            for (key, v) in map {
                match v {
                    Value::Array(items) if CAPPED.contains(&key.as_str()) && items.len() > keep => {
                        let total = format!("{key}_total");
                        if !given.contains(&total) {
                            out.insert(total, Value::from(items.len()));
                        }
                        let kept = items.into_iter().take(keep).map(|x| precap_lists(x, keep)).collect();
                        out.insert(key, Value::Array(kept));
                    }
                    other => {
                        out.insert(key, precap_lists(other, keep));
                    }
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|x| precap_lists(x, keep)).collect()),
        other => other,
    }
}

/// Keeps the first `cap` entries of every list in [`CAPPED`] and says how many were left out in a
/// sibling `<name>_more` field (present for every list, so strict templates can test it), counting
/// from a sibling `<name>_total` when the view cut the list itself.
fn cap_lists(value: &Value, cap: usize) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, v) in map {
                if let Value::Array(items) = v {
                    let keep = if CAPPED.contains(&key.as_str()) { cap } else { usize::MAX };
                    out.insert(key.clone(), Value::Array(items.iter().take(keep).map(|x| cap_lists(x, cap)).collect()));
                    // A list the view already cut says how long it was in `<name>_total`.
                    let total =
                        map.get(&format!("{key}_total")).and_then(Value::as_u64).map_or(items.len(), |n| n as usize);
                    out.insert(format!("{key}_more"), Value::from(total.saturating_sub(keep.min(items.len()))));
                } else {
                    out.insert(key.clone(), cap_lists(v, cap));
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|x| cap_lists(x, cap)).collect()),
        other => other.clone(),
    }
}

/// Escapes what Discord would read as markdown or a mention in text people typed: `@everyone`
/// becomes `@\u{200B}everyone`, `<@123>` loses its meaning, `*bold*` shows its asterisks. A value
/// stays on one line (a note's line breaks become spaces), so it cannot start a heading, a quote
/// or a list line of the page it sits in.
pub fn escape_discord(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut line_start = true;
    for c in text.chars() {
        let c = if c == '\n' || c == '\r' { ' ' } else { c };
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '>' | '-' | '+' if line_start => {
                out.push('\\');
                out.push(c);
            }
            '@' | '<' => {
                out.push(c);
                out.push('\u{200B}');
            }
            _ => out.push(c),
        }
        line_start = false;
    }
    out
}

fn param_str(h: &Helper, index: usize) -> Result<String, RenderError> {
    let value = h.param(index).ok_or_else(|| RenderErrorReason::ParamNotFoundForIndex("helper", index))?.value();
    Ok(value.as_str().map_or_else(|| value.to_string(), str::to_string))
}

fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        // Arguments may come already grouped for display (`51,000`).
        Value::String(s) => s.replace(',', "").parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

/// Whether a helper was asked to show a `+` on positive numbers (`sign=true`).
fn signed(h: &Helper) -> bool {
    h.hash_get("sign").is_some_and(|v| v.value().as_bool() == Some(true))
}

/// `{{money m}}` for a serialized [`Money`] (`{"amount": "1234.5", "currency": "USD"}`):
/// `1,234.50 USD`; with `sign=true`, `+1,234.50 USD`; with `exact=true` (typed prices),
/// unrounded: `0.000024 USD`. A bare amount takes its currency as a
/// second parameter: `{{money total base_currency}}`.
fn money_helper(h: &Helper, _: &Handlebars, _: &Context, _: &mut RenderContext, out: &mut dyn Output) -> HelperResult {
    let value = h.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex("money", 0))?.value();
    let shown = match value {
        Value::Object(map) => {
            let amount = map.get("amount").and_then(decimal);
            let currency = map.get("currency").and_then(Value::as_str).and_then(|c| Currency::parse(c).ok());
            match (amount, currency) {
                (Some(amount), Some(currency)) => {
                    let plus = if signed(h) && amount > Decimal::ZERO { "+" } else { "" };
                    if h.hash_get("exact").is_some_and(|v| v.value().as_bool() == Some(true)) {
                        // A typed price, shown as typed: 0.000024 USD.
                        format!("{plus}{} {currency}", crate::domain::money::format_exact(amount, currency))
                    } else {
                        format!("{plus}{}", Money::new(amount, currency))
                    }
                }
                _ => return Err(RenderErrorReason::InvalidParamType("money").into()),
            }
        }
        // A bare amount (the dashboard's core fields) with the currency as the second parameter.
        Value::String(s) => match (s.parse::<Decimal>(), h.param(1).and_then(|c| c.value().as_str())) {
            (Ok(amount), Some(code)) => {
                let currency = Currency::parse(code).map_err(|_| RenderErrorReason::InvalidParamType("money"))?;
                Money::new(amount, currency).to_string()
            }
            _ => s.clone(),
        },
        Value::Null => "—".to_string(),
        _ => return Err(RenderErrorReason::InvalidParamType("money").into()),
    };
    out.write(&shown)?;
    Ok(())
}

/// `{{pct x}}` for a decimal percentage: `85.5%`; `—` for null.
fn percent_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex("pct", 0))?.value();
    let shown = decimal(value).map_or_else(
        || "—".to_string(),
        |p| {
            let plus = if signed(h) && p > Decimal::ZERO { "+" } else { "" };
            format!("{plus}{}", crate::analysis::percent(p))
        },
    );
    out.write(&shown)?;
    Ok(())
}

handlebars::handlebars_helper!(nonzero: |value: Json| {
    let amount = match value {
        Value::Object(map) => map.get("amount").and_then(decimal),
        other => decimal(other),
    };
    amount.is_some_and(|a| !a.is_zero())
});

/// `{{qty x}}`: a quantity, grouped: `2,150,000`, `6.1`.
fn quantity_helper(
    h: &Helper,
    _: &Handlebars,
    _: &Context,
    _: &mut RenderContext,
    out: &mut dyn Output,
) -> HelperResult {
    let value = h.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex("qty", 0))?.value();
    let shown = decimal(value).map_or_else(|| "—".to_string(), crate::domain::money::format_quantity);
    out.write(&shown)?;
    Ok(())
}

/// `count` with the word for that many: `1 item`, `0 items`, `1.5 days`, `2,016 checks` (grouped
/// like every quantity shown).
pub fn plural(count: Decimal, one: &str, many: &str) -> String {
    format!("{} {}", crate::domain::money::format_quantity(count), noun(count, one, many))
}

/// The word for `count` things: `one` for exactly one (or minus one), `many` otherwise.
pub fn noun<'a>(count: Decimal, one: &'a str, many: &'a str) -> &'a str {
    if count.abs() == Decimal::ONE { one } else { many }
}

/// The English plural of a unit people typed: `request` -> `requests`, `query` -> `queries`,
/// `GB-month` -> `GB-months`, `request/day` -> `requests/day`. Only a last word of plain lower-case
/// letters changes: abbreviations (`GB`, `kWh`), words already ending in `s` (`1M tokens`) and
/// anything not in Latin letters stay as typed.
pub fn english_plural(unit: &str) -> String {
    // `request/day`, `image per month`: the counted thing is before the `per`.
    let split = unit.find('/').or_else(|| unit.find(" per "));
    let (counted, rest) = match split {
        Some(at) => unit.split_at(at),
        None => (unit, ""),
    };
    let word_start =
        counted.char_indices().rev().find(|(_, c)| !c.is_ascii_alphabetic()).map_or(0, |(i, c)| i + c.len_utf8());
    let (head, word) = counted.split_at(word_start);
    let plain = word.len() >= 2 && word.chars().all(|c| c.is_ascii_lowercase());
    if !plain || word.ends_with('s') {
        return unit.to_string();
    }
    let plural = if let Some(stem) = word.strip_suffix('y').filter(|s| !s.ends_with(['a', 'e', 'i', 'o', 'u'])) {
        format!("{stem}ies")
    } else if word.ends_with("ch") || word.ends_with("sh") || word.ends_with('x') || word.ends_with('z') {
        format!("{word}es")
    } else {
        format!("{word}s")
    };
    format!("{head}{plural}{rest}")
}

/// `{{plural n "item" "items"}}` -> `2 items`; `{{noun n "day" "days"}}` -> `days`. With one form,
/// a unit people typed (`{{plural n unit}}`), English makes its plural (see [`english_plural`]) and
/// other languages, which do not inflect it, show it as typed.
struct PluralHelper {
    language: Language,
    with_count: bool,
}

impl handlebars::HelperDef for PluralHelper {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        _: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let name = if self.with_count { "plural" } else { "noun" };
        let value = h.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex(name, 0))?.value();
        let count = decimal(value).ok_or(RenderErrorReason::InvalidParamType("a number"))?;
        let one = param_str(h, 1)?;
        let many = match h.param(2) {
            Some(_) => param_str(h, 2)?,
            None if self.language == Language::English => english_plural(&one),
            None => one.clone(),
        };
        let shown = if self.with_count { plural(count, &one, &many) } else { noun(count, &one, &many).to_string() };
        // The unit is text people typed: escaped for Discord like any other field.
        out.write(&r.get_escape_fn()(&shown))?;
        Ok(())
    }
}

/// `{{bar x}}`: a ten-block bar for a percentage, e.g. `▰▰▰▰▰▰▰▰▱▱` for 80.
fn bar_helper(h: &Helper, _: &Handlebars, _: &Context, _: &mut RenderContext, out: &mut dyn Output) -> HelperResult {
    let value = h.param(0).ok_or(RenderErrorReason::ParamNotFoundForIndex("bar", 0))?.value();
    let percent = decimal(value).unwrap_or_default().clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
    let filled = (percent / Decimal::TEN).round().to_string().parse::<usize>().unwrap_or(0).min(10);
    out.write(&format!("{}{}", "▰".repeat(filled), "▱".repeat(10 - filled)))?;
    Ok(())
}

#[cfg(test)]
mod tests;
