//! Loading a data folder: `atlas.toml` and its layer files → the in-memory [`Atlas`].
//!
//! Pipeline, per layer in manifest order: read (GeoJSON or CSV) → validate against the
//! kind (see [`validate`]) → build the layer and its R-tree. A layer whose file cannot be
//! read at all is recorded with its error and left out; the rest still load, so one bad
//! file never takes the server down. Every refused feature is in the [`LoadReport`].

mod attrs;
pub mod geometry;
mod layout;
pub mod manifest;
#[cfg(feature = "gdal")]
pub mod ogr;
pub mod osm;
pub mod polygon;
pub mod source;
pub mod unique;
pub mod validate;

pub use manifest::{LayerSpec, Manifest, ManifestError};
pub use validate::{LayerReport, Rejection, Repaired};

use crate::atlas::{Atlas, FailedLayer};
use serde::Serialize;
use source::CsvOptions;
use std::path::Path;
use std::time::Instant;

/// The validation report of a whole folder: one entry per manifest layer.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LoadReport {
    /// One report per manifest layer, in manifest order.
    pub layers: Vec<LayerReport>,
    /// Logged edits that could not be replayed (they stay in the log).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edit_log: Vec<String>,
}

impl LoadReport {
    /// The report on layer `id`.
    pub fn layer(&self, id: &str) -> Option<&LayerReport> {
        self.layers.iter().find(|l| l.layer == id)
    }

    /// Layers that could not be loaded at all.
    pub fn failed(&self) -> impl Iterator<Item = &LayerReport> {
        self.layers.iter().filter(|l| l.error.is_some())
    }

    /// The failed layers as the atlas keeps them: id and reason.
    pub fn failed_layers(&self) -> Vec<FailedLayer> {
        self.layers
            .iter()
            .filter_map(|l| {
                Some(FailedLayer {
                    id: l.layer.clone(),
                    reason: l.error.clone()?,
                })
            })
            .collect()
    }

    /// Features refused, over every layer.
    pub fn rejected(&self) -> usize {
        self.layers.iter().map(|l| l.rejected).sum()
    }

    /// A human-readable report, as `riskatlas check` prints it.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for l in &self.layers {
            match &l.error {
                Some(e) => writeln!(out, "{:<16} FAILED  {e}", l.layer),
                None => writeln!(
                    out,
                    "{:<16} {:>8} loaded {:>6} rejected  ({})",
                    l.layer, l.loaded, l.rejected, l.file
                ),
            }
            .expect("writing to a String cannot fail");
            for w in &l.warnings {
                writeln!(out, "    warning: {w}").expect("writing to a String cannot fail");
            }
            let id = |id: &Option<String>| {
                id.as_deref()
                    .map(|id| format!(" (id {id})"))
                    .unwrap_or_default()
            };
            for r in &l.rejections {
                let id = id(&r.id);
                writeln!(out, "    rejected {}#{}{id}: {}", r.file, r.index, r.reason)
                    .expect("writing to a String cannot fail");
            }
            for r in &l.repairs {
                let id = id(&r.id);
                writeln!(out, "    repaired {}#{}{id}: {}", r.file, r.index, r.repair)
                    .expect("writing to a String cannot fail");
            }
        }
        out
    }
}

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
        ms = started.elapsed().as_secs_f64() * 1e3,
        "atlas loaded"
    );
}

/// Loads every layer named in `dir/atlas.toml`.
pub fn load_folder(dir: &Path) -> Result<Loaded, ManifestError> {
    let manifest = Manifest::read(dir)?;
    Ok(load_manifest(&manifest, dir))
}

/// Loads the layers of an already-parsed manifest; layer files resolve under `dir`.
pub fn load_manifest(manifest: &Manifest, dir: &Path) -> Loaded {
    let mut layers = Vec::with_capacity(manifest.layers.len());
    let mut report = LoadReport::default();
    for spec in &manifest.layers {
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
        };
        match source::read_file(&spec.file, &csv, spec.kind) {
            Err(e) => {
                tracing::error!(layer = %spec.id, "layer not loaded: {e}");
                report.layers.push(LayerReport {
                    layer: spec.id.to_string(),
                    file: label,
                    error: Some(e.to_string()),
                    ..Default::default()
                });
            }
            Ok(read) => {
                let (layer, layer_report) = validate::build_layer(spec, read, &label);
                tracing::info!(
                    layer = %spec.id,
                    kind = %spec.kind,
                    loaded = layer_report.loaded,
                    rejected = layer_report.rejected,
                    ms = started.elapsed().as_secs_f64() * 1e3,
                    "layer loaded"
                );
                for r in &layer_report.rejections {
                    tracing::warn!(layer = %spec.id, file = %r.file, index = r.index, "feature rejected: {}", r.reason);
                }
                for r in &layer_report.repairs {
                    tracing::warn!(layer = %spec.id, file = %r.file, index = r.index, "feature repaired: {}", r.repair);
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
