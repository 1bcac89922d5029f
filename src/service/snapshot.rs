//! Snapshots: one version of the atlas and what is derived from it. Readers take the
//! current one and keep it for the whole request; an edit installs the next one, so a
//! request never sees half an edit.

use crate::atlas::Atlas;
use crate::routing::{GraphError, RoadGraph};
use std::sync::{Arc, OnceLock, RwLock};

type GraphSlot = OnceLock<Result<RoadGraph, GraphError>>;

/// One version of the atlas, with what is derived from it.
pub struct Snapshot {
    /// The atlas of this version.
    pub atlas: Atlas,
    /// Bumped by every edit; tile-cache keys carry it, so no stale tile is served.
    pub generation: u64,
    /// The road graph, built on first use (shared with the next snapshot when an edit
    /// leaves the roads alone).
    road_graph: Arc<GraphSlot>,
}

impl std::ops::Deref for Snapshot {
    type Target = Atlas;
    fn deref(&self) -> &Atlas {
        &self.atlas
    }
}

impl Snapshot {
    /// The first snapshot of an atlas.
    pub fn first(atlas: Atlas) -> Snapshot {
        Snapshot {
            atlas,
            generation: 0,
            road_graph: Arc::default(),
        }
    }

    /// `atlas`, a view of this snapshot's (see [`crate::service::scope`]), as a
    /// snapshot of the same generation. Its road graph is this one's: a view keeps the
    /// road layers whole.
    pub fn view(&self, atlas: Atlas) -> Snapshot {
        Snapshot {
            atlas,
            generation: self.generation,
            road_graph: self.road_graph.clone(),
        }
    }

    /// The snapshot after an edit of this one, holding `atlas`: the road graph carries
    /// over unless the edit touched a road layer, and is then built anew on first use.
    /// What-if edits make one too ([`crate::service::whatif`]); it is never installed, so
    /// its generation never keys a cached tile.
    pub fn after_edit(&self, atlas: Atlas, touches_roads: bool) -> Snapshot {
        Snapshot {
            atlas,
            generation: self.generation + 1,
            road_graph: if touches_roads {
                Arc::default()
            } else {
                self.road_graph.clone()
            },
        }
    }

    /// The road graph (built on first use; `serve` builds it at start-up), or why
    /// there is none.
    pub fn road_graph(&self) -> Result<&RoadGraph, &GraphError> {
        self.road_graph
            .get_or_init(|| {
                let graph = RoadGraph::from_atlas(&self.atlas);
                match &graph {
                    Ok(g) => tracing::info!(
                        nodes = g.node_count(),
                        arcs = g.arc_count(),
                        "road graph built"
                    ),
                    Err(e) => tracing::warn!("no road routing: {e}"),
                }
                graph
            })
            .as_ref()
    }
}

/// The current snapshot, swapped as a whole by each edit.
pub struct Snapshots {
    current: RwLock<Arc<Snapshot>>,
}

impl Snapshots {
    /// Starts from an atlas as loaded.
    pub fn new(atlas: Atlas) -> Snapshots {
        Snapshots {
            current: RwLock::new(Arc::new(Snapshot::first(atlas))),
        }
    }

    /// The current atlas. Take it once per request: an edit may install a new one.
    pub fn current(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Installs `atlas` as the snapshot after `from`. The road graph carries over unless
    /// the edit touched a road layer.
    pub fn install(&self, from: &Snapshot, atlas: Atlas, touches_roads: bool) {
        let next = Arc::new(from.after_edit(atlas, touches_roads));
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = next;
    }
}
