//! Which shelters a hazard closes: everything but an earthquake closes the shelters
//! inside it; an earthquake closes buildings from intensity VIII and never open spaces.

use super::common::folder::{POPULATION_AND_FLOOD, collection, data_folder, point, square};
use super::common::{demo_app, post};
use super::{demo, run};
use geo::{Contains, Geometry};
use riskatlas::import::load_folder;
use serde_json::{Value, json};

/// The earthquake bands of an impact's GeoJSON, as geo polygons with their intensity.
fn bands(geojson: &Value) -> Vec<(u64, Geometry<f64>)> {
    geojson["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["kind"] == "earthquake")
        .map(|f| {
            let g: geojson::Geometry = serde_json::from_value(f["geometry"].clone()).unwrap();
            let intensity = f["properties"]["detail"]["intensity"].as_u64().unwrap();
            (intensity, Geometry::try_from(g).unwrap())
        })
        .collect()
}

const ROMAN: [&str; 13] = [
    "0", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
];

/// Checks every demo shelter against the rule, worked out here from the bands in the
/// report's GeoJSON and geo's `Contains`: a shelter in a band is listed; it is closed
/// exactly when it is a building (the demo's `township_hall`; school yards and squares
/// are open spaces) and its band is VIII or more, and then `closed_by` names the band.
/// Returns the (open spaces, buildings) inside bands left usable, and buildings closed.
async fn earthquake_shelters_follow_the_rule(scenario: Value) -> (usize, usize, usize) {
    let atlas = demo();
    let app = demo_app();
    let body = scenario.to_string();
    let r = post(&app, "/api/impact", &body).await.ok_json();
    let bands = bands(
        &post(&app, "/api/impact?format=geojson", &body)
            .await
            .ok_json(),
    );
    assert!(!bands.is_empty());
    let shelters = atlas.layer("shelters").unwrap();
    let (mut open_spaces, mut buildings, mut closed) = (0, 0, 0);
    for (fid, feature) in shelters.features().iter().enumerate() {
        let Geometry::Point(p) = feature.geometry else {
            panic!()
        };
        let band = bands.iter().find(|(_, g)| g.contains(&p)).map(|b| b.0);
        let listed = r["facilities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["layer"] == "shelters" && f["id"] == *feature.id);
        let Some(intensity) = band else {
            assert!(listed.is_none(), "shelter {fid} is in no band but listed");
            continue;
        };
        let listed =
            listed.unwrap_or_else(|| panic!("shelter {fid} in band {intensity} not listed"));
        let shelter_type = shelters.value(fid as u32, "shelter_type").as_str().unwrap();
        let building = shelter_type == "township_hall";
        let should_close = building && intensity >= 8;
        assert_eq!(listed["unusable"], should_close, "{listed}");
        if should_close {
            closed += 1;
            assert_eq!(
                listed["closed_by"],
                format!(
                    "earthquake intensity {} ≥ VIII closes building shelters",
                    ROMAN[intensity as usize]
                ),
                "{listed}"
            );
        } else {
            assert!(listed["closed_by"].is_null(), "{listed}");
            assert!(
                listed["note"].is_string(),
                "an open shelter in a band says why: {listed}"
            );
            if building {
                buildings += 1;
            } else {
                open_spaces += 1;
            }
        }
    }
    (open_spaces, buildings, closed)
}

/// The README's earthquake (M6.2 at 105.72, 34.55, bands from VI): squares and school
/// yards inside its bands stay usable.
#[tokio::test]
async fn the_readme_earthquake_leaves_open_space_shelters_usable() {
    let (open_spaces, _, _) = earthquake_shelters_follow_the_rule(json!({"hazards": [
        {"earthquake": {"lon": 105.72, "lat": 34.55, "magnitude": 6.2, "depth_km": 10}, "min_intensity": 6}
    ]}))
    .await;
    assert!(open_spaces > 0, "no open-space shelter inside the bands");
}

/// The same earthquake with its epicentre on a township hall: its VIII disc (about
/// 1 km across, by the relation) holds the hall, which closes, while halls farther out
/// in the VII and VI bands stay usable.
#[tokio::test]
async fn an_earthquake_closes_a_building_shelter_at_intensity_viii() {
    let atlas = demo();
    let shelters = atlas.layer("shelters").unwrap();
    let hall = (0..shelters.len() as u32)
        .find(|&f| shelters.value(f, "shelter_type").as_str() == Some("township_hall"))
        .unwrap();
    let Geometry::Point(p) = shelters.feature(hall).unwrap().geometry else {
        panic!()
    };
    let (_, buildings, closed) = earthquake_shelters_follow_the_rule(json!({"hazards": [
        {"earthquake": {"lon": p.x(), "lat": p.y(), "magnitude": 6.2}}
    ]}))
    .await;
    assert!(closed >= 1, "the hall at the epicentre is closed");
    assert!(buildings > 0, "halls in weaker bands stay usable");
}

/// A shelter without shelter_type is taken as a building (closed at VIII) and said so;
/// 广场 is an open space. Three shelters within 300 m of an M6.2 epicentre, all in its
/// VIII disc (radius about 1 km).
#[test]
fn a_shelter_without_a_type_is_taken_as_a_building_and_counted() {
    let manifest = format!(
        "{POPULATION_AND_FLOOD}[[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.geojson\"\n"
    );
    let dir = data_folder(
        &manifest,
        &[
            (
                "people.geojson",
                collection(vec![point("a", 0.002, 0.002, json!({"population": 10}))]),
            ),
            (
                "flood.geojson",
                collection(vec![square(
                    1.0,
                    1.0,
                    1.01,
                    1.01,
                    json!({"return_period_years": 20}),
                )]),
            ),
            (
                "shelters.geojson",
                collection(vec![
                    point("untyped", 0.001, 0.0, json!({"capacity": 100})),
                    point(
                        "square",
                        0.0,
                        0.001,
                        json!({"capacity": 100, "shelter_type": "广场"}),
                    ),
                    point(
                        "hall",
                        0.001,
                        0.001,
                        json!({"capacity": 100, "shelter_type": "township_hall"}),
                    ),
                ]),
            ),
        ],
    );
    let atlas = load_folder(dir.path()).unwrap().atlas;
    let r = run(
        &atlas,
        json!({"hazards": [{"earthquake": {"lon": 0.0, "lat": 0.0, "magnitude": 6.2}}]}),
    )
    .report;
    let shelter = |id: &str| r.facilities.iter().find(|f| f.id == id).unwrap();
    assert_eq!(
        shelter("untyped").closed_by.as_deref(),
        Some(
            "earthquake intensity VIII ≥ VIII closes building shelters (no shelter_type: taken as a building)"
        )
    );
    assert!(shelter("untyped").unusable);
    assert!(shelter("hall").unusable);
    assert!(!shelter("square").unusable);
    assert_eq!(shelter("square").closed_by, None);
    assert!(
        r.assumptions
            .iter()
            .any(|a| a
                == "1 shelter inside an earthquake band has no shelter_type: taken as buildings"),
        "{:#?}",
        r.assumptions
    );
}
