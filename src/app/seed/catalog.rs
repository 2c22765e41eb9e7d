//! What generated items are made of: providers and their products with realistic prices, units
//! and per-unit prices, and the words names are built from.

use crate::domain::item::{BillingPeriod, IntegrationType, Kind, ServiceType};

/// How an item's usage is metered, if it is.
#[derive(Clone, Copy, Debug)]
pub enum Meter {
    None,
    /// Billed per unit (a usage-based item): the unit, its price in USD (as text, up to 8
    /// decimal places), typical units a month, and the free tier per cycle, if any.
    PerUnit {
        unit: &'static str,
        price_usd: &'static str,
        monthly_units: (u64, u64),
        free: Option<u64>,
    },
    /// A quota tracked on a plan, not billed per unit: the unit, the hard limit and the units
    /// included (free tier), if any, and typical units used a month.
    Quota {
        unit: &'static str,
        limit: Option<u64>,
        included: Option<u64>,
        monthly_units: (u64, u64),
    },
}

/// A product items are made from.
#[derive(Clone, Copy, Debug)]
pub struct Template {
    pub kind: Kind,
    pub provider: &'static str,
    /// What the item's name starts with (domains get a generated name instead).
    pub product: &'static str,
    /// The price a month in USD cents, lowest and highest (before the period's multiple); the base
    /// fee of a usage-based item; the price of a one-time purchase.
    pub monthly_cents: (u64, u64),
    /// The periods it is sold by, with weights.
    pub periods: &'static [(BillingPeriod, u32)],
    /// The currency the provider bills in, when it is not the company's usual mix.
    pub currency: Option<&'static str>,
    pub meter: Meter,
    /// What kind of AI service or integration it is, for those kinds.
    pub service: Option<ServiceType>,
    pub integration: Option<IntegrationType>,
}

use BillingPeriod::{Monthly, OneTime, Quarterly, UsageBased, Yearly};

const MONTHLY: &[(BillingPeriod, u32)] = &[(Monthly, 1)];
const MOSTLY_MONTHLY: &[(BillingPeriod, u32)] = &[(Monthly, 7), (Yearly, 2), (Quarterly, 1)];
const MOSTLY_YEARLY: &[(BillingPeriod, u32)] = &[(Yearly, 3), (Monthly, 1)];
const YEARLY: &[(BillingPeriod, u32)] = &[(Yearly, 1)];
const QUARTERLY: &[(BillingPeriod, u32)] = &[(Quarterly, 3), (Yearly, 1)];
const USAGE: &[(BillingPeriod, u32)] = &[(UsageBased, 1)];
const ONCE: &[(BillingPeriod, u32)] = &[(OneTime, 1)];

const fn plan(
    kind: Kind,
    provider: &'static str,
    product: &'static str,
    monthly_cents: (u64, u64),
    periods: &'static [(BillingPeriod, u32)],
) -> Template {
    Template {
        kind,
        provider,
        product,
        monthly_cents,
        periods,
        currency: None,
        meter: Meter::None,
        service: None,
        integration: None,
    }
}

const fn billed_in(template: Template, currency: &'static str) -> Template {
    Template { currency: Some(currency), ..template }
}

const fn per_unit(
    template: Template,
    unit: &'static str,
    price_usd: &'static str,
    monthly_units: (u64, u64),
    free: Option<u64>,
) -> Template {
    Template { meter: Meter::PerUnit { unit, price_usd, monthly_units, free }, periods: USAGE, ..template }
}

const fn quota(
    template: Template,
    unit: &'static str,
    limit: Option<u64>,
    included: Option<u64>,
    monthly_units: (u64, u64),
) -> Template {
    Template { meter: Meter::Quota { unit, limit, included, monthly_units }, ..template }
}

const fn ai(template: Template, service: ServiceType) -> Template {
    Template { service: Some(service), ..template }
}

const fn integration(template: Template, integration: IntegrationType) -> Template {
    Template { integration: Some(integration), ..template }
}

/// A registrar domains are bought from.
#[derive(Clone, Copy, Debug)]
pub struct Registrar {
    pub provider: &'static str,
    /// The price a year in USD cents, lowest and highest.
    pub yearly_cents: (u64, u64),
    /// The currency it bills in, when it is not the company's usual mix.
    pub currency: Option<&'static str>,
    /// The TLD-like part of the names: generated domains end in `.example` after it
    /// (`brightpixel.co.th.example`), so no registry is ever asked about them.
    pub tld: &'static str,
}

const fn registrar(
    provider: &'static str,
    yearly_cents: (u64, u64),
    currency: Option<&'static str>,
    tld: &'static str,
) -> Registrar {
    Registrar { provider, yearly_cents, currency, tld }
}

pub const REGISTRARS: &[Registrar] = &[
    registrar("Namecheap", (898, 1598), None, "com"),
    registrar("Cloudflare", (1044, 1044), None, "dev"),
    registrar("Porkbun", (2398, 3998), None, "io"),
    registrar("GoDaddy", (1299, 2499), None, "net"),
    registrar("Gandi", (1600, 4500), Some("EUR"), "eu"),
    registrar("Nominet", (700, 1200), Some("GBP"), "co.uk"),
    registrar("THNIC", (2900, 3300), Some("THB"), "co.th"),
    registrar("JPRS", (2400, 4000), Some("JPY"), "jp"),
    registrar("SGNIC", (3500, 5000), Some("SGD"), "sg"),
    registrar("Namecheap", (4999, 7999), None, "ai"),
];

/// Every non-domain product.
#[rustfmt::skip]
pub const TEMPLATES: &[Template] = &[
    // Hosting
    plan(Kind::Hosting, "AWS", "EC2", (1500, 60000), MOSTLY_MONTHLY),
    plan(Kind::Hosting, "DigitalOcean", "Droplet", (600, 9600), MONTHLY),
    billed_in(plan(Kind::Hosting, "Hetzner", "Hetzner Cloud", (450, 8000), MONTHLY), "EUR"),
    quota(plan(Kind::Hosting, "Vercel", "Vercel Pro", (2000, 2000), MOSTLY_MONTHLY), "GB", None, Some(1000), (200, 1400)),
    billed_in(plan(Kind::Hosting, "Sakura Internet", "Sakura VPS", (700, 5000), MOSTLY_YEARLY), "JPY"),
    plan(Kind::Hosting, "Linode", "Linode", (500, 8000), MONTHLY),
    per_unit(plan(Kind::Hosting, "Google Cloud", "Cloud Run", (0, 0), USAGE), "vCPU-second", "0.000024", (400_000, 6_000_000), Some(180_000)),
    per_unit(plan(Kind::Hosting, "AWS", "Lambda", (0, 0), USAGE), "GB-second", "0.00001667", (1_000_000, 40_000_000), None),
    per_unit(plan(Kind::Hosting, "Fly.io", "Fly Machines", (2900, 2900), USAGE), "machine-hour", "0.0027", (2_000, 30_000), None),
    // CDN
    quota(plan(Kind::Cdn, "Cloudflare", "Cloudflare Pro", (2000, 2500), MOSTLY_MONTHLY), "GB", None, None, (500, 4000)),
    plan(Kind::Cdn, "Cloudflare", "Cloudflare Business", (20000, 25000), MOSTLY_MONTHLY),
    per_unit(plan(Kind::Cdn, "Fastly", "Fastly", (0, 0), USAGE), "GB", "0.12", (300, 9000), None),
    billed_in(per_unit(plan(Kind::Cdn, "Bunny", "Bunny CDN", (0, 0), USAGE), "GB", "0.01", (1_000, 40_000), None), "EUR"),
    per_unit(plan(Kind::Cdn, "AWS", "CloudFront", (0, 0), USAGE), "GB", "0.085", (800, 20_000), Some(1_000)),
    plan(Kind::Cdn, "Akamai", "Akamai", (50000, 200000), QUARTERLY),
    // Storage
    per_unit(plan(Kind::Storage, "AWS", "S3", (0, 0), USAGE), "GB-month", "0.023", (500, 60_000), None),
    per_unit(plan(Kind::Storage, "Backblaze", "B2", (0, 0), USAGE), "GB-month", "0.006", (1_000, 80_000), Some(10)),
    per_unit(plan(Kind::Storage, "Cloudflare", "R2", (0, 0), USAGE), "GB-month", "0.015", (200, 30_000), Some(10)),
    quota(plan(Kind::Storage, "Wasabi", "Wasabi", (699, 6990), MONTHLY), "TB", Some(10), None, (1, 9)),
    plan(Kind::Storage, "Dropbox", "Dropbox Business", (1500, 9000), MOSTLY_YEARLY),
    plan(Kind::Storage, "Google", "Google Drive storage", (200, 1000), MOSTLY_MONTHLY),
    // AI providers
    ai(per_unit(plan(Kind::AiProvider, "OpenAI", "OpenAI", (0, 0), USAGE), "token", "0.0000025", (8_000_000, 120_000_000), None), ServiceType::Text),
    ai(per_unit(plan(Kind::AiProvider, "OpenAI", "OpenAI mini", (0, 0), USAGE), "token", "0.00000015", (50_000_000, 900_000_000), None), ServiceType::Text),
    ai(per_unit(plan(Kind::AiProvider, "OpenAI", "OpenAI embeddings", (0, 0), USAGE), "token", "0.00000002", (100_000_000, 2_000_000_000), None), ServiceType::Embedding),
    ai(per_unit(plan(Kind::AiProvider, "Anthropic", "Claude", (0, 0), USAGE), "1M tokens", "3.00", (5, 90), None), ServiceType::Text),
    ai(per_unit(plan(Kind::AiProvider, "Google", "Gemini", (0, 0), USAGE), "1M tokens", "1.25", (10, 200), None), ServiceType::Text),
    ai(billed_in(per_unit(plan(Kind::AiProvider, "Mistral", "Mistral", (0, 0), USAGE), "1M tokens", "2.00", (5, 80), None), "EUR"), ServiceType::Text),
    ai(per_unit(plan(Kind::AiProvider, "Cohere", "Cohere", (0, 0), USAGE), "1M tokens", "0.50", (20, 300), None), ServiceType::Embedding),
    ai(per_unit(plan(Kind::AiProvider, "Stability AI", "Stability", (0, 0), USAGE), "image", "0.04", (200, 6_000), Some(25)), ServiceType::Image),
    ai(per_unit(plan(Kind::AiProvider, "Replicate", "Replicate", (0, 0), USAGE), "GPU-second", "0.000725", (20_000, 600_000), None), ServiceType::Video),
    ai(quota(plan(Kind::AiProvider, "ElevenLabs", "ElevenLabs", (2200, 9900), MOSTLY_MONTHLY), "character", None, Some(100_000), (40_000, 160_000)), ServiceType::Audio),
    ai(plan(Kind::AiProvider, "OpenAI", "ChatGPT Team", (5000, 60000), MOSTLY_MONTHLY), ServiceType::Text),
    // Integrations
    integration(per_unit(plan(Kind::Integration, "Stripe", "Stripe", (0, 0), USAGE), "transaction", "0.30", (100, 8_000), None), IntegrationType::Payment),
    integration(billed_in(per_unit(plan(Kind::Integration, "Omise", "Omise", (0, 0), USAGE), "transaction", "0.31", (100, 5_000), None), "THB"), IntegrationType::Payment),
    integration(per_unit(plan(Kind::Integration, "Twilio", "Twilio SMS", (0, 0), USAGE), "SMS", "0.0079", (2_000, 90_000), None), IntegrationType::Auth),
    integration(quota(plan(Kind::Integration, "SendGrid", "SendGrid", (1995, 8995), MOSTLY_MONTHLY), "email", None, Some(50_000), (10_000, 60_000)), IntegrationType::Email),
    integration(plan(Kind::Integration, "Auth0", "Auth0", (3500, 24000), MOSTLY_MONTHLY), IntegrationType::Auth),
    integration(quota(plan(Kind::Integration, "Supabase", "Supabase", (2500, 2500), MONTHLY), "GB database", Some(8), None, (1, 7)), IntegrationType::Database),
    integration(plan(Kind::Integration, "Sentry", "Sentry", (2600, 8000), MOSTLY_YEARLY), IntegrationType::Monitoring),
    integration(plan(Kind::Integration, "Datadog", "Datadog", (1500, 60000), MOSTLY_MONTHLY), IntegrationType::Monitoring),
    integration(per_unit(plan(Kind::Integration, "PostHog", "PostHog", (0, 0), USAGE), "event", "0.00005", (500_000, 8_000_000), Some(1_000_000)), IntegrationType::Analytics),
    integration(per_unit(plan(Kind::Integration, "Algolia", "Algolia", (0, 0), USAGE), "1K searches", "0.50", (20, 900), Some(10)), IntegrationType::Other),
    integration(plan(Kind::Integration, "Resend", "Resend", (2000, 9000), MONTHLY), IntegrationType::Email),
    // Packages
    plan(Kind::Package, "GitHub", "GitHub Team", (4000, 40000), MOSTLY_MONTHLY),
    plan(Kind::Package, "Notion", "Notion Plus", (1000, 20000), MOSTLY_YEARLY),
    plan(Kind::Package, "Slack", "Slack Pro", (875, 30000), MOSTLY_MONTHLY),
    plan(Kind::Package, "Figma", "Figma Professional", (1500, 12000), MOSTLY_YEARLY),
    plan(Kind::Package, "JetBrains", "JetBrains All Products", (2500, 6900), YEARLY),
    plan(Kind::Package, "Microsoft", "Microsoft 365", (600, 22000), MOSTLY_MONTHLY),
    plan(Kind::Package, "Google", "Google Workspace", (720, 21600), MOSTLY_MONTHLY),
    plan(Kind::Package, "Linear", "Linear", (800, 14000), MOSTLY_MONTHLY),
    plan(Kind::Package, "1Password", "1Password Business", (799, 7990), MOSTLY_YEARLY),
    plan(Kind::Package, "Adobe", "Creative Cloud", (5999, 8999), MOSTLY_YEARLY),
    plan(Kind::Package, "Sublime HQ", "Sublime Text licence", (9900, 9900), ONCE),
    plan(Kind::Package, "Tailwind Labs", "Tailwind UI", (29900, 29900), ONCE),
    billed_in(plan(Kind::Package, "LINE", "LINE Official Account", (1500, 4500), MONTHLY), "THB"),
    // Other
    billed_in(plan(Kind::Other, "True Internet", "Office internet", (3000, 6000), MONTHLY), "THB"),
    billed_in(plan(Kind::Other, "JustCo", "Coworking desks", (30000, 90000), MOSTLY_MONTHLY), "SGD"),
    billed_in(plan(Kind::Other, "Hartley & Co", "Accountants", (50000, 150000), QUARTERLY), "GBP"),
    plan(Kind::Other, "Hiscox", "Cyber insurance", (8000, 30000), YEARLY),
    plan(Kind::Other, "Apple", "MacBook Pro", (159900, 349900), ONCE),
    billed_in(plan(Kind::Other, "NTT Docomo", "Phone plans", (3000, 12000), MONTHLY), "JPY"),
    billed_in(plan(Kind::Other, "Kanzlei Weber", "Legal retainer", (40000, 120000), QUARTERLY), "EUR"),
];

/// Teams and projects, for names such as `EC2 checkout-prod`.
pub const TEAMS: &[&str] = &[
    "web",
    "api",
    "mobile",
    "data",
    "ml",
    "search",
    "billing",
    "growth",
    "ops",
    "support",
    "marketing",
    "design",
    "sales",
    "infra",
    "platform",
    "analytics",
    "checkout",
    "payments",
    "identity",
    "notifications",
    "media",
    "partners",
    "finance",
    "hr",
    "security",
    "docs",
    "qa",
    "edge",
    "ingest",
    "reports",
];

/// Environments and regions, the second part of those names.
pub const PLACES: &[&str] = &["prod", "staging", "dev", "eu", "us", "apac", "th", "sg", "jp", "uk", "batch", "backup"];

/// The two halves of generated brand names, for domains and sites.
pub const BRAND_HEADS: &[&str] = &[
    "bright", "north", "blue", "swift", "silver", "green", "lumen", "terra", "nova", "quill", "cedar", "harbor",
    "pixel", "orbit", "maple", "delta", "ember", "coral", "atlas", "zen", "river", "stone", "sun", "cloud", "iron",
    "echo", "bamboo", "lotus", "saffron", "tiger",
];
pub const BRAND_TAILS: &[&str] = &[
    "wind", "pixel", "labs", "works", "forge", "cart", "shop", "desk", "loop", "path", "hub", "craft", "stack", "wave",
    "field", "mint", "base", "nest", "point", "line",
];

/// Hosting server types and specs.
pub const SERVERS: &[(&str, &str)] = &[
    ("t3.small", "2 vCPU, 2 GiB RAM"),
    ("t3.large", "2 vCPU, 8 GiB RAM, 100 GB gp3"),
    ("m6i.xlarge", "4 vCPU, 16 GiB RAM"),
    ("c7g.2xlarge", "8 vCPU, 16 GiB RAM"),
    ("CX32", "4 vCPU, 8 GB RAM, 80 GB disk"),
    ("s-2vcpu-4gb", "2 vCPU, 4 GB RAM, 80 GB SSD"),
];

/// Package features.
pub const FEATURES: &[&str] = &[
    "SSO",
    "Audit log",
    "Guests",
    "Unlimited history",
    "Private repositories",
    "Code owners",
    "Priority support",
    "Admin console",
    "Shared vaults",
    "Version history",
];

/// Keywords some sites are checked for.
pub const KEYWORDS: &[&str] = &["Add to cart", "Sign in", "All systems operational", "Welcome", "Pricing"];

/// Notes on some items.
pub const NOTES: &[&str] = &[
    "Paid with the company card ending 4242",
    "Ask finance before upgrading",
    "Contract reviewed every spring",
    "Shared with the partner agency",
    "Migrating away in the next quarter",
    "Billing contact: ops@example.com",
];
