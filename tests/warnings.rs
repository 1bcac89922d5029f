//! A targeted warning's audience on the demo: its people against PostGIS's own spatial
//! join of the population points to the township polygons (independent of the admin
//! codes riskatlas counts by), and its call tree against the `parent_code` chain read
//! straight from the demo's admin files.

#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{Value, json};
use std::collections::HashMap;

fn drawn(level: &str) -> Value {
    json!({
        "area": {"geometry": {"type": "Polygon", "coordinates": [common::DEMO_AREA]}},
        "level": level, "hazard_type": "flood",
        "headline": "山洪红色预警 Flash-flood red warning", "instruction": "立即转移 Move now",
        "onset": "2026-07-20T14:00:00+08:00", "expires": "2026-07-21T14:00:00+08:00",
    })
}

/// Code → parent code, from the demo's admin files.
fn parents() -> HashMap<String, Option<String>> {
    let mut out = HashMap::new();
    for file in ["county.geojson", "townships.geojson", "villages.geojson"] {
        let text =
            std::fs::read_to_string(common::repo_path(&format!("data/demo/{file}"))).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        for f in v["features"].as_array().unwrap() {
            let p = &f["properties"];
            out.insert(
                p["code"].as_str().unwrap().to_string(),
                p["parent_code"].as_str().map(str::to_string),
            );
        }
    }
    out
}

#[tokio::test]
async fn the_call_tree_follows_the_admin_hierarchy_and_every_count_adds_up() {
    let app = common::demo_app();
    let answer = common::post(&app, "/api/warnings", drawn("red"))
        .await
        .ok_json();
    assert_eq!(
        answer["warning"]["answer_minutes"], 10.0,
        "red: ten minutes to answer"
    );
    let units = answer["units"].as_array().unwrap();
    let people = |level: &str| -> f64 {
        units
            .iter()
            .filter(|u| u["level"] == level)
            .map(|u| u["people"].as_f64().unwrap())
            .sum()
    };
    let total = answer["totals"]["people"].as_f64().unwrap();
    assert!(total > 1000.0, "the area holds people: {total}");
    // Every person of the demo's population has a village code: each level sums to all.
    assert_eq!(answer["units_without_admin"], 0);
    for level in ["county", "township", "village"] {
        assert!(
            (people(level) - total).abs() < 1e-6,
            "{level}: {} vs {total}",
            people(level)
        );
    }
    let parents = parents();
    let tasks = answer["tasks"].as_array().unwrap();
    let by_id: HashMap<&str, &Value> = tasks
        .iter()
        .map(|t| (t["id"].as_str().unwrap(), t))
        .collect();
    for u in units {
        let code = u["code"].as_str().unwrap();
        assert_eq!(
            u["parent_code"].as_str(),
            parents[code].as_deref(),
            "{code}"
        );
        // Every demo admin unit has a duty officer: one task each, called by its parent's.
        let task = by_id[format!("admin/{code}").as_str()];
        let expected_caller = parents[code].as_ref().map(|p| format!("admin/{p}"));
        assert_eq!(
            task["caller"].as_str(),
            expected_caller.as_deref(),
            "{code}"
        );
        assert_eq!(task["people"], u["people"]);
    }
    // Calling order: no task before its caller; depth is one more than the caller's.
    for (i, t) in tasks.iter().enumerate() {
        if let Some(caller) = t["caller"].as_str() {
            let at = tasks.iter().position(|c| c["id"] == caller).unwrap();
            assert!(at < i, "{} is called before its caller {caller}", t["id"]);
            assert_eq!(
                t["depth"].as_u64(),
                Some(tasks[at]["depth"].as_u64().unwrap() + 1)
            );
        }
    }
    // The nested tree holds every task once.
    fn count(nodes: &Value) -> usize {
        nodes
            .as_array()
            .unwrap()
            .iter()
            .map(|n| 1 + count(&n["calls"]))
            .sum()
    }
    assert_eq!(count(&answer["call_tree"]), tasks.len());
    // The CSV recipient list: a header and one row per task.
    let csv = common::request(
        &app,
        axum::http::Request::post("/api/warnings?format=csv")
            .header("content-type", "application/json")
            .body(axum::body::Body::from(drawn("red").to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(csv.status, 200);
    let text = String::from_utf8(csv.body).unwrap();
    assert_eq!(text.lines().count(), tasks.len() + 1);
    assert!(text.starts_with("\u{feff}task_id,depth,contact,phone,unit,admin_code,role,called_by"));
}

#[tokio::test]
async fn a_warning_to_a_township_reaches_exactly_its_villages() {
    let app = common::demo_app();
    let township = "629901106000";
    let mut body = drawn("orange");
    body["area"] = json!({"admin_codes": [township]});
    let answer = common::post(&app, "/api/warnings", body).await.ok_json();
    let parents = parents();
    let villages: Vec<&str> = answer["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["level"] == "village")
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert!(!villages.is_empty());
    assert!(
        villages
            .iter()
            .all(|v| parents[*v].as_deref() == Some(township)),
        "{villages:?}"
    );
    // The population file's rows of this township, counted here.
    let text = std::fs::read_to_string(common::repo_path("data/demo/population.csv")).unwrap();
    let expected: f64 = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| parents.get(c[9]).and_then(|p| p.as_deref()) == Some(township))
        .map(|c| c[3].parse::<f64>().unwrap())
        .sum();
    assert_eq!(answer["totals"]["people"].as_f64(), Some(expected));
}

#[tokio::test]
async fn bad_warnings_are_refused_naming_the_field() {
    let app = common::demo_app();
    let with = |k: &str, v: Value| {
        let mut b = drawn("red");
        b[k] = v;
        b
    };
    let mut missing = drawn("red");
    missing.as_object_mut().unwrap().remove("headline");
    for (body, words) in [
        (with("level", json!("purple")), "level \"purple\""),
        (missing, "headline"),
        (
            with("headline", json!("")),
            "headline must be 1 to 500 characters",
        ),
        (with("onset", json!("tomorrow")), "onset \"tomorrow\""),
        (
            with("expires", json!("2026-07-19T14:00:00+08:00")),
            "expires must come after onset",
        ),
        (
            with("area", json!({"admin_codes": ["999"]})),
            "no admin unit \"999\"",
        ),
        (with("area", json!({"circle": 3})), "area.circle"),
        (
            with(
                "area",
                json!({"geometry": {"type": "Point", "coordinates": [105.7, 34.5]}}),
            ),
            "area",
        ),
        (with("colour", json!("red")), "colour"),
        (
            with("status", json!("drill")),
            "status \"drill\" is not actual, exercise or test",
        ),
        (
            with("headline_en", json!(" ")),
            "headline_en must be 1 to 500 characters",
        ),
        // There is no 31 June: CAP readers would refuse the date.
        (
            with("onset", json!("2026-06-31T14:00:00+08:00")),
            "onset \"2026-06-31",
        ),
    ] {
        let reply = common::post(&app, "/api/warnings", body.clone()).await;
        assert!(reply.status.is_client_error(), "{body}: {}", reply.status);
        assert!(reply.error().contains(words), "{words}: {}", reply.error());
    }
}

/// PostGIS's people per township inside `area`: population points inside the area,
/// joined to the township polygon that contains them.
#[cfg(feature = "postgis")]
async fn postgis_people_by_township(
    url: &str,
    area: &Value,
) -> std::collections::BTreeMap<String, f64> {
    use riskatlas::store::postgis;
    let pool = postgis::connect(url).await.unwrap();
    sqlx::query("TRUNCATE riskatlas_layers CASCADE")
        .execute(&pool)
        .await
        .unwrap();
    let folder = riskatlas::import::load_folder(&common::repo_path("data/demo")).unwrap();
    for (i, id) in ["townships", "population"].iter().enumerate() {
        postgis::write_layer(&pool, folder.atlas.layer(id).unwrap(), i as i32)
            .await
            .unwrap();
    }
    let rows: Vec<(String, f64)> = sqlx::query_as(
        "SELECT t.props->>'code', sum((p.props->>'population')::float8)
           FROM riskatlas_features p
           JOIN riskatlas_features t ON t.layer = 'townships' AND ST_Contains(t.geom, p.geom)
          WHERE p.layer = 'population'
            AND ST_Intersects(p.geom, ST_SetSRID(ST_GeomFromGeoJSON($1), 4326))
          GROUP BY 1",
    )
    .bind(area.to_string())
    .fetch_all(&pool)
    .await
    .unwrap();
    rows.into_iter().collect()
}

#[cfg(feature = "postgis")]
#[tokio::test]
async fn people_per_township_match_a_postgis_spatial_join() {
    let Some(url) = common::postgis_url("the PostGIS comparison") else {
        return;
    };
    let app = common::demo_app();
    let body = drawn("red");
    let answer = common::post(&app, "/api/warnings", body.clone())
        .await
        .ok_json();
    let ours: std::collections::BTreeMap<String, f64> = answer["units"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["level"] == "township")
        .map(|u| {
            (
                u["code"].as_str().unwrap().to_string(),
                u["people"].as_f64().unwrap(),
            )
        })
        .collect();
    let theirs = postgis_people_by_township(&url, &body["area"]["geometry"]).await;
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    for (code, people) in &ours {
        assert!(
            (people - theirs[code]).abs() < 1e-6,
            "{code}: {people} vs PostGIS {}",
            theirs[code]
        );
    }
}
