//! Seeded FOCUS files of any size (issue 14): realistic providers and services, hourly usage
//! over a month, credits, taxes and purchases, amounts with up to 10 decimals, several billing
//! accounts, the columns of the version asked for plus `x_` ones. For tests and the import
//! benchmark; the same seed gives the same file.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{Datelike as _, Duration, NaiveDate};
use rust_decimal::Decimal;

use crate::domain::exact::ExactSum;

/// Which FOCUS version's columns to write.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SampleVersion {
    V1_0,
    V1_1,
    V1_2,
    V1_3,
}

impl SampleVersion {
    pub const ALL: [SampleVersion; 4] =
        [SampleVersion::V1_0, SampleVersion::V1_1, SampleVersion::V1_2, SampleVersion::V1_3];

    pub fn as_str(self) -> &'static str {
        match self {
            SampleVersion::V1_0 => "1.0",
            SampleVersion::V1_1 => "1.1",
            SampleVersion::V1_2 => "1.2",
            SampleVersion::V1_3 => "1.3",
        }
    }
}

/// What to write.
#[derive(Clone, Copy, Debug)]
pub struct SampleOptions {
    pub rows: u64,
    pub seed: u64,
    pub version: SampleVersion,
    /// The billing month (its first day).
    pub month: NaiveDate,
}

/// (provider, service, ServiceCategory, currency, typical hourly cost).
const SERVICES: [(&str, &str, &str, &str, &str); 16] = [
    ("Amazon Web Services", "Amazon Elastic Compute Cloud", "Compute", "USD", "0.4160"),
    ("Amazon Web Services", "Amazon Simple Storage Service", "Storage", "USD", "0.0230"),
    ("Amazon Web Services", "Amazon CloudFront", "Networking", "USD", "0.0850"),
    ("Amazon Web Services", "Amazon Relational Database Service", "Databases", "USD", "0.2720"),
    ("Amazon Web Services", "Amazon Bedrock", "AI and Machine Learning", "USD", "0.0030"),
    ("Amazon Web Services", "AWS Lambda", "Compute", "USD", "0.0000166667"),
    ("Microsoft", "Virtual Machines", "Compute", "EUR", "0.1920"),
    ("Microsoft", "Storage", "Storage", "EUR", "0.0184"),
    ("Microsoft", "Azure OpenAI Service", "AI and Machine Learning", "EUR", "0.0020"),
    ("Microsoft", "Azure Monitor", "Management and Governance", "EUR", "0.0115"),
    ("Google Cloud", "Compute Engine", "Compute", "USD", "0.0950"),
    ("Google Cloud", "Cloud Storage", "Storage", "USD", "0.0200"),
    ("Google Cloud", "BigQuery", "Analytics", "USD", "6.2500"),
    ("Google Cloud", "Vertex AI", "AI and Machine Learning", "USD", "0.0012"),
    ("Oracle", "Compute", "Compute", "USD", "0.0250"),
    ("Oracle", "Object Storage", "Storage", "USD", "0.0255"),
];

/// Writes a sample file; returns its BilledCost total per currency, summed as it was written.
pub fn write_sample(out: impl Write, options: SampleOptions) -> std::io::Result<BTreeMap<&'static str, Decimal>> {
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, out);
    let mut rng = fastrand::Rng::with_seed(options.seed);
    let v13 = options.version == SampleVersion::V1_3;
    let provider_columns = if v13 {
        "ServiceProviderName,HostProviderName,ProviderName,PublisherName,InvoiceIssuerName"
    } else {
        "ProviderName,PublisherName,InvoiceIssuerName"
    };
    let subcategory = if options.version == SampleVersion::V1_0 { "" } else { ",ServiceSubcategory" };
    writeln!(
        out,
        "BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodEnd,BillingPeriodStart,ChargeCategory,ChargeClass,ChargeDescription,ChargePeriodEnd,ChargePeriodStart,ConsumedQuantity,ConsumedUnit,EffectiveCost,ListCost,{provider_columns},RegionId,ServiceCategory{subcategory},ServiceName,x_Team,x_FocusVersion"
    )?;
    let start = options.month.with_day(1).unwrap_or(options.month);
    let next_month = start.checked_add_months(chrono::Months::new(1)).unwrap_or(start);
    let hours = (next_month - start).num_hours().max(1) as u64;
    let accounts = ["111122223333", "444455556666", "acct-eu-7"];
    let teams = ["platform", "data", "ml", "web"];
    let mut totals: BTreeMap<&'static str, ExactSum> = BTreeMap::new();
    for n in 0..options.rows {
        let (provider, service, category, currency, hourly) = SERVICES[rng.usize(..SERVICES.len())];
        let account = accounts[(n % 3) as usize];
        let hour = rng.u64(..hours);
        let from = start.and_hms_opt(0, 0, 0).expect("midnight") + Duration::hours(hour as i64);
        let (charge_category, charge_end, billed) = match rng.u32(..1000) {
            // Credits: negative.
            0..=9 => ("Credit", from + Duration::hours(1), -Decimal::new(rng.i64(1..500_000), 4)),
            10..=14 => ("Tax", from + Duration::hours(1), Decimal::new(rng.i64(1..90_000), 4)),
            // A purchase for the whole month.
            15..=16 => (
                "Purchase",
                next_month.and_hms_opt(0, 0, 0).expect("midnight"),
                Decimal::new(rng.i64(1_000..9_000_000), 2),
            ),
            _ => {
                let base: Decimal = hourly.parse().expect("a listed price");
                let units = Decimal::new(rng.i64(1..4_000_000), 6);
                ("Usage", from + Duration::hours(1), (base * units).round_dp(10))
            }
        };
        let effective = if rng.u32(..10) == 0 { billed * Decimal::new(7, 1) } else { billed };
        let list = if billed.is_sign_negative() { Decimal::ZERO } else { billed * Decimal::new(12, 1) };
        totals.entry(currency).or_default().add(billed);
        // Datetimes as real exports write them: mostly RFC 3339, some with a space and no zone.
        let when = |at: chrono::NaiveDateTime| {
            if n % 7 == 0 {
                at.format("%Y-%m-%d %H:%M:%S").to_string()
            } else {
                at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            }
        };
        let providers = if v13 {
            format!("{provider},{provider},{provider},{provider},{provider}")
        } else {
            format!("{provider},{provider},{provider}")
        };
        let sub = if options.version == SampleVersion::V1_0 { String::new() } else { format!(",{category} (other)") };
        let quantity = if charge_category == "Usage" { format!("{}", rng.u32(1..5000)) } else { "NULL".to_string() };
        writeln!(
            out,
            "{billed},{account},\"Account {account}\",{currency},{},{},{charge_category},,\"{service}, hourly\",{},{},{quantity},Hours,{effective},{list},{providers},eu-west-1,{category}{sub},{service},{},{}",
            when(next_month.and_hms_opt(0, 0, 0).expect("midnight")),
            when(start.and_hms_opt(0, 0, 0).expect("midnight")),
            when(charge_end),
            when(from),
            teams[rng.usize(..teams.len())],
            options.version.as_str(),
        )?;
    }
    out.flush()?;
    Ok(totals.into_iter().map(|(currency, sum)| (currency, sum.value())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::focus_file::read_focus;

    #[test]
    fn every_version_reads_back_to_the_cent_it_was_written_with() {
        for version in SampleVersion::ALL {
            let options = SampleOptions { rows: 5_000, seed: 7, version, month: "2026-11-01".parse().unwrap() };
            let mut file = Vec::new();
            let written = write_sample(&mut file, options).unwrap();
            let read = read_focus(file.as_slice(), false, |_| {}).unwrap();
            assert_eq!(read.rows, 5_000, "{version:?}");
            let totals: BTreeMap<&str, Decimal> = read.totals.iter().map(|(c, sum)| (c.code(), sum.value())).collect();
            assert_eq!(totals, written, "{version:?}");
            // The sums per service and day add up to the file's totals too.
            for (currency, total) in &written {
                let mut summed = ExactSum::default();
                read.charges.iter().filter(|c| c.currency.code() == *currency).for_each(|c| summed.add_sum(&c.billed));
                assert_eq!(summed.value(), *total, "{version:?} {currency}");
            }
            assert_eq!(read.services.len(), SERVICES.len(), "{version:?}");
        }
        // The same seed, the same file.
        let options =
            SampleOptions { rows: 100, seed: 1, version: SampleVersion::V1_2, month: "2026-11-01".parse().unwrap() };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        write_sample(&mut a, options).unwrap();
        write_sample(&mut b, options).unwrap();
        assert_eq!(a, b);
    }
}
