//! The overlay: a scenario's hazard areas prepared for point and polygon tests under an
//! R-tree, and which exposure units each one meets.
//!
//! Split from the impact report because routes, plans and warnings use it too: the
//! areas a point is inside (whose roads do not close for it), the roads each hazard
//! closes, and the (unit, hazard) pairs an impact counts.

use super::budget::{Deadline, Expired};
use super::geodesy::area_m2;
use super::hazards::HazardArea;
use super::prepared::PreparedArea;
use crate::atlas::Layer;
use geo::{BooleanOps, BoundingRect, Coord, Geometry, Intersects, MultiPolygon};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

type HazardEntry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Hazard areas prepared for point tests, under an R-tree of their bboxes.
pub struct HazardOverlay {
    /// The scenario's hazard areas; indices into it name hazards everywhere.
    pub areas: Vec<HazardArea>,
    prepared: Vec<PreparedArea>,
    index: RTree<HazardEntry>,
}

impl HazardOverlay {
    /// Prepares the areas and indexes their bounding boxes.
    pub fn new(areas: Vec<HazardArea>) -> HazardOverlay {
        let prepared: Vec<PreparedArea> =
            areas.iter().map(|h| PreparedArea::new(&h.area)).collect();
        let entries = prepared
            .iter()
            .enumerate()
            .filter(|(_, p)| p.bbox().width() > 0.0 || p.bbox().height() > 0.0)
            .map(|(i, p)| {
                GeomWithData::new(
                    Rectangle::from_corners(p.bbox().min().into(), p.bbox().max().into()),
                    i,
                )
            })
            .collect();
        HazardOverlay {
            areas,
            prepared,
            index: RTree::bulk_load(entries),
        }
    }

    /// The roads of `graph` each hazard closes, indexed as `areas` (hazards that close
    /// no road, see [`HazardArea::closes_roads`], close none).
    pub fn road_closures(
        &self,
        graph: &crate::routing::RoadGraph,
    ) -> crate::routing::travel::Closures {
        let none = MultiPolygon::new(Vec::new());
        let areas: Vec<&MultiPolygon<f64>> = self
            .areas
            .iter()
            .map(|h| if h.closes_roads() { &h.area } else { &none })
            .collect();
        crate::routing::travel::Closures::new(graph, &areas)
    }

    /// Indices of the hazards containing the point, ascending.
    pub fn hazards_at(&self, p: geo::Coord<f64>) -> Vec<usize> {
        let mut hits: Vec<usize> = self
            .index
            .locate_all_at_point(&[p.x, p.y])
            .map(|e| e.data)
            .filter(|&i| self.prepared[i].contains(p))
            .collect();
        hits.sort_unstable();
        hits
    }

    /// Every (unit fid, hazard index) pair where an exposure unit meets a hazard, sorted
    /// by unit. Hazard by hazard: the layer's R-tree gives the units in the hazard's bbox
    /// and the prepared area tests each point exactly, so no per-point allocation or
    /// hazard-tree walk is paid by the many points that meet nothing. Hazards are split
    /// across the available cores; each worker checks `deadline` before each hazard.
    pub fn unit_hits(
        &self,
        layer: &Layer,
        deadline: &Deadline,
    ) -> Result<Vec<(u32, u32)>, Expired> {
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(self.areas.len().max(1));
        let chunk = self.areas.len().div_ceil(threads).max(1);
        let pairs: Vec<(u32, u32)> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..self.areas.len())
                .step_by(chunk)
                .map(|start| {
                    scope.spawn(move || {
                        let mut out = Vec::new();
                        for h in start..(start + chunk).min(self.areas.len()) {
                            deadline.check()?;
                            let bb = self.prepared[h].bbox();
                            let env = rstar::AABB::from_corners(bb.min().into(), bb.max().into());
                            for entry in layer.index().locate_in_envelope_intersecting(&env) {
                                // A point's index entry is the point itself: testing it there
                                // saves fetching the feature from memory, which dominates the
                                // cost per candidate at a million points.
                                let r = entry.geom();
                                let hit = if r.lower() == r.upper() {
                                    self.prepared[h].contains(Coord {
                                        x: r.lower()[0],
                                        y: r.lower()[1],
                                    })
                                } else {
                                    self.areas[h]
                                        .area
                                        .intersects(&layer.features()[entry.data as usize].geometry)
                                };
                                if hit {
                                    out.push((entry.data, h as u32));
                                }
                            }
                        }
                        Ok(out)
                    })
                })
                .collect();
            let mut pairs = Vec::new();
            for w in workers {
                pairs.extend(w.join().expect("overlay workers do not panic")?);
            }
            Ok::<_, Expired>(pairs)
        })?;
        // Group by unit with a stable counting sort: linear, and it keeps each unit's
        // hazards in ascending order (workers hold ascending hazard ranges, joined in
        // order). A comparison sort here cost a fifth of the whole overlay.
        let mut start = vec![0u32; layer.len() + 1];
        for &(u, _) in &pairs {
            start[u as usize + 1] += 1;
        }
        for i in 0..layer.len() {
            start[i + 1] += start[i];
        }
        let mut grouped = vec![(0u32, 0u32); pairs.len()];
        for &(u, h) in &pairs {
            grouped[start[u as usize] as usize] = (u, h);
            start[u as usize] += 1;
        }
        Ok(grouped)
    }

    /// Hazards a geometry meets and the share of it inside them (1 for points).
    pub fn hits(&self, g: &Geometry<f64>) -> (Vec<usize>, f64) {
        match g {
            Geometry::Point(p) => {
                let hits = self.hazards_at(p.0);
                let share = if hits.is_empty() { 0.0 } else { 1.0 };
                (hits, share)
            }
            other => {
                let Some(bb) = other.bounding_rect() else {
                    return (Vec::new(), 0.0);
                };
                let env = rstar::AABB::from_corners(bb.min().into(), bb.max().into());
                let mut hits: Vec<usize> = self
                    .index
                    .locate_in_envelope_intersecting(&env)
                    .map(|e| e.data)
                    .filter(|&i| self.areas[i].area.intersects(other))
                    .collect();
                hits.sort_unstable();
                let share = match (other, hits.is_empty()) {
                    (_, true) => 0.0,
                    (Geometry::Polygon(_) | Geometry::MultiPolygon(_), false) => {
                        polygon_share(other, &hits, &self.areas)
                    }
                    _ => 1.0,
                };
                (hits, share)
            }
        }
    }
}

/// Share of a polygon unit's area inside the union of the hazards it meets.
pub(super) fn polygon_share(unit: &Geometry<f64>, hits: &[usize], areas: &[HazardArea]) -> f64 {
    let unit: MultiPolygon<f64> = match unit {
        Geometry::Polygon(p) => MultiPolygon(vec![p.clone()]),
        Geometry::MultiPolygon(mp) => mp.clone(),
        _ => return 1.0,
    };
    let total = area_m2(&unit);
    if total <= 0.0 {
        return 1.0;
    }
    let union = hits
        .iter()
        .skip(1)
        .fold(areas[hits[0]].area.clone(), |acc, &i| {
            acc.union(&areas[i].area)
        });
    (area_m2(&unit.intersection(&union)) / total).clamp(0.0, 1.0)
}
