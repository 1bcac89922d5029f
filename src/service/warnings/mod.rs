//! `POST /api/warnings`: a targeted warning's audience — who is inside the area, the
//! facilities and shelters concerned, and the call tree of duty contacts
//! ([`crate::analysis::warnings`]). The area runs through the same
//! [`impact_within`] as `POST /api/impact`, under the request's budget and on the
//! user's jurisdiction.

pub mod desk;
pub mod hook;
pub mod track;

use super::ServiceError;
use super::analyses::impact_within;
use super::budget::Budget;
use super::error::RequestError;
use crate::analysis::Impact;
use crate::analysis::warnings::audience::{Audience, audience};
use crate::analysis::warnings::{Warning, parse};
use crate::atlas::Atlas;
use serde_json::Value as Json;

/// A warning, its impact and its audience.
pub struct WarningAudience {
    /// The warning as checked.
    pub warning: Warning,
    /// Who is inside its area, as the impact analysis counts them.
    pub impact: Impact,
    /// The admin units, facilities, shelters and call tree.
    pub audience: Audience,
}

/// The audience of the warning `body` on `atlas` (the user's view).
pub fn warning_audience(
    atlas: &Atlas,
    body: &Json,
    budget: &Budget,
) -> Result<WarningAudience, ServiceError> {
    let warning = parse(body, atlas).map_err(RequestError::Invalid)?;
    let (_, impact) = impact_within(atlas, &warning.scenario, budget).map_err(|e| match e {
        ServiceError::Scenario(s) => ServiceError::Scenario(s.at("area")),
        other => other,
    })?;
    let audience = audience(atlas, &impact);
    Ok(WarningAudience {
        warning,
        impact,
        audience,
    })
}
