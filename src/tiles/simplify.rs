//! Ramer–Douglas–Peucker simplification of a projected path, in tile units.
//!
//! The same algorithm as `geo::Simplify` (a vertex is kept when it lies farther than the
//! tolerance from the segment joining the kept vertices around it; distance to the
//! segment, not the infinite line), written for the tile pipeline: it works on the
//! `[f64; 2]` paths the projector makes (no `LineString` built and taken apart for each
//! ring), compares squared distances (no `hypot` per vertex: the square root of every
//! distance was a tenth of a low-zoom tile's drawing time) and uses an explicit stack
//! (no recursion, one allocation for the kept flags). The tests check it keeps exactly
//! the vertices `geo` keeps.

/// `points` with every vertex within `tolerance` of the simplified path dropped; the
/// first and last are always kept. Paths of fewer than three vertices, or a tolerance
/// of zero or less, come back as they are.
pub fn rdp(points: &[[f64; 2]], tolerance: f64) -> Vec<[f64; 2]> {
    let n = points.len();
    if n < 3 || tolerance <= 0.0 {
        return points.to_vec();
    }
    let tolerance2 = tolerance * tolerance;
    let mut keep = vec![false; n];
    keep[0] = true;
    keep[n - 1] = true;
    let mut spans = vec![(0usize, n - 1)];
    while let Some((first, last)) = spans.pop() {
        if last <= first + 1 {
            continue;
        }
        let (mut farthest, mut farthest_d2) = (first, 0.0);
        let segment = Segment::new(points[first], points[last]);
        for (i, p) in points.iter().enumerate().take(last).skip(first + 1) {
            let d2 = segment.distance2(*p);
            // `>=`: of equally far vertices the last is kept, as `geo` keeps it.
            if d2 >= farthest_d2 {
                (farthest, farthest_d2) = (i, d2);
            }
        }
        if farthest_d2 > tolerance2 {
            keep[farthest] = true;
            spans.push((first, farthest));
            spans.push((farthest, last));
        }
    }
    points
        .iter()
        .zip(&keep)
        .filter_map(|(p, &k)| k.then_some(*p))
        .collect()
}

/// A segment `a`–`b`, with what every distance to it needs computed once: the
/// inner loop of [`rdp`] then divides nothing (a division per vertex was a sixth of
/// it).
struct Segment {
    a: [f64; 2],
    b: [f64; 2],
    d: [f64; 2],
    length2: f64,
    inverse_length2: f64,
}

impl Segment {
    fn new(a: [f64; 2], b: [f64; 2]) -> Segment {
        let d = [b[0] - a[0], b[1] - a[1]];
        let length2 = d[0] * d[0] + d[1] * d[1];
        Segment {
            a,
            b,
            d,
            length2,
            inverse_length2: if length2 > 0.0 { 1.0 / length2 } else { 0.0 },
        }
    }

    /// The squared distance from `p` to the segment (to `a` when `a` and `b`
    /// coincide).
    fn distance2(&self, p: [f64; 2]) -> f64 {
        let to = |q: [f64; 2]| (p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2);
        // Where p falls along the segment, times its length squared.
        let along = (p[0] - self.a[0]) * self.d[0] + (p[1] - self.a[1]) * self.d[1];
        if self.length2 == 0.0 || along <= 0.0 {
            return to(self.a);
        }
        if along >= self.length2 {
            return to(self.b);
        }
        let cross = (self.a[1] - p[1]) * self.d[0] - (self.a[0] - p[0]) * self.d[1];
        cross * cross * self.inverse_length2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Coord, LineString, Simplify};
    use proptest::prelude::*;

    fn with_geo(points: &[[f64; 2]], tolerance: f64) -> Vec<[f64; 2]> {
        let line: LineString<f64> = points.iter().map(|p| Coord { x: p[0], y: p[1] }).collect();
        line.simplify(tolerance)
            .0
            .into_iter()
            .map(|c| [c.x, c.y])
            .collect()
    }

    proptest! {
        #[test]
        fn keeps_exactly_what_geo_keeps(
            // Tile units on a coarse grid, so vertices repeat and paths double back.
            raw in prop::collection::vec((-80i32..80, -80i32..80), 0..60),
            closed in any::<bool>(),
            tolerance in prop::sample::select(vec![0.5, 1.0, 4.0, 16.0]),
        ) {
            let mut points: Vec<[f64; 2]> = raw
                .iter()
                .map(|&(x, y)| [f64::from(x) * 0.75, f64::from(y) * 1.25])
                .collect();
            if closed && !points.is_empty() {
                points.push(points[0]);
            }
            prop_assert_eq!(rdp(&points, tolerance), with_geo(&points, tolerance));
        }
    }

    #[test]
    fn a_hand_worked_zigzag() {
        // The middle vertex is 3 units off the chord: kept at tolerance 2, dropped at 4.
        let path = [[0.0, 0.0], [5.0, 3.0], [10.0, 0.0]];
        assert_eq!(rdp(&path, 2.0), path.to_vec());
        assert_eq!(rdp(&path, 4.0), vec![[0.0, 0.0], [10.0, 0.0]]);
    }
}
