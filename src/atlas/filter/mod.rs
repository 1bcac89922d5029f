//! Attribute filters: the `where` of feature queries, and a scenario hazard's `filter`.
//!
//! A filter is parsed once against a layer's schema and kind, so an unknown field, a
//! comparison of the wrong type or a value the field cannot hold is a clear error at the
//! boundary, and evaluation cannot fail. Values are read as import reads them (the one
//! normalisation in [`Attr::stored_text`] and [`severity_level`]): `hazard_type = 滑坡`
//! finds the landslides a file spelled `滑坡`, since import stored them as `landslide`,
//! and `severity = 红色` finds severity 4.
//!
//! The grammar of the text form (keywords in any case; README "Feature queries"):
//!
//! ```text
//! filter    = or
//! or        = and { "or" and }
//! and       = not { "and" not }
//! not       = "not" not | "(" or ")" | condition
//! condition = field op value                      op: = != < <= > >=
//!           | field ["not"] "in" "(" value { "," value } ")"
//!           | field ["not"] "like" value           % any run, _ one character
//!           | field "is" ["not"] "null"
//! field, value = a word, or text in '…' or "…"
//! ```
//!
//! Comparisons follow SQL's three-valued logic: a missing value satisfies no comparison,
//! not even `!=`, and `not` of such a comparison is no more true; `is null` asks for
//! missing values.

mod parse;

use super::kind::{Attr, Kind, severity_level};
use super::value::{FieldType, Schema, Value};

/// Longest `where` text accepted; bounds parsing work for any client input.
pub const MAX_FILTER_LEN: usize = 2000;

/// A comparison operator of a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

#[derive(Debug, Clone, PartialEq)]
enum Operand {
    Number(f64),
    Text(String),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Condition {
    Compare {
        column: usize,
        op: Op,
        operand: Operand,
    },
    In {
        column: usize,
        operands: Vec<Operand>,
    },
    /// A text pattern, as characters: `%` any run, `_` any one.
    Like {
        column: usize,
        pattern: Vec<char>,
    },
    IsNull {
        column: usize,
    },
}

/// A filter expression.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Condition(Condition),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

/// A parsed filter; the default one matches every feature.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    expr: Option<Expr>,
}

/// Why a `where` text is refused; each says what to fix.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FilterError {
    /// Longer than [`MAX_FILTER_LEN`] characters (how many it had).
    #[error("where is too long ({0} characters; at most {MAX_FILTER_LEN})")]
    TooLong(usize),
    /// Not the grammar of the module doc: where, and what was expected there.
    #[error("where: {0}")]
    Syntax(String),
    /// A field the layer does not have.
    #[error("where: unknown field {field:?}; fields are: {known}")]
    UnknownField {
        /// The field as written.
        field: String,
        /// The layer's fields, comma-separated.
        known: String,
    },
    /// A value or operator the field's type does not take.
    #[error("where: field {field:?} is {ty}; {detail}")]
    WrongType {
        /// The field compared.
        field: String,
        /// Its type in the layer's schema.
        ty: FieldType,
        /// What was wrong with the comparison.
        detail: String,
    },
}

/// What a filter is parsed against: a layer's schema, and its kind for how values are
/// spelled.
#[derive(Clone, Copy)]
struct Fields<'a> {
    schema: &'a Schema,
    kind: Kind,
}

impl Fields<'_> {
    /// The column and type of `field`, or an error listing the fields there are.
    fn column(&self, field: &str) -> Result<(usize, FieldType), FilterError> {
        let column = self
            .schema
            .position(field)
            .ok_or_else(|| FilterError::UnknownField {
                field: field.to_string(),
                known: self.schema.names().collect::<Vec<_>>().join(", "),
            })?;
        Ok((column, self.schema.fields()[column].ty))
    }

    /// `text` as a value of `field`, read as import reads the field.
    fn operand(&self, field: &str, ty: FieldType, text: &str) -> Result<Operand, FilterError> {
        let wrong = |detail: String| FilterError::WrongType {
            field: field.into(),
            ty,
            detail,
        };
        let attr: Option<&Attr> = self.kind.attr(field);
        match ty {
            FieldType::Integer | FieldType::Number => {
                let level = (field == "severity")
                    .then(|| severity_level(text))
                    .flatten();
                level
                    .map(|l| l as f64)
                    .or_else(|| text.trim().parse::<f64>().ok().filter(|n| n.is_finite()))
                    .map(Operand::Number)
                    .ok_or_else(|| wrong(format!("{text:?} is not a number")))
            }
            FieldType::Boolean => match text.trim().to_lowercase().as_str() {
                "true" | "yes" | "是" => Ok(Operand::Bool(true)),
                "false" | "no" | "否" => Ok(Operand::Bool(false)),
                _ => Err(wrong(format!("{text:?} is not true or false"))),
            },
            FieldType::String => match attr {
                Some(attr) => attr.stored_text(text).map(Operand::Text).ok_or_else(|| {
                    wrong(match attr.rule {
                        super::kind::Rule::OneOf { codes, .. } => format!(
                            "{text:?} is not one of its values ({}, or their Chinese names)",
                            codes.join(", ")
                        ),
                        _ => format!("{text:?} is not one of its values"),
                    })
                }),
                None => Ok(Operand::Text(text.to_string())),
            },
        }
    }
}

impl Filter {
    /// Parses `text` against a layer's `schema`, reading values as its `kind` spells
    /// them (the grammar is in the module doc).
    pub fn parse(text: &str, schema: &Schema, kind: Kind) -> Result<Filter, FilterError> {
        if text.chars().count() > MAX_FILTER_LEN {
            return Err(FilterError::TooLong(text.chars().count()));
        }
        let expr = parse::parse(text, Fields { schema, kind })?;
        Ok(Filter { expr: Some(expr) })
    }

    /// Builds a filter from its JSON form, as scenarios write it:
    /// `{"return_period_years": {"lte": 50}, "hazard_type": {"in": ["landslide"]}}`,
    /// with operators `eq`, `ne`, `lt`, `lte`, `gt`, `gte` and `in`. All must hold.
    pub fn from_json(
        json: &serde_json::Value,
        schema: &Schema,
        kind: Kind,
    ) -> Result<Filter, FilterError> {
        let fields = Fields { schema, kind };
        let object = json.as_object().ok_or_else(|| {
            FilterError::Syntax("a filter is an object of field → {operator: value}".into())
        })?;
        let mut all = Vec::new();
        for (field, ops) in object {
            let (column, ty) = fields.column(field)?;
            let ops = ops.as_object().ok_or_else(|| {
                FilterError::Syntax(format!("{field:?}: expected {{\"eq\"|\"lte\"|...: value}}"))
            })?;
            for (op, value) in ops {
                let operand = |v: &serde_json::Value| -> Result<Operand, FilterError> {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Number(n) => n.to_string(),
                        serde_json::Value::Bool(b) => b.to_string(),
                        other => {
                            return Err(FilterError::Syntax(format!(
                                "{field:?}: {other} is not a value"
                            )));
                        }
                    };
                    fields.operand(field, ty, &text)
                };
                let op = match op.as_str() {
                    "in" => {
                        let list = value.as_array().ok_or_else(|| {
                            FilterError::Syntax(format!("{field:?}: \"in\" takes a list"))
                        })?;
                        let operands = list.iter().map(operand).collect::<Result<_, _>>()?;
                        all.push(Expr::Condition(Condition::In { column, operands }));
                        continue;
                    }
                    "eq" => Op::Eq,
                    "ne" => Op::Ne,
                    "lt" => Op::Lt,
                    "lte" => Op::Le,
                    "gt" => Op::Gt,
                    "gte" => Op::Ge,
                    other => {
                        return Err(FilterError::Syntax(format!(
                            "{field:?}: unknown operator {other:?}; use eq, ne, lt, lte, gt, gte or in"
                        )));
                    }
                };
                ordered_needs_number(field, ty, op, "lt, lte, gt or gte")?;
                all.push(Expr::Condition(Condition::Compare {
                    column,
                    op,
                    operand: operand(value)?,
                }));
            }
        }
        Ok(Filter {
            expr: Some(Expr::And(all)),
        })
    }

    /// The schema columns the conditions test.
    pub fn columns(&self) -> Vec<usize> {
        fn walk(e: &Expr, out: &mut Vec<usize>) {
            match e {
                Expr::Condition(
                    Condition::Compare { column, .. }
                    | Condition::In { column, .. }
                    | Condition::Like { column, .. }
                    | Condition::IsNull { column },
                ) => out.push(*column),
                Expr::Not(e) => walk(e, out),
                Expr::And(es) | Expr::Or(es) => es.iter().for_each(|e| walk(e, out)),
            }
        }
        let mut out = Vec::new();
        if let Some(e) = &self.expr {
            walk(e, &mut out);
        }
        out
    }

    /// Whether a feature's attributes (aligned with the schema it was parsed against) match.
    pub fn matches(&self, attrs: &[Value]) -> bool {
        self.expr
            .as_ref()
            .is_none_or(|e| eval(e, attrs) == Some(true))
    }
}

/// `<`, `<=`, `>`, `>=` compare numbers only.
fn ordered_needs_number(field: &str, ty: FieldType, op: Op, ops: &str) -> Result<(), FilterError> {
    if matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge) && !ty.is_numeric() {
        return Err(FilterError::WrongType {
            field: field.into(),
            ty,
            detail: format!("only numeric fields compare with {ops}"),
        });
    }
    Ok(())
}

/// Three-valued: `None` is SQL's unknown (a comparison with a missing value).
fn eval(expr: &Expr, attrs: &[Value]) -> Option<bool> {
    match expr {
        Expr::Condition(c) => condition(c, attrs),
        Expr::Not(e) => eval(e, attrs).map(|b| !b),
        Expr::And(es) => es
            .iter()
            .try_fold(Some(true), |acc, e| match eval(e, attrs) {
                Some(false) => Err(()),
                None => Ok(None),
                Some(true) => Ok(acc),
            })
            .unwrap_or(Some(false)),
        Expr::Or(es) => es
            .iter()
            .try_fold(Some(false), |acc, e| match eval(e, attrs) {
                Some(true) => Err(()),
                None => Ok(None),
                Some(false) => Ok(acc),
            })
            .unwrap_or(Some(true)),
    }
}

fn condition(c: &Condition, attrs: &[Value]) -> Option<bool> {
    match c {
        Condition::Compare {
            column,
            op,
            operand,
        } => compare(&attrs[*column], *op, operand),
        Condition::In { column, operands } => {
            let found = operands
                .iter()
                .map(|o| compare(&attrs[*column], Op::Eq, o))
                .collect::<Option<Vec<bool>>>()?;
            Some(found.contains(&true))
        }
        Condition::Like { column, pattern } => {
            let text = attrs[*column].as_str()?;
            Some(like(&text.chars().collect::<Vec<_>>(), pattern))
        }
        Condition::IsNull { column } => Some(attrs[*column].is_null()),
    }
}

fn compare(value: &Value, op: Op, operand: &Operand) -> Option<bool> {
    use std::cmp::Ordering;
    let o: Ordering = match (value, operand) {
        (Value::Null, _) => return None,
        (v, Operand::Number(n)) => v.as_f64().and_then(|x| x.partial_cmp(n))?,
        (Value::Text(s), Operand::Text(t)) => s.as_ref().cmp(t.as_str()),
        (Value::Bool(b), Operand::Bool(c)) => b.cmp(c),
        _ => return None,
    };
    Some(match op {
        Op::Eq => o == Ordering::Equal,
        Op::Ne => o != Ordering::Equal,
        Op::Lt => o == Ordering::Less,
        Op::Le => o != Ordering::Greater,
        Op::Gt => o == Ordering::Greater,
        Op::Ge => o != Ordering::Less,
    })
}

/// SQL `LIKE`: `%` matches any run of characters, `_` any one; the rest literally
/// (case-sensitive, as SQL's). The textbook wildcard match that backtracks only to the
/// last `%`, so it is linear in practice and never exponential.
fn like(text: &[char], pattern: &[char]) -> bool {
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '_' || pattern[p] == text[t]) && pattern[p] != '%' {
            t += 1;
            p += 1;
        } else if p < pattern.len() && pattern[p] == '%' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '%')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::value::Field;

    /// A landslide layer's fields: hazard_type is a closed vocabulary with Chinese
    /// spellings, severity 1–4, and a boolean of no kind.
    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("severity", FieldType::Integer),
            Field::new("hazard_type", FieldType::String),
            Field::new("oneway", FieldType::Boolean),
            Field::new("name", FieldType::String),
        ])
    }

    fn row(sev: i64, kind: &str) -> Vec<Value> {
        vec![
            Value::Int(sev),
            Value::Text(kind.into()),
            Value::Null,
            Value::Text(format!("{kind} site").into()),
        ]
    }

    fn parse(text: &str) -> Result<Filter, FilterError> {
        Filter::parse(text, &schema(), Kind::Landslide)
    }

    #[test]
    fn like_matches_runs_and_single_characters() {
        let t = |s: &str| s.chars().collect::<Vec<_>>();
        assert!(like(&t("南门村"), &t("南%")));
        assert!(like(&t("南门村"), &t("%门%")));
        assert!(like(&t("南门村"), &t("南_村")));
        assert!(!like(&t("南门村"), &t("南_")));
        assert!(like(&t(""), &t("%")));
        assert!(!like(&t("abc"), &t("%d%")));
        assert!(like(&t("aaab"), &t("%a%b")));
    }

    #[test]
    fn chinese_spellings_are_read_as_import_stores_them() {
        let f = parse("hazard_type='滑坡'").unwrap();
        assert!(f.matches(&row(1, "landslide")));
        let f = parse("severity = 红色").unwrap();
        assert!(f.matches(&row(4, "collapse")));
        assert!(!f.matches(&row(3, "collapse")));
        let e = parse("hazard_type = flood").unwrap_err().to_string();
        assert!(e.contains("landslide, collapse"), "{e}");
    }

    #[test]
    fn missing_values_satisfy_no_comparison_and_not_does_not_change_that() {
        for text in ["oneway = true", "oneway != true", "not oneway = true"] {
            assert!(!parse(text).unwrap().matches(&row(1, "x")), "{text}");
        }
        assert!(parse("oneway is null").unwrap().matches(&row(1, "x")));
        assert!(!parse("oneway is not null").unwrap().matches(&row(1, "x")));
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_named_in_the_error() {
        let e = parse("colour = red").unwrap_err().to_string();
        assert!(e.contains("colour") && e.contains("severity"), "{e}");
        let e = parse("severity = high").unwrap_err().to_string();
        assert!(e.contains("not a number"), "{e}");
        let e = parse("hazard_type > a").unwrap_err().to_string();
        assert!(e.contains("only numeric"), "{e}");
        let e = parse("severity like '3%'").unwrap_err().to_string();
        assert!(e.contains("text"), "{e}");
    }

    #[test]
    fn json_filters_mean_the_same_as_text_filters() {
        let json = serde_json::json!({"severity": {"gte": 3}, "hazard_type": {"in": ["landslide", "泥石流"]}});
        let a = Filter::from_json(&json, &schema(), Kind::Landslide).unwrap();
        let b = parse("severity >= 3 and hazard_type in (landslide, debris_flow)").unwrap();
        for r in [
            row(3, "landslide"),
            row(2, "landslide"),
            row(4, "collapse"),
            row(4, "debris_flow"),
        ] {
            assert_eq!(a.matches(&r), b.matches(&r));
        }
    }

    #[test]
    fn json_filters_reject_wrong_types_and_unknown_operators() {
        let bad = [
            serde_json::json!({"severity": {"lte": "high"}}),
            serde_json::json!({"hazard_type": {"gte": 3}}),
            serde_json::json!({"severity": {"about": 3}}),
            serde_json::json!({"nope": {"eq": 1}}),
            serde_json::json!({"severity": 3}),
            serde_json::json!([1]),
        ];
        for b in bad {
            assert!(
                Filter::from_json(&b, &schema(), Kind::Landslide).is_err(),
                "{b}"
            );
        }
    }

    #[test]
    fn overlong_filters_are_refused_before_parsing() {
        let long = "severity = 1 and ".repeat(200);
        assert!(matches!(parse(&long), Err(FilterError::TooLong(_))));
    }
}
