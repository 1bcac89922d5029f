//! A small Mapbox Vector Tile decoder, independent of the crate's encoder: protobuf via
//! prost (geozero's generated types), commands decoded by hand from the MVT 2.1 spec.

use geozero::mvt::{Message, Tile, tile};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Geom {
    Points(Vec<[i64; 2]>),
    Lines(Vec<Vec<[i64; 2]>>),
    /// Rings with their signed doubled area (surveyor's formula, tile coordinates).
    Rings(Vec<(Vec<[i64; 2]>, i64)>),
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Feature {
    pub id: u64,
    pub props: BTreeMap<String, serde_json::Value>,
    pub geom: Geom,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Layer {
    pub name: String,
    pub extent: u32,
    pub version: u32,
    pub features: Vec<Feature>,
}

fn value(v: &tile::Value) -> serde_json::Value {
    if let Some(s) = &v.string_value {
        return s.clone().into();
    }
    if let Some(f) = v.double_value {
        return f.into();
    }
    if let Some(f) = v.float_value {
        return (f as f64).into();
    }
    if let Some(i) = v.int_value.or(v.sint_value) {
        return i.into();
    }
    if let Some(u) = v.uint_value {
        return u.into();
    }
    if let Some(b) = v.bool_value {
        return b.into();
    }
    panic!("a value with no field set")
}

fn unzigzag(n: u32) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// Decodes a command stream; panics on anything the spec forbids.
fn decode_geometry(kind: i32, data: &[u32]) -> Geom {
    let mut i = 0;
    let (mut x, mut y) = (0i64, 0i64);
    let mut paths: Vec<Vec<[i64; 2]>> = Vec::new();
    let mut closed: Vec<bool> = Vec::new();
    while i < data.len() {
        let (id, count) = (data[i] & 7, (data[i] >> 3) as usize);
        i += 1;
        match id {
            1 | 2 => {
                assert!(count > 0, "a MoveTo/LineTo with count 0");
                if id == 1 && kind != 1 {
                    assert_eq!(count, 1, "lines and polygons MoveTo one point at a time");
                }
                if id == 1 {
                    paths.push(Vec::new());
                    closed.push(false);
                }
                for _ in 0..count {
                    x += unzigzag(data[i]);
                    y += unzigzag(data[i + 1]);
                    i += 2;
                    paths.last_mut().expect("MoveTo starts a path").push([x, y]);
                }
            }
            7 => {
                assert_eq!(count, 1);
                *closed.last_mut().expect("ClosePath ends a path") = true;
            }
            other => panic!("unknown command {other}"),
        }
    }
    match kind {
        1 => Geom::Points(paths.into_iter().flatten().collect()),
        2 => {
            assert!(
                paths.iter().all(|p| p.len() >= 2),
                "a line with fewer than 2 points"
            );
            assert!(closed.iter().all(|c| !c), "ClosePath in a line");
            Geom::Lines(paths)
        }
        3 => {
            assert!(closed.iter().all(|c| *c), "an unclosed polygon ring");
            Geom::Rings(
                paths
                    .into_iter()
                    .map(|r| {
                        assert!(r.len() >= 3, "a ring with fewer than 3 points");
                        let n = r.len();
                        let a2: i64 = (0..n)
                            .map(|k| r[k][0] * r[(k + 1) % n][1] - r[(k + 1) % n][0] * r[k][1])
                            .sum();
                        (r, a2)
                    })
                    .collect(),
            )
        }
        other => panic!("geometry type {other}"),
    }
}

pub fn decode(bytes: &[u8]) -> Vec<Layer> {
    let tile = Tile::decode(bytes).expect("a valid protobuf tile");
    tile.layers
        .iter()
        .map(|l| Layer {
            name: l.name.clone(),
            extent: l.extent.unwrap_or(4096),
            version: l.version,
            features: l
                .features
                .iter()
                .map(|f| {
                    assert!(f.tags.len() % 2 == 0, "odd tag count");
                    let props = f
                        .tags
                        .chunks(2)
                        .map(|kv| {
                            (
                                l.keys[kv[0] as usize].clone(),
                                value(&l.values[kv[1] as usize]),
                            )
                        })
                        .collect();
                    Feature {
                        id: f.id.expect("features carry ids"),
                        props,
                        geom: decode_geometry(f.r#type.unwrap_or(0), &f.geometry),
                    }
                })
                .collect(),
        })
        .collect()
}

impl Geom {
    pub fn coords(&self) -> Vec<[i64; 2]> {
        match self {
            Geom::Points(p) => p.clone(),
            Geom::Lines(l) => l.iter().flatten().copied().collect(),
            Geom::Rings(r) => r
                .iter()
                .flat_map(|(ring, _)| ring.iter().copied())
                .collect(),
        }
    }
}
