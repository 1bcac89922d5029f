//! Bounding boxes in lon/lat: the extent of layers, tiles and queries.

use geo::Rect;
use rstar::AABB;
use serde::Serialize;

/// A bounding box in lon/lat, serialised as `[west, south, east, north]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BboxWgs84 {
    /// Least longitude, degrees.
    pub west: f64,
    /// Least latitude, degrees.
    pub south: f64,
    /// Greatest longitude, degrees.
    pub east: f64,
    /// Greatest latitude, degrees.
    pub north: f64,
}

impl BboxWgs84 {
    /// The box of a lon/lat rectangle.
    pub fn from_rect(r: Rect<f64>) -> Self {
        BboxWgs84 {
            west: r.min().x,
            south: r.min().y,
            east: r.max().x,
            north: r.max().y,
        }
    }

    /// The box as a geo rectangle.
    pub fn to_rect(self) -> Rect<f64> {
        Rect::new((self.west, self.south), (self.east, self.north))
    }

    /// The smallest box holding both.
    pub fn union(self, other: BboxWgs84) -> BboxWgs84 {
        BboxWgs84 {
            west: self.west.min(other.west),
            south: self.south.min(other.south),
            east: self.east.max(other.east),
            north: self.north.max(other.north),
        }
    }

    /// The middle as (lon, lat), where the map opens.
    pub fn center(self) -> (f64, f64) {
        (
            (self.west + self.east) / 2.0,
            (self.south + self.north) / 2.0,
        )
    }

    /// `[west, south, east, north]`, as GeoJSON and TileJSON write a bbox.
    pub fn to_array(self) -> [f64; 4] {
        [self.west, self.south, self.east, self.north]
    }

    /// Parses `west,south,east,north` in degrees; the error quotes `text` and says what
    /// is wrong with it.
    pub fn parse(text: &str) -> Result<BboxWgs84, String> {
        let bad = |why: &str| format!("{text:?}: {why}; expected west,south,east,north in degrees");
        let parts: Vec<f64> = text
            .split(',')
            .map(|p| {
                p.trim()
                    .parse::<f64>()
                    .map_err(|_| bad(&format!("{:?} is not a number", p.trim())))
            })
            .collect::<Result<_, _>>()?;
        let [west, south, east, north] = parts[..] else {
            return Err(bad(&format!("{} values", parts.len())));
        };
        if parts.iter().any(|v| !v.is_finite()) {
            return Err(bad("values must be finite"));
        }
        if !(-180.0..=180.0).contains(&west) || !(-180.0..=180.0).contains(&east) {
            return Err(bad("longitudes must lie in -180..180"));
        }
        if !(-90.0..=90.0).contains(&south) || !(-90.0..=90.0).contains(&north) {
            return Err(bad("latitudes must lie in -90..90"));
        }
        if west > east || south > north {
            return Err(bad("west must not exceed east, nor south north"));
        }
        Ok(BboxWgs84 {
            west,
            south,
            east,
            north,
        })
    }

    pub(crate) fn envelope(self) -> AABB<[f64; 2]> {
        AABB::from_corners([self.west, self.south], [self.east, self.north])
    }
}

impl Serialize for BboxWgs84 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_array().serialize(s)
    }
}
