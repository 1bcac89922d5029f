//! Needs against depot stock: an atlas without depots says its stock is unknown rather
//! than claiming every item short, and the printed report names items in Chinese and
//! English.

use super::common::folder::{POPULATION_AND_FLOOD, collection, data_folder, point, square};
use super::common::{demo_app, folder_app, post, repo_path};
use serde_json::{Value, json};

fn report_page(body: &str) -> String {
    let encoded: String = body.bytes().map(|b| format!("%{b:02X}")).collect();
    format!("/report/impact?scenario={encoded}")
}

#[tokio::test]
async fn without_depots_stock_and_shortfall_are_unknown() {
    let dir = data_folder(
        POPULATION_AND_FLOOD,
        &[
            (
                "people.geojson",
                collection(vec![point("a", 0.002, 0.002, json!({"population": 10}))]),
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
    );
    let app = folder_app(dir.path());
    let body = r#"{"hazards": [{"layer": "flood"}]}"#;
    let report = post(&app, "/api/impact", body).await.ok_json();
    assert_eq!(report["needs"]["depots"], 0, "{}", report["needs"]);
    let page = super::common::get(&app, &report_page(body)).await;
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains("无储备库数据"), "the report does not say so");
    assert!(
        html.contains("<td>大米 Rice (kg)</td>"),
        "rice row unlabelled"
    );
    // Each needs row says "—" for stock and shortfall rather than 0 and everything short.
    let rows = html.matches("<td>—</td><td>—</td></tr>").count();
    let items = report["needs"]["items"].as_array().unwrap().len();
    assert_eq!(rows, items, "{html}");
}

#[tokio::test]
async fn with_depots_the_stock_is_counted_and_the_report_names_items() {
    let depots: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_path("data/demo/depots.geojson")).unwrap(),
    )
    .unwrap();
    let app = demo_app();
    let body =
        r#"{"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 20}}}]}"#;
    let report = post(&app, "/api/impact", body).await.ok_json();
    assert_eq!(
        report["needs"]["depots"].as_u64().unwrap() as usize,
        depots["features"].as_array().unwrap().len()
    );
    let html = String::from_utf8(super::common::get(&app, &report_page(body)).await.body).unwrap();
    assert!(!html.contains("无储备库数据"));
    for label in ["大米 Rice", "饮用水 Drinking water", "折叠床 Folding beds"] {
        assert!(html.contains(label), "{label} missing");
    }
    assert!(
        !html.contains("<td>rice_kg</td>"),
        "a raw key in the needs table"
    );
}
