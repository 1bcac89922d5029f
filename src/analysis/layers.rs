//! An impact as atlas layers, so the tile pipeline can draw a scenario like any data:
//! `hazards` (the hazard areas) and `affected` (the affected units, with their people).

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
