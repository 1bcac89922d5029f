//! Printed map sheets: one page per township or village, for when power, network and
//! road are cut at once and a village head has paper, not a server.
//!
//! A sheet carries the area's hazard zones in the warning colours, hatched by level so
//! a black-and-white copy still tells them apart; its villages, shelters with their
//! places, roads and rivers with names; a plan's routes when a scenario is given; a
//! legend, scale bar and ratio, north arrow, a lettered reference grid labelled in
//! longitude and latitude, title, date and data source, and a table of the villages
//! (with a plan: who goes to which shelter, how many, how long; the unplaced and why).
//!
//! The sheet is drawn once as SVG in points ([`paper`]) and converted to PDF by
//! [`pdf::to_pdf`]: vector output with the fonts embedded.

mod map;
pub mod paper;
pub mod pdf;

use super::RenderError;
use super::palette::{PALETTE, WarningLevel};
use crate::analysis::admin::AdminIndex;
use crate::analysis::evacuation::EvacuationPlan;
use crate::analysis::hazards::{self, HazardArea};
use crate::analysis::scenario::Level;
use crate::atlas::{Atlas, BboxWgs84, Kind};
use askama::Template;
use geo::{BoundingRect, Contains, Coord, Geometry, Intersects, MultiPolygon};
use map::{Overlay, SheetMap, Village, sheet_map};
use paper::{Layout, Paper};

/// A table row's height, and its text size.
const ROW: f64 = 11.0;
/// Room above the first row: the table's title and header.
const TABLE_HEAD: f64 = 30.0;

/// What to print beside the layers.
pub struct SheetOptions<'a> {
    /// The paper.
    pub paper: Paper,
    /// The date printed (`2026-06-01`).
    pub date: String,
    /// A plan to print: its scenario's hazards, routes and assignments, and a line
    /// saying what the scenario is.
    pub plan: Option<(&'a [HazardArea], &'a EvacuationPlan, String)>,
}

/// One printed sheet.
pub struct Sheet {
    /// The admin unit's code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The drawing, SVG in points.
    pub svg: String,
}

impl Sheet {
    /// The sheet as a one-page PDF.
    pub fn to_pdf(&self) -> Result<Vec<u8>, pdf::PdfError> {
        pdf::to_pdf(&self.svg)
    }

    /// A file name for it: `629901100000-南门镇.pdf`.
    pub fn file_name(&self) -> String {
        let safe: String = self
            .name
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { '_' })
            .collect();
        format!("{}-{safe}.pdf", self.code)
    }
}

/// Why no sheet was drawn.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// No admin unit has the code.
    #[error("no admin unit has the code {0:?}")]
    UnknownUnit(String),
    /// The unit has no area to draw.
    #[error("admin unit {0:?} has no area to draw")]
    NoArea(String),
    /// The template failed.
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// The codes of every admin unit at `level`, in code order.
pub fn units_at(atlas: &Atlas, level: Level) -> Vec<String> {
    let mut codes: Vec<String> = atlas
        .layers()
        .iter()
        .filter(|l| l.kind == Kind::Admin)
        .flat_map(|l| (0..l.len() as u32).map(move |fid| (l, fid)))
        .filter(|(l, fid)| l.value(*fid, "level").as_str() == Some(level.code()))
        .filter_map(|(l, fid)| l.value(fid, "code").as_str().map(str::to_string))
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// A line saying what a plan is about, for the subtitle: its hazards (the first two
/// named), the people to move and how many are placed.
pub fn plan_line(hazards: &[HazardArea], plan: &EvacuationPlan) -> String {
    let mut named: Vec<String> = hazards.iter().take(2).map(|h| h.name.clone()).collect();
    let more = hazards.len() - named.len();
    if more > 0 {
        named.push(format!("等 {more} 处 and {more} more"));
    }
    let t = &plan.totals;
    format!(
        "情景 Scenario: {} · 转移 to move {} 人 · 已安置 placed {} · 未安置 not placed {}",
        named.join("、"),
        t.evacuees,
        t.assigned,
        t.unassigned
    )
}

/// The sheet of the admin unit `code`.
pub fn sheet(atlas: &Atlas, code: &str, options: &SheetOptions) -> Result<Sheet, SheetError> {
    let index = AdminIndex::new(atlas);
    let unit = index
        .by_code(code)
        .ok_or_else(|| SheetError::UnknownUnit(code.to_string()))?;
    let area = match &unit.layer.features()[unit.fid as usize].geometry {
        Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
        Geometry::MultiPolygon(m) => m.clone(),
        _ => return Err(SheetError::NoArea(code.to_string())),
    };
    let villages = villages_of(atlas, &index, code, unit.level());
    let layout = options.paper.layout();
    let routes = options.plan.as_ref().map_or_else(Vec::new, |(_, plan, _)| {
        plan.assignments
            .iter()
            .map(|a| line_of(&a.route))
            .filter(|line| line.first().is_some_and(|c| area.contains(c)))
            .collect()
    });
    let overlay = Overlay {
        hazards: options.plan.as_ref().map_or(&[], |p| p.0),
        routes,
    };
    let map = sheet_map(
        atlas,
        &area,
        &villages,
        &overlay,
        layout.map.w,
        layout.map.h,
    )
    .ok_or_else(|| SheetError::NoArea(code.to_string()))?;
    let table = match &options.plan {
        Some((_, plan, _)) => plan_table(plan, &area, &map),
        None => village_table(atlas, &villages, &map),
    };
    let (title, subtitle) = match &options.plan {
        Some((_, _, about)) => (
            format!("{} 转移安置图 Evacuation map", unit.name()),
            format!("{} · {about}", atlas.name),
        ),
        None => (
            format!("{} 灾害风险图 Hazard risk map", unit.name()),
            atlas.name.clone(),
        ),
    };
    let page = SheetPage {
        layout,
        fonts: pdf::FONT_FAMILIES,
        title,
        subtitle,
        code: code.to_string(),
        paper: options.paper.name(),
        date: options.date.clone(),
        source: atlas.attribution.clone(),
        palette: PALETTE.iter().rev().copied().collect(),
        with_plan: options.plan.is_some(),
        table: fit_table(table, layout.table.h),
        map,
    };
    Ok(Sheet {
        code: code.to_string(),
        name: unit.name().to_string(),
        svg: page.render().map_err(RenderError::from)?,
    })
}

/// The villages on the sheet of unit `code`: those within it, or the unit itself when
/// it is a village (or has no villages below it).
fn villages_of(atlas: &Atlas, index: &AdminIndex, code: &str, level: &str) -> Vec<Village> {
    let mut out: Vec<(String, Village)> = Vec::new();
    for layer in atlas.layers().iter().filter(|l| l.kind == Kind::Admin) {
        for fid in 0..layer.len() as u32 {
            let text = |f: &str| layer.value(fid, f).as_str().unwrap_or("").to_string();
            let village_code = text("code");
            let is_village = text("level") == Level::Village.code();
            let included = match level == Level::Village.code() {
                true => village_code == code,
                false => is_village && index.is_within(&village_code, code),
            };
            let area = match &layer.features()[fid as usize].geometry {
                Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
                Geometry::MultiPolygon(m) => m.clone(),
                _ => continue,
            };
            if included {
                let at = layer
                    .label_point(fid)
                    .or_else(|| hazards::anchor(&Geometry::MultiPolygon(area.clone())))
                    .map(|p| p.0);
                let name = text("name");
                out.push((village_code, Village { name, area, at }));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, v)| v).collect()
}

fn line_of(route: &serde_json::Value) -> Vec<Coord<f64>> {
    route["coordinates"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some(Coord {
                x: c.get(0)?.as_f64()?,
                y: c.get(1)?.as_f64()?,
            })
        })
        .collect()
}

/// A table: its title, headers, and rows of cells.
pub struct Table {
    /// What the table lists.
    pub title: &'static str,
    /// Column headers with each column's share of the width.
    pub columns: Vec<(&'static str, f64)>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
    /// Rows left off for want of room.
    pub more: usize,
}

/// With a plan: every trip that starts in the area, and the people not placed.
fn plan_table(plan: &EvacuationPlan, area: &MultiPolygon<f64>, map: &SheetMap) -> Table {
    let grid_at = |c: Coord<f64>| {
        let (x, y) = map.frame.xy(c);
        map.grid.reference(x, y)
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    for a in &plan.assignments {
        let line = line_of(&a.route);
        let Some(start) = line.first().copied().filter(|c| area.contains(c)) else {
            continue;
        };
        rows.push(vec![
            a.unit_name.clone().unwrap_or_else(|| a.unit_id.clone()),
            grid_at(start),
            a.people.to_string(),
            a.shelter_name
                .clone()
                .unwrap_or_else(|| a.shelter_id.clone()),
            format!("{:.0}", a.minutes),
        ]);
    }
    for x in &plan.unassigned {
        let start = Coord { x: x.lon, y: x.lat };
        if !area.contains(&start) {
            continue;
        }
        rows.push(vec![
            x.unit_name.clone().unwrap_or_else(|| x.unit_id.clone()),
            grid_at(start),
            x.people.to_string(),
            format!("未安置 not placed: {}", reason_short(x.reason)),
            "—".to_string(),
        ]);
    }
    Table {
        title: "转移安置表 Who goes where",
        columns: vec![
            ("村 Village", 0.19),
            ("网格 Grid", 0.14),
            ("人数 People", 0.17),
            ("避难场所 Shelter", 0.38),
            ("分钟 Min", 0.12),
        ],
        rows,
        more: 0,
    }
}

/// Why people were not placed, short enough for a table cell.
fn reason_short(reason: &str) -> &'static str {
    match reason {
        "capacity" => "场所已满 full",
        "through_hazard" => "道路受阻 way cut",
        "closed_by_hazard" => "场所关闭 closed",
        _ => "无可达 none in reach",
    }
}

/// Without a plan: each village, its people and the hazards that touch it.
fn village_table(atlas: &Atlas, villages: &[Village], map: &SheetMap) -> Table {
    let rows = villages
        .iter()
        .map(|Village { name, area, at }| {
            let grid = at.map_or_else(String::new, |c| {
                let (x, y) = map.frame.xy(c);
                map.grid.reference(x, y)
            });
            vec![
                name.clone(),
                grid,
                people_in(atlas, area).to_string(),
                hazards_touching(atlas, area).to_string(),
            ]
        })
        .collect();
    Table {
        title: "村庄 Villages",
        columns: vec![
            ("村 Village", 0.34),
            ("网格 Grid", 0.16),
            ("人口 People", 0.25),
            ("隐患 Hazards", 0.25),
        ],
        rows,
        more: 0,
    }
}

/// Residents of the population features inside `area`.
fn people_in(atlas: &Atlas, area: &MultiPolygon<f64>) -> i64 {
    let Some(bbox) = area.bounding_rect().map(BboxWgs84::from_rect) else {
        return 0;
    };
    atlas
        .layers()
        .iter()
        .filter(|l| l.kind == Kind::Population)
        .flat_map(|l| l.candidates_in(bbox).into_iter().map(move |fid| (l, fid)))
        .filter(|(l, fid)| {
            hazards::anchor(&l.features()[*fid as usize].geometry)
                .is_some_and(|p| area.contains(&p))
        })
        .filter_map(|(l, fid)| l.value(fid, "population").as_i64())
        .sum()
}

/// Hazard points and zones of the census that touch `area`.
fn hazards_touching(atlas: &Atlas, area: &MultiPolygon<f64>) -> usize {
    let Some(bbox) = area.bounding_rect().map(BboxWgs84::from_rect) else {
        return 0;
    };
    atlas
        .layers()
        .iter()
        .filter(|l| l.kind.is_hazard_area() || l.kind == Kind::Landslide)
        .flat_map(|l| l.candidates_in(bbox).into_iter().map(move |fid| (l, fid)))
        .filter(|(l, fid)| l.features()[*fid as usize].geometry.intersects(area))
        .count()
}

/// The rows that fit `height`; the rest counted in `more`.
fn fit_table(mut table: Table, height: f64) -> Table {
    let room = (((height - TABLE_HEAD) / ROW).floor().max(1.0)) as usize;
    if table.rows.len() > room {
        table.more = table.rows.len() - (room - 1);
        table.rows.truncate(room - 1);
    }
    table
}

#[derive(Template)]
#[template(path = "sheet.svg")]
struct SheetPage {
    layout: Layout,
    fonts: &'static str,
    title: String,
    subtitle: String,
    code: String,
    paper: &'static str,
    date: String,
    source: String,
    palette: Vec<WarningLevel>,
    with_plan: bool,
    table: Table,
    map: SheetMap,
}

impl SheetPage {
    /// Each column's left edge, from the table's left.
    fn column_x(&self, i: &usize) -> f64 {
        self.table.columns[..*i]
            .iter()
            .map(|c| c.1 * self.layout.table.w)
            .sum()
    }

    /// The hatch spacing of a level in points: closer lines, worse hazard (10 pt for
    /// blue to 4 pt for red: the red's colour still shows between its lines).
    fn hatch(&self, severity: &u8) -> u8 {
        12 - 2 * severity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_table_keeps_a_row_to_say_how_many_are_left_off() {
        let table = Table {
            title: "t",
            columns: vec![("a", 1.0)],
            rows: (0..50).map(|i| vec![i.to_string()]).collect(),
            more: 0,
        };
        // Room for (140 - 30) / 11 = 10 rows: 9 printed, the tenth says 41 more.
        let fitted = fit_table(table, 140.0);
        assert_eq!((fitted.rows.len(), fitted.more), (9, 41));
    }
}
