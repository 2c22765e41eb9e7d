//! Proves the fake Discord harness against a tiny real serenity + poise bot: every interaction
//! kind reaches a handler, answers and files are recorded, and broken Discord rules are caught;
//! and drives its gateway and REST by hand: shards, slow and held posts, channel history.

mod fake_discord;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use fake_discord::limits::{self, Breach};
use fake_discord::raw_gateway::{RawGateway, Received};
use fake_discord::{APP_ID, BOT_USER_ID, FakeDiscord, MANAGE_GUILD, Member, Outcome, guild_on_shard, shard_of};
use poise::serenity_prelude as serenity;
use serde_json::{Value, json};

const GUILD: u64 = 4242;
const TOKEN: &str = "fake-bot-token";
const ALERT_ROLE: u64 = 77;

type Error = Box<dyn std::error::Error + Send + Sync>;
type Context<'a> = poise::Context<'a, (), Error>;
type AppContext<'a> = poise::ApplicationContext<'a, (), Error>;

// ---- the bot under test ----

/// Track costs
#[poise::command(slash_command, subcommands("cost_add"))]
async fn cost(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

async fn item_names(_ctx: Context<'_>, partial: &str) -> serenity::CreateAutocompleteResponse {
    let choices = ["Claude", "ChatGPT", "GitHub"]
        .into_iter()
        .filter(|name| name.to_lowercase().starts_with(&partial.to_lowercase()))
        .map(serenity::AutocompleteChoice::from)
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Add a cost item
#[poise::command(slash_command, rename = "add")]
async fn cost_add(
    ctx: Context<'_>,
    #[description = "Item name"]
    #[autocomplete = "item_names"]
    item: String,
    #[description = "Monthly amount"] amount: Option<i64>,
) -> Result<(), Error> {
    ctx.say(format!("Added {item} at {} for {}", amount.unwrap_or(0), ctx.author().name)).await?;
    Ok(())
}

/// An embed with a button that edits the message when pressed
#[poise::command(slash_command)]
async fn panel(ctx: Context<'_>) -> Result<(), Error> {
    let button = serenity::CreateButton::new("panel:confirm").label("Confirm");
    ctx.send(
        poise::CreateReply::default()
            .embed(serenity::CreateEmbed::new().title("Panel").description("Press confirm"))
            .components(vec![serenity::CreateActionRow::Buttons(vec![button])]),
    )
    .await?;
    let press = serenity::ComponentInteractionCollector::new(ctx.serenity_context())
        .filter(|press| press.data.custom_id == "panel:confirm")
        .timeout(Duration::from_secs(10))
        .await;
    if let Some(press) = press {
        let update = serenity::CreateInteractionResponseMessage::new()
            .embed(serenity::CreateEmbed::new().title("Panel").description(format!("Confirmed by {}", press.user.name)))
            .components(vec![]);
        press.create_response(ctx, serenity::CreateInteractionResponse::UpdateMessage(update)).await?;
    }
    Ok(())
}

/// A string select whose choice updates the message
#[poise::command(slash_command)]
async fn period(ctx: Context<'_>) -> Result<(), Error> {
    let options = vec![
        serenity::CreateSelectMenuOption::new("Month", "month"),
        serenity::CreateSelectMenuOption::new("Year", "year"),
    ];
    let kind = serenity::CreateSelectMenuKind::String { options };
    let menu = serenity::CreateSelectMenu::new("period:pick", kind);
    let reply = poise::CreateReply::default()
        .content("Pick a period")
        .components(vec![serenity::CreateActionRow::SelectMenu(menu)]);
    ctx.send(reply).await?;
    let picked = serenity::ComponentInteractionCollector::new(ctx.serenity_context())
        .filter(|pick| pick.data.custom_id == "period:pick")
        .timeout(Duration::from_secs(10))
        .await;
    if let Some(picked) = picked {
        let serenity::ComponentInteractionDataKind::StringSelect { values } = &picked.data.kind else {
            return Err("not a string select".into());
        };
        let update = serenity::CreateInteractionResponseMessage::new()
            .content(format!("Period: {}", values.join(",")))
            .components(vec![]);
        picked.create_response(ctx, serenity::CreateInteractionResponse::UpdateMessage(update)).await?;
    }
    Ok(())
}

#[derive(Debug, poise::Modal)]
#[name = "Feedback"]
struct Feedback {
    #[name = "Your name"]
    name: String,
    #[name = "What do you think?"]
    #[paragraph]
    text: String,
    #[name = "Anything else"]
    note: Option<String>,
}

/// Opens a modal and thanks for its contents
#[poise::command(slash_command)]
async fn feedback(ctx: AppContext<'_>) -> Result<(), Error> {
    use poise::Modal as _;
    if let Some(data) = Feedback::execute(ctx).await? {
        let note = data.note.unwrap_or_else(|| "-".into());
        poise::say_reply(ctx.into(), format!("Thanks {}: {} ({note})", data.name, data.text)).await?;
    }
    Ok(())
}

/// Defers, then edits the original response with a file
#[poise::command(slash_command)]
async fn report(ctx: AppContext<'_>) -> Result<(), Error> {
    ctx.defer().await?;
    // Longer than the harness's quiet period: a deferral promises a follow-up, so it waits.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let file = serenity::CreateAttachment::bytes(b"item,amount\nClaude,20\n".to_vec(), "report.csv");
    // serenity 0.12.5 does not apply `HttpBuilder::default_allowed_mentions` to
    // EditInteractionResponse: set allowed_mentions on every edit.
    let edit = serenity::EditInteractionResponse::new()
        .content("Your report")
        .new_attachment(file)
        .allowed_mentions(serenity::CreateAllowedMentions::new());
    ctx.interaction.edit_response(ctx.serenity_context(), edit).await?;
    Ok(())
}

/// Answers, then sends a file as a follow-up
#[poise::command(slash_command)]
async fn export(ctx: Context<'_>) -> Result<(), Error> {
    ctx.say("Exporting").await?;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let file = serenity::CreateAttachment::bytes(b"a;b\n".to_vec(), "export.csv");
    ctx.send(poise::CreateReply::default().content("Here it is").attachment(file)).await?;
    Ok(())
}

/// Two embeds of 4000 characters each: within serenity's checks, over Discord's 6000 in total
#[poise::command(slash_command)]
async fn toolong(ctx: Context<'_>) -> Result<(), Error> {
    let big = "x".repeat(4000);
    ctx.send(
        poise::CreateReply::default()
            .embed(serenity::CreateEmbed::new().description(&big))
            .embed(serenity::CreateEmbed::new().description(&big)),
    )
    .await?;
    Ok(())
}

/// 2001 characters of content, sent raw past serenity's own length check
#[poise::command(slash_command)]
async fn rawlong(ctx: AppContext<'_>) -> Result<(), Error> {
    let body = json!({"type": 4, "data": {"content": "y".repeat(2001), "allowed_mentions": {"parse": []}}});
    let http = &ctx.serenity_context().http;
    let sent = http.create_interaction_response(ctx.interaction.id, &ctx.interaction.token, &body, vec![]).await;
    let verdict = if sent.is_err() { "refused" } else { "accepted" };
    poise::say_reply(ctx.into(), format!("2001 characters were {verdict}")).await?;
    Ok(())
}

/// Pings @everyone, which the bot must never do
#[poise::command(slash_command)]
async fn shout(ctx: Context<'_>) -> Result<(), Error> {
    let mentions = serenity::CreateAllowedMentions::new().everyone(true);
    ctx.send(poise::CreateReply::default().content("@everyone budget exceeded").allowed_mentions(mentions)).await?;
    Ok(())
}

/// Pings one named role, which is allowed
#[poise::command(slash_command)]
async fn alert(ctx: Context<'_>) -> Result<(), Error> {
    let mentions = serenity::CreateAllowedMentions::new().roles(vec![serenity::RoleId::new(ALERT_ROLE)]);
    let content = format!("<@&{ALERT_ROLE}> budget at 90% (@everyone is not pinged)");
    ctx.send(poise::CreateReply::default().content(content).allowed_mentions(mentions)).await?;
    Ok(())
}

// poise's `required_permissions` is checked at run time only; `default_member_permissions` is
// what makes Discord hide the command.
/// Only for members who can manage the server
#[poise::command(slash_command, required_permissions = "MANAGE_GUILD", default_member_permissions = "MANAGE_GUILD")]
async fn admin(ctx: Context<'_>) -> Result<(), Error> {
    ctx.say("admin ok").await?;
    Ok(())
}

/// Posts in the channel, then answers privately
#[poise::command(slash_command)]
async fn announce(ctx: Context<'_>) -> Result<(), Error> {
    ctx.channel_id().send_message(ctx, serenity::CreateMessage::new().content("Monthly report is ready")).await?;
    ctx.send(poise::CreateReply::default().content("posted").ephemeral(true)).await?;
    Ok(())
}

/// Answers, then tries to answer the same interaction again
#[poise::command(slash_command)]
async fn twice(ctx: AppContext<'_>) -> Result<(), Error> {
    poise::say_reply(ctx.into(), "once").await?;
    let body = json!({"type": 4, "data": {"content": "twice", "allowed_mentions": {"parse": []}}});
    let http = &ctx.serenity_context().http;
    let again = http.create_interaction_response(ctx.interaction.id, &ctx.interaction.token, &body, vec![]).await;
    assert!(again.is_err(), "Discord refuses a second callback");
    Ok(())
}

/// Answers after Discord's 3 seconds
#[poise::command(slash_command)]
async fn slow(ctx: Context<'_>) -> Result<(), Error> {
    tokio::time::sleep(Duration::from_millis(3100)).await;
    ctx.say("finally").await?;
    Ok(())
}

/// Names a user, a role and a channel given as options
#[poise::command(slash_command)]
async fn whois(
    ctx: Context<'_>,
    #[description = "A member"] member: serenity::Member,
    #[description = "A role"] role: serenity::Role,
    #[description = "A channel"] channel: serenity::GuildChannel,
) -> Result<(), Error> {
    ctx.say(format!("{} {} {}", member.user.name, role.name, channel.name)).await?;
    Ok(())
}

/// Answers with the caller and their locale (registered globally, so it works in DMs)
#[poise::command(slash_command)]
async fn ping(ctx: Context<'_>) -> Result<(), Error> {
    ctx.say(format!("pong {} {}", ctx.author().name, ctx.locale().unwrap_or("?"))).await?;
    Ok(())
}

/// The bot, running on a spawned task against the fake.
struct Bot {
    shard_manager: Arc<serenity::ShardManager>,
    task: tokio::task::JoinHandle<()>,
}

impl Bot {
    async fn start(fake: &FakeDiscord) -> Bot {
        let client = reqwest::Client::builder().no_proxy().build().expect("reqwest client");
        let http = serenity::HttpBuilder::new(TOKEN)
            .client(client)
            .proxy(fake.url())
            .ratelimiter_disabled(true)
            .default_allowed_mentions(serenity::CreateAllowedMentions::new().all_users(true))
            .build();
        let options = poise::FrameworkOptions {
            commands: vec![
                cost(),
                panel(),
                period(),
                feedback(),
                report(),
                export(),
                toolong(),
                rawlong(),
                shout(),
                alert(),
                admin(),
                announce(),
                twice(),
                slow(),
                whois(),
                ping(),
            ],
            ..Default::default()
        };
        let framework = poise::Framework::builder()
            .options(options)
            .initialize_owners(false)
            .setup(|ctx, _ready, framework| {
                Box::pin(async move {
                    let commands = &framework.options().commands;
                    let in_guild = commands.iter().filter(|c| c.name != "ping");
                    poise::builtins::register_in_guild(ctx, in_guild, serenity::GuildId::new(GUILD)).await?;
                    poise::builtins::register_globally(ctx, commands.iter().filter(|c| c.name == "ping")).await?;
                    Ok(())
                })
            })
            .build();
        let mut client = serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::non_privileged())
            .framework(framework)
            .await
            .expect("serenity client");
        let shard_manager = client.shard_manager.clone();
        let task = tokio::spawn(async move { client.start().await.expect("bot stopped with an error") });
        Bot { shard_manager, task }
    }

    async fn stop(self) {
        self.shard_manager.shutdown_all().await;
        tokio::time::timeout(Duration::from_secs(5), self.task).await.expect("bot stops").expect("bot task");
    }
}

/// A fake with the bot connected and its commands registered.
async fn setup() -> (FakeDiscord, Bot) {
    let fake = FakeDiscord::start().await;
    let bot = Bot::start(&fake).await;
    fake.wait_ready().await;
    fake.wait_commands(Some(GUILD)).await;
    fake.wait_commands(None).await;
    (fake, bot)
}

async fn finish(fake: FakeDiscord, bot: Bot) {
    bot.stop().await;
    let unhandled = fake.unhandled_requests();
    fake.shutdown().await;
    assert!(unhandled.is_empty(), "the bot called routes the fake does not know: {unhandled:?}");
}

fn alice() -> Member {
    Member::new(1001, "alice", MANAGE_GUILD)
}

fn bob() -> Member {
    Member::new(1002, "bob", 0)
}

fn assert_answered_fast(outcome: &Outcome) {
    assert!(outcome.latency > Duration::ZERO, "latency is measured");
    assert!(outcome.latency < Duration::from_secs(3), "answered within Discord's 3 s: {:?}", outcome.latency);
}

// ---- tests ----

#[tokio::test(flavor = "multi_thread")]
async fn registration_identify_and_rest_basics_are_recorded() {
    let (fake, bot) = setup().await;
    assert_eq!(fake.token().as_deref(), Some(TOKEN));

    let guild = fake.wait_commands(Some(GUILD)).await;
    let cost = guild.iter().find(|c| c["name"] == "cost").expect("cost registered");
    assert!(cost["id"].as_str().is_some_and(|id| id.parse::<u64>().is_ok()), "commands get ids: {cost}");
    assert_eq!(cost["options"][0]["name"], "add");
    assert_eq!(cost["options"][0]["type"], 1, "subcommand");
    assert_eq!(cost["options"][0]["options"][0]["autocomplete"], true);
    let admin = guild.iter().find(|c| c["name"] == "admin").expect("admin registered");
    assert_eq!(admin["default_member_permissions"], MANAGE_GUILD.to_string());
    let global = fake.wait_commands(None).await;
    let global_names: Vec<&Value> = global.iter().map(|c| &c["name"]).collect();
    assert_eq!(global_names, [&json!("ping")]);

    // The fake answers what a bot may ask besides interactions, in shapes serenity parses.
    let http = serenity::HttpBuilder::new(TOKEN).proxy(fake.url()).ratelimiter_disabled(true).build();
    assert_eq!(http.get_current_user().await.expect("users/@me").id.get(), fake_discord::BOT_USER_ID);
    assert_eq!(http.get_current_application_info().await.expect("applications/@me").id.get(), APP_ID);
    let requests = fake.requests();
    assert!(requests.iter().any(|(m, p)| m == "GET" && p == "/api/v10/gateway"), "{requests:?}");
    assert!(
        requests
            .iter()
            .any(|(m, p)| m == "PUT" && p == &format!("/api/v10/applications/{APP_ID}/guilds/{GUILD}/commands"))
    );

    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    finish(fake, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn slash_command_with_subcommand_and_autocomplete_reach_the_bot() {
    let (fake, bot) = setup().await;

    let typed = json!([{"name": "add", "options": [{"name": "item", "value": "c", "focused": true}]}]);
    let suggestions = fake.autocomplete(&alice(), Some(GUILD), "cost", typed).await;
    assert_eq!(suggestions.callback["type"], 8);
    let names: Vec<&str> = suggestions.callback["data"]["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Claude", "ChatGPT"]);
    assert_answered_fast(&suggestions);

    let options =
        json!([{"name": "add", "options": [{"name": "item", "value": "Claude"}, {"name": "amount", "value": 20}]}]);
    let added = fake.command(&alice(), Some(GUILD), "cost", options, "en-US").await;
    assert_eq!(added.callback["type"], 4);
    assert_eq!(added.text(), "Added Claude at 20 for alice");
    assert!(!added.ephemeral());
    assert!(added.followups.is_empty());
    assert_answered_fast(&added);

    let carol = Member::new(1003, "carol", 0);
    fake.add_member(GUILD, &carol);
    fake.add_role(GUILD, ALERT_ROLE, "finance", 0);
    fake.add_channel(GUILD, 555);
    let options = json!([
        {"name": "member", "value": carol.user_id.to_string()},
        {"name": "role", "value": ALERT_ROLE.to_string()},
        {"name": "channel", "value": "555"},
    ]);
    let named = fake.command(&alice(), Some(GUILD), "whois", options, "en-US").await;
    assert_eq!(named.text(), "carol finance channel-555", "resolved options reach poise");

    let dm = fake.command(&bob(), None, "ping", json!([]), "de").await;
    assert_eq!(dm.text(), "pong bob de", "DM interactions carry `user` and the locale");

    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    finish(fake, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn button_press_and_select_update_the_message() {
    let (fake, bot) = setup().await;

    let shown = fake.command(&alice(), Some(GUILD), "panel", json!([]), "en-US").await;
    assert_eq!(shown.text(), "Panel\nPress confirm");
    assert_eq!(shown.custom_ids(), ["panel:confirm"]);

    let pressed = fake.component(&bob(), Some(GUILD), &shown.message(), "panel:confirm").await;
    assert_eq!(pressed.callback["type"], 7, "UPDATE_MESSAGE");
    assert_eq!(pressed.text(), "Panel\nConfirmed by bob");
    assert!(pressed.custom_ids().is_empty(), "the button is gone");
    assert_eq!(pressed.message()["id"], shown.message()["id"], "the same message was edited");
    assert_answered_fast(&pressed);

    let menu = fake.command(&alice(), Some(GUILD), "period", json!([]), "en-US").await;
    let picked = fake.select(&alice(), Some(GUILD), &menu.message(), "period:pick", &["year"]).await;
    assert_eq!(picked.text(), "Period: year");

    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    finish(fake, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn modal_submit_reaches_the_bot() {
    let (fake, bot) = setup().await;

    let opened = fake.command(&alice(), Some(GUILD), "feedback", json!([]), "en-US").await;
    assert_eq!(opened.callback["type"], 9, "MODAL");
    assert_eq!(opened.callback["data"]["title"], "Feedback");
    let custom_id = opened.callback["data"]["custom_id"].as_str().expect("modal custom_id").to_string();

    let submitted =
        fake.modal_submit(&alice(), Some(GUILD), &custom_id, &[("name", "Ann"), ("text", "Nice bot")]).await;
    assert_eq!(submitted.callback["type"], 6, "poise acknowledges the submit");
    assert_eq!(submitted.followups.len(), 1, "the thanks arrive as a follow-up of the command");
    assert_eq!(submitted.text(), "Thanks Ann: Nice bot (-)");
    assert_answered_fast(&submitted);

    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    finish(fake, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn files_upload_with_deferred_edits_and_follow_ups() {
    let (fake, bot) = setup().await;

    let outcome = fake.command(&alice(), Some(GUILD), "report", json!([]), "en-US").await;
    assert_eq!(outcome.callback["type"], 5, "DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE");
    assert_eq!(outcome.followups.len(), 1, "one @original edit");
    assert_eq!(outcome.files, [("report.csv".to_string(), b"item,amount\nClaude,20\n".to_vec())]);
    let message = outcome.message();
    assert_eq!(message["content"], "Your report");
    assert_eq!(message["attachments"][0]["filename"], "report.csv");
    assert_eq!(message["flags"].as_u64().unwrap() & 128, 0, "no longer 'thinking'");
    assert_answered_fast(&outcome);

    let answered = fake.command(&alice(), Some(GUILD), "export", json!([]), "en-US").await;
    let exported = fake.wait_followups(&answered, 1).await;
    assert_eq!(exported.text(), "Exporting", "the response itself");
    assert_eq!(exported.followups.len(), 1);
    assert_eq!(exported.followups[0]["content"], "Here it is");
    assert_eq!(exported.files, [("export.csv".to_string(), b"a;b\n".to_vec())]);

    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    finish(fake, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn limit_breaches_are_refused_and_recorded() {
    let (fake, bot) = setup().await;

    let embeds = fake.command(&alice(), Some(GUILD), "toolong", json!([]), "en-US").await;
    assert_eq!(embeds.rejected.len(), 1, "Discord refuses the 8000-character embeds");
    assert!(embeds.text().contains("Invalid Form Body"), "poise reports the error: {}", embeds.text());
    assert!(embeds.ephemeral());
    let violations = fake.take_violations();
    assert!(
        violations.iter().any(|v| v.contains("/toolong") && v.contains("8000 characters long (max 6000)")),
        "{violations:?}"
    );

    let content = fake.command(&alice(), Some(GUILD), "rawlong", json!([]), "en-US").await;
    assert_eq!(content.text(), "2001 characters were refused");
    let violations = fake.take_violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("data.content: is 2001 characters long (max 2000)"), "{violations:?}");

    finish(fake, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn second_and_late_callbacks_are_refused_and_recorded() {
    let (fake, bot) = setup().await;

    let twice = fake.command(&alice(), Some(GUILD), "twice", json!([]), "en-US").await;
    assert_eq!(twice.text(), "once");
    assert_eq!(twice.rejected.len(), 1);
    let violations = fake.take_violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("/twice callback: a second callback"), "{violations:?}");

    let slow = fake.command(&alice(), Some(GUILD), "slow", json!([]), "en-US").await;
    assert_eq!(slow.callback, Value::Null, "Discord accepts no callback after 3 s");
    assert!(slow.latency > Duration::from_secs(3), "{:?}", slow.latency);
    assert_eq!(slow.rejected.len(), 2, "the answer and poise's error report: {:?}", slow.rejected);
    let violations = fake.take_violations();
    assert!(!violations.is_empty() && violations.iter().all(|v| v.contains("/slow callback: late")), "{violations:?}");

    finish(fake, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mention_rules_are_recorded_but_role_pings_pass() {
    let (fake, bot) = setup().await;

    let shout = fake.command(&alice(), Some(GUILD), "shout", json!([]), "en-US").await;
    assert_eq!(shout.callback["type"], 4, "Discord delivers it");
    let violations = fake.take_violations();
    assert!(violations.iter().any(|v| v.contains("allowed_mentions.parse includes \"everyone\"")), "{violations:?}");
    assert!(violations.iter().any(|v| v.contains("content contains @everyone")), "{violations:?}");

    let alert = fake.command(&alice(), Some(GUILD), "alert", json!([]), "en-US").await;
    assert_eq!(alert.callback["data"]["allowed_mentions"]["roles"], json!([ALERT_ROLE.to_string()]));
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());

    finish(fake, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn member_permissions_and_channel_messages_reach_the_bot() {
    let (fake, bot) = setup().await;

    assert!(fake.command_available(&alice(), Some(GUILD), "admin"));
    assert!(!fake.command_available(&bob(), Some(GUILD), "admin"), "Discord hides it from bob");
    assert!(!fake.command_available(&alice(), None, "admin"), "guild commands are not in DMs");
    let refused = fake.command(&bob(), Some(GUILD), "admin", json!([]), "en-US").await;
    assert!(refused.text().contains("lacking permissions"), "{}", refused.text());
    assert!(refused.ephemeral());
    let allowed = fake.command(&alice(), Some(GUILD), "admin", json!([]), "en-US").await;
    assert_eq!(allowed.text(), "admin ok");

    let announced = fake.command(&alice(), Some(GUILD), "announce", json!([]), "en-US").await;
    assert!(announced.ephemeral());
    let posted = fake.wait_channel_messages(1).await;
    assert_eq!(posted[0]["content"], "Monthly report is ready");
    assert_eq!(posted[0]["channel_id"], fake.channel_id(Some(GUILD), 0).to_string());

    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    finish(fake, bot).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn double_and_invalid_registrations_are_violations() {
    let fake = FakeDiscord::start().await;
    let http = serenity::HttpBuilder::new(TOKEN).proxy(fake.url()).ratelimiter_disabled(true).build();
    http.set_application_id(serenity::ApplicationId::new(APP_ID));
    let bad = json!([{"name": "Cost", "description": "", "type": 1}]);
    let error = http.create_guild_commands(serenity::GuildId::new(GUILD), &bad).await.expect_err("refused");
    assert!(error.to_string().contains("Invalid Form Body"), "{error}");
    let violations = fake.take_violations();
    assert!(violations.iter().any(|v| v.contains("must be lower case")), "{violations:?}");
    assert!(violations.iter().any(|v| v.contains("0.description")), "{violations:?}");
    fake.shutdown().await;
}

// ---- shards, slow and held posts, history ----

/// A reaction in `guild` (a dispatch routed by its `guild_id`).
fn reaction(guild: u64) -> Value {
    json!({
        "user_id": "1001",
        "channel_id": "700",
        "message_id": "800",
        "guild_id": guild.to_string(),
        "emoji": {"id": null, "name": "✅"},
        "burst": false,
        "type": 0,
    })
}

/// Waits (up to 5 s) until `done` holds.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "not within 5 s: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_shard_gets_the_events_of_its_guilds() {
    let fake = FakeDiscord::start().await;
    let mut zero = RawGateway::connect(&fake.gateway_url()).await;
    let mut one = RawGateway::connect(&fake.gateway_url()).await;
    let ready = zero.identify(TOKEN, Some([0, 2])).await;
    assert_eq!(ready["shard"], json!([0, 2]), "READY echoes the shard");
    one.identify(TOKEN, Some([1, 2])).await;
    assert!(fake.wait_shards(&[0, 1], 2, Duration::from_secs(1)).await);
    assert_eq!(fake.identified_shards(), [(0, 2), (1, 2)]);
    assert_eq!((fake.identify_count(0), fake.identify_count(1), fake.identify_count(2)), (1, 1, 0));

    let (on_zero, on_one) = (guild_on_shard(0, 2), guild_on_shard(1, 2));
    assert_eq!((shard_of(on_zero, 2), shard_of(on_one, 2), shard_of(GUILD, 2)), (0, 1, 0));
    fake.dispatch_event("MESSAGE_REACTION_ADD", reaction(on_one)).await;
    let got = one.next_dispatch(Duration::from_secs(2)).await.expect("shard 1 gets its guild's event");
    assert_eq!(
        (&got["t"], &got["d"]["guild_id"], &got["s"]),
        (&json!("MESSAGE_REACTION_ADD"), &json!(on_one.to_string()), &json!(2))
    );
    fake.dispatch_event("GUILD_CREATE", json!({"id": on_zero.to_string()})).await;
    let got = zero.next_dispatch(Duration::from_secs(2)).await.expect("GUILD_CREATE goes by the guild's `id`");
    assert_eq!(got["t"], "GUILD_CREATE");
    fake.dispatch_event("USER_UPDATE", json!({"id": "1001"})).await;
    let got = zero.next_dispatch(Duration::from_secs(2)).await.expect("events without a guild go to shard 0");
    assert_eq!(got["t"], "USER_UPDATE");
    assert_eq!(one.next_dispatch(Duration::from_millis(200)).await, None, "shard 1 got nothing else");

    // Nobody serves shard 1: a dispatch waits for a session, then fails loudly.
    one.close().await;
    until("shard 1 is gone", || fake.identified_shards() == [(0, 2)]).await;
    fake.set_shard_wait(Duration::from_millis(300));
    let why = fake.try_dispatch_event("MESSAGE_REACTION_ADD", &reaction(on_one)).await.expect_err("no shard 1");
    assert_eq!(why, "no gateway session serves shard 1 of 2");
    fake.set_shard_wait(Duration::from_secs(5));
    let url = fake.gateway_url();
    let back = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut one = RawGateway::connect(&url).await;
        one.identify(TOKEN, Some([1, 2])).await;
        one
    });
    fake.try_dispatch_event("MESSAGE_REACTION_ADD", &reaction(on_one)).await.expect("sent once shard 1 is back");
    let mut one = back.await.expect("shard 1 reconnects");
    assert!(one.next_dispatch(Duration::from_secs(2)).await.is_some(), "the waiting dispatch reached it");
    assert_eq!(fake.identify_count(1), 2);
    assert!(fake.shard_overlaps().is_empty(), "{:?}", fake.shard_overlaps());
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn overlapping_resumed_and_invalid_sessions() {
    let fake = FakeDiscord::start().await;
    let guild = guild_on_shard(1, 2);
    let mut first = RawGateway::connect(&fake.gateway_url()).await;
    let first_session = first.identify(TOKEN, Some([1, 2])).await["session_id"].as_str().unwrap().to_string();
    let mut second = RawGateway::connect(&fake.gateway_url()).await;
    let second_session = second.identify(TOKEN, Some([1, 2])).await["session_id"].as_str().unwrap().to_string();
    assert_eq!(fake.identified_shards(), [(1, 2), (1, 2)], "both connections serve shard 1");
    let overlaps = fake.shard_overlaps();
    assert!(overlaps.len() == 1 && overlaps[0].contains(&first_session), "{overlaps:?}");

    // The newest session gets the events; the older one closing does not take the shard away.
    fake.dispatch_event("MESSAGE_REACTION_ADD", reaction(guild)).await;
    assert!(second.next_dispatch(Duration::from_secs(2)).await.is_some(), "the newest session gets it");
    assert_eq!(first.next_dispatch(Duration::from_millis(200)).await, None);
    first.close().await;
    until("the first session is gone", || fake.identified_shards() == [(1, 2)]).await;
    fake.dispatch_event("MESSAGE_REACTION_ADD", reaction(guild)).await;
    let seen = second.next_dispatch(Duration::from_secs(2)).await.expect("still served");
    let seq = seen["s"].as_u64().unwrap();

    // A RESUME on a new connection continues the session and its shard.
    second.close().await;
    until("no session", || fake.identified_shards().is_empty()).await;
    let mut third = RawGateway::connect(&fake.gateway_url()).await;
    let resumed = third.resume(TOKEN, &second_session, seq).await;
    assert_eq!(resumed["t"], "RESUMED");
    assert_eq!(fake.identified_shards(), [(1, 2)], "the resumed session keeps shard 1 of 2");
    assert_eq!(fake.identify_count(1), 2, "a RESUME is no IDENTIFY");
    fake.dispatch_event("MESSAGE_REACTION_ADD", reaction(guild)).await;
    let next = third.next_dispatch(Duration::from_secs(2)).await.expect("the resumed session gets it");
    assert_eq!(next["s"].as_u64(), resumed["s"].as_u64().map(|s| s + 1), "the sequence goes on");

    let mut stranger = RawGateway::connect(&fake.gateway_url()).await;
    let refused = stranger.resume(TOKEN, "no-such-session", 3).await;
    assert_eq!((&refused["op"], &refused["d"]), (&json!(9), &json!(false)), "INVALID_SESSION, not resumable");

    let mut impossible = RawGateway::connect(&fake.gateway_url()).await;
    impossible.send(&json!({"op": 2, "d": {"token": TOKEN, "shard": [2, 2]}})).await;
    assert_eq!(impossible.recv(Duration::from_secs(2)).await, Some(Received::Closed(Some(4010))));
    let violations = fake.take_violations();
    assert!(violations.len() == 1 && violations[0].contains("invalid shard [2,2]"), "{violations:?}");

    // One shard for everything while shard 1 of 2 is served: both would get shard 1's guilds.
    let mut whole = RawGateway::connect(&fake.gateway_url()).await;
    let whole_ready = whole.identify(TOKEN, None).await;
    assert_eq!(whole_ready["shard"], json!([0, 1]), "no `shard` means [0, 1]");
    assert_eq!(fake.shard_overlaps().len(), 2, "{:?}", fake.shard_overlaps());
    fake.dispatch_event("MESSAGE_REACTION_ADD", reaction(guild)).await;
    assert!(whole.next_dispatch(Duration::from_secs(2)).await.is_some(), "the newest session gets it");
    fake.shutdown().await;
}

/// Records which shard of which client saw each reaction.
struct SeenReactions(u32, tokio::sync::mpsc::UnboundedSender<(u32, u32, u64)>);

#[::serenity::async_trait]
impl serenity::EventHandler for SeenReactions {
    async fn reaction_add(&self, ctx: serenity::Context, reaction: serenity::Reaction) {
        let guild = reaction.guild_id.map_or(0, |g| g.get());
        let _ = self.1.send((self.0, ctx.shard_id.0, guild));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serenity_shards_identify_and_get_their_guilds() {
    let fake = FakeDiscord::start().await;
    fake.set_recommended_shards(2);
    let (tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let mut clients = Vec::new();
    // One client per shard, as one process each: serenity waits 5 s between the shards of one
    // client.
    for shard in 0..2 {
        let http = serenity::HttpBuilder::new(TOKEN).proxy(fake.url()).ratelimiter_disabled(true).build();
        if shard == 0 {
            let gateway = http.get_bot_gateway().await.expect("GET /gateway/bot");
            assert_eq!((gateway.shards, gateway.session_start_limit.max_concurrency), (2, 1));
        }
        let mut client =
            serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILD_MESSAGE_REACTIONS)
                .event_handler(SeenReactions(shard, tx.clone()))
                .await
                .expect("serenity client");
        let manager = client.shard_manager.clone();
        let task = tokio::spawn(async move { client.start_shard(shard, 2).await.expect("shard runs") });
        clients.push((manager, task));
    }
    assert!(fake.wait_shards(&[0, 1], 2, Duration::from_secs(10)).await, "{:?}", fake.identified_shards());

    for shard in [1, 0] {
        let guild = guild_on_shard(shard, 2);
        fake.dispatch_event("MESSAGE_REACTION_ADD", reaction(guild)).await;
        let got = tokio::time::timeout(Duration::from_secs(5), seen.recv()).await.expect("a reaction arrives");
        assert_eq!(got, Some((shard, shard, guild)), "the client running shard {shard} gets it");
    }
    assert_eq!((fake.identify_count(0), fake.identify_count(1)), (1, 1));
    assert!(fake.shard_overlaps().is_empty(), "{:?}", fake.shard_overlaps());

    for (manager, task) in clients {
        manager.shutdown_all().await;
        tokio::time::timeout(Duration::from_secs(5), task).await.expect("client stops").expect("client task");
    }
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    fake.shutdown().await;
}

/// A REST client of the fake with the bot's token, and the channel the tests post in.
fn rest(fake: &FakeDiscord) -> (Arc<serenity::Http>, serenity::ChannelId) {
    let http = serenity::HttpBuilder::new(TOKEN).proxy(fake.url()).ratelimiter_disabled(true).build();
    (Arc::new(http), serenity::ChannelId::new(700))
}

fn post_body(content: &str, nonce: &str) -> Value {
    json!({"content": content, "nonce": nonce, "enforce_nonce": true, "allowed_mentions": {"parse": []}})
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_posts_are_stored_before_they_are_answered() {
    let fake = FakeDiscord::start().await;
    let (http, channel) = rest(&fake);
    fake.set_post_delay(Duration::from_millis(600), Duration::from_millis(700));
    let started = std::time::Instant::now();
    let post = {
        let http = http.clone();
        tokio::spawn(async move { http.send_message(channel, vec![], &post_body("slow", "n-slow")).await })
    };
    let stored = fake.wait_channel_messages(1).await;
    assert!(!post.is_finished(), "the message is in the channel before the answer comes");
    let message = post.await.expect("post task").expect("answered");
    assert!(started.elapsed() >= Duration::from_millis(600), "answered after {:?}", started.elapsed());
    assert_eq!(json!(message.id.to_string()), stored[0]["id"]);

    let started = std::time::Instant::now();
    let edit = json!({"content": "edited", "allowed_mentions": {"parse": []}});
    http.edit_message(channel, message.id, &edit, vec![]).await.expect("edited");
    assert!(started.elapsed() >= Duration::from_millis(600), "edits are slow too: {:?}", started.elapsed());
    assert_eq!(fake.channel_messages()[0]["content"], "edited");

    fake.set_post_delay(Duration::ZERO, Duration::ZERO);
    let started = std::time::Instant::now();
    http.send_message(channel, vec![], &post_body("fast", "n-fast")).await.expect("answered");
    assert!(started.elapsed() < Duration::from_millis(600), "fast again: {:?}", started.elapsed());
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nonce_dedup_can_be_switched_off_and_posts_are_counted_by_nonce() {
    let fake = FakeDiscord::start().await;
    let (http, channel) = rest(&fake);
    let first = http.send_message(channel, vec![], &post_body("once", "n-1")).await.expect("posted");
    let again = http.send_message(channel, vec![], &post_body("once", "n-1")).await.expect("posted");
    assert_eq!(first.id, again.id, "Discord returns the message the nonce made");
    assert_eq!(serde_json::to_value(&first.nonce).unwrap(), json!("n-1"), "the answer echoes the nonce");
    assert_eq!(fake.posts_by_nonce(), HashMap::from([((700, "n-1".to_string()), 1)]));

    fake.set_nonce_dedup(false);
    let third = http.send_message(channel, vec![], &post_body("once", "n-1")).await.expect("posted");
    assert_ne!(third.id, first.id, "without dedup a repeat is a second message");
    assert_eq!(fake.channel_messages().len(), 2);
    assert_eq!(fake.posts_by_nonce(), HashMap::from([((700, "n-1".to_string()), 2)]));

    let fetched = http.get_message(channel, first.id).await.expect("fetched");
    assert!(fetched.nonce.is_none(), "fetched messages carry no nonce");
    assert!(fake.violations().is_empty(), "{:?}", fake.violations());
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_post_is_stored_but_never_answered() {
    let fake = FakeDiscord::start().await;
    let (http, channel) = rest(&fake);
    let held = fake.hold_next_post();
    let post = {
        let http = http.clone();
        tokio::spawn(async move { http.send_message(channel, vec![], &post_body("held", "n-held")).await })
    };
    let held = tokio::time::timeout(Duration::from_secs(5), held).await.expect("the post arrives").expect("told");
    assert_eq!((held.channel_id, held.nonce.as_deref()), (700, Some("n-held")));
    assert_eq!(held.body["content"], "held");
    assert_eq!(fake.channel_messages()[0]["id"], held.message_id.to_string(), "the message is in the channel");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!post.is_finished(), "no answer comes");

    let next = http.send_message(channel, vec![], &post_body("next", "n-next")).await.expect("answered");
    assert_ne!(next.id.get(), held.message_id, "only one post is held");
    assert_eq!(fake.posts_by_nonce().len(), 2);

    let started = std::time::Instant::now();
    fake.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(3), "the held request ends with the fake");
    let answer = tokio::time::timeout(Duration::from_secs(5), post).await.expect("ends").expect("post task");
    assert!(answer.is_err(), "the held post never succeeds: {answer:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn channel_history_pages_newest_first_like_discord() {
    let fake = FakeDiscord::start().await;
    let (http, channel) = rest(&fake);
    let mut ids = Vec::new();
    for i in 0..5 {
        let message = http.send_message(channel, vec![], &post_body(&format!("m{i}"), &format!("n{i}"))).await;
        ids.push(message.expect("posted").id);
    }
    let elsewhere = serenity::ChannelId::new(701);
    http.send_message(elsewhere, vec![], &post_body("other", "n-other")).await.expect("posted");

    let page = |target: Option<serenity::MessagePagination>, limit: Option<u8>| {
        let http = http.clone();
        async move {
            let messages = http.get_messages(channel, target, limit).await.expect("history parses as Vec<Message>");
            messages.into_iter().map(|m| m.id).collect::<Vec<_>>()
        }
    };
    use serenity::MessagePagination::{After, Around, Before};
    assert_eq!(page(None, None).await, [ids[4], ids[3], ids[2], ids[1], ids[0]], "50 newest, newest first");
    assert_eq!(page(None, Some(2)).await, [ids[4], ids[3]]);
    assert_eq!(page(Some(Before(ids[2])), Some(10)).await, [ids[1], ids[0]]);
    assert_eq!(page(Some(After(ids[0])), Some(2)).await, [ids[2], ids[1]], "the ones right after, newest first");
    assert_eq!(page(Some(Around(ids[2])), Some(3)).await, [ids[3], ids[2], ids[1]]);

    // The raw body: the bot as author, no nonce; a limit over 100 is refused.
    let client = reqwest::Client::builder().no_proxy().build().expect("reqwest client");
    let get = |query: &str| {
        client
            .get(format!("{}/api/v10/channels/700/messages?{query}", fake.url()))
            .header("Authorization", format!("Bot {TOKEN}"))
            .send()
    };
    let raw: Value = get("limit=1").await.expect("GET").json().await.expect("JSON");
    let newest = &raw[0];
    assert_eq!(raw.as_array().map(Vec::len), Some(1));
    assert_eq!((&newest["content"], &newest["type"], &newest["channel_id"]), (&json!("m4"), &json!(0), &json!("700")));
    assert_eq!((&newest["author"]["id"], &newest["author"]["bot"]), (&json!(BOT_USER_ID.to_string()), &json!(true)));
    assert!(newest.get("nonce").is_none(), "Discord sends no nonce in history: {newest}");
    assert_eq!(get("limit=101").await.expect("GET").status(), 400);
    let violations = fake.take_violations();
    assert!(violations.len() == 1 && violations[0].contains("limit"), "{violations:?}");
    fake.shutdown().await;
}

// ---- the pure limit checks, case by case ----

fn paths(breaches: Vec<Breach>) -> Vec<String> {
    breaches.into_iter().map(|b| b.path).collect()
}

fn check_message(body: Value, expected: &[&str]) {
    assert_eq!(paths(limits::check_message(&body, "")), expected, "{body}");
}

#[test]
fn message_limits() {
    check_message(json!({"content": "x".repeat(2000)}), &[]);
    check_message(json!({"content": "x".repeat(2001)}), &["content"]);
    check_message(json!({"content": "😀".repeat(1001)}), &["content"]); // UTF-16: 2002 units
    check_message(json!({"embeds": vec![json!({"title": "t"}); 11]}), &["embeds"]);
    check_message(json!({"embeds": [{"title": "x".repeat(257)}]}), &["embeds.0.title"]);
    check_message(json!({"embeds": [{"description": "x".repeat(4097)}]}), &["embeds.0.description"]);
    check_message(json!({"embeds": [{"fields": vec![json!({"name": "n", "value": "v"}); 26]}]}), &["embeds.0.fields"]);
    check_message(
        json!({"embeds": [{"fields": [{"name": "x".repeat(257), "value": "v"}]}]}),
        &["embeds.0.fields.0.name"],
    );
    check_message(
        json!({"embeds": [{"fields": [{"name": "n", "value": "x".repeat(1025)}]}]}),
        &["embeds.0.fields.0.value"],
    );
    check_message(json!({"embeds": [{"footer": {"text": "x".repeat(2049)}}]}), &["embeds.0.footer.text"]);
    check_message(json!({"embeds": [{"author": {"name": "x".repeat(257)}}]}), &["embeds.0.author.name"]);
    check_message(
        json!({"embeds": [{"description": "x".repeat(3000)}, {"description": "x".repeat(3001)}]}),
        &["embeds"],
    );
}

#[test]
fn component_limits() {
    let button = |id: &str| json!({"type": 2, "style": 1, "custom_id": id, "label": "b"});
    let row = |n: usize, prefix: &str| json!({"type": 1, "components": (0..n).map(|i| button(&format!("{prefix}{i}"))).collect::<Vec<_>>()});
    check_message(json!({"components": [row(5, "a")]}), &[]);
    check_message(json!({"components": [row(6, "a")]}), &["components.0.components"]);
    let six_rows: Vec<Value> = (0..6).map(|r| row(1, &format!("r{r}-"))).collect();
    check_message(json!({"components": six_rows}), &["components"]);
    check_message(
        json!({"components": [{"type": 1, "components": [button(&"x".repeat(101))]}]}),
        &["components.0.components.0.custom_id"],
    );
    check_message(
        json!({"components": [{"type": 1, "components": [button("same"), button("same")]}]}),
        &["components.0.components.1.custom_id"],
    );
}

#[test]
fn mention_rules() {
    let check = |body: Value, expected: usize| assert_eq!(limits::check_mentions(&body).len(), expected, "{body}");
    check(json!({"content": "hi"}), 1);
    check(json!({"content": "hi", "allowed_mentions": {"parse": ["users"]}}), 0);
    check(json!({"content": "hi", "allowed_mentions": {"parse": ["roles"]}}), 1);
    check(json!({"content": "<@&7>", "allowed_mentions": {"parse": [], "roles": ["7"]}}), 0);
    check(json!({"content": "@here", "allowed_mentions": {"parse": []}}), 0);
    check(json!({"content": "@here", "allowed_mentions": {"parse": ["everyone"]}}), 2);
    check(json!({"content": "@everyone"}), 2);
}

#[test]
fn autocomplete_and_modal_limits() {
    let choices = |n: usize| json!({"choices": (0..n).map(|i| json!({"name": format!("c{i}"), "value": format!("v{i}")})).collect::<Vec<_>>()});
    assert!(limits::check_autocomplete(&choices(25)).is_empty());
    assert_eq!(paths(limits::check_autocomplete(&choices(26))), ["data.choices"]);
    assert_eq!(
        paths(limits::check_autocomplete(&json!({"choices": [{"name": "", "value": "x".repeat(101)}]}))),
        ["data.choices.0.name", "data.choices.0.value"]
    );

    let input = |id: &str, label: &str| json!({"type": 1, "components": [{"type": 4, "custom_id": id, "label": label, "style": 1}]});
    assert!(limits::check_modal(&json!({"title": "T", "custom_id": "m", "components": [input("a", "A")]})).is_empty());
    let long = json!({"title": "x".repeat(46), "custom_id": "m", "components": [input("a", &"x".repeat(46))]});
    assert_eq!(paths(limits::check_modal(&long)), ["data.title", "data.components.0.components.0.label"]);
    let six: Vec<Value> = (0..6).map(|i| input(&format!("i{i}"), "L")).collect();
    assert_eq!(
        paths(limits::check_modal(&json!({"title": "T", "custom_id": "m", "components": six}))),
        ["data.components"]
    );
}

#[test]
fn command_registration_limits() {
    let check = |commands: Value, expected: &[&str]| {
        assert_eq!(paths(limits::check_commands(&commands)), expected, "{commands}")
    };
    let option =
        |name: &str, required: bool| json!({"type": 3, "name": name, "description": "d", "required": required});
    check(json!([{"name": "cost", "description": "Costs"}]), &[]);
    check(json!([{"name": "kosten-übersicht", "description": "Kosten"}]), &[]);
    check(json!([{"name": "Cost", "description": "Costs"}]), &["0.name"]);
    check(json!([{"name": "cost list", "description": "Costs"}]), &["0.name"]);
    check(json!([{"name": "x".repeat(33), "description": "d"}]), &["0.name"]);
    check(json!([{"name": "cost", "description": "x".repeat(101)}]), &["0.description"]);
    check(
        json!([{"name": "cost", "description": "d", "options": (0..26).map(|i| option(&format!("o{i}"), false)).collect::<Vec<_>>()}]),
        &["0.options"],
    );
    check(
        json!([{"name": "cost", "description": "d", "options": [option("a", false), option("b", true)]}]),
        &["0.options.1.required"],
    );
    let choices: Vec<Value> = (0..26).map(|i| json!({"name": format!("c{i}"), "value": i})).collect();
    check(
        json!([{"name": "cost", "description": "d", "options": [{"type": 4, "name": "n", "description": "d", "choices": choices}]}]),
        &["0.options.0.choices"],
    );
    check(
        json!([{"name": "cost", "description": "d", "name_localizations": {"de": "Kosten"}}]),
        &["0.name_localizations.de"],
    );
    check(json!([{"name": "Show Details", "description": "", "type": 3}]), &[]);
}

#[test]
fn localized_command_limits() {
    let check = |commands: Value, expected: &[&str]| {
        assert_eq!(paths(limits::check_commands(&commands)), expected, "{commands}")
    };
    let th = |name: &str, description: &str| json!({"name_localizations": {"th": name}, "description_localizations": {"th": description}});
    let command = |name: &str, localized: Value, options: Value| {
        let mut command = json!({"name": name, "description": "d", "options": options});
        command.as_object_mut().unwrap().extend(localized.as_object().unwrap().clone());
        command
    };
    let option = |name: &str, localized: Value| command(name, localized, json!([])).tap_type(3);
    // Thai names: Thai letters with their vowel and tone marks, one word, no spaces.
    check(json!([command("cost", th("ค่าใช้จ่าย", "ค่าใช้จ่ายรายเดือน"), json!([]))]), &[]);
    check(json!([command("cost", th("ค่า ใช้จ่าย", "d"), json!([]))]), &["0.name_localizations.th"]);
    check(json!([command("cost", th("ค่าAI", "d"), json!([]))]), &["0.name_localizations.th"]);
    check(json!([command("cost", th(&"ก".repeat(33), "d"), json!([]))]), &["0.name_localizations.th"]);
    check(json!([command("cost", th("ค่า", &"ก".repeat(101)), json!([]))]), &["0.description_localizations.th"]);
    check(json!([command("cost", th("ค่า", ""), json!([]))]), &["0.description_localizations.th"]);
    check(
        json!([command("cost", json!({"name_localizations": {"thai": "ค่า"}}), json!([]))]),
        &["0.name_localizations.thai"],
    );
    // Unique at each level in each locale: two options, or two commands, that would show the
    // same Thai name; a Thai name equal to a sibling's default name; the same name at different
    // levels is fine.
    check(
        json!([command(
            "cost",
            json!({}),
            json!([option("item", th("รายการ", "d")), option("list", th("รายการ", "d"))])
        )]),
        &["0.options.1.name_localizations.th"],
    );
    check(
        json!([command("cost", json!({}), json!([option("item", json!({})), option("note", th("item", "d"))]))]),
        &["0.options.1.name_localizations.th"],
    );
    check(
        json!([command("cost", th("ค่า", "d"), json!([])), command("price", th("ค่า", "d"), json!([]))]),
        &["1.name_localizations.th"],
    );
    let list = command("list", th("รายการ", "d"), json!([option("item", th("รายการ", "d"))])).tap_type(1);
    check(json!([command("cost", th("รายการ", "d"), json!([list]))]), &[]);
    // Choices: localized names follow the rules of names of choices.
    let choices = json!([{"name": "monthly", "value": 0, "name_localizations": {"th": "ก".repeat(101)}}]);
    check(
        json!([command(
            "cost",
            json!({}),
            json!([{"type": 4, "name": "period", "description": "d", "choices": choices}])
        )]),
        &["0.options.0.choices.0.name_localizations.th"],
    );
    // The size counts each field at its longest localization, not each locale on its own: 80
    // options, half described at length in Thai and half in Japanese, are 4,000-odd characters
    // in either locale but 8,000-odd as Discord counts.
    let options = |range: std::ops::Range<usize>| -> Vec<Value> {
        range
            .map(|i| {
                let locale = if i % 2 == 0 { "th" } else { "ja" };
                json!({"type": 3, "name": format!("o{i}"), "description": "d",
                       "description_localizations": {locale: "ก".repeat(100)}})
            })
            .collect()
    };
    let groups: Vec<Value> = (0..4)
        .map(|g| json!({"type": 1, "name": format!("s{g}"), "description": "d", "options": options(g * 20..g * 20 + 20)}))
        .collect();
    let big = json!([{"name": "cost", "description": "d", "options": groups}]);
    assert!(limits::command_size(&big[0]) > limits::MAX_COMMAND_SIZE);
    check(big, &["0"]);
    let groups: Vec<Value> = (0..4)
        .map(|g| json!({"type": 1, "name": format!("s{g}"), "description": "d", "options": options(g * 10..g * 10 + 10)}))
        .collect();
    check(json!([{"name": "cost", "description": "d", "options": groups}]), &[]);
}

/// Sets `type` on a JSON command or option.
trait TapType {
    fn tap_type(self, kind: u64) -> Value;
}

impl TapType for Value {
    fn tap_type(mut self, kind: u64) -> Value {
        self["type"] = json!(kind);
        self
    }
}
