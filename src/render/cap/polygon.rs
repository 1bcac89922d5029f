//! Warning areas as CAP polygons: outer rings as closed `lat,lon` rings of at least four
//! points, to 5 decimals, at most [`MAX_POLYGON_VERTICES`] points, not crossing
//! themselves (see the module doc of [`super`] for why each).

use super::MAX_POLYGON_VERTICES;
use crate::analysis::hazards::HazardArea;
use geo::{Area as _, ConvexHull, Coord, LineString, Polygon, SimplifyVwPreserve, Validation};

/// One CAP polygon per polygon of the hazard areas (their outer rings).
pub(super) fn cap_polygons(hazards: &[HazardArea]) -> Vec<String> {
    hazards
        .iter()
        .flat_map(|h| &h.area.0)
        .filter_map(|p| cap_ring(p.exterior()))
        .map(|ring| {
            let pairs: Vec<String> = ring.0.iter().map(|c| format!("{},{}", c.y, c.x)).collect();
            pairs.join(" ")
        })
        .collect()
}

/// `exterior` as a CAP ring: at most [`MAX_POLYGON_VERTICES`] points, rounded, closed,
/// not crossing itself; None when nothing of it survives rounding (a ring under a
/// metre across).
fn cap_ring(exterior: &LineString<f64>) -> Option<LineString<f64>> {
    let shell = Polygon::new(exterior.clone(), Vec::new());
    let usable = |p: &Polygon<f64>| p.exterior().0.len() >= 4 && p.is_valid();
    let ring = rounded(&within_vertex_cap(shell.clone()));
    if usable(&ring) {
        return Some(ring.exterior().clone());
    }
    let hull = rounded(&within_vertex_cap(shell.convex_hull()));
    usable(&hull).then(|| hull.exterior().clone())
}

/// `polygon` simplified until its ring has at most [`MAX_POLYGON_VERTICES`] points.
fn within_vertex_cap(polygon: Polygon<f64>) -> Polygon<f64> {
    if polygon.exterior().0.len() <= MAX_POLYGON_VERTICES {
        return polygon;
    }
    // Visvalingam–Whyatt drops points whose triangle (with their neighbours) is under
    // epsilon, in square degrees. Dropping a point grows its neighbours' triangles, so
    // the epsilon under which all but the cap's worth of triangles lie at the start is a
    // lower bound: begin there and quadruple until the ring fits (each pass is a whole
    // simplification, so a good start saves most of them; quadrupling rather than
    // doubling halves the passes again, for a ring somewhat coarser than the cap allows).
    let mut epsilon = starting_epsilon(polygon.exterior());
    let mut simplified = polygon.clone();
    for _ in 0..64 {
        simplified = polygon.simplify_vw_preserve(epsilon);
        if simplified.exterior().0.len() <= MAX_POLYGON_VERTICES {
            break;
        }
        epsilon *= 4.0;
    }
    simplified
}

/// The area under which all but [`MAX_POLYGON_VERTICES`] of the ring's triangles (each
/// point with its neighbours) lie, in square degrees.
fn starting_epsilon(ring: &LineString<f64>) -> f64 {
    let mut areas: Vec<f64> = ring
        .0
        .windows(3)
        .map(|t| geo::Triangle::new(t[0], t[1], t[2]).unsigned_area())
        .collect();
    let rank = areas.len().saturating_sub(MAX_POLYGON_VERTICES);
    if rank == 0 {
        return f64::MIN_POSITIVE;
    }
    let (_, nth, _) = areas.select_nth_unstable_by(rank, f64::total_cmp);
    nth.max(f64::MIN_POSITIVE)
}

/// `polygon`'s ring with coordinates rounded to 5 decimals, repeated points dropped.
fn rounded(polygon: &Polygon<f64>) -> Polygon<f64> {
    // + 0.0 turns -0.0 into 0.0, which prints without a sign.
    let round = |v: f64| (v * 1e5).round() / 1e5 + 0.0;
    let mut coords: Vec<Coord<f64>> = polygon
        .exterior()
        .0
        .iter()
        .map(|c| Coord {
            x: round(c.x),
            y: round(c.y),
        })
        .collect();
    coords.dedup();
    Polygon::new(LineString(coords), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// A ring of `n` points round (105.7, 34.5), closed, `wobble` making it star-shaped.
    fn ring(n: usize, wobble: f64) -> LineString<f64> {
        let mut coords: Vec<Coord<f64>> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = 0.05 * (1.0 + wobble * (i % 2) as f64);
                Coord {
                    x: 105.7 + r * a.cos(),
                    y: 34.5 + r * a.sin(),
                }
            })
            .collect();
        coords.push(coords[0]);
        LineString(coords)
    }

    #[test]
    fn a_dense_ring_is_simplified_under_the_cap_and_stays_valid() {
        for (n, wobble) in [(5000, 0.0), (3000, 0.3)] {
            let out = cap_ring(&ring(n, wobble)).unwrap();
            let points = out.0.len();
            assert!(
                (4..=MAX_POLYGON_VERTICES).contains(&points),
                "{n}: {points}"
            );
            assert_eq!(out.0.first(), out.0.last(), "closed");
            assert!(Polygon::new(out.clone(), vec![]).is_valid());
            // Every point kept lies on the original outline's annulus (0.05 to 0.065°).
            for c in &out.0 {
                let r = ((c.x - 105.7).powi(2) + (c.y - 34.5).powi(2)).sqrt();
                assert!((0.0499..=0.0651).contains(&r), "{n}: {r}");
            }
        }
    }

    #[test]
    fn a_small_ring_is_only_rounded() {
        let square = LineString::from(vec![
            (105.600004, 34.42),
            (105.8, 34.42),
            (105.8, 34.56),
            (105.6, 34.56),
            (105.6, 34.42),
        ]);
        let out = cap_ring(&square).unwrap();
        let xs: Vec<f64> = out.0.iter().map(|c| c.x).collect();
        assert_eq!(xs, [105.6, 105.8, 105.8, 105.6, 105.6]);
        // Under a metre across: nothing to draw.
        let speck = LineString::from(vec![(1.0, 1.0), (1.000001, 1.0), (1.0, 1.000001)]);
        assert_eq!(cap_ring(&speck), None);
    }

    #[test]
    fn a_ring_that_rounding_would_break_gives_way_to_its_hull() {
        // A square with a slit 0.4 m wide: valid, but at 5 decimals the slit's two
        // sides meet and the ring folds back on itself.
        let slit = LineString::from(vec![
            (0.0, 0.0),
            (2.0, 0.0),
            (2.0, 2.0),
            (1.000002, 2.0),
            (1.000002, 0.5),
            (0.999998, 0.5),
            (0.999998, 2.0),
            (0.0, 2.0),
            (0.0, 0.0),
        ]);
        assert!(Polygon::new(slit.clone(), vec![]).is_valid());
        let out = cap_ring(&slit).unwrap();
        let square: BTreeSet<(i64, i64)> = [(0, 0), (2, 0), (2, 2), (0, 2)].into();
        let got: BTreeSet<(i64, i64)> = out.0.iter().map(|c| (c.x as i64, c.y as i64)).collect();
        assert_eq!(out.0.len(), 5);
        assert_eq!(got, square);
        assert!(
            out.0
                .iter()
                .all(|c| c.x.fract() == 0.0 && c.y.fract() == 0.0)
        );
    }
}
