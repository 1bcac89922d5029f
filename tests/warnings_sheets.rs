//! The printable call sheets of an issued warning (`GET /cards/calls`): one section per
//! township of the warning's tasks, each row one of that township's tasks — checked
//! against the tasks `GET /api/warnings/{id}` gives, grouped by the township read
//! straight from the demo's admin files (a village's `parent_code`), not by the
//! crate's admin index; contacts in full for a planner, none at all for a viewer.

#![allow(clippy::unwrap_used)]

mod common;

use common::users::{app, send, token};
use riskatlas::service::access::Role;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A rectangle over the middle of the demo county, crossing township boundaries.
fn crossing() -> Value {
    let ring = [
        [105.60, 34.42],
        [105.80, 34.42],
        [105.80, 34.56],
        [105.60, 34.56],
        [105.60, 34.42],
    ];
    json!({
        "area": {"geometry": {"type": "Polygon", "coordinates": [ring]}},
        "level": "orange", "hazard_type": "flood",
        "headline": "山洪橙色预警 <Flash-flood> orange warning", "instruction": "做好转移准备 Get ready to move",
        "onset": "2026-07-20T14:00:00+08:00",
    })
}

/// The demo's admin units: code → (parent code, duty phone), from the files.
fn admin_units() -> HashMap<String, (Option<String>, String, String)> {
    let mut out = HashMap::new();
    for file in ["county.geojson", "townships.geojson", "villages.geojson"] {
        let text =
            std::fs::read_to_string(common::repo_path(&format!("data/demo/{file}"))).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        for f in v["features"].as_array().unwrap() {
            let p = &f["properties"];
            out.insert(
                p["code"].as_str().unwrap().to_string(),
                (
                    p["parent_code"].as_str().map(str::to_string),
                    p["level"].as_str().unwrap().to_string(),
                    p["contact_phone"].as_str().unwrap().to_string(),
                ),
            );
        }
    }
    out
}

/// The township of an admin code: itself for a township, its parent for a village;
/// none for the county.
fn township_of(
    units: &HashMap<String, (Option<String>, String, String)>,
    code: &str,
) -> Option<String> {
    let (parent, level, _) = &units[code];
    match level.as_str() {
        "township" => Some(code.to_string()),
        "village" => parent.clone(),
        _ => None,
    }
}

/// The sheet's sections: township code ("" for the county's) → task ids in print order.
fn sections(html: &str) -> Vec<(String, Vec<String>)> {
    let attr = |text: &str, name: &str| -> Vec<String> {
        text.split(&format!("{name}=\""))
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().to_string())
            .collect()
    };
    html.split("<section class=\"card sheet\"")
        .skip(1)
        .map(|section| {
            let code = attr(section, "data-township").remove(0);
            (code, attr(section, "data-task"))
        })
        .collect()
}

async fn issue(app: &axum::Router) -> String {
    let reply = send(
        app,
        "POST",
        "/api/warnings?issue=true",
        Some(&crossing()),
        Some(token(Role::Editor)),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.error());
    reply.json()["id"].as_str().unwrap().to_string()
}

async fn sheet(app: &axum::Router, query: &str, role: Role) -> common::Reply {
    send(
        app,
        "GET",
        &format!("/cards/calls?{query}"),
        None,
        Some(token(role)),
    )
    .await
}

#[tokio::test]
async fn one_section_per_township_each_row_a_task_of_that_township() {
    let (_dir, app) = app(Vec::new());
    let id = issue(&app).await;
    let state = send(
        &app,
        "GET",
        &format!("/api/warnings/{id}"),
        None,
        Some(token(Role::Planner)),
    )
    .await
    .ok_json();
    let tasks = state["tasks"].as_array().unwrap();
    let units = admin_units();
    let mut expected: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for t in tasks {
        let code = t["admin_code"].as_str().unwrap();
        let township = township_of(&units, code).unwrap_or_default();
        expected
            .entry(township)
            .or_default()
            .insert(t["id"].as_str().unwrap().to_string());
    }
    assert!(
        expected.len() >= 3,
        "the area crosses townships: {:?}",
        expected.keys()
    );

    let reply = sheet(&app, &format!("warning={id}"), Role::Planner).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = String::from_utf8(reply.body).unwrap();
    let printed = sections(&html);
    let got: BTreeMap<String, BTreeSet<String>> = printed
        .iter()
        .map(|(code, rows)| (code.clone(), rows.iter().cloned().collect()))
        .collect();
    assert_eq!(got, expected);
    let rows: usize = printed.iter().map(|(_, rows)| rows.len()).sum();
    assert_eq!(rows, tasks.len(), "a task printed twice");
    // The county's calls first; each township's page opens with its duty officer, and
    // no call is printed before its caller when both are on the page.
    assert_eq!(printed[0].0, "", "the county's page comes first");
    let caller: HashMap<&str, Option<&str>> = tasks
        .iter()
        .map(|t| (t["id"].as_str().unwrap(), t["caller"].as_str()))
        .collect();
    for (code, rows) in &printed[1..] {
        assert_eq!(rows[0], format!("admin/{code}"));
        for (i, row) in rows.iter().enumerate() {
            if let Some(c) = caller[row.as_str()].filter(|c| rows.iter().any(|r| r == c)) {
                let at = rows.iter().position(|r| r == c).unwrap();
                assert!(at < i, "{row} printed before its caller {c}");
            }
        }
    }
    // Headed in the level's colour, with the warning's words escaped.
    assert!(html.contains("class=\"move s3\""), "orange is severity 3");
    assert!(html.contains(".s3 { background: #f28500"));
    assert!(html.contains("&#60;Flash-flood&#62;") || html.contains("&lt;Flash-flood&gt;"));
    assert!(html.contains("30 分钟 minutes"), "orange: thirty minutes");
    // A planner reads each duty officer's phone in full.
    for code in expected.keys().filter(|c| !c.is_empty()) {
        assert!(html.contains(&units[code].2), "{code}'s phone");
    }
}

#[tokio::test]
async fn an_answer_is_filled_in_and_one_township_prints_alone() {
    let (_dir, app) = app(Vec::new());
    let id = issue(&app).await;
    let state = send(
        &app,
        "GET",
        &format!("/api/warnings/{id}"),
        None,
        Some(token(Role::Editor)),
    )
    .await
    .ok_json();
    let township = state["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["role"] == "township duty officer")
        .unwrap();
    let task = township["id"].as_str().unwrap();
    let code = township["admin_code"].as_str().unwrap();
    let ack = send(
        &app,
        "POST",
        &format!("/api/warnings/{id}/acks"),
        Some(&json!({"task_id": task, "means": "radio", "note": "已转告各村"})),
        Some(token(Role::Editor)),
    )
    .await;
    assert_eq!(ack.status, 201, "{}", ack.error());

    let reply = sheet(
        &app,
        &format!("warning={id}&township={code}"),
        Role::Planner,
    )
    .await;
    assert_eq!(reply.status, 200);
    let html = String::from_utf8(reply.body).unwrap();
    let printed = sections(&html);
    assert_eq!(printed.len(), 1);
    assert_eq!(printed[0].0, code);
    let row = html
        .split(&format!("data-task=\"{task}\""))
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(row.contains("answered"), "{row}");
    assert!(row.contains("radio") && row.contains("已转告各村"), "{row}");
    // A row not yet answered leaves its columns to write in.
    let other = &printed[0].1[1];
    let blank = html
        .split(&format!("data-task=\"{other}\""))
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(blank.contains("<td class=tick></td>"), "{blank}");

    // The read is in the access audit, with the contacts it printed.
    let audit = send(&app, "GET", "/api/audit", None, Some(token(Role::Admin)))
        .await
        .ok_json();
    let record = audit["access"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "call sheets")
        .unwrap();
    assert_eq!(record["about"], format!("{id} township {code}"));
    assert_eq!(record["personal_records"], printed[0].1.len());
}

#[tokio::test]
async fn viewers_may_not_print_call_sheets_and_bad_requests_say_why() {
    let (_dir, app) = app(Vec::new());
    let id = issue(&app).await;
    let viewer = sheet(&app, &format!("warning={id}"), Role::Viewer).await;
    assert_eq!(
        viewer.status, 403,
        "a viewer may read the state, masked, not the sheet"
    );
    let anonymous = send(
        &app,
        "GET",
        &format!("/cards/calls?warning={id}"),
        None,
        None,
    )
    .await;
    assert_eq!(anonymous.status, 401);
    let elsewhere = format!("warning={id}&township=999999999000");
    let misspelt = format!("warning={id}&colour=red");
    for (query, status, words) in [
        ("", 400, "warning"),
        ("warning=W999", 404, "no warning"),
        (elsewhere.as_str(), 404, "no calls in a township"),
        (misspelt.as_str(), 400, "colour"),
    ] {
        let reply = sheet(&app, query, Role::Planner).await;
        assert_eq!(reply.status, status, "{query}");
        assert!(reply.error().contains(words), "{query}: {}", reply.error());
    }
}
