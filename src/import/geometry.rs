//! GeoJSON geometry → `geo` geometry, checking what the GeoJSON crate lets through:
//! finite lon/lat in range, enough positions, closed rings, no empty geometries.
//!
//! The conversion is written here rather than taken from `geojson`'s `TryFrom` because
//! the validation report must say *why* a geometry is bad (which ring, which position),
//! and one pass both checks and converts.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};
use geojson::{GeometryValue, Position};

/// Converts and checks one geometry; the error is a reason for the validation report.
pub fn to_geo(value: &GeometryValue) -> Result<Geometry<f64>, String> {
    Ok(match value {
        GeometryValue::Point { coordinates } => Geometry::Point(Point(coord(coordinates)?)),
        GeometryValue::MultiPoint { coordinates } => {
            non_empty(coordinates, "MultiPoint")?;
            let points = coordinates
                .iter()
                .map(|p| coord(p).map(Point))
                .collect::<Result<Vec<_>, _>>()?;
            Geometry::MultiPoint(MultiPoint(points))
        }
        GeometryValue::LineString { coordinates } => Geometry::LineString(line(coordinates)?),
        GeometryValue::MultiLineString { coordinates } => {
            non_empty(coordinates, "MultiLineString")?;
            Geometry::MultiLineString(MultiLineString(
                coordinates
                    .iter()
                    .map(|l| line(l))
                    .collect::<Result<_, _>>()?,
            ))
        }
        GeometryValue::Polygon { coordinates } => Geometry::Polygon(polygon(coordinates)?),
        GeometryValue::MultiPolygon { coordinates } => {
            non_empty(coordinates, "MultiPolygon")?;
            let polys = coordinates
                .iter()
                .enumerate()
                .map(|(i, p)| polygon(p).map_err(|e| format!("polygon {i}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            Geometry::MultiPolygon(MultiPolygon(polys))
        }
        GeometryValue::GeometryCollection { .. } => {
            return Err(
                "GeometryCollection is not supported: split it into one feature per geometry"
                    .into(),
            );
        }
    })
}

fn non_empty<T>(items: &[T], what: &str) -> Result<(), String> {
    if items.is_empty() {
        Err(format!("empty {what}"))
    } else {
        Ok(())
    }
}

fn coord(p: &Position) -> Result<Coord<f64>, String> {
    let s = p.as_slice();
    if s.len() < 2 {
        return Err(format!(
            "position {s:?} needs at least longitude and latitude"
        ));
    }
    let (x, y) = (s[0], s[1]);
    if !x.is_finite() || !y.is_finite() {
        return Err(format!("position [{x}, {y}] is not finite"));
    }
    if looks_swapped(x, y) {
        return Err(format!(
            "position [{x}, {y}] is outside lon/lat range; the axes look swapped: GeoJSON \
             positions are [longitude, latitude], is the first number the latitude?"
        ));
    }
    if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
        return Err(format!(
            "position [{x}, {y}] is outside lon/lat range (is the file in a projected CRS? reproject to EPSG:4326)"
        ));
    }
    Ok(Coord { x, y })
}

/// Whether `[x, y]` reads as lon/lat only the other way round: the latitude outside
/// ±90 while the longitude would make a latitude (a projected CRS's metres are far
/// outside both, so they do not pass for swapped axes).
pub fn looks_swapped(x: f64, y: f64) -> bool {
    (-90.0..=90.0).contains(&x) && !(-90.0..=90.0).contains(&y) && (-180.0..=180.0).contains(&y)
}

fn line(positions: &[Position]) -> Result<LineString<f64>, String> {
    if positions.len() < 2 {
        return Err(format!(
            "a line needs at least 2 positions, got {}",
            positions.len()
        ));
    }
    Ok(LineString(
        positions.iter().map(coord).collect::<Result<_, _>>()?,
    ))
}

fn ring(positions: &[Position], which: usize) -> Result<LineString<f64>, String> {
    let name = if which == 0 {
        "exterior ring".to_string()
    } else {
        format!("hole {which}")
    };
    if positions.len() < 4 {
        return Err(format!(
            "{name} has {} positions; a ring needs at least 4",
            positions.len()
        ));
    }
    let ring = LineString(positions.iter().map(coord).collect::<Result<Vec<_>, _>>()?);
    if ring.0.first() != ring.0.last() {
        return Err(format!(
            "{name} is not closed (first and last positions differ)"
        ));
    }
    Ok(ring)
}

fn polygon(rings: &[Vec<Position>]) -> Result<Polygon<f64>, String> {
    let (exterior, holes) = rings.split_first().ok_or("empty Polygon")?;
    let exterior = ring(exterior, 0)?;
    let holes = holes
        .iter()
        .enumerate()
        .map(|(i, h)| ring(h, i + 1))
        .collect::<Result<_, _>>()?;
    Ok(Polygon::new(exterior, holes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Geometry<f64>, String> {
        let g: geojson::Geometry = serde_json::from_str(json).unwrap();
        to_geo(&g.value)
    }

    #[test]
    fn valid_polygon_with_hole_converts() {
        let g = parse(
            r#"{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,1]]]}"#,
        )
        .unwrap();
        let Geometry::Polygon(p) = g else {
            panic!("not a polygon")
        };
        assert_eq!(p.interiors().len(), 1);
    }

    #[test]
    fn bad_geometries_explain_themselves() {
        let cases = [
            (
                r#"{"type":"Point","coordinates":[200,10]}"#,
                "outside lon/lat",
            ),
            (
                r#"{"type":"LineString","coordinates":[[1,1]]}"#,
                "at least 2",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#,
                "not closed",
            ),
            (
                r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#,
                "at least 4",
            ),
            (r#"{"type":"Polygon","coordinates":[]}"#, "empty Polygon"),
            (
                r#"{"type":"MultiPoint","coordinates":[]}"#,
                "empty MultiPoint",
            ),
            (
                r#"{"type":"GeometryCollection","geometries":[]}"#,
                "not supported",
            ),
        ];
        for (json, expected) in cases {
            let err = parse(json).unwrap_err();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }
}
