//! A warning as an OASIS **Common Alerting Protocol 1.2** alert (`application/cap+xml`,
//! namespace `urn:oasis:names:tc:emergency:cap:1.2`): the form alert aggregators, sirens,
//! broadcasters and cell-broadcast gateways take, so a warning issued here can be passed
//! on without being typed again. [`cap_xml`] is pure: the stateless `POST /api/warnings`
//! and the tracking of a warning's updates and cancellation both render through it.
//!
//! **The alert**: `identifier`, `sender`, `sent`, `status`, `msgType` (from the
//! [`CapMessage`]), `scope` Public, and `references` when the message has any, as CAP's
//! space-separated `sender,identifier,sent` triples (an `Update` or `Cancel` must name
//! the alerts it replaces). Then two `info` blocks with the same facts: `zh-CN` with the
//! warning's own words, and `en-US` with `headline_en`, `instruction_en` and
//! `description_en` where the request gives them, else a generated headline ("Red flood
//! warning"), the given instruction and no description.
//!
//! **Mappings** (each `info`):
//!
//! | warning | CAP |
//! |---|---|
//! | `hazard_type` flood, storm, rain | `category` Met |
//! | landslide, debris_flow, collapse, earthquake | Geo |
//! | wildfire, fire | Fire |
//! | anything else | Other |
//! | level red / orange / yellow / blue | `responseType` Evacuate / Evacuate / Prepare / Monitor |
//! | | `urgency` Immediate / Immediate / Expected / Future |
//! | | `severity` Extreme / Severe / Moderate / Minor |
//!
//! `certainty` is always Likely (a warning is issued on a forecast, not an observation);
//! `event` names the hazard (洪水, "Flood"); `senderName` is the atlas's title.
//!
//! **Times**: CAP writes `YYYY-MM-DDThh:mm:ss±hh:mm`, with no fraction of a second and
//! UTC as `-00:00` (the letter Z is not allowed). [`CapTime`] holds a time in that form:
//! `sent` is the moment of rendering in UTC, `onset` and `expires` keep the offset the
//! request gave them (a county in UTC+8 reads its own clock).
//!
//! **Area**: one `area` per `info`. `areaDesc` names the townships reached (the hazards'
//! names when none is). One `polygon` per polygon of the warning area (the impact's
//! hazard areas), as CAP's closed `lat,lon` rings of at least four points, coordinates
//! rounded to 5 decimals (about a metre). CAP has no holes, so a hole is dropped: the
//! alert covers it, erring towards warning too many rather than too few. A ring of more
//! than [`MAX_POLYGON_VERTICES`] is simplified with geo's topology-preserving
//! Visvalingam–Whyatt; should simplifying or rounding still leave it crossing itself, its
//! convex hull (which covers it) stands in. One `geocode` per admin unit reached whose
//! code is a 12-digit division code (`valueName` `GB/T 2260`: the national division
//! codes, extended to townships and villages as the statistics office publishes them);
//! grid units with local codes are covered by the polygons alone.
//!
//! **Why quick-xml**: its `Writer` escapes every text and attribute it writes, so a
//! headline with `<` or `&` cannot break the document, and its element builder keeps
//! the document's nesting visible in the code that writes it, straight into a buffer
//! with no tree held in memory. xml-rs (now `xml`) escapes as well; quick-xml is the
//! more widely used of the two. Characters XML 1.0 cannot hold at all, escaped or not
//! (control characters other than tab and newline), are replaced with U+FFFD before
//! writing.
//!
//! The parts: [`message`] (what an alert says about itself: identifier, sender, times,
//! references) and `polygon` (warning areas as CAP rings); this file writes the
//! document.

pub mod message;
mod polygon;

pub use message::{CapMessage, CapReference, CapTime, CapToken, DEFAULT_SENDER, MsgType};

use crate::analysis::warnings::{AlertLevel, Status, Warning};
use crate::service::warnings::WarningAudience;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::borrow::Cow;
use std::io::{self, Write};

/// The CAP 1.2 namespace.
pub const CAP_NAMESPACE: &str = "urn:oasis:names:tc:emergency:cap:1.2";

/// The media type of a CAP alert.
pub const CAP_CONTENT_TYPE: &str = "application/cap+xml";

/// The most points a CAP polygon is written with, the closing point included: gateways
/// limit a message's size, and a metre-level outline of a township adds nothing to a
/// warning.
pub const MAX_POLYGON_VERTICES: usize = 1000;

/// The `valueName` of the admin units' geocodes.
pub const GEOCODE_NAME: &str = "GB/T 2260";

/// The warning `w` as a CAP 1.2 alert document (see the module doc for what goes where).
pub fn cap_xml(w: &WarningAudience, message: &CapMessage) -> String {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_alert(&mut writer, w, message).expect("writing into memory cannot fail");
    String::from_utf8(writer.into_inner()).expect("quick-xml writes the UTF-8 it is given")
}

fn write_alert<W: Write>(
    out: &mut Writer<W>,
    w: &WarningAudience,
    message: &CapMessage,
) -> io::Result<()> {
    out.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let area = Area::of(w);
    out.create_element("alert")
        .with_attribute(("xmlns", CAP_NAMESPACE))
        .write_inner_content(|out| {
            text(out, "identifier", message.identifier.as_str())?;
            text(out, "sender", message.sender.as_str())?;
            text(out, "sent", message.sent.as_str())?;
            text(out, "status", status(message.status))?;
            text(out, "msgType", message.msg_type.as_str())?;
            text(out, "scope", "Public")?;
            if !message.references.is_empty() {
                text(out, "references", &references(&message.references))?;
            }
            for words in [Words::chinese(&w.warning), Words::english(&w.warning)] {
                write_info(out, &w.warning, message, &words, &area)?;
            }
            Ok(())
        })?;
    Ok(())
}

/// CAP's `references`: `sender,identifier,sent` triples separated by spaces.
fn references(refs: &[CapReference]) -> String {
    let triples: Vec<String> = refs
        .iter()
        .map(|r| format!("{},{},{}", r.sender, r.identifier, r.sent))
        .collect();
    triples.join(" ")
}

fn write_info<W: Write>(
    out: &mut Writer<W>,
    warning: &Warning,
    message: &CapMessage,
    words: &Words<'_>,
    area: &Area,
) -> io::Result<()> {
    out.create_element("info").write_inner_content(|out| {
        text(out, "language", words.language)?;
        text(out, "category", category(&warning.hazard_type))?;
        text(out, "event", &words.event)?;
        text(out, "responseType", response_type(warning.level))?;
        text(out, "urgency", urgency(warning.level))?;
        text(out, "severity", severity(warning.level))?;
        text(out, "certainty", "Likely")?;
        for (name, time) in [("onset", &warning.onset), ("expires", &warning.expires)] {
            if let Some(t) = time.as_deref().and_then(CapTime::parse) {
                text(out, name, t.as_str())?;
            }
        }
        text(out, "senderName", &message.sender_name)?;
        text(out, "headline", &words.headline)?;
        if let Some(d) = words.description {
            text(out, "description", d)?;
        }
        text(out, "instruction", words.instruction)?;
        let desc = if words.language == "zh-CN" {
            area.names.join("、")
        } else {
            area.names.join(", ")
        };
        write_area(out, &desc, area)
    })?;
    Ok(())
}

fn write_area<W: Write>(out: &mut Writer<W>, desc: &str, area: &Area) -> io::Result<()> {
    out.create_element("area").write_inner_content(|out| {
        text(out, "areaDesc", desc)?;
        for p in &area.polygons {
            text(out, "polygon", p)?;
        }
        for code in &area.geocodes {
            out.create_element("geocode").write_inner_content(|out| {
                text(out, "valueName", GEOCODE_NAME)?;
                text(out, "value", code)
            })?;
        }
        Ok(())
    })?;
    Ok(())
}

/// One element holding `value` as text, escaped.
fn text<W: Write>(out: &mut Writer<W>, name: &str, value: &str) -> io::Result<()> {
    out.create_element(name)
        .write_text_content(BytesText::new(&xml_chars(value)))?;
    Ok(())
}

/// `text` with the characters XML 1.0 cannot hold (even escaped) replaced by U+FFFD.
fn xml_chars(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r' | ' '..='\u{FFFD}' | '\u{10000}'..);
    if text.chars().all(allowed) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| if allowed(c) { c } else { '\u{FFFD}' })
            .collect(),
    )
}

/// One `info` block's words and language.
struct Words<'a> {
    language: &'static str,
    event: String,
    headline: Cow<'a, str>,
    description: Option<&'a str>,
    instruction: &'a str,
}

impl<'a> Words<'a> {
    /// The warning's own words.
    fn chinese(w: &'a Warning) -> Words<'a> {
        Words {
            language: "zh-CN",
            event: hazard_zh(&w.hazard_type),
            headline: Cow::Borrowed(&w.headline),
            description: w.description.as_deref(),
            instruction: &w.instruction,
        }
    }

    /// The English texts given, else a headline made from the level and hazard and the
    /// instruction as given.
    fn english(w: &'a Warning) -> Words<'a> {
        let hazard = w.hazard_type.replace('_', " ").to_lowercase();
        let made = || format!("{} {hazard} warning", capitalised(w.level.code()));
        Words {
            language: "en-US",
            event: capitalised(&hazard),
            headline: w
                .headline_en
                .as_deref()
                .map_or_else(|| Cow::Owned(made()), Cow::Borrowed),
            description: w.description_en.as_deref(),
            instruction: w.instruction_en.as_deref().unwrap_or(&w.instruction),
        }
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The hazard's Chinese name, or its code when it has none here.
fn hazard_zh(hazard_type: &str) -> String {
    match hazard_type.to_ascii_lowercase().as_str() {
        "flood" => "洪水",
        "storm" => "风暴",
        "rain" => "暴雨",
        "landslide" => "滑坡",
        "debris_flow" => "泥石流",
        "collapse" => "崩塌",
        "earthquake" => "地震",
        "wildfire" => "森林火灾",
        "fire" => "火灾",
        _ => hazard_type,
    }
    .to_string()
}

fn category(hazard_type: &str) -> &'static str {
    match hazard_type.to_ascii_lowercase().as_str() {
        "flood" | "storm" | "rain" => "Met",
        "landslide" | "debris_flow" | "collapse" | "earthquake" => "Geo",
        "wildfire" | "fire" => "Fire",
        _ => "Other",
    }
}

fn status(status: Status) -> &'static str {
    match status {
        Status::Actual => "Actual",
        Status::Exercise => "Exercise",
        Status::Test => "Test",
    }
}

fn response_type(level: AlertLevel) -> &'static str {
    match level {
        AlertLevel::Red | AlertLevel::Orange => "Evacuate",
        AlertLevel::Yellow => "Prepare",
        AlertLevel::Blue => "Monitor",
    }
}

fn urgency(level: AlertLevel) -> &'static str {
    match level {
        AlertLevel::Red | AlertLevel::Orange => "Immediate",
        AlertLevel::Yellow => "Expected",
        AlertLevel::Blue => "Future",
    }
}

fn severity(level: AlertLevel) -> &'static str {
    match level {
        AlertLevel::Red => "Extreme",
        AlertLevel::Orange => "Severe",
        AlertLevel::Yellow => "Moderate",
        AlertLevel::Blue => "Minor",
    }
}

/// What both `area` blocks hold.
struct Area {
    /// Townships reached, else the hazards' names.
    names: Vec<String>,
    /// CAP polygons.
    polygons: Vec<String>,
    /// 12-digit division codes.
    geocodes: Vec<String>,
}

impl Area {
    fn of(w: &WarningAudience) -> Area {
        let units = &w.audience.units;
        let mut names: Vec<String> = units
            .iter()
            .filter(|u| u.level == "township")
            .map(|u| u.name.clone())
            .collect();
        if names.is_empty() {
            names = w.impact.hazards.iter().map(|h| h.name.clone()).collect();
        }
        let is_division_code = |c: &str| c.len() == 12 && c.bytes().all(|b| b.is_ascii_digit());
        Area {
            names,
            polygons: polygon::cap_polygons(&w.impact.hazards),
            geocodes: units
                .iter()
                .filter(|u| is_division_code(&u.code))
                .map(|u| u.code.clone())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_replaced_and_the_rest_kept() {
        assert_eq!(xml_chars("山洪 <red> & \"go\"\n"), "山洪 <red> & \"go\"\n");
        assert_eq!(xml_chars("a\u{1}b\u{FFFF}"), "a\u{FFFD}b\u{FFFD}");
    }

    #[test]
    fn the_mappings_follow_the_table() {
        use AlertLevel::*;
        let row = |l| (response_type(l), urgency(l), severity(l));
        assert_eq!(row(Red), ("Evacuate", "Immediate", "Extreme"));
        assert_eq!(row(Orange), ("Evacuate", "Immediate", "Severe"));
        assert_eq!(row(Yellow), ("Prepare", "Expected", "Moderate"));
        assert_eq!(row(Blue), ("Monitor", "Future", "Minor"));
        for (hazard, cat) in [
            ("rain", "Met"),
            ("Flood", "Met"),
            ("debris_flow", "Geo"),
            ("earthquake", "Geo"),
            ("fire", "Fire"),
            ("chemical_spill", "Other"),
        ] {
            assert_eq!(category(hazard), cat, "{hazard}");
        }
        assert_eq!(capitalised("debris flow"), "Debris flow");
    }
}
