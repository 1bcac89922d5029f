//! A village split across shelters: its card offers the whole-village plan's one
//! destination and what keeping villages whole costs, or says none can take it.
// Test code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::folder::{collection, data_folder, point, square};
use common::{folder_app, post};
use serde_json::{Value, json};

const MANIFEST: &str = "name = \"t\"\n[[layer]]\nid = \"people\"\nkind = \"population\"\nfile = \"people.geojson\"\n[[layer]]\nid = \"flood\"\nkind = \"flood\"\nfile = \"flood.geojson\"\n[[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.geojson\"\n";

/// 300 people in a flood; shelter 近 ("near", room for 200) 2 km east and 远 ("far",
/// room for 400) 4 km east: the best split sends 200 near and 100 far, and only the
/// far one can take the whole village.
fn folder(near_capacity: i64, far_capacity: i64) -> tempfile::TempDir {
    data_folder(
        MANIFEST,
        &[
            (
                "people.geojson",
                collection(vec![point(
                    "v",
                    0.002,
                    0.002,
                    json!({"population": 300, "name": "水边村"}),
                )]),
            ),
            (
                "flood.geojson",
                collection(vec![square(
                    0.0,
                    0.0,
                    0.01,
                    0.01,
                    json!({"return_period_years": 10}),
                )]),
            ),
            (
                "shelters.geojson",
                collection(vec![
                    point(
                        "near",
                        0.02,
                        0.002,
                        json!({"name": "近", "capacity": near_capacity}),
                    ),
                    point(
                        "far",
                        0.04,
                        0.002,
                        json!({"name": "远", "capacity": far_capacity}),
                    ),
                ]),
            ),
        ],
    )
}

fn request(whole: bool) -> Value {
    json!({"hazards": [{"layer": "flood"}], "routing": "straight_line", "keep_villages_whole": whole})
}

fn person_minutes(plan: &Value) -> f64 {
    plan["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["people"].as_f64().unwrap() * a["minutes"].as_f64().unwrap())
        .sum()
}

async fn card(app: &axum::Router, request: &Value) -> String {
    let encoded: String = request
        .to_string()
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    let page = common::get(app, &format!("/cards/evacuation?request={encoded}")).await;
    assert_eq!(page.status, 200);
    String::from_utf8(page.body).unwrap()
}

#[tokio::test]
async fn a_split_village_is_offered_the_whole_village_destination_and_its_cost() {
    let dir = folder(200, 400);
    let app = folder_app(dir.path());
    let split = post(&app, "/api/evacuation", &request(false).to_string())
        .await
        .ok_json();
    assert_eq!(split["assignments"].as_array().unwrap().len(), 2, "{split}");
    let whole = post(&app, "/api/evacuation", &request(true).to_string())
        .await
        .ok_json();
    let far = &whole["assignments"][0];
    assert_eq!(
        (far["shelter_name"].as_str(), far["people"].as_i64()),
        (Some("远"), Some(300))
    );

    let html = card(&app, &request(false)).await;
    assert!(html.contains("本村分送 2 个避难场所"), "{html}");
    let minutes = far["minutes"].as_f64().unwrap();
    assert!(
        html.contains(&format!("全村 300 人去 <b>远</b>，{minutes:.0} 分钟")),
        "{html}"
    );
    // The cost, from the two plans' own assignments (their minutes are rounded, so
    // to within half a percent).
    let percent = (person_minutes(&whole) / person_minutes(&split) - 1.0) * 100.0;
    let printed = html.split("增加 ").nth(1).unwrap();
    let printed: f64 = printed[..printed.find('%').unwrap()].parse().unwrap();
    assert!(
        (printed - percent).abs() < 0.5,
        "printed {printed} %, computed {percent:.2} %"
    );

    // A request that already keeps villages whole is not offered it again.
    let html = card(&app, &request(true)).await;
    assert!(!html.contains("whole-offer"));
}

#[tokio::test]
async fn a_village_no_shelter_can_take_whole_is_told_to_keep_the_split() {
    let dir = folder(200, 200);
    let app = folder_app(dir.path());
    let html = card(&app, &request(false)).await;
    assert!(html.contains("本村分送 2 个避难场所"), "{html}");
    assert!(html.contains("没有一个避难场所能容纳全村"), "{html}");
    assert!(!html.contains("whole-cost"));
}

/// A village counted by grid: each grid is a unit, and its card names the grid and its
/// grid worker beside the village duty officer.
#[tokio::test]
async fn population_counted_by_grid_gets_a_card_per_grid_with_its_grid_worker() {
    let admin =
        |code: &str, level: &str, parent: Option<&str>, name: &str, phone: &str, x0: f64| {
            square(
                x0,
                0.0,
                x0 + 0.005,
                0.01,
                json!({"code": code, "level": level, "parent_code": parent, "name": name,
                   "contact_name": format!("{name}联系人"), "contact_phone": phone}),
            )
        };
    let manifest = format!(
        "{MANIFEST}[[layer]]\nid = \"admin\"\nkind = \"admin\"\nfile = \"admin.geojson\"\n"
    );
    let dir = data_folder(
        &manifest,
        &[
            (
                "admin.geojson",
                collection(vec![
                    admin("100", "village", None, "水边村", "13800000000", 0.0),
                    admin("100-1", "grid", Some("100"), "一网格", "13900000001", 0.0),
                    admin("100-2", "grid", Some("100"), "二网格", "13900000002", 0.005),
                ]),
            ),
            (
                "people.geojson",
                collection(vec![
                    point(
                        "g1",
                        0.002,
                        0.002,
                        json!({"population": 120, "admin_code": "100-1"}),
                    ),
                    point(
                        "g2",
                        0.007,
                        0.002,
                        json!({"population": 80, "admin_code": "100-2"}),
                    ),
                ]),
            ),
            (
                "flood.geojson",
                collection(vec![square(
                    0.0,
                    0.0,
                    0.01,
                    0.01,
                    json!({"return_period_years": 10}),
                )]),
            ),
            (
                "shelters.geojson",
                collection(vec![point(
                    "far",
                    0.04,
                    0.002,
                    json!({"name": "远", "capacity": 400}),
                )]),
            ),
        ],
    );
    let app = folder_app(dir.path());
    let html = card(&app, &request(false)).await;
    let cards: Vec<&str> = html.split("<section class=card").skip(1).collect();
    assert_eq!(cards.len(), 2, "one card per grid");
    for (unit, grid, worker, other) in [
        ("g1", "一网格", "13900000001", "二网格"),
        ("g2", "二网格", "13900000002", "一网格"),
    ] {
        let card = cards
            .iter()
            .find(|c| c.contains(&format!("data-unit=\"{unit}\"")))
            .unwrap_or_else(|| panic!("no card for {unit}"));
        assert!(
            card.contains(&format!("网格 Grid: <b>{grid}</b>")),
            "{card}"
        );
        assert!(card.contains(worker), "{unit}'s grid worker missing");
        assert!(
            card.contains("13800000000"),
            "{unit}'s village duty officer missing"
        );
        assert!(!card.contains(other), "{unit}'s card names the other grid");
        assert!(card.contains("<b>远</b>"), "{unit}'s destination missing");
    }
}
