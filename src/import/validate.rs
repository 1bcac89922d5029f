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
//! Other properties are kept as extra fields whose type is inferred over the whole layer.
//! A refused feature is never dropped silently: it becomes a [`Rejection`] with the file,
//! its index and the reason.

use super::attrs;
use super::manifest::LayerSpec;
use super::polygon::{self, Repair};
use super::source::{RawFeature, SourceRead, Unreadable};
use super::unique::{Duplicate, FeatureRef, Repeat, repeats};
use crate::atlas::{Feature, Field, FieldType, GeometryClass, Kind, Layer, Schema, Value};
use geo::Geometry;
use serde::Serialize;
use serde_json::Value as Json;
use std::collections::HashMap;

/// A feature refused at import.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rejection {
    pub file: String,
    /// 0-based position in the file (CSV: data row, header excluded).
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub reason: String,
}

/// A feature accepted after its geometry was repaired (see [`super::polygon`]).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Repaired {
    pub file: String,
    /// 0-based position in the file.
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub repair: String,
}

/// What happened to one layer at load.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LayerReport {
    pub layer: String,
    pub file: String,
    pub loaded: usize,
    pub rejected: usize,
    pub rejections: Vec<Rejection>,
    /// Features loaded with a repaired geometry, and what was done.
    pub repairs: Vec<Repaired>,
    pub warnings: Vec<String>,
    /// Set when the layer could not be loaded at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A validated feature, held until the whole layer has been seen (extra columns are typed
/// over all of it). Ten million of these can be in memory at once, and memory touched for
/// the first time costs a virtual machine about as much as the parsing (benches/README.md),
/// so it is laid out as the final [`Feature`] will be: its values are the attributes it
/// has, in column order, and when every feature has the same attributes (the usual case)
/// they become the feature's attributes without a copy.
struct Accepted {
    /// Position in the source, for messages.
    index: usize,
    id: Option<Box<str>>,
    geometry: Geometry<f64>,
    /// The kind attributes this feature has, in the kind's order, then its other non-null
    /// properties as read (see [`extra_value`]), in the order of its shape's columns.
    values: Box<[Value]>,
    /// Which attributes `values` holds: an index into [`Shapes`].
    shape: u32,
    /// Kind attributes filled from `[layer.defaults]`.
    defaulted: AttrSet,
}

/// A set of a kind's attributes, bit `i` for `kind.attrs()[i]` (a kind has at most 64).
type AttrSet = u64;

/// Which attributes a feature has: kind attributes and extra columns by number.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
struct Shape {
    present: AttrSet,
    extras: Vec<u32>,
}

/// The distinct shapes of a layer's features and the names of its extra columns, both
/// numbered in order of appearance. A layer has a handful of shapes however many features.
#[derive(Default)]
struct Shapes {
    shapes: Vec<Shape>,
    numbers: HashMap<Shape, u32>,
    /// The shape of the feature stored last.
    last: Option<u32>,
    extra_names: Vec<String>,
    extra_numbers: HashMap<String, u32>,
}

impl Shapes {
    /// Feature `a`'s value of its kind's attribute `i`, if it has one.
    fn canonical<'v>(&self, a: &'v Accepted, i: usize) -> Option<&'v Value> {
        let present = self.shapes[a.shape as usize].present;
        // Present kind attributes come first in `values`, in the kind's order.
        (present & (1 << i) != 0)
            .then(|| &a.values[(present & ((1 << i) - 1)).count_ones() as usize])
    }

    fn number(&mut self, shape: &Shape) -> u32 {
        // Consecutive features nearly always share a shape: no hashing then.
        if let Some(last) = self.last
            && self.shapes[last as usize] == *shape
        {
            return last;
        }
        let n = match self.numbers.get(shape) {
            Some(&n) => n,
            None => {
                let n = u32::try_from(self.shapes.len()).expect("fewer than 2^32 shapes");
                self.shapes.push(shape.clone());
                self.numbers.insert(shape.clone(), n);
                n
            }
        };
        self.last = Some(n);
        n
    }

    fn extra_column(&mut self, name: String) -> u32 {
        if let Some(&n) = self.extra_numbers.get(&name) {
            return n;
        }
        let n = u32::try_from(self.extra_names.len()).expect("fewer than 2^32 property names");
        self.extra_names.push(name.clone());
        self.extra_numbers.insert(name, n);
        n
    }
}

/// What [`validate_feature`] makes of one raw feature, before [`LayerBuilder`] stores it.
struct Valid {
    index: usize,
    id: Option<String>,
    geometry: Geometry<f64>,
    /// One value per kind attribute, `Null` where absent.
    canonical: Vec<Value>,
    extras: Vec<(String, Json)>,
    defaulted: AttrSet,
    /// What was repaired in the geometry.
    repairs: Vec<Repair>,
}

/// An extra property's JSON value, as held until its column's type is known: booleans,
/// integers (i64), other numbers (as f64) and strings as themselves, anything else
/// (arrays, objects) as its JSON text. [`typed_extra`] then gives what it would from the
/// JSON, except that a whole number beyond i64 in a text column is spelt as an f64.
fn extra_value(json: Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::Text(s.into_boxed_str()),
        other => Value::Text(other.to_string().into()),
    }
}

/// A feature checked for an edit, and what was repaired in its geometry (as a file's
/// report would say it).
#[derive(Debug, Clone, PartialEq)]
pub struct Validated {
    pub feature: Feature,
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

/// Refuses an edited feature whose unique attribute, an admin `code`, another feature
/// of `layer` already has: the check a file gets, with the layer's other features
/// standing first. Apart from [`validate_for_layer`] because replaying a log checks each
/// record against the layer as loaded, which the records before it have since changed.
pub fn unique_in_layer(layer: &Layer, edited: &Feature) -> Result<(), Duplicate> {
    let Some(attr) = layer.kind.unique_attr() else {
        return Ok(());
    };
    let others: Vec<u32> = (0..layer.len() as u32)
        .filter(|&fid| layer.features()[fid as usize].id != edited.id)
        .collect();
    let value = layer
        .schema
        .position(attr)
        .and_then(|col| edited.attrs[col].as_str());
    let keys: Vec<Option<&str>> = others
        .iter()
        .map(|&fid| layer.value(fid, attr).as_str())
        .chain([value])
        .collect();
    let clash = repeats(keys.into_iter())
        .into_iter()
        .find(|r| r.at == others.len());
    match clash {
        None => Ok(()),
        Some(r) => Err(Duplicate {
            what: attr,
            value: value.unwrap_or_default().to_string(),
            first: FeatureRef {
                index: None,
                id: Some(layer.features()[others[r.first] as usize].id.to_string()),
            },
        }),
    }
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

    fn reject(&self, index: usize, id: Option<String>, reason: String) -> Rejection {
        Rejection {
            file: self.file_label.to_string(),
            index,
            id,
            reason,
        }
    }

    /// Validates one feature as read.
    pub fn push(&mut self, raw: Result<RawFeature, Unreadable>) {
        let outcome = match raw {
            Err(bad) => Err(self.reject(bad.index, bad.id, bad.reason)),
            Ok(raw) => validate_feature(self.spec, raw)
                .map_err(|(index, id, reason)| self.reject(index, id, reason)),
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
                let accepted = self.store(valid);
                self.accepted.push(accepted);
            }
            Err(r) => self.rejections.push(r),
        }
    }

    /// The compact form of a valid feature (see [`Accepted`]).
    fn store(&mut self, valid: Valid) -> Accepted {
        let attrs = self.spec.kind.attrs();
        let shape = &mut self.scratch;
        shape.present = 0;
        shape.extras.clear();
        let mut values = Vec::with_capacity(valid.canonical.len() + valid.extras.len());
        for (i, v) in valid.canonical.into_iter().enumerate() {
            if !v.is_null() {
                shape.present |= 1 << i;
                values.push(v);
            }
        }
        for (name, json) in valid.extras {
            // A second property of a kind attribute's name (a repeated key) has no column.
            if json.is_null() || attrs.iter().any(|a| a.name == name) {
                continue;
            }
            shape.extras.push(self.shapes.extra_column(name));
            values.push(extra_value(json));
        }
        let shape = self.shapes.number(&self.scratch);
        Accepted {
            index: valid.index,
            id: valid.id.map(String::into_boxed_str),
            geometry: valid.geometry,
            values: values.into_boxed_slice(),
            shape,
            defaulted: valid.defaulted,
        }
    }

    /// Builds the layer: ids checked for repeats, extra columns typed, the R-tree built.
    /// `columns` are the property names the reader saw (to warn about mappings that match
    /// nothing); `warnings` are the reader's own.
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
            mut repairs,
            ids_unique,
        } = self;
        let mut report = LayerReport {
            layer: spec.id.to_string(),
            file: file_label.to_string(),
            warnings,
            rejections,
            ..Default::default()
        };
        for source in spec.rename.keys() {
            if !columns.iter().any(|c| c == source) {
                report.warnings.push(format!(
                    "mapped source field {source:?} does not occur in {file_label}"
                ));
            }
        }
        let reject = |index: usize, id: Option<String>, reason: String| Rejection {
            file: file_label.to_string(),
            index,
            id,
            reason,
        };
        let refused = refuse_repeats(&mut accepted, &shapes, spec.kind, ids_unique);
        if !refused.is_empty() {
            // A repaired feature refused later (a repeated id) is reported as refused only.
            let gone: std::collections::HashSet<usize> = refused.iter().map(|r| r.index).collect();
            repairs.retain(|r| !gone.contains(&r.index));
            report.rejections.extend(
                refused
                    .into_iter()
                    .map(|r| reject(r.index, r.id, r.why.to_string())),
            );
            report.rejections.sort_by_key(|r| r.index);
        }
        report.rejected = report.rejections.len();
        report.repairs = repairs;
        let kind = spec.kind;
        let attrs = kind.attrs();
        for (name, value) in &spec.defaults {
            let Some(i) = attrs.iter().position(|a| a.name == name) else {
                continue;
            };
            let n = accepted
                .iter()
                .filter(|a| a.defaulted & (1 << i) != 0)
                .count();
            if n > 0 {
                report.warnings.push(format!(
                    "{n} features lack {name}: filled with the default {value} from atlas.toml"
                ));
            }
        }
        report.loaded = accepted.len();

        // A kind attribute is a column when it is required or some feature has it.
        let mut shape_used = vec![false; shapes.shapes.len()];
        for a in &accepted {
            shape_used[a.shape as usize] = true;
        }
        let required: AttrSet = attrs
            .iter()
            .enumerate()
            .filter(|(_, a)| a.required)
            .fold(0, |set, (i, _)| set | (1 << i));
        let canonical_used = shapes
            .shapes
            .iter()
            .zip(&shape_used)
            .filter(|(_, used)| **used)
            .fold(required, |set, (shape, _)| set | shape.present);
        let extra_types = infer_extra_columns(&accepted, &shapes, text_cells);
        let mut fields: Vec<Field> = attrs
            .iter()
            .enumerate()
            .filter(|(i, _)| canonical_used & (1 << i) != 0)
            .map(|(_, a)| Field {
                name: a.name.to_string(),
                ty: a.ty,
            })
            .collect();
        let base = fields.len();
        fields.extend(extra_types.iter().map(|&(column, ty)| Field {
            name: shapes.extra_names[column as usize].clone(),
            ty,
        }));
        // Extra column number → its position among the layer's extra fields.
        let mut extra_pos: Vec<usize> = vec![usize::MAX; shapes.extra_names.len()];
        for (pos, &(column, _)) in extra_types.iter().enumerate() {
            extra_pos[column as usize] = pos;
        }
        // The shape whose values are already the final attributes, if any feature has it.
        let final_shape = Shape {
            present: canonical_used,
            extras: extra_types.iter().map(|&(column, _)| column).collect(),
        };
        let final_shape = shapes.numbers.get(&final_shape).copied();

        // In place: the accepted list's memory becomes the feature list's.
        let features: Vec<Feature> = accepted
            .into_iter()
            .enumerate()
            .map(|(fid, a)| {
                let already_final = Some(a.shape) == final_shape
                    && a.values[base..]
                        .iter()
                        .zip(&extra_types)
                        .all(|(v, &(_, ty))| v.is_of(ty));
                let attrs = if already_final {
                    a.values
                } else {
                    let shape = &shapes.shapes[a.shape as usize];
                    let mut given = a.values.into_iter();
                    let mut values: Vec<Value> = (0..attrs.len())
                        .filter(|i| canonical_used & (1 << i) != 0)
                        .map(|i| match shape.present & (1 << i) {
                            0 => Value::Null,
                            _ => given.next().expect("one value per present attribute"),
                        })
                        .collect();
                    values.resize(base + extra_types.len(), Value::Null);
                    for (&column, value) in shape.extras.iter().zip(given) {
                        let pos = extra_pos[column as usize];
                        values[base + pos] = typed_extra(value, extra_types[pos].1, text_cells);
                    }
                    values.into_boxed_slice()
                };
                Feature {
                    id: a.id.unwrap_or_else(|| fid.to_string().into()),
                    geometry: a.geometry,
                    attrs,
                }
            })
            .collect();
        let layer = Layer::new(
            spec.id.clone(),
            spec.name.clone(),
            kind,
            Schema::new(fields),
            features,
        );
        (layer, report)
    }
}

/// A feature refused for repeating an earlier one's id or unique attribute.
struct Repeated {
    /// Position in the source.
    index: usize,
    id: Option<String>,
    why: Duplicate,
}

/// Removes the features whose id, or value of the kind's unique attribute, an earlier
/// feature already has (the first keeps it), and says which and why. Ids are checked
/// first, so a feature repeating both is refused once.
fn refuse_repeats(
    accepted: &mut Vec<Accepted>,
    shapes: &Shapes,
    kind: Kind,
    ids_unique: bool,
) -> Vec<Repeated> {
    let mut refused = Vec::new();
    if !ids_unique {
        let found = repeats(accepted.iter().map(|a| a.id.as_deref()));
        refused.extend(drop_repeats(accepted, &found, |first, a| Duplicate {
            what: "id",
            value: a.id.as_deref().expect("repeated ids exist").to_string(),
            first: FeatureRef {
                index: Some(first.index),
                id: None,
            },
        }));
    }
    let Some(attr) = kind.unique_attr() else {
        return refused;
    };
    let i = kind
        .attrs()
        .iter()
        .position(|a| a.name == attr)
        .expect("a kind's unique attribute is one of its attributes");
    let key = |a: &Accepted| {
        shapes
            .canonical(a, i)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let keys: Vec<Option<String>> = accepted.iter().map(key).collect();
    let found = repeats(keys.iter().map(Option::as_deref));
    refused.extend(drop_repeats(accepted, &found, |first, a| Duplicate {
        what: attr,
        value: key(a).expect("repeated values exist"),
        first: FeatureRef {
            index: Some(first.index),
            id: first.id.as_deref().map(str::to_owned),
        },
    }));
    refused
}

/// Removes the repeats `found` among `accepted`, each explained by `why(first, repeat)`.
fn drop_repeats(
    accepted: &mut Vec<Accepted>,
    found: &[Repeat],
    why: impl Fn(&Accepted, &Accepted) -> Duplicate,
) -> Vec<Repeated> {
    if found.is_empty() {
        return Vec::new();
    }
    let mut keep = vec![true; accepted.len()];
    let refused = found
        .iter()
        .map(|r| {
            keep[r.at] = false;
            let a = &accepted[r.at];
            Repeated {
                index: a.index,
                id: a.id.as_deref().map(str::to_owned),
                why: why(&accepted[r.first], a),
            }
        })
        .collect();
    let mut keep = keep.into_iter();
    accepted.retain(|_| keep.next().expect("one flag per feature"));
    refused
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
    let (canonical, defaulted) = match canonical_attributes(spec, &mut props) {
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

/// Takes the kind's attributes out of `props` (what is left are extras), typed, checked
/// and defaulted; also says which were filled from defaults.
fn canonical_attributes(
    spec: &LayerSpec,
    props: &mut Vec<(String, Json)>,
) -> Result<(Vec<Value>, AttrSet), String> {
    let kind = spec.kind;
    let mut canonical = Vec::with_capacity(kind.attrs().len());
    let mut defaulted: AttrSet = 0;
    for (i, attr) in kind.attrs().iter().enumerate() {
        let found = props
            .iter()
            .position(|(n, _)| n == attr.name)
            .map(|pos| props.remove(pos).1);
        let missing = match &found {
            None | Some(Json::Null) => true,
            Some(Json::String(s)) => s.trim().is_empty(),
            Some(_) => false,
        };
        let found = match (missing, spec.defaults.get(attr.name)) {
            (true, Some(default)) => {
                defaulted |= 1 << i;
                Some(default.clone())
            }
            (true, None) => None,
            (false, _) => found,
        };
        let value = match found {
            None => Value::Null,
            Some(json) => attrs::coerce(attr, &json)?,
        };
        if value.is_null() && attr.required {
            return Err(format!("missing required attribute {:?}", attr.name));
        }
        canonical.push(value);
    }
    attrs::check_relations(kind, &canonical).map_err(|e| e.to_string())?;
    Ok((canonical, defaulted))
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

/// A cell that reads as a number and is not a code with a leading zero ("0938").
fn numeric_cell(s: &str) -> Option<f64> {
    let t = s.trim();
    let digits = t.trim_start_matches('-');
    if digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.") {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Infers each extra column's type over the whole layer: boolean, integer, number or,
/// when values disagree, string. Returns (column number, type) in order of each column's
/// first value.
fn infer_extra_columns(
    accepted: &[Accepted],
    shapes: &Shapes,
    text_cells: bool,
) -> Vec<(u32, FieldType)> {
    let mut order: Vec<u32> = Vec::new();
    let mut types: Vec<Option<FieldType>> = vec![None; shapes.extra_names.len()];
    for a in accepted {
        let shape = &shapes.shapes[a.shape as usize];
        let extras = &a.values[a.values.len() - shape.extras.len()..];
        for (&column, value) in shape.extras.iter().zip(extras) {
            let ty = match value {
                Value::Null => continue,
                Value::Bool(_) => FieldType::Boolean,
                Value::Int(_) => FieldType::Integer,
                Value::Float(_) => FieldType::Number,
                Value::Text(s) if text_cells => match numeric_cell(s) {
                    Some(f) if f.fract() == 0.0 && !s.contains('.') && f.abs() < 9.0e15 => {
                        FieldType::Integer
                    }
                    Some(_) => FieldType::Number,
                    None => FieldType::String,
                },
                Value::Text(_) => FieldType::String,
            };
            let slot = &mut types[column as usize];
            if slot.is_none() {
                order.push(column);
            }
            *slot = Some(match (*slot, ty) {
                (None, t) => t,
                (Some(a), b) if a == b => a,
                (Some(FieldType::Integer), FieldType::Number)
                | (Some(FieldType::Number), FieldType::Integer) => FieldType::Number,
                _ => FieldType::String,
            });
        }
    }
    order
        .into_iter()
        .map(|c| (c, types[c as usize].unwrap_or(FieldType::String)))
        .collect()
}

/// An extra value as read ([`extra_value`]) in its column's type. Text in a numeric column
/// (a CSV cell) is parsed; a number or boolean in a text column becomes its JSON text.
fn typed_extra(value: Value, ty: FieldType, text_cells: bool) -> Value {
    match (ty, value) {
        (_, Value::Null) => Value::Null,
        (FieldType::Boolean, v @ Value::Bool(_)) => v,
        (FieldType::Integer, v @ Value::Int(_)) => v,
        (FieldType::Number, Value::Int(i)) => Value::Float(i as f64),
        (FieldType::Number, v @ Value::Float(_)) => v,
        (FieldType::Integer, Value::Text(s)) if text_cells => numeric_cell(&s)
            .map(|f| Value::Int(f as i64))
            .unwrap_or(Value::Null),
        (FieldType::Number, Value::Text(s)) if text_cells => {
            numeric_cell(&s).map(Value::Float).unwrap_or(Value::Null)
        }
        (_, v @ Value::Text(_)) => v,
        (_, Value::Bool(b)) => Value::Text(b.to_string().into()),
        (_, Value::Int(i)) => Value::Text(i.to_string().into()),
        // JSON's own spelling of the number ("2.0", "1e300"), as the source had it.
        (_, Value::Float(f)) => Value::Text(
            serde_json::Number::from_f64(f)
                .map_or_else(|| f.to_string(), |n| n.to_string())
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::manifest::Manifest;
    use crate::import::source::{CsvOptions, read_csv, read_geojson};
    use std::path::Path;

    fn spec(kind: &str, fields: &str) -> LayerSpec {
        let text = format!(
            "name = \"t\"\n[[layer]]\nid = \"t\"\nkind = \"{kind}\"\nfile = \"t.geojson\"\n{fields}"
        );
        Manifest::parse(&text, Path::new("."))
            .unwrap()
            .layers
            .remove(0)
    }

    fn points(props: &[&str]) -> SourceRead {
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
        assert!(report.rejections[0].reason.contains("first at index 0"));
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
                    r#"duplicate code "510184001" (first at index 0, id "v1")"#
                ),
                (3, Some("v2"), r#"duplicate id "v2" (first at index 1)"#),
            ]
        );
    }

    #[test]
    fn csv_extra_columns_infer_numbers_but_keep_leading_zero_codes_as_text() {
        let spec = spec("population", "");
        let csv =
            "lon,lat,population,area_km2,code\n105.1,34.1,100,1.5,0938\n105.2,34.2,200,2,1001\n";
        let (layer, report) = build_layer(
            &spec,
            read_csv(csv.as_bytes(), &CsvOptions::default()).unwrap(),
            "t",
        );
        assert_eq!(report.rejected, 0);
        assert_eq!(
            layer.schema.field("area_km2").unwrap().ty,
            FieldType::Number
        );
        assert_eq!(layer.schema.field("code").unwrap().ty, FieldType::String);
        assert_eq!(layer.value(0, "code"), &Value::Text("0938".into()));
        assert_eq!(layer.value(1, "population"), &Value::Int(200));
    }

    /// Features that differ in which attributes they have, worked by hand: each value lands
    /// in its column, absent ones are null, kind attributes come first in the kind's
    /// order, then extra columns in order of first value, each typed by all its values.
    #[test]
    fn features_with_different_attributes_line_up_in_one_schema() {
        let spec = spec("landslide", "[layer.defaults]\nthreat_radius_m = 50");
        let (layer, report) = build_layer(
            &spec,
            points(&[
                r#"{"name":"A","mixed":1,"flag":true,"severity":2}"#,
                r#"{"threatened_people":12,"mixed":2.5,"late":"x","severity":3}"#,
                r#"{"name":"C","mixed":null,"flag":false,"threat_radius_m":80,"severity":1}"#,
                r#"{"name":"D","mixed":"n/a","flag":true,"severity":4}"#,
                r#"{"name":7,"flag":false,"severity":2}"#,
            ]),
            "t",
        );
        assert_eq!(report.rejected, 0, "{:?}", report.rejections);
        let names: Vec<&str> = layer.schema.names().collect();
        assert_eq!(
            names[..3],
            ["threatened_people", "threat_radius_m", "severity"]
        );
        // The first feature's extras in the reader's order, then the one first seen later.
        let mut first = names[3..6].to_vec();
        first.sort();
        assert_eq!(first, ["flag", "mixed", "name"]);
        assert_eq!(names[6..], ["late"]);
        let ty = |n: &str| layer.schema.field(n).unwrap().ty;
        assert_eq!(ty("name"), FieldType::String);
        assert_eq!(ty("mixed"), FieldType::String, "1, 2.5 and \"n/a\"");
        assert_eq!(ty("flag"), FieldType::Boolean);
        assert_eq!(layer.value(0, "mixed"), &Value::Text("1".into()));
        assert_eq!(layer.value(1, "mixed"), &Value::Text("2.5".into()));
        assert_eq!(layer.value(2, "mixed"), &Value::Null);
        assert_eq!(layer.value(4, "name"), &Value::Text("7".into()));
        assert_eq!(layer.value(1, "name"), &Value::Null);
        assert_eq!(layer.value(1, "threatened_people"), &Value::Int(12));
        assert_eq!(layer.value(0, "threatened_people"), &Value::Null);
        assert_eq!(layer.value(2, "threat_radius_m"), &Value::Float(80.0));
        assert_eq!(layer.value(3, "threat_radius_m"), &Value::Float(50.0));
        assert_eq!(layer.value(1, "late"), &Value::Text("x".into()));
        assert_eq!(layer.value(3, "late"), &Value::Null);
        assert_eq!(layer.value(3, "flag"), &Value::Bool(true));
        assert!(
            report
                .warnings
                .iter()
                .any(|w| w.starts_with("4 features lack threat_radius_m")),
            "{:?}",
            report.warnings
        );
        // Whole numbers and fractions in one extra column make it a number column.
        let (layer, _) = build_layer(&spec, points(&[r#"{"area":2}"#, r#"{"area":2.5}"#]), "t");
        assert_eq!(layer.schema.field("area").unwrap().ty, FieldType::Number);
        assert_eq!(layer.value(0, "area"), &Value::Float(2.0));
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
