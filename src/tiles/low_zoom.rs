//! One layer drawn generalised (the rule is in [`super::generalise`]): the features
//! large enough to draw, points alone in their cell as themselves, and a cluster per
//! other cell in `{layer}:clusters`.

use super::coord::TileCoord;
use super::frame::TileFrame;
use super::generalise::{Cluster, Generalised, anchor_lonlat};
use super::mvt::{EncodedLayer, TileGeometry, TileLayerBuilder};
use super::project::to_tile_geometry;
use super::render::{MAX_COARSENING, Masking, TileOptions, label_layer, meets_tile_boxed, shown};
use crate::atlas::{Field, FieldType, Layer, Value};
use geo::{BoundingRect, Geometry, Rect};
use std::borrow::Cow;

/// The MVT layer name of a layer's clusters. `:` cannot occur in a layer id, so it never
/// collides with another layer.
pub fn cluster_layer_name(layer: &Layer) -> String {
    format!("{}:clusters", layer.id)
}

/// The `{id}:clusters` MVT layer a generalised layer's low zooms carry, as TileJSON
/// describes a vector layer (None for a layer exact at every zoom).
pub fn cluster_vector_layer(layer: &Layer) -> Option<serde_json::Value> {
    let generalised = layer.generalised();
    let detail = generalised.detail_zoom();
    if detail == 0 {
        return None;
    }
    let schema = layer.schema.fields();
    let mut fields = serde_json::Map::new();
    fields.insert("count".into(), serde_json::json!("Number"));
    for &i in generalised.sum_fields() {
        fields.insert(schema[i].name.clone(), serde_json::json!("Number"));
    }
    if let Some(r) = generalised
        .rank_field()
        .filter(|r| !generalised.sum_fields().contains(r))
    {
        fields.insert(
            format!("{}_max", schema[r].name),
            serde_json::json!("Number"),
        );
    }
    Some(serde_json::json!({
        "id": cluster_layer_name(layer),
        "description": "features too small or too many to draw at this zoom, counted and summed per cell",
        "fields": fields,
        "minzoom": 0,
        "maxzoom": detail - 1,
    }))
}

/// `layer` for `frame`'s tile as zoom `level` generalises it, `coarsening` steps coarser than
/// the rule (simplification four times stronger per step; at the last step drawn
/// features are drawn as their bounding boxes).
pub(super) fn draw(
    layer: &Layer,
    frame: &TileFrame,
    opts: &TileOptions,
    masking: Masking,
    level: u8,
    coarsening: u8,
) -> Vec<EncodedLayer> {
    let coord = frame.coord();
    let generalised = layer.generalised();
    let mut opts = *opts;
    opts.simplify_units *= 4f64.powi(i32::from(coarsening));
    let drawn = drawn_in_tile(layer, generalised, coord, &opts, level);
    let mut main = TileLayerBuilder::new(layer.id.as_str(), opts.extent);
    for &fid in &drawn {
        let feature = &layer.features()[fid as usize];
        let geometry = if coarsening == MAX_COARSENING {
            Cow::Owned(bounding_box(&feature.geometry))
        } else {
            Cow::Borrowed(&feature.geometry)
        };
        let shape = to_tile_geometry(&geometry, frame, &opts);
        let attrs = shown(layer, &feature.attrs, masking);
        main.add(u64::from(fid), &shape, layer.schema.fields(), &attrs);
    }
    let mut clusters = ClusterLayer::new(layer, generalised, opts.extent);
    let owned;
    let cells: Vec<Cluster<'_>> = match generalised.clusters(coord.z(), coord.x(), coord.y(), level)
    {
        Some(cells) => cells,
        None => {
            let candidates = layer.candidates_in(coord.bounds_wgs84(opts.extent, 0));
            let at = (coord.z(), coord.x(), coord.y());
            owned = generalised.summarise(layer, &candidates, at, level);
            owned.iter().map(|c| c.as_cluster()).collect()
        }
    };
    for cell in &cells {
        let rep = &layer.features()[cell.summary.rep as usize];
        if cell.summary.count == 1 && matches!(rep.geometry, Geometry::Point(_)) {
            // A point alone in its cell is drawn as itself, as at full detail.
            let shape = to_tile_geometry(&rep.geometry, frame, &opts);
            let attrs = shown(layer, &rep.attrs, masking);
            main.add(
                u64::from(cell.summary.rep),
                &shape,
                layer.schema.fields(),
                &attrs,
            );
        } else {
            clusters.add(cell, &rep.geometry, frame);
        }
    }
    let mut out = Vec::new();
    if !main.is_empty() {
        out.push(main.finish());
    }
    if !clusters.builder.is_empty() {
        out.push(clusters.builder.finish());
    }
    if layer.has_label_points() {
        let labels = label_layer(layer, frame, &opts, masking, &drawn);
        if !labels.is_empty() {
            out.push(labels.finish());
        }
    }
    out
}

/// The features first drawn at or below `level` that meet the buffered tile, ascending.
fn drawn_in_tile(
    layer: &Layer,
    generalised: &Generalised,
    coord: TileCoord,
    opts: &TileOptions,
    level: u8,
) -> Vec<u32> {
    let bounds = coord.bounds_wgs84(opts.extent, opts.buffer);
    let index = if level < generalised.detail_zoom() {
        generalised.drawn_index()
    } else {
        layer.index()
    };
    let rect = bounds.to_rect();
    let mut fids: Vec<u32> = index
        .locate_in_envelope_intersecting(&bounds.envelope())
        .filter(|entry| {
            // Both indexes hold each feature's box, so it is not computed again.
            let fid = entry.data;
            let boxed = Rect::new(entry.geom().lower(), entry.geom().upper());
            generalised.first_drawn(fid) <= level
                && meets_tile_boxed(&layer.features()[fid as usize].geometry, &boxed, &rect)
        })
        .map(|entry| entry.data)
        .collect();
    fids.sort_unstable();
    fids
}

fn bounding_box(g: &Geometry<f64>) -> Geometry<f64> {
    match g.bounding_rect() {
        Some(r) if matches!(g, Geometry::LineString(_) | Geometry::MultiLineString(_)) => {
            Geometry::LineString(geo::LineString::from(vec![r.min(), r.max()]))
        }
        Some(r) => Geometry::Polygon(r.to_polygon()),
        None => g.clone(),
    }
}

/// The `{layer}:clusters` MVT layer being built, with its fields: `count`, the sums,
/// and the highest rank when the rank is not itself a sum.
struct ClusterLayer {
    builder: TileLayerBuilder,
    fields: Vec<Field>,
    /// Whether a sum field is whole numbers (drawn as integers).
    integral: Vec<bool>,
    with_rank: bool,
}

impl ClusterLayer {
    fn new(layer: &Layer, generalised: &Generalised, extent: u32) -> Self {
        let schema = layer.schema.fields();
        let mut fields = vec![Field::new("count", FieldType::Integer)];
        let mut integral = Vec::new();
        for &i in generalised.sum_fields() {
            fields.push(Field::new(schema[i].name.clone(), schema[i].ty));
            integral.push(schema[i].ty == FieldType::Integer);
        }
        let rank = generalised
            .rank_field()
            .filter(|r| !generalised.sum_fields().contains(r));
        if let Some(r) = rank {
            fields.push(Field::new(format!("{}_max", schema[r].name), schema[r].ty));
        }
        ClusterLayer {
            builder: TileLayerBuilder::new(&cluster_layer_name(layer), extent),
            fields,
            integral,
            with_rank: rank.is_some(),
        }
    }

    /// A cluster at its representative's anchor.
    fn add(&mut self, cell: &Cluster<'_>, rep: &Geometry<f64>, frame: &TileFrame) {
        let c = anchor_lonlat(rep).unwrap_or_default();
        let [x, y] = frame.project(c.x, c.y);
        let at = [x.round() as i32, y.round() as i32];
        let mut values = vec![Value::Int(i64::from(cell.summary.count))];
        for (&sum, &whole) in cell.sums.iter().zip(&self.integral) {
            values.push(if whole {
                Value::Int(sum.round() as i64)
            } else {
                Value::Float(sum)
            });
        }
        if self.with_rank {
            values.push(cell.rank.map_or(Value::Null, rank_value));
        }
        let point = TileGeometry::Points(vec![at]);
        self.builder
            .add(u64::from(cell.summary.rep), &point, &self.fields, &values);
    }
}

fn rank_value(r: f64) -> Value {
    if r.fract() == 0.0 && r.abs() < 9.0e15 {
        Value::Int(r as i64)
    } else {
        Value::Float(r)
    }
}
