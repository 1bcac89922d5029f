//! `GET /tiles/{ids}/{z}/{x}/{y}`: Mapbox Vector Tiles, gzip, ETag, 204 when empty.

use super::layers::unknown_layer;
use super::{ApiError, AppState};
use crate::atlas::{Disclosure, Layer};
use crate::service::access::Identity;
use crate::tiles::TileBody;
use crate::tiles::cache::{CacheOutcome, TileKey, TileKeyRef};
use crate::tiles::{TileCoord, render_tile};
use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// At most this many layers in one composite tile request (bounds work per request).
pub const MAX_LAYERS_PER_TILE: usize = 64;
/// A tile drawn exactly from at most this many candidate features is drawn on the
/// request's own thread: tens of microseconds, less than handing it to a worker thread
/// costs (a wake-up and two context switches). Larger tiles go to a worker, so no
/// request holds an async thread for long.
const INLINE_MAX_CANDIDATES: usize = 64;
const CONTENT_TYPE: &str = "application/vnd.mapbox-vector-tile";
const CACHE_CONTROL: &str = "public, max-age=60";
/// Says whether the tile came from the server's cache (`hit`) or was drawn (`miss`).
const TILE_CACHE: &str = "x-tile-cache";

fn parse_index(name: &str, text: &str) -> Result<u64, ApiError> {
    text.parse::<u64>().map_err(|_| {
        ApiError::bad_request(format!(
            "tile {name} {text:?} must be a non-negative integer"
        ))
    })
}

pub(super) fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut pieces = part.trim().split(';');
            let coding = pieces.next().unwrap_or("").trim();
            let q_zero = pieces.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !q_zero
        })
}

pub(super) fn parse_coord(z: &str, x: &str, y: &str) -> Result<TileCoord, ApiError> {
    let y = y
        .strip_suffix(".mvt")
        .or_else(|| y.strip_suffix(".pbf"))
        .unwrap_or(y);
    TileCoord::new(
        parse_index("z", z)?,
        parse_index("x", x)?,
        parse_index("y", y)?,
    )
    .map_err(|e| ApiError::bad_request(format!("tile {z}/{x}/{y}: {e}")))
}

pub async fn tile(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path((ids, z, x, y)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let coord = parse_coord(&z, &x, &y)?;
    let names = distinct_layers(&ids)?;
    // Resolve every id before any work, so an unknown layer is a 404 and nothing else.
    let atlas = state.snapshot_for(&who).await?;
    for id in &names {
        atlas.layer(id).ok_or_else(|| unknown_layer(id))?;
    }
    let key = tile_key(&names, coord, &who);
    let options = *state.tile_options();
    let generation = atlas.generation;
    let service = state.service().clone();
    let bounds = coord.bounds_wgs84(options.extent, options.buffer);
    let counted = atlas.clone();
    let cheap = move || is_cheap(&counted, &names, coord, bounds);
    let bounds = bounds.to_rect();
    let (body, outcome) = render_cached(
        &state,
        key,
        generation,
        Work {
            gzip: accepts_gzip(&headers),
            cheap,
        },
        move |key, since| service.tile_unchanged(since, &key.layers, !key.scope.is_empty(), bounds),
        move |key| {
            let layers: Vec<&Layer> = key
                .layers
                .split(',')
                .filter_map(|id| atlas.layer(id))
                .collect();
            render_tile(&layers, coord, &options, key.disclosure).unwrap_or_default()
        },
    )
    .await?;
    Ok(respond(&body, outcome, &headers))
}

/// What [`tile`] answers, when the cache alone can answer it: `who`'s tile of the
/// layers `ids` at `z/x/y` (path segments as the router passes them) held fresh for
/// the atlas `who` reads, in the encoding `headers` accept. None whenever `tile` would
/// do anything else: draw, refuse, or wait for `who`'s view to be cut.
pub(super) fn from_cache(
    state: &AppState,
    who: &Identity,
    [ids, z, x, y]: [&str; 4],
    headers: &HeaderMap,
) -> Option<Response> {
    let coord = parse_coord(z, x, y).ok()?;
    let names = distinct_layers(ids).ok()?;
    let view = state.service().ready_view(&who.scope)?;
    let atlas = &view.snapshot;
    if names.iter().any(|id| atlas.layer(id).is_none()) {
        return None;
    }
    // The key's layers are `ids` itself unless an id repeats: the common case is looked
    // up without building a key.
    let repeated = ids.bytes().filter(|&b| b == b',').count() + 1 != names.len();
    let joined = repeated.then(|| names.join(","));
    let scope = who.scope.join(",");
    let key = tile_key_parts(joined.as_deref().unwrap_or(ids), &scope, coord, who);
    let body = state
        .tile_cache()
        .fresh(key, atlas.generation)
        .filter(|body| !accepts_gzip(headers) || body.has_gzip())?;
    Some(respond(&body, CacheOutcome::Hit, headers))
}

/// The layer ids of a tile request (`a,b,c`), each once, in the order first named.
fn distinct_layers(ids: &str) -> Result<Vec<&str>, ApiError> {
    let mut names: Vec<&str> = Vec::new();
    for id in ids.split(',') {
        if !names.contains(&id) {
            names.push(id);
        }
        if names.len() > MAX_LAYERS_PER_TILE {
            return Err(ApiError::bad_request(format!(
                "at most {MAX_LAYERS_PER_TILE} layers per tile"
            )));
        }
    }
    Ok(names)
}

/// The cache key of `who`'s tile of `names` at `coord`.
fn tile_key(names: &[&str], coord: TileCoord, who: &Identity) -> TileKey {
    tile_key_parts(&names.join(","), &who.scope.join(","), coord, who).owned()
}

/// The cache key of `who`'s tile at `coord` of `layers` (ids comma-joined, each once),
/// `scope` being `who`'s admin codes comma-joined.
fn tile_key_parts<'a>(
    layers: &'a str,
    scope: &'a str,
    coord: TileCoord,
    who: &Identity,
) -> TileKeyRef<'a> {
    TileKeyRef {
        layers,
        z: coord.z(),
        x: coord.x(),
        y: coord.y(),
        disclosure: who.disclosure(),
        scope,
    }
}

/// Whether drawing the tile is cheap enough for the request's own thread: every layer
/// exact at this zoom, and few candidates in all (see [`INLINE_MAX_CANDIDATES`]).
fn is_cheap(
    atlas: &crate::atlas::Atlas,
    names: &[&str],
    coord: TileCoord,
    bounds: crate::atlas::BboxWgs84,
) -> bool {
    let mut left = INLINE_MAX_CANDIDATES;
    for layer in names.iter().filter_map(|id| atlas.layer(id)) {
        if coord.z() < layer.generalised().detail_zoom() {
            return false;
        }
        let n = layer.count_candidates_up_to(bounds, left);
        if n > left {
            return false;
        }
        left -= n;
    }
    true
}

/// `GET /tiles/impact/{key}/{z}/{x}/{y}`: a scenario's `hazards` and `affected` layers,
/// for a key that `POST /api/impact` returned.
pub async fn impact_tile(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    Path((scenario, z, x, y)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let coord = parse_coord(&z, &x, &y)?;
    // A scenario analysed in another scope is not this user's to see.
    let ours = scenario.ends_with(&format!("-{}", super::impact::scope_tag(&who.scope)));
    let layers = state
        .scenario_layers(&scenario)
        .filter(|_| ours)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no scenario {scenario:?}: it expired or never ran; POST it to /api/impact again"
            ))
        })?;
    let key = TileKey {
        layers: format!("impact:{scenario}").into(),
        z: coord.z(),
        x: coord.x(),
        y: coord.y(),
        // A scenario's layers hold no personal field.
        disclosure: Disclosure::Full,
        scope: "".into(),
    };
    let options = *state.tile_options();
    // A scenario's key names the atlas generation it ran on: its tiles never change.
    let work = Work {
        gzip: accepts_gzip(&headers),
        cheap: || false,
    };
    let (body, outcome) = render_cached(
        &state,
        key,
        0,
        work,
        |_, _| true,
        move |key| {
            let refs: Vec<&Layer> = layers.iter().collect();
            render_tile(&refs, coord, &options, key.disclosure).unwrap_or_default()
        },
    )
    .await?;
    Ok(respond(&body, outcome, &headers))
}

/// What a tile request asks of [`render_cached`].
struct Work<C: FnOnce() -> bool> {
    /// The client accepts gzip: the body's gzip is made before answering (off the
    /// async thread, unless the tile is cheap).
    gzip: bool,
    /// Whether the tile is small enough to draw on the request's own thread; asked
    /// only on a miss (a cached tile costs no count).
    cheap: C,
}

/// Renders through the tile cache, on a blocking thread unless `work` is cheap, for
/// atlas `generation`; `unchanged(key, since)` says whether no edit after generation
/// `since` touched it.
async fn render_cached(
    state: &AppState,
    key: TileKey,
    generation: u64,
    work: Work<impl FnOnce() -> bool>,
    unchanged: impl Fn(&TileKey, u64) -> bool + Send + 'static,
    render: impl Fn(&TileKey) -> Vec<u8> + Send + 'static,
) -> Result<(std::sync::Arc<TileBody>, CacheOutcome), ApiError> {
    // A tile held and fresh is answered here: handing it to a worker thread would cost
    // more than the lookup (a thread wake-up and two context switches per request).
    if let Some(body) = state.tile_cache().fresh(key.borrowed(), generation)
        && (!work.gzip || body.has_gzip())
    {
        return Ok((body, CacheOutcome::Hit));
    }
    let gzip = work.gzip;
    let worker = state.clone();
    let draw = move || {
        let k = key.clone();
        let (body, outcome) = worker.tile_cache().get_or_render(
            key,
            generation,
            |since| unchanged(&k, since),
            || render(&k),
        );
        if gzip {
            body.gzip();
        }
        (body, outcome)
    };
    if (work.cheap)() {
        return Ok(draw());
    }
    tokio::task::spawn_blocking(draw)
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("tile worker failed: {e}")))
}

/// The HTTP response for a cached tile: 204 when empty, 304 on a matching ETag, gzip
/// when accepted. The gzip and plain bodies differ byte for byte, so each has its own
/// ETag (a cache keeping both must not answer one's revalidation with the other).
fn respond(body: &TileBody, outcome: CacheOutcome, headers: &HeaderMap) -> Response {
    let gzip = accepts_gzip(headers);
    let tag = variant_etag(&body.etag, gzip);
    let etag = HeaderValue::from_str(&tag).expect("ETags are ASCII hex");
    let mut response = if body.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else if none_match(headers, &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if gzip {
        let mut r = Response::new(Body::from(body.gzip().clone()));
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        Response::new(Body::from(body.raw.clone()))
    };
    let h = response.headers_mut();
    if !body.is_empty() {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    }
    h.insert(header::ETAG, etag);
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(TILE_CACHE, HeaderValue::from_static(outcome.as_str()));
    response
}

/// The ETag of the variant served: the content's, with `-gzip` inside the quotes for
/// the gzip body (as Apache's `mod_deflate` marks it).
fn variant_etag(etag: &str, gzip: bool) -> String {
    match (gzip, etag.strip_suffix('"')) {
        (true, Some(open)) => format!("{open}-gzip\""),
        _ => etag.to_string(),
    }
}

/// Whether `If-None-Match` names `etag` (or is `*`): a list, weak tags compared weakly
/// (RFC 9110 13.1.2).
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    #[test]
    fn gzip_is_chosen_only_when_accepted() {
        assert!(accepts_gzip(&with("gzip, deflate, br")));
        assert!(accepts_gzip(&with("br;q=1.0, gzip;q=0.8")));
        assert!(!accepts_gzip(&with("gzip;q=0")));
        assert!(!accepts_gzip(&with("br")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
