//! Analyses over the atlas: pure functions from data to reports.
//!
//! - [`scenario`]: a scenario parsed and checked against the atlas ([`selection`]: which
//!   features of a hazard layer it takes);
//! - [`hazards`]: scenario hazards → hazard areas (buffers, drawn polygons, earthquake
//!   intensity rings from [`earthquake`]);
//! - [`impact`]: who is affected — the overlay and the impact report ([`disclosure`]:
//!   its contacts, counted and masked);
//! - [`facilities`]: shelters and facilities inside hazards, and which shelters close;
//! - [`needs`]: displacement rates and the needs profile;
//! - [`drills`]: candidate drills generated, measured, scored and ranked;
//! - [`compare`]: two scenarios' impacts and plans, and what changes between them;
//! - [`cards`]: what the printable cards state, as data (rendered by [`crate::render`]);
//! - [`assumptions`]: the defaults and data gaps a report states, with their counts;
//! - [`budget`]: what a scenario will cost before it runs, and the deadline it runs to;
//! - [`prepared`], [`geodesy`], [`admin`]: point-in-polygon index, metres on the
//!   ellipsoid, admin-unit lookup.

pub mod admin;
pub mod assumptions;
pub mod budget;
pub mod calls;
pub mod cards;
pub mod compare;
pub mod coverage;
pub mod disclosure;
pub mod drawn;
pub mod drills;
pub mod earthquake;
pub mod evacuation;
pub mod facilities;
pub mod geodesy;
pub mod hazards;
pub mod impact;
pub mod layers;
pub mod needs;
pub mod overlay;
pub mod prepared;
pub mod route;
pub mod scenario;
pub mod selection;
pub mod supply;
pub mod warnings;

pub use impact::{Impact, ImpactReport, analyse, analyse_within};
pub use scenario::{Scenario, ScenarioError};
