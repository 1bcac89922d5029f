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

/// An element's tags, owned: they outlive the block the reader decoded them from.
type Tags = HashMap<String, String>;

fn shelter_type(tags: &Tags) -> Option<String> {
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

fn facility_type(tags: &Tags) -> Option<String> {
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

fn common_props(tags: &Tags) -> Vec<(String, Json)> {
    let mut props = Vec::new();
    if let Some(n) = tags.get("name") {
        props.push(("name".to_string(), json!(n)));
    }
    props
}

fn owned_tags<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Tags {
    tags.map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A node with tags, a candidate point feature.
struct TaggedNode {
    id: i64,
    at: Coord<f64>,
    tags: Tags,
}

/// A way a layer of the kind takes, its nodes still to be looked up.
struct WantedWay {
    id: i64,
    refs: Vec<i64>,
    tags: Tags,
}

/// What one pass over the file keeps for a layer of `kind`: every node's position (ways
/// refer to them), the tagged nodes (not for roads) and the ways the kind takes.
struct Elements {
    kind: Kind,
    nodes: HashMap<i64, Coord<f64>>,
    tagged_nodes: Vec<TaggedNode>,
    ways: Vec<WantedWay>,
}

impl Elements {
    fn read(path: &Path, kind: Kind) -> Result<Elements, String> {
        let reader =
            ElementReader::from_path(path).map_err(|e| format!("cannot open as OSM PBF: {e}"))?;
        let mut elements = Elements {
            kind,
            nodes: HashMap::new(),
            tagged_nodes: Vec::new(),
            ways: Vec::new(),
        };
        reader
            .for_each(|element| elements.take(element))
            .map_err(|e| format!("not a readable OSM PBF file: {e}"))?;
        Ok(elements)
    }

    /// Keeps what the layer may need of one element.
    fn take(&mut self, element: Element) {
        let kind = self.kind;
        match element {
            Element::Node(n) => {
                let c = Coord {
                    x: n.lon(),
                    y: n.lat(),
                };
                self.nodes.insert(n.id(), c);
                let tags = owned_tags(n.tags());
                if !tags.is_empty() && kind != Kind::Road {
                    self.tagged_nodes.push(TaggedNode {
                        id: n.id(),
                        at: c,
                        tags,
                    });
                }
            }
            Element::DenseNode(n) => {
                let c = Coord {
                    x: n.lon(),
                    y: n.lat(),
                };
                self.nodes.insert(n.id(), c);
                if kind != Kind::Road {
                    let tags = owned_tags(n.tags());
                    if !tags.is_empty() {
                        self.tagged_nodes.push(TaggedNode {
                            id: n.id(),
                            at: c,
                            tags,
                        });
                    }
                }
            }
            Element::Way(w) => {
                let tags = owned_tags(w.tags());
                let wanted = match kind {
                    Kind::Road => tags
                        .get("highway")
                        .is_some_and(|h| ROUTABLE.contains(&h.as_str())),
                    Kind::Shelter => shelter_type(&tags).is_some(),
                    _ => facility_type(&tags).is_some(),
                };
                if wanted {
                    self.ways.push(WantedWay {
                        id: w.id(),
                        refs: w.refs().collect(),
                        tags,
                    });
                }
            }
            Element::Relation(_) => {}
        }
    }
}

/// The property names an OSM read can give, for the manifest's field-mapping check.
const COLUMNS: &[&str] = &[
    "name",
    "road_class",
    "oneway",
    "speed_kmh",
    "shelter_type",
    "facility_type",
    "capacity",
];

/// Reads the features a layer of `kind` takes from an OSM PBF file: the tagged nodes
/// first (shelters and facilities only), then the ways, in file order.
pub fn read_osm(path: &Path, kind: Kind) -> Result<SourceRead, String> {
    if !matches!(kind, Kind::Road | Kind::Shelter | Kind::Facility) {
        return Err(format!(
            "OpenStreetMap files can feed road, shelter and facility layers, not {kind}"
        ));
    }
    let elements = Elements::read(path, kind)?;
    if elements.nodes.is_empty() {
        return Err("the file holds no OSM nodes".into());
    }
    let mut features: Vec<Result<RawFeature, Unreadable>> = Vec::new();
    if kind != Kind::Road {
        for node in &elements.tagged_nodes {
            if let Some(feature) = node_feature(kind, features.len(), node) {
                features.push(Ok(feature));
            }
        }
    }
    for way in elements.ways {
        let feature = way_feature(kind, features.len(), way, &elements.nodes);
        features.push(feature);
    }
    Ok(SourceRead {
        features,
        text_cells: false,
        columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
        warnings: Vec::new(),
    })
}

/// A shelter or facility at a tagged node, if its tags make it one.
fn node_feature(kind: Kind, index: usize, node: &TaggedNode) -> Option<RawFeature> {
    let t = if kind == Kind::Shelter {
        shelter_type(&node.tags)
    } else {
        facility_type(&node.tags)
    }?;
    Some(RawFeature {
        index,
        id: Some(format!("node/{}", node.id)),
        geometry: Geometry::Point(Point(node.at)),
        props: point_props(kind, &t, &node.tags),
    })
}

/// A way as a road line or, for shelters and facilities, an area; or why it cannot be.
fn way_feature(
    kind: Kind,
    index: usize,
    way: WantedWay,
    nodes: &HashMap<i64, Coord<f64>>,
) -> Result<RawFeature, Unreadable> {
    let id = Some(format!("way/{}", way.id));
    let coords: Option<Vec<Coord<f64>>> = way.refs.iter().map(|r| nodes.get(r).copied()).collect();
    let Some(coords) = coords else {
        return Err(Unreadable {
            index,
            id,
            reason: "way refers to nodes missing from the extract".into(),
        });
    };
    let shaped = match kind {
        Kind::Road => road(coords, &way.tags),
        _ => area(kind, coords, &way.tags),
    };
    match shaped {
        Some(Shaped { geometry, props }) => Ok(RawFeature {
            index,
            id,
            geometry,
            props,
        }),
        None => Err(Unreadable {
            index,
            id,
            reason: if kind == Kind::Road {
                "way has fewer than 2 nodes"
            } else {
                "way is not closed, so not an area"
            }
            .into(),
        }),
    }
}

/// A way's geometry and properties.
struct Shaped {
    geometry: Geometry<f64>,
    props: Vec<(String, Json)>,
}

/// A highway as a road line (reversed for `oneway=-1`); None with fewer than 2 nodes.
fn road(mut coords: Vec<Coord<f64>>, tags: &Tags) -> Option<Shaped> {
    let oneway = tags.get("oneway").map(String::as_str);
    if oneway == Some("-1") {
        coords.reverse();
    }
    let mut props = common_props(tags);
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
    (coords.len() >= 2).then_some(Shaped {
        geometry: Geometry::LineString(LineString(coords)),
        props,
    })
}

/// A closed way as a shelter or facility area; None when it is not closed.
fn area(kind: Kind, coords: Vec<Coord<f64>>, tags: &Tags) -> Option<Shaped> {
    let t = if kind == Kind::Shelter {
        shelter_type(tags)
    } else {
        facility_type(tags)
    }
    .expect("only ways of the kind were kept");
    let closed = coords.len() >= 4 && coords.first() == coords.last();
    closed.then(|| Shaped {
        geometry: Geometry::Polygon(Polygon::new(LineString(coords), vec![])),
        props: point_props(kind, &t, tags),
    })
}

fn point_props(kind: Kind, t: &str, tags: &Tags) -> Vec<(String, Json)> {
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
