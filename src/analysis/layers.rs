//! An impact as atlas layers, so the tile pipeline can draw a scenario like any data:
//! `hazards` (the hazard areas) and `affected` (the affected units, with their people);
//! and a plan's routes as `routes` and the shelters it fills as `shelter_fill`.

use super::impact::Impact;
use crate::atlas::{Atlas, Feature, Field, FieldType, Kind, Layer, LayerId, Schema, Value};
use geo::Geometry;

/// Id of the layer of a scenario's hazard areas.
pub const HAZARDS_LAYER: &str = "hazards";
/// Id of the layer of its affected units.
pub const AFFECTED_LAYER: &str = "affected";

fn field(name: &str, ty: FieldType) -> Field {
    Field::new(name, ty)
}

/// The scenario's hazard areas and affected units as two layers.
pub fn impact_layers(impact: &Impact, atlas: &Atlas) -> Vec<Layer> {
    let hazards = impact
        .hazards
        .iter()
        .map(|h| Feature {
            id: h.id.clone().into(),
            geometry: Geometry::MultiPolygon(h.area.clone()),
            attrs: vec![
                Value::Text(h.id.as_str().into()),
                Value::Text(h.name.as_str().into()),
                Value::Text(h.kind.into()),
                Value::Int(i64::from(h.severity)),
            ]
            .into(),
        })
        .collect();
    let hazard_schema = Schema::new(vec![
        field("id", FieldType::String),
        field("name", FieldType::String),
        field("hazard_kind", FieldType::String),
        field("severity", FieldType::Integer),
    ]);
    let exposure = atlas.layer(&impact.report.exposure);
    let units = impact
        .report
        .units
        .iter()
        .filter_map(|u| {
            let geometry = exposure?.feature(u.fid)?.geometry.clone();
            Some(Feature {
                id: u.id.clone().into(),
                geometry,
                attrs: vec![
                    Value::Text(u.id.as_str().into()),
                    u.name
                        .as_deref()
                        .map_or(Value::Null, |n| Value::Text(n.into())),
                    Value::Float((u.people * 10.0).round() / 10.0),
                    Value::Int(i64::from(u.severity)),
                    Value::Text(u.hazards.join(",").into()),
                ]
                .into(),
            })
        })
        .collect();
    let unit_schema = Schema::new(vec![
        field("id", FieldType::String),
        field("name", FieldType::String),
        field("people", FieldType::Number),
        field("severity", FieldType::Integer),
        field("hazards", FieldType::String),
    ]);
    vec![
        Layer::new(
            LayerId::parse(HAZARDS_LAYER).expect("a valid id"),
            "Scenario hazards".into(),
            Kind::Hazard,
            hazard_schema,
            hazards,
        ),
        Layer::new(
            LayerId::parse(AFFECTED_LAYER).expect("a valid id"),
            "Affected units".into(),
            Kind::Population,
            unit_schema,
            units,
        ),
    ]
}

/// Id of the layer of a plan's routes.
pub const ROUTES_LAYER: &str = "routes";

/// An evacuation plan's routes as a layer: one line per assignment (an assignment with
/// no route at all is left out), with who goes where, how many and how long.
pub fn route_layer(plan: &super::evacuation::EvacuationPlan) -> Layer {
    let features = plan
        .assignments
        .iter()
        .enumerate()
        .filter_map(|(i, a)| {
            let coords: Vec<geo::Coord<f64>> = a.route["coordinates"]
                .as_array()?
                .iter()
                .filter_map(|c| Some(geo::coord! {x: c.get(0)?.as_f64()?, y: c.get(1)?.as_f64()?}))
                .collect();
            // A unit at its shelter's door has a one-point route: a line of zero length,
            // so every assignment is in the layer.
            let coords = match coords[..] {
                [] => return None,
                [only] => vec![only, only],
                _ => coords,
            };
            let text = |s: Option<&str>| s.map_or(Value::Null, |s| Value::Text(s.into()));
            Some(Feature {
                id: format!("{}→{}#{i}", a.unit_id, a.shelter_id).into(),
                geometry: Geometry::LineString(geo::LineString(coords)),
                attrs: vec![
                    Value::Text(a.unit_id.as_str().into()),
                    text(a.unit_name.as_deref()),
                    Value::Text(a.shelter_id.as_str().into()),
                    text(a.shelter_name.as_deref()),
                    Value::Int(a.people),
                    Value::Float(a.minutes),
                    Value::Float(a.distance_m),
                ]
                .into(),
            })
        })
        .collect();
    let schema = Schema::new(vec![
        field("unit_id", FieldType::String),
        field("unit_name", FieldType::String),
        field("shelter_id", FieldType::String),
        field("shelter_name", FieldType::String),
        field("people", FieldType::Integer),
        field("minutes", FieldType::Number),
        field("distance_m", FieldType::Number),
    ]);
    Layer::new(
        LayerId::parse(ROUTES_LAYER).expect("a valid id"),
        "Evacuation routes".into(),
        Kind::Road,
        schema,
        features,
    )
}

/// Id of the layer of the shelters a plan uses and how full it makes them.
pub const SHELTER_FILL_LAYER: &str = "shelter_fill";

/// The shelters a plan uses as points: their places, the people the plan sends and the
/// share used (`assigned / capacity`), so a map can draw each filled as far as it fills.
pub fn shelter_fill_layer(plan: &super::evacuation::EvacuationPlan) -> Layer {
    let features = plan
        .shelters
        .iter()
        .map(|s| Feature {
            id: s.id.clone().into(),
            geometry: Geometry::Point(geo::Point::new(s.lon, s.lat)),
            attrs: vec![
                Value::Text(s.id.as_str().into()),
                s.name
                    .as_deref()
                    .map_or(Value::Null, |n| Value::Text(n.into())),
                Value::Int(s.capacity),
                Value::Int(s.assigned),
                Value::Float(s.utilisation),
            ]
            .into(),
        })
        .collect();
    let schema = Schema::new(vec![
        field("shelter_id", FieldType::String),
        field("name", FieldType::String),
        field("capacity", FieldType::Integer),
        field("assigned", FieldType::Integer),
        field("utilisation", FieldType::Number),
    ]);
    Layer::new(
        LayerId::parse(SHELTER_FILL_LAYER).expect("a valid id"),
        "Shelters used".into(),
        Kind::Shelter,
        schema,
        features,
    )
}

/// The prefix of a scenario's layers packed beside the data (`riskatlas pack
/// --scenario`): `scenario_hazards`, `scenario_affected`, `scenario_routes`,
/// `scenario_shelter_fill`.
pub const PACKED_PREFIX: &str = "scenario_";

/// A scenario's layers under the ids a pack gives them (see [`PACKED_PREFIX`]).
pub fn packed(layers: Vec<Layer>) -> Vec<Layer> {
    layers
        .into_iter()
        .map(|mut l| {
            let id = format!("{PACKED_PREFIX}{}", l.id.as_str());
            l.id = LayerId::parse(&id).expect("a valid id");
            l
        })
        .collect()
}

/// A plan's layers as a pack carries them beside the data: its hazard areas, affected
/// units, routes and shelter fill, under [`PACKED_PREFIX`]ed ids.
pub fn plan_layers(
    impact: &Impact,
    plan: &super::evacuation::EvacuationPlan,
    atlas: &Atlas,
) -> Vec<Layer> {
    let mut layers = impact_layers(impact, atlas);
    layers.push(route_layer(plan));
    layers.push(shelter_fill_layer(plan));
    packed(layers)
}
