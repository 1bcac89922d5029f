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
use super::route_map::{RouteMap, route_map};
use crate::analysis::Impact;
use crate::analysis::cards::{Grid, Team, Unplaced, VillageCard};
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

/// People placed in one shelter, as the card shows them.
struct PlacedLine<'a> {
    shelter: &'a str,
    people: i64,
    minutes: f64,
    km: f64,
    map: Option<RouteMap>,
}

impl<'a> PlacedLine<'a> {
    fn of(a: &'a Assignment, village: &str, atlas: &Atlas, impact: &Impact) -> PlacedLine<'a> {
        let shelter = a.shelter_name.as_deref().unwrap_or(&a.shelter_id);
        PlacedLine {
            shelter,
            people: a.people,
            minutes: a.minutes,
            km: a.distance_m / 1000.0,
            map: route_map(atlas, impact, &a.route, village, shelter),
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

/// What a village split across shelters is offered instead: the whole-village plan's
/// one destination for it, and what keeping every village whole costs the county.
struct WholeOffer {
    /// The shelter the whole village goes to, with people and minutes; none when the
    /// whole-village plan cannot place it at all.
    destination: Option<(String, i64, f64)>,
    /// Its people that plan leaves unplaced.
    unplaced: i64,
    /// Extra person-minutes over the whole county, in percent, when both plans place
    /// the same number of people.
    extra_percent: Option<f64>,
    /// People the whole-village plan places fewer than the split one (county-wide).
    fewer_placed: i64,
}

impl WholeOffer {
    fn of(unit: &str, whole: &EvacuationPlan) -> WholeOffer {
        let destination = whole
            .assignments
            .iter()
            .filter(|a| a.unit_id == unit)
            .max_by_key(|a| a.people)
            .map(|a| {
                let name = a
                    .shelter_name
                    .clone()
                    .unwrap_or_else(|| a.shelter_id.clone());
                (name, a.people, a.minutes)
            });
        let cost = whole.keep_villages_whole.as_ref();
        WholeOffer {
            destination,
            unplaced: whole
                .unassigned
                .iter()
                .filter(|x| x.unit_id == unit)
                .map(|x| x.people)
                .sum(),
            extra_percent: cost.and_then(|c| c.extra_person_minutes_percent),
            fewer_placed: cost.map_or(0, |c| c.split_assigned - c.whole_assigned),
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
    grid: Option<Grid>,
    village_duty: Option<Contact>,
    township_duty: Option<Contact>,
    /// For a village sent to more than one shelter.
    whole: Option<WholeOffer>,
}

impl<'a> CardView<'a> {
    fn of(
        card: VillageCard<'a>,
        atlas: &Atlas,
        impact: &Impact,
        whole: Option<&EvacuationPlan>,
    ) -> CardView<'a> {
        let u = card.unit;
        let name = u.name.as_deref().unwrap_or(&u.id);
        let level = WarningLevel::of(u.severity);
        let (move_zh, move_en) = when_to_move(level.severity);
        CardView {
            id: &u.id,
            name,
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
            placed: card
                .placed
                .iter()
                .map(|a| PlacedLine::of(a, name, atlas, impact))
                .collect(),
            unplaced: card.unplaced.into_iter().map(UnplacedLine::from).collect(),
            whole: whole
                .filter(|_| card.placed.len() > 1)
                .map(|plan| WholeOffer::of(&u.id, plan)),
            grid: card.grid,
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
        if let Some(grid) = &mut self.grid {
            show(&mut grid.worker);
        }
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

/// One card per affected unit, or only for the unit `only` (its id); a village `plan`
/// splits is offered its destination in `whole` (the request keeping villages whole).
pub fn village_cards(
    atlas: &Atlas,
    impact: &Impact,
    plan: &EvacuationPlan,
    whole: Option<&EvacuationPlan>,
    only: Option<&str>,
    disclosure: Disclosure,
) -> Result<String, askama::Error> {
    let cards = crate::analysis::cards::village_cards(atlas, impact, plan, only);
    VillagePage {
        cards: cards
            .into_iter()
            .map(|card| CardView::of(card, atlas, impact, whole).shown(disclosure))
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

    #[test]
    fn a_missing_count_says_no_data_not_zero() {
        assert_eq!(count_or_no_data(None), NO_DATA);
        assert_eq!(count_or_no_data(Some(12.4)), "12");
    }
}
