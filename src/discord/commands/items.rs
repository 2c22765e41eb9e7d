//! `/infra`, `/ai`, `/integration` and `/package`: add, edit, remove, list and show items (and
//! record usage on AI providers and integrations). Changes need Manage Server or the admin role.

use std::time::Duration;

use poise::serenity_prelude as serenity;

use crate::analysis::text;
use crate::app::{ItemForm, ItemRef};
use crate::discord::choices::{INFRA_KINDS, InfraKind};
use crate::discord::paging::{self, Listing};
use crate::discord::reply::{self, colour};
use crate::discord::{Context, Error, guard};
use crate::domain::UserError;
use crate::domain::audit::Actor;
use crate::domain::item::{
    ApiKeyStatus, BillingPeriod, Category, IntegrationType, Kind, ManualStatus, PricingModel, ServiceType,
};
use crate::domain::page::PageNumber;
use crate::render::Page;

/// Who did it, for the audit log.
fn actor(ctx: Context<'_>) -> Actor {
    Actor::User(ctx.author().id.get().to_string())
}

/// Offers this workspace's items of `kinds` as someone types (at most 25, best first).
async fn choices(ctx: Context<'_>, kinds: &[Kind], partial: &str) -> serenity::CreateAutocompleteResponse {
    let Ok(ws) = guard::workspace(ctx) else { return serenity::CreateAutocompleteResponse::new() };
    let found = guard::app(ctx).item_choices(&ws, kinds, partial, 25).await.unwrap_or_else(|error| {
        tracing::warn!("autocomplete failed: {error:#}");
        Vec::new()
    });
    let choices = found
        .into_iter()
        .map(|c| serenity::AutocompleteChoice::new(crate::render::cut(&c.name, 100), format!("#{}", c.id)))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

async fn infra_items(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    choices(ctx, &INFRA_KINDS, partial).await
}
async fn ai_items(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    choices(ctx, &[Kind::AiProvider], partial).await
}
async fn integration_items(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    choices(ctx, &[Kind::Integration], partial).await
}
async fn package_items(ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    choices(ctx, &[Kind::Package], partial).await
}

/// The item `query` names among `kinds` (an autocompleted `#id`, or a name).
fn reference(query: &str, kinds: &[Kind]) -> Result<ItemRef, Error> {
    Ok(query.parse::<ItemRef>()?.with_kinds(kinds))
}

pub(super) async fn add(ctx: Context<'_>, kind: Kind, form: ItemForm) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let changes = form.changes()?;
    if kind == Kind::Domain
        && (changes.renewal_date.flatten().is_none() || changes.registrar.clone().flatten().is_none())
    {
        // Its registry is asked for what is missing, which can take a few seconds.
        ctx.defer().await?;
    }
    let added = guard::app(ctx).add_item(&ws, &actor(ctx), kind, &changes).await?;
    let mut text = renderer.text(&text!(
        "reply.item.added",
        kind = kind,
        item = added.item.name,
        cost = added.item.cost,
        period = added.item.billing_period,
        id = added.item.id
    ));
    for notice in &added.notices {
        text.push_str(&format!("\n• {}", crate::render::escape_discord(notice)));
    }
    reply::done(ctx, text).await
}

pub(super) async fn edit(ctx: Context<'_>, kinds: &[Kind], item: &str, form: ItemForm) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let changes = form.changes()?;
    let edited = guard::app(ctx).edit_item(&ws, &actor(ctx), &reference(item, kinds)?, &changes).await?;
    let mut text = renderer.text(&text!("reply.item.updated", item = edited.item.name, id = edited.item.id));
    for notice in &edited.notices {
        text.push_str(&format!("\n• {}", crate::render::escape_discord(notice)));
    }
    reply::done(ctx, text).await
}

/// How long a confirmation waits for presses: under the 15 minutes an interaction's token lives,
/// so the message can still be tidied up afterwards.
const PRESS_WINDOW: Duration = Duration::from_secs(14 * 60);

/// Asks for confirmation with buttons, then removes. Only the member who asked can confirm;
/// anyone else pressing is told so, privately.
async fn remove(ctx: Context<'_>, kinds: &[Kind], item: &str) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let reference = reference(item, kinds)?;
    let shown = guard::app(ctx).show_item(&ws, &reference).await?;
    let id = ctx.id();
    let (yes, no) = (format!("remove:{id}:yes"), format!("remove:{id}:no"));
    let question = renderer.text(&text!("reply.item.confirm_remove", item = shown.item.name, id = shown.item.id));
    let buttons = serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(&yes)
            .label(renderer.text(&text!("button.remove")))
            .style(serenity::ButtonStyle::Danger),
        serenity::CreateButton::new(&no)
            .label(renderer.text(&text!("button.keep")))
            .style(serenity::ButtonStyle::Secondary),
    ]);
    let embed = serenity::CreateEmbed::new().description(question).colour(colour::WARNING);
    let message = ctx.send(poise::CreateReply::default().embed(embed).components(vec![buttons])).await?;
    let author = ctx.author().id;
    let ids = (yes.clone(), no.clone());
    let mut presses = serenity::ComponentInteractionCollector::new(ctx.serenity_context())
        .filter(move |press| press.data.custom_id == ids.0 || press.data.custom_id == ids.1)
        .timeout(PRESS_WINDOW)
        .stream();
    let decision = loop {
        let Some(press) = futures_next(&mut presses).await else { break None };
        if press.user.id == author {
            break Some(press);
        }
        let text = renderer.text(&text!("reply.item.not_yours", member = ctx.author().name));
        let answer = serenity::CreateInteractionResponseMessage::new()
            .content(text)
            .ephemeral(true)
            .allowed_mentions(serenity::CreateAllowedMentions::new());
        press.create_response(ctx, serenity::CreateInteractionResponse::Message(answer)).await?;
    };
    let Some(press) = decision else {
        let text = renderer.text(&text!("reply.item.remove_timeout", item = shown.item.name));
        let embed = serenity::CreateEmbed::new().description(text).colour(colour::NEUTRAL);
        let edit = poise::CreateReply::default()
            .embed(embed)
            .components(Vec::new())
            .allowed_mentions(serenity::CreateAllowedMentions::new());
        message.edit(ctx, edit).await?;
        return Ok(());
    };
    // Answer the press at once; the removal may wait for the database.
    press.create_response(ctx, serenity::CreateInteractionResponse::Acknowledge).await?;
    let outcome = if press.data.custom_id == yes {
        guard::app(ctx).remove_item(&ws, &actor(ctx), &ItemRef::new(format!("#{}", shown.item.id))).await.map(
            |removed| {
                (renderer.text(&text!("reply.item.removed", item = removed.name, id = removed.id)), colour::HEALTHY)
            },
        )
    } else {
        Ok((renderer.text(&text!("reply.item.kept", item = shown.item.name)), colour::NEUTRAL))
    };
    let (text, embed_colour) = match &outcome {
        Ok(done) => done.clone(),
        Err(_) => (renderer.text(&text!("reply.item.kept", item = shown.item.name)), colour::NEUTRAL),
    };
    let update = serenity::EditInteractionResponse::new()
        .embed(serenity::CreateEmbed::new().description(text).colour(embed_colour))
        .components(Vec::new())
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    press.edit_response(ctx, update).await?;
    outcome.map(|_| ())
}

/// The next item of a collector stream.
async fn futures_next<S: futures_util::Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    use futures_util::StreamExt as _;
    stream.next().await
}

/// A page of the items of `category` (the first unless `page` says), with ◀ ▶ buttons when
/// there are more (see `paging`).
async fn list(ctx: Context<'_>, category: Category, page: Option<u32>) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    // A large workspace may take a moment to read the first time; a page past the end is still
    // answered privately (see `reply::on_error`).
    ctx.defer().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let page = PageNumber::Nth(page.unwrap_or(1));
    let (embed, buttons) = paging::render(&guard::app(ctx), &ws, renderer, Listing::Items(category), page).await?;
    ctx.send(poise::CreateReply::default().embed(embed).components(buttons)).await?;
    Ok(())
}

async fn show(ctx: Context<'_>, kinds: &[Kind], item: &str) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let detail = guard::app(ctx).show_item(&ws, &reference(item, kinds)?).await?;
    reply::send(ctx, reply::page_embed(renderer, Page::Item, &detail, colour::INFO)?, Vec::new()).await
}

async fn usage(ctx: Context<'_>, kinds: &[Kind], item: &str, used: String, limit: Option<String>) -> Result<(), Error> {
    let form = ItemForm { usage: Some(used), usage_limit: limit, ..Default::default() };
    edit(ctx, kinds, item, form).await
}

fn not_blank(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| !v.trim().is_empty())
}

/// Refuses an edit that changes nothing, before asking anyone anything.
fn something(form: &ItemForm) -> Result<(), Error> {
    if form.auto_renew.is_none() && !has_text(form) {
        return Err(UserError::Missing("Give at least one field to change".into()).into());
    }
    Ok(())
}

fn has_text(form: &ItemForm) -> bool {
    [
        &form.name,
        &form.provider,
        &form.cost,
        &form.currency,
        &form.period,
        &form.renews,
        &form.status,
        &form.notes,
        &form.unit,
        &form.unit_price,
        &form.free_tier,
        &form.usage,
        &form.usage_limit,
        &form.registrar,
        &form.server_type,
        &form.specs,
        &form.service_type,
        &form.pricing,
        &form.key_status,
        &form.integration_type,
        &form.features,
        &form.lead_times,
        &form.yearly_price,
        &form.plan_price,
        &form.clear,
    ]
    .iter()
    .any(|v| not_blank(v))
}

fn choice<T: poise::ChoiceParameter>(value: Option<T>) -> Option<String> {
    value.map(|v| v.name().to_string())
}

// ---- /infra ----

/// Add or edit an item in a form (prefilled when you pick an item)
#[poise::command(slash_command, guild_only, rename = "form")]
async fn infra_form(
    ctx: poise::ApplicationContext<'_, crate::discord::Data, Error>,
    #[description = "What it is, for a new item"] kind: Option<InfraKind>,
    #[description = "The item to edit (leave empty to add one)"]
    #[autocomplete = "infra_items"]
    item: Option<String>,
) -> Result<(), Error> {
    super::form::open(ctx, &INFRA_KINDS, kind.map(|k| k.0), item).await
}

/// Domains, hosting, CDN and storage
#[poise::command(
    slash_command,
    guild_only,
    subcommands("infra_add", "infra_form", "infra_edit", "infra_remove", "infra_list", "infra_show"),
    subcommand_required
)]
pub async fn infra(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Add a domain, hosting, CDN or storage service
#[poise::command(slash_command, guild_only, rename = "add")]
#[allow(clippy::too_many_arguments)]
async fn infra_add(
    ctx: Context<'_>,
    #[description = "What it is"] kind: InfraKind,
    #[description = "Its name, e.g. acme.com or api-prod"] name: String,
    #[description = "Price per billing period, e.g. 12.50"] cost: String,
    #[description = "How often it is paid (default: yearly for domains, monthly otherwise)"] period: Option<
        BillingPeriod,
    >,
    #[description = "Next renewal or billing date, YYYY-MM-DD (the expiry date if it does not auto-renew)"]
    renews: Option<String>,
    #[description = "It renews and is charged automatically"] auto_renew: Option<bool>,
    #[description = "ISO currency of the cost, e.g. USD or THB (default: the workspace's)"] currency: Option<String>,
    #[description = "Who provides it, e.g. AWS or Cloudflare"] provider: Option<String>,
    #[description = "Domains: the registrar, e.g. Namecheap"] registrar: Option<String>,
    #[description = "Hosting: server or instance type, e.g. t3.large"] server_type: Option<String>,
    #[description = "Hosting: specs, e.g. 2 vCPU, 8 GiB RAM"] specs: Option<String>,
    #[description = "What usage is counted in, e.g. GB"] unit: Option<String>,
    #[description = "Units used so far this billing cycle"] usage: Option<String>,
    #[description = "Units free each billing cycle"] free_tier: Option<String>,
    #[description = "Usage-based items: price per unit beyond the free tier, e.g. 0.023"] unit_price: Option<String>,
    #[description = "A hard usage limit per cycle"] usage_limit: Option<String>,
    #[description = "Free-form notes"] notes: Option<String>,
) -> Result<(), Error> {
    let form = ItemForm {
        name: Some(name),
        cost: Some(cost),
        period: choice(period),
        renews,
        auto_renew,
        currency,
        provider,
        registrar,
        server_type,
        specs,
        unit,
        usage,
        free_tier,
        unit_price,
        usage_limit,
        notes,
        ..Default::default()
    };
    add(ctx, kind.0, form).await
}

/// Change a domain, hosting, CDN or storage item; what you leave out stays
#[poise::command(slash_command, guild_only, rename = "edit")]
#[allow(clippy::too_many_arguments)]
async fn infra_edit(
    ctx: Context<'_>,
    #[description = "The item"]
    #[autocomplete = "infra_items"]
    item: String,
    #[description = "New name"] name: Option<String>,
    #[description = "New price per billing period, e.g. 14.98"] cost: Option<String>,
    #[description = "How often it is paid"] period: Option<BillingPeriod>,
    #[description = "Next renewal date, YYYY-MM-DD"] renews: Option<String>,
    #[description = "It renews and is charged automatically"] auto_renew: Option<bool>,
    #[description = "Status: active lets the dates decide"] status: Option<ManualStatus>,
    #[description = "ISO currency of the cost"] currency: Option<String>,
    #[description = "Who provides it"] provider: Option<String>,
    #[description = "Domains: the registrar"] registrar: Option<String>,
    #[description = "Hosting: server or instance type"] server_type: Option<String>,
    #[description = "Hosting: specs"] specs: Option<String>,
    #[description = "Units used so far this billing cycle"] usage: Option<String>,
    #[description = "What usage is counted in, e.g. GB"] unit: Option<String>,
    #[description = "Units free each billing cycle"] free_tier: Option<String>,
    #[description = "Usage-based items: price per unit beyond the free tier"] unit_price: Option<String>,
    #[description = "A hard usage limit per cycle"] usage_limit: Option<String>,
    #[description = "Days before the renewal that alerts fire, e.g. 60,14,1"] lead_times: Option<String>,
    #[description = "What a year would cost billed yearly (monthly or quarterly items)"] yearly_price: Option<String>,
    #[description = "Free-form notes"] notes: Option<String>,
    #[description = "Fields to empty, comma-separated, e.g. notes, renewal"] clear: Option<String>,
) -> Result<(), Error> {
    let form = ItemForm {
        name,
        cost,
        period: choice(period),
        renews,
        auto_renew,
        status: choice(status),
        currency,
        provider,
        registrar,
        server_type,
        specs,
        usage,
        unit,
        free_tier,
        unit_price,
        usage_limit,
        lead_times,
        yearly_price,
        notes,
        clear,
        ..Default::default()
    };
    something(&form)?;
    edit(ctx, &INFRA_KINDS, &item, form).await
}

/// Remove a domain, hosting, CDN or storage item (asks first; its history is kept)
#[poise::command(slash_command, guild_only, rename = "remove")]
async fn infra_remove(
    ctx: Context<'_>,
    #[description = "The item"]
    #[autocomplete = "infra_items"]
    item: String,
) -> Result<(), Error> {
    remove(ctx, &INFRA_KINDS, &item).await
}

/// List domains, hosting, CDN and storage with their costs
#[poise::command(slash_command, guild_only, rename = "list")]
async fn infra_list(
    ctx: Context<'_>,
    #[description = "Which page to show (default 1)"]
    #[min = 1]
    #[max = 2147483647]
    page: Option<u32>,
) -> Result<(), Error> {
    list(ctx, Category::Infrastructure, page).await
}

/// One infrastructure item in full, with its recent costs
#[poise::command(slash_command, guild_only, rename = "show")]
async fn infra_show(
    ctx: Context<'_>,
    #[description = "The item"]
    #[autocomplete = "infra_items"]
    item: String,
) -> Result<(), Error> {
    show(ctx, &INFRA_KINDS, &item).await
}

// ---- /ai ----

/// Add or edit in a form (prefilled when you pick one)
#[poise::command(slash_command, guild_only, rename = "form")]
async fn ai_form(
    ctx: poise::ApplicationContext<'_, crate::discord::Data, Error>,
    #[description = "The one to edit (leave empty to add one)"]
    #[autocomplete = "ai_items"]
    item: Option<String>,
) -> Result<(), Error> {
    super::form::open(ctx, &[Kind::AiProvider], Some(Kind::AiProvider), item).await
}

/// AI providers: image, video, audio and text services
#[poise::command(
    slash_command,
    guild_only,
    subcommands(
        "ai_add",
        "ai_form",
        "ai_edit",
        "ai_remove",
        "ai_list",
        "ai_show",
        "ai_usage",
        "ai_connect",
        "ai_pull",
        "ai_disconnect"
    ),
    subcommand_required
)]
pub async fn ai(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Add an AI provider
#[poise::command(slash_command, guild_only, rename = "add")]
#[allow(clippy::too_many_arguments)]
async fn ai_add(
    ctx: Context<'_>,
    #[description = "Its name, e.g. OpenAI"] name: String,
    #[description = "What it makes"] service: ServiceType,
    #[description = "How it is priced"] pricing: PricingModel,
    #[description = "Subscription price, or the base fee of pay-per-use (e.g. 20); 0 if free"] cost: Option<String>,
    #[description = "Pay-per-use: price per unit, e.g. 2.50"] unit_price: Option<String>,
    #[description = "What usage is counted in, e.g. 1M tokens, image, request"] unit: Option<String>,
    #[description = "Units free each billing cycle (the free tier)"] free_tier: Option<String>,
    #[description = "Units used so far this billing cycle"] usage: Option<String>,
    #[description = "What you know of the API key (Jarvis never stores keys)"] key_status: Option<ApiKeyStatus>,
    #[description = "Next billing or renewal date, YYYY-MM-DD"] renews: Option<String>,
    #[description = "ISO currency, e.g. USD"] currency: Option<String>,
    #[description = "What a flat monthly plan would cost instead of paying per use"] plan_price: Option<String>,
    #[description = "Free-form notes"] notes: Option<String>,
) -> Result<(), Error> {
    let auto_renew = renews.as_ref().map(|_| true);
    let form = ItemForm {
        name: Some(name),
        service_type: choice(Some(service)),
        pricing: choice(Some(pricing)),
        cost,
        unit_price,
        unit,
        free_tier,
        usage,
        key_status: choice(key_status),
        renews,
        auto_renew,
        currency,
        plan_price,
        notes,
        provider: None,
        ..Default::default()
    };
    add(ctx, Kind::AiProvider, form).await
}

/// Change an AI provider; what you leave out stays
#[poise::command(slash_command, guild_only, rename = "edit")]
#[allow(clippy::too_many_arguments)]
async fn ai_edit(
    ctx: Context<'_>,
    #[description = "The AI provider"]
    #[autocomplete = "ai_items"]
    item: String,
    #[description = "New name"] name: Option<String>,
    #[description = "What it makes"] service: Option<ServiceType>,
    #[description = "How it is priced"] pricing: Option<PricingModel>,
    #[description = "Subscription price or base fee"] cost: Option<String>,
    #[description = "Price per unit"] unit_price: Option<String>,
    #[description = "Units free each cycle"] free_tier: Option<String>,
    #[description = "Units used so far this cycle"] usage: Option<String>,
    #[description = "What you know of the API key"] key_status: Option<ApiKeyStatus>,
    #[description = "Status: active lets the dates decide"] status: Option<ManualStatus>,
    #[description = "Next billing or renewal date, YYYY-MM-DD"] renews: Option<String>,
    #[description = "What a flat monthly plan would cost"] plan_price: Option<String>,
    #[description = "How often it is paid"] period: Option<BillingPeriod>,
    #[description = "It renews and is charged automatically"] auto_renew: Option<bool>,
    #[description = "ISO currency, e.g. USD"] currency: Option<String>,
    #[description = "What usage is counted in, e.g. 1M tokens"] unit: Option<String>,
    #[description = "A hard usage limit per cycle"] usage_limit: Option<String>,
    #[description = "Who provides it"] provider: Option<String>,
    #[description = "Days before the renewal that alerts fire, e.g. 30,7"] lead_times: Option<String>,
    #[description = "Free-form notes"] notes: Option<String>,
    #[description = "Fields to empty, comma-separated, e.g. free_tier, notes"] clear: Option<String>,
) -> Result<(), Error> {
    let form = ItemForm {
        name,
        service_type: choice(service),
        pricing: choice(pricing),
        cost,
        unit_price,
        free_tier,
        usage,
        key_status: choice(key_status),
        status: choice(status),
        renews,
        plan_price,
        period: choice(period),
        auto_renew,
        currency,
        unit,
        usage_limit,
        provider,
        lead_times,
        notes,
        clear,
        ..Default::default()
    };
    something(&form)?;
    edit(ctx, &[Kind::AiProvider], &item, form).await
}

/// Remove an AI provider (asks first; its history is kept)
#[poise::command(slash_command, guild_only, rename = "remove")]
async fn ai_remove(
    ctx: Context<'_>,
    #[description = "The AI provider"]
    #[autocomplete = "ai_items"]
    item: String,
) -> Result<(), Error> {
    remove(ctx, &[Kind::AiProvider], &item).await
}

/// AI providers as cards: usage against the free tier, cost, API key status
#[poise::command(slash_command, guild_only, rename = "list")]
async fn ai_list(
    ctx: Context<'_>,
    #[description = "Which page to show (default 1)"]
    #[min = 1]
    #[max = 2147483647]
    page: Option<u32>,
) -> Result<(), Error> {
    list(ctx, Category::Ai, page).await
}

/// One AI provider in full, with its recent costs
#[poise::command(slash_command, guild_only, rename = "show")]
async fn ai_show(
    ctx: Context<'_>,
    #[description = "The AI provider"]
    #[autocomplete = "ai_items"]
    item: String,
) -> Result<(), Error> {
    show(ctx, &[Kind::AiProvider], &item).await
}

/// Record an AI provider's usage so far this billing cycle (as its dashboard shows it)
#[poise::command(slash_command, guild_only, rename = "usage")]
async fn ai_usage(
    ctx: Context<'_>,
    #[description = "The AI provider"]
    #[autocomplete = "ai_items"]
    item: String,
    #[description = "Units used so far this cycle, e.g. 96"] used: String,
    #[description = "A hard usage limit per cycle, if it has one"] limit: Option<String>,
) -> Result<(), Error> {
    usage(ctx, &[Kind::AiProvider], &item, used, limit).await
}

/// The admin key, typed into a modal (Discord has no hidden field; the reply shows only its start).
#[derive(Clone, Default, poise::Modal)]
#[name = "Connect to the provider's cost API"]
struct KeyModal {
    #[name = "Organisation admin API key"]
    #[placeholder = "sk-admin-... (OpenAI) or sk-ant-admin... (Anthropic)"]
    #[min_length = 16]
    #[max_length = 1024]
    key: String,
}

impl std::fmt::Debug for KeyModal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyModal { key: (hidden) }")
    }
}

/// Connect an AI provider to its own cost API (admin key in a form; pulled daily)
#[poise::command(slash_command, guild_only, rename = "connect")]
async fn ai_connect(
    ctx: poise::ApplicationContext<'_, crate::discord::Data, Error>,
    #[description = "The AI provider (billed usage-based)"]
    #[autocomplete = "ai_items"]
    item: String,
    #[description = "Whose cost API: OpenAI or Anthropic"] provider: crate::domain::connection::Vendor,
) -> Result<(), Error> {
    let context = poise::Context::Application(ctx);
    let ws = crate::discord::guard::workspace(context)?;
    crate::discord::guard::require_admin(context, &ws).await?;
    crate::discord::guard::app(context).can_store_keys()?;
    let reference = item.parse::<crate::app::ItemRef>()?.with_kind(Some(Kind::AiProvider));
    let window = Some(std::time::Duration::from_secs(14 * 60));
    let Some(submitted) = poise::execute_modal::<_, _, KeyModal>(ctx, None, window).await? else {
        return Ok(());
    };
    let key = crate::domain::connection::ApiSecret::parse(&submitted.key)?;
    let actor = crate::domain::audit::Actor::User(context.author().id.get().to_string());
    let renderer = crate::discord::reply::renderer(context, &ws).await?;
    let report = crate::discord::guard::app(context).connect_ai(&ws, &actor, &reference, provider, &key).await?;
    crate::discord::reply::done_privately(context, pull_text(renderer, &report, true)).await
}

/// Pull the costs of connected AI providers now
#[poise::command(slash_command, guild_only, rename = "pull")]
async fn ai_pull(
    ctx: Context<'_>,
    #[description = "The AI provider (default: every connected one)"]
    #[autocomplete = "ai_items"]
    item: Option<String>,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    ctx.defer_ephemeral().await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let reference =
        item.map(|i| i.parse::<crate::app::ItemRef>()).transpose()?.map(|r| r.with_kind(Some(Kind::AiProvider)));
    let reports = guard::app(ctx).pull_ai(&ws, reference.as_ref()).await?;
    let text = reports.iter().map(|r| pull_text(renderer, r, false)).collect::<Vec<_>>().join("\n\n");
    reply::done_privately(ctx, text).await
}

/// Disconnect an AI provider from its cost API (its key is deleted; its history stays)
#[poise::command(slash_command, guild_only, rename = "disconnect")]
async fn ai_disconnect(
    ctx: Context<'_>,
    #[description = "The AI provider"]
    #[autocomplete = "ai_items"]
    item: String,
) -> Result<(), Error> {
    let ws = guard::workspace(ctx)?;
    guard::require_admin(ctx, &ws).await?;
    let renderer = reply::renderer(ctx, &ws).await?;
    let actor = crate::domain::audit::Actor::User(ctx.author().id.get().to_string());
    let reference = item.parse::<crate::app::ItemRef>()?.with_kind(Some(Kind::AiProvider));
    let view = guard::app(ctx).disconnect_ai(&ws, &actor, &reference).await?;
    let text = renderer.text(&crate::analysis::text!(
        "reply.ai.disconnected",
        item = view.item,
        provider = view.provider.title(),
        key = view.key
    ));
    reply::done_privately(ctx, text).await
}

/// What a pull did, worded for Discord.
fn pull_text(renderer: &crate::render::Renderer, report: &crate::app::PullReport, connected: bool) -> String {
    let c = &report.connection;
    let total = match report.total.as_slice() {
        [] => "0".to_string(),
        totals => totals.iter().map(|m| m.to_string()).collect::<Vec<_>>().join(" + "),
    };
    let text = match (&report.error, report.days) {
        (None, None) => crate::analysis::text!(
            "reply.ai.waiting",
            item = c.item,
            provider = c.provider.title(),
            key = c.key,
            from = c.pull_from.to_string()
        ),
        (Some(error), _) => crate::analysis::text!(
            "reply.ai.pull_failed",
            item = c.item,
            provider = c.provider.title(),
            key = c.key,
            reason = error,
            next = c.next_pull_at.format("%Y-%m-%d %H:%M UTC").to_string()
        ),
        (None, Some(days)) => crate::analysis::Text {
            // The first pull, on connecting, says so.
            id: if connected { "reply.ai.connected" } else { "reply.ai.pulled" },
            ..crate::analysis::text!(
                "reply.ai.pulled",
                item = c.item,
                provider = c.provider.title(),
                key = c.key,
                from = days.start.to_string(),
                to = days.end.to_string(),
                total = total,
                days_changed = report.days_changed
            )
        },
    };
    renderer.text(&text)
}

// ---- /integration ----

/// Add or edit in a form (prefilled when you pick one)
#[poise::command(slash_command, guild_only, rename = "form")]
async fn integration_form(
    ctx: poise::ApplicationContext<'_, crate::discord::Data, Error>,
    #[description = "The one to edit (leave empty to add one)"]
    #[autocomplete = "integration_items"]
    item: Option<String>,
) -> Result<(), Error> {
    super::form::open(ctx, &[Kind::Integration], Some(Kind::Integration), item).await
}

/// Third-party integrations such as Supabase or Stripe
#[poise::command(
    slash_command,
    guild_only,
    subcommands(
        "integration_add",
        "integration_form",
        "integration_edit",
        "integration_remove",
        "integration_list",
        "integration_show",
        "integration_usage"
    ),
    subcommand_required
)]
pub async fn integration(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Add an integration
#[poise::command(slash_command, guild_only, rename = "add")]
#[allow(clippy::too_many_arguments)]
async fn integration_add(
    ctx: Context<'_>,
    #[description = "Its name, e.g. Supabase"] name: String,
    #[description = "What it does"] kind: IntegrationType,
    #[description = "Price per billing period, e.g. 25; 0 if free"] cost: String,
    #[description = "How it is priced"] pricing: Option<PricingModel>,
    #[description = "How often it is paid (default monthly)"] period: Option<BillingPeriod>,
    #[description = "Next renewal or billing date, YYYY-MM-DD"] renews: Option<String>,
    #[description = "It renews and is charged automatically"] auto_renew: Option<bool>,
    #[description = "What usage is counted in, e.g. GB"] unit: Option<String>,
    #[description = "Units used so far this cycle"] usage: Option<String>,
    #[description = "A hard usage limit per cycle, e.g. 8"] usage_limit: Option<String>,
    #[description = "Units free each cycle"] free_tier: Option<String>,
    #[description = "Usage-based: price per unit beyond the free tier"] unit_price: Option<String>,
    #[description = "ISO currency, e.g. USD"] currency: Option<String>,
    #[description = "Free-form notes"] notes: Option<String>,
) -> Result<(), Error> {
    let form = ItemForm {
        name: Some(name),
        integration_type: choice(Some(kind)),
        cost: Some(cost),
        pricing: choice(pricing),
        period: choice(period),
        renews,
        auto_renew,
        unit,
        usage,
        usage_limit,
        free_tier,
        unit_price,
        currency,
        notes,
        ..Default::default()
    };
    add(ctx, Kind::Integration, form).await
}

/// Change an integration; what you leave out stays
#[poise::command(slash_command, guild_only, rename = "edit")]
#[allow(clippy::too_many_arguments)]
async fn integration_edit(
    ctx: Context<'_>,
    #[description = "The integration"]
    #[autocomplete = "integration_items"]
    item: String,
    #[description = "New name"] name: Option<String>,
    #[description = "What it does"] kind: Option<IntegrationType>,
    #[description = "New price per billing period"] cost: Option<String>,
    #[description = "Status: active lets the dates decide"] status: Option<ManualStatus>,
    #[description = "Next renewal date, YYYY-MM-DD"] renews: Option<String>,
    #[description = "It renews and is charged automatically"] auto_renew: Option<bool>,
    #[description = "Units used so far this cycle"] usage: Option<String>,
    #[description = "A hard usage limit per cycle"] usage_limit: Option<String>,
    #[description = "How it is priced"] pricing: Option<PricingModel>,
    #[description = "How often it is paid"] period: Option<BillingPeriod>,
    #[description = "Usage-based: price per unit beyond the free tier"] unit_price: Option<String>,
    #[description = "Units free each cycle"] free_tier: Option<String>,
    #[description = "What usage is counted in, e.g. GB"] unit: Option<String>,
    #[description = "ISO currency, e.g. USD"] currency: Option<String>,
    #[description = "Who provides it"] provider: Option<String>,
    #[description = "Days before the renewal that alerts fire, e.g. 30,7"] lead_times: Option<String>,
    #[description = "What a year would cost billed yearly (monthly or quarterly plans)"] yearly_price: Option<String>,
    #[description = "Free-form notes"] notes: Option<String>,
    #[description = "Fields to empty, comma-separated, e.g. usage_limit, notes"] clear: Option<String>,
) -> Result<(), Error> {
    let form = ItemForm {
        name,
        integration_type: choice(kind),
        cost,
        status: choice(status),
        renews,
        auto_renew,
        usage,
        usage_limit,
        pricing: choice(pricing),
        period: choice(period),
        unit_price,
        free_tier,
        unit,
        currency,
        provider,
        lead_times,
        yearly_price,
        notes,
        clear,
        ..Default::default()
    };
    something(&form)?;
    edit(ctx, &[Kind::Integration], &item, form).await
}

/// Remove an integration (asks first; its history is kept)
#[poise::command(slash_command, guild_only, rename = "remove")]
async fn integration_remove(
    ctx: Context<'_>,
    #[description = "The integration"]
    #[autocomplete = "integration_items"]
    item: String,
) -> Result<(), Error> {
    remove(ctx, &[Kind::Integration], &item).await
}

/// List integrations with their costs, usage and status
#[poise::command(slash_command, guild_only, rename = "list")]
async fn integration_list(
    ctx: Context<'_>,
    #[description = "Which page to show (default 1)"]
    #[min = 1]
    #[max = 2147483647]
    page: Option<u32>,
) -> Result<(), Error> {
    list(ctx, Category::ThirdParty, page).await
}

/// One integration in full, with its recent costs
#[poise::command(slash_command, guild_only, rename = "show")]
async fn integration_show(
    ctx: Context<'_>,
    #[description = "The integration"]
    #[autocomplete = "integration_items"]
    item: String,
) -> Result<(), Error> {
    show(ctx, &[Kind::Integration], &item).await
}

/// Record an integration's usage so far this billing cycle
#[poise::command(slash_command, guild_only, rename = "usage")]
async fn integration_usage(
    ctx: Context<'_>,
    #[description = "The integration"]
    #[autocomplete = "integration_items"]
    item: String,
    #[description = "Units used so far this cycle, e.g. 6.1"] used: String,
    #[description = "A hard usage limit per cycle, if it has one"] limit: Option<String>,
) -> Result<(), Error> {
    usage(ctx, &[Kind::Integration], &item, used, limit).await
}

// ---- /package ----

/// Add or edit in a form (prefilled when you pick one)
#[poise::command(slash_command, guild_only, rename = "form")]
async fn package_form(
    ctx: poise::ApplicationContext<'_, crate::discord::Data, Error>,
    #[description = "The one to edit (leave empty to add one)"]
    #[autocomplete = "package_items"]
    item: Option<String>,
) -> Result<(), Error> {
    super::form::open(ctx, &[Kind::Package], Some(Kind::Package), item).await
}

/// Packages and subscriptions such as GitHub Team or Notion
#[poise::command(
    slash_command,
    guild_only,
    subcommands("package_add", "package_form", "package_edit", "package_remove", "package_list", "package_show"),
    subcommand_required
)]
pub async fn package(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Add a package or subscription
#[poise::command(slash_command, guild_only, rename = "add")]
#[allow(clippy::too_many_arguments)]
async fn package_add(
    ctx: Context<'_>,
    #[description = "Its name, e.g. GitHub Team"] name: String,
    #[description = "Price per billing period, e.g. 20"] cost: String,
    #[description = "How often it is paid (default monthly)"] period: Option<BillingPeriod>,
    #[description = "Next renewal date, YYYY-MM-DD"] renews: Option<String>,
    #[description = "It renews and is charged automatically"] auto_renew: Option<bool>,
    #[description = "Features included, comma-separated"] features: Option<String>,
    #[description = "Who provides it"] provider: Option<String>,
    #[description = "ISO currency, e.g. USD"] currency: Option<String>,
    #[description = "What a year would cost billed yearly (monthly or quarterly plans)"] yearly_price: Option<String>,
    #[description = "Free-form notes"] notes: Option<String>,
) -> Result<(), Error> {
    let form = ItemForm {
        name: Some(name),
        cost: Some(cost),
        period: choice(period),
        renews,
        auto_renew,
        features,
        provider,
        currency,
        yearly_price,
        notes,
        ..Default::default()
    };
    add(ctx, Kind::Package, form).await
}

/// Change a package; what you leave out stays
#[poise::command(slash_command, guild_only, rename = "edit")]
#[allow(clippy::too_many_arguments)]
async fn package_edit(
    ctx: Context<'_>,
    #[description = "The package"]
    #[autocomplete = "package_items"]
    item: String,
    #[description = "New name"] name: Option<String>,
    #[description = "New price per billing period"] cost: Option<String>,
    #[description = "How often it is paid"] period: Option<BillingPeriod>,
    #[description = "Next renewal date, YYYY-MM-DD"] renews: Option<String>,
    #[description = "It renews and is charged automatically"] auto_renew: Option<bool>,
    #[description = "Status: active lets the dates decide"] status: Option<ManualStatus>,
    #[description = "Features included, comma-separated (replaces the list)"] features: Option<String>,
    #[description = "What a year would cost billed yearly"] yearly_price: Option<String>,
    #[description = "Days before the renewal that alerts fire, e.g. 30,7"] lead_times: Option<String>,
    #[description = "ISO currency, e.g. USD"] currency: Option<String>,
    #[description = "Who provides it"] provider: Option<String>,
    #[description = "Free-form notes"] notes: Option<String>,
    #[description = "Fields to empty, comma-separated, e.g. features, notes"] clear: Option<String>,
) -> Result<(), Error> {
    let form = ItemForm {
        name,
        cost,
        period: choice(period),
        renews,
        auto_renew,
        status: choice(status),
        features,
        yearly_price,
        lead_times,
        currency,
        provider,
        notes,
        clear,
        ..Default::default()
    };
    something(&form)?;
    edit(ctx, &[Kind::Package], &item, form).await
}

/// Remove a package (asks first; its history is kept)
#[poise::command(slash_command, guild_only, rename = "remove")]
async fn package_remove(
    ctx: Context<'_>,
    #[description = "The package"]
    #[autocomplete = "package_items"]
    item: String,
) -> Result<(), Error> {
    remove(ctx, &[Kind::Package], &item).await
}

/// List packages and subscriptions with their costs and renewals
#[poise::command(slash_command, guild_only, rename = "list")]
async fn package_list(
    ctx: Context<'_>,
    #[description = "Which page to show (default 1)"]
    #[min = 1]
    #[max = 2147483647]
    page: Option<u32>,
) -> Result<(), Error> {
    list(ctx, Category::Packages, page).await
}

/// One package in full, with its recent costs
#[poise::command(slash_command, guild_only, rename = "show")]
async fn package_show(
    ctx: Context<'_>,
    #[description = "The package"]
    #[autocomplete = "package_items"]
    item: String,
) -> Result<(), Error> {
    show(ctx, &[Kind::Package], &item).await
}
