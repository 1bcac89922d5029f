//! Which drill to run: candidate scenarios generated from the layers, each run through
//! impact and evacuation, measured, scored and ranked for drill designers.
//!
//! 1. **candidates** ([`candidates`]): per township, each flood return period present,
//!    each cluster of geohazard points (threat circles within `cluster_gap_m` of one
//!    another), fire-danger zones from a level, earthquakes at the epicentres asked
//!    for, and any scenario the designer supplies;
//! 2. **run**: each candidate on its township's view of the atlas (its villages, its
//!    shelters; see [`crate::service::scope`]), impact then evacuation — the service
//!    layer does this, in parallel;
//! 3. **measure** ([`metrics`]): people affected, vulnerable people, facilities at risk,
//!    people not placed, clearance and mean minutes, supply shortfall, years since the
//!    villages last drilled;
//! 4. **score and rank** ([`score`]): each metric normalised over the candidates
//!    (min–max), a weighted mean with documented default weights, the two or three
//!    metrics that put each candidate where it is in words, the top kept diverse (at
//!    most one scenario per township and hazard kind), or the Pareto set instead.

pub mod candidates;
pub mod card;
pub mod metrics;
pub mod score;

pub use candidates::{Candidate, CandidateOptions, candidates_for};
pub use metrics::{Metrics, measure};
pub use score::{Ranked, Weights, rank};
