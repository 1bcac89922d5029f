//! Canonical attribute values: taken out of a feature's properties (or filled from the
//! manifest's defaults), a source's JSON (or CSV text) coerced to the kind's type for the
//! attribute, then held to the attribute's rule and the kind's relations between
//! attributes (see `atlas::kind`, where the bounds live). A required attribute that is
//! missing names the near-miss field that was likely meant.

use super::layout::AttrSet;
use super::manifest::LayerSpec;
use crate::atlas::kind::{Attr, Kind, Rule, severity_level};
use crate::atlas::{FieldType, Value};
use serde_json::Value as Json;

/// Why a canonical attribute's value is refused (the rules added with the bounds; the
/// older checks still spell their reasons in place).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AttrError {
    #[error("attribute {name}: expected an integer, got {shown}")]
    NotInteger { name: &'static str, shown: String },
    #[error("attribute {name}: expected a whole number, got {shown}")]
    Fraction { name: &'static str, shown: String },
    #[error("attribute {name}: {shown} does not fit in a 64-bit integer")]
    TooLarge { name: &'static str, shown: String },
    #[error("attribute {name}: {shown} is above {max}, the largest count one feature may hold")]
    AboveBound {
        name: &'static str,
        shown: String,
        max: i64,
    },
    #[error(
        "attribute {small}: {value} is more than the {large} {bound}; {small} may not exceed {large}"
    )]
    Exceeds {
        small: &'static str,
        large: &'static str,
        value: Value,
        bound: Value,
    },
}

/// Why a value is not an exact 64-bit whole number.
enum NotWhole {
    NotANumber,
    Fraction,
    TooLarge,
}

/// A JSON number or numeric text as the whole number it exactly is. A whole number beyond
/// i64 is `TooLarge`, never saturated: an `as` cast once stored a capacity of 1e20 as
/// 9223372036854775807.
fn whole_number(json: &Json) -> Result<i64, NotWhole> {
    let f = match json {
        Json::Number(n) => match (n.as_i64(), n.is_u64()) {
            (Some(i), _) => return Ok(i),
            (None, true) => return Err(NotWhole::TooLarge),
            (None, false) => n.as_f64().ok_or(NotWhole::NotANumber)?,
        },
        Json::String(s) => match s.trim().parse::<i64>() {
            Ok(i) => return Ok(i),
            Err(_) => s.trim().parse::<f64>().map_err(|_| NotWhole::NotANumber)?,
        },
        _ => return Err(NotWhole::NotANumber),
    };
    // -2^63 is i64::MIN exactly; 2^63 is the first f64 past i64::MAX.
    const I64_RANGE: std::ops::Range<f64> =
        -9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0;
    if !f.is_finite() {
        Err(NotWhole::NotANumber)
    } else if f.fract() != 0.0 {
        Err(NotWhole::Fraction)
    } else if I64_RANGE.contains(&f) {
        Ok(f as i64)
    } else {
        Err(NotWhole::TooLarge)
    }
}

/// An integer attribute's value, or why not: a count too large for 64 bits is reported
/// against its own bound, which is what the planner needs to read.
fn integer(attr: &Attr, json: &Json, shown: String) -> Result<Value, AttrError> {
    let name = attr.name;
    match whole_number(json) {
        Ok(i) => Ok(Value::Int(i)),
        Err(NotWhole::NotANumber) => Err(AttrError::NotInteger { name, shown }),
        Err(NotWhole::Fraction) => Err(AttrError::Fraction { name, shown }),
        Err(NotWhole::TooLarge) => match attr.rule {
            Rule::Count(max) => Err(AttrError::AboveBound { name, shown, max }),
            _ => Err(AttrError::TooLarge { name, shown }),
        },
    }
}

/// Holds a feature's kind attributes (one value per attribute, in the kind's order,
/// `Null` where absent) to the kind's `not_above` pairs: occupancy within capacity.
pub(super) fn check_relations(kind: Kind, values: &[Value]) -> Result<(), AttrError> {
    let at = |name: &str| {
        kind.attrs()
            .iter()
            .position(|a| a.name == name)
            .expect("not_above names attributes of its kind")
    };
    for &(small, large) in kind.not_above() {
        let (value, bound) = (&values[at(small)], &values[at(large)]);
        if let (Some(v), Some(b)) = (value.as_f64(), bound.as_f64())
            && v > b
        {
            return Err(AttrError::Exceeds {
                small,
                large,
                value: value.clone(),
                bound: bound.clone(),
            });
        }
    }
    Ok(())
}

/// Coerces one canonical attribute and applies its rule.
pub(super) fn coerce(attr: &Attr, json: &Json) -> Result<Value, String> {
    let name = attr.name;
    let shown = || match json {
        Json::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if name == "severity"
        && let Some(level) = json.as_str().and_then(severity_level)
    {
        return Ok(Value::Int(level));
    }
    let value = match attr.ty {
        FieldType::Integer => integer(attr, json, shown()).map_err(|e| e.to_string())?,
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
        Rule::Count(max) => match value.as_f64() {
            Some(v) if v < 0.0 => Err(format!("attribute {name}: {value} must not be negative")),
            Some(v) if v <= max as f64 => Ok(value),
            _ => Err(AttrError::AboveBound {
                name,
                shown: value.to_string(),
                max,
            }
            .to_string()),
        },
        Rule::Positive => match value.as_f64() {
            Some(v) if v > 0.0 => Ok(value),
            _ => Err(format!(
                "attribute {name}: {value} must be greater than zero"
            )),
        },
        Rule::OneOf { codes, .. } => {
            let text = value.as_str().unwrap_or_default();
            attr.stored_text(text)
                .map(|code| Value::Text(code.into()))
                .ok_or_else(|| {
                    format!(
                        "attribute {name}: unknown value {:?}; expected one of {}",
                        text.trim(),
                        codes.join(", ")
                    )
                })
        }
        Rule::Aliased(_) => {
            let text = value.as_str().unwrap_or_default();
            Ok(Value::Text(
                attr.stored_text(text).unwrap_or_default().into(),
            ))
        }
    }
}

/// Takes the kind's attributes out of `props` (what is left are extras), typed, checked
/// and defaulted; also says which were filled from defaults.
pub(super) fn canonical_attributes(
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
            Some(json) => coerce(attr, &json)?,
        };
        if value.is_null() && attr.required {
            // A near-miss among the fields that are not the kind's: likely what was meant.
            let others = props
                .iter()
                .map(|(n, _)| n.as_str())
                .filter(|n| kind.attr(n).is_none());
            let hint = match crate::atlas::suggest::nearest(attr.name, others) {
                Some(near) => format!(
                    "; did you mean `{near}`? map it with `{} = {:?}` in [layer.fields]",
                    attr.name, near
                ),
                None => String::new(),
            };
            return Err(format!("missing required attribute {:?}{hint}", attr.name));
        }
        canonical.push(value);
    }
    check_relations(kind, &canonical).map_err(|e| e.to_string())?;
    Ok((canonical, defaulted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attr(kind: Kind, name: &str) -> &'static Attr {
        kind.attr(name).unwrap()
    }

    #[test]
    fn whole_numbers_beyond_64_bits_are_refused_not_saturated() {
        let period = attr(Kind::Flood, "return_period_years");
        for big in [json!(1e20), json!(u64::MAX), json!("1e20"), json!(9.3e18)] {
            let err = coerce(period, &big).unwrap_err();
            assert!(
                err.contains("does not fit in a 64-bit integer"),
                "{big}: {err}"
            );
        }
        assert_eq!(coerce(period, &json!(1e3)), Ok(Value::Int(1000)));
        assert_eq!(coerce(period, &json!(" 50 ")), Ok(Value::Int(50)));
        let err = coerce(period, &json!(2.5)).unwrap_err();
        assert_eq!(
            err,
            "attribute return_period_years: expected a whole number, got 2.5"
        );
        let err = coerce(period, &json!("NaN")).unwrap_err();
        assert_eq!(
            err,
            r#"attribute return_period_years: expected an integer, got "NaN""#
        );
    }

    #[test]
    fn counts_are_held_to_their_bound_with_the_bound_named() {
        let capacity = attr(Kind::Shelter, "capacity");
        assert_eq!(
            // serde_json spells 1e20 as 1e+20.
            coerce(capacity, &json!(1e20)).unwrap_err(),
            "attribute capacity: 1e+20 is above 50000000, the largest count one feature may hold"
        );
        assert_eq!(
            coerce(capacity, &json!(50_000_001)).unwrap_err(),
            "attribute capacity: 50000001 is above 50000000, the largest count one feature may hold"
        );
        assert_eq!(
            coerce(capacity, &json!(50_000_000)),
            Ok(Value::Int(50_000_000))
        );
        assert!(
            coerce(capacity, &json!(-1))
                .unwrap_err()
                .contains("must not be negative")
        );
        let rice = attr(Kind::Depot, "rice_kg");
        assert!(
            coerce(rice, &json!(2e9))
                .unwrap_err()
                .contains("above 1000000000")
        );
        assert_eq!(coerce(rice, &json!(1e9)), Ok(Value::Float(1e9)));
    }

    #[test]
    fn occupancy_may_not_exceed_capacity() {
        let values = |capacity: Value, occupancy: Value| {
            Kind::Shelter
                .attrs()
                .iter()
                .map(|a| match a.name {
                    "capacity" => capacity.clone(),
                    "occupancy" => occupancy.clone(),
                    _ => Value::Null,
                })
                .collect::<Vec<_>>()
        };
        let err = check_relations(Kind::Shelter, &values(Value::Int(50), Value::Int(99_999)));
        assert_eq!(
            err.unwrap_err().to_string(),
            "attribute occupancy: 99999 is more than the capacity 50; occupancy may not exceed capacity"
        );
        assert!(check_relations(Kind::Shelter, &values(Value::Int(50), Value::Int(50))).is_ok());
        assert!(check_relations(Kind::Shelter, &values(Value::Int(50), Value::Null)).is_ok());
    }
}
