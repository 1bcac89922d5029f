//! The API's manners, each from a new user's report: one status for an oversized body
//! and JSON for every error (also the ones hyper answers itself), a 404 for a card of
//! an unknown unit, the `where` grammar and its Chinese spellings, rescue teams that
//! drive, one ETag per tile encoding, and a shelter closed mid-event although its file
//! had no `status` column.
//!
//! Expected values come from the demo's files read directly (GeoJSON as plain JSON), the
//! README's stated limits, or the national colour scale (红色 is level I, the most
//! severe, severity 4), never from the server's own earlier answers.

#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use common::{demo_app, demo_copy, get, post, repo_path, request, served};
use riskatlas::api::server::{ConnectionLimits, serve};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::time::Duration;

/// Serves the demo on 127.0.0.1 on a runtime of its own; its address.
fn start() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let app = demo_app();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            serve(
                listener,
                app,
                ConnectionLimits::default(),
                None,
                std::future::pending(),
            )
            .await
        })
    });
    addr
}

/// Sends `head` then `body` on a fresh connection; the status and the body as JSON.
fn exchange(addr: &str, head: &str, body: &[u8]) -> (u16, Value) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(head.as_bytes()).unwrap();
    // The server may answer and close before the whole body is sent.
    let _ = s.write_all(body);
    let mut reply = Vec::new();
    let _ = s.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    let status = reply.split(' ').nth(1).unwrap().parse().unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").unwrap();
    let body = if head.to_lowercase().contains("transfer-encoding: chunked") {
        // One chunk: its size line, the data.
        body.split_once("\r\n")
            .unwrap()
            .1
            .rsplit_once("\r\n0")
            .unwrap()
            .0
    } else {
        body
    };
    let json = serde_json::from_str(body).unwrap_or_else(|e| {
        panic!("status {status}: the body is not JSON ({e}): {body:?}");
    });
    (status, json)
}

#[test]
fn an_oversized_body_is_413_in_json_stating_the_limit_on_analyses_and_edits_alike() {
    let addr = start();
    // The README's limit for every route but coverage and route: 8 MiB.
    let body = format!("{{\"pad\": \"{}\"}}", "x".repeat((8 << 20) + 1));
    for path in [
        "/api/impact",
        "/api/evacuation",
        "/api/compare",
        "/api/layers/shelters/features",
    ] {
        for chunked in [false, true] {
            let framing = if chunked {
                "transfer-encoding: chunked".to_string()
            } else {
                format!("content-length: {}", body.len())
            };
            let head = format!(
                "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n{framing}\r\nconnection: close\r\n\r\n"
            );
            let sent = if chunked {
                format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len())
            } else {
                body.clone()
            };
            let (status, json) = exchange(&addr, &head, sent.as_bytes());
            assert_eq!(status, 413, "{path} chunked={chunked}: {json}");
            assert!(
                json["error"].as_str().unwrap().contains("8 MiB"),
                "{path}: {json}"
            );
        }
    }
}

#[test]
fn an_over_long_address_is_answered_in_json_too() {
    let addr = start();
    // Past hyper's 64 KiB address limit (414), and past the 400 KiB head (431).
    for (length, status, words) in [(70_000, 414, "64 KiB"), (500_000, 431, "400 KiB")] {
        let head = format!(
            "GET /report/impact?scenario={} HTTP/1.1\r\nhost: {addr}\r\n\r\n",
            "a".repeat(length)
        );
        let (got, json) = exchange(&addr, &head, b"");
        assert_eq!(got, status, "{json}");
        let error = json["error"].as_str().unwrap();
        assert!(error.contains(words) && error.contains("POST"), "{error}");
    }
    // The connection's ordinary answers are untouched.
    let (status, json) = exchange(
        &addr,
        &format!("GET /api/health HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"),
        b"",
    );
    assert_eq!(status, 200, "{json}");
}

#[tokio::test]
async fn cards_for_a_unit_the_scenario_does_not_affect_are_404_naming_it() {
    let app = demo_app();
    let request = json!({"hazards": [{"layer": "landslides"}]}).to_string();
    let uri = |unit: &str| {
        format!(
            "/cards/evacuation?request={}&unit={unit}",
            urlencoding(&request)
        )
    };
    let reply = get(&app, &uri("nosuch")).await;
    assert_eq!(reply.status, 404);
    assert!(reply.error().contains("\"nosuch\""), "{}", reply.error());
    // Without `unit`, every affected unit's card: still a page.
    let all = get(
        &app,
        &format!("/cards/evacuation?request={}", urlencoding(&request)),
    )
    .await;
    assert_eq!(all.status, 200);
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The demo's landslide file read as plain JSON: (灾害类型, 险情等级, 名称) per point.
fn landslide_rows() -> Vec<(String, i64, String)> {
    let text = std::fs::read_to_string(repo_path("data/demo/landslides.geojson")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    json["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let p = &f["properties"];
            (
                p["灾害类型"].as_str().unwrap().to_string(),
                p["险情等级"].as_i64().unwrap(),
                p["名称"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn matched(app: &axum::Router, filter: &str) -> common::Reply {
    get(
        app,
        &format!(
            "/api/layers/landslides/features?limit=10000&where={}",
            urlencoding(filter)
        ),
    )
    .await
}

#[tokio::test]
async fn the_where_grammar_takes_or_not_parentheses_like_null_tests_and_chinese_values() {
    let app = demo_app();
    let rows = landslide_rows();
    let count =
        |keep: &dyn Fn(&(String, i64, String)) -> bool| rows.iter().filter(|r| keep(r)).count();
    let cases: Vec<(&str, usize)> = vec![
        ("hazard_type = 滑坡", count(&|r| r.0 == "滑坡")),
        (
            "hazard_type = '泥石流' or hazard_type = 崩塌",
            count(&|r| r.0 == "泥石流" || r.0 == "崩塌"),
        ),
        // 红色 is level I, severity 4.
        ("severity = 红色", count(&|r| r.1 == 4)),
        (
            "not (hazard_type = 滑坡 or severity <= 2) and name like '%村%'",
            count(&|r| !(r.0 == "滑坡" || r.1 <= 2) && r.2.contains('村')),
        ),
        (
            "hazard_type not in (滑坡, 崩塌) and severity >= 3",
            count(&|r| r.0 != "滑坡" && r.0 != "崩塌" && r.1 >= 3),
        ),
        ("name is null", 0),
        ("name is not null", rows.len()),
    ];
    for (filter, expected) in cases {
        let reply = matched(&app, filter).await.ok_json();
        assert_eq!(reply["numberMatched"], expected, "{filter}");
    }
    let reply = matched(&app, "severity >= 3 and (hazard_type = 滑坡").await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.error().contains("at character 36: expected ')'"),
        "{}",
        reply.error()
    );
}

#[tokio::test]
async fn rescue_teams_drive_unless_told_otherwise() {
    let app = demo_app();
    let minutes = |c: &Value| -> Vec<Option<f64>> {
        c["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["team_minutes"].as_f64())
            .collect()
    };
    let default = post(&app, "/api/coverage", json!({"thresholds": [10]}))
        .await
        .ok_json();
    let drive = post(
        &app,
        "/api/coverage",
        json!({"thresholds": [10], "team_profile": "drive"}),
    )
    .await
    .ok_json();
    let walk = post(
        &app,
        "/api/coverage",
        json!({"thresholds": [10], "team_profile": "walk"}),
    )
    .await
    .ok_json();
    assert_eq!(default["team_profile"], "drive");
    assert_eq!(
        default["profile"], "walk",
        "residents still walk to shelter"
    );
    assert_eq!(minutes(&default), minutes(&drive));
    // Driving is never slower than walking the same roads, and over a county it is
    // faster for most units.
    let (mut faster, mut reached) = (0, 0);
    for (d, w) in minutes(&drive).into_iter().zip(minutes(&walk)) {
        if let (Some(d), Some(w)) = (d, w) {
            reached += 1;
            assert!(d <= w + 0.1, "driving {d} min, walking {w} min");
            faster += usize::from(d < w);
        }
    }
    assert!(reached > 0 && faster * 2 > reached, "{faster} of {reached}");
}

#[tokio::test]
async fn gzip_and_plain_tiles_each_have_their_own_etag() {
    let app = demo_app();
    let (x, y) = common::tile_of(105.74, 34.53, 11);
    let uri = format!("/tiles/villages,roads/11/{x}/{y}");
    let fetch = |gzip: bool, tag: Option<String>| {
        let mut req = Request::get(&uri);
        if gzip {
            req = req.header("accept-encoding", "gzip");
        }
        if let Some(tag) = tag {
            req = req.header("if-none-match", tag);
        }
        request(&app, req.body(Body::empty()).unwrap())
    };
    let plain = fetch(false, None).await;
    let gz = fetch(true, None).await;
    assert_eq!(gz.headers["content-encoding"], "gzip");
    let (plain_tag, gz_tag) = (
        plain.headers["etag"].to_str().unwrap().to_string(),
        gz.headers["etag"].to_str().unwrap().to_string(),
    );
    assert_ne!(plain_tag, gz_tag);
    assert!(gz_tag.ends_with("-gzip\""), "{gz_tag}");
    for reply in [&plain, &gz] {
        assert_eq!(reply.headers["vary"], "Accept-Encoding");
    }
    // Each variant revalidates with its own tag, and only with it.
    assert_eq!(fetch(true, Some(gz_tag.clone())).await.status, 304);
    assert_eq!(fetch(false, Some(plain_tag.clone())).await.status, 304);
    let crossed = fetch(true, Some(plain_tag)).await;
    assert_eq!(crossed.status, 200);
    assert_eq!(crossed.headers["content-encoding"], "gzip");
    assert_eq!(fetch(false, Some(gz_tag)).await.status, 200);
}

#[tokio::test]
async fn head_is_answered_as_get_is_without_the_body() {
    // A HEAD on a GET route had no access rule of its own and was answered 500.
    let app = demo_app();
    let (x, y) = common::tile_of(105.74, 34.53, 11);
    for uri in [
        format!("/tiles/villages,roads/11/{x}/{y}"),
        "/api/layers".to_string(),
        "/api/health".to_string(),
        "/".to_string(),
    ] {
        let got = get(&app, &uri).await;
        let head = head(&app, &uri).await;
        assert_eq!(got.status, 200, "GET {uri}");
        assert_eq!(
            head.status,
            200,
            "HEAD {uri}: {}",
            String::from_utf8_lossy(&head.body)
        );
        assert_eq!(
            head.headers.get("content-type"),
            got.headers.get("content-type"),
            "HEAD {uri}"
        );
        assert!(head.body.is_empty(), "HEAD {uri} sent a body");
    }
    // An unknown layer is as unknown to HEAD.
    assert_eq!(head(&app, "/tiles/nope/11/0/0").await.status, 404);
}

async fn head(app: &axum::Router, uri: &str) -> common::Reply {
    let req = Request::head(uri)
        .header("host", "127.0.0.1:8080")
        .body(Body::empty())
        .unwrap();
    request(app, req).await
}

async fn send(app: &axum::Router, method: &str, uri: &str, body: Value) -> common::Reply {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    request(app, req).await
}

/// People the plan sends to each shelter, from its assignments.
fn people_by_shelter(plan: &Value) -> std::collections::BTreeMap<String, i64> {
    let mut by = std::collections::BTreeMap::new();
    for a in plan["assignments"].as_array().unwrap() {
        *by.entry(a["shelter_id"].as_str().unwrap().to_string())
            .or_default() += a["people"].as_i64().unwrap();
    }
    by
}

#[tokio::test]
async fn a_shelter_whose_file_had_no_status_column_can_be_closed_and_plans_then_avoid_it() {
    let dir = demo_copy();
    // The user's shelter file: the demo's, without its `status` column.
    let path = dir.path().join("shelters.geojson");
    let mut shelters: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for f in shelters["features"].as_array_mut().unwrap() {
        f["properties"].as_object_mut().unwrap().remove("status");
    }
    std::fs::write(&path, shelters.to_string()).unwrap();
    let app = served(dir.path());

    let scenario = json!({"hazards": [{"layer": "floods"}, {"layer": "landslides"}]});
    let before = post(&app, "/api/evacuation", &scenario).await.ok_json();
    let (busiest, people) = people_by_shelter(&before)
        .into_iter()
        .max_by_key(|(_, p)| *p)
        .unwrap();
    assert!(people > 0);

    let uri = format!("/api/layers/shelters/features/{busiest}");
    let closed = send(
        &app,
        "PATCH",
        &uri,
        json!({"properties": {"status": "closed"}}),
    )
    .await;
    assert_eq!(
        closed.status,
        200,
        "{}",
        String::from_utf8_lossy(&closed.body)
    );
    assert_eq!(
        get(&app, &uri).await.ok_json()["properties"]["status"],
        "closed"
    );

    let after = post(&app, "/api/evacuation", &scenario).await.ok_json();
    assert!(
        !people_by_shelter(&after).contains_key(&busiest),
        "the closed shelter {busiest} still takes evacuees"
    );
    // Everyone is still accounted for: placed elsewhere, or reported unplaced.
    let total = |plan: &Value| plan["totals"]["evacuees"].as_i64().unwrap();
    assert_eq!(total(&before), total(&after));
}

/// Every number held under one of `keys` anywhere in `value`, with its key.
fn numbers_under<'v>(value: &'v Value, keys: &[&str], out: &mut Vec<(String, &'v Value)>) {
    match value {
        Value::Object(members) => {
            for (k, v) in members {
                if v.is_number() && keys.contains(&k.as_str()) {
                    out.push((k.clone(), v));
                }
                numbers_under(v, keys, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| numbers_under(v, keys, out)),
        _ => {}
    }
}

#[tokio::test]
async fn people_are_whole_metres_whole_minutes_in_tenths_and_no_negative_zero() {
    let app = demo_app();
    let scenario = json!({"hazards": [{"layer": "floods"}, {"layer": "landslides"}]});
    let warning = json!({
        "area": {"geometry": {"type": "Polygon", "coordinates": [common::DEMO_AREA]}},
        "level": "red", "hazard_type": "flood", "headline": "山洪红色预警", "instruction": "立即转移",
        "onset": "2026-07-20T14:00:00+08:00", "expires": "2026-07-21T14:00:00+08:00",
    });
    for (uri, body) in [
        ("/api/impact", &scenario),
        ("/api/evacuation", &scenario),
        ("/api/drills", &json!({"top": 3, "as_of": "2026-12-01"})),
        ("/api/warnings", &warning),
    ] {
        let reply = post(&app, uri, body).await;
        let text = String::from_utf8_lossy(&reply.body).to_string();
        let body = reply.ok_json();
        let mut found = Vec::new();
        numbers_under(
            &body,
            &[
                "people",
                "population",
                "households",
                "evacuees",
                "distance_m",
            ],
            &mut found,
        );
        assert!(!found.is_empty(), "{uri}");
        for (key, n) in &found {
            assert!(n.is_i64() || n.is_u64(), "{uri}: {key} = {n}");
        }
        let mut minutes = Vec::new();
        numbers_under(
            &body,
            &["minutes", "mean_minutes", "max_minutes"],
            &mut minutes,
        );
        for (key, n) in minutes {
            let tenths = n.as_f64().unwrap() * 10.0;
            assert!((tenths - tenths.round()).abs() < 1e-6, "{uri}: {key} = {n}");
        }
        assert!(!text.contains("-0.0,") && !text.contains("-0.0}"), "{uri}");
    }
}

#[tokio::test]
async fn answers_name_features_by_their_stable_id_only() {
    let app = demo_app();
    let scenario = json!({"hazards": [{"layer": "landslides"}]});
    let report = post(&app, "/api/impact", &scenario).await.ok_json();
    // The landslide file's own ids (its 编号 column), read directly.
    let text = std::fs::read_to_string(repo_path("data/demo/landslides.geojson")).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    let ids: std::collections::BTreeSet<String> = file["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["编号"].as_str().unwrap().to_string())
        .collect();
    let hazards = report["by_hazard"].as_array().unwrap();
    assert!(!hazards.is_empty());
    for h in hazards {
        let id = h["id"].as_str().unwrap();
        let own = id.strip_prefix("landslides/").unwrap();
        assert!(ids.contains(own), "{id} is not a landslide's id");
    }
    for list in ["units", "facilities"] {
        for item in report[list].as_array().unwrap() {
            assert!(item.get("fid").is_none(), "{list}: {item}");
            assert!(item["id"].is_string(), "{list}: {item}");
        }
    }
}
