//! Bills in: `POST /api/cost/imports` streams a FOCUS file (CSV or gzip) into the import use
//! case; the imports are listed, shown with their reconciliation, and removed.

use axum::body::Body;
use axum::extract::{OriginalUri, Path, State};
use axum::http::StatusCode;

use super::extract::{Caller, Lang, Writer};
use super::openapi::{Op, Routes, choice, string};
use super::problem::Problem;
use super::{Answer, Api, view};
use crate::app::AppError;
use crate::app::stream::ChunkReader;
use crate::app::{ImportList, ImportOptions, ImportSummary, ImportView, ServiceMap};
use crate::domain::UserError;

/// The largest file `POST /api/cost/imports` takes (a month of a large company's bill, gzipped,
/// is well under this).
pub const IMPORT_LIMIT: u64 = 4 * 1024 * 1024 * 1024;

/// How long an import may take, upload included (other requests have the server's timeout).
pub const IMPORT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15 * 60);

pub fn routes(routes: Routes) -> Routes {
    let lang = "`en` or `th` for the worded fields (else Accept-Language, else the workspace's language).";
    let languages = || choice(&["en", "th"]);
    routes
        .route(
            "/api/cost/imports",
            Op::get("Imported bills")
                .tag("imports")
                .query("lang", lang, languages())
                .answers::<ImportList>(200, "Every import, newest first, each with the file's totals beside the ledger's."),
            list,
        )
        .route(
            "/api/cost/imports",
            Op::post("Import a FOCUS bill")
                .tag("imports")
                .describe("Streams a FOCUS 1.0-1.3 cost and usage export (CSV, or gzip-compressed CSV) into the ledger: each billed service becomes an item (or goes into the one it was mapped to), its costs one record per day. A later import of the same billing account and period replaces what was imported for it. A row that cannot be read refuses the whole file (422, naming its line, column and value) unless `skip_bad=true`.")
                .query("file_name", "The file's name, to know the import by (default `upload.csv`).", string())
                .query("dry_run", "`true`: answer what would change and write nothing.", choice(&["true", "false"]))
                .query("skip_bad", "`true`: import the rows that can be read and list the others.", choice(&["true", "false"]))
                .query("replace_partial", "`true`: replace what was imported for the file's accounts and periods even if the file bills nothing of some service imported for them (otherwise refused with 409: it looks like one part of a split export; send the parts joined, `cat part*.csv.gz`).", choice(&["true", "false"]))
                .query("map", "`SERVICE=ITEM`: send a billed service into an item you name (repeat for more).", string())
                .query("lang", lang, languages())
                .body_file("The FOCUS file.", &["text/csv", "application/gzip", "application/octet-stream"])
                .answers::<ImportSummary>(201, "The import, reconciled with the file.")
                .answers::<ImportSummary>(200, "A dry run: what would change.")
                .problems(&[404, 409]),
            import,
        )
        .route(
            "/api/cost/imports/{id}",
            Op::get("One import")
                .tag("imports")
                .path("id", "The import's number or public id.")
                .query("lang", lang, languages())
                .answers::<ImportView>(200, "The import, its services, and the file's totals beside the ledger's.")
                .problems(&[404]),
            show,
        )
        .route(
            "/api/cost/imports/{id}",
            Op::delete("Remove an import")
                .tag("imports")
                .path("id", "The import's number or public id.")
                .query("lang", lang, languages())
                .answers::<ImportView>(200, "The import as removed: its records are out of the ledger.")
                .problems(&[404, 409]),
            remove,
        )
}

async fn list(State(api): State<Api>, caller: Caller, lang: Lang) -> Result<Answer, Problem> {
    let lang = api.language(&caller, lang).await?;
    Ok(Answer::ok(view(lang, &api.app.list_imports(caller.workspace()).await?)))
}

async fn show(State(api): State<Api>, caller: Caller, lang: Lang, Path(id): Path<String>) -> Result<Answer, Problem> {
    let lang = api.language(&caller, lang).await?;
    Ok(Answer::ok(view(lang, &api.app.show_import(caller.workspace(), &id).await?)))
}

async fn remove(
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    Path(id): Path<String>,
) -> Result<Answer, Problem> {
    let lang = api.language(&caller, lang).await?;
    Ok(Answer::ok(view(lang, &api.app.remove_import(caller.workspace(), &caller.actor(), &id).await?)))
}

async fn import(
    State(api): State<Api>,
    Writer(caller): Writer,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    body: Body,
) -> Result<Answer, Problem> {
    let mut options = ImportOptions { file_name: "upload.csv".to_string(), ..ImportOptions::default() };
    for (key, value) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        match key.as_ref() {
            "file_name" if !value.trim().is_empty() => options.file_name = value.trim().to_string(),
            "dry_run" => options.dry_run = flag("dry_run", &value)?,
            "skip_bad" => options.skip_bad = flag("skip_bad", &value)?,
            "replace_partial" => options.replace_partial = flag("replace_partial", &value)?,
            "map" => options.maps.push(ServiceMap::parse(&value)?),
            _ => {}
        }
    }
    let lang = api.language(&caller, lang).await?;
    let (input, too_large) = ChunkReader::spawn(body.into_data_stream(), IMPORT_LIMIT);
    let imported = api.app.import_focus(caller.workspace(), &caller.actor(), input, &options, |_| {}).await;
    if too_large.happened() {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "The file is too large",
            format!(
                "The file is larger than {} GiB; nothing was imported. Send it gzip-compressed, or one billing period at a time",
                IMPORT_LIMIT >> 30
            ),
        ));
    }
    // The messages name the command line's options; here they are query parameters.
    let api_terms = |text: String| {
        text.replace("--skip-bad", "`skip_bad=true`")
            .replace("--replace-partial", "`replace_partial=true`")
            .replace("`jarvis import focus part1.csv.gz part2.csv.gz ...`, or joined: ", "")
            .replace("`cat part*.csv.gz | jarvis import focus -`", "the parts joined in one body, `cat part*.csv.gz`")
    };
    let summary = imported.map_err(|error| match error {
        AppError::User(UserError::BadFile(text)) => AppError::User(UserError::BadFile(api_terms(text))),
        AppError::User(UserError::Conflict(text)) => AppError::User(UserError::Conflict(api_terms(text))),
        other => other,
    })?;
    Ok(match summary.uuid {
        Some(uuid) => Answer::created(view(lang, &summary), format!("/api/cost/imports/{uuid}")),
        None => Answer::ok(view(lang, &summary)),
    })
}

fn flag(name: &'static str, value: &str) -> Result<bool, Problem> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        other => Err(Problem::bad_request(name, format!("`{name}` is `true` or `false`, not `{other}`"))),
    }
}
