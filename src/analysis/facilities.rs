//! Facilities and shelters inside a scenario's hazards, and whether each shelter can
//! still take evacuees.
//!
//! A shelter inside a flood zone, a landslide threat area, a fire-danger zone, another
//! hazard or a drawn area is closed: the hazard is what people are leaving. An
//! earthquake is different. It leaves the ground of a square or a school yard as safe
//! as it was, and open spaces are where people gather after one; what it may make
//! unsafe is the inside of buildings. So an earthquake band closes a building shelter
//! only from intensity [`BUILDING_SHELTERS_CLOSE_AT`], and never an open space
//! ([`OPEN_SPACE_TYPES`]). A shelter without `shelter_type` is taken as a building,
//! the cautious reading, and the report says how many were.

use super::hazards::{Contact, HazardArea, roman};
use super::overlay::HazardOverlay;
use crate::atlas::{Atlas, Kind};
use serde::Serialize;

/// The intensity from which an earthquake band closes building shelters: VIII.
///
/// Schools, hospitals and buildings designated as emergency shelters are in the key
/// fortification class (重点设防类, class B) of GB 50223-2008: they take seismic
/// measures one degree above the local fortification intensity. Where the basic
/// intensity (GB 18306-2015) is VII, a building shelter is built with the measures of
/// VIII. China's intensity scale (GB/T 17742-2020) has buildings with seismic design
/// (its class C) slightly to moderately damaged at VII, but at VIII some of them
/// moderately to severely damaged. Below VIII, a building shelter is counted on (after
/// the usual inspection); from VIII it cannot be until an engineer has seen it, so a
/// plan must not send people there. Where the basic intensity is VIII or more, the
/// buildings are stronger and this threshold is on the cautious side.
pub const BUILDING_SHELTERS_CLOSE_AT: u8 = 8;

/// `shelter_type` values of shelters in the open air, which no earthquake closes:
/// squares, school yards, parks, playgrounds, green space, sports fields. English
/// values match after lowercasing with `-` read as `_`; the Chinese ones also match at
/// the end of a longer type (文化广场, 学校操场), since a Chinese compound names its
/// kind last.
pub const OPEN_SPACE_TYPES: [&str; 13] = [
    "square",
    "county_square",
    "school_yard",
    "park",
    "open_space",
    "playground",
    "green",
    "stadium_field",
    "sports_field",
    "广场",
    "公园",
    "绿地",
    "操场",
];

/// What kind of place a shelter is, as far as an earthquake is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShelterClass {
    /// Open air: squares, school yards, parks.
    OpenSpace,
    /// A building (halls, schools' buildings, gyms).
    Building,
    /// No `shelter_type`: treated as a building.
    Untyped,
}

impl ShelterClass {
    /// The class of a `shelter_type` value.
    pub fn of(shelter_type: Option<&str>) -> ShelterClass {
        let Some(t) = shelter_type.map(str::trim).filter(|t| !t.is_empty()) else {
            return ShelterClass::Untyped;
        };
        let t = t.to_lowercase().replace('-', "_");
        let open = OPEN_SPACE_TYPES
            .iter()
            .any(|&o| t == o || (!o.is_ascii() && t.ends_with(o)));
        if open {
            ShelterClass::OpenSpace
        } else {
            ShelterClass::Building
        }
    }
}

/// Whether a shelter inside some hazards can take evacuees, and why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Usability {
    /// The rule that closed it; `None` when it stays usable.
    pub closed_by: Option<String>,
    /// Why a shelter inside a hazard stays usable.
    pub note: Option<String>,
}

/// The noun for a hazard area of a kind that closes shelters.
fn area_noun(kind: &str) -> &'static str {
    match kind {
        "flood" => "flood zone",
        "landslide" => "landslide threat area",
        "wildfire" => "fire-danger zone",
        "drawn" => "drawn area",
        _ => "hazard area",
    }
}

/// Whether a shelter of `class` inside `hazards` (non-empty) can take evacuees. Any
/// hazard but an earthquake closes it, the most severe named; earthquake bands close
/// it by the rule of [`BUILDING_SHELTERS_CLOSE_AT`], the strongest band deciding.
pub fn shelter_usability(class: ShelterClass, hazards: &[&HazardArea]) -> Usability {
    let closing = hazards
        .iter()
        .filter(|h| h.intensity.is_none())
        .reduce(|a, b| if b.severity > a.severity { b } else { a });
    if let Some(h) = closing {
        return Usability {
            closed_by: Some(format!("inside {} {}", area_noun(h.kind), h.id)),
            note: None,
        };
    }
    let Some(intensity) = hazards.iter().filter_map(|h| h.intensity).max() else {
        return Usability::default();
    };
    let (at, threshold) = (roman(intensity), roman(BUILDING_SHELTERS_CLOSE_AT));
    match class {
        ShelterClass::OpenSpace => Usability {
            closed_by: None,
            note: Some(format!(
                "open space inside earthquake intensity {at}: earthquakes do not close open-space shelters"
            )),
        },
        _ if intensity >= BUILDING_SHELTERS_CLOSE_AT => Usability {
            closed_by: Some(format!(
                "earthquake intensity {at} ≥ {threshold} closes building shelters{}",
                if class == ShelterClass::Untyped {
                    " (no shelter_type: taken as a building)"
                } else {
                    ""
                }
            )),
            note: None,
        },
        _ => Usability {
            closed_by: None,
            note: Some(format!(
                "building inside earthquake intensity {at}, below {threshold}: usable after inspection"
            )),
        },
    }
}

#[derive(Debug, Clone, Serialize)]
/// A shelter or facility inside the scenario's hazards.
pub struct FacilityAtRisk {
    /// Its layer's id.
    pub layer: String,
    /// Its feature index in that layer; for the server's own lookups, never shown.
    #[serde(skip)]
    pub fid: u32,
    /// Its feature id (the stable one).
    pub id: String,
    /// Its name, if it has one.
    pub name: Option<String>,
    /// `shelter`, or the facility type (`school`, `hospital`, `nursing_home`, ...).
    pub category: String,
    /// Shelters: the layer's `shelter_type`, if given.
    pub shelter_type: Option<String>,
    /// The hazards it lies in (ids as in `by_hazard`).
    pub hazards: Vec<String>,
    /// The highest severity among them.
    pub severity: u8,
    /// The shelter cannot take evacuees: exactly when `closed_by` is set.
    pub unusable: bool,
    /// The rule that closed the shelter (`inside flood zone floods/3`, `earthquake
    /// intensity VIII ≥ VIII closes building shelters`).
    pub closed_by: Option<String>,
    /// Why a shelter inside a hazard stays usable.
    pub note: Option<String>,
    /// People inside (facilities' `occupants`).
    pub occupants: Option<i64>,
    /// Places (shelters' `capacity`).
    pub capacity: Option<i64>,
    /// Whom to call about it.
    pub contact: Option<Contact>,
}

/// Shelters and facilities (schools, hospitals, nursing homes, ...) inside hazards.
pub fn facilities_at_risk(atlas: &Atlas, overlay: &HazardOverlay) -> Vec<FacilityAtRisk> {
    let mut out = Vec::new();
    for layer in atlas
        .layers()
        .iter()
        .filter(|l| matches!(l.kind, Kind::Shelter | Kind::Facility))
    {
        for (fid, feature) in layer.features().iter().enumerate() {
            let fid = fid as u32;
            let (hits, _) = overlay.hits(&feature.geometry);
            if hits.is_empty() {
                continue;
            }
            let hazards: Vec<&HazardArea> = hits.iter().map(|&i| &overlay.areas[i]).collect();
            let shelter = layer.kind == Kind::Shelter;
            let shelter_type = layer
                .value(fid, "shelter_type")
                .as_str()
                .filter(|_| shelter)
                .map(str::to_string);
            let usability = if shelter {
                shelter_usability(ShelterClass::of(shelter_type.as_deref()), &hazards)
            } else {
                Usability::default()
            };
            out.push(FacilityAtRisk {
                layer: layer.id.to_string(),
                fid,
                id: feature.id.to_string(),
                name: layer.value(fid, "name").as_str().map(str::to_string),
                category: if shelter {
                    "shelter".into()
                } else {
                    layer
                        .value(fid, "facility_type")
                        .as_str()
                        .unwrap_or("facility")
                        .to_string()
                },
                shelter_type,
                hazards: hazards.iter().map(|h| h.id.clone()).collect(),
                severity: hazards.iter().map(|h| h.severity).max().unwrap_or(0),
                unusable: usability.closed_by.is_some(),
                closed_by: usability.closed_by,
                note: usability.note,
                occupants: layer.value(fid, "occupants").as_i64(),
                capacity: layer.value(fid, "capacity").as_i64(),
                contact: Contact::of(layer, fid),
            });
        }
    }
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.layer.cmp(&b.layer))
            .then(a.fid.cmp(&b.fid))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::hazards::SeverityFrom;

    fn area(id: &str, kind: &'static str, severity: u8, intensity: Option<u8>) -> HazardArea {
        HazardArea {
            id: id.into(),
            name: id.into(),
            kind,
            severity,
            severity_from: SeverityFrom::Severity,
            intensity,
            default_radius: false,
            area: geo::MultiPolygon(Vec::new()),
            source: None,
            contact: None,
            detail: serde_json::Value::Null,
        }
    }

    #[test]
    fn shelter_types_are_read_as_open_spaces_buildings_or_untyped() {
        for open in [
            "square",
            "School-Yard",
            " park ",
            "广场",
            "文化广场",
            "学校操场",
            "城市公园",
        ] {
            assert_eq!(
                ShelterClass::of(Some(open)),
                ShelterClass::OpenSpace,
                "{open}"
            );
        }
        for building in ["township_hall", "gymnasium", "体育馆", "squares_hall"] {
            assert_eq!(
                ShelterClass::of(Some(building)),
                ShelterClass::Building,
                "{building}"
            );
        }
        assert_eq!(ShelterClass::of(None), ShelterClass::Untyped);
        assert_eq!(ShelterClass::of(Some("  ")), ShelterClass::Untyped);
    }

    #[test]
    fn a_flood_closes_even_an_open_space_and_the_most_severe_hazard_is_named() {
        let quake = area("earthquake/0/6", "earthquake", 1, Some(6));
        let low = area("floods/1", "flood", 2, None);
        let high = area("floods/2", "flood", 4, None);
        let u = shelter_usability(ShelterClass::OpenSpace, &[&quake, &low, &high]);
        assert_eq!(u.closed_by.as_deref(), Some("inside flood zone floods/2"));
    }

    #[test]
    fn earthquake_bands_close_buildings_from_viii_and_never_open_spaces() {
        let vii = area("earthquake/0/7", "earthquake", 2, Some(7));
        let ix = area("earthquake/1/9", "earthquake", 4, Some(9));
        let building_vii = shelter_usability(ShelterClass::Building, &[&vii]);
        assert_eq!(building_vii.closed_by, None);
        assert!(building_vii.note.unwrap().contains("below VIII"));
        // Two earthquakes: the stronger band decides.
        assert_eq!(
            shelter_usability(ShelterClass::Building, &[&vii, &ix])
                .closed_by
                .as_deref(),
            Some("earthquake intensity IX ≥ VIII closes building shelters")
        );
        let open_ix = shelter_usability(ShelterClass::OpenSpace, &[&ix]);
        assert_eq!(open_ix.closed_by, None);
        assert!(open_ix.note.is_some());
    }
}
