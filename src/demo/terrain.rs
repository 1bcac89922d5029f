//! Synthetic terrain: river valleys running west to east between forested hills.
//!
//! Everything is in local metres (x east, y north) over the generated area. Elevation
//! rises with distance from the nearest river, with seeded sine-product hills on top, so
//! villages (placed low) sit in the valleys and landslide points (placed steep) on the
//! slopes above them.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::f64::consts::TAU;

pub type P = [f64; 2];

/// One river's centre line: `y = base + Σ a·sin(2πx/λ + φ)`.
#[derive(Debug, Clone)]
pub struct River {
    base_y: f64,
    waves: Vec<(f64, f64, f64)>,
}

impl River {
    pub fn y_at(&self, x: f64) -> f64 {
        self.base_y
            + self
                .waves
                .iter()
                .map(|(a, l, p)| a * (TAU * x / l + p).sin())
                .sum::<f64>()
    }
}

#[derive(Debug, Clone)]
pub struct Terrain {
    pub width_m: f64,
    pub height_m: f64,
    pub rivers: Vec<River>,
    hills: Vec<(f64, f64, f64, f64, f64)>,
}

impl Terrain {
    /// A terrain of `width_m × height_m` with one river per band of `band_m` metres.
    pub fn new(rng: &mut ChaCha8Rng, width_m: f64, height_m: f64, band_m: f64) -> Terrain {
        let bands = (height_m / band_m).round().max(1.0) as usize;
        let rivers = (0..bands)
            .map(|b| River {
                base_y: (b as f64 + 0.45) * band_m,
                waves: vec![
                    (
                        band_m * 0.07,
                        rng.random_range(14_000.0..22_000.0),
                        rng.random_range(0.0..TAU),
                    ),
                    (
                        band_m * 0.03,
                        rng.random_range(5_000.0..8_000.0),
                        rng.random_range(0.0..TAU),
                    ),
                ],
            })
            .collect();
        let hills = (0..4)
            .map(|_| {
                (
                    rng.random_range(80.0..220.0),
                    rng.random_range(1_800.0..4_500.0),
                    rng.random_range(1_800.0..4_500.0),
                    rng.random_range(0.0..TAU),
                    rng.random_range(0.0..TAU),
                )
            })
            .collect();
        Terrain {
            width_m,
            height_m,
            rivers,
            hills,
        }
    }

    /// The nearest river and the vertical distance to its centre line, in metres.
    pub fn nearest_river(&self, p: P) -> (usize, f64) {
        self.rivers
            .iter()
            .enumerate()
            .map(|(i, r)| (i, (p[1] - r.y_at(p[0])).abs()))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("a terrain has at least one river")
    }

    /// Elevation in metres above sea level.
    pub fn elevation(&self, p: P) -> f64 {
        let (_, d) = self.nearest_river(p);
        let valley = 1.0 - (-(d / 3_500.0).powi(2)).exp();
        let hills: f64 = self
            .hills
            .iter()
            .map(|(a, lx, ly, px, py)| a * (p[0] / lx + px).sin() * (p[1] / ly + py).cos())
            .sum();
        let roughness = 0.3 + 0.7 * (1.0 - (-(d / 2_000.0).powi(2)).exp());
        700.0 + 100.0 * (1.0 - p[0] / self.width_m) + 1_100.0 * valley + hills * roughness
    }

    /// Slope in degrees (central differences over 30 m).
    pub fn slope_deg(&self, p: P) -> f64 {
        let h = 30.0;
        let dx = (self.elevation([p[0] + h, p[1]]) - self.elevation([p[0] - h, p[1]])) / (2.0 * h);
        let dy = (self.elevation([p[0], p[1] + h]) - self.elevation([p[0], p[1] - h])) / (2.0 * h);
        (dx * dx + dy * dy).sqrt().atan().to_degrees()
    }
}
