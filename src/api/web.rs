//! The web map: embedded static files from `web/`, and the generated `/style.json`.

use super::{ApiError, AppState};
use crate::service::access::Identity;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use rust_embed::RustEmbed;

/// Everything under `web/`, compiled into the binary so the map works with no network.
#[derive(RustEmbed)]
#[folder = "web/"]
struct WebAssets;

/// Whether the client reached us over HTTPS: the server speaks TLS itself, or a TLS
/// proxy in front says so with `X-Forwarded-Proto: https`. A client that sends the
/// header itself only changes what it is told (its own cookie's `Secure`, its own
/// URLs), never what another client sees.
pub fn over_https(headers: &HeaderMap, state: &AppState) -> bool {
    state.tls()
        || headers
            .get("x-forwarded-proto")
            .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// `http://host[:port]` (`https://` over HTTPS, see [`over_https`]) as the client
/// addressed us, for absolute URLs in styles and TileJSON. A `Host` header with
/// characters outside a host name falls back to the configured address, so a client
/// cannot inject text into the URLs we hand out.
pub fn base_url(headers: &HeaderMap, state: &AppState) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.len() <= 255)
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c))
        })
        .unwrap_or(state.public_host());
    let scheme = if over_https(headers, state) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

pub async fn style(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    let atlas = state.snapshot_for(&who).await?;
    Ok(Json(crate::style::style(
        &atlas,
        &base_url(&headers, &state),
    )))
}

/// `GET /api/palette`: the warning colours and their labels, which the page reads
/// instead of keeping its own copy.
pub async fn palette() -> Json<serde_json::Value> {
    Json(crate::render::palette::to_json())
}

/// `GET /api/labels`: what attribute names and codes read as (`render::labels`), for
/// the page's popups and panels.
pub async fn labels() -> Json<serde_json::Value> {
    Json(crate::render::labels::to_json())
}

/// Decodes `%XX` escapes; `None` for malformed escapes or non-UTF-8 results.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Serves an embedded file, `index.html` for `/`; JSON 404 for anything else.
pub async fn asset_or_404(State(state): State<AppState>, uri: Uri) -> Result<Response, ApiError> {
    let not_found = || ApiError::not_found(format!("no such path {:?}", uri.path()));
    if ["/api/", "/tiles/", "/report/", "/cards/"]
        .iter()
        .any(|p| uri.path().starts_with(p))
    {
        return Err(not_found());
    }
    let path = percent_decode(uri.path().trim_start_matches('/')).ok_or_else(not_found)?;
    let path = if path.is_empty() {
        "index.html".to_string()
    } else {
        path
    };
    if path.split('/').any(|seg| seg == ".." || seg.is_empty()) {
        return Err(not_found());
    }
    let data: Vec<u8> = match state.web_dir() {
        Some(dir) => tokio::fs::read(dir.join(&path))
            .await
            .map_err(|_| not_found())?,
        None => WebAssets::get(&path)
            .ok_or_else(not_found)?
            .data
            .into_owned(),
    };
    let mime = mime_guess::from_path(&path).first_or_octet_stream();
    let content_type = if path.ends_with(".pbf") {
        "application/x-protobuf".to_string()
    } else {
        mime.to_string()
    };
    let mut response = data.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type).expect("MIME types are ASCII"),
    );
    let cache = if path == "index.html" {
        "no-cache"
    } else {
        "public, max-age=3600"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_handles_spaces_and_rejects_broken_escapes() {
        assert_eq!(
            percent_decode("fonts/Noto%20Sans%20Regular/0-255.pbf").unwrap(),
            "fonts/Noto Sans Regular/0-255.pbf"
        );
        assert!(percent_decode("a%2").is_none());
        assert!(percent_decode("a%zz").is_none());
    }
}
