//! What a layer's report warns about, past its features: what the manifest says that the
//! file does not bear out (a mapped or personal field that never occurs) and where the
//! data is the manifest's guess (defaults used). Apart from validation because none of
//! it refuses anything.

use super::layout::Accepted;
use super::manifest::LayerSpec;
use crate::atlas::Field;
use crate::atlas::suggest::did_you_mean;

/// A warning for each field mapping whose source field is not among the `columns` the
/// reader saw: a misspelt mapping would otherwise leave an attribute silently empty.
pub(super) fn unmatched_mappings(
    spec: &LayerSpec,
    columns: &[String],
    file_label: &str,
) -> Vec<String> {
    spec.rename
        .keys()
        .filter(|source| !columns.iter().any(|c| c == *source))
        .map(|source| {
            let hint = did_you_mean(source, columns.iter().map(String::as_str));
            format!("mapped source field {source:?} does not occur in {file_label}{hint}")
        })
        .collect()
}

/// Fields `personal = [...]` names that the layer does not have: a misspelt name would
/// leave the field it meant unmasked, so it is said.
pub(super) fn unmatched_personal(
    spec: &LayerSpec,
    fields: &[Field],
    file_label: &str,
) -> Vec<String> {
    spec.personal
        .iter()
        .filter(|name| {
            let canonical = spec.rename.get(*name).map_or(name.as_str(), String::as_str);
            !fields
                .iter()
                .any(|f| f.name == **name || f.name == canonical)
        })
        .map(|name| {
            format!(
                "personal field {name:?} does not occur in {file_label}: nothing is masked for it"
            )
        })
        .collect()
}

/// A warning for each default of `[layer.defaults]` that filled some feature's
/// attribute, with how many: the report says where the data is the manifest's guess.
pub(super) fn defaults_used(spec: &LayerSpec, accepted: &[Accepted]) -> Vec<String> {
    let attrs = spec.kind.attrs();
    let mut warnings = Vec::new();
    for (name, value) in &spec.defaults {
        let Some(i) = attrs.iter().position(|a| a.name == name) else {
            continue;
        };
        let n = accepted
            .iter()
            .filter(|a| a.defaulted & (1 << i) != 0)
            .count();
        if n > 0 {
            warnings.push(format!(
                "{n} features lack {name}: filled with the default {value} from atlas.toml"
            ));
        }
    }
    warnings
}
