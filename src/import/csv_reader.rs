//! The CSV reader: a header row, longitude and latitude columns, one point per row.
//!
//! What a spreadsheet saves is read as it comes: UTF-8 (with or without a byte-order
//! mark), or GB18030 when the bytes are not UTF-8 (Excel on Chinese Windows saves GBK,
//! which GB18030 contains; `encoding_rs` decodes it, the WHATWG decoder browsers use).
//! When the coordinate columns cannot be found, the error says what would find them: a
//! `delimiter` when the header is one column joined by another separator.

use super::source::{RawFeature, SourceRead, Unreadable};
use geo::{Coord, Geometry, Point};

/// CSV options from the manifest.
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    /// The longitude column; found among the usual names (lon, lng, x, 经度, ...) when None.
    pub lon: Option<String>,
    /// The latitude column; found among the usual names (lat, y, 纬度, ...) when None.
    pub lat: Option<String>,
    /// The field separator; 0 means ','.
    pub delimiter: u8,
    /// The text encoding; detected (UTF-8, else GB18030, said in a warning) when None.
    pub encoding: Option<TextEncoding>,
}

/// The text encodings a CSV may be read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// GB18030, which contains GBK and GB2312 (what Excel saves on Chinese Windows).
    Gb18030,
}

impl TextEncoding {
    /// The encoding `name` means (`utf-8`, `gb18030`, `gbk`, `gb2312`; any case).
    pub fn parse(name: &str) -> Result<TextEncoding, String> {
        match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(TextEncoding::Utf8),
            "gb18030" | "gbk" | "gb2312" => Ok(TextEncoding::Gb18030),
            _ => Err(format!(
                "encoding {name:?} is not one riskatlas reads CSV in: \"utf-8\" or \"gb18030\""
            )),
        }
    }

    /// Its name in `atlas.toml`.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Gb18030 => "gb18030",
        }
    }
}

/// The file's text in `encoding`, or when that is not given, as UTF-8 if it is and else
/// as GB18030 with a warning saying so.
fn decode(
    bytes: &[u8],
    encoding: Option<TextEncoding>,
    warnings: &mut Vec<String>,
) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let utf8 = std::str::from_utf8(bytes);
    match (encoding, utf8) {
        (None | Some(TextEncoding::Utf8), Ok(text)) => Ok(text.to_string()),
        (Some(TextEncoding::Utf8), Err(e)) => Err(format!(
            "not UTF-8 text (byte {}), though atlas.toml says encoding = \"utf-8\"",
            e.valid_up_to()
        )),
        (_, _) => {
            let (text, malformed) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
            if malformed {
                return Err(
                    "neither UTF-8 nor GB18030 text; save it as UTF-8 CSV or name its \
                     encoding with `encoding = \"...\"` in atlas.toml"
                        .to_string(),
                );
            }
            if encoding.is_none() {
                warnings.push(
                    "not UTF-8: read as GB18030 (the GBK that Excel saves on Chinese Windows); \
                     say `encoding = \"gb18030\"` in atlas.toml to make it explicit"
                        .to_string(),
                );
            }
            Ok(text.into_owned())
        }
    }
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
                "{what} column {name:?} not found{}; columns are: {}{}",
                crate::atlas::suggest::did_you_mean(name, headers.iter().map(String::as_str)),
                headers.join(", "),
                delimiter_hint(headers)
            )
        });
    }
    headers
        .iter()
        .position(|h| candidates.contains(&h.trim().to_lowercase().as_str()))
        .ok_or_else(|| {
            format!(
                "no {what} column (looked for {}); name it with `{what} = \"...\"` in atlas.toml{}",
                candidates.join(", "),
                delimiter_hint(headers)
            )
        })
}

/// When the header read as one column holds another usual separator, the advice to
/// name it: the file was cut at the wrong character.
fn delimiter_hint(headers: &[String]) -> String {
    let [only] = headers else {
        return String::new();
    };
    [';', '\t', '|']
        .into_iter()
        .find(|c| only.contains(*c))
        .map(|c| {
            let toml = toml::Value::String(c.to_string());
            format!("; the header is one column holding {toml}: is that the separator? say `delimiter = {toml}` in atlas.toml")
        })
        .unwrap_or_default()
}

/// Where a CSV's coordinates and id are, by column position.
struct CsvColumns {
    lon: usize,
    lat: usize,
    id: Option<usize>,
}

/// Reads a CSV with a header row and lon/lat columns into point features.
pub fn read_csv(bytes: &[u8], opts: &CsvOptions) -> Result<SourceRead, String> {
    let mut warnings = Vec::new();
    let text = decode(bytes, opts.encoding, &mut warnings)?;
    let delimiter = if opts.delimiter == 0 {
        b','
    } else {
        opts.delimiter
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());
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
        warnings,
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
    let record = record.map_err(|e| Unreadable {
        index,
        id: None,
        reason: e.to_string(),
    })?;
    if record.len() != headers.len() {
        return Err(Unreadable {
            index,
            id: None,
            reason: format!("{} cells, header has {}", record.len(), headers.len()),
        });
    }
    let id = at
        .id
        .map(|c| record[c].to_string())
        .filter(|s| !s.is_empty());
    let position = match csv_position(&record, at, headers) {
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

/// A row's lon/lat, both numbers and within range; swapped axes are named as such.
fn csv_position(
    record: &csv::StringRecord,
    at: &CsvColumns,
    headers: &[String],
) -> Result<Coord<f64>, String> {
    let number = |col: usize, what: &str| -> Result<f64, String> {
        record[col]
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("{what} {:?} is not a number", &record[col]))
    };
    let x = number(at.lon, "longitude")?;
    let y = number(at.lat, "latitude")?;
    if super::geometry::looks_swapped(x, y) {
        return Err(format!(
            "position [{x}, {y}] is outside lon/lat range; the axes look swapped: is `{}` the latitude?",
            headers[at.lon]
        ));
    }
    if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
        return Err(format!("position [{x}, {y}] is outside lon/lat range"));
    }
    Ok(Coord { x, y })
}

#[cfg(test)]
mod tests {
    use super::*;

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
                .starts_with("longitude \"abc\" is not a number")
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
