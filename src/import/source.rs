//! Readers for layer files: GeoJSON and CSV with lon/lat columns.
//!
//! A reader turns a file into raw features (geometry plus untyped properties) or
//! per-feature rejections; typing and kind rules are the validator's job. A reader fails
//! as a whole only when the file cannot be read or is not the format at all.

pub use super::csv_reader::{CsvOptions, TextEncoding, read_csv};
use super::geometry::to_geo;
use geo::Geometry;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::path::Path;

/// A feature as read, before validation.
#[derive(Debug, Clone)]
pub struct RawFeature {
    /// 0-based position in the file (CSV: data row, header excluded).
    pub index: usize,
    /// The source's id for it, when it has one.
    pub id: Option<String>,
    /// In WGS84 lon/lat.
    pub geometry: Geometry<f64>,
    /// Every property under its source name, in the source's order, untyped.
    pub props: Vec<(String, serde_json::Value)>,
}

/// A feature the reader could not make sense of.
#[derive(Debug, Clone)]
pub struct Unreadable {
    /// 0-based position in the file.
    pub index: usize,
    /// Its id, when the reader got that far.
    pub id: Option<String>,
    /// What the reader could not make of it.
    pub reason: String,
}

/// What a reader got out of a file.
#[derive(Debug, Default)]
pub struct SourceRead {
    /// Every feature of the file in order, read or not.
    pub features: Vec<Result<RawFeature, Unreadable>>,
    /// CSV cells are text: numeric-looking extra columns may become numbers.
    pub text_cells: bool,
    /// Every property name seen, to warn about field mappings that match nothing.
    pub columns: Vec<String>,
    /// What the reader had to guess or change (an assumed CRS, a guessed encoding, ...);
    /// they end up in the layer's report.
    pub warnings: Vec<String>,
}

/// Why a layer file could not be read at all (its features are then not looked at).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file system refused (the cause is the source, not part of the message).
    #[error("cannot read {path}")]
    Io {
        /// The file, as shown to people.
        path: String,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
    /// Not a GeoJSON FeatureCollection in lon/lat.
    #[error("{path} is not valid GeoJSON: {reason}")]
    GeoJson {
        /// The file, as shown to people.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No header row, or no coordinate columns.
    #[error("{path}: {reason}")]
    Csv {
        /// The file, as shown to people.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Not an OSM PBF file, or a kind OSM cannot feed.
    #[error("{path}: {reason}")]
    Osm {
        /// The file, as shown to people.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// GDAL could not read it.
    #[error("{path}: {reason}")]
    Gdal {
        /// The file, as shown to people.
        path: String,
        /// What GDAL, or the reading of what it gave, said.
        reason: String,
    },
    /// An extension no reader of this build takes.
    #[error(
        "{path}: unsupported file type (use .geojson, .json, .csv or .osm.pbf; other formats need a riskatlas built with the `gdal` feature)"
    )]
    UnsupportedFormat {
        /// The file, as shown to people.
        path: String,
    },
}

/// Reads a layer file of `kind`, choosing the reader by extension.
pub fn read_file(
    path: &Path,
    csv: &CsvOptions,
    kind: crate::atlas::Kind,
) -> Result<SourceRead, SourceError> {
    let shown = path.display().to_string();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "pbf" {
        if !path.exists() {
            return Err(SourceError::Io {
                path: shown,
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
        return super::osm::read_osm(path, kind).map_err(|reason| SourceError::Osm {
            path: shown,
            reason,
        });
    }
    if !matches!(ext.as_str(), "geojson" | "json" | "csv" | "txt") {
        return read_other(path, shown);
    }
    let bytes = std::fs::read(path).map_err(|source| SourceError::Io {
        path: shown.clone(),
        source,
    })?;
    match ext.as_str() {
        "geojson" | "json" => read_geojson(&bytes).map_err(|reason| SourceError::GeoJson {
            path: shown,
            reason,
        }),
        "csv" | "txt" => read_csv(&bytes, csv).map_err(|reason| SourceError::Csv {
            path: shown,
            reason,
        }),
        _ => Err(SourceError::UnsupportedFormat { path: shown }),
    }
}

/// Whether riskatlas reads `path` itself (GeoJSON, CSV, OSM PBF) rather than through GDAL.
pub fn is_native(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    matches!(ext.as_str(), "geojson" | "json" | "csv" | "txt" | "pbf")
}

/// Formats riskatlas does not read itself go to GDAL when it is built in.
#[cfg(feature = "gdal")]
fn read_other(path: &Path, shown: String) -> Result<SourceRead, SourceError> {
    super::ogr::read(path, &Default::default(), &|_, _| {}).map_err(|reason| SourceError::Gdal {
        path: shown,
        reason,
    })
}

#[cfg(not(feature = "gdal"))]
fn read_other(_path: &Path, shown: String) -> Result<SourceRead, SourceError> {
    Err(SourceError::UnsupportedFormat { path: shown })
}

#[derive(Deserialize)]
struct Collection<'a> {
    #[serde(rename = "type")]
    ty: String,
    #[serde(borrow)]
    features: Option<Vec<&'a RawValue>>,
    crs: Option<serde_json::Value>,
}

/// CRS names that mean WGS84 lon/lat (CGCS2000 differs by centimetres and is accepted).
const LONLAT_CRS: &[&str] = &[
    "CRS84",
    "EPSG::4326",
    "EPSG:4326",
    "EPSG::4490",
    "EPSG:4490",
];

/// Reads a GeoJSON FeatureCollection. Each feature is parsed on its own, so one broken
/// feature is reported with its index while the rest load.
pub fn read_geojson(bytes: &[u8]) -> Result<SourceRead, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text ({e})"))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let coll: Collection = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if coll.ty != "FeatureCollection" {
        return Err(format!(
            "expected a FeatureCollection, found type {:?}",
            coll.ty
        ));
    }
    if let Some(name) = coll
        .crs
        .as_ref()
        .and_then(|c| c.pointer("/properties/name"))
        .and_then(|n| n.as_str())
        && !LONLAT_CRS.iter().any(|c| name.ends_with(c))
    {
        return Err(format!(
            "CRS {name} is not lon/lat; reproject to EPSG:4326 (or import with the gdal feature)"
        ));
    }
    let raw = coll
        .features
        .ok_or("a FeatureCollection needs a \"features\" array")?;
    let mut columns: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let features = raw
        .into_iter()
        .enumerate()
        .map(|(index, raw)| {
            let feature: geojson::Feature =
                serde_json::from_str(raw.get()).map_err(|e| Unreadable {
                    index,
                    id: None,
                    reason: format!("not a GeoJSON Feature: {e}"),
                })?;
            let id = feature.id.as_ref().map(|id| match id {
                geojson::feature::Id::String(s) => s.clone(),
                geojson::feature::Id::Number(n) => n.to_string(),
            });
            // A feature's fields occur in the file even when its geometry is refused: a
            // mapping that only such a feature uses still matches something.
            let props: Vec<(String, serde_json::Value)> =
                feature.properties.unwrap_or_default().into_iter().collect();
            for (k, _) in &props {
                if seen.insert(k.clone()) {
                    columns.push(k.clone());
                }
            }
            let geometry = match &feature.geometry {
                None => Err("missing geometry".to_string()),
                Some(g) => to_geo(&g.value),
            }
            .map_err(|reason| Unreadable {
                index,
                id: id.clone(),
                reason,
            })?;
            Ok(RawFeature {
                index,
                id,
                geometry,
                props,
            })
        })
        .collect();
    Ok(SourceRead {
        features,
        text_cells: false,
        columns,
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_broken_feature_does_not_stop_the_others() {
        let json = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"a":1}},
            {"type":"Feature","geometry":{"type":"Blob","coordinates":[1,2]},"properties":{}},
            {"type":"Feature","geometry":null,"properties":{}},
            {"type":"Feature","id":"x7","geometry":{"type":"Point","coordinates":[3,4]}}
        ]}"#;
        let read = read_geojson(json.as_bytes()).unwrap();
        let ok: Vec<usize> = read
            .features
            .iter()
            .filter_map(|f| f.as_ref().ok().map(|f| f.index))
            .collect();
        let bad: Vec<usize> = read
            .features
            .iter()
            .filter_map(|f| f.as_ref().err().map(|f| f.index))
            .collect();
        assert_eq!(ok, [0, 3]);
        assert_eq!(bad, [1, 2]);
        assert_eq!(read.features[3].as_ref().unwrap().id.as_deref(), Some("x7"));
    }

    #[test]
    fn projected_crs_is_refused_with_advice() {
        let json = r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4547"}},"features":[]}"#;
        assert!(
            read_geojson(json.as_bytes())
                .unwrap_err()
                .contains("reproject")
        );
    }
}
