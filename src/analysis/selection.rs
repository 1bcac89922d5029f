//! Which features of a hazard layer a scenario takes: the `ids` it names (a drill of one
//! cluster of landslide points) and its `where` filter.

use super::scenario::ScenarioError;
use crate::atlas::{Filter, Layer};

/// Which features of a hazard layer a scenario takes: those named by `ids` (all when
/// none are named) that match `where` (all without one).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// The `where` filter.
    pub filter: Option<Filter>,
    /// The fids of the features `ids` named, ascending (None: every feature).
    pub fids: Option<Vec<u32>>,
}

impl Selection {
    /// The fids of `layer` selected, ascending.
    pub fn fids<'l>(&'l self, layer: &'l Layer) -> impl Iterator<Item = u32> + 'l {
        let named: Box<dyn Iterator<Item = u32> + 'l> = match &self.fids {
            Some(fids) => Box::new(fids.iter().copied()),
            None => Box::new(0..layer.len() as u32),
        };
        named.filter(move |&fid| {
            self.filter
                .as_ref()
                .is_none_or(|f| f.matches(&layer.features()[fid as usize].attrs))
        })
    }
}

/// The most feature ids one hazard may name.
pub const MAX_HAZARD_IDS: usize = 10_000;

/// The fids of the features `ids` names in `layer`; an unknown id is an error naming it.
pub(super) fn feature_fids(layer: &Layer, ids: &[String]) -> Result<Vec<u32>, ScenarioError> {
    if ids.is_empty() || ids.len() > MAX_HAZARD_IDS {
        return Err(ScenarioError::Invalid(format!(
            "ids: name 1 to {MAX_HAZARD_IDS} features of layer {:?} (or leave ids out for all)",
            layer.id.as_str()
        )));
    }
    let mut fids = ids
        .iter()
        .map(|id| {
            layer.fid_of(id).ok_or_else(|| {
                ScenarioError::Invalid(format!(
                    "ids: layer {:?} has no feature with id {id:?}",
                    layer.id.as_str()
                ))
            })
        })
        .collect::<Result<Vec<u32>, _>>()?;
    fids.sort_unstable();
    fids.dedup();
    Ok(fids)
}
