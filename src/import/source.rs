//! Readers for layer files: GeoJSON and CSV with lon/lat columns.
//!
//! A reader turns a file into raw features (geometry plus untyped properties) or
//! per-feature rejections; typing and kind rules are the validator's job. A reader fails
//! as a whole only when the file cannot be read or is not the format at all.

use super::geometry::to_geo;
use geo::{Coord, Geometry, Point};
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
    /// The file system refused.
    #[error("cannot read {path}: {source}")]
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

/// CSV options from the manifest.
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    /// The longitude column; found among the usual names (lon, lng, x, 经度, ...) when None.
    pub lon: Option<String>,
    /// The latitude column; found among the usual names (lat, y, 纬度, ...) when None.
    pub lat: Option<String>,
    /// The field separator; 0 means ','.
    pub delimiter: u8,
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
            let geometry = match &feature.geometry {
                None => Err("missing geometry".to_string()),
                Some(g) => to_geo(&g.value),
            }
            .map_err(|reason| Unreadable {
                index,
                id: id.clone(),
                reason,
            })?;
            let props: Vec<(String, serde_json::Value)> =
                feature.properties.unwrap_or_default().into_iter().collect();
            for (k, _) in &props {
                if seen.insert(k.clone()) {
                    columns.push(k.clone());
                }
            }
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

const LON_NAMES: &[&str] = &["lon", "lng", "long", "longitude", "x", "经度"];
const LAT_NAMES: &[&str] = &["lat", "latitude", "y", "纬度"];

fn find_column(
    headers: &[String],
    wanted: Option<&str>,
    candidates: &[&str],
    what: &str,
) -> Result<usize, String> {
    if let Some(name) = wanted {
        return headers.iter().position(|h| h == name).ok_or_else(|| {
            format!(
                "{what} column {name:?} not found; columns are: {}",
                headers.join(", ")
            )
        });
    }
    headers
        .iter()
        .position(|h| candidates.contains(&h.trim().to_lowercase().as_str()))
        .ok_or_else(|| {
            format!(
                "no {what} column (looked for {}); name it with `{what} = \"...\"` in atlas.toml",
                candidates.join(", ")
            )
        })
}

/// Where a CSV's coordinates and id are, by column position.
struct CsvColumns {
    lon: usize,
    lat: usize,
    id: Option<usize>,
}

/// Reads a CSV with a header row and lon/lat columns into point features.
pub fn read_csv(bytes: &[u8], opts: &CsvOptions) -> Result<SourceRead, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let delimiter = if opts.delimiter == 0 {
        b','
    } else {
        opts.delimiter
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("cannot read the header row: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    let at = CsvColumns {
        lon: find_column(&headers, opts.lon.as_deref(), LON_NAMES, "lon")?,
        lat: find_column(&headers, opts.lat.as_deref(), LAT_NAMES, "lat")?,
        id: headers.iter().position(|h| h == "id"),
    };
    let features = reader
        .records()
        .enumerate()
        .map(|(index, record)| csv_feature(index, record, &headers, &at))
        .collect();
    let columns = headers
        .into_iter()
        .enumerate()
        .filter(|&(i, _)| i != at.lon && i != at.lat)
        .map(|(_, h)| h)
        .collect();
    Ok(SourceRead {
        features,
        text_cells: true,
        columns,
        warnings: Vec::new(),
    })
}

/// Data row `index` as a point feature whose other cells are text properties (an empty
/// cell is null), or why it cannot be one.
fn csv_feature(
    index: usize,
    record: Result<csv::StringRecord, csv::Error>,
    headers: &[String],
    at: &CsvColumns,
) -> Result<RawFeature, Unreadable> {
    // 1-based, after the header: the line a spreadsheet shows.
    let line = index + 2;
    let record = record.map_err(|e| Unreadable {
        index,
        id: None,
        reason: format!("line {line}: {e}"),
    })?;
    if record.len() != headers.len() {
        return Err(Unreadable {
            index,
            id: None,
            reason: format!(
                "line {line}: {} cells, header has {}",
                record.len(),
                headers.len()
            ),
        });
    }
    let id = at
        .id
        .map(|c| record[c].to_string())
        .filter(|s| !s.is_empty());
    let position = match csv_position(&record, at, line) {
        Ok(c) => c,
        Err(reason) => return Err(Unreadable { index, id, reason }),
    };
    let props = headers
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != at.lon && i != at.lat && Some(i) != at.id)
        .map(|(i, h)| {
            let cell = record[i].trim();
            let v = if cell.is_empty() {
                serde_json::Value::Null
            } else {
                cell.into()
            };
            (h.clone(), v)
        })
        .collect();
    Ok(RawFeature {
        index,
        id,
        geometry: Geometry::Point(Point(position)),
        props,
    })
}

/// A row's lon/lat, both numbers and within range.
fn csv_position(
    record: &csv::StringRecord,
    at: &CsvColumns,
    line: usize,
) -> Result<Coord<f64>, String> {
    let number = |col: usize, what: &str| -> Result<f64, String> {
        record[col]
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("line {line}: {what} {:?} is not a number", &record[col]))
    };
    let x = number(at.lon, "longitude")?;
    let y = number(at.lat, "latitude")?;
    if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
        return Err(format!(
            "line {line}: position [{x}, {y}] is outside lon/lat range"
        ));
    }
    Ok(Coord { x, y })
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

    #[test]
    fn csv_with_chinese_coordinate_columns_reads_points_and_reports_bad_rows() {
        let csv = "名称,经度,纬度,人数\n清河村,105.7,34.5,120\n坏行,abc,34.5,3\n远村,105.8,95,7\n";
        let read = read_csv(csv.as_bytes(), &CsvOptions::default()).unwrap();
        assert_eq!(read.features.len(), 3);
        let first = read.features[0].as_ref().unwrap();
        assert_eq!(
            first.props[0],
            ("名称".to_string(), serde_json::json!("清河村"))
        );
        assert!(
            read.features[1]
                .as_ref()
                .unwrap_err()
                .reason
                .contains("line 3: longitude")
        );
        assert!(
            read.features[2]
                .as_ref()
                .unwrap_err()
                .reason
                .contains("outside lon/lat")
        );
    }

    #[test]
    fn csv_without_coordinate_columns_names_what_it_looked_for() {
        let err = read_csv(b"a,b\n1,2\n", &CsvOptions::default()).unwrap_err();
        assert!(err.contains("no lon column"), "{err}");
    }
}
