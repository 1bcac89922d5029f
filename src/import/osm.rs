//! OpenStreetMap `.osm.pbf` → raw features for road, shelter and facility layers.
//!
//! The `osmpbf` crate decodes the file; this module picks what a layer of each kind
//! needs from OSM tags:
//! - **road**: ways tagged `highway` with a routable value; `road_class` is the highway
//!   value, `oneway` from `oneway=yes|1|true` (and `-1`, whose geometry is reversed),
//!   `speed_kmh` from a numeric `maxspeed`, `name` from `name`;
//! - **shelter**: schools, hospitals, town halls, community centres, parks and
//!   emergency assembly points (`shelter_type` is the tag value), as points (nodes) or
//!   polygons (closed ways); `capacity` from the `capacity` tag when present — OSM
//!   rarely has one, so give the layer a `[layer.defaults]` capacity in atlas.toml;
//! - **facility**: schools, kindergartens, hospitals, clinics and nursing homes, with
//!   `facility_type` from the tags.
//!
//! Ids are `node/N` and `way/N`. Nodes are held in memory while ways are read: fine for
//! a county extract; a province-sized file wants a node-location index instead.

use super::source::{RawFeature, SourceRead, Unreadable};
use crate::atlas::Kind;
use geo::{Coord, Geometry, LineString, Point, Polygon};
use osmpbf::{Element, ElementReader};
use serde_json::{Value as Json, json};
use std::collections::HashMap;
use std::path::Path;

const ROUTABLE: &[&str] = &[
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "pedestrian",
    "track",
    "footway",
    "path",
    "steps",
    "cycleway",
    "road",
];

fn shelter_type(tags: &HashMap<String, String>) -> Option<String> {
    let amenity = tags.get("amenity").map(String::as_str);
    if let Some(
        a @ ("school" | "hospital" | "townhall" | "community_centre" | "college" | "university"
        | "kindergarten"),
    ) = amenity
    {
        return Some(a.to_string());
    }
    if tags.get("leisure").map(String::as_str) == Some("park") {
        return Some("park".into());
    }
    if tags.get("emergency").map(String::as_str) == Some("assembly_point") {
        return Some("assembly_point".into());
    }
    None
}

fn facility_type(tags: &HashMap<String, String>) -> Option<String> {
    match tags.get("amenity").map(String::as_str) {
        Some(a @ ("school" | "kindergarten" | "hospital" | "clinic")) => Some(a.to_string()),
        Some("nursing_home") => Some("nursing_home".into()),
        Some("social_facility")
            if tags.get("social_facility").map(String::as_str) == Some("nursing_home") =>
        {
            Some("nursing_home".into())
        }
        _ => None,
    }
}

fn common_props(tags: &HashMap<String, String>) -> Vec<(String, Json)> {
    let mut props = Vec::new();
    if let Some(n) = tags.get("name") {
        props.push(("name".to_string(), json!(n)));
    }
    props
}

/// Reads the features a layer of `kind` takes from an OSM PBF file.
pub fn read_osm(path: &Path, kind: Kind) -> Result<SourceRead, String> {
    if !matches!(kind, Kind::Road | Kind::Shelter | Kind::Facility) {
        return Err(format!(
            "OpenStreetMap files can feed road, shelter and facility layers, not {kind}"
        ));
    }
    let reader =
        ElementReader::from_path(path).map_err(|e| format!("cannot open as OSM PBF: {e}"))?;
    let mut nodes: HashMap<i64, Coord<f64>> = HashMap::new();
    let mut tagged_nodes: Vec<(i64, Coord<f64>, HashMap<String, String>)> = Vec::new();
    let mut ways: Vec<(i64, Vec<i64>, HashMap<String, String>)> = Vec::new();
    let keep_tags = |tags: &mut dyn Iterator<Item = (&str, &str)>| -> HashMap<String, String> {
        tags.map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    reader
        .for_each(|element| match element {
            Element::Node(n) => {
                let c = Coord {
                    x: n.lon(),
                    y: n.lat(),
                };
                nodes.insert(n.id(), c);
                let tags = keep_tags(&mut n.tags());
                if !tags.is_empty() && kind != Kind::Road {
                    tagged_nodes.push((n.id(), c, tags));
                }
            }
            Element::DenseNode(n) => {
                let c = Coord {
                    x: n.lon(),
                    y: n.lat(),
                };
                nodes.insert(n.id(), c);
                if kind != Kind::Road {
                    let tags = keep_tags(&mut n.tags());
                    if !tags.is_empty() {
                        tagged_nodes.push((n.id(), c, tags));
                    }
                }
            }
            Element::Way(w) => {
                let tags = keep_tags(&mut w.tags());
                let wanted = match kind {
                    Kind::Road => tags
                        .get("highway")
                        .is_some_and(|h| ROUTABLE.contains(&h.as_str())),
                    Kind::Shelter => shelter_type(&tags).is_some(),
                    _ => facility_type(&tags).is_some(),
                };
                if wanted {
                    ways.push((w.id(), w.refs().collect(), tags));
                }
            }
            Element::Relation(_) => {}
        })
        .map_err(|e| format!("not a readable OSM PBF file: {e}"))?;
    if nodes.is_empty() {
        return Err("the file holds no OSM nodes".into());
    }

    let mut features: Vec<Result<RawFeature, Unreadable>> = Vec::new();
    let mut columns: Vec<String> = vec!["name".into()];
    if kind != Kind::Road {
        for (id, c, tags) in &tagged_nodes {
            let Some(t) = (if kind == Kind::Shelter {
                shelter_type(tags)
            } else {
                facility_type(tags)
            }) else {
                continue;
            };
            let index = features.len();
            features.push(Ok(RawFeature {
                index,
                id: Some(format!("node/{id}")),
                geometry: Geometry::Point(Point(*c)),
                props: point_props(kind, &t, tags),
            }));
        }
    }
    for (id, refs, tags) in ways {
        let index = features.len();
        let coords: Option<Vec<Coord<f64>>> = refs.iter().map(|r| nodes.get(r).copied()).collect();
        let Some(mut coords) = coords else {
            features.push(Err(Unreadable {
                index,
                id: Some(format!("way/{id}")),
                reason: "way refers to nodes missing from the extract".into(),
            }));
            continue;
        };
        let result = match kind {
            Kind::Road => {
                let oneway = tags.get("oneway").map(String::as_str);
                if oneway == Some("-1") {
                    coords.reverse();
                }
                let mut props = common_props(&tags);
                props.push(("road_class".into(), json!(tags["highway"])));
                props.push((
                    "oneway".into(),
                    json!(matches!(oneway, Some("yes" | "1" | "true" | "-1"))),
                ));
                if let Some(speed) = tags
                    .get("maxspeed")
                    .and_then(|m| m.trim().parse::<f64>().ok())
                {
                    props.push(("speed_kmh".into(), json!(speed)));
                }
                (coords.len() >= 2).then_some((Geometry::LineString(LineString(coords)), props))
            }
            _ => {
                let t = if kind == Kind::Shelter {
                    shelter_type(&tags)
                } else {
                    facility_type(&tags)
                }
                .expect("filtered above");
                let closed = coords.len() >= 4 && coords.first() == coords.last();
                closed.then(|| {
                    (
                        Geometry::Polygon(Polygon::new(LineString(coords), vec![])),
                        point_props(kind, &t, &tags),
                    )
                })
            }
        };
        match result {
            Some((geometry, props)) => features.push(Ok(RawFeature {
                index,
                id: Some(format!("way/{id}")),
                geometry,
                props,
            })),
            None => features.push(Err(Unreadable {
                index,
                id: Some(format!("way/{id}")),
                reason: if kind == Kind::Road {
                    "way has fewer than 2 nodes"
                } else {
                    "way is not closed, so not an area"
                }
                .into(),
            })),
        }
    }
    for c in [
        "road_class",
        "oneway",
        "speed_kmh",
        "shelter_type",
        "facility_type",
        "capacity",
    ] {
        columns.push(c.into());
    }
    Ok(SourceRead {
        features,
        text_cells: false,
        columns,
        warnings: Vec::new(),
    })
}

fn point_props(kind: Kind, t: &str, tags: &HashMap<String, String>) -> Vec<(String, Json)> {
    let mut props = common_props(tags);
    if kind == Kind::Shelter {
        props.push(("shelter_type".into(), json!(t)));
        if let Some(cap) = tags
            .get("capacity")
            .and_then(|c| c.trim().parse::<i64>().ok())
        {
            props.push(("capacity".into(), json!(cap)));
        }
    } else {
        props.push(("facility_type".into(), json!(t)));
    }
    props
}
