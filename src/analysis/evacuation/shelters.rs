//! Which shelters a plan may fill, and why the others may not.
//!
//! A shelter is *usable* when it is open (no `status`, or `open`), not closed by one of
//! the scenario's hazards (the impact report's `facilities` say which, and by what
//! rule), and has room left: `capacity` (or `capacity_night` at night) minus `occupancy`.
//! Every other shelter is kept too, with why it is out, so a plan can tell a village
//! "the shelters within reach are full" apart from "the hazard closed them".

use super::super::hazards::anchor;
use super::super::impact::Impact;
use super::super::scenario::Period;
use crate::atlas::{Atlas, Kind, Layer};
use geo::Point;
use std::collections::HashMap;

/// Why a shelter cannot take evacuees, or that it can.
#[derive(Debug, Clone, PartialEq)]
pub enum Availability {
    /// Open with room: index into [`Shelters::usable`].
    Usable(usize),
    /// Open but without room (occupancy at capacity), or marked `full`.
    Full,
    /// Marked `closed` (or any status other than open and full) by the bureau.
    ClosedByStatus(String),
    /// Inside a hazard of the scenario that closes it; the rule that closed it.
    ClosedByHazard(String),
}

/// A shelter that may take evacuees.
#[derive(Debug, Clone)]
pub struct Shelter<'a> {
    pub layer: &'a Layer,
    pub fid: u32,
    pub point: Point<f64>,
    /// Places left.
    pub room: i64,
    /// Its position in [`Shelters::all`].
    pub index_in_all: usize,
}

impl Shelter<'_> {
    pub fn id(&self) -> String {
        self.layer.features()[self.fid as usize].id.to_string()
    }

    pub fn name(&self) -> Option<String> {
        self.layer
            .value(self.fid, "name")
            .as_str()
            .map(str::to_string)
    }
}

/// Any shelter of the atlas, usable or not.
#[derive(Debug, Clone)]
pub struct AnyShelter<'a> {
    pub layer: &'a Layer,
    pub fid: u32,
    pub point: Point<f64>,
    pub availability: Availability,
}

impl AnyShelter<'_> {
    pub fn id(&self) -> String {
        self.layer.features()[self.fid as usize].id.to_string()
    }

    pub fn name(&self) -> Option<String> {
        self.layer
            .value(self.fid, "name")
            .as_str()
            .map(str::to_string)
    }
}

/// Every shelter of the atlas for one scenario.
#[derive(Debug)]
pub struct Shelters<'a> {
    /// The shelters a plan may fill.
    pub usable: Vec<Shelter<'a>>,
    /// All shelters with a location, usable ones included.
    pub all: Vec<AnyShelter<'a>>,
}

impl<'a> Shelters<'a> {
    pub fn new(atlas: &'a Atlas, impact: &Impact, period: Period) -> Shelters<'a> {
        let closed: HashMap<(&str, u32), String> = impact
            .report
            .facilities
            .iter()
            .filter_map(|f| Some(((f.layer.as_str(), f.fid), f.closed_by.clone()?)))
            .collect();
        let mut usable = Vec::new();
        let mut all = Vec::new();
        for layer in atlas.layers().iter().filter(|l| l.kind == Kind::Shelter) {
            for (fid, f) in layer.features().iter().enumerate() {
                let fid = fid as u32;
                let Some(point) = anchor(&f.geometry) else {
                    continue;
                };
                let room = room(layer, fid, period);
                let availability = if let Some(rule) = closed.get(&(layer.id.as_str(), fid)) {
                    Availability::ClosedByHazard(rule.clone())
                } else {
                    match layer.value(fid, "status").as_str() {
                        None | Some("open") if room > 0 => {
                            usable.push(Shelter {
                                layer,
                                fid,
                                point,
                                room,
                                index_in_all: all.len(),
                            });
                            Availability::Usable(usable.len() - 1)
                        }
                        None | Some("open") | Some("full") => Availability::Full,
                        Some(other) => Availability::ClosedByStatus(other.to_string()),
                    }
                };
                all.push(AnyShelter {
                    layer,
                    fid,
                    point,
                    availability,
                });
            }
        }
        Shelters { usable, all }
    }

    pub fn usable_points(&self) -> Vec<Point<f64>> {
        self.usable.iter().map(|s| s.point).collect()
    }

    pub fn all_points(&self) -> Vec<Point<f64>> {
        self.all.iter().map(|s| s.point).collect()
    }
}

/// Places left in a shelter for the period: capacity (or capacity_night at night, else
/// capacity) minus occupancy.
fn room(layer: &Layer, fid: u32, period: Period) -> i64 {
    let capacity = match period {
        Period::Night => layer
            .value(fid, "capacity_night")
            .as_i64()
            .or(layer.value(fid, "capacity").as_i64()),
        Period::Day => layer.value(fid, "capacity").as_i64(),
    }
    .unwrap_or(0);
    capacity - layer.value(fid, "occupancy").as_i64().unwrap_or(0)
}
