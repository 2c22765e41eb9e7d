//! The read model's storage: each item's month roll-ups (see [`crate::domain::rollup`]), one row
//! per item and calendar year, kept up to date in the transaction of every write that touches
//! cost records, and the versions that let a reader fetch only what changed.
//!
//! Each row holds one item's months of one year in two small binary columns (format 4), so that
//! a year of a 10,000-item workspace reads as 10,000 rows without parsing text. `days` holds what
//! every read wants; `segments` what only reads of recent months want, apart, so that a read of
//! older years never loads the segments' pages:
//!
//! ```text
//! days: format u8 = 4
//!   per month, in order: month u8 (1-12), covered u32, paid u32,
//!   converted u8 (0: none, 1: the following), base currency [u8; 3], units i128,
//!     fraction i128, scale u8 (an exact sum, see ExactSum::to_parts)
//! segments: per month, in the same order: length in bytes of the rest u32, count u16,
//!   per segment: currency [u8; 3] (ISO code), period start i32, period end i32 (days from
//!   0001-01-01; the segment's days in the month are the period's within it),
//!   amount [u8; 16] (rust_decimal's exact serialization)
//! ```
//!
//! The months' lengths let a reader that wants the segments of some months only step over the
//! others without parsing them ([`Detail`]).
//!
//! Format 1 held each month's share of the records rather than their whole period and amount,
//! format 2 had no converted totals, format 3 held days and segments in one column; a database
//! holding any of them is rebuilt at start-up (see [`super::Store::ensure_read_model`]).
//!
//! All integers are little-endian. Decimals keep every digit: the roll-ups are exact.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use anyhow::Context as _;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::sql::{Backend, Columns, args};
use super::{Result, Tx};
use crate::domain::calendar::{DateRange, Month};
use crate::domain::exact::ExactSum;
use crate::domain::money::{Currency, Money};
use crate::domain::rates::RateBook;
use crate::domain::rollup::{self, Converted, MonthRollup, RollupRecord, Segment};
use crate::domain::workspace::WorkspaceId;

/// The encoding of `spend_rollups.days` and `segments` this Jarvis writes.
pub const FORMAT: u8 = 4;

/// How much of each month a reader wants.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Detail {
    /// Everything.
    Full,
    /// The segments of the months from this one on, and of earlier months that have no
    /// converted total in `base`; for the other earlier months, their converted total.
    SegmentsFrom(Month, Currency),
    /// The segments of the months from this one on only.
    Recent(Month),
    /// The days and converted totals only, no segments.
    DaysOnly,
}

impl Detail {
    /// The first year whose rows' segments are read with the row (any other row's are read only
    /// when one of its months turns out to need them: a total missing a rate).
    fn segments_from_year(self) -> i32 {
        match self {
            Detail::Full => i32::MIN,
            Detail::SegmentsFrom(month, _) | Detail::Recent(month) => month.year(),
            Detail::DaysOnly => i32::MAX,
        }
    }

    fn wants_segments(self, month: Month, converted: Option<Converted>) -> bool {
        match self {
            Detail::Full => true,
            Detail::SegmentsFrom(from, base) => month >= from || converted.is_none_or(|c| c.base != base),
            Detail::Recent(from) => month >= from,
            Detail::DaysOnly => false,
        }
    }

    /// Whether what this detail reads holds what `other` reads.
    pub fn holds(self, other: Detail) -> bool {
        match (self, other) {
            (Detail::Full, _) | (_, Detail::DaysOnly) => true,
            (Detail::SegmentsFrom(mine, base), Detail::SegmentsFrom(wanted, wanted_base)) => {
                mine <= wanted && base == wanted_base
            }
            (Detail::SegmentsFrom(mine, _) | Detail::Recent(mine), Detail::Recent(wanted)) => mine <= wanted,
            _ => false,
        }
    }
}

pub use crate::domain::rollup::ItemRollups;

/// What a transaction changed that readers hold copies of (see `Tx::flush_read_model`).
#[derive(Clone, Debug, Default)]
pub(super) struct Changes {
    /// Items whose records changed, with the years the changed records reach.
    records: BTreeMap<(String, i64), (i32, i32)>,
    /// Items whose fields changed.
    items: BTreeSet<(String, i64)>,
    /// Workspaces whose rates, settings or budgets changed (what analysis reads besides items and
    /// records): their version moves too, so nothing computed from the old ones is reused.
    workspaces: BTreeSet<String>,
    /// Workspaces whose rates or base currency changed, with the first year whose converted
    /// totals that can change.
    conversions: BTreeMap<String, i32>,
}

impl Changes {
    pub(super) fn is_empty(&self) -> bool {
        self.records.is_empty() && self.items.is_empty() && self.workspaces.is_empty()
    }
}

/// Encodes one year's months (all in that year, read in full) as `spend_rollups.days` and
/// `segments`.
pub fn encode(months: &ItemRollups) -> (Vec<u8>, Vec<u8>) {
    let mut days = vec![FORMAT];
    let mut segments_out = Vec::new();
    for rollup in months.values() {
        days.push(u8::try_from(rollup.month.month()).expect("months are 1-12"));
        days.extend_from_slice(&rollup.covered.to_le_bytes());
        days.extend_from_slice(&rollup.paid.to_le_bytes());
        match rollup.converted {
            None => days.push(0),
            Some(Converted { base, total }) => {
                days.push(1);
                days.extend_from_slice(base.code().as_bytes());
                let (units, fraction, scale) = total.to_parts();
                days.extend_from_slice(&units.to_le_bytes());
                days.extend_from_slice(&fraction.to_le_bytes());
                days.push(u8::try_from(scale).expect("scales are 0-28"));
            }
        }
        let segments = rollup.segments();
        let count = u16::try_from(segments.len()).expect("at most one segment per day and record kind");
        let length = u32::try_from(2 + segments.len() * SEGMENT_BYTES).expect("a month's segments fit");
        segments_out.extend_from_slice(&length.to_le_bytes());
        segments_out.extend_from_slice(&count.to_le_bytes());
        for segment in segments {
            segments_out.extend_from_slice(segment.currency.code().as_bytes());
            segments_out.extend_from_slice(&segment.period.start.num_days_from_ce().to_le_bytes());
            segments_out.extend_from_slice(&segment.period.end.num_days_from_ce().to_le_bytes());
            segments_out.extend_from_slice(&segment.amount.serialize());
        }
    }
    (days, segments_out)
}

/// Bytes of one encoded segment.
const SEGMENT_BYTES: usize = 3 + 4 + 4 + 16;

/// Reads the bytes of an encoded roll-up.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> anyhow::Result<[u8; N]> {
        anyhow::ensure!(self.0.len() >= N, "the roll-up ends early");
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        Ok(head.try_into().expect("N bytes"))
    }

    fn skip(&mut self, n: usize) -> anyhow::Result<()> {
        anyhow::ensure!(self.0.len() >= n, "the roll-up ends early");
        self.0 = &self.0[n..];
        Ok(())
    }
}

/// Reads `spend_rollups.days` and `segments` of `year` back, with the segments `detail` wants.
/// `segments` may be left out (`None`) when the reader expects not to need them; `Ok(None)` then
/// says that some month does need them after all (it has no converted total in the base currency
/// wanted).
pub fn decode(
    year: i32,
    days: &[u8],
    segments: Option<&[u8]>,
    detail: Detail,
) -> anyhow::Result<Option<Vec<MonthRollup>>> {
    let mut reader = Reader(days);
    let [format] = reader.take::<1>()?;
    anyhow::ensure!(format == FORMAT, "roll-up format {format} is not {FORMAT}; run `jarvis doctor --rebuild`");
    let mut segment_reader = segments.map(Reader);
    let mut months = Vec::new();
    // Segments of one item mostly share a currency: parse each code once.
    let mut last: Option<([u8; 3], Currency)> = None;
    let mut currency = |code: [u8; 3]| -> anyhow::Result<Currency> {
        Ok(match last {
            Some((seen, currency)) if seen == code => currency,
            _ => {
                let currency = Currency::parse(std::str::from_utf8(&code)?)?;
                last = Some((code, currency));
                currency
            }
        })
    };
    while !reader.0.is_empty() {
        let [month] = reader.take::<1>()?;
        let month = Month::new(year, u32::from(month)).context("a roll-up month is not 1-12")?;
        let covered = u32::from_le_bytes(reader.take()?);
        let paid = u32::from_le_bytes(reader.take()?);
        let converted = match reader.take::<1>()? {
            [0] => None,
            [1] => {
                let base = currency(reader.take()?)?;
                let units = i128::from_le_bytes(reader.take()?);
                let fraction = i128::from_le_bytes(reader.take()?);
                let [scale] = reader.take::<1>()?;
                let total = ExactSum::from_parts(units, fraction, u32::from(scale))
                    .context("a roll-up's converted total is damaged")?;
                Some(Converted { base, total })
            }
            [other] => anyhow::bail!("a roll-up's converted mark is {other}, not 0 or 1"),
        };
        let wanted = detail.wants_segments(month, converted);
        let Some(segment_reader) = segment_reader.as_mut() else {
            if wanted {
                return Ok(None);
            }
            months.push(MonthRollup { month, covered, paid, converted, segments: None });
            continue;
        };
        let length = u32::from_le_bytes(segment_reader.take()?) as usize;
        if !wanted {
            segment_reader.skip(length)?;
            months.push(MonthRollup { month, covered, paid, converted, segments: None });
            continue;
        }
        let count = u16::from_le_bytes(segment_reader.take()?);
        anyhow::ensure!(length == 2 + usize::from(count) * SEGMENT_BYTES, "a roll-up month's length is wrong");
        let mut segments = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let currency = currency(segment_reader.take::<3>()?)?;
            let mut day = || {
                NaiveDate::from_num_days_from_ce_opt(i32::from_le_bytes(segment_reader.take()?))
                    .context("a roll-up period's day is out of range")
            };
            let (start, end) = (day()?, day()?);
            let period = DateRange::new(start, end).context("a roll-up segment ends before it starts")?;
            let days = period.intersect(month.range()).context("a roll-up segment misses its month")?;
            let amount = Decimal::deserialize(segment_reader.take::<16>()?);
            segments.push(Segment { currency, period, days, amount });
        }
        months.push(MonthRollup { month, covered, paid, converted, segments: Some(segments) });
    }
    if let Some(rest) = segment_reader {
        anyhow::ensure!(rest.0.is_empty(), "a roll-up has segments for more months than days");
    }
    Ok(Some(months))
}

/// How building the read model of a database that has none goes: the workspace, and records read
/// of its records.
#[derive(Clone, Debug)]
pub struct ReadModelProgress {
    pub workspace: WorkspaceId,
    pub records: u64,
    pub of: u64,
}

/// A month whose stored roll-up differs from the one its records make.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct RollupMismatch {
    pub item_id: i64,
    pub month: Month,
    /// What is stored (`None`: nothing) and what the records make.
    pub stored: Option<MonthRollup>,
    pub expected: Option<MonthRollup>,
}

/// The `store_state` key holding the roll-ups' format.
const STATE_KEY: &str = "rollups_format";

impl Tx {
    /// A value the store keeps about itself (`store_state`).
    pub(super) async fn state(&mut self, key: &str) -> Result<Option<String>> {
        self.fetch_optional("SELECT value FROM store_state WHERE key = ?1", args![key], |row| {
            Ok(row.required_text(0)?.to_string())
        })
        .await
    }

    pub(super) async fn set_state(&mut self, key: &str, value: &str) -> Result<()> {
        self.execute(
            "INSERT INTO store_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            args![key, value],
        )
        .await?;
        Ok(())
    }
}

impl super::Store {
    /// Builds the read model of every workspace when the database has none in this Jarvis's
    /// format (a database from before it, or from an older format), telling `progress` as it
    /// goes. One transaction per workspace; the format is recorded once all are built, so an
    /// interrupted build starts over at the next start.
    pub async fn ensure_read_model(&self, progress: &mut dyn FnMut(ReadModelProgress)) -> anyhow::Result<()> {
        let mut tx = self.read().await?;
        if tx.state(STATE_KEY).await?.as_deref() == Some(&FORMAT.to_string()) {
            return Ok(());
        }
        let workspaces = tx.workspace_ids().await?;
        drop(tx);
        for workspace in workspaces {
            let mut tx = self.write().await?;
            let mut report = |records: u64, of: u64| {
                progress(ReadModelProgress { workspace: workspace.clone(), records, of });
            };
            tx.rebuild_rollups(&workspace, &mut report).await?;
            tx.commit().await?;
        }
        let mut tx = self.write().await?;
        tx.set_state(STATE_KEY, &FORMAT.to_string()).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The years a period reaches.
fn years(period: DateRange) -> (i32, i32) {
    (period.start.year(), period.end.year())
}

impl Tx {
    /// Notes that `item`'s records over `period` changed: its roll-ups for those years are
    /// rebuilt before the transaction commits.
    pub(super) fn records_changed(&mut self, workspace: &WorkspaceId, item: i64, period: DateRange) {
        let (first, last) = years(period);
        let span = self.changes.records.entry((workspace.as_str().to_string(), item)).or_insert((first, last));
        span.0 = span.0.min(first);
        span.1 = span.1.max(last);
    }

    /// Notes that `item`'s fields changed.
    pub(super) fn item_changed(&mut self, workspace: &WorkspaceId, item: i64) {
        self.changes.items.insert((workspace.as_str().to_string(), item));
    }

    /// Notes that the workspace's rates, settings or budgets changed.
    pub(super) fn workspace_changed(&mut self, workspace: &WorkspaceId) {
        self.changes.workspaces.insert(workspace.as_str().to_string());
    }

    /// Notes that the workspace's conversions to its base currency changed from `year` on (a
    /// rate dated then, or the base currency itself: every year): the roll-ups' converted totals
    /// of those years are made again before the transaction commits.
    pub(super) fn conversion_changed(&mut self, workspace: &WorkspaceId, year: i32) {
        self.workspace_changed(workspace);
        let from = self.changes.conversions.entry(workspace.as_str().to_string()).or_insert(year);
        *from = (*from).min(year);
    }

    /// The workspace's rates and base currency: what the roll-ups' converted totals are made with.
    async fn conversion(&mut self, workspace: &WorkspaceId) -> Result<(RateBook, Currency)> {
        let base = self.settings(workspace).await?.base_currency;
        Ok((RateBook::new(self.rates(workspace).await?), base))
    }

    /// Brings the read model up to date with this transaction's changes (run by `commit`): bumps
    /// each changed workspace's version (for any change analysis reads: items, records, rates,
    /// settings, budgets), stamps the changed items with it, and rebuilds the
    /// roll-ups of the item-years whose records changed from those records. A failure here fails
    /// the commit: the change and its read model are written together or not at all.
    pub async fn flush_read_model(&mut self) -> Result<()> {
        let changes = std::mem::take(&mut self.changes);
        if changes.is_empty() {
            return Ok(());
        }
        let workspaces: BTreeSet<&String> = changes
            .records
            .keys()
            .map(|(w, _)| w)
            .chain(changes.items.iter().map(|(w, _)| w))
            .chain(changes.workspaces.iter())
            .collect();
        let mut versions: HashMap<&str, i64> = HashMap::new();
        for workspace in workspaces {
            let version: i64 = self
                .fetch_one(
                    "UPDATE workspaces SET version = version + 1 WHERE id = ?1 RETURNING version",
                    args![workspace.as_str()],
                    |row| row.required_int(0),
                )
                .await
                .with_context(|| format!("could not bump the version of workspace {workspace}"))?;
            versions.insert(workspace.as_str(), version);
        }
        let item_ids = changes.items.iter().chain(changes.records.keys()).collect::<BTreeSet<_>>();
        for (workspace, item) in item_ids {
            self.execute(
                "UPDATE items SET version = ?3 WHERE workspace_id = ?1 AND id = ?2",
                args![workspace.as_str(), *item, versions[workspace.as_str()]],
            )
            .await?;
        }
        let mut conversions: HashMap<&str, (RateBook, Currency)> = HashMap::new();
        for ((workspace, item), (first, last)) in &changes.records {
            let workspace_id = WorkspaceId::parse(workspace).map_err(anyhow::Error::new)?;
            if !conversions.contains_key(workspace.as_str()) {
                conversions.insert(workspace.as_str(), self.conversion(&workspace_id).await?);
            }
            let (rates, base) = &conversions[workspace.as_str()];
            let mut built = self.build_rollups(&workspace_id, *item, *first, *last).await?;
            rollup::convert_all(&mut built, rates, *base);
            self.write_rollups(&workspace_id, *item, (*first, *last), &built, versions[workspace.as_str()]).await?;
        }
        for (workspace, from) in &changes.conversions {
            let workspace_id = WorkspaceId::parse(workspace).map_err(anyhow::Error::new)?;
            self.convert_again(&workspace_id, *from, versions[workspace.as_str()]).await?;
        }
        Ok(())
    }

    /// Makes the converted totals of the workspace's roll-ups of `from` and later years again with
    /// its rates and base currency now, writing the rows whose totals changed.
    async fn convert_again(&mut self, workspace: &WorkspaceId, from: i32, version: i64) -> Result<()> {
        let (rates, base) = self.conversion(workspace).await?;
        let rows = self.rollup_rows(workspace, (from, 9999), None, Detail::Full).await?;
        let changed: Vec<(i64, i32, ItemRollups)> = crate::blocking(|| {
            rows.into_iter()
                .filter_map(|(item, year, months)| {
                    let mut again: ItemRollups = months.into_iter().collect();
                    let before: Vec<Option<Converted>> = again.values().map(|m| m.converted).collect();
                    rollup::convert_all(&mut again, &rates, base);
                    let moved = again.values().map(|m| m.converted).ne(before);
                    moved.then_some((item, year, again))
                })
                .collect()
        });
        for (item, year, months) in changed {
            self.write_rollups(workspace, item, (year, year), &months, version).await?;
        }
        Ok(())
    }

    /// `item`'s roll-ups for the years `first..=last`, built from its records.
    async fn build_rollups(
        &mut self,
        workspace: &WorkspaceId,
        item: i64,
        first: i32,
        last: i32,
    ) -> Result<ItemRollups> {
        let from = NaiveDate::from_ymd_opt(first, 1, 1).context("year out of range")?;
        let to = NaiveDate::from_ymd_opt(last, 12, 31).context("year out of range")?;
        let records = self
            .fetch(
                "SELECT amount, currency, period_start, period_end, deleted_at IS NULL FROM cost_records
                 WHERE workspace_id = ?1 AND item_id = ?2 AND period_end >= ?3 AND period_start <= ?4
                 ORDER BY id",
                args![workspace.as_str(), item, from, to],
                |row| record_from_columns(row, 0),
            )
            .await?;
        let months = (Month::of(from), Month::of(to));
        Ok(rollup::build(records, months))
    }

    /// Replaces `item`'s roll-up rows for the years `first..=last` with `built`.
    async fn write_rollups(
        &mut self,
        workspace: &WorkspaceId,
        item: i64,
        (first, last): (i32, i32),
        built: &ItemRollups,
        version: i64,
    ) -> Result<()> {
        for year in first..=last {
            let months = built.year(year);
            // A year left without months is still written (empty), so readers holding it see it
            // emptied.
            let (days, segments) = encode(&months);
            self.execute(
                "INSERT INTO spend_rollups (workspace_id, item_id, year, version, days, segments)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (workspace_id, year, item_id)
                 DO UPDATE SET version = excluded.version, days = excluded.days, segments = excluded.segments",
                args![workspace.as_str(), item, i64::from(year), version, days.as_slice(), segments.as_slice()],
            )
            .await?;
        }
        Ok(())
    }

    /// The workspace's read-model epoch and version: the version moves whenever its items or
    /// records change, the epoch when its roll-ups are rebuilt.
    pub async fn read_model_version(&mut self, workspace: &WorkspaceId) -> Result<(i64, i64)> {
        let row = self
            .fetch_optional(
                "SELECT read_model_epoch, version FROM workspaces WHERE id = ?1",
                args![workspace.as_str()],
                |row| Ok((row.required_int(0)?, row.required_int(1)?)),
            )
            .await?;
        Ok(row.unwrap_or((0, 0)))
    }

    /// The roll-up rows of the years `first..=last`: `(item, year, months)`, read with `detail`;
    /// with `since`, only rows written after that version.
    pub async fn rollup_rows(
        &mut self,
        workspace: &WorkspaceId,
        (first, last): (i32, i32),
        since: Option<i64>,
        detail: Detail,
    ) -> Result<Vec<(i64, i32, Vec<MonthRollup>)>> {
        // Whole years are one range of the table's key, in year order (which `rollups` relies on);
        // changed rows come by the version index, in any order. Older years' segments are not even
        // loaded (SQLite reads a column only when asked).
        let sql = match (since.is_some(), self.backend()) {
            (true, Backend::Sqlite) => {
                "SELECT item_id, year, days, CASE WHEN year >= ?5 THEN segments END
                 FROM spend_rollups INDEXED BY spend_rollups_by_version
                 WHERE workspace_id = ?1 AND version > ?4 AND year BETWEEN ?2 AND ?3"
            }
            (true, Backend::Postgres) => {
                "SELECT item_id, year, days, CASE WHEN year >= ?5 THEN segments END
                 FROM spend_rollups
                 WHERE workspace_id = ?1 AND version > ?4 AND year BETWEEN ?2 AND ?3"
            }
            (false, _) => {
                "SELECT item_id, year, days, CASE WHEN year >= ?5 THEN segments END FROM spend_rollups
                 WHERE workspace_id = ?1 AND year BETWEEN ?2 AND ?3 AND ?4 = -1
                 ORDER BY year"
            }
        };
        let rows = self
            .fetch(
                sql,
                args![
                    workspace.as_str(),
                    i64::from(first),
                    i64::from(last),
                    since.unwrap_or(-1),
                    i64::from(detail.segments_from_year()),
                ],
                |row| {
                    let item = row.required_int(0)?;
                    let year = i32::try_from(row.required_int(1)?)?;
                    let months = decode(year, row.blob(2)?.context("no days")?, row.blob(3)?, detail)
                        .with_context(|| format!("the roll-up of item #{item} for {year} is damaged"))?;
                    Ok((item, year, months))
                },
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (item, year, months) in rows {
            let months = match months {
                Some(months) => months,
                // A month without a converted total (a rate was missing): read with its segments.
                None => self.item_rollups(workspace, item, (year, year), detail).await?.into_values(),
            };
            out.push((item, year, months));
        }
        Ok(out)
    }

    /// One item's roll-ups of the years `first..=last`, with what `detail` wants.
    pub async fn item_rollups(
        &mut self,
        workspace: &WorkspaceId,
        item: i64,
        (first, last): (i32, i32),
        detail: Detail,
    ) -> Result<ItemRollups> {
        // One item's few rows by its index (without statistics, SQLite would rather scan the years'
        // rows of every item by the primary key).
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT year, days, segments FROM spend_rollups INDEXED BY spend_rollups_by_item
                 WHERE workspace_id = ?1 AND item_id = ?2 AND year BETWEEN ?3 AND ?4"
            }
            Backend::Postgres => {
                "SELECT year, days, segments FROM spend_rollups
                 WHERE workspace_id = ?1 AND item_id = ?2 AND year BETWEEN ?3 AND ?4"
            }
        };
        let rows = self
            .fetch(sql, args![workspace.as_str(), item, i64::from(first), i64::from(last)], |row| {
                let year = i32::try_from(row.required_int(0)?)?;
                let months = decode(year, row.blob(1)?.context("no days")?, row.blob(2)?, detail)
                    .with_context(|| format!("the roll-up of item #{item} for {year} is damaged"))?;
                months.with_context(|| format!("the roll-up of item #{item} for {year} has no segments"))
            })
            .await?;
        Ok(rows.into_iter().flatten().collect())
    }

    /// The roll-ups of the years `first..=last`, by item, with what `detail` wants.
    pub async fn rollups(
        &mut self,
        workspace: &WorkspaceId,
        years: (i32, i32),
        detail: Detail,
    ) -> Result<HashMap<i64, ItemRollups>> {
        let mut out: HashMap<i64, ItemRollups> = HashMap::new();
        for (item, _, months) in self.rollup_rows(workspace, years, None, detail).await? {
            // Rows come by year, so each item's months come in order.
            out.entry(item).or_default().extend_later(months);
        }
        Ok(out)
    }

    /// Every roll-up of `workspace` built again from its records; returns how many item-years
    /// were written. `progress` hears `(records read, of records)` now and then.
    pub async fn rebuild_rollups(
        &mut self,
        workspace: &WorkspaceId,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<usize> {
        let built = self.rollups_from_records(workspace, progress).await?;
        self.execute("DELETE FROM spend_rollups WHERE workspace_id = ?1", args![workspace.as_str()]).await?;
        let version = self
            .fetch_optional(
                "UPDATE workspaces SET version = version + 1, read_model_epoch = read_model_epoch + 1 WHERE id = ?1
                 RETURNING version",
                args![workspace.as_str()],
                |row| row.required_int(0),
            )
            .await?
            .unwrap_or(0);
        self.execute("UPDATE items SET version = ?2 WHERE workspace_id = ?1", args![workspace.as_str(), version])
            .await?;
        let mut written = 0;
        for (item, months) in built {
            let (Some(first), Some(last)) = (months.months().next(), months.months().next_back()) else { continue };
            let span = (first.year(), last.year());
            self.write_rollups(workspace, item, span, &months, version).await?;
            written += (span.0..=span.1).filter(|y| months.months().any(|m| m.year() == *y)).count();
        }
        Ok(written)
    }

    /// The roll-ups every item of `workspace` should have, built from all its records in one
    /// pass (for rebuilding and checking).
    pub async fn rollups_from_records(
        &mut self,
        workspace: &WorkspaceId,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<HashMap<i64, ItemRollups>> {
        let total = self
            .fetch_one("SELECT count(*) FROM cost_records WHERE workspace_id = ?1", args![workspace.as_str()], |row| {
                row.required_int(0)
            })
            .await?;
        let total = u64::try_from(total).unwrap_or(0);
        let mut read = 0u64;
        let records = self
            .fetch(
                "SELECT item_id, amount, currency, period_start, period_end, deleted_at IS NULL FROM cost_records
                 WHERE workspace_id = ?1 ORDER BY item_id, id",
                args![workspace.as_str()],
                |row| {
                    read += 1;
                    if read.is_multiple_of(50_000) {
                        progress(read, total);
                    }
                    Ok((row.required_int(0)?, record_from_columns(row, 1)?))
                },
            )
            .await?;
        progress(total, total);
        let (rates, base) = self.conversion(workspace).await?;
        let mut by_item: BTreeMap<i64, Vec<RollupRecord>> = BTreeMap::new();
        for (item, record) in records {
            by_item.entry(item).or_default().push(record);
        }
        let all = (Month::new(1, 1).expect("January 1"), Month::new(9999, 12).expect("December 9999"));
        Ok(crate::blocking(|| {
            by_item
                .into_iter()
                .map(|(item, records)| {
                    let mut built = rollup::build(records, all);
                    rollup::convert_all(&mut built, &rates, base);
                    (item, built)
                })
                .collect()
        }))
    }
}

impl Tx {
    /// The months whose stored roll-ups differ from what the records make (none when the read
    /// model is right).
    pub async fn check_rollups(&mut self, workspace: &WorkspaceId) -> Result<Vec<RollupMismatch>> {
        let expected = self.rollups_from_records(workspace, &mut |_, _| {}).await?;
        let stored = self.rollups(workspace, (1, 9999), Detail::Full).await?;
        let mut mismatches = Vec::new();
        let items: BTreeSet<i64> = expected.keys().chain(stored.keys()).copied().collect();
        let nothing = ItemRollups::new();
        for item in items {
            let (want, have) = (expected.get(&item).unwrap_or(&nothing), stored.get(&item).unwrap_or(&nothing));
            let months: BTreeSet<Month> = want.months().chain(have.months()).collect();
            for month in months {
                let (expected, stored) = (want.get(&month), have.get(&month));
                if expected != stored {
                    mismatches.push(RollupMismatch {
                        item_id: item,
                        month,
                        stored: stored.cloned(),
                        expected: expected.cloned(),
                    });
                }
            }
        }
        Ok(mismatches)
    }
}

/// A record as roll-ups read it: `amount, currency, period_start, period_end, live`, from column
/// `first` on.
fn record_from_columns(row: &dyn Columns, first: usize) -> anyhow::Result<RollupRecord> {
    let amount = Money::new(row.required_decimal(first)?, Currency::parse(row.required_text(first + 1)?)?);
    let period = DateRange::new(row.required_date(first + 2)?, row.required_date(first + 3)?)
        .context("a stored cost period ends before it starts")?;
    Ok(RollupRecord { amount, period, live: row.required_bool(first + 4)? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{c, d, dec};

    #[test]
    fn roll_ups_read_back_exactly() {
        let records = [
            RollupRecord {
                amount: Money::new(dec("1000.000000000012"), c("USD")),
                period: DateRange::new(d("2026-01-15"), d("2027-01-14")).unwrap(),
                live: true,
            },
            RollupRecord {
                amount: Money::new(dec("31"), c("THB")),
                period: DateRange::new(d("2026-03-01"), d("2026-03-31")).unwrap(),
                live: true,
            },
            RollupRecord {
                amount: Money::new(dec("5"), c("JPY")),
                period: DateRange::new(d("2026-12-31"), d("2026-12-31")).unwrap(),
                live: false,
            },
        ];
        let mut built = rollup::build(records, (Month::new(2026, 1).unwrap(), Month::new(2026, 12).unwrap()));
        let rates = RateBook::new(vec![crate::domain::rates::ExchangeRate {
            base: c("USD"),
            quote: c("THB"),
            rate: dec("31"),
            date: d("2026-01-01"),
        }]);
        rollup::convert_all(&mut built, &rates, c("USD"));
        let march = &built[&Month::new(2026, 3).unwrap()];
        assert!(march.converted.is_some(), "THB converts");
        // JPY has no rate, but its only record is removed: nothing of it to convert.
        assert!(built.values().all(|m| m.converted.is_some()));
        built.values_mut().find(|m| m.month == Month::new(2026, 4).unwrap()).unwrap().converted = None;
        let (days, segments) = encode(&built);
        let read = |segments: Option<&[u8]>, detail| decode(2026, &days, segments, detail).unwrap();
        assert_eq!(read(Some(&segments), Detail::Full), Some(built.values().cloned().collect::<Vec<_>>()));
        assert!(decode(2026, &[3], None, Detail::Full).unwrap_err().to_string().contains("doctor --rebuild"));
        assert!(decode(2026, &[4, 3, 0], None, Detail::Full).is_err());
        assert!(decode(2026, &days, Some(&segments[..segments.len() - 1]), Detail::Full).is_err());

        // From May on, or where a month has no converted total in the base currency wanted, the
        // segments; elsewhere only the days and the converted total.
        let from_may = Detail::SegmentsFrom(Month::new(2026, 5).unwrap(), c("USD"));
        let shown: Vec<(u32, bool)> =
            read(Some(&segments), from_may).unwrap().iter().map(|m| (m.month.month(), m.segments.is_some())).collect();
        let expected: Vec<(u32, bool)> = (1..=12).map(|m| (m, m >= 4)).collect();
        assert_eq!(shown, expected);
        // Read without its segments, the year says that April needs them.
        assert_eq!(read(None, from_may), None);
        let other_base = read(Some(&segments), Detail::SegmentsFrom(Month::new(2026, 5).unwrap(), c("EUR")));
        assert!(other_base.unwrap().iter().all(|m| m.segments.is_some()));
        let days_only = read(None, Detail::DaysOnly).unwrap();
        assert_eq!(read(Some(&segments), Detail::DaysOnly).unwrap(), days_only);
        assert!(days_only.iter().all(|m| m.segments.is_none()));
        let stepped_over: Vec<(u32, u32, Option<Converted>)> =
            days_only.iter().map(|m| (m.covered, m.paid, m.converted)).collect();
        let full: Vec<(u32, u32, Option<Converted>)> =
            built.values().map(|m| (m.covered, m.paid, m.converted)).collect();
        assert_eq!(stepped_over, full);
    }
}
