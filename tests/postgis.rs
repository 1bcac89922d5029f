//! The PostGIS store against a real PostgreSQL + PostGIS (`scripts/with-postgis`, which
//! `scripts/test` wraps around the suite). Without `DATABASE_URL` the test says why it
//! did not run; with `RISKATLAS_REQUIRE_POSTGIS=1` (set by `scripts/test`) a missing
//! database is a failure, so CI never skips it.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "postgis")]

mod common;

use common::repo_path;
use riskatlas::store::postgis;

/// One test, run in order, because the checks share one database.
#[tokio::test]
async fn the_postgis_store_holds_what_the_data_folder_holds() {
    let Some(url) = common::postgis_url("the PostGIS store tests") else {
        return;
    };
    let pool = postgis::connect(&url).await.expect("connects and migrates");
    // Migrations are versioned: connecting again applies nothing twice.
    postgis::connect(&url)
        .await
        .expect("migrations are idempotent");
    sqlx::query("TRUNCATE riskatlas_layers CASCADE")
        .execute(&pool)
        .await
        .unwrap();

    // Contract: the demo written to PostGIS loads back as the same atlas.
    let folder = riskatlas::import::load_folder(&repo_path("data/demo")).unwrap();
    for (i, layer) in folder.atlas.layers().iter().enumerate() {
        postgis::write_layer(&pool, layer, i as i32).await.unwrap();
    }
    let mut layers_seen = Vec::new();
    let mut rows = 0u64;
    let loaded = postgis::load(&pool, |p| match p {
        postgis::Progress::Start(_) => {}
        postgis::Progress::Layer(id, _) => layers_seen.push(id.to_string()),
        postgis::Progress::Rows(n) => rows += n,
    })
    .await
    .unwrap();
    let ids: Vec<String> = folder
        .atlas
        .layers()
        .iter()
        .map(|l| l.id.to_string())
        .collect();
    assert_eq!(layers_seen, ids, "layers come back in manifest order");
    assert_eq!(rows as usize, folder.atlas.feature_count());
    assert_eq!(loaded.report.rejected(), 0, "{}", loaded.report.to_text());
    for l in folder.atlas.layers() {
        let back = loaded.atlas.layer(l.id.as_str()).unwrap();
        assert_eq!(back.kind, l.kind);
        assert_eq!(
            common::by_id(&loaded.atlas, l.id.as_str()),
            common::by_id(&folder.atlas, l.id.as_str()),
            "layer {}",
            l.id
        );
    }

    // The database agrees on geometry: PostGIS's own count of shelters inside the
    // atlas's bbox of the villages layer equals the R-tree's.
    let villages = folder.atlas.layer("villages").unwrap().bbox().unwrap();
    let in_db: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM riskatlas_features WHERE layer = 'shelters'
         AND geom && ST_MakeEnvelope($1, $2, $3, $4, 4326)",
    )
    .bind(villages.west)
    .bind(villages.south)
    .bind(villages.east)
    .bind(villages.north)
    .fetch_one(&pool)
    .await
    .unwrap();
    let in_memory = loaded
        .atlas
        .layer("shelters")
        .unwrap()
        .candidates_in(villages)
        .len();
    assert_eq!(in_db as usize, in_memory);

    // A bad row is reported, not dropped silently.
    sqlx::query(
        "UPDATE riskatlas_features SET props = jsonb_set(props, '{capacity}', '-5')
         WHERE layer = 'shelters' AND id = (SELECT min(id) FROM riskatlas_features WHERE layer = 'shelters')",
    )
    .execute(&pool)
    .await
    .unwrap();
    let loaded = postgis::load(&pool, |_| {}).await.unwrap();
    let report = loaded.report.layer("shelters").unwrap();
    assert_eq!(report.rejected, 1);
    assert!(
        report.rejections[0].reason.contains("capacity"),
        "{:?}",
        report.rejections
    );
    assert_eq!(report.rejections[0].file, "postgis:shelters");

    // `riskatlas import` writes a real third-party file (the Monaco OSM extract) into
    // PostGIS, and it loads back with as many roads as reading the file directly.
    let pbf = repo_path("data/real/monaco/monaco.osm.pbf");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .args(["import"])
        .arg(&pbf)
        .args([
            "--layer",
            "monaco_roads",
            "--kind",
            "road",
            "--postgis",
            &url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let direct = riskatlas::import::source::read_file(
        &pbf,
        &Default::default(),
        riskatlas::atlas::Kind::Road,
    )
    .unwrap();
    let direct_ok = direct.features.iter().filter(|f| f.is_ok()).count();
    let loaded = postgis::load(&pool, |_| {}).await.unwrap();
    assert_eq!(loaded.atlas.layer("monaco_roads").unwrap().len(), direct_ok);

    // Several servers, one database: an edit through one appears in the other within a
    // second, logged once, in one transaction with the feature change.
    sqlx::query("UPDATE riskatlas_features SET props = jsonb_set(props, '{capacity}', '10') WHERE layer = 'shelters' AND props->>'capacity' = '-5'")
        .execute(&pool)
        .await
        .unwrap();
    let args = ["--postgis".as_ref(), std::ffi::OsStr::new(&url)];
    let (a, addr_a) = common::server::start(&args);
    let (b, addr_b) = common::server::start(&args);
    let (a, b) = (common::server::Guard(a), common::server::Guard(b));
    let body = serde_json::json!({"id": "replica-1", "geometry": {"type": "Point", "coordinates": [105.7, 34.5]}, "properties": {"name": "备用点", "capacity": 321}}).to_string();
    let (status, reply) =
        common::server::http_full(&addr_a, "POST", "/api/layers/shelters/features", &body).unwrap();
    assert_eq!(status, 201, "{reply}");
    let started = std::time::Instant::now();
    let seen_by_b = loop {
        let (status, body) =
            common::server::http_full(&addr_b, "GET", "/api/edits?id=replica-1", "").unwrap();
        assert_eq!(status, 200);
        if body.contains("replica-1")
            && common::server::http_full(&addr_b, "GET", "/api/layers", "")
                .unwrap()
                .1
                .contains("\"count\":162")
        {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "server B never saw the edit"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    drop((a, b));
    eprintln!(
        "server B served the edit {} ms after server A acknowledged it",
        seen_by_b.as_millis()
    );
    assert!(
        seen_by_b < std::time::Duration::from_secs(1),
        "{seen_by_b:?}"
    );
    let in_db: i64 =
        sqlx::query_scalar("SELECT count(*) FROM riskatlas_edits WHERE id = 'replica-1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(in_db, 1);
    let cap: String = sqlx::query_scalar("SELECT props->>'capacity' FROM riskatlas_features WHERE layer = 'shelters' AND id = 'replica-1'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(cap, "321");

    // The database goes away and comes back: the server keeps serving from memory, says
    // it is degraded, and catches up with what was edited meanwhile. The outage is real:
    // the server reaches PostgreSQL through a TCP relay that the test cuts.
    let relay = common::relay::Relay::start(std::env::var("PGPORT").unwrap().parse().unwrap());
    let relayed = url.replace(
        &format!(":{}/", std::env::var("PGPORT").unwrap()),
        &format!(":{}/", relay.port),
    );
    let (c, addr_c) =
        common::server::start(&["--postgis".as_ref(), std::ffi::OsStr::new(&relayed)]);
    let c = common::server::Guard(c);
    let health = |addr: &str| -> serde_json::Value {
        let (_, body) = common::server::http_full(addr, "GET", "/api/health", "").unwrap();
        serde_json::from_str(&body[body.find('{').unwrap()..=body.rfind('}').unwrap()]).unwrap()
    };
    assert_eq!(health(&addr_c)["status"], "ok");
    relay.cut();
    let wait_for = |what: &str, f: &dyn Fn() -> bool| {
        let t = std::time::Instant::now();
        while !f() {
            assert!(
                t.elapsed() < std::time::Duration::from_secs(30),
                "{what} never happened"
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    wait_for("degraded health", &|| {
        health(&addr_c)["status"] == "degraded"
    });
    assert_eq!(
        common::server::http(&addr_c, "GET", "/api/layers/shelters/features?limit=1", ""),
        Some(200),
        "still serving from memory"
    );
    // An edit cannot be made durable, so it is refused and not applied.
    let (status, reply) = common::server::http_full(
        &addr_c,
        "PATCH",
        "/api/layers/shelters/features/replica-1",
        r#"{"properties": {"capacity": 1}}"#,
    )
    .unwrap();
    assert_eq!(status, 503, "{reply}");
    // Meanwhile another server edits.
    let record = riskatlas::edits::EditRecord {
        seq: 0,
        at: String::new(),
        who: "another-server".into(),
        layer: "shelters".into(),
        op: riskatlas::edits::Op::Delete,
        id: "replica-1".into(),
        before: None,
        after: None,
        diff: false,
        idempotency: None,
    };
    postgis::commit_edit(&pool, &record, None).await.unwrap();
    relay.restore();
    wait_for("recovery", &|| health(&addr_c)["status"] == "ok");
    wait_for("the missed edit", &|| {
        common::server::http_full(&addr_c, "GET", "/api/layers", "")
            .unwrap()
            .1
            .contains("\"count\":161")
    });
    drop(c);
}

/// `GET /api/edits` pages newest first with `ORDER BY seq DESC LIMIT n`: for every
/// filter it offers (none, a layer, a feature, both) an index led by the filter hands
/// the rows over in `seq` order, so a page of one reads about one row, however long
/// the trail.
#[tokio::test]
async fn every_audit_trail_page_is_read_in_index_order_without_a_sort() {
    let Some(url) = common::postgis_url("the PostGIS store tests") else {
        return;
    };
    let pool = postgis::connect(&url).await.expect("connects and migrates");
    let mut conn = pool.acquire().await.unwrap();
    // On a small table the planner would rightly scan it; forbid that to see whether an
    // index can give the order.
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    for (filter, index) in [
        ("", "riskatlas_edits_pkey"),
        ("AND layer = 'shelters'", "riskatlas_edits_layer"),
        ("AND id = 's1'", "riskatlas_edits_id"),
        ("AND layer = 'shelters' AND id = 's1'", "riskatlas_edits_id"),
    ] {
        let plan: Vec<String> = sqlx::query_scalar(&format!(
            "EXPLAIN SELECT * FROM riskatlas_edits WHERE true {filter} AND seq < 100 ORDER BY seq DESC LIMIT 11"
        ))
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let plan = plan.join("\n");
        assert!(
            !plan.contains("Sort") && plan.contains(&format!("Index Scan Backward using {index} ")),
            "{filter}:\n{plan}"
        );
    }
}

#[tokio::test]
async fn an_edit_commits_only_when_no_other_is_committing_so_seq_order_is_commit_order() {
    let Some(url) = common::postgis_url("the PostGIS store tests") else {
        return;
    };
    // A database of its own: the other tests here read the edits table.
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    for sql in [
        "DROP DATABASE IF EXISTS riskatlas_commit_lock WITH (FORCE)",
        "CREATE DATABASE riskatlas_commit_lock",
    ] {
        sqlx::query(sql).execute(&admin).await.unwrap();
    }
    let own = format!("{}/riskatlas_commit_lock", url.rsplit_once('/').unwrap().0);
    sqlx::query("CREATE EXTENSION postgis")
        .execute(&sqlx::PgPool::connect(&own).await.unwrap())
        .await
        .unwrap();
    let pool = postgis::connect(&own).await.expect("connects and migrates");
    // Another server's edit, in the middle of committing, holds the lock.
    let mut other = pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(postgis::EDIT_COMMIT_LOCK)
        .execute(&mut *other)
        .await
        .unwrap();
    let record = riskatlas::edits::EditRecord {
        seq: 0,
        at: String::new(),
        who: "lock-test".into(),
        layer: "lock_test".into(),
        op: riskatlas::edits::Op::Delete,
        id: "nothing".into(),
        before: None,
        after: None,
        diff: false,
        idempotency: None,
    };
    let committing = tokio::spawn({
        let pool = pool.clone();
        async move { postgis::commit_edit(&pool, &record, None).await }
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(
        !committing.is_finished(),
        "an edit committed while another held the commit lock"
    );
    other.commit().await.unwrap();
    let done = tokio::time::timeout(std::time::Duration::from_secs(10), committing)
        .await
        .expect("the edit commits once the lock is free")
        .unwrap()
        .unwrap();
    assert!(done.seq > 0);
}
