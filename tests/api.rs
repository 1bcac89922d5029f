//! The HTTP API through `router(state)`: catalogue, TileJSON, feature queries, the web
//! page, and every bad-input case answering 4xx with a JSON error.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{demo_app, get, repo_path, request};
use geo::{Geometry, Rect, Relate};
use serde_json::Value;
use std::collections::BTreeSet;

/// Counts features per demo file by reading the files directly (GeoJSON as plain JSON,
/// CSV as lines), not through the crate's importer.
fn file_counts() -> Vec<(String, usize)> {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo_path("data/demo/atlas.toml")).unwrap())
            .unwrap();
    manifest["layer"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let file = repo_path("data/demo").join(l["file"].as_str().unwrap());
            let text = std::fs::read_to_string(&file).unwrap();
            let n = if file.extension().unwrap() == "csv" {
                text.lines().filter(|line| !line.trim().is_empty()).count() - 1
            } else {
                serde_json::from_str::<Value>(&text).unwrap()["features"]
                    .as_array()
                    .unwrap()
                    .len()
            };
            (l["id"].as_str().unwrap().to_string(), n)
        })
        .collect()
}

#[tokio::test]
async fn health_reports_layers_and_features() {
    let body = get(&demo_app(), "/api/health").await.json();
    let total: usize = file_counts().iter().map(|(_, n)| n).sum();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["layers"], file_counts().len());
    assert_eq!(body["features"], total);
}

#[tokio::test]
async fn the_catalogue_lists_every_demo_layer_with_the_counts_in_its_file() {
    let body = get(&demo_app(), "/api/layers").await.json();
    let listed: Vec<(String, usize)> = body["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["id"].as_str().unwrap().to_string(),
                l["count"].as_u64().unwrap() as usize,
            )
        })
        .collect();
    assert_eq!(listed, file_counts());
    for l in body["layers"].as_array().unwrap() {
        assert_eq!(l["rejected"], 0, "{}", l["id"]);
        assert_eq!(l["bbox"].as_array().unwrap().len(), 4);
        assert!(!l["fields"].as_array().unwrap().is_empty());
    }
    let kinds: BTreeSet<&str> = body["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    for k in [
        "admin",
        "road",
        "flood",
        "wildfire",
        "landslide",
        "population",
        "shelter",
        "facility",
        "depot",
        "team",
        "drill",
    ] {
        assert!(kinds.contains(k), "the demo lacks a {k} layer");
    }
}

#[tokio::test]
async fn tilejson_describes_the_layer_and_its_tiles() {
    let body = get(&demo_app(), "/api/layers/shelters").await.json();
    assert_eq!(body["tilejson"], "3.0.0");
    assert_eq!(
        body["tiles"][0],
        "http://127.0.0.1:8080/tiles/shelters/{z}/{x}/{y}"
    );
    assert_eq!(body["vector_layers"][0]["id"], "shelters");
    assert_eq!(body["vector_layers"][0]["fields"]["capacity"], "Number");
    assert_eq!(body["vector_layers"][0]["fields"]["name"], "String");
}

#[tokio::test]
async fn bbox_queries_return_what_a_full_scan_finds() {
    let app = demo_app();
    let all = get(&app, "/api/layers/villages/features?limit=10000")
        .await
        .json();
    let (w, s, e, n) = (105.65, 34.45, 105.75, 34.52);
    let rect = Rect::new((w, s), (e, n)).to_polygon();
    let expected: BTreeSet<&str> = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let g: geojson::Geometry = serde_json::from_value(f["geometry"].clone()).unwrap();
            let g: Geometry<f64> = g.try_into().unwrap();
            g.relate(&rect).is_intersects()
        })
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let got = get(
        &app,
        &format!("/api/layers/villages/features?bbox={w},{s},{e},{n}&limit=10000"),
    )
    .await
    .json();
    let got_ids: BTreeSet<&str> = got["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(got_ids, expected);
    assert_eq!(got["numberMatched"], expected.len());
}

#[tokio::test]
async fn where_filters_match_the_source_file_values() {
    // Count severity ≥ 3 in the source file, under its Chinese field name.
    let text = std::fs::read_to_string(repo_path("data/demo/landslides.geojson")).unwrap();
    let source: Value = serde_json::from_str(&text).unwrap();
    let expected = source["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["险情等级"].as_i64().unwrap() >= 3)
        .count();
    let debris = source["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["灾害类型"] == "泥石流")
        .count();
    let app = demo_app();
    let body = get(
        &app,
        "/api/layers/landslides/features?where=severity%3E%3D3&limit=0",
    )
    .await
    .json();
    assert_eq!(body["numberMatched"], expected);
    assert_eq!(body["numberReturned"], 0);
    let body = get(
        &app,
        "/api/layers/landslides/features?where=hazard_type%3Ddebris_flow&limit=1000",
    )
    .await
    .json();
    assert_eq!(body["numberMatched"], debris);
}

#[tokio::test]
async fn paging_with_limit_and_offset_walks_the_whole_layer_once() {
    let app = demo_app();
    let mut seen = Vec::new();
    for page in 0.. {
        let body = get(
            &app,
            &format!("/api/layers/roads/features?limit=50&offset={}", page * 50),
        )
        .await
        .json();
        // The demo's roads have no ids in their file: their stable ids are their positions.
        let ids: Vec<u64> = body["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().parse().unwrap())
            .collect();
        if ids.is_empty() {
            break;
        }
        seen.extend(ids);
    }
    let total = file_counts()
        .into_iter()
        .find(|(id, _)| id == "roads")
        .unwrap()
        .1;
    assert_eq!(seen, (0..total as u64).collect::<Vec<_>>());
}

/// The demo's shelters carry no ids in their file, so each one's stable id is its
/// position at load, as text.
#[tokio::test]
async fn one_feature_by_stable_id_is_the_feature_the_file_gave_that_id() {
    let text = std::fs::read_to_string(repo_path("data/demo/shelters.geojson")).unwrap();
    let source: Value = serde_json::from_str(&text).unwrap();
    let body = get(&demo_app(), "/api/layers/shelters/features/5")
        .await
        .ok_json();
    assert_eq!(body["type"], "Feature");
    assert_eq!(body["id"], "5");
    assert_eq!(
        body["properties"]["name"],
        source["features"][5]["properties"]["name"]
    );
    assert_eq!(body["geometry"], source["features"][5]["geometry"]);
}

#[tokio::test]
async fn one_feature_by_tile_fid_is_the_feature_at_that_position_with_its_stable_id() {
    let text = std::fs::read_to_string(repo_path("data/demo/landslides.geojson")).unwrap();
    let source: Value = serde_json::from_str(&text).unwrap();
    let body = get(&demo_app(), "/api/layers/landslides/fid/3")
        .await
        .ok_json();
    // The landslides' ids come from their 编号 column.
    assert_eq!(body["id"], source["features"][3]["properties"]["编号"]);
    assert_eq!(body["geometry"], source["features"][3]["geometry"]);
}

#[tokio::test]
async fn an_unknown_feature_id_is_a_404_naming_the_id() {
    let reply = get(&demo_app(), "/api/layers/shelters/features/S-404").await;
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.error(),
        r#"layer "shelters" has no feature with id "S-404""#
    );
    // A number past the end is an id like any other, not a position.
    let reply = get(&demo_app(), "/api/layers/shelters/features/999999").await;
    assert_eq!(reply.status, 404);
    assert!(
        reply.error().contains(r#"id "999999""#),
        "{}",
        reply.error()
    );
}

#[tokio::test]
async fn chinese_source_fields_arrive_under_canonical_names() {
    let body = get(&demo_app(), "/api/layers/population/features/0")
        .await
        .json();
    let csv = std::fs::read_to_string(repo_path("data/demo/population.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| first[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(
        body["properties"]["population"]
            .as_i64()
            .unwrap()
            .to_string(),
        col("户籍人口")
    );
    assert_eq!(body["properties"]["admin_code"], col("行政区划代码"));
    assert_eq!(body["properties"]["name"], col("村名"));
}

#[tokio::test]
async fn the_web_page_style_and_fonts_are_served_from_the_binary() {
    let app = demo_app();
    let page = get(&app, "/").await;
    assert_eq!(page.status, 200);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = String::from_utf8(page.body).unwrap();
    assert!(html.contains("maplibre"), "the page loads MapLibre");
    assert!(
        !html.contains("https://"),
        "the page must not reach the internet"
    );
    let style = get(&app, "/style.json").await.json();
    assert_eq!(style["version"], 8);
    let tiles = style["sources"]["atlas"]["tiles"][0].as_str().unwrap();
    for (id, _) in file_counts() {
        assert!(tiles.contains(&id), "{id} missing from {tiles}");
    }
    assert!(
        style["glyphs"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:8080/fonts/")
    );
    let font = get(&app, "/fonts/Noto%20Sans%20Regular/0-255.pbf").await;
    assert_eq!(font.status, 200);
    assert!(!font.body.is_empty());
}

#[tokio::test]
async fn every_style_layer_names_its_atlas_layer() {
    let style = get(&demo_app(), "/style.json").await.json();
    for l in style["layers"].as_array().unwrap().iter().skip(1) {
        assert!(l["metadata"]["riskatlas:layer"].is_string(), "{}", l["id"]);
        let source = l["source-layer"].as_str().unwrap();
        let layer = l["metadata"]["riskatlas:layer"].as_str().unwrap();
        assert!(
            source == layer
                || source == format!("{layer}:label")
                || source == format!("{layer}:clusters"),
            "{source} for {layer}"
        );
    }
}

/// Every request a client can get wrong, and the status it must get.
const BAD_REQUESTS: &[(&str, u16, &str)] = &[
    ("/tiles/roads/23/0/0", 400, "zoom 23"),
    ("/tiles/roads/1/2/0", 400, "x 2 is outside"),
    ("/tiles/roads/1/0/2", 400, "y 2 is outside"),
    ("/tiles/roads/1/0/-1", 400, "non-negative integer"),
    ("/tiles/roads/a/0/0", 400, "tile z"),
    ("/tiles/roads/99999999999999999999999/0/0", 400, "tile z"),
    ("/tiles/nope/1/0/0", 404, "unknown layer"),
    ("/tiles/roads,nope/1/0/0", 404, "unknown layer"),
    ("/tiles/Roads/1/0/0", 404, "unknown layer"),
    ("/api/layers/nope", 404, "unknown layer"),
    ("/api/layers/nope/features", 404, "unknown layer"),
    ("/api/layers/roads/features?bbox=1,2,3", 400, "bbox"),
    (
        "/api/layers/roads/features?bbox=a,b,c,d",
        400,
        "not a number",
    ),
    (
        "/api/layers/roads/features?bbox=10,0,5,1",
        400,
        "west must not exceed east",
    ),
    ("/api/layers/roads/features?bbox=0,0,1,95", 400, "latitudes"),
    ("/api/layers/roads/features?bbox=NaN,0,1,1", 400, "bbox"),
    ("/api/layers/roads/features?limit=100000", 400, "limit"),
    ("/api/layers/roads/features?limit=-1", 400, "limit"),
    ("/api/layers/roads/features?offset=x", 400, "offset"),
    (
        "/api/layers/roads/features?filter=speed_kmh%3E1",
        400,
        "unknown field `filter`",
    ),
    ("/api/edits?layr=roads", 400, "unknown field `layr`"),
    (
        "/api/layers/roads/features?where=nope%3D1",
        400,
        "unknown field",
    ),
    (
        "/api/layers/roads/features?where=speed_kmh%3Dfast",
        400,
        "not a number",
    ),
    (
        "/api/layers/roads/features?where=name%3E3",
        400,
        "only numeric",
    ),
    ("/api/layers/roads/features?where=speed_kmh", 400, "where"),
    (
        "/api/layers/roads/features?where=speed_kmh%3D1%20or%20x%3D2",
        400,
        "where",
    ),
    ("/api/layers/roads/features/abc", 404, "no feature with id"),
    ("/api/layers/nope/features/1", 404, "nope"),
    ("/api/layers/roads/fid/abc", 400, "non-negative integer"),
    ("/api/layers/roads/fid/-1", 400, "non-negative integer"),
    ("/api/layers/roads/fid/999999", 404, "no fid 999999"),
    ("/api/nothing", 404, "no such path"),
    ("/no-such-file.js", 404, "no such path"),
    ("/..%2FCargo.toml", 404, "no such path"),
];

#[tokio::test]
async fn every_bad_request_gets_a_4xx_with_a_json_error_saying_what_was_wrong() {
    let app = demo_app();
    for (uri, status, needle) in BAD_REQUESTS {
        let reply = get(&app, uri).await;
        assert_eq!(
            reply.status.as_u16(),
            *status,
            "{uri}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        let error = reply.error();
        assert!(
            error.contains(needle),
            "{uri}: error {error:?} should mention {needle:?}"
        );
    }
}

#[tokio::test]
async fn too_many_layers_in_one_tile_request_is_refused() {
    let ids = vec!["roads"; 1]
        .into_iter()
        .chain((0..70).map(|_| "x"))
        .collect::<Vec<_>>()
        .join(",");
    let many: String = (0..70)
        .map(|i| format!("l{i}"))
        .collect::<Vec<_>>()
        .join(",");
    assert!(
        get(&demo_app(), &format!("/tiles/{ids}/0/0/0"))
            .await
            .status
            .is_client_error()
    );
    let reply = get(&demo_app(), &format!("/tiles/{many}/0/0/0")).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.json()["error"]
            .as_str()
            .unwrap()
            .contains("at most 64 layers")
    );
}

#[tokio::test]
async fn wrong_methods_get_405_with_a_json_error() {
    let reply = request(
        &demo_app(),
        Request::post("/api/layers").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(reply.status, 405);
    assert!(reply.json()["error"].as_str().unwrap().contains("POST"));
}

#[tokio::test]
async fn a_forged_host_header_cannot_inject_into_returned_urls() {
    let reply = request(
        &demo_app(),
        Request::get("/api/layers/roads")
            .header("host", "evil.example/\"><script>")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let tiles = reply.json()["tiles"][0].as_str().unwrap().to_string();
    assert!(tiles.starts_with("http://127.0.0.1:8080/"), "{tiles}");
}

#[tokio::test]
async fn a_web_dir_serves_the_page_from_disk_instead_of_the_embedded_copy() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.html"), "<p>edited page</p>").unwrap();
    let loaded = riskatlas::import::load_folder(&repo_path("data/demo")).unwrap();
    let state = riskatlas::api::AppState::new(loaded.atlas, loaded.report)
        .with_web_dir(Some(dir.path().to_path_buf()));
    let app = riskatlas::api::router(state);
    assert_eq!(get(&app, "/").await.body, b"<p>edited page</p>");
    assert_eq!(
        get(&app, "/app.js").await.status,
        404,
        "only files in the folder are served"
    );
    assert_eq!(get(&app, "/..%2F..%2Fetc%2Fpasswd").await.status, 404);
}
