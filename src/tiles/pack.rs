//! Map packs: the atlas's vector tiles as one PMTiles v3 archive, for a laptop or any map
//! tool when the network is down. The tiles are the server's own, drawn by
//! [`render_tile`] (generalised low zooms and the 500 KB budget included), for every
//! tile with data in the zoom range and the box.
//!
//! The archive is written by the `pmtiles` crate rather than by hand: it is the
//! reference Rust implementation of the spec (the one Martin reads archives with), and it
//! gzips tiles, stores identical tiles once (by content hash) and splits directories into
//! leaves as the spec describes. Tiles are drawn on both cores, a batch at a time, and
//! added in tile-id (Hilbert) order, as readers fetch them best.

use super::coord::{TileCoord, lonlat_to_world};
use super::render::{TileOptions, label_layer_name, render_tile};
use crate::atlas::{Atlas, BboxWgs84, Disclosure, Layer};
use crate::parallel::in_halves;
use anyhow::Context;
use pmtiles::{PmTilesWriter, TileId, TileType};
use serde_json::{Value, json};
use std::io::{Seek, Write};

/// What to pack.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// The lowest zoom packed.
    pub min_zoom: u8,
    /// The highest zoom packed.
    pub max_zoom: u8,
    /// Only tiles meeting this box (the layers' box when None).
    pub bbox: Option<BboxWgs84>,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            min_zoom: 0,
            max_zoom: 14,
            bbox: None,
        }
    }
}

/// What a pack holds.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PackSummary {
    /// Tiles with data written (before deduplication).
    pub tiles: u64,
    /// Tiles looked at (with data or not).
    pub looked_at: u64,
    /// The largest tile, bytes before gzip.
    pub largest_tile: usize,
    /// The tile bytes before gzip, all tiles.
    pub raw_bytes: u64,
}

/// Tiles drawn per batch: enough to keep both cores busy, few enough to hold in memory.
const BATCH: usize = 2_048;

/// Writes `layers` of `atlas` as a PMTiles archive to `out`. `progress(done, total)`
/// is called as tiles are drawn. Personal fields are packed as `disclosure` shows them.
pub fn write_pack<W: Write + Seek>(
    atlas: &Atlas,
    layers: &[&Layer],
    options: &PackOptions,
    disclosure: Disclosure,
    out: W,
    progress: impl FnMut(u64, u64),
) -> anyhow::Result<PackSummary> {
    let bbox = pack_area(layers, options)?;
    let (cx, cy) = bbox.center();
    let mut writer = PmTilesWriter::new(TileType::Mvt)
        .min_zoom(options.min_zoom)
        .max_zoom(options.max_zoom)
        .bounds(bbox.west, bbox.south, bbox.east, bbox.north)
        .center(cx, cy)
        .center_zoom(center_zoom(options))
        .create(out)
        .context("starting the archive")?;
    let summary = draw_tiles(
        layers,
        bbox,
        options,
        disclosure,
        progress,
        |coord, bytes| {
            let at = pmtiles::TileCoord::new(coord.z(), coord.x(), coord.y())
                .context("a tile address the archive cannot hold")?;
            writer
                .add_tile(at, bytes)
                .context("writing a tile to the archive")
        },
    )?;
    writer.set_metadata(metadata(atlas, layers, options).to_string());
    writer.finalize().context("finishing the archive")?;
    Ok(summary)
}

/// The zoom a reader opens a pack at.
pub(super) fn center_zoom(options: &PackOptions) -> u8 {
    options.min_zoom.max(options.max_zoom.min(10))
}

/// The box a pack covers: the one asked for, else its layers'.
pub(super) fn pack_area(layers: &[&Layer], options: &PackOptions) -> anyhow::Result<BboxWgs84> {
    anyhow::ensure!(
        options.min_zoom <= options.max_zoom,
        "--minzoom {} is above --maxzoom {}",
        options.min_zoom,
        options.max_zoom
    );
    options
        .bbox
        .or_else(|| {
            layers
                .iter()
                .filter_map(|l| l.bbox())
                .reduce(BboxWgs84::union)
        })
        .context("the layers packed hold no feature")
}

/// Draws every tile of the pack on both cores, a batch at a time, and hands each one
/// with data to `sink` in tile-id order.
pub(super) fn draw_tiles(
    layers: &[&Layer],
    bbox: BboxWgs84,
    options: &PackOptions,
    disclosure: Disclosure,
    mut progress: impl FnMut(u64, u64),
    mut sink: impl FnMut(TileCoord, &[u8]) -> anyhow::Result<()>,
) -> anyhow::Result<PackSummary> {
    let coords = tiles_in(bbox, options.min_zoom, options.max_zoom)?;
    let total = coords.len() as u64;
    let tile_options = TileOptions::default();
    let mut summary = PackSummary::default();
    for batch in coords.chunks(BATCH) {
        let drawn = in_halves(batch, |&coord| {
            render_tile(layers, coord, &tile_options, disclosure)
        });
        for (&coord, bytes) in batch.iter().zip(drawn) {
            summary.looked_at += 1;
            let Some(bytes) = bytes else { continue };
            summary.tiles += 1;
            summary.largest_tile = summary.largest_tile.max(bytes.len());
            summary.raw_bytes += bytes.len() as u64;
            sink(coord, &bytes)?;
        }
        progress(summary.looked_at, total);
    }
    Ok(summary)
}

/// Every tile from `min_zoom` to `max_zoom` meeting `bbox`, in tile-id order.
fn tiles_in(bbox: BboxWgs84, min_zoom: u8, max_zoom: u8) -> anyhow::Result<Vec<TileCoord>> {
    let mut coords = Vec::new();
    for z in min_zoom..=max_zoom {
        let ((x0, x1), (y0, y1)) = tile_range(bbox, z);
        for x in x0..=x1 {
            for y in y0..=y1 {
                coords.push(TileCoord::new(u64::from(z), x, y)?);
            }
        }
    }
    coords.sort_by_key(|c| {
        pmtiles::TileCoord::new(c.z(), c.x(), c.y())
            .map(|t| TileId::from(t).value())
            .unwrap_or(u64::MAX)
    });
    Ok(coords)
}

/// The columns and rows (first, last) of the tiles at zoom `z` meeting `bbox`.
fn tile_range(bbox: BboxWgs84, z: u8) -> ((u64, u64), (u64, u64)) {
    let (wx0, wy0) = lonlat_to_world(bbox.west, bbox.north);
    let (wx1, wy1) = lonlat_to_world(bbox.east, bbox.south);
    let n = f64::from(1u32 << z);
    let last = (1u64 << z) - 1;
    let at = |w: f64| ((w * n).floor().max(0.0) as u64).min(last);
    ((at(wx0), at(wx1)), (at(wy0), at(wy1)))
}

/// The archive's metadata: TileJSON's fields a reader needs (vector_layers with their
/// fields, bounds, attribution), as `GET /api/layers/{id}` gives them per layer.
pub(super) fn metadata(atlas: &Atlas, layers: &[&Layer], options: &PackOptions) -> Value {
    let mut vector_layers = Vec::new();
    for layer in layers {
        let fields = layer.tilejson_fields();
        vector_layers.push(json!({
            "id": layer.id, "description": layer.name, "fields": fields,
            "minzoom": options.min_zoom, "maxzoom": options.max_zoom,
        }));
        if let Some(clusters) = super::cluster_vector_layer(layer) {
            vector_layers.push(clusters);
        }
        if layer.has_label_points() {
            vector_layers.push(json!({
                "id": label_layer_name(layer),
                "description": "one label anchor per unit, inside it",
                "fields": {"name": "String", "code": "String", "level": "String"},
                "minzoom": options.min_zoom, "maxzoom": options.max_zoom,
            }));
        }
    }
    json!({
        "name": atlas.name,
        "attribution": atlas.attribution,
        "format": "pbf",
        "type": "overlay",
        "generator": concat!("riskatlas ", env!("CARGO_PKG_VERSION")),
        "vector_layers": vector_layers,
        // What `riskatlas serve --pack` needs to serve the web map from the pack alone.
        "riskatlas:catalogue": {
            "name": atlas.name,
            "attribution": atlas.attribution,
            "bbox": options.bbox.or_else(|| layers.iter().filter_map(|l| l.bbox()).reduce(BboxWgs84::union)),
            "layers": layers.iter().map(|l| l.catalogue_json(0)).collect::<Vec<_>>(),
        },
        "riskatlas:style": packed_style(atlas, layers),
    })
}

/// Where the style of a pack says the server is; `serve --pack` puts its own origin in.
pub const PACK_ORIGIN: &str = "riskatlas-pack://origin";

/// The web map's style for the packed layers only, its URLs under [`PACK_ORIGIN`].
fn packed_style(atlas: &Atlas, layers: &[&Layer]) -> Value {
    let mut style = crate::style::style(atlas, PACK_ORIGIN);
    let packed: Vec<&str> = layers.iter().map(|l| l.id.as_str()).collect();
    if let Some(all) = style["layers"].as_array_mut() {
        all.retain(|l| {
            l["metadata"]["riskatlas:layer"]
                .as_str()
                .is_none_or(|id| packed.contains(&id))
        });
    }
    style["sources"]["atlas"]["tiles"] = json!([format!(
        "{PACK_ORIGIN}/tiles/{}/{{z}}/{{x}}/{{y}}",
        packed.join(",")
    )]);
    style
}

/// How many tiles a pack from `min_zoom` to `max_zoom` over `bbox` looks at.
pub fn tile_count(bbox: BboxWgs84, min_zoom: u8, max_zoom: u8) -> u64 {
    (min_zoom..=max_zoom)
        .map(|z| {
            let ((x0, x1), (y0, y1)) = tile_range(bbox, z);
            (x1 - x0 + 1) * (y1 - y0 + 1)
        })
        .sum()
}
