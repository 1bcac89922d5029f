//! Metres on the ellipsoid: geodesic circles and equal-area polygon areas.
//!
//! geo's Karney-based `Geodesic` does the work: circles are built by `destination`
//! (so a 300 m buffer is 300 m at any latitude) and areas by `geodesic_area_unsigned`
//! (exact on WGS84), never from Euclidean degrees.

use geo::{Coord, Destination, Geodesic, GeodesicArea, LineString, MultiPolygon, Point, Polygon};

/// Vertices of a buffer circle: 64 keeps the area within 0.2% of the true disc.
pub const CIRCLE_SEGMENTS: usize = 64;

/// A closed ring of points `radius_m` from `centre`, anticlockwise.
pub fn circle_ring(centre: Point<f64>, radius_m: f64, segments: usize) -> LineString<f64> {
    let mut pts: Vec<Coord<f64>> = (0..segments)
        .map(|k| {
            // Bearings run clockwise from north; walk them backwards for an anticlockwise ring.
            let bearing = 360.0 - 360.0 * k as f64 / segments as f64;
            Geodesic.destination(centre, bearing % 360.0, radius_m).0
        })
        .collect();
    pts.push(pts[0]);
    LineString(pts)
}

/// A geodesic disc as a polygon.
pub fn circle(centre: Point<f64>, radius_m: f64) -> Polygon<f64> {
    Polygon::new(circle_ring(centre, radius_m, CIRCLE_SEGMENTS), vec![])
}

/// A geodesic annulus (`inner_m` may be zero for a disc).
pub fn annulus(centre: Point<f64>, inner_m: f64, outer_m: f64) -> Polygon<f64> {
    let hole = (inner_m > 0.0).then(|| {
        let mut ring = circle_ring(centre, inner_m, CIRCLE_SEGMENTS);
        ring.0.reverse();
        ring
    });
    Polygon::new(
        circle_ring(centre, outer_m, CIRCLE_SEGMENTS),
        hole.into_iter().collect(),
    )
}

/// Area in square metres on the WGS84 ellipsoid.
pub fn area_m2(mp: &MultiPolygon<f64>) -> f64 {
    mp.geodesic_area_unsigned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Haversine};

    #[test]
    fn circle_vertices_lie_at_the_radius() {
        let c = Point::new(105.7, 34.5);
        for p in circle_ring(c, 300.0, 16).points() {
            let d = Haversine.distance(c, p);
            assert!((d - 300.0).abs() < 1.0, "{d}");
        }
    }

    #[test]
    fn a_one_kilometre_disc_has_about_pi_square_kilometres() {
        let a = area_m2(&MultiPolygon(vec![circle(
            Point::new(105.7, 34.5),
            1_000.0,
        )]));
        let disc = std::f64::consts::PI * 1e6;
        // A 64-gon inscribed in the circle has area (64/2π)·sin(2π/64) ≈ 0.99839 of the disc.
        assert!((a / disc - 0.99839).abs() < 0.001, "{}", a / disc);
    }

    #[test]
    fn an_annulus_is_the_outer_disc_minus_the_inner() {
        let c = Point::new(105.7, 34.5);
        let ring = area_m2(&MultiPolygon(vec![annulus(c, 1_000.0, 2_000.0)]));
        let outer = area_m2(&MultiPolygon(vec![circle(c, 2_000.0)]));
        let inner = area_m2(&MultiPolygon(vec![circle(c, 1_000.0)]));
        assert!((ring - (outer - inner)).abs() < 1.0);
    }
}
