//! "Did you mean …?": the nearest of some names to one that matched none of them.
//!
//! Jaro similarity from `strsim`, the measure and threshold clap uses for its own
//! suggestions: it rewards shared characters in order, so a plural (`shelters`), a
//! dropped letter (`capacty`) or one changed character of a Chinese field name
//! (`重限期` for `重现期`) comes out near, and an unrelated name does not.

/// Below this similarity a name is not offered (clap's threshold).
const NEAR: f64 = 0.7;

/// The name among `names` nearest to `given` (letter case aside), if any is near enough.
pub fn nearest<'a>(given: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let given = given.to_lowercase();
    names
        .into_iter()
        .filter(|name| *name != given)
        .map(|name| (strsim::jaro(&given, &name.to_lowercase()), name))
        .filter(|(similarity, _)| *similarity > NEAR)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}

/// `"; did you mean `name`?"` for the nearest of `names` to `given`, or nothing: to
/// append to a message that says `given` matched nothing.
pub fn did_you_mean<'a>(given: &str, names: impl IntoIterator<Item = &'a str>) -> String {
    nearest(given, names)
        .map(|name| format!("; did you mean `{name}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plural_a_dropped_letter_and_a_changed_character_are_near() {
        let kinds = ["shelter", "school", "flood", "landslide"];
        assert_eq!(nearest("shelters", kinds), Some("shelter"));
        assert_eq!(nearest("Flod", kinds), Some("flood"));
        assert_eq!(nearest("capacty", ["capacity", "name"]), Some("capacity"));
        assert_eq!(nearest("重限期", ["名称", "重现期"]), Some("重现期"));
    }

    #[test]
    fn an_unrelated_name_gets_no_suggestion() {
        assert_eq!(nearest("volcano", ["shelter", "road", "flood"]), None);
        assert_eq!(did_you_mean("volcano", ["shelter", "road"]), "");
    }
}
