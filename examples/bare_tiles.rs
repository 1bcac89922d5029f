//! A bare axum handler that answers each tile path with bytes held in memory: the
//! ceiling `benches/tiles_vs_martin.sh` measures riskatlas's warm tile cache against.
//!
//! ```sh
//! cargo run --release --example bare_tiles -- PATHS_FILE DIR 127.0.0.1:PORT
//! ```
//!
//! Line `i` of `PATHS_FILE` (counting from 0) is a request path; `DIR/i` holds the bytes
//! to answer it with (an empty file answers 204, as for an empty tile). When
//! `DIR/i.headers` exists (as `curl -D` writes them), the answer also carries those
//! headers (but `date` and `content-length`, which the server sets), so it is the same
//! response byte for byte. Any other path gets 404. No middleware, no lookups beyond
//! one hash map.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;

/// A tile's body, and the headers to send with it (none: only its content type).
type Tiles = Arc<HashMap<String, (Bytes, HeaderMap)>>;

async fn tile(State(tiles): State<Tiles>, request: Request) -> Response {
    match tiles.get(request.uri().path()) {
        Some((body, _)) if body.is_empty() => StatusCode::NO_CONTENT.into_response(),
        Some((body, headers)) if headers.is_empty() => (
            [(header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile")],
            body.clone(),
        )
            .into_response(),
        Some((body, headers)) => (headers.clone(), body.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The headers of a `curl -D` file, but those the server sets itself.
fn read_headers(text: &str) -> anyhow::Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    for line in text.lines().skip(1) {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = HeaderName::from_bytes(name.trim().as_bytes())?;
        if name != header::DATE && name != header::CONTENT_LENGTH {
            headers.append(name, HeaderValue::from_str(value.trim())?);
        }
    }
    Ok(headers)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [paths, dir, addr] = args.as_slice() else {
        anyhow::bail!("usage: bare_tiles PATHS_FILE DIR ADDR");
    };
    let mut tiles = HashMap::new();
    for (i, path) in std::fs::read_to_string(paths)?.lines().enumerate() {
        let body = std::fs::read(format!("{dir}/{i}"))?;
        let headers = match std::fs::read_to_string(format!("{dir}/{i}.headers")) {
            Ok(text) => read_headers(&text)?,
            Err(_) => HeaderMap::new(),
        };
        tiles.insert(path.to_string(), (Bytes::from(body), headers));
    }
    let app = Router::new().fallback(tile).with_state(Arc::new(tiles));
    tokio::runtime::Runtime::new()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}
