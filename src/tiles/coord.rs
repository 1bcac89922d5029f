//! Tile coordinates and the Web Mercator math behind them (closed form, no PROJ).
//!
//! World coordinates run from (0, 0) at the north-west corner to (1, 1) at the
//! south-east, the XYZ tile scheme used by MapLibre and the MVT spec.

use crate::atlas::BboxWgs84;
use std::f64::consts::PI;
use std::fmt;

/// Web Mercator's latitude limit: the world square ends here.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;
/// Highest zoom the server accepts (about 2 cm per tile unit at the equator).
pub const MAX_ZOOM: u8 = 22;

/// lon/lat in degrees → world coordinates in [0, 1] (latitude clamped to the square).
pub fn lonlat_to_world(lon: f64, lat: f64) -> (f64, f64) {
    let x = (lon + 180.0) / 360.0;
    let phi = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let y = 0.5 - (PI / 4.0 + phi / 2.0).tan().ln() / (2.0 * PI);
    (x, y)
}

/// World coordinates → lon/lat in degrees (defined for any y, also outside [0, 1]).
pub fn world_to_lonlat(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 360.0 - 180.0;
    let lat = (PI * (1.0 - 2.0 * y)).sinh().atan().to_degrees();
    (lon, lat)
}

/// A valid tile address: `x` and `y` are below `2^z`, `z` at most [`MAX_ZOOM`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileCoord {
    z: u8,
    x: u32,
    y: u32,
}

/// Why a tile address is refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TileCoordError {
    /// The zoom asked for, above [`MAX_ZOOM`].
    #[error("zoom {0} is outside 0..={MAX_ZOOM}")]
    Zoom(u64),
    /// A column or row past the edge of the world at its zoom.
    #[error("{axis} {value} is outside 0..={max} at zoom {z}")]
    Column {
        /// `x` or `y`.
        axis: &'static str,
        /// The value asked for.
        value: u64,
        /// The largest valid value, `2^z - 1`.
        max: u64,
        /// The zoom.
        z: u8,
    },
}

impl TileCoord {
    /// The tile `z`/`x`/`y`, checked against the zoom range and the edge of the world.
    pub fn new(z: u64, x: u64, y: u64) -> Result<Self, TileCoordError> {
        if z > u64::from(MAX_ZOOM) {
            return Err(TileCoordError::Zoom(z));
        }
        let z = z as u8;
        let max = (1u64 << z) - 1;
        for (axis, value) in [("x", x), ("y", y)] {
            if value > max {
                return Err(TileCoordError::Column {
                    axis,
                    value,
                    max,
                    z,
                });
            }
        }
        Ok(TileCoord {
            z,
            x: x as u32,
            y: y as u32,
        })
    }

    /// The zoom.
    pub fn z(self) -> u8 {
        self.z
    }

    /// The column, from the antimeridian eastwards.
    pub fn x(self) -> u32 {
        self.x
    }

    /// The row, from the north.
    pub fn y(self) -> u32 {
        self.y
    }

    fn tiles_per_side(self) -> f64 {
        f64::from(1u32 << self.z)
    }

    /// The tile's bounds in lon/lat, grown by `buffer` tile units of `extent` per side.
    pub fn bounds_wgs84(self, extent: u32, buffer: u32) -> BboxWgs84 {
        let n = self.tiles_per_side();
        let b = f64::from(buffer) / f64::from(extent);
        let (west, north) =
            world_to_lonlat((f64::from(self.x) - b) / n, (f64::from(self.y) - b) / n);
        let (east, south) = world_to_lonlat(
            (f64::from(self.x) + 1.0 + b) / n,
            (f64::from(self.y) + 1.0 + b) / n,
        );
        BboxWgs84 {
            west,
            south,
            east,
            north,
        }
    }

    /// lon/lat → this tile's coordinates in units of `extent` (not rounded, not clipped).
    pub fn project(self, extent: u32, lon: f64, lat: f64) -> [f64; 2] {
        let n = self.tiles_per_side();
        let (wx, wy) = lonlat_to_world(lon, lat);
        let e = f64::from(extent);
        [
            (wx * n - f64::from(self.x)) * e,
            (wy * n - f64::from(self.y)) * e,
        ]
    }
}

impl fmt::Display for TileCoord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tile_outside_zoom_range_is_rejected() {
        assert_eq!(TileCoord::new(23, 0, 0), Err(TileCoordError::Zoom(23)));
    }

    #[test]
    fn tile_column_beyond_the_zoom_is_rejected() {
        assert!(
            TileCoord::new(2, 4, 0)
                .unwrap_err()
                .to_string()
                .contains("x 4 is outside 0..=3")
        );
        assert!(TileCoord::new(0, 0, 1).is_err());
        assert!(TileCoord::new(22, (1 << 22) - 1, (1 << 22) - 1).is_ok());
    }

    #[test]
    fn zoom_zero_covers_the_mercator_world() {
        let b = TileCoord::new(0, 0, 0).unwrap().bounds_wgs84(4096, 0);
        assert!((b.west + 180.0).abs() < 1e-9 && (b.east - 180.0).abs() < 1e-9);
        assert!((b.north - MAX_LAT).abs() < 1e-9 && (b.south + MAX_LAT).abs() < 1e-9);
    }

    #[test]
    fn a_known_tile_has_known_bounds() {
        // z1 tile (1, 0) is the north-east quarter: lon 0..180, lat 0..85.05.
        let b = TileCoord::new(1, 1, 0).unwrap().bounds_wgs84(4096, 0);
        assert!(b.west.abs() < 1e-9 && (b.east - 180.0).abs() < 1e-9);
        assert!(b.south.abs() < 1e-9 && (b.north - MAX_LAT).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn world_coordinates_round_trip(lon in -180.0f64..180.0, lat in -85.0f64..85.0) {
            let (x, y) = lonlat_to_world(lon, lat);
            let (lon2, lat2) = world_to_lonlat(x, y);
            prop_assert!((lon - lon2).abs() < 1e-9 && (lat - lat2).abs() < 1e-9);
        }

        #[test]
        fn tile_bounds_round_trip_to_the_tile_corners(z in 0u64..=22, fx in 0.0f64..1.0, fy in 0.0f64..1.0) {
            let n = 1u64 << z;
            let (x, y) = (((n as f64) * fx) as u64 % n, ((n as f64) * fy) as u64 % n);
            let t = TileCoord::new(z, x, y).unwrap();
            let b = t.bounds_wgs84(4096, 0);
            let nw = t.project(4096, b.west, b.north);
            let se = t.project(4096, b.east, b.south);
            // 1e-4 tile units: centimetres at z22, far below one pixel.
            prop_assert!(nw[0].abs() < 1e-4 && nw[1].abs() < 1e-4, "{nw:?}");
            prop_assert!((se[0] - 4096.0).abs() < 1e-4 && (se[1] - 4096.0).abs() < 1e-4, "{se:?}");
        }

        #[test]
        fn a_point_lies_in_the_tile_that_contains_it(lon in -179.9f64..179.9, lat in -85.0f64..85.0, z in 0u64..=18) {
            let (wx, wy) = lonlat_to_world(lon, lat);
            let n = 1u64 << z;
            let t = TileCoord::new(z, ((wx * n as f64) as u64).min(n - 1), ((wy * n as f64) as u64).min(n - 1)).unwrap();
            let b = t.bounds_wgs84(4096, 1);
            prop_assert!(b.west <= lon && lon <= b.east && b.south <= lat && lat <= b.north);
        }
    }
}
