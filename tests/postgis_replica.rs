//! Serving from PostgreSQL's own streaming replication: a primary and a hot standby fed
//! by WAL streaming (`RISKATLAS_PG_REPLICA=1 scripts/with-postgis`, which `scripts/test`
//! sets). Server A serves the primary; server B loads from the replica and sends its
//! edits, warnings and `LISTEN` to the primary (`--postgis-primary`). An edit through
//! either is served by the other, B's health reports the replica's lag, a replica held
//! back delays no edit, one gone away stops nothing once loaded, and the mix-ups an
//! operator can make are refused with what is wrong.
//!
//! Without `DATABASE_URL` and `REPLICA_DATABASE_URL` the test says why it did not run;
//! with `RISKATLAS_REQUIRE_POSTGIS=1` a missing database is a failure.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "postgis")]

mod common;

use common::server::{Guard, http_full, serve_refused, start};
use riskatlas::store::postgis;
use serde_json::{Value, json};
use std::ffi::OsStr;
use std::time::{Duration, Instant};

/// This test's own database (the other PostGIS tests use `riskatlas`), created on the
/// primary: the replica gets it through the WAL like everything else.
const DATABASE: &str = "riskatlas_replica_test";

/// The primary's and the replica's URLs for [`DATABASE`], once the replica has it.
async fn databases() -> Option<(String, String)> {
    let primary = common::postgis_url("the streaming replica tests")?;
    let replica = common::replica_url("the streaming replica tests")?;
    let admin = sqlx::PgPool::connect(&primary).await.unwrap();
    for sql in [
        format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"),
        format!("CREATE DATABASE {DATABASE}"),
    ] {
        sqlx::query(&sql).execute(&admin).await.unwrap();
    }
    let own = |url: &str| url.replacen("/riskatlas", &format!("/{DATABASE}"), 1);
    let (primary, replica) = (own(&primary), own(&replica));
    let pool = sqlx::PgPool::connect(&primary).await.unwrap();
    sqlx::query("CREATE EXTENSION postgis")
        .execute(&pool)
        .await
        .unwrap();
    let started = Instant::now();
    while let Err(e) = sqlx::PgPool::connect(&replica).await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the replica still lacks {DATABASE} after 30 s: {e}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Some((primary, replica))
}

/// Polls `ready` every 20 ms until it holds; fails the test after 30 s. How long it took.
async fn within<F: std::future::Future<Output = bool>>(
    what: &str,
    mut ready: impl FnMut() -> F,
) -> Duration {
    let started = Instant::now();
    while !ready().await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "waited 30 s for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    started.elapsed()
}

/// The port of a `postgres://user@127.0.0.1:PORT/db` URL.
fn port_of(url: &str) -> u16 {
    let after_host = &url[url.rfind(':').unwrap() + 1..];
    after_host[..after_host.find('/').unwrap()].parse().unwrap()
}

/// `GET path` on a server: the status and the body as JSON (Null when not JSON).
fn get(addr: &str, path: &str) -> (u16, Value) {
    let (status, body) = http_full(addr, "GET", path, "").expect("the server answers");
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A shelter's capacity as `addr` serves it (None while it has no such feature).
fn capacity(addr: &str, id: &str) -> Option<i64> {
    match get(addr, &format!("/api/layers/shelters/features/{id}")) {
        (200, f) => f["properties"]["capacity"].as_i64(),
        _ => None,
    }
}

#[tokio::test]
async fn a_server_loading_from_a_streaming_replica_edits_through_the_primary() {
    let Some((primary_url, replica_url)) = databases().await else {
        return;
    };
    let primary = postgis::connect(&primary_url).await.unwrap();
    let folder = riskatlas::import::load_folder(&common::repo_path("data/demo")).unwrap();
    for (i, layer) in folder.atlas.layers().iter().enumerate() {
        postgis::write_layer(&primary, layer, i as i32)
            .await
            .unwrap();
    }
    let features = folder.atlas.feature_count() as i64;
    let replica = &sqlx::PgPool::connect(&replica_url).await.unwrap();
    let count = "SELECT count(*) FROM riskatlas_features";
    within("the demo to stream to the replica", || async move {
        sqlx::query_scalar::<_, i64>(count)
            .fetch_one(replica)
            .await
            .is_ok_and(|n| n == features)
    })
    .await;

    let primary_arg = OsStr::new(&primary_url);
    let replica_arg = OsStr::new(&replica_url);
    // B reaches the replica through a relay the test can cut.
    let replica_port = port_of(&replica_url);
    let relay = common::relay::Relay::start(replica_port);
    let relayed = replica_url.replace(&format!(":{replica_port}/"), &format!(":{}/", relay.port));
    let (a, addr_a) = start(&["--postgis".as_ref(), primary_arg]);
    let (b, addr_b) = start(&[
        "--postgis".as_ref(),
        OsStr::new(&relayed),
        "--postgis-primary".as_ref(),
        primary_arg,
    ]);
    let (_a, _b) = (Guard(a), Guard(b));
    let (addr_a, addr_b) = (addr_a.as_str(), addr_b.as_str());
    let shelters = |addr: &str| {
        get(addr, "/api/layers").1["layers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == "shelters")
            .unwrap()["count"]
            .as_u64()
            .unwrap()
    };
    let loaded = folder.atlas.layer("shelters").unwrap().len() as u64;
    assert_eq!(
        shelters(addr_b),
        loaded,
        "B loaded the demo from the replica"
    );

    // An edit through A (on the primary) is served by B, which loaded from the replica:
    // B hears the primary's NOTIFY and reads the edit from the primary.
    let body = json!({"id": "replica-a", "geometry": {"type": "Point", "coordinates": [105.7, 34.5]},
        "properties": {"name": "备用点", "capacity": 111}});
    let (status, reply) = http_full(
        addr_a,
        "POST",
        "/api/layers/shelters/features",
        &body.to_string(),
    )
    .unwrap();
    assert_eq!(status, 201, "{reply}");
    let took = within("B to serve the edit made through A", || async move {
        capacity(addr_b, "replica-a") == Some(111)
    })
    .await;
    eprintln!(
        "B (on the replica) served A's edit {} ms after A acknowledged it",
        took.as_millis()
    );

    // An edit through B lands on the primary (a standby takes no writes), is served by
    // A, and streams to the replica.
    let (status, reply) = http_full(
        addr_b,
        "PATCH",
        "/api/layers/shelters/features/replica-a",
        r#"{"properties": {"capacity": 222}}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        capacity(addr_b, "replica-a"),
        Some(222),
        "B applied its own edit"
    );
    let on = |pool: &sqlx::PgPool| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, String>(
                "SELECT props->>'capacity' FROM riskatlas_features
                 WHERE layer = 'shelters' AND id = 'replica-a'",
            )
            .fetch_optional(&pool)
            .await
            .unwrap()
        }
    };
    let on = &on;
    assert_eq!(on(&primary).await.as_deref(), Some("222"), "on the primary");
    let op: String = sqlx::query_scalar(
        "SELECT op FROM riskatlas_edits WHERE id = 'replica-a' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&primary)
    .await
    .unwrap();
    assert_eq!(op, "update", "B's edit is in the primary's audit trail");
    within("A to serve the edit made through B", || async move {
        capacity(addr_a, "replica-a") == Some(222)
    })
    .await;
    within("the edit to stream to the replica", || async move {
        on(replica).await.as_deref() == Some("222")
    })
    .await;

    // A warning issued through B is kept on the primary and tracked by A.
    let warning = json!({"area": {"admin_codes": ["629901106000"]}, "level": "red",
        "hazard_type": "flood", "headline": "山洪红色预警", "instruction": "立即转移"});
    let (status, reply) = http_full(
        addr_b,
        "POST",
        "/api/warnings?issue=true",
        &warning.to_string(),
    )
    .unwrap();
    assert_eq!(status, 201, "{reply}");
    let issued: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(issued["durable"], true, "{reply}");
    let id = issued["id"].as_str().unwrap().to_string();
    let id = id.as_str();
    within("A to track the warning issued through B", || async move {
        get(addr_a, &format!("/api/warnings/{id}")).0 == 200
    })
    .await;

    // B's health reports the replica's lag, as numbers; A, on the primary, has none.
    let (status, health) = get(addr_b, "/api/health");
    assert_eq!(status, 200);
    assert_eq!(health["status"], "ok", "{health}");
    eprintln!("B's health: {health}");
    let lag = &health["replica"];
    assert_eq!(lag["standby"], true, "{health}");
    assert_eq!(lag["receiving"], true, "{health}");
    assert!(lag["lag_bytes"].is_u64(), "{health}");
    assert!(lag["lag_seconds"].is_number(), "{health}");
    let (_, health_a) = get(addr_a, "/api/health");
    assert!(health_a.get("replica").is_none(), "{health_a}");

    // The replica falls behind (its replay paused, as a long query on it or a slow disk
    // would hold it back). B's health shows the lag, yet B serves an edit made through
    // A as before, since B reads edits from the primary, not from the replica that
    // lacks them. A server started now loads the lagging replica and catches up from
    // the primary: a lag makes a start-up slower, not staler.
    sqlx::query("SELECT pg_wal_replay_pause()")
        .execute(replica)
        .await
        .unwrap();
    let (status, reply) = http_full(
        addr_a,
        "PATCH",
        "/api/layers/shelters/features/replica-a",
        r#"{"properties": {"capacity": 333}}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{reply}");
    within(
        "B to serve A's edit while the replica lags",
        || async move { capacity(addr_b, "replica-a") == Some(333) },
    )
    .await;
    assert_eq!(
        on(replica).await.as_deref(),
        Some("222"),
        "the replica has not replayed the edit"
    );
    let lagging = get(addr_b, "/api/health").1;
    eprintln!("B's health while the replica lags: {lagging}");
    assert_eq!(lagging["status"], "ok", "{lagging}");
    assert!(
        lagging["replica"]["lag_bytes"].as_u64().unwrap() > 0,
        "{lagging}"
    );
    assert!(lagging["replica"]["lag_seconds"].is_number(), "{lagging}");
    let (c, addr_c) = start(&[
        "--postgis".as_ref(),
        replica_arg,
        "--postgis-primary".as_ref(),
        primary_arg,
    ]);
    let c = Guard(c);
    within(
        "C, started on the lagging replica, to serve the edit",
        || {
            let addr_c = addr_c.as_str();
            async move { capacity(addr_c, "replica-a") == Some(333) }
        },
    )
    .await;
    drop(c);
    sqlx::query("SELECT pg_wal_replay_resume()")
        .execute(replica)
        .await
        .unwrap();
    // Once the replica has replayed everything, nothing is outstanding. (The primary
    // may write WAL of its own, autovacuum or a checkpoint, so this is awaited.)
    within("B's health to show the replica caught up", || async move {
        get(addr_b, "/api/health").1["replica"]["lag_bytes"] == 0
    })
    .await;
    let caught_up = get(addr_b, "/api/health").1;
    assert!(
        caught_up["replica"]["lag_seconds"].as_f64().unwrap() < 1.0,
        "{caught_up}"
    );

    // The replica goes away. B needs it no more once loaded: its health stays ok and
    // says the replica cannot be read, and edits through B still reach A. When the
    // replica is back, so is its lag.
    relay.cut();
    let (status, reply) = http_full(
        addr_b,
        "PATCH",
        "/api/layers/shelters/features/replica-a",
        r#"{"properties": {"capacity": 444}}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{reply}");
    within(
        "A to serve B's edit while B's replica is away",
        || async move { capacity(addr_a, "replica-a") == Some(444) },
    )
    .await;
    let away = get(addr_b, "/api/health").1;
    eprintln!("B's health with its replica away: {away}");
    assert_eq!(away["status"], "ok", "{away}");
    assert!(
        away["replica"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("replica")),
        "{away}"
    );
    relay.restore();
    within("B's health to read the lag again", || async move {
        get(addr_b, "/api/health").1["replica"]["lag_bytes"].is_u64()
    })
    .await;

    // The mix-ups an operator can make, each refused with what is wrong.
    let nowhere = format!(
        "postgres://postgres@127.0.0.1:{}/{DATABASE}",
        common::server::free_port()
    );
    let (status, stderr) = serve_refused(&[
        "--postgis".as_ref(),
        replica_arg,
        "--postgis-primary".as_ref(),
        OsStr::new(&nowhere),
    ]);
    assert!(!status.success());
    assert!(
        stderr.contains("--postgis-primary") && stderr.contains(&nowhere),
        "an unreachable primary is named: {stderr}"
    );
    let (status, stderr) = serve_refused(&["--postgis".as_ref(), replica_arg]);
    assert!(!status.success());
    assert!(
        stderr.contains("read-only standby") && stderr.contains("--postgis-primary"),
        "a replica alone is refused with the way to serve it: {stderr}"
    );
    let (status, stderr) = serve_refused(&[
        "--postgis".as_ref(),
        primary_arg,
        "--postgis-primary".as_ref(),
        primary_arg,
    ]);
    assert!(!status.success());
    assert!(
        stderr.contains("is not a standby"),
        "a primary given as the replica is refused: {stderr}"
    );
}
