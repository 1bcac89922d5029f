//! The edit log as system of record and audit trail: what a record weighs, logs written
//! by the previous version, damage that is reported and kept, and the trail read a page
//! at a time across the archive and the log. (The same paging and idempotency keys on
//! both stores: `tests/store_contract.rs`.)
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::demo_copy;
use common::folder::{collection, data_folder};
use riskatlas::api::{AppState, HttpOptions, router};
use riskatlas::edits::LOG_FILE;
use riskatlas::service::Service;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

/// A server on `dir` as `serve` starts it, on loopback without users.
fn server(dir: &Path) -> axum::Router {
    let service = Service::open_folder(dir).unwrap();
    router(AppState::serving(Arc::new(service), HttpOptions::default()))
}

async fn send(app: &axum::Router, method: &str, uri: &str, body: Value) -> common::Reply {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    common::request(app, req).await
}

fn log_len(dir: &Path) -> u64 {
    std::fs::metadata(dir.join(LOG_FILE)).map_or(0, |m| m.len())
}

/// A closed ring of `n` distinct vertices around (105.5, 34.5), about 0.2° across,
/// its radius wavering so that no three neighbours are collinear.
fn wavy_ring(n: usize) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = (0..n)
        .map(|i| {
            let t = std::f64::consts::TAU * i as f64 / n as f64;
            let r = 0.2 * (1.0 + 0.01 * (20.0 * t).sin());
            [105.5 + r * t.cos(), 34.5 + r * t.sin()]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

#[tokio::test]
async fn a_small_patch_of_a_big_polygon_logs_what_changed_not_the_polygon() {
    let ring = wavy_ring(75_000);
    let geometry = json!({"type": "Polygon", "coordinates": [ring]});
    let dir = data_folder(
        "name = \"t\"\n[[layer]]\nid = \"floods\"\nkind = \"flood\"\nfile = \"floods.geojson\"\n",
        &[(
            "floods.geojson",
            collection(vec![
                json!({"type": "Feature", "id": "big", "geometry": geometry,
                "properties": {"name": "big flood", "depth_m": 1.5, "return_period_years": 10}}),
            ]),
        )],
    );
    let app = server(dir.path());
    let body = json!({"properties": {"depth_m": 2.5}});
    let r = send(
        &app,
        "PATCH",
        "/api/layers/floods/features/big",
        body.clone(),
    )
    .await;
    let record = r.ok_json();
    let grown = log_len(dir.path());
    // What the previous records held: the feature before and after, each with the
    // whole polygon, measured here on the polygon as written.
    let polygon_bytes = geometry.to_string().len() as u64;
    eprintln!(
        "a {}-byte PATCH of a 75,000-vertex polygon ({polygon_bytes} bytes of GeoJSON) added {grown} bytes to the log",
        body.to_string().len()
    );
    assert!(polygon_bytes > 2_000_000, "{polygon_bytes}");
    assert!(
        grown < 400,
        "the record holds the polygon: {grown} bytes: {record}"
    );
    assert_eq!(record["after"], json!({"properties": {"depth_m": 2.5}}));
    assert_eq!(record["before"], json!({"properties": {"depth_m": 1.5}}));

    // A change of the geometry logs the old and the new polygon, once each.
    let smaller = json!({"type": "Polygon", "coordinates": [wavy_ring(1_000)]});
    let before_geometry = log_len(dir.path());
    let r = send(
        &app,
        "PATCH",
        "/api/layers/floods/features/big",
        json!({"geometry": smaller}),
    )
    .await;
    r.ok_json();
    let grown = log_len(dir.path()) - before_geometry;
    let both = polygon_bytes + smaller.to_string().len() as u64;
    assert!(
        grown > both - both / 10 && grown < both + both / 10,
        "{grown} vs {both}"
    );

    // Restarted, the log replays to exactly what was served.
    let served = send(&app, "GET", "/api/layers/floods/features/big", json!(null))
        .await
        .ok_json();
    drop(app);
    let again = server(dir.path());
    let replayed = send(
        &again,
        "GET",
        "/api/layers/floods/features/big",
        json!(null),
    )
    .await
    .ok_json();
    assert_eq!(replayed, served);
    assert_eq!(replayed["properties"]["depth_m"], 2.5);
    assert_eq!(
        replayed["geometry"]["coordinates"][0]
            .as_array()
            .unwrap()
            .len(),
        1_001
    );
}

#[tokio::test]
async fn a_log_written_before_records_became_diffs_still_loads_and_replays() {
    let dir = demo_copy();
    let loaded = riskatlas::import::load_folder(dir.path()).unwrap();
    let shelters = loaded.atlas.layer("shelters").unwrap();
    let before = riskatlas::edits::feature_json(shelters, &shelters.features()[3]);
    let id = before["id"].as_str().unwrap().to_string();
    let mut after = before.clone();
    after["properties"]["capacity"] = json!(77);
    after["properties"]
        .as_object_mut()
        .unwrap()
        .remove("contact_phone")
        .expect("the demo's shelters have a phone");
    // A line as the previous version wrote it: whole features, no `diff`.
    let json = json!({"seq": 1, "at": "2026-11-20T08:00:00Z", "who": "local",
        "layer": "shelters", "op": "update", "id": id, "before": before, "after": after})
    .to_string();
    let line = format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes()));
    std::fs::write(dir.path().join(LOG_FILE), &line).unwrap();

    let app = server(dir.path());
    let uri = format!("/api/layers/shelters/features/{id}");
    let served = send(&app, "GET", &uri, json!(null)).await.ok_json();
    assert_eq!(served["properties"], after["properties"]);
    let trail = send(&app, "GET", "/api/edits", json!(null)).await.ok_json();
    assert_eq!(trail["edits"][0]["after"], after);
    assert_eq!(trail["edits"][0]["before"], before);

    // A new edit after it is a diff, and the two replay in order.
    send(&app, "PATCH", &uri, json!({"properties": {"capacity": 78}}))
        .await
        .ok_json();
    drop(app);
    let text = std::fs::read_to_string(dir.path().join(LOG_FILE)).unwrap();
    assert!(text.starts_with(&line), "the old line is kept as it was");
    let again = server(dir.path());
    let served = send(&again, "GET", &uri, json!(null)).await.ok_json();
    let mut expected = after["properties"].clone();
    expected["capacity"] = json!(78);
    assert_eq!(served["properties"], expected);
}

#[tokio::test]
async fn a_complete_last_line_with_a_bad_checksum_stops_the_start_and_is_kept() {
    let dir = demo_copy();
    let app = server(dir.path());
    let id = "0";
    for capacity in [5, 6] {
        let uri = format!("/api/layers/shelters/features/{id}");
        send(
            &app,
            "PATCH",
            &uri,
            json!({"properties": {"capacity": capacity}}),
        )
        .await
        .ok_json();
    }
    drop(app);
    let path = dir.path().join(LOG_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    // Bit rot in the last record, which was acknowledged: its capacity 6 becomes 7.
    let at = bytes.len() - 1 - bytes.iter().rev().position(|&b| b == b'6').unwrap();
    bytes[at] = b'7';
    std::fs::write(&path, &bytes).unwrap();
    let err = match Service::open_folder(dir.path()) {
        Ok(_) => panic!("a damaged log opened"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains(&path.display().to_string())
            && err.contains("line 2")
            && err.contains("checksum"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the log is left as it was"
    );
}

#[tokio::test]
async fn the_audit_trail_pages_newest_first_across_the_archive_and_the_log() {
    let dir = demo_copy();
    let patch = |capacity: i64, id: &'static str| {
        (
            format!("/api/layers/shelters/features/{id}"),
            json!({"properties": {"capacity": capacity}}),
        )
    };
    // Edits 1–3 of shelter 0, compacted into the files and the archive; then edits 4
    // and 5 of shelter 0 and edit 6 of shelter 1, in the log.
    let app1 = server(dir.path());
    for capacity in [101, 102, 103] {
        let (uri, body) = patch(capacity, "0");
        send(&app1, "PATCH", &uri, body).await.ok_json();
    }
    drop(app1);
    let compacted = riskatlas::edits::compact::compact(dir.path()).unwrap();
    assert_eq!(compacted.edits, 3);
    let app2 = server(dir.path());
    for (capacity, id) in [(104, "0"), (105, "0"), (106, "1")] {
        let (uri, body) = patch(capacity, id);
        send(&app2, "PATCH", &uri, body).await.ok_json();
    }
    let page = |uri: String| {
        let app2 = app2.clone();
        async move {
            let page = send(&app2, "GET", &uri, json!(null)).await.ok_json();
            let got: Vec<(u64, i64)> = page["edits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    let capacity = &e["after"]["properties"]["capacity"];
                    (e["seq"].as_u64().unwrap(), capacity.as_i64().unwrap())
                })
                .collect();
            (got, page["next_before"].as_u64())
        }
    };
    let all = page("/api/edits".into()).await;
    let expected: Vec<(u64, i64)> = (1..=6).rev().map(|s| (s, 100 + s as i64)).collect();
    assert_eq!(all, (expected, None));
    let first = page("/api/edits?id=0&limit=2".into()).await;
    assert_eq!(first, (vec![(5, 105), (4, 104)], Some(4)));
    let second = page("/api/edits?id=0&limit=2&before=4".into()).await;
    assert_eq!(second, (vec![(3, 103), (2, 102)], Some(2)));
    let last = page("/api/edits?id=0&limit=2&before=2".into()).await;
    assert_eq!(last, (vec![(1, 101)], None));
    let one = page("/api/edits?limit=1".into()).await;
    assert_eq!(one, (vec![(6, 106)], Some(6)));
    let r = send(&app2, "GET", "/api/edits?before=x", json!(null)).await;
    assert_eq!(r.status, 400);
}
