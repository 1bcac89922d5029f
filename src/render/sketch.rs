//! A printed map of a drill area as SVG: hazard areas in their warning colours and
//! hatched (so a black-and-white copy still shows them), the plan's routes, villages,
//! shelters and depots, a scale bar and a north arrow. Not a cartographic engine: an
//! equirectangular projection true at the area's middle latitude (the error across a
//! township is far below a printed line's width), points thinned to one per pixel.

use crate::atlas::BboxWgs84;
use geo::{Coord, MultiPolygon};
use std::fmt::Write;

/// The map's width in SVG pixels (about 17 cm printed).
pub const WIDTH: f64 = 640.0;
/// The most height the map takes.
pub const MAX_HEIGHT: f64 = 480.0;
const PAD: f64 = 16.0;

/// A projection from lon/lat into the sketch's pixels.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    x0: f64,
    y1: f64,
    k: f64,
    scale: f64,
    pad: f64,
    /// Width of the sketch in pixels.
    pub width: f64,
    /// Height of the sketch in pixels.
    pub height: f64,
    /// Metres per pixel.
    pub metres_per_px: f64,
}

impl Frame {
    /// A frame around `coords`, or None when there is nothing to draw.
    pub fn around(coords: impl IntoIterator<Item = Coord<f64>>) -> Option<Frame> {
        let mut it = coords
            .into_iter()
            .filter(|c| c.x.is_finite() && c.y.is_finite());
        let first = it.next()?;
        let (mut x0, mut y0, mut x1, mut y1) = (first.x, first.y, first.x, first.y);
        for c in it {
            (x0, y0, x1, y1) = (x0.min(c.x), y0.min(c.y), x1.max(c.x), y1.max(c.y));
        }
        // Degrees of longitude shrink with latitude: scale them so shapes are true.
        let k = ((y0 + y1) / 2.0).to_radians().cos();
        let (w, h) = (((x1 - x0) * k).max(1e-6), (y1 - y0).max(1e-6));
        let scale = ((WIDTH - 2.0 * PAD) / w).min((MAX_HEIGHT - 2.0 * PAD) / h);
        Some(Frame {
            x0: x0 * k,
            y1,
            k,
            scale,
            pad: PAD,
            width: WIDTH,
            height: (h * scale + 2.0 * PAD).max(120.0),
            // One degree of latitude is 111.32 km.
            metres_per_px: 111_320.0 / scale,
        })
    }

    /// A frame of exactly `width` × `height` pixels with `box_` in its middle, as large
    /// as fits inside a margin of `pad`: a printed sheet's map panel.
    pub fn centred(box_: BboxWgs84, width: f64, height: f64, pad: f64) -> Option<Frame> {
        let finite = [box_.west, box_.south, box_.east, box_.north]
            .iter()
            .all(|v| v.is_finite());
        if !finite || width <= 2.0 * pad || height <= 2.0 * pad {
            return None;
        }
        let k = ((box_.south + box_.north) / 2.0).to_radians().cos();
        let (w, h) = (
            ((box_.east - box_.west) * k).max(1e-6),
            (box_.north - box_.south).max(1e-6),
        );
        let scale = ((width - 2.0 * pad) / w).min((height - 2.0 * pad) / h);
        let (mid_x, mid_y) = (
            (box_.west + box_.east) / 2.0 * k,
            (box_.south + box_.north) / 2.0,
        );
        Some(Frame {
            x0: mid_x - (width / 2.0 - pad) / scale,
            y1: mid_y + (height / 2.0 - pad) / scale,
            k,
            scale,
            pad,
            width,
            height,
            metres_per_px: 111_320.0 / scale,
        })
    }

    /// The pixel position's lon/lat: the inverse of [`Frame::xy`].
    pub fn lon_lat(&self, x: f64, y: f64) -> Coord<f64> {
        Coord {
            x: ((x - self.pad) / self.scale + self.x0) / self.k,
            y: self.y1 - (y - self.pad) / self.scale,
        }
    }

    /// A point's pixel position.
    pub fn xy(&self, c: Coord<f64>) -> (f64, f64) {
        (
            self.pad + (c.x * self.k - self.x0) * self.scale,
            self.pad + (self.y1 - c.y) * self.scale,
        )
    }

    /// A frame around `coords` with a margin of `share` of the larger side (at least
    /// `min_metres`) on every side: room for the roads and rivers around a route.
    pub fn around_with_margin(
        coords: impl IntoIterator<Item = Coord<f64>>,
        share: f64,
        min_metres: f64,
    ) -> Option<Frame> {
        let coords: Vec<Coord<f64>> = coords
            .into_iter()
            .filter(|c| c.x.is_finite() && c.y.is_finite())
            .collect();
        let tight = Frame::around(coords.iter().copied())?;
        let b = tight.content_bounds(&coords);
        let k = tight.k;
        let side_deg = ((b.east - b.west) * k).max(b.north - b.south);
        let margin = (side_deg * share).max(min_metres / 111_320.0);
        let corners = [
            Coord {
                x: b.west - margin / k,
                y: b.south - margin,
            },
            Coord {
                x: b.east + margin / k,
                y: b.north + margin,
            },
        ];
        Frame::around(coords.into_iter().chain(corners))
    }

    fn content_bounds(&self, coords: &[Coord<f64>]) -> BboxWgs84 {
        let mut b = BboxWgs84 {
            west: f64::MAX,
            south: f64::MAX,
            east: f64::MIN,
            north: f64::MIN,
        };
        for c in coords {
            (b.west, b.south) = (b.west.min(c.x), b.south.min(c.y));
            (b.east, b.north) = (b.east.max(c.x), b.north.max(c.y));
        }
        b
    }

    /// The lon/lat box the whole sketch shows, margins included.
    pub fn bounds(&self) -> BboxWgs84 {
        let (nw, se) = (
            self.lon_lat(0.0, 0.0),
            self.lon_lat(self.width, self.height),
        );
        BboxWgs84 {
            west: nw.x,
            east: se.x,
            north: nw.y,
            south: se.y,
        }
    }

    /// Whether `c` falls on the sketch.
    pub fn shows(&self, c: Coord<f64>) -> bool {
        let (x, y) = self.xy(c);
        (0.0..=self.width).contains(&x) && (0.0..=self.height).contains(&y)
    }

    /// `x,y x,y …` for a line, one point per pixel at most.
    pub fn points(&self, line: &[Coord<f64>]) -> String {
        let mut out = String::new();
        let mut last: Option<(f64, f64)> = None;
        for (i, &c) in line.iter().enumerate() {
            let p = self.xy(c);
            let near = last.is_some_and(|l| (l.0 - p.0).abs() < 1.0 && (l.1 - p.1).abs() < 1.0);
            if near && i + 1 != line.len() {
                continue;
            }
            let _ = write!(
                out,
                "{}{:.1},{:.1}",
                if out.is_empty() { "" } else { " " },
                p.0,
                p.1
            );
            last = Some(p);
        }
        out
    }

    /// An SVG path (`M … Z` per ring) for an area; draw with `fill-rule: evenodd`.
    pub fn path(&self, area: &MultiPolygon<f64>) -> String {
        let mut out = String::new();
        for polygon in area {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                let pts = self.points(&ring.0);
                if !pts.is_empty() {
                    let _ = write!(out, "M{} Z ", pts.replace(' ', " L"));
                }
            }
        }
        out
    }

    /// A scale bar: a round length (1, 2 or 5 × 10ⁿ metres) near a quarter of the width,
    /// as (pixels, label).
    pub fn scale_bar(&self) -> (f64, String) {
        let target = self.metres_per_px * self.width / 4.0;
        let magnitude = 10f64.powf(target.log10().floor());
        let nice = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * magnitude)
            .filter(|m| *m <= target)
            .fold(magnitude, f64::max);
        let label = if nice >= 1000.0 {
            format!("{} km", nice / 1000.0)
        } else {
            format!("{nice} m")
        };
        (nice / self.metres_per_px, label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::coord;

    #[test]
    fn a_frame_keeps_shapes_true_and_fits_the_width() {
        // A box 0.02° wide and 0.01° tall at the equator: the width is the binding side.
        let f = Frame::around([coord! {x: 0.0, y: 0.0}, coord! {x: 0.02, y: 0.01}]).unwrap();
        assert_eq!(f.xy(coord! {x: 0.0, y: 0.01}), (16.0, 16.0));
        let (x, y) = f.xy(coord! {x: 0.02, y: 0.0});
        assert!((x - (WIDTH - 16.0)).abs() < 1e-6);
        // Half as tall as wide: 304 px of drawing (to a part in 10⁸: cos 0.005° ≠ 1).
        assert!((y - (16.0 + 304.0)).abs() < 1e-3, "{y}");
    }

    #[test]
    fn the_scale_bar_is_a_round_length_of_the_right_pixels() {
        let f = Frame::around([coord! {x: 0.0, y: 0.0}, coord! {x: 0.1, y: 0.0}]).unwrap();
        // 0.1° = 11,132 m over 608 px: 18.3 m/px; a quarter width is 2,930 m → 2 km.
        let (px, label) = f.scale_bar();
        assert_eq!(label, "2 km");
        assert!((px - 2000.0 / f.metres_per_px).abs() < 1e-9);
    }

    #[test]
    fn the_bounds_are_the_pixels_edges_and_the_margin_is_kept() {
        let f = Frame::around([coord! {x: 0.0, y: 0.0}, coord! {x: 0.02, y: 0.01}]).unwrap();
        let b = f.bounds();
        // The corners of the sketch map back onto the bounds.
        let (x, y) = f.xy(coord! {x: b.west, y: b.north});
        assert!(x.abs() < 1e-9 && y.abs() < 1e-9, "{x} {y}");
        let (x, y) = f.xy(coord! {x: b.east, y: b.south});
        assert!(
            (x - WIDTH).abs() < 1e-6 && (y - f.height).abs() < 1e-6,
            "{x} {y}"
        );
        assert!(f.shows(coord! {x: 0.01, y: 0.005}) && !f.shows(coord! {x: 0.5, y: 0.005}));
        // A 10 % margin: the content spans 0.02°, so 0.002° of room on each side.
        let m = Frame::around_with_margin(
            [coord! {x: 0.0, y: 0.0}, coord! {x: 0.02, y: 0.01}],
            0.1,
            0.0,
        )
        .unwrap();
        let b = m.bounds();
        assert!(b.west <= -0.002 + 1e-9 && b.east >= 0.022 - 1e-9, "{b:?}");
        assert!(b.south <= -0.002 + 1e-9 && b.north >= 0.012 - 1e-9, "{b:?}");
    }

    #[test]
    fn a_centred_frame_fills_its_panel_and_inverts() {
        let b = BboxWgs84 {
            west: 0.0,
            south: 0.0,
            east: 0.02,
            north: 0.01,
        };
        let f = Frame::centred(b, 400.0, 400.0, 20.0).unwrap();
        // The wide box binds: 360 px across; 180 px (to cos 0.005°) tall, centred.
        let (x0, y0) = f.xy(coord! {x: 0.0, y: 0.01});
        let (x1, y1) = f.xy(coord! {x: 0.02, y: 0.0});
        assert!(
            (x0 - 20.0).abs() < 1e-6 && (x1 - 380.0).abs() < 1e-6,
            "{x0} {x1}"
        );
        assert!(((y0 + y1) / 2.0 - 200.0).abs() < 1e-6, "{y0} {y1}");
        assert!((y1 - y0 - 180.0).abs() < 1e-3, "{y0} {y1}");
        let back = f.lon_lat(x1, y1);
        assert!(
            (back.x - 0.02).abs() < 1e-12 && back.y.abs() < 1e-12,
            "{back:?}"
        );
        assert!(Frame::centred(b, 30.0, 400.0, 20.0).is_none());
    }

    #[test]
    fn points_closer_than_a_pixel_are_thinned_but_the_last_is_kept() {
        let f = Frame::around([coord! {x: 0.0, y: 0.0}, coord! {x: 1.0, y: 1.0}]).unwrap();
        let line = [
            coord! {x: 0.0, y: 0.0},
            coord! {x: 0.0001, y: 0.0},
            coord! {x: 0.0002, y: 0.0},
        ];
        assert_eq!(f.points(&line).split(' ').count(), 2);
    }
}
