//! Replaying logged records over a freshly loaded atlas (start-up, compaction, and a
//! PostGIS server catching up with the others).
//!
//! Whole-state records (inserts, deletes, updates from before diffs) say what a feature
//! is; an update diff says what changed, so it is applied to the feature as it stands
//! at that point of the replay. Layer files hold either none of a log's edits or all of
//! them (compaction replaces each file whole), so over files that already hold them a
//! diff may meet a feature a later record deletes or re-inserts: such a diff cannot be
//! applied, and need not be, since the later record decides the feature's state. Only a
//! diff that nothing later supersedes is reported.

use super::{Change, EditRecord, diff, parse_feature, rebuilt};
use crate::atlas::{Atlas, Feature, Layer};
use std::collections::{BTreeMap, HashMap};

/// One layer's changes so far.
struct Replaying<'a> {
    layer: &'a Layer,
    changes: Vec<Change>,
    /// Index in `changes` of each id's latest change.
    latest: HashMap<String, usize>,
    /// Diffs that could not be applied, by feature id, unless a later whole-state
    /// record for the id supersedes them.
    unresolved: BTreeMap<String, String>,
}

impl<'a> Replaying<'a> {
    /// The feature `id` as the replay has it so far (None: absent).
    fn current(&self, id: &str) -> Option<&Feature> {
        match self.latest.get(id) {
            Some(&i) => self.changes[i].1.as_ref(),
            None => {
                let fid = self.layer.fid_of(id)?;
                self.layer.features().get(fid as usize)
            }
        }
    }

    fn push(&mut self, id: &str, change: Option<Feature>) {
        self.latest.insert(id.to_string(), self.changes.len());
        self.changes.push((id.to_string(), change));
    }
}

/// Replays logged records over a freshly loaded atlas, one rebuild per touched layer.
/// Records are state-based, so records already folded into the files change nothing.
/// A record that no longer fits its layer (the files were changed by hand) is reported
/// and left in the log, never dropped.
pub fn replay(atlas: &Atlas, records: &[EditRecord]) -> (Atlas, Vec<String>) {
    let mut problems = Vec::new();
    let mut layers: Vec<Replaying> = Vec::new();
    for r in records {
        let Some(layer) = atlas.layer(&r.layer) else {
            problems.push(format!(
                "edit {} names layer {:?}, which is not loaded",
                r.seq, r.layer
            ));
            continue;
        };
        let state = match layers.iter().position(|s| s.layer.id == layer.id) {
            Some(i) => &mut layers[i],
            None => {
                layers.push(Replaying {
                    layer,
                    changes: Vec::new(),
                    latest: HashMap::new(),
                    unresolved: BTreeMap::new(),
                });
                layers.last_mut().expect("just pushed")
            }
        };
        let described = || format!("edit {} ({} {:?})", r.seq, r.layer, r.id);
        if r.is_diff() {
            let applied = match (state.current(&r.id), &r.after) {
                (Some(base), Some(after)) => diff::apply(layer, &r.id, base, after)
                    .map_err(|e| format!("{}: {e}", described())),
                (None, _) => Err(format!(
                    "{}: changes a feature the layer does not have",
                    described()
                )),
                (Some(_), None) => Err(format!("{}: an update without `after`", described())),
            };
            match applied {
                Ok(feature) => state.push(&r.id, Some(feature)),
                Err(problem) => {
                    state.unresolved.insert(r.id.clone(), problem);
                }
            }
            continue;
        }
        let change = match &r.after {
            None => None,
            Some(after) => match parse_feature(layer, &r.id, after) {
                Ok(v) => Some(v.feature),
                Err(e) => {
                    problems.push(format!("{}: {e}", described()));
                    continue;
                }
            },
        };
        state.unresolved.remove(&r.id);
        state.push(&r.id, change);
    }
    let mut next = atlas.clone();
    for state in layers {
        problems.extend(state.unresolved.into_values());
        next = next.with_layer(rebuilt(state.layer, state.changes));
    }
    (next, problems)
}
