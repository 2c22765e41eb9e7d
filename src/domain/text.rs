//! Validated text typed by users: item names, short labels and free-form notes.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization as _;

use super::error::UserError;

/// Longest item name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest label (provider, registrar, unit, feature...), in characters.
pub const MAX_LABEL_CHARS: usize = 100;
/// Longest note, in characters.
pub const MAX_NOTES_CHARS: usize = 1000;

fn check_text(field: &'static str, input: &str, max: usize, allow_newlines: bool) -> Result<String, UserError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(UserError::invalid(field, input, "it is empty"));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(UserError::invalid(
            field,
            truncate_for_message(text),
            format!("it is {chars} characters long; the limit is {max}"),
        ));
    }
    if let Some(bad) = text.chars().find(|c| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\t'))) {
        return Err(UserError::invalid(
            field,
            text.escape_debug().to_string(),
            format!("it contains the control character {:?}; remove it", bad),
        ));
    }
    if let Some(bad) = text.chars().find(|c| is_invisible_format(*c)) {
        return Err(UserError::invalid(
            field,
            text.escape_debug().to_string(),
            format!("it contains the invisible character U+{:04X}, which can disguise text; remove it", u32::from(bad)),
        ));
    }
    Ok(text.to_string())
}

/// Invisible formatting characters that can make text look like something else: bidirectional
/// overrides and isolates (`moc.live` shown as `evil.com`), zero-width spaces, the BOM, line and
/// paragraph separators. Zero-width joiners (emoji, Indic and Arabic scripts) stay allowed.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn truncate_for_message(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    short.push('…');
    short
}

/// An item's name: 1-100 characters, trimmed, no control characters. Unique per workspace and kind,
/// compared case-insensitively through [`ItemName::key`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ItemName(String);

impl ItemName {
    pub fn parse(input: &str) -> Result<ItemName, UserError> {
        check_text("name", input, MAX_NAME_CHARS, false).map(ItemName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is checked on: Unicode-normalised (NFC, so `café` typed either way is
    /// one name) and lower-cased.
    pub fn key(&self) -> String {
        self.0.nfc().collect::<String>().to_lowercase()
    }
}

impl<'de> Deserialize<'de> for ItemName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ItemName::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for ItemName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ItemName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl std::str::FromStr for ItemName {
    type Err = UserError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ItemName::parse(s)
    }
}

/// A short single-line text such as a provider, registrar, unit or feature: 1-100 characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Label(String);

impl Label {
    pub fn parse(field: &'static str, input: &str) -> Result<Label, UserError> {
        check_text(field, input, MAX_LABEL_CHARS, false).map(Label)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Label::parse("label", &String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// Free-form notes: up to 1000 characters; line breaks and tabs allowed.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Notes(String);

impl Notes {
    pub fn parse(input: &str) -> Result<Notes, UserError> {
        check_text("notes", input, MAX_NOTES_CHARS, true).map(Notes)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Notes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Notes::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Notes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Notes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_name(input: &str, expected: Result<&str, &str>) {
        match (ItemName::parse(input), expected) {
            (Ok(name), Ok(want)) => assert_eq!(name.as_str(), want),
            (Err(error), Err(fragment)) => {
                assert!(error.to_string().contains(fragment), "{input:?}: {error}")
            }
            (actual, expected) => panic!("{input:?}: got {actual:?}, want {expected:?}"),
        }
    }

    #[test]
    fn names() {
        check_name("acme.com", Ok("acme.com"));
        check_name("  OpenAI  ", Ok("OpenAI"));
        check_name("ร้านค้า.th", Ok("ร้านค้า.th"));
        check_name("@everyone", Ok("@everyone")); // allowed; rendering must never ping
        check_name(&"a".repeat(100), Ok(&"a".repeat(100)));
        check_name("", Err("it is empty"));
        check_name("   ", Err("it is empty"));
        check_name(&"a".repeat(101), Err("101 characters long; the limit is 100"));
        check_name("bad\u{0007}name", Err("control character"));
        check_name("two\nlines", Err("control character"));
        check_name("evil\u{202E}moc.com", Err("invisible character U+202E"));
        check_name("zero\u{200B}width", Err("invisible character U+200B"));
        check_name("mark\u{061C}", Err("invisible character U+061C"));
        check_name("👩\u{200D}💻 team", Ok("👩\u{200D}💻 team")); // a joiner inside an emoji is fine
    }

    #[test]
    fn name_keys_fold_case() {
        assert_eq!(ItemName::parse("Acme.COM").unwrap().key(), "acme.com");
        assert_eq!(ItemName::parse("ÄBC").unwrap().key(), "äbc");
        // Composed and decomposed accents are the same name.
        assert_eq!(ItemName::parse("caf\u{e9}").unwrap().key(), ItemName::parse("cafe\u{301}").unwrap().key());
    }

    #[test]
    fn notes_allow_line_breaks() {
        assert!(Notes::parse("line one\nline two").is_ok());
        assert!(Notes::parse("bell\u{0007}").is_err());
        assert!(Notes::parse(&"x".repeat(1001)).is_err());
    }
}
