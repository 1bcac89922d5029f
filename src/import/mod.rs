//! Loading a data folder: `atlas.toml` and its layer files → the in-memory [`Atlas`].
//!
//! Pipeline, per layer in manifest order: read (GeoJSON or CSV) → validate against the
//! kind (see [`validate`]) → build the layer and its R-tree. A layer whose file cannot be
//! read at all is recorded with its error and left out; the rest still load, so one bad
//! file never takes the server down. Every refused feature is in the [`LoadReport`].

mod attrs;
mod csv_reader;
#[cfg(feature = "gdal")]
mod gdal_messages;
pub mod geometry;
mod layer_warnings;
mod layout;
pub mod manifest;
#[cfg(feature = "gdal")]
pub mod ogr;
pub mod osm;
pub mod polygon;
mod report;
pub mod source;
pub mod unique;
pub mod validate;

pub use manifest::{LayerSpec, Manifest, ManifestError};
pub use report::{LayerReport, LoadReport, Rejection, Repaired, with_causes};

use crate::atlas::{Atlas, Layer};
use source::CsvOptions;
use std::path::Path;
use std::time::Instant;

/// The loaded atlas and what happened while loading it.
#[derive(Debug)]
pub struct Loaded {
    /// The layers that loaded.
    pub atlas: Atlas,
    /// What was refused, repaired or could not be read.
    pub report: LoadReport,
}

/// Logs a summary of a load: layers, features, refusals, time since `started`.
pub fn log_loaded(loaded: &Loaded, started: Instant) {
    tracing::info!(
        atlas = %loaded.atlas.name,
        layers = loaded.atlas.layers().len(),
        features = loaded.atlas.feature_count(),
        rejected = loaded.report.rejected(),
        failed_layers = loaded.report.failed().count(),
        ms = crate::log::millis(started.elapsed()),
        "atlas loaded"
    );
}

/// One layer read and validated: its file as shown to people, the layer and its report
/// (or why it could not be read), and the milliseconds it took.
type ReadLayer = (String, Result<(Layer, LayerReport), String>, f64);

fn read_layer(spec: &LayerSpec, dir: &Path) -> ReadLayer {
    let started = Instant::now();
    let label = spec
        .file
        .strip_prefix(dir)
        .unwrap_or(&spec.file)
        .display()
        .to_string();
    let csv = CsvOptions {
        lon: spec.lon.clone(),
        lat: spec.lat.clone(),
        delimiter: spec.delimiter,
        encoding: spec.encoding,
    };
    let outcome = match source::read_file(&spec.file, &csv, spec.kind) {
        Err(e) => Err(with_causes(&e)),
        Ok(read) => Ok(validate::build_layer(spec, read, &label)),
    };
    (label, outcome, crate::log::millis(started.elapsed()))
}

/// Loads every layer named in `dir/atlas.toml`.
pub fn load_folder(dir: &Path) -> Result<Loaded, ManifestError> {
    let manifest = Manifest::read(dir)?;
    Ok(load_manifest(&manifest, dir))
}

/// Loads the layers of an already-parsed manifest; layer files resolve under `dir`.
/// Layers are read and validated on all cores (each on one), and reported in the
/// manifest's order.
pub fn load_manifest(manifest: &Manifest, dir: &Path) -> Loaded {
    let mut layers = Vec::with_capacity(manifest.layers.len());
    let mut report = LoadReport::default();
    let read = crate::parallel::map_in_order(&manifest.layers, |spec| read_layer(spec, dir));
    for (spec, (label, outcome, ms)) in manifest.layers.iter().zip(read) {
        match outcome {
            Err(error) => {
                tracing::error!(layer = %spec.id, "layer not loaded: {error}");
                report.layers.push(LayerReport {
                    layer: spec.id.to_string(),
                    file: label,
                    error: Some(error),
                    ..Default::default()
                });
            }
            Ok((layer, layer_report)) => {
                tracing::info!(
                    layer = %spec.id,
                    kind = %spec.kind,
                    loaded = layer_report.loaded,
                    rejected = layer_report.rejected,
                    ms,
                    "layer loaded"
                );
                // Positions as a person finds them in the file (`line 3`, `feature 2`).
                for r in &layer_report.rejections {
                    let at = report::position(&r.file, r.index);
                    tracing::warn!(layer = %spec.id, "feature rejected: {}{at}: {}", r.file, r.reason);
                }
                // A repaired feature is kept (and in the report): news, not a warning, so
                // a clean start of the demo, whose fire zones include self-crossing
                // rings, prints no warning.
                for r in &layer_report.repairs {
                    let at = report::position(&r.file, r.index);
                    tracing::info!(layer = %spec.id, "feature repaired: {}{at}: {}", r.file, r.repair);
                }
                layers.push(layer);
                report.layers.push(layer_report);
            }
        }
    }
    let atlas = Atlas::new(manifest.name.clone(), manifest.attribution.clone(), layers)
        .with_failed(report.failed_layers());
    Loaded { atlas, report }
}
