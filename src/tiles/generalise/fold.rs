//! Folding features into cells: a cell's count, representative, sums and rank
//! ([`Accumulator`]), and one zoom's cells from the Morton-sorted anchors
//! ([`build_level`]).

use super::{Level, Rule, Summary};
use crate::atlas::{Layer, Value};

/// Folds a cell's features into its summary, sums and rank.
pub(super) struct Accumulator<'a> {
    layer: &'a Layer,
    sum_fields: &'a [usize],
    rank_field: Option<usize>,
}

impl<'a> Accumulator<'a> {
    pub(super) fn new(
        layer: &'a Layer,
        sum_fields: &'a [usize],
        rank_field: Option<usize>,
    ) -> Self {
        Accumulator {
            layer,
            sum_fields,
            rank_field,
        }
    }

    fn value(&self, fid: u32, field: usize) -> Option<f64> {
        self.layer.features()[fid as usize]
            .attrs
            .get(field)
            .and_then(Value::as_f64)
    }

    fn id(&self, fid: u32) -> &str {
        &self.layer.features()[fid as usize].id
    }

    /// The summary, sums and rank of a non-empty run of fids.
    pub(super) fn cell(
        &mut self,
        fids: impl Iterator<Item = u32>,
    ) -> (Summary, Vec<f64>, Option<f64>) {
        let mut sums = vec![0.0; self.sum_fields.len()];
        let mut count = 0u32;
        let mut best: Option<(f64, u32)> = None;
        for fid in fids {
            count += 1;
            for (sum, &field) in sums.iter_mut().zip(self.sum_fields) {
                *sum += self.value(fid, field).unwrap_or(0.0);
            }
            let rank = self
                .rank_field
                .and_then(|f| self.value(fid, f))
                .unwrap_or(f64::NEG_INFINITY);
            // Ties go to the lowest id, not the lowest fid: a fid is the position a
            // feature was read at, which differs between a folder and a database (and
            // between two scans of one), and a tile must not.
            let better = match best {
                None => true,
                Some((r, f)) => rank > r || (rank == r && self.id(fid) < self.id(f)),
            };
            if better {
                best = Some((rank, fid));
            }
        }
        let (rank, rep) = best.expect("a cell holds a feature");
        let rank = (self.rank_field.is_some() && rank.is_finite()).then_some(rank);
        (Summary { count, rep }, sums, rank)
    }
}

/// The cells at zoom `z` of the features not drawn there.
pub(super) fn build_level(
    layer: &Layer,
    order: &[(u64, u32)],
    first_drawn: &[u8],
    z: u8,
    rule: &Rule,
    sum_fields: &[usize],
    rank_field: Option<usize>,
) -> Level {
    let shift = 2 * u32::from(rule.top_zoom - z);
    let mut level = Level::default();
    let mut acc = Accumulator::new(layer, sum_fields, rank_field);
    let summarised = order
        .iter()
        .filter(|(_, fid)| first_drawn[*fid as usize] > z)
        .map(|&(m, fid)| (m >> shift, fid));
    let mut run: Vec<u32> = Vec::new();
    let mut current: Option<u64> = None;
    let mut flush = |cell: u64, run: &mut Vec<u32>, level: &mut Level| {
        let (summary, sums, rank) = acc.cell(run.drain(..));
        level.cells.push(cell);
        level.summaries.push(summary);
        level.sums.extend(sums);
        if let Some(r) = rank.or(rank_field.map(|_| f64::NAN)) {
            level.ranks.push(r);
        }
    };
    for (c, fid) in summarised {
        if current.is_some_and(|cur| cur != c) {
            flush(current.expect("checked"), &mut run, &mut level);
        }
        current = Some(c);
        run.push(fid);
    }
    if let Some(c) = current {
        flush(c, &mut run, &mut level);
    }
    level
}
