//! The floor of loading a data folder: every GeoJSON layer file parsed by the `geojson`
//! crate and its geometries converted to `geo` (a CSV's rows read by the `csv` crate,
//! points from its lon/lat columns), and one R-tree per layer bulk-loaded from their
//! boxes, on one thread, with no validation. `benches/load_vs_parse.sh` measures
//! `riskatlas check` (read, validate, index) against it.
//!
//! ```sh
//! cargo run --release --example load_floor -- DIR
//! ```
//!
//! Prints one machine-readable line: `FLOOR features=… parse_s=… bulk_load_s=…`.

use geo::BoundingRect;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};
use std::time::Instant;

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: load_floor DIR"))?;
    let mut files: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "geojson" || e == "csv"))
        .collect();
    files.sort();
    let (mut parse_s, mut bulk_load_s, mut features) = (0.0, 0.0, 0usize);
    let mut trees = Vec::new();
    for file in &files {
        let started = Instant::now();
        let bytes = std::fs::read(file)?;
        // The geometries are kept, as a loader keeps them.
        let geometries = if file.extension().is_some_and(|e| e == "csv") {
            csv_points(&bytes)?
        } else {
            let collection: geojson::FeatureCollection = serde_json::from_slice(&bytes)?;
            let mut geometries = Vec::with_capacity(collection.features.len());
            for feature in collection.features {
                if let Some(geometry) = feature.geometry {
                    geometries.push(geo::Geometry::<f64>::try_from(geometry)?);
                }
            }
            geometries
        };
        let mut boxes: Vec<Entry> = Vec::with_capacity(geometries.len());
        for (fid, geometry) in geometries.iter().enumerate() {
            if let Some(r) = geometry.bounding_rect() {
                let corners = Rectangle::from_corners(r.min().into(), r.max().into());
                boxes.push(GeomWithData::new(corners, fid as u32));
            }
        }
        parse_s += started.elapsed().as_secs_f64();
        features += boxes.len();
        let started = Instant::now();
        trees.push((RTree::bulk_load(boxes), geometries));
        bulk_load_s += started.elapsed().as_secs_f64();
    }
    println!(
        "FLOOR files={} features={features} parse_s={parse_s:.2} bulk_load_s={bulk_load_s:.2}",
        files.len()
    );
    Ok(())
}

/// Points from a CSV's lon/lat columns (named as the demo and most censuses name them),
/// every row's other cells read too.
fn csv_points(bytes: &[u8]) -> anyhow::Result<Vec<geo::Geometry<f64>>> {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers = reader.headers()?.clone();
    let column = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.contains(&h.trim().to_lowercase().as_str()))
            .ok_or_else(|| anyhow::anyhow!("no column named any of {names:?}"))
    };
    let lon = column(&["lon", "longitude", "经度"])?;
    let lat = column(&["lat", "latitude", "纬度"])?;
    let mut points = Vec::new();
    for row in reader.records() {
        let row = row?;
        let (x, y): (f64, f64) = (row[lon].trim().parse()?, row[lat].trim().parse()?);
        points.push(geo::Geometry::Point(geo::Point::new(x, y)));
    }
    Ok(points)
}
