//! Mapbox Vector Tile 2.1 encoding: command streams and winding ([`encode_geometry`]), and
//! layers with their key/value tables, each distinct key or value stored once (here).
//!
//! Layers are written as protobuf bytes as features are added, not built as geozero's
//! prost `vector_tile` messages and encoded at the end: prost computes a nested
//! message's length once for the tile, again for its layer's length prefix and again
//! for its own, and each feature was two vectors of its own. That encoding was 18 % of
//! a z6–z9 tile. The bytes are the ones prost writes for the same messages (fields in
//! tag order, packed integers), which the tests check against prost itself.

mod geometry;
mod wire;

pub use geometry::{TileGeometry, encode_geometry, ring_area2};

use crate::atlas::{Field, Value};
use geometry::encode_geometry_into;
use wire::{FIXED64, VARINT, field, put_bytes, put_packed, put_varint, varint_len};

/// A hashable stand-in for a non-text value, so equal values share one table entry.
#[derive(Hash, PartialEq, Eq)]
enum ValueKey {
    Bool(bool),
    Int(i64),
    Float(u64),
}

type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// One MVT layer, encoded: the `Layer` message without the tile's key and length.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedLayer {
    /// The layer's name.
    pub name: String,
    /// How many features it holds.
    pub features: usize,
    /// The `Layer` message.
    pub bytes: Vec<u8>,
}

/// The bytes of the tile of `layers`, as [`encode_tile`] writes it.
pub fn encoded_tile_len(layers: &[EncodedLayer]) -> usize {
    layers
        .iter()
        .map(|l| 1 + varint_len(l.bytes.len() as u64) + l.bytes.len())
        .sum()
}

/// The tile of `layers`, in order: each as field 3 of `Tile`.
pub fn encode_tile(layers: &[EncodedLayer]) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded_tile_len(layers));
    for layer in layers {
        put_bytes(&mut out, 3, &layer.bytes);
    }
    out
}

/// Builds one MVT layer.
///
/// Keys and values are interned as they come; texts are looked up by `&str`, so a value
/// seen before costs no allocation (a tile repeats a few values thousands of times).
pub struct TileLayerBuilder {
    name: String,
    extent: u32,
    /// The `features` fields written so far, each with its key and length.
    features: Vec<u8>,
    feature_count: usize,
    keys: Vec<String>,
    /// The `values` fields written so far, each with its key and length.
    values: Vec<u8>,
    value_count: u32,
    key_index: FastMap<String, u32>,
    value_index: FastMap<ValueKey, u32>,
    text_index: FastMap<Box<str>, u32>,
    /// The key index of each field by position, for the `fields` slice last passed to
    /// [`Self::add`] (identified by address and length; a builder is always given the
    /// same one): no field name is hashed per feature. `u32::MAX`: not yet used.
    keys_by_position: Vec<u32>,
    keys_for: (usize, usize),
    /// One feature's tags, geometry and message, reused from feature to feature.
    tags: Vec<u32>,
    geometry: Vec<u32>,
    message: Vec<u8>,
}

impl TileLayerBuilder {
    /// An empty layer called `name`, of `extent` units a side.
    pub fn new(name: &str, extent: u32) -> Self {
        TileLayerBuilder {
            name: name.to_string(),
            extent,
            features: Vec::new(),
            feature_count: 0,
            keys: Vec::new(),
            values: Vec::new(),
            value_count: 0,
            key_index: FastMap::default(),
            value_index: FastMap::default(),
            text_index: FastMap::default(),
            keys_by_position: Vec::new(),
            keys_for: (0, 0),
            tags: Vec::new(),
            geometry: Vec::new(),
            message: Vec::new(),
        }
    }

    fn key(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.key_index.get(name) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(name.to_string());
        self.key_index.insert(name.to_string(), i);
        i
    }

    fn value(&mut self, v: &Value) -> Option<u32> {
        let key = match v {
            Value::Null => return None,
            Value::Text(s) => {
                if let Some(&i) = self.text_index.get(&**s) {
                    return Some(i);
                }
                let i = self.push_value(v);
                self.text_index.insert(s.clone(), i);
                return Some(i);
            }
            Value::Bool(b) => ValueKey::Bool(*b),
            Value::Int(i) => ValueKey::Int(*i),
            Value::Float(f) => ValueKey::Float(f.to_bits()),
        };
        if let Some(&i) = self.value_index.get(&key) {
            return Some(i);
        }
        let i = self.push_value(v);
        self.value_index.insert(key, i);
        Some(i)
    }

    /// Writes a `Value` message: text as `string_value`, a negative integer as
    /// `sint_value`, any other as `int_value`, a float as `double_value`.
    fn push_value(&mut self, v: &Value) -> u32 {
        let message = &mut self.message;
        message.clear();
        match v {
            Value::Null => unreachable!("null values are left out"),
            Value::Text(s) => put_bytes(message, 1, s.as_bytes()),
            Value::Float(f) => {
                message.push(field(3, FIXED64));
                message.extend_from_slice(&f.to_le_bytes());
            }
            Value::Int(i) if *i < 0 => {
                message.push(field(6, VARINT));
                put_varint(message, ((i << 1) ^ (i >> 63)) as u64);
            }
            Value::Int(i) => {
                message.push(field(4, VARINT));
                put_varint(message, *i as u64);
            }
            Value::Bool(b) => {
                message.push(field(7, VARINT));
                message.push(u8::from(*b));
            }
        }
        put_bytes(&mut self.values, 4, &self.message);
        self.value_count += 1;
        self.value_count - 1
    }

    /// Adds a feature with its id and non-null attributes.
    pub fn add(&mut self, id: u64, geometry: &TileGeometry, fields: &[Field], attrs: &[Value]) {
        let geom_type = encode_geometry_into(geometry, &mut self.geometry);
        let fields_id = (fields.as_ptr() as usize, fields.len());
        if self.keys_for != fields_id {
            self.keys_for = fields_id;
            self.keys_by_position = vec![u32::MAX; fields.len()];
        }
        let mut tags = std::mem::take(&mut self.tags);
        tags.clear();
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
        // Feature: id (1), tags (2), type (3), geometry (4).
        let message = &mut self.message;
        message.clear();
        message.push(field(1, VARINT));
        put_varint(message, id);
        put_packed(message, 2, &tags);
        message.push(field(3, VARINT));
        put_varint(message, geom_type as u64);
        put_packed(message, 4, &self.geometry);
        put_bytes(&mut self.features, 2, message);
        self.feature_count += 1;
        self.tags = tags;
    }

    /// Whether no feature was added (an empty layer is left out of the tile).
    pub fn is_empty(&self) -> bool {
        self.feature_count == 0
    }

    /// The layer, for the tile: name (1), features (2), keys (3), values (4), extent
    /// (5) and version 2 (15), in that order.
    pub fn finish(self) -> EncodedLayer {
        let keys: usize = self.keys.iter().map(|k| k.len() + 4).sum();
        let mut out = Vec::with_capacity(
            self.name.len() + self.features.len() + keys + self.values.len() + 16,
        );
        put_bytes(&mut out, 1, self.name.as_bytes());
        out.extend_from_slice(&self.features);
        for key in &self.keys {
            put_bytes(&mut out, 3, key.as_bytes());
        }
        out.extend_from_slice(&self.values);
        out.push(field(5, VARINT));
        put_varint(&mut out, u64::from(self.extent));
        out.push(field(15, VARINT));
        put_varint(&mut out, 2);
        EncodedLayer {
            name: self.name,
            features: self.feature_count,
            bytes: out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geozero::mvt::{Message, tile};
    use proptest::prelude::*;

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
        let layer = decoded(b.finish());
        assert_eq!(layer.values.len(), 1);
        assert_eq!(layer.keys, vec!["severity".to_string()]);
    }

    /// The layer as prost reads it, checked to be exactly the bytes prost writes for it.
    fn decoded(layer: EncodedLayer) -> tile::Layer {
        let read = tile::Layer::decode(&layer.bytes[..]).unwrap();
        assert_eq!(
            read.encode_to_vec(),
            layer.bytes,
            "prost writes the same bytes"
        );
        assert_eq!(read.name, layer.name);
        assert_eq!(read.features.len(), layer.features);
        read
    }

    fn value_strategy() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            (-1e12f64..1e12).prop_map(Value::Float),
            "[a-z村镇 ]{0,12}".prop_map(|t| Value::Text(t.into())),
        ]
    }

    fn geometry_strategy() -> impl Strategy<Value = TileGeometry> {
        let point = (-200i32..5000, -200i32..5000).prop_map(|(x, y)| [x, y]);
        prop_oneof![
            prop::collection::vec(point.clone(), 1..4).prop_map(TileGeometry::Points),
            prop::collection::vec(prop::collection::vec(point.clone(), 2..6), 1..3)
                .prop_map(TileGeometry::Lines),
            prop::collection::vec(prop::collection::vec(point, 3..6), 1..3)
                .prop_map(|rings| TileGeometry::Polygons(vec![rings])),
        ]
    }

    proptest! {
        #[test]
        fn a_layer_is_the_bytes_prost_writes_and_reads_back_as_added(
            features in prop::collection::vec(
                (any::<u64>(), geometry_strategy(), prop::collection::vec(value_strategy(), 3)),
                1..20,
            ),
        ) {
            let fields = vec![
                Field::new("a", crate::atlas::FieldType::String),
                Field::new("b", crate::atlas::FieldType::Integer),
                Field::new("名称", crate::atlas::FieldType::String),
            ];
            let mut b = TileLayerBuilder::new("层", 4096);
            for (id, geometry, attrs) in &features {
                b.add(*id, geometry, &fields, attrs);
            }
            let layer = decoded(b.finish());
            prop_assert_eq!(layer.version, 2);
            prop_assert_eq!(layer.extent, Some(4096));
            for (feature, (id, geometry, attrs)) in layer.features.iter().zip(&features) {
                prop_assert_eq!(feature.id, Some(*id));
                let (geom_type, data) = encode_geometry(geometry);
                prop_assert_eq!(feature.r#type, Some(geom_type as i32));
                prop_assert_eq!(&feature.geometry, &data);
                // Each tag pair names a field and holds its value; nulls are left out.
                let shown: Vec<(String, Value)> = feature
                    .tags
                    .chunks(2)
                    .map(|kv| {
                        let v = &layer.values[kv[1] as usize];
                        let value = if let Some(t) = &v.string_value {
                            Value::Text(t.as_str().into())
                        } else if let Some(f) = v.double_value {
                            Value::Float(f)
                        } else if let Some(b) = v.bool_value {
                            Value::Bool(b)
                        } else {
                            Value::Int(v.int_value.or(v.sint_value).unwrap())
                        };
                        (layer.keys[kv[0] as usize].clone(), value)
                    })
                    .collect();
                let expected: Vec<(String, Value)> = fields
                    .iter()
                    .zip(attrs)
                    .filter(|(_, v)| !matches!(v, Value::Null))
                    .map(|(f, v)| (f.name.clone(), v.clone()))
                    .collect();
                prop_assert_eq!(shown, expected);
            }
        }
    }

    #[test]
    fn a_tile_is_its_layers_as_prost_writes_a_tile() {
        let fields = vec![Field::new("n", crate::atlas::FieldType::Integer)];
        let layers: Vec<EncodedLayer> = ["a", "b"]
            .iter()
            .map(|name| {
                let mut b = TileLayerBuilder::new(name, 4096);
                b.add(
                    7,
                    &TileGeometry::Points(vec![[1, 2]]),
                    &fields,
                    &[Value::Int(-3)],
                );
                b.finish()
            })
            .collect();
        let bytes = encode_tile(&layers);
        assert_eq!(encoded_tile_len(&layers), bytes.len());
        let tile = geozero::mvt::Tile::decode(&bytes[..]).unwrap();
        assert_eq!(tile.encode_to_vec(), bytes);
        let names: Vec<&str> = tile.layers.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(tile.layers[0].values[0].sint_value, Some(-3));
    }
}
