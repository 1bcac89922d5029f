//! The service layer's promises: an edit does not hold up other requests, and every
//! endpoint answers each kind of failure with the same status (the table in
//! `api::error`).
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{demo_app, request};
use riskatlas::api::{AppState, HttpOptions, router};
use riskatlas::service::Service;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// On a runtime with one thread, a tile request made while a slow edit is being saved
/// answers before the edit does: the edit's rebuild and `fsync` run off the async
/// thread. (Were the edit to block that thread, the tile request could not even start
/// until the edit had finished.) The edit is slow because its layer is large — 300,000
/// population points, whose R-tree the edit rebuilds — and the tile is of a layer of
/// three shelters.
#[tokio::test(flavor = "current_thread")]
async fn a_tile_request_answers_while_a_slow_edit_is_in_progress() {
    use std::fmt::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("lon,lat,population\n");
    for i in 0..300_000u32 {
        let (x, y) = (i % 600, i / 600);
        writeln!(
            csv,
            "{},{},10",
            105.0 + x as f64 * 1e-4,
            34.0 + y as f64 * 1e-4
        )
        .unwrap();
    }
    std::fs::write(dir.path().join("people.csv"), csv).unwrap();
    std::fs::write(
        dir.path().join("shelters.csv"),
        "lon,lat,capacity\n105.01,34.01,100\n105.02,34.02,100\n105.03,34.03,100\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("atlas.toml"),
        "name = \"t\"\n[[layer]]\nid = \"people\"\nkind = \"population\"\nfile = \"people.csv\"\n[[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.csv\"\n",
    )
    .unwrap();
    let service = Arc::new(Service::open_folder(dir.path()).unwrap());
    let app = router(AppState::serving(service, HttpOptions::default()));
    let edit = {
        let app = app.clone();
        tokio::spawn(async move {
            let req = Request::post("/api/layers/people/features")
                .header("content-type", "application/json")
                .body(Body::from(
                    json!({"type": "Feature", "id": "new-village",
                           "geometry": {"type": "Point", "coordinates": [105.7, 34.5]},
                           "properties": {"population": 10}})
                    .to_string(),
                ))
                .unwrap();
            let reply = request(&app, req).await;
            (reply.status, Instant::now())
        })
    };
    // Let the edit task run until it hands its work to the blocking pool.
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
    let tile = request(
        &app,
        Request::get("/tiles/shelters/0/0/0")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let tile_done = Instant::now();
    assert_eq!(tile.status, 200);
    let (status, edit_done) = edit.await.unwrap();
    assert_eq!(status, 201);
    assert!(
        tile_done < edit_done,
        "the tile waited for the edit ({:?} after it)",
        tile_done - edit_done
    );
}

/// request → status, for every endpoint and each kind of failure.
#[tokio::test]
async fn every_endpoint_answers_each_kind_of_failure_with_its_status() {
    let app = demo_app();
    let no_roads = {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("people.csv"),
            "lon,lat,population\n105.7,34.5,10\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("atlas.toml"),
            "name = \"t\"\n[[layer]]\nid = \"people\"\nkind = \"population\"\nfile = \"people.csv\"\n",
        )
        .unwrap();
        let loaded = riskatlas::import::load_folder(dir.path()).unwrap();
        router(AppState::new(loaded.atlas, loaded.report))
    };
    let limited = |limits: riskatlas::api::LimitOptions| {
        let loaded = riskatlas::import::load_folder(&common::repo_path("data/demo")).unwrap();
        let service = Service::in_memory(loaded.atlas, loaded.report);
        router(AppState::serving(
            Arc::new(service),
            HttpOptions {
                limits,
                ..HttpOptions::default()
            },
        ))
    };
    let defaults = riskatlas::api::LimitOptions::default;
    let small_budget = limited(riskatlas::api::LimitOptions {
        max_work: 100,
        ..defaults()
    });
    let no_time = limited(riskatlas::api::LimitOptions {
        time_limit: std::time::Duration::from_nanos(1),
        ..defaults()
    });
    let one_a_minute = limited(riskatlas::api::LimitOptions {
        per_minute: 1,
        burst: 1,
        ..defaults()
    });
    let small_answers = limited(riskatlas::api::LimitOptions {
        max_response_bytes: 1 << 10,
        ..defaults()
    });
    let flood = json!({"hazards": [{"layer": "floods"}]});
    let big_options = json!({"pad": "x".repeat(20 << 10)});
    // (router, method, path, body, expected status)
    let cases: Vec<(&axum::Router, &str, &str, Option<serde_json::Value>, u16)> = vec![
        (&app, "GET", "/api/health", None, 200),
        (&app, "GET", "/api/layers/nope", None, 404),
        (
            &app,
            "GET",
            "/api/layers/shelters/features?bbox=1,2",
            None,
            400,
        ),
        (
            &app,
            "GET",
            "/api/layers/shelters/features/no-such-id",
            None,
            404,
        ),
        (&app, "GET", "/tiles/shelters/40/0/0", None, 400),
        (&app, "GET", "/nothing/here", None, 404),
        (&app, "DELETE", "/api/layers", None, 405),
        (
            &app,
            "POST",
            "/api/impact",
            Some(json!({"hazards": [{"layer": "nope"}]})),
            400,
        ),
        (
            &app,
            "POST",
            "/api/impact",
            Some(json!({"hazards": [], "exposure": "nope"})),
            400,
        ),
        (
            &app,
            "POST",
            "/api/impact",
            Some(json!({"hazards": [], "colour": 1})),
            400,
        ),
        (&app, "POST", "/api/impact", Some(json!([1])), 400),
        (
            &app,
            "POST",
            "/api/evacuation",
            Some(json!({"hazards": [], "candidates": 0})),
            400,
        ),
        (
            &app,
            "POST",
            "/api/evacuation",
            Some(json!({"hazards": [], "profile": "fly"})),
            400,
        ),
        (
            &app,
            "POST",
            "/api/coverage",
            Some(json!({"exposure": "nope"})),
            400,
        ),
        (
            &app,
            "POST",
            "/api/coverage",
            Some(json!({"speed_kmh": 900})),
            400,
        ),
        (
            &app,
            "POST",
            "/api/route",
            Some(json!({"from": [105.7, 34.5]})),
            400,
        ),
        (
            &app,
            "POST",
            "/api/route",
            Some(json!({"from": [0, 0], "to": [105.7, 34.5]})),
            200,
        ),
        (
            &app,
            "POST",
            "/api/layers/shelters/features",
            Some(json!({"type": "Feature"})),
            405,
        ),
        (&app, "DELETE", "/api/layers/shelters/features/1", None, 405),
        (&app, "GET", "/api/edits", None, 200),
        (&app, "GET", "/cards/evacuation", None, 400),
        (
            &no_roads,
            "POST",
            "/api/evacuation",
            Some(json!({"hazards": [], "routing": "road"})),
            400,
        ),
        (&no_roads, "POST", "/api/coverage", Some(json!({})), 422),
        (
            &no_roads,
            "POST",
            "/api/route",
            Some(json!({"from": [105.7, 34.5], "to": [105.7, 34.5]})),
            400,
        ),
        (&app, "POST", "/api/evacuation", Some(flood.clone()), 200),
        // Limits: a body over its route's limit, work over the cap, an analysis past its
        // time limit, an identity over its rate, an answer over the size cap.
        (&app, "POST", "/api/coverage", Some(big_options), 413),
        (
            &small_budget,
            "POST",
            "/api/impact",
            Some(flood.clone()),
            422,
        ),
        (
            &small_budget,
            "POST",
            "/api/evacuation",
            Some(flood.clone()),
            422,
        ),
        (&no_time, "POST", "/api/impact", Some(flood.clone()), 503),
        (
            &one_a_minute,
            "POST",
            "/api/route",
            Some(json!({"from": [0, 0], "to": [105.7, 34.5]})),
            200,
        ),
        (
            &one_a_minute,
            "POST",
            "/api/route",
            Some(json!({"from": [0, 0], "to": [105.7, 34.5]})),
            429,
        ),
        (
            &small_answers,
            "POST",
            "/api/impact",
            Some(flood.clone()),
            422,
        ),
    ];
    for (router, method, path, body, want) in cases {
        let mut req = Request::builder().method(method).uri(path);
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let reply = request(
            router,
            req.body(
                body.as_ref()
                    .map_or(Body::empty(), |b| Body::from(b.to_string())),
            )
            .unwrap(),
        )
        .await;
        assert_eq!(
            reply.status.as_u16(),
            want,
            "{method} {path} {body:?}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        if want >= 400 {
            assert!(
                !reply.error().is_empty(),
                "{method} {path}: an error names the problem"
            );
        }
    }
    // A body that is not sent as JSON is refused before it is read: a page on another
    // site can post text/plain without asking first.
    let plain = request(
        &app,
        Request::post("/api/impact")
            .header("content-type", "text/plain")
            .body(Body::from(flood.to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(plain.status, 415);
}
