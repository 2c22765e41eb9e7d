//! The slash commands in other languages: Thai names and descriptions for every command,
//! subcommand and option, from one table keyed by the English, added to the commands when they
//! are built. Discord shows members the names and descriptions of their client's language.
//!
//! Keys are the English as written on the commands, so the commands stay the one source of
//! truth: changing an English description leaves its translation unused and the command
//! untranslated, and the tests below refuse both.

use std::borrow::Cow;

use super::{Data, Error};

type Command = poise::Command<Data, Error>;

/// One language's words for the commands.
pub struct Catalog {
    /// Discord's locale (`th`), also the language's code in `prompts/`.
    pub locale: &'static str,
    /// Names by English name. A key with the parent's path (`settings set`) wins over the bare
    /// name, for the rare name that reads differently in one place. Discord's rules for names
    /// apply: one word of letters, digits, `-`, `_`, at most 32 characters.
    names: &'static [(&'static str, &'static str)],
    /// Descriptions by English description (at most 100 characters).
    descriptions: &'static [(&'static str, &'static str)],
}

/// Every language the commands are translated into.
pub const CATALOGS: [&Catalog; 1] = [&THAI];

fn lookup(table: &'static [(&'static str, &'static str)], key: &str) -> Option<&'static str> {
    table.iter().find(|(english, _)| *english == key).map(|(_, translated)| *translated)
}

impl Catalog {
    /// The name of the command or option at `path` (`jarvis schedule set`), whose own name is
    /// `name`.
    fn name(&self, path: &str, name: &str) -> Option<&'static str> {
        lookup(self.names, path).or_else(|| lookup(self.names, name))
    }

    fn description(&self, english: Option<&str>) -> Option<&'static str> {
        english.and_then(|english| lookup(self.descriptions, english))
    }
}

fn join(parent: &str, name: &str) -> String {
    if parent.is_empty() { name.to_string() } else { format!("{parent} {name}") }
}

type Localizations = Cow<'static, [(Cow<'static, str>, Cow<'static, str>)]>;

fn add(localizations: &mut Localizations, locale: &'static str, text: Option<&'static str>) {
    if let Some(text) = text {
        localizations.to_mut().push((Cow::Borrowed(locale), Cow::Borrowed(text)));
    }
}

/// Adds every catalog's names and descriptions to `commands` and everything under them. A
/// missing translation leaves the English.
pub fn apply(commands: &mut [Command]) {
    for command in commands {
        apply_to(command, "");
    }
}

fn apply_to(command: &mut Command, parent: &str) {
    let path = join(parent, &command.name);
    for catalog in CATALOGS {
        add(&mut command.name_localizations, catalog.locale, catalog.name(&path, &command.name));
        let description = catalog.description(command.description.as_deref());
        add(&mut command.description_localizations, catalog.locale, description);
        for parameter in &mut command.parameters {
            let name = catalog.name(&join(&path, &parameter.name), &parameter.name);
            add(&mut parameter.name_localizations, catalog.locale, name);
            let description = catalog.description(parameter.description.as_deref());
            add(&mut parameter.description_localizations, catalog.locale, description);
        }
    }
    for subcommand in &mut command.subcommands {
        apply_to(subcommand, &path);
    }
}

/// Thai: short, everyday words, the terms of `prompts/th/messages.json` (ค่าใช้จ่าย, การต่ออายุ,
/// โควตาฟรี...). Values people type stay as the bot reads them (`weekly monday`, `YYYY-MM-DD`,
/// field names to clear).
pub const THAI: Catalog = Catalog {
    locale: "th",
    names: &[
        // Commands.
        ("dashboard", "แดชบอร์ด"),
        ("trends", "แนวโน้ม"),
        ("alerts", "แจ้งเตือน"),
        ("renewals", "การต่ออายุ"),
        ("jarvis", "จาร์วิส"),
        ("infra", "โครงสร้างพื้นฐาน"),
        ("ai", "เอไอ"),
        ("integration", "บริการเชื่อมต่อ"),
        ("package", "แพ็กเกจ"),
        ("cost", "ค่าใช้จ่าย"),
        ("budget", "งบประมาณ"),
        ("settings", "ตั้งค่า"),
        ("site", "เว็บไซต์"),
        // Subcommands.
        ("report", "รายงาน"),
        ("schedule", "กำหนดเวลา"),
        ("token", "โทเคน"),
        ("web", "เว็บ"),
        ("create", "สร้าง"),
        ("revoke", "ยกเลิก"),
        ("set", "ตั้ง"),
        ("settings set", "เปลี่ยน"),
        ("show", "ดู"),
        ("off", "ปิด"),
        ("add", "เพิ่ม"),
        ("form", "แบบฟอร์ม"),
        ("edit", "แก้ไข"),
        ("remove", "ลบ"),
        ("list", "ดูทั้งหมด"),
        ("usage", "ใช้ไป"),
        ("ai usage", "บันทึกการใช้งาน"),
        ("connect", "เชื่อม"),
        ("pull", "ดึงข้อมูล"),
        ("disconnect", "เลิกเชื่อม"),
        ("integration usage", "บันทึกการใช้งาน"),
        ("record", "บันทึก"),
        ("history", "ประวัติ"),
        ("import", "นำเข้าบิล"),
        ("file", "ไฟล์"),
        ("dry_run", "ทดลองก่อน"),
        ("skip_bad", "ข้ามแถวเสีย"),
        ("map", "จับคู่บริการ"),
        ("replace_partial", "แทนที่แม้ไม่ครบ"),
        ("rate", "อัตรา"),
        ("settings rate", "อัตราแลกเปลี่ยน"),
        ("check", "ตรวจ"),
        // Options.
        ("days", "จำนวนวัน"),
        ("page", "หน้า"),
        ("months", "จำนวนเดือน"),
        ("category", "หมวด"),
        ("post", "โพสต์"),
        ("channel", "ช่อง"),
        ("cadence", "ความถี่"),
        ("time", "เวลา"),
        ("kind", "ประเภท"),
        ("name", "ชื่อ"),
        ("period", "รอบชำระ"),
        ("renews", "วันต่ออายุ"),
        ("auto_renew", "ต่ออายุอัตโนมัติ"),
        ("currency", "สกุลเงิน"),
        ("provider", "ผู้ให้บริการ"),
        ("registrar", "ผู้ให้บริการจดโดเมน"),
        ("server_type", "ประเภทเซิร์ฟเวอร์"),
        ("specs", "สเปก"),
        ("unit", "หน่วย"),
        ("free_tier", "โควตาฟรี"),
        ("unit_price", "ราคาต่อหน่วย"),
        ("usage_limit", "ขีดจำกัด"),
        ("limit", "ขีดจำกัด"),
        ("used", "ใช้ไป"),
        ("notes", "หมายเหตุ"),
        ("note", "หมายเหตุ"),
        ("item", "รายการ"),
        ("status", "สถานะ"),
        ("lead_times", "แจ้งเตือนล่วงหน้า"),
        ("yearly_price", "ราคารายปี"),
        ("plan_price", "ราคาเหมาจ่าย"),
        ("clear", "ล้างค่า"),
        ("service", "บริการ"),
        ("pricing", "รูปแบบราคา"),
        ("key_status", "สถานะคีย์"),
        ("features", "ฟีเจอร์"),
        ("amount", "จำนวนเงิน"),
        ("month", "เดือน"),
        ("date", "วันที่"),
        ("source", "ที่มา"),
        ("replace", "แทนที่"),
        ("again", "บันทึกซ้ำ"),
        ("from", "ตั้งแต่"),
        ("to", "ถึง"),
        ("scope", "ขอบเขต"),
        ("thresholds", "เกณฑ์เตือน"),
        ("setting", "หัวข้อ"),
        ("value", "ค่าใหม่"),
        ("base", "จากสกุล"),
        ("quote", "เป็นสกุล"),
        ("url", "ที่อยู่เว็บ"),
        ("keyword", "คำที่ต้องพบ"),
        ("interval", "รอบตรวจ"),
    ],
    descriptions: &[
        // /dashboard, /trends, /alerts, /renewals
        (
            "Monthly cost, categories, this month, the last 12 months, renewals, alerts, providers, and a chart",
            "ค่าใช้จ่ายต่อเดือน แยกตามหมวด เดือนนี้ 12 เดือนล่าสุด การต่ออายุ การแจ้งเตือน ผู้ให้บริการ และกราฟ",
        ),
        ("List renewals in the next this many days (default 30)", "แสดงการต่ออายุภายในกี่วันข้างหน้า (ค่าเริ่มต้น 30)"),
        (
            "Monthly costs, this month's projection and a 3-month forecast, with a chart",
            "ค่าใช้จ่ายรายเดือน ยอดคาดการณ์เดือนนี้ และการคาดการณ์ 3 เดือน พร้อมกราฟ",
        ),
        ("Completed months to show (default 12)", "จำนวนเดือนที่ครบแล้วที่จะแสดง (ค่าเริ่มต้น 12)"),
        ("Only this category", "เฉพาะหมวดนี้"),
        (
            "What needs attention: renewals, expiries, budgets, free tiers, API keys, unusual spend",
            "สิ่งที่ต้องดู: การต่ออายุ การหมดอายุ งบประมาณ โควตาฟรี API key และค่าใช้จ่ายผิดปกติ",
        ),
        (
            "What renews soon, with its cost and whether it renews by itself",
            "รายการที่ใกล้ต่ออายุ พร้อมค่าใช้จ่าย และบอกว่าต่ออายุอัตโนมัติหรือไม่",
        ),
        ("Renewals in the next this many days (default 30)", "การต่ออายุภายในกี่วันข้างหน้า (ค่าเริ่มต้น 30)"),
        ("Which page to show (default 1)", "หน้าที่จะแสดง (ค่าเริ่มต้น 1)"),
        // /jarvis
        (
            "Jarvis's analysis of your spending, and when it is posted",
            "บทวิเคราะห์ค่าใช้จ่ายของคุณจาก Jarvis และกำหนดเวลาโพสต์",
        ),
        (
            "The health score and how it is made, recommendations with their savings, and risks",
            "คะแนนสุขภาพและที่มาของคะแนน คำแนะนำพร้อมยอดที่ประหยัดได้ และความเสี่ยง",
        ),
        (
            "Post it for everyone in the report channel (or here) instead of just answering",
            "โพสต์ให้ทุกคนเห็นในช่องรายงาน (หรือช่องนี้) แทนการตอบเฉพาะคุณ",
        ),
        ("When Jarvis posts its report on its own", "กำหนดเวลาที่ Jarvis โพสต์รายงานเอง"),
        (
            "A one-time link to this server's web pages, for you alone (valid 10 minutes)",
            "ลิงก์ใช้ครั้งเดียวไปยังหน้าเว็บของเซิร์ฟเวอร์นี้ สำหรับคุณเท่านั้น (ใช้ได้ 10 นาที)",
        ),
        (
            "API tokens for scripts and tools reaching this server's ledger over HTTP (admins)",
            "โทเคน API สำหรับสคริปต์และเครื่องมือที่เข้าถึงข้อมูลของเซิร์ฟเวอร์นี้ผ่าน HTTP (ผู้ดูแล)",
        ),
        ("Make an API token; it is shown once, to you alone", "สร้างโทเคน API ซึ่งจะแสดงครั้งเดียวให้คุณเห็นคนเดียว"),
        (
            "A name saying what uses it, e.g. grafana or billing-sync",
            "ชื่อที่บอกว่าอะไรใช้โทเคนนี้ เช่น grafana หรือ billing-sync",
        ),
        ("read: look only; write: also change the ledger", "read: ดูอย่างเดียว; write: แก้ไขข้อมูลได้ด้วย"),
        (
            "The API tokens of this server: name, scope, visible start and last use",
            "โทเคน API ของเซิร์ฟเวอร์นี้: ชื่อ ขอบเขต ส่วนต้นที่เห็นได้ และการใช้ล่าสุด",
        ),
        (
            "Revoke an API token: requests carrying it are refused from now on",
            "ยกเลิกโทเคน API: คำขอที่ใช้โทเคนนี้จะถูกปฏิเสธตั้งแต่นี้",
        ),
        ("The token's name, as /jarvis token list shows it", "ชื่อโทเคนตามที่ /jarvis token list แสดง"),
        (
            "Which Jarvis instances run, the shards they serve, and what is owed to this server (admins)",
            "อินสแตนซ์ของ Jarvis ที่ทำงานอยู่ ชาร์ดที่ดูแล และข้อความที่ค้างส่งถึงเซิร์ฟเวอร์นี้ (ผู้ดูแล)",
        ),
        (
            "Post the report to a channel daily, weekly on a weekday, or monthly on a day, at a local time",
            "โพสต์รายงานในช่องทุกวัน ทุกสัปดาห์ในวันที่เลือก หรือทุกเดือนในวันที่กำหนด ตามเวลาท้องถิ่น",
        ),
        ("The channel to post in", "ช่องที่จะโพสต์"),
        (
            "daily, weekly <weekday> or monthly <day 1-28>, e.g. weekly monday",
            "daily, weekly <วันในสัปดาห์> หรือ monthly <วันที่ 1-28> เช่น weekly monday",
        ),
        (
            "Local time, HH:MM (the server's timezone setting), e.g. 09:00",
            "เวลาท้องถิ่น HH:MM (ตามเขตเวลาที่ตั้งไว้ของเซิร์ฟเวอร์) เช่น 09:00",
        ),
        ("Show when the report is posted", "ดูว่ารายงานจะโพสต์เมื่อไร"),
        ("Stop posting the report on a schedule", "หยุดโพสต์รายงานตามกำหนดเวลา"),
        // /infra
        ("Domains, hosting, CDN and storage", "โดเมน โฮสติ้ง CDN และพื้นที่จัดเก็บ"),
        ("Add a domain, hosting, CDN or storage service", "เพิ่มโดเมน โฮสติ้ง CDN หรือบริการพื้นที่จัดเก็บ"),
        ("What it is", "ประเภทของรายการ"),
        ("Its name, e.g. acme.com or api-prod", "ชื่อ เช่น acme.com หรือ api-prod"),
        ("Price per billing period, e.g. 12.50", "ราคาต่อรอบบิล เช่น 12.50"),
        (
            "How often it is paid (default: yearly for domains, monthly otherwise)",
            "จ่ายบ่อยแค่ไหน (ค่าเริ่มต้น: โดเมนรายปี นอกนั้นรายเดือน)",
        ),
        (
            "Next renewal or billing date, YYYY-MM-DD (the expiry date if it does not auto-renew)",
            "วันต่ออายุหรือวันเรียกเก็บเงินครั้งถัดไป YYYY-MM-DD (วันหมดอายุ ถ้าไม่ต่ออายุอัตโนมัติ)",
        ),
        ("It renews and is charged automatically", "ต่ออายุและเรียกเก็บเงินอัตโนมัติ"),
        (
            "ISO currency of the cost, e.g. USD or THB (default: the workspace's)",
            "สกุลเงิน ISO ของราคา เช่น USD หรือ THB (ค่าเริ่มต้น: สกุลเงินหลักของเซิร์ฟเวอร์)",
        ),
        ("Who provides it, e.g. AWS or Cloudflare", "ผู้ให้บริการ เช่น AWS หรือ Cloudflare"),
        ("Domains: the registrar, e.g. Namecheap", "โดเมน: ผู้ให้บริการจดโดเมน เช่น Namecheap"),
        ("Hosting: server or instance type, e.g. t3.large", "โฮสติ้ง: ประเภทเซิร์ฟเวอร์หรืออินสแตนซ์ เช่น t3.large"),
        ("Hosting: specs, e.g. 2 vCPU, 8 GiB RAM", "โฮสติ้ง: สเปก เช่น 2 vCPU, 8 GiB RAM"),
        ("What usage is counted in, e.g. GB", "หน่วยที่ใช้นับการใช้งาน เช่น GB"),
        ("Units used so far this billing cycle", "จำนวนหน่วยที่ใช้ไปแล้วในรอบบิลนี้"),
        ("Units free each billing cycle", "จำนวนหน่วยที่ใช้ฟรีในแต่ละรอบบิล"),
        (
            "Usage-based items: price per unit beyond the free tier, e.g. 0.023",
            "รายการที่คิดตามการใช้งาน: ราคาต่อหน่วยส่วนที่เกินโควตาฟรี เช่น 0.023",
        ),
        ("A hard usage limit per cycle", "ขีดจำกัดการใช้งานสูงสุดต่อรอบ"),
        ("Free-form notes", "บันทึกเพิ่มเติม"),
        (
            "Add or edit an item in a form (prefilled when you pick an item)",
            "เพิ่มหรือแก้ไขรายการด้วยแบบฟอร์ม (กรอกข้อมูลเดิมให้เมื่อเลือกรายการ)",
        ),
        ("What it is, for a new item", "ประเภท สำหรับรายการใหม่"),
        ("The item to edit (leave empty to add one)", "รายการที่จะแก้ไข (เว้นว่างเพื่อเพิ่มรายการใหม่)"),
        (
            "Change a domain, hosting, CDN or storage item; what you leave out stays",
            "แก้ไขโดเมน โฮสติ้ง CDN หรือพื้นที่จัดเก็บ ช่องที่ไม่ได้ระบุจะคงเดิม",
        ),
        ("The item", "รายการ"),
        ("New name", "ชื่อใหม่"),
        ("New price per billing period, e.g. 14.98", "ราคาใหม่ต่อรอบบิล เช่น 14.98"),
        ("How often it is paid", "จ่ายบ่อยแค่ไหน"),
        ("Next renewal date, YYYY-MM-DD", "วันต่ออายุครั้งถัดไป YYYY-MM-DD"),
        ("Status: active lets the dates decide", "สถานะ: ใช้งานอยู่ คือให้วันที่เป็นตัวกำหนด"),
        ("ISO currency of the cost", "สกุลเงิน ISO ของราคา"),
        ("Who provides it", "ผู้ให้บริการ"),
        ("Domains: the registrar", "โดเมน: ผู้ให้บริการจดโดเมน"),
        ("Hosting: server or instance type", "โฮสติ้ง: ประเภทเซิร์ฟเวอร์หรืออินสแตนซ์"),
        ("Hosting: specs", "โฮสติ้ง: สเปก"),
        ("Usage-based items: price per unit beyond the free tier", "รายการที่คิดตามการใช้งาน: ราคาต่อหน่วยส่วนที่เกินโควตาฟรี"),
        ("Days before the renewal that alerts fire, e.g. 60,14,1", "แจ้งเตือนก่อนวันต่ออายุกี่วัน เช่น 60,14,1"),
        (
            "What a year would cost billed yearly (monthly or quarterly items)",
            "ราคาทั้งปีถ้าจ่ายรายปี (สำหรับรายการรายเดือนหรือรายไตรมาส)",
        ),
        ("Fields to empty, comma-separated, e.g. notes, renewal", "ช่องที่จะล้างค่า คั่นด้วยจุลภาค เช่น notes, renewal"),
        (
            "Remove a domain, hosting, CDN or storage item (asks first; its history is kept)",
            "ลบโดเมน โฮสติ้ง CDN หรือพื้นที่จัดเก็บ (ถามยืนยันก่อน ประวัติยังเก็บไว้)",
        ),
        ("List domains, hosting, CDN and storage with their costs", "รายการโดเมน โฮสติ้ง CDN และพื้นที่จัดเก็บ พร้อมค่าใช้จ่าย"),
        (
            "One infrastructure item in full, with its recent costs",
            "รายละเอียดรายการโครงสร้างพื้นฐานหนึ่งรายการ พร้อมค่าใช้จ่ายล่าสุด",
        ),
        // /ai
        ("AI providers: image, video, audio and text services", "ผู้ให้บริการ AI: บริการภาพ วิดีโอ เสียง และข้อความ"),
        ("Add an AI provider", "เพิ่มผู้ให้บริการ AI"),
        ("Its name, e.g. OpenAI", "ชื่อ เช่น OpenAI"),
        ("What it makes", "สร้างงานประเภทใด"),
        ("How it is priced", "รูปแบบการคิดราคา"),
        (
            "Subscription price, or the base fee of pay-per-use (e.g. 20); 0 if free",
            "ราคาสมาชิก หรือค่าพื้นฐานของแบบจ่ายตามการใช้ (เช่น 20) ใส่ 0 ถ้าฟรี",
        ),
        ("Pay-per-use: price per unit, e.g. 2.50", "จ่ายตามการใช้: ราคาต่อหน่วย เช่น 2.50"),
        ("What usage is counted in, e.g. 1M tokens, image, request", "หน่วยที่ใช้นับการใช้งาน เช่น 1M tokens, image, request"),
        ("Units free each billing cycle (the free tier)", "จำนวนหน่วยที่ใช้ฟรีในแต่ละรอบบิล (โควตาฟรี)"),
        ("What you know of the API key (Jarvis never stores keys)", "สถานะ API key เท่าที่ทราบ (Jarvis ไม่เก็บคีย์)"),
        ("Next billing or renewal date, YYYY-MM-DD", "วันเรียกเก็บเงินหรือวันต่ออายุครั้งถัดไป YYYY-MM-DD"),
        ("ISO currency, e.g. USD", "สกุลเงิน ISO เช่น USD"),
        (
            "What a flat monthly plan would cost instead of paying per use",
            "ราคาแพ็กเกจรายเดือนแบบเหมาจ่าย แทนการจ่ายตามการใช้",
        ),
        ("Add or edit in a form (prefilled when you pick one)", "เพิ่มหรือแก้ไขด้วยแบบฟอร์ม (กรอกข้อมูลเดิมให้เมื่อเลือกรายการ)"),
        ("The one to edit (leave empty to add one)", "รายการที่จะแก้ไข (เว้นว่างเพื่อเพิ่มใหม่)"),
        ("Change an AI provider; what you leave out stays", "แก้ไขผู้ให้บริการ AI ช่องที่ไม่ได้ระบุจะคงเดิม"),
        ("The AI provider", "ผู้ให้บริการ AI"),
        ("Subscription price or base fee", "ราคาสมาชิกหรือค่าพื้นฐาน"),
        ("Price per unit", "ราคาต่อหน่วย"),
        ("Units free each cycle", "จำนวนหน่วยที่ใช้ฟรีในแต่ละรอบ"),
        ("Units used so far this cycle", "จำนวนหน่วยที่ใช้ไปแล้วในรอบนี้"),
        ("What you know of the API key", "สถานะ API key เท่าที่ทราบ"),
        ("What a flat monthly plan would cost", "ราคาแพ็กเกจรายเดือนแบบเหมาจ่าย"),
        ("What usage is counted in, e.g. 1M tokens", "หน่วยที่ใช้นับการใช้งาน เช่น 1M tokens"),
        ("Days before the renewal that alerts fire, e.g. 30,7", "แจ้งเตือนก่อนวันต่ออายุกี่วัน เช่น 30,7"),
        ("Fields to empty, comma-separated, e.g. free_tier, notes", "ช่องที่จะล้างค่า คั่นด้วยจุลภาค เช่น free_tier, notes"),
        ("Remove an AI provider (asks first; its history is kept)", "ลบผู้ให้บริการ AI (ถามยืนยันก่อน ประวัติยังเก็บไว้)"),
        (
            "AI providers as cards: usage against the free tier, cost, API key status",
            "ผู้ให้บริการ AI แบบการ์ด: การใช้งานเทียบโควตาฟรี ค่าใช้จ่าย สถานะ API key",
        ),
        ("One AI provider in full, with its recent costs", "รายละเอียดผู้ให้บริการ AI หนึ่งราย พร้อมค่าใช้จ่ายล่าสุด"),
        (
            "Record an AI provider's usage so far this billing cycle (as its dashboard shows it)",
            "บันทึกการใช้งานของผู้ให้บริการ AI ในรอบบิลนี้ (ตามที่แดชบอร์ดของผู้ให้บริการแสดง)",
        ),
        ("Units used so far this cycle, e.g. 96", "จำนวนหน่วยที่ใช้ไปแล้วในรอบนี้ เช่น 96"),
        (
            "Connect an AI provider to its own cost API (admin key in a form; pulled daily)",
            "เชื่อมผู้ให้บริการ AI กับ API ค่าใช้จ่ายของผู้ให้บริการ (ใส่คีย์ผู้ดูแลในแบบฟอร์ม ดึงข้อมูลทุกวัน)",
        ),
        ("The AI provider (billed usage-based)", "ผู้ให้บริการ AI (คิดเงินตามการใช้งาน)"),
        ("Whose cost API: OpenAI or Anthropic", "API ค่าใช้จ่ายของใคร: OpenAI หรือ Anthropic"),
        ("Pull the costs of connected AI providers now", "ดึงค่าใช้จ่ายของผู้ให้บริการ AI ที่เชื่อมไว้ตอนนี้"),
        ("The AI provider (default: every connected one)", "ผู้ให้บริการ AI (ค่าเริ่มต้น: ทุกรายที่เชื่อมไว้)"),
        (
            "Disconnect an AI provider from its cost API (its key is deleted; its history stays)",
            "เลิกเชื่อมผู้ให้บริการ AI กับ API ค่าใช้จ่าย (ลบคีย์ ประวัติยังอยู่)",
        ),
        ("A hard usage limit per cycle, if it has one", "ขีดจำกัดการใช้งานสูงสุดต่อรอบ ถ้ามี"),
        // /integration
        ("Third-party integrations such as Supabase or Stripe", "บริการเชื่อมต่อภายนอก เช่น Supabase หรือ Stripe"),
        ("Add an integration", "เพิ่มบริการเชื่อมต่อ"),
        ("Its name, e.g. Supabase", "ชื่อ เช่น Supabase"),
        ("What it does", "ใช้ทำอะไร"),
        ("Price per billing period, e.g. 25; 0 if free", "ราคาต่อรอบบิล เช่น 25 ใส่ 0 ถ้าฟรี"),
        ("How often it is paid (default monthly)", "จ่ายบ่อยแค่ไหน (ค่าเริ่มต้น: รายเดือน)"),
        ("Next renewal or billing date, YYYY-MM-DD", "วันต่ออายุหรือวันเรียกเก็บเงินครั้งถัดไป YYYY-MM-DD"),
        ("A hard usage limit per cycle, e.g. 8", "ขีดจำกัดการใช้งานสูงสุดต่อรอบ เช่น 8"),
        ("Usage-based: price per unit beyond the free tier", "คิดตามการใช้งาน: ราคาต่อหน่วยส่วนที่เกินโควตาฟรี"),
        ("Change an integration; what you leave out stays", "แก้ไขบริการเชื่อมต่อ ช่องที่ไม่ได้ระบุจะคงเดิม"),
        ("The integration", "บริการเชื่อมต่อ"),
        ("New price per billing period", "ราคาใหม่ต่อรอบบิล"),
        (
            "What a year would cost billed yearly (monthly or quarterly plans)",
            "ราคาทั้งปีถ้าจ่ายรายปี (สำหรับแผนรายเดือนหรือรายไตรมาส)",
        ),
        ("Fields to empty, comma-separated, e.g. usage_limit, notes", "ช่องที่จะล้างค่า คั่นด้วยจุลภาค เช่น usage_limit, notes"),
        ("Remove an integration (asks first; its history is kept)", "ลบบริการเชื่อมต่อ (ถามยืนยันก่อน ประวัติยังเก็บไว้)"),
        ("List integrations with their costs, usage and status", "รายการบริการเชื่อมต่อ พร้อมค่าใช้จ่าย การใช้งาน และสถานะ"),
        ("One integration in full, with its recent costs", "รายละเอียดบริการเชื่อมต่อหนึ่งรายการ พร้อมค่าใช้จ่ายล่าสุด"),
        ("Record an integration's usage so far this billing cycle", "บันทึกการใช้งานของบริการเชื่อมต่อในรอบบิลนี้"),
        ("Units used so far this cycle, e.g. 6.1", "จำนวนหน่วยที่ใช้ไปแล้วในรอบนี้ เช่น 6.1"),
        // /package
        ("Packages and subscriptions such as GitHub Team or Notion", "แพ็กเกจและบริการสมาชิก เช่น GitHub Team หรือ Notion"),
        ("Add a package or subscription", "เพิ่มแพ็กเกจหรือบริการสมาชิก"),
        ("Its name, e.g. GitHub Team", "ชื่อ เช่น GitHub Team"),
        ("Price per billing period, e.g. 20", "ราคาต่อรอบบิล เช่น 20"),
        ("Features included, comma-separated", "ฟีเจอร์ที่รวมอยู่ คั่นด้วยจุลภาค"),
        ("Change a package; what you leave out stays", "แก้ไขแพ็กเกจ ช่องที่ไม่ได้ระบุจะคงเดิม"),
        ("The package", "แพ็กเกจ"),
        ("Features included, comma-separated (replaces the list)", "ฟีเจอร์ที่รวมอยู่ คั่นด้วยจุลภาค (แทนที่รายการเดิม)"),
        ("What a year would cost billed yearly", "ราคาทั้งปีถ้าจ่ายรายปี"),
        ("Fields to empty, comma-separated, e.g. features, notes", "ช่องที่จะล้างค่า คั่นด้วยจุลภาค เช่น features, notes"),
        ("Remove a package (asks first; its history is kept)", "ลบแพ็กเกจ (ถามยืนยันก่อน ประวัติยังเก็บไว้)"),
        (
            "List packages and subscriptions with their costs and renewals",
            "รายการแพ็กเกจและบริการสมาชิก พร้อมค่าใช้จ่ายและการต่ออายุ",
        ),
        ("One package in full, with its recent costs", "รายละเอียดแพ็กเกจหนึ่งรายการ พร้อมค่าใช้จ่ายล่าสุด"),
        // /cost
        ("Cost history: record a cost by hand, read what was spent", "ประวัติค่าใช้จ่าย: บันทึกค่าใช้จ่ายเอง และดูยอดที่จ่ายไป"),
        (
            "Import a cloud bill exported as FOCUS (.csv or .csv.gz); a period imported again is replaced",
            "นำเข้าบิลคลาวด์ที่ส่งออกเป็น FOCUS (.csv หรือ .csv.gz) นำเข้ารอบบิลเดิมซ้ำจะแทนที่ ไม่นับซ้ำ",
        ),
        ("The FOCUS export: .csv or .csv.gz", "ไฟล์ FOCUS ที่ส่งออกมา: .csv หรือ .csv.gz"),
        (
            "Replace the account's period even if the file lacks services imported for it before",
            "แทนที่รอบบิลของบัญชีนี้ แม้ไฟล์จะไม่มีบริการที่เคยนำเข้าไว้",
        ),
        ("Show what would change, and write nothing", "แสดงสิ่งที่จะเปลี่ยน โดยยังไม่บันทึกอะไร"),
        (
            "Import the rows that can be read and list the others (default: refuse the file)",
            "นำเข้าแถวที่อ่านได้ และแสดงแถวที่อ่านไม่ได้ (ค่าเริ่มต้น: ปฏิเสธทั้งไฟล์)",
        ),
        (
            "SERVICE=ITEM: send a billed service into an item you name; several: separate with ;",
            "บริการ=รายการ: ส่งค่าใช้จ่ายของบริการเข้ารายการที่ระบุ หลายคู่คั่นด้วย ;",
        ),
        (
            "Record a cost against an item (default: for this month); its days are not charged again",
            "บันทึกค่าใช้จ่ายของรายการ (ค่าเริ่มต้น: เดือนนี้) วันที่บันทึกแล้วจะไม่ถูกคิดซ้ำ",
        ),
        ("The amount, e.g. 182.40", "จำนวนเงิน เช่น 182.40"),
        ("The month it pays for, YYYY-MM (default: this month)", "เดือนที่จ่ายให้ YYYY-MM (ค่าเริ่มต้น: เดือนนี้)"),
        (
            "Or the day it was paid: it pays for the billing cycle starting then, YYYY-MM-DD",
            "หรือวันที่จ่าย: นับเป็นค่ารอบบิลที่เริ่มวันนั้น YYYY-MM-DD",
        ),
        ("Currency (default: the item's)", "สกุลเงิน (ค่าเริ่มต้น: สกุลเงินของรายการ)"),
        ("Where the figure comes from (default manual)", "ที่มาของตัวเลข (ค่าเริ่มต้น: บันทึกเอง)"),
        ("Units used, for a usage bill", "จำนวนหน่วยที่ใช้ สำหรับบิลตามการใช้งาน"),
        ("A note, e.g. an invoice number", "หมายเหตุ เช่น เลขที่ใบแจ้งหนี้"),
        (
            "Put this figure in place of what Jarvis recorded for the same days",
            "ใช้ตัวเลขนี้แทนค่าที่ Jarvis บันทึกไว้สำหรับวันเดียวกัน",
        ),
        (
            "Record it even if the same amount for the same days is recorded (another charge)",
            "บันทึกแม้จะมียอดเดียวกันสำหรับวันเดียวกันอยู่แล้ว (เป็นค่าใช้จ่ายอีกรายการ)",
        ),
        ("Cost records with their total in the base currency", "รายการค่าใช้จ่ายพร้อมยอดรวมในสกุลเงินหลัก"),
        ("Only this item", "เฉพาะรายการนี้"),
        ("Records that reach this day or later, YYYY-MM-DD", "รายการที่ครอบคลุมถึงวันนี้หรือหลังจากนั้น YYYY-MM-DD"),
        ("Records that start on this day or earlier, YYYY-MM-DD", "รายการที่เริ่มในวันนี้หรือก่อนหน้านั้น YYYY-MM-DD"),
        (
            "Which page to show (default: the last, with the newest records)",
            "หน้าที่จะแสดง (ค่าเริ่มต้น: หน้าสุดท้าย ซึ่งมีรายการล่าสุด)",
        ),
        // /budget
        ("Monthly budgets for the total and per category", "งบประมาณรายเดือน ทั้งยอดรวมและแยกตามหมวด"),
        ("Set a monthly budget (replacing the current one for that scope)", "ตั้งงบประมาณรายเดือน (แทนที่งบเดิมของขอบเขตนั้น)"),
        ("What it covers: the total or one category", "ครอบคลุมอะไร: ยอดรวมหรือหมวดใดหมวดหนึ่ง"),
        (
            "The monthly amount, e.g. 400 (0: any spending is over budget)",
            "จำนวนเงินต่อเดือน เช่น 400 (0: ใช้จ่ายเท่าไรก็เกินงบ)",
        ),
        (
            "Percentages that raise alerts, e.g. 80,100 (default 80,100)",
            "เปอร์เซ็นต์ที่จะแจ้งเตือน เช่น 80,100 (ค่าเริ่มต้น 80,100)",
        ),
        ("Currency (default: the workspace's base currency)", "สกุลเงิน (ค่าเริ่มต้น: สกุลเงินหลักของเซิร์ฟเวอร์)"),
        ("Remove a budget", "ลบงบประมาณ"),
        ("The budget's scope", "ขอบเขตของงบ"),
        ("Budgets and how this month is going against them", "งบประมาณและยอดใช้จ่ายเดือนนี้เทียบกับงบ"),
        // /settings
        (
            "The workspace's settings: currency, timezone, language, alerts, admin role, exchange rates",
            "การตั้งค่าของเซิร์ฟเวอร์: สกุลเงิน เขตเวลา ภาษา การแจ้งเตือน บทบาทผู้ดูแล อัตราแลกเปลี่ยน",
        ),
        ("Show the settings and exchange rates", "ดูการตั้งค่าและอัตราแลกเปลี่ยน"),
        (
            "Change a setting, e.g. currency THB, timezone Asia/Bangkok, lead_times 30,7,1, admin_role @Admins",
            "เปลี่ยนการตั้งค่า เช่น สกุลเงินหลัก THB, เขตเวลา Asia/Bangkok, บทบาทผู้ดูแล @Admins",
        ),
        ("The setting", "หัวข้อที่จะเปลี่ยน"),
        ("Its new value (admin_role: the role, or none)", "ค่าใหม่ (บทบาทผู้ดูแล: บทบาทนั้น หรือ none)"),
        (
            "Set an exchange rate: 1 base = rate quote, e.g. USD THB 35.2",
            "ตั้งอัตราแลกเปลี่ยน: 1 จากสกุล = อัตรา เป็นสกุล เช่น USD THB 35.2",
        ),
        ("The currency one unit of which is priced, e.g. USD", "สกุลเงินที่ตั้งราคา 1 หน่วย เช่น USD"),
        ("The currency it is priced in, e.g. THB", "สกุลเงินที่ใช้บอกราคา เช่น THB"),
        ("How many quote one base buys, e.g. 35.2", "1 หน่วยของสกุลแรกแลกได้กี่หน่วยของสกุลที่สอง เช่น 35.2"),
        ("The day it takes effect, YYYY-MM-DD (default today)", "วันที่เริ่มใช้ YYYY-MM-DD (ค่าเริ่มต้น: วันนี้)"),
        // /site
        (
            "Monitored websites: uptime, response time, certificates and domain expiry",
            "เว็บไซต์ที่ติดตาม: อัตราการใช้งานได้ เวลาตอบกลับ ใบรับรอง และวันหมดอายุโดเมน",
        ),
        (
            "Start monitoring a website (checked now, then every few minutes)",
            "เริ่มติดตามเว็บไซต์ (ตรวจทันที แล้วตรวจซ้ำทุกไม่กี่นาที)",
        ),
        (
            "The address, e.g. https://acme.dev (https:// is assumed)",
            "ที่อยู่เว็บ เช่น https://acme.dev (ถ้าไม่ใส่จะใช้ https://)",
        ),
        (
            "Text the page must contain (case-insensitive); missing counts as a failure",
            "ข้อความที่หน้าเว็บต้องมี (ไม่สนตัวพิมพ์เล็กใหญ่) ถ้าไม่พบถือว่าตรวจไม่ผ่าน",
        ),
        ("Minutes between checks (default 5)", "ตรวจทุกกี่นาที (ค่าเริ่มต้น 5)"),
        ("Stop monitoring a website (its check history goes)", "เลิกติดตามเว็บไซต์ (ประวัติการตรวจจะถูกลบ)"),
        ("The site", "เว็บไซต์"),
        (
            "Every monitored website with its state, uptime and score",
            "เว็บไซต์ที่ติดตามทั้งหมด พร้อมสถานะ อัตราการใช้งานได้ และคะแนน",
        ),
        (
            "Check websites now (all, or one), and look their domains up if a day has passed",
            "ตรวจเว็บไซต์ตอนนี้ (ทั้งหมดหรือเว็บเดียว) และตรวจโดเมนกับนายทะเบียนถ้าครบหนึ่งวันแล้ว",
        ),
        ("The site (default: all)", "เว็บไซต์ (ค่าเริ่มต้น: ทั้งหมด)"),
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command, subcommand and option as (path, English name, English description).
    fn everything() -> Vec<(String, String, Option<String>)> {
        fn walk(command: &Command, parent: &str, out: &mut Vec<(String, String, Option<String>)>) {
            let path = join(parent, &command.name);
            out.push((path.clone(), command.name.to_string(), command.description.as_deref().map(str::to_string)));
            for parameter in &command.parameters {
                out.push((
                    join(&path, &parameter.name),
                    parameter.name.to_string(),
                    parameter.description.as_deref().map(str::to_string),
                ));
            }
            for subcommand in &command.subcommands {
                walk(subcommand, &path, out);
            }
        }
        let mut out = Vec::new();
        for command in super::super::commands::all() {
            walk(&command, "", &mut out);
        }
        out
    }

    #[test]
    fn every_command_and_option_is_translated() {
        for catalog in CATALOGS {
            let missing: Vec<String> = everything()
                .into_iter()
                .flat_map(|(path, name, description)| {
                    let mut missing = Vec::new();
                    if catalog.name(&path, &name).is_none() {
                        missing.push(format!("name of /{path}"));
                    }
                    if catalog.description(description.as_deref()).is_none() {
                        missing.push(format!("description of /{path}: {description:?}"));
                    }
                    missing
                })
                .collect();
            assert!(missing.is_empty(), "{} lacks: {missing:#?}", catalog.locale);
        }
    }

    /// Choices are worded by `choices.rs` from the prompts' names; each needs one per catalog.
    #[test]
    fn every_choice_is_translated() {
        fn walk(command: &Command, parent: &str, missing: &mut Vec<String>) {
            let path = join(parent, &command.name);
            for parameter in &command.parameters {
                for choice in parameter.choices.iter() {
                    for catalog in CATALOGS {
                        if !choice
                            .localizations
                            .iter()
                            .any(|(locale, name)| locale == catalog.locale && !name.is_empty())
                        {
                            missing.push(format!("{}: /{path} {} {}", catalog.locale, parameter.name, choice.name));
                        }
                    }
                }
            }
            for subcommand in &command.subcommands {
                walk(subcommand, &path, missing);
            }
        }
        let mut missing = Vec::new();
        for command in super::super::commands::all() {
            walk(&command, "", &mut missing);
        }
        assert!(missing.is_empty(), "choices without a name: {missing:#?}");
    }

    #[test]
    fn no_translation_is_left_over_or_given_twice() {
        let all = everything();
        for catalog in CATALOGS {
            for (key, _) in catalog.names {
                let used = all.iter().any(|(path, name, _)| path == key || name == key);
                assert!(used, "{}: the name {key:?} belongs to no command or option", catalog.locale);
                assert_eq!(catalog.names.iter().filter(|(k, _)| k == key).count(), 1, "{key:?} twice");
            }
            for (key, _) in catalog.descriptions {
                let used = all.iter().any(|(_, _, description)| description.as_deref() == Some(*key));
                assert!(
                    used,
                    "{}: the description {key:?} describes nothing (was the English changed?)",
                    catalog.locale
                );
                assert_eq!(catalog.descriptions.iter().filter(|(k, _)| k == key).count(), 1, "{key:?} twice");
            }
        }
    }
}
