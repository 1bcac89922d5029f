//! Canonical attribute values: a source's JSON (or CSV text) coerced to the kind's type
//! for the attribute, then held to the attribute's rule (see `atlas::kind`).

use crate::atlas::kind::{Attr, Rule};
use crate::atlas::{FieldType, Value};
use serde_json::Value as Json;

/// Coerces one canonical attribute and applies its rule.
pub(super) fn coerce(attr: &Attr, json: &Json) -> Result<Value, String> {
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
