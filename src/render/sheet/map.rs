//! A sheet's map panel: the area's hazard zones in their warning colours (hatched, so a
//! black-and-white copy still tells them apart), its villages, the shelters with their
//! capacity, roads and rivers with names, a plan's routes, and a lettered reference
//! grid labelled with longitude and latitude. Everything is in the panel's points.

use super::super::basemap::{Basemap, RoadNames, basemap};
use super::super::palette::WarningLevel;
use super::super::sketch::Frame;
use crate::analysis::hazards::{self, HazardArea};
use crate::atlas::{Atlas, BboxWgs84, Kind, Layer};
use geo::{BoundingRect, Coord, Geometry, Intersects, MultiPolygon};

/// Room around the area: a twentieth of its larger side.
const MARGIN_SHARE: f64 = 0.05;
/// A reference grid cell is about this many points across.
const CELL: f64 = 110.0;
/// The most road and river names on one sheet.
const MOST_NAMES: usize = 24;
/// Points of margin inside the panel.
const PAD: f64 = 14.0;

/// A hazard zone on the map.
pub struct Zone {
    /// SVG path (`fill-rule: evenodd`).
    pub path: String,
    /// Its warning level.
    pub level: WarningLevel,
}

/// A point with a label.
pub struct Mark {
    /// Panel x.
    pub x: f64,
    /// Panel y.
    pub y: f64,
    /// What is printed beside it.
    pub label: String,
}

/// A hazard point (a landslide, a debris flow).
pub struct Spot {
    /// Panel x.
    pub x: f64,
    /// Panel y.
    pub y: f64,
    /// Its warning level.
    pub level: WarningLevel,
}

/// One line of the reference grid: where it runs and its coordinate.
pub struct GridLine {
    /// Panel x (a column line) or y (a row line).
    pub at: f64,
    /// Its longitude or latitude, `105°34.2′E`.
    pub coordinate: String,
}

/// One cell band of the grid: the middle of a column or row and its reference.
pub struct GridBand {
    /// Panel x (a column) or y (a row) of the band's middle.
    pub middle: f64,
    /// `A`, `B`, … across; `1`, `2`, … down.
    pub reference: String,
}

/// The lettered reference grid.
pub struct Grid {
    cols: usize,
    rows: usize,
    width: f64,
    height: f64,
    /// Column lines (inner ones).
    pub col_lines: Vec<GridLine>,
    /// Row lines (inner ones).
    pub row_lines: Vec<GridLine>,
    /// Columns with their letters.
    pub columns: Vec<GridBand>,
    /// Rows with their numbers.
    pub rows_bands: Vec<GridBand>,
}

impl Grid {
    fn new(frame: &Frame) -> Grid {
        let (width, height) = (frame.width, frame.height);
        let cols = ((width / CELL).round() as usize).clamp(2, 26);
        let rows = ((height / CELL).round() as usize).clamp(2, 26);
        let (cw, rh) = (width / cols as f64, height / rows as f64);
        Grid {
            cols,
            rows,
            width,
            height,
            col_lines: (1..cols)
                .map(|i| GridLine {
                    at: i as f64 * cw,
                    coordinate: degrees(frame.lon_lat(i as f64 * cw, 0.0).x, 'E', 'W'),
                })
                .collect(),
            row_lines: (1..rows)
                .map(|i| GridLine {
                    at: i as f64 * rh,
                    coordinate: degrees(frame.lon_lat(0.0, i as f64 * rh).y, 'N', 'S'),
                })
                .collect(),
            columns: (0..cols)
                .map(|i| GridBand {
                    middle: (i as f64 + 0.5) * cw,
                    reference: column_letter(i),
                })
                .collect(),
            rows_bands: (0..rows)
                .map(|i| GridBand {
                    middle: (i as f64 + 0.5) * rh,
                    reference: (i + 1).to_string(),
                })
                .collect(),
        }
    }

    /// The cell at panel point (x, y): `B3`; points off the panel take the edge cell.
    pub fn reference(&self, x: f64, y: f64) -> String {
        let col =
            ((x / self.width * self.cols as f64).floor().max(0.0) as usize).min(self.cols - 1);
        let row =
            ((y / self.height * self.rows as f64).floor().max(0.0) as usize).min(self.rows - 1);
        format!("{}{}", column_letter(col), row + 1)
    }
}

fn column_letter(i: usize) -> String {
    char::from(b'A' + (i % 26) as u8).to_string()
}

/// `105°34.2′E`: degrees and decimal minutes, as map grids are read.
fn degrees(value: f64, positive: char, negative: char) -> String {
    let hemisphere = if value < 0.0 { negative } else { positive };
    let tenths = (value.abs() * 600.0).round() as i64;
    format!(
        "{}°{:.1}′{hemisphere}",
        tenths / 600,
        (tenths % 600) as f64 / 10.0
    )
}

/// The map panel, ready for the template.
pub struct SheetMap {
    /// Panel width.
    pub width: f64,
    /// Panel height.
    pub height: f64,
    /// The sheet's area, outlined.
    pub outline: String,
    /// Its villages' boundaries (on a township or county sheet).
    pub village_lines: Vec<String>,
    /// Hazard zones of the risk census.
    pub zones: Vec<Zone>,
    /// The scenario's hazard areas (buffers included), when a plan is printed.
    pub scenario: Vec<Zone>,
    /// Hazard points.
    pub spots: Vec<Spot>,
    /// Roads, rivers, water and their names.
    pub base: Basemap,
    /// The plan's routes, `x,y x,y …`.
    pub routes: Vec<String>,
    /// Village names at their label points.
    pub villages: Vec<Mark>,
    /// Population points.
    pub people: Vec<(f64, f64)>,
    /// Shelters on the map (inside the unit and around it), labelled with name and
    /// capacity.
    pub shelters: Vec<Mark>,
    /// The reference grid.
    pub grid: Grid,
    /// The scale bar's length.
    pub scale_px: f64,
    /// What the scale bar measures.
    pub scale_label: String,
    /// The representative fraction printed: `1:50,000`.
    pub ratio: String,
    /// The frame, for placing other things on the map (the table's grid references).
    pub frame: Frame,
}

/// A village on the sheet.
pub struct Village {
    /// Its name.
    pub name: String,
    /// Its area.
    pub area: MultiPolygon<f64>,
    /// Where its name goes.
    pub at: Option<Coord<f64>>,
}

/// What a sheet shows besides the layers: the scenario's hazards and the plan's routes.
pub struct Overlay<'a> {
    /// Hazard areas of the scenario.
    pub hazards: &'a [HazardArea],
    /// Routes (lon/lat lines) to draw.
    pub routes: Vec<Vec<Coord<f64>>>,
}

/// The map of `area` in a `width` × `height` panel.
pub fn sheet_map(
    atlas: &Atlas,
    area: &MultiPolygon<f64>,
    villages: &[Village],
    overlay: &Overlay,
    width: f64,
    height: f64,
) -> Option<SheetMap> {
    let r = area.bounding_rect()?;
    let side = (r.width()).max(r.height());
    let margin = side * MARGIN_SHARE;
    let box_ = BboxWgs84 {
        west: r.min().x - margin,
        south: r.min().y - margin,
        east: r.max().x + margin,
        north: r.max().y + margin,
    };
    let frame = Frame::centred(box_, width, height, PAD)?;
    let shown = frame.bounds();
    let on_map = |g: &Geometry<f64>| {
        g.bounding_rect()
            .is_some_and(|b| b.intersects(&shown.to_rect()))
    };
    let mut zones = Vec::new();
    let mut spots = Vec::new();
    let mut people = Vec::new();
    let mut shelters = Vec::new();
    for layer in atlas.layers() {
        for fid in layer.candidates_in(shown) {
            let Some(feature) = layer.feature(fid) else {
                continue;
            };
            let g = &feature.geometry;
            if !on_map(g) {
                continue;
            }
            match layer.kind {
                k if k.is_hazard_area() || k == Kind::Landslide => {
                    let level = WarningLevel::of(hazards::severity(layer, fid));
                    match polygons(g) {
                        Some(p) => zones.push(Zone {
                            path: frame.path(&p),
                            level,
                        }),
                        None => {
                            if let Some(p) = hazards::anchor(g) {
                                let (x, y) = frame.xy(p.0);
                                spots.push(Spot { x, y, level });
                            }
                        }
                    }
                }
                Kind::Population => {
                    if let Some(p) = hazards::anchor(g) {
                        people.push(frame.xy(p.0));
                    }
                }
                // Every shelter on the map, the neighbours' too: evacuation crosses
                // township lines, and a route must end at a named shelter.
                Kind::Shelter => {
                    if let Some(p) = hazards::anchor(g)
                        && frame.shows(p.0)
                    {
                        let (x, y) = frame.xy(p.0);
                        shelters.push(Mark {
                            x,
                            y,
                            label: shelter_label(layer, fid),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    // The worst on top.
    zones.sort_by_key(|z| z.level.severity);
    let scenario = overlay
        .hazards
        .iter()
        .filter(|h| on_map(&Geometry::MultiPolygon(h.area.clone())))
        .map(|h| Zone {
            path: frame.path(&h.area),
            level: WarningLevel::of(h.severity),
        })
        .collect();
    let (scale_px, scale_label) = frame.scale_bar();
    Some(SheetMap {
        width,
        height,
        outline: frame.path(area),
        village_lines: villages
            .iter()
            .filter(|v| villages.len() > 1 || v.area != *area)
            .map(|v| frame.path(&v.area))
            .collect(),
        zones,
        scenario,
        spots,
        base: basemap(atlas, &frame, RoadNames::All, MOST_NAMES),
        routes: overlay.routes.iter().map(|r| frame.points(r)).collect(),
        villages: villages
            .iter()
            .filter_map(|v| {
                let (x, y) = frame.xy(v.at?);
                Some(Mark {
                    x,
                    y,
                    label: v.name.clone(),
                })
            })
            .collect(),
        people,
        shelters,
        grid: Grid::new(&frame),
        scale_px,
        scale_label,
        ratio: ratio(frame.metres_per_px),
        frame,
    })
}

/// `南门镇避难场所 600人`: a shelter's name and its places.
fn shelter_label(layer: &Layer, fid: u32) -> String {
    let name = layer.value(fid, "name").as_str().unwrap_or("避难场所");
    match layer.value(fid, "capacity").as_i64() {
        Some(places) => format!("{name} {places}人"),
        None => name.to_string(),
    }
}

fn polygons(g: &Geometry<f64>) -> Option<MultiPolygon<f64>> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(m) => Some(m.clone()),
        _ => None,
    }
}

/// The representative fraction of a map of `metres_per_pt`, rounded to two significant
/// figures: `1:48,000`.
fn ratio(metres_per_pt: f64) -> String {
    // A point is 25.4/72 mm on paper.
    let denominator = metres_per_pt / (0.0254 / 72.0);
    let magnitude = 10f64.powf(denominator.log10().floor() - 1.0).max(1.0);
    let rounded = ((denominator / magnitude).round() * magnitude) as u64;
    let digits = rounded.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("1:{grouped}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ratio_is_paper_to_ground() {
        // 1 pt = 0.3528 mm; at 17.64 m per pt, 1 mm of paper is 50 m of ground: 1:50,000.
        assert_eq!(ratio(50_000.0 * 0.0254 / 72.0), "1:50,000");
        assert_eq!(ratio(12_345.0 * 0.0254 / 72.0), "1:12,000");
        assert_eq!(ratio(987.0 * 0.0254 / 72.0), "1:990");
    }

    #[test]
    fn coordinates_read_in_degrees_and_minutes() {
        assert_eq!(degrees(105.57, 'E', 'W'), "105°34.2′E");
        assert_eq!(degrees(-0.5, 'N', 'S'), "0°30.0′S");
    }

    #[test]
    fn grid_references_letter_columns_and_number_rows() {
        let b = BboxWgs84 {
            west: 0.0,
            south: 0.0,
            east: 0.04,
            north: 0.03,
        };
        let frame = Frame::centred(b, 440.0, 330.0, 0.0).unwrap();
        let grid = Grid::new(&frame);
        // 440 / 110 = 4 columns, 330 / 110 = 3 rows.
        assert_eq!((grid.cols, grid.rows), (4, 3));
        assert_eq!(grid.reference(1.0, 1.0), "A1");
        assert_eq!(grid.reference(439.0, 329.0), "D3");
        assert_eq!(grid.reference(115.0, 225.0), "B3");
        // Off the panel: the edge cell.
        assert_eq!(grid.reference(-5.0, 999.0), "A3");
        // The first column line is a quarter across: 0.01° east.
        assert_eq!(grid.col_lines[0].coordinate, "0°0.6′E");
    }
}
