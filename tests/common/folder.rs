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

/// What the hostile folder's features are called: text a spreadsheet would run as a
/// formula, and markup a browser would run.
pub const FORMULA_VILLAGE: &str = "=HYPERLINK(\"http://example.invalid\",\"点击\")";
pub const PLUS_PHONE: &str = "+86 13800138000";
pub const FORMULA_SHELTER: &str = "@SUM(A1:A9)";
pub const MINUS_UNIT_ID: &str = "-7";
pub const SCRIPT_UNIT_NAME: &str = "<script>alert(1)</script>";

/// A village named like a formula (its duty phone starting with +), with one
/// population point of 120 people (id `-7`, named like a script) and, 1 km east, a
/// shelter for 50 named like a formula. No roads: plans go in a straight line. Run
/// [`hostile_scenario`] over it: 50 people are placed, 70 are not (capacity).
pub fn hostile_names_folder() -> tempfile::TempDir {
    let village = square(
        105.69,
        34.49,
        105.72,
        34.51,
        json!({"code": "v1", "name": FORMULA_VILLAGE, "level": "village",
               "contact_name": "duty", "contact_phone": PLUS_PHONE}),
    );
    let people = point(
        MINUS_UNIT_ID,
        105.70,
        34.50,
        json!({"population": 120, "admin_code": "v1", "name": SCRIPT_UNIT_NAME}),
    );
    let shelter = point(
        "s1",
        105.711,
        34.50,
        json!({"capacity": 50, "name": FORMULA_SHELTER}),
    );
    data_folder(
        "name = \"hostile\"\n\
         [[layer]]\nid = \"villages\"\nkind = \"admin\"\nfile = \"villages.geojson\"\n\
         [[layer]]\nid = \"people\"\nkind = \"population\"\nfile = \"people.geojson\"\n\
         [[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.geojson\"\n",
        &[
            ("villages.geojson", collection(vec![village])),
            ("people.geojson", collection(vec![people])),
            ("shelters.geojson", collection(vec![shelter])),
        ],
    )
}

/// A drawn area over the hostile folder's people and not its shelter, grouped by village.
pub fn hostile_scenario() -> Value {
    json!({"hazards": [{"geometry": {"type": "Polygon", "coordinates": [[[105.695, 34.495], [105.705, 34.495], [105.705, 34.505], [105.695, 34.505], [105.695, 34.495]]]}, "severity": 4}],
           "group_by": "village"})
}
