//! The text form of a filter: tokens with their positions, then recursive descent over
//! the grammar in the module doc above, one function per rule, so that `not` binds
//! tighter than `and`, and `and` tighter than `or`. Every syntax error names the
//! character it happened at (counted from 1) and what was expected there.

use super::{Condition, Expr, FieldType, Fields, FilterError, Op, ordered_needs_number};

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Word(String),
    Quoted(String),
    Op(Op),
    Open,
    Close,
    Comma,
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    /// Character position of its start, from 1.
    at: usize,
}

impl Token {
    fn describe(&self) -> String {
        match &self.kind {
            Kind::Word(w) => format!("{w:?}"),
            Kind::Quoted(q) => format!("'{q}'"),
            Kind::Op(op) => format!("operator {}", op_text(*op)),
            Kind::Open => "'('".into(),
            Kind::Close => "')'".into(),
            Kind::Comma => "','".into(),
        }
    }

    /// Whether this is the keyword `k` (any case; a quoted word is never a keyword).
    fn is(&self, k: &str) -> bool {
        matches!(&self.kind, Kind::Word(w) if w.eq_ignore_ascii_case(k))
    }
}

fn op_text(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
    }
}

fn syntax(at: usize, expected: &str, found: Option<&Token>) -> FilterError {
    let found = found.map_or_else(|| "the end".to_string(), Token::describe);
    FilterError::Syntax(format!(
        "at character {at}: expected {expected}, found {found}"
    ))
}

fn tokenize(text: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().enumerate().map(|(i, c)| (i + 1, c)).peekable();
    while let Some(&(at, c)) = chars.peek() {
        let kind = match c {
            c if c.is_whitespace() => {
                chars.next();
                continue;
            }
            '(' | ')' | ',' => {
                chars.next();
                match c {
                    '(' => Kind::Open,
                    ')' => Kind::Close,
                    _ => Kind::Comma,
                }
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
                                "at character {at}: this quote is never closed"
                            )));
                        }
                    }
                }
                Kind::Quoted(s)
            }
            '=' | '!' | '<' | '>' => {
                chars.next();
                let eq_follows = chars.next_if(|&(_, n)| n == '=').is_some();
                Kind::Op(match (c, eq_follows) {
                    ('=', _) => Op::Eq,
                    ('!', true) => Op::Ne,
                    ('<', false) => Op::Lt,
                    ('<', true) => Op::Le,
                    ('>', false) => Op::Gt,
                    ('>', true) => Op::Ge,
                    _ => {
                        return Err(FilterError::Syntax(format!(
                            "at character {at}: expected '=' after '!'"
                        )));
                    }
                })
            }
            _ => {
                let mut s = String::new();
                while let Some((_, ch)) =
                    chars.next_if(|&(_, ch)| !ch.is_whitespace() && !"()=,!<>'\"".contains(ch))
                {
                    s.push(ch);
                }
                Kind::Word(s)
            }
        };
        tokens.push(Token { kind, at });
    }
    Ok(tokens)
}

/// Parses `text` into an expression against `fields`.
pub(super) fn parse(text: &str, fields: Fields<'_>) -> Result<Expr, FilterError> {
    let tokens = tokenize(text)?;
    let mut p = Parser {
        tokens: &tokens,
        next: 0,
        end: text.chars().count() + 1,
        fields,
    };
    let expr = p.or()?;
    match p.peek() {
        None => Ok(expr),
        Some(t) => Err(syntax(t.at, "'and', 'or' or the end", Some(t))),
    }
}

struct Parser<'t> {
    tokens: &'t [Token],
    next: usize,
    /// The position just past the text, where "found the end" happens.
    end: usize,
    fields: Fields<'t>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn at(&self) -> usize {
        self.peek().map_or(self.end, |t| t.at)
    }

    fn take(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.next).cloned();
        self.next += usize::from(t.is_some());
        t
    }

    /// Takes the keyword `k` if it comes next.
    fn keyword(&mut self, k: &str) -> bool {
        let here = self.peek().is_some_and(|t| t.is(k));
        self.next += usize::from(here);
        here
    }

    fn expect(&mut self, kind: &Kind, expected: &str) -> Result<(), FilterError> {
        if self.peek().is_some_and(|t| t.kind == *kind) {
            self.next += 1;
            Ok(())
        } else {
            Err(syntax(self.at(), expected, self.peek()))
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut any = vec![self.and()?];
        while self.keyword("or") {
            any.push(self.and()?);
        }
        Ok(if any.len() == 1 {
            any.remove(0)
        } else {
            Expr::Or(any)
        })
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut all = vec![self.not()?];
        while self.keyword("and") {
            all.push(self.not()?);
        }
        Ok(if all.len() == 1 {
            all.remove(0)
        } else {
            Expr::And(all)
        })
    }

    fn not(&mut self) -> Result<Expr, FilterError> {
        if self.keyword("not") {
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        if self.peek().is_some_and(|t| t.kind == Kind::Open) {
            self.next += 1;
            let inner = self.or()?;
            self.expect(&Kind::Close, "')' or 'and' or 'or'")?;
            return Ok(inner);
        }
        self.condition()
    }

    /// A word or quoted text: a field name or a value.
    fn text(&mut self, expected: &str) -> Result<String, FilterError> {
        match self.peek().map(|t| &t.kind) {
            Some(Kind::Word(w) | Kind::Quoted(w)) => {
                let w = w.clone();
                self.next += 1;
                Ok(w)
            }
            _ => Err(syntax(self.at(), expected, self.peek())),
        }
    }

    fn condition(&mut self) -> Result<Expr, FilterError> {
        let field = self.text("a field name, 'not' or '('")?;
        let (column, ty) = self.fields.column(&field)?;
        let fields = self.fields;
        let after = self.at();
        let condition = match self.take() {
            Some(Token {
                kind: Kind::Op(op), ..
            }) => {
                ordered_needs_number(&field, ty, op, "<, <=, > or >=")?;
                let value = self.text(&format!("a value after {field} {}", op_text(op)))?;
                Expr::Condition(Condition::Compare {
                    column,
                    op,
                    operand: fields.operand(&field, ty, &value)?,
                })
            }
            Some(t) if t.is("is") => {
                let negated = self.keyword("not");
                if !self.keyword("null") {
                    return Err(syntax(self.at(), "'null' or 'not null'", self.peek()));
                }
                let is_null = Expr::Condition(Condition::IsNull { column });
                if negated {
                    Expr::Not(Box::new(is_null))
                } else {
                    is_null
                }
            }
            Some(t) if t.is("not") || t.is("in") || t.is("like") => {
                let negated = t.is("not");
                let word = if negated {
                    self.take()
                } else {
                    Some(t.clone())
                };
                let positive = match word {
                    Some(w) if w.is("in") => self.list(&field, column, ty)?,
                    Some(w) if w.is("like") => self.like(&field, column, ty)?,
                    other => return Err(syntax(self.at(), "'in' or 'like'", other.as_ref())),
                };
                if negated {
                    Expr::Not(Box::new(positive))
                } else {
                    positive
                }
            }
            other => {
                return Err(syntax(
                    other.as_ref().map_or(after, |t| t.at),
                    &format!("an operator (= != < <= > >=, in, like, is null) after {field:?}"),
                    other.as_ref(),
                ));
            }
        };
        Ok(condition)
    }

    /// `( value, … )` after `in`.
    fn list(&mut self, field: &str, column: usize, ty: FieldType) -> Result<Expr, FilterError> {
        self.expect(&Kind::Open, &format!("'(' after {field} in"))?;
        let mut operands = Vec::new();
        loop {
            let value = self.text("a value in the list")?;
            operands.push(self.fields.operand(field, ty, &value)?);
            match self.take() {
                Some(t) if t.kind == Kind::Comma => {}
                Some(t) if t.kind == Kind::Close => break,
                other => {
                    let at = other.as_ref().map_or(self.end, |t| t.at);
                    return Err(syntax(at, "',' or ')'", other.as_ref()));
                }
            }
        }
        Ok(Expr::Condition(Condition::In { column, operands }))
    }

    /// The pattern after `like`: text fields only.
    fn like(&mut self, field: &str, column: usize, ty: FieldType) -> Result<Expr, FilterError> {
        if ty != FieldType::String {
            return Err(FilterError::WrongType {
                field: field.into(),
                ty,
                detail: "only text fields match with like".into(),
            });
        }
        let pattern = self.text(&format!("a pattern after {field} like"))?;
        Ok(Expr::Condition(Condition::Like {
            column,
            pattern: pattern.chars().collect(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Filter, FilterError};
    use crate::atlas::Kind;
    use crate::atlas::value::{Field, FieldType, Schema, Value};

    /// A shelter layer's fields, enough for precedence: capacity, status (a closed
    /// vocabulary), name.
    fn schema() -> Schema {
        Schema::new(vec![
            Field::new("capacity", FieldType::Integer),
            Field::new("status", FieldType::String),
            Field::new("name", FieldType::String),
        ])
    }

    fn shelter(capacity: i64, status: Option<&str>, name: &str) -> Vec<Value> {
        vec![
            Value::Int(capacity),
            status.map_or(Value::Null, |s| Value::Text(s.into())),
            Value::Text(name.into()),
        ]
    }

    fn parse(text: &str) -> Result<Filter, FilterError> {
        Filter::parse(text, &schema(), Kind::Shelter)
    }

    /// Every shelter of a small set: whether `text` keeps it, by name.
    fn kept(text: &str) -> Vec<&'static str> {
        let f = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        [
            (100, Some("open"), "东关小学"),
            (500, Some("closed"), "南门中学"),
            (800, None, "西街体育馆"),
            (50, Some("full"), "北山村委会"),
        ]
        .into_iter()
        .filter(|(c, s, n)| f.matches(&shelter(*c, *s, n)))
        .map(|(_, _, n)| n)
        .collect()
    }

    #[test]
    fn not_binds_tighter_than_and_and_and_tighter_than_or() {
        // or(and(capacity > 400, status = open), name like '北%'):
        // 南门 is > 400 but closed; 西街's status is missing; 北山 matches the `like`.
        assert_eq!(
            kept("capacity > 400 and status = open or name like '北%'"),
            ["北山村委会"]
        );
        // and(capacity > 400, or(...)): parentheses change the grouping.
        assert_eq!(
            kept("capacity > 400 and (status = open or name like '西%')"),
            ["西街体育馆"]
        );
        // not applies to the first condition only.
        assert_eq!(
            kept("not status = closed and capacity < 600"),
            ["东关小学", "北山村委会"]
        );
        assert_eq!(
            kept("NOT (status = closed OR capacity < 100)"),
            ["东关小学"]
        );
    }

    #[test]
    fn null_tests_in_lists_and_chinese_spellings() {
        assert_eq!(kept("status is null"), ["西街体育馆"]);
        assert_eq!(
            kept("status is not null and status not in (关闭, 已满)"),
            ["东关小学"]
        );
        assert_eq!(kept("status = 开放"), ["东关小学"]);
        assert_eq!(
            kept("name not like '%中学'"),
            ["东关小学", "西街体育馆", "北山村委会"]
        );
    }

    #[test]
    fn syntax_errors_name_the_position_and_what_was_expected() {
        for (text, words) in [
            ("capacity", "at character 9: expected an operator"),
            (
                "capacity >=",
                "at character 12: expected a value after capacity >=",
            ),
            ("(capacity > 1", "at character 14: expected ')'"),
            ("capacity > 1 or", "at character 16: expected a field name"),
            (
                "capacity > 1 capacity",
                "at character 14: expected 'and', 'or' or the end",
            ),
            (
                "status in (open, full",
                "at character 22: expected ',' or ')'",
            ),
            (
                "status is open",
                "at character 11: expected 'null' or 'not null'",
            ),
            ("name = 'x", "at character 8: this quote is never closed"),
            ("a ! b", "at character 3: expected '=' after '!'"),
            ("", "at character 1: expected a field name"),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(words), "{text:?}: {e}");
        }
    }
}
