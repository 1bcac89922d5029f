//! The drill card, printable (Chinese and English) and as GeoJSON: the scenario and why
//! it was chosen, a map of the drill area, the timeline from warning to all-clear, the
//! villages that move, the facilities to clear first, the shelters, which depot
//! supplies which shelter, whom to call, and an evaluation sheet with planned against
//! last actual clearance. The facts are [`crate::service::drills::card::DrillCard`].

use super::palette::{PALETTE, RED, WarningLevel};
use super::sketch::{Frame, MAX_HEIGHT, WIDTH};
use crate::analysis::drills::card::{CardFacts, Village};
use crate::analysis::impact::Call;
use crate::analysis::supply::ItemPlan;
use crate::atlas::Disclosure;
use crate::service::drills::card::DrillCard;
use askama::Template;
use geo::{Coord, coord};
use serde_json::{Value, json};

/// A hazard area drawn on the card's map.
struct Area {
    path: String,
    level: WarningLevel,
    name: String,
}

/// A point drawn on the card's map, with its label.
struct Mark {
    x: f64,
    y: f64,
    label: String,
}

/// The card's map.
struct MapView {
    width: f64,
    height: f64,
    areas: Vec<Area>,
    routes: Vec<String>,
    villages: Vec<Mark>,
    shelters: Vec<Mark>,
    depots: Vec<Mark>,
    scale_px: f64,
    scale_label: String,
}

/// The plan's route lines, as coordinates.
fn route_lines(card: &DrillCard) -> Vec<Vec<Coord<f64>>> {
    card.plan
        .assignments
        .iter()
        .filter_map(|a| {
            let coords = a.route["coordinates"].as_array()?;
            Some(
                coords
                    .iter()
                    .filter_map(|c| Some(coord! {x: c.get(0)?.as_f64()?, y: c.get(1)?.as_f64()?}))
                    .collect(),
            )
        })
        .collect()
}

/// Village points: where each unit's people set off (the start of its first route,
/// else its label point in the exposure layer).
fn village_points(card: &DrillCard) -> Vec<(String, Coord<f64>)> {
    let exposure = card.atlas.layer(&card.impact.report.exposure);
    card.impact
        .report
        .units
        .iter()
        .filter_map(|u| {
            let feature = exposure.and_then(|l| l.feature(u.fid))?;
            let p = crate::analysis::hazards::anchor(&feature.geometry)?;
            Some((u.name.clone().unwrap_or_else(|| u.id.clone()), p.0))
        })
        .collect()
}

/// The depots that deliver, once each.
fn depot_points(card: &DrillCard) -> Vec<(String, Coord<f64>)> {
    let mut out: Vec<(String, Coord<f64>)> = Vec::new();
    for d in card.supply.items.iter().flat_map(|i| &i.deliveries) {
        if !out.iter().any(|(name, _)| *name == d.depot_name) {
            out.push((d.depot_name.clone(), coord! {x: d.from[0], y: d.from[1]}));
        }
    }
    out
}

impl MapView {
    fn of(card: &DrillCard) -> Option<MapView> {
        let routes = route_lines(card);
        let villages = village_points(card);
        let shelters: Vec<(String, Coord<f64>)> = card
            .plan
            .shelters
            .iter()
            .filter(|s| s.assigned > 0)
            .map(|s| {
                let name = s.name.clone().unwrap_or_else(|| s.id.clone());
                (name, coord! {x: s.lon, y: s.lat})
            })
            .collect();
        let depots = depot_points(card);
        let hazard_coords = card
            .impact
            .hazards
            .iter()
            .flat_map(|h| h.area.iter().flat_map(|p| p.exterior().0.iter().copied()));
        let frame = Frame::around(
            hazard_coords
                .chain(routes.iter().flatten().copied())
                .chain(villages.iter().map(|v| v.1))
                .chain(shelters.iter().map(|s| s.1))
                .chain(depots.iter().map(|d| d.1)),
        )?;
        let marks = |points: Vec<(String, Coord<f64>)>| -> Vec<Mark> {
            points
                .into_iter()
                .map(|(label, c)| {
                    let (x, y) = frame.xy(c);
                    Mark { x, y, label }
                })
                .collect()
        };
        let (scale_px, scale_label) = frame.scale_bar();
        Some(MapView {
            width: WIDTH,
            height: frame.height.min(MAX_HEIGHT),
            areas: card
                .impact
                .hazards
                .iter()
                .map(|h| Area {
                    path: frame.path(&h.area),
                    level: WarningLevel::of(h.severity),
                    name: h.name.clone(),
                })
                .collect(),
            routes: routes.iter().map(|r| frame.points(r)).collect(),
            villages: marks(villages),
            shelters: marks(shelters),
            depots: marks(depots),
            scale_px,
            scale_label,
        })
    }
}

/// A village as the card's tables print it.
struct VillageRow<'a> {
    name: &'a str,
    people: f64,
    vulnerable: String,
    departs: f64,
    legs: String,
    arrives: String,
    unplaced: i64,
    planned: String,
    last: String,
}

/// Minutes as the tables print them, or a dash for none.
fn minutes_or_dash(m: Option<f64>) -> String {
    m.map_or_else(|| "—".to_string(), |m| format!("{m:.0}"))
}

impl<'a> From<&'a Village> for VillageRow<'a> {
    fn from(v: &'a Village) -> VillageRow<'a> {
        VillageRow {
            name: &v.name,
            people: v.people,
            vulnerable: super::count_or_no_data(v.vulnerable),
            departs: v.departs,
            legs: v
                .legs
                .iter()
                .map(|l| format!("{} {} 人 ({:.0} min)", l.shelter, l.people, l.minutes))
                .collect::<Vec<_>>()
                .join("; "),
            arrives: v
                .planned_minutes
                .map_or_else(|| "—".to_string(), |m| format!("T+{:.0}", v.departs + m)),
            unplaced: v.unplaced,
            planned: minutes_or_dash(v.planned_minutes),
            last: v.last_actual.as_ref().map_or_else(
                || "—".to_string(),
                |a| {
                    let mut s = format!("{}: {} min", a.date, minutes_or_dash(a.clearance_minutes));
                    if let Some(p) = &a.problems {
                        s.push_str(&format!(" ({p})"));
                    }
                    s
                },
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "drill_card.html")]
struct DrillPage<'a> {
    card: &'a DrillCard,
    facts: &'a CardFacts,
    level: WarningLevel,
    map: Option<MapView>,
    villages: Vec<VillageRow<'a>>,
    calls: Vec<Call>,
    supply: &'a [ItemPlan],
    palette: &'static [WarningLevel],
    /// The colour of people not placed and of supplies short.
    red: WarningLevel,
}

impl DrillPage<'_> {
    /// A needs item as it reads (`render::labels`).
    fn label(&self, key: &str) -> String {
        super::labels::field(key)
    }
}

/// The printable card.
pub fn drill_card_html(card: &DrillCard, disclosure: Disclosure) -> Result<String, askama::Error> {
    let report = card.impact.report.shown(disclosure);
    DrillPage {
        card,
        facts: &card.facts,
        level: WarningLevel::of(card.facts.severity),
        map: MapView::of(card),
        villages: card.facts.villages.iter().map(VillageRow::from).collect(),
        calls: report.calls.clone(),
        supply: &card.supply.items,
        palette: &PALETTE,
        red: RED,
    }
    .render()
}

/// The card as a GeoJSON FeatureCollection: hazard areas, villages (with their
/// departure, arrival and last actual), shelters (with their clock), routes and
/// deliveries (depot → shelter, straight), and the card's other facts as the
/// collection's `card` member.
pub fn drill_card_geojson(card: &DrillCard, disclosure: Disclosure) -> Value {
    let mut features = super::impact::geojson(&card.impact, &card.atlas)["features"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let village_by_id: std::collections::HashMap<&str, &Village> = card
        .facts
        .villages
        .iter()
        .map(|v| (v.id.as_str(), v))
        .collect();
    for f in &mut features {
        let id = f["properties"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if f["properties"]["role"] == "unit"
            && let Some(v) = village_by_id.get(id.as_str())
        {
            f["properties"]["departs_minute"] = json!(v.departs);
            f["properties"]["arrives_minute"] = json!(v.planned_minutes.map(|m| v.departs + m));
            f["properties"]["planned_minutes"] = json!(v.planned_minutes);
            f["properties"]["unplaced"] = json!(v.unplaced);
            f["properties"]["last_actual"] = json!(v.last_actual);
        }
    }
    features.extend(
        super::plan::geojson(&card.plan)["features"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    );
    for s in &card.facts.shelters {
        let Some(load) = card.plan.shelters.iter().find(|l| l.id == s.id) else {
            continue;
        };
        features.push(json!({"type": "Feature", "id": s.id,
            "geometry": {"type": "Point", "coordinates": [load.lon, load.lat]},
            "properties": {"role": "shelter", "id": s.id, "name": s.name, "capacity": s.capacity,
                "assigned": s.assigned, "open_by_minute": s.open_by, "last_arrival_minute": s.last_arrival}}));
    }
    features.extend(delivery_features(card));
    let report = card.impact.report.shown(disclosure);
    json!({
        "type": "FeatureCollection",
        "features": features,
        "card": {
            "id": card.id, "title": card.title, "why": card.why,
            "township": card.township.as_ref().map(|(code, name)| json!({"code": code, "name": name})),
            "scenario": card.scenario, "severity": card.facts.severity,
            "timing": card.facts.timing, "timeline": card.facts.timeline,
            "all_clear_minute": card.facts.all_clear,
            "villages": card.facts.villages, "shelters": card.facts.shelters,
            "clear_first": card.facts.clear_first, "supply": card.supply,
            "calls": report.calls, "plan_totals": card.plan.totals,
        },
    })
}

/// One straight line per delivery, depot → shelter (the truck's road is the driver's).
fn delivery_features(card: &DrillCard) -> Vec<Value> {
    let mut out = Vec::new();
    for item in &card.supply.items {
        for d in &item.deliveries {
            out.push(json!({"type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [d.from, d.to]},
                "properties": {"role": "delivery", "item": item.item, "quantity": d.quantity,
                    "depot_id": d.depot_id, "shelter_id": d.shelter_id, "minutes": d.minutes}}));
        }
    }
    out
}
