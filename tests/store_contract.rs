//! One contract, two stores. The same assertions run against a server on a data folder
//! and a server on PostGIS, both filled by `riskatlas import` from the same files:
//! load (the catalogue), query (bbox and filter, against a brute-force count over the
//! source), edit (insert, patch, delete, and a refused edit that changes nothing), and
//! reload (the server killed with SIGKILL and started again holds exactly the edited
//! state). Expected values come from the fixture the test generates, with the edits
//! applied by hand, never from the server.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::server::{Guard, http_full, http_with, start};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

/// A shelter of the fixture: id → (lon, lat, capacity).
type Shelters = BTreeMap<String, (f64, f64, i64)>;

/// 60 shelters on a 10 × 6 grid with capacities that vary.
fn fixture_shelters() -> Shelters {
    (0..60)
        .map(|i| {
            let (col, row) = (i % 10, i / 10);
            let lon = 105.0 + 0.01 * col as f64;
            let lat = 34.0 + 0.01 * row as f64;
            (format!("s{i}"), (lon, lat, (i * 37 % 1000) as i64))
        })
        .collect()
}

fn write_fixture(dir: &Path) {
    let features: Vec<Value> = fixture_shelters()
        .iter()
        .map(|(id, (lon, lat, cap))| {
            json!({"type": "Feature", "id": id,
                   "geometry": {"type": "Point", "coordinates": [lon, lat]},
                   "properties": {"name": format!("避难场所 {id}"), "capacity": cap}})
        })
        .collect();
    std::fs::write(
        dir.join("shelters.geojson"),
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.join("villages.csv"),
        "id,name,lon,lat,population\nv1,东村,105.02,34.02,420\nv2,西村,105.07,34.04,180\n",
    )
    .unwrap();
}

fn import(file: &Path, layer: &str, kind: &str, target: &[&std::ffi::OsStr]) {
    let out = Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .arg("import")
        .arg(file)
        .args(["--layer", layer, "--kind", kind])
        .args(target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "import {layer}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Fills a store from the fixture and returns the `serve` arguments that load it.
fn fill(source: &Path, target: &[&std::ffi::OsStr]) {
    import(
        &source.join("shelters.geojson"),
        "shelters",
        "shelter",
        target,
    );
    import(
        &source.join("villages.csv"),
        "villages",
        "population",
        target,
    );
}

fn get(addr: &str, path: &str) -> Value {
    let (status, body) = http_full(addr, "GET", path, "").expect("the server answers");
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// Every shelter the server holds, by id.
fn served_shelters(addr: &str) -> Shelters {
    let all = get(addr, "/api/layers/shelters/features?limit=10000");
    all["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (
                // Every feature the API serves carries its stable id as `id`.
                f["id"].as_str().unwrap().to_string(),
                (
                    c[0].as_f64().unwrap(),
                    c[1].as_f64().unwrap(),
                    f["properties"]["capacity"].as_i64().unwrap(),
                ),
            )
        })
        .collect()
}

/// The contract, against a server started with `serve_args`.
fn contract(store: &str, serve_args: &[OsString]) {
    let args: Vec<&std::ffi::OsStr> = serve_args.iter().map(OsString::as_os_str).collect();
    let mut expected = fixture_shelters();

    // Load: every layer, every feature.
    let (child, addr) = start(&args);
    let server = Guard(child);
    let catalogue = get(&addr, "/api/layers");
    let count = |id: &str| {
        catalogue["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .unwrap_or_else(|| panic!("{store}: no layer {id}"))["count"]
            .as_u64()
    };
    assert_eq!(count("shelters"), Some(60), "{store}");
    assert_eq!(count("villages"), Some(2), "{store}");
    assert_eq!(served_shelters(&addr), expected, "{store}: loaded");

    // Query: a bbox and a filter, counted by brute force over the fixture.
    let (w, s, e, n) = (105.025, 34.005, 105.065, 34.035);
    let in_box = expected
        .values()
        .filter(|(x, y, _)| (w..=e).contains(x) && (s..=n).contains(y))
        .count();
    let big = expected.values().filter(|(.., c)| *c >= 500).count();
    let q = get(
        &addr,
        &format!("/api/layers/shelters/features?bbox={w},{s},{e},{n}"),
    );
    assert_eq!(
        q["numberMatched"].as_u64(),
        Some(in_box as u64),
        "{store}: bbox"
    );
    let q = get(
        &addr,
        "/api/layers/shelters/features?where=capacity%3E%3D500&limit=1",
    );
    assert_eq!(
        q["numberMatched"].as_u64(),
        Some(big as u64),
        "{store}: filter"
    );

    // Edit: insert, patch, delete; each visible at once.
    let edit = |method: &str, path: &str, body: Value| {
        http_full(&addr, method, path, &body.to_string()).expect("the server answers")
    };
    let (status, body) = edit(
        "POST",
        "/api/layers/shelters/features",
        json!({"id": "new-1", "geometry": {"type": "Point", "coordinates": [105.031, 34.011]},
               "properties": {"name": "临时安置点", "capacity": 250}}),
    );
    assert_eq!(status, 201, "{store}: {body}");
    expected.insert("new-1".into(), (105.031, 34.011, 250));
    let (status, body) = edit(
        "PATCH",
        "/api/layers/shelters/features/s7",
        json!({"properties": {"capacity": 999}}),
    );
    assert_eq!(status, 200, "{store}: {body}");
    // The record holds what changed, not the shelter twice.
    let record: Value = serde_json::from_str(&body).unwrap();
    let was = expected["s7"].2;
    assert_eq!(
        record["before"],
        json!({"properties": {"capacity": was}}),
        "{store}"
    );
    assert_eq!(
        record["after"],
        json!({"properties": {"capacity": 999}}),
        "{store}"
    );
    expected.get_mut("s7").unwrap().2 = 999;
    let (status, body) = edit("DELETE", "/api/layers/shelters/features/s12", json!(null));
    assert_eq!(status, 200, "{store}: {body}");
    expected.remove("s12");
    // A refused edit changes nothing.
    let (status, body) = edit(
        "PATCH",
        "/api/layers/shelters/features/s8",
        json!({"properties": {"capacity": -1}}),
    );
    assert_eq!(status, 400, "{store}: {body}");
    assert!(body.contains("capacity"), "{store}: {body}");
    let (status, _) = edit("DELETE", "/api/layers/shelters/features/nope", json!(null));
    assert_eq!(status, 404, "{store}");

    let served = served_shelters(&addr);
    assert_eq!(served, expected, "{store}: after the edits");
    let q = get(
        &addr,
        &format!("/api/layers/shelters/features?bbox={w},{s},{e},{n}"),
    );
    let in_box_now = expected
        .values()
        .filter(|(x, y, _)| (w..=e).contains(x) && (s..=n).contains(y))
        .count();
    assert_eq!(
        q["numberMatched"].as_u64(),
        Some(in_box_now as u64),
        "{store}: bbox after edits"
    );
    assert_ne!(
        in_box_now, in_box,
        "the edits touch the box, so the query must change"
    );

    // An insert sent with an Idempotency-Key, whose answer the client "lost".
    let keyed = json!({"id": "new-2", "geometry": {"type": "Point", "coordinates": [105.041, 34.021]},
                       "properties": {"name": "重试安置点", "capacity": 120}});
    let post_keyed = |addr: &str, key: &str, body: &Value| {
        http_with(
            addr,
            "POST",
            "/api/layers/shelters/features",
            &[&format!("idempotency-key: {key}")],
            &body.to_string(),
        )
        .expect("the server answers")
    };
    let (status, first) = post_keyed(&addr, "\"contract-retry-1\"", &keyed);
    assert_eq!(status, 201, "{store}: {first}");
    expected.insert("new-2".into(), (105.041, 34.021, 120));

    // Reload: killed without warning, started again, the same state.
    drop(server);
    let (child, addr) = start(&args);
    let server = Guard(child);
    assert_eq!(
        served_shelters(&addr),
        expected,
        "{store}: after the restart"
    );

    // The retry after the restart: answered as the first time, nothing inserted.
    let (status, again) = post_keyed(&addr, "\"contract-retry-1\"", &keyed);
    assert_eq!(status, 201, "{store}: {again}");
    let (first, again): (Value, Value) = (
        serde_json::from_str(&first).unwrap(),
        serde_json::from_str(&again).unwrap(),
    );
    assert_eq!(again, first, "{store}: the retry gets the first answer");
    let mut other = keyed.clone();
    other["properties"]["capacity"] = json!(121);
    let (status, body) = post_keyed(&addr, "\"contract-retry-1\"", &other);
    assert_eq!(status, 422, "{store}: {body}");
    assert!(body.contains("contract-retry-1"), "{store}: {body}");
    let (status, body) = post_keyed(&addr, "\"unterminated", &other);
    assert_eq!(status, 400, "{store}: {body}");
    assert_eq!(
        served_shelters(&addr),
        expected,
        "{store}: after the retries"
    );

    // The audit trail, a page at a time: the accepted edits, newest first.
    let made = ["new-2", "s12", "s7", "new-1"];
    let page = get(&addr, "/api/edits?layer=shelters&limit=3");
    let ids = |page: &Value| -> Vec<String> {
        page["edits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&page), made[..3], "{store}: first page");
    let last_seq = page["edits"][2]["seq"].as_u64().unwrap();
    assert_eq!(page["next_before"].as_u64(), Some(last_seq), "{store}");
    let next = get(
        &addr,
        &format!("/api/edits?layer=shelters&limit=3&before={last_seq}"),
    );
    assert_eq!(ids(&next), made[3..], "{store}: second page");
    assert_eq!(next["next_before"], Value::Null, "{store}: the last page");
    drop(server);
}

#[test]
fn the_data_folder_store_keeps_the_contract() {
    let source = tempfile::tempdir().unwrap();
    write_fixture(source.path());
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().join("atlas");
    fill(source.path(), &["--into".as_ref(), dir.as_os_str()]);
    contract("data folder", &["--data".into(), dir.into_os_string()]);
}

#[cfg(feature = "postgis")]
#[tokio::test(flavor = "multi_thread")]
async fn the_postgis_store_keeps_the_contract() {
    let Ok(url) = std::env::var("DATABASE_URL") else {
        assert!(
            std::env::var("RISKATLAS_REQUIRE_POSTGIS").is_err(),
            "RISKATLAS_REQUIRE_POSTGIS is set but DATABASE_URL is not: run under scripts/with-postgis"
        );
        eprintln!(
            "SKIPPED the_postgis_store_keeps_the_contract: no DATABASE_URL (run under scripts/with-postgis)"
        );
        return;
    };
    // A database of its own, so the other PostGIS tests running at the same time do not
    // see these layers.
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query("DROP DATABASE IF EXISTS riskatlas_contract WITH (FORCE)")
        .execute(&admin)
        .await
        .unwrap();
    sqlx::query("CREATE DATABASE riskatlas_contract")
        .execute(&admin)
        .await
        .unwrap();
    let base = url.rsplit_once('/').unwrap().0;
    let contract_url = format!("{base}/riskatlas_contract");
    let db = sqlx::PgPool::connect(&contract_url).await.unwrap();
    sqlx::query("CREATE EXTENSION postgis")
        .execute(&db)
        .await
        .unwrap();

    let source = tempfile::tempdir().unwrap();
    write_fixture(source.path());
    tokio::task::spawn_blocking(move || {
        fill(
            source.path(),
            &["--postgis".as_ref(), std::ffi::OsStr::new(&contract_url)],
        );
        contract(
            "PostGIS",
            &["--postgis".into(), contract_url.clone().into()],
        );
    })
    .await
    .unwrap();

    // The database itself holds the edited state.
    let rows: i64 =
        sqlx::query_scalar("SELECT count(*) FROM riskatlas_features WHERE layer = 'shelters'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(rows, 61, "60 shelters + 2 inserted - 1 deleted");
    db.close().await;
    sqlx::query("DROP DATABASE riskatlas_contract WITH (FORCE)")
        .execute(&admin)
        .await
        .unwrap();
}
