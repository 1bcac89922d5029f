//! Edits through the API, and their durability: the log replayed after a restart, and
//! `kill -9` of a server in the middle of edits losing no acknowledged edit.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::server::http;
use common::{demo_copy, post, request};
use riskatlas::api::{AppState, router};
use riskatlas::atlas::Atlas;
use riskatlas::edits::{LOG_FILE, log::EditLog, replay};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// What a server on `dir` would hold after start-up: the files plus the replayed log.
fn reload(dir: &Path) -> Atlas {
    let loaded = riskatlas::import::load_folder(dir).unwrap();
    // Read without locking: a test's server may hold the log.
    let records =
        riskatlas::edits::log::read_records::<riskatlas::edits::EditRecord>(&dir.join(LOG_FILE))
            .unwrap();
    let (atlas, problems) = replay(&loaded.atlas, &records);
    assert!(problems.is_empty(), "{problems:?}");
    atlas
}

/// An editor, `duty-officer-7`, in a users file of their own, and their token: made
/// once (argon2 is slow by design).
fn editor() -> &'static (tempfile::TempDir, String) {
    use riskatlas::service::access::{Role, USERS_FILE, admin};
    static EDITOR: std::sync::OnceLock<(tempfile::TempDir, String)> = std::sync::OnceLock::new();
    EDITOR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(USERS_FILE);
        admin::add(&path, "duty-officer-7", Role::Editor, vec![]).unwrap();
        let token = admin::token(&path, "duty-officer-7").unwrap();
        (dir, token)
    })
}

/// A server's state on `dir`, started as `serve` starts it, taking the editor's token.
fn app_on(dir: &Path) -> axum::Router {
    use riskatlas::service::access::{Access, USERS_FILE, Users};
    let service = riskatlas::service::Service::open_folder(dir).unwrap();
    let users = Users::read(&editor().0.path().join(USERS_FILE)).unwrap();
    router(AppState::serving(
        std::sync::Arc::new(service),
        riskatlas::api::HttpOptions {
            access: Access::users(users, None),
            ..riskatlas::api::HttpOptions::default()
        },
    ))
}

/// A GET as the editor.
async fn get(app: &axum::Router, uri: &str) -> common::Reply {
    send(app, "GET", uri, None).await
}

async fn send(app: &axum::Router, method: &str, uri: &str, body: Option<Value>) -> common::Reply {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", editor().1))
        // A header claiming another name is ignored: the audit trail records the token's.
        .header("x-riskatlas-user", "mallory")
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
        .unwrap();
    request(app, req).await
}

fn capacity_of(atlas: &Atlas, id: &str) -> Option<Value> {
    let layer = atlas.layer("shelters").unwrap();
    let fid = layer.features().iter().position(|f| &*f.id == id)?;
    Some(layer.feature_geojson(fid as u32).unwrap()["properties"]["capacity"].clone())
}

#[tokio::test]
async fn insert_patch_delete_are_served_at_once_logged_and_survive_a_restart() {
    let dir = demo_copy();
    let app = app_on(dir.path());
    let before = reload(dir.path());
    let shelters = before.layer("shelters").unwrap();
    let n = shelters.len();
    let (first, second) = (
        shelters.features()[0].id.to_string(),
        shelters.features()[1].id.to_string(),
    );
    // Somewhere inside the county, away from the generated shelters' exact spots.
    let b = before.bbox().unwrap();
    let (lon, lat) = b.center();

    let r = send(
        &app,
        "POST",
        "/api/layers/shelters/features",
        Some(json!({
            "id": "S-new", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"name": "新建安置点", "capacity": 450}
        })),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.json()["who"], "duty-officer-7");
    assert_eq!(r.json()["before"], Value::Null);

    let r = send(
        &app,
        "PATCH",
        &format!("/api/layers/shelters/features/{first}"),
        Some(json!({"properties": {"capacity": 9}})),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.json()["after"]["properties"]["capacity"], 9);
    assert_ne!(r.json()["before"]["properties"]["capacity"], 9);

    let r = send(
        &app,
        "DELETE",
        &format!("/api/layers/shelters/features/{second}"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);

    // Served at once: the catalogue, the feature query and a tile see the new state.
    let layers = get(&app, "/api/layers").await.json();
    let count = layers["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "shelters")
        .map(|l| l["count"].clone())
        .unwrap();
    assert_eq!(count, json!(n), "one added, one deleted");
    let eps = 1e-4;
    let found = get(
        &app,
        &format!(
            "/api/layers/shelters/features?bbox={},{},{},{}",
            lon - eps,
            lat - eps,
            lon + eps,
            lat + eps
        ),
    )
    .await
    .json();
    assert!(
        found["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["properties"]["name"] == "新建安置点"),
        "{found}"
    );
    let (x, y) = common::tile_of(lon, lat, 14);
    let tile = get(&app, &format!("/tiles/shelters/14/{x}/{y}")).await;
    assert_eq!(tile.status, StatusCode::OK);
    let decoded = common::mvt::decode(&tile.body);
    assert!(
        decoded.iter().any(|l| l
            .features
            .iter()
            .any(|f| f.props.get("name") == Some(&json!("新建安置点")))),
        "the new shelter is in its tile"
    );

    // The audit trail, newest first.
    let history = get(&app, "/api/edits?layer=shelters").await.json();
    let ops: Vec<&str> = history["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["op"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["delete", "update", "insert"]);

    // After a restart (files plus log), the same state.
    let after = reload(dir.path());
    assert_eq!(capacity_of(&after, "S-new"), Some(json!(450)));
    assert_eq!(capacity_of(&after, &first), Some(json!(9)));
    assert_eq!(capacity_of(&after, &second), None);
    assert_eq!(after.layer("shelters").unwrap().len(), n);
}

#[tokio::test]
async fn bad_edits_are_refused_with_a_4xx_naming_the_problem_and_change_nothing() {
    let dir = demo_copy();
    let app = app_on(dir.path());
    let first = reload(dir.path()).layer("shelters").unwrap().features()[0]
        .id
        .to_string();
    let point = json!({"type": "Point", "coordinates": [105.6, 34.5]});
    let cases = [
        (
            "POST",
            "/api/layers/nope/features".to_string(),
            Some(json!({"geometry": point})),
            404,
            "no layer",
        ),
        (
            "POST",
            "/api/layers/shelters/features".into(),
            Some(json!({"geometry": point})),
            400,
            "capacity",
        ),
        (
            "POST",
            "/api/layers/shelters/features".into(),
            Some(json!({"id": first, "geometry": point, "properties": {"capacity": 1}})),
            409,
            "already has",
        ),
        (
            "POST",
            "/api/layers/shelters/features".into(),
            Some(json!({"properties": {"capacity": 1}})),
            400,
            "no geometry",
        ),
        (
            "PATCH",
            format!("/api/layers/shelters/features/{first}"),
            Some(json!({"properties": {"capacity": "many"}})),
            400,
            "capacity",
        ),
        (
            "PATCH",
            format!("/api/layers/shelters/features/{first}"),
            Some(json!({"colour": 1})),
            400,
            "unexpected member",
        ),
        (
            "PATCH",
            "/api/layers/shelters/features/none-such".into(),
            Some(json!({"properties": {}})),
            404,
            "no feature",
        ),
        (
            "DELETE",
            "/api/layers/shelters/features/none-such".into(),
            None,
            404,
            "no feature",
        ),
    ];
    for (method, uri, body, status, needle) in cases {
        let r = send(&app, method, &uri, body.clone()).await;
        let text = String::from_utf8_lossy(&r.body).to_string();
        assert_eq!(r.status.as_u16(), status, "{method} {uri} {body:?}: {text}");
        assert!(text.contains(needle), "{method} {uri}: {text}");
    }
    let not_json = Request::post("/api/layers/shelters/features")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {}", editor().1))
        .body(Body::from("{not json"))
        .unwrap();
    let r = request(&app, not_json).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Without the token, nothing is even read.
    let r = post(&app, "/api/layers/shelters/features", json!({})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        std::fs::metadata(dir.path().join(LOG_FILE)).unwrap().len(),
        0,
        "nothing logged"
    );
    // A server without an edit log refuses edits plainly.
    let r = post(
        &common::demo_app(),
        "/api/layers/shelters/features",
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// The demo's shelters have no ids in their file, so their stable ids are "0", "1", …
/// by position at load. Deleting "1" moves every later shelter one place down, and the
/// GET used to read `/features/2` as a position: it served the shelter whose id is "3".
#[tokio::test]
async fn after_deleting_id_1_get_and_patch_of_id_2_reach_the_shelter_whose_id_is_2() {
    let dir = demo_copy();
    let app = app_on(dir.path());
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("shelters.geojson")).unwrap(),
    )
    .unwrap();
    let (two, three) = (&file["features"][2], &file["features"][3]);
    assert_ne!(two["properties"]["name"], three["properties"]["name"]);
    assert_eq!(two["properties"]["status"], "open");

    let r = send(&app, "DELETE", "/api/layers/shelters/features/1", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let got = get(&app, "/api/layers/shelters/features/2").await.ok_json();
    assert_eq!(got["id"], "2");
    assert_eq!(got["properties"]["name"], two["properties"]["name"]);
    assert_eq!(got["geometry"], two["geometry"]);

    let r = send(
        &app,
        "PATCH",
        "/api/layers/shelters/features/2",
        Some(json!({"properties": {"status": "closed"}})),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    // The record names the shelter by id and holds what changed.
    assert_eq!(r.json()["id"], "2");
    assert_eq!(
        r.json()["before"],
        json!({"properties": {"status": two["properties"]["status"]}})
    );
    let got = get(&app, "/api/layers/shelters/features/2").await.ok_json();
    assert_eq!(got["properties"]["status"], "closed");
    assert_eq!(got["properties"]["name"], two["properties"]["name"]);
    // The shelter now at position 2 (id "3") is untouched.
    let next = get(&app, "/api/layers/shelters/features/3").await.ok_json();
    assert_eq!(next["properties"]["name"], three["properties"]["name"]);
    assert_eq!(next["properties"]["status"], "open");
    assert_eq!(
        get(&app, "/api/layers/shelters/fid/2").await.ok_json(),
        next
    );
}

/// A shelter layer with the ids real sources give: an OSM node, a census 编号 and a
/// Chinese code.
fn string_id_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("atlas.toml"),
        "name = \"ids\"\n[[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.geojson\"\n",
    )
    .unwrap();
    let feature = |id: &str, lon: f64, capacity: i64| {
        json!({"type": "Feature", "id": id,
               "geometry": {"type": "Point", "coordinates": [lon, 34.5]},
               "properties": {"capacity": capacity}})
    };
    let features = [
        feature("n123", 105.1, 100),
        feature("510184-001", 105.2, 200),
        feature("避难所-甲", 105.3, 300),
    ];
    std::fs::write(
        dir.path().join("shelters.geojson"),
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    dir
}

/// `id` as a URI path segment (UTF-8 bytes outside the unreserved set percent-encoded).
fn path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_layer_with_osm_census_and_chinese_ids_answers_get_patch_and_delete_by_them() {
    let dir = string_id_folder();
    let app = app_on(dir.path());
    let uri = |id: &str| format!("/api/layers/shelters/features/{}", path_segment(id));
    for (id, lon, capacity) in [
        ("n123", 105.1, 100),
        ("510184-001", 105.2, 200),
        ("避难所-甲", 105.3, 300),
    ] {
        let got = get(&app, &uri(id)).await.ok_json();
        assert_eq!(got["id"], id);
        assert_eq!(got["properties"]["capacity"], capacity);
        assert_eq!(got["geometry"]["coordinates"], json!([lon, 34.5]));
    }
    let r = send(
        &app,
        "PATCH",
        &uri("避难所-甲"),
        Some(json!({"properties": {"capacity": 333}})),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.json()["id"], "避难所-甲");
    assert_eq!(
        get(&app, &uri("避难所-甲")).await.ok_json()["properties"]["capacity"],
        333
    );

    let r = send(&app, "DELETE", &uri("n123"), None).await;
    assert_eq!(r.status, StatusCode::OK);
    let gone = get(&app, &uri("n123")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        gone.error(),
        r#"layer "shelters" has no feature with id "n123""#
    );
    // The census id, now first in the layer, still answers by its id.
    let census = get(&app, &uri("510184-001")).await.ok_json();
    assert_eq!(census["properties"]["capacity"], 200);
    assert_eq!(
        get(&app, "/api/layers/shelters/fid/0").await.ok_json(),
        census
    );
}

/// The data contract's bounds hold for edits as for files, each refusal a 400 naming the
/// field (or the feature) and the bound, and nothing refused is logged. The demo's shelter
/// "0" has capacity 600; its villages "0" and "1" have codes 629901100201 and
/// 629901100202 (data/demo).
#[tokio::test]
async fn edits_past_the_data_contract_bounds_are_refused_naming_the_field_and_the_bound() {
    let dir = demo_copy();
    let app = app_on(dir.path());
    let point = json!({"type": "Point", "coordinates": [105.6, 34.5]});
    let world = json!({"type": "Polygon", "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]]});
    let cases = [
        (
            "POST",
            "/api/layers/shelters/features",
            json!({"geometry": point, "properties": {"capacity": 1e20}}),
            "attribute capacity: 1e+20 is above 50000000, the largest count one feature may hold",
        ),
        (
            "PATCH",
            "/api/layers/shelters/features/0",
            json!({"properties": {"capacity": 2.5}}),
            "attribute capacity: expected a whole number, got 2.5",
        ),
        (
            "PATCH",
            "/api/layers/shelters/features/0",
            json!({"properties": {"occupancy": 99999}}),
            "attribute occupancy: 99999 is more than the capacity 600; occupancy may not exceed capacity",
        ),
        (
            "PATCH",
            "/api/layers/population/features/0",
            json!({"properties": {"population": 60_000_000}}),
            "attribute population: 60000000 is above 50000000, the largest count one feature may hold",
        ),
        (
            "PATCH",
            "/api/layers/villages/features/1",
            json!({"properties": {"code": "629901100201"}}),
            r#"duplicate code "629901100201" (first at feature "0")"#,
        ),
        (
            "PATCH",
            "/api/layers/floods/features/0",
            json!({"geometry": world}),
            "a flood polygon of 510065625 km² is larger than 100000 km² (about a province): likely a coordinate error (swapped lon/lat, projected coordinates, a placeholder box)",
        ),
        (
            "POST",
            "/api/layers/floods/features",
            json!({"geometry": {"type": "Polygon", "coordinates": [[[105.5, 34.5], [105.75, 34.5], [105.75, 34.75], [105.5, 34.75]]]},
                   "properties": {"return_period_years": 20}}),
            "geometry: exterior ring is not closed (first and last positions differ)",
        ),
    ];
    for (method, uri, body, reason) in cases {
        let r = send(&app, method, uri, Some(body)).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{method} {uri}: {}",
            r.error()
        );
        assert_eq!(r.error(), reason, "{method} {uri}");
    }
    assert_eq!(
        std::fs::metadata(dir.path().join(LOG_FILE)).unwrap().len(),
        0,
        "nothing logged"
    );
    // A village may keep its own code, and take one no other village has.
    let r = send(
        &app,
        "PATCH",
        "/api/layers/villages/features/1",
        Some(json!({"properties": {"code": "629901100202", "name": "石坝村"}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.error());
    let r = send(
        &app,
        "PATCH",
        "/api/layers/villages/features/1",
        Some(json!({"properties": {"code": "629901199999"}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.error());
}

/// A bow-tie flood drawn into the editor is repaired as the loader repairs one: split
/// where the ring crosses itself into its two triangles, said in the record, stored and
/// served as such, and replayed unchanged after a restart.
#[tokio::test]
async fn an_edited_bow_tie_flood_is_split_into_its_two_triangles_and_the_record_says_so() {
    let dir = demo_copy();
    let app = app_on(dir.path());
    let r = send(
        &app,
        "POST",
        "/api/layers/floods/features",
        Some(json!({"id": "bow-tie",
            "geometry": {"type": "Polygon", "coordinates": [[[105.5, 34.5], [105.75, 34.75], [105.75, 34.5], [105.5, 34.75], [105.5, 34.5]]]},
            "properties": {"return_period_years": 50}})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.error());
    let record = r.json();
    assert_eq!(
        record["after"]["repairs"],
        json!([
            "polygon 0: its rings cross or overlap at [105.625, 34.625]; repaired by the even-odd rule into 2 valid polygons"
        ])
    );
    let served = get(&app, "/api/layers/floods/features/bow-tie")
        .await
        .ok_json();
    assert_eq!(served["geometry"], record["after"]["geometry"]);
    let geometry: geojson::Geometry = serde_json::from_value(served["geometry"].clone()).unwrap();
    let geometry: geo::Geometry<f64> = geometry.try_into().unwrap();
    let geo::Geometry::MultiPolygon(parts) = geometry else {
        panic!("{geometry:?}")
    };
    use geo::Area;
    // Each triangle a quarter of the 0.25° square: 0.015625 square degrees.
    assert_eq!(parts.0.len(), 2);
    for p in &parts.0 {
        assert!((p.unsigned_area() - 0.015625).abs() < 1e-12);
    }
    let after = reload(dir.path());
    let replayed = after.layer("floods").unwrap();
    let fid = replayed.fid_of("bow-tie").unwrap();
    assert_eq!(
        replayed.feature_geojson(fid).unwrap()["geometry"],
        served["geometry"]
    );
}

/// Starts `riskatlas serve` on `dir`; waits until it answers.
fn start(dir: &Path) -> (std::process::Child, String) {
    common::server::start(&["--data".as_ref(), dir.as_os_str()])
}

#[test]
fn kill_9_at_random_moments_loses_no_acknowledged_edit_and_changes_nothing_else() {
    use rand::{Rng, SeedableRng};
    let dir = demo_copy();
    let original = reload(dir.path());
    let patched = original.layer("shelters").unwrap().features()[0]
        .id
        .to_string();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    // Every acknowledged insert, and the last acknowledged capacity of `patched`.
    let mut acked: Vec<(String, i64)> = Vec::new();
    let mut in_flight: Vec<(String, i64)> = Vec::new();
    let mut acked_patch: Option<i64> = None;
    let mut patch_in_flight: Vec<i64> = Vec::new();
    let rounds = 12;
    for round in 0..rounds {
        let (mut child, addr) = start(dir.path());
        let kill_after = Duration::from_millis(rng.random_range(20..400));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let killer = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(kill_after);
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
                stop.store(true, std::sync::atomic::Ordering::SeqCst);
            })
        };
        let mut i = 0;
        while !stop.load(std::sync::atomic::Ordering::SeqCst) {
            i += 1;
            let capacity = round * 1000 + i;
            if i % 3 == 0 {
                let body = json!({"properties": {"capacity": capacity}}).to_string();
                patch_in_flight.push(capacity);
                match http(
                    &addr,
                    "PATCH",
                    &format!("/api/layers/shelters/features/{patched}"),
                    &body,
                ) {
                    Some(200) => acked_patch = Some(capacity),
                    Some(other) => panic!("PATCH answered {other}"),
                    None => break,
                }
            } else {
                let id = format!("crash-{round}-{i}");
                let body = json!({"id": id, "geometry": {"type": "Point", "coordinates": [105.6, 34.5]}, "properties": {"capacity": capacity}}).to_string();
                in_flight.push((id.clone(), capacity));
                match http(&addr, "POST", "/api/layers/shelters/features", &body) {
                    Some(201) => acked.push((id, capacity)),
                    Some(other) => panic!("POST answered {other}"),
                    None => break,
                }
            }
        }
        killer.join().unwrap();
    }
    let after = reload(dir.path());
    assert!(
        acked.len() > rounds as usize,
        "edits were acknowledged: {}",
        acked.len()
    );
    for (id, capacity) in &acked {
        assert_eq!(
            capacity_of(&after, id),
            Some(json!(capacity)),
            "acknowledged insert {id} lost"
        );
    }
    // Anything else present was sent (in flight at a kill), never invented.
    let layer = after.layer("shelters").unwrap();
    for f in layer
        .features()
        .iter()
        .filter(|f| f.id.starts_with("crash-"))
    {
        let sent = in_flight.iter().find(|(id, _)| **id == *f.id);
        assert!(sent.is_some(), "{} was never sent", f.id);
        assert_eq!(capacity_of(&after, &f.id), Some(json!(sent.unwrap().1)));
    }
    let final_patch = capacity_of(&after, &patched).unwrap().as_i64().unwrap();
    let acked_patch = acked_patch.expect("some patch was acknowledged");
    assert!(
        final_patch == acked_patch
            || (patch_in_flight.contains(&final_patch) && final_patch > acked_patch),
        "patched capacity {final_patch}, last acknowledged {acked_patch}"
    );
    // Every other feature of every layer is as it was.
    for l in original.layers() {
        let now = after.layer(l.id.as_str()).unwrap();
        for f in l.features() {
            if l.id.as_str() == "shelters" && *f.id == *patched {
                continue;
            }
            let same = now.features().iter().find(|g| g.id == f.id);
            assert_eq!(same, Some(f), "{} {} changed", l.id, f.id);
        }
    }
    eprintln!(
        "{rounds} kills: {} inserts acknowledged, {} in the log in all",
        acked.len(),
        layer
            .features()
            .iter()
            .filter(|f| f.id.starts_with("crash-"))
            .count()
    );
}

#[tokio::test]
async fn compaction_folds_the_log_into_geojson_and_csv_files_and_keeps_the_audit_trail() {
    use riskatlas::edits::compact::{ARCHIVE_FILE, compact};
    let dir = demo_copy();
    let app = app_on(dir.path());
    let start = reload(dir.path());
    let shelter = start.layer("shelters").unwrap().features()[3]
        .id
        .to_string();
    let unit = start.layer("population").unwrap().features()[5]
        .id
        .to_string();
    for (method, uri, body) in [
        (
            "PATCH",
            format!("/api/layers/shelters/features/{shelter}"),
            Some(json!({"properties": {"capacity": 1234}})),
        ),
        (
            "PATCH",
            format!("/api/layers/population/features/{unit}"),
            Some(json!({"properties": {"population": 77, "elderly": 7}})),
        ),
        (
            "POST",
            "/api/layers/population/features".to_string(),
            Some(
                json!({"id": "V-new", "geometry": {"type": "Point", "coordinates": [105.61, 34.51]}, "properties": {"name": "新村", "population": 12, "admin_code": start.layer("population").unwrap().value(0, "admin_code").to_string()}}),
            ),
        ),
        (
            "DELETE",
            format!(
                "/api/layers/shelters/features/{}",
                start.layer("shelters").unwrap().features()[4].id
            ),
            None,
        ),
    ] {
        let r = send(&app, method, &uri, body).await;
        assert!(
            r.status.is_success(),
            "{method} {uri}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    let edited = reload(dir.path());
    // Refused while a server holds the log.
    let err = compact(dir.path()).unwrap_err().to_string();
    assert!(err.contains("in use"), "{err}");
    drop(app);

    let done = compact(dir.path()).unwrap();
    assert_eq!(done.edits, 4);
    assert_eq!(done.layers, ["population", "shelters"]);
    assert_eq!(
        std::fs::metadata(dir.path().join(LOG_FILE)).unwrap().len(),
        0
    );
    // The files alone now hold the edited state (every feature, by id).
    let files_only = riskatlas::import::load_folder(dir.path()).unwrap();
    assert_eq!(files_only.report.rejected(), 0);
    for layer in ["shelters", "population"] {
        assert_eq!(
            common::by_id(&files_only.atlas, layer),
            common::by_id(&edited, layer),
            "{layer}"
        );
    }
    // Replaying the archived records over the compacted files changes nothing (what a
    // crash between rewriting the files and emptying the log would do).
    let archived = riskatlas::edits::log::read_records::<riskatlas::edits::EditRecord>(
        &dir.path().join(ARCHIVE_FILE),
    )
    .unwrap();
    assert_eq!(
        archived.iter().map(|r| r.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4]
    );
    let (again, problems) = replay(&files_only.atlas, &archived);
    assert!(problems.is_empty(), "{problems:?}");
    for layer in ["shelters", "population"] {
        assert_eq!(
            common::by_id(&again, layer),
            common::by_id(&edited, layer),
            "{layer}"
        );
    }
    // The audit trail spans the archive and the log, and numbering goes on.
    let app = app_on(dir.path());
    let r = send(
        &app,
        "DELETE",
        &format!("/api/layers/shelters/features/{shelter}"),
        None,
    )
    .await;
    assert_eq!(r.json()["seq"], 5);
    let history = get(&app, "/api/edits").await.json();
    let seqs: Vec<i64> = history["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, [5, 4, 3, 2, 1]);
}

#[tokio::test]
async fn kill_9_during_compaction_at_random_moments_loses_nothing_and_corrupts_no_file() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    let compact_cmd = |dir: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_riskatlas"))
            .arg("compact")
            .arg(dir)
            .env("RUST_LOG", "error")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut full_run = None;
    let mut killed_mid_way = 0;
    for round in 0..10 {
        let dir = demo_copy();
        let app = app_on(dir.path());
        let start = reload(dir.path());
        let shelters: Vec<String> = start.layer("shelters").unwrap().features()[..6]
            .iter()
            .map(|f| f.id.to_string())
            .collect();
        let units: Vec<String> = start.layer("population").unwrap().features()[..6]
            .iter()
            .map(|f| f.id.to_string())
            .collect();
        for i in 0..6 {
            let r = send(
                &app,
                "PATCH",
                &format!("/api/layers/shelters/features/{}", shelters[i]),
                Some(json!({"properties": {"capacity": 100 + i}})),
            )
            .await;
            assert!(r.status.is_success());
            let r = send(
                &app,
                "PATCH",
                &format!("/api/layers/population/features/{}", units[i]),
                Some(json!({"properties": {"population": 10 + i}})),
            )
            .await;
            assert!(r.status.is_success());
        }
        drop(app);
        let expected = reload(dir.path());
        let check = |when: &str| {
            let files = riskatlas::import::load_folder(dir.path()).unwrap();
            assert_eq!(
                files.report.rejected(),
                0,
                "round {round} {when}: a file is damaged"
            );
            assert_eq!(
                files.report.failed().count(),
                0,
                "round {round} {when}: a file is unreadable"
            );
            let now = reload(dir.path());
            for layer in ["shelters", "population"] {
                assert_eq!(
                    common::by_id(&now, layer),
                    common::by_id(&expected, layer),
                    "round {round} {when}: {layer}"
                );
            }
        };
        let started = Instant::now();
        let mut child = compact_cmd(dir.path());
        match full_run {
            None => {
                child.wait().unwrap();
                full_run = Some(started.elapsed());
            }
            Some(full) => {
                let at = full.mul_f64(rng.random_range(0.0..1.2));
                std::thread::sleep(at);
                if child.try_wait().unwrap().is_none() {
                    killed_mid_way += 1;
                }
                child.kill().ok(); // SIGKILL (a no-op if it already finished)
                child.wait().unwrap();
            }
        }
        check("after the kill");
        assert!(compact_cmd(dir.path()).wait().unwrap().success());
        check("after compacting again");
        assert_eq!(
            std::fs::metadata(dir.path().join(LOG_FILE)).unwrap().len(),
            0
        );
    }
    eprintln!("compaction took {full_run:?}; {killed_mid_way} of 9 kills landed mid-way");
    assert!(
        killed_mid_way >= 3,
        "too few kills landed during compaction: {killed_mid_way}"
    );
}

#[test]
fn an_edit_that_no_longer_replays_stays_in_the_log_and_the_server_says_degraded() {
    let dir = demo_copy();
    let (mut log, _) = EditLog::open(&dir.path().join(LOG_FILE)).unwrap();
    log.append(riskatlas::edits::EditRecord {
        seq: 0,
        at: "2026-11-24T00:00:00Z".into(),
        who: "test".into(),
        layer: "removed_layer".into(),
        op: riskatlas::edits::Op::Delete,
        id: "1".into(),
        before: None,
        after: None,
        diff: false,
        idempotency: None,
    })
    .unwrap();
    drop(log);
    let before = std::fs::read(dir.path().join(LOG_FILE)).unwrap();
    let (mut child, addr) = start(dir.path());
    let (status, body) = common::server::http_full(&addr, "GET", "/api/health", "").unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(status, 200);
    // Chunked or not, the JSON object is in the body.
    let json = &body[body.find('{').unwrap()..=body.rfind('}').unwrap()];
    let health: Value = serde_json::from_str(json).unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    assert_eq!(health["unreplayed_edits"], 1);
    assert_eq!(
        std::fs::read(dir.path().join(LOG_FILE)).unwrap(),
        before,
        "the record is kept"
    );
}
