//! Who must leave and what they need: displacement rates and the needs profile.
//!
//! Both are assumptions a planner must be able to see and change, so both travel in the
//! report and both can be overridden per scenario.
//!
//! **Displacement rates** (share of affected people displaced, by hazard kind and
//! severity 1–4). Defaults, a planning convention rather than a measured rate: every
//! person within a landslide threat radius or an earthquake intensity ≥ IX area leaves;
//! flood zones displace by depth class (severity); fire-danger zones displace few, since
//! fire danger is a warning area rather than a burning one.
//!
//! **Needs profile** (per displaced person). Defaults follow the Sphere Handbook (2018):
//! 2,100 kcal of food per person per day (≈ 0.5 kg of rice, at ~3,600 kcal/kg, with
//! the rest from other rations), 2.5–3 L of drinking water per person per day (3 L here),
//! and 3.5 m² of covered living space per person (one 12 m² family tent per ~3.5 people;
//! 0.3 tents per person here). One quilt and one set of clothing per person and one
//! folding bed per person are this project's defaults for the cold nights of the
//! north-west; change them for other climates.

use serde::Serialize;
use serde_json::Value as Json;

/// The hazard families displacement rates are given for.
pub const HAZARD_KINDS: [&str; 6] = [
    "flood",
    "landslide",
    "wildfire",
    "earthquake",
    "drawn",
    "hazard",
];

/// Displacement rates by hazard kind, for severity 1, 2, 3, 4.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DisplacementTable {
    /// Rates for severity 1, 2, 3, 4, by hazard kind.
    pub rates: Vec<(String, [f64; 4])>,
    /// The kinds whose rates the scenario gave; the others are the defaults.
    pub given: Vec<String>,
}

impl Default for DisplacementTable {
    fn default() -> Self {
        let rates = [
            ("flood", [0.2, 0.5, 0.8, 1.0]),
            ("landslide", [1.0, 1.0, 1.0, 1.0]),
            ("wildfire", [0.05, 0.1, 0.3, 0.6]),
            ("earthquake", [0.1, 0.3, 0.6, 0.9]),
            ("drawn", [0.2, 0.5, 0.8, 1.0]),
            ("hazard", [0.2, 0.5, 0.8, 1.0]),
        ];
        DisplacementTable {
            rates: rates.into_iter().map(|(k, r)| (k.to_string(), r)).collect(),
            given: Vec::new(),
        }
    }
}

impl DisplacementTable {
    /// Overrides from `{"flood": [0.2, 0.5, 0.8, 1.0], ...}` on top of the defaults.
    pub fn from_json(json: &Json) -> Result<DisplacementTable, String> {
        let mut table = DisplacementTable::default();
        let obj = json
            .as_object()
            .ok_or("expected an object of hazard kind → [4 rates]")?;
        for (kind, rates) in obj {
            let slot = table
                .rates
                .iter_mut()
                .find(|(k, _)| k == kind)
                .ok_or_else(|| {
                    format!(
                        "unknown hazard kind {kind:?}; kinds are {}",
                        HAZARD_KINDS.join(", ")
                    )
                })?;
            let list: Vec<f64> = rates
                .as_array()
                .map(|a| a.iter().filter_map(Json::as_f64).collect())
                .filter(|v: &Vec<f64>| v.len() == 4 && v.iter().all(|r| (0.0..=1.0).contains(r)))
                .ok_or_else(|| {
                    format!("{kind}: give 4 rates between 0 and 1, for severity 1 to 4")
                })?;
            slot.1 = [list[0], list[1], list[2], list[3]];
            table.given.push(kind.clone());
        }
        Ok(table)
    }

    /// The rates of `kind` (1 to 4), and whether they are the defaults.
    pub fn rates_of(&self, kind: &str) -> Option<([f64; 4], bool)> {
        let (_, rates) = self.rates.iter().find(|(k, _)| k == kind)?;
        Some((*rates, !self.given.iter().any(|g| g == kind)))
    }

    /// The rate for a hazard kind at a severity (clamped to 1–4).
    pub fn rate(&self, kind: &str, severity: u8) -> f64 {
        let idx = usize::from(severity.clamp(1, 4) - 1);
        self.rates
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, r)| r[idx])
            .unwrap_or(1.0)
    }
}

/// One item of the needs profile.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeedItem {
    /// Depot stock column it is compared with (`rice_kg`, `water_l`, `tents`, ...).
    pub item: String,
    /// Consumed per displaced person per day.
    #[serde(default)]
    pub per_person_per_day: f64,
    /// Needed once per displaced person.
    #[serde(default)]
    pub per_person: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
/// What one displaced person needs per day.
pub struct NeedsProfile {
    /// Each item and its quantity per person per day.
    pub items: Vec<NeedItem>,
    /// Where the quantities come from.
    pub source: String,
}

impl Default for NeedsProfile {
    fn default() -> Self {
        let item = |item: &str, per_day: f64, once: f64| NeedItem {
            item: item.into(),
            per_person_per_day: per_day,
            per_person: once,
        };
        NeedsProfile {
            items: vec![
                item("rice_kg", 0.5, 0.0),
                item("water_l", 3.0, 0.0),
                item("tents", 0.0, 0.3),
                item("quilts", 0.0, 1.0),
                item("folding_beds", 0.0, 1.0),
                item("clothing_sets", 0.0, 1.0),
            ],
            source: "Sphere Handbook 2018 (food 2,100 kcal, drinking water 3 L per person per day, 3.5 m² covered space per person); quilts, beds and clothing: riskatlas defaults".into(),
        }
    }
}

impl NeedsProfile {
    /// Whether this is the default profile (the scenario gave none).
    pub fn is_default(&self) -> bool {
        *self == NeedsProfile::default()
    }

    /// A profile from `[{"item": "rice_kg", "per_person_per_day": 0.5}, ...]`.
    pub fn from_json(json: &Json) -> Result<NeedsProfile, String> {
        let items: Vec<NeedItem> =
            serde_json::from_value(json.clone()).map_err(|e| e.to_string())?;
        for i in &items {
            let ok = |v: f64| v.is_finite() && (0.0..=1_000.0).contains(&v);
            if i.item.is_empty() || !ok(i.per_person_per_day) || !ok(i.per_person) {
                return Err(format!(
                    "item {:?}: quantities must be between 0 and 1000",
                    i.item
                ));
            }
        }
        Ok(NeedsProfile {
            items,
            source: "given in the scenario".into(),
        })
    }
}

/// The need for one item against depot stock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Need {
    /// The item (`rice_kg`, `water_l`, `tents`…).
    pub item: String,
    /// Needed, for everyone and every day.
    pub quantity: f64,
    /// In the depots.
    pub stock: f64,
    /// Needed beyond the stock (0 when the stock suffices).
    pub shortfall: f64,
}

/// Quantities for `displaced` people over `days`, against `stock(item)`.
pub fn needs_for(
    profile: &NeedsProfile,
    displaced: f64,
    days: u32,
    stock: impl Fn(&str) -> f64,
) -> Vec<Need> {
    profile
        .items
        .iter()
        .map(|i| {
            let quantity =
                (displaced * (i.per_person_per_day * f64::from(days) + i.per_person)).ceil();
            let stock = stock(&i.item);
            Need {
                item: i.item.clone(),
                quantity,
                stock,
                shortfall: (quantity - stock).max(0.0),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_scale_with_people_and_days_and_shortfall_is_what_stock_lacks() {
        let needs = needs_for(&NeedsProfile::default(), 100.0, 3, |item| {
            if item == "rice_kg" { 120.0 } else { 0.0 }
        });
        let rice = needs.iter().find(|n| n.item == "rice_kg").unwrap();
        assert_eq!(
            (rice.quantity, rice.stock, rice.shortfall),
            (150.0, 120.0, 30.0)
        );
        let water = needs.iter().find(|n| n.item == "water_l").unwrap();
        assert_eq!(water.quantity, 900.0);
        let tents = needs.iter().find(|n| n.item == "tents").unwrap();
        assert_eq!(tents.quantity, 30.0);
    }

    #[test]
    fn displacement_overrides_replace_one_kind_and_reject_nonsense() {
        let t =
            DisplacementTable::from_json(&serde_json::json!({"flood": [0, 0, 0.5, 0.5]})).unwrap();
        assert_eq!(t.rate("flood", 4), 0.5);
        assert_eq!(t.rate("landslide", 1), 1.0);
        assert!(DisplacementTable::from_json(&serde_json::json!({"flood": [2, 0, 0, 0]})).is_err());
        assert!(
            DisplacementTable::from_json(&serde_json::json!({"volcano": [0, 0, 0, 0]})).is_err()
        );
    }
}
