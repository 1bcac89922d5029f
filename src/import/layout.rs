//! How a layer's features are held while it is validated, and how they become its rows.
//!
//! Apart from validation because it answers a different question: not whether a feature
//! may load, but where its values sit. Ten million accepted features can be in memory at
//! once, and memory touched for the first time costs a virtual machine about as much as
//! the parsing (benches/README.md), so an [`Accepted`] feature is laid out as the final
//! [`Feature`] will be, and the layer's columns are only decided once all of it is seen:
//!
//! 1. each feature's values are stored as the attributes it has, in column order, and
//!    which attributes those are is its [`Shape`], numbered once per layer ([`Shapes`]);
//! 2. the columns are chosen over the whole layer ([`Columns::plan`]): the kind
//!    attributes some feature has or the kind requires, then the extra properties, each
//!    typed by all its values;
//! 3. each feature becomes its row ([`Columns::features`]): when it has every column
//!    (the usual case) its values already are the row, without a copy; otherwise they
//!    are spread out, with nulls where it has no value.

use super::validate::Valid;
use crate::atlas::{Feature, Field, FieldType, Kind, Value};
use geo::Geometry;
use serde_json::Value as Json;
use std::collections::HashMap;

/// A validated feature, held until the whole layer has been seen (extra columns are typed
/// over all of it), its values laid out as the final [`Feature`]'s will be: the
/// attributes it has, in column order, so that when every feature has the same
/// attributes they become the feature's attributes without a copy.
pub(super) struct Accepted {
    /// Position in the source, for messages.
    pub(super) index: usize,
    pub(super) id: Option<Box<str>>,
    pub(super) geometry: Geometry<f64>,
    /// The kind attributes this feature has, in the kind's order, then its other non-null
    /// properties as read (see [`extra_value`]), in the order of its shape's columns.
    pub(super) values: Box<[Value]>,
    /// Which attributes `values` holds: an index into [`Shapes`].
    pub(super) shape: u32,
    /// Kind attributes filled from `[layer.defaults]`.
    pub(super) defaulted: AttrSet,
}

/// A set of a kind's attributes, bit `i` for `kind.attrs()[i]` (a kind has at most 64).
pub(super) type AttrSet = u64;

/// Which attributes a feature has: kind attributes and extra columns by number.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub(super) struct Shape {
    present: AttrSet,
    extras: Vec<u32>,
}

/// The distinct shapes of a layer's features and the names of its extra columns, both
/// numbered in order of appearance. A layer has a handful of shapes however many features.
#[derive(Default)]
pub(super) struct Shapes {
    shapes: Vec<Shape>,
    numbers: HashMap<Shape, u32>,
    /// The shape of the feature stored last.
    last: Option<u32>,
    extra_names: Vec<String>,
    extra_numbers: HashMap<String, u32>,
}

impl Shapes {
    /// Feature `a`'s value of its kind's attribute `i`, if it has one.
    pub(super) fn canonical<'v>(&self, a: &'v Accepted, i: usize) -> Option<&'v Value> {
        let present = self.shapes[a.shape as usize].present;
        // Present kind attributes come first in `values`, in the kind's order.
        (present & (1 << i) != 0)
            .then(|| &a.values[(present & ((1 << i) - 1)).count_ones() as usize])
    }

    /// The compact form of a valid feature of `kind`; `scratch` is the shape being
    /// assembled, kept by the caller to reuse its buffer.
    pub(super) fn store(&mut self, scratch: &mut Shape, kind: Kind, valid: Valid) -> Accepted {
        let attrs = kind.attrs();
        let shape = scratch;
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
            shape.extras.push(self.extra_column(name));
            values.push(extra_value(json));
        }
        let shape = self.number(shape);
        Accepted {
            index: valid.index,
            id: valid.id.map(String::into_boxed_str),
            geometry: valid.geometry,
            values: values.into_boxed_slice(),
            shape,
            defaulted: valid.defaulted,
        }
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

/// An extra column that holds a value somewhere in the layer, and its type.
#[derive(Clone, Copy)]
struct ExtraColumn {
    /// The column's number in [`Shapes`].
    column: u32,
    ty: FieldType,
}

/// A layer's columns, decided once every feature has been seen.
pub(super) struct Columns {
    /// The kind attributes that are columns: all of them.
    canonical: AttrSet,
    /// How many kind attributes are columns; the extra columns follow them.
    base: usize,
    /// The extra columns, in order of each one's first value.
    extras: Vec<ExtraColumn>,
    /// Extra column number → its position among `extras`.
    extra_pos: Vec<usize>,
    /// The shape whose values are already the final attributes, if any feature has it.
    final_shape: Option<u32>,
    /// The extras were read as text (CSV cells), so numbers in them are parsed.
    text_cells: bool,
}

impl Columns {
    /// Decides the columns of `accepted`, features of `kind` stored in `shapes`.
    pub(super) fn plan(
        kind: Kind,
        accepted: &[Accepted],
        shapes: &Shapes,
        text_cells: bool,
    ) -> Columns {
        let canonical = canonical_columns(kind);
        let extras = infer_extra_columns(accepted, shapes, text_cells);
        let mut extra_pos: Vec<usize> = vec![usize::MAX; shapes.extra_names.len()];
        for (pos, extra) in extras.iter().enumerate() {
            extra_pos[extra.column as usize] = pos;
        }
        let final_shape = Shape {
            present: canonical,
            extras: extras.iter().map(|e| e.column).collect(),
        };
        let final_shape = shapes.numbers.get(&final_shape).copied();
        Columns {
            canonical,
            base: canonical.count_ones() as usize,
            extras,
            extra_pos,
            final_shape,
            text_cells,
        }
    }

    /// The layer's schema: kind attributes in the kind's order, then the extra columns.
    pub(super) fn fields(&self, kind: Kind, shapes: &Shapes) -> Vec<Field> {
        let mut fields: Vec<Field> = kind
            .attrs()
            .iter()
            .enumerate()
            .filter(|(i, _)| self.canonical & (1 << i) != 0)
            .map(|(_, a)| Field::new(a.name, a.ty))
            .collect();
        fields.extend(
            self.extras
                .iter()
                .map(|e| Field::new(shapes.extra_names[e.column as usize].clone(), e.ty)),
        );
        fields
    }

    /// The accepted features as the layer's features, their values in column order; a
    /// feature without an id is named by its fid.
    pub(super) fn features(
        &self,
        kind: Kind,
        accepted: Vec<Accepted>,
        shapes: &Shapes,
    ) -> Vec<Feature> {
        let attr_count = kind.attrs().len();
        // In place: the accepted list's memory becomes the feature list's.
        accepted
            .into_iter()
            .enumerate()
            .map(|(fid, a)| {
                let attrs = self.row(a.values, a.shape, shapes, attr_count);
                Feature {
                    id: a.id.unwrap_or_else(|| fid.to_string().into()),
                    geometry: a.geometry,
                    attrs,
                }
            })
            .collect()
    }

    /// One feature's values, as stored in its `shape`, in column order.
    fn row(
        &self,
        values: Box<[Value]>,
        shape: u32,
        shapes: &Shapes,
        attr_count: usize,
    ) -> Box<[Value]> {
        let already_final = Some(shape) == self.final_shape
            && values[self.base..]
                .iter()
                .zip(&self.extras)
                .all(|(v, e)| v.is_of(e.ty));
        if already_final {
            return values;
        }
        let shape = &shapes.shapes[shape as usize];
        let mut given = values.into_iter();
        let mut row: Vec<Value> = (0..attr_count)
            .filter(|i| self.canonical & (1 << i) != 0)
            .map(|i| match shape.present & (1 << i) {
                0 => Value::Null,
                _ => given.next().expect("one value per present attribute"),
            })
            .collect();
        row.resize(self.base + self.extras.len(), Value::Null);
        for (&column, value) in shape.extras.iter().zip(given) {
            let pos = self.extra_pos[column as usize];
            row[self.base + pos] = typed_extra(value, self.extras[pos].ty, self.text_cells);
        }
        row.into_boxed_slice()
    }
}

/// The kind attributes that are columns: every one, whether or not the source had it,
/// so that every canonical attribute can be edited and filtered on. A shelter closed in
/// the middle of an event (`PATCH … {"status": "closed"}`), or a drill recorded as held,
/// must never meet a column the file lacked.
fn canonical_columns(kind: Kind) -> AttrSet {
    (0..kind.attrs().len()).fold(0, |set, i| set | (1 << i))
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
/// when values disagree, string. The columns come in order of each one's first value.
fn infer_extra_columns(
    accepted: &[Accepted],
    shapes: &Shapes,
    text_cells: bool,
) -> Vec<ExtraColumn> {
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
        .map(|column| ExtraColumn {
            column,
            ty: types[column as usize].unwrap_or(FieldType::String),
        })
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
    use crate::import::source::{CsvOptions, read_csv};
    use crate::import::validate::build_layer;
    use crate::import::validate::tests::{points, spec};

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
    /// in its column, absent ones are null, every kind attribute comes first in the kind's
    /// order (those no feature has too), then extra columns in order of first value, each
    /// typed by all its values.
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
            names[..8],
            [
                "hazard_type",
                "threatened_people",
                "threatened_households",
                "threat_radius_m",
                "severity",
                "name",
                "contact_name",
                "contact_phone"
            ]
        );
        // The first feature's extras in the reader's order, then the one first seen later.
        let mut first = names[8..10].to_vec();
        first.sort();
        assert_eq!(first, ["flag", "mixed"]);
        assert_eq!(names[10..], ["late"]);
        assert_eq!(layer.value(0, "hazard_type"), &Value::Null);
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
}
