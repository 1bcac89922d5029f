//! Admin units for grouping: find a unit's township (or county, or village) by its admin
//! code and the `parent_code` chain, or by location when it has no usable code.

use super::hazards::Contact;
use super::scenario::Level;
use crate::atlas::{Atlas, BboxWgs84, Kind, Layer};
use geo::{Contains, Point};
use std::collections::HashMap;

/// One admin unit of the atlas.
#[derive(Debug, Clone, Copy)]
pub struct AdminRef<'a> {
    /// The admin layer the unit is in.
    pub layer: &'a Layer,
    /// Its feature index in that layer.
    pub fid: u32,
}

impl<'a> AdminRef<'a> {
    fn text(&self, field: &str) -> &'a str {
        self.layer.value(self.fid, field).as_str().unwrap_or("")
    }

    /// The unit's admin code.
    pub fn code(&self) -> &'a str {
        self.text("code")
    }

    /// The unit's name.
    pub fn name(&self) -> &'a str {
        self.text("name")
    }

    /// Its level: county, township, village or grid.
    pub fn level(&self) -> &'a str {
        self.text("level")
    }

    /// A point inside it for a label or a record (its layer's label anchor, else the
    /// anchor of its geometry).
    pub fn label_point(&self) -> Option<geo::Point<f64>> {
        self.layer
            .label_point(self.fid)
            .or_else(|| super::hazards::anchor(&self.layer.features()[self.fid as usize].geometry))
    }

    /// Its duty contact, if it has one.
    pub fn contact(&self) -> Option<Contact> {
        Contact::of(self.layer, self.fid)
    }
}

/// All admin units of an atlas, by code and by place.
pub struct AdminIndex<'a> {
    by_code: HashMap<&'a str, AdminRef<'a>>,
    layers: Vec<&'a Layer>,
}

impl<'a> AdminIndex<'a> {
    /// Indexes every admin layer of the atlas by code and by area.
    pub fn new(atlas: &'a Atlas) -> AdminIndex<'a> {
        let layers: Vec<&Layer> = atlas
            .layers()
            .iter()
            .filter(|l| l.kind == Kind::Admin)
            .map(|l| &**l)
            .collect();
        let mut by_code = HashMap::new();
        for layer in &layers {
            for fid in 0..layer.len() as u32 {
                let unit = AdminRef { layer, fid };
                by_code.entry(unit.code()).or_insert(unit);
            }
        }
        AdminIndex { by_code, layers }
    }

    /// Whether the atlas has no admin units at all.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// The admin unit with this code.
    pub fn by_code(&self, code: &str) -> Option<AdminRef<'a>> {
        self.by_code.get(code).copied()
    }

    /// The unit at `level` that contains (or is) the unit with `code`.
    pub fn at_level(&self, code: &str, level: Level) -> Option<AdminRef<'a>> {
        let mut unit = self.by_code(code)?;
        // Ten hops is deeper than any real hierarchy; it also stops a parent_code cycle.
        for _ in 0..10 {
            if unit.level() == level.code() {
                return Some(unit);
            }
            let parent = unit.layer.value(unit.fid, "parent_code").as_str()?;
            unit = self.by_code(parent)?;
        }
        None
    }

    /// Whether the unit with `code` is `ancestor` or lies within it, by the
    /// `parent_code` chain.
    pub fn is_within(&self, code: &str, ancestor: &str) -> bool {
        let mut code = code;
        // Ten hops is deeper than any real hierarchy; it also stops a parent_code cycle.
        for _ in 0..10 {
            if code == ancestor {
                return true;
            }
            let Some(unit) = self.by_code(code) else {
                return false;
            };
            match unit.layer.value(unit.fid, "parent_code").as_str() {
                Some(parent) => code = parent,
                None => return false,
            }
        }
        false
    }

    /// The unit at `level` whose polygon contains `p`.
    pub fn locate(&self, p: Point<f64>, level: Level) -> Option<AdminRef<'a>> {
        let bbox = BboxWgs84 {
            west: p.x(),
            south: p.y(),
            east: p.x(),
            north: p.y(),
        };
        self.layers.iter().find_map(|layer| {
            layer
                .candidates_in(bbox)
                .into_iter()
                .map(|fid| AdminRef { layer, fid })
                .find(|u| {
                    u.level() == level.code()
                        && layer.features()[u.fid as usize].geometry.contains(&p)
                })
        })
    }
}
