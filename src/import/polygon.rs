//! Polygons as the data contract takes them: rings that neither cross themselves nor each
//! other, and hazard areas no larger than a province. One check for every way a polygon
//! comes in (a layer file, PostGIS, `riskatlas import`, an edit, a drawn hazard):
//!
//! 1. each polygon's ring segments are swept for crossings with geo's `Intersections`
//!    (a Bentley–Ottmann sweep, O(n log n) for a usual ring; geo's `Validation` tests every
//!    pair of segments, minutes for a 50,000-vertex census boundary), then each hole is
//!    checked to lie inside the exterior and outside the other holes;
//! 2. a polygon that fails is repaired with geo's `MakeValid` (Ledoux, Arroyo Ohori and
//!    Meijers 2014: a constrained triangulation labelled by the even-odd rule), which
//!    splits a bow-tie into its two triangles, and the repair is reported with where the
//!    rings cross. Repairing rather than refusing keeps a census file's one bad village
//!    on the map, and the even-odd rule is what a renderer draws for the same ring, so
//!    the repaired polygon covers what the planner saw. One that repair leaves without
//!    area is refused;
//! 3. a hazard polygon ([`Kind::is_hazard_area`], and drawn areas) larger than
//!    [`MAX_HAZARD_AREA_KM2`] is refused as a likely coordinate error.
//!
//! Not checked: whether the parts of a MultiPolygon overlap one another (a hazard's parts
//! may; analyses take their union).

use crate::atlas::Kind;
use crate::atlas::kind::MAX_HAZARD_AREA_KM2;
use geo::algorithm::sweep::{Cross, Intersections};
use geo::coordinate_position::{CoordPos, CoordinatePosition};
use geo::line_intersection::LineIntersection;
use geo::orient::{Direction, Orient};
use geo::repair_polygon::RepairPolygonError;
use geo::{BoundingRect, Coord, Geometry, Intersects, Line, LineString, MakeValid, Polygon};
use std::fmt;

/// A geometry as accepted, with what was repaired in it (empty when nothing was).
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The geometry to store: as given, or repaired.
    pub geometry: Geometry<f64>,
    /// One entry per polygon repaired.
    pub repairs: Vec<Repair>,
}

/// One polygon repaired: what was wrong and into how many parts it was split.
#[derive(Debug, Clone, PartialEq)]
pub struct Repair {
    /// The polygon's position in its MultiPolygon (0 for a Polygon).
    pub polygon: usize,
    /// What was wrong with it.
    pub problem: RingProblem,
    /// How many valid polygons the repair made of it (a bow-tie makes 2).
    pub parts: usize,
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "polygon {}: {}; repaired by the even-odd rule into {} valid polygon{}",
            self.polygon,
            self.problem,
            self.parts,
            if self.parts == 1 { "" } else { "s" }
        )
    }
}

/// What is wrong with a polygon's rings, and where.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RingProblem {
    /// Two segments cross, touch or overlap (in one ring or two), first found at `at`.
    Crossing {
        /// Where, in lon/lat.
        at: Coord<f64>,
    },
    /// Hole `hole` (1-based, as GeoJSON counts rings) lies outside the exterior ring or
    /// inside another hole; `at` is its first vertex.
    StrayHole {
        /// Which hole, 1-based.
        hole: usize,
        /// Its first vertex, in lon/lat.
        at: Coord<f64>,
    },
}

impl fmt::Display for RingProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingProblem::Crossing { at } => {
                write!(f, "its rings cross or overlap at [{}, {}]", at.x, at.y)
            }
            RingProblem::StrayHole { hole, at } => write!(
                f,
                "hole {hole} (at [{}, {}]) is not inside the exterior ring alone",
                at.x, at.y
            ),
        }
    }
}

/// Why a polygon is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolygonError {
    /// The repaired polygon has no area (its rings only touched or doubled back).
    #[error("polygon {polygon}: {problem}, and repairing it leaves no area")]
    NoArea {
        /// The polygon's position in its MultiPolygon (0 for a Polygon).
        polygon: usize,
        /// What was wrong with it.
        problem: RingProblem,
    },
    /// geo's `MakeValid` could not repair it.
    #[error("polygon {polygon}: {problem}, and it could not be repaired: {source}")]
    Unrepairable {
        /// The polygon's position in its MultiPolygon (0 for a Polygon).
        polygon: usize,
        /// What was wrong with it.
        problem: RingProblem,
        /// Why the repair failed.
        #[source]
        source: RepairPolygonError,
    },
    /// A hazard area larger than [`MAX_HAZARD_AREA_KM2`].
    #[error(
        "a {kind} polygon of {area_km2:.0} km² is larger than {MAX_HAZARD_AREA_KM2} km² \
         (about a province): likely a coordinate error (swapped lon/lat, projected \
         coordinates, a placeholder box)"
    )]
    TooLarge {
        /// The layer's kind (`hazard` for a drawn area).
        kind: Kind,
        /// Its area, km² (see [`area_km2`]).
        area_km2: f64,
    },
}

/// Checks (and where needed repairs) `geometry` for a layer of `kind`: steps 1–3 of the
/// module doc. Points and lines pass as they are.
pub fn check(kind: Kind, geometry: Geometry<f64>) -> Result<Checked, PolygonError> {
    let (polygons, multi) = match geometry {
        Geometry::Polygon(p) => (vec![p], false),
        Geometry::MultiPolygon(mp) => (mp.0, true),
        other => {
            return Ok(Checked {
                geometry: other,
                repairs: Vec::new(),
            });
        }
    };
    let (polygons, repairs) = repaired(polygons)?;
    let geometry = match polygons.len() {
        1 if !multi => Geometry::Polygon(polygons.into_iter().next().expect("one")),
        _ => Geometry::MultiPolygon(geo::MultiPolygon(polygons)),
    };
    if kind.is_hazard_area() {
        let area_km2 = area_km2(&geometry);
        if area_km2 > MAX_HAZARD_AREA_KM2 {
            return Err(PolygonError::TooLarge { kind, area_km2 });
        }
    }
    Ok(Checked { geometry, repairs })
}

/// Polygons, and the repairs made to them.
type Repaired = (Vec<Polygon<f64>>, Vec<Repair>);

/// The polygons with every invalid one replaced by its repaired parts.
fn repaired(polygons: Vec<Polygon<f64>>) -> Result<Repaired, PolygonError> {
    let mut out = Vec::with_capacity(polygons.len());
    let mut repairs = Vec::new();
    for (i, polygon) in polygons.into_iter().enumerate() {
        let Some(problem) = ring_problem(&polygon) else {
            out.push(polygon);
            continue;
        };
        let parts = polygon
            .make_valid()
            .map_err(|source| PolygonError::Unrepairable {
                polygon: i,
                problem,
                source,
            })?;
        if parts.0.is_empty() {
            return Err(PolygonError::NoArea {
                polygon: i,
                problem,
            });
        }
        repairs.push(Repair {
            polygon: i,
            problem,
            parts: parts.0.len(),
        });
        out.extend(canonical(parts));
    }
    Ok((out, repairs))
}

/// Repaired parts in one order whatever run made them: `MakeValid` starts its rings and
/// orders its parts by hash-set iteration, which differs between processes, and two
/// servers (or a restart) must hold, tile and compare the same polygon.
fn canonical(parts: geo::MultiPolygon<f64>) -> Vec<Polygon<f64>> {
    let mut parts: Vec<Polygon<f64>> = parts
        .0
        .into_iter()
        .map(|p| {
            let p = p.orient(Direction::Default);
            let (mut exterior, mut holes) = p.into_inner();
            start_at_least_vertex(&mut exterior);
            holes.iter_mut().for_each(start_at_least_vertex);
            holes.sort_by(|a, b| cmp_coord(&least(a), &least(b)));
            Polygon::new(exterior, holes)
        })
        .collect();
    parts.sort_by(|a, b| cmp_coord(&least(a.exterior()), &least(b.exterior())));
    parts
}

/// A ring's least vertex, by x then y.
fn least(ring: &LineString<f64>) -> Coord<f64> {
    ring.0
        .iter()
        .copied()
        .min_by(cmp_coord)
        .unwrap_or(Coord { x: 0.0, y: 0.0 })
}

fn cmp_coord(a: &Coord<f64>, b: &Coord<f64>) -> std::cmp::Ordering {
    a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y))
}

/// Rotates a closed ring to start (and end) at its least vertex.
fn start_at_least_vertex(ring: &mut LineString<f64>) {
    if ring.0.len() < 2 {
        return;
    }
    ring.0.pop();
    let start = ring
        .0
        .iter()
        .enumerate()
        .min_by(|a, b| cmp_coord(a.1, b.1))
        .map_or(0, |(i, _)| i);
    ring.0.rotate_left(start);
    ring.0.push(ring.0[0]);
}

/// One segment of a polygon's ring, for the sweep.
#[derive(Debug, Clone, Copy)]
struct Edge {
    ring: usize,
    /// Position along the ring, to tell consecutive segments (which share a vertex by
    /// design) from a ring that comes back to touch itself.
    index: usize,
    /// How many segments the ring has.
    of: usize,
    line: Line<f64>,
}

impl Cross for Edge {
    type Scalar = f64;

    fn line(&self) -> Line<f64> {
        self.line
    }
}

impl Edge {
    fn follows(&self, other: &Edge) -> bool {
        self.ring == other.ring && (other.index + 1) % other.of == self.index
    }
}

/// What is wrong with the polygon's rings, if anything: OGC simple-feature validity, but
/// for whether the interior is connected.
pub fn ring_problem(polygon: &Polygon<f64>) -> Option<RingProblem> {
    first_crossing(polygon)
        .map(|at| RingProblem::Crossing { at })
        .or_else(|| stray_hole(polygon))
}

fn edges(polygon: &Polygon<f64>) -> Vec<Edge> {
    let rings = std::iter::once(polygon.exterior()).chain(polygon.interiors());
    rings
        .enumerate()
        .flat_map(|(ring, r)| {
            // Repeated vertices give zero-length segments, which cross nothing.
            let lines: Vec<Line<f64>> = r.lines().filter(|l| l.start != l.end).collect();
            let of = lines.len();
            lines
                .into_iter()
                .enumerate()
                .map(move |(index, line)| Edge {
                    ring,
                    index,
                    of,
                    line,
                })
        })
        .collect()
}

/// Where two segments first cross, touch or overlap where they may not. Segments that
/// follow each other along a ring share their vertex; segments of different rings may
/// touch at a point (a hole tangent to the exterior); nothing else may meet.
fn first_crossing(polygon: &Polygon<f64>) -> Option<Coord<f64>> {
    Intersections::from_iter(edges(polygon)).find_map(|(a, b, meet)| match meet {
        LineIntersection::Collinear { intersection } => Some(intersection.start),
        LineIntersection::SinglePoint {
            intersection,
            is_proper,
        } => {
            let allowed = if a.ring == b.ring {
                a.follows(&b) || b.follows(&a)
            } else {
                !is_proper
            };
            (!allowed).then_some(intersection)
        }
    })
}

/// A hole outside the exterior ring or inside another hole. With no crossings, a hole is
/// wholly on one side of another ring, so one vertex off that ring tells which.
fn stray_hole(polygon: &Polygon<f64>) -> Option<RingProblem> {
    let exterior = Polygon::new(polygon.exterior().clone(), vec![]);
    let holes: Vec<Polygon<f64>> = polygon
        .interiors()
        .iter()
        .map(|h| Polygon::new(h.clone(), vec![]))
        .collect();
    holes.iter().enumerate().find_map(|(i, hole)| {
        let stray = Some(RingProblem::StrayHole {
            hole: i + 1,
            at: hole.exterior()[0],
        });
        if !matches!(
            vertex_off(hole.exterior(), &exterior),
            Some(CoordPos::Inside)
        ) {
            return stray;
        }
        let inside_another = holes.iter().enumerate().any(|(j, other)| {
            j != i
                && bounds_meet(hole, other)
                && vertex_off(hole.exterior(), other) == Some(CoordPos::Inside)
        });
        if inside_another { stray } else { None }
    })
}

/// Which side of `area`'s boundary `ring` lies, by its first vertex off that boundary
/// (`None` when every vertex is on it).
fn vertex_off(ring: &LineString<f64>, area: &Polygon<f64>) -> Option<CoordPos> {
    ring.0
        .iter()
        .map(|c| area.coordinate_position(c))
        .find(|pos| *pos != CoordPos::OnBoundary)
}

fn bounds_meet(a: &Polygon<f64>, b: &Polygon<f64>) -> bool {
    match (a.bounding_rect(), b.bounding_rect()) {
        (Some(a), Some(b)) => a.intersects(&b),
        _ => false,
    }
}

/// The authalic sphere's radius, km (the sphere with the WGS84 ellipsoid's area).
const AUTHALIC_RADIUS_KM: f64 = 6_371.007_2;

/// Area in km² as drawn in lon/lat (edges straight in degrees, as GeoJSON means them),
/// through Lambert's cylindrical equal-area projection of the authalic sphere. Exact for
/// boxes of lon/lat, the shape a coordinate error usually takes (the geodesic area of a
/// box round the world is ill-defined), and within a fraction of a percent of the
/// geodesic area at a province's size: plenty for a bound.
pub fn area_km2(geometry: &Geometry<f64>) -> f64 {
    let ring_area = |ring: &LineString<f64>| {
        let twice: f64 = ring
            .lines()
            .map(|l| {
                let (x0, y0) = (l.start.x.to_radians(), l.start.y.to_radians().sin());
                let (x1, y1) = (l.end.x.to_radians(), l.end.y.to_radians().sin());
                x0 * y1 - x1 * y0
            })
            .sum();
        (twice / 2.0).abs() * AUTHALIC_RADIUS_KM * AUTHALIC_RADIUS_KM
    };
    let polygon_area = |p: &Polygon<f64>| {
        ring_area(p.exterior()) - p.interiors().iter().map(ring_area).sum::<f64>()
    };
    match geometry {
        Geometry::Polygon(p) => polygon_area(p),
        Geometry::MultiPolygon(mp) => mp.0.iter().map(polygon_area).sum(),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, wkt};

    #[test]
    fn a_bow_tie_is_split_into_its_two_triangles_and_the_crossing_reported() {
        // The ring crosses itself at (0.5, 0.5): two triangles of 0.25 square degrees.
        let bow_tie = wkt!(POLYGON((0. 0., 1. 1., 1. 0., 0. 1., 0. 0.)));
        let checked = check(Kind::Flood, Geometry::Polygon(bow_tie)).unwrap();
        let Geometry::MultiPolygon(parts) = &checked.geometry else {
            panic!("{:?}", checked.geometry)
        };
        assert_eq!(parts.0.len(), 2);
        for p in &parts.0 {
            assert!((p.unsigned_area() - 0.25).abs() < 1e-12);
            assert_eq!(ring_problem(p), None);
        }
        assert_eq!(
            checked.repairs[0].to_string(),
            "polygon 0: its rings cross or overlap at [0.5, 0.5]; repaired by the even-odd rule into 2 valid polygons"
        );
    }

    /// `MakeValid` alone starts rings where a hash set's iteration happens to, which
    /// differs between processes; a rotated copy of the same bow-tie must come out the same.
    #[test]
    fn a_repair_comes_out_the_same_whichever_vertex_the_ring_starts_at() {
        let a = wkt!(POLYGON((0. 0., 1. 1., 1. 0., 0. 1., 0. 0.)));
        let b = wkt!(POLYGON((1. 0., 0. 1., 0. 0., 1. 1., 1. 0.)));
        let repaired = |p| check(Kind::Flood, Geometry::Polygon(p)).unwrap().geometry;
        let first = repaired(a.clone());
        assert_eq!(repaired(b), first);
        let Geometry::MultiPolygon(parts) = &first else {
            panic!("{first:?}")
        };
        // By hand: the left triangle first, each ring anticlockwise from its least vertex.
        assert_eq!(
            parts.0[0].exterior().0,
            [(0., 0.), (0.5, 0.5), (0., 1.), (0., 0.)].map(Coord::from)
        );
        assert_eq!(
            parts.0[1].exterior().0,
            [(0.5, 0.5), (1., 0.), (1., 1.), (0.5, 0.5)].map(Coord::from)
        );
    }

    #[test]
    fn valid_polygons_pass_untouched() {
        let cases = [
            // A square with a hole.
            wkt!(POLYGON((0. 0., 4. 0., 4. 4., 0. 4., 0. 0.), (1. 1., 2. 1., 2. 2., 1. 1.))),
            // A hole touching the exterior at one point.
            wkt!(POLYGON((0. 0., 4. 0., 4. 4., 0. 4., 0. 0.), (0. 2., 2. 1., 2. 3., 0. 2.))),
            // A repeated vertex and three collinear ones.
            wkt!(POLYGON((0. 0., 1. 0., 1. 0., 2. 0., 2. 2., 0. 2., 0. 0.))),
        ];
        for polygon in cases {
            assert_eq!(ring_problem(&polygon), None, "{polygon:?}");
            let checked = check(Kind::Admin, Geometry::Polygon(polygon.clone())).unwrap();
            assert_eq!(checked.geometry, Geometry::Polygon(polygon));
            assert!(checked.repairs.is_empty());
        }
    }

    #[test]
    fn invalid_rings_are_found_where_they_go_wrong() {
        let spike = wkt!(POLYGON((0. 0., 2. 0., 3. 0., 2. 0., 2. 2., 0. 2., 0. 0.)));
        assert!(matches!(
            ring_problem(&spike),
            Some(RingProblem::Crossing { .. })
        ));
        let pinch = wkt!(POLYGON((0. 0., 2. 0., 1. 1., 2. 2., 0. 2., 1. 1., 0. 0.)));
        assert_eq!(
            ring_problem(&pinch),
            Some(RingProblem::Crossing {
                at: Coord { x: 1.0, y: 1.0 }
            })
        );
        let hole_outside = wkt!(POLYGON(
            (0. 0., 1. 0., 1. 1., 0. 1., 0. 0.),
            (5. 5., 6. 5., 6. 6., 5. 5.)
        ));
        assert_eq!(
            ring_problem(&hole_outside),
            Some(RingProblem::StrayHole {
                hole: 1,
                at: Coord { x: 5.0, y: 5.0 }
            })
        );
        let crossing_hole = wkt!(POLYGON(
            (0. 0., 4. 0., 4. 4., 0. 4., 0. 0.),
            (3. 1., 5. 1., 5. 2., 3. 1.)
        ));
        assert!(matches!(
            ring_problem(&crossing_hole),
            Some(RingProblem::Crossing { .. })
        ));
        let nested = wkt!(POLYGON(
            (0. 0., 9. 0., 9. 9., 0. 9., 0. 0.),
            (1. 1., 8. 1., 8. 8., 1. 8., 1. 1.),
            (2. 2., 3. 2., 3. 3., 2. 2.)
        ));
        assert_eq!(
            ring_problem(&nested),
            Some(RingProblem::StrayHole {
                hole: 2,
                at: Coord { x: 2.0, y: 2.0 }
            })
        );
    }

    #[test]
    fn a_ring_without_area_is_refused() {
        let flat = wkt!(POLYGON((0. 0., 1. 0., 2. 0., 0. 0.)));
        let err = check(Kind::Flood, Geometry::Polygon(flat)).unwrap_err();
        assert!(err.to_string().contains("leaves no area"), "{err}");
    }

    #[test]
    fn a_world_sized_hazard_is_refused_and_a_province_is_not() {
        let world = wkt!(POLYGON((-180. -90., 180. -90., 180. 90., -180. 90., -180. -90.)));
        let err = check(Kind::Flood, Geometry::Polygon(world.clone())).unwrap_err();
        // By hand: the whole sphere, 4π·6371.0072² = 510,065,625 km².
        assert_eq!(
            err.to_string(),
            "a flood polygon of 510065625 km² is larger than 100000 km² (about a province): \
             likely a coordinate error (swapped lon/lat, projected coordinates, a placeholder box)"
        );
        // An admin unit may be that large (a country); only hazards are bounded.
        assert!(check(Kind::Admin, Geometry::Polygon(world)).is_ok());
        // One degree square at the equator: (π/180)·sin 1°·R² ≈ 12,364 km².
        let degree = wkt!(POLYGON((0. 0., 1. 0., 1. 1., 0. 1., 0. 0.)));
        let area = area_km2(&Geometry::Polygon(degree));
        assert!((area - 12_363.7).abs() < 0.1, "{area}");
        // Four degrees by three at 30°N: (4π/180)·(sin 33° − sin 30°)·R² ≈ 126,494 km², too
        // large; three by three, ≈ 94,870 km², is not.
        let large = wkt!(POLYGON((100. 30., 104. 30., 104. 33., 100. 33., 100. 30.)));
        let area = area_km2(&Geometry::Polygon(large.clone()));
        assert!((area - 126_493.5).abs() < 0.1, "{area}");
        assert!(matches!(
            check(Kind::Hazard, Geometry::Polygon(large)),
            Err(PolygonError::TooLarge { .. })
        ));
        let province = wkt!(POLYGON((100. 30., 103. 30., 103. 33., 100. 33., 100. 30.)));
        let area = area_km2(&Geometry::Polygon(province.clone()));
        assert!((area - 94_870.2).abs() < 0.1, "{area}");
        assert!(check(Kind::Wildfire, Geometry::Polygon(province)).is_ok());
    }
}
