//! How big a layer's exact drawing of a tile will be, known before it is drawn.
//!
//! At a layer's detail zoom a tile may hold up to [`Rule::exact_max_features`] of its
//! features, so a tile of many layers at z8–z9 is often over [`TILE_BUDGET`] and is
//! served one step coarser (see [`super::render::render_tile`]). Finding that out by
//! drawing it exactly first cost more than the coarser drawing served: 42 % of the time
//! of the demo's z6–z9 tiles went into exact drawings that were then thrown away.
//!
//! So each layer measures, when its generalisation is built, the bytes a feature costs
//! when drawn exactly: at each zoom from its detail zoom up, on the tile holding the
//! most of its features (with its label anchors), until that tile holds fewer than
//! [`MEASURED_MIN_FEATURES`]. A tile's exact size is then estimated as the sum over its
//! exact layers of the features the R-tree finds there times that cost, and a tile
//! estimated over the budget is drawn coarser straight away. It is an estimate, not a
//! bound: a tile estimated under the budget that turns out over it is still drawn again
//! coarser, so the budget holds either way; a tile estimated over it that would just
//! have fitted is served one step coarser than it had to be.
//!
//! The estimate depends on the whole layer (its densest tiles), so an edit that changes
//! it invalidates every cached tile of the layer (see `service::snapshot::Touch`); the
//! costs are whole bytes, so an edit seldom does.
//!
//! [`Rule::exact_max_features`]: super::generalise::Rule::exact_max_features
//! [`TILE_BUDGET`]: super::generalise::TILE_BUDGET

use super::coord::TileCoord;
use super::generalise::TILE_BUDGET;
use super::render::{TileOptions, exact_layer_size};
use crate::atlas::Layer;

/// A zoom whose densest tile holds fewer features than this is not measured: the zooms
/// above use the last cost measured (a tile of so few features is far from the budget
/// unless each is huge, and then the last cost says so).
pub const MEASURED_MIN_FEATURES: usize = 64;

/// A layer's measured bytes per exactly drawn feature, by zoom.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SizeModel {
    /// The first zoom measured (the layer's detail zoom).
    first: u8,
    /// Bytes per feature at `first`, `first + 1`, …, rounded to whole bytes: an edit
    /// that changes a few bytes of a measured tile rarely changes the model, so rarely
    /// empties the layer's cached tiles.
    bytes_per_feature: Vec<u32>,
}

impl SizeModel {
    /// Measures `layer` from zoom `first` up to `top`. `anchors` are the layer's
    /// features as (Morton code of their anchor on a `finest_bits` grid, fid), sorted.
    pub fn measure(
        layer: &Layer,
        anchors: &[(u64, u32)],
        finest_bits: u32,
        first: u8,
        top: u8,
    ) -> SizeModel {
        let opts = TileOptions::default();
        let mut bytes_per_feature = Vec::new();
        for z in first..=top {
            let shift = 2 * (finest_bits - u32::from(z));
            let Some(densest) = anchors
                .chunk_by(|a, b| a.0 >> shift == b.0 >> shift)
                .max_by_key(|run| run.len())
            else {
                break;
            };
            if densest.len() < MEASURED_MIN_FEATURES && !bytes_per_feature.is_empty() {
                break;
            }
            let (x, y) = unmorton(densest[0].0 >> shift);
            let Ok(coord) = TileCoord::new(z.into(), x.into(), y.into()) else {
                break;
            };
            let (features, bytes) = exact_layer_size(layer, coord, &opts);
            bytes_per_feature.push((bytes as f64 / features.max(1) as f64).round() as u32);
        }
        SizeModel {
            first,
            bytes_per_feature,
        }
    }

    /// The bytes a feature of the layer costs drawn exactly at zoom `z` (the nearest
    /// zoom measured; 0 when none was).
    pub fn bytes_per_feature(&self, z: u8) -> usize {
        let Some(last) = self.bytes_per_feature.len().checked_sub(1) else {
            return 0;
        };
        let i = usize::from(z.saturating_sub(self.first)).min(last);
        self.bytes_per_feature[i] as usize
    }
}

/// Whether the layers drawn exactly at `coord` (at and above their detail zoom) are
/// estimated to take more than [`TILE_BUDGET`] bytes: their features in the tile, as
/// the R-tree counts them, times what a feature of each costs. Counting stops as soon
/// as the estimate is over.
pub(super) fn estimated_over_budget(
    layers: &[&Layer],
    coord: TileCoord,
    opts: &TileOptions,
) -> bool {
    let bounds = coord.bounds_wgs84(opts.extent, opts.buffer);
    let mut bytes = 0;
    for layer in layers {
        let generalised = layer.generalised();
        if coord.z() < generalised.detail_zoom() {
            continue;
        }
        let cost = generalised.size_model().bytes_per_feature(coord.z());
        if cost == 0 {
            continue;
        }
        // More features than still fit put the tile over; counting stops there.
        let fitting = (TILE_BUDGET - bytes) / cost;
        bytes += cost * layer.count_candidates_up_to(bounds, fitting);
        if bytes > TILE_BUDGET {
            return true;
        }
    }
    false
}

/// The inverse of [`super::generalise::morton`].
fn unmorton(m: u64) -> (u32, u32) {
    fn squeeze(mut v: u64) -> u32 {
        v &= 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF;
        v as u32
    }
    (squeeze(m), squeeze(m >> 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::generalise::morton;

    #[test]
    fn unmorton_inverts_morton() {
        for (x, y) in [(0, 0), (1, 0), (0, 1), (0b1011, 0b0110), (262_143, 131_071)] {
            assert_eq!(unmorton(morton(x, y)), (x, y));
        }
    }

    #[test]
    fn an_unmeasured_zoom_uses_the_nearest_measured() {
        let model = SizeModel {
            first: 9,
            bytes_per_feature: vec![100, 150],
        };
        assert_eq!(model.bytes_per_feature(9), 100);
        assert_eq!(model.bytes_per_feature(10), 150);
        assert_eq!(model.bytes_per_feature(14), 150);
        assert_eq!(model.bytes_per_feature(6), 100);
        assert_eq!(SizeModel::default().bytes_per_feature(9), 0);
    }
}
