//! The call list: whom to call about an impact, most urgent first.

use super::admin::{AdminIndex, AdminRef};
use super::facilities::FacilityAtRisk;
use super::hazards::HazardArea;
use super::impact::{AdminSummary, AffectedUnit, Call};
use super::overlay::HazardOverlay;
use super::scenario::{Level, Scenario};
use std::collections::{BTreeMap, HashMap};

fn hazard_names(ids: &[String], areas: &HashMap<&str, &HazardArea>) -> String {
    let names: Vec<&str> = ids
        .iter()
        .filter_map(|id| areas.get(id.as_str()))
        .map(|h| h.name.as_str())
        .take(3)
        .collect();
    let more = ids.len().saturating_sub(3);
    if more > 0 {
        format!("{} and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
}

/// Whom to call, most urgent first: admin duty officers of affected units, one call per
/// affected village, hazard-point monitors, and managers of shelters and facilities at
/// risk. The same person about the same thing is called once.
pub(super) fn call_list(
    units: &[AffectedUnit],
    by_admin: &[AdminSummary],
    facilities: &[FacilityAtRisk],
    overlay: &HazardOverlay,
    admins: &AdminIndex,
    scenario: &Scenario,
) -> Vec<Call> {
    let areas: HashMap<&str, &HazardArea> =
        overlay.areas.iter().map(|h| (h.id.as_str(), h)).collect();
    // An admin unit carries the highest severity of the scenario's units.
    let top = units.iter().map(|u| u.severity).max().unwrap_or(0);
    let mut calls = admin_calls(by_admin, top);
    if scenario.group_by != Level::Village {
        calls.extend(village_calls(units, admins, &areas));
    }
    calls.extend(monitor_calls(overlay));
    calls.extend(facility_calls(facilities, &areas));
    // Most severe first, then by the people a call is about.
    calls.sort_by(|a, b| {
        b.call
            .severity
            .cmp(&a.call.severity)
            .then(b.weight.total_cmp(&a.weight))
    });
    let mut seen = std::collections::HashSet::new();
    calls
        .into_iter()
        .filter(|c| {
            seen.insert((
                c.call.phone.clone(),
                c.call.about.clone(),
                c.call.role.clone(),
            ))
        })
        .map(|c| c.call)
        .collect()
}

/// A call, and how many people it is about (for the order within a severity).
struct Weighted {
    weight: f64,
    call: Call,
}

/// The duty officers of the admin units the report groups by.
fn admin_calls(by_admin: &[AdminSummary], severity: u8) -> Vec<Weighted> {
    by_admin
        .iter()
        .flat_map(|a| {
            a.contacts.iter().map(move |c| Weighted {
                weight: a.counts.population,
                call: Call {
                    name: c.name.clone(),
                    phone: c.phone.clone(),
                    role: format!("{} duty officer", a.level),
                    about: a.name.clone(),
                    why: format!(
                        "{:.0} people affected in {} unit{}",
                        a.counts.population,
                        a.counts.units,
                        if a.counts.units == 1 { "" } else { "s" }
                    ),
                    severity,
                },
            })
        })
        .collect()
}

/// A village's affected people, its worst severity and its hazards.
struct VillageToll<'a> {
    village: AdminRef<'a>,
    people: f64,
    severity: u8,
    hazards: Vec<String>,
}

/// One call per affected village: several units may lie in one, with their people
/// summed.
fn village_calls(
    units: &[AffectedUnit],
    admins: &AdminIndex,
    areas: &HashMap<&str, &HazardArea>,
) -> Vec<Weighted> {
    let mut villages: BTreeMap<&str, VillageToll<'_>> = BTreeMap::new();
    for u in units {
        let Some(village) = u
            .admin_code
            .as_deref()
            .and_then(|c| admins.at_level(c, Level::Village))
        else {
            continue;
        };
        let toll = villages.entry(village.code()).or_insert(VillageToll {
            village,
            people: 0.0,
            severity: 0,
            hazards: Vec::new(),
        });
        toll.people += u.people;
        toll.severity = toll.severity.max(u.severity);
        for h in &u.hazards {
            if !toll.hazards.contains(h) {
                toll.hazards.push(h.clone());
            }
        }
    }
    villages
        .into_values()
        .filter_map(|t| {
            let c = t.village.contact()?;
            Some(Weighted {
                weight: t.people,
                call: Call {
                    name: c.name,
                    phone: c.phone,
                    role: "village duty officer".into(),
                    about: t.village.name().to_string(),
                    why: format!(
                        "{:.0} people affected by {}",
                        t.people,
                        hazard_names(&t.hazards, areas)
                    ),
                    severity: t.severity,
                },
            })
        })
        .collect()
}

/// The monitors of the scenario's landslide points.
fn monitor_calls(overlay: &HazardOverlay) -> Vec<Weighted> {
    overlay
        .areas
        .iter()
        .filter(|h| h.kind == "landslide")
        .filter_map(|h| {
            let c = h.contact.as_ref()?;
            let threatened = h
                .detail
                .get("threatened_people")
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0);
            Some(Weighted {
                weight: threatened,
                call: Call {
                    name: c.name.clone(),
                    phone: c.phone.clone(),
                    role: "hazard-point monitor".into(),
                    about: h.name.clone(),
                    why: format!("hazard point in the scenario; threatens {threatened:.0} people"),
                    severity: h.severity,
                },
            })
        })
        .collect()
}

/// The managers of shelters and facilities inside the hazards.
fn facility_calls(
    facilities: &[FacilityAtRisk],
    areas: &HashMap<&str, &HazardArea>,
) -> Vec<Weighted> {
    facilities
        .iter()
        .filter_map(|f| {
            let c = f.contact.as_ref()?;
            let inside = hazard_names(&f.hazards, areas);
            let (role, why) = if f.unusable {
                (
                    "shelter manager".to_string(),
                    format!("shelter inside {inside}: unusable, send evacuees elsewhere"),
                )
            } else {
                let why = match &f.note {
                    Some(note) => format!("{} inside {inside}: {note}", f.category),
                    None => format!("{} inside {inside}", f.category),
                };
                (format!("{} contact", f.category), why)
            };
            Some(Weighted {
                weight: f.occupants.or(f.capacity).unwrap_or(0) as f64,
                call: Call {
                    name: c.name.clone(),
                    phone: c.phone.clone(),
                    role,
                    about: f.name.clone().unwrap_or_else(|| f.id.clone()),
                    why,
                    severity: f.severity,
                },
            })
        })
        .collect()
}
