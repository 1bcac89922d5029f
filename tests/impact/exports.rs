//! The report's other shapes: the command line writes each format, and CSV cells that
//! a spreadsheet would run as formulas are neutralised.

use super::common::cli::{csv_rows, riskatlas, scenario_file};
use super::common::folder::{FORMULA_VILLAGE, PLUS_PHONE, hostile_names_folder, hostile_scenario};
use super::common::{folder_app, post};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// The admin-unit CSV's columns, as the README documents them.
const BY_ADMIN_COLUMNS: [&str; 11] = [
    "code",
    "name",
    "level",
    "population",
    "households",
    "elderly",
    "children",
    "disabled",
    "units",
    "contact_name",
    "contact_phone",
];

#[test]
fn riskatlas_impact_writes_json_geojson_csv_and_html_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = scenario_file(
        dir.path(),
        &json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 50}}}, {"layer": "landslides"}]}),
    );
    let run = |format: &str| riskatlas(&["impact", &scenario, "--format", format]);

    let report: Value = serde_json::from_str(&run("json")).expect("the report is JSON");
    let by_admin = report["by_admin"].as_array().unwrap();
    let units = report["units"].as_array().unwrap();
    assert!(!by_admin.is_empty() && !units.is_empty());

    let geojson: Value = serde_json::from_str(&run("geojson")).expect("GeoJSON is JSON");
    let features = geojson["features"].as_array().unwrap();
    for f in features {
        serde_json::from_value::<geojson::Geometry>(f["geometry"].clone())
            .expect("each geometry is GeoJSON");
    }
    let unit_ids: BTreeSet<&str> = features
        .iter()
        .filter(|f| f["properties"]["role"] == "unit")
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let reported: BTreeSet<&str> = units.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(unit_ids, reported, "one feature per affected unit");
    assert!(features.iter().any(|f| f["properties"]["role"] == "hazard"));

    let rows = csv_rows(&run("csv"));
    assert_eq!(rows[0], BY_ADMIN_COLUMNS);
    let names: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    let reported: Vec<&str> = by_admin
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names, reported,
        "one row per admin unit, in the report's order"
    );

    let html = run("html");
    assert!(html.starts_with("<!doctype html>") && html.contains("<h1>Impact report"));
    for name in reported {
        assert!(html.contains(&format!("<td>{name}</td>")), "{name}");
    }
}

#[tokio::test]
async fn report_csv_cells_that_would_run_as_formulas_start_with_an_apostrophe() {
    let dir = hostile_names_folder();
    let app = folder_app(dir.path());
    let reply = post(&app, "/api/impact?format=csv", hostile_scenario()).await;
    assert_eq!(reply.status, 200);
    let rows = csv_rows(&String::from_utf8(reply.body).unwrap());
    assert_eq!(rows.len(), 2, "{rows:?}");
    let cell = |column: &str| {
        let i = BY_ADMIN_COLUMNS.iter().position(|c| *c == column).unwrap();
        rows[1][i].clone()
    };
    assert_eq!(cell("name"), format!("'{FORMULA_VILLAGE}"));
    assert_eq!(cell("contact_phone"), format!("'{PLUS_PHONE}"));
    // Text that starts no formula, and numbers, are written as they are.
    assert_eq!(cell("code"), "v1");
    assert_eq!(cell("contact_name"), "duty");
    assert_eq!(cell("population"), "120.0");
}
