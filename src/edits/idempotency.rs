//! `Idempotency-Key` on inserts: a client that sends a POST, loses the answer and sends
//! it again with the same key gets the first insert's record back, not a second
//! feature.
//!
//! Follows the IETF draft "The Idempotency-Key HTTP Header Field"
//! (draft-ietf-httpapi-idempotency-key-header-06): the field is an RFC 8941 Item whose
//! value is a String (`Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"`); a
//! bare token is taken too, since many clients send one. Its *idempotency
//! fingerprint* is a SHA-256 of the request (the layer and the body, its members in
//! sorted order), so the same key with a different request is recognised and, as the
//! draft's error scenarios say, refused with 422. For a retry of the same request the
//! draft asks only that the outcome be the first request's; riskatlas answers exactly
//! as it did the first time, 201 with the same record (the same `seq`).
//!
//! Keys are per user (two editors may pick the same one) and live in the edit record,
//! in the log or the PostGIS edits table, so they outlast a restart: the index of keys
//! is rebuilt when the log is opened, and PostGIS looks them up by a unique index. They
//! do not expire; a key is at most 128 characters, so keeping them all costs little.

use super::{EditError, EditRecord};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// The longest key taken, in characters.
pub const MAX_KEY_LEN: usize = 128;

/// A checked `Idempotency-Key` value: 1 to 128 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

/// Why a header value is not a usable key.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "Idempotency-Key {0}: send a quoted string of 1 to 128 printable ASCII characters, such as \"8e03978e-40d5-43e8-bc93-6894a57f9324\""
)]
pub struct BadKey(String);

impl IdempotencyKey {
    /// Parses a header value: an RFC 8941 String (`"..."`, with `\"` and `\\` escapes)
    /// or a bare run of visible ASCII characters.
    pub fn parse(value: &[u8]) -> Result<IdempotencyKey, BadKey> {
        let text = std::str::from_utf8(value)
            .map_err(|_| BadKey("is not ASCII".into()))?
            .trim_matches(' ');
        let key = match text.strip_prefix('"') {
            Some(quoted) => unquote(quoted)?,
            None if text
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\') =>
            {
                text.to_string()
            }
            None => return Err(BadKey("holds a character a key may not".into())),
        };
        if key.is_empty() {
            return Err(BadKey("is empty".into()));
        }
        if key.len() > MAX_KEY_LEN {
            return Err(BadKey(format!("is {} characters long", key.len())));
        }
        Ok(IdempotencyKey(key))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The rest of an RFC 8941 String after its opening quote.
fn unquote(rest: &str) -> Result<String, BadKey> {
    let mut key = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' if chars.as_str().is_empty() => return Ok(key),
            '"' => return Err(BadKey("has text after its closing quote".into())),
            '\\' => match chars.next() {
                Some(e @ ('"' | '\\')) => key.push(e),
                _ => return Err(BadKey("has a backslash before neither \" nor \\".into())),
            },
            ' '..='~' => key.push(c),
            _ => return Err(BadKey("holds a character a key may not".into())),
        }
    }
    Err(BadKey("has no closing quote".into()))
}

/// What an insert's record keeps of its key: the key and the request's fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Idempotency {
    /// The key as the client sent it.
    pub key: String,
    /// `sha256:` and the hex SHA-256 of the layer id, a newline and the body.
    pub request: String,
}

impl Idempotency {
    /// The key and fingerprint of an insert of `body` into `layer`.
    pub fn of(key: &IdempotencyKey, layer: &str, body: &Json) -> Idempotency {
        let mut hash = Sha256::new();
        hash.update(layer.as_bytes());
        hash.update(b"\n");
        // serde_json's maps are sorted by key: the same body, however its members were
        // ordered on the wire, hashes the same.
        hash.update(body.to_string().as_bytes());
        let hex: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Idempotency {
            key: key.as_str().to_string(),
            request: format!("sha256:{hex}"),
        }
    }

    /// The answer to a request sent again with this key, given the record the key was
    /// first used for: that record when the requests are the same, else a refusal.
    pub fn replay(&self, original: EditRecord) -> Result<EditRecord, EditError> {
        match &original.idempotency {
            Some(first) if first.request == self.request => Ok(original),
            _ => Err(EditError::KeyReused {
                key: self.key.clone(),
                seq: original.seq,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_and_bare_keys_are_taken_and_malformed_ones_refused() {
        let ok = |v: &str| IdempotencyKey::parse(v.as_bytes()).map(|k| k.0);
        assert_eq!(ok("\"abc-1\"").unwrap(), "abc-1");
        assert_eq!(ok("abc-1").unwrap(), "abc-1");
        assert_eq!(ok(r#""a \"b\" \\c""#).unwrap(), r#"a "b" \c"#);
        assert_eq!(ok(&"k".repeat(128)).unwrap().len(), 128);
        for bad in [
            "",
            "\"\"",
            "\"open",
            "\"a\"b",
            "two words",
            "\"é\"",
            "\"\\x\"",
            &"k".repeat(129),
        ] {
            let err = ok(bad).unwrap_err().to_string();
            assert!(err.starts_with("Idempotency-Key "), "{bad:?}: {err}");
        }
    }

    #[test]
    fn the_fingerprint_ignores_member_order_and_sees_the_layer_and_the_body() {
        let key = IdempotencyKey::parse(b"k").unwrap();
        let a: Json = serde_json::from_str(r#"{"id":"x","properties":{"a":1,"b":2}}"#).unwrap();
        let b: Json = serde_json::from_str(r#"{"properties":{"b":2,"a":1},"id":"x"}"#).unwrap();
        let c: Json = serde_json::from_str(r#"{"properties":{"b":3,"a":1},"id":"x"}"#).unwrap();
        let of = |layer, body| Idempotency::of(&key, layer, body).request;
        assert_eq!(of("shelters", &a), of("shelters", &b));
        assert_ne!(of("shelters", &a), of("shelters", &c));
        assert_ne!(of("shelters", &a), of("teams", &a));
        // Independent: sha256 of "shelters\n" + the body with sorted members.
        let expected = Sha256::digest(
            br#"shelters
{"id":"x","properties":{"a":1,"b":2}}"#,
        );
        let hex: String = expected.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(of("shelters", &a), format!("sha256:{hex}"));
    }
}
