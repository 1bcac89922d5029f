//! Paper sizes and where each part of a sheet goes on them, in points (1/72 inch: the
//! PDF's own unit, so the SVG's user units are points and the page comes out exactly
//! ISO 216 size).
//!
//! A4 is portrait, the map above and the legend and table beneath; A3 is landscape,
//! the map on the left and the legend and table in a column on the right: a township
//! is usually wider than tall on a wall, and both fit a standard office printer.

/// Millimetres to points.
const PT_PER_MM: f64 = 72.0 / 25.4;
/// The white border every printer leaves, and the gap between panels.
const MARGIN: f64 = 28.0;
const GAP: f64 = 12.0;
/// The title band's height.
const TITLE: f64 = 46.0;
/// The footer band's height.
const FOOTER: f64 = 20.0;

/// A paper size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Paper {
    /// ISO A4, 210 × 297 mm, portrait.
    #[default]
    A4,
    /// ISO A3, 420 × 297 mm, landscape.
    A3,
}

/// A rectangle on the page.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Panel {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// Where the parts of a sheet go.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The page's width.
    pub width: f64,
    /// The page's height.
    pub height: f64,
    /// Title and subtitle.
    pub title: Panel,
    /// The map.
    pub map: Panel,
    /// The legend.
    pub legend: Panel,
    /// The table of villages.
    pub table: Panel,
    /// Date, data source, scale.
    pub footer: Panel,
}

impl Paper {
    /// The name as printed and as `--paper` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Paper::A4 => "A4",
            Paper::A3 => "A3",
        }
    }

    /// `A4` or `A3` (any case), or an error naming what is accepted.
    pub fn parse(text: &str) -> Result<Paper, String> {
        match text.to_ascii_uppercase().as_str() {
            "A4" => Ok(Paper::A4),
            "A3" => Ok(Paper::A3),
            _ => Err(format!("paper {text:?} is not A4 or A3")),
        }
    }

    /// The page's width and height in points.
    pub fn size(self) -> (f64, f64) {
        match self {
            Paper::A4 => (210.0 * PT_PER_MM, 297.0 * PT_PER_MM),
            Paper::A3 => (420.0 * PT_PER_MM, 297.0 * PT_PER_MM),
        }
    }

    /// The panels on this paper.
    pub fn layout(self) -> Layout {
        let (width, height) = self.size();
        let inner_w = width - 2.0 * MARGIN;
        let title = Panel {
            x: MARGIN,
            y: MARGIN,
            w: inner_w,
            h: TITLE,
        };
        let footer = Panel {
            x: MARGIN,
            y: height - MARGIN - FOOTER,
            w: inner_w,
            h: FOOTER,
        };
        let body_top = title.y + title.h + GAP;
        let body_h = footer.y - GAP - body_top;
        let (map, legend, table) = match self {
            Paper::A4 => {
                let map_h = (body_h * 0.62).round();
                let below = body_top + map_h + GAP;
                let below_h = footer.y - GAP - below;
                let legend_w = 150.0;
                (
                    Panel {
                        x: MARGIN,
                        y: body_top,
                        w: inner_w,
                        h: map_h,
                    },
                    Panel {
                        x: MARGIN,
                        y: below,
                        w: legend_w,
                        h: below_h,
                    },
                    Panel {
                        x: MARGIN + legend_w + GAP,
                        y: below,
                        w: inner_w - legend_w - GAP,
                        h: below_h,
                    },
                )
            }
            Paper::A3 => {
                let side_w = 330.0;
                let side_x = width - MARGIN - side_w;
                let legend_h = 200.0;
                (
                    Panel {
                        x: MARGIN,
                        y: body_top,
                        w: side_x - GAP - MARGIN,
                        h: body_h,
                    },
                    Panel {
                        x: side_x,
                        y: body_top,
                        w: side_w,
                        h: legend_h,
                    },
                    Panel {
                        x: side_x,
                        y: body_top + legend_h + GAP,
                        w: side_w,
                        h: body_h - legend_h - GAP,
                    },
                )
            }
        };
        Layout {
            width,
            height,
            title,
            map,
            legend,
            table,
            footer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_iso_216_in_points() {
        // ISO 216: A4 is 210 × 297 mm; 1 pt = 25.4/72 mm.
        let (w, h) = Paper::A4.size();
        assert!((w - 595.2756).abs() < 1e-3 && (h - 841.8898).abs() < 1e-3);
        let (w, h) = Paper::A3.size();
        assert!((w - 1190.5512).abs() < 1e-3 && (h - 841.8898).abs() < 1e-3);
    }

    #[test]
    fn the_panels_stay_on_the_page_and_do_not_overlap() {
        for paper in [Paper::A4, Paper::A3] {
            let l = paper.layout();
            let panels = [l.title, l.map, l.legend, l.table, l.footer];
            for p in panels {
                assert!(p.w > 100.0 && p.h > 10.0, "{paper:?} {p:?}");
                assert!(
                    p.x >= MARGIN - 1e-9 && p.y >= MARGIN - 1e-9,
                    "{paper:?} {p:?}"
                );
                assert!(p.x + p.w <= l.width - MARGIN + 1e-9, "{paper:?} {p:?}");
                assert!(p.y + p.h <= l.height - MARGIN + 1e-9, "{paper:?} {p:?}");
            }
            for (i, a) in panels.iter().enumerate() {
                for b in &panels[i + 1..] {
                    let apart = a.x + a.w <= b.x
                        || b.x + b.w <= a.x
                        || a.y + a.h <= b.y
                        || b.y + b.h <= a.y;
                    assert!(apart, "{paper:?}: {a:?} overlaps {b:?}");
                }
            }
        }
    }
}
