//! Discord's documented limits on what a bot sends, as pure checks over JSON bodies.
//!
//! Each check returns the breaches it found; the fake answers a body with breaches the way Discord
//! does (400, code 50035 "Invalid Form Body") and records them as violations. Lengths are counted
//! in UTF-16 code units, which is never less than Discord's own count, so a body that passes here
//! passes on Discord.

use serde_json::{Map, Value, json};

/// One broken rule: where in the body (`data.embeds.0.title`), Discord's error code for it and a
/// sentence for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breach {
    /// Dotted path inside the request body, as Discord reports it.
    pub path: String,
    /// Discord's error code string, e.g. `BASE_TYPE_MAX_LENGTH`.
    pub code: &'static str,
    /// What is wrong, for a person reading a failed test.
    pub message: String,
}

impl std::fmt::Display for Breach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Discord's length of a string (UTF-16 code units).
pub fn len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Builds Discord's nested `errors` object (`{"content": {"_errors": [..]}}`) for a 50035 answer,
/// in the shape serenity's `DiscordJsonError` parses.
pub fn errors_json(breaches: &[Breach]) -> Value {
    let mut root = Map::new();
    for breach in breaches {
        let mut node = &mut root;
        for key in breach.path.split('.').filter(|k| !k.is_empty()) {
            node = node.entry(key.to_string()).or_insert_with(|| json!({})).as_object_mut().expect("errors node");
        }
        let list = node.entry("_errors").or_insert_with(|| json!([]));
        list.as_array_mut().expect("_errors list").push(json!({"code": breach.code, "message": breach.message}));
    }
    Value::Object(root)
}

struct Checker {
    breaches: Vec<Breach>,
}

impl Checker {
    fn new() -> Checker {
        Checker { breaches: Vec::new() }
    }

    fn push(&mut self, path: String, code: &'static str, message: String) {
        self.breaches.push(Breach { path, code, message });
    }

    /// A string field no longer than `max`.
    fn max_len(&mut self, path: &str, value: Option<&Value>, max: usize) {
        if let Some(s) = value.and_then(Value::as_str) {
            let n = len(s);
            if n > max {
                self.push(path.into(), "BASE_TYPE_MAX_LENGTH", format!("is {n} characters long (max {max})"));
            }
        }
    }

    /// A string field that must be present with a length in `min..=max`.
    fn required_len(&mut self, path: &str, value: Option<&Value>, min: usize, max: usize) {
        match value.and_then(Value::as_str) {
            None => self.push(path.into(), "BASE_TYPE_REQUIRED", "is required".into()),
            Some(s) => {
                let n = len(s);
                if n < min || n > max {
                    self.push(
                        path.into(),
                        "BASE_TYPE_BAD_LENGTH",
                        format!("is {n} characters long (must be {min} to {max})"),
                    );
                }
            }
        }
    }

    /// An array field with at most `max` items.
    fn max_items(&mut self, path: &str, value: Option<&Value>, max: usize) {
        if let Some(items) = value.and_then(Value::as_array)
            && items.len() > max
        {
            self.push(path.into(), "BASE_TYPE_MAX_LENGTH", format!("has {} items (max {max})", items.len()));
        }
    }
}

fn items(value: Option<&Value>) -> &[Value] {
    value.and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn str_len(value: Option<&Value>) -> usize {
    value.and_then(Value::as_str).map(len).unwrap_or(0)
}

/// Checks a message body (interaction callback data of type 4 or 7, a follow-up, an edit, a
/// channel message) against Discord's message, embed and component limits. `prefix` is put before
/// every path (`"data."` for callback data).
pub fn check_message(body: &Value, prefix: &str) -> Vec<Breach> {
    let mut c = Checker::new();
    c.max_len(&format!("{prefix}content"), body.get("content"), 2000);

    let embeds = items(body.get("embeds"));
    c.max_items(&format!("{prefix}embeds"), body.get("embeds"), 10);
    let mut total = 0;
    for (i, embed) in embeds.iter().enumerate() {
        let p = format!("{prefix}embeds.{i}");
        c.max_len(&format!("{p}.title"), embed.get("title"), 256);
        c.max_len(&format!("{p}.description"), embed.get("description"), 4096);
        c.max_len(&format!("{p}.footer.text"), embed.pointer("/footer/text"), 2048);
        c.max_len(&format!("{p}.author.name"), embed.pointer("/author/name"), 256);
        c.max_items(&format!("{p}.fields"), embed.get("fields"), 25);
        total += str_len(embed.get("title"))
            + str_len(embed.get("description"))
            + str_len(embed.pointer("/footer/text"))
            + str_len(embed.pointer("/author/name"));
        for (j, field) in items(embed.get("fields")).iter().enumerate() {
            c.required_len(&format!("{p}.fields.{j}.name"), field.get("name"), 1, 256);
            c.required_len(&format!("{p}.fields.{j}.value"), field.get("value"), 1, 1024);
            total += str_len(field.get("name")) + str_len(field.get("value"));
        }
    }
    if total > 6000 {
        c.push(
            format!("{prefix}embeds"),
            "MAX_EMBED_SIZE_EXCEEDED",
            format!("embeds together are {total} characters long (max 6000)"),
        );
    }

    check_components(&mut c, body.get("components"), prefix);
    c.breaches
}

fn check_components(c: &mut Checker, components: Option<&Value>, prefix: &str) {
    let rows = items(components);
    c.max_items(&format!("{prefix}components"), components, 5);
    let mut seen_ids: Vec<&str> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let p = format!("{prefix}components.{i}");
        if row.get("type").and_then(Value::as_u64) != Some(1) {
            c.push(
                p.clone(),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "top-level components must be action rows (type 1)".into(),
            );
            continue;
        }
        let children = items(row.get("components"));
        if children.is_empty() {
            c.push(
                format!("{p}.components"),
                "BASE_TYPE_MIN_LENGTH",
                "an action row needs at least one component".into(),
            );
        }
        let selects =
            children.iter().filter(|x| matches!(x.get("type").and_then(Value::as_u64), Some(3 | 5..=8))).count();
        if selects > 0 && children.len() > 1 {
            c.push(
                format!("{p}.components"),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "a select menu must be alone in its row".into(),
            );
        }
        if children.len() > 5 {
            c.push(
                format!("{p}.components"),
                "BASE_TYPE_MAX_LENGTH",
                format!("has {} components (max 5 a row)", children.len()),
            );
        }
        for (j, child) in children.iter().enumerate() {
            let q = format!("{p}.components.{j}");
            let kind = child.get("type").and_then(Value::as_u64).unwrap_or(0);
            let is_link = child.get("style").and_then(Value::as_u64) == Some(5);
            match kind {
                2 => {
                    c.max_len(&format!("{q}.label"), child.get("label"), 80);
                    if is_link {
                        if child.get("url").and_then(Value::as_str).is_none() {
                            c.push(format!("{q}.url"), "BASE_TYPE_REQUIRED", "a link button needs a url".into());
                        }
                    } else if child.get("style").and_then(Value::as_u64) != Some(6) {
                        c.required_len(&format!("{q}.custom_id"), child.get("custom_id"), 1, 100);
                    }
                }
                3 | 5..=8 => {
                    c.required_len(&format!("{q}.custom_id"), child.get("custom_id"), 1, 100);
                    c.max_len(&format!("{q}.placeholder"), child.get("placeholder"), 150);
                    if kind == 3 {
                        let options = items(child.get("options"));
                        if options.is_empty() || options.len() > 25 {
                            c.push(
                                format!("{q}.options"),
                                "BASE_TYPE_BAD_LENGTH",
                                format!("has {} options (must be 1 to 25)", options.len()),
                            );
                        }
                        for (k, option) in options.iter().enumerate() {
                            c.required_len(&format!("{q}.options.{k}.label"), option.get("label"), 1, 100);
                            c.required_len(&format!("{q}.options.{k}.value"), option.get("value"), 1, 100);
                            c.max_len(&format!("{q}.options.{k}.description"), option.get("description"), 100);
                        }
                    }
                }
                other => c.push(
                    q.clone(),
                    "UNION_TYPE_CHOICES",
                    format!("component type {other} is not allowed in a message"),
                ),
            }
            if let Some(id) = child.get("custom_id").and_then(Value::as_str) {
                if seen_ids.contains(&id) {
                    c.push(
                        format!("{q}.custom_id"),
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        format!("custom_id {id:?} is used twice"),
                    );
                }
                seen_ids.push(id);
            }
        }
    }
}

/// Discord refuses to create a message with nothing to show (code 50006).
pub fn is_empty_message(body: &Value, has_files: bool) -> bool {
    let content_empty = body.get("content").and_then(Value::as_str).is_none_or(str::is_empty);
    content_empty
        && items(body.get("embeds")).is_empty()
        && items(body.get("components")).is_empty()
        && items(body.get("attachments")).is_empty()
        && items(body.get("sticker_ids")).is_empty()
        && body.get("poll").is_none_or(Value::is_null)
        && !has_files
}

/// Checks `allowed_mentions` on a message body: it must be present and its `parse` must include
/// neither `everyone` nor `roles`; content with a literal `@everyone`/`@here` must not be able to
/// ping. Pinging named roles through `allowed_mentions.roles` is fine. Returns one sentence per
/// problem (these are recorded, not rejected: Discord would deliver the message).
pub fn check_mentions(body: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let allowed = body.get("allowed_mentions").filter(|v| !v.is_null());
    let parse: Vec<&str> =
        allowed.map(|a| items(a.get("parse")).iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    match allowed {
        None => problems.push("no allowed_mentions: text from users could ping @everyone or roles".to_string()),
        Some(_) => {
            for bad in ["everyone", "roles"] {
                if parse.contains(&bad) {
                    problems.push(format!("allowed_mentions.parse includes {bad:?}"));
                }
            }
        }
    }
    let content = body.get("content").and_then(Value::as_str).unwrap_or("");
    let can_ping_everyone = allowed.is_none() || parse.contains(&"everyone");
    for word in ["@everyone", "@here"] {
        if content.contains(word) && can_ping_everyone {
            problems.push(format!("content contains {word} and allowed_mentions lets it ping"));
        }
    }
    problems
}

/// Checks autocomplete callback data (type 8): at most 25 choices, each name and string value
/// 1 to 100 characters.
pub fn check_autocomplete(data: &Value) -> Vec<Breach> {
    let mut c = Checker::new();
    match data.get("choices") {
        Some(Value::Array(_)) => {}
        _ => c.push("data.choices".into(), "BASE_TYPE_REQUIRED", "autocomplete needs a choices array".into()),
    }
    c.max_items("data.choices", data.get("choices"), 25);
    for (i, choice) in items(data.get("choices")).iter().enumerate() {
        c.required_len(&format!("data.choices.{i}.name"), choice.get("name"), 1, 100);
        match choice.get("value") {
            Some(Value::String(_)) => c.required_len(&format!("data.choices.{i}.value"), choice.get("value"), 1, 100),
            Some(Value::Number(_)) => {}
            _ => {
                c.push(format!("data.choices.{i}.value"), "BASE_TYPE_REQUIRED", "needs a string or number value".into())
            }
        }
    }
    c.breaches
}

/// Checks modal callback data (type 9): title 1..=45, custom_id 1..=100, 1 to 5 rows each
/// holding one text input whose custom_id is 1..=100 and label 1..=45.
pub fn check_modal(data: &Value) -> Vec<Breach> {
    let mut c = Checker::new();
    c.required_len("data.title", data.get("title"), 1, 45);
    c.required_len("data.custom_id", data.get("custom_id"), 1, 100);
    let rows = items(data.get("components"));
    if rows.is_empty() || rows.len() > 5 {
        c.push("data.components".into(), "BASE_TYPE_BAD_LENGTH", format!("has {} rows (must be 1 to 5)", rows.len()));
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let children = items(row.get("components"));
        if row.get("type").and_then(Value::as_u64) != Some(1) || children.len() != 1 {
            c.push(
                format!("data.components.{i}"),
                "BASE_TYPE_BAD_LENGTH",
                "each modal row holds exactly one text input".into(),
            );
            continue;
        }
        let input = &children[0];
        let p = format!("data.components.{i}.components.0");
        if input.get("type").and_then(Value::as_u64) != Some(4) {
            c.push(p.clone(), "UNION_TYPE_CHOICES", "a modal row must hold a text input (type 4)".into());
        }
        c.required_len(&format!("{p}.custom_id"), input.get("custom_id"), 1, 100);
        c.required_len(&format!("{p}.label"), input.get("label"), 1, 45);
        c.max_len(&format!("{p}.value"), input.get("value"), 4000);
        c.max_len(&format!("{p}.placeholder"), input.get("placeholder"), 100);
        for key in ["min_length", "max_length"] {
            if let Some(n) = input.get(key).and_then(Value::as_u64)
                && n > 4000
            {
                c.push(format!("{p}.{key}"), "NUMBER_TYPE_MAX", format!("is {n} (max 4000)"));
            }
        }
        if !matches!(input.get("style").and_then(Value::as_u64), Some(1 | 2)) {
            c.push(format!("{p}.style"), "BASE_TYPE_CHOICES", "style must be 1 (short) or 2 (paragraph)".into());
        }
        if let Some(id) = input.get("custom_id").and_then(Value::as_str) {
            if seen.contains(&id) {
                c.push(
                    format!("{p}.custom_id"),
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    format!("custom_id {id:?} is used twice"),
                );
            }
            seen.push(id);
        }
    }
    c.breaches
}

/// Whether `name` is a valid chat-input command or option name: Discord's
/// `^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$`, lower case where a letter has a lower case.
pub fn valid_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if !(1..=32).contains(&n) {
        return Err(format!("name {name:?} is {n} characters long (must be 1 to 32)"));
    }
    if let Some(bad) = name.chars().find(|&ch| {
        !(ch == '-'
            || ch == '_'
            || ch == '\''
            || ch.is_alphanumeric()
            || ('\u{0900}'..='\u{097F}').contains(&ch)
            || ('\u{0E00}'..='\u{0E7F}').contains(&ch))
    }) {
        return Err(format!("name {name:?} contains {bad:?} (allowed: letters, digits, - _ ')"));
    }
    if name.chars().any(char::is_uppercase) {
        return Err(format!("name {name:?} must be lower case"));
    }
    Ok(())
}

/// Checks a bulk-overwrite list of application commands: names and descriptions (and their
/// localizations: known locales, the same rules as the defaults), at most 25 options and 25
/// choices, required options first, no choices with autocomplete, names unique at each level in
/// every locale, at most 100 chat-input commands, 8000 characters a command (each field counted
/// at its longest localization, as Discord does).
pub fn check_commands(commands: &Value) -> Vec<Breach> {
    let mut c = Checker::new();
    let Some(list) = commands.as_array() else {
        c.push(String::new(), "BASE_TYPE_ARRAY", "body must be an array of commands".into());
        return c.breaches;
    };
    let chat_input = list.iter().filter(|cmd| cmd.get("type").and_then(Value::as_u64).unwrap_or(1) == 1).count();
    if chat_input > 100 {
        c.push(String::new(), "BASE_TYPE_MAX_LENGTH", format!("{chat_input} chat-input commands (max 100)"));
    }
    let mut seen: Vec<(u64, &str)> = Vec::new();
    let chat_inputs: Vec<(String, &Value)> = list
        .iter()
        .enumerate()
        .filter(|(_, cmd)| cmd.get("type").and_then(Value::as_u64).unwrap_or(1) == 1)
        .map(|(i, cmd)| (i.to_string(), cmd))
        .collect();
    check_localized_names_unique(&mut c, &chat_inputs, "command");
    for (i, cmd) in list.iter().enumerate() {
        let p = i.to_string();
        let kind = cmd.get("type").and_then(Value::as_u64).unwrap_or(1);
        let name = cmd.get("name").and_then(Value::as_str).unwrap_or("");
        if seen.contains(&(kind, name)) {
            c.push(
                format!("{p}.name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                format!("command {name:?} is registered twice"),
            );
        }
        seen.push((kind, name));
        if kind == 1 {
            check_name(&mut c, &format!("{p}.name"), cmd.get("name"));
            c.required_len(&format!("{p}.description"), cmd.get("description"), 1, 100);
            check_localizations(&mut c, &p, cmd);
            check_options(&mut c, &format!("{p}.options"), cmd.get("options"), 0);
            let size = command_size(cmd);
            if size > MAX_COMMAND_SIZE {
                c.push(
                    p.clone(),
                    "APPLICATION_COMMAND_TOO_LARGE",
                    format!("command {name:?} is {size} characters (max {MAX_COMMAND_SIZE}), each field at its longest localization"),
                );
            }
        } else {
            c.required_len(&format!("{p}.name"), cmd.get("name"), 1, 32);
            if str_len(cmd.get("description")) > 0 {
                c.push(
                    format!("{p}.description"),
                    "BASE_TYPE_MAX_LENGTH",
                    "user and message commands have no description".into(),
                );
            }
        }
    }
    c.breaches
}

fn check_name(c: &mut Checker, path: &str, name: Option<&Value>) {
    match name.and_then(Value::as_str) {
        None => c.push(path.into(), "BASE_TYPE_REQUIRED", "is required".into()),
        Some(name) => {
            if let Err(why) = valid_name(name) {
                c.push(path.into(), "APPLICATION_COMMAND_INVALID_NAME", why);
            }
        }
    }
}

/// The locales Discord accepts as keys of `name_localizations` and `description_localizations`.
pub const LOCALES: [&str; 32] = [
    "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no", "pl", "pt-BR",
    "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN", "ja", "zh-TW", "ko",
];

/// The largest a chat-input command may be: its names, descriptions, choice names and values
/// together, each counted at its longest localization.
pub const MAX_COMMAND_SIZE: usize = 8000;

/// A localization map's locale keys must be Discord's, and its values follow the rules of the
/// field they localize.
fn check_locale_keys(c: &mut Checker, path: &str, map: &Map<String, Value>) {
    for locale in map.keys() {
        if !LOCALES.contains(&locale.as_str()) {
            c.push(
                format!("{path}.{locale}"),
                "LOCALE_INVALID",
                format!("{locale:?} is not a locale Discord knows (e.g. \"th\", \"en-US\")"),
            );
        }
    }
}

fn check_localizations(c: &mut Checker, path: &str, node: &Value) {
    if let Some(names) = node.get("name_localizations").and_then(Value::as_object) {
        check_locale_keys(c, &format!("{path}.name_localizations"), names);
        for (locale, name) in names {
            check_name(c, &format!("{path}.name_localizations.{locale}"), Some(name));
        }
    }
    if let Some(descriptions) = node.get("description_localizations").and_then(Value::as_object) {
        check_locale_keys(c, &format!("{path}.description_localizations"), descriptions);
        for (locale, description) in descriptions {
            c.required_len(&format!("{path}.description_localizations.{locale}"), Some(description), 1, 100);
        }
    }
}

/// The name `node` shows in `locale`: its localization, else its default name.
fn name_in<'a>(node: &'a Value, locale: &str) -> &'a str {
    node.pointer(&format!("/name_localizations/{locale}"))
        .and_then(Value::as_str)
        .or_else(|| node.get("name").and_then(Value::as_str))
        .unwrap_or("")
}

/// Siblings (commands of one list, options of one level) must have distinct names in every
/// locale any of them is localized in: Discord refuses two that would show the same.
fn check_localized_names_unique(c: &mut Checker, siblings: &[(String, &Value)], what: &str) {
    let mut locales: Vec<&str> = siblings
        .iter()
        .filter_map(|(_, node)| node.get("name_localizations").and_then(Value::as_object))
        .flat_map(|map| map.keys().map(String::as_str))
        .collect();
    locales.sort_unstable();
    locales.dedup();
    for locale in locales {
        let mut shown: Vec<(&str, &str)> = Vec::new();
        for (path, node) in siblings {
            let name = name_in(node, locale);
            if let Some((_, first)) = shown.iter().find(|(n, _)| *n == name) {
                c.push(
                    format!("{path}.name_localizations.{locale}"),
                    "APPLICATION_COMMAND_LOCALIZED_NAME_ALREADY_EXISTS",
                    format!("{what} {:?} shows as {name:?} in {locale}, like {first:?}", node["name"]),
                );
            }
            shown.push((name, node["name"].as_str().unwrap_or("")));
        }
    }
}

fn check_options(c: &mut Checker, path: &str, options: Option<&Value>, depth: usize) {
    c.max_items(path, options, 25);
    let siblings: Vec<(String, &Value)> =
        items(options).iter().enumerate().map(|(i, option)| (format!("{path}.{i}"), option)).collect();
    check_localized_names_unique(c, &siblings, "option");
    let mut seen_optional = false;
    let mut names: Vec<&str> = Vec::new();
    for (i, option) in items(options).iter().enumerate() {
        let p = format!("{path}.{i}");
        let kind = option.get("type").and_then(Value::as_u64).unwrap_or(0);
        check_name(c, &format!("{p}.name"), option.get("name"));
        c.required_len(&format!("{p}.description"), option.get("description"), 1, 100);
        check_localizations(c, &p, option);
        let name = option.get("name").and_then(Value::as_str).unwrap_or("");
        if names.contains(&name) {
            c.push(
                format!("{p}.name"),
                "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                format!("option {name:?} appears twice"),
            );
        }
        names.push(name);
        match kind {
            1 | 2 => {
                if depth >= 2 || (kind == 2 && depth >= 1) {
                    c.push(
                        p.clone(),
                        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                        "subcommands nest at most: group > subcommand".into(),
                    );
                }
                if kind == 2
                    && items(option.get("options")).iter().any(|o| o.get("type").and_then(Value::as_u64) != Some(1))
                {
                    c.push(
                        format!("{p}.options"),
                        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                        "a group holds only subcommands".into(),
                    );
                }
                check_options(c, &format!("{p}.options"), option.get("options"), depth + 1);
            }
            3..=11 => {
                let required = option.get("required").and_then(Value::as_bool).unwrap_or(false);
                if required && seen_optional {
                    c.push(
                        format!("{p}.required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        format!("required option {name:?} comes after an optional one"),
                    );
                }
                seen_optional |= !required;
                let choices = items(option.get("choices"));
                c.max_items(&format!("{p}.choices"), option.get("choices"), 25);
                if !choices.is_empty() && option.get("autocomplete").and_then(Value::as_bool) == Some(true) {
                    c.push(
                        format!("{p}.autocomplete"),
                        "APPLICATION_COMMAND_AUTOCOMPLETE_INVALID",
                        "autocomplete cannot be combined with choices".into(),
                    );
                }
                for (j, choice) in choices.iter().enumerate() {
                    c.required_len(&format!("{p}.choices.{j}.name"), choice.get("name"), 1, 100);
                    c.max_len(&format!("{p}.choices.{j}.value"), choice.get("value"), 100);
                    if let Some(names) = choice.get("name_localizations").and_then(Value::as_object) {
                        let q = format!("{p}.choices.{j}.name_localizations");
                        check_locale_keys(c, &q, names);
                        for (locale, name) in names {
                            c.required_len(&format!("{q}.{locale}"), Some(name), 1, 100);
                        }
                    }
                }
            }
            other => c.push(format!("{p}.type"), "BASE_TYPE_CHOICES", format!("option type {other} does not exist")),
        }
    }
}

/// A field's length as Discord counts it toward a command's size: the longest of the default
/// and its localizations.
fn longest(node: &Value, field: &str) -> usize {
    let localized = node
        .get(format!("{field}_localizations").as_str())
        .and_then(Value::as_object)
        .map(|map| map.values().map(|v| str_len(Some(v))).max().unwrap_or(0))
        .unwrap_or(0);
    str_len(node.get(field)).max(localized)
}

/// A command's size: names, descriptions, choice names and values of the command and everything
/// under it, each at its longest localization.
pub fn command_size(node: &Value) -> usize {
    let mut size = longest(node, "name") + longest(node, "description");
    for choice in items(node.get("choices")) {
        size += longest(choice, "name");
        size += match choice.get("value") {
            Some(Value::String(s)) => len(s),
            Some(other) => other.to_string().len(),
            None => 0,
        };
    }
    for option in items(node.get("options")) {
        size += command_size(option);
    }
    size
}
