//! Tiny data folders written by a test: a manifest and GeoJSON layer files.

use serde_json::{Value, json};

/// Writes a data folder: `atlas.toml` and GeoJSON layer files.
pub fn data_folder(manifest: &str, files: &[(&str, Value)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("atlas.toml"), manifest).unwrap();
    for (name, json) in files {
        std::fs::write(dir.path().join(name), json.to_string()).unwrap();
    }
    dir
}

pub fn collection(features: Vec<Value>) -> Value {
    json!({"type": "FeatureCollection", "features": features})
}

pub fn point(id: &str, lon: f64, lat: f64, properties: Value) -> Value {
    json!({"type": "Feature", "id": id, "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties})
}

pub fn square(x0: f64, y0: f64, x1: f64, y1: f64, properties: Value) -> Value {
    json!({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}, "properties": properties})
}

/// A manifest of two layers: population `people` (people.geojson) and flood `flood`
/// (flood.geojson).
pub const POPULATION_AND_FLOOD: &str = "name = \"t\"\n[[layer]]\nid = \"people\"\nkind = \"population\"\nfile = \"people.geojson\"\n[[layer]]\nid = \"flood\"\nkind = \"flood\"\nfile = \"flood.geojson\"\n";
