//! The drill designer's ranking, on a county small enough to work out by hand:
//!
//! ```text
//!  T1 629901100000 (105.00–105.10)          T2 629901101000 (105.10–105.20)
//!  V11: 1,000 people, 300 elderly           V21: 600 people, 30 elderly, drilled
//!  V12:   400 people,  40 elderly                2026-06-01; a school in the flood
//!  shelter S1: 500 places                   shelter S2: 2,000 places
//!  10-year flood over V11
//!  50-year flood over V11, V12 and V21 (it crosses into T2)
//! ```
//!
//! Candidates (T2 has no 10-year flood): T1/10 (1,000 people, 300 vulnerable, 500 not
//! placed, never drilled), T1/50 (1,400; 340; 900; never), T2/50 (600; 30; 0; 0.50
//! years; 1 school). With the minutes and supplies weighted 0 and the other defaults
//! (people 1, vulnerable 1.5, facilities 1, unplaced 2, years 1; sum 6.5), min–max
//! normalised:
//!
//! | | people | vulnerable | facilities | unplaced | years | score |
//! |---|---|---|---|---|---|---|
//! | T1/10 | 0.5 | 270/310 | 0 | 500/900 | 1 | 3.9172/6.5 = 0.603 |
//! | T1/50 | 1 | 1 | 0 | 1 | 1 | 5.5/6.5 = 0.846 |
//! | T2/50 | 0 | 0 | 1 | 0 | 0 | 1/6.5 = 0.154 |
//!
//! By score T1/50, T1/10, T2/50; kept diverse (one per township and hazard kind first):
//! T1/50, T2/50, T1/10. The Pareto set: T1/50 dominates T1/10; T2/50 is worst on
//! facilities only, so {T1/50, T2/50}.

#![allow(clippy::unwrap_used)]

mod common;

use common::folder::{collection, data_folder, point, square};
use proptest::prelude::*;
use riskatlas::analysis::drills::metrics::Metrics;
use riskatlas::analysis::drills::score::{Grouped, Weights, pareto_front, rank};
use serde_json::{Value, json};

const T1: &str = "629901100000";
const T2: &str = "629901101000";

fn county() -> tempfile::TempDir {
    let unit = |x0, x1, code: &str, level: &str, parent: Option<&str>| {
        square(
            x0,
            34.0,
            x1,
            34.1,
            json!({"code": code, "name": code, "level": level, "parent_code": parent}),
        )
    };
    let manifest = r#"name = "hand-worked county"
[[layer]]
id = "townships"
kind = "admin"
file = "townships.geojson"
[[layer]]
id = "villages"
kind = "admin"
file = "villages.geojson"
[[layer]]
id = "people"
kind = "population"
file = "people.geojson"
[[layer]]
id = "floods"
kind = "flood"
file = "floods.geojson"
[[layer]]
id = "shelters"
kind = "shelter"
file = "shelters.geojson"
[[layer]]
id = "facilities"
kind = "facility"
file = "facilities.geojson"
[[layer]]
id = "drills"
kind = "drill"
file = "drills.geojson"
"#;
    data_folder(
        manifest,
        &[
            (
                "townships.geojson",
                collection(vec![
                    unit(105.0, 105.1, T1, "township", None),
                    unit(105.1, 105.2, T2, "township", None),
                ]),
            ),
            (
                "villages.geojson",
                collection(vec![
                    unit(105.0, 105.05, "629901100201", "village", Some(T1)),
                    unit(105.05, 105.1, "629901100202", "village", Some(T1)),
                    unit(105.1, 105.2, "629901101201", "village", Some(T2)),
                ]),
            ),
            (
                "people.geojson",
                collection(vec![
                    point(
                        "p11",
                        105.02,
                        34.05,
                        json!({"population": 1000, "elderly": 300, "admin_code": "629901100201"}),
                    ),
                    point(
                        "p12",
                        105.07,
                        34.05,
                        json!({"population": 400, "elderly": 40, "admin_code": "629901100202"}),
                    ),
                    point(
                        "p21",
                        105.15,
                        34.05,
                        json!({"population": 600, "elderly": 30, "admin_code": "629901101201"}),
                    ),
                ]),
            ),
            (
                "floods.geojson",
                collection(vec![
                    square(
                        105.01,
                        34.04,
                        105.03,
                        34.06,
                        json!({"return_period_years": 10}),
                    ),
                    square(
                        105.01,
                        34.04,
                        105.16,
                        34.06,
                        json!({"return_period_years": 50}),
                    ),
                ]),
            ),
            (
                "shelters.geojson",
                collection(vec![
                    point("s1", 105.04, 34.08, json!({"capacity": 500})),
                    point("s2", 105.18, 34.08, json!({"capacity": 2000})),
                ]),
            ),
            (
                "facilities.geojson",
                collection(vec![point(
                    "school",
                    105.155,
                    34.05,
                    json!({"facility_type": "school", "name": "河口小学"}),
                )]),
            ),
            (
                "drills.geojson",
                collection(vec![point(
                    "d1",
                    105.15,
                    34.05,
                    json!({"date": "2026-06-01", "admin_code": "629901101201"}),
                )]),
            ),
        ],
    )
}

/// The hand-worked weights: minutes and supplies left out.
fn weights() -> Value {
    json!({"people": 1, "vulnerable": 1.5, "facilities": 1, "unplaced": 2, "clearance_minutes": 0,
           "mean_minutes": 0, "supply_shortfall": 0, "years_since_drill": 1})
}

async fn ranking(app: &axum::Router, body: Value) -> Value {
    common::post(app, "/api/drills", body).await.ok_json()
}

fn ids(ranking: &Value) -> Vec<String> {
    ranking["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

const T1_10: &str = "629901100000/flood/floods/10";
const T1_50: &str = "629901100000/flood/floods/50";
const T2_50: &str = "629901101000/flood/floods/50";

#[tokio::test]
async fn the_hand_worked_county_ranks_as_worked_out() {
    let dir = county();
    let app = common::folder_app(dir.path());
    let r = ranking(&app, json!({"weights": weights(), "as_of": "2026-12-01"})).await;
    assert_eq!(ids(&r), [T1_50, T2_50, T1_10], "{r:#}");
    let by_id = |id: &str| {
        r["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap()
            .clone()
    };
    let (t1_10, t1_50, t2_50) = (by_id(T1_10), by_id(T1_50), by_id(T2_50));
    for (s, people, vulnerable, unplaced, facilities) in [
        (&t1_10, 1000, 300, 500, 0),
        (&t1_50, 1400, 340, 900, 0),
        (&t2_50, 600, 30, 0, 1),
    ] {
        let m = &s["metrics"];
        assert_eq!(
            (
                &m["people"],
                &m["vulnerable"],
                &m["unplaced"],
                &m["facilities"]
            ),
            // People are whole numbers in an answer.
            (
                &json!(people),
                &json!(vulnerable),
                &json!(unplaced),
                &json!(facilities as f64)
            ),
            "{}",
            s["id"]
        );
    }
    assert_eq!(t1_10["metrics"]["years_since_drill"], json!(10.0));
    assert_eq!(t2_50["metrics"]["years_since_drill"], json!(0.5));
    assert_eq!(t1_50["unplaced_by_reason"], json!({"capacity": 900}));
    assert_eq!(t1_50["score"], json!(0.846));
    assert_eq!(t1_10["score"], json!(0.603));
    assert_eq!(t2_50["score"], json!(0.154));
    assert_eq!(
        t2_50["why"],
        json!(["1 school, clinic or care home in the hazard 重点场所"])
    );
    assert_eq!(t1_50["township"]["code"], T1);
    // The scenario runs as given on /api/evacuation.
    assert_eq!(t1_50["scenario"]["hazards"][0]["layer"], "floods");

    // Each weight alone (top 1: past the first, by score).
    let only = |name: &str| {
        let mut w = json!({"people": 0, "vulnerable": 0, "facilities": 0, "unplaced": 0, "clearance_minutes": 0,
                           "mean_minutes": 0, "supply_shortfall": 0, "years_since_drill": 0});
        w[name] = json!(1);
        json!({"weights": w, "as_of": "2026-12-01", "top": 1})
    };
    assert_eq!(ids(&ranking(&app, only("facilities")).await)[0], T2_50);
    assert_eq!(
        ids(&ranking(&app, only("people")).await),
        [T1_50, T1_10, T2_50]
    );
    // T1/10 and T1/50 tie on years (never drilled): the earlier candidate first.
    assert_eq!(
        ids(&ranking(&app, only("years_since_drill")).await),
        [T1_10, T1_50, T2_50]
    );

    let pareto = ranking(
        &app,
        json!({"weights": weights(), "as_of": "2026-12-01", "pareto": true}),
    )
    .await;
    assert_eq!(ids(&pareto), [T1_50, T2_50]);
}

#[tokio::test]
async fn a_drill_held_in_t1_lowers_its_staleness() {
    let dir = county();
    // A township-wide drill in T1 a year before: its villages count 1 year, not 10.
    let drills = collection(vec![
        point(
            "d1",
            105.15,
            34.05,
            json!({"date": "2026-06-01", "admin_code": "629901101201"}),
        ),
        point(
            "d2",
            105.05,
            34.05,
            json!({"date": "2025-12-01", "admin_code": T1}),
        ),
    ]);
    std::fs::write(dir.path().join("drills.geojson"), drills.to_string()).unwrap();
    let app = common::folder_app(dir.path());
    let r = ranking(&app, json!({"weights": weights(), "as_of": "2026-12-01"})).await;
    let t1_50 = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == T1_50)
        .unwrap();
    assert_eq!(t1_50["metrics"]["years_since_drill"], json!(1.0));
}

#[tokio::test]
async fn bad_requests_name_the_problem() {
    let dir = county();
    let app = common::folder_app(dir.path());
    for (body, expected) in [
        (json!({"weights": {"people": -1}}), "weights.people"),
        (json!({"weights": {"peple": 1}}), "peple"),
        (json!({"top": 0}), "top"),
        (json!({"as_of": "yesterday"}), "as_of"),
        (json!({"townships": ["999"]}), "townships"),
        (
            json!({"candidates": {"scenarios": [{"hazards": [{"layer": "nope"}]}]}}),
            "candidates.scenarios[0]",
        ),
    ] {
        let reply = common::post(&app, "/api/drills", body.clone()).await;
        assert_eq!(reply.status, 400, "{body}");
        assert!(
            reply.error().contains(expected),
            "{body}: {}",
            reply.error()
        );
    }
}

/// A candidate for the property tests.
struct C(Metrics, String);

impl Grouped for C {
    fn metrics(&self) -> &Metrics {
        &self.0
    }
    fn group(&self) -> (&str, &str) {
        (&self.1, "flood")
    }
}

fn metrics() -> impl Strategy<Value = Metrics> {
    prop::collection::vec(0.0f64..1000.0, 8).prop_map(|v| Metrics {
        people: v[0],
        vulnerable: v[1],
        facilities: v[2].floor(),
        unplaced: v[3],
        clearance_minutes: v[4],
        mean_minutes: v[5],
        supply_shortfall: v[6] / 1000.0,
        years_since_drill: v[7] / 100.0,
    })
}

fn weights_strategy() -> impl Strategy<Value = Weights> {
    prop::collection::vec(0.0f64..5.0, 8).prop_map(|w| Weights {
        people: w[0],
        vulnerable: w[1],
        facilities: w[2],
        unplaced: w[3],
        clearance_minutes: w[4],
        mean_minutes: w[5],
        supply_shortfall: w[6],
        years_since_drill: w[7] + 0.1,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Worsening one metric of one candidate never lowers its score.
    #[test]
    fn scores_are_monotone_in_each_metric(
        ms in prop::collection::vec(metrics(), 2..12),
        w in weights_strategy(),
        which in 0usize..12,
        metric in 0usize..8,
        more in 0.0f64..500.0,
    ) {
        let which = which % ms.len();
        let score_of = |ms: &[Metrics]| {
            let cs: Vec<C> = ms.iter().cloned().map(|m| C(m, String::new())).collect();
            rank(&cs, &w, 1, false).into_iter().find(|r| r.index == which).unwrap().score
        };
        let before = score_of(&ms);
        let mut worse = ms.clone();
        let m = &mut worse[which];
        let field = [&mut m.people, &mut m.vulnerable, &mut m.facilities, &mut m.unplaced,
                     &mut m.clearance_minutes, &mut m.mean_minutes, &mut m.supply_shortfall, &mut m.years_since_drill];
        *field.into_iter().nth(metric).unwrap() += more;
        prop_assert!(score_of(&worse) >= before - 1e-12);
    }

    /// The Pareto set is exactly the candidates no other dominates (brute force), and
    /// the diverse top never holds two of one township.
    #[test]
    fn the_pareto_set_is_the_non_dominated_set_and_the_top_is_diverse(
        ms in prop::collection::vec(metrics(), 1..14),
        w in weights_strategy(),
        towns in prop::collection::vec(0u8..4, 14),
        top in 1usize..6,
    ) {
        let cs: Vec<C> = ms.iter().cloned().zip(&towns).map(|(m, t)| C(m, t.to_string())).collect();
        let wv = w.values();
        let worse_or_equal = |a: &Metrics, b: &Metrics| {
            let (a, b) = (a.values(), b.values());
            (0..8).filter(|&k| wv[k] > 0.0).all(|k| a[k] >= b[k])
                && (0..8).filter(|&k| wv[k] > 0.0).any(|k| a[k] > b[k])
        };
        let brute: Vec<usize> = (0..ms.len())
            .filter(|&i| !(0..ms.len()).any(|j| j != i && worse_or_equal(&ms[j], &ms[i])))
            .collect();
        let refs: Vec<&Metrics> = ms.iter().collect();
        prop_assert_eq!(pareto_front(&refs, &wv), brute.clone());
        let mut front: Vec<usize> = rank(&cs, &w, top, true).iter().map(|r| r.index).collect();
        front.sort_unstable();
        prop_assert_eq!(front, brute);
        let ranked = rank(&cs, &w, top, false);
        let head: Vec<&str> = ranked.iter().take(top).map(|r| cs[r.index].1.as_str()).collect();
        let towns_total: std::collections::BTreeSet<&str> = cs.iter().map(|c| c.1.as_str()).collect();
        // The head holds as many distinct townships as there are, up to `top`, none twice
        // before every township has one.
        let first_dupe = head.iter().enumerate().find(|(i, t)| head[..*i].contains(t)).map(|(i, _)| i);
        prop_assert!(first_dupe.is_none_or(|i| i >= towns_total.len().min(top)));
    }
}

/// The county served from its folder, taking edits (as `riskatlas serve` would).
fn served(dir: &std::path::Path) -> axum::Router {
    let service = riskatlas::service::Service::open_folder(dir).unwrap();
    riskatlas::api::router(riskatlas::api::AppState::serving(
        std::sync::Arc::new(service),
        riskatlas::api::HttpOptions::default(),
    ))
}

/// A drill held in T1's two villages, recorded through the API: two drill features,
/// kept across a restart, and T1's candidates are no longer the stalest.
#[tokio::test]
async fn a_drill_recorded_through_the_api_is_kept_and_moves_the_ranking() {
    let dir = county();
    let app = served(dir.path());
    let years_only = json!({"weights": {"people": 0, "vulnerable": 0, "facilities": 0, "unplaced": 0,
        "clearance_minutes": 0, "mean_minutes": 0, "supply_shortfall": 0, "years_since_drill": 1},
        "as_of": "2026-12-01", "top": 1});
    assert_eq!(ids(&ranking(&app, years_only.clone()).await)[0], T1_10);
    let held = json!({"date": "2026-11-20", "scenario": T1_50, "problems": "the bridge to S1 was blocked",
        "villages": [{"admin_code": "629901100201", "people_moved": 950, "clearance_minutes": 55},
                     {"admin_code": "629901100202", "people_moved": 380}]});
    let reply = common::post(&app, "/api/drills/records", held).await;
    assert_eq!(reply.status, 201, "{}", reply.error());
    assert_eq!(reply.json()["records"].as_array().unwrap().len(), 2);

    // After a restart the records are there, and T2 (drilled half a year ago) is now
    // the stalest: T1's villages drilled 11 days before `as_of`.
    drop(app); // the server stops, releasing its edit log
    let app = served(dir.path());
    let uri = "/api/layers/drills/features?where=admin_code%20%3D%20%27629901100201%27";
    let drills = common::get(&app, uri).await.ok_json();
    let recorded = drills["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["date"] == "2026-11-20")
        .unwrap()
        .clone();
    assert_eq!(recorded["properties"]["people_moved"], 950);
    assert_eq!(recorded["properties"]["clearance_minutes"], 55.0);
    assert_eq!(
        recorded["properties"]["problems"],
        "the bridge to S1 was blocked"
    );
    let r = ranking(&app, years_only).await;
    assert_eq!(ids(&r)[0], T2_50);
    let t1_10 = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == T1_10)
        .unwrap();
    assert_eq!(t1_10["metrics"]["years_since_drill"], json!(0.0));

    for (body, status) in [
        (
            json!({"date": "2026-11-20", "scenario": "x", "villages": [{"admin_code": "999"}]}),
            404,
        ),
        (
            json!({"date": "20 Nov", "scenario": "x", "villages": [{"admin_code": "629901100201"}]}),
            400,
        ),
        (
            json!({"date": "2026-11-20", "scenario": "x", "villages": []}),
            400,
        ),
    ] {
        let reply = common::post(&app, "/api/drills/records", body.clone()).await;
        assert_eq!(reply.status, status, "{body}: {}", reply.error());
    }
}

/// `POST /api/drills` asking for newline-delimited JSON: the lines, each parsed.
async fn streamed(app: &axum::Router, body: Value) -> (common::Reply, Vec<Value>) {
    let req = axum::http::Request::post("/api/drills")
        .header("content-type", "application/json")
        .header("accept", "application/x-ndjson")
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let reply = common::request(app, req).await;
    let text = String::from_utf8(reply.body.clone()).unwrap();
    assert!(text.ends_with('\n'), "the last line is not ended: {text}");
    let lines = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    (reply, lines)
}

/// The demo's ranking streamed: progress counts up to the total, then the very answer
/// the plain call gives for the same body.
#[tokio::test]
async fn a_streamed_ranking_counts_to_its_total_and_ends_with_the_plain_answer() {
    let app = common::demo_app();
    let body = json!({"top": 5, "as_of": "2026-12-01"});
    let plain = ranking(&app, body.clone()).await;
    let (reply, lines) = streamed(&app, body).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["content-type"], "application/x-ndjson");
    let (last, progress) = lines.split_last().unwrap();
    let counts: Vec<(u64, u64)> = progress
        .iter()
        .map(|l| {
            let p = &l["progress"];
            (p["done"].as_u64().unwrap(), p["total"].as_u64().unwrap())
        })
        .collect();
    let total = plain["candidates_run"].as_u64().unwrap();
    assert!(total > 100, "{total} candidates");
    assert_eq!(counts.first(), Some(&(0, total)));
    assert_eq!(counts.last(), Some(&(total, total)));
    assert!(counts.windows(2).all(|w| w[0].0 <= w[1].0), "{counts:?}");
    assert!(counts.iter().all(|c| c.1 == total));
    let result = &last["result"];
    let ids_scores = |r: &Value| -> Vec<(String, f64)> {
        r["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["id"].as_str().unwrap().into(),
                    s["score"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(ids_scores(result), ids_scores(&plain));
    assert_eq!(result, &plain);
}

/// What is wrong with the body is found before the run starts: a plain 400, not a
/// stream.
#[tokio::test]
async fn a_bad_request_asking_for_a_stream_is_refused_plainly() {
    let dir = county();
    let app = common::folder_app(dir.path());
    let req = axum::http::Request::post("/api/drills")
        .header("content-type", "application/json")
        .header("accept", "application/x-ndjson")
        .body(axum::body::Body::from(json!({"top": 0}).to_string()))
        .unwrap();
    let reply = common::request(&app, req).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.headers["content-type"], "application/json");
    assert!(reply.error().contains("top"), "{}", reply.error());
}

/// A client that hangs up after the first progress line: the server logs the run
/// cancelled, and answers the next ranking in full.
#[test]
fn a_client_that_hangs_up_stops_its_run_and_the_server_answers_on() {
    use std::io::{Read, Write};
    let dir = common::demo_copy();
    let log = dir.path().join("server.log");
    let args = ["--data".as_ref(), dir.path().as_os_str()];
    let (child, addr) = common::server::start_until(&args, Some(&log), |addr| {
        common::server::http(addr, "GET", "/api/health", "").is_some()
    });
    let _server = common::server::Guard(child);
    // Ten earthquakes more in each township: a run long enough to hang up in.
    let quakes: Vec<Value> = (0..10)
        .map(|i| json!({"lon": 105.5 + 0.05 * f64::from(i), "lat": 34.5, "magnitude": 6.0}))
        .collect();
    let body = json!({"candidates": {"earthquakes": quakes}}).to_string();
    let mut socket = std::net::TcpStream::connect(&addr).unwrap();
    let head = format!(
        "POST /api/drills HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\naccept: application/x-ndjson\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(head.as_bytes()).unwrap();
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("{\"progress\"") {
        let n = socket.read(&mut chunk).unwrap();
        assert!(
            n > 0,
            "closed before any progress: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&chunk[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200"));
    drop(socket);

    let cancelled = "drill run cancelled";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !std::fs::read_to_string(&log).unwrap().contains(cancelled) {
        assert!(
            std::time::Instant::now() < deadline,
            "the run was never cancelled: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (status, answer) =
        common::server::http_full(&addr, "POST", "/api/drills", r#"{"top": 3}"#).unwrap();
    assert_eq!(status, 200, "{answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert!(answer["candidates_run"].as_u64().unwrap() > 100, "{answer}");
    assert!(!answer["scenarios"].as_array().unwrap().is_empty());
    // The cancelled run ran only part of its candidates (the full run would log them).
    assert!(
        !std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .take_while(|l| !l.contains(cancelled))
            .any(|l| l.contains("drill candidates run")),
        "the cancelled run finished first"
    );
}
