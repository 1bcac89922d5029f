//! What each kind of layer looks like on the map: its style layers (fills, lines,
//! circles, labels, the clusters of generalised low zooms), the zoom it comes in at and
//! whether it is shown before the user ticks it.

use super::{
    FONT, WILDFIRE_COLOURS, circle, label, severity_colour, severity_colour_by, severity_colour_of,
    zoom_radius,
};
use crate::atlas::{Kind, Layer};
use crate::render::palette::PALETTE;
use serde_json::{Value, json};

/// The style layers that draw `layer`, by its kind; ids are local to the layer.
pub(super) fn layers_for(layer: &Layer) -> Vec<Value> {
    match layer
        .id
        .as_str()
        .strip_prefix(crate::analysis::layers::PACKED_PREFIX)
    {
        Some(crate::analysis::layers::ROUTES_LAYER) => return scenario_route_layers(),
        Some(crate::analysis::layers::AFFECTED_LAYER) => return scenario_affected_layers(),
        Some(crate::analysis::layers::SHELTER_FILL_LAYER) => return scenario_shelter_fill_layers(),
        _ => {}
    }
    match layer.kind {
        Kind::Admin => admin_layers(layer),
        Kind::Basemap => basemap_layers(),
        Kind::Road => road_layers(),
        Kind::Flood => flood_layers(),
        Kind::Wildfire => wildfire_layers(),
        Kind::Hazard => hazard_layers(),
        Kind::Landslide => landslide_layers(),
        Kind::Shelter => shelter_layers(),
        Kind::Facility => facility_layers(),
        Kind::Population => population_layers(),
        Kind::Depot => vec![
            ringed(
                circle(json!("#5e3c99"), zoom_radius(3.0, 8.0)),
                "#000000",
                2.0,
            ),
            label("name", 13, 10.0, "#3f2a66"),
        ],
        // Teams hollow: a white dot in a blue ring.
        Kind::Team => vec![ringed(
            circle(json!("#ffffff"), zoom_radius(3.0, 7.0)),
            "#2166ac",
            2.5,
        )],
        Kind::Drill => drill_layers(),
    }
}

/// The zoom from which a kind is drawn, and whether it is shown at all before the user
/// ticks it: the first view holds the hazards, the people and the shelters; the
/// services come in at township scale; drill history is for drill designers.
pub(super) fn default_view(kind: Kind) -> (Option<u8>, bool) {
    match kind {
        Kind::Facility | Kind::Depot | Kind::Team => (Some(11), true),
        Kind::Drill => (None, false),
        _ => (None, true),
    }
}

/// Drills held, as a teal `×` rather than a dot: a dot in a warm colour read as a
/// severity-3 geohazard. The shape tells them apart without colour.
fn drill_layers() -> Vec<Value> {
    vec![json!({"id": "mark", "type": "symbol",
        "layout": {"text-field": "\u{00d7}", "text-font": [FONT],
            "text-size": ["interpolate", ["linear"], ["zoom"], 8, 11, 15, 20],
            "text-allow-overlap": true, "text-ignore-placement": true},
        "paint": {"text-color": "#01665e", "text-halo-color": "#ffffff", "text-halo-width": 1.5}})]
}

/// Below a layer's detail zoom, its clusters: a disc growing with the count, and the
/// count on it (see [`crate::tiles::generalise`]).
pub(super) fn cluster_layers(layer: &Layer) -> Vec<Value> {
    let source = crate::tiles::cluster_layer_name(layer);
    let colour = match layer.kind {
        // Clusters carry the highest severity among their features as `severity_max`.
        Kind::Landslide | Kind::Hazard | Kind::Flood | Kind::Wildfire => {
            severity_colour_of("severity_max", "#b2182b")
        }
        Kind::Shelter => json!("#1a9850"),
        Kind::Population | Kind::Admin => json!("#6a51a3"),
        Kind::Facility => json!("#8c2d04"),
        _ => json!("#525252"),
    };
    vec![
        json!({"id": "clusters", "type": "circle", "source-layer": source,
            "paint": {"circle-color": colour, "circle-opacity": 0.85,
                "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "count"]], 1, 4, 10, 8, 100, 14],
                "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.5}}),
        json!({"id": "cluster-count", "type": "symbol", "source-layer": source,
            "layout": {"text-field": ["to-string", ["get", "count"]], "text-font": [FONT],
                "text-size": 10},
            "paint": {"text-color": "#ffffff", "text-halo-color": "#333333", "text-halo-width": 0.6}}),
    ]
}

/// Units filled and outlined by level (county, township, village), named once each.
fn admin_layers(layer: &Layer) -> Vec<Value> {
    vec![
        json!({"id": "fill", "type": "fill", "paint": {"fill-color": ["match", ["get", "level"],
            "county", "#f7f5ee", "township", "#f3f1e7", "#faf9f3"], "fill-opacity": 0.35}}),
        json!({"id": "line", "type": "line", "paint": {
            "line-color": ["match", ["get", "level"], "county", "#5b4a7a", "township", "#8a78a8", "#b9aecb"],
            "line-width": ["match", ["get", "level"], "county", 2.5, "township", 1.6, 0.7],
            "line-dasharray": ["match", ["get", "level"], "village", ["literal", [3, 2]], ["literal", [1, 0]]]}}),
        {
            // Drawn from the one-point-per-unit label layer, not the polygons.
            let mut l = label("name", 9, 12.0, "#4a3d63");
            l["source-layer"] = json!(crate::tiles::render::label_layer_name(layer));
            l["minzoom"] = json!(if layer.id.as_str().contains("village") {
                12
            } else {
                9
            });
            l["layout"]["text-size"] =
                json!(["match", ["get", "level"], "county", 15, "township", 13, 11]);
            l
        },
    ]
}

/// Water areas and rivers.
fn basemap_layers() -> Vec<Value> {
    vec![
        json!({"id": "fill", "type": "fill", "filter": ["==", ["geometry-type"], "Polygon"],
            "paint": {"fill-color": "#a8cdef"}}),
        json!({"id": "line", "type": "line", "filter": ["==", ["geometry-type"], "LineString"],
            "paint": {"line-color": "#4a90d9", "line-width": ["interpolate", ["linear"], ["zoom"], 8, 1.5, 15, 6]}}),
    ]
}

/// Roads coloured and widened by class.
fn road_layers() -> Vec<Value> {
    vec![
        json!({"id": "line", "type": "line", "layout": {"line-cap": "round", "line-join": "round"}, "paint": {
            "line-color": ["match", ["get", "road_class"], "county", "#e8912d", "township", "#f2c46b", "#ffffff"],
            "line-width": ["interpolate", ["linear"], ["zoom"], 8,
                ["match", ["get", "road_class"], "county", 1.5, "township", 1.0, 0.5], 15,
                ["match", ["get", "road_class"], "county", 6, "township", 4, 2.5]]}}),
    ]
}

/// Flood zones in their warning colours.
pub(super) fn flood_layers() -> Vec<Value> {
    let colour = severity_colour_by(flood_severity_expression(), PALETTE[0].color);
    vec![
        json!({"id": "fill", "type": "fill", "paint": {"fill-color": colour, "fill-opacity": 0.28}}),
        json!({"id": "line", "type": "line", "paint": {"line-color": colour, "line-width": 0.8}}),
    ]
}

/// A flood's severity as the analyses count it: its own, else derived from its return
/// period by the analyses' table (`analysis::hazards::FLOOD_SEVERITY_BY_RETURN_PERIOD`),
/// so a flood without a severity is drawn in the colour it is counted at.
fn flood_severity_expression() -> Value {
    let years = json!(["coalesce", ["get", "return_period_years"], 1_000_000]);
    let mut derived = vec![json!("case")];
    for (longest, severity) in crate::analysis::hazards::FLOOD_SEVERITY_BY_RETURN_PERIOD {
        derived.extend([json!(["<=", years, longest]), json!(severity)]);
    }
    derived.push(json!(1));
    json!(["coalesce", ["get", "severity"], Value::Array(derived)])
}

/// Fire-danger zones by danger level.
fn wildfire_layers() -> Vec<Value> {
    vec![
        json!({"id": "fill", "type": "fill", "paint": {"fill-color": ["match", ["get", "danger_level"],
            1, WILDFIRE_COLOURS[0], 2, WILDFIRE_COLOURS[1], 3, WILDFIRE_COLOURS[2], 4, WILDFIRE_COLOURS[3],
            WILDFIRE_COLOURS[4]], "fill-opacity": 0.3}}),
    ]
}

/// Other hazards, areas or points, in their warning colours.
fn hazard_layers() -> Vec<Value> {
    vec![
        json!({"id": "fill", "type": "fill", "filter": ["==", ["geometry-type"], "Polygon"],
            "paint": {"fill-color": severity_colour("#888888"), "fill-opacity": 0.3}}),
        {
            let mut c = circle(severity_colour("#888888"), zoom_radius(3.0, 8.0));
            c["filter"] = json!(["==", ["geometry-type"], "Point"]);
            c
        },
    ]
}

/// Landslide points in their warning colours, larger where more people are threatened.
fn landslide_layers() -> Vec<Value> {
    vec![circle(
        severity_colour("#8c510a"),
        json!([
            "interpolate",
            ["linear"],
            ["zoom"],
            8,
            2.5,
            15,
            [
                "+",
                5,
                ["/", ["coalesce", ["get", "threatened_people"], 0], 25]
            ]
        ]),
    )]
}

/// Shelters by status (open, full, closed), named from zoom 13.
fn shelter_layers() -> Vec<Value> {
    vec![
        shelter_circle(
            json!([
                "match",
                ["get", "status"],
                "closed",
                "#9e9e9e",
                "full",
                "#b2182b",
                "#1a9850"
            ]),
            zoom_radius(3.5, 9.0),
        ),
        shelter_label(),
    ]
}

/// Shelters ringed in dark green: a full shelter's red and a closed one's grey are
/// also a severity-4 geohazard's and a population point's, which are ringed in white,
/// so the ring tells them apart without relying on colour.
fn shelter_circle(colour: Value, radius: Value) -> Value {
    ringed(circle(colour, radius), SHELTER_RING, 2.2)
}

/// A point symbol with its own ring, so kinds differ by more than their fill's hue.
fn ringed(mut c: Value, colour: &str, width: f64) -> Value {
    c["paint"]["circle-stroke-color"] = json!(colour);
    c["paint"]["circle-stroke-width"] = json!(width);
    c
}

/// Facilities ringed thinly in black.
fn facility_circle(colour: Value, radius: Value) -> Value {
    ringed(circle(colour, radius), "#000000", 1.0)
}

/// Population points without a ring, half transparent: the background of people.
fn unringed(colour: Value, radius: Value) -> Value {
    let mut c = circle(colour, radius);
    c["paint"]["circle-stroke-width"] = json!(0);
    c["paint"]["circle-opacity"] = json!(0.6);
    c
}

/// The ring around every shelter dot.
const SHELTER_RING: &str = "#0b3d1f";

/// Shelter names beside their dots, never across them: placed above, below or to
/// either side of the dot, whichever is free, the largest shelters first when names
/// compete for room.
fn shelter_label() -> Value {
    let mut l = label("name", 13, 11.0, "#14532d");
    let layout = &mut l["layout"];
    layout["text-variable-anchor"] = json!(["top", "bottom", "left", "right"]);
    layout["text-radial-offset"] = json!(1.1);
    layout["text-justify"] = json!("auto");
    layout["text-padding"] = json!(3);
    layout["symbol-sort-key"] = json!(["-", 0, ["coalesce", ["get", "capacity"], 0]]);
    l
}

/// Facilities by type (school, hospital, nursing home), named from zoom 14.
fn facility_layers() -> Vec<Value> {
    vec![
        facility_circle(
            json!([
                "match",
                ["get", "facility_type"],
                "school",
                "#7b3294",
                "hospital",
                "#e7298a",
                "nursing_home",
                "#1b9e77",
                "#666666"
            ]),
            zoom_radius(3.0, 7.0),
        ),
        label("name", 14, 10.0, "#333333"),
    ]
}

/// Population points, their area growing with the people they hold.
fn population_layers() -> Vec<Value> {
    vec![unringed(
        json!("#6b6b6b"),
        json!([
            "interpolate",
            ["linear"],
            ["zoom"],
            8,
            1.5,
            15,
            [
                "+",
                2,
                ["sqrt", ["/", ["coalesce", ["get", "population"], 0], 20]]
            ]
        ]),
    )]
}

/// A packed scenario's routes: dashed magenta, as on the printed cards.
fn scenario_route_layers() -> Vec<Value> {
    vec![
        json!({"id": "line", "type": "line", "layout": {"line-cap": "round"},
        "paint": {"line-color": "#a0147a", "line-width": 3, "line-dasharray": [2, 1]}}),
    ]
}

/// A packed scenario's affected units: hollow deep purple, as the page draws them.
fn scenario_affected_layers() -> Vec<Value> {
    const AFFECTED: &str = "#5b1a8f";
    vec![
        json!({"id": "ring", "type": "circle", "filter": ["==", ["geometry-type"], "Point"],
            "paint": {"circle-radius": zoom_radius(5.0, 10.0), "circle-opacity": 0,
                "circle-stroke-color": AFFECTED, "circle-stroke-width": 3}}),
        json!({"id": "outline", "type": "line", "filter": ["==", ["geometry-type"], "Polygon"],
            "paint": {"line-color": AFFECTED, "line-width": 2.5, "line-dasharray": [2, 1]}}),
    ]
}

/// A packed plan's shelters, as the page draws them: a white disc in a green ring,
/// filled from the middle as far as the plan fills the shelter (the green area is the
/// share used).
fn scenario_shelter_fill_layers() -> Vec<Value> {
    const SHELTER: &str = "#1a9850";
    let filled = |r: f64| {
        json!([
            "*",
            r,
            [
                "sqrt",
                [
                    "min",
                    1,
                    ["max", 0, ["coalesce", ["get", "utilisation"], 0]]
                ]
            ]
        ])
    };
    vec![
        json!({"id": "ring", "type": "circle",
            "paint": {"circle-radius": zoom_radius(7.0, 12.0), "circle-color": "#ffffff",
                "circle-opacity": 0.9, "circle-stroke-color": SHELTER, "circle-stroke-width": 2.5}}),
        json!({"id": "fill", "type": "circle",
            "paint": {"circle-color": SHELTER,
                "circle-radius": ["interpolate", ["linear"], ["zoom"], 8, filled(7.0), 15, filled(12.0)]}}),
    ]
}
