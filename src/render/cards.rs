//! Printable cards from an evacuation plan, in Chinese and English: one page per
//! village (when to move, who moves, where to go, by which route, whom to call) and
//! one per shelter (who is coming, from where, and its needs). The facts come from
//! [`crate::analysis::cards`]; the words and layout are here and in
//! `templates/village_cards.html` and `templates/shelter_cards.html`.
//!
//! "When to move" follows the highest warning level of the village's hazards, a
//! planning convention to adapt to local rules: red — move now; orange — move within
//! the hour; yellow — prepare to move; blue — stand by.

use super::palette::{PALETTE, RED, WarningLevel};
use crate::analysis::Impact;
use crate::analysis::cards::{Team, Unplaced, VillageCard};
use crate::analysis::evacuation::{Assignment, EvacuationPlan, Routing, ShelterLoad, Unassigned};
use crate::analysis::hazards::Contact;
use crate::atlas::{Atlas, Disclosure};
use askama::Template;

/// What a printed page says where a count has no data.
pub const NO_DATA: &str = "无数据 no data";

/// A count of people rounded to whole people, or [`NO_DATA`]: missing data is not zero.
pub fn count_or_no_data(count: Option<f64>) -> String {
    count.map_or_else(|| NO_DATA.to_string(), |x| format!("{x:.0}"))
}

/// When to move, in Chinese and English, by warning level.
fn when_to_move(severity: u8) -> (&'static str, &'static str) {
    match severity {
        4 => ("立即转移", "Move now"),
        3 => ("1小时内转移", "Move within the hour"),
        2 => ("做好转移准备", "Prepare to move"),
        _ => ("注意防范", "Stand by"),
    }
}

fn reason_zh(reason: &str) -> &'static str {
    match reason {
        "capacity" => "避难场所已满 shelters within reach are full",
        "through_hazard" => "道路被灾害阻断 the way is cut by a hazard",
        "closed_by_hazard" => "避难场所因灾关闭 shelters closed by the hazard",
        _ => "无可达避难场所 no shelter within reach",
    }
}

/// The next step for people the plan could not place, by reason.
fn what_to_do(x: &Unassigned) -> String {
    let nearest = x.nearest_shelter.as_ref().map(|s| {
        format!(
            "{} ({:.0} 分钟 min)",
            s.name.as_deref().unwrap_or(&s.id),
            s.minutes
        )
    });
    match x.reason {
        "capacity" => format!(
            "ask the township to open more places near {} (schools, halls, tents) or arrange transport farther — 联系乡镇增开安置点或组织车辆转运",
            nearest.unwrap_or_else(|| "the village".into())
        ),
        "through_hazard" => format!(
            "move early, before the road through {} is cut, to {}, or with the rescue team's escort — 提前转移或由救援队护送",
            if x.cut_by.is_empty() {
                "the hazard".to_string()
            } else {
                x.cut_by.join(", ")
            },
            nearest.unwrap_or_else(|| "the shelter beyond it".into())
        ),
        "closed_by_hazard" => format!(
            "set up an open-space shelter (square, playground) outside the hazard, or transport people beyond it; {} is closed — 开设室外应急避难场所或转运",
            nearest.unwrap_or_else(|| "the nearest shelter".into())
        ),
        _ => "arrange transport and call the rescue team below — 组织车辆转运并联系救援队".into(),
    }
}

/// A small map of a route: the polyline scaled into a box, start and end marked.
struct RouteSketch {
    width: f64,
    height: f64,
    /// `x,y x,y …` in the box's pixels.
    points: String,
    start: (f64, f64),
    end: (f64, f64),
}

impl RouteSketch {
    const WIDTH: f64 = 220.0;
    const HEIGHT: f64 = 150.0;
    const PAD: f64 = 12.0;

    /// The sketch of a GeoJSON LineString, or none for fewer than two points.
    fn of(route: &serde_json::Value) -> Option<RouteSketch> {
        let pts: Vec<(f64, f64)> = route["coordinates"]
            .as_array()?
            .iter()
            .filter_map(|c| Some((c.get(0)?.as_f64()?, c.get(1)?.as_f64()?)))
            .collect();
        if pts.len() < 2 {
            return None;
        }
        // Degrees of longitude shrink with latitude; scale them so the shape is true.
        let k = pts[0].1.to_radians().cos();
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for &(x, y) in &pts {
            (x0, y0, x1, y1) = (x0.min(x * k), y0.min(y), x1.max(x * k), y1.max(y));
        }
        let span = (x1 - x0).max(y1 - y0).max(1e-9);
        let (w, h, pad) = (Self::WIDTH, Self::HEIGHT, Self::PAD);
        let scale = (w - 2.0 * pad).min(h - 2.0 * pad) / span;
        let xy = |(x, y): (f64, f64)| (pad + (x * k - x0) * scale, h - pad - (y - y0) * scale);
        let points: Vec<String> = pts
            .iter()
            .map(|&p| xy(p))
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        Some(RouteSketch {
            width: w,
            height: h,
            points: points.join(" "),
            start: xy(pts[0]),
            end: xy(*pts.last().expect("two points at least")),
        })
    }
}

/// People placed in one shelter, as the card shows them.
struct PlacedLine<'a> {
    shelter: &'a str,
    people: i64,
    minutes: f64,
    km: f64,
    sketch: Option<RouteSketch>,
}

impl<'a> From<&'a Assignment> for PlacedLine<'a> {
    fn from(a: &'a Assignment) -> PlacedLine<'a> {
        PlacedLine {
            shelter: a.shelter_name.as_deref().unwrap_or(&a.shelter_id),
            people: a.people,
            minutes: a.minutes,
            km: a.distance_m / 1000.0,
            sketch: RouteSketch::of(&a.route),
        }
    }
}

/// People not placed, as the card shows them.
struct UnplacedLine<'a> {
    people: i64,
    reason: &'static str,
    detail: &'a str,
    what_to_do: String,
    team: Option<Team>,
    team_km: f64,
}

impl<'a> From<Unplaced<'a>> for UnplacedLine<'a> {
    fn from(x: Unplaced<'a>) -> UnplacedLine<'a> {
        UnplacedLine {
            people: x.row.people,
            reason: reason_zh(x.row.reason),
            detail: &x.row.detail,
            what_to_do: what_to_do(x.row),
            team_km: x
                .nearest_team
                .as_ref()
                .map_or(0.0, |t| t.distance_m / 1000.0),
            team: x.nearest_team,
        }
    }
}

/// One village card as the template reads it.
struct CardView<'a> {
    id: &'a str,
    name: &'a str,
    level: WarningLevel,
    move_zh: &'static str,
    move_en: &'static str,
    people: f64,
    households: String,
    elderly: String,
    children: String,
    disabled: String,
    placed_people: i64,
    unplaced_people: i64,
    placed: Vec<PlacedLine<'a>>,
    unplaced: Vec<UnplacedLine<'a>>,
    village_duty: Option<Contact>,
    township_duty: Option<Contact>,
}

impl<'a> From<VillageCard<'a>> for CardView<'a> {
    fn from(card: VillageCard<'a>) -> CardView<'a> {
        let u = card.unit;
        let level = WarningLevel::of(u.severity);
        let (move_zh, move_en) = when_to_move(level.severity);
        CardView {
            id: &u.id,
            name: u.name.as_deref().unwrap_or(&u.id),
            level,
            move_zh,
            move_en,
            people: u.people,
            households: count_or_no_data(u.households),
            elderly: count_or_no_data(u.elderly),
            children: count_or_no_data(u.children),
            disabled: count_or_no_data(u.disabled),
            placed_people: card.placed_people(),
            unplaced_people: card.unplaced_people(),
            placed: card.placed.iter().copied().map(PlacedLine::from).collect(),
            unplaced: card.unplaced.into_iter().map(UnplacedLine::from).collect(),
            village_duty: card.village_duty,
            township_duty: card.township_duty,
        }
    }
}

impl CardView<'_> {
    /// The card with its contacts (duty officers, rescue teams) as `disclosure` shows
    /// them.
    fn shown(mut self, disclosure: Disclosure) -> Self {
        let show = |c: &mut Option<Contact>| *c = c.as_ref().map(|c| c.shown(disclosure));
        show(&mut self.village_duty);
        show(&mut self.township_duty);
        for line in &mut self.unplaced {
            if let Some(team) = &mut line.team {
                team.contact = team.contact.shown(disclosure);
            }
        }
        self
    }
}

#[derive(Template)]
#[template(path = "village_cards.html")]
struct VillagePage<'a> {
    cards: Vec<CardView<'a>>,
    /// How the plan's minutes were reckoned, in words.
    routing: &'static str,
    palette: &'static [WarningLevel],
    /// The colour of people not placed and of a route's start.
    red: WarningLevel,
}

/// How a plan reckons its minutes, for the card's reader.
fn routing_words(routing: Routing) -> &'static str {
    match routing {
        Routing::Road => "沿道路 by road",
        Routing::StraightLine => "直线估算 straight line",
    }
}

/// One card per affected unit, or only for the unit `only` (its id).
pub fn village_cards(
    atlas: &Atlas,
    impact: &Impact,
    plan: &EvacuationPlan,
    only: Option<&str>,
    disclosure: Disclosure,
) -> Result<String, askama::Error> {
    let cards = crate::analysis::cards::village_cards(atlas, impact, plan, only);
    VillagePage {
        cards: cards
            .into_iter()
            .map(|card| CardView::from(card).shown(disclosure))
            .collect(),
        routing: routing_words(plan.routing),
        palette: &PALETTE,
        red: RED,
    }
    .render()
}

/// One shelter card as the template reads it.
struct ShelterView<'a> {
    name: &'a str,
    load: &'a ShelterLoad,
    percent: f64,
    arrivals: Vec<Arrival<'a>>,
}

/// A unit arriving at a shelter.
struct Arrival<'a> {
    unit: &'a str,
    people: i64,
    minutes: f64,
}

#[derive(Template)]
#[template(path = "shelter_cards.html")]
struct ShelterPage<'a> {
    shelters: Vec<ShelterView<'a>>,
    palette: &'static [WarningLevel],
    red: WarningLevel,
}

impl ShelterPage<'_> {
    /// A needs item as it reads (`render::labels`).
    fn label(&self, key: &str) -> String {
        super::labels::field(key)
    }

    /// The unit an item is counted in.
    fn unit(&self, key: &str) -> &'static str {
        super::labels::unit(key)
    }
}

/// One card per shelter the plan uses: who is coming, from where, how long they take,
/// and the shelter's needs.
pub fn shelter_cards(plan: &EvacuationPlan) -> Result<String, askama::Error> {
    let shelters = plan
        .shelters
        .iter()
        .map(|s| ShelterView {
            name: s.name.as_deref().unwrap_or(&s.id),
            load: s,
            percent: s.utilisation * 100.0,
            arrivals: plan
                .assignments
                .iter()
                .filter(|a| a.shelter_id == s.id)
                .map(|a| Arrival {
                    unit: a.unit_name.as_deref().unwrap_or(&a.unit_id),
                    people: a.people,
                    minutes: a.minutes,
                })
                .collect(),
        })
        .collect();
    ShelterPage {
        shelters,
        palette: &PALETTE,
        red: RED,
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_route_sketch_fits_its_box_and_marks_both_ends() {
        // A route due east then north, at the equator (so degrees are square).
        let route =
            json!({"type": "LineString", "coordinates": [[0.0, 0.0], [0.01, 0.0], [0.01, 0.005]]});
        let s = RouteSketch::of(&route).expect("three points");
        // The longer side (0.01°) spans the box's shorter side less its padding:
        // 150 − 2·12 = 126 px, so east runs 12 → 138 and north rises 63 px from 138.
        assert_eq!(s.start, (12.0, 138.0));
        assert_eq!(s.end, (138.0, 75.0));
        assert_eq!(s.points, "12.0,138.0 138.0,138.0 138.0,75.0");
    }

    #[test]
    fn a_route_of_one_point_has_no_sketch() {
        assert!(
            RouteSketch::of(&json!({"type": "LineString", "coordinates": [[1.0, 2.0]]})).is_none()
        );
    }

    #[test]
    fn a_missing_count_says_no_data_not_zero() {
        assert_eq!(count_or_no_data(None), NO_DATA);
        assert_eq!(count_or_no_data(Some(12.4)), "12");
    }
}
