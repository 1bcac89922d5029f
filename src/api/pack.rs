//! `GET /api/pack`: the map pack `riskatlas pack` writes, as the asker sees the atlas
//! (their scope's features, personal fields as their role shows them), for taking a map
//! offline from the web page.
//!
//! One pack is drawn at a time (a second asker is told to try again), on a blocking
//! thread, into a temporary file the answer is then read from: a pack can be tens of
//! megabytes, and its directory is only known once every tile is drawn.

use super::{ApiError, AppState};
use crate::atlas::Layer;
use crate::service::access::Identity;
use crate::tiles::pack::{PackOptions, tile_count, write_pack};
use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::io::{Read, Seek};
use tokio::sync::Semaphore;

/// The most tiles one pack may look at: a county at z0–z14 is a few tens of thousands.
pub const MAX_PACK_TILES: u64 = 200_000;

/// The deepest zoom a pack may go to over HTTP (the command line has no such bound).
pub const MAX_PACK_ZOOM: u8 = 16;

/// One pack at a time.
static PACKING: Semaphore = Semaphore::const_new(1);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackQuery {
    layers: Option<String>,
    minzoom: Option<String>,
    maxzoom: Option<String>,
    bbox: Option<String>,
    request: Option<String>,
}

fn zoom(name: &str, text: Option<&str>, default: u8) -> Result<u8, ApiError> {
    match text {
        None => Ok(default),
        Some(t) => t
            .trim()
            .parse::<u8>()
            .ok()
            .filter(|z| *z <= MAX_PACK_ZOOM)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{name} {t:?} must be an integer from 0 to {MAX_PACK_ZOOM}"
                ))
            }),
    }
}

/// `GET /api/pack?layers=&minzoom=&maxzoom=&bbox=[&request=<JSON>]`: a PMTiles archive,
/// with a plan's layers beside the data when an evacuation request is given (as
/// `riskatlas pack --scenario` packs them).
pub async fn pack(
    State(state): State<AppState>,
    Extension(who): Extension<Identity>,
    query: Result<Query<PackQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let min_zoom = zoom("minzoom", q.minzoom.as_deref(), 0)?;
    let max_zoom = zoom("maxzoom", q.maxzoom.as_deref(), 14)?;
    if min_zoom > max_zoom {
        return Err(ApiError::bad_request(format!(
            "minzoom {min_zoom} is above maxzoom {max_zoom}"
        )));
    }
    let bbox = q
        .bbox
        .as_deref()
        .map(super::features::parse_bbox)
        .transpose()?;
    let request = q
        .request
        .map(|r| super::json_param(Some(r), "request"))
        .transpose()?;
    let (atlas, plan_ids) = with_plan(&state, &who, request).await?;
    let mut ids: Vec<String> = match &q.layers {
        Some(list) => list.split(',').map(str::to_string).collect(),
        None => atlas.layers().iter().map(|l| l.id.to_string()).collect(),
    };
    for id in plan_ids {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    for id in &ids {
        atlas
            .layer(id)
            .ok_or_else(|| super::layers::unknown_layer(id))?;
    }
    let area = bbox
        .or_else(|| {
            ids.iter()
                .filter_map(|id| atlas.layer(id)?.bbox())
                .reduce(crate::atlas::BboxWgs84::union)
        })
        .ok_or_else(|| ApiError::Unprocessable("the layers asked for hold no feature".into()))?;
    let tiles = tile_count(area, min_zoom, max_zoom);
    if tiles > MAX_PACK_TILES {
        return Err(ApiError::Unprocessable(format!(
            "a pack of z{min_zoom}–z{max_zoom} over that area looks at {tiles} tiles, more than \
             {MAX_PACK_TILES}: lower maxzoom, pack a smaller bbox, or run `riskatlas pack` on \
             the server"
        )));
    }
    let _turn = PACKING.try_acquire().map_err(|_| {
        ApiError::Unavailable("another map pack is being drawn; try again in a minute".into())
    })?;
    let name = atlas.name.clone();
    let disclosure = who.disclosure();
    let options = PackOptions {
        min_zoom,
        max_zoom,
        bbox,
    };
    let bytes = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<u8>> {
        let layers: Vec<&Layer> = ids.iter().filter_map(|id| atlas.layer(id)).collect();
        let mut file = tempfile::tempfile()?;
        write_pack(&atlas, &layers, &options, disclosure, &mut file, |_, _| {})?;
        file.rewind()?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("pack worker failed: {e}")))?
    .map_err(ApiError::Internal)?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/vnd.pmtiles"),
    );
    let file_name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    let file_name = if file_name.is_empty() {
        "riskatlas".into()
    } else {
        file_name
    };
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}.pmtiles\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The asker's atlas, with a plan's layers added when an evacuation request is given
/// (planned in their view, within the analysis budget), and those layers' ids.
async fn with_plan(
    state: &AppState,
    who: &Identity,
    request: Option<serde_json::Value>,
) -> Result<(std::sync::Arc<crate::atlas::Atlas>, Vec<String>), ApiError> {
    let snapshot = state.snapshot_for(who).await?;
    let Some(body) = request else {
        return Ok((std::sync::Arc::new(snapshot.atlas.clone()), Vec::new()));
    };
    let budget = state.budget();
    super::blocking(move || {
        let (snapshot, body) = super::impact::within(snapshot, body)?;
        let graph = snapshot.road_graph();
        let (impact, plan) =
            crate::service::analyses::evacuate_within(&snapshot, graph, body, &budget)?;
        let layers = crate::analysis::layers::plan_layers(&impact, &plan, &snapshot);
        let ids = layers.iter().map(|l| l.id.to_string()).collect();
        let atlas = snapshot
            .with_added(layers)
            .map_err(crate::service::ServiceError::Unprocessable)?;
        Ok((std::sync::Arc::new(atlas), ids))
    })
    .await
}
