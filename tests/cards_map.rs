//! The route maps on village cards: drawn on the roads and rivers around the route,
//! with real names, the village and shelter named, and to scale (the drawn route's
//! length by the scale bar equals its length on the ground).
// Test code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::{demo_app, post, repo_path};
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn scenario() -> Value {
    json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 50}}}, {"layer": "landslides"}]})
}

/// Every `attr="…"` value of the elements of `class` in `svg`, in order.
fn attr_values(svg: &str, class: &str, attr: &str) -> Vec<String> {
    svg.split(&format!("class={class} "))
        .skip(1)
        .map(|rest| {
            let at = rest.find(&format!("{attr}=\"")).unwrap() + attr.len() + 2;
            rest[at..at + rest[at..].find('"').unwrap()].to_string()
        })
        .collect()
}

/// The text of the elements of `class`.
fn texts(svg: &str, class: &str) -> Vec<String> {
    svg.split(&format!("class={class} "))
        .skip(1)
        .map(|rest| {
            let open = rest.find('>').unwrap() + 1;
            rest[open..open + rest[open..].find('<').unwrap()].to_string()
        })
        .collect()
}

/// Every name of a road or river in the demo, read from its files.
fn demo_names() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in ["roads.geojson", "rivers.geojson"] {
        let text = std::fs::read_to_string(repo_path("data/demo").join(file)).unwrap();
        let collection: Value = serde_json::from_str(&text).unwrap();
        for f in collection["features"].as_array().unwrap() {
            if let Some(name) = f["properties"]["name"].as_str() {
                names.insert(name.to_string());
            }
        }
    }
    names
}

/// Metres along lon/lat `coords` (haversine on a 6,371,008.8 m sphere).
fn ground_length(coords: &[Value]) -> f64 {
    let r = 6_371_008.8_f64;
    coords
        .windows(2)
        .map(|w| {
            let (lon1, lat1) = (w[0][0].as_f64().unwrap(), w[0][1].as_f64().unwrap());
            let (lon2, lat2) = (w[1][0].as_f64().unwrap(), w[1][1].as_f64().unwrap());
            let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
            let dp = p2 - p1;
            let dl = (lon2 - lon1).to_radians();
            let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
            2.0 * r * a.sqrt().asin()
        })
        .sum()
}

/// Pixels along an SVG `points` list.
fn drawn_length(points: &str) -> f64 {
    let xy: Vec<(f64, f64)> = points
        .split(' ')
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect();
    xy.windows(2)
        .map(|w| (w[1].0 - w[0].0).hypot(w[1].1 - w[0].1))
        .sum()
}

#[tokio::test]
async fn a_village_card_maps_each_route_on_named_roads_to_scale() {
    let app = demo_app();
    let plan = post(&app, "/api/evacuation", &scenario().to_string())
        .await
        .ok_json();
    // The longest route of the plan: the one a village most needs a map for.
    let a = plan["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .max_by(|x, y| {
            x["distance_m"]
                .as_f64()
                .unwrap()
                .total_cmp(&y["distance_m"].as_f64().unwrap())
        })
        .unwrap();
    let unit = a["unit_id"].as_str().unwrap();
    let routes_of_unit: Vec<&Value> = plan["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["unit_id"] == unit)
        .collect();
    let encoded: String = scenario()
        .to_string()
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    let page = common::get(
        &app,
        &format!("/cards/evacuation?request={encoded}&unit={unit}"),
    )
    .await;
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body).unwrap();

    let maps: Vec<&str> = html.split("<svg class=route-map").skip(1).collect();
    assert_eq!(
        maps.len(),
        routes_of_unit.len(),
        "one map per shelter the village goes to"
    );
    let index = routes_of_unit.iter().position(|x| x == &a).unwrap();
    let svg = &maps[index][..maps[index].find("</svg>").unwrap()];

    // The village and the shelter, named on the map.
    let places = texts(svg, "place");
    assert!(
        places.contains(&a["shelter_name"].as_str().unwrap().to_string()),
        "{places:?}"
    );
    assert_eq!(places.len(), 2, "{places:?}");

    // Roads drawn around the route, named with names the data has.
    assert!(
        svg.matches("class=road ").count() >= 3,
        "too few roads drawn"
    );
    let names = texts(svg, "road-name");
    assert!(!names.is_empty(), "no road or river named");
    let known = demo_names();
    for name in &names {
        assert!(
            known.contains(name),
            "{name} is no road or river of the demo"
        );
    }
    // A road is named only where the route follows it: two of its vertices on the route.
    let route: Vec<(f64, f64)> = a["route"]["coordinates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
        .collect();
    let roads: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_path("data/demo/roads.geojson")).unwrap(),
    )
    .unwrap();
    for name in &names {
        let named: Vec<&Value> = roads["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["properties"]["name"] == name.as_str())
            .collect();
        if named.is_empty() {
            continue; // a river
        }
        let followed = named.iter().any(|road| {
            road["geometry"]["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| {
                    let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
                    route
                        .iter()
                        .any(|r| (r.0 - x).abs() < 1e-6 && (r.1 - y).abs() < 1e-6)
                })
                .count()
                >= 2
        });
        assert!(followed, "{name} is named but the route does not follow it");
    }
    assert!(svg.contains("class=north-arrow") && svg.contains("class=scale-bar"));

    // To scale: the route's drawn pixels, by the scale bar, are its metres on the ground.
    let label = texts(svg, "scale-bar").pop();
    let bar = svg.split("class=scale-bar").nth(1).unwrap();
    let bar_px: f64 = {
        let at = bar.find("width=\"").unwrap() + 7;
        bar[at..at + bar[at..].find('"').unwrap()].parse().unwrap()
    };
    let bar_text = &bar[bar.find("<text").unwrap()..];
    let bar_text = &bar_text[bar_text.find('>').unwrap() + 1..bar_text.find("</text>").unwrap()];
    let (number, unit_word) = bar_text.split_once(' ').unwrap();
    let bar_m: f64 = number.parse::<f64>().unwrap() * if unit_word == "km" { 1000.0 } else { 1.0 };
    let route_px = drawn_length(&attr_values(svg, "route", "points")[0]);
    let route_m = ground_length(a["route"]["coordinates"].as_array().unwrap());
    let drawn_m = route_px * bar_m / bar_px;
    assert!(
        (drawn_m - route_m).abs() < 0.02 * route_m + 20.0,
        "drawn {drawn_m:.0} m against {route_m:.0} m on the ground (scale bar {label:?})"
    );
}
