//! One feature's geometry in tile units: project to the tile, clip to its buffered
//! square, simplify, quantise to whole units (see [`to_tile_geometry`]).

use super::clip::{ClipRect, clip_line, clip_ring};
use super::frame::TileFrame;
use super::mvt::{TileGeometry, ring_area2};
use super::render::TileOptions;
use geo::{Geometry, LineString};

struct Projector<'f> {
    frame: &'f TileFrame,
    clip: ClipRect,
    tolerance: f64,
}

impl Projector<'_> {
    fn path(&self, line: &LineString<f64>) -> Vec<[f64; 2]> {
        line.0
            .iter()
            .map(|c| self.frame.project(c.x, c.y))
            .collect()
    }

    fn simplify(&self, pts: Vec<[f64; 2]>) -> Vec<[f64; 2]> {
        if self.tolerance <= 0.0 || pts.len() < 4 {
            return pts;
        }
        super::simplify::rdp(&pts, self.tolerance)
    }

    fn quantise(&self, pts: &[[f64; 2]]) -> Vec<[i32; 2]> {
        let mut out: Vec<[i32; 2]> = Vec::with_capacity(pts.len());
        for p in pts {
            let q = [p[0].round() as i32, p[1].round() as i32];
            if out.last() != Some(&q) {
                out.push(q);
            }
        }
        out
    }

    fn ring(&self, ring: &LineString<f64>) -> Option<Vec<[i32; 2]>> {
        let clipped = clip_ring(self.path(ring), &self.clip);
        if clipped.len() < 3 {
            return None;
        }
        let mut closed = clipped;
        closed.push(closed[0]);
        let mut q = self.quantise(&self.simplify(closed));
        if q.len() > 1 && q.first() == q.last() {
            q.pop();
        }
        (q.len() >= 3 && ring_area2(&q) != 0).then_some(q)
    }

    fn lines(&self, line: &LineString<f64>) -> Vec<Vec<[i32; 2]>> {
        clip_line(&self.path(line), &self.clip)
            .into_iter()
            .map(|part| self.quantise(&self.simplify(part)))
            .filter(|q| q.len() >= 2)
            .collect()
    }

    /// Where to put a feature that collapsed: its first vertex, pulled into the tile.
    fn anchor(&self, g: &Geometry<f64>) -> [i32; 2] {
        let first = match g {
            Geometry::Polygon(p) => p.exterior().0.first().copied(),
            Geometry::MultiPolygon(mp) => {
                mp.0.first().and_then(|p| p.exterior().0.first().copied())
            }
            Geometry::LineString(l) => l.0.first().copied(),
            Geometry::MultiLineString(ml) => ml.0.first().and_then(|l| l.0.first().copied()),
            _ => None,
        }
        .unwrap_or_default();
        let p = self.clip.clamp(self.frame.project(first.x, first.y));
        [p[0].round() as i32, p[1].round() as i32]
    }
}

/// Projects, clips, simplifies and quantises one geometry for `frame`'s tile, of
/// `opts.extent` units.
pub fn to_tile_geometry(g: &Geometry<f64>, frame: &TileFrame, opts: &TileOptions) -> TileGeometry {
    let buffer = f64::from(opts.buffer);
    let p = Projector {
        frame,
        clip: ClipRect {
            min: -buffer,
            max: f64::from(opts.extent) + buffer,
        },
        tolerance: if frame.coord().z() >= opts.full_detail_zoom {
            0.0
        } else {
            opts.simplify_units
        },
    };
    let polygons =
        |polys: &mut dyn Iterator<Item = &geo::Polygon<f64>>| -> Vec<Vec<Vec<[i32; 2]>>> {
            polys
                .filter_map(|poly| {
                    let exterior = p.ring(poly.exterior())?;
                    let mut rings = vec![exterior];
                    rings.extend(poly.interiors().iter().filter_map(|h| p.ring(h)));
                    Some(rings)
                })
                .collect()
        };
    let geometry = match g {
        Geometry::Point(pt) => TileGeometry::Points(points_inside(&p, std::iter::once(pt))),
        Geometry::MultiPoint(mp) => TileGeometry::Points(points_inside(&p, mp.0.iter())),
        Geometry::LineString(l) => TileGeometry::Lines(p.lines(l)),
        Geometry::MultiLineString(ml) => {
            TileGeometry::Lines(ml.0.iter().flat_map(|l| p.lines(l)).collect())
        }
        Geometry::Polygon(poly) => TileGeometry::Polygons(polygons(&mut std::iter::once(poly))),
        Geometry::MultiPolygon(mp) => TileGeometry::Polygons(polygons(&mut mp.0.iter())),
        Geometry::Line(l) => TileGeometry::Lines(p.lines(&LineString::from(vec![l.start, l.end]))),
        Geometry::Rect(r) => {
            TileGeometry::Polygons(polygons(&mut std::iter::once(&r.to_polygon())))
        }
        Geometry::Triangle(t) => {
            TileGeometry::Polygons(polygons(&mut std::iter::once(&t.to_polygon())))
        }
        // Importers refuse collections; should one arrive, it is drawn as its stand-in point.
        Geometry::GeometryCollection(_) => TileGeometry::Points(Vec::new()),
    };
    let collapsed = match &geometry {
        TileGeometry::Points(v) => v.is_empty(),
        TileGeometry::Lines(v) => v.is_empty(),
        TileGeometry::Polygons(v) => v.is_empty(),
    };
    if !collapsed {
        return geometry;
    }
    let [x, y] = p.anchor(g);
    // Step inwards so the stand-in stays inside the buffered square.
    let dx = if x >= p.clip.max as i32 { -1 } else { 1 };
    let dy = if y >= p.clip.max as i32 { -1 } else { 1 };
    match geometry {
        TileGeometry::Points(_) => TileGeometry::Points(vec![[x, y]]),
        TileGeometry::Lines(_) => TileGeometry::Lines(vec![vec![[x, y], [x + dx, y]]]),
        TileGeometry::Polygons(_) => TileGeometry::Polygons(vec![vec![vec![
            [x, y],
            [x + dx, y],
            [x + dx, y + dy],
            [x, y + dy],
        ]]]),
    }
}

fn points_inside<'a>(
    p: &Projector,
    pts: impl Iterator<Item = &'a geo::Point<f64>>,
) -> Vec<[i32; 2]> {
    pts.map(|pt| p.frame.project(pt.x(), pt.y()))
        .filter(|q| p.clip.contains(*q))
        .map(|q| [q[0].round() as i32, q[1].round() as i32])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::TileCoord;
    use geo::{LineString, Polygon};
    use proptest::prelude::*;

    fn coords_of(g: &TileGeometry) -> Vec<[i32; 2]> {
        match g {
            TileGeometry::Points(p) => p.clone(),
            TileGeometry::Lines(l) => l.iter().flatten().copied().collect(),
            TileGeometry::Polygons(p) => p.iter().flatten().flatten().copied().collect(),
        }
    }

    /// A tile near lon 105.7, lat 34.5 at zoom `z`, and lon/lat spans around it.
    fn tile_near(z: u8) -> TileCoord {
        let (wx, wy) = super::super::coord::lonlat_to_world(105.7, 34.5);
        let n = f64::from(1u32 << z);
        TileCoord::new(u64::from(z), (wx * n) as u64, (wy * n) as u64).unwrap()
    }

    proptest! {
        #[test]
        fn clipped_geometry_stays_inside_the_buffered_tile(
            z in 4u8..=18,
            pts in prop::collection::vec((-1.5f64..2.5, -1.5f64..2.5), 3..40),
            closed in any::<bool>(),
        ) {
            let coord = tile_near(z);
            let b = coord.bounds_wgs84(4096, 0);
            // Points spread over the tile and well beyond it, in tile-size units.
            let lonlat: Vec<(f64, f64)> = pts
                .iter()
                .map(|(u, v)| (b.west + u * (b.east - b.west), b.north - v * (b.north - b.south)))
                .collect();
            let line = LineString::from(lonlat.clone());
            let geometry = if closed {
                let mut ring = lonlat.clone();
                ring.push(lonlat[0]);
                Geometry::Polygon(Polygon::new(LineString::from(ring), vec![]))
            } else {
                Geometry::LineString(line)
            };
            let opts = TileOptions::default();
            let out = to_tile_geometry(&geometry, &TileFrame::new(coord, 4096, 64), &opts);
            for [x, y] in coords_of(&out) {
                prop_assert!((-64..=4160).contains(&x) && (-64..=4160).contains(&y), "({x}, {y}) escapes the buffer");
            }
            prop_assert!(!coords_of(&out).is_empty(), "a geometry never vanishes");
        }
    }

    #[test]
    fn a_polygon_smaller_than_a_tile_unit_becomes_a_one_unit_square_not_nothing() {
        let coord = tile_near(3);
        let b = coord.bounds_wgs84(4096, 0);
        let (x, y) = ((b.west + b.east) / 2.0, (b.south + b.north) / 2.0);
        let tiny = Polygon::new(
            LineString::from(vec![(x, y), (x + 1e-6, y), (x + 1e-6, y + 1e-6), (x, y)]),
            vec![],
        );
        let frame = TileFrame::new(coord, 4096, 64);
        let out = to_tile_geometry(&Geometry::Polygon(tiny), &frame, &TileOptions::default());
        let TileGeometry::Polygons(polys) = out else {
            panic!("still a polygon")
        };
        assert_eq!(polys[0][0].len(), 4);
        assert_eq!(ring_area2(&polys[0][0]).abs(), 2);
    }
}
