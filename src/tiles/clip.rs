//! Clipping to the buffered tile square, in tile units.
//!
//! Axis-aligned rectangles make both classic algorithms exact and cheap, so they are
//! written here rather than going through a general boolean-operations crate (geo's
//! `BooleanOps` builds a sweep-line structure per call, far slower per tile):
//! Sutherland–Hodgman for rings (the output may run along the tile edge, which renders
//! correctly and is what tile servers such as geojson-vt emit) and Liang–Barsky for lines.

/// An axis-aligned clip rectangle in tile units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipRect {
    /// Least x and y (minus the buffer, for a buffered tile).
    pub min: f64,
    /// Greatest x and y (the extent plus the buffer).
    pub max: f64,
}

impl ClipRect {
    /// Whether `p` is inside or on the edge.
    pub fn contains(&self, p: [f64; 2]) -> bool {
        (self.min..=self.max).contains(&p[0]) && (self.min..=self.max).contains(&p[1])
    }

    /// The nearest point to `p` inside.
    pub fn clamp(&self, p: [f64; 2]) -> [f64; 2] {
        [
            p[0].clamp(self.min, self.max),
            p[1].clamp(self.min, self.max),
        ]
    }
}

#[derive(Clone, Copy)]
enum Edge {
    Left,
    Right,
    Top,
    Bottom,
}

impl Edge {
    fn inside(self, p: [f64; 2], r: &ClipRect) -> bool {
        match self {
            Edge::Left => p[0] >= r.min,
            Edge::Right => p[0] <= r.max,
            Edge::Top => p[1] >= r.min,
            Edge::Bottom => p[1] <= r.max,
        }
    }

    fn intersect(self, a: [f64; 2], b: [f64; 2], r: &ClipRect) -> [f64; 2] {
        let (axis, value) = match self {
            Edge::Left => (0, r.min),
            Edge::Right => (0, r.max),
            Edge::Top => (1, r.min),
            Edge::Bottom => (1, r.max),
        };
        let t = (value - a[axis]) / (b[axis] - a[axis]);
        let mut p = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
        p[axis] = value;
        p
    }
}

/// Clips a ring (open or closed) to the rectangle; returns an open ring, possibly empty.
///
/// A ring wholly inside comes back as it is, less its closing point, without a pass
/// per edge (most of a tile's rings); the passes reuse two buffers.
pub fn clip_ring(ring: Vec<[f64; 2]>, rect: &ClipRect) -> Vec<[f64; 2]> {
    let mut output = ring;
    if output.len() > 1 && output.first() == output.last() {
        output.pop();
    }
    if output.iter().all(|&p| rect.contains(p)) {
        return output;
    }
    let mut input = Vec::with_capacity(output.len() + 8);
    for edge in [Edge::Left, Edge::Right, Edge::Top, Edge::Bottom] {
        if output.is_empty() {
            break;
        }
        std::mem::swap(&mut input, &mut output);
        output.clear();
        let mut prev = *input.last().expect("checked non-empty above");
        for &cur in &input {
            match (edge.inside(cur, rect), edge.inside(prev, rect)) {
                (true, true) => output.push(cur),
                (true, false) => {
                    output.push(edge.intersect(prev, cur, rect));
                    output.push(cur);
                }
                (false, true) => output.push(edge.intersect(prev, cur, rect)),
                (false, false) => {}
            }
            prev = cur;
        }
    }
    output
}

/// Clips a polyline to the rectangle; a line that leaves and re-enters becomes several.
pub fn clip_line(line: &[[f64; 2]], rect: &ClipRect) -> Vec<Vec<[f64; 2]>> {
    let mut parts: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut current: Vec<[f64; 2]> = Vec::new();
    for pair in line.windows(2) {
        match clip_segment(pair[0], pair[1], rect) {
            Some((a, b)) => {
                if current.last() != Some(&a) {
                    if current.len() >= 2 {
                        parts.push(std::mem::take(&mut current));
                    }
                    current.clear();
                    current.push(a);
                }
                current.push(b);
                // The segment was cut at its end: the line leaves the rectangle here.
                if b != pair[1] {
                    parts.push(std::mem::take(&mut current));
                }
            }
            None => {
                if current.len() >= 2 {
                    parts.push(std::mem::take(&mut current));
                }
                current.clear();
            }
        }
    }
    if current.len() >= 2 {
        parts.push(current);
    }
    parts
}

/// Liang–Barsky: the part of segment a→b inside the rectangle, if any.
fn clip_segment(a: [f64; 2], b: [f64; 2], r: &ClipRect) -> Option<([f64; 2], [f64; 2])> {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a[0] - r.min),
        (dx, r.max - a[0]),
        (-dy, a[1] - r.min),
        (dy, r.max - a[1]),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            b
        } else {
            r.clamp([a[0] + t * dx, a[1] + t * dy])
        }
    };
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const R: ClipRect = ClipRect {
        min: 0.0,
        max: 10.0,
    };

    #[test]
    fn a_square_overlapping_a_corner_is_cut_to_the_overlap() {
        let ring = [
            [5.0, 5.0],
            [15.0, 5.0],
            [15.0, 15.0],
            [5.0, 15.0],
            [5.0, 5.0],
        ];
        let out = clip_ring(ring.to_vec(), &R);
        let mut sorted = out.clone();
        sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
        assert_eq!(
            sorted,
            vec![[5.0, 5.0], [5.0, 10.0], [10.0, 5.0], [10.0, 10.0]]
        );
    }

    #[test]
    fn a_ring_inside_comes_back_open_and_unchanged_edges_included() {
        let ring = [
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [2.0, 7.0],
            [0.0, 0.0],
        ];
        assert_eq!(clip_ring(ring.to_vec(), &R), ring[..4].to_vec());
        assert_eq!(clip_ring(ring[..4].to_vec(), &R), ring[..4].to_vec());
    }

    #[test]
    fn a_ring_enclosing_the_tile_becomes_the_tile() {
        let ring = [[-5.0, -5.0], [20.0, -5.0], [20.0, 20.0], [-5.0, 20.0]];
        assert_eq!(clip_ring(ring.to_vec(), &R).len(), 4);
    }

    #[test]
    fn a_line_crossing_twice_splits_in_two() {
        let line = [
            [-5.0, 2.0],
            [5.0, 2.0],
            [15.0, 2.0],
            [15.0, 8.0],
            [5.0, 8.0],
            [5.0, 20.0],
        ];
        let parts = clip_line(&line, &R);
        assert_eq!(
            parts,
            vec![
                vec![[0.0, 2.0], [5.0, 2.0], [10.0, 2.0]],
                vec![[10.0, 8.0], [5.0, 8.0], [5.0, 10.0]]
            ]
        );
    }

    #[test]
    fn a_line_outside_vanishes() {
        assert!(clip_line(&[[-5.0, -5.0], [-1.0, 20.0]], &R).is_empty());
    }

    fn pt() -> impl Strategy<Value = [f64; 2]> {
        (-30.0f64..40.0, -30.0f64..40.0).prop_map(|(x, y)| [x, y])
    }

    proptest! {
        #[test]
        fn clipped_rings_stay_inside_the_rectangle(ring in prop::collection::vec(pt(), 3..20)) {
            for p in clip_ring(ring.to_vec(), &R) {
                prop_assert!(R.contains(p), "{p:?}");
            }
        }

        #[test]
        fn clipped_lines_stay_inside_and_keep_inside_vertices(line in prop::collection::vec(pt(), 2..20)) {
            let parts = clip_line(&line, &R);
            for p in parts.iter().flatten() {
                prop_assert!(R.contains(*p), "{p:?}");
            }
            for v in line.iter().filter(|v| R.contains(**v) && v[0] > 0.0 && v[0] < 10.0 && v[1] > 0.0 && v[1] < 10.0) {
                prop_assert!(parts.iter().flatten().any(|p| p == v), "interior vertex {v:?} lost");
            }
        }
    }
}
