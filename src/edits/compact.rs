//! Compaction: fold the edit log into the layer files, then move its records to the
//! archive (`edits-archive.log`, the rest of the audit trail) and empty the log.
//!
//! Every step leaves a state from which start-up recovers the same atlas:
//! 1. each edited layer file is rewritten whole beside the original, `fsync`ed and
//!    renamed over it (the directory `fsync`ed too), so a file is either old or new;
//! 2. the log's records are appended to the archive, skipping any already there (a
//!    crash between 2 and 3 would otherwise archive them twice);
//! 3. the log is emptied.
//!
//! A crash before 3 leaves the records in the log, and replaying state-based records
//! over files that already hold them changes nothing.
//!
//! Layer files are written in their own format: GeoJSON as a FeatureCollection with each
//! feature's stable `id`, CSV with an `id` column, the lon/lat columns and the source's
//! field names (`[layer.fields]` reversed). Formats that cannot be written back (OSM
//! PBF) leave the whole log as it is, and say why.

use super::log::{EditLog, read_records};
use super::{EditRecord, LOG_FILE, replay};
use crate::atlas::Layer;
use crate::import::manifest::{LayerSpec, Manifest};
use anyhow::{Context, bail};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// The archive of compacted edits, inside the data folder.
pub const ARCHIVE_FILE: &str = "edits-archive.log";

/// What a compaction did.
#[derive(Debug, Default)]
pub struct Compacted {
    /// Edits folded into the layer files (0: the log was empty, nothing changed).
    pub edits: usize,
    /// The layers whose files were rewritten.
    pub layers: Vec<String>,
}

/// Compacts the data folder `dir`. Fails, changing nothing, while a server holds the log.
pub fn compact(dir: &Path) -> anyhow::Result<Compacted> {
    let archive_path = dir.join(ARCHIVE_FILE);
    let after = EditLog::last_seq_in(&archive_path)?;
    let (mut log, found) = EditLog::open_after(&dir.join(LOG_FILE), after)?;
    if found.records.is_empty() {
        return Ok(Compacted::default());
    }
    let manifest = Manifest::read(dir)?;
    let loaded = crate::import::load_manifest(&manifest, dir);
    let (atlas, problems) = replay(&loaded.atlas, &found.records);
    if !problems.is_empty() {
        bail!(
            "the log does not replay cleanly, so it stays as it is: {}",
            problems.join("; ")
        );
    }
    let mut touched: Vec<&str> = found.records.iter().map(|r| r.layer.as_str()).collect();
    touched.sort_unstable();
    touched.dedup();
    // Check every layer can be written before writing any.
    let mut plans = Vec::new();
    for id in &touched {
        let spec = manifest
            .layers
            .iter()
            .find(|s| s.id.as_str() == *id)
            .with_context(|| format!("layer {id:?} is no longer in atlas.toml"))?;
        let layer = atlas.layer(id).expect("replayed layers exist");
        let bytes = encode(spec, layer)?;
        plans.push((spec.file.clone(), bytes));
    }
    for (file, bytes) in &plans {
        replace_file(file, bytes)?;
    }
    let archived: Vec<u64> = read_records::<EditRecord>(&archive_path)?
        .iter()
        .map(|r| r.seq)
        .collect();
    let (mut archive, _) = EditLog::open(&archive_path)?;
    for r in &found.records {
        if !archived.contains(&r.seq) {
            archive.append_as_is(r.clone())?;
        }
    }
    log.clear()?;
    Ok(Compacted {
        edits: found.records.len(),
        layers: touched.iter().map(|s| s.to_string()).collect(),
    })
}

/// The layer's features in the file format of `spec.file`.
fn encode(spec: &LayerSpec, layer: &Layer) -> anyhow::Result<Vec<u8>> {
    let ext = spec
        .file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    // canonical name → source name, so the manifest's mapping still applies.
    let source_name: BTreeMap<&str, &str> = spec
        .rename
        .iter()
        .map(|(source, canonical)| (canonical.as_str(), source.as_str()))
        .collect();
    let name_of = |field: &str| source_name.get(field).copied().unwrap_or(field).to_string();
    match ext.as_str() {
        "geojson" | "json" => {
            let features: Vec<serde_json::Value> = layer
                .features()
                .iter()
                .map(|f| {
                    let mut json = super::feature_json(layer, f);
                    let props = json["properties"].take();
                    json["properties"] = props
                        .as_object()
                        .expect("an object")
                        .iter()
                        .map(|(k, v)| (name_of(k), v.clone()))
                        .collect::<serde_json::Map<_, _>>()
                        .into();
                    json
                })
                .collect();
            Ok(serde_json::to_vec(
                &serde_json::json!({"type": "FeatureCollection", "features": features}),
            )?)
        }
        "csv" | "txt" | "tsv" => {
            let mut out = csv::WriterBuilder::new()
                .delimiter(spec.delimiter)
                .from_writer(Vec::new());
            let (lon, lat) = (
                spec.lon.clone().unwrap_or_else(|| "lon".into()),
                spec.lat.clone().unwrap_or_else(|| "lat".into()),
            );
            let fields = layer.schema.fields();
            let mut header = vec!["id".to_string(), lon, lat];
            header.extend(fields.iter().map(|f| name_of(&f.name)));
            out.write_record(&header)?;
            for f in layer.features() {
                let geo::Geometry::Point(p) = &f.geometry else {
                    bail!(
                        "layer {} is a CSV file, which holds points, but feature {} is not a point",
                        layer.id,
                        f.id
                    );
                };
                let mut row = vec![f.id.to_string(), p.x().to_string(), p.y().to_string()];
                row.extend(f.attrs.iter().map(|v| {
                    if v.is_null() {
                        String::new()
                    } else {
                        v.to_string()
                    }
                }));
                out.write_record(&row)?;
            }
            Ok(out.into_inner()?)
        }
        _ => bail!(
            "layer {} comes from {}, which riskatlas cannot write back; its edits stay in the log (they are replayed at every start)",
            layer.id,
            spec.file.display()
        ),
    }
}

/// Writes `bytes` to `path` atomically: a sibling temporary file, fsynced, renamed over.
fn replace_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("replacing {}", path.display()))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))?;
    Ok(())
}
