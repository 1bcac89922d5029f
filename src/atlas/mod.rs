//! The in-memory atlas: every layer's features with typed attributes and an R-tree.
//!
//! Memory is the query engine: tiles and analyses read from here and never wait on a
//! store. A [`Layer`] is built once from validated features:
//!
//! 1. features arrive validated (see `import`), attributes aligned with the [`Schema`];
//! 2. each feature's bounding rectangle goes into an rstar R-tree with `bulk_load`,
//!    the entry carrying the feature's index (its `fid`), so a query returns ids directly;
//! 3. the layer's bbox and geometry class are derived once for the catalogue;
//! 4. on the first lookup by stable id, an id → fid hash index (see [`Layer::fid_of`]).

pub mod bbox;
mod collection;
pub mod filter;
pub mod kind;
pub mod personal;
pub mod suggest;
pub mod value;

pub use bbox::BboxWgs84;
pub use collection::{Atlas, FailedLayer};
pub use filter::Filter;
pub use kind::{GeometryClass, Kind};
pub use personal::Disclosure;
pub use value::{Field, FieldType, Schema, Value};

use geo::{BoundingRect, Geometry};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{RTree, RTreeObject};
use serde::Serialize;
use std::fmt;

/// An R-tree entry: a feature's bounding rectangle in lon/lat and its fid.
pub type IndexEntry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// A layer id: URL-safe, `[a-z0-9_-]{1,64}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct LayerId(String);

/// A layer id that breaks the rule of [`LayerId`] (the id as given).
#[derive(Debug, thiserror::Error)]
#[error("invalid layer id {0:?}: use 1 to 64 characters from a-z, 0-9, '_' and '-'")]
pub struct InvalidLayerId(pub String);

impl LayerId {
    /// Checks `s` against the rule: `[a-z0-9_-]{1,64}`.
    pub fn parse(s: &str) -> Result<Self, InvalidLayerId> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if ok {
            Ok(LayerId(s.to_string()))
        } else {
            Err(InvalidLayerId(s.to_string()))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A layer is found by its id as text (`Atlas::layer`) without making a `LayerId`:
/// both hash as the same `str`.
impl std::borrow::Borrow<str> for LayerId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LayerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One feature: geometry in WGS84 lon/lat, its source id, attributes aligned with the schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// The source's id (GeoJSON `id`, an `id` column) or, failing that, the fid as text.
    pub id: Box<str>,
    /// In WGS84 lon/lat, validated (polygons repaired where they had to be).
    pub geometry: Geometry<f64>,
    /// One value per field of the layer's schema, in its order (`Null` where absent).
    pub attrs: Box<[Value]>,
}

/// A layer of the atlas: one kind, one schema, features and their R-tree.
#[derive(Debug)]
pub struct Layer {
    /// The id URLs and tiles name it by.
    pub id: LayerId,
    /// The title people read (`name` in `atlas.toml`; the id when none is given).
    pub name: String,
    /// What it holds, and so which attributes its features carry.
    pub kind: Kind,
    /// Its fields: the kind's attributes present, then the source's other properties.
    pub schema: Schema,
    features: Vec<Feature>,
    index: RTree<IndexEntry>,
    bbox: Option<BboxWgs84>,
    geometry: Option<GeometryClassSummary>,
    /// One label anchor per feature for admin layers: a point inside the polygon, so a
    /// unit's name is drawn once rather than once per tile its polygon touches.
    label_points: Vec<Option<geo::Point<f64>>>,
    /// Stable id → fid, built on the first lookup: hashing ten million ids costs a load
    /// about half a second, which a layer nobody looks up by id should not pay.
    ids: std::sync::OnceLock<IdIndex>,
    /// Low-zoom generalisation (see [`crate::tiles::generalise`]), built on first use
    /// or by [`Layer::generalised`] at start-up.
    generalised: std::sync::OnceLock<crate::tiles::generalise::Generalised>,
}

/// A layer's fids hashed by their features' ids: four bytes a feature, the ids themselves
/// stay in the features.
struct IdIndex {
    fids: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::RandomState,
}

impl IdIndex {
    fn new(features: &[Feature]) -> Self {
        let hasher = foldhash::fast::RandomState::default();
        let mut fids = hashbrown::HashTable::with_capacity(features.len());
        let hash = |id: &str| std::hash::BuildHasher::hash_one(&hasher, id);
        for (fid, f) in features.iter().enumerate() {
            let fid = u32::try_from(fid).expect("a layer holds fewer than 2^32 features");
            // Ids are unique once validated; a repeat (a layer built by hand) keeps the first.
            if let hashbrown::hash_table::Entry::Vacant(slot) = fids.entry(
                hash(&f.id),
                |&other: &u32| features[other as usize].id == f.id,
                |&other: &u32| hash(&features[other as usize].id),
            ) {
                slot.insert(fid);
            }
        }
        IdIndex { fids, hasher }
    }

    fn find(&self, features: &[Feature], id: &str) -> Option<u32> {
        let hash = std::hash::BuildHasher::hash_one(&self.hasher, id);
        self.fids
            .find(hash, |&fid| &*features[fid as usize].id == id)
            .copied()
    }
}

impl fmt::Debug for IdIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdIndex({} ids)", self.fids.len())
    }
}

/// Which geometry families a layer holds, for the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GeometryClassSummary {
    /// Only points.
    Point,
    /// Only lines.
    Line,
    /// Only polygons.
    Polygon,
    /// More than one family.
    Mixed,
}

impl Layer {
    /// Builds the layer and its R-tree. Features must already be validated: every
    /// geometry non-empty with a bounding rectangle, attributes aligned with `schema`.
    pub fn new(
        id: LayerId,
        name: String,
        kind: Kind,
        schema: Schema,
        features: Vec<Feature>,
    ) -> Self {
        let entries: Vec<IndexEntry> = features
            .iter()
            .enumerate()
            .filter_map(|(fid, f)| {
                let r = f.geometry.bounding_rect()?;
                let fid = u32::try_from(fid).expect("a layer holds fewer than 2^32 features");
                Some(GeomWithData::new(
                    Rectangle::from_corners(r.min().into(), r.max().into()),
                    fid,
                ))
            })
            .collect();
        let bbox = entries
            .iter()
            .map(|e| {
                let env = e.geom().envelope();
                BboxWgs84 {
                    west: env.lower()[0],
                    south: env.lower()[1],
                    east: env.upper()[0],
                    north: env.upper()[1],
                }
            })
            .reduce(BboxWgs84::union);
        let geometry = features
            .iter()
            .map(|f| geometry_class(&f.geometry))
            .reduce(|a, b| {
                if a == b {
                    a
                } else {
                    GeometryClassSummary::Mixed
                }
            });
        let index = RTree::bulk_load(entries);
        let label_points = if kind == Kind::Admin {
            use geo::InteriorPoint;
            features
                .iter()
                .map(|f| f.geometry.interior_point())
                .collect()
        } else {
            Vec::new()
        };
        Layer {
            id,
            name,
            kind,
            schema,
            features,
            index,
            bbox,
            geometry,
            label_points,
            ids: std::sync::OnceLock::new(),
            generalised: std::sync::OnceLock::new(),
        }
    }

    /// The fid of the feature whose stable id is `id`: the one lookup behind
    /// `GET`/`PATCH`/`DELETE /api/layers/{id}/features/{feature id}`. O(1) after the
    /// first call, which builds the index.
    pub fn fid_of(&self, id: &str) -> Option<u32> {
        self.ids
            .get_or_init(|| IdIndex::new(&self.features))
            .find(&self.features, id)
    }

    /// The feature whose stable id is `id`.
    pub fn feature_by_id(&self, id: &str) -> Option<&Feature> {
        self.fid_of(id).and_then(|fid| self.feature(fid))
    }

    /// How the layer is drawn below its detail zoom: built on the first call (both
    /// cores), then kept.
    pub fn generalised(&self) -> &crate::tiles::generalise::Generalised {
        use crate::tiles::generalise::{Generalised, Rule};
        self.generalised
            .get_or_init(|| Generalised::build(self, Rule::DEFAULT))
    }

    /// The label anchor of feature `fid`, for layers that have them (admin units).
    pub fn label_point(&self, fid: u32) -> Option<geo::Point<f64>> {
        self.label_points.get(fid as usize).copied().flatten()
    }

    /// Whether the layer keeps label anchors (see [`Layer::label_point`]).
    pub fn has_label_points(&self) -> bool {
        !self.label_points.is_empty()
    }

    /// Every feature; a feature's fid is its position here.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// The feature at `fid`.
    pub fn feature(&self, fid: u32) -> Option<&Feature> {
        self.features.get(fid as usize)
    }

    /// The number of features.
    pub fn len(&self) -> usize {
        self.features.len()
    }

    /// Whether the layer has no feature.
    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The box round every feature; None for an empty layer.
    pub fn bbox(&self) -> Option<BboxWgs84> {
        self.bbox
    }

    /// Which geometry families the features have; None for an empty layer.
    pub fn geometry_class(&self) -> Option<GeometryClassSummary> {
        self.geometry
    }

    /// The R-tree of the features' bounding rectangles, each entry carrying its fid.
    pub fn index(&self) -> &RTree<IndexEntry> {
        &self.index
    }

    /// Fids of features whose bounding rectangle meets `bbox`, in ascending order.
    /// Candidates only: callers needing exact geometry tests do them on the result.
    pub fn candidates_in(&self, bbox: BboxWgs84) -> Vec<u32> {
        let mut fids: Vec<u32> = self
            .index
            .locate_in_envelope_intersecting(&bbox.envelope())
            .map(|e| e.data)
            .collect();
        fids.sort_unstable();
        fids
    }

    /// How many features' bounding rectangles meet `bbox`, counting no further than
    /// `limit + 1`: a bound on a tile's work without collecting its candidates.
    pub fn count_candidates_up_to(&self, bbox: BboxWgs84, limit: usize) -> usize {
        self.index
            .locate_in_envelope_intersecting(&bbox.envelope())
            .take(limit + 1)
            .count()
    }

    /// The layer's fields with their TileJSON types (`vector_layers[].fields`).
    pub fn tilejson_fields(&self) -> serde_json::Map<String, serde_json::Value> {
        self.schema
            .fields()
            .iter()
            .map(|f| (f.name.clone(), serde_json::json!(f.ty.tilejson_name())))
            .collect()
    }

    /// The layer as the catalogue (`GET /api/layers`) lists it; `rejected` is how many
    /// of its source's features loading refused.
    pub fn catalogue_json(&self, rejected: usize) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "geometry": self.geometry_class(),
            "count": self.len(),
            "rejected": rejected,
            "bbox": self.bbox(),
            "fields": self.schema,
            "status": "loaded",
        })
    }

    /// Whether some feature has a value for `field`. Every attribute of a layer's kind
    /// is a column (so that any can be edited), so a column alone does not say that the
    /// source had the field: an analysis that says "the layer has no households" asks
    /// this.
    pub fn holds(&self, field: &str) -> bool {
        self.schema
            .position(field)
            .is_some_and(|col| self.features.iter().any(|f| !f.attrs[col].is_null()))
    }

    /// Feature `fid` as a GeoJSON Feature (see [`Layer::to_geojson`]).
    pub fn feature_geojson(&self, fid: u32) -> Option<serde_json::Value> {
        self.feature(fid).map(|f| self.to_geojson(f))
    }

    /// A feature of this layer (or one about to be put in it, by an edit) as a GeoJSON
    /// Feature: its stable id as `id` and its non-null attributes as properties. The one
    /// form every route serves and every edit record holds, so an id read anywhere can be
    /// sent back to `/features/{feature id}`.
    pub fn to_geojson(&self, feature: &Feature) -> serde_json::Value {
        self.to_geojson_as(feature, Disclosure::Full)
    }

    /// [`Layer::to_geojson`] with personal fields as `disclosure` shows them.
    pub fn to_geojson_as(&self, feature: &Feature, disclosure: Disclosure) -> serde_json::Value {
        let mut props = serde_json::Map::new();
        for (field, value) in self.schema.fields().iter().zip(feature.attrs.iter()) {
            if !value.is_null() {
                props.insert(field.name.clone(), disclosure.value(field, value).to_json());
            }
        }
        let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&feature.geometry));
        serde_json::json!({"type": "Feature", "id": &*feature.id, "geometry": geometry, "properties": props})
    }

    /// The value of `field` for feature `fid`, `Null` when the layer has no such field.
    pub fn value(&self, fid: u32, field: &str) -> &Value {
        static NULL: Value = Value::Null;
        match (self.schema.position(field), self.feature(fid)) {
            (Some(col), Some(f)) => &f.attrs[col],
            _ => &NULL,
        }
    }
}

fn geometry_class(g: &Geometry<f64>) -> GeometryClassSummary {
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => GeometryClassSummary::Point,
        Geometry::Line(_) | Geometry::LineString(_) | Geometry::MultiLineString(_) => {
            GeometryClassSummary::Line
        }
        Geometry::Polygon(_)
        | Geometry::MultiPolygon(_)
        | Geometry::Rect(_)
        | Geometry::Triangle(_) => GeometryClassSummary::Polygon,
        Geometry::GeometryCollection(_) => GeometryClassSummary::Mixed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::point;

    fn points_layer(coords: &[(f64, f64)]) -> Layer {
        let features = coords
            .iter()
            .enumerate()
            .map(|(i, &(x, y))| Feature {
                id: i.to_string().into(),
                geometry: Geometry::Point(point!(x: x, y: y)),
                attrs: Box::new([]),
            })
            .collect();
        Layer::new(
            LayerId::parse("pts").unwrap(),
            "pts".into(),
            Kind::Hazard,
            Schema::default(),
            features,
        )
    }

    #[test]
    fn layer_ids_reject_uppercase_slashes_and_empty() {
        assert!(LayerId::parse("floods_2024-v1").is_ok());
        for bad in ["", "Floods", "a/b", "a b", "洪水", &"x".repeat(65)] {
            assert!(LayerId::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn candidates_are_exactly_the_points_inside_the_box() {
        let layer = points_layer(&[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (1.5, 0.5)]);
        let bbox = BboxWgs84 {
            west: 0.5,
            south: 0.0,
            east: 1.5,
            north: 1.0,
        };
        assert_eq!(layer.candidates_in(bbox), vec![1, 3]);
    }

    #[test]
    fn a_feature_is_found_by_its_stable_id_whatever_its_position() {
        let ids = ["n123", "510184-001", "避难所-甲", "7", "0"];
        let features = ids
            .iter()
            .enumerate()
            .map(|(i, id)| Feature {
                id: (*id).into(),
                geometry: Geometry::Point(point!(x: i as f64, y: 0.0)),
                attrs: Box::new([]),
            })
            .collect();
        let layer = Layer::new(
            LayerId::parse("pts").unwrap(),
            "pts".into(),
            Kind::Hazard,
            Schema::default(),
            features,
        );
        // By hand: each id's position in `ids`; "3" is a position, not an id.
        assert_eq!(layer.fid_of("避难所-甲"), Some(2));
        assert_eq!(layer.fid_of("510184-001"), Some(1));
        assert_eq!(layer.fid_of("7"), Some(3));
        assert_eq!(layer.fid_of("0"), Some(4));
        assert_eq!(layer.fid_of("3"), None);
        assert_eq!(layer.fid_of("n12"), None);
        assert_eq!(layer.feature_geojson(4).unwrap()["id"], "0");
    }

    #[test]
    fn layer_bbox_spans_all_features() {
        let layer = points_layer(&[(3.0, -1.0), (-2.0, 4.0)]);
        assert_eq!(layer.bbox().unwrap().to_array(), [-2.0, -1.0, 3.0, 4.0]);
    }
}
