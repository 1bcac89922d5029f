//! Snapshots: one version of the atlas and what is derived from it. Readers take the
//! current one and keep it for the whole request; an edit installs the next one, so a
//! request never sees half an edit.

use crate::atlas::{Atlas, Kind};
use crate::routing::{GraphError, RoadGraph};
use geo::{BoundingRect, Intersects, Rect};
use std::collections::VecDeque;
use std::sync::{Arc, OnceLock, RwLock};

type GraphSlot = OnceLock<Result<RoadGraph, GraphError>>;

/// One version of the atlas, with what is derived from it.
pub struct Snapshot {
    /// The atlas of this version.
    pub atlas: Atlas,
    /// Bumped by every edit; the tile cache checks the edits between the generation a
    /// tile was drawn from and this one (see [`Snapshots::unchanged`]).
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

/// What one installed edit touched, as far as tiles are concerned.
#[derive(Debug, Clone)]
pub struct Touch {
    /// The layer edited.
    pub layer: String,
    /// The box round the edited features' old and new geometry; None when every tile of
    /// the layer may have changed (its generalisation's detail zoom moved).
    pub region: Option<Rect<f64>>,
    /// Whether the layer holds admin units, which decide what every scoped tile shows.
    pub admin: bool,
}

impl Touch {
    /// What editing features `edited` (layer id, feature id) of `before` into `after`
    /// touched. Builds the edited layers' generalisation in `after` (call it off the
    /// async threads), so the detail zooms can be compared.
    pub fn of_edits(before: &Atlas, after: &Atlas, edited: &[(String, String)]) -> Vec<Touch> {
        let mut touches: Vec<Touch> = Vec::new();
        for (layer_id, id) in edited {
            let (old, new) = (before.layer(layer_id), after.layer(layer_id));
            let admin = old.or(new).is_some_and(|l| l.kind == Kind::Admin);
            // A new detail zoom or a new size model (see `tiles::estimate`) may change
            // tiles anywhere in the layer, not only where the feature was.
            let moved = match (old, new) {
                (Some(o), Some(n)) => {
                    let (o, n) = (o.generalised(), n.generalised());
                    o.detail_zoom() != n.detail_zoom() || o.size_model() != n.size_model()
                }
                _ => true,
            };
            let boxes = [old, new]
                .into_iter()
                .flatten()
                .filter_map(|l| l.feature_by_id(id))
                .filter_map(|f| f.geometry.bounding_rect());
            let region = boxes.reduce(|a, b| {
                Rect::new(
                    (a.min().x.min(b.min().x), a.min().y.min(b.min().y)),
                    (a.max().x.max(b.max().x), a.max().y.max(b.max().y)),
                )
            });
            touches.push(Touch {
                layer: layer_id.clone(),
                region: if moved { None } else { region },
                admin,
            });
        }
        touches
    }
}

/// The touches of the latest installs, for the tile cache; older ones are forgotten
/// and a tile drawn before them is drawn again.
#[derive(Default)]
struct Journal {
    entries: VecDeque<(u64, Touch)>,
    forgotten_through: u64,
}

/// How many touches the journal keeps.
const JOURNAL_LEN: usize = 4_096;

/// The current snapshot, swapped as a whole by each edit.
pub struct Snapshots {
    current: RwLock<Arc<Snapshot>>,
    journal: RwLock<Journal>,
}

impl Snapshots {
    /// Starts from an atlas as loaded.
    pub fn new(atlas: Atlas) -> Snapshots {
        Snapshots {
            current: RwLock::new(Arc::new(Snapshot::first(atlas))),
            journal: RwLock::default(),
        }
    }

    /// The current atlas. Take it once per request: an edit may install a new one.
    pub fn current(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Installs `atlas` as the snapshot after `from`, which `touched` says what of it
    /// changed. The road graph carries over unless the edit touched a road layer.
    pub fn install(&self, from: &Snapshot, atlas: Atlas, touches_roads: bool, touched: Vec<Touch>) {
        let next = Arc::new(from.after_edit(atlas, touches_roads));
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        {
            // Journal first: a request that reads the new snapshot must find its touches.
            let mut journal = self.journal.write().unwrap_or_else(|e| e.into_inner());
            for touch in touched {
                journal.entries.push_back((next.generation, touch));
            }
            while journal.entries.len() > JOURNAL_LEN {
                if let Some((generation, _)) = journal.entries.pop_front() {
                    journal.forgotten_through = generation;
                }
            }
        }
        *current = next;
    }

    /// Whether no edit after generation `since` touched a tile of `layers` (comma-joined
    /// ids) whose buffered bounds are `bounds`; `scoped`: the tile was cut for a
    /// jurisdiction, which any admin edit may change.
    pub fn unchanged(&self, since: u64, layers: &str, scoped: bool, bounds: Rect<f64>) -> bool {
        let journal = self.journal.read().unwrap_or_else(|e| e.into_inner());
        if since < journal.forgotten_through {
            return false;
        }
        let later = journal.entries.iter().rev().take_while(|(g, _)| *g > since);
        for (_, touch) in later {
            if scoped && touch.admin {
                return false;
            }
            if layers.split(',').any(|l| l == touch.layer)
                && touch.region.is_none_or(|r| r.intersects(&bounds))
            {
                return false;
            }
        }
        true
    }
}
