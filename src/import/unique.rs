//! Values no two features of a layer may share: their ids, and their kind's unique
//! attribute (an admin unit's `code`, by which population, drills and plans name it).
//! One check for a whole file (the later feature is refused) and for an edit against
//! the layer it changes.

use super::layout::{Accepted, Shapes};
use crate::atlas::{Feature, Kind, Layer, Value};
use std::fmt;

/// A feature as a report names it: its index in its file and its id, where known.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRef {
    /// 0-based position in its file; None for a feature already in a layer.
    pub index: Option<usize>,
    /// Its id.
    pub id: Option<String>,
}

impl fmt::Display for FeatureRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.index, &self.id) {
            (Some(i), Some(id)) => write!(f, "index {i}, id {id:?}"),
            (Some(i), None) => write!(f, "index {i}"),
            (None, Some(id)) => write!(f, "feature {id:?}"),
            (None, None) => f.write_str("another feature"),
        }
    }
}

/// A value that an earlier feature already has.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("duplicate {what} {value:?} (first at {first})")]
pub struct Duplicate {
    /// `id`, or the unique attribute's name.
    pub what: &'static str,
    /// The value both have.
    pub value: String,
    /// The feature that had it first, and keeps it.
    pub first: FeatureRef,
}

impl Duplicate {
    /// The message as a report on `file` gives it: the first feature where a person
    /// finds it in that file (a CSV line, a feature counted from 1), as the rejection's
    /// own position is given.
    pub fn in_file(&self, file: &str) -> String {
        let first = match (self.first.index, &self.first.id) {
            (Some(i), id) => {
                let at = super::report::position(file, i);
                let at = at.trim_start();
                match id {
                    Some(id) => format!("{at}, id {id:?}"),
                    None => at.to_string(),
                }
            }
            (None, _) => self.first.to_string(),
        };
        format!(
            "duplicate {} {:?} (first at {first})",
            self.what, self.value
        )
    }
}

/// A repeat among keys: the position of the key, and of the first with the same value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    /// The repeating key's position.
    pub at: usize,
    /// The position of the first key with its value.
    pub first: usize,
}

/// The keys an earlier key equals, in order (`None` keys are never repeats). Borrowed
/// keys and a fast hash: at ten million features, cloning every id into a SipHash map
/// was the single largest cost of a load.
pub fn repeats<'a>(keys: impl ExactSizeIterator<Item = Option<&'a str>>) -> Vec<Repeat> {
    let mut first_of: foldhash::HashMap<&str, usize> = Default::default();
    first_of.reserve(keys.len());
    keys.enumerate()
        .filter_map(|(at, key)| match first_of.entry(key?) {
            std::collections::hash_map::Entry::Occupied(first) => Some(Repeat {
                at,
                first: *first.get(),
            }),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(at);
                None
            }
        })
        .collect()
}

/// Refuses an edited feature whose unique attribute, an admin `code`, another feature
/// of `layer` already has: the check a file gets, with the layer's other features
/// standing first. Apart from
/// [`validate_for_layer`](super::validate::validate_for_layer) because replaying a log
/// checks each record against the layer as loaded, which the records before it have
/// since changed.
pub fn unique_in_layer(layer: &Layer, edited: &Feature) -> Result<(), Duplicate> {
    let Some(attr) = layer.kind.unique_attr() else {
        return Ok(());
    };
    let others: Vec<u32> = (0..layer.len() as u32)
        .filter(|&fid| layer.features()[fid as usize].id != edited.id)
        .collect();
    let value = layer
        .schema
        .position(attr)
        .and_then(|col| edited.attrs[col].as_str());
    let keys: Vec<Option<&str>> = others
        .iter()
        .map(|&fid| layer.value(fid, attr).as_str())
        .chain([value])
        .collect();
    let clash = repeats(keys.into_iter())
        .into_iter()
        .find(|r| r.at == others.len());
    match clash {
        None => Ok(()),
        Some(r) => Err(Duplicate {
            what: attr,
            value: value.unwrap_or_default().to_string(),
            first: FeatureRef {
                index: None,
                id: Some(layer.features()[others[r.first] as usize].id.to_string()),
            },
        }),
    }
}

/// A feature refused for repeating an earlier one's id or unique attribute.
pub(super) struct Repeated {
    /// Position in the source.
    pub(super) index: usize,
    pub(super) id: Option<String>,
    /// The value repeated, and the feature that had it first.
    pub(super) why: Duplicate,
}

/// Removes the features whose id, or value of the kind's unique attribute, an earlier
/// feature already has (the first keeps it), and says which and why. Ids are checked
/// first, so a feature repeating both is refused once.
pub(super) fn refuse_repeats(
    accepted: &mut Vec<Accepted>,
    shapes: &Shapes,
    kind: Kind,
    ids_unique: bool,
) -> Vec<Repeated> {
    let mut refused = Vec::new();
    if !ids_unique {
        let found = repeats(accepted.iter().map(|a| a.id.as_deref()));
        refused.extend(drop_repeats(accepted, &found, |first, a| Duplicate {
            what: "id",
            value: a.id.as_deref().expect("repeated ids exist").to_string(),
            first: FeatureRef {
                index: Some(first.index),
                id: None,
            },
        }));
    }
    let Some(attr) = kind.unique_attr() else {
        return refused;
    };
    let i = kind
        .attrs()
        .iter()
        .position(|a| a.name == attr)
        .expect("a kind's unique attribute is one of its attributes");
    let key = |a: &Accepted| {
        shapes
            .canonical(a, i)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let keys: Vec<Option<String>> = accepted.iter().map(key).collect();
    let found = repeats(keys.iter().map(Option::as_deref));
    refused.extend(drop_repeats(accepted, &found, |first, a| Duplicate {
        what: attr,
        value: key(a).expect("repeated values exist"),
        first: FeatureRef {
            index: Some(first.index),
            id: first.id.as_deref().map(str::to_owned),
        },
    }));
    refused
}

/// Removes the repeats `found` among `accepted`, each explained by `why(first, repeat)`.
fn drop_repeats(
    accepted: &mut Vec<Accepted>,
    found: &[Repeat],
    why: impl Fn(&Accepted, &Accepted) -> Duplicate,
) -> Vec<Repeated> {
    if found.is_empty() {
        return Vec::new();
    }
    let mut keep = vec![true; accepted.len()];
    let refused = found
        .iter()
        .map(|r| {
            keep[r.at] = false;
            let a = &accepted[r.at];
            Repeated {
                index: a.index,
                id: a.id.as_deref().map(str::to_owned),
                why: why(&accepted[r.first], a),
            }
        })
        .collect();
    let mut keep = keep.into_iter();
    accepted.retain(|_| keep.next().expect("one flag per feature"));
    refused
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_repeat_points_at_the_first_key_with_its_value() {
        let keys = [
            Some("a"),
            None,
            Some("b"),
            Some("a"),
            None,
            Some("a"),
            Some("b"),
        ];
        // By hand: "a" first at 0, repeated at 3 and 5; "b" first at 2, repeated at 6.
        assert_eq!(
            repeats(keys.into_iter()),
            [
                Repeat { at: 3, first: 0 },
                Repeat { at: 5, first: 0 },
                Repeat { at: 6, first: 2 }
            ]
        );
    }

    #[test]
    fn a_duplicate_names_the_first_feature_by_index_and_id() {
        let d = Duplicate {
            what: "code",
            value: "510184001".into(),
            first: FeatureRef {
                index: Some(3),
                id: Some("v3".into()),
            },
        };
        assert_eq!(
            d.to_string(),
            r#"duplicate code "510184001" (first at index 3, id "v3")"#
        );
    }
}
