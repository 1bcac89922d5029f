//! What an impact report assumed, in sentences a planner can check: every default the
//! analysis applied, with the number of hazards, units or shelters it applied to, and
//! every gap in the data that was left uncounted rather than read as zero.

use super::impact::{AffectedUnit, GROUPS};
use crate::atlas::Layer;

/// The vulnerable-group counts the exposure layer lacks or some affected units lack.
pub fn missing_counts(exposure: &Layer, units: &[AffectedUnit]) -> Vec<String> {
    let mut out = Vec::new();
    for (field, value) in GROUPS {
        if exposure.schema.position(field).is_none() {
            out.push(format!(
                "the exposure layer {:?} has no {field} field: {field} are reported as null (no data), not 0",
                exposure.id.as_str()
            ));
            continue;
        }
        let lacking = units.iter().filter(|u| value(u).is_none()).count();
        if lacking > 0 {
            out.push(format!(
                "{field}: {lacking} of {} affected units have no value; their {field} are not counted",
                units.len()
            ));
        }
    }
    out
}
