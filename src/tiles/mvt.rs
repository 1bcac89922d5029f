//! Mapbox Vector Tile 2.1 encoding: command streams, winding, keys and values.
//!
//! The protobuf messages are geozero's prost-generated `vector_tile` types; this module
//! only builds them: geometry command integers (MoveTo/LineTo/ClosePath with zig-zag
//! deltas), exterior rings with positive surveyor's area in tile coordinates (clockwise
//! on screen), and per-layer key/value tables with each distinct key or value stored once.

use crate::atlas::{Field, Value};
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

struct Cursor {
    data: Vec<u32>,
    at: [i32; 2],
}

impl Cursor {
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
    let mut c = Cursor {
        data: Vec::with_capacity(capacity),
        at: [0, 0],
    };
    match g {
        TileGeometry::Points(points) => {
            c.data.push(command(MOVE_TO, points.len()));
            for &p in points {
                c.push(p);
            }
            (tile::GeomType::Point, c.data)
        }
        TileGeometry::Lines(lines) => {
            for line in lines {
                c.path(line, false);
            }
            (tile::GeomType::Linestring, c.data)
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
            (tile::GeomType::Polygon, c.data)
        }
    }
}

/// A hashable stand-in for a non-text value, so equal values share one table entry.
#[derive(Hash, PartialEq, Eq)]
enum ValueKey {
    Bool(bool),
    Int(i64),
    Float(u64),
}

type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Builds one MVT layer.
///
/// Keys and values are interned as they come; texts are looked up by `&str`, so a value
/// seen before costs no allocation (a tile repeats a few values thousands of times).
pub struct TileLayerBuilder {
    layer: tile::Layer,
    key_index: FastMap<String, u32>,
    value_index: FastMap<ValueKey, u32>,
    text_index: FastMap<Box<str>, u32>,
    /// The key index of each field by position, for the `fields` slice last passed to
    /// [`Self::add`] (identified by address and length; a builder is always given the
    /// same one): no field name is hashed per feature. `u32::MAX`: not yet used.
    keys_by_position: Vec<u32>,
    keys_for: (usize, usize),
}

impl TileLayerBuilder {
    /// An empty layer called `name`, of `extent` units a side.
    pub fn new(name: &str, extent: u32) -> Self {
        TileLayerBuilder {
            layer: tile::Layer {
                version: 2,
                name: name.to_string(),
                extent: Some(extent),
                ..Default::default()
            },
            key_index: FastMap::default(),
            value_index: FastMap::default(),
            text_index: FastMap::default(),
            keys_by_position: Vec::new(),
            keys_for: (0, 0),
        }
    }

    fn key(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.key_index.get(name) {
            return i;
        }
        let i = self.layer.keys.len() as u32;
        self.layer.keys.push(name.to_string());
        self.key_index.insert(name.to_string(), i);
        i
    }

    fn value(&mut self, v: &Value) -> Option<u32> {
        if let Value::Text(s) = v {
            if let Some(&i) = self.text_index.get(&**s) {
                return Some(i);
            }
            let i = self.push_value(tile::Value {
                string_value: Some(s.to_string()),
                ..Default::default()
            });
            self.text_index.insert(s.clone(), i);
            return Some(i);
        }
        let (key, value) = match v {
            Value::Null | Value::Text(_) => return None,
            Value::Bool(b) => (
                ValueKey::Bool(*b),
                tile::Value {
                    bool_value: Some(*b),
                    ..Default::default()
                },
            ),
            Value::Int(i) if *i < 0 => (
                ValueKey::Int(*i),
                tile::Value {
                    sint_value: Some(*i),
                    ..Default::default()
                },
            ),
            Value::Int(i) => (
                ValueKey::Int(*i),
                tile::Value {
                    int_value: Some(*i),
                    ..Default::default()
                },
            ),
            Value::Float(f) => (
                ValueKey::Float(f.to_bits()),
                tile::Value {
                    double_value: Some(*f),
                    ..Default::default()
                },
            ),
        };
        if let Some(&i) = self.value_index.get(&key) {
            return Some(i);
        }
        let i = self.push_value(value);
        self.value_index.insert(key, i);
        Some(i)
    }

    fn push_value(&mut self, value: tile::Value) -> u32 {
        let i = self.layer.values.len() as u32;
        self.layer.values.push(value);
        i
    }

    /// Adds a feature with its id and non-null attributes.
    pub fn add(&mut self, id: u64, geometry: &TileGeometry, fields: &[Field], attrs: &[Value]) {
        let (geom_type, data) = encode_geometry(geometry);
        let fields_id = (fields.as_ptr() as usize, fields.len());
        if self.keys_for != fields_id {
            self.keys_for = fields_id;
            self.keys_by_position = vec![u32::MAX; fields.len()];
        }
        let mut tags = Vec::with_capacity(attrs.len() * 2);
        for (position, (field, value)) in fields.iter().zip(attrs).enumerate() {
            if let Some(v) = self.value(value) {
                let mut k = self.keys_by_position[position];
                if k == u32::MAX {
                    k = self.key(&field.name);
                    self.keys_by_position[position] = k;
                }
                tags.push(k);
                tags.push(v);
            }
        }
        self.layer.features.push(tile::Feature {
            id: Some(id),
            tags,
            r#type: Some(geom_type as i32),
            geometry: data,
        });
    }

    /// Whether no feature was added (an empty layer is left out of the tile).
    pub fn is_empty(&self) -> bool {
        self.layer.features.is_empty()
    }

    /// The layer, for the tile.
    pub fn finish(self) -> tile::Layer {
        self.layer
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

    #[test]
    fn equal_values_share_one_table_entry() {
        let fields = vec![Field::new("severity", crate::atlas::FieldType::Integer)];
        let mut b = TileLayerBuilder::new("l", 4096);
        for id in 0..3 {
            b.add(
                id,
                &TileGeometry::Points(vec![[1, 1]]),
                &fields,
                &[Value::Int(4)],
            );
        }
        let layer = b.finish();
        assert_eq!(layer.values.len(), 1);
        assert_eq!(layer.keys, vec!["severity".to_string()]);
    }
}
