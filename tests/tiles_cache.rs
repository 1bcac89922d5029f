//! The tile cache across edits: an edit redraws the tiles of its layer that the old or
//! new geometry touches, at every zoom, and nothing else.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{demo_copy, get, request, served, tile_of};
use serde_json::json;

async fn tile(app: &axum::Router, layers: &str, z: u32, (x, y): (u32, u32)) -> (String, Vec<u8>) {
    let r = get(app, &format!("/tiles/{layers}/{z}/{x}/{y}")).await;
    assert!(r.status == 200 || r.status == 204, "{}", r.status);
    let outcome = r.headers["x-tile-cache"].to_str().unwrap().to_string();
    (outcome, r.body)
}

async fn patch(app: &axum::Router, uri: &str, body: serde_json::Value) {
    let req = Request::patch(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let r = request(app, req).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}

#[tokio::test]
async fn an_edit_redraws_the_tiles_it_touches_and_serves_the_rest_from_the_cache() {
    let dir = demo_copy();
    let app = served(dir.path());
    let shelters = get(&app, "/api/layers/shelters/features?limit=1000")
        .await
        .ok_json();
    let features = shelters["features"].as_array().unwrap();
    let position = |f: &serde_json::Value| {
        let c = &f["geometry"]["coordinates"];
        (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
    };
    let moved = &features[0];
    let (lon, lat) = position(moved);
    // A shelter whose z14 tile is another: a tile the edit does not touch.
    let here = tile_of(lon, lat, 14);
    let far = features
        .iter()
        .map(position)
        .map(|(lo, la)| tile_of(lo, la, 14))
        .find(|t| t.0.abs_diff(here.0) > 2 || t.1.abs_diff(here.1) > 2)
        .unwrap();
    let whole = tile_of(lon, lat, 8);

    let cases = [
        ("shelters", 14, here),
        ("shelters", 14, far),
        ("shelters", 8, whole),
        ("roads", 14, here),
    ];
    for (layers, z, t) in cases {
        assert_eq!(
            tile(&app, layers, z, t).await.0,
            "miss",
            "{layers} {z}/{t:?} first"
        );
        assert_eq!(
            tile(&app, layers, z, t).await.0,
            "hit",
            "{layers} {z}/{t:?} again"
        );
    }
    let (_, before) = tile(&app, "shelters", 14, here).await;

    // Move the shelter a few metres (same z14 tile) and change its capacity.
    let id = moved["id"].as_str().unwrap();
    patch(
        &app,
        &format!("/api/layers/shelters/features/{id}"),
        json!({"geometry": {"type": "Point", "coordinates": [lon + 0.00001, lat]},
               "properties": {"capacity": 4321}}),
    )
    .await;

    let (outcome, after) = tile(&app, "shelters", 14, here).await;
    assert_eq!(outcome, "miss", "the edited shelter's tile is drawn again");
    assert_ne!(before, after);
    let decoded = common::mvt::decode(&after);
    assert!(
        decoded[0]
            .features
            .iter()
            .any(|f| f.props.get("capacity") == Some(&json!(4321))),
        "the new capacity is in the tile"
    );
    assert_eq!(
        tile(&app, "shelters", 8, whole).await.0,
        "miss",
        "every zoom it touches"
    );
    assert_eq!(
        tile(&app, "shelters", 14, far).await.0,
        "hit",
        "a tile it does not touch"
    );
    assert_eq!(
        tile(&app, "roads", 14, here).await.0,
        "hit",
        "another layer's tile"
    );
    // A composite naming the edited layer is drawn again; one naming others is not.
    assert_eq!(tile(&app, "roads,shelters", 14, here).await.0, "miss");
    assert_eq!(tile(&app, "roads,shelters", 14, here).await.0, "hit");

    // Moving it into the far tile touches both: the old place and the new.
    let (far_lon, far_lat) = features
        .iter()
        .map(position)
        .find(|&(lo, la)| tile_of(lo, la, 14) == far)
        .unwrap();
    patch(
        &app,
        &format!("/api/layers/shelters/features/{id}"),
        json!({"geometry": {"type": "Point", "coordinates": [far_lon + 0.00001, far_lat]}}),
    )
    .await;
    assert_eq!(
        tile(&app, "shelters", 14, here).await.0,
        "miss",
        "the old place"
    );
    assert_eq!(
        tile(&app, "shelters", 14, far).await.0,
        "miss",
        "the new place"
    );
    let ids = |bytes: &[u8]| -> Vec<u64> {
        common::mvt::decode(bytes)
            .iter()
            .flat_map(|l| l.features.iter().map(|f| f.id))
            .collect()
    };
    let (_, old_place) = tile(&app, "shelters", 14, here).await;
    let (_, new_place) = tile(&app, "shelters", 14, far).await;
    let fid = ids(&before)
        .into_iter()
        .find(|f| !ids(&old_place).contains(f))
        .expect("the moved shelter left its old tile");
    assert!(ids(&new_place).contains(&fid), "and is in its new one");
}

#[tokio::test]
async fn an_edit_that_changes_what_a_feature_costs_in_a_tile_redraws_the_whole_layer() {
    // Three shelters far apart: one tile holds them all at zoom 0, so every edit to a
    // shelter's bytes there changes the layer's measured cost per feature (see
    // `tiles::estimate`), which may change whether any tile of the layer is drawn
    // exactly: every tile of the layer is drawn again. An edit that leaves the bytes
    // as they were leaves the rest cached.
    let places = [(100.0, 30.0), (101.0, 31.0), (102.0, 32.0)];
    let shelters: Vec<serde_json::Value> = places
        .iter()
        .enumerate()
        .map(|(i, &(lon, lat))| {
            common::folder::point(
                &format!("S{i}"),
                lon,
                lat,
                json!({"name": format!("shelter {i}"), "capacity": 10 * (i + 1)}),
            )
        })
        .collect();
    let dir = common::folder::data_folder(
        "name = \"three\"\n[[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.geojson\"\n",
        &[("shelters.geojson", common::folder::collection(shelters))],
    );
    let app = served(dir.path());
    let far = tile_of(102.0, 32.0, 12);
    assert_eq!(tile(&app, "shelters", 12, far).await.0, "miss");
    assert_eq!(tile(&app, "shelters", 12, far).await.0, "hit");

    // Capacity 10 to 11: distinct values both, the same bytes, the same costs; the far
    // tile stays cached.
    patch(
        &app,
        "/api/layers/shelters/features/S0",
        json!({"properties": {"capacity": 11}}),
    )
    .await;
    assert_eq!(
        tile(&app, "shelters", 12, far).await.0,
        "hit",
        "an edit elsewhere that costs no byte"
    );

    // A long name: a shelter costs hundreds of bytes more, so the layer is redrawn.
    patch(
        &app,
        "/api/layers/shelters/features/S0",
        json!({"properties": {"name": "避难场所".repeat(100)}}),
    )
    .await;
    assert_eq!(
        tile(&app, "shelters", 12, far).await.0,
        "miss",
        "the layer's cost per feature changed"
    );
}
