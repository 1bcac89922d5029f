//! Validation: raw features → typed features of a kind, and the report of what was refused.
//!
//! For every raw feature, in order:
//! 1. source field names are mapped to canonical names (`[layer.fields]`);
//! 2. the geometry family must be one the kind accepts;
//! 3. each canonical attribute is coerced to its type (text cells parse as numbers) and
//!    checked against its rule (severity 1–4, known codes, counts within their bound) and
//!    the kind's relations (occupancy within capacity; see `attrs`); a missing required
//!    attribute refuses the feature;
//! 4. ids, and admin codes, must be unique within the layer (see `unique`); an edit's
//!    feature is held to the same against the layer it joins.
//!
//! Other properties are kept as extra fields whose type is inferred over the whole layer
//! (see `layout`, which also holds the accepted features compactly until then). A refused feature is never dropped silently: it becomes a [`Rejection`] with the file,
//! its index and the reason.

use super::attrs;
use super::layer_warnings::{defaults_used, unmatched_mappings, unmatched_personal};
use super::layout::{Accepted, AttrSet, Columns, Shape, Shapes};
use super::manifest::LayerSpec;
use super::polygon::{self, Repair};
use super::report::{LayerReport, Rejection, Repaired};
use super::source::{RawFeature, SourceRead, Unreadable};
use super::unique::{Repeated, refuse_repeats};
use crate::atlas::{Feature, FieldType, GeometryClass, Layer, Schema, Value};
use geo::Geometry;
use serde_json::Value as Json;

/// What [`validate_feature`] makes of one raw feature, before [`LayerBuilder`] stores it.
pub(super) struct Valid {
    /// Position in the source.
    pub(super) index: usize,
    pub(super) id: Option<String>,
    pub(super) geometry: Geometry<f64>,
    /// One value per kind attribute, `Null` where absent.
    pub(super) canonical: Vec<Value>,
    /// The properties that are not kind attributes, as read.
    pub(super) extras: Vec<(String, Json)>,
    /// Kind attributes filled from `[layer.defaults]`.
    pub(super) defaulted: AttrSet,
    /// What was repaired in the geometry.
    repairs: Vec<Repair>,
}

/// A feature checked for an edit, and what was repaired in its geometry (as a file's
/// report would say it).
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    /// The feature, its attributes aligned with the layer's schema.
    pub feature: Feature,
    /// What was repaired in its geometry, one entry per polygon.
    pub repairs: Vec<String>,
}

/// Validates one feature for an existing layer, as an edit: the import's checks for a
/// feature given with canonical property names (the same function a file's features go
/// through, so the same bounds and the same polygon repair), then its attributes aligned
/// with the layer's schema. A property the layer has no field for is refused (naming the
/// fields it has), as is a value of the wrong type for an extra field.
pub fn validate_for_layer(
    layer: &Layer,
    id: &str,
    geometry: Geometry<f64>,
    props: Vec<(String, Json)>,
) -> Result<Validated, String> {
    if let Some((unknown, _)) = props.iter().find(|(k, _)| layer.schema.field(k).is_none()) {
        let fields: Vec<&str> = layer.schema.names().collect();
        return Err(format!(
            "layer {} has no field {unknown:?} (its fields: {})",
            layer.id,
            fields.join(", ")
        ));
    }
    let spec = LayerSpec {
        id: layer.id.clone(),
        kind: layer.kind,
        name: layer.name.clone(),
        file: std::path::PathBuf::new(),
        rename: Default::default(),
        defaults: Default::default(),
        lon: None,
        lat: None,
        delimiter: b',',
        encoding: None,
        personal: Default::default(),
    };
    let read = SourceRead {
        features: vec![Ok(RawFeature {
            index: 0,
            id: Some(id.to_string()),
            geometry,
            props,
        })],
        text_cells: false,
        columns: Vec::new(),
        warnings: Vec::new(),
    };
    let (one, report) = build_layer(&spec, read, "edit");
    if let Some(r) = report.rejections.first() {
        return Err(r.reason.clone());
    }
    let attrs = layer
        .schema
        .fields()
        .iter()
        .map(|f| match (one.value(0, &f.name).clone(), f.ty) {
            (Value::Int(i), FieldType::Number) => Ok(Value::Float(i as f64)),
            (v, ty) if v.is_of(ty) => Ok(v),
            (v, ty) => Err(format!(
                "field {:?} holds {} values, not {v:?}",
                f.name,
                ty.tilejson_name()
            )),
        })
        .collect::<Result<Vec<Value>, String>>()?;
    let feature = Feature {
        id: id.into(),
        geometry: one.features()[0].geometry.clone(),
        attrs: attrs.into(),
    };
    let repairs = report.repairs.into_iter().map(|r| r.repair).collect();
    Ok(Validated { feature, repairs })
}

/// Validates everything a reader produced and builds the layer with its report.
pub fn build_layer(spec: &LayerSpec, read: SourceRead, file_label: &str) -> (Layer, LayerReport) {
    let mut builder = LayerBuilder::new(spec, file_label, read.features.len());
    for raw in read.features {
        builder.push(raw);
    }
    builder.finish(&read.columns, read.text_cells, read.warnings)
}

/// [`build_layer`] fed one feature at a time, so that a reader streaming from a database
/// validates while the next rows are still on their way.
///
/// 1. [`push`](LayerBuilder::push): each feature as read is checked against its kind (see
///    the module doc) and kept in its compact form, or refused with why;
/// 2. [`finish`](LayerBuilder::finish): field mappings that matched no source field are
///    warned about;
/// 3. a repeated id, or a repeated value of the kind's unique attribute, refuses the later
///    feature;
/// 4. attributes filled from `[layer.defaults]` are counted in a warning;
/// 5. the columns are chosen and typed over the whole layer, each feature becomes its row,
///    and the layer is built with its R-tree.
pub struct LayerBuilder<'a> {
    spec: &'a LayerSpec,
    file_label: &'a str,
    accepted: Vec<Accepted>,
    shapes: Shapes,
    /// The shape being assembled, kept to reuse its buffer.
    scratch: Shape,
    rejections: Vec<Rejection>,
    repairs: Vec<Repaired>,
    /// The source guarantees unique ids (a primary key), so they are not checked again.
    ids_unique: bool,
}

impl<'a> LayerBuilder<'a> {
    /// A builder for the layer `spec` describes; `file_label` names the source in the
    /// report, and `expected` features are room made up front.
    pub fn new(spec: &'a LayerSpec, file_label: &'a str, expected: usize) -> Self {
        LayerBuilder {
            spec,
            file_label,
            accepted: Vec::with_capacity(expected),
            shapes: Shapes::default(),
            scratch: Shape::default(),
            rejections: Vec::new(),
            repairs: Vec::new(),
            ids_unique: false,
        }
    }

    /// For sources whose ids are unique by construction (a database primary key): skips
    /// the repeated-id check, a hash of every id (about a second at ten million).
    pub fn ids_unique_by_construction(mut self) -> Self {
        self.ids_unique = true;
        self
    }

    /// Validates one feature as read.
    pub fn push(&mut self, raw: Result<RawFeature, Unreadable>) {
        let outcome = match raw {
            Err(bad) => Err(rejection(self.file_label, bad.index, bad.id, bad.reason)),
            Ok(raw) => validate_feature(self.spec, raw)
                .map_err(|(index, id, reason)| rejection(self.file_label, index, id, reason)),
        };
        match outcome {
            Ok(valid) => {
                for repair in &valid.repairs {
                    self.repairs.push(Repaired {
                        file: self.file_label.to_string(),
                        index: valid.index,
                        id: valid.id.clone(),
                        repair: repair.to_string(),
                    });
                }
                let accepted = self.shapes.store(&mut self.scratch, self.spec.kind, valid);
                self.accepted.push(accepted);
            }
            Err(r) => self.rejections.push(r),
        }
    }

    /// Builds the layer and its report (steps 2–5 above). `columns` are the property
    /// names the reader saw (to warn about mappings that match nothing); `warnings` are
    /// the reader's own.
    pub fn finish(
        self,
        columns: &[String],
        text_cells: bool,
        warnings: Vec<String>,
    ) -> (Layer, LayerReport) {
        let LayerBuilder {
            spec,
            file_label,
            mut accepted,
            shapes,
            scratch: _,
            rejections,
            repairs,
            ids_unique,
        } = self;
        let mut report = LayerReport {
            layer: spec.id.to_string(),
            file: file_label.to_string(),
            warnings,
            rejections,
            ..Default::default()
        };
        report
            .warnings
            .extend(unmatched_mappings(spec, columns, file_label));
        let refused = refuse_repeats(&mut accepted, &shapes, spec.kind, ids_unique);
        record_refusals(&mut report, refused, repairs, file_label);
        report.warnings.extend(defaults_used(spec, &accepted));
        report.loaded = accepted.len();
        let kind = spec.kind;
        let layout = Columns::plan(kind, &accepted, &shapes, text_cells);
        let mut fields = layout.fields(kind, &shapes);
        for field in &mut fields {
            field.personal = spec.is_personal(&field.name);
        }
        report
            .warnings
            .extend(unmatched_personal(spec, &fields, file_label));
        let schema = Schema::new(fields);
        let features = layout.features(kind, accepted, &shapes);
        let layer = Layer::new(spec.id.clone(), spec.name.clone(), kind, schema, features);
        (layer, report)
    }
}

/// A refusal of the feature at `index` of the source named `file_label`.
fn rejection(file_label: &str, index: usize, id: Option<String>, reason: String) -> Rejection {
    Rejection {
        file: file_label.to_string(),
        index,
        id,
        reason,
    }
}

/// Adds the features refused as repeats to the report's rejections, in file order, and
/// settles its count and repairs: a repaired feature refused later (a repeated id) is
/// reported as refused only.
fn record_refusals(
    report: &mut LayerReport,
    refused: Vec<Repeated>,
    mut repairs: Vec<Repaired>,
    file_label: &str,
) {
    if !refused.is_empty() {
        let gone: std::collections::HashSet<usize> = refused.iter().map(|r| r.index).collect();
        repairs.retain(|r| !gone.contains(&r.index));
        report.rejections.extend(
            refused
                .into_iter()
                .map(|r| rejection(file_label, r.index, r.id, r.why.in_file(file_label))),
        );
        report.rejections.sort_by_key(|r| r.index);
    }
    report.rejected = report.rejections.len();
    report.repairs = repairs;
}

/// Checks one feature against its kind; a refusal gives back the index and id with why.
fn validate_feature(
    spec: &LayerSpec,
    raw: RawFeature,
) -> Result<Valid, (usize, Option<String>, String)> {
    let kind = spec.kind;
    let mut id = raw.id;
    let class = class_of(&raw.geometry);
    if !kind.geometries().contains(&class) {
        let allowed: Vec<String> = kind.geometries().iter().map(|g| g.to_string()).collect();
        let reason = format!(
            "a {kind} layer takes {} geometries, got a {class}",
            allowed.join(" or ")
        );
        return Err((raw.index, id, reason));
    }
    let mut props: Vec<(String, Json)> = if spec.rename.is_empty() {
        raw.props
    } else {
        raw.props
            .into_iter()
            .map(|(name, v)| (spec.rename.get(&name).cloned().unwrap_or(name), v))
            .collect()
    };
    if id.is_none()
        && let Some(pos) = props.iter().position(|(n, _)| n == "id")
    {
        id = Some(json_text(&props.remove(pos).1)).filter(|s| !s.is_empty());
    }
    let (canonical, defaulted) = match attrs::canonical_attributes(spec, &mut props) {
        Ok(attributes) => attributes,
        Err(reason) => return Err((raw.index, id, reason)),
    };
    // After the attributes: the polygon check is the costly one.
    let checked = match polygon::check(kind, raw.geometry) {
        Ok(checked) => checked,
        Err(e) => return Err((raw.index, id, e.to_string())),
    };
    Ok(Valid {
        index: raw.index,
        id,
        geometry: checked.geometry,
        canonical,
        extras: props,
        defaulted,
        repairs: checked.repairs,
    })
}

fn class_of(g: &Geometry<f64>) -> GeometryClass {
    match g {
        Geometry::Point(_) | Geometry::MultiPoint(_) => GeometryClass::Point,
        Geometry::Line(_) | Geometry::LineString(_) | Geometry::MultiLineString(_) => {
            GeometryClass::Line
        }
        _ => GeometryClass::Polygon,
    }
}

fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::import::manifest::Manifest;
    use crate::import::source::read_geojson;
    use std::path::Path;

    /// A one-layer manifest's spec: a layer of `kind` with `fields` (TOML) appended.
    pub(in crate::import) fn spec(kind: &str, fields: &str) -> LayerSpec {
        let text = format!(
            "name = \"t\"\n[[layer]]\nid = \"t\"\nkind = \"{kind}\"\nfile = \"t.geojson\"\n{fields}"
        );
        Manifest::parse(&text, Path::new("."))
            .unwrap()
            .layers
            .remove(0)
    }

    /// A GeoJSON read of one point per property object in `props`.
    pub(in crate::import) fn points(props: &[&str]) -> SourceRead {
        let features: Vec<String> = props
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[105.{i},34.5]}},"properties":{p}}}"#)
            })
            .collect();
        read_geojson(
            format!(
                r#"{{"type":"FeatureCollection","features":[{}]}}"#,
                features.join(",")
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn chinese_source_fields_map_to_canonical_names_with_types() {
        let spec = spec(
            "landslide",
            "[layer.fields]\nthreatened_people = \"威胁人数\"\nhazard_type = \"灾害类型\"",
        );
        let (layer, report) = build_layer(
            &spec,
            points(&[r#"{"威胁人数":"35","灾害类型":"泥石流","编号":"A1"}"#]),
            "t",
        );
        assert_eq!(report.rejected, 0, "{:?}", report.rejections);
        assert_eq!(layer.value(0, "threatened_people"), &Value::Int(35));
        assert_eq!(
            layer.value(0, "hazard_type"),
            &Value::Text("debris_flow".into())
        );
        assert_eq!(layer.value(0, "编号"), &Value::Text("A1".into()));
    }

    #[test]
    fn every_refused_feature_is_reported_with_index_and_reason() {
        let spec = spec("flood", "");
        let read = read_geojson(r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"return_period_years":10}},
            {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{}},
            {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{"return_period_years":20,"severity":7}},
            {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{"return_period_years":"50","severity":"橙色"}}
        ]}"#.as_bytes()).unwrap();
        let (layer, report) = build_layer(&spec, read, "floods.geojson");
        assert_eq!(layer.len(), 1);
        assert_eq!(layer.value(0, "severity"), &Value::Int(3));
        let reasons: Vec<(usize, &str)> = report
            .rejections
            .iter()
            .map(|r| (r.index, r.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 3);
        assert!(
            reasons[0].0 == 0 && reasons[0].1.contains("takes polygon"),
            "{reasons:?}"
        );
        assert!(
            reasons[1].0 == 1
                && reasons[1]
                    .1
                    .contains("missing required attribute \"return_period_years\"")
        );
        assert!(reasons[2].0 == 2 && reasons[2].1.contains("unknown severity value 7"));
        assert!(report.rejections.iter().all(|r| r.file == "floods.geojson"));
    }

    #[test]
    fn duplicate_ids_keep_the_first_and_report_the_second() {
        let spec = spec("hazard", "");
        let (layer, report) = build_layer(
            &spec,
            points(&[r#"{"id":"h1"}"#, r#"{"id":"h1"}"#, r#"{"id":"h2"}"#]),
            "t",
        );
        assert_eq!(layer.len(), 2);
        assert_eq!(report.rejections[0].index, 1);
        assert!(report.rejections[0].reason.contains("first at feature 1)"));
    }

    /// Three villages, squares side by side; the third repeats the first's code and the
    /// fourth repeats the second's id (refused for the id, once).
    #[test]
    fn a_repeated_admin_code_refuses_the_later_unit_naming_the_first() {
        let square = |x: i32| format!("[[[{x},0],[{},0],[{},1],[{x},1],[{x},0]]]", x + 1, x + 1);
        let village = |id: &str, x: i32, code: &str| {
            format!(
                r#"{{"type":"Feature","id":"{id}","geometry":{{"type":"Polygon","coordinates":{}}},"properties":{{"code":"{code}","name":"村{x}","level":"村"}}}}"#,
                square(x)
            )
        };
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{},{},{},{}]}}"#,
            village("v1", 0, "510184001"),
            village("v2", 1, "510184002"),
            village("v3", 2, "510184001"),
            village("v2", 3, "510184002"),
        );
        let (layer, report) = build_layer(
            &spec("admin", ""),
            read_geojson(text.as_bytes()).unwrap(),
            "villages.geojson",
        );
        assert_eq!(layer.len(), 2);
        let refused: Vec<(usize, Option<&str>, &str)> = report
            .rejections
            .iter()
            .map(|r| (r.index, r.id.as_deref(), r.reason.as_str()))
            .collect();
        assert_eq!(
            refused,
            [
                (
                    2,
                    Some("v3"),
                    r#"duplicate code "510184001" (first at feature 1, id "v1")"#
                ),
                (3, Some("v2"), r#"duplicate id "v2" (first at feature 2)"#),
            ]
        );
    }

    #[test]
    fn mapping_a_field_that_never_occurs_is_a_warning() {
        let spec = spec(
            "landslide",
            "[layer.fields]\nthreatened_people = \"威胁人口\"",
        );
        let (_, report) = build_layer(&spec, points(&[r#"{"威胁人数":3}"#]), "t");
        assert!(report.warnings[0].contains("威胁人口"));
    }
}
