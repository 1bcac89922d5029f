//! Personal data: which fields hold it, and how it reads for someone who may not see it.
//!
//! Duty officers' names and phone numbers are the census's personal data. A layer's
//! `contact_name` and `contact_phone` are always personal; `atlas.toml` marks any other
//! field with `personal = ["field", …]`. Planners and above read them in full (they
//! make the calls); everyone else reads them masked — in features, tiles, reports,
//! cards and exports alike, because a masked value that leaks through one format is not
//! masked.
//!
//! Masks follow the conventions Chinese public notices use, so a reader recognises
//! them: a phone keeps its first three and last four digits (`138****5678`), a name
//! its first and last character (`杨*国`, `王*`). Enough to tell two contacts apart on a
//! map, not enough to call or find them.

use super::value::{Field, Value};
use std::borrow::Cow;

/// The canonical attributes that are personal in every layer that has them.
pub const PERSONAL_ATTRS: &[&str] = &["contact_name", "contact_phone"];

/// How personal fields read for the one asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Disclosure {
    /// As stored.
    Full,
    /// Masked (see the module doc).
    Masked,
}

impl Disclosure {
    /// `text` as this disclosure shows a personal value.
    pub fn text(self, text: &str) -> Cow<'_, str> {
        match self {
            Disclosure::Full => Cow::Borrowed(text),
            Disclosure::Masked => Cow::Owned(mask(text)),
        }
    }

    /// The value of `field` as this disclosure shows it: personal fields masked (as
    /// text: a masked number is no longer a number), others as they are.
    pub fn value<'v>(self, field: &Field, value: &'v Value) -> Cow<'v, Value> {
        if self == Disclosure::Full || !field.personal || value.is_null() {
            return Cow::Borrowed(value);
        }
        Cow::Owned(Value::Text(mask(&value.to_string()).into()))
    }

    /// Whether values of `field` are hidden: a filter on them would reveal them one
    /// guess at a time.
    pub fn hides(self, field: &Field) -> bool {
        self == Disclosure::Masked && field.personal
    }
}

/// Masks a personal value: a phone number (mostly digits) keeps a few of its digits
/// (the first three and last four of a mobile number, fewer of a shorter one); anything
/// else keeps its first and last character.
pub fn mask(text: &str) -> String {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let chars = text.chars().count();
    if digits > 0 && digits * 2 >= chars {
        mask_number(text, digits)
    } else {
        mask_name(text, chars)
    }
}

/// Digits hidden but the first three and last four of a mobile-length number (eleven
/// or more digits), the last four of a landline (seven to ten), the last two of
/// anything shorter; separators (`-`, spaces, `+`) kept. At least three digits are
/// always hidden.
fn mask_number(text: &str, digits: usize) -> String {
    let (keep_head, keep_tail) = match digits {
        11.. => (3, 4),
        7..=10 => (0, 4),
        _ => (0, 2.min(digits.saturating_sub(3))),
    };
    let mut seen = 0;
    text.chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= keep_head || seen > digits - keep_tail {
                c
            } else {
                '*'
            }
        })
        .collect()
}

/// The first and last character kept, one `*` for each between (two characters: the
/// first and a `*`; one: a `*`).
fn mask_name(text: &str, chars: usize) -> String {
    let trimmed = text.trim();
    let chars = if trimmed.len() == text.len() {
        chars
    } else {
        trimmed.chars().count()
    };
    let mut out = String::with_capacity(trimmed.len());
    for (i, c) in trimmed.chars().enumerate() {
        let keep = (i == 0 && chars > 1) || (i == chars - 1 && chars > 2);
        out.push(if keep { c } else { '*' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_keep_their_first_three_and_last_four_digits() {
        assert_eq!(mask("13812345678"), "138****5678");
        assert_eq!(mask("0851-5551234"), "085*-***1234");
        assert_eq!(mask("+86 138 1234 5678"), "+86 1** **** 5678");
        assert_eq!(mask("555-2039-8000"), "555-****-8000");
    }

    #[test]
    fn shorter_numbers_keep_fewer_digits_and_always_hide_three() {
        assert_eq!(mask("555-0199"), "***-0199");
        assert_eq!(mask("12345"), "***45");
        assert_eq!(mask("1234"), "***4");
        assert_eq!(mask("7"), "*");
    }

    #[test]
    fn names_keep_their_first_and_last_character() {
        assert_eq!(mask("杨建国"), "杨*国");
        assert_eq!(mask("欧阳建国"), "欧**国");
        assert_eq!(mask("王芳"), "王*");
        assert_eq!(mask("李"), "*");
        assert_eq!(mask(" 杨建国 "), "杨*国");
        assert_eq!(mask("Li Wei"), "L****i");
        assert_eq!(mask(""), "");
    }

    #[test]
    fn only_personal_fields_are_masked_and_only_when_masking() {
        let field = |personal| Field {
            name: "x".into(),
            ty: super::super::FieldType::String,
            personal,
        };
        let v = Value::Text("13812345678".into());
        assert_eq!(
            *Disclosure::Masked.value(&field(true), &v),
            Value::Text("138****5678".into())
        );
        assert_eq!(*Disclosure::Masked.value(&field(false), &v), v);
        assert_eq!(*Disclosure::Full.value(&field(true), &v), v);
        assert_eq!(
            *Disclosure::Masked.value(&field(true), &Value::Null),
            Value::Null
        );
    }
}
