//! How much one analysis request may cost: a cap on its estimated work, checked before
//! it runs, and a time limit its long loops check while it runs (see
//! [`crate::analysis::budget`] for why each). The server sets both from its flags; the
//! command line runs unbudgeted, since whoever runs it pays for it.

use super::error::ServiceError;
use crate::analysis::Scenario;
use crate::analysis::budget::{Deadline, Work, estimate};
use crate::atlas::Atlas;
use std::time::Duration;

/// Default cap on a scenario's work ([`Work::total`]): hazard areas plus the (exposure
/// unit, area) pairs whose bboxes meet. A flood layer over the demo county is about
/// 2,700, every landslide with its own radius about 200, an M7 earthquake about 1,000;
/// the probed attack (100 × every landslide with a 50 km buffer) is 3.3 million. Two
/// million pairs take about a second and a few hundred MB, and answer tens of MB.
pub const DEFAULT_MAX_WORK: u64 = 2_000_000;

/// Default time limit of one analysis request: far beyond any analysis of a county
/// (the demo's heaviest plan takes under a second), short enough that a runaway one
/// frees its worker thread.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(60);

/// The cap and deadline one request runs under.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Most work a scenario may ask for ([`Work::total`]).
    pub max_work: u64,
    /// When the analysis must stop.
    pub deadline: Deadline,
}

impl Budget {
    /// No cap and no deadline.
    pub fn unlimited() -> Budget {
        Budget {
            max_work: u64::MAX,
            deadline: Deadline::none(),
        }
    }

    /// `max_work`, and a deadline `time_limit` from now.
    pub fn new(max_work: u64, time_limit: Duration) -> Budget {
        Budget {
            max_work,
            deadline: Deadline::after(time_limit),
        }
    }

    /// The scenario's work, or why it is refused: over the cap, with the estimate and
    /// what to change.
    pub fn admit(&self, atlas: &Atlas, scenario: &Scenario) -> Result<Work, ServiceError> {
        if self.max_work == u64::MAX {
            return Ok(Work::default());
        }
        let work = estimate(atlas, scenario, self.max_work);
        if work.total() <= self.max_work {
            return Ok(work);
        }
        Err(ServiceError::OverBudget(format!(
            "the scenario asks for too much work: at least {} hazard areas and {} (unit, area) \
             pairs to test, over the limit of {} in one request; narrow it with fewer hazards, \
             a \"where\" filter on layer hazards or a smaller buffer_m (one hazard naming a layer \
             stands for every feature of it)",
            work.areas, work.pairs, self.max_work
        )))
    }
}
