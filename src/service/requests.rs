//! Typed requests: each analysis request as a struct that serde reads and refuses
//! unknown keys in, then checked once against one set of bounds.
//!
//! OSRM's per-service `*_parameters` are the model: one place says what a request may
//! hold and how far each number may go, so every endpoint answers a bad value with the
//! same words and the same status.

use super::error::RequestError;
use crate::routing::Profile;
use serde::Deserialize;
use std::ops::RangeInclusive;

/// Speeds a request may set for every road (km/h).
pub const SPEED_KMH: RangeInclusive<f64> = 0.5..=200.0;
/// The longest trip a request may allow (minutes).
pub const MAX_MINUTES: RangeInclusive<f64> = 1.0..=1440.0;
/// Straight-line detour factors.
pub const DETOUR_FACTOR: RangeInclusive<f64> = 1.0..=5.0;
/// Nearest shelters a plan may start from per unit.
pub const CANDIDATES: RangeInclusive<f64> = 1.0..=50.0;
/// Coverage thresholds (minutes), and how many.
pub const THRESHOLD_MINUTES: RangeInclusive<f64> = 1.0..=1440.0;
/// At most this many coverage thresholds.
pub const MAX_THRESHOLDS: usize = 10;

/// A number from a request, inside its documented range.
pub fn bounded(name: &str, value: f64, range: &RangeInclusive<f64>) -> Result<f64, RequestError> {
    if value.is_finite() && range.contains(&value) {
        Ok(value)
    } else {
        Err(RequestError::OutOfRange {
            name: name.to_string(),
            value: value.to_string(),
            lo: *range.start(),
            hi: *range.end(),
        })
    }
}

/// How a request travels: a named profile, optionally at one speed on every road.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProfileSpec {
    /// `walk` (default) or `drive`.
    pub profile: Option<String>,
    /// One speed for every road (km/h), overriding the profile's.
    pub speed_kmh: Option<f64>,
}

impl ProfileSpec {
    /// The profile (walking when none is named), or why not.
    pub fn resolve(&self) -> Result<Profile, RequestError> {
        let mut profile = match self.profile.as_deref() {
            None => Profile::walk(),
            Some(name) => {
                Profile::by_name(name).ok_or_else(|| RequestError::UnknownProfile(name.into()))?
            }
        };
        if let Some(v) = self.speed_kmh {
            profile.uniform_kmh = Some(bounded("speed_kmh", v, &SPEED_KMH)?);
        }
        Ok(profile)
    }
}

/// `POST /api/route`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteBody {
    /// `[lon, lat]`; read as JSON so a wrong shape gets a message that says the shape.
    pub from: Option<serde_json::Value>,
    /// `[lon, lat]` of the destination.
    pub to: Option<serde_json::Value>,
    /// `walk` (default) or `drive`.
    pub profile: Option<String>,
    /// One speed for every road (km/h).
    pub speed_kmh: Option<f64>,
    /// Roads meeting this scenario's hazards are closed.
    pub scenario: Option<serde_json::Value>,
}

/// `POST /api/coverage`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageBody {
    /// The population layer; the first one when not given.
    pub exposure: Option<String>,
    /// How residents reach shelter: `walk` (default) or `drive`.
    pub profile: Option<String>,
    /// One speed for every road (km/h), for residents.
    pub speed_kmh: Option<f64>,
    /// How rescue teams reach the units: `drive` (default) or `walk`.
    pub team_profile: Option<String>,
    /// Minutes to count the people beyond (default 5, 10, 15, 30).
    pub thresholds: Option<Vec<f64>>,
    /// Where isochrones start (default: every open shelter).
    pub isochrones_from: Option<IsochronesFrom>,
}

/// Where coverage isochrones start: `"shelters"` or a point.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum IsochronesFrom {
    /// `"shelters"`.
    Named(String),
    /// `{"lon": .., "lat": ..}`.
    Point {
        /// Longitude (WGS84).
        lon: f64,
        /// Latitude (WGS84).
        lat: f64,
    },
}

/// The evacuation options beside the scenario in `POST /api/evacuation`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvacuationOptionsBody {
    /// `road` or `straight_line`.
    pub routing: Option<String>,
    /// `walk` (default) or `drive`.
    pub profile: Option<String>,
    /// One speed for every road (km/h).
    pub speed_kmh: Option<f64>,
    /// Straight-line mode: road distance over straight distance.
    pub detour_factor: Option<f64>,
    /// Nearest shelters per unit to start from.
    pub candidates: Option<f64>,
    /// The longest trip considered (minutes).
    pub max_minutes: Option<f64>,
    /// Send each unit whole to one shelter.
    pub keep_villages_whole: Option<bool>,
}

/// A lon/lat position from a request.
pub fn position(name: &str, [x, y]: [f64; 2]) -> Result<geo::Point<f64>, RequestError> {
    if x.is_finite()
        && y.is_finite()
        && (-180.0..=180.0).contains(&x)
        && (-90.0..=90.0).contains(&y)
    {
        Ok(geo::Point::new(x, y))
    } else {
        Err(RequestError::Invalid(format!(
            "{name} [{x}, {y}] is not a lon/lat position"
        )))
    }
}

/// Reads a request body of type `T`, with messages a person can act on: the key that is
/// unknown (and the keys there are), the one missing, or the one of the wrong type,
/// named by its path (`hazards[0].where`).
pub fn from_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, RequestError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        explain(&path, &e.into_inner())
    })
}

/// As [`from_json`], from a JSON value already parsed.
pub fn from_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
) -> Result<T, RequestError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        explain(&path, &e.into_inner())
    })
}

fn explain(path: &str, e: &serde_json::Error) -> RequestError {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the path says where better.
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (key, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let takes = expected
            .trim_start_matches(", expected one of ")
            .trim_start_matches(", expected ")
            .replace('`', "");
        return RequestError::Invalid(format!(
            "unknown key {key:?}: an unknown field for this request, which takes {takes}"
        ));
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or(rest);
        return RequestError::Invalid(format!("{key} is missing"));
    }
    // A top-level array or scalar (serde would even read an array as a struct's fields).
    if (path.is_empty() || path == ".")
        && (msg.starts_with("invalid type") || msg.starts_with("invalid length"))
    {
        return RequestError::Invalid("the request must be a JSON object".into());
    }
    if e.is_syntax() || e.is_eof() {
        return RequestError::Malformed(msg);
    }
    let msg = msg.replace("expected a boolean", "expected true or false");
    if path.is_empty() || path == "." {
        RequestError::Invalid(msg)
    } else {
        RequestError::Invalid(format!("{path}: {msg}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_profile_names_the_profiles_there_are() {
        let spec = ProfileSpec {
            profile: Some("swim".into()),
            speed_kmh: None,
        };
        assert_eq!(
            spec.resolve().unwrap_err().to_string(),
            "unknown profile \"swim\"; profiles are walk and drive"
        );
    }

    #[test]
    fn a_speed_outside_its_range_is_refused_with_the_range() {
        let spec = ProfileSpec {
            profile: None,
            speed_kmh: Some(500.0),
        };
        assert_eq!(
            spec.resolve().unwrap_err().to_string(),
            "speed_kmh 500 must be a number from 0.5 to 200"
        );
        let ok = ProfileSpec {
            profile: Some("drive".into()),
            speed_kmh: Some(30.0),
        };
        assert_eq!(ok.resolve().unwrap().uniform_kmh, Some(30.0));
    }
}
