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
//!
//! Optional keys: `description`, `onset` and `expires` (RFC 3339 with an offset),
//! `status` (`actual`, the default; `exercise` for a drill; `test`) and English texts
//! `headline_en`, `instruction_en`, `description_en` for the English part of a CAP alert
//! ([`crate::render::cap`]).

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

/// Whether a warning is real. Drills send theirs as `exercise`, so that no receiving
/// system (a CAP aggregator, an SMS gateway) can take a rehearsal for the real thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A real warning, to be acted on.
    #[default]
    Actual,
    /// A drill: the warning of a rehearsal, to be acted on by its participants only.
    Exercise,
    /// A technical test, to be discarded.
    Test,
}

impl Status {
    /// `actual`, `exercise` or `test` (any case).
    pub fn parse(text: &str) -> Option<Status> {
        match text.to_ascii_lowercase().as_str() {
            "actual" => Some(Status::Actual),
            "exercise" => Some(Status::Exercise),
            "test" => Some(Status::Test),
            _ => None,
        }
    }
}

/// A warning as requested, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    /// The level.
    pub level: AlertLevel,
    /// Real, a drill's, or a test.
    pub status: Status,
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
    /// The headline in English, if given (for the English part of a CAP alert).
    pub headline_en: Option<String>,
    /// The instruction in English, if given.
    pub instruction_en: Option<String>,
    /// The description in English, if given.
    pub description_en: Option<String>,
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
    status: Option<String>,
    headline_en: Option<String>,
    instruction_en: Option<String>,
    description_en: Option<String>,
}

/// Checks a warning request against `atlas`; the error names the field.
pub fn parse(body: &Json, atlas: &Atlas) -> Result<Warning, String> {
    let raw: RawWarning = serde_json::from_value(body.clone()).map_err(|e| e.to_string())?;
    let level = AlertLevel::parse(&raw.level)
        .ok_or_else(|| format!("level {:?} is not blue, yellow, orange or red", raw.level))?;
    let status = match &raw.status {
        None => Status::default(),
        Some(s) => Status::parse(s)
            .ok_or_else(|| format!("status {s:?} is not actual, exercise or test"))?,
    };
    for (name, text, most) in [
        ("hazard_type", Some(&raw.hazard_type), 64),
        ("headline", Some(&raw.headline), 500),
        ("instruction", Some(&raw.instruction), 4000),
        ("headline_en", raw.headline_en.as_ref(), 500),
        ("instruction_en", raw.instruction_en.as_ref(), 4000),
    ] {
        if let Some(text) = text
            && (text.trim().is_empty() || text.chars().count() > most)
        {
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
        status,
        hazard_type: raw.hazard_type,
        headline: raw.headline,
        instruction: raw.instruction,
        description: raw.description,
        onset: raw.onset,
        expires: raw.expires,
        headline_en: raw.headline_en,
        instruction_en: raw.instruction_en,
        description_en: raw.description_en,
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
    // Digits where digits go: Rust's integer parsing would also take `+7` or `-1`.
    let digits = |at: &[usize]| at.iter().all(|&i| b.get(i).is_some_and(u8::is_ascii_digit));
    if !digits(&[0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]) {
        return None;
    }
    let day = crate::analysis::drills::metrics::parse_day(t.get(..10)?)?;
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    // parse_day takes any day up to the 31st; a 31 June would reach a CAP alert as a
    // date no XML Schema reader accepts.
    if num(8..10)? > days_in_month(num(0..4)?, num(5..7)?) {
        return None;
    }
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
            let o = rest.as_bytes();
            let hh_mm =
                o.len() == 6 && o[3] == b':' && [1, 2, 4, 5].iter().all(|&i| o[i].is_ascii_digit());
            if !hh_mm {
                return None;
            }
            let (oh, om) = (
                rest[1..3].parse::<i64>().ok()?,
                rest[4..6].parse::<i64>().ok()?,
            );
            // No place keeps a clock beyond ±14:00, nor does XML Schema.
            if om > 59 || oh * 60 + om > 14 * 60 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(day * 86_400 + h * 3600 + m * 60 + s - offset)
}

/// Days in month `m` (1–12) of year `y`, Gregorian.
fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
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
    fn status_reads_any_case_and_defaults_to_actual() {
        assert_eq!(Status::parse("Exercise"), Some(Status::Exercise));
        assert_eq!(Status::parse("test"), Some(Status::Test));
        assert_eq!(Status::parse("drill"), None);
        assert_eq!(Status::default(), Status::Actual);
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
        // Leap days: 2028 is a leap year, and so is 2000 (divisible by 400).
        assert!(instant("2028-02-29T00:00:00Z").is_some());
        assert!(instant("2000-02-29T00:00:00Z").is_some());
        for bad in [
            "2026-07-20",
            "2026-07-20T14:00:00",
            "2026-07-20T25:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-07-20T14:00:00+0800",
            "2026-06-31T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2026-07-20T-1:00:00Z",
            "2026-+7-20T14:00:00Z",
            "2026-07-20T14:00:00+-1:00",
            "2026-07-20T14:00:00+15:00",
            "2026-07-20T14:00:00+08:60",
        ] {
            assert_eq!(instant(bad), None, "{bad}");
        }
    }
}
