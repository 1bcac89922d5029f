//! Jurisdiction: the part of the atlas a user's scope lets them see, count and edit.
//!
//! A county, its townships and the province share one server; a township's planner
//! must not see, count or edit another township's data. A scope is a list of admin
//! codes (empty: everything). From it:
//!
//! 1. **units**: the admin features whose code is a scope code or descends from one —
//!    through `parent_code`, or, for the twelve-digit statistical codes (GB/T 2260 plus
//!    township and village digits), by their significant prefix (`620524000000` holds
//!    every `620524…`), so a province user sees its counties even when the province's
//!    own polygon is not loaded;
//! 2. **area**: the polygons of the topmost of those units;
//! 3. **view**: every layer cut down to its features in scope — admin layers by code,
//!    population by its `admin_code` where it has one (else by position), every other
//!    layer by its geometry meeting the area. Roads and basemap layers stay whole: they
//!    are shared infrastructure, not anyone's census, and a route stopped at a township
//!    boundary would send people the wrong way;
//! 4. the view is an atlas of its own, so every output — features, tiles, analyses,
//!    plans, cards, exports — is computed on it and cannot count what it does not hold.
//!    Layers kept whole are shared with the full atlas, not copied. A hazard outside
//!    the area is not in the view even when its reach (a landslide's buffer) crosses the
//!    boundary: the people it threatens across the line are the county's to plan, whose
//!    users see both sides.
//!
//! Edits are checked against the same rules on the full atlas ([`Jurisdiction::check_edit`]):
//! a feature out of scope is not found (404, as if absent), and a geometry put outside
//! the area is refused (403).

use super::ServiceError;
use crate::atlas::{Atlas, Kind, Layer};
use crate::edits::Request;
use geo::{BoundingRect, Geometry, Intersects, MultiPolygon, Rect};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A scope resolved against one atlas: which admin units it holds and their area.
#[derive(Debug, Default)]
pub struct Jurisdiction {
    /// The scope codes as given, sorted.
    codes: Vec<String>,
    /// Codes of every admin unit in scope.
    units: HashSet<String>,
    /// The topmost units' polygons, with their bounding boxes.
    area: Vec<(Rect<f64>, MultiPolygon<f64>)>,
}

/// The significant prefix of a twelve-digit statistical code (province 2, city 2,
/// county 2, township 3, village 3 digits; trailing all-zero parts dropped), or None
/// for a code of another shape. Shorter numeric codes (`62`, `6205`, `620524`,
/// `620524100`) are read as their twelve-digit form.
fn significant_prefix(code: &str) -> Option<&str> {
    if !code.bytes().all(|b| b.is_ascii_digit()) || ![2, 4, 6, 9, 12].contains(&code.len()) {
        return None;
    }
    let mut end = code.len();
    for cut in [9, 6, 4, 2] {
        if end > cut && code[cut..end].bytes().all(|b| b == b'0') {
            end = cut;
        }
    }
    Some(&code[..end])
}

impl Jurisdiction {
    /// `scope` resolved against `atlas`'s admin layers.
    pub fn resolve(atlas: &Atlas, scope: &[String]) -> Jurisdiction {
        let mut codes = scope.to_vec();
        codes.sort();
        codes.dedup();
        let admin: Vec<&Layer> = atlas
            .layers()
            .iter()
            .filter(|l| l.kind == Kind::Admin)
            .map(|l| &**l)
            .collect();
        let parents: HashMap<&str, &str> = admin
            .iter()
            .flat_map(|l| (0..l.len() as u32).map(move |fid| (*l, fid)))
            .filter_map(|(l, fid)| {
                Some((
                    l.value(fid, "code").as_str()?,
                    l.value(fid, "parent_code").as_str()?,
                ))
            })
            .collect();
        let prefixes: Vec<&str> = codes.iter().filter_map(|c| significant_prefix(c)).collect();
        let in_scope = |code: &str| {
            let mut at = Some(code);
            let mut steps = 0;
            while let Some(c) = at {
                if codes.iter().any(|s| s == c) {
                    return true;
                }
                // A parent_code cycle in the data must not hang a request.
                steps += 1;
                at = parents.get(c).copied().filter(|_| steps < 16);
            }
            code.len() == 12 && prefixes.iter().any(|p| code.starts_with(p))
        };
        let mut units = HashSet::new();
        let mut members = Vec::new();
        for layer in &admin {
            for fid in 0..layer.len() as u32 {
                if let Some(code) = layer.value(fid, "code").as_str().filter(|c| in_scope(c)) {
                    units.insert(code.to_string());
                    members.push((*layer, fid, code));
                }
            }
        }
        let area = members
            .iter()
            .filter(|(layer, fid, _)| {
                // Topmost: a unit whose parent is not itself in scope.
                layer
                    .value(*fid, "parent_code")
                    .as_str()
                    .is_none_or(|p| !units.contains(p))
            })
            .filter_map(
                |(layer, fid, _)| match &layer.features()[*fid as usize].geometry {
                    Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
                    Geometry::MultiPolygon(mp) => Some(mp.clone()),
                    _ => None,
                },
            )
            .filter_map(|mp| Some((mp.bounding_rect()?, mp)))
            .collect();
        Jurisdiction { codes, units, area }
    }

    /// The same scope resolved against another version of the atlas: an edit of an
    /// admin layer can move a unit, or the area, in or out of it.
    pub fn again(&self, atlas: &Atlas) -> Jurisdiction {
        if self.is_everything() {
            return Jurisdiction::default();
        }
        Jurisdiction::resolve(atlas, &self.codes)
    }

    /// Whether the admin unit `code` is within the scope (everything is, for a user
    /// without one).
    pub fn holds_code(&self, code: &str) -> bool {
        self.codes.is_empty() || self.units.contains(code)
    }

    /// Whether the scope names codes but no admin unit of the atlas holds one (its
    /// user sees no census data).
    pub fn is_empty(&self) -> bool {
        !self.codes.is_empty() && self.units.is_empty()
    }

    /// Whether the scope is everything.
    pub fn is_everything(&self) -> bool {
        self.codes.is_empty()
    }

    /// Whether `geometry` meets the scope's area.
    pub fn covers(&self, geometry: &Geometry<f64>) -> bool {
        let Some(bounds) = geometry.bounding_rect() else {
            return false;
        };
        self.area
            .iter()
            .any(|(rect, mp)| rect.intersects(&bounds) && mp.intersects(geometry))
    }

    /// Whether feature `fid` of `layer` is in scope (see the module doc).
    pub fn holds(&self, layer: &Layer, fid: u32) -> bool {
        if self.is_everything() {
            return true;
        }
        let Some(feature) = layer.feature(fid) else {
            return false;
        };
        match layer.kind {
            Kind::Admin => layer
                .value(fid, "code")
                .as_str()
                .is_some_and(|c| self.units.contains(c)),
            Kind::Population => match layer.value(fid, "admin_code").as_str() {
                Some(code) => self.units.contains(code),
                None => self.covers(&feature.geometry),
            },
            _ => self.covers(&feature.geometry),
        }
    }

    /// Whether a layer of `kind` is cut down to the scope in a view (roads and basemap
    /// are kept whole).
    fn cuts(kind: Kind) -> bool {
        !matches!(kind, Kind::Road | Kind::Basemap)
    }

    /// `atlas` as this scope sees it: every layer but roads and basemap holds only
    /// its features in scope; the others are shared, not copied.
    pub fn view(&self, atlas: &Atlas) -> Atlas {
        if self.is_everything() {
            return atlas.clone();
        }
        atlas.map_layers(|layer| {
            if !Self::cuts(layer.kind) {
                return layer.clone();
            }
            let features = (0..layer.len() as u32)
                .filter(|&fid| self.holds(layer, fid))
                .map(|fid| layer.features()[fid as usize].clone())
                .collect();
            Arc::new(Layer::new(
                layer.id.clone(),
                layer.name.clone(),
                layer.kind,
                layer.schema.clone(),
                features,
            ))
        })
    }

    /// Whether an edit record belongs to the scope's audit trail: a geometry it holds
    /// (before or after) meets the area, or the feature it names is in scope now.
    pub fn touches(&self, atlas: &Atlas, record: &crate::edits::EditRecord) -> bool {
        if self.is_everything() {
            return true;
        }
        let geometry_inside = [&record.before, &record.after]
            .into_iter()
            .flatten()
            .filter_map(|f| geometry_of(f.get("geometry")?))
            .any(|g| self.covers(&g));
        let feature_inside = atlas.layer(&record.layer).is_some_and(|layer| {
            layer
                .fid_of(&record.id)
                .is_some_and(|fid| self.holds(layer, fid))
        });
        geometry_inside || feature_inside
    }

    /// Refuses an edit that reaches outside the scope: the feature it changes or
    /// removes must be in scope (else it is not found, as if absent), and a geometry it
    /// puts in place must meet the area (else 403).
    pub fn check_edit(
        &self,
        atlas: &Atlas,
        layer_id: &str,
        request: &Request,
    ) -> Result<(), ServiceError> {
        if self.is_everything() {
            return Ok(());
        }
        let Some(layer) = atlas.layer(layer_id) else {
            return Ok(()); // the edit itself reports the unknown layer
        };
        let (target, body) = match request {
            Request::Insert { body, .. } => (None, Some(body)),
            Request::Patch { id, body } => (Some(id), Some(body)),
            Request::Delete { id } => (Some(id), None),
        };
        if let Some(id) = target {
            let inside = layer.fid_of(id).is_some_and(|fid| {
                if Self::cuts(layer.kind) {
                    self.holds(layer, fid)
                } else {
                    self.covers(&layer.features()[fid as usize].geometry)
                }
            });
            if !inside {
                return Err(ServiceError::NotFound(format!(
                    "layer {layer_id:?} has no feature with id {id:?}"
                )));
            }
        }
        // One the edit cannot read is refused by the edit itself, naming the fault.
        let geometry = body.and_then(|b| geometry_of(b.get("geometry")?));
        match geometry {
            Some(g) if !self.covers(&g) => Err(ServiceError::Forbidden(format!(
                "the geometry lies outside your jurisdiction ({})",
                self.codes.join(", ")
            ))),
            _ => Ok(()),
        }
    }
}

/// A GeoJSON geometry as `geo`'s, if it reads as one.
fn geometry_of(json: &serde_json::Value) -> Option<Geometry<f64>> {
    if json.is_null() {
        return None;
    }
    let g = serde_json::from_value::<geojson::Geometry>(json.clone()).ok()?;
    crate::import::geometry::to_geo(&g.value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_digit_codes_keep_their_significant_parts() {
        assert_eq!(significant_prefix("629901000000"), Some("629901"));
        assert_eq!(significant_prefix("629901100000"), Some("629901100"));
        assert_eq!(significant_prefix("629901100201"), Some("629901100201"));
        assert_eq!(significant_prefix("620000000000"), Some("62"));
        assert_eq!(significant_prefix("620524"), Some("620524"));
        assert_eq!(significant_prefix("620500"), Some("6205"));
        assert_eq!(significant_prefix("T-01"), None);
        assert_eq!(significant_prefix("12345"), None);
    }
}
