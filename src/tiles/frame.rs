//! One tile's projection from lon/lat to its units, built once per tile drawn.
//!
//! Web Mercator's y is `ln(tan(π/4 + φ/2))`: a `tan` and a `ln` for every vertex, about
//! a fifth of drawing a z6–z9 tile, whose polygons carry tens of thousands of vertices.
//! Inside one tile that function is smooth and slowly varying, so a [`TileFrame`]
//! tabulates it once, at [`INTERVALS`] + 1 latitudes spanning the buffered tile, with
//! its exact slope (`sec φ`) at each, and draws a vertex from the cubic Hermite
//! polynomial of its interval: three multiply-adds. The two agree to 10⁻⁸ tile units
//! (micrometres) at every zoom the table is used, which the test below checks against
//! the closed form: interpolation's own error, `h⁴/384 · max|f⁗|`, is about 10⁻¹⁰ units
//! there, and the rest is the floating-point rounding both ways carry. Only a vertex
//! within 10⁻⁸ of a half unit could round to another whole unit; the 82 z6–z9 tiles
//! of the demo at scale 200 came out byte for byte the same.
//!
//! The closed form ([`TileCoord::project`]) is kept where the table cannot stand in: for
//! a vertex outside the buffered tile (a long road crossing it), at zooms below
//! [`TABLE_MIN_ZOOM`] (a tile spanning tens of degrees, near the poles f⁗ grows without
//! bound), and above [`TABLE_MAX_ZOOM`], where a tile holds so few vertices that
//! building the table would cost more than it saves.

use super::coord::{MAX_LAT, TileCoord};

/// Latitude intervals of a tile's table: 129 closed-form evaluations to build it (about
/// 8 µs, against about 4 ms to draw a z6–z9 tile).
const INTERVALS: usize = 128;
/// The lowest zoom drawn from the table.
pub const TABLE_MIN_ZOOM: u8 = 5;
/// The highest zoom drawn from the table.
pub const TABLE_MAX_ZOOM: u8 = 9;

/// A tile and its projection: lon/lat in degrees to tile units of `extent`.
pub struct TileFrame {
    coord: TileCoord,
    extent: u32,
    /// `coord`'s tiles a side.
    tiles: f64,
    table: Option<LatitudeTable>,
}

/// Tile-unit y as cubic polynomials in latitude, one an interval.
struct LatitudeTable {
    /// The southernmost latitude tabulated, degrees.
    south: f64,
    /// Intervals per degree.
    per_degree: f64,
    /// Each interval's coefficients, constant term first, in the interval's own variable
    /// `s` (0 at its southern end, 1 at its northern).
    cubics: Vec<[f64; 4]>,
}

impl TileFrame {
    /// The frame of `coord` for tiles of `extent` units with `buffer` units drawn beyond
    /// each edge (the table spans the buffer too).
    pub fn new(coord: TileCoord, extent: u32, buffer: u32) -> TileFrame {
        let mut frame = TileFrame {
            coord,
            extent,
            tiles: f64::from(1u32 << coord.z()),
            table: None,
        };
        if (TABLE_MIN_ZOOM..=TABLE_MAX_ZOOM).contains(&coord.z()) {
            frame.table = LatitudeTable::spanning(&frame, buffer);
        }
        frame
    }

    /// The tile.
    pub fn coord(&self) -> TileCoord {
        self.coord
    }

    /// lon/lat → tile units (not rounded, not clipped): [`TileCoord::project`], from the
    /// table inside the buffered tile.
    #[inline]
    pub fn project(&self, lon: f64, lat: f64) -> [f64; 2] {
        let Some(table) = &self.table else {
            return self.coord.project(self.extent, lon, lat);
        };
        let t = (lat - table.south) * table.per_degree;
        // Also false for NaN: the closed form decides what such a vertex becomes.
        if !(0.0..=INTERVALS as f64).contains(&t) {
            return self.coord.project(self.extent, lon, lat);
        }
        let i = (t as usize).min(INTERVALS - 1);
        let s = t - i as f64;
        let [c0, c1, c2, c3] = table.cubics[i];
        // x as the closed form computes it, operation for operation.
        let wx = (lon + 180.0) / 360.0;
        [
            (wx * self.tiles - f64::from(self.coord.x())) * f64::from(self.extent),
            ((c3 * s + c2) * s + c1) * s + c0,
        ]
    }

    /// Tile-unit y of latitude `lat`, and its slope in units per degree, in closed form.
    fn y_and_slope(&self, lat: f64) -> (f64, f64) {
        let y = self.coord.project(self.extent, 0.0, lat)[1];
        // d/dφ ln(tan(π/4 + φ/2)) = sec φ, and world y runs south, 2π of those to 1:
        // per degree, -(tiles · extent / 2π) · sec φ · π/180.
        let slope = -self.tiles * f64::from(self.extent) / 360.0 / lat.to_radians().cos();
        (y, slope)
    }
}

impl LatitudeTable {
    /// The table over `frame`'s tile grown by `buffer` units; none where the buffered
    /// tile reaches past Web Mercator's latitude limit (where the closed form clamps).
    fn spanning(frame: &TileFrame, buffer: u32) -> Option<LatitudeTable> {
        let bounds = frame.coord.bounds_wgs84(frame.extent, buffer);
        if bounds.north >= MAX_LAT || bounds.south <= -MAX_LAT {
            return None;
        }
        let span = bounds.north - bounds.south;
        let h = span / INTERVALS as f64;
        let nodes: Vec<(f64, f64)> = (0..=INTERVALS)
            .map(|k| frame.y_and_slope(bounds.south + h * k as f64))
            .collect();
        let cubics = nodes
            .windows(2)
            .map(|pair| {
                let [(y0, d0), (y1, d1)] = [pair[0], pair[1]];
                // Slopes per interval rather than per degree.
                let (m0, m1) = (d0 * h, d1 * h);
                [
                    y0,
                    m0,
                    3.0 * (y1 - y0) - 2.0 * m0 - m1,
                    2.0 * (y0 - y1) + m0 + m1,
                ]
            })
            .collect();
        Some(LatitudeTable {
            south: bounds.south,
            per_degree: INTERVALS as f64 / span,
            cubics,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::coord::lonlat_to_world;
    use proptest::prelude::*;

    fn tile_at(z: u8, lon: f64, lat: f64) -> TileCoord {
        let (wx, wy) = lonlat_to_world(lon, lat);
        let n = f64::from(1u32 << z);
        TileCoord::new(u64::from(z), (wx * n) as u64, (wy * n) as u64).unwrap()
    }

    proptest! {
        /// Within the buffered tile the table agrees with the closed form to 10⁻⁸ units,
        /// from the equator to 84°, at every zoom it is used.
        #[test]
        fn the_table_agrees_with_the_closed_form(
            z in TABLE_MIN_ZOOM..=TABLE_MAX_ZOOM,
            lon in -179.0f64..179.0,
            lat in -84.0f64..84.0,
            u in -0.02f64..1.02,
            v in -0.02f64..1.02,
        ) {
            let coord = tile_at(z, lon, lat);
            let frame = TileFrame::new(coord, 4096, 64);
            let b = coord.bounds_wgs84(4096, 0);
            let (x, y) = (b.west + u * (b.east - b.west), b.south + v * (b.north - b.south));
            let exact = coord.project(4096, x, y);
            let tabled = frame.project(x, y);
            prop_assert!((exact[1] - tabled[1]).abs() < 1e-8, "y {} against {}", tabled[1], exact[1]);
            prop_assert_eq!(exact[0], tabled[0], "x is the closed form's");
        }
    }

    #[test]
    fn outside_the_buffered_tile_and_outside_its_zooms_the_closed_form_is_used() {
        let coord = tile_at(7, 105.7, 34.5);
        let frame = TileFrame::new(coord, 4096, 64);
        assert!(frame.table.is_some());
        let b = coord.bounds_wgs84(4096, 64);
        for lat in [b.north + 1.0, b.south - 3.0, 89.0, -89.0] {
            assert_eq!(frame.project(105.0, lat), coord.project(4096, 105.0, lat));
        }
        for z in [0, 4, 10, 16] {
            let coord = tile_at(z, 105.7, 34.5);
            let frame = TileFrame::new(coord, 4096, 64);
            assert!(frame.table.is_none(), "zoom {z} draws in closed form");
            assert_eq!(frame.project(105.7, 34.5), coord.project(4096, 105.7, 34.5));
        }
        // The top row of tiles reaches past Web Mercator's limit: closed form there.
        let top = TileCoord::new(6, 10, 0).unwrap();
        assert!(TileFrame::new(top, 4096, 64).table.is_none());
    }

    /// Over a whole z6 tile sampled densely, rounding to whole units gives the same
    /// vertices from the table as from the closed form.
    #[test]
    fn rounded_vertices_are_the_closed_forms() {
        let coord = tile_at(6, 105.7, 34.5);
        let frame = TileFrame::new(coord, 4096, 64);
        let b = coord.bounds_wgs84(4096, 64);
        let steps = 200_000;
        let differ = (0..=steps)
            .map(|k| b.south + (b.north - b.south) * f64::from(k) / f64::from(steps))
            .filter(|&lat| {
                frame.project(105.7, lat)[1].round() != coord.project(4096, 105.7, lat)[1].round()
            })
            .count();
        assert_eq!(differ, 0);
    }
}
