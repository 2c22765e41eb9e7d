//! The pages' stylesheet and the Thai font, served by Jarvis itself (no CDN): the font is the
//! project's bundled Noto Sans Thai (`assets/fonts/`, SIL Open Font License), so Thai renders
//! whatever fonts the reader's machine has.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::Api;

const STYLESHEET: &str = include_str!("../../../assets/web/app.css");
const THAI_FONT: &[u8] = include_bytes!("../../../assets/fonts/NotoSansThai-Regular.ttf");
/// Assets change only with a new release; an hour keeps an upgrade visible soon enough.
const CACHE: &str = "public, max-age=3600";

pub fn router() -> Router<Api> {
    Router::new()
        .route(
            "/assets/app.css",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, CACHE)], STYLESHEET)
            }),
        )
        .route(
            "/assets/noto-sans-thai.ttf",
            get(|| async {
                ([(header::CONTENT_TYPE, "font/ttf"), (header::CACHE_CONTROL, CACHE)], THAI_FONT).into_response()
            }),
        )
}
