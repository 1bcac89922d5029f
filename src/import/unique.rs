//! Values no two features of a layer may share: their ids, and their kind's unique
//! attribute (an admin unit's `code`, by which population, drills and plans name it).
//! One check for a whole file (the later feature is refused) and for an edit against
//! the layer it changes.

use std::fmt;

/// A feature as a report names it: its index in its file and its id, where known.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRef {
    pub index: Option<usize>,
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
    pub value: String,
    pub first: FeatureRef,
}

/// A repeat among keys: the position of the key, and of the first with the same value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    pub at: usize,
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
