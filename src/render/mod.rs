//! Rendering, in one place: the impact report, evacuation plans and the printable cards
//! as JSON, GeoJSON, CSV and HTML. The analyses hand over data; this module decides how
//! it reads. The API and the CLI both go through [`impact`] and [`plan`], so a format
//! looks the same whichever asked for it.
//!
//! - [`palette`]: the warning colours and their names, defined once;
//! - [`spreadsheet`]: CSV with a byte-order mark and cells that cannot run as formulas;
//! - `impact`, `plan`: GeoJSON and CSV of a report and of a plan, and the report page;
//! - `cards`: the village and shelter cards;
//! - `compare`: a comparison of two scenarios as a diff layer;
//! - `drill_card`: the drill card, with its map drawn by `sketch`;
//! - `warnings`: a warning's audience, call tree and recipient list;
//! - [`cap`]: a warning as a Common Alerting Protocol 1.2 alert (XML through quick-xml).
//! - `call_sheets`: an issued warning's printable call sheets, one page per township.
//!
//! HTML comes from templates in `src/render/templates/` (a base page, a print style
//! sheet, one template per page) through **askama**: templates are compiled into the
//! binary and type-checked with it, so a misspelt field fails the build rather than a
//! duty officer's printout, nothing is read from disk at run time (the server ships as
//! one file), and every `{{ value }}` in an `.html` template passes through askama's
//! HTML escaper. That escaper is the one escaping function: no page writes HTML by
//! hand, and no template marks a value `|safe`. minijinja was the other candidate; it
//! parses templates at run time, which would give up the build-time check for a
//! flexibility (templates edited without a rebuild) we do not need.

pub mod cap;
pub mod labels;
pub mod palette;
pub mod sheet;
pub mod spreadsheet;
pub mod tidy;

mod basemap;
mod call_sheets;
mod cards;
mod compare;
mod drill_card;
mod impact;
mod plan;
mod route_map;
mod sketch;
mod warnings;

pub use call_sheets::call_sheets_html;
pub use cap::cap_xml;
pub use cards::{NO_DATA, count_or_no_data, shelter_cards, village_cards};
pub use drill_card::{drill_card_geojson, drill_card_html};
pub use warnings::{
    recipients_csv, state_colour, warning_geojson, warning_json, warning_state_geojson,
};

use crate::analysis::Impact;
use crate::analysis::evacuation::EvacuationPlan;
use crate::atlas::{Atlas, Disclosure};
use serde_json::Value;

/// What shape an answer takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The data as JSON.
    Json,
    /// A map layer: a GeoJSON FeatureCollection.
    GeoJson,
    /// A table for spreadsheets.
    Csv,
    /// A printable page.
    Html,
    /// A CAP 1.2 alert: a warning's only (`POST /api/warnings?format=cap`).
    Cap,
}

impl Format {
    /// The format as `?format=` and the access audit spell it.
    pub fn code(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::GeoJson => "geojson",
            Format::Csv => "csv",
            Format::Html => "html",
            Format::Cap => "cap",
        }
    }
}

/// A rendered answer. JSON stays a value so that each edge writes it its own way (the
/// API compactly, the CLI indented for people).
#[derive(Debug)]
pub enum Output {
    /// JSON or GeoJSON.
    Json(Value),
    /// CSV text, byte-order mark first.
    Csv(String),
    /// A self-contained HTML page.
    Html(String),
    /// A CAP 1.2 alert document.
    Cap(String),
}

/// Why rendering failed: each is a bug (a value JSON cannot hold, a template that
/// cannot write, a route asking for a form an answer does not have), never the
/// request's fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RenderError {
    /// serde_json refused a value (a map whose keys are not strings).
    #[error("the answer cannot be written as JSON")]
    Json(#[source] serde_json::Error),
    /// A template's value failed to format.
    #[error("a page template failed")]
    Template(#[source] askama::Error),
    /// A route let through a format this answer has no form in.
    #[error("{what} has no {format} form")]
    NoForm {
        /// The answer.
        what: &'static str,
        /// The format asked for.
        format: &'static str,
    },
}

impl From<serde_json::Error> for RenderError {
    fn from(e: serde_json::Error) -> RenderError {
        RenderError::Json(e)
    }
}

impl From<askama::Error> for RenderError {
    fn from(e: askama::Error) -> RenderError {
        RenderError::Template(e)
    }
}

/// The impact report as `format`: the report itself, its hazard areas and affected
/// units as GeoJSON, one CSV row per admin unit, or the printable page.
/// Personal data is shown as `disclosure` says, in every format.
pub fn impact(
    impact: &Impact,
    atlas: &Atlas,
    format: Format,
    disclosure: Disclosure,
) -> Result<Output, RenderError> {
    let report = impact.report.shown(disclosure);
    Ok(match format {
        Format::Json => Output::Json(serde_json::to_value(&*report)?),
        // Hazard areas and units only: no contact is drawn on the map.
        Format::GeoJson => Output::Json(impact::geojson(impact, atlas)),
        Format::Csv => Output::Csv(impact::csv_by_admin(&report)),
        Format::Html => Output::Html(impact::html(&report, &atlas.name)?),
        Format::Cap => return Err(no_form("an impact report", format)),
    })
}

/// CAP is a warning's format: the impact and evacuation routes never parse it.
fn no_form(what: &'static str, format: Format) -> RenderError {
    RenderError::NoForm {
        what,
        format: format.code(),
    }
}

/// An evacuation plan as `format`: the plan itself, its routes as GeoJSON, one CSV row
/// per assignment and per unit not placed, or the village cards (the page a plan is
/// printed as; the shelter cards are [`shelter_cards`]). `whole` is the same request
/// keeping villages whole, offered on the cards of villages `plan` splits
/// (`service::analyses::whole_village_alternative`).
pub fn plan(
    plan: &EvacuationPlan,
    impact: &Impact,
    atlas: &Atlas,
    format: Format,
    disclosure: Disclosure,
    whole: Option<&EvacuationPlan>,
) -> Result<Output, RenderError> {
    Ok(match format {
        // A plan names units and shelters, never people: only its cards carry contacts.
        Format::Json => Output::Json(serde_json::to_value(plan)?),
        Format::GeoJson => Output::Json(plan::geojson(plan)),
        Format::Csv => Output::Csv(plan::csv(plan)),
        Format::Html => {
            let cards = village_cards(atlas, impact, plan, whole, None, disclosure)?;
            Output::Html(cards)
        }
        Format::Cap => return Err(no_form("an evacuation plan", format)),
    })
}

/// A comparison as `format`: the comparison itself, or its units as a GeoJSON diff
/// layer (coloured by `change`), drawn from the atlases sides a and b ran on. A
/// comparison names units and shelters, never people, so it has no disclosure to apply.
pub fn comparison(
    comparison: &crate::analysis::compare::Comparison,
    atlas_a: &Atlas,
    atlas_b: &Atlas,
    format: Format,
) -> Result<Output, RenderError> {
    Ok(match format {
        Format::GeoJson => Output::Json(compare::geojson(comparison, atlas_a, atlas_b)),
        _ => Output::Json(serde_json::to_value(comparison)?),
    })
}
