//! The [`Atlas`]: every layer of a data folder or database, in manifest order, looked
//! up by id, with the layers that failed to load remembered by name.

use super::{BboxWgs84, Layer, LayerId};
use serde::Serialize;
use std::collections::HashMap;

/// A layer the store names but that could not be loaded at all, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedLayer {
    /// The layer's id as the store names it.
    pub id: String,
    /// Why it could not be loaded.
    pub reason: String,
}

/// The whole atlas: layers in manifest order, looked up by id. Layers are shared, so a
/// clone is cheap and an edit rebuilds only the layer it touches.
#[derive(Debug, Default, Clone)]
pub struct Atlas {
    /// The atlas's title (`name` in `atlas.toml`).
    pub name: String,
    /// Credit for the data, shown on the map.
    pub attribution: String,
    layers: Vec<std::sync::Arc<Layer>>,
    by_id: HashMap<LayerId, usize>,
    /// Kept so that a request naming one hears that it failed to load, not that no
    /// such layer exists: the first sends the planner to fix the file, the second to
    /// look for a typo.
    failed: Vec<FailedLayer>,
}

impl Atlas {
    /// An atlas of `layers`, in the order given.
    pub fn new(name: String, attribution: String, layers: Vec<Layer>) -> Self {
        let by_id = layers
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.clone(), i))
            .collect();
        Atlas {
            name,
            attribution,
            layers: layers.into_iter().map(std::sync::Arc::new).collect(),
            by_id,
            failed: Vec::new(),
        }
    }

    /// A copy of the atlas with `more` layers after its own (a scenario's layers packed
    /// beside the data); an id already present is refused by name.
    pub fn with_added(&self, more: Vec<Layer>) -> Result<Atlas, String> {
        let mut next = self.clone();
        for layer in more {
            if next.by_id.contains_key(&layer.id) {
                return Err(format!(
                    "the atlas already has a layer {:?}",
                    layer.id.as_str()
                ));
            }
            next.by_id.insert(layer.id.clone(), next.layers.len());
            next.layers.push(std::sync::Arc::new(layer));
        }
        Ok(next)
    }

    /// The atlas, knowing which layers of its store failed to load.
    pub fn with_failed(mut self, failed: Vec<FailedLayer>) -> Atlas {
        self.failed = failed;
        self
    }

    /// Layers the store names that could not be loaded, with the reason.
    pub fn failed_layers(&self) -> &[FailedLayer] {
        &self.failed
    }

    /// Why layer `id` failed to load, if it did.
    pub fn failed_layer(&self, id: &str) -> Option<&FailedLayer> {
        self.failed.iter().find(|f| f.id == id)
    }

    /// The layers, in manifest order.
    pub fn layers(&self) -> &[std::sync::Arc<Layer>] {
        &self.layers
    }

    /// A copy of the atlas with layer `layer.id` replaced (the others shared).
    pub fn with_layer(&self, layer: Layer) -> Atlas {
        let mut next = self.clone();
        if let Some(&i) = next.by_id.get(&layer.id) {
            next.layers[i] = std::sync::Arc::new(layer);
        }
        next
    }

    /// A copy of the atlas with each layer replaced by `f` of it (ids and order kept;
    /// a layer `f` returns as it is stays shared).
    pub fn map_layers(&self, f: impl Fn(&std::sync::Arc<Layer>) -> std::sync::Arc<Layer>) -> Atlas {
        let mut next = self.clone();
        for layer in &mut next.layers {
            let mapped = f(layer);
            debug_assert_eq!(mapped.id, layer.id, "a mapped layer keeps its id");
            *layer = mapped;
        }
        next
    }

    /// The layer `id`; None for an unknown or invalid id.
    pub fn layer(&self, id: &str) -> Option<&Layer> {
        // Only valid ids are keys, so an invalid one is simply not found.
        self.by_id.get(id).map(|&i| &*self.layers[i])
    }

    /// The features of every layer.
    pub fn feature_count(&self) -> usize {
        self.layers.iter().map(|l| l.len()).sum()
    }

    /// The union of all layer bboxes.
    pub fn bbox(&self) -> Option<BboxWgs84> {
        self.layers
            .iter()
            .filter_map(|l| l.bbox())
            .reduce(BboxWgs84::union)
    }
}
