//! What a load says: per layer, what loaded, what was refused and why, what was repaired
//! and what was guessed; for a folder, one such report per layer and the edits that
//! could not be replayed.
//!
//! Apart from validation because more than validation writes it: a file that cannot be
//! read at all, an edit log that does not replay and a PostGIS load end up here too, and
//! `riskatlas check`, the load log and `GET /api/report` read it.

use crate::atlas::FailedLayer;
use serde::Serialize;

/// The validation report of a whole folder: one entry per manifest layer.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LoadReport {
    /// One report per manifest layer, in manifest order.
    pub layers: Vec<LayerReport>,
    /// Logged edits that could not be replayed (they stay in the log).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edit_log: Vec<String>,
}

impl LoadReport {
    /// The report on layer `id`.
    pub fn layer(&self, id: &str) -> Option<&LayerReport> {
        self.layers.iter().find(|l| l.layer == id)
    }

    /// Layers that could not be loaded at all.
    pub fn failed(&self) -> impl Iterator<Item = &LayerReport> {
        self.layers.iter().filter(|l| l.error.is_some())
    }

    /// The failed layers as the atlas keeps them: id and reason.
    pub fn failed_layers(&self) -> Vec<FailedLayer> {
        self.layers
            .iter()
            .filter_map(|l| {
                Some(FailedLayer {
                    id: l.layer.clone(),
                    reason: l.error.clone()?,
                })
            })
            .collect()
    }

    /// Features refused, over every layer.
    pub fn rejected(&self) -> usize {
        self.layers.iter().map(|l| l.rejected).sum()
    }

    /// A human-readable report, as `riskatlas check` prints it.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        for l in &self.layers {
            match &l.error {
                Some(e) => writeln!(out, "{:<16} FAILED  {e}", l.layer),
                None => writeln!(
                    out,
                    "{:<16} {:>8} loaded {:>6} rejected  ({})",
                    l.layer, l.loaded, l.rejected, l.file
                ),
            }
            .expect("writing to a String cannot fail");
            for w in &l.warnings {
                writeln!(out, "    warning: {w}").expect("writing to a String cannot fail");
            }
            let id = |id: &Option<String>| {
                id.as_deref()
                    .map(|id| format!(" (id {id})"))
                    .unwrap_or_default()
            };
            for r in &l.rejections {
                let id = id(&r.id);
                let at = position(&r.file, r.index);
                writeln!(out, "    rejected {}{at}{id}: {}", r.file, r.reason)
                    .expect("writing to a String cannot fail");
            }
            for r in &l.repairs {
                let id = id(&r.id);
                let at = position(&r.file, r.index);
                writeln!(out, "    repaired {}{at}{id}: {}", r.file, r.repair)
                    .expect("writing to a String cannot fail");
            }
        }
        out
    }
}

/// Where the feature at 0-based `index` of `file` is, as a person looking at the file
/// finds it: a CSV's line as a spreadsheet numbers its rows (the header is line 1), any
/// other file's feature counted from 1.
pub fn position(file: &str, index: usize) -> String {
    let lower = file.to_ascii_lowercase();
    if lower.ends_with(".csv") || lower.ends_with(".txt") {
        format!(" line {}", index + 2)
    } else {
        format!(" feature {}", index + 1)
    }
}

/// An error and its causes in one line, `what: why: why`, as a report keeps it. The
/// errors of this module leave their cause out of their own message (it is their
/// source), so `anyhow`'s `{:#}` and this say each part once.
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// A feature refused at import.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Rejection {
    /// The source, as the report names it.
    pub file: String,
    /// 0-based position in the file (CSV: data row, header excluded).
    pub index: usize,
    /// Its id, when it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Why, in words that say what to fix.
    pub reason: String,
}

/// A feature accepted after its geometry was repaired (see [`super::polygon`]).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Repaired {
    /// The source, as the report names it.
    pub file: String,
    /// 0-based position in the file.
    pub index: usize,
    /// Its id, when it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What was wrong and what was done (see [`Repair`](super::polygon::Repair)).
    pub repair: String,
}

/// What happened to one layer at load.
#[derive(Debug, Clone, Serialize, Default)]
pub struct LayerReport {
    /// The layer's id.
    pub layer: String,
    /// Its source, as messages name it (the file's path within the data folder).
    pub file: String,
    /// Features loaded.
    pub loaded: usize,
    /// Features refused: `rejections.len()`.
    pub rejected: usize,
    /// Every refused feature, in file order.
    pub rejections: Vec<Rejection>,
    /// Features loaded with a repaired geometry, and what was done.
    pub repairs: Vec<Repaired>,
    /// What was guessed or filled in (an assumed CRS or encoding, defaults used, a
    /// mapping that matched nothing).
    pub warnings: Vec<String>,
    /// Set when the layer could not be loaded at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
