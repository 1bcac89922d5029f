//! Which layer a collection id names: an atlas layer, or a layer of a scenario analysed
//! on this server — `impact-{scenario_key}-affected` (the affected units, with their
//! people) and `impact-{scenario_key}-hazards` (the hazard areas), the key being the
//! `scenario_key` of a `POST /api/impact` answer; and an evacuation plan's
//! `plan-{key}-routes` (who goes where, how many, how long), `-affected` and `-hazards`,
//! named in a `POST /api/evacuation` answer. So QGIS can load a plan made in the web
//! page. These layers live as long as a scenario's map tiles do.

use super::super::impact::scope_tag;
use super::super::layers::unknown_layer;
use super::super::{ApiError, AppState, Snapshot};
use crate::analysis::layers::{AFFECTED_LAYER, HAZARDS_LAYER, ROUTES_LAYER};
use crate::atlas::Layer;
use crate::service::access::Identity;
use std::sync::Arc;

/// The prefix of a scenario's collections.
pub const IMPACT_PREFIX: &str = "impact-";
/// The prefix of an evacuation plan's collections (the key it is remembered under
/// starts with it).
pub const PLAN_PREFIX: &str = "plan-";

/// A collection's layer and what keeps it alive.
pub enum Source {
    /// A layer of the atlas as `who` sees it.
    Atlas(Arc<Snapshot>, String),
    /// One of a scenario's layers.
    Scenario(Arc<Vec<Layer>>, usize),
}

impl Source {
    /// The collection `id` for `who`: 404 naming it when there is none.
    pub async fn find(state: &AppState, who: &Identity, id: &str) -> Result<Source, ApiError> {
        if let Some(rest) = id.strip_prefix(PLAN_PREFIX) {
            return scenario(
                state,
                who,
                &format!("{PLAN_PREFIX}{rest}"),
                &[ROUTES_LAYER, AFFECTED_LAYER, HAZARDS_LAYER],
            )
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "no collection {id:?}: a plan's collections are \
                         plan-{{key}}-routes, -affected and -hazards, for a plan POSTed to \
                         /api/evacuation on this server that has not expired"
                ))
            });
        }
        if let Some(rest) = id.strip_prefix(IMPACT_PREFIX) {
            return scenario(state, who, rest, &[AFFECTED_LAYER, HAZARDS_LAYER]).ok_or_else(|| {
                ApiError::not_found(format!(
                    "no collection {id:?}: a scenario's collections are \
                     impact-{{scenario_key}}-affected and -hazards, for a scenario POSTed to \
                     /api/impact on this server that has not expired"
                ))
            });
        }
        let atlas = state.snapshot_for(who).await?;
        atlas.layer(id).ok_or_else(|| unknown_layer(id))?;
        Ok(Source::Atlas(atlas, id.to_string()))
    }

    /// The layer.
    pub fn layer(&self) -> &Layer {
        match self {
            Source::Atlas(atlas, id) => atlas.layer(id).expect("found when the source was"),
            Source::Scenario(layers, i) => &layers[*i],
        }
    }
}

/// `{key}-{layer}` among the scenarios analysed in `who`'s scope, `layer` one of
/// `names`.
fn scenario(state: &AppState, who: &Identity, rest: &str, names: &[&str]) -> Option<Source> {
    let (key, name) = rest.rsplit_once('-')?;
    // A scenario analysed in another scope is not this user's to see.
    if !key.ends_with(&format!("-{}", scope_tag(&who.scope))) || !names.contains(&name) {
        return None;
    }
    let layers = state.scenario_layers(key)?;
    let index = layers.iter().position(|l| l.id.as_str() == name)?;
    Some(Source::Scenario(layers, index))
}
