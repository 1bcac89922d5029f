//! What a scenario costs before it runs ([`estimate`]), and a [`Deadline`] the long loops
//! check while it runs.
//!
//! The count of hazards says little about the work: one hazard naming a layer stands for
//! every feature of it, and a 50 km buffer makes each of them cover a county. Probed, a
//! 4.4 KB request of 100 such landslide hazards made 17,200 areas, tested every one
//! against every population unit, and answered 130 MB (RSS 2.1 GB). The overlay's work is
//! the (exposure unit, hazard area) pairs whose bounding boxes meet: each is tested,
//! and each that hits is listed in the answer. [`estimate`] counts them the way the
//! overlay finds them (the exposure layer's R-tree, queried with each area's bbox)
//! without building any area, so the service can refuse the scenario first.
//!
//! A deadline rather than a timeout around the worker: a timeout that stops waiting
//! leaves the thread computing, and a client that retries stacks them up; the loops
//! that dominate (the overlay by hazard, the report by unit, evacuation by round) check
//! the deadline and stop.

use super::earthquake;
use super::hazards::DEFAULT_THREAT_RADIUS_M;
use super::scenario::{HazardSpec, Scenario};
use crate::atlas::{Atlas, Layer};
use geo::{BoundingRect, Destination, Geodesic, Geometry, Point, Rect};
use std::time::{Duration, Instant};

/// The work a scenario asks for: hazard areas and (unit, area) bbox pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Work {
    /// Hazard areas the scenario resolves to (one per matching feature, per band).
    pub areas: u64,
    /// Exposure units whose bbox meets an area's bbox, summed over the areas.
    pub pairs: u64,
}

impl Work {
    /// One number to hold against a cap: every area costs one, every pair one.
    pub fn total(&self) -> u64 {
        self.areas + self.pairs
    }
}

/// The work `scenario` asks of `atlas`, counted until it passes `stop` (the count past
/// that is not needed to refuse, and a hostile scenario would make counting slow too).
/// The scenario must have been parsed against this atlas.
pub fn estimate(atlas: &Atlas, scenario: &Scenario, stop: u64) -> Work {
    let exposure = atlas
        .layer(scenario.exposure.as_str())
        .expect("the scenario was checked against this atlas");
    let mut work = Work::default();
    let add = |bbox: Option<Rect<f64>>, work: &mut Work| {
        work.areas += 1;
        if let Some(bb) = bbox {
            work.pairs += units_in(exposure, bb);
        }
        work.total() > stop
    };
    for spec in &scenario.hazards {
        match spec {
            HazardSpec::Layer {
                layer,
                selection,
                buffer_m,
            } => {
                let layer = atlas
                    .layer(layer.as_str())
                    .expect("scenario layers were checked against this atlas");
                for fid in selection.fids(layer) {
                    let feature = &layer.features()[fid as usize];
                    let bbox = match &feature.geometry {
                        Geometry::Point(p) => {
                            let radius = buffer_m
                                .or(layer.value(fid, "threat_radius_m").as_f64())
                                .unwrap_or(DEFAULT_THREAT_RADIUS_M);
                            Some(disc_bbox(*p, radius))
                        }
                        Geometry::Polygon(_) | Geometry::MultiPolygon(_) => {
                            feature.geometry.bounding_rect()
                        }
                        _ => continue, // not an area: the overlay skips it too
                    };
                    if add(bbox, &mut work) {
                        return work;
                    }
                }
            }
            HazardSpec::Drawn { area, .. } => {
                if add(area.bounding_rect(), &mut work) {
                    return work;
                }
            }
            HazardSpec::Earthquake(q) => {
                // Each band is an ellipse inside the outermost one's long-axis circle.
                let bands = earthquake::isoseismals(&q.zone, q.magnitude, q.min_intensity);
                let reach_km = bands.iter().map(|b| b.long_km).fold(0.0, f64::max);
                for _ in &bands {
                    if add(Some(disc_bbox(q.epicentre, reach_km * 1000.0)), &mut work) {
                        return work;
                    }
                }
            }
        }
    }
    work
}

/// Units of `layer` whose index entry meets `bbox`, as the overlay visits them.
fn units_in(layer: &Layer, bbox: Rect<f64>) -> u64 {
    let env = rstar::AABB::from_corners(bbox.min().into(), bbox.max().into());
    layer.index().locate_in_envelope_intersecting(&env).count() as u64
}

/// The lon/lat bbox of a geodesic disc (its extremes due north, east, south and west).
fn disc_bbox(centre: Point<f64>, radius_m: f64) -> Rect<f64> {
    let at = |bearing: f64| Geodesic.destination(centre, bearing, radius_m);
    let (n, e, s, w) = (at(0.0), at(90.0), at(180.0), at(270.0));
    Rect::new((w.x(), s.y()), (e.x(), n.y()))
}

/// When a long analysis must stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: Option<Instant>,
    limit: Duration,
}

/// The analysis ran past its deadline and stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the analysis took longer than the {} s a request may take", .limit.as_secs_f64())]
pub struct Expired {
    /// The time limit it ran into.
    pub limit: Duration,
}

impl Deadline {
    /// No deadline (the command line, benchmarks).
    pub fn none() -> Deadline {
        Deadline {
            at: None,
            limit: Duration::MAX,
        }
    }

    /// `limit` from now.
    pub fn after(limit: Duration) -> Deadline {
        Deadline {
            at: Instant::now().checked_add(limit),
            limit,
        }
    }

    /// Err once the deadline has passed: call it in every long loop.
    pub fn check(&self) -> Result<(), Expired> {
        match self.at {
            Some(at) if Instant::now() >= at => Err(Expired { limit: self.limit }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Haversine};

    #[test]
    fn a_disc_bbox_reaches_the_radius_in_every_direction() {
        let c = Point::new(105.7, 34.5);
        let bb = disc_bbox(c, 50_000.0);
        for corner in [
            Point::new(c.x(), bb.max().y),
            Point::new(c.x(), bb.min().y),
            Point::new(bb.max().x, c.y()),
            Point::new(bb.min().x, c.y()),
        ] {
            let d = Haversine.distance(c, corner);
            assert!((d - 50_000.0).abs() < 200.0, "{d} m");
        }
    }

    #[test]
    fn a_deadline_in_the_past_has_expired_and_none_never_does() {
        assert!(Deadline::after(Duration::ZERO).check().is_err());
        assert!(Deadline::after(Duration::from_secs(3600)).check().is_ok());
        assert!(Deadline::none().check().is_ok());
    }
}
