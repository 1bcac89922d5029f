//! The road graph: road layers → a directed graph in compressed sparse rows, built once.
//!
//! Nodes are the distinct vertex positions of the road lines (roads meet where they
//! share a vertex exactly, as in OpenStreetMap and the demo). Every pair of consecutive
//! vertices becomes an arc each way, or one way for `oneway` roads. Arcs carry their
//! length in metres (geodesic) and the road they belong to; travel times come from a
//! [`Profile`] at query time, so walking and driving share one graph.
//!
//! Nodes are numbered along a Hilbert curve over the roads' extent ([`super::order`]), so
//! nodes near each other on the ground sit near each other in memory, where a search
//! reads and writes their state.

use super::hierarchy::Hierarchy;
use super::snap::SegmentIndex;
use crate::atlas::{Atlas, Kind, Layer};
use geo::{Coord, Distance, Geodesic, Geometry, LineString, Point};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Index of a node.
pub type NodeId = u32;

/// A road arc, from the node that owns it (CSR) to `to`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoadArc {
    /// The node it reaches.
    pub to: NodeId,
    /// Its length along the road, metres (geodesic).
    pub length_m: f64,
    /// The road (layer index in the atlas, fid) the arc lies on.
    pub road: (u16, u32),
    /// Runs against a one-way street: walkers may, vehicles may not.
    pub against_oneway: bool,
}

/// Speeds by road class (km/h) and how a profile moves.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// `walk` or `drive`, as plans report it; a prepared hierarchy serves the profile only
    /// while its speeds are the named profile's.
    pub name: &'static str,
    /// One speed for every road, overriding classes (walking, or a request's `speed_kmh`).
    pub uniform_kmh: Option<f64>,
    /// Speed by `road_class`; a road's own `speed_kmh` wins when `use_road_speed`.
    pub class_kmh: Vec<(&'static str, f64)>,
    /// Speed on a road whose class is not listed, km/h.
    pub default_kmh: f64,
    /// Whether a road's own `speed_kmh` beats its class's speed.
    pub use_road_speed: bool,
    /// Whether one-way streets bind (they do not bind people on foot).
    pub respects_oneway: bool,
}

impl Profile {
    /// Walking: 4 km/h on every road — a loaded adult with children and elderly
    /// people, below the 5 km/h of unhurried walking.
    pub fn walk() -> Profile {
        Profile {
            name: "walk",
            uniform_kmh: Some(4.0),
            class_kmh: Vec::new(),
            default_kmh: 4.0,
            use_road_speed: false,
            respects_oneway: false,
        }
    }

    /// Driving: the road's `speed_kmh`, else a speed by class (demo classes and
    /// OpenStreetMap highway values), else 30 km/h.
    pub fn drive() -> Profile {
        Profile {
            name: "drive",
            uniform_kmh: None,
            class_kmh: vec![
                ("motorway", 100.0),
                ("trunk", 80.0),
                ("primary", 60.0),
                ("secondary", 50.0),
                ("tertiary", 40.0),
                ("county", 60.0),
                ("township", 40.0),
                ("village", 20.0),
                ("residential", 25.0),
                ("unclassified", 30.0),
                ("service", 15.0),
                ("track", 15.0),
            ],
            default_kmh: 30.0,
            use_road_speed: true,
            respects_oneway: true,
        }
    }

    /// The profile called `walk` or `drive`.
    pub fn by_name(name: &str) -> Option<Profile> {
        match name {
            "walk" => Some(Profile::walk()),
            "drive" => Some(Profile::drive()),
            _ => None,
        }
    }

    /// Speed on a road feature in km/h.
    pub fn speed_kmh(&self, layer: &Layer, fid: u32) -> f64 {
        if let Some(v) = self.uniform_kmh {
            return v;
        }
        if self.use_road_speed
            && let Some(v) = layer.value(fid, "speed_kmh").as_f64().filter(|v| *v > 0.0)
        {
            return v;
        }
        let class = layer.value(fid, "road_class").as_str().unwrap_or("");
        self.class_kmh
            .iter()
            .find(|(c, _)| *c == class)
            .map_or(self.default_kmh, |(_, v)| *v)
    }
}

/// The graph: nodes with positions, arcs in CSR order.
#[derive(Debug)]
pub struct RoadGraph {
    /// Each node's position, lon/lat, by node id.
    pub nodes: Vec<Coord<f64>>,
    /// Arcs of node n are `arcs[first[n]..first[n + 1]]`.
    first: Vec<u32>,
    arcs: Vec<RoadArc>,
    /// The road layers, by the index arcs refer to.
    pub layers: Vec<usize>,
    derived: Derived,
}

/// What is derived from a graph on first use and kept with it: the segment index for
/// snapping, and a contraction hierarchy per named profile.
#[derive(Default)]
struct Derived {
    segment_index: OnceLock<SegmentIndex>,
    walk: OnceLock<Hierarchy>,
    drive: OnceLock<Hierarchy>,
    /// Seconds per metre of every road under the driving profile.
    drive_pace: OnceLock<super::travel::RoadPace>,
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Derived")
            .field("segment_index", &self.segment_index.get().is_some())
            .field("walk", &self.walk.get().is_some())
            .field("drive", &self.drive.get().is_some())
            .finish()
    }
}

/// Why an atlas has no road graph: a plan then goes in straight lines, unless it asked
/// for roads.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum GraphError {
    /// No layer of kind `road`.
    #[error("the atlas has no road layer")]
    NoRoadLayer,
    /// Road layers, but no line with two distinct points.
    #[error("the road layers hold no usable line (roads need at least two distinct points)")]
    NoUsableRoads,
}

fn key(c: Coord<f64>) -> (u64, u64) {
    (c.x.to_bits(), c.y.to_bits())
}

/// An arc and the node it leaves, before the arcs are grouped by that node.
struct Edge {
    from: NodeId,
    arc: RoadArc,
}

/// The nodes and arcs of the road lines as first found: nodes numbered in order of
/// appearance, arcs in the order of the lines.
#[derive(Default)]
struct Found {
    /// A vertex position (its coordinates' bits) → its node.
    ids: HashMap<(u64, u64), NodeId>,
    nodes: Vec<Coord<f64>>,
    edges: Vec<Edge>,
}

impl Found {
    /// The arcs of every road line of the road layers (`layers`, atlas indices).
    fn roads(atlas: &Atlas, layers: &[usize]) -> Found {
        let mut found = Found::default();
        for (li, &layer_index) in layers.iter().enumerate() {
            let layer = &atlas.layers()[layer_index];
            for (fid, feature) in layer.features().iter().enumerate() {
                let fid = fid as u32;
                let lines: Vec<&LineString<f64>> = match &feature.geometry {
                    Geometry::LineString(l) => vec![l],
                    Geometry::MultiLineString(ml) => ml.0.iter().collect(),
                    _ => continue,
                };
                let oneway = matches!(layer.value(fid, "oneway"), crate::atlas::Value::Bool(true));
                for line in lines {
                    for pair in line.0.windows(2) {
                        if pair[0] != pair[1] {
                            found.segment(pair[0], pair[1], (li as u16, fid), oneway);
                        }
                    }
                }
            }
        }
        found
    }

    /// The node at `c`, numbered when first seen.
    fn node(&mut self, c: Coord<f64>) -> NodeId {
        let nodes = &mut self.nodes;
        *self.ids.entry(key(c)).or_insert_with(|| {
            nodes.push(c);
            (nodes.len() - 1) as NodeId
        })
    }

    /// The arcs of one road segment: `a` → `b` along it, and back (against a one-way
    /// road, for walkers only).
    fn segment(&mut self, a: Coord<f64>, b: Coord<f64>, road: (u16, u32), oneway: bool) {
        let length_m = Geodesic.distance(Point(a), Point(b));
        let (a, b) = (self.node(a), self.node(b));
        self.edges.push(Edge {
            from: a,
            arc: RoadArc {
                to: b,
                length_m,
                road,
                against_oneway: false,
            },
        });
        self.edges.push(Edge {
            from: b,
            arc: RoadArc {
                to: a,
                length_m,
                road,
                against_oneway: oneway,
            },
        });
    }

    /// Renumbers the nodes along a Hilbert curve (see the module doc): their positions
    /// move to their new numbers, and the arcs' ends follow.
    fn renumber(&mut self) {
        let new_id = super::order::hilbert_numbering(&self.nodes);
        let mut renumbered = vec![Coord::zero(); self.nodes.len()];
        for (old, &c) in self.nodes.iter().enumerate() {
            renumbered[new_id[old] as usize] = c;
        }
        self.nodes = renumbered;
        for Edge { from, arc } in &mut self.edges {
            *from = new_id[*from as usize];
            arc.to = new_id[arc.to as usize];
        }
    }
}

/// Arcs grouped by the node they leave (compressed sparse rows): the arcs of node n are
/// `arcs[first[n]..first[n + 1]]`, sorted by the node they reach.
struct Csr {
    first: Vec<u32>,
    arcs: Vec<RoadArc>,
}

impl Csr {
    fn new(node_count: usize, mut edges: Vec<Edge>) -> Csr {
        edges.sort_by_key(|e| (e.from, e.arc.to));
        let mut first = vec![0u32; node_count + 1];
        for e in &edges {
            first[e.from as usize + 1] += 1;
        }
        for i in 0..node_count {
            first[i + 1] += first[i];
        }
        let arcs = edges.into_iter().map(|e| e.arc).collect();
        Csr { first, arcs }
    }
}

impl RoadGraph {
    /// Builds the graph from every road layer of the atlas.
    pub fn from_atlas(atlas: &Atlas) -> Result<RoadGraph, GraphError> {
        let layers: Vec<usize> = atlas
            .layers()
            .iter()
            .enumerate()
            .filter(|(_, l)| l.kind == Kind::Road)
            .map(|(i, _)| i)
            .collect();
        if layers.is_empty() {
            return Err(GraphError::NoRoadLayer);
        }
        let mut found = Found::roads(atlas, &layers);
        if found.edges.is_empty() {
            return Err(GraphError::NoUsableRoads);
        }
        found.renumber();
        let Csr { first, arcs } = Csr::new(found.nodes.len(), found.edges);
        Ok(RoadGraph {
            nodes: found.nodes,
            first,
            arcs,
            layers,
            derived: Derived::default(),
        })
    }

    /// The same roads with every arc turned round: searching it from the shelters gives
    /// each node's time *to* the nearest shelter.
    pub fn reversed(&self) -> RoadGraph {
        let edges: Vec<Edge> = self
            .all_arcs()
            .map(|(from, a)| Edge {
                from: a.to,
                arc: RoadArc { to: from, ..*a },
            })
            .collect();
        let Csr { first, arcs } = Csr::new(self.nodes.len(), edges);
        RoadGraph {
            nodes: self.nodes.clone(),
            first,
            arcs,
            layers: self.layers.clone(),
            derived: Derived::default(),
        }
    }

    /// The mean latitude of the nodes: where local planar approximations are centred.
    pub fn mean_latitude(&self) -> f64 {
        self.nodes.iter().map(|c| c.y).sum::<f64>() / self.nodes.len().max(1) as f64
    }

    /// The index that snaps points onto road segments, built on first use.
    pub fn segment_index(&self) -> &SegmentIndex {
        self.derived
            .segment_index
            .get_or_init(|| SegmentIndex::new(self))
    }

    /// The contraction hierarchy for a named profile as defined (`walk`, `drive`),
    /// prepared on first use; None for a profile with changed speeds. `atlas` must be
    /// the atlas the graph was built from.
    pub fn hierarchy(&self, atlas: &Atlas, profile: &Profile) -> Option<&Hierarchy> {
        let slot = match profile.name {
            "walk" => &self.derived.walk,
            "drive" => &self.derived.drive,
            _ => return None,
        };
        if Profile::by_name(profile.name).as_ref() != Some(profile) {
            return None;
        }
        Some(slot.get_or_init(|| Hierarchy::prepare(atlas, self, profile)))
    }

    /// Each road's pace under a named profile with per-road speeds (`drive`), worked out
    /// on first use and kept; None for other profiles. `atlas` must be the atlas the
    /// graph was built from.
    pub fn road_pace(&self, atlas: &Atlas, profile: &Profile) -> Option<&super::travel::RoadPace> {
        if profile.name != "drive" || Profile::by_name(profile.name).as_ref() != Some(profile) {
            return None;
        }
        Some(
            self.derived
                .drive_pace
                .get_or_init(|| super::travel::road_pace(atlas, self, profile)),
        )
    }

    /// The arcs leaving node `n`, sorted by the node they reach.
    pub fn arcs(&self, n: NodeId) -> &[RoadArc] {
        &self.arcs[self.first[n as usize] as usize..self.first[n as usize + 1] as usize]
    }

    /// The number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The number of arcs (two per two-way segment).
    pub fn arc_count(&self) -> usize {
        self.arcs.len()
    }

    /// Every arc as (from, arc), in CSR order.
    pub fn all_arcs(&self) -> impl Iterator<Item = (NodeId, &RoadArc)> {
        (0..self.nodes.len() as NodeId).flat_map(move |n| self.arcs(n).iter().map(move |a| (n, a)))
    }

    /// The road layer an arc's `road.0` refers to.
    pub fn road_layer<'a>(&self, atlas: &'a Atlas, index: u16) -> &'a Layer {
        &atlas.layers()[self.layers[index as usize]]
    }
}
