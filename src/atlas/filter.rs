//! Attribute filters: the `where` of feature queries.
//!
//! A filter is parsed once against a layer's schema, so an unknown field or a comparison
//! of the wrong type is a clear error at the boundary and evaluation cannot fail.
//!
//! Syntax (the query-string form): conditions joined by `and`, each
//! `field op value` with `op` one of `=`, `!=`, `<`, `<=`, `>`, `>=`, or
//! `field in (v1, v2, ...)`. Text values may be quoted with `'` or `"`.
//! Example: `severity>=3 and hazard_type in (landslide, debris_flow)`.

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
}

/// A parsed filter: all conditions must hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    conditions: Vec<Condition>,
}

/// Why a `where` text is refused; each says what to fix.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum FilterError {
    /// Longer than [`MAX_FILTER_LEN`] characters (how many it had).
    #[error("where is too long ({0} characters; at most {MAX_FILTER_LEN})")]
    TooLong(usize),
    /// Not the syntax of the module doc; what was expected where.
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

impl Filter {
    /// Parses `text` against `schema`.
    pub fn parse(text: &str, schema: &Schema) -> Result<Filter, FilterError> {
        if text.len() > MAX_FILTER_LEN {
            return Err(FilterError::TooLong(text.len()));
        }
        let tokens = tokenize(text)?;
        let mut conditions = Vec::new();
        let mut rest = tokens.as_slice();
        loop {
            let (cond, after) = parse_condition(rest, schema)?;
            conditions.push(cond);
            match after {
                [] => break,
                [Token::Word(w), tail @ ..] if w.eq_ignore_ascii_case("and") => rest = tail,
                [t, ..] => {
                    return Err(FilterError::Syntax(format!(
                        "expected 'and' or the end, found {}",
                        t.describe()
                    )));
                }
            }
        }
        Ok(Filter { conditions })
    }

    /// Builds a filter from its JSON form, as scenarios write it:
    /// `{"return_period_years": {"lte": 50}, "hazard_type": {"in": ["landslide"]}}`,
    /// with operators `eq`, `ne`, `lt`, `lte`, `gt`, `gte` and `in`. All must hold.
    pub fn from_json(json: &serde_json::Value, schema: &Schema) -> Result<Filter, FilterError> {
        let fields = json.as_object().ok_or_else(|| {
            FilterError::Syntax("a filter is an object of field → {operator: value}".into())
        })?;
        let mut conditions = Vec::new();
        for (field, ops) in fields {
            let (column, ty) = column_of(schema, field)?;
            let ops = ops.as_object().ok_or_else(|| {
                FilterError::Syntax(format!("{field:?}: expected {{\"eq\"|\"lte\"|...: value}}"))
            })?;
            for (op, value) in ops {
                let operand = |v: &serde_json::Value| -> Result<Operand, FilterError> {
                    let token = match v {
                        serde_json::Value::String(s) => Token::Quoted(s.clone()),
                        serde_json::Value::Number(n) => Token::Word(n.to_string()),
                        serde_json::Value::Bool(b) => Token::Word(b.to_string()),
                        other => {
                            return Err(FilterError::Syntax(format!(
                                "{field:?}: {other} is not a value"
                            )));
                        }
                    };
                    operand_for(field, ty, &token)
                };
                let op = match op.as_str() {
                    "in" => {
                        let list = value.as_array().ok_or_else(|| {
                            FilterError::Syntax(format!("{field:?}: \"in\" takes a list"))
                        })?;
                        let operands = list.iter().map(operand).collect::<Result<_, _>>()?;
                        conditions.push(Condition::In { column, operands });
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
                if matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge) && !ty.is_numeric() {
                    return Err(FilterError::WrongType {
                        field: field.clone(),
                        ty,
                        detail: "only numeric fields compare with lt, lte, gt or gte".into(),
                    });
                }
                conditions.push(Condition::Compare {
                    column,
                    op,
                    operand: operand(value)?,
                });
            }
        }
        Ok(Filter { conditions })
    }

    /// The schema columns the conditions test.
    pub fn columns(&self) -> impl Iterator<Item = usize> + '_ {
        self.conditions.iter().map(|c| match c {
            Condition::Compare { column, .. } | Condition::In { column, .. } => *column,
        })
    }

    /// Whether a feature's attributes (aligned with the schema it was parsed against) match.
    pub fn matches(&self, attrs: &[Value]) -> bool {
        self.conditions.iter().all(|c| match c {
            Condition::Compare {
                column,
                op,
                operand,
            } => compare(&attrs[*column], *op, operand),
            Condition::In { column, operands } => {
                operands.iter().any(|o| compare(&attrs[*column], Op::Eq, o))
            }
        })
    }
}

fn compare(value: &Value, op: Op, operand: &Operand) -> bool {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (value, operand) {
        (Value::Null, _) => None,
        (v, Operand::Number(n)) => v.as_f64().and_then(|x| x.partial_cmp(n)),
        (Value::Text(s), Operand::Text(t)) => Some(s.as_ref().cmp(t.as_str())),
        (Value::Bool(b), Operand::Bool(c)) => Some(b.cmp(c)),
        _ => None,
    };
    match (ordering, op) {
        // As in SQL, a missing value satisfies no comparison, not even `!=`.
        (None, _) => false,
        (Some(o), Op::Eq) => o == Ordering::Equal,
        (Some(o), Op::Ne) => o != Ordering::Equal,
        (Some(o), Op::Lt) => o == Ordering::Less,
        (Some(o), Op::Le) => o != Ordering::Greater,
        (Some(o), Op::Gt) => o == Ordering::Greater,
        (Some(o), Op::Ge) => o != Ordering::Less,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Quoted(String),
    Op(Op),
    Open,
    Close,
    Comma,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Word(w) => format!("{w:?}"),
            Token::Quoted(q) => format!("'{q}'"),
            Token::Op(op) => format!("operator {op:?}"),
            Token::Open => "'('".into(),
            Token::Close => "')'".into(),
            Token::Comma => "','".into(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
            }
            '\'' | '"' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some((_, q)) if q == c => break,
                        Some((_, ch)) => s.push(ch),
                        None => {
                            return Err(FilterError::Syntax(format!(
                                "unclosed quote starting at character {start}"
                            )));
                        }
                    }
                }
                tokens.push(Token::Quoted(s));
            }
            '=' | '!' | '<' | '>' => {
                chars.next();
                let eq_follows = chars.peek().map(|&(_, n)| n == '=').unwrap_or(false);
                if eq_follows {
                    chars.next();
                }
                let op = match (c, eq_follows) {
                    ('=', _) => Op::Eq,
                    ('!', true) => Op::Ne,
                    ('<', false) => Op::Lt,
                    ('<', true) => Op::Le,
                    ('>', false) => Op::Gt,
                    ('>', true) => Op::Ge,
                    _ => return Err(FilterError::Syntax("'!' must be followed by '='".into())),
                };
                tokens.push(Token::Op(op));
            }
            _ => {
                let mut s = String::new();
                while let Some(&(_, ch)) = chars.peek() {
                    if ch.is_whitespace() || "()=,!<>'\"".contains(ch) {
                        break;
                    }
                    s.push(ch);
                    chars.next();
                }
                tokens.push(Token::Word(s));
            }
        }
    }
    if tokens.is_empty() {
        return Err(FilterError::Syntax("empty condition".into()));
    }
    Ok(tokens)
}

fn parse_condition<'t>(
    tokens: &'t [Token],
    schema: &Schema,
) -> Result<(Condition, &'t [Token]), FilterError> {
    let (field, rest) = match tokens {
        [Token::Word(w) | Token::Quoted(w), rest @ ..] => (w.as_str(), rest),
        [t, ..] => {
            return Err(FilterError::Syntax(format!(
                "expected a field name, found {}",
                t.describe()
            )));
        }
        [] => {
            return Err(FilterError::Syntax(
                "expected a condition after 'and'".into(),
            ));
        }
    };
    let (column, ty) = column_of(schema, field)?;
    match rest {
        [Token::Op(op), value, tail @ ..] => {
            let operand = operand_for(field, ty, value)?;
            let ordered = matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
            if ordered && !ty.is_numeric() {
                return Err(FilterError::WrongType {
                    field: field.into(),
                    ty,
                    detail: "only numeric fields compare with <, <=, > or >=".into(),
                });
            }
            Ok((
                Condition::Compare {
                    column,
                    op: *op,
                    operand,
                },
                tail,
            ))
        }
        [Token::Word(w), Token::Open, tail @ ..] if w.eq_ignore_ascii_case("in") => {
            let mut operands = Vec::new();
            let mut tail = tail;
            loop {
                match tail {
                    [value, Token::Comma, more @ ..] => {
                        operands.push(operand_for(field, ty, value)?);
                        tail = more;
                    }
                    [value, Token::Close, more @ ..] => {
                        operands.push(operand_for(field, ty, value)?);
                        return Ok((Condition::In { column, operands }, more));
                    }
                    _ => {
                        return Err(FilterError::Syntax(format!(
                            "malformed list after '{field} in ('"
                        )));
                    }
                }
            }
        }
        _ => Err(FilterError::Syntax(format!(
            "expected an operator and a value after {field:?}"
        ))),
    }
}

/// The column and type of `field`, or an error listing the fields there are.
fn column_of(schema: &Schema, field: &str) -> Result<(usize, FieldType), FilterError> {
    let column = schema
        .position(field)
        .ok_or_else(|| FilterError::UnknownField {
            field: field.to_string(),
            known: schema.names().collect::<Vec<_>>().join(", "),
        })?;
    Ok((column, schema.fields()[column].ty))
}

fn operand_for(field: &str, ty: FieldType, token: &Token) -> Result<Operand, FilterError> {
    let text = match token {
        Token::Word(w) | Token::Quoted(w) => w.as_str(),
        t => {
            return Err(FilterError::Syntax(format!(
                "expected a value for {field:?}, found {}",
                t.describe()
            )));
        }
    };
    let wrong = |detail: String| FilterError::WrongType {
        field: field.into(),
        ty,
        detail,
    };
    match ty {
        FieldType::Integer | FieldType::Number => text
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Operand::Number)
            .ok_or_else(|| wrong(format!("{text:?} is not a number"))),
        FieldType::Boolean => match text {
            "true" => Ok(Operand::Bool(true)),
            "false" => Ok(Operand::Bool(false)),
            _ => Err(wrong(format!("{text:?} is not true or false"))),
        },
        FieldType::String => Ok(Operand::Text(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::value::Field;

    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("severity", FieldType::Integer),
            Field::new("hazard_type", FieldType::String),
            Field::new("oneway", FieldType::Boolean),
        ])
    }

    fn row(sev: i64, kind: &str) -> Vec<Value> {
        vec![Value::Int(sev), Value::Text(kind.into()), Value::Null]
    }

    #[test]
    fn comparisons_and_in_lists_combine_with_and() {
        let f = Filter::parse(
            "severity >= 3 and hazard_type in (landslide, 'debris_flow')",
            &schema(),
        )
        .unwrap();
        assert!(f.matches(&row(3, "landslide")));
        assert!(f.matches(&row(4, "debris_flow")));
        assert!(!f.matches(&row(2, "landslide")));
        assert!(!f.matches(&row(4, "collapse")));
    }

    #[test]
    fn chinese_text_values_compare_by_equality() {
        let f = Filter::parse("hazard_type='滑坡'", &schema()).unwrap();
        assert!(f.matches(&row(1, "滑坡")));
    }

    #[test]
    fn missing_values_satisfy_no_comparison() {
        let f = Filter::parse("oneway = true", &schema()).unwrap();
        assert!(!f.matches(&row(1, "x")));
        let f = Filter::parse("oneway != true", &schema()).unwrap();
        assert!(!f.matches(&row(1, "x")));
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_named_in_the_error() {
        let e = Filter::parse("colour = red", &schema())
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour") && e.contains("severity"), "{e}");
        let e = Filter::parse("severity = high", &schema())
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a number"), "{e}");
        let e = Filter::parse("hazard_type > a", &schema())
            .unwrap_err()
            .to_string();
        assert!(e.contains("only numeric"), "{e}");
    }

    #[test]
    fn malformed_filters_are_syntax_errors() {
        for bad in [
            "",
            "severity",
            "severity >=",
            "severity = 1 or severity = 2",
            "hazard_type in (a, b",
            "'x",
            "a ! b",
        ] {
            assert!(
                Filter::parse(bad, &schema()).is_err(),
                "{bad:?} should fail"
            );
        }
    }

    #[test]
    fn json_filters_mean_the_same_as_text_filters() {
        let json = serde_json::json!({"severity": {"gte": 3}, "hazard_type": {"in": ["landslide", "debris_flow"]}});
        let a = Filter::from_json(&json, &schema()).unwrap();
        let b = Filter::parse(
            "severity >= 3 and hazard_type in (landslide, debris_flow)",
            &schema(),
        )
        .unwrap();
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
            assert!(Filter::from_json(&b, &schema()).is_err(), "{b}");
        }
    }

    #[test]
    fn overlong_filters_are_refused_before_parsing() {
        let long = "severity = 1 and ".repeat(200);
        assert!(matches!(
            Filter::parse(&long, &schema()),
            Err(FilterError::TooLong(_))
        ));
    }
}
