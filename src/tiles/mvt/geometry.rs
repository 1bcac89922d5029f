//! MVT geometry: command integers (MoveTo/LineTo/ClosePath with zig-zag deltas), and
//! exterior rings with positive surveyor's area in tile coordinates (clockwise on
//! screen), holes the other way.

use geozero::mvt::tile;

/// A geometry in integer tile units, ready to encode.
#[derive(Debug, Clone, PartialEq)]
pub enum TileGeometry {
    /// One or more points.
    Points(Vec<[i32; 2]>),
    /// One or more lines, each of two points or more.
    Lines(Vec<Vec<[i32; 2]>>),
    /// Each polygon: exterior ring then holes; rings open (no repeated closing point).
    Polygons(Vec<Vec<Vec<[i32; 2]>>>),
}

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

fn command(id: u32, count: usize) -> u32 {
    (id & 0x7) | ((count as u32) << 3)
}

fn zigzag(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

struct Cursor<'a> {
    data: &'a mut Vec<u32>,
    at: [i32; 2],
}

impl Cursor<'_> {
    fn push(&mut self, p: [i32; 2]) {
        self.data.push(zigzag(p[0] - self.at[0]));
        self.data.push(zigzag(p[1] - self.at[1]));
        self.at = p;
    }

    fn path(&mut self, points: &[[i32; 2]], close: bool) {
        self.data.push(command(MOVE_TO, 1));
        self.push(points[0]);
        self.data.push(command(LINE_TO, points.len() - 1));
        for &p in &points[1..] {
            self.push(p);
        }
        if close {
            self.data.push(command(CLOSE_PATH, 1));
        }
    }
}

/// Twice the signed area by the surveyor's formula, in tile coordinates (y down).
pub fn ring_area2(ring: &[[i32; 2]]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
        })
        .sum()
}

/// Encodes a geometry as an MVT command stream and its geometry type.
pub fn encode_geometry(g: &TileGeometry) -> (tile::GeomType, Vec<u32>) {
    let mut data = Vec::new();
    let geom_type = encode_geometry_into(g, &mut data);
    (geom_type, data)
}

/// [`encode_geometry`] into `data`, which is cleared first (a builder reuses one).
pub(super) fn encode_geometry_into(g: &TileGeometry, data: &mut Vec<u32>) -> tile::GeomType {
    // Two integers a vertex, and a MoveTo, a LineTo and a ClosePath a path: sized once.
    let capacity = match g {
        TileGeometry::Points(points) => 1 + 2 * points.len(),
        TileGeometry::Lines(lines) => lines.iter().map(|l| 2 + 2 * l.len()).sum(),
        TileGeometry::Polygons(polygons) => polygons
            .iter()
            .flatten()
            .map(|ring| 3 + 2 * ring.len())
            .sum(),
    };
    data.clear();
    data.reserve(capacity);
    let mut c = Cursor { data, at: [0, 0] };
    match g {
        TileGeometry::Points(points) => {
            c.data.push(command(MOVE_TO, points.len()));
            for &p in points {
                c.push(p);
            }
            tile::GeomType::Point
        }
        TileGeometry::Lines(lines) => {
            for line in lines {
                c.path(line, false);
            }
            tile::GeomType::Linestring
        }
        TileGeometry::Polygons(polygons) => {
            for polygon in polygons {
                for (i, ring) in polygon.iter().enumerate() {
                    let exterior = i == 0;
                    let area = ring_area2(ring);
                    if (exterior && area < 0) || (!exterior && area > 0) {
                        let reversed: Vec<[i32; 2]> = ring.iter().rev().copied().collect();
                        c.path(&reversed, true);
                    } else {
                        c.path(ring, true);
                    }
                }
            }
            tile::GeomType::Polygon
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_example_point_encodes_as_in_the_mvt_spec() {
        // MVT 2.1 spec §4.3.5.1: a point at (25, 17) is [9, 50, 34].
        let (_, data) = encode_geometry(&TileGeometry::Points(vec![[25, 17]]));
        assert_eq!(data, vec![9, 50, 34]);
    }

    #[test]
    fn spec_example_linestring_encodes_as_in_the_mvt_spec() {
        // §4.3.5.3: (2,2) (2,10) (10,10) → [9, 4, 4, 18, 0, 16, 16, 0].
        let (_, data) =
            encode_geometry(&TileGeometry::Lines(vec![vec![[2, 2], [2, 10], [10, 10]]]));
        assert_eq!(data, vec![9, 4, 4, 18, 0, 16, 16, 0]);
    }

    #[test]
    fn spec_example_polygon_encodes_as_in_the_mvt_spec() {
        // §4.3.5.6: (3,6) (8,12) (20,34) → [9, 6, 12, 18, 10, 12, 24, 44, 15].
        let (_, data) = encode_geometry(&TileGeometry::Polygons(vec![vec![vec![
            [3, 6],
            [8, 12],
            [20, 34],
        ]]]));
        assert_eq!(data, vec![9, 6, 12, 18, 10, 12, 24, 44, 15]);
    }

    #[test]
    fn exterior_rings_are_rewound_clockwise_and_holes_anticlockwise() {
        let counter = vec![[0, 0], [0, 10], [10, 10], [10, 0]];
        assert!(ring_area2(&counter) < 0);
        let poly = TileGeometry::Polygons(vec![vec![counter.clone(), counter]]);
        let (_, data) = encode_geometry(&poly);
        // Decode the first LineTo delta of each ring to see the direction taken.
        let first_step_exterior = (data[4], data[5]);
        // Reversed, the ring starts at (10,0) and steps south to (10,10): clockwise on screen.
        assert_eq!(first_step_exterior, (zigzag(0), zigzag(10)));
    }
}
