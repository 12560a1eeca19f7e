//! The console's static files, compiled into the binary and served by the console
//! itself under `/static/` (no CDN: the Content-Security-Policy allows only the
//! console's own origin). `static/README.md` gives versions and licences.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `(name, content type, bytes)` of every file.
const FILES: [(&str, &str, &[u8]); 2] = [
    (
        "console.css",
        "text/css; charset=utf-8",
        include_bytes!("static/console.css"),
    ),
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("static/htmx.min.js"),
    ),
];

/// `GET /static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    match FILES.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, bytes)) => {
            ([(header::CONTENT_TYPE, *content_type)], *bytes).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
