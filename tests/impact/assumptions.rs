//! Missing data is not zero, and defaults are assumptions: vulnerable-group counts the
//! data lacks are null, and every default the analysis applies is said with its count.

use super::common::folder::{POPULATION_AND_FLOOD, collection, data_folder, point, square};
use super::common::{folder_app, get, post};
use super::run;
use riskatlas::import::load_folder;
use serde_json::{Value, json};

/// A flood over (0, 0)–(0.01, 0.01) and population points, three inside it and one
/// outside at (0.05, 0.05).
fn flood_over(people: [Value; 4]) -> tempfile::TempDir {
    let [a, b, c, outside] = people;
    data_folder(
        POPULATION_AND_FLOOD,
        &[
            (
                "people.geojson",
                collection(vec![
                    point("a", 0.002, 0.002, a),
                    point("b", 0.004, 0.004, b),
                    point("c", 0.006, 0.006, c),
                    point("d", 0.05, 0.05, outside),
                ]),
            ),
            (
                "flood.geojson",
                collection(vec![square(
                    0.0,
                    0.0,
                    0.01,
                    0.01,
                    json!({"return_period_years": 20}),
                )]),
            ),
        ],
    )
}

/// A population layer with only `population` says nothing about vulnerable people: the
/// report must not read as "no elderly" (0) but as no data (null), everywhere.
#[tokio::test]
async fn a_population_layer_without_vulnerable_group_fields_reports_null_not_zero() {
    let p = |n: i64| json!({"population": n});
    let dir = flood_over([p(100), p(200), p(300), p(50)]);
    let app = folder_app(dir.path());
    let body = json!({"hazards": [{"layer": "flood"}]}).to_string();
    let r = post(&app, "/api/impact", &body).await.ok_json();
    assert_eq!(r["totals"]["population"], 600.0);
    assert_eq!(r["totals"]["units"], 3);
    for field in ["households", "elderly", "children", "disabled"] {
        assert!(
            r["totals"][field].is_null(),
            "totals.{field}: {}",
            r["totals"][field]
        );
        assert!(r["by_admin"][0][field].is_null(), "by_admin.{field}");
        for u in r["units"].as_array().unwrap() {
            assert!(u[field].is_null(), "unit {}: {field}", u["id"]);
        }
        let said = r["assumptions"].as_array().unwrap().iter().any(|a| {
            a.as_str()
                .unwrap()
                .contains(&format!("has no {field} field"))
        });
        assert!(said, "no assumption about {field}: {}", r["assumptions"]);
    }
    let csv = String::from_utf8(post(&app, "/api/impact?format=csv", &body).await.body).unwrap();
    // code, name, level, population, then households..disabled empty, units.
    let row = csv.lines().nth(1).unwrap();
    assert_eq!(
        row.split(',').skip(3).take(6).collect::<Vec<_>>(),
        ["600.0", "", "", "", "", "3"]
    );
    let encoded: String = body.bytes().map(|b| format!("%{b:02X}")).collect();
    let page = get(&app, &format!("/report/impact?scenario={encoded}")).await;
    let html = String::from_utf8(page.body).unwrap();
    assert!(
        html.contains("无数据 no data"),
        "the printed report shows no data"
    );
}

/// Elderly 10, none and 30 inside the flood: 40 known, one unit unknown. Children: only
/// the unit outside has a value, so no affected unit's children are known: null.
#[test]
fn units_without_a_value_are_left_out_of_the_sum_and_counted_in_the_assumptions() {
    let dir = flood_over([
        json!({"population": 100, "elderly": 10}),
        json!({"population": 200}),
        json!({"population": 300, "elderly": 30}),
        json!({"population": 50, "elderly": 5, "children": 7}),
    ]);
    let atlas = load_folder(dir.path()).unwrap().atlas;
    let r = run(&atlas, json!({"hazards": [{"layer": "flood"}]})).report;
    assert_eq!(r.totals.elderly, Some(40.0));
    assert_eq!(r.totals.children, None, "no affected unit has children");
    assert_eq!(r.by_admin[0].counts.elderly, Some(40.0));
    let b = r.units.iter().find(|u| u.id == "b").unwrap();
    assert_eq!(b.elderly, None);
    assert!(
        r.assumptions
            .iter()
            .any(|a| a
                == "elderly: 1 of 3 affected units have no value; their elderly are not counted"),
        "{:#?}",
        r.assumptions
    );
    assert!(
        r.assumptions
            .iter()
            .any(|a| a.starts_with("children: 3 of 3 affected units have no value")),
        "{:#?}",
        r.assumptions
    );
}

/// Three flood zones, two without severity (return periods 10 and 50 years) and one
/// with severity 1 given; two landslide points, one without severity and one without
/// threat_radius_m; a population point in each; no population_night.
fn hazards_without_severity() -> tempfile::TempDir {
    let manifest = format!(
        "{POPULATION_AND_FLOOD}[[layer]]\nid = \"slides\"\nkind = \"landslide\"\nfile = \"slides.geojson\"\n"
    );
    data_folder(
        &manifest,
        &[
            (
                "people.geojson",
                collection(vec![
                    point("in-10y", 0.005, 0.005, json!({"population": 100})),
                    point("in-50y", 0.025, 0.005, json!({"population": 200})),
                    point("in-given", 0.045, 0.005, json!({"population": 300})),
                    point("near-slide", 0.1, 0.1, json!({"population": 40})),
                ]),
            ),
            (
                "flood.geojson",
                collection(vec![
                    square(0.0, 0.0, 0.01, 0.01, json!({"return_period_years": 10})),
                    square(0.02, 0.0, 0.03, 0.01, json!({"return_period_years": 50})),
                    square(
                        0.04,
                        0.0,
                        0.05,
                        0.01,
                        json!({"return_period_years": 10, "severity": 1}),
                    ),
                ]),
            ),
            (
                "slides.geojson",
                collection(vec![
                    point("s0", 0.1, 0.1, json!({"threat_radius_m": 50})),
                    point("s1", 0.2, 0.2, json!({"severity": 4})),
                ]),
            ),
        ],
    )
}

/// Regression: severities the analysis derived for floods without one were used but not
/// said, and the map had only the source layer's (absent) severity to draw them by.
/// Expected severities from design.md's rule by hand: 10 years → 4, 50 years → 2, a
/// given severity is kept; landslide without severity → 2; drawn without severity → 3.
#[tokio::test]
async fn hazards_without_severity_are_drawn_in_the_severity_used_and_the_defaults_are_said() {
    let dir = hazards_without_severity();
    let app = folder_app(dir.path());
    let drawn = json!({"type": "Polygon", "coordinates": [[[0.3, 0.3], [0.31, 0.3], [0.31, 0.31], [0.3, 0.31], [0.3, 0.3]]]});
    let body = json!({
        "hazards": [{"layer": "flood"}, {"layer": "slides"}, {"geometry": drawn}],
        "period": "night"
    })
    .to_string();
    let expected = [
        ("flood/0", 4),
        ("flood/1", 2),
        ("flood/2", 1),
        // The landslide points' own ids, s0 and s1.
        ("slides/s0", 2),
        ("slides/s1", 4),
        ("drawn/2", 3),
    ];
    let r = post(&app, "/api/impact", &body).await.ok_json();
    let geo = post(&app, "/api/impact?format=geojson", &body)
        .await
        .ok_json();
    for (id, severity) in expected {
        let summary = r["by_hazard"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == id)
            .unwrap_or_else(|| panic!("no hazard {id}"));
        assert_eq!(summary["severity"], severity, "{id} in by_hazard");
        let drawn = geo["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["properties"]["role"] == "hazard" && f["properties"]["id"] == id)
            .unwrap();
        assert_eq!(drawn["properties"]["severity"], severity, "{id} on the map");
    }
    let unit = |id: &str| {
        r["units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(unit("in-10y")["severity"], 4);
    assert_eq!(unit("in-50y")["severity"], 2);

    let assumptions: Vec<&str> = r["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let said = |needle: &str| {
        assert!(
            assumptions.iter().any(|a| a.starts_with(needle)),
            "no assumption starting {needle:?} in {assumptions:#?}"
        )
    };
    said("2 flood zones have no severity: derived from return_period_years (≤10 y → 4 red");
    said("1 landslide point has no severity: given 2 (yellow)");
    said("1 landslide point has no threat_radius_m: buffered by the default 200 m");
    said("1 drawn area has no severity: given 3 (orange)");
    said(
        r#"the exposure layer "people" has no population_night field: the day population of all 4 affected units is counted at night"#,
    );
    said(
        "displacement rates not given in the scenario, defaults used (severity 1–4): flood [0.2, 0.5, 0.8, 1.0] for 3 units; landslide [1.0, 1.0, 1.0, 1.0] for 1 unit",
    );
    said("days not given: needs for 3 days");
    assert!(
        !assumptions.iter().any(|a| a.contains("earthquake")),
        "no earthquake, nothing said of one: {assumptions:#?}"
    );
}
