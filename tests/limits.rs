//! Limits, on the demo: the work estimate against a brute-force count, scenarios over
//! the cap, the answer-size cap, the analysis time limit, per-route body limits, the
//! heavy-analysis slots and rates, the security headers, and the accept loop's timeouts
//! and connection cap on real sockets bound to 127.0.0.1.
//!
//! Nothing here asserts a duration: a timeout is shown by its outcome (the connection
//! closed, the 408), with bounds of seconds where the configured limit is milliseconds.

#![allow(clippy::unwrap_used)]

mod common;

use common::{post, repo_path, request};
use geo::{BoundingRect, Intersects};
use riskatlas::analysis::budget::{Deadline, estimate};
use riskatlas::analysis::{Scenario, analyse_within, hazards};
use riskatlas::api::server::{ConnectionLimits, serve};
use riskatlas::api::{AppState, HttpOptions, LimitOptions, router};
use riskatlas::service::Service;
use serde_json::json;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn demo() -> riskatlas::import::Loaded {
    riskatlas::import::load_folder(&repo_path("data/demo")).unwrap()
}

fn app_with(limits: LimitOptions) -> axum::Router {
    let loaded = demo();
    let service = Service::in_memory(loaded.atlas, loaded.report);
    router(AppState::serving(
        Arc::new(service),
        HttpOptions {
            limits,
            ..HttpOptions::default()
        },
    ))
}

/// The probed attack: 100 hazards, each every landslide buffered by 50 km.
fn attack() -> serde_json::Value {
    json!({"hazards": vec![json!({"layer": "landslides", "buffer_m": 50_000}); 100]})
}

#[test]
fn the_work_estimate_counts_what_a_brute_force_overlay_would_visit() {
    let atlas = demo().atlas;
    let exposure = atlas.layer("population").unwrap();
    let scenarios = [
        json!({"hazards": [{"layer": "floods"}]}),
        json!({"hazards": [{"layer": "landslides"}, {"layer": "wildfire"}]}),
        json!({"hazards": [{"layer": "landslides", "buffer_m": 5000, "where": {"severity": {"gte": 3}}}]}),
        json!({"hazards": [{"geometry": {"type": "Polygon", "coordinates": [[[105.6, 34.4], [105.8, 34.4], [105.8, 34.6], [105.6, 34.4]]]}}]}),
    ];
    for s in scenarios {
        let scenario = Scenario::parse(&s, &atlas).unwrap();
        let work = estimate(&atlas, &scenario, u64::MAX);
        // Brute force: every resolved area against every unit's own bbox.
        let areas = hazards::resolve(&atlas, &scenario);
        let pairs: u64 = areas
            .iter()
            .map(|a| {
                let bb = a.area.bounding_rect().unwrap();
                exposure
                    .features()
                    .iter()
                    .filter(|f| f.geometry.bounding_rect().unwrap().intersects(&bb))
                    .count() as u64
            })
            .sum();
        assert_eq!(work.areas, areas.len() as u64, "{s}");
        // Buffered points' bboxes are the disc's extremes, not its 64-gon's: a unit
        // on the very edge may count in one and not the other.
        let slack = (pairs / 100).max(2);
        assert!(
            work.pairs.abs_diff(pairs) <= slack,
            "{s}: estimated {} pairs, brute force {pairs}",
            work.pairs
        );
        assert!(work.pairs > 0, "{s}: the scenario meets people");
    }
}

#[test]
fn the_estimate_stops_counting_once_past_the_cap() {
    let atlas = demo().atlas;
    let scenario = Scenario::parse(&attack(), &atlas).unwrap();
    let work = estimate(&atlas, &scenario, 10_000);
    assert!(work.total() > 10_000 && work.total() < 10_000 + 1_000);
    // Uncapped it is every landslide × 100 hazards × every population unit in reach.
    let full = estimate(&atlas, &scenario, u64::MAX);
    assert_eq!(
        full.areas,
        100 * atlas.layer("landslides").unwrap().len() as u64
    );
}

#[tokio::test]
async fn the_probed_attack_is_refused_before_it_runs_naming_the_limit_and_estimate() {
    let app = app_with(LimitOptions::default());
    let reply = post(&app, "/api/impact", attack()).await;
    assert_eq!(reply.status, 422);
    let error = reply.error();
    assert!(error.contains("over the limit of 2000000"), "{error}");
    assert!(
        error.contains("hazard areas") && error.contains("buffer_m"),
        "{error}"
    );
    // The same limit guards the other routes that run a scenario.
    let route = json!({"from": [105.7, 34.5], "to": [105.71, 34.51], "scenario": attack()});
    assert_eq!(post(&app, "/api/route", route).await.status, 422);
    let mut evacuation = attack();
    evacuation["routing"] = json!("straight_line");
    assert_eq!(post(&app, "/api/evacuation", evacuation).await.status, 422);
    // A scenario under the cap still runs.
    let one = json!({"hazards": [{"layer": "landslides", "buffer_m": 50_000}]});
    assert_eq!(post(&app, "/api/impact", one).await.status, 200);
}

#[tokio::test]
async fn an_answer_over_the_size_cap_is_refused_with_how_to_narrow_it() {
    let app = app_with(LimitOptions {
        max_response_bytes: 16 << 10,
        ..LimitOptions::default()
    });
    let flood = json!({"hazards": [{"layer": "floods"}]});
    let reply = post(&app, "/api/impact", &flood).await;
    assert_eq!(reply.status, 422);
    assert!(reply.error().contains("16 KiB"), "{}", reply.error());
    assert!(
        reply.error().contains("narrow the scenario"),
        "{}",
        reply.error()
    );
    // The same report without hazards is a few KiB.
    let nothing = json!({"hazards": []});
    assert_eq!(post(&app, "/api/impact", nothing).await.status, 200);
}

#[test]
fn an_analysis_past_its_deadline_stops() {
    let atlas = demo().atlas;
    let scenario = Scenario::parse(&json!({"hazards": [{"layer": "floods"}]}), &atlas).unwrap();
    let expired = analyse_within(&atlas, &scenario, &Deadline::after(Duration::ZERO));
    assert!(expired.is_err());
    let done = analyse_within(
        &atlas,
        &scenario,
        &Deadline::after(Duration::from_secs(600)),
    );
    assert!(done.unwrap().report.totals.population > 0.0);
}

#[tokio::test]
async fn an_analysis_past_its_time_limit_is_503_saying_so() {
    let app = app_with(LimitOptions {
        time_limit: Duration::from_nanos(1),
        ..LimitOptions::default()
    });
    let reply = post(
        &app,
        "/api/impact",
        json!({"hazards": [{"layer": "floods"}]}),
    )
    .await;
    assert_eq!(reply.status, 503);
    assert!(
        reply.error().contains("took longer than"),
        "{}",
        reply.error()
    );
}

#[tokio::test]
async fn small_routes_take_small_bodies_with_one_status() {
    let app = app_with(LimitOptions::default());
    let pad = |n: usize| format!("{{\"pad\": \"{}\"}}", "x".repeat(n));
    for (uri, limit, words) in [
        ("/api/coverage", 16 << 10, "16 KiB /api/coverage"),
        ("/api/route", 1 << 20, "1 MiB /api/route"),
    ] {
        let reply = post(&app, uri, pad(limit)).await;
        assert_eq!(reply.status, 413, "{uri}");
        assert!(reply.error().contains(words), "{}", reply.error());
        // Under the limit the body is read (and refused for its unknown key).
        assert_eq!(post(&app, uri, pad(limit - 100)).await.status, 400, "{uri}");
    }
    // A scenario may be larger than a route's body.
    let reply = post(&app, "/api/impact", pad(2 << 20)).await;
    assert_eq!(reply.status, 400);
}

#[tokio::test]
async fn an_identity_over_its_rate_gets_429_with_retry_after() {
    let app = app_with(LimitOptions {
        per_minute: 1,
        burst: 2,
        ..LimitOptions::default()
    });
    let quake = json!({"hazards": [{"earthquake": {"lon": 105.7, "lat": 34.5, "magnitude": 5.0}}]});
    assert_eq!(post(&app, "/api/impact", &quake).await.status, 200);
    assert_eq!(post(&app, "/api/impact", &quake).await.status, 200);
    let third = post(&app, "/api/impact", &quake).await;
    assert_eq!(third.status, 429);
    // One a minute: the next token is at most 60 s away.
    let retry: u64 = third.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Tiles and features are not rate-limited.
    assert_eq!(common::get(&app, "/tiles/shelters/0/0/0").await.status, 200);
    assert_eq!(
        common::get(&app, "/api/layers/shelters/features?limit=1")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_no_cors() {
    let app = app_with(LimitOptions::default());
    for uri in ["/", "/api/health", "/tiles/shelters/0/0/0", "/nothing"] {
        let reply = common::get(&app, uri).await;
        let h = &reply.headers;
        let csp = h["content-security-policy"].to_str().unwrap();
        let script = csp
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .unwrap();
        assert!(!script.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("worker-src 'self' blob:"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
        assert_eq!(h["x-frame-options"], "DENY", "{uri}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{uri}");
    }
    let preflight = axum::http::Request::builder()
        .method("OPTIONS")
        .uri("/api/impact")
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(axum::body::Body::empty())
        .unwrap();
    let reply = request(&app, preflight).await;
    assert!(
        !reply.headers.contains_key("access-control-allow-origin"),
        "{:?}",
        reply.headers
    );
}

#[test]
fn the_page_has_no_inline_script_or_handlers() {
    let page = std::fs::read_to_string(repo_path("web/index.html")).unwrap();
    for tag in page.split("<script").skip(1) {
        let open = tag.split('>').next().unwrap();
        assert!(open.contains("src="), "an inline <script{open}>");
    }
    let lower = page.to_lowercase();
    for handler in [
        " onclick=",
        " onload=",
        " onchange=",
        " oninput=",
        " onsubmit=",
    ] {
        assert!(!lower.contains(handler), "an inline handler{handler}");
    }
}

// ---- real sockets: the accept loop ----

/// Serves the demo on 127.0.0.1 with these limits, on a runtime of its own.
fn start(conn: ConnectionLimits, limits: LimitOptions) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let app = app_with(limits);
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            serve(listener, app, conn, None, std::future::pending()).await
        })
    });
    addr
}

/// Whether an answer is waiting on `stream` (a peek: nothing is consumed).
fn answered(stream: &TcpStream) -> bool {
    stream.set_nonblocking(true).unwrap();
    let waiting = stream.peek(&mut [0u8; 1]).is_ok_and(|n| n > 0);
    stream.set_nonblocking(false).unwrap();
    waiting
}

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// One response's status, headers and body; None when the connection closed first.
fn response(s: &mut TcpStream) -> Option<(u16, String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |v| v.trim().parse().unwrap());
    while buf.len() < head_end + length {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, head, buf[head_end..head_end + length].to_vec()))
}

/// Whether the server closed the connection (reading gives end-of-file or a reset,
/// not a timeout), after reading whatever it sent first.
fn closed_by_server(s: &mut TcpStream) -> bool {
    let mut sink = Vec::new();
    match s.read_to_end(&mut sink) {
        Ok(_) => true,
        Err(e) => !matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
    }
}

fn get(addr: &str, path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\n\r\n")
}

fn post_head(addr: &str, path: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
    )
}

#[test]
fn half_a_header_and_an_idle_connection_are_closed_after_the_header_timeout() {
    let addr = start(
        ConnectionLimits {
            header_timeout: Duration::from_millis(300),
            ..ConnectionLimits::default()
        },
        LimitOptions::default(),
    );
    let mut slow = connect(&addr);
    slow.write_all(b"GET /api/health HTTP/1.1\r\nhost: ")
        .unwrap();
    assert!(
        closed_by_server(&mut slow),
        "half a header is still open after 10 s"
    );

    let mut idle = connect(&addr);
    idle.write_all(get(&addr, "/api/health").as_bytes())
        .unwrap();
    assert_eq!(response(&mut idle).unwrap().0, 200);
    assert!(
        closed_by_server(&mut idle),
        "an idle keep-alive is still open after 10 s"
    );
}

#[test]
fn a_body_that_does_not_arrive_in_time_gets_408() {
    let addr = start(
        ConnectionLimits {
            body_timeout: Duration::from_millis(300),
            ..ConnectionLimits::default()
        },
        LimitOptions::default(),
    );
    let mut s = connect(&addr);
    s.write_all(post_head(&addr, "/api/impact", 1000).as_bytes())
        .unwrap();
    s.write_all(b"{\"hazards\": [").unwrap();
    let (status, _, body) = response(&mut s).expect("an answer before the close");
    assert_eq!(status, 408, "{}", String::from_utf8_lossy(&body));
}

#[test]
fn the_connection_cap_holds_and_health_answers_once_a_slot_frees() {
    let addr = start(
        ConnectionLimits {
            max_connections: 2,
            ..ConnectionLimits::default()
        },
        LimitOptions::default(),
    );
    let first = connect(&addr);
    let _second = connect(&addr);
    // The third connects (the kernel's backlog takes it) but is not served...
    let mut third = connect(&addr);
    third
        .write_all(get(&addr, "/api/health").as_bytes())
        .unwrap();
    third
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut byte = [0u8; 1];
    let early = third.read(&mut byte);
    // (A read that timed out consumed nothing.)
    assert!(
        matches!(&early, Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)),
        "served beyond the cap: {early:?}"
    );
    // ...until a slot frees.
    drop(first);
    third
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert_eq!(
        response(&mut third).expect("served once a slot frees").0,
        200
    );
}

#[test]
fn heavy_analyses_beyond_the_cap_get_503_while_tiles_still_answer() {
    let addr = start(
        ConnectionLimits::default(),
        LimitOptions {
            max_heavy: 1,
            // No rate limit: the loop below asks until the holder has its slot, and on
            // a busy machine that can take more asks than a burst allows.
            per_minute: 0,
            ..LimitOptions::default()
        },
    );
    let flood = json!({"hazards": [{"layer": "floods"}]}).to_string();
    let ask = |path: &str, body: &str| {
        let mut s = connect(&addr);
        let head = if body.is_empty() {
            get(&addr, path)
        } else {
            post_head(&addr, path, body.len())
        };
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body.as_bytes()).unwrap();
        response(&mut s).unwrap()
    };
    // A holder takes the one slot: its handler waits for the rest of its body. On a
    // busy machine the ask after it can reach the server first and the holder is the
    // one refused; then a new holder is sent, until an ask meets the held slot.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut holder, busy) = loop {
        let mut holder = connect(&addr);
        holder
            .write_all(post_head(&addr, "/api/impact", flood.len()).as_bytes())
            .unwrap();
        holder.write_all(&flood.as_bytes()[..5]).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let reply = ask("/api/impact", &flood);
        if reply.0 == 503 && !answered(&holder) {
            break (holder, reply);
        }
        assert!(matches!(reply.0, 200 | 503), "{}", reply.1);
        assert!(Instant::now() < deadline, "never refused");
    };
    assert!(busy.1.contains("retry-after: 2"), "{}", busy.1);
    assert_eq!(ask("/tiles/floods/0/0/0", "").0, 200);
    assert_eq!(ask("/api/health", "").0, 200);
    // The holder finishes and frees its slot.
    holder.write_all(&flood.as_bytes()[5..]).unwrap();
    assert_eq!(response(&mut holder).unwrap().0, 200);
    assert_eq!(ask("/api/impact", &flood).0, 200);
}
