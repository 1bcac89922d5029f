//! Scenarios: what hazards to assume, parsed once into checked types.
//!
//! A scenario names hazards (atlas layers with an optional JSON filter and buffer,
//! polygons drawn by the user, or earthquakes), the exposure layer, the admin level to
//! group by, the period (day or night population) and how many days of needs to count.
//! Everything is checked against the atlas here, so the overlay never meets an unknown
//! layer or field: errors name the hazard (`hazards[2]: ...`) and what is wrong.

use super::needs::{DisplacementTable, NeedsProfile};
use super::selection::feature_fids;
pub use super::selection::{MAX_HAZARD_IDS, Selection};
use crate::atlas::{Atlas, Filter, Kind, LayerId};
use geo::{MultiPolygon, Point};
use serde::Deserialize;
use serde_json::Value as Json;

/// Most vertices a drawn polygon may have: bounds the work one request can cause.
pub const MAX_DRAWN_VERTICES: usize = 20_000;
/// Most hazards in one scenario.
pub const MAX_HAZARDS: usize = 1_000;
/// Largest buffer around a hazard point.
pub const MAX_BUFFER_M: f64 = 50_000.0;
/// Most days of needs.
pub const MAX_DAYS: u32 = 365;
/// Least intensity mapped when an earthquake does not say: VI, the lowest degree the
/// intensity scale (GB/T 17742) reads from damage to buildings.
pub const DEFAULT_MIN_INTENSITY: u8 = 6;
/// Days of needs counted when the scenario does not say: the first three days after a
/// disaster, before outside relief is expected to arrive in numbers.
pub const DEFAULT_DAYS: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
/// Which population a scenario counts.
pub enum Period {
    /// Day population (`population`).
    Day,
    /// Night population (`population_night`, else `population`).
    Night,
}

/// The admin level a report groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// 县.
    County,
    /// 乡镇.
    Township,
    /// 村.
    Village,
    /// 网格.
    Grid,
}

impl Level {
    /// The level as it is written in data and requests.
    pub fn code(self) -> &'static str {
        match self {
            Level::County => "county",
            Level::Township => "township",
            Level::Village => "village",
            Level::Grid => "grid",
        }
    }

    fn parse(s: &str) -> Option<Level> {
        [Level::County, Level::Township, Level::Village, Level::Grid]
            .into_iter()
            .find(|l| l.code() == s)
    }
}

/// An earthquake: epicentre, magnitude (Ms) and the least intensity to map.
#[derive(Debug, Clone, PartialEq)]
pub struct Earthquake {
    /// Where it strikes (lon/lat).
    pub epicentre: Point<f64>,
    /// Surface-wave magnitude Ms.
    pub magnitude: f64,
    /// Focal depth (km): reported, not used by the relation (see `earthquake`).
    pub depth_km: f64,
    /// The weakest intensity drawn as a band.
    pub min_intensity: u8,
    /// A name for the report.
    pub name: String,
    /// Zone of the attenuation relation (default: Qinghai-Tibet, which covers most of
    /// Sichuan and Gansu).
    pub zone: super::earthquake::Zone,
    /// Fault strike in degrees from north; `None` draws equal-area circles.
    pub strike_deg: Option<f64>,
    /// Whether the request gave `region` and `min_intensity`, or the defaults were used.
    pub region_given: bool,
    /// Whether the request gave `min_intensity` (else it is a default, and says so).
    pub min_intensity_given: bool,
}

/// One hazard of a scenario, checked.
#[derive(Debug, Clone)]
pub enum HazardSpec {
    /// Features of an atlas layer, optionally filtered; points buffered by `buffer_m`
    /// or their own `threat_radius_m`.
    Layer {
        /// The hazard layer.
        layer: LayerId,
        /// Which of its features.
        selection: Selection,
        /// Buffer for points (metres), overriding `threat_radius_m`.
        buffer_m: Option<f64>,
    },
    /// A polygon the user drew, with the repairs made to it; `severity` as given (the
    /// analysis says which default it used when it was not).
    Drawn {
        /// The area drawn, repaired where its rings crossed.
        area: MultiPolygon<f64>,
        /// Its severity, if the request gave one.
        severity: Option<u8>,
        /// A name for the report.
        name: String,
        /// Repairs made to the drawing, for the report.
        repairs: Vec<String>,
    },
    /// An earthquake's intensity bands.
    Earthquake(Earthquake),
}

/// A checked scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The hazards to assume.
    pub hazards: Vec<HazardSpec>,
    /// The population layer counted.
    pub exposure: LayerId,
    /// The admin level the report groups at.
    pub group_by: Level,
    /// Day or night population.
    pub period: Period,
    /// Days of supplies the needs count.
    pub days: u32,
    /// Displacement rates by hazard kind and severity.
    pub displacement: DisplacementTable,
    /// What one displaced person needs per day.
    pub needs: NeedsProfile,
    /// Options the request left out, each with the default used, for the report's
    /// assumptions (`group_by not given: township`).
    pub defaults: Vec<String>,
}

/// What is wrong with a scenario, and where in it (`hazards[2]`, `exposure`…).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// A layer the atlas does not hold.
    #[error("{}unknown layer {id:?}", prefix(at))]
    UnknownLayer {
        /// Where in the scenario.
        at: String,
        /// The layer named.
        id: String,
    },
    /// A layer that failed to load (its file unreadable or invalid), with why.
    #[error(
        "{}layer {id:?} failed to load: {reason} (see GET /api/layers)",
        prefix(at)
    )]
    FailedLayer {
        /// Where in the scenario.
        at: String,
        /// The layer named.
        id: String,
        /// Why it failed, from the load report.
        reason: String,
    },
    /// Anything else: a malformed or out-of-range field, with where it is.
    #[error("{0}")]
    Invalid(String),
}

fn prefix(at: &str) -> String {
    if at.is_empty() {
        String::new()
    } else {
        format!("{at}: ")
    }
}

impl ScenarioError {
    /// The same error, found inside `place` (`hazards[0]`, `exposure`).
    pub fn at(self, place: &str) -> ScenarioError {
        let nest = |at: String| {
            if at.is_empty() {
                place.to_string()
            } else {
                format!("{place}: {at}")
            }
        };
        match self {
            ScenarioError::UnknownLayer { at, id } => {
                ScenarioError::UnknownLayer { at: nest(at), id }
            }
            ScenarioError::FailedLayer { at, id, reason } => ScenarioError::FailedLayer {
                at: nest(at),
                id,
                reason,
            },
            ScenarioError::Invalid(msg) => ScenarioError::Invalid(format!("{place}: {msg}")),
        }
    }
}

pub(super) fn err<T>(msg: impl Into<String>) -> Result<T, ScenarioError> {
    Err(ScenarioError::Invalid(msg.into()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    hazards: Vec<RawHazard>,
    exposure: Option<String>,
    group_by: Option<String>,
    period: Option<String>,
    days: Option<u32>,
    displacement: Option<Json>,
    needs: Option<Json>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHazard {
    layer: Option<String>,
    ids: Option<Vec<String>>,
    #[serde(rename = "where")]
    filter: Option<Json>,
    buffer_m: Option<f64>,
    geometry: Option<Json>,
    severity: Option<i64>,
    name: Option<String>,
    earthquake: Option<RawQuake>,
    min_intensity: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuake {
    lon: f64,
    lat: f64,
    magnitude: f64,
    #[serde(default = "default_depth")]
    depth_km: f64,
    name: Option<String>,
    region: Option<String>,
    strike_deg: Option<f64>,
}

fn default_depth() -> f64 {
    10.0
}

impl Scenario {
    /// Parses scenario JSON against the atlas.
    pub fn parse(json: &Json, atlas: &Atlas) -> Result<Scenario, ScenarioError> {
        let raw: RawScenario = serde_json::from_value(json.clone())
            .map_err(|e| ScenarioError::Invalid(format!("scenario: {e}")))?;
        if raw.hazards.len() > MAX_HAZARDS {
            return err(format!(
                "scenario: {} hazards; at most {MAX_HAZARDS}",
                raw.hazards.len()
            ));
        }
        let hazards = raw
            .hazards
            .iter()
            .enumerate()
            .map(|(i, h)| parse_hazard(h, atlas).map_err(|e| e.at(&format!("hazards[{i}]"))))
            .collect::<Result<Vec<_>, _>>()?;
        let mut defaults = Vec::new();
        let exposure = exposure_layer(atlas, raw.exposure.as_deref())?;
        if raw.exposure.is_none() {
            defaults.push(format!(
                "exposure not given: the first population layer, {:?}",
                exposure.as_str()
            ));
        }
        let group_by = match raw.group_by.as_deref() {
            None => {
                defaults.push("group_by not given: township".to_string());
                Level::Township
            }
            Some(s) => Level::parse(s).ok_or_else(|| {
                ScenarioError::Invalid(format!(
                    "group_by: {s:?} is not county, township, village or grid"
                ))
            })?,
        };
        let period = match raw.period.as_deref() {
            None => {
                defaults.push("period not given: day population".to_string());
                Period::Day
            }
            Some("day") => Period::Day,
            Some("night") => Period::Night,
            Some(other) => return err(format!("period: {other:?} is not day or night")),
        };
        let days = raw.days.unwrap_or_else(|| {
            defaults.push(format!("days not given: needs for {DEFAULT_DAYS} days"));
            DEFAULT_DAYS
        });
        if !(1..=MAX_DAYS).contains(&days) {
            return err(format!("days: {days} is outside 1..={MAX_DAYS}"));
        }
        let displacement = match &raw.displacement {
            None => DisplacementTable::default(),
            Some(j) => DisplacementTable::from_json(j)
                .map_err(|e| ScenarioError::Invalid(format!("displacement: {e}")))?,
        };
        let needs = match &raw.needs {
            None => NeedsProfile::default(),
            Some(j) => NeedsProfile::from_json(j)
                .map_err(|e| ScenarioError::Invalid(format!("needs: {e}")))?,
        };
        Ok(Scenario {
            hazards,
            exposure,
            group_by,
            period,
            days,
            displacement,
            needs,
            defaults,
        })
    }
}

/// The exposure layer a request names (or, named by none, the first population layer):
/// the one lookup every analysis uses, so every endpoint answers alike.
pub fn exposure_layer(atlas: &Atlas, named: Option<&str>) -> Result<LayerId, ScenarioError> {
    match named {
        Some(id) => {
            let layer = atlas
                .layer(id)
                .ok_or_else(|| missing_layer(atlas, id).at("exposure"))?;
            if layer.kind != Kind::Population {
                return err(format!(
                    "exposure: layer {id:?} is a {} layer, not population; exposure needs a population layer",
                    layer.kind
                ));
            }
            Ok(layer.id.clone())
        }
        None => atlas
            .layers()
            .iter()
            .find(|l| l.kind == Kind::Population)
            .map(|l| l.id.clone())
            .ok_or_else(|| {
                ScenarioError::Invalid(format!(
                    "exposure: the atlas has no population layer{}",
                    failed_note(atlas)
                ))
            }),
    }
}

/// A layer the atlas does not hold: one that failed to load says so, with the load
/// report's reason, since "unknown" would send the planner looking for a typo.
fn missing_layer(atlas: &Atlas, id: &str) -> ScenarioError {
    match atlas.failed_layer(id) {
        Some(failed) => ScenarioError::FailedLayer {
            at: String::new(),
            id: id.to_string(),
            reason: failed.reason.clone(),
        },
        None => ScenarioError::UnknownLayer {
            at: String::new(),
            id: id.to_string(),
        },
    }
}

/// "; layers that failed to load: a, b" when some did, for messages about what is absent.
fn failed_note(atlas: &Atlas) -> String {
    let failed: Vec<&str> = atlas
        .failed_layers()
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    if failed.is_empty() {
        String::new()
    } else {
        format!("; layers that failed to load: {}", failed.join(", "))
    }
}

fn parse_hazard(h: &RawHazard, atlas: &Atlas) -> Result<HazardSpec, ScenarioError> {
    let given = [
        h.layer.is_some(),
        h.geometry.is_some(),
        h.earthquake.is_some(),
    ];
    if given.iter().filter(|g| **g).count() != 1 {
        return err("give exactly one of \"layer\", \"geometry\" or \"earthquake\"");
    }
    match (&h.layer, &h.geometry, &h.earthquake) {
        (Some(id), _, _) => layer_hazard(h, id, atlas),
        (_, Some(g), _) => drawn_hazard(h, g),
        (_, _, Some(q)) => earthquake_hazard(h, q),
        _ => unreachable!("exactly one is given"),
    }
}

/// Features of a hazard layer, filtered by `where` and (points) buffered by `buffer_m`.
fn layer_hazard(h: &RawHazard, id: &str, atlas: &Atlas) -> Result<HazardSpec, ScenarioError> {
    let layer = atlas.layer(id).ok_or_else(|| missing_layer(atlas, id))?;
    if !matches!(
        layer.kind,
        Kind::Flood | Kind::Landslide | Kind::Wildfire | Kind::Hazard
    ) {
        return err(format!(
            "layer {id:?} is a {} layer, not a hazard (flood, landslide, wildfire or hazard)",
            layer.kind
        ));
    }
    let filter = h
        .filter
        .as_ref()
        .map(|f| Filter::from_json(f, &layer.schema, layer.kind))
        .transpose()
        .map_err(|e| ScenarioError::Invalid(e.to_string()))?;
    if let Some(b) = h.buffer_m
        && !(b.is_finite() && b > 0.0 && b <= MAX_BUFFER_M)
    {
        return err(format!(
            "buffer_m {b} must be above 0 and at most {MAX_BUFFER_M}"
        ));
    }
    if h.severity.is_some() || h.min_intensity.is_some() {
        return err("\"severity\" and \"min_intensity\" do not apply to layer hazards");
    }
    let fids = h
        .ids
        .as_deref()
        .map(|ids| feature_fids(layer, ids))
        .transpose()?;
    Ok(HazardSpec::Layer {
        layer: layer.id.clone(),
        selection: Selection { filter, fids },
        buffer_m: h.buffer_m,
    })
}

/// A polygon the user drew, with an optional severity and name.
fn drawn_hazard(h: &RawHazard, g: &Json) -> Result<HazardSpec, ScenarioError> {
    if let Some(severity) = h.severity
        && !(1..=4).contains(&severity)
    {
        return err(format!(
            "severity {severity} is outside 1 (blue) ..= 4 (red)"
        ));
    }
    let (area, repairs) = super::drawn::drawn_area(g)?;
    let name = h.name.clone().unwrap_or_else(|| "drawn area".into());
    Ok(HazardSpec::Drawn {
        area,
        severity: h.severity.map(|s| s as u8),
        name,
        repairs,
    })
}

/// An earthquake at an epicentre, checked against the attenuation relation's ranges.
fn earthquake_hazard(h: &RawHazard, q: &RawQuake) -> Result<HazardSpec, ScenarioError> {
    if !(q.lon.is_finite()
        && (-180.0..=180.0).contains(&q.lon)
        && q.lat.is_finite()
        && (-90.0..=90.0).contains(&q.lat))
    {
        return err(format!(
            "earthquake epicentre [{}, {}] is outside lon/lat range",
            q.lon, q.lat
        ));
    }
    if !(q.magnitude.is_finite()
        && (super::earthquake::MIN_MAGNITUDE..=super::earthquake::MAX_MAGNITUDE)
            .contains(&q.magnitude))
    {
        return err(format!(
            "earthquake magnitude {} is outside {}..={} (the range of the attenuation relation)",
            q.magnitude,
            super::earthquake::MIN_MAGNITUDE,
            super::earthquake::MAX_MAGNITUDE
        ));
    }
    if !(q.depth_km.is_finite() && (0.0..=700.0).contains(&q.depth_km)) {
        return err(format!(
            "earthquake depth_km {} is outside 0..=700",
            q.depth_km
        ));
    }
    let min_intensity = h.min_intensity.unwrap_or(i64::from(DEFAULT_MIN_INTENSITY));
    if !(6..=12).contains(&min_intensity) {
        return err(format!("min_intensity {min_intensity} is outside 6..=12"));
    }
    let zone = match q.region.as_deref() {
        None => super::earthquake::QINGHAI_TIBET,
        Some(r) => super::earthquake::ZONES
            .into_iter()
            .find(|z| z.name == r)
            .ok_or_else(|| {
                let names: Vec<&str> = super::earthquake::ZONES.iter().map(|z| z.name).collect();
                ScenarioError::Invalid(format!(
                    "earthquake region {r:?} is not one of {}",
                    names.join(", ")
                ))
            })?,
    };
    if let Some(s) = q.strike_deg
        && !(s.is_finite() && (0.0..=360.0).contains(&s))
    {
        return err(format!("earthquake strike_deg {s} is outside 0..=360"));
    }
    Ok(HazardSpec::Earthquake(Earthquake {
        zone,
        strike_deg: q.strike_deg,
        region_given: q.region.is_some(),
        min_intensity_given: h.min_intensity.is_some(),
        epicentre: Point::new(q.lon, q.lat),
        magnitude: q.magnitude,
        depth_km: q.depth_km,
        min_intensity: min_intensity as u8,
        name: q
            .name
            .clone()
            .unwrap_or_else(|| format!("M{} earthquake", q.magnitude)),
    }))
}
