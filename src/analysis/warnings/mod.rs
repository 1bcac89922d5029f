//! Targeted warnings: an area, a level and words in; the audience out — the admin units
//! down to grid units with their people, the facilities inside with their occupants, the
//! shelters to open, and the call tree of duty contacts who must pass the warning on
//! ([`audience`]).
//!
//! The area is one of (key `area` of the request):
//!
//! - `{"geometry": <GeoJSON Polygon or MultiPolygon>}`: drawn on the map;
//! - `{"hazards": [...]}`: hazard features with filters, as a scenario names them;
//! - `{"admin_codes": ["629901106000", ...]}`: whole admin units;
//! - `{"scenario": {...}}`: a whole scenario, as `POST /api/impact` takes it.
//!
//! Each becomes a scenario, and the impact analysis says who is inside: the warning and
//! the impact report can never disagree about who is affected. Once issued, [`tracking`]
//! says where each call stands, and [`sheets`] lays the calls out per township for print.

pub mod audience;
pub mod sheets;
pub mod tracking;

use crate::analysis::admin::AdminIndex;
use crate::atlas::Atlas;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

/// The four warning levels of China's early-warning signals (GB/T 27962 and the
/// national emergency plans), with the time each level gives a contact to answer
/// before the task escalates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertLevel {
    /// 蓝色 IV, general.
    Blue,
    /// 黄色 III, serious.
    Yellow,
    /// 橙色 II, severe.
    Orange,
    /// 红色 I, especially severe.
    Red,
}

impl AlertLevel {
    /// Every level, weakest first.
    pub const ALL: [AlertLevel; 4] = [
        AlertLevel::Blue,
        AlertLevel::Yellow,
        AlertLevel::Orange,
        AlertLevel::Red,
    ];

    /// `blue`, `yellow`, `orange`, `red` (or 蓝色, 黄色, 橙色, 红色).
    pub fn parse(text: &str) -> Option<AlertLevel> {
        AlertLevel::ALL
            .into_iter()
            .find(|l| l.code() == text.to_ascii_lowercase() || l.zh() == text)
    }

    /// As requests and answers spell it.
    pub fn code(self) -> &'static str {
        match self {
            AlertLevel::Blue => "blue",
            AlertLevel::Yellow => "yellow",
            AlertLevel::Orange => "orange",
            AlertLevel::Red => "red",
        }
    }

    /// In Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            AlertLevel::Blue => "蓝色",
            AlertLevel::Yellow => "黄色",
            AlertLevel::Orange => "橙色",
            AlertLevel::Red => "红色",
        }
    }

    /// 1 (blue) to 4 (red), the severity scale the maps use.
    pub fn severity(self) -> u8 {
        self as u8 + 1
    }

    /// Minutes a contact has to answer before the task escalates to the level above:
    /// red 10, orange 30, yellow 60, blue 120 — defaults to adapt to local duty rules.
    pub fn answer_minutes(self) -> f64 {
        match self {
            AlertLevel::Red => 10.0,
            AlertLevel::Orange => 30.0,
            AlertLevel::Yellow => 60.0,
            AlertLevel::Blue => 120.0,
        }
    }
}

/// A warning as requested, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// The level.
    pub level: AlertLevel,
    /// `flood`, `landslide`, `debris_flow`, `wildfire`, `earthquake`, `storm`, …
    pub hazard_type: String,
    /// One line: what and where.
    pub headline: String,
    /// What people must do.
    pub instruction: String,
    /// More detail, if given.
    pub description: Option<String>,
    /// When the hazard is expected (RFC 3339), if given.
    pub onset: Option<String>,
    /// When the warning expires (RFC 3339), if given.
    pub expires: Option<String>,
    /// The area as a scenario (see the module doc).
    pub scenario: Json,
}

/// The most admin codes one warning names.
pub const MAX_ADMIN_CODES: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWarning {
    area: Json,
    level: String,
    hazard_type: String,
    headline: String,
    instruction: String,
    description: Option<String>,
    onset: Option<String>,
    expires: Option<String>,
}

/// Checks a warning request against `atlas`; the error names the field.
pub fn parse(body: &Json, atlas: &Atlas) -> Result<Warning, String> {
    let raw: RawWarning = serde_json::from_value(body.clone()).map_err(|e| e.to_string())?;
    let level = AlertLevel::parse(&raw.level)
        .ok_or_else(|| format!("level {:?} is not blue, yellow, orange or red", raw.level))?;
    for (name, text, most) in [
        ("hazard_type", &raw.hazard_type, 64),
        ("headline", &raw.headline, 500),
        ("instruction", &raw.instruction, 4000),
    ] {
        if text.trim().is_empty() || text.chars().count() > most {
            return Err(format!("{name} must be 1 to {most} characters"));
        }
    }
    for (name, time) in [("onset", &raw.onset), ("expires", &raw.expires)] {
        if let Some(t) = time
            && !is_rfc3339(t)
        {
            return Err(format!(
                "{name} {t:?} is not a time like 2026-07-20T14:00:00+08:00"
            ));
        }
    }
    if let (Some(a), Some(b)) = (&raw.onset, &raw.expires)
        && instant(b) <= instant(a)
    {
        return Err("expires must come after onset".into());
    }
    let scenario = area_scenario(&raw.area, level, &raw.headline, atlas)?;
    Ok(Warning {
        level,
        hazard_type: raw.hazard_type,
        headline: raw.headline,
        instruction: raw.instruction,
        description: raw.description,
        onset: raw.onset,
        expires: raw.expires,
        scenario,
    })
}

/// The scenario whose hazards are the warning's area.
fn area_scenario(
    area: &Json,
    level: AlertLevel,
    headline: &str,
    atlas: &Atlas,
) -> Result<Json, String> {
    let obj = area
        .as_object()
        .filter(|o| o.len() == 1)
        .ok_or("area must be an object with one of geometry, hazards, admin_codes or scenario")?;
    let (key, value) = obj.iter().next().expect("one entry");
    let village = |hazards: Json| json!({"hazards": hazards, "group_by": "village"});
    match key.as_str() {
        "geometry" => Ok(village(json!([{
            "geometry": value, "severity": level.severity(), "name": headline
        }]))),
        "hazards" => Ok(village(value.clone())),
        "scenario" if value.is_object() => Ok(value.clone()),
        "scenario" => Err("area.scenario must be an object, as POST /api/impact takes it".into()),
        "admin_codes" => admin_area(value, level, atlas).map(village),
        other => Err(format!(
            "area.{other} is not one of geometry, hazards, admin_codes or scenario"
        )),
    }
}

/// Drawn hazards, one per admin unit named, each its unit's polygon.
fn admin_area(codes: &Json, level: AlertLevel, atlas: &Atlas) -> Result<Json, String> {
    let codes: Vec<String> = serde_json::from_value(codes.clone())
        .map_err(|_| "area.admin_codes must be a list of admin codes".to_string())?;
    if codes.is_empty() || codes.len() > MAX_ADMIN_CODES {
        return Err(format!(
            "area.admin_codes: name 1 to {MAX_ADMIN_CODES} admin units"
        ));
    }
    let index = AdminIndex::new(atlas);
    let mut hazards = Vec::new();
    for code in &codes {
        let unit = index
            .by_code(code)
            .ok_or_else(|| format!("area.admin_codes: no admin unit {code:?} you can see"))?;
        let geometry = &unit.layer.features()[unit.fid as usize].geometry;
        let geojson = geojson::Geometry::new(geojson::GeometryValue::from(geometry));
        hazards.push(json!({
            "geometry": geojson, "severity": level.severity(), "name": unit.name()
        }));
    }
    Ok(Json::Array(hazards))
}

/// `secs` since 1970 as an RFC 3339 UTC time (`2026-07-20T06:00:00Z`).
pub fn rfc3339(secs: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(t).to_string()
}

/// Now, in seconds since 1970.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Whether `t` reads as an RFC 3339 date-time with an offset (`2026-07-20T14:00:00+08:00`).
pub fn is_rfc3339(t: &str) -> bool {
    instant(t).is_some()
}

/// Seconds since 1970 of an RFC 3339 date-time with an offset, or None.
pub fn instant(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let day = crate::analysis::drills::metrics::parse_day(t.get(..10)?)?;
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (h, m, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if b[13] != b':' || b[16] != b':' || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let mut rest = &t[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let (oh, om) = (
                rest[1..3].parse::<i64>().ok()?,
                rest[4..6].parse::<i64>().ok()?,
            );
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(day * 86_400 + h * 3600 + m * 60 + s - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_read_in_english_and_chinese_and_give_their_answer_time() {
        assert_eq!(AlertLevel::parse("Red"), Some(AlertLevel::Red));
        assert_eq!(AlertLevel::parse("橙色"), Some(AlertLevel::Orange));
        assert_eq!(AlertLevel::parse("purple"), None);
        assert_eq!(AlertLevel::Red.severity(), 4);
        assert_eq!(AlertLevel::Blue.severity(), 1);
        assert_eq!(AlertLevel::Orange.answer_minutes(), 30.0);
    }

    #[test]
    fn times_need_a_date_a_time_and_an_offset() {
        // 2026-07-20T14:00:00+08:00 is 06:00 UTC: 20,654 days and 6 hours after 1970.
        assert_eq!(
            instant("2026-07-20T14:00:00+08:00"),
            Some(20_654 * 86_400 + 6 * 3600)
        );
        assert_eq!(
            instant("2026-07-20T06:00:00Z"),
            instant("2026-07-20T14:00:00+08:00")
        );
        assert_eq!(
            instant("2026-07-20T06:00:00.250Z"),
            instant("2026-07-20T06:00:00Z")
        );
        for bad in [
            "2026-07-20",
            "2026-07-20T14:00:00",
            "2026-07-20T25:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-07-20T14:00:00+0800",
        ] {
            assert_eq!(instant(bad), None, "{bad}");
        }
    }
}
