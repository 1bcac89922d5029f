//! Validation: raw features → typed features of a kind, and the report of what was refused.
//!
//! For every raw feature, in order:
//! 1. source field names are mapped to canonical names (`[layer.fields]`);
//! 2. the geometry family must be one the kind accepts;
//! 3. each canonical attribute is coerced to its type (text cells parse as numbers) and
//!    checked against its rule (severity 1–4, known codes, non-negative counts);
//!    a missing required attribute refuses the feature;
//! 4. ids must be unique within the layer.
//!
//! Other properties are kept as extra fields whose type is inferred over the whole layer.
//! A refused feature is never dropped silently: it becomes a [`Rejection`] with the file,
//! its index and the reason.

use super::manifest::LayerSpec;
use super::source::{RawFeature, SourceRead, Unreadable};
use crate::atlas::kind::{Attr, Rule};
use crate::atlas::{Feature, Field, FieldType, GeometryClass, Layer, Schema, Value};
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

/// What happened to one layer at load.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LayerReport {
    pub layer: String,
    pub file: String,
    pub loaded: usize,
    pub rejected: usize,
    pub rejections: Vec<Rejection>,
    pub warnings: Vec<String>,
    /// Set when the layer could not be loaded at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

struct Accepted {
    /// Position in the source, for messages.
    index: usize,
    id: Option<String>,
    geometry: Geometry<f64>,
    canonical: Vec<Value>,
    extras: Vec<(String, Json)>,
    /// Canonical attributes filled from `[layer.defaults]`.
    defaulted: Vec<&'static str>,
}

/// Validates one feature for an existing layer, as an edit: the import's checks for a
/// feature given with canonical property names, then its attributes aligned with the
/// layer's schema. A property the layer has no field for is refused (naming the fields
/// it has), as is a value of the wrong type for an extra field.
pub fn validate_for_layer(
    layer: &Layer,
    id: &str,
    geometry: Geometry<f64>,
    props: Vec<(String, Json)>,
) -> Result<Feature, String> {
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
            (v @ Value::Null, _)
            | (v @ Value::Bool(_), FieldType::Boolean)
            | (v @ Value::Int(_), FieldType::Integer)
            | (v @ Value::Float(_), FieldType::Number)
            | (v @ Value::Text(_), FieldType::String) => Ok(v),
            (v, ty) => Err(format!(
                "field {:?} holds {} values, not {v:?}",
                f.name,
                ty.tilejson_name()
            )),
        })
        .collect::<Result<Vec<Value>, String>>()?;
    Ok(Feature {
        id: id.into(),
        geometry: one.features()[0].geometry.clone(),
        attrs: attrs.into(),
    })
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
    rejections: Vec<Rejection>,
    /// The source guarantees unique ids (a primary key), so they are not checked again.
    ids_unique: bool,
}

impl<'a> LayerBuilder<'a> {
    pub fn new(spec: &'a LayerSpec, file_label: &'a str, expected: usize) -> Self {
        LayerBuilder {
            spec,
            file_label,
            accepted: Vec::with_capacity(expected),
            rejections: Vec::new(),
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
            Ok(a) => self.accepted.push(a),
            Err(r) => self.rejections.push(r),
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
            rejections,
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
        // A repeated id keeps its first feature.
        let duplicates = if ids_unique {
            Vec::new()
        } else {
            repeated_ids(&accepted)
        };
        if !duplicates.is_empty() {
            let mut keep = vec![true; accepted.len()];
            for &(pos, first) in &duplicates {
                keep[pos] = false;
                let a = &accepted[pos];
                let id = a.id.clone().expect("duplicates have ids");
                report.rejections.push(reject(
                    a.index,
                    Some(id.clone()),
                    format!("duplicate id {id:?} (first at index {first})"),
                ));
            }
            let mut keep = keep.into_iter();
            accepted.retain(|_| keep.next().expect("one flag per feature"));
            report.rejections.sort_by_key(|r| r.index);
        }
        report.rejected = report.rejections.len();
        for (name, value) in &spec.defaults {
            let n = accepted
                .iter()
                .filter(|a| a.defaulted.contains(&name.as_str()))
                .count();
            if n > 0 {
                report.warnings.push(format!(
                    "{n} features lack {name}: filled with the default {value} from atlas.toml"
                ));
            }
        }
        report.loaded = accepted.len();

        let kind = spec.kind;
        let attrs = kind.attrs();
        let canonical_used: Vec<bool> = (0..attrs.len())
            .map(|i| attrs[i].required || accepted.iter().any(|a| !a.canonical[i].is_null()))
            .collect();
        let extra_columns = infer_extra_columns(&accepted, text_cells, attrs);
        let mut fields: Vec<Field> = attrs
            .iter()
            .zip(&canonical_used)
            .filter(|(_, used)| **used)
            .map(|(a, _)| Field {
                name: a.name.to_string(),
                ty: a.ty,
            })
            .collect();
        fields.extend(extra_columns.iter().map(|(name, ty)| Field {
            name: name.clone(),
            ty: *ty,
        }));
        let extra_pos: HashMap<&str, usize> = extra_columns
            .iter()
            .enumerate()
            .map(|(i, (n, _))| (n.as_str(), i))
            .collect();

        let features = accepted
            .into_iter()
            .enumerate()
            .map(|(fid, a)| {
                let mut values: Vec<Value> = a
                    .canonical
                    .into_iter()
                    .zip(&canonical_used)
                    .filter(|(_, used)| **used)
                    .map(|(v, _)| v)
                    .collect();
                let base = values.len();
                values.resize(base + extra_columns.len(), Value::Null);
                for (name, json) in a.extras {
                    if let Some(&i) = extra_pos.get(name.as_str()) {
                        values[base + i] = typed_extra(&json, extra_columns[i].1, text_cells);
                    }
                }
                Feature {
                    id: a.id.unwrap_or_else(|| fid.to_string()).into(),
                    geometry: a.geometry,
                    attrs: values.into(),
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

/// The features whose id an earlier feature already has: (position, source index of the
/// first). Checked after validation with borrowed keys and a fast hash: at ten million
/// features, cloning every id into a SipHash map was the single largest cost of a load.
fn repeated_ids(accepted: &[Accepted]) -> Vec<(usize, usize)> {
    let mut first_index_of_id: foldhash::HashMap<&str, usize> = Default::default();
    first_index_of_id.reserve(accepted.len());
    accepted
        .iter()
        .enumerate()
        .filter_map(|(pos, a)| {
            let id = a.id.as_deref()?;
            match first_index_of_id.entry(id) {
                std::collections::hash_map::Entry::Occupied(first) => Some((pos, *first.get())),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(a.index);
                    None
                }
            }
        })
        .collect()
}

/// Checks one feature against its kind; a refusal gives back the index and id with why.
fn validate_feature(
    spec: &LayerSpec,
    raw: RawFeature,
) -> Result<Accepted, (usize, Option<String>, String)> {
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
    match canonical_attributes(spec, &mut props) {
        Ok((canonical, defaulted)) => Ok(Accepted {
            index: raw.index,
            id,
            geometry: raw.geometry,
            canonical,
            extras: props,
            defaulted,
        }),
        Err(reason) => Err((raw.index, id, reason)),
    }
}

/// Takes the kind's attributes out of `props` (what is left are extras), typed, checked
/// and defaulted; also names the ones filled from defaults.
fn canonical_attributes(
    spec: &LayerSpec,
    props: &mut Vec<(String, Json)>,
) -> Result<(Vec<Value>, Vec<&'static str>), String> {
    let kind = spec.kind;
    let mut canonical = Vec::with_capacity(kind.attrs().len());
    let mut defaulted = Vec::new();
    for attr in kind.attrs() {
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
                defaulted.push(attr.name);
                Some(default.clone())
            }
            (true, None) => None,
            (false, _) => found,
        };
        let value = match found {
            None => Value::Null,
            Some(json) => coerce(attr, &json)?,
        };
        if value.is_null() && attr.required {
            return Err(format!("missing required attribute {:?}", attr.name));
        }
        canonical.push(value);
    }
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

/// Coerces one canonical attribute and applies its rule.
fn coerce(attr: &Attr, json: &Json) -> Result<Value, String> {
    let name = attr.name;
    let shown = || match json {
        Json::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if name == "severity"
        && let Some(level) = json.as_str().and_then(severity_from_colour)
    {
        return Ok(Value::Int(level));
    }
    let value = match attr.ty {
        FieldType::Integer => {
            let n = match json {
                Json::Number(n) => n
                    .as_i64()
                    .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
                Json::String(s) => s.trim().parse::<i64>().ok().or_else(|| {
                    s.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|f| f.fract() == 0.0 && f.is_finite())
                        .map(|f| f as i64)
                }),
                _ => None,
            };
            Value::Int(
                n.ok_or_else(|| format!("attribute {name}: expected an integer, got {}", shown()))?,
            )
        }
        FieldType::Number => {
            let n = match json {
                Json::Number(n) => n.as_f64(),
                Json::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
                _ => None,
            };
            Value::Float(
                n.ok_or_else(|| format!("attribute {name}: expected a number, got {}", shown()))?,
            )
        }
        FieldType::Boolean => {
            let b = match json {
                Json::Bool(b) => Some(*b),
                Json::Number(n) => n.as_i64().and_then(|i| match i {
                    0 => Some(false),
                    1 => Some(true),
                    _ => None,
                }),
                Json::String(s) => match s.trim().to_lowercase().as_str() {
                    "true" | "yes" | "1" | "y" | "是" => Some(true),
                    "false" | "no" | "0" | "n" | "否" => Some(false),
                    _ => None,
                },
                _ => None,
            };
            Value::Bool(b.ok_or_else(|| {
                format!("attribute {name}: expected true or false, got {}", shown())
            })?)
        }
        FieldType::String => match json {
            Json::String(s) => Value::Text(s.trim().into()),
            Json::Number(n) => Value::Text(n.to_string().into()),
            Json::Bool(b) => Value::Text(b.to_string().into()),
            _ => return Err(format!("attribute {name}: expected text, got {}", shown())),
        },
    };
    apply_rule(attr, value)
}

fn apply_rule(attr: &Attr, value: Value) -> Result<Value, String> {
    let name = attr.name;
    match attr.rule {
        Rule::Any => Ok(value),
        Rule::Range(lo, hi) => match value.as_i64() {
            Some(v) if (lo..=hi).contains(&v) => Ok(value),
            _ if name == "severity" => Err(format!(
                "unknown severity value {value}; severity is 1 (blue), 2 (yellow), 3 (orange) or 4 (red)"
            )),
            _ => Err(format!("attribute {name}: {value} is outside {lo}..={hi}")),
        },
        Rule::NonNegative => match value.as_f64() {
            Some(v) if v >= 0.0 => Ok(value),
            _ => Err(format!("attribute {name}: {value} must not be negative")),
        },
        Rule::Positive => match value.as_f64() {
            Some(v) if v > 0.0 => Ok(value),
            _ => Err(format!(
                "attribute {name}: {value} must be greater than zero"
            )),
        },
        Rule::OneOf { codes, aliases } => {
            let text = value.as_str().unwrap_or_default().trim();
            let lower = text.to_lowercase();
            if let Some(code) = codes.iter().find(|c| **c == lower) {
                return Ok(Value::Text((*code).into()));
            }
            if let Some((_, code)) = aliases.iter().find(|(alias, _)| *alias == text) {
                return Ok(Value::Text((*code).into()));
            }
            Err(format!(
                "attribute {name}: unknown value {text:?}; expected one of {}",
                codes.join(", ")
            ))
        }
        Rule::Aliased(aliases) => {
            let text = value.as_str().unwrap_or_default().trim();
            let normal = aliases
                .iter()
                .find(|(alias, _)| *alias == text)
                .map(|(_, c)| *c)
                .unwrap_or(text);
            Ok(Value::Text(normal.to_lowercase().into()))
        }
    }
}

fn severity_from_colour(s: &str) -> Option<i64> {
    match s.trim().to_lowercase().as_str() {
        "blue" | "蓝" | "蓝色" | "iv" | "ⅳ" => Some(1),
        "yellow" | "黄" | "黄色" | "iii" | "ⅲ" => Some(2),
        "orange" | "橙" | "橙色" | "ii" | "ⅱ" => Some(3),
        "red" | "红" | "红色" | "i" | "ⅰ" => Some(4),
        _ => None,
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
/// when values disagree, string.
fn infer_extra_columns(
    accepted: &[Accepted],
    text_cells: bool,
    attrs: &[Attr],
) -> Vec<(String, FieldType)> {
    let mut order: Vec<String> = Vec::new();
    let mut types: HashMap<String, Option<FieldType>> = HashMap::new();
    for a in accepted {
        for (name, json) in &a.extras {
            if attrs.iter().any(|at| at.name == name) {
                continue;
            }
            let ty = match json {
                Json::Null => continue,
                Json::Bool(_) => FieldType::Boolean,
                Json::Number(n) if n.is_i64() => FieldType::Integer,
                Json::Number(_) => FieldType::Number,
                Json::String(s) if text_cells => match numeric_cell(s) {
                    Some(f) if f.fract() == 0.0 && !s.contains('.') && f.abs() < 9.0e15 => {
                        FieldType::Integer
                    }
                    Some(_) => FieldType::Number,
                    None => FieldType::String,
                },
                _ => FieldType::String,
            };
            let slot = types.entry(name.clone()).or_insert_with(|| {
                order.push(name.clone());
                None
            });
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
        .map(|n| (n.clone(), types[&n].unwrap_or(FieldType::String)))
        .collect()
}

fn typed_extra(json: &Json, ty: FieldType, text_cells: bool) -> Value {
    match (ty, json) {
        (_, Json::Null) => Value::Null,
        (FieldType::Boolean, Json::Bool(b)) => Value::Bool(*b),
        (FieldType::Integer, Json::Number(n)) => n.as_i64().map(Value::Int).unwrap_or(Value::Null),
        (FieldType::Number, Json::Number(n)) => n.as_f64().map(Value::Float).unwrap_or(Value::Null),
        (FieldType::Integer, Json::String(s)) if text_cells => numeric_cell(s)
            .map(|f| Value::Int(f as i64))
            .unwrap_or(Value::Null),
        (FieldType::Number, Json::String(s)) if text_cells => {
            numeric_cell(s).map(Value::Float).unwrap_or(Value::Null)
        }
        (_, Json::String(s)) => Value::Text(s.as_str().into()),
        (_, other) => Value::Text(other.to_string().into()),
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
