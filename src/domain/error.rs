//! Errors a user caused: typed, and worded for the person who has to fix their input.
//!
//! Every message says what was wrong and what to do instead, without a trailing period, so any
//! front end (CLI, Discord, HTTP) can show it as-is.

use super::text::name_key;

/// A mistake in what the user asked for. Nothing is written when one is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// A value could not be parsed or is out of range; `field` names the input (`cost`, `name`...).
    #[error("The {field} `{input}` is not valid: {reason}")]
    Invalid { field: &'static str, input: String, reason: String },

    /// A required value was not given.
    #[error("{0}")]
    Missing(String),

    /// A value that is not one of a fixed set of choices.
    #[error("`{input}` is not a known {what}; choose one of: {}", .choices.join(", "))]
    UnknownChoice { what: &'static str, input: String, choices: Vec<&'static str> },

    /// Two fields that cannot go together, or a field that does not apply.
    #[error("{0}")]
    Conflict(String),

    /// The name is already taken among the workspace's items of that kind.
    /// `kind` comes with its article: "an AI provider".
    #[error("There is already {kind} named `{name}` (#{id}); choose another name or edit that one")]
    Duplicate { kind: String, name: String, id: i64 },

    /// Nothing in this workspace matches what the user referred to.
    #[error("{}", not_found(.what, .query, .suggestions))]
    NotFound { what: &'static str, query: String, suggestions: Vec<String> },

    /// A reference that matches several things; the user must narrow it down.
    #[error("`{query}` matches several items: {}; use the item's id (e.g. #{}) or add --kind", .matches.join(", "), .first_id)]
    Ambiguous { query: String, matches: Vec<String>, first_id: i64 },

    /// The thing changed since the user read it, and the change was asked for against that
    /// reading (an HTTP `If-Match`).
    #[error("{0}")]
    Outdated(String),

    /// A file that cannot be imported (not the format, a row that cannot be read, cut short);
    /// the message says where and what to do.
    #[error("{0}")]
    BadFile(String),

    /// A page after the last one of a list; says how many pages there are.
    #[error("{}", super::page::past_the_end(*.page, *.pages, *.per_page, *.total, *.what))]
    PastTheEnd { page: u32, pages: u32, per_page: u32, total: u64, what: super::page::Noun },
}

impl UserError {
    /// Shorthand for [`UserError::Invalid`].
    pub fn invalid(field: &'static str, input: impl Into<String>, reason: impl Into<String>) -> Self {
        UserError::Invalid { field, input: input.into(), reason: reason.into() }
    }
}

/// The command that lists things of a kind (`item list`; cost records are listed by `cost
/// history`, there is no `cost record list`).
fn list_command(what: &str) -> String {
    match what {
        "cost record" => "cost history".to_string(),
        other => format!("{other} list"),
    }
}

fn not_found(what: &str, query: &str, suggestions: &[String]) -> String {
    let hint = match suggestions {
        [] => format!("; list them with `{}`", list_command(what)),
        [one] => format!("; did you mean `{one}`?"),
        many => format!("; did you mean one of: {}?", many.join(", ")),
    };
    format!("No {what} `{query}` in this workspace{hint}")
}

/// The candidates matching what someone is typing, best first, at most `limit`: exact, then
/// starting with it, then a word starting with it, then containing it, then close misspellings.
/// An empty query lists everything in order. Query and candidates are compared on [`name_key`]
/// (case-folded, compatibility-normalised). Returns the candidates' indexes.
pub fn rank_matches<'a>(query: &str, candidates: impl IntoIterator<Item = &'a str>, limit: usize) -> Vec<usize> {
    let query = name_key(query);
    let mut scored: Vec<(u8, f64, String, usize)> = candidates
        .into_iter()
        .enumerate()
        .filter_map(|(index, candidate)| {
            let lower = name_key(candidate);
            let words = || lower.split(|c: char| !c.is_alphanumeric()).any(|w| w.starts_with(&query));
            let (rank, similarity) = if query.is_empty() || lower == query {
                (0, 0.0)
            } else if lower.starts_with(&query) {
                (1, 0.0)
            } else if words() {
                (2, 0.0)
            } else if lower.contains(&query) {
                (3, 0.0)
            } else {
                let similarity = strsim::jaro_winkler(&query, &lower);
                if similarity < 0.75 {
                    return None;
                }
                (4, -similarity)
            };
            Some((rank, similarity, lower, index))
        })
        .collect();
    // Within a rank: closer spelling, then shorter (closer to what was typed), then by name.
    scored.sort_by(|a, b| {
        a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.len().cmp(&b.2.len())).then_with(|| a.2.cmp(&b.2))
    });
    scored.into_iter().take(limit).map(|(_, _, _, index)| index).collect()
}

/// The names in `candidates` close enough to `query` to be worth suggesting, best first (at most 3).
pub fn close_matches<'a>(query: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let query = name_key(query);
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .filter_map(|candidate| {
            let lower = name_key(candidate);
            let score = if lower.contains(&query) || (query.contains(&lower) && lower.len() >= 3) {
                1.0
            } else {
                strsim::jaro_winkler(&query, &lower)
            };
            (score >= 0.8).then_some((score, candidate))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, name)| name.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_are_ranked_as_people_type() {
        let names = ["OpenAI", "Anthropic", "openai-batch", "Azure OpenAI", "Cloudflare", "Open Router"];
        let ranked = |q: &str| -> Vec<&str> { rank_matches(q, names, 25).into_iter().map(|i| names[i]).collect() };
        assert_eq!(ranked("openai"), ["OpenAI", "openai-batch", "Azure OpenAI"]);
        assert_eq!(ranked("open"), ["OpenAI", "Open Router", "openai-batch", "Azure OpenAI"]);
        assert_eq!(ranked("anthropik"), ["Anthropic"]);
        // Fullwidth and invisible characters in what is typed read as the letters they look like.
        assert_eq!(ranked("ｏｐｅｎａｉ"), ["OpenAI", "openai-batch", "Azure OpenAI"]);
        assert_eq!(ranked("Open\u{200D}AI"), ["OpenAI", "openai-batch", "Azure OpenAI"]);
        assert_eq!(ranked("zzz"), Vec::<&str>::new());
        assert_eq!(ranked("").len(), 6);
        assert_eq!(rank_matches("", names, 2).len(), 2);
    }

    #[track_caller]
    fn check(query: &str, candidates: &[&str], expected: &[&str]) {
        assert_eq!(close_matches(query, candidates.iter().copied()), expected);
    }

    #[test]
    fn suggests_close_names() {
        check("acme.con", &["acme.com", "acme.io", "openai"], &["acme.com", "acme.io"]);
        check("open ai", &["OpenAI", "Anthropic"], &["OpenAI"]);
        check("stripe", &["Stripe payments", "Supabase"], &["Stripe payments"]);
        check("zzz", &["OpenAI", "Anthropic"], &[]);
        check("ＯＰＥＮ ＡＩ", &["OpenAI", "Anthropic"], &["OpenAI"]);
    }

    #[test]
    fn not_found_message_lists_suggestions() {
        let error =
            UserError::NotFound { what: "item", query: "acme.con".into(), suggestions: vec!["acme.com".into()] };
        assert_eq!(error.to_string(), "No item `acme.con` in this workspace; did you mean `acme.com`?");
        let none = |what: &'static str, query: &str| {
            UserError::NotFound { what, query: query.into(), suggestions: vec![] }.to_string()
        };
        assert_eq!(none("item", "x"), "No item `x` in this workspace; list them with `item list`");
        assert_eq!(none("site", "x.dev"), "No site `x.dev` in this workspace; list them with `site list`");
        // There is no `cost record list`: history lists the records.
        assert_eq!(none("cost record", "#1"), "No cost record `#1` in this workspace; list them with `cost history`");
    }
}
