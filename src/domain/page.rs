//! Pages of long lists: which page someone asked for (checked once, here, for every list and
//! front end) and where it falls among the rows there are.
//!
//! Pages count from 1. A list with no rows has one, empty, page: asking for it is not an error.

use rust_decimal::Decimal;
use serde::Serialize;

use super::UserError;
use super::money::format_quantity;

/// What a list holds, in the singular and the plural, for messages about its pages.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Noun {
    pub one: &'static str,
    pub many: &'static str,
}

impl Noun {
    pub const ITEMS: Noun = Noun { one: "item", many: "items" };
    pub const COST_RECORDS: Noun = Noun { one: "cost record", many: "cost records" };
    pub const RENEWALS: Noun = Noun { one: "renewal", many: "renewals" };
    pub const AUDIT_ENTRIES: Noun = Noun { one: "audit entry", many: "audit entries" };

    /// `count` with the word that agrees: `1 item`, `1,987 items`.
    pub fn count(self, count: u64) -> String {
        format!("{} {}", format_quantity(Decimal::from(count)), if count == 1 { self.one } else { self.many })
    }
}

/// A page asked for: its number (or the last page, whichever that turns out to be) and how many
/// rows a page holds. Cannot hold a page below 1 or a size outside 1..=[`PageRequest::MAX_SIZE`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PageRequest {
    /// `None`: the last page.
    number: Option<u32>,
    size: u32,
}

impl Default for PageRequest {
    /// The first page of [`PageRequest::DEFAULT_SIZE`] rows.
    fn default() -> Self {
        PageRequest { number: Some(1), size: Self::DEFAULT_SIZE }
    }
}

impl PageRequest {
    /// The most rows one page may hold.
    pub const MAX_SIZE: u32 = 1000;
    /// Rows a page holds unless told otherwise.
    pub const DEFAULT_SIZE: u32 = 50;

    /// Page `number` (from 1) of `size` rows.
    pub fn new(number: u32, size: u32) -> Result<PageRequest, UserError> {
        if number == 0 {
            return Err(bad_page(&number.to_string()));
        }
        Ok(PageRequest { number: Some(number), size: check_size(&size.to_string(), size)? })
    }

    /// The first page of `size` rows.
    pub fn first(size: u32) -> Result<PageRequest, UserError> {
        PageRequest::new(1, size)
    }

    /// The last page of `size` rows (the first when there are no rows).
    pub fn last(size: u32) -> Result<PageRequest, UserError> {
        Ok(PageRequest { number: None, size: check_size(&size.to_string(), size)? })
    }

    /// The page `number` names (see [`parse_page`]) of `size` rows.
    pub fn with_number(number: PageNumber, size: u32) -> Result<PageRequest, UserError> {
        match number {
            PageNumber::Nth(n) => PageRequest::new(n, size),
            PageNumber::Last => PageRequest::last(size),
        }
    }

    pub fn size(self) -> u32 {
        self.size
    }

    /// Where this page falls among `total` rows of `what`; a page after the last is refused,
    /// saying how many pages there are.
    pub fn locate(self, total: u64, what: Noun) -> Result<PageInfo, UserError> {
        let pages = u32::try_from(total.div_ceil(u64::from(self.size)).max(1)).unwrap_or(u32::MAX);
        let page = self.number.unwrap_or(pages);
        if page > pages {
            return Err(UserError::PastTheEnd { page, pages, per_page: self.size, total, what });
        }
        Ok(PageInfo { page, pages, per_page: self.size, total })
    }

    /// This page of `rows` (all the rows of a list, in its order), with where it falls.
    pub fn take<T>(self, rows: Vec<T>, what: Noun) -> Result<(Vec<T>, PageInfo), UserError> {
        let info = self.locate(rows.len() as u64, what)?;
        let start = usize::try_from(info.offset()).unwrap_or(usize::MAX).min(rows.len());
        let shown = rows.into_iter().skip(start).take(info.per_page as usize).collect();
        Ok((shown, info))
    }
}

/// A page number as typed: a whole number from 1, or `last`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PageNumber {
    Nth(u32),
    Last,
}

/// Reads a page number: `1`, `2`... or `last`. A number too large to hold is kept as the largest,
/// which then is past the end like any page after the last.
pub fn parse_page(input: &str) -> Result<PageNumber, UserError> {
    let text = input.trim();
    if text.eq_ignore_ascii_case("last") {
        return Ok(PageNumber::Last);
    }
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_page(input));
    }
    match text.parse::<u32>() {
        Ok(0) => Err(bad_page(input)),
        Ok(n) => Ok(PageNumber::Nth(n)),
        Err(_) => Ok(PageNumber::Nth(u32::MAX)),
    }
}

/// Reads a page size (`--limit`): a whole number from 1 to [`PageRequest::MAX_SIZE`].
pub fn parse_size(input: &str) -> Result<u32, UserError> {
    let text = input.trim();
    let size = if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<u32>().unwrap_or(u32::MAX)
    } else {
        return Err(bad_size(input));
    };
    check_size(input, size)
}

fn check_size(input: &str, size: u32) -> Result<u32, UserError> {
    if (1..=PageRequest::MAX_SIZE).contains(&size) { Ok(size) } else { Err(bad_size(input)) }
}

fn bad_page(input: &str) -> UserError {
    UserError::invalid("page", input, "give a whole number from 1, or `last` for the last page")
}

fn bad_size(input: &str) -> UserError {
    UserError::invalid(
        "limit",
        input,
        format!("give how many to show on a page, a whole number from 1 to {}", PageRequest::MAX_SIZE),
    )
}

/// Where a page falls: what every paged list carries (`--json` shows it as `paging`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, utoipa::ToSchema)]
pub struct PageInfo {
    /// This page's number, from 1.
    pub page: u32,
    /// How many pages there are (1 when the list is empty).
    pub pages: u32,
    /// Rows a page holds (the last may hold fewer).
    pub per_page: u32,
    /// Rows on every page together.
    pub total: u64,
}

impl PageInfo {
    /// Rows before this page.
    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.per_page)
    }

    /// Rows on this page.
    pub fn rows(&self) -> u64 {
        self.total.saturating_sub(self.offset()).min(u64::from(self.per_page))
    }

    pub fn previous(&self) -> Option<u32> {
        (self.page > 1).then(|| self.page - 1)
    }

    pub fn next(&self) -> Option<u32> {
        (self.page < self.pages).then(|| self.page + 1)
    }
}

/// The message for [`UserError::PastTheEnd`].
pub(super) fn past_the_end(page: u32, pages: u32, per_page: u32, total: u64, what: Noun) -> String {
    let held = match (total, pages) {
        (0, _) => format!("there are no {}", what.many),
        (1, _) => format!("the 1 {} fits on one page; ask for page 1", what.one),
        (_, 1) => format!("the {} fit on one page; ask for page 1", what.count(total)),
        _ => format!("the {} fill {pages} pages of {per_page}; ask for a page from 1 to {pages}", what.count(total)),
    };
    format!("Page {page} is past the end: {held}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Page `number` (0: the last) of `size` among `total` rows -> (page, pages, offset, rows), or
    /// the message.
    #[track_caller]
    fn check(number: u32, size: u32, total: u64, expected: Result<(u32, u32, u64, u64), &str>) {
        let request = if number == 0 { PageRequest::last(size) } else { PageRequest::new(number, size) }
            .map_err(|e| e.to_string());
        let got = request
            .and_then(|r| r.locate(total, Noun::ITEMS).map_err(|e| e.to_string()))
            .map(|info| (info.page, info.pages, info.offset(), info.rows()));
        assert_eq!(got, expected.map_err(str::to_string));
    }

    #[test]
    fn pages_fall_where_expected() {
        check(1, 25, 61, Ok((1, 3, 0, 25)));
        check(2, 25, 61, Ok((2, 3, 25, 25)));
        check(3, 25, 61, Ok((3, 3, 50, 11)));
        check(0, 25, 61, Ok((3, 3, 50, 11)));
        check(1, 25, 50, Ok((1, 2, 0, 25)));
        check(2, 25, 50, Ok((2, 2, 25, 25)));
        check(1, 1, 1, Ok((1, 1, 0, 1)));
        check(1, 1000, 1_000_000, Ok((1, 1000, 0, 1000)));
        // Nothing to list: one empty page, first or last.
        check(1, 50, 0, Ok((1, 1, 0, 0)));
        check(0, 50, 0, Ok((1, 1, 0, 0)));
    }

    #[test]
    fn a_page_after_the_last_says_how_many_there_are() {
        check(7, 25, 61, Err("Page 7 is past the end: the 61 items fill 3 pages of 25; ask for a page from 1 to 3"));
        check(4, 25, 75, Err("Page 4 is past the end: the 75 items fill 3 pages of 25; ask for a page from 1 to 3"));
        check(2, 50, 12, Err("Page 2 is past the end: the 12 items fit on one page; ask for page 1"));
        check(2, 50, 1, Err("Page 2 is past the end: the 1 item fits on one page; ask for page 1"));
        check(2, 50, 0, Err("Page 2 is past the end: there are no items"));
        check(
            4_000_000,
            50,
            1_987_000,
            Err(
                "Page 4000000 is past the end: the 1,987,000 items fill 39740 pages of 50; ask for a page from 1 to 39740",
            ),
        );
        let error = PageRequest::new(3, 10).unwrap().locate(11, Noun::AUDIT_ENTRIES).unwrap_err().to_string();
        assert_eq!(
            error,
            "Page 3 is past the end: the 11 audit entries fill 2 pages of 10; ask for a page from 1 to 2"
        );
    }

    #[track_caller]
    fn check_page(input: &str, expected: Result<PageNumber, &str>) {
        assert_eq!(parse_page(input).map_err(|e| e.to_string()), expected.map_err(str::to_string));
    }

    #[test]
    fn page_numbers_are_whole_numbers_from_one_or_last() {
        check_page("1", Ok(PageNumber::Nth(1)));
        check_page(" 12 ", Ok(PageNumber::Nth(12)));
        check_page("last", Ok(PageNumber::Last));
        check_page("LAST", Ok(PageNumber::Last));
        check_page("99999999999", Ok(PageNumber::Nth(u32::MAX)));
        let bad = |input: &str| {
            format!("The page `{input}` is not valid: give a whole number from 1, or `last` for the last page")
        };
        for input in ["0", "-1", "1.5", "two", "", "+3", "1e3"] {
            check_page(input, Err(&bad(input)));
        }
        assert_eq!(PageRequest::new(0, 10).unwrap_err().to_string(), bad("0"));
    }

    #[track_caller]
    fn check_size(input: &str, expected: Result<u32, &str>) {
        assert_eq!(parse_size(input).map_err(|e| e.to_string()), expected.map_err(str::to_string));
    }

    #[test]
    fn sizes_are_whole_numbers_up_to_the_maximum() {
        check_size("1", Ok(1));
        check_size("50", Ok(50));
        check_size("1000", Ok(1000));
        let bad = |input: &str| {
            format!("The limit `{input}` is not valid: give how many to show on a page, a whole number from 1 to 1000")
        };
        for input in ["0", "1001", "99999999999", "-5", "2.5", "ten", ""] {
            check_size(input, Err(&bad(input)));
        }
        assert_eq!(PageRequest::new(1, 0).unwrap_err().to_string(), bad("0"));
        assert_eq!(PageRequest::last(5000).unwrap_err().to_string(), bad("5000"));
    }

    #[test]
    fn taking_a_page_keeps_the_lists_order() {
        let rows: Vec<u32> = (1..=7).collect();
        let (shown, info) = PageRequest::new(2, 3).unwrap().take(rows.clone(), Noun::ITEMS).unwrap();
        assert_eq!((shown, info.previous(), info.next()), (vec![4, 5, 6], Some(1), Some(3)));
        let (shown, info) = PageRequest::last(3).unwrap().take(rows.clone(), Noun::ITEMS).unwrap();
        assert_eq!((shown, info.page, info.next()), (vec![7], 3, None));
        // Every page together is the list, each row once.
        let mut all = Vec::new();
        for page in 1..=3 {
            all.extend(PageRequest::new(page, 3).unwrap().take(rows.clone(), Noun::ITEMS).unwrap().0);
        }
        assert_eq!(all, rows);
        let (empty, info) = PageRequest::default().take(Vec::<u32>::new(), Noun::ITEMS).unwrap();
        assert!(empty.is_empty() && info.pages == 1 && info.previous().is_none() && info.next().is_none());
    }
}
