//! `POST /api/warnings`: a targeted warning's audience — who is inside the area, the
//! facilities and shelters concerned, and the call tree of duty contacts
//! ([`crate::analysis::warnings`]). The area runs through the same
//! [`impact_within`] as `POST /api/impact`, under the request's budget and on the
//! user's jurisdiction.
//!
//! A stateless request has no alert record to number it, so [`alert_message`] makes the
//! CAP identifier from the sending time and a hash of the request.

pub mod desk;
pub mod events;
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
use crate::render::cap::{CapMessage, CapTime, CapToken, MsgType};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};
use std::time::SystemTime;

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

/// The CAP message of a warning sent once, from `body` at `at`: a new alert (`Alert`,
/// nothing referenced) with the warning's status, from `sender` (`sender_name` as
/// people read it). Its identifier, `riskatlas-YYYYMMDDThhmmssZ-<16 hex digits>`, is the
/// sending second and a SHA-256 of the request and the sending nanosecond, so the same
/// request sent twice gets two identifiers.
pub fn alert_message(
    w: &WarningAudience,
    body: &Json,
    sender: &CapToken,
    sender_name: &str,
    at: SystemTime,
) -> CapMessage {
    let sent = CapTime::at(at);
    let nanos = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let digest = Sha256::new()
        .chain_update(body.to_string())
        .chain_update(nanos.to_be_bytes())
        .finalize();
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    // 2026-07-20T06:00:00-00:00 → 20260720T060000Z: digits and letters only.
    let second: String = sent.as_str()[..19]
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    let identifier = format!("riskatlas-{second}Z-{hex}");
    CapMessage {
        identifier: CapToken::parse(&identifier).expect("letters, digits and dashes"),
        sender: sender.clone(),
        sender_name: sender_name.to_string(),
        sent,
        status: w.warning.status,
        msg_type: MsgType::Alert,
        references: Vec::new(),
    }
}
