//! Prepared areas: point-in-polygon whose cost does not grow with the polygon's size.
//!
//! Every edge of every ring is filed into the horizontal bands its y-range spans; a
//! point tests only the edges of its own band (even-odd ray crossing). With about four
//! edges per band on average, a 5,000-vertex flood zone costs a point a handful of
//! edge tests instead of 5,000. geo's `Contains` walks every edge per call, and its
//! `PreparedGeometry` prepares for DE-9IM `relate`, far heavier per point; this index
//! is what makes the overlay meet its per-point budget (see benches/README.md).
//! Points exactly on a boundary may fall either way.

use geo::{BoundingRect, Coord, MultiPolygon, Rect};

#[derive(Debug, Clone)]
/// A hazard area prepared for fast point-in-polygon tests.
pub struct PreparedArea {
    bbox: Rect<f64>,
    /// Band b's edges, (x1, y1, x2, y2), are `band_edges[band_start[b]..band_start[b + 1]]`;
    /// an edge spanning several bands is copied into each, so a test reads one
    /// contiguous run of memory.
    band_start: Vec<u32>,
    band_edges: Vec<[f64; 4]>,
    y0: f64,
    band_height: f64,
}

impl PreparedArea {
    /// Indexes the rings of `area`. An empty area contains nothing.
    pub fn new(area: &MultiPolygon<f64>) -> PreparedArea {
        let bbox = area
            .bounding_rect()
            .unwrap_or(Rect::new((0.0, 0.0), (0.0, 0.0)));
        let mut edges = Vec::new();
        for polygon in &area.0 {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for line in ring.lines() {
                    if line.start.y != line.end.y {
                        edges.push([line.start.x, line.start.y, line.end.x, line.end.y]);
                    }
                }
            }
        }
        let bands = (edges.len() / 4).clamp(1, 1 << 16);
        let y0 = bbox.min().y;
        let band_height = (bbox.height() / bands as f64).max(f64::MIN_POSITIVE);
        let band_of = |y: f64| (((y - y0) / band_height) as usize).min(bands - 1);
        let mut counts = vec![0u32; bands + 1];
        for e in &edges {
            let (lo, hi) = (band_of(e[1].min(e[3])), band_of(e[1].max(e[3])));
            for c in &mut counts[lo..=hi] {
                *c += 1;
            }
        }
        let mut band_start = Vec::with_capacity(bands + 1);
        let mut total = 0u32;
        for c in &counts[..bands] {
            band_start.push(total);
            total += c;
        }
        band_start.push(total);
        let mut fill = band_start.clone();
        let mut band_edges = vec![[0.0; 4]; total as usize];
        for e in &edges {
            let (lo, hi) = (band_of(e[1].min(e[3])), band_of(e[1].max(e[3])));
            for b in lo..=hi {
                band_edges[fill[b] as usize] = *e;
                fill[b] += 1;
            }
        }
        PreparedArea {
            bbox,
            band_start,
            band_edges,
            y0,
            band_height,
        }
    }

    /// The area's bounding box.
    pub fn bbox(&self) -> Rect<f64> {
        self.bbox
    }

    /// Whether `p` lies inside the area (even-odd rule over all rings).
    pub fn contains(&self, p: Coord<f64>) -> bool {
        let (min, max) = (self.bbox.min(), self.bbox.max());
        if p.x < min.x || p.x > max.x || p.y < min.y || p.y > max.y || self.band_edges.is_empty() {
            return false;
        }
        let bands = self.band_start.len() - 1;
        let b = (((p.y - self.y0) / self.band_height) as usize).min(bands - 1);
        let mut inside = false;
        for &[x1, y1, x2, y2] in
            &self.band_edges[self.band_start[b] as usize..self.band_start[b + 1] as usize]
        {
            if (y1 > p.y) != (y2 > p.y) && p.x < x1 + (p.y - y1) * (x2 - x1) / (y2 - y1) {
                inside = !inside;
            }
        }
        inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Contains, LineString, Point, Polygon};
    use proptest::prelude::*;

    fn star(n: usize, holes: bool) -> MultiPolygon<f64> {
        let ring = |r0: f64, r1: f64| -> LineString<f64> {
            let mut pts: Vec<(f64, f64)> = (0..n)
                .map(|k| {
                    let a = std::f64::consts::TAU * k as f64 / n as f64;
                    let r = if k % 2 == 0 { r0 } else { r1 };
                    (r * a.cos(), r * a.sin())
                })
                .collect();
            pts.push(pts[0]);
            LineString::from(pts)
        };
        let interiors = if holes { vec![ring(0.3, 0.2)] } else { vec![] };
        MultiPolygon(vec![Polygon::new(ring(1.0, 0.6), interiors)])
    }

    proptest! {
        #[test]
        fn agrees_with_geo_contains(x in -1.2f64..1.2, y in -1.2f64..1.2, n in 6usize..400, holes in any::<bool>()) {
            let area = star(n, holes);
            let prepared = PreparedArea::new(&area);
            prop_assert_eq!(prepared.contains(Coord { x, y }), area.contains(&Point::new(x, y)));
        }
    }

    #[test]
    fn an_empty_area_contains_nothing() {
        assert!(!PreparedArea::new(&MultiPolygon(vec![])).contains(Coord { x: 0.0, y: 0.0 }));
    }
}
