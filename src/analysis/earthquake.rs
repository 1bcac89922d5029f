//! Earthquakes → intensity rings, by the intensity attenuation relation behind China's
//! seismic ground-motion zoning map GB 18306-2015:
//!
//! > Yu Yanxiang (俞言祥), Li Shanyou (李山有), Xiao Liang (肖亮), 2013.
//! > 为新区划图编制所建立的地震动衰减关系 (Ground-motion attenuation relations
//! > established for the new seismic zoning map). 震灾防御技术 (Technology for
//! > Earthquake Disaster Prevention) 8(1): 24–33.
//!
//! `I = A + B·Ms + C·lg(R + R0)` separately along the long (a) and short (b) axes of
//! the isoseismal ellipse, R the epicentral distance in km, I on the GB/T 17742 scale.
//! Solved for R: `R(I) = 10^((I − A − B·Ms)/C) − R0`; an intensity whose R ≤ 0 is not
//! reached even at the epicentre.
//!
//! Without a known fault strike the ellipse is drawn as the circle of equal area,
//! radius √(a·b), and the report says so; with `strike_deg` it is the ellipse with its
//! long axis along the strike. Depth is not a variable of the relation (its near-field
//! saturation sits in R0); the fits are for shallow crustal events, so deep events are
//! overstated. Values are medians: ±1σ is about ±0.6 of a degree.

use super::geodesy::CIRCLE_SEGMENTS;
use geo::{Coord, Destination, Geodesic, LineString, Point, Polygon};

/// Smallest magnitude the relation was fitted for.
pub const MIN_MAGNITUDE: f64 = 4.0;
/// Largest magnitude the relation was fitted for.
pub const MAX_MAGNITUDE: f64 = 9.0;

/// Coefficients (A, B, C, R0) for one axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Axis {
    /// Constant term A.
    pub a: f64,
    /// Magnitude coefficient B.
    pub b: f64,
    /// Distance coefficient C (negative: intensity falls with distance).
    pub c: f64,
    /// Near-field saturation term R0 (km).
    pub r0: f64,
}

/// One zone of the relation: long and short axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Zone {
    /// The zone's name, as a scenario's `region` gives it.
    pub name: &'static str,
    /// Coefficients along the isoseismal ellipse's long axis.
    pub long: Axis,
    /// Coefficients along its short axis.
    pub short: Axis,
}

/// The Qinghai-Tibet zone (青藏区), which covers most of Sichuan and Gansu.
pub const QINGHAI_TIBET: Zone = Zone {
    name: "qinghai_tibet",
    long: Axis {
        a: 6.4580,
        b: 1.2746,
        c: -4.4709,
        r0: 25.0,
    },
    short: Axis {
        a: 3.3682,
        b: 1.2746,
        c: -3.3119,
        r0: 9.0,
    },
};
/// The eastern strong-earthquake zone (东部强震区).
pub const EASTERN_STRONG: Zone = Zone {
    name: "eastern_strong",
    long: Axis {
        a: 5.7123,
        b: 1.3626,
        c: -4.2903,
        r0: 25.0,
    },
    short: Axis {
        a: 3.6588,
        b: 1.3626,
        c: -3.5406,
        r0: 13.0,
    },
};
/// The moderate-to-strong zone (中强地震区).
pub const MODERATE_STRONG: Zone = Zone {
    name: "moderate_strong",
    long: Axis {
        a: 5.8410,
        b: 1.0710,
        c: -3.6570,
        r0: 15.0,
    },
    short: Axis {
        a: 3.9440,
        b: 1.0710,
        c: -2.8450,
        r0: 7.0,
    },
};
/// The Xinjiang zone (新疆区).
pub const XINJIANG: Zone = Zone {
    name: "xinjiang",
    long: Axis {
        a: 5.6018,
        b: 1.4347,
        c: -4.4899,
        r0: 25.0,
    },
    short: Axis {
        a: 3.6113,
        b: 1.4347,
        c: -3.8477,
        r0: 13.0,
    },
};
/// Every zone of the relation, by name.
pub const ZONES: [Zone; 4] = [QINGHAI_TIBET, EASTERN_STRONG, MODERATE_STRONG, XINJIANG];

impl Axis {
    /// Intensity at `r_km` from the epicentre.
    pub fn intensity(&self, magnitude: f64, r_km: f64) -> f64 {
        self.a + self.b * magnitude + self.c * (r_km + self.r0).log10()
    }

    /// Distance at which the intensity falls to `intensity`; `None` if never reached.
    pub fn radius_km(&self, magnitude: f64, intensity: f64) -> Option<f64> {
        let r = 10f64.powf((intensity - self.a - self.b * magnitude) / self.c) - self.r0;
        (r > 0.0).then_some(r)
    }
}

/// The area of intensity ≥ `intensity`: semi-axes in km.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Isoseismal {
    /// The intensity this ellipse bounds (GB/T 17742 degrees).
    pub intensity: u8,
    /// Half its long axis (km).
    pub long_km: f64,
    /// Half its short axis (km).
    pub short_km: f64,
}

/// Epicentral intensity (the relation at R = 0, long axis).
pub fn epicentral_intensity(zone: &Zone, magnitude: f64) -> f64 {
    zone.long.intensity(magnitude, 0.0)
}

/// Isoseismals from `min_intensity` up to the highest intensity reached.
pub fn isoseismals(zone: &Zone, magnitude: f64, min_intensity: u8) -> Vec<Isoseismal> {
    (min_intensity..=12)
        .map_while(|i| {
            let long = zone.long.radius_km(magnitude, f64::from(i))?;
            let short = zone
                .short
                .radius_km(magnitude, f64::from(i))
                .unwrap_or(0.0)
                .min(long);
            Some(Isoseismal {
                intensity: i,
                long_km: long,
                short_km: short.max(long * 0.05),
            })
        })
        .collect()
}

/// The closed outline of an isoseismal: an ellipse along `strike_deg`, or the circle of
/// equal area (radius √(a·b)) when the strike is unknown.
pub fn outline(
    epicentre: Point<f64>,
    iso: &Isoseismal,
    strike_deg: Option<f64>,
) -> LineString<f64> {
    let mut pts: Vec<Coord<f64>> = (0..CIRCLE_SEGMENTS)
        .map(|k| {
            // Anticlockwise in the plane: angle t from the long axis.
            let t = std::f64::consts::TAU * k as f64 / CIRCLE_SEGMENTS as f64;
            let (dist_km, bearing) = match strike_deg {
                None => ((iso.long_km * iso.short_km).sqrt(), 360.0 - t.to_degrees()),
                Some(strike) => {
                    let (x, y) = (iso.long_km * t.cos(), iso.short_km * t.sin());
                    ((x * x + y * y).sqrt(), strike - y.atan2(x).to_degrees())
                }
            };
            Geodesic
                .destination(epicentre, bearing.rem_euclid(360.0), dist_km * 1_000.0)
                .0
        })
        .collect();
    pts.push(pts[0]);
    LineString(pts)
}

/// Rings as polygons: the band where intensity is exactly I (the area ≥ I minus the area
/// ≥ I+1), so that each place falls in one ring.
pub fn ring_polygons(
    epicentre: Point<f64>,
    isos: &[Isoseismal],
    strike_deg: Option<f64>,
) -> Vec<(u8, Polygon<f64>)> {
    isos.iter()
        .enumerate()
        .map(|(i, iso)| {
            let hole = isos.get(i + 1).map(|inner| {
                let mut ring = outline(epicentre, inner, strike_deg);
                ring.0.reverse();
                ring
            });
            (
                iso.intensity,
                Polygon::new(
                    outline(epicentre, iso, strike_deg),
                    hole.into_iter().collect(),
                ),
            )
        })
        .collect()
}

/// Warning severity of an intensity band: VI blue, VII yellow, VIII orange, IX+ red.
pub fn severity_of(intensity: u8) -> u8 {
    match intensity {
        0..=6 => 1,
        7 => 2,
        8 => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Radii computed by hand (python, from the published coefficients), in km.
    #[test]
    fn radii_match_hand_computed_values_for_qinghai_tibet() {
        let cases = [
            (6.2, 6.0, 49.1, 30.0),
            (6.2, 7.0, 19.3, 10.5),
            (7.0, 6.0, 100.3, 70.3),
            (7.0, 7.0, 49.9, 30.6),
            (7.0, 8.0, 19.7, 10.7),
            (7.0, 9.0, 1.7, 0.9),
        ];
        for (m, i, long, short) in cases {
            let a = QINGHAI_TIBET.long.radius_km(m, i).unwrap();
            let b = QINGHAI_TIBET.short.radius_km(m, i).unwrap();
            assert!(
                (a - long).abs() < 0.05 && (b - short).abs() < 0.05,
                "M{m} I{i}: {a:.2}/{b:.2}"
            );
        }
        assert!((epicentral_intensity(&QINGHAI_TIBET, 6.2) - 8.11).abs() < 0.005);
        assert_eq!(QINGHAI_TIBET.long.radius_km(6.2, 9.0), None);
    }

    #[test]
    fn both_axes_agree_at_the_epicentre_as_the_published_fit_requires() {
        for zone in ZONES {
            for m in [5.0, 6.5, 8.0] {
                assert!(
                    (zone.long.intensity(m, 0.0) - zone.short.intensity(m, 0.0)).abs() < 0.002,
                    "{}",
                    zone.name
                );
            }
        }
    }

    #[test]
    fn isoseismals_stop_at_the_epicentral_intensity() {
        let isos = isoseismals(&QINGHAI_TIBET, 6.2, 6);
        assert_eq!(
            isos.iter().map(|i| i.intensity).collect::<Vec<_>>(),
            [6, 7, 8]
        );
        assert!(isos.windows(2).all(|w| w[0].long_km > w[1].long_km));
    }
}
