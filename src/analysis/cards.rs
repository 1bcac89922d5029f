//! Printable cards from an evacuation plan, in Chinese and English: one page per
//! village (when to move, who moves, where to go, by which route, whom to call) and
//! one per shelter (who is coming, from where, and its needs).
//!
//! "When to move" follows the highest warning level of the village's hazards, a
//! planning convention to adapt to local rules: red — move now; orange — move within
//! the hour; yellow — prepare to move; blue — stand by.

use super::admin::AdminIndex;
use super::evacuation::{EvacuationPlan, Unassigned};
use super::export::count_or_no_data;
use super::impact::Impact;
use super::scenario::Level;
use crate::atlas::Atlas;
use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn when_to_move(severity: u8) -> (&'static str, &'static str) {
    match severity {
        4 => ("立即转移", "Move now"),
        3 => ("1小时内转移", "Move within the hour"),
        2 => ("做好转移准备", "Prepare to move"),
        _ => ("注意防范", "Stand by"),
    }
}

/// A small map of a route: the polyline scaled into a box, start and end marked.
fn route_svg(route: &serde_json::Value) -> String {
    let pts: Vec<(f64, f64)> = route["coordinates"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| Some((c.get(0)?.as_f64()?, c.get(1)?.as_f64()?)))
                .collect()
        })
        .unwrap_or_default();
    if pts.len() < 2 {
        return String::new();
    }
    let k = pts[0].1.to_radians().cos();
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &(x, y) in &pts {
        (x0, y0, x1, y1) = (x0.min(x * k), y0.min(y), x1.max(x * k), y1.max(y));
    }
    let span = (x1 - x0).max(y1 - y0).max(1e-9);
    let (w, h, pad): (f64, f64, f64) = (220.0, 150.0, 12.0);
    let scale = (w - 2.0 * pad).min(h - 2.0 * pad) / span;
    let xy = |(x, y): (f64, f64)| (pad + (x * k - x0) * scale, h - pad - (y - y0) * scale);
    let line: Vec<String> = pts
        .iter()
        .map(|&p| xy(p))
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect();
    let (sx, sy) = xy(pts[0]);
    let (ex, ey) = xy(*pts.last().expect("two points at least"));
    format!(
        "<svg class=\"route\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\"><polyline points=\"{}\" fill=\"none\" stroke=\"#a0147a\" stroke-width=\"3\"/>\
<circle cx=\"{sx:.1}\" cy=\"{sy:.1}\" r=\"5\" fill=\"#d7191c\"/><rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"#1a9850\"/></svg>",
        line.join(" "),
        ex - 5.0,
        ey - 5.0
    )
}

const STYLE: &str = "body{font:13px/1.45 'Noto Sans CJK SC','Noto Sans SC',sans-serif;margin:1.5em;color:#222}\
.card{border:2px solid #333;padding:1em 1.4em;margin-bottom:2em;page-break-after:always;max-width:46em}\
h2{margin:.2em 0}.move{font-size:1.4em;font-weight:bold;padding:.2em .6em;color:#fff;display:inline-block}\
.s4{background:#d7191c}.s3{background:#f28500}.s2{background:#f2c200;color:#222}.s1{background:#1e6fd9}\
table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:2px 8px;text-align:left}.none{color:#d7191c;font-weight:bold}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=zh><head><meta charset=utf-8><title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        esc(title)
    )
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

/// The nearest rescue team to a point (straight line), as a line of the card.
fn nearest_team(atlas: &Atlas, lon: f64, lat: f64) -> String {
    use geo::{Distance, Haversine, Point};
    let here = Point::new(lon, lat);
    let best = atlas
        .layers()
        .iter()
        .filter(|l| l.kind == crate::atlas::Kind::Team)
        .flat_map(|l| {
            l.features().iter().enumerate().filter_map(move |(fid, f)| {
                let p = super::hazards::anchor(&f.geometry)?;
                Some((Haversine.distance(here, p), l, fid as u32))
            })
        })
        .min_by(|a, b| a.0.total_cmp(&b.0));
    let Some((metres, layer, fid)) = best else {
        return String::new();
    };
    let text = |f: &str| layer.value(fid, f).as_str().unwrap_or("").to_string();
    format!(
        "<p>最近的救援队 Nearest rescue team: {} ({}), {:.1} 公里 km — {} {}</p>",
        esc(&text("name")),
        esc(&text("team_type")),
        metres / 1000.0,
        esc(&text("contact_name")),
        esc(&text("contact_phone"))
    )
}

/// One card per affected unit, or only `only` (a unit id).
pub fn village_cards(
    atlas: &Atlas,
    impact: &Impact,
    plan: &EvacuationPlan,
    only: Option<&str>,
) -> String {
    let admins = AdminIndex::new(atlas);
    let mut body = String::new();
    for u in impact
        .report
        .units
        .iter()
        .filter(|u| only.is_none_or(|id| id == u.id))
    {
        let name = u.name.clone().unwrap_or_else(|| u.id.clone());
        let (zh, en) = when_to_move(u.severity);
        let _ = write!(
            body,
            "<section class=card data-unit=\"{}\"><h2>{} — 转移安置卡 Evacuation card</h2><p class='move s{}'>{zh} · {en}</p>",
            esc(&u.id),
            esc(&name),
            u.severity.clamp(1, 4)
        );
        let _ = write!(
            body,
            "<h3>谁转移 Who moves</h3><p>{:.0} 人 people · {} 户 households · 老人 elderly {} · 儿童 children {} · 残疾人 disabled {}. 优先转移老弱病残 — the elderly, children and disabled first.</p>",
            u.people,
            count_or_no_data(u.households),
            count_or_no_data(u.elderly),
            count_or_no_data(u.children),
            count_or_no_data(u.disabled)
        );
        body.push_str("<h3>去哪里、走哪条路 Where to go, by which route</h3>");
        let assigned: Vec<_> = plan
            .assignments
            .iter()
            .filter(|a| a.unit_id == u.id)
            .collect();
        let unplaced: Vec<_> = plan
            .unassigned
            .iter()
            .filter(|x| x.unit_id == u.id)
            .collect();
        let placed_people: i64 = assigned.iter().map(|a| a.people).sum();
        let unplaced_people: i64 = unplaced.iter().map(|x| x.people).sum();
        // Every evacuee is on the card: placed (where, how) or not (why, what to do).
        let _ = write!(
            body,
            "<p class=tally data-placed={placed_people} data-unplaced={unplaced_people}>本方案 In this plan: {} 人 people — 已安置 placed {placed_people}, 未安置 not placed {unplaced_people}.</p>",
            placed_people + unplaced_people
        );
        for a in &assigned {
            let _ = write!(
                body,
                "<p><b>{}</b>: {} 人 people, {:.0} 分钟 minutes, {:.1} 公里 km ({}).</p>{}",
                esc(a.shelter_name.as_deref().unwrap_or(&a.shelter_id)),
                a.people,
                a.minutes,
                a.distance_m / 1000.0,
                esc(&format!("{:?}", plan.routing)).to_lowercase(),
                route_svg(&a.route)
            );
        }
        for x in &unplaced {
            let _ = write!(
                body,
                "<div class=none><p>未安置 {} 人 people not placed — {} ({}).</p><p>怎么办 What to do: {}</p>{}</div>",
                x.people,
                esc(reason_zh(x.reason)),
                esc(&x.detail),
                esc(&what_to_do(x)),
                nearest_team(atlas, x.lon, x.lat)
            );
        }
        if assigned.is_empty() && unplaced.is_empty() {
            body.push_str("<p class=none>不在本方案中 Not in the plan (no people to move). 请联系乡镇值班 — call the township duty officer.</p>");
        }
        body.push_str("<h3>联系谁 Whom to call</h3><table><tr><th>role 职责</th><th>name 姓名</th><th>phone 电话</th></tr>");
        if let Some(v) = u
            .admin_code
            .as_deref()
            .and_then(|c| admins.at_level(c, Level::Village))
            .and_then(|v| v.contact())
        {
            let _ = write!(
                body,
                "<tr><td>村值班 village duty officer</td><td>{}</td><td>{}</td></tr>",
                esc(&v.name),
                esc(&v.phone)
            );
        }
        if let Some(t) = u
            .admin_code
            .as_deref()
            .and_then(|c| admins.at_level(c, Level::Township))
            .and_then(|t| t.contact())
        {
            let _ = write!(
                body,
                "<tr><td>乡镇值班 township duty officer</td><td>{}</td><td>{}</td></tr>",
                esc(&t.name),
                esc(&t.phone)
            );
        }
        body.push_str("</table></section>");
    }
    if body.is_empty() {
        body.push_str("<p>No affected units in this scenario. 本情景无受影响居民点。</p>");
    }
    page("Evacuation cards 转移安置卡", &body)
}

/// One card per shelter used: who is coming, from where, how long they take, needs.
pub fn shelter_cards(plan: &EvacuationPlan) -> String {
    let mut body = String::new();
    for s in &plan.shelters {
        let _ = write!(
            body,
            "<section class=card><h2>{} — 避难场所卡 Shelter card</h2><p>{} / {} 人 people ({:.0}%)</p><h3>接收名单 Who is coming</h3><table><tr><th>unit 居民点</th><th>people 人数</th><th>minutes 分钟</th></tr>",
            esc(s.name.as_deref().unwrap_or(&s.id)),
            s.assigned,
            s.capacity,
            s.utilisation * 100.0
        );
        for a in plan.assignments.iter().filter(|a| a.shelter_id == s.id) {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{:.0}</td></tr>",
                esc(a.unit_name.as_deref().unwrap_or(&a.unit_id)),
                a.people,
                a.minutes
            );
        }
        body.push_str(
            "</table><h3>物资需求 Needs</h3><table><tr><th>item</th><th>quantity</th></tr>",
        );
        for n in &s.needs {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{:.0}</td></tr>",
                esc(&n.item),
                n.quantity
            );
        }
        body.push_str("</table></section>");
    }
    if body.is_empty() {
        body.push_str("<p>No shelter is used in this plan. 本方案未启用避难场所。</p>");
    }
    page("Shelter cards 避难场所卡", &body)
}
