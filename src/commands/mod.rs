//! Subcommands of the binary too long to sit in `main.rs`.

pub mod compare;
pub mod drills;
pub mod import;
pub mod pack;
pub mod sheets;
pub mod users;

use anyhow::Context;

/// Plans the evacuation request in `file` (JSON, as `POST /api/evacuation` takes it) on
/// `atlas`: what `--scenario` means to `pack` and `sheets`.
pub fn plan_from_file(
    atlas: &riskatlas::atlas::Atlas,
    file: &std::path::Path,
) -> anyhow::Result<(
    riskatlas::analysis::Impact,
    riskatlas::analysis::evacuation::EvacuationPlan,
)> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let request: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("--scenario {}: not JSON", file.display()))?;
    let graph = riskatlas::routing::RoadGraph::from_atlas(atlas);
    riskatlas::service::analyses::evacuate(atlas, graph.as_ref(), request)
        .with_context(|| format!("--scenario {}", file.display()))
}
