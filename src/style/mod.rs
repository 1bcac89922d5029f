//! The MapLibre style for an atlas: an offline basemap and every layer drawn by its kind.
//!
//! Pure: atlas in, style JSON out. Every style layer made for an atlas layer carries
//! `metadata` naming that layer (`riskatlas:layer`, `riskatlas:kind`, `riskatlas:title`),
//! which is how the web page's layer panel toggles them; the first carries the legend.
//! Severity uses the national warning colours (1 blue, 2 yellow, 3 orange, 4 red) of
//! [`crate::render::palette`], with its labels in the legend.

use crate::atlas::{Atlas, Kind};
use crate::render::labels::value;
use crate::render::palette::PALETTE;
use serde_json::{Value, json};

mod kinds;

#[cfg(test)]
use kinds::flood_layers;
use kinds::{cluster_layers, default_view, layers_for};

/// The font stack served from `web/fonts`; CJK glyphs are drawn by the browser from
/// local fonts (MapLibre's `localIdeographFontFamily`), so no glyph download is needed.
pub const FONT: &str = "Noto Sans Regular";

/// Forest-fire danger levels 1–5: green for the lowest, then the four warning colours,
/// as the national fire-danger warnings draw them.
const WILDFIRE_COLOURS: [&str; 5] = [
    "#2e9e44",
    PALETTE[0].color,
    PALETTE[1].color,
    PALETTE[2].color,
    PALETTE[3].color,
];

fn severity_colour(default: &str) -> Value {
    severity_colour_of("severity", default)
}

/// The warning colour of the severity held in `field`, `default` when it has none.
fn severity_colour_of(field: &str, default: &str) -> Value {
    severity_colour_by(json!(["coalesce", ["get", field], 0]), default)
}

/// The palette colour of the severity `expression` evaluates to.
fn severity_colour_by(expression: Value, default: &str) -> Value {
    let mut expression = vec![json!("match"), expression];
    for level in &PALETTE {
        expression.extend([json!(level.severity), json!(level.color)]);
    }
    expression.push(json!(default));
    Value::Array(expression)
}

fn severity_legend() -> Value {
    PALETTE
        .iter()
        .map(|l| json!({"label": l.label(), "color": l.color}))
        .collect()
}

/// Drawing order: area fills first, then lines, points and labels on top.
fn rank(style_layer: &Value) -> u8 {
    match style_layer["type"].as_str() {
        Some("fill") => 0,
        Some("line") => 1,
        Some("circle") => 2,
        _ => 3,
    }
}

/// Builds the style; `base_url` is `http://host:port` as the client reached us.
pub fn style(atlas: &Atlas, base_url: &str) -> Value {
    let ids: Vec<&str> = atlas.layers().iter().map(|l| l.id.as_str()).collect();
    let mut layers: Vec<Value> = Vec::new();
    for layer in atlas.layers() {
        let mut made = layers_for(layer);
        made.extend(cluster_layers(layer));
        let (minzoom, shown) = default_view(layer.kind);
        for (i, l) in made.iter_mut().enumerate() {
            if let Some(z) = minzoom
                && l["minzoom"].as_u64().is_none_or(|m| m < u64::from(z))
            {
                l["minzoom"] = json!(z);
            }
            if !shown {
                l["layout"]["visibility"] = json!("none");
            }
            l["id"] = json!(format!("{}-{}", layer.id, l["id"].as_str().unwrap_or("x")));
            l["source"] = json!("atlas");
            if l.get("source-layer").is_none() {
                l["source-layer"] = json!(layer.id.as_str());
            }
            let mut meta = json!({
                "riskatlas:layer": layer.id.as_str(),
                "riskatlas:kind": layer.kind.code(),
                "riskatlas:title": layer.name,
            });
            if i == 0
                && let Some(legend) = legend_for(layer.kind)
            {
                meta["riskatlas:legend"] = legend;
            }
            l["metadata"] = meta;
        }
        layers.extend(made);
    }
    layers.sort_by_key(rank);
    let mut all = vec![
        json!({"id": "background", "type": "background", "paint": {"background-color": "#eef0e6"}}),
    ];
    all.extend(layers);
    let center = atlas.bbox().map(|b| b.center()).unwrap_or((0.0, 0.0));
    json!({
        "version": 8,
        "name": atlas.name,
        "center": [center.0, center.1],
        "zoom": 10,
        "glyphs": format!("{base_url}/fonts/{{fontstack}}/{{range}}.pbf"),
        "sources": {
            "atlas": {
                "type": "vector",
                "tiles": [format!("{base_url}/tiles/{}/{{z}}/{{x}}/{{y}}", ids.join(","))],
                "minzoom": 0,
                "maxzoom": 16,
                "bounds": atlas.bbox().map(|b| b.to_array()).unwrap_or([-180.0, -85.0, 180.0, 85.0]),
                "attribution": atlas.attribution,
            }
        },
        "layers": all,
    })
}

fn label(field: &str, minzoom: u8, size: f64, colour: &str) -> Value {
    json!({
        "id": "label", "type": "symbol", "minzoom": minzoom,
        "layout": {"text-field": ["get", field], "text-font": [FONT], "text-size": size, "text-optional": true},
        "paint": {"text-color": colour, "text-halo-color": "#ffffff", "text-halo-width": 1.4}
    })
}

fn circle(colour: Value, radius: Value) -> Value {
    json!({"id": "circle", "type": "circle",
        "paint": {"circle-color": colour, "circle-radius": radius,
                  "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.2}})
}

/// A circle radius growing from `small` pixels at zoom 8 to `large` at zoom 15.
fn zoom_radius(small: f64, large: f64) -> Value {
    json!(["interpolate", ["linear"], ["zoom"], 8, small, 15, large])
}

fn legend_for(kind: Kind) -> Option<Value> {
    Some(match kind {
        Kind::Flood | Kind::Landslide | Kind::Hazard => severity_legend(),
        Kind::Wildfire => Value::Array(
            WILDFIRE_COLOURS
                .iter()
                .enumerate()
                .map(|(i, c)| json!({"label": format!("火险{}级 danger {}", i + 1, i + 1), "color": c}))
                .collect(),
        ),
        Kind::Shelter => {
            json!([{"label": value("status", "open"), "color": "#1a9850"},
            {"label": value("status", "full"), "color": "#b2182b"},
            {"label": value("status", "closed"), "color": "#9e9e9e"}])
        }
        Kind::Facility => {
            json!([{"label": value("facility_type", "school"), "color": "#7b3294"},
            {"label": value("facility_type", "hospital"), "color": "#e7298a"},
            {"label": value("facility_type", "nursing_home"), "color": "#1b9e77"}])
        }
        Kind::Road => {
            json!([{"label": value("road_class", "county"), "color": "#e8912d"},
            {"label": value("road_class", "township"), "color": "#f2c46b"},
            {"label": value("road_class", "village"), "color": "#ffffff"}])
        }
        Kind::Drill => json!([{"label": "× 已举行的演练 drill held", "color": "#01665e"}]),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::hazards::flood_severity;

    /// Evaluates the few expression forms the flood colour uses, on `properties`.
    fn eval(expression: &Value, properties: &Value) -> Value {
        let Some(list) = expression.as_array() else {
            return expression.clone();
        };
        let args = &list[1..];
        match list[0].as_str().unwrap_or_default() {
            "get" => properties[args[0].as_str().unwrap_or_default()].clone(),
            "coalesce" => args
                .iter()
                .map(|a| eval(a, properties))
                .find(|v| !v.is_null())
                .unwrap_or(Value::Null),
            "<=" => {
                json!(eval(&args[0], properties).as_f64() <= eval(&args[1], properties).as_f64())
            }
            "case" => {
                for pair in args.chunks(2) {
                    match pair {
                        [test, then] if eval(test, properties) == json!(true) => {
                            return eval(then, properties);
                        }
                        [otherwise] => return eval(otherwise, properties),
                        _ => {}
                    }
                }
                Value::Null
            }
            "match" => {
                let input = eval(&args[0], properties);
                for pair in args[1..].chunks(2) {
                    match pair {
                        [label, then] if *label == input => return then.clone(),
                        [otherwise] => return otherwise.clone(),
                        _ => {}
                    }
                }
                Value::Null
            }
            other => panic!("unexpected operator {other}"),
        }
    }

    #[test]
    fn a_flood_without_severity_is_drawn_at_the_severity_the_analyses_count() {
        let colour = flood_layers()[0]["paint"]["fill-color"].clone();
        let colour_of = |severity: u8| PALETTE[usize::from(severity) - 1].color;
        // The rule, by hand: ≤10 y red, 11–20 orange, 21–50 yellow, longer blue.
        let by_hand = [(10, 4), (11, 3), (20, 3), (21, 2), (50, 2), (51, 1)];
        for (years, severity) in by_hand {
            assert_eq!(flood_severity(years), severity, "{years} y");
        }
        for years in [1, 5, 10, 11, 20, 21, 50, 51, 100, 1000] {
            let drawn = eval(&colour, &json!({"return_period_years": years}));
            assert_eq!(drawn, json!(colour_of(flood_severity(years))), "{years} y");
        }
        // A severity of its own wins over the return period.
        let drawn = eval(&colour, &json!({"return_period_years": 5, "severity": 1}));
        assert_eq!(drawn, json!(colour_of(1)));
    }

    #[test]
    fn every_point_kind_differs_by_shape_or_ring_not_only_by_hue() {
        let atlas = crate::demo::generate(crate::demo::working_copy::DEMO_SEED, 1.0)
            .into_loaded()
            .atlas;
        let style = style(&atlas, "");
        // A point kind's symbol without its fill hue: the layer type, and for circles
        // the ring's colour and width and whether the fill is see-through.
        let mut seen: Vec<(String, String)> = Vec::new();
        for kind in [
            "landslide",
            "shelter",
            "facility",
            "depot",
            "team",
            "population",
            "drill",
        ] {
            let layer = style["layers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|l| {
                    l["metadata"]["riskatlas:kind"] == kind
                        && matches!(l["type"].as_str(), Some("circle" | "symbol"))
                        && l["layout"]["text-field"] != json!(["get", "name"])
                        && !l["id"].as_str().unwrap().contains("cluster")
                })
                .unwrap_or_else(|| panic!("no point symbol for {kind}"));
            let paint = &layer["paint"];
            let shape = format!(
                "{} ring {} {} opacity {} text {}",
                layer["type"],
                paint["circle-stroke-color"],
                paint["circle-stroke-width"],
                paint["circle-opacity"],
                layer["layout"]["text-field"]
            );
            if let Some((other, _)) = seen.iter().find(|(_, s)| *s == shape) {
                panic!("{kind} and {other} differ only by hue: {shape}");
            }
            seen.push((kind.to_string(), shape));
        }
    }

    #[test]
    fn drills_start_hidden_and_services_come_in_at_township_scale() {
        let atlas = crate::demo::generate(crate::demo::working_copy::DEMO_SEED, 1.0)
            .into_loaded()
            .atlas;
        let style = style(&atlas, "");
        let layers = style["layers"].as_array().unwrap();
        let of_kind = |kind: &'static str| {
            layers
                .iter()
                .filter(move |l| l["metadata"]["riskatlas:kind"] == kind)
        };
        assert!(of_kind("drill").count() > 0);
        assert!(of_kind("drill").all(|l| l["layout"]["visibility"] == "none"));
        assert!(of_kind("facility").all(|l| l["minzoom"].as_u64() >= Some(11)));
        for kind in ["shelter", "flood", "landslide", "admin", "road"] {
            assert!(
                of_kind(kind).all(|l| l["layout"]["visibility"].is_null()),
                "{kind} hidden"
            );
        }
    }
}
