//! The drill card: its depot → shelter transport against networkx on random
//! instances, and on the demo its clock, shelters and supplies against what the card's
//! own plan, the ranking and the depot file say, worked out here.

#![allow(clippy::unwrap_used)]

mod common;

use rand::{Rng, SeedableRng};
use riskatlas::analysis::supply::transport::{Problem, solve};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Random transport problems: 1–5 depots, 1–8 shelters, a fifth of the pairs cut.
fn random_problems(count: usize) -> Vec<Problem> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_201);
    (0..count)
        .map(|_| {
            let (depots, shelters) = (rng.random_range(1..=5), rng.random_range(1..=8));
            Problem {
                stock: (0..depots).map(|_| rng.random_range(0..=500)).collect(),
                need: (0..shelters).map(|_| rng.random_range(0..=400)).collect(),
                cost: (0..depots)
                    .map(|_| {
                        (0..shelters)
                            .map(|_| rng.random_bool(0.8).then(|| rng.random_range(1..=3000)))
                            .collect()
                    })
                    .collect(),
            }
        })
        .collect()
}

/// networkx's maximum flow of minimum cost for each problem: (met, cost).
fn networkx(problems: &[Problem]) -> Vec<(i64, i64)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("instances.json");
    let instances: Vec<Value> = problems
        .iter()
        .map(|p| json!({"stock": p.stock, "need": p.need, "cost": p.cost}))
        .collect();
    std::fs::write(&path, Value::Array(instances).to_string()).unwrap();
    let out = std::process::Command::new("python3")
        .arg(common::repo_path("tests/python/networkx_transport.py"))
        .arg(&path)
        .output()
        .expect("python3 runs");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        !text.contains("No module named 'networkx'"),
        "networkx is missing: run scripts/install-deps (it installs networkx from PyPI)"
    );
    assert!(out.status.success(), "networkx failed:\n{text}");
    let answers: Vec<Value> = serde_json::from_str(text.trim()).unwrap();
    answers
        .iter()
        .map(|a| (a["met"].as_i64().unwrap(), a["cost"].as_i64().unwrap()))
        .collect()
}

#[test]
fn the_transport_meets_as_much_need_as_networkx_at_the_same_least_cost() {
    let problems = random_problems(60);
    let expected = networkx(&problems);
    for (i, (p, (met, cost))) in problems.iter().zip(expected).enumerate() {
        let s = solve(p);
        // Feasible: no depot ships more than it holds, no pair a truck cannot drive,
        // and each shelter's deliveries and shortfall add up to its need.
        for (d, &stock) in p.stock.iter().enumerate() {
            let shipped: i64 = s
                .shipments
                .iter()
                .filter(|x| x.depot == d)
                .map(|x| x.quantity)
                .sum();
            assert!(
                shipped <= stock,
                "problem {i}: depot {d} ships {shipped} of {stock}"
            );
        }
        for (sh, &need) in p.need.iter().enumerate() {
            let got: i64 = s
                .shipments
                .iter()
                .filter(|x| x.shelter == sh)
                .map(|x| x.quantity)
                .sum();
            assert_eq!(got + s.unmet[sh], need, "problem {i}: shelter {sh}");
        }
        assert!(
            s.shipments
                .iter()
                .all(|x| p.cost[x.depot][x.shelter].is_some())
        );
        let total_need: i64 = p.need.iter().sum();
        let unmet: i64 = s.unmet.iter().sum();
        assert_eq!(total_need - unmet, met, "problem {i}: need met");
        assert_eq!(s.cost, cost, "problem {i}: quantity × cost");
    }
}

/// The demo's top-ranked drill: its id, scenario and metrics.
async fn top_drill(app: &axum::Router) -> Value {
    let ranking = common::post(app, "/api/drills", json!({"top": 3}))
        .await
        .ok_json();
    ranking["scenarios"][0].clone()
}

/// `text` percent-encoded for a query string (every byte but the unreserved ones).
fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn card_uri(drill: &Value, extra: &str) -> String {
    format!(
        "/cards/drill?id={}&request={}{extra}",
        enc(drill["id"].as_str().unwrap()),
        enc(&drill["scenario"].to_string())
    )
}

/// Role-`role` features of a card's GeoJSON.
fn features<'a>(card: &'a Value, role: &str) -> Vec<&'a Value> {
    card["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["role"] == role)
        .collect()
}

#[tokio::test]
async fn the_card_runs_the_ranked_plan_and_its_clock_follows_the_plan() {
    let app = common::demo_app();
    let drill = top_drill(&app).await;
    let card = common::get(&app, &card_uri(&drill, "&format=geojson"))
        .await
        .ok_json();
    let facts = &card["card"];
    // The plan is the one the ranking measured.
    let totals = &facts["plan_totals"];
    assert_eq!(
        totals["unassigned"].as_f64(),
        drill["metrics"]["unplaced"].as_f64()
    );
    let clearance = drill["metrics"]["clearance_minutes"].as_f64().unwrap();
    assert!((totals["max_minutes"].as_f64().unwrap() - clearance).abs() < 0.051);

    // Default clock: two levels of 5-minute calls, 15 minutes to gather → T+25.
    let routes = features(&card, "route");
    assert!(!routes.is_empty(), "the top drill places someone");
    let mut slowest: HashMap<&str, f64> = HashMap::new();
    let mut by_shelter: HashMap<&str, (f64, f64)> = HashMap::new();
    for r in &routes {
        let p = &r["properties"];
        let (unit, minutes) = (
            p["unit_id"].as_str().unwrap(),
            p["minutes"].as_f64().unwrap(),
        );
        let s = slowest.entry(unit).or_insert(0.0);
        *s = s.max(minutes);
        let e = by_shelter
            .entry(p["shelter_id"].as_str().unwrap())
            .or_insert((f64::MAX, 0.0));
        *e = (e.0.min(25.0 + minutes), e.1.max(25.0 + minutes));
    }
    for v in facts["villages"].as_array().unwrap() {
        assert_eq!(v["departs"], 25.0);
        let planned = slowest.get(v["id"].as_str().unwrap()).copied();
        assert_eq!(v["planned_minutes"].as_f64(), planned, "{v}");
    }
    let mut last = 25.0_f64;
    for s in features(&card, "shelter") {
        let p = &s["properties"];
        let (first, latest) = by_shelter[p["id"].as_str().unwrap()];
        assert_eq!(p["open_by_minute"].as_f64(), Some(first));
        assert_eq!(p["last_arrival_minute"].as_f64(), Some(latest));
        last = last.max(latest);
    }
    assert_eq!(facts["all_clear_minute"].as_f64(), Some(last + 10.0));

    // Ten-minute calls move the departure to T+35.
    let slower = common::get(&app, &card_uri(&drill, "&format=geojson&call_minutes=10"))
        .await
        .ok_json();
    assert!(
        slower["card"]["villages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["departs"] == 35.0)
    );
}

/// Stock per depot name and item, from the demo's depot file.
fn demo_stock() -> HashMap<(String, String), i64> {
    let text = std::fs::read_to_string(common::repo_path("data/demo/depots.geojson")).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    let mut out = HashMap::new();
    for f in file["features"].as_array().unwrap() {
        let p = f["properties"].as_object().unwrap();
        let name = p["name"].as_str().unwrap().to_string();
        for (k, v) in p {
            if let Some(q) = v.as_f64() {
                out.insert((name.clone(), k.clone()), q.floor() as i64);
            }
        }
    }
    out
}

#[tokio::test]
async fn supplies_come_from_real_stock_and_meet_every_need_the_county_can_meet() {
    let app = common::demo_app();
    let drill = top_drill(&app).await;
    let card = common::get(&app, &card_uri(&drill, "&format=geojson"))
        .await
        .ok_json();
    let stock = demo_stock();
    let supply = &card["card"]["supply"];
    assert_eq!(
        supply["depots"], 17,
        "every depot of the county, not only the township's"
    );
    for item in supply["items"].as_array().unwrap() {
        let name = item["item"].as_str().unwrap();
        let mut shipped: HashMap<&str, i64> = HashMap::new();
        for d in item["deliveries"].as_array().unwrap() {
            *shipped
                .entry(d["depot_name"].as_str().unwrap())
                .or_default() += d["quantity"].as_i64().unwrap();
        }
        for (depot, q) in &shipped {
            let held = stock
                .get(&(depot.to_string(), name.to_string()))
                .copied()
                .unwrap_or(0);
            assert!(*q <= held, "{depot} ships {q} {name} of {held}");
        }
        let county: i64 = stock
            .iter()
            .filter(|((_, i), _)| i == name)
            .map(|(_, q)| q)
            .sum();
        let needed = item["needed"].as_i64().unwrap();
        let delivered: i64 = shipped.values().sum();
        assert_eq!(item["delivered"].as_i64(), Some(delivered));
        assert_eq!(item["shortfall"].as_i64(), Some(needed - delivered));
        // Every depot reaches the shelters by road here: only the county's stock limits.
        assert_eq!(delivered, needed.min(county), "{name}");
    }
    // Each shelter's need is what its people need: rice 0.5 kg a day per person.
    let days = card["card"]["scenario"]["days"].as_f64().unwrap_or(3.0);
    let people: i64 = features(&card, "shelter")
        .iter()
        .map(|s| s["properties"]["assigned"].as_i64().unwrap())
        .sum();
    let rice = supply["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == "rice_kg")
        .unwrap();
    let by_shelter_ceil = (people as f64 * 0.5 * days).ceil() as i64;
    let needed = rice["needed"].as_i64().unwrap();
    assert!(
        needed >= by_shelter_ceil && needed < by_shelter_ceil + 5,
        "{needed} vs {by_shelter_ceil}"
    );
}

#[tokio::test]
async fn a_drill_held_shows_on_the_card_as_last_actual_against_planned() {
    let dir = common::demo_copy();
    let app = common::served(dir.path());
    let drill = top_drill(&app).await;
    let card = common::get(&app, &card_uri(&drill, "&format=geojson"))
        .await
        .ok_json();
    let village = card["card"]["villages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["planned_minutes"].is_number())
        .cloned()
        .expect("a village the plan places");
    assert_eq!(village["last_actual"], Value::Null);
    let held = json!({"date": "2026-07-01", "scenario": drill["id"], "problems": "bridge flooded",
        "villages": [{"admin_code": village["admin_code"], "people_moved": 812, "clearance_minutes": 95}]});
    let reply = common::post(&app, "/api/drills/records", held).await;
    assert_eq!(reply.status, 201, "{}", reply.error());
    let card = common::get(&app, &card_uri(&drill, "&format=geojson"))
        .await
        .ok_json();
    let again = card["card"]["villages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == village["id"])
        .unwrap();
    let last = &again["last_actual"];
    assert_eq!(last["date"], "2026-07-01");
    assert_eq!(last["clearance_minutes"], 95.0);
    assert_eq!(last["people_moved"], 812);
    let html = common::get(&app, &card_uri(&drill, "")).await;
    assert_eq!(html.status, 200);
    let page = String::from_utf8(html.body.to_vec()).unwrap();
    assert!(
        page.contains("2026-07-01: 95 min (bridge flooded)"),
        "evaluation sheet"
    );
    assert!(page.contains("<svg class=map"), "the map is printed");
    assert!(page.contains("T+25"), "the timeline");
}

#[tokio::test]
async fn a_card_found_by_id_alone_is_the_same_as_with_its_scenario() {
    let app = common::demo_app();
    let drill = top_drill(&app).await;
    let id = enc(drill["id"].as_str().unwrap());
    let by_id = common::get(&app, &format!("/cards/drill?id={id}&format=geojson"))
        .await
        .ok_json();
    let both = common::get(&app, &card_uri(&drill, "&format=geojson"))
        .await
        .ok_json();
    assert_eq!(by_id["card"]["plan_totals"], both["card"]["plan_totals"]);
    assert_eq!(by_id["card"]["title"], drill["title"]);
}

#[tokio::test]
async fn bad_card_requests_name_the_problem() {
    let app = common::demo_app();
    for (uri, words) in [
        ("/cards/drill", "give id"),
        ("/cards/drill?id=629901106000/flood/nothing", "no candidate"),
        (
            "/cards/drill?id=999999999000/flood/x",
            "not a township you can see",
        ),
        ("/cards/drill?request=%7B", "request is not JSON"),
        ("/cards/drill?request=%5B%5D", "must be a JSON object"),
        ("/cards/drill?id=a&format=pdf", "not html or geojson"),
        ("/cards/drill?id=a&call_minutes=-1", "call_minutes"),
        ("/cards/drill?id=a&colour=red", "colour"),
    ] {
        let reply = common::get(&app, uri).await;
        assert_eq!(reply.status, 400, "{uri}");
        assert!(reply.error().contains(words), "{uri}: {}", reply.error());
    }
}

#[tokio::test]
async fn a_ranked_scenario_run_again_measures_what_was_ranked() {
    let app = common::demo_app();
    let ranking = common::post(&app, "/api/drills", json!({"top": 3}))
        .await
        .ok_json();
    let rows = ranking["scenarios"].as_array().unwrap();
    for row in rows.iter().take(3) {
        let township = row["township"]["code"].as_str().unwrap();
        assert_eq!(
            row["scenario"]["within"],
            json!([township]),
            "the scenario keeps to its township"
        );
        let impact = common::post(&app, "/api/impact", &row["scenario"])
            .await
            .ok_json();
        let people = impact["totals"]["population"].as_f64().unwrap();
        let ranked = row["metrics"]["people"].as_f64().unwrap();
        assert!(
            (people - ranked).abs() < 0.051,
            "{}: {people} vs {ranked}",
            row["id"]
        );
        let plan = common::post(&app, "/api/evacuation", &row["scenario"])
            .await
            .ok_json();
        assert_eq!(
            plan["totals"]["unassigned"].as_f64(),
            row["metrics"]["unplaced"].as_f64()
        );
    }
    // Two townships' rows of one flood compare as their two measurements, not as one.
    let (a, b) = (&rows[0], &rows[1]);
    let compared = common::post(
        &app,
        "/api/compare",
        json!({"a": a["scenario"], "b": b["scenario"]}),
    )
    .await
    .ok_json();
    assert_eq!(
        compared["totals"]["not_placed"]["a"].as_f64(),
        a["metrics"]["unplaced"].as_f64()
    );
    assert_eq!(
        compared["totals"]["not_placed"]["b"].as_f64(),
        b["metrics"]["unplaced"].as_f64()
    );
    // A within no one can see is refused by name.
    let mut bad = a["scenario"].clone();
    bad["within"] = json!(["000000000000"]);
    let reply = common::post(&app, "/api/impact", bad).await;
    assert_eq!(reply.status, 400);
    assert!(reply.error().contains("within"), "{}", reply.error());
}

#[test]
fn a_drill_recorded_survives_kill_9_and_its_card_shows_it() {
    use common::server::{Guard, http_full, start};
    let dir = common::demo_copy();
    let data = ["--data".as_ref(), dir.path().as_os_str()];
    let (child, addr) = start(&data);
    let mut guard = Guard(child);
    let (status, ranking) = http_full(&addr, "POST", "/api/drills", r#"{"top": 1}"#).unwrap();
    assert_eq!(status, 200, "{ranking}");
    let ranking: Value = serde_json::from_str(&ranking).unwrap();
    let drill = ranking["scenarios"][0].clone();
    let (_, card) = http_full(&addr, "GET", &card_uri(&drill, "&format=geojson"), "").unwrap();
    let card: Value = serde_json::from_str(&card).unwrap();
    let code = card["card"]["villages"][0]["admin_code"].clone();
    let held = json!({"date": "2026-08-01", "scenario": drill["id"],
        "villages": [{"admin_code": code, "people_moved": 400, "clearance_minutes": 71}]});
    let (status, body) =
        http_full(&addr, "POST", "/api/drills/records", &held.to_string()).unwrap();
    assert_eq!(status, 201, "{body}");
    guard.0.kill().unwrap(); // SIGKILL, right after the 201
    guard.0.wait().unwrap();
    let (child, addr) = start(&data);
    let _guard = Guard(child);
    let (_, card) = http_full(&addr, "GET", &card_uri(&drill, "&format=geojson"), "").unwrap();
    let card: Value = serde_json::from_str(&card).unwrap();
    let village = card["card"]["villages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["admin_code"] == code)
        .unwrap();
    assert_eq!(village["last_actual"]["clearance_minutes"], 71.0);
    assert_eq!(village["last_actual"]["date"], "2026-08-01");
}
