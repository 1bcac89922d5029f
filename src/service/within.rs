//! `within`: an analysis kept to some admin units. A request body may carry
//! `"within": ["629901106000", ...]`; the analysis then runs on the view of those units
//! (their villages, population and shelters, roads whole — as a user whose jurisdiction
//! they were would see it), inside the user's own view. The drill ranking measures each
//! candidate on its township's view and returns its scenario with `within` set, so the
//! map, the comparison and the card of a ranked row run on what the row measured.

use super::error::RequestError;
use super::scope::Jurisdiction;
use super::snapshot::Snapshot;
use serde_json::Value as Json;

/// The key a request names its units under.
pub const WITHIN: &str = "within";

/// The most admin units one `within` names.
pub const MAX_WITHIN: usize = 500;

/// Takes `within` out of `body`; returns the view of `snapshot` (the user's) it names,
/// or None when the body has none.
pub fn take_within(snapshot: &Snapshot, body: &mut Json) -> Result<Option<Snapshot>, RequestError> {
    let Some(value) = body.as_object_mut().and_then(|o| o.remove(WITHIN)) else {
        return Ok(None);
    };
    let codes: Vec<String> = serde_json::from_value(value)
        .map_err(|_| RequestError::Invalid("within must be a list of admin codes".into()))?;
    if codes.is_empty() || codes.len() > MAX_WITHIN {
        return Err(RequestError::Invalid(format!(
            "within: name 1 to {MAX_WITHIN} admin units"
        )));
    }
    let jurisdiction = Jurisdiction::resolve(snapshot, &codes);
    if jurisdiction.is_empty() {
        return Err(RequestError::Invalid(format!(
            "within: none of {codes:?} is an admin unit you can see"
        )));
    }
    Ok(Some(snapshot.view(jurisdiction.view(snapshot))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snapshot() -> Snapshot {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo");
        Snapshot::first(crate::import::load_folder(&dir).unwrap().atlas)
    }

    #[test]
    fn within_cuts_to_the_units_named_and_leaves_the_rest_of_the_body() {
        let s = snapshot();
        let mut body = json!({"hazards": [], "within": ["629901106000"]});
        let view = take_within(&s, &mut body).unwrap().expect("a view");
        assert_eq!(body, json!({"hazards": []}));
        let villages = view.layer("villages").unwrap();
        assert!(!villages.is_empty() && villages.len() < s.layer("villages").unwrap().len());
        for fid in 0..villages.len() as u32 {
            assert_eq!(
                villages.value(fid, "parent_code").as_str(),
                Some("629901106000")
            );
        }
        let mut none = json!({"hazards": []});
        assert!(take_within(&s, &mut none).unwrap().is_none());
    }

    #[test]
    fn a_bad_within_is_refused_naming_it() {
        let s = snapshot();
        for (within, words) in [
            (json!("629901106000"), "a list of admin codes"),
            (json!([]), "1 to 500"),
            (json!(["000000000000"]), "none of"),
        ] {
            let mut body = json!({"within": within});
            let Err(e) = take_within(&s, &mut body) else {
                panic!("{words}: accepted");
            };
            let e = e.to_string();
            assert!(e.contains(words), "{e}");
        }
    }
}
