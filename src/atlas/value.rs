//! Typed attribute values and field types.
//!
//! Attributes are stored per feature as a slice aligned with the layer's [`Schema`]
//! (one column per field), so a feature costs one pointer and its values, never a map.

use serde::Serialize;
use std::fmt;

/// The type of a layer field. Names follow JSON/TileJSON usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// True or false.
    Boolean,
    /// A whole number that fits 64 bits.
    Integer,
    /// Any finite number (f64).
    Number,
    /// Text.
    String,
}

impl FieldType {
    /// The TileJSON `vector_layers[].fields` description of this type.
    pub fn tilejson_name(self) -> &'static str {
        match self {
            FieldType::Boolean => "Boolean",
            FieldType::Integer | FieldType::Number => "Number",
            FieldType::String => "String",
        }
    }

    /// Whether values of this type are numbers (integer or not), as filters compare them.
    pub fn is_numeric(self) -> bool {
        matches!(self, FieldType::Integer | FieldType::Number)
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FieldType::Boolean => "boolean",
            FieldType::Integer => "integer",
            FieldType::Number => "number",
            FieldType::String => "string",
        })
    }
}

/// One attribute value. `Null` means "absent" and is never written to tiles.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// No value.
    Null,
    /// A boolean field's value.
    Bool(bool),
    /// An integer field's value.
    Int(i64),
    /// A number field's value.
    Float(f64),
    /// A string field's value.
    Text(Box<str>),
}

impl Value {
    /// Whether the value is absent.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this is how a field of type `ty` holds a value (null fits every type).
    pub fn is_of(&self, ty: FieldType) -> bool {
        matches!(
            (self, ty),
            (Value::Null, _)
                | (Value::Bool(_), FieldType::Boolean)
                | (Value::Int(_), FieldType::Integer)
                | (Value::Float(_), FieldType::Number)
                | (Value::Text(_), FieldType::String)
        )
    }

    /// The value as a number, for numeric comparisons (integers widen to f64).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The value as a whole number: an integer, or a number with no fraction that f64
    /// holds exactly (below 9×10¹⁵).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            _ => None,
        }
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The value as JSON; a non-finite number becomes null, as JSON has no spelling
    /// for it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Text(s) => serde_json::Value::String(s.to_string()),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

/// A named, typed column of a layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    /// The column's name: a canonical attribute's, or the source's own.
    pub name: String,
    /// The type every non-null value of the column has.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// Holds personal data (see [`super::personal`]): masked for those below planner.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub personal: bool,
}

impl Field {
    /// A field that holds no personal data.
    pub fn new(name: impl Into<String>, ty: FieldType) -> Field {
        Field {
            name: name.into(),
            ty,
            personal: false,
        }
    }
}

/// The ordered fields of a layer; a feature's values are aligned with it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Schema {
    fields: Vec<Field>,
}

impl Schema {
    /// A schema of `fields`, in that order.
    pub fn new(fields: Vec<Field>) -> Self {
        Schema { fields }
    }

    /// The fields in column order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether there is no field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The column of field `name`: where its value sits in a feature's attributes.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The field names in column order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_serialises_as_json_null_and_text_as_string() {
        assert_eq!(serde_json::to_string(&Value::Null).unwrap(), "null");
        assert_eq!(
            serde_json::to_string(&Value::Text("清河村".into())).unwrap(),
            "\"清河村\""
        );
    }

    #[test]
    fn integral_floats_convert_to_integers_but_fractions_do_not() {
        assert_eq!(Value::Float(3.0).as_i64(), Some(3));
        assert_eq!(Value::Float(3.5).as_i64(), None);
    }
}
