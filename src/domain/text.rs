//! Validated text typed by users: item names, short labels and free-form notes.
//!
//! Names and labels must be told apart by looking at them, so they refuse characters that cannot
//! be seen (Unicode's Default_Ignorable_Code_Point, such as U+200D ZERO WIDTH JOINER, and other
//! format characters), characters that look like a space but are not one, and a combining mark
//! with no letter before it. Names are compared on [`name_key`], which folds look-alikes together
//! (`Target`, `TARGET` and fullwidth `Ｔａｒｇｅｔ` are one name). The Unicode data comes from
//! ICU4X (`icu_properties`, `icu_normalizer`, `icu_casemap`), not from hand-written tables.

use std::fmt;

use icu_casemap::CaseMapper;
use icu_normalizer::ComposingNormalizer;
use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory, GeneralCategoryGroup, WhiteSpace};
use icu_properties::{CodePointMapData, CodePointSetData};
use serde::{Deserialize, Serialize};

use super::error::UserError;

/// Longest item name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest label (provider, registrar, unit, feature...), in characters.
pub const MAX_LABEL_CHARS: usize = 100;
/// Longest note, in characters.
pub const MAX_NOTES_CHARS: usize = 1000;

/// Which characters a kind of text accepts.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Rules {
    /// Names and labels: one line; nothing invisible, no blank look-alikes, no leading mark.
    Line,
    /// Notes: line breaks and tabs, any kind of space, and the joiners and variation selectors
    /// that emoji (👩‍💻) and some scripts need; other invisible characters are refused.
    Notes,
}

/// Why a character is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Refusal {
    /// Cannot be seen at all, e.g. U+200D ZERO WIDTH JOINER or a tag character.
    Invisible,
    /// Shows as blank but is not an ordinary space, e.g. U+3164 HANGUL FILLER or U+00A0.
    Blank,
}

/// Why `c` is refused under `rules`, if it is.
fn refusal(c: char, rules: Rules) -> Option<Refusal> {
    if looks_blank(c) {
        return match rules {
            // Hangul fillers and the braille blank make a note look empty too; real spaces do not.
            Rules::Notes if WHITE_SPACE.contains(c) => None,
            _ => Some(Refusal::Blank),
        };
    }
    let invisible = DEFAULT_IGNORABLE.contains(c) || GENERAL_CATEGORY.get(c) == GeneralCategory::Format;
    let shapes_text = matches!(c,
        '\u{200C}' | '\u{200D}' | '\u{180B}'..='\u{180D}' | '\u{180F}' | '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}');
    match rules {
        Rules::Notes if shapes_text => None,
        _ => invisible.then_some(Refusal::Invisible),
    }
}

/// Characters that show as blank but are not the ordinary space: White_Space other than U+0020
/// (no-break, en, em, ideographic spaces...), the Hangul fillers and U+2800 BRAILLE PATTERN BLANK.
fn looks_blank(c: char) -> bool {
    (c != ' ' && WHITE_SPACE.contains(c)) || matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}')
}

const DEFAULT_IGNORABLE: icu_properties::CodePointSetDataBorrowed<'static> =
    CodePointSetData::new::<DefaultIgnorableCodePoint>();
const WHITE_SPACE: icu_properties::CodePointSetDataBorrowed<'static> = CodePointSetData::new::<WhiteSpace>();
const GENERAL_CATEGORY: icu_properties::CodePointMapDataBorrowed<'static, GeneralCategory> =
    CodePointMapData::<GeneralCategory>::new();

/// `U+200D ZERO WIDTH JOINER`: a character as the Unicode standard names it.
fn describe(c: char) -> String {
    match unicode_names2::name(c) {
        Some(name) => format!("U+{:04X} {name}", u32::from(c)),
        None => format!("U+{:04X}", u32::from(c)),
    }
}

/// Trims `input` and checks what every stored text has always had to be: not empty, at most
/// `max` characters, no control characters (but line breaks and tabs in notes).
fn check_basic(field: &'static str, input: &str, max: usize, rules: Rules) -> Result<String, UserError> {
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
    let allowed = |c: char| rules == Rules::Notes && matches!(c, '\n' | '\t');
    if let Some(bad) = text.chars().find(|c| c.is_control() && !allowed(*c)) {
        return Err(UserError::invalid(
            field,
            escaped(text),
            format!("it contains the control character {:?}; remove it", bad),
        ));
    }
    Ok(text.to_string())
}

/// What breaks `rules` in `text` (already through [`check_basic`]): the problem, naming the
/// character and its position (counting characters from 1), and what to do when typing it.
fn problem(text: &str, rules: Rules) -> Option<(String, &'static str)> {
    // Whether a combining mark here would sit on a letter, digit or symbol (through any marks
    // already on it), rather than on nothing, a space or punctuation.
    let mut carries_marks = false;
    for (index, c) in text.chars().enumerate() {
        let position = index + 1;
        match refusal(c, rules) {
            Some(Refusal::Invisible) => {
                return Some((
                    format!(
                        "it contains an invisible character ({}) at position {position}, which makes it look like other text",
                        describe(c)
                    ),
                    "retype it without it",
                ));
            }
            Some(Refusal::Blank) => {
                return Some((
                    format!(
                        "it contains a character that looks like a space but is not one ({}) at position {position}",
                        describe(c)
                    ),
                    "type an ordinary space or nothing there",
                ));
            }
            None => {}
        }
        if rules == Rules::Notes {
            continue;
        }
        let category = GENERAL_CATEGORY.get(c);
        match category {
            GeneralCategory::Unassigned => {
                return Some((
                    format!(
                        "it contains {}, which Unicode has not assigned to any character (it shows as a box or \
                         not at all, and may mean something else later), at position {position}",
                        describe(c)
                    ),
                    "remove it",
                ));
            }
            GeneralCategory::PrivateUse => {
                return Some((
                    format!(
                        "it contains a private-use character ({}) at position {position}, which each font draws its own way or not at all",
                        describe(c)
                    ),
                    "remove it",
                ));
            }
            _ => {}
        }
        if GeneralCategoryGroup::Mark.contains(category) {
            if !carries_marks {
                let what = if index == 0 {
                    format!("it starts with a combining mark ({}) that has no letter to sit on", describe(c))
                } else {
                    format!(
                        "it has a combining mark ({}) at position {position} that sits on no letter, digit or symbol (it follows {})",
                        describe(c),
                        describe(text.chars().nth(index - 1).unwrap_or(' '))
                    )
                };
                return Some((what, "put it right after the letter, digit or symbol it belongs to, or remove it"));
            }
        } else {
            carries_marks = GeneralCategoryGroup::Letter.contains(category)
                || GeneralCategoryGroup::Number.contains(category)
                || GeneralCategoryGroup::Symbol.contains(category);
        }
    }
    None
}

/// [`check_basic`], then the characters `rules` refuse.
fn check_text(field: &'static str, input: &str, max: usize, rules: Rules) -> Result<String, UserError> {
    let text = check_basic(field, input, max, rules)?;
    match problem(&text, rules) {
        Some((what, fix)) => Err(UserError::invalid(field, escaped(&text), format!("{what}; {fix}"))),
        None => Ok(text),
    }
}

/// `text` as messages quote it, so what cannot be seen can be: every character a name may not
/// hold (invisible, blank look-alike, unassigned, private-use, control, a combining mark on
/// nothing) written as a Rust escape (`Tar\u{200D}get`), line breaks and tabs as `\n` and `\t`,
/// and backslashes doubled; everything else as it is.
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut carries_marks = false;
    for c in text.chars() {
        let category = GENERAL_CATEGORY.get(c);
        let mark = GeneralCategoryGroup::Mark.contains(category);
        let hidden = c.is_control()
            || refusal(c, Rules::Line).is_some()
            || matches!(category, GeneralCategory::Unassigned | GeneralCategory::PrivateUse)
            || (mark && !carries_marks);
        if !mark || hidden {
            carries_marks = !hidden
                && (GeneralCategoryGroup::Letter.contains(category)
                    || GeneralCategoryGroup::Number.contains(category)
                    || GeneralCategoryGroup::Symbol.contains(category));
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if hidden => out.push_str(&format!("\\u{{{:04X}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out
}

/// Why `text`, a name or label as stored (see [`ItemName::from_stored`]), would be refused if it
/// were typed today: the problem with its character and position, without advice on retyping, for
/// callers that give their own (a backup says where to fix it). `None` when it passes.
pub fn typed_rules_problem(text: &str) -> Option<String> {
    problem(text, Rules::Line).map(|(what, _)| what)
}

/// [`typed_rules_problem`] for notes, under the notes' own rules.
pub fn notes_rules_problem(text: &str) -> Option<String> {
    problem(text, Rules::Notes).map(|(what, _)| what)
}

/// The form names are compared in, for uniqueness and lookups: compatibility-normalised (NFKC, so
/// fullwidth `Ｔａｒｇｅｔ` and the `ﬁ` ligature read as `Target` and `fi`), case-folded (full Unicode
/// folding: `STRASSE` and `straße` match), without default-ignorable characters (so
/// `Tar\u{200D}get` reads as `target`), with runs of white space made one space.
pub fn name_key(text: &str) -> String {
    const NFKC: icu_normalizer::ComposingNormalizerBorrowed<'static> = ComposingNormalizer::new_nfkc();
    const CASE: icu_casemap::CaseMapperBorrowed<'static> = CaseMapper::new();
    let visible = |s: &str| s.chars().filter(|c| !DEFAULT_IGNORABLE.contains(*c)).collect::<String>();
    // Ignorables go first so they cannot keep a letter and its accent apart, and again at the end
    // because normalising can produce some (U+FFA0 becomes U+3164).
    let folded = NFKC.normalize(&CASE.fold_string(&NFKC.normalize(&visible(text)))).into_owned();
    visible(&folded).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn truncate_for_message(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    short.push('…');
    short
}

/// An item's name: 1-100 characters, trimmed, no control or invisible characters, no blank
/// look-alikes, not starting with a combining mark. Unique per workspace and kind, compared through
/// [`ItemName::key`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct ItemName(String);

impl ItemName {
    pub fn parse(input: &str) -> Result<ItemName, UserError> {
        check_text("name", input, MAX_NAME_CHARS, Rules::Line).map(ItemName)
    }

    /// A name read back from the database, as it was saved. Names saved before a character rule
    /// was added stay readable (and keep working) until someone renames the item; only the rules
    /// names have always had are checked, so a damaged row is still noticed.
    pub fn from_stored(text: &str) -> Result<ItemName, UserError> {
        check_basic("name", text, MAX_NAME_CHARS, Rules::Line).map(ItemName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness and lookups use: see [`name_key`].
    pub fn key(&self) -> String {
        name_key(&self.0)
    }
}

/// Deserialising reads stored values (e.g. item details kept as JSON), so it is as lenient as
/// `from_stored`; typed input goes through `parse`.
impl<'de> Deserialize<'de> for ItemName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ItemName::from_stored(&String::deserialize(d)?).map_err(serde::de::Error::custom)
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

/// A short single-line text such as a provider, registrar, unit or feature: 1-100 characters,
/// with the same character rules as [`ItemName`].
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Label(String);

impl Label {
    pub fn parse(field: &'static str, input: &str) -> Result<Label, UserError> {
        check_text(field, input, MAX_LABEL_CHARS, Rules::Line).map(Label)
    }

    /// A label read back from the database, as it was saved (see [`ItemName::from_stored`]).
    pub fn from_stored(field: &'static str, text: &str) -> Result<Label, UserError> {
        check_basic(field, text, MAX_LABEL_CHARS, Rules::Line).map(Label)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Deserialising reads stored values (e.g. item details kept as JSON), so it is as lenient as
/// `from_stored`; typed input goes through `parse`.
impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Label::from_stored("label", &String::deserialize(d)?).map_err(serde::de::Error::custom)
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

/// Free-form notes: up to 1000 characters; line breaks, tabs and any kind of space allowed, and the
/// zero-width joiners and variation selectors emoji need; other invisible characters are refused.
#[derive(Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct Notes(String);

impl Notes {
    pub fn parse(input: &str) -> Result<Notes, UserError> {
        check_text("notes", input, MAX_NOTES_CHARS, Rules::Notes).map(Notes)
    }

    /// Notes read back from the database, as they were saved (see [`ItemName::from_stored`]).
    pub fn from_stored(text: &str) -> Result<Notes, UserError> {
        check_basic("notes", text, MAX_NOTES_CHARS, Rules::Notes).map(Notes)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Deserialising reads stored values (e.g. item details kept as JSON), so it is as lenient as
/// `from_stored`; typed input goes through `parse`.
impl<'de> Deserialize<'de> for Notes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Notes::from_stored(&String::deserialize(d)?).map_err(serde::de::Error::custom)
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
        check_name("Cloud Run workers", Ok("Cloud Run workers"));
        check_name("ร้านค้า.th", Ok("ร้านค้า.th"));
        check_name("@everyone", Ok("@everyone")); // allowed; rendering must never ping
        check_name(&"a".repeat(100), Ok(&"a".repeat(100)));
        check_name("", Err("it is empty"));
        check_name("   ", Err("it is empty"));
        check_name(&"a".repeat(101), Err("101 characters long; the limit is 100"));
        check_name("bad\u{0007}name", Err("control character"));
        check_name("two\nlines", Err("control character"));
        check_name("evil\u{202E}moc.com", Err("invisible character (U+202E RIGHT-TO-LEFT OVERRIDE) at position 5"));
        check_name("zero\u{200B}width", Err("invisible character (U+200B ZERO WIDTH SPACE) at position 5"));
        check_name("mark\u{061C}", Err("invisible character (U+061C ARABIC LETTER MARK) at position 5"));
        // The joiner inside an emoji sequence is refused too: names must be told apart by eye.
        check_name("👩\u{200D}💻 team", Err("invisible character (U+200D ZERO WIDTH JOINER) at position 2"));
        check_name("👩💻 team", Ok("👩💻 team"));
        check_name("Cloud\u{00A0}Run", Err("looks like a space but is not one (U+00A0 NO-BREAK SPACE) at position 6"));
        check_name("\u{3164}", Err("(U+3164 HANGUL FILLER) at position 1"));
        check_name("\u{2800}", Err("(U+2800 BRAILLE PATTERN BLANK) at position 1"));
        check_name("interlinear\u{FFF9}", Err("invisible character (U+FFF9 INTERLINEAR ANNOTATION ANCHOR)"));
    }

    #[test]
    fn the_refusal_says_which_character_and_where() {
        assert_eq!(
            ItemName::parse("Tar\u{200D}get").unwrap_err().to_string(),
            "The name `Tar\\u{200D}get` is not valid: it contains an invisible character (U+200D ZERO WIDTH JOINER) \
             at position 4, which makes it look like other text; retype it without it"
        );
        assert_eq!(
            Label::parse("provider", "\u{0301}").unwrap_err().to_string(),
            "The provider `\\u{0301}` is not valid: it starts with a combining mark (U+0301 COMBINING ACUTE ACCENT) \
             that has no letter to sit on; put it right after the letter, digit or symbol it belongs to, or remove it"
        );
    }

    /// The name in a refusal shows what cannot be seen as an escape, so the reader sees where it
    /// is; what can be seen stays as typed.
    #[test]
    fn refusals_show_hidden_characters_escaped() {
        #[track_caller]
        fn check(input: &str, shown: &str) {
            let error = ItemName::parse(input).unwrap_err().to_string();
            assert!(error.starts_with(&format!("The name `{shown}` is not valid: ")), "{input:?}: {error}");
        }
        check("Tar\u{3164}get", "Tar\\u{3164}get");
        check("Tar\u{034F}get", "Tar\\u{034F}get");
        check("❤\u{FE0F} team", "❤\\u{FE0F} team");
        check("Cloud\u{00A0}Run", "Cloud\\u{00A0}Run");
        check("a \u{0301}b", "a \\u{0301}b");
        check("x\u{E000}", "x\\u{E000}");
        check("tab\there", "tab\\there");
        check("bell\u{7}", "bell\\u{0007}");
        // Marks on letters, other scripts and backslashes are shown as they are.
        check("ค่าไฟ\u{200B}", "ค่าไฟ\\u{200B}");
        check("C:\\dir\u{200B}", "C:\\\\dir\\u{200B}");
        assert_eq!(escaped("café ค่าไฟ 👩💻"), "café ค่าไฟ 👩💻");
    }

    /// A combining mark must sit on a letter, digit or symbol (through other marks on it): not on
    /// nothing, a space or punctuation, where it shows on a blank or on the quotes around the name.
    #[test]
    fn marks_must_sit_on_a_letter_digit_or_symbol() {
        check_name(
            "a \u{0301}b",
            Err(
                "a combining mark (U+0301 COMBINING ACUTE ACCENT) at position 3 that sits on no letter, digit or symbol (it follows U+0020 SPACE)",
            ),
        );
        check_name("a.\u{0301}", Err("at position 3 that sits on no letter"));
        check_name("x-\u{0E48}", Err("(U+0E48 THAI CHARACTER MAI EK) at position 3"));
        check_name("e\u{0301}\u{0302}", Ok("e\u{0301}\u{0302}"));
        check_name("1\u{20E3}", Ok("1\u{20E3}"));
        check_name("\u{2192}\u{0338}", Ok("\u{2192}\u{0338}"));
        check_name("ค่าไฟ ค่าน้ำ", Ok("ค่าไฟ ค่าน้ำ"));
        assert!(Label::parse("unit", "G \u{0301}B").is_err());
        // Notes keep their own rules.
        assert!(Notes::parse("a \u{0301}b").is_ok());
    }

    /// Code points with no character (unassigned, noncharacters) and private-use ones, which each
    /// font draws its own way, cannot be told apart by eye: refused in names and labels.
    #[test]
    fn unassigned_and_private_use_characters_are_refused() {
        for c in ['\u{0378}', '\u{1CBB}', '\u{FFFE}', '\u{10FFFF}'] {
            let code = format!("U+{:04X}", u32::from(c));
            check_name(&format!("ab{c}"), Err(&format!("it contains {code}, which Unicode has not assigned")));
            assert!(Label::parse("unit", &format!("ab{c}")).is_err(), "{code}");
        }
        for c in ['\u{E000}', '\u{F8FF}', '\u{F0000}', '\u{10FFFD}'] {
            let code = format!("U+{:04X}", u32::from(c));
            check_name(&format!("ab{c}"), Err(&format!("a private-use character ({code}) at position 3")));
        }
        check_name(
            "x\u{1CBB}",
            Err("The name `x\\u{1CBB}` is not valid: it contains U+1CBB, which Unicode has not assigned to any \
                 character (it shows as a box or not at all, and may mean something else later), at position 2; \
                 remove it"),
        );
        assert!(Notes::parse("ab\u{E000}").is_ok());
    }

    /// Every character the issue lists, every Default_Ignorable_Code_Point (DerivedCoreProperties
    /// of Unicode 17, typed out here rather than taken from the library under test), every
    /// White_Space character other than the space and the controls, and the other blank
    /// look-alikes: each is refused inside a name and a label, at the position it is at.
    #[test]
    fn every_invisible_or_blank_character_is_refused() {
        const LISTED: &[char] = &[
            '\u{200D}',
            '\u{200C}',
            '\u{034F}',
            '\u{3164}',
            '\u{115F}',
            '\u{FFA0}',
            '\u{2800}',
            '\u{180E}',
            '\u{1D173}',
        ];
        const DEFAULT_IGNORABLE_RANGES: &[(u32, u32)] = &[
            (0x00AD, 0x00AD),
            (0x034F, 0x034F),
            (0x061C, 0x061C),
            (0x115F, 0x1160),
            (0x17B4, 0x17B5),
            (0x180B, 0x180F),
            (0x200B, 0x200F),
            (0x202A, 0x202E),
            (0x2060, 0x206F),
            (0x3164, 0x3164),
            (0xFE00, 0xFE0F),
            (0xFEFF, 0xFEFF),
            (0xFFA0, 0xFFA0),
            (0xFFF0, 0xFFF8),
            (0x1BCA0, 0x1BCA3),
            (0x1D173, 0x1D17A),
            (0xE0000, 0xE0FFF), // tags (E0000-E007F), variation selectors 17-256, reserved
        ];
        const BLANK: &[(u32, u32)] = &[
            (0x00A0, 0x00A0),
            (0x1680, 0x1680),
            (0x2000, 0x200A),
            (0x2028, 0x2029),
            (0x202F, 0x202F),
            (0x205F, 0x205F),
            (0x3000, 0x3000),
            (0x2800, 0x2800),
        ];
        let chars = |ranges: &'static [(u32, u32)]| {
            ranges.iter().flat_map(|&(from, to)| (from..=to).map(|c| char::from_u32(c).unwrap()))
        };
        let mut checked = 0;
        for c in LISTED.iter().copied().chain(chars(DEFAULT_IGNORABLE_RANGES)).chain(chars(BLANK)) {
            let code = format!("U+{:04X}", u32::from(c));
            for result in [
                ItemName::parse(&format!("Tar{c}get")).map(|_| ()),
                Label::parse("unit", &format!("Tar{c}get")).map(|_| ()),
            ] {
                let error = result.expect_err(&code).to_string();
                assert!(error.contains(&format!("({code}")) && error.contains("at position 4"), "{code}: {error}");
            }
            checked += 1;
        }
        assert_eq!(checked, 9 + 4174 + 19);
        // The table is the whole property: nothing the Unicode data calls default-ignorable is missing.
        let in_table = |c: u32| DEFAULT_IGNORABLE_RANGES.iter().any(|&(from, to)| (from..=to).contains(&c));
        let missing: Vec<String> = (0..=0x10FFFF)
            .filter_map(char::from_u32)
            .filter(|c| DEFAULT_IGNORABLE.contains(*c) != in_table(u32::from(*c)))
            .map(|c| format!("U+{:04X}", u32::from(c)))
            .collect();
        assert_eq!(missing, Vec::<String>::new());
    }

    #[test]
    fn only_combining_marks_is_not_a_name() {
        check_name("\u{0301}", Err("starts with a combining mark (U+0301 COMBINING ACUTE ACCENT)"));
        check_name(" \u{0301}\u{0302} ", Err("starts with a combining mark (U+0301"));
        check_name("\u{0E48}ไฟ", Err("starts with a combining mark (U+0E48 THAI CHARACTER MAI EK)"));
        // Marks on a letter are text: Thai vowels and tone marks, Devanagari, accents typed apart.
        check_name("ค่าไฟ", Ok("ค่าไฟ"));
        check_name("ค่าเช่าเซิร์ฟเวอร์", Ok("ค่าเช่าเซิร์ฟเวอร์"));
        check_name("อินเทอร์เน็ต", Ok("อินเทอร์เน็ต"));
        check_name("सर्वर", Ok("सर्वर"));
        check_name("cafe\u{0301}", Ok("cafe\u{0301}"));
    }

    #[test]
    fn labels_follow_the_name_rules() {
        assert_eq!(Label::parse("provider", " Google Cloud ").unwrap().as_str(), "Google Cloud");
        assert_eq!(Label::parse("unit", "1M tokens").unwrap().as_str(), "1M tokens");
        assert!(Label::parse("registrar", "Name\u{200B}cheap").unwrap_err().to_string().contains("U+200B"));
        assert!(Label::parse("unit", "G\u{3000}B").unwrap_err().to_string().contains("U+3000"));
    }

    #[track_caller]
    fn check_key(a: &str, b: &str) {
        assert_eq!(name_key(a), name_key(b), "{a:?} and {b:?} should be one name");
    }

    #[test]
    fn look_alike_names_share_a_key() {
        check_key("Target", "TARGET");
        check_key("Target", "Ｔａｒｇｅｔ");
        check_key("Target", "ＴＡＲＧＥＴ");
        check_key("Target", "Tar\u{200D}get");
        check_key("Target", "T\u{E0041}arget");
        check_key("straße", "STRASSE");
        check_key("ﬁle", "FILE");
        check_key("caf\u{e9}", "cafe\u{301}");
        check_key("caf\u{e9}", "cafe\u{34F}\u{301}");
        check_key("Cloud Run", "cloud   run");
        check_key("Cloud Run", "Cloud\u{3000}Run");
        check_key("ΣΟΦΟΣ", "σοφος");
        assert_eq!(name_key("Acme.COM"), "acme.com");
        assert_eq!(name_key("ＴＡＲＧＥＴ"), "target");
        assert_ne!(name_key("Target"), name_key("Targets"));
        assert_ne!(name_key("ค่าไฟ"), name_key("คาไฟ"), "Thai tone marks are part of the name");
    }

    #[test]
    fn stored_text_is_read_as_it_was_saved() {
        // Saved before the character rules: still readable, still found by its key.
        let old = ItemName::from_stored("Tar\u{200D}get").unwrap();
        assert_eq!(old.key(), "target");
        assert!(Label::from_stored("label", "👩\u{200D}💻").is_ok());
        // What was never allowed still marks the row as damaged.
        assert!(ItemName::from_stored("").is_err());
        assert!(ItemName::from_stored("bell\u{0007}").is_err());
        let stored: Label = serde_json::from_str("\"Name\\u200Dcheap\"").unwrap();
        assert_eq!(stored.as_str(), "Name\u{200D}cheap");
    }

    #[test]
    fn notes_allow_line_breaks_spaces_and_emoji() {
        assert!(Notes::parse("line one\nline two").is_ok());
        assert!(Notes::parse("paid by 👩\u{200D}💻 ❤\u{FE0F}").is_ok());
        assert!(Notes::parse("100\u{00A0}GB").is_ok());
        assert!(Notes::parse("bell\u{0007}").is_err());
        assert!(Notes::parse(&"x".repeat(1001)).is_err());
        assert!(Notes::parse("evil\u{202E}txt").unwrap_err().to_string().contains("U+202E"));
        assert!(
            Notes::parse("hidden\u{E0041}").unwrap_err().to_string().contains("U+E0041 TAG LATIN CAPITAL LETTER A")
        );
        assert!(Notes::parse("\u{3164}").unwrap_err().to_string().contains("U+3164"));
    }
}
