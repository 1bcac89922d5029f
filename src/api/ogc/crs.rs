//! OGC API – Features Part 2 (CRS by reference): the CRSs a client may ask features in
//! (`crs`) and give a bbox in (`bbox-crs`).
//!
//! The atlas holds WGS84 longitude/latitude, which is CRS84. EPSG:4326 is the same
//! datum with the axes the other way round (latitude first), and CGCS2000 (EPSG:4490,
//! the Chinese geodetic datum of census deliveries) differs from WGS84 by centimetres —
//! riskatlas already treats the two as equal at import — and is latitude first too. So
//! every CRS here is the stored coordinates, in one of two axis orders.

use serde_json::Value;

/// A CRS the API serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crs {
    /// WGS84, longitude then latitude (the storage CRS and the default).
    Crs84,
    /// WGS84, latitude then longitude.
    Epsg4326,
    /// CGCS2000, latitude then longitude.
    Epsg4490,
}

impl Crs {
    /// Every CRS served, default first.
    pub const ALL: [Crs; 3] = [Crs::Crs84, Crs::Epsg4326, Crs::Epsg4490];

    /// Its URI, as `crs` and `Content-Crs` name it.
    pub fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            Crs::Epsg4326 => "http://www.opengis.net/def/crs/EPSG/0/4326",
            Crs::Epsg4490 => "http://www.opengis.net/def/crs/EPSG/0/4490",
        }
    }

    /// The CRS a parameter names, by URI (or its `[EPSG:4326]`-style safe CURIE).
    pub fn parse(name: &str, text: &str) -> Result<Crs, String> {
        let text = text.trim();
        let curie = |c: Crs| match c {
            Crs::Crs84 => "[OGC:CRS84]",
            Crs::Epsg4326 => "[EPSG:4326]",
            Crs::Epsg4490 => "[EPSG:4490]",
        };
        Crs::ALL
            .into_iter()
            .find(|c| c.uri() == text || curie(*c) == text)
            .ok_or_else(|| {
                let served: Vec<&str> = Crs::ALL.iter().map(|c| c.uri()).collect();
                format!(
                    "{name} {text:?} is not served; the CRSs are {}",
                    served.join(", ")
                )
            })
    }

    /// Whether latitude comes first.
    fn lat_first(self) -> bool {
        self != Crs::Crs84
    }

    /// A GeoJSON geometry's coordinates put in this CRS's axis order (in place).
    pub fn orient(self, geometry: &mut Value) {
        if self.lat_first() {
            swap_positions(&mut geometry["coordinates"]);
        }
    }

    /// A bbox given in this CRS as lon/lat `[w, s, e, n]`.
    pub fn bbox_as_lon_lat(self, b: [f64; 4]) -> [f64; 4] {
        if self.lat_first() {
            [b[1], b[0], b[3], b[2]]
        } else {
            b
        }
    }
}

/// Swaps the first two numbers of every position under `coordinates`.
fn swap_positions(coordinates: &mut Value) {
    if let Value::Array(items) = coordinates {
        if items.first().is_some_and(Value::is_number) {
            if items.len() >= 2 {
                items.swap(0, 1);
            }
        } else {
            items.iter_mut().for_each(swap_positions);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn latitude_first_crss_swap_every_position_and_bbox() {
        let mut polygon = json!({"type": "Polygon", "coordinates": [[[105.5, 34.4], [105.6, 34.4], [105.6, 34.5], [105.5, 34.4]]]});
        Crs::Epsg4490.orient(&mut polygon);
        assert_eq!(polygon["coordinates"][0][1], json!([34.4, 105.6]));
        let mut point = json!({"type": "Point", "coordinates": [105.5, 34.4]});
        Crs::Crs84.orient(&mut point);
        assert_eq!(point["coordinates"], json!([105.5, 34.4]));
        assert_eq!(
            Crs::Epsg4326.bbox_as_lon_lat([34.4, 105.5, 34.6, 105.7]),
            [105.5, 34.4, 105.7, 34.6]
        );
    }

    #[test]
    fn crss_are_named_by_uri_or_safe_curie_and_others_are_refused() {
        assert_eq!(
            Crs::parse("crs", "http://www.opengis.net/def/crs/EPSG/0/4490"),
            Ok(Crs::Epsg4490)
        );
        assert_eq!(Crs::parse("crs", "[EPSG:4326]"), Ok(Crs::Epsg4326));
        let refused =
            Crs::parse("bbox-crs", "http://www.opengis.net/def/crs/EPSG/0/3857").unwrap_err();
        assert!(
            refused.contains("bbox-crs") && refused.contains("CRS84"),
            "{refused}"
        );
    }
}
