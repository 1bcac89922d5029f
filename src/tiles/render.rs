//! One tile from atlas layers: select → project → clip → simplify → quantise → encode.
//!
//! Selection is exact: a feature is in a tile if and only if its geometry meets the
//! tile's buffered bounds in lon/lat (R-tree candidates, then `geo::Intersects`), which is
//! what the brute-force test checks. A feature that is selected but collapses to nothing
//! in tile units (a village polygon at zoom 3, say) is kept as a one-unit square or
//! segment at its position rather than silently vanishing, so every selected feature can
//! still be clicked and counted.

use super::coord::TileCoord;
use super::estimate::estimated_over_budget;
use super::frame::TileFrame;
use super::generalise::TILE_BUDGET;
use super::mvt::{EncodedLayer, TileGeometry, TileLayerBuilder, encode_tile, encoded_tile_len};
pub use super::project::to_tile_geometry;
use crate::atlas::{Disclosure, Layer, Value};
use geo::{Geometry, Intersects, Rect};
use std::borrow::Cow;

/// How many times a tile over budget is drawn coarser before it is served as it is: as
/// many as a tile has cells a side in powers of two, so the coarsest draws one cell a
/// tile.
pub const MAX_COARSENING: u8 = super::generalise::Rule::DEFAULT.cell_bits as u8;

/// Tile parameters. Defaults: extent 4096, buffer 64 units, simplification 1 unit below
/// `full_detail_zoom` and none from it on.
#[derive(Debug, Clone, Copy)]
pub struct TileOptions {
    /// Tile units a side.
    pub extent: u32,
    /// Tile units drawn beyond each edge, so lines and fills meet across tiles.
    pub buffer: u32,
    /// Simplification tolerance below `full_detail_zoom`, tile units.
    pub simplify_units: f64,
    /// The zoom from which geometry is drawn unsimplified.
    pub full_detail_zoom: u8,
    /// Whether a tile whose exact layers are estimated over the budget skips its exact
    /// drawing (see [`super::estimate`]). Off, every tile is first drawn as the rule
    /// says, and served coarser only when that drawing is over the budget: the finest
    /// drawing that fits, always, at about twice the time at z8–z9.
    pub estimate_size: bool,
}

impl Default for TileOptions {
    fn default() -> Self {
        TileOptions {
            extent: 4096,
            buffer: 64,
            simplify_units: 1.0,
            full_detail_zoom: 16,
            estimate_size: true,
        }
    }
}

/// The fids of `layer` that belong in `coord` (exact geometry test), ascending.
pub fn features_in_tile(layer: &Layer, coord: TileCoord, opts: &TileOptions) -> Vec<u32> {
    let bounds = coord.bounds_wgs84(opts.extent, opts.buffer);
    let rect = bounds.to_rect();
    let mut fids: Vec<u32> = layer
        .index()
        .locate_in_envelope_intersecting(&bounds.envelope())
        .filter(|entry| {
            // The index holds each feature's box, so it is not computed again.
            let boxed = Rect::new(entry.geom().lower(), entry.geom().upper());
            let geometry = &layer.features()[entry.data as usize].geometry;
            meets_tile_boxed(geometry, &boxed, &rect)
        })
        .map(|entry| entry.data)
        .collect();
    fids.sort_unstable();
    fids
}

/// Whether `g`, whose bounding box is `boxed`, meets the (buffered) tile rectangle
/// `rect`: the exact selection test. The box comes from the index: a geometry boxed
/// inside the tile needs no test of its own (most of a tile's features).
pub(super) fn meets_tile_boxed(g: &Geometry<f64>, boxed: &Rect<f64>, rect: &Rect<f64>) -> bool {
    contains_rect(rect, boxed) || g.intersects(rect)
}

fn contains_rect(outer: &Rect<f64>, inner: &Rect<f64>) -> bool {
    outer.min().x <= inner.min().x
        && outer.min().y <= inner.min().y
        && outer.max().x >= inner.max().x
        && outer.max().y >= inner.max().y
}

/// Encodes the tile, personal fields as `disclosure` shows them; `None` when no layer
/// has a feature there (HTTP 204).
///
/// A layer is drawn exactly at and above its detail zoom and generalised below it (see
/// [`super::generalise`]). A tile that would exceed [`TILE_BUDGET`] is drawn again one
/// step coarser, every layer generalised, until it fits. A drawing is abandoned as soon
/// as its layers so far are over the budget, so a tile that will not fit costs part of
/// a drawing and no encoding; and a tile whose exact layers are estimated over the
/// budget (see [`super::estimate`]) is not drawn as the rule says at all but one step
/// coarser straight away (at z9 of a large county most composite tiles are).
pub fn render_tile(
    layers: &[&Layer],
    coord: TileCoord,
    opts: &TileOptions,
    disclosure: Disclosure,
) -> Option<Vec<u8>> {
    let first = u8::from(opts.estimate_size && estimated_over_budget(layers, coord, opts));
    let frame = TileFrame::new(coord, opts.extent, opts.buffer);
    for coarsening in first..=MAX_COARSENING {
        let coarsest = coarsening == MAX_COARSENING;
        let budget = (!coarsest).then_some(TILE_BUDGET);
        let Some(tile) = draw_tile(layers, &frame, opts, disclosure, coarsening, budget) else {
            continue;
        };
        if tile.is_empty() {
            return None;
        }
        let bytes = encode_tile(&tile);
        if bytes.len() <= TILE_BUDGET || coarsest {
            if bytes.len() > TILE_BUDGET {
                tracing::warn!(
                    z = coord.z(),
                    x = coord.x(),
                    y = coord.y(),
                    bytes = bytes.len(),
                    "a tile is over budget at its coarsest"
                );
            }
            return Some(bytes);
        }
    }
    unreachable!("the last coarsening returns")
}

/// Draws every layer for `frame`'s tile, `coarsening` steps coarser than the rule says
/// (0: as the rule says); `None` as soon as the layers drawn so far encode to more than
/// `budget` bytes.
fn draw_tile(
    layers: &[&Layer],
    frame: &TileFrame,
    opts: &TileOptions,
    disclosure: Disclosure,
    coarsening: u8,
    budget: Option<usize>,
) -> Option<Vec<EncodedLayer>> {
    let mut tile = Vec::new();
    // The layers' encoded sizes without their framing: a lower bound of the tile's.
    let mut bytes = 0;
    for layer in layers {
        let before = tile.len();
        draw_layer(&mut tile, layer, frame, opts, disclosure, coarsening);
        bytes += tile[before..].iter().map(|l| l.bytes.len()).sum::<usize>();
        if budget.is_some_and(|b| bytes > b) {
            return None;
        }
    }
    Some(tile)
}

/// Draws one layer (and its clusters and labels) into `tile`.
fn draw_layer(
    tile: &mut Vec<EncodedLayer>,
    layer: &Layer,
    frame: &TileFrame,
    opts: &TileOptions,
    disclosure: Disclosure,
    coarsening: u8,
) {
    let masking = Masking::of(layer, disclosure);
    let coord = frame.coord();
    let generalised = layer.generalised();
    let exact = coarsening == 0 && coord.z() >= generalised.detail_zoom();
    if !exact {
        let level = coord.z().saturating_sub(coarsening);
        let drawn = super::low_zoom::draw(layer, frame, opts, masking, level, coarsening);
        tile.extend(drawn);
        return;
    }
    draw_exact(tile, layer, frame, opts, masking);
}

/// The features of `layer` drawn exactly at `coord` (with label anchors, nothing
/// masked) and the bytes they encode to: what [`super::estimate`] measures.
pub(super) fn exact_layer_size(
    layer: &Layer,
    coord: TileCoord,
    opts: &TileOptions,
) -> (usize, usize) {
    let mut tile = Vec::new();
    let frame = TileFrame::new(coord, opts.extent, opts.buffer);
    draw_exact(&mut tile, layer, &frame, opts, Masking(None));
    let features = tile
        .iter()
        .find(|l| l.name == layer.id.as_str())
        .map_or(0, |l| l.features);
    (features, encoded_tile_len(&tile))
}

/// Draws every feature of `layer` that meets the tile, and its label anchors.
fn draw_exact(
    tile: &mut Vec<EncodedLayer>,
    layer: &Layer,
    frame: &TileFrame,
    opts: &TileOptions,
    masking: Masking,
) {
    let coord = frame.coord();
    let mut builder = TileLayerBuilder::new(layer.id.as_str(), opts.extent);
    for fid in features_in_tile(layer, coord, opts) {
        let feature = &layer.features()[fid as usize];
        let geometry = to_tile_geometry(&feature.geometry, frame, opts);
        let attrs = shown(layer, &feature.attrs, masking);
        builder.add(u64::from(fid), &geometry, layer.schema.fields(), &attrs);
    }
    if !builder.is_empty() {
        tile.push(builder.finish());
    }
    if layer.has_label_points() {
        let labels = label_layer(
            layer,
            frame,
            opts,
            masking,
            &layer.candidates_in(coord.bounds_wgs84(opts.extent, opts.buffer)),
        );
        if !labels.is_empty() {
            tile.push(labels.finish());
        }
    }
}

/// The MVT layer name of a layer's label anchors. `:` cannot occur in a layer id, so
/// it never collides with another layer.
pub fn label_layer_name(layer: &Layer) -> String {
    format!("{}:label", layer.id)
}

/// Label anchors of the features whose anchor lies in the buffered tile; MapLibre
/// drops the duplicate a neighbouring tile's buffer may carry.
pub(super) fn label_layer(
    layer: &Layer,
    frame: &TileFrame,
    opts: &TileOptions,
    masking: Masking,
    candidates: &[u32],
) -> TileLayerBuilder {
    let bounds = frame.coord().bounds_wgs84(opts.extent, opts.buffer);
    let mut builder = TileLayerBuilder::new(&label_layer_name(layer), opts.extent);
    for &fid in candidates {
        let Some(p) = layer.label_point(fid) else {
            continue;
        };
        if (bounds.west..=bounds.east).contains(&p.x())
            && (bounds.south..=bounds.north).contains(&p.y())
        {
            let [x, y] = frame.project(p.x(), p.y());
            let point = TileGeometry::Points(vec![[x.round() as i32, y.round() as i32]]);
            let attrs = shown(layer, &layer.features()[fid as usize].attrs, masking);
            builder.add(u64::from(fid), &point, layer.schema.fields(), &attrs);
        }
    }
    builder
}

/// How a layer's personal fields are drawn in a tile: decided once per layer, not per
/// feature.
#[derive(Clone, Copy)]
pub(super) struct Masking(Option<Disclosure>);

impl Masking {
    /// Masking for `layer` under `disclosure`: none when it hides no field of it.
    fn of(layer: &Layer, disclosure: Disclosure) -> Masking {
        let hides = layer.schema.fields().iter().any(|f| disclosure.hides(f));
        Masking(hides.then_some(disclosure))
    }
}

/// A feature's attributes with its layer's personal fields masked as `masking` says
/// (borrowed when nothing is hidden).
pub(super) fn shown<'a>(layer: &Layer, attrs: &'a [Value], masking: Masking) -> Cow<'a, [Value]> {
    let Masking(Some(disclosure)) = masking else {
        return Cow::Borrowed(attrs);
    };
    Cow::Owned(
        layer
            .schema
            .fields()
            .iter()
            .zip(attrs)
            .map(|(f, v)| disclosure.value(f, v).into_owned())
            .collect(),
    )
}
