//! Generalised low zooms: below a layer's *detail zoom* a tile carries the picture, not
//! every feature, and what it leaves out it counts.
//!
//! # The rule
//! Every feature has an **anchor**: a point's own position; for anything else the centre
//! of its lon/lat bounding box. Every feature has a **first drawn zoom**: for a line or
//! polygon, the lowest zoom at which the longer side of its bounding box spans at least
//! [`Rule::drawn_min_units`] tile units (8 px on a 256 px tile); points are never drawn
//! below the detail zoom.
//!
//! A layer's **detail zoom** is the lowest zoom at which no tile holds more than
//! [`Rule::exact_max_features`] anchors (never above [`Rule::top_zoom`]). At and above
//! it, tiles are exact, as if there were no generalisation. Below it, a tile at zoom `z`
//! holds:
//! - in the layer's own MVT layer, every feature first drawn at or below `z` that meets
//!   the buffered tile (clipped and simplified to the tile's resolution, as always),
//!   and every point that is alone in its cell (exactly as at full detail);
//! - in `{layer}:clusters`, one point per cell of a 16 × 16 grid over the tile holding
//!   the anchors of every other feature (points, and lines and polygons too small to
//!   draw): `count`, the sum of each count field of the layer's kind (people, households,
//!   capacity, occupants, stock, …), `{rank}_max` for a rank that is not a sum
//!   (severity), drawn at the anchor of its highest-ranked feature (lowest id on ties:
//!   ids, not the order features were read in, so that a layer read from a folder and
//!   from PostGIS draws the same tiles).
//!
//! Cells partition the tile (no buffer), so a tile's clusters and single points count
//! every summarised anchor in it exactly once: per tile, people, capacity and risk
//! points are preserved exactly, which `tests/tiles_generalised.rs` checks against a
//! brute-force sum.
//!
//! # The byte budget
//! A tile is never more than [`TILE_BUDGET`] bytes before gzip: when one would be, it is
//! drawn again one step coarser — cells twice the size (the level one zoom up), only
//! features twice as large drawn, simplification four times stronger — until it fits.
//! A tile estimated over the budget starts a step coarser (see [`super::estimate`]).
//! See [`super::render::render_tile`].
//!
//! # The pyramid
//! A tile below the detail zoom is a lookup, not a scan: at build every anchor gets a
//! Morton (Z-order) code on the finest cell grid, features are sorted by it once, and
//! each zoom's cells are runs of that order, so one zoom's cells are contiguous per tile
//! and a tile's are found by binary search. Zooms are built on both cores.

use crate::atlas::kind::Rule as AttrRule;
use crate::atlas::{IndexEntry, Layer};
use crate::tiles::coord::lonlat_to_world;
use crate::tiles::estimate::SizeModel;
use geo::{BoundingRect, Geometry};
use rstar::RTree;

mod fold;
use crate::parallel::in_halves;
use fold::{Accumulator, build_level};
use rstar::primitives::{GeomWithData, Rectangle};

/// A tile's most bytes before gzip.
pub const TILE_BUDGET: usize = 500 * 1024;

/// First drawn zoom of a feature never drawn below the detail zoom (a point).
pub const NEVER: u8 = u8::MAX;

/// The constants of the generalisation rule (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    /// log2 of the cells per tile side: 4 gives 16 × 16 (32 px cells on a 512 px tile).
    pub cell_bits: u32,
    /// Tile units a side the MVT uses.
    pub extent: u32,
    /// A line or polygon is drawn from the zoom where its bounding box's longer side is
    /// at least this many tile units.
    pub drawn_min_units: f64,
    /// The detail zoom is the lowest at which no tile holds more anchors than this.
    pub exact_max_features: usize,
    /// The detail zoom is never above this.
    pub top_zoom: u8,
}

impl Rule {
    /// The rule tiles are served by.
    pub const DEFAULT: Rule = Rule {
        cell_bits: 4,
        extent: 4096,
        drawn_min_units: 128.0,
        exact_max_features: 1_000,
        top_zoom: 14,
    };

    /// Bits of the finest cell grid per axis.
    fn finest_bits(&self) -> u32 {
        u32::from(self.top_zoom) + self.cell_bits
    }
}

/// A feature's anchor in world coordinates (see the module doc).
pub fn anchor(g: &Geometry<f64>) -> Option<(f64, f64)> {
    anchor_lonlat(g).map(|c| lonlat_to_world(c.x, c.y))
}

/// A feature's anchor in lon/lat: a point itself, anything else its box's centre.
pub fn anchor_lonlat(g: &Geometry<f64>) -> Option<geo::Coord<f64>> {
    match g {
        Geometry::Point(p) => Some(p.0),
        other => Some(other.bounding_rect()?.center()),
    }
}

/// The zoom from which a feature is drawn below the detail zoom ([`NEVER`] for points
/// and for anything with no extent).
pub fn first_drawn_zoom(g: &Geometry<f64>, rule: &Rule) -> u8 {
    if matches!(g, Geometry::Point(_) | Geometry::MultiPoint(_)) {
        return NEVER;
    }
    let Some(r) = g.bounding_rect() else {
        return NEVER;
    };
    let (x0, y0) = lonlat_to_world(r.min().x, r.min().y);
    let (x1, y1) = lonlat_to_world(r.max().x, r.max().y);
    let size = (x1 - x0).abs().max((y1 - y0).abs()) * f64::from(rule.extent);
    (0..=30u8)
        .find(|&z| size * f64::from(1u32 << z) >= rule.drawn_min_units)
        .unwrap_or(NEVER)
}

/// Interleaves the bits of `x` and `y` (x in the even bits): the Z-order code, whose
/// prefixes are the cells of coarser grids.
pub fn morton(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = u64::from(v);
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        v = (v | (v << 1)) & 0x5555_5555_5555_5555;
        v
    }
    spread(x) | (spread(y) << 1)
}

/// The cell of a grid of `2^bits` a side that world point `(wx, wy)` falls in.
fn cell(wx: f64, wy: f64, bits: u32) -> (u32, u32) {
    let n = f64::from(1u32 << bits);
    let max = (1u32 << bits) - 1;
    let at = |w: f64| ((w * n).floor().max(0.0) as u32).min(max);
    (at(wx), at(wy))
}

/// What one cell holds: how many features and which stands for them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Features whose anchor is in the cell.
    pub count: u32,
    /// The highest-ranked of them (lowest id on ties).
    pub rep: u32,
}

/// One zoom's cells, sorted by Morton code, with their summaries and sums.
#[derive(Debug, Default)]
pub struct Level {
    cells: Vec<u64>,
    summaries: Vec<Summary>,
    /// `sum_fields.len()` sums per cell, in cell order.
    sums: Vec<f64>,
    /// The highest rank per cell (when the layer has a rank).
    ranks: Vec<f64>,
}

/// One cluster as a tile draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster<'a> {
    /// Count and representative.
    pub summary: Summary,
    /// Sums of the layer's count fields, in [`Generalised::sum_fields`] order.
    pub sums: &'a [f64],
    /// The highest rank among the features (when the layer has a rank).
    pub rank: Option<f64>,
}

/// A layer's generalisation: detail zoom, first drawn zooms and the cluster pyramid.
#[derive(Debug)]
pub struct Generalised {
    rule: Rule,
    detail_zoom: u8,
    first_drawn: Vec<u8>,
    /// Features drawn at some zoom below the detail zoom, so a low-zoom tile need not
    /// look at the rest.
    drawn: RTree<IndexEntry>,
    /// One level per zoom below the detail zoom.
    levels: Vec<Level>,
    sum_fields: Vec<usize>,
    rank_field: Option<usize>,
    /// What a feature costs drawn exactly, for the tile budget.
    size_model: SizeModel,
}

/// The count fields of a layer's kind some feature has a value for: what clusters sum.
fn sum_fields(layer: &Layer) -> Vec<usize> {
    layer
        .kind
        .attrs()
        .iter()
        .filter(|a| matches!(a.rule, AttrRule::Count(_)) && layer.holds(a.name))
        .filter_map(|a| layer.schema.position(a.name))
        .collect()
}

/// What ranks a layer's features for their cell: severity, else its first count field.
fn rank_field(layer: &Layer, sums: &[usize]) -> Option<usize> {
    layer
        .schema
        .position("severity")
        .or_else(|| sums.first().copied())
}

impl Generalised {
    /// Builds the generalisation of `layer` under `rule` (both cores).
    pub fn build(layer: &Layer, rule: Rule) -> Generalised {
        let features = layer.features();
        let finest = rule.finest_bits();
        let keyed: Vec<(u64, u8)> = in_halves(features, |f| {
            let (wx, wy) = anchor(&f.geometry).unwrap_or((0.0, 0.0));
            let (cx, cy) = cell(wx, wy, finest);
            (morton(cx, cy), first_drawn_zoom(&f.geometry, &rule))
        });
        let sum_fields = sum_fields(layer);
        let rank_field = rank_field(layer, &sum_fields);
        let mut order: Vec<(u64, u32)> = keyed
            .iter()
            .enumerate()
            .map(|(fid, &(m, _))| (m, fid as u32))
            .collect();
        order.sort_unstable();
        let first_drawn: Vec<u8> = keyed.into_iter().map(|(_, z)| z).collect();
        let detail_zoom = detail_zoom(&order, &rule);
        let size_model = SizeModel::measure(layer, &order, finest, detail_zoom, rule.top_zoom);
        if detail_zoom == 0 {
            // Exact at every zoom: nothing to summarise.
            return Generalised {
                rule,
                detail_zoom,
                first_drawn,
                drawn: RTree::new(),
                levels: Vec::new(),
                sum_fields,
                rank_field,
                size_model,
            };
        }
        let zooms: Vec<u8> = (0..detail_zoom).collect();
        let levels = in_halves(&zooms, |&z| {
            build_level(
                layer,
                &order,
                &first_drawn,
                z,
                &rule,
                &sum_fields,
                rank_field,
            )
        });
        let drawn = RTree::bulk_load(
            features
                .iter()
                .enumerate()
                .filter(|(fid, _)| first_drawn[*fid] < detail_zoom)
                .filter_map(|(fid, f)| {
                    let r = f.geometry.bounding_rect()?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners(r.min().into(), r.max().into()),
                        fid as u32,
                    ))
                })
                .collect(),
        );
        Generalised {
            rule,
            detail_zoom,
            first_drawn,
            drawn,
            levels,
            sum_fields,
            rank_field,
            size_model,
        }
    }

    /// The rule it was built under.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// The lowest zoom drawn exactly.
    pub fn detail_zoom(&self) -> u8 {
        self.detail_zoom
    }

    /// The zoom from which feature `fid` is drawn below the detail zoom.
    pub fn first_drawn(&self, fid: u32) -> u8 {
        self.first_drawn.get(fid as usize).copied().unwrap_or(NEVER)
    }

    /// Schema positions of the fields clusters sum.
    pub fn sum_fields(&self) -> &[usize] {
        &self.sum_fields
    }

    /// Schema position of the field that ranks features within a cell.
    pub fn rank_field(&self) -> Option<usize> {
        self.rank_field
    }

    /// What a feature costs drawn exactly, by zoom (see [`crate::tiles::estimate`]).
    pub fn size_model(&self) -> &SizeModel {
        &self.size_model
    }

    /// The R-tree of features drawn at some zoom below the detail zoom.
    pub fn drawn_index(&self) -> &RTree<IndexEntry> {
        &self.drawn
    }

    /// Bytes held beyond the features themselves, about.
    pub fn heap_bytes(&self) -> usize {
        let levels: usize = self
            .levels
            .iter()
            .map(|l| l.cells.len() * 8 + l.summaries.len() * 8 + (l.sums.len() + l.ranks.len()) * 8)
            .sum();
        self.first_drawn.len() + self.drawn.size() * 40 + levels
    }

    /// The clusters of tile `x`, `y` at zoom `z` summarising the features not drawn at
    /// zoom `level` (`level <= z`, `z - level <= cell_bits`), from the pyramid; None
    /// when `level` is at or above the detail zoom (see [`Generalised::summarise`]).
    pub fn clusters(&self, z: u8, x: u32, y: u32, level: u8) -> Option<Vec<Cluster<'_>>> {
        let l = self.levels.get(usize::from(level))?;
        let shift = 2 * (u32::from(level) + self.rule.cell_bits - u32::from(z));
        let tile = morton(x, y);
        let (lo, hi) = (tile << shift, (tile + 1) << shift);
        let start = l.cells.partition_point(|&c| c < lo);
        let end = l.cells.partition_point(|&c| c < hi);
        let n = self.sum_fields.len();
        Some(
            (start..end)
                .map(|i| Cluster {
                    summary: l.summaries[i],
                    sums: &l.sums[i * n..(i + 1) * n],
                    rank: l.ranks.get(i).copied().filter(|r| r.is_finite()),
                })
                .collect(),
        )
    }

    /// The clusters of tile `x`, `y` at zoom `z` summarising the features not drawn at
    /// zoom `level`, computed from `candidates` (the fids meeting the tile): the same
    /// answer as [`Generalised::clusters`], for levels the pyramid does not hold.
    pub fn summarise(
        &self,
        layer: &Layer,
        candidates: &[u32],
        (z, x, y): (u8, u32, u32),
        level: u8,
    ) -> Vec<OwnedCluster> {
        let bits = u32::from(level) + self.rule.cell_bits;
        let shift = 2 * (bits - u32::from(z));
        let tile = morton(x, y);
        let mut keyed: Vec<(u64, u32)> = candidates
            .iter()
            .filter(|&&fid| self.first_drawn(fid) > level)
            .filter_map(|&fid| {
                let (wx, wy) = anchor(&layer.features()[fid as usize].geometry)?;
                let (cx, cy) = cell(wx, wy, bits);
                let m = morton(cx, cy);
                (m >> shift == tile).then_some((m, fid))
            })
            .collect();
        keyed.sort_unstable();
        let mut acc = Accumulator::new(layer, &self.sum_fields, self.rank_field);
        let mut out = Vec::new();
        for run in keyed.chunk_by(|a, b| a.0 == b.0) {
            let (summary, sums, rank) = acc.cell(run.iter().map(|&(_, fid)| fid));
            out.push(OwnedCluster {
                summary,
                sums,
                rank,
            });
        }
        out
    }
}

/// A cluster computed for one tile (see [`Generalised::summarise`]).
#[derive(Debug, Clone, PartialEq)]
pub struct OwnedCluster {
    /// Count and representative.
    pub summary: Summary,
    /// Sums of the layer's count fields.
    pub sums: Vec<f64>,
    /// The highest rank among the features.
    pub rank: Option<f64>,
}

impl OwnedCluster {
    /// As the pyramid's clusters are drawn.
    pub fn as_cluster(&self) -> Cluster<'_> {
        Cluster {
            summary: self.summary,
            sums: &self.sums,
            rank: self.rank,
        }
    }
}

/// The lowest zoom at which no tile holds more than `rule.exact_max_features` anchors.
fn detail_zoom(order: &[(u64, u32)], rule: &Rule) -> u8 {
    if order.len() <= rule.exact_max_features {
        return 0;
    }
    let finest = rule.finest_bits();
    (0..rule.top_zoom)
        .find(|&z| {
            let shift = 2 * (finest - u32::from(z));
            order
                .chunk_by(|a, b| a.0 >> shift == b.0 >> shift)
                .all(|run| run.len() <= rule.exact_max_features)
        })
        .unwrap_or(rule.top_zoom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn morton_prefixes_are_parent_cells() {
        let m = morton(0b1011, 0b0110);
        assert_eq!(m >> 2, morton(0b101, 0b011));
        assert_eq!(morton(1, 0), 1);
        assert_eq!(morton(0, 1), 2);
    }

    #[test]
    fn a_polygon_is_first_drawn_where_it_spans_the_minimum() {
        use geo::{LineString, Polygon};
        // A square 1/4096 of the world wide: one tile unit at zoom 0, 128 at zoom 7.
        let (lon0, lat0) = crate::tiles::coord::world_to_lonlat(0.5, 0.5);
        let (lon1, lat1) =
            crate::tiles::coord::world_to_lonlat(0.5 + 1.0 / 4096.0, 0.5 - 1.0 / 4096.0);
        let square = Polygon::new(
            LineString::from(vec![
                (lon0, lat0),
                (lon1, lat0),
                (lon1, lat1),
                (lon0, lat1),
                (lon0, lat0),
            ]),
            vec![],
        );
        let z = first_drawn_zoom(&Geometry::Polygon(square), &Rule::DEFAULT);
        assert!(z == 7 || z == 8, "first drawn at {z}");
        assert_eq!(
            first_drawn_zoom(&Geometry::Point(geo::Point::new(1.0, 2.0)), &Rule::DEFAULT),
            NEVER
        );
    }
}
