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

use common::{demo_app, get, repo_path};
use serde_json::Value;

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
