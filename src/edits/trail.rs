//! A page of the audit trail, as every store serves it: newest first, filtered by layer
//! and feature, paged by `seq` (`before`), so a client walks a trail of any length a
//! page at a time and a store reads only the records on the page.

use super::EditRecord;

/// Which edits a page of the audit trail holds: those matching `layer` and `id` (when
/// given) with `seq` below `before` (when given), newest first, at most `limit`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrailQuery {
    /// Only edits of this layer.
    pub layer: Option<String>,
    /// Only edits of features with this id.
    pub id: Option<String>,
    /// Only edits older than this `seq` (the `next_before` of the previous page).
    pub before: Option<u64>,
    /// At most this many.
    pub limit: usize,
}

impl TrailQuery {
    /// Whether an edit of `layer`/`id` numbered `seq` belongs on the page.
    pub fn matches(&self, seq: u64, layer: &str, id: &str) -> bool {
        self.before.is_none_or(|b| seq < b)
            && self.layer.as_deref().is_none_or(|l| l == layer)
            && self.id.as_deref().is_none_or(|i| i == id)
    }
}

/// A page of the audit trail.
#[derive(Debug, Default)]
pub struct TrailPage {
    /// The edits, newest first.
    pub edits: Vec<EditRecord>,
    /// When older matching edits remain: the `before` that asks for the next page.
    pub next_before: Option<u64>,
}
