//! Reading a FOCUS file (issue 14): streamed from any reader, plain CSV or gzip-compressed (told
//! apart by its first bytes), every row read with `domain::focus` and added up per service,
//! currency, billing account and period, and charge days, with the file's own BilledCost total
//! per currency for reconciliation. Memory holds the sums, never the rows.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read};

use crate::domain::calendar::DateRange;
use crate::domain::exact::ExactSum;
use crate::domain::focus::{Charge, ChargeCategory, FocusVersion, Header, NotFocus, RowCache};
use crate::domain::item::Kind;
use crate::domain::money::Currency;

/// A service a file bills: it becomes (or is mapped to) one item.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Service {
    pub provider: String,
    pub service: String,
    /// Its ServiceCategory, as first seen.
    pub category: Option<String>,
    pub kind: Kind,
}

impl Service {
    /// Its provider, name and ServiceCategory, as the ledger keeps them.
    pub fn names(&self) -> (&str, &str, Option<&str>) {
        (&self.provider, &self.service, self.category.as_deref())
    }
}

/// What one service cost on some days, for one billing account and period, in one currency.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Charges {
    /// Index into [`FocusFile::services`].
    pub service: usize,
    /// Index into [`FocusFile::accounts`].
    pub account: usize,
    pub billing_period: DateRange,
    pub days: DateRange,
    pub currency: Currency,
    pub billed: ExactSum,
    /// Present when every row summed had it.
    pub effective: Option<ExactSum>,
    pub list: Option<ExactSum>,
    pub rows: u64,
    /// Rows of each charge category, in [`CATEGORIES`] order.
    pub by_category: [u64; 5],
}

/// The charge categories, in the order [`Charges::by_category`] counts them.
pub const CATEGORIES: [ChargeCategory; 5] = [
    ChargeCategory::Usage,
    ChargeCategory::Purchase,
    ChargeCategory::Tax,
    ChargeCategory::Credit,
    ChargeCategory::Adjustment,
];

/// A row that could not be read, by its line in the file.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BadRow {
    pub line: u64,
    pub problem: String,
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

/// A FOCUS file, read and added up.
#[derive(Clone, Debug, Default)]
pub struct FocusFile {
    pub version: Option<FocusVersion>,
    /// Data rows read (skipped ones included).
    pub rows: u64,
    pub services: Vec<Service>,
    /// The billing accounts, each with its sub-account when the file names one
    /// (`BILLING / SUB`): what a later import of the same account and period replaces.
    pub accounts: Vec<String>,
    /// Sorted by service, account, billing period, days and currency.
    pub charges: Vec<Charges>,
    /// The BilledCost of every row read, per currency.
    pub totals: BTreeMap<Currency, ExactSum>,
    /// Rows skipped (with `skip_bad`), at most [`SKIPPED_KEPT`] of them listed.
    pub skipped: Vec<BadRow>,
    pub skipped_count: u64,
}

/// Skipped rows listed at most; the rest are counted.
pub const SKIPPED_KEPT: usize = 100;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    NotFocus(NotFocus),
    #[error("The file is empty: a FOCUS export starts with a row of column names")]
    Empty,
    #[error("{0}; nothing was imported (fix the row, or import with --skip-bad to leave such rows out and list them)")]
    BadRow(BadRow),
    #[error("{0}; nothing was imported")]
    Io(String),
}

/// A hash map for the reader's keys (services, accounts, groups): foldhash, a few times quicker
/// per row than the default hasher and, seeded at random, no easier for a file to make collide.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Gzip's first two bytes.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Reads a FOCUS file from `input`, calling `progress` with the rows read every 100,000 rows.
/// A row that cannot be read stops the reading, unless `skip_bad`.
pub fn read_focus<'a>(
    input: impl Read + Send + 'a,
    skip_bad: bool,
    mut progress: impl FnMut(u64),
) -> Result<FocusFile, ReadError> {
    let mut buffered = BufReader::with_capacity(256 * 1024, input);
    let gzipped = buffered.fill_buf().map_err(|e| ReadError::Io(e.to_string()))?.starts_with(&GZIP_MAGIC);
    let input: Box<dyn Read + Send + 'a> =
        if gzipped { Box::new(flate2::bufread::MultiGzDecoder::new(buffered)) } else { Box::new(buffered) };
    // Lines ending in CRLF are read as LF: the CSV reader counts lines on LF only when a CRLF
    // ends a record, so an error would name the line before the right one.
    let input = Lf::new(input);
    let mut csv = csv::ReaderBuilder::new().has_headers(false).buffer_capacity(256 * 1024).from_reader(input);
    let mut record = csv::StringRecord::new();
    let header = match next_record(&mut csv, &mut record) {
        Ok(true) => Header::read(record.iter()).map_err(ReadError::NotFocus)?,
        Ok(false) => return Err(ReadError::Empty),
        Err(Unreadable::File(problem)) => return Err(ReadError::Io(problem)),
        Err(Unreadable::Row(bad)) if bad.line <= 1 => return Err(ReadError::Io(bad.problem)),
        Err(Unreadable::Row(bad)) => return Err(ReadError::BadRow(bad)),
    };
    // The parts of a split export, joined (`cat part-*.csv.gz`), each start with the header row
    // again: such a row is passed over.
    // (Compared as `Header::read` reads names: without a byte-order mark, in any case.)
    let header_key = |row: &csv::StringRecord| -> Vec<String> {
        row.iter().map(|n| n.trim_start_matches('\u{feff}').trim().to_ascii_lowercase()).collect()
    };
    let header_names = header_key(&record);
    let first_name = header_names.first().cloned().unwrap_or_default();
    let mut cache = RowCache::default();
    let mut file = FocusFile { version: Some(header.version), ..FocusFile::default() };
    let mut services: FastMap<String, FastMap<String, usize>> = FastMap::default();
    // By billing account and sub-account; looked up by the row's text without copying it.
    let mut accounts: FastMap<String, FastMap<String, usize>> = FastMap::default();
    let mut charges: FastMap<(usize, usize, DateRange, DateRange, Currency), Charges> = FastMap::default();
    let skip = |file: &mut FocusFile, bad: BadRow| -> Result<(), ReadError> {
        if !skip_bad {
            return Err(ReadError::BadRow(bad));
        }
        file.skipped_count += 1;
        if file.skipped.len() < SKIPPED_KEPT {
            file.skipped.push(bad);
        }
        Ok(())
    };
    // The text is split into records on a thread of its own while this one reads and adds them
    // up, in batches handed over and back (two cores read a file about twice as fast).
    let (full, filled) = std::sync::mpsc::sync_channel::<Batch>(4);
    let (empty, emptied) = std::sync::mpsc::channel::<Batch>();
    std::thread::scope(|scope| -> Result<(), ReadError> {
        scope.spawn(move || {
            loop {
                let mut batch = emptied.try_recv().unwrap_or_default();
                let done = batch.fill(&mut csv);
                if full.send(batch).is_err() || done {
                    return;
                }
            }
        });
        for batch in filled {
            for item in &batch.items {
                let record = match item {
                    Ok(index) => &batch.records[*index],
                    // The file itself could not be read (cut short, say): never a partial import.
                    Err(Unreadable::File(problem)) => return Err(ReadError::Io(problem.clone())),
                    Err(Unreadable::Row(bad)) => {
                        file.rows += 1;
                        skip(&mut file, bad.clone())?;
                        continue;
                    }
                };
                let repeated = record.len() == header_names.len()
                    && record.get(0).is_some_and(|first| {
                        first.trim_start_matches('\u{feff}').trim().eq_ignore_ascii_case(&first_name)
                    })
                    && header_key(record) == header_names;
                if repeated {
                    continue;
                }
                file.rows += 1;
                if file.rows.is_multiple_of(100_000) {
                    progress(file.rows);
                }
                let line = record.position().map_or(0, |p| p.line());
                let charge: Charge = match header.row(&mut cache, |i| record.get(i)) {
                    Ok(charge) => charge,
                    Err(bad) => {
                        skip(&mut file, BadRow { line, problem: bad.to_string() })?;
                        continue;
                    }
                };
                // Looked up by the row's text, without copying it: a copy is made once per service.
                let service = match services.get(charge.provider).and_then(|by_name| by_name.get(charge.service)) {
                    Some(index) => *index,
                    None => {
                        let index = file.services.len();
                        file.services.push(Service {
                            provider: charge.provider.to_string(),
                            service: charge.service.to_string(),
                            category: charge.service_category.map(str::to_string),
                            kind: crate::domain::focus::kind_of(charge.service_category),
                        });
                        services
                            .entry(charge.provider.to_string())
                            .or_default()
                            .insert(charge.service.to_string(), index);
                        index
                    }
                };
                let sub = charge.sub_account.unwrap_or("");
                let account = match accounts.get(charge.billing_account).and_then(|subs| subs.get(sub)) {
                    Some(index) => *index,
                    None => {
                        let named = match charge.sub_account {
                            Some(sub) => format!("{} / {sub}", charge.billing_account),
                            None => charge.billing_account.to_string(),
                        };
                        file.accounts.push(named);
                        let index = file.accounts.len() - 1;
                        accounts.entry(charge.billing_account.to_string()).or_default().insert(sub.to_string(), index);
                        index
                    }
                };
                file.totals.entry(charge.currency).or_default().add(charge.billed);
                let entry = charges
                    .entry((service, account, charge.billing_period, charge.days, charge.currency))
                    .or_insert_with(|| Charges {
                        service,
                        account,
                        billing_period: charge.billing_period,
                        days: charge.days,
                        currency: charge.currency,
                        billed: ExactSum::default(),
                        effective: Some(ExactSum::default()),
                        list: Some(ExactSum::default()),
                        rows: 0,
                        by_category: [0; 5],
                    });
                entry.billed.add(charge.billed);
                entry.effective = entry.effective.zip(charge.effective).map(|(mut sum, value)| {
                    sum.add(value);
                    sum
                });
                entry.list = entry.list.zip(charge.list).map(|(mut sum, value)| {
                    sum.add(value);
                    sum
                });
                entry.rows += 1;
                entry.by_category
                    [CATEGORIES.iter().position(|c| *c == charge.category).expect("every category is listed")] += 1;
            }
            let _ = empty.send(batch);
        }
        Ok(())
    })?;
    let mut charges: Vec<Charges> = charges.into_values().collect();
    charges.sort_by(|a, b| {
        (
            a.service,
            a.account,
            a.billing_period.start,
            a.billing_period.end,
            a.days.start,
            a.days.end,
            a.currency.code(),
        )
            .cmp(&(
                b.service,
                b.account,
                b.billing_period.start,
                b.billing_period.end,
                b.days.start,
                b.days.end,
                b.currency.code(),
            ))
    });
    file.charges = charges;
    Ok(file)
}

/// The parts of a split export (`part-00001.csv.gz`, `part-00002.csv.gz`...) as one file: all
/// plain or all gzip-compressed, joined so each part's rows start on a line of their own (the
/// header rows the later parts repeat are passed over when read). `parts` are named for messages.
pub fn joined(parts: Vec<(String, Box<dyn Read + Send>)>) -> Result<Box<dyn Read + Send>, ReadError> {
    let mut joined: Option<Box<dyn Read + Send>> = None;
    let mut first_gzipped = None;
    for (name, part) in parts {
        let mut part = BufReader::with_capacity(256 * 1024, part);
        let gzipped = part
            .fill_buf()
            .map_err(|e| ReadError::Io(format!("`{name}` could not be read: {e}")))?
            .starts_with(&GZIP_MAGIC);
        match first_gzipped {
            None => first_gzipped = Some(gzipped),
            Some(first) if first != gzipped => {
                return Err(ReadError::Io(format!(
                    "`{name}` is {} where the first part is {}: give the parts all compressed or all plain",
                    if gzipped { "gzip-compressed" } else { "plain" },
                    if first { "gzip-compressed" } else { "plain" }
                )));
            }
            Some(_) => {}
        }
        joined = Some(match joined {
            None => Box::new(part),
            Some(before) => {
                // A line break between the parts, compressed like them when they are.
                let gap: Vec<u8> = if gzipped {
                    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                    std::io::Write::write_all(&mut gz, b"\n").expect("writing to memory");
                    gz.finish().expect("writing to memory")
                } else {
                    b"\n".to_vec()
                };
                Box::new(before.chain(std::io::Cursor::new(gap)).chain(part))
            }
        });
    }
    joined.ok_or(ReadError::Empty)
}

/// A reader that drops the CR of each CRLF (a CR alone is kept).
struct Lf<R> {
    inner: R,
    /// Filtered bytes not yet handed out: `buf[start..end]`.
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// The last byte read was a CR, not yet passed on: whether it is kept depends on the next.
    held_cr: bool,
}

impl<R: Read> Lf<R> {
    fn new(inner: R) -> Lf<R> {
        Lf { inner, buf: vec![0; 64 * 1024].into_boxed_slice(), start: 0, end: 0, held_cr: false }
    }

    /// Reads and filters the next stretch; `false` at the end of the input.
    fn refill(&mut self) -> std::io::Result<bool> {
        loop {
            let mut from = 0;
            if std::mem::take(&mut self.held_cr) {
                self.buf[0] = b'\r';
                from = 1;
            }
            let n = self.inner.read(&mut self.buf[from..])?;
            if n == 0 {
                // The input ends (perhaps on a CR, which is passed on).
                (self.start, self.end) = (0, from);
                return Ok(from > 0);
            }
            let filled = from + n;
            // Stretches between CRs move down as they are (a file with LF endings has none: one
            // quick scan); a CR goes when an LF follows it.
            let mut kept = 0;
            let mut at = 0;
            while at < filled {
                let next = memchr::memchr(b'\r', &self.buf[at..filled]).map_or(filled, |i| at + i);
                self.buf.copy_within(at..next, kept);
                kept += next - at;
                if next == filled {
                    break;
                }
                let dropped = next + 1 < filled && self.buf[next + 1] == b'\n';
                if !dropped {
                    self.buf[kept] = b'\r';
                    kept += 1;
                }
                at = next + 1;
            }
            // A CR at the very end waits for the next byte.
            if kept > 0 && self.buf[kept - 1] == b'\r' {
                self.held_cr = true;
                kept -= 1;
            }
            if kept > 0 {
                (self.start, self.end) = (0, kept);
                return Ok(true);
            }
        }
    }
}

impl<R: Read> Read for Lf<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.start == self.end && !self.refill()? {
            return Ok(0);
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

/// Records split from the text, in the file's order, with the lines that could not be split.
#[derive(Default)]
struct Batch {
    records: Vec<csv::StringRecord>,
    /// In order: a record (its index) or what could not be split.
    items: Vec<Result<usize, Unreadable>>,
}

/// Why the next record could not be had.
enum Unreadable {
    /// A line that is not a row (not UTF-8, a field too many): the lines after it can be read.
    Row(BadRow),
    /// The file itself (cut short, say): nothing after it can be read.
    File(String),
}

/// Records a batch holds.
const BATCH: usize = 4096;

impl Batch {
    /// Fills the batch from `csv`; whether the file ended.
    fn fill<R: Read>(&mut self, csv: &mut csv::Reader<R>) -> bool {
        self.items.clear();
        let mut used = 0;
        while self.items.len() < BATCH {
            if used == self.records.len() {
                self.records.push(csv::StringRecord::new());
            }
            match next_record(csv, &mut self.records[used]) {
                Ok(true) => {
                    self.items.push(Ok(used));
                    used += 1;
                }
                Ok(false) => return true,
                Err(unreadable) => {
                    let stuck = matches!(unreadable, Unreadable::File(_));
                    self.items.push(Err(unreadable));
                    if stuck {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// The next record, or why it could not be had.
fn next_record<R: Read>(csv: &mut csv::Reader<R>, record: &mut csv::StringRecord) -> Result<bool, Unreadable> {
    csv.read_record(record).map_err(|error| {
        let line = error.position().map_or(0, |p| p.line());
        let problem = match error.kind() {
            csv::ErrorKind::Io(error) => {
                return Unreadable::File(format!("line {line}: the file could not be read: {error}"));
            }
            csv::ErrorKind::Utf8 { .. } => "it is not UTF-8 text".to_string(),
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                format!("it has {len} fields where the header has {expected_len}")
            }
            _ => error.to_string(),
        };
        Unreadable::Row(BadRow { line, problem })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "BilledCost,BillingAccountId,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargePeriodEnd,ChargePeriodStart,EffectiveCost,ListCost,ProviderName,ServiceCategory,ServiceName";

    fn rows(lines: &[&str]) -> String {
        std::iter::once(HEADER).chain(lines.iter().copied()).collect::<Vec<_>>().join("\n")
    }

    fn total(file: &FocusFile, code: &str) -> String {
        file.totals[&Currency::parse(code).unwrap()].value().to_string()
    }

    #[test]
    fn rows_add_up_per_service_and_day_exactly() {
        let text = rows(&[
            "0.1,a,USD,2026-12-01,2026-11-01,Usage,2026-11-01T01:00:00Z,2026-11-01T00:00:00Z,0.1,0.2,AWS,Compute,EC2",
            "0.2,a,USD,2026-12-01,2026-11-01,Usage,2026-11-01T02:00:00Z,2026-11-01T01:00:00Z,0.1,0.2,AWS,Compute,EC2",
            "-0.05,a,USD,2026-12-01,2026-11-01,Credit,2026-11-02T00:00:00Z,2026-11-01T00:00:00Z,-0.05,,AWS,Compute,EC2",
            "1E-8,a,USD,2026-12-01,2026-11-01,Usage,2026-11-02T00:00:00Z,2026-11-01T00:00:00Z,,,AWS,Storage,S3",
            "3,a,EUR,2026-12-01,2026-11-01,Tax,2026-11-03T00:00:00Z,2026-11-02T00:00:00Z,3,3,AWS,Compute,EC2",
        ]);
        let file = read_focus(text.as_bytes(), false, |_| {}).unwrap();
        assert_eq!(file.rows, 5);
        assert_eq!(file.services.len(), 2);
        assert_eq!((file.services[1].service.as_str(), file.services[1].kind), ("S3", Kind::Storage));
        assert_eq!(total(&file, "USD"), "0.25000001");
        assert_eq!(total(&file, "EUR"), "3");
        let ec2_first_day: Vec<&Charges> = file
            .charges
            .iter()
            .filter(|c| c.service == 0 && c.days.start == c.days.end && c.currency.code() == "USD")
            .collect();
        assert_eq!(ec2_first_day.len(), 1);
        let day = ec2_first_day[0];
        assert_eq!(
            (day.billed.value().to_string(), day.rows, day.by_category),
            ("0.25".to_string(), 3, [2, 0, 0, 1, 0])
        );
        // ListCost missing on one row: no list total for that day rather than a short one.
        assert_eq!(day.effective.map(|e| e.value().to_string()), Some("0.15".to_string()));
        assert_eq!(day.list, None);
    }

    #[test]
    fn quirks_of_real_exports_are_read() {
        // A byte-order mark, CRLF, quoted numbers, extra columns, NULL.
        let text = "\u{feff}x_Team,ServiceName,BilledCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ServiceProviderName,BillingAccountId,BillingPeriodStart,BillingPeriodEnd,ServiceCategory\r\n\
            ops,\"Cloud SQL, Postgres\",\"12.50\",usd,2026-11-01 00:00:00,2026-11-02 00:00:00,usage,Google Cloud,b-1,2026-11-01,2026-12-01,NULL\r\n";
        let file = read_focus(text.as_bytes(), false, |_| {}).unwrap();
        assert_eq!(file.version, Some(FocusVersion::V1_3));
        assert_eq!(file.services[0].service, "Cloud SQL, Postgres");
        assert_eq!((file.services[0].category.as_deref(), file.services[0].kind), (None, Kind::Other));
        assert_eq!(total(&file, "USD"), "12.5");
    }

    #[test]
    fn lines_are_counted_the_same_with_crlf() {
        let lf = rows(&[
            "1,a,USD,2026-12-01,2026-11-01,Usage,2026-11-02,2026-11-01,,,AWS,Compute,EC2",
            "x,a,USD,2026-12-01,2026-11-01,Usage,2026-11-02,2026-11-01,,,AWS,Compute,EC2",
        ]);
        let crlf = lf.replace('\n', "\r\n") + "\r\n";
        for text in [lf, crlf] {
            let error = read_focus(text.as_bytes(), false, |_| {}).unwrap_err().to_string();
            assert!(error.starts_with("line 3: column BilledCost"), "{error}");
        }
        // A CR alone (in a quoted field) is kept; one split across reads still pairs with its LF.
        let mut lf = Lf::new(OneByte(std::io::Cursor::new(b"a\rb\r\nc\r".to_vec())));
        let mut out = Vec::new();
        let mut buf = [0u8; 1];
        loop {
            let n = lf.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out, b"a\rb\nc\r");
    }

    /// A reader that hands out one byte at a time.
    struct OneByte<R>(R);

    impl<R: Read> Read for OneByte<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = buf.len().min(1);
            self.0.read(&mut buf[..n])
        }
    }

    #[test]
    fn gzip_is_recognised_by_its_bytes() {
        use std::io::Write as _;
        let text = rows(&["7,a,USD,2026-12-01,2026-11-01,Usage,2026-11-02,2026-11-01,,,AWS,Compute,EC2"]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let file = read_focus(gz.finish().unwrap().as_slice(), false, |_| {}).unwrap();
        assert_eq!(total(&file, "USD"), "7");
    }

    #[test]
    fn a_bad_row_stops_the_reading_with_its_line_unless_skipped() {
        let text = rows(&[
            "1,a,USD,2026-12-01,2026-11-01,Usage,2026-11-02,2026-11-01,,,AWS,Compute,EC2",
            "x,a,USD,2026-12-01,2026-11-01,Usage,2026-11-02,2026-11-01,,,AWS,Compute,EC2",
            "2,a,USD,2026-12-01,2026-11-01,Usage,2026-11-02,2026-11-01,,,AWS,Compute",
            "4,a,USD,2026-12-01,2026-11-01,Usage,2026-11-02,2026-11-01,,,AWS,Compute,EC2",
        ]);
        let error = read_focus(text.as_bytes(), false, |_| {}).unwrap_err().to_string();
        assert!(
            error.starts_with("line 3: column BilledCost, value `x`: it is not a number; nothing was imported"),
            "{error}"
        );
        let file = read_focus(text.as_bytes(), true, |_| {}).unwrap();
        assert_eq!((file.rows, file.skipped_count), (4, 2));
        assert_eq!(file.skipped[1].to_string(), "line 4: it has 12 fields where the header has 13");
        assert_eq!(total(&file, "USD"), "5");
    }

    #[test]
    fn a_file_cut_short_is_refused_even_when_skipping_bad_rows() {
        use std::io::Write as _;
        let lines: Vec<String> = (0..2000)
            .map(|n| format!("{n},a,USD,2026-12-01,2026-11-01,Usage,2026-11-02,2026-11-01,,,AWS,Compute,EC2"))
            .collect();
        let text = rows(&lines.iter().map(String::as_str).collect::<Vec<_>>());
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        let whole = gz.finish().unwrap();
        let cut = &whole[..whole.len() / 2];
        for skip_bad in [false, true] {
            let error = read_focus(cut, skip_bad, |_| {}).unwrap_err();
            assert!(matches!(error, ReadError::Io(_)), "{error}");
            assert!(
                error.to_string().contains("could not be read") && error.to_string().ends_with("nothing was imported"),
                "{error}"
            );
        }
    }

    #[test]
    fn what_is_not_focus_says_so() {
        assert!(matches!(read_focus(&b""[..], false, |_| {}), Err(ReadError::Empty)));
        let error = read_focus(&b"date,amount\n2026-11-01,3\n"[..], false, |_| {}).unwrap_err().to_string();
        assert!(error.contains("not a FOCUS cost and usage export") && error.contains("BilledCost"), "{error}");
    }
}
