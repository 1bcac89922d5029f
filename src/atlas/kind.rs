//! Layer kinds and their canonical attributes: the data contract of design.md.
//!
//! Each kind names the geometries it accepts and its canonical attributes with their
//! types, whether they are required, and the values they may take. Importers map source
//! fields onto these names and the validator enforces them; everything past the import
//! boundary can trust that, say, every `flood` feature has an integer
//! `return_period_years` and a severity in 1..=4 when it has one at all.
//!
//! The bounds below ([`MAX_PEOPLE`], [`MAX_STOCK`], [`MAX_HAZARD_AREA_KM2`], occupancy
//! within capacity, unique admin codes) are the data contract's, in one place: the README's
//! table of bounds repeats them, and every way data comes in (a layer file, PostGIS,
//! `riskatlas import`, an edit) is checked against them by `import::validate`.

use super::value::FieldType;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// The geometry families a layer may hold. Multi-geometries belong to their family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GeometryClass {
    /// Points and multi-points.
    Point,
    /// Lines and multi-lines.
    Line,
    /// Polygons and multi-polygons.
    Polygon,
}

impl fmt::Display for GeometryClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GeometryClass::Point => "point",
            GeometryClass::Line => "line",
            GeometryClass::Polygon => "polygon",
        })
    }
}

/// What values a canonical attribute may take beyond its type.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// Any value of the type.
    Any,
    /// Inclusive integer range (severity 1–4, danger level 1–5).
    Range(i64, i64),
    /// Zero or more (a depth, an area).
    NonNegative,
    /// More than zero (a radius, a speed, a return period).
    Positive,
    /// A count from 0 to this bound ([`MAX_PEOPLE`], [`MAX_STOCK`]).
    Count(i64),
    /// One of these codes; `aliases` maps common source spellings (often Chinese) to them.
    OneOf {
        /// The values stored.
        codes: &'static [&'static str],
        /// (source spelling, code) pairs accepted for them.
        aliases: &'static [(&'static str, &'static str)],
    },
    /// Free text with aliases normalised (open vocabularies such as facility types).
    Aliased(&'static [(&'static str, &'static str)]),
}

/// A canonical attribute of a kind.
#[derive(Debug, Clone, Copy)]
pub struct Attr {
    /// The canonical name, as layers, filters and analyses spell it.
    pub name: &'static str,
    /// The type a value is coerced to.
    pub ty: FieldType,
    /// A feature without it is refused (unless `[layer.defaults]` gives one).
    pub required: bool,
    /// What values it may take beyond its type.
    pub rule: Rule,
}

const fn req(name: &'static str, ty: FieldType, rule: Rule) -> Attr {
    Attr {
        name,
        ty,
        required: true,
        rule,
    }
}

const fn opt(name: &'static str, ty: FieldType, rule: Rule) -> Attr {
    Attr {
        name,
        ty,
        required: false,
        rule,
    }
}

use FieldType::{Boolean, Integer, Number, String as Text};
use Rule::{Any, NonNegative, Positive};

/// One scale everywhere: 1 blue, 2 yellow, 3 orange, 4 red (the national warning colours,
/// [`crate::render::palette`]).
pub const SEVERITY: Rule = Rule::Range(1, 4);

/// The most people, households or places one feature may count (population, capacity,
/// occupancy, members, occupants, …): fifty million, above any city on earth (China's
/// largest unit, Chongqing municipality, has 32 million; the GeoNames extract in
/// `data/real` has Shanghai at 24.9 million, which must load). More is a typo or a
/// slipped unit (a 12-digit admin code in the count column), which every plan would
/// otherwise believe: a county sent to one shelter of "1e20" places.
pub const MAX_PEOPLE: i64 = 50_000_000;

/// The most of one stock item one depot may hold (tents, quilts, kilograms of rice,
/// litres of water): a billion, beyond any national reserve.
pub const MAX_STOCK: i64 = 1_000_000_000;

/// The largest hazard polygon (flood, wildfire, hazard, and drawn areas), in km²: about
/// a province. A larger one is taken for a coordinate error (swapped lon/lat, a
/// placeholder box round the world) that would put a whole region under one hazard.
pub const MAX_HAZARD_AREA_KM2: f64 = 100_000.0;

const PEOPLE: Rule = Rule::Count(MAX_PEOPLE);
const STOCK: Rule = Rule::Count(MAX_STOCK);

const NAME: Attr = opt("name", Text, Any);
const CONTACT_NAME: Attr = opt("contact_name", Text, Any);
const CONTACT_PHONE: Attr = opt("contact_phone", Text, Any);

const ADMIN: &[Attr] = &[
    req("code", Text, Any),
    req("name", Text, Any),
    req(
        "level",
        Text,
        Rule::OneOf {
            codes: &["county", "township", "village", "grid"],
            aliases: &[
                ("县", "county"),
                ("区", "county"),
                ("乡镇", "township"),
                ("镇", "township"),
                ("乡", "township"),
                ("街道", "township"),
                ("村", "village"),
                ("社区", "village"),
                ("网格", "grid"),
            ],
        },
    ),
    opt("parent_code", Text, Any),
    CONTACT_NAME,
    CONTACT_PHONE,
];

const POPULATION: &[Attr] = &[
    req("population", Integer, PEOPLE),
    opt("households", Integer, PEOPLE),
    opt("elderly", Integer, PEOPLE),
    opt("children", Integer, PEOPLE),
    opt("disabled", Integer, PEOPLE),
    opt("population_night", Integer, PEOPLE),
    opt("admin_code", Text, Any),
    NAME,
];

const LANDSLIDE: &[Attr] = &[
    opt(
        "hazard_type",
        Text,
        Rule::OneOf {
            codes: &["landslide", "collapse", "debris_flow", "subsidence"],
            aliases: &[
                ("滑坡", "landslide"),
                ("崩塌", "collapse"),
                ("泥石流", "debris_flow"),
                ("地面塌陷", "subsidence"),
                ("塌陷", "subsidence"),
            ],
        },
    ),
    opt("threatened_people", Integer, PEOPLE),
    opt("threatened_households", Integer, PEOPLE),
    opt("threat_radius_m", Number, Positive),
    opt("severity", Integer, SEVERITY),
    NAME,
    CONTACT_NAME,
    CONTACT_PHONE,
];

const FLOOD: &[Attr] = &[
    req("return_period_years", Integer, Positive),
    opt("depth_m", Number, NonNegative),
    opt("severity", Integer, SEVERITY),
    NAME,
];

const WILDFIRE: &[Attr] = &[
    req("danger_level", Integer, Rule::Range(1, 5)),
    opt("severity", Integer, SEVERITY),
    NAME,
];

const HAZARD: &[Attr] = &[
    opt("hazard_type", Text, Any),
    opt("severity", Integer, SEVERITY),
    NAME,
];

const SHELTER: &[Attr] = &[
    req("capacity", Integer, PEOPLE),
    opt("capacity_night", Integer, PEOPLE),
    opt("area_m2", Number, NonNegative),
    opt("shelter_type", Text, Any),
    opt(
        "status",
        Text,
        Rule::OneOf {
            codes: &["open", "closed", "full"],
            aliases: &[("开放", "open"), ("关闭", "closed"), ("已满", "full")],
        },
    ),
    opt("occupancy", Integer, PEOPLE),
    NAME,
    CONTACT_NAME,
    CONTACT_PHONE,
];

/// Depot stock items the needs profile knows; other numeric columns are kept as extras.
pub const STOCK_ITEMS: &[&str] = &[
    "rice_kg",
    "water_l",
    "instant_food_kg",
    "tents",
    "quilts",
    "folding_beds",
    "clothing_sets",
];

const DEPOT: &[Attr] = &[
    opt("rice_kg", Number, STOCK),
    opt("water_l", Number, STOCK),
    opt("instant_food_kg", Number, STOCK),
    opt("tents", Integer, STOCK),
    opt("quilts", Integer, STOCK),
    opt("folding_beds", Integer, STOCK),
    opt("clothing_sets", Integer, STOCK),
    NAME,
    CONTACT_NAME,
    CONTACT_PHONE,
];

const TEAM: &[Attr] = &[
    opt("members", Integer, PEOPLE),
    opt("team_type", Text, Any),
    NAME,
    CONTACT_NAME,
    CONTACT_PHONE,
];

const FACILITY: &[Attr] = &[
    req(
        "facility_type",
        Text,
        Rule::Aliased(&[
            ("学校", "school"),
            ("小学", "school"),
            ("中学", "school"),
            ("幼儿园", "kindergarten"),
            ("医院", "hospital"),
            ("卫生院", "hospital"),
            ("养老院", "nursing_home"),
            ("敬老院", "nursing_home"),
        ]),
    ),
    opt("occupants", Integer, PEOPLE),
    NAME,
    CONTACT_NAME,
    CONTACT_PHONE,
];

const ROAD: &[Attr] = &[
    opt("road_class", Text, Any),
    opt("speed_kmh", Number, Positive),
    opt("oneway", Boolean, Any),
    NAME,
];

const DRILL: &[Attr] = &[
    req("date", Text, Any),
    opt("admin_code", Text, Any),
    opt("scenario", Text, Any),
    NAME,
    // What a drill held found: people who took part, minutes until the last arrived,
    // and the problems seen (recorded through POST /api/drills/records).
    opt("people_moved", Integer, PEOPLE),
    opt("clearance_minutes", Number, Rule::Range(0, 10_080)),
    opt("problems", Text, Any),
];

const BASEMAP: &[Attr] = &[opt("feature_class", Text, Any), NAME];

macro_rules! kinds {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $attrs:expr, [$($geom:ident),+];)+) => {
        /// The kind of a layer: what it means and which attributes it carries.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "lowercase")]
        pub enum Kind { $($(#[$doc])* $variant),+ }

        impl Kind {
            /// Every kind, in the order an unknown kind's message lists them.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),+];

            /// The kind as `atlas.toml`, the API and the tiles name it (`flood`, ...).
            pub fn code(self) -> &'static str {
                match self { $(Kind::$variant => $code),+ }
            }

            /// Canonical attributes, in the order layers list them.
            pub fn attrs(self) -> &'static [Attr] {
                match self { $(Kind::$variant => $attrs),+ }
            }

            /// The geometry families this kind accepts.
            pub fn geometries(self) -> &'static [GeometryClass] {
                match self { $(Kind::$variant => &[$(GeometryClass::$geom),+]),+ }
            }
        }
    };
}

kinds! {
    /// Administrative units (county, township, village, grid) by code: what reports
    /// count people in and plans are made for.
    Admin = "admin", ADMIN, [Polygon];
    /// Where people live: counts (residents, households, elderly, children, disabled,
    /// at night) at a point or over an area.
    Population = "population", POPULATION, [Point, Polygon];
    /// Geohazard sites (landslide, collapse, debris flow, subsidence) and whom they threaten.
    Landslide = "landslide", LANDSLIDE, [Point];
    /// Flood zones of a return period.
    Flood = "flood", FLOOD, [Polygon];
    /// Forest-fire danger zones, levels 1–5.
    Wildfire = "wildfire", WILDFIRE, [Polygon];
    /// Any other hazard, an area or a point.
    Hazard = "hazard", HAZARD, [Polygon, Point];
    /// Emergency shelters, with capacity and status.
    Shelter = "shelter", SHELTER, [Point, Polygon];
    /// Relief depots and their stock.
    Depot = "depot", DEPOT, [Point];
    /// Rescue teams.
    Team = "team", TEAM, [Point];
    /// Schools, kindergartens, hospitals, clinics and nursing homes, with their occupants.
    Facility = "facility", FACILITY, [Point, Polygon];
    /// Roads, which routing builds its graph from.
    Road = "road", ROAD, [Line];
    /// Past evacuation drills, by unit.
    Drill = "drill", DRILL, [Point, Polygon];
    /// Background geography (rivers, water): drawn, never analysed.
    Basemap = "basemap", BASEMAP, [Point, Line, Polygon];
}

impl Attr {
    /// A text value as it is stored, by the one normalisation import, edits and filters
    /// share: a code for any of its spellings (`滑坡` and `Landslide` → `landslide`),
    /// an aliased free text's code in lower case; other rules keep the text (trimmed).
    /// None for text a closed vocabulary does not know.
    pub fn stored_text(&self, text: &str) -> Option<String> {
        let text = text.trim();
        match self.rule {
            Rule::OneOf { codes, aliases } => {
                let lower = text.to_lowercase();
                codes
                    .iter()
                    .find(|c| **c == lower)
                    .or_else(|| aliases.iter().find(|(a, _)| *a == text).map(|(_, c)| c))
                    .map(|c| (*c).to_string())
            }
            Rule::Aliased(aliases) => Some(
                aliases
                    .iter()
                    .find(|(alias, _)| *alias == text)
                    .map_or(text, |(_, c)| *c)
                    .to_lowercase(),
            ),
            _ => Some(text.to_string()),
        }
    }
}

/// The severity level (1–4) a warning colour or grade names, in English or Chinese
/// (`red`, `红色`, `I`), as sources write severity.
pub fn severity_level(colour: &str) -> Option<i64> {
    match colour.trim().to_lowercase().as_str() {
        "blue" | "蓝" | "蓝色" | "iv" | "ⅳ" => Some(1),
        "yellow" | "黄" | "黄色" | "iii" | "ⅲ" => Some(2),
        "orange" | "橙" | "橙色" | "ii" | "ⅱ" => Some(3),
        "red" | "红" | "红色" | "i" | "ⅰ" => Some(4),
        _ => None,
    }
}

impl Kind {
    /// The canonical attribute `name`, if this kind has it.
    pub fn attr(self, name: &str) -> Option<&'static Attr> {
        self.attrs().iter().find(|a| a.name == name)
    }

    /// Pairs `(a, b)` of this kind's attributes where `a` may not exceed `b`, when a
    /// feature has both: a shelter cannot hold more people than its capacity.
    pub fn not_above(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Shelter => &[("occupancy", "capacity")],
            _ => &[],
        }
    }

    /// The attribute no two features of a layer may share: an admin unit's `code`, which
    /// population, drills and plans use to name the unit.
    pub fn unique_attr(self) -> Option<&'static str> {
        match self {
            Kind::Admin => Some("code"),
            _ => None,
        }
    }

    /// Whether this kind's polygons are hazard areas, held to [`MAX_HAZARD_AREA_KM2`].
    pub fn is_hazard_area(self) -> bool {
        matches!(self, Kind::Flood | Kind::Wildfire | Kind::Hazard)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A kind name that is none of [`Kind::ALL`] (the name as given).
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown layer kind {0:?}; {hint}kinds are: {list}",
    hint = super::suggest::nearest(.0, Kind::ALL.iter().map(|k| k.code()))
        .map(|k| format!("did you mean `{k}`? "))
        .unwrap_or_default(),
    list = Kind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>().join(", ")
)]
pub struct UnknownKind(pub String);

impl FromStr for Kind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.code() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_from_its_own_code() {
        for kind in Kind::ALL {
            assert_eq!(kind.code().parse::<Kind>().unwrap(), *kind);
        }
    }

    #[test]
    fn unknown_kind_error_lists_the_valid_kinds() {
        let err = "volcano".parse::<Kind>().unwrap_err().to_string();
        assert!(
            err.contains("volcano") && err.contains("landslide"),
            "{err}"
        );
    }

    /// The importer keeps a feature's attribute set in a 64-bit mask.
    #[test]
    fn no_kind_has_more_than_64_attributes() {
        for kind in Kind::ALL {
            assert!(kind.attrs().len() <= 64, "{kind}");
        }
    }

    /// The validator looks these names up among the kind's attributes and would panic.
    #[test]
    fn relations_and_unique_attributes_name_attributes_of_their_kind() {
        for kind in Kind::ALL {
            for (a, b) in kind.not_above() {
                assert!(kind.attr(a).is_some() && kind.attr(b).is_some(), "{kind}");
            }
            if let Some(u) = kind.unique_attr() {
                assert!(kind.attr(u).is_some_and(|a| a.required), "{kind} {u}");
            }
        }
    }

    #[test]
    fn required_attributes_match_the_design_contract() {
        let required = |k: Kind| -> Vec<&str> {
            k.attrs()
                .iter()
                .filter(|a| a.required)
                .map(|a| a.name)
                .collect()
        };
        assert_eq!(required(Kind::Admin), ["code", "name", "level"]);
        assert_eq!(required(Kind::Population), ["population"]);
        assert_eq!(required(Kind::Flood), ["return_period_years"]);
        assert_eq!(required(Kind::Wildfire), ["danger_level"]);
        assert_eq!(required(Kind::Shelter), ["capacity"]);
        assert_eq!(required(Kind::Facility), ["facility_type"]);
        assert_eq!(required(Kind::Drill), ["date"]);
        assert!(required(Kind::Landslide).is_empty());
    }
}
