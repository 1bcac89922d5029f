//! What a CAP alert says about itself, apart from the warning: its identifier and
//! sender (CAP tokens), when it was sent (CAP's own date form), what kind of message it
//! is and which earlier alerts it updates or cancels. Each type is checked when made, so
//! the writer can trust it.

use crate::analysis::warnings::Status;
use std::borrow::Cow;
use std::time::SystemTime;

/// The sender when none is configured: `.invalid` is reserved (RFC 2606), so it can never
/// collide with a real agency's domain and reads as a placeholder to anyone receiving it.
pub const DEFAULT_SENDER: &str = "riskatlas@riskatlas.invalid";

/// An identifier or sender as CAP allows it: not empty, and without whitespace, commas
/// (they separate the `references` triples), `<` or `&`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapToken(String);

impl CapToken {
    /// The text, if CAP allows it.
    pub fn parse(text: &str) -> Option<CapToken> {
        let refused = |c: char| c.is_whitespace() || matches!(c, ',' | '<' | '&');
        (!text.is_empty() && text.chars().count() <= 256 && !text.contains(refused))
            .then(|| CapToken(text.to_string()))
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for CapToken {
    type Err = String;

    /// For `--cap-sender`.
    fn from_str(text: &str) -> Result<CapToken, String> {
        CapToken::parse(text).ok_or_else(|| {
            "must be 1 to 256 characters without spaces, commas, < or & \
             (e.g. warnings@county.example.gov.cn)"
                .into()
        })
    }
}

impl std::fmt::Display for CapToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A time as CAP writes it: `YYYY-MM-DDThh:mm:ss±hh:mm`, UTC as `-00:00`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapTime(String);

impl CapTime {
    /// An RFC 3339 time with an offset, in CAP's form: the same clock time and offset,
    /// the fraction of a second dropped, `Z` and `+00:00` written `-00:00`, and a leap
    /// second as :59 (XML Schema has no second 60).
    pub fn parse(rfc3339: &str) -> Option<CapTime> {
        crate::analysis::warnings::instant(rfc3339)?;
        // `instant` has checked the shape: date, a separator, hh:mm:ss, then an optional
        // fraction and the offset.
        let (date, clock) = (&rfc3339[..10], &rfc3339[11..19]);
        let clock = match clock.strip_suffix("60") {
            Some(hh_mm) => Cow::Owned(format!("{hh_mm}59")),
            None => Cow::Borrowed(clock),
        };
        let rest = &rfc3339[19..];
        let offset = &rest[rest.find(['Z', 'z', '+', '-'])?..];
        let offset = match offset {
            "Z" | "z" | "+00:00" => "-00:00",
            other => other,
        };
        Some(CapTime(format!("{date}T{clock}{offset}")))
    }

    /// `at` in UTC, to the second (a clock after 1970).
    pub fn at(at: SystemTime) -> CapTime {
        let utc = humantime::format_rfc3339_seconds(at).to_string();
        CapTime::parse(&utc).expect("humantime writes RFC 3339")
    }

    /// The time as CAP writes it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CapTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of message an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MsgType {
    /// A new warning.
    Alert,
    /// Replaces the alerts it references.
    Update,
    /// Cancels the alerts it references.
    Cancel,
}

impl MsgType {
    /// As CAP writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            MsgType::Alert => "Alert",
            MsgType::Update => "Update",
            MsgType::Cancel => "Cancel",
        }
    }
}

/// An earlier alert a message refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapReference {
    /// Its sender.
    pub sender: CapToken,
    /// Its identifier.
    pub identifier: CapToken,
    /// When it was sent.
    pub sent: CapTime,
}

/// What a CAP alert says about itself, apart from the warning: who sends it, when, and
/// what it replaces. An `Update` or `Cancel` must reference the alerts it acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapMessage {
    /// Unique among the sender's alerts.
    pub identifier: CapToken,
    /// Who sends it, unique worldwide (e.g. an address in the agency's domain).
    pub sender: CapToken,
    /// The sending agency as people read it (`senderName`).
    pub sender_name: String,
    /// When it is sent.
    pub sent: CapTime,
    /// Real, a drill's, or a test.
    pub status: Status,
    /// New, update or cancellation.
    pub msg_type: MsgType,
    /// The alerts it updates or cancels.
    pub references: Vec<CapReference>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_their_clock_and_write_utc_as_minus_zero() {
        let cap = |t: &str| CapTime::parse(t).map(|c| c.0);
        assert_eq!(
            cap("2026-07-20T14:00:00+08:00").as_deref(),
            Some("2026-07-20T14:00:00+08:00")
        );
        assert_eq!(
            cap("2026-07-20T06:00:00Z").as_deref(),
            Some("2026-07-20T06:00:00-00:00")
        );
        assert_eq!(
            cap("2026-07-20t06:00:00.750+00:00").as_deref(),
            Some("2026-07-20T06:00:00-00:00")
        );
        assert_eq!(
            cap("2026-07-20 06:00:00.5-05:30").as_deref(),
            Some("2026-07-20T06:00:00-05:30")
        );
        assert_eq!(
            cap("2026-12-31T23:59:60Z").as_deref(),
            Some("2026-12-31T23:59:59-00:00")
        );
        assert_eq!(cap("2026-07-20T14:00:00"), None);
        // 1,000,000,000 s after 1970 is 2001-09-09 01:46:40 UTC.
        let billion = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        assert_eq!(CapTime::at(billion).0, "2001-09-09T01:46:40-00:00");
    }

    #[test]
    fn tokens_refuse_what_would_break_a_references_triple() {
        assert!(CapToken::parse("warnings@qingshui.example.cn").is_some());
        for bad in ["", "a b", "a,b", "a<b", "a&b", "a\tb"] {
            assert_eq!(CapToken::parse(bad), None, "{bad:?}");
        }
        assert!("a,b".parse::<CapToken>().is_err());
        assert!(CapToken::parse(DEFAULT_SENDER).is_some());
    }
}
