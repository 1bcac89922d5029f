//! Loading a big layer from PostGIS into the atlas, against the floor: a plain
//! `COPY ... TO STDOUT (FORMAT binary)` of the same rows plus rstar's `bulk_load` of the
//! points, with nothing else done (no attributes parsed, no validation, no layer built).
//!
//! ```sh
//! scripts/with-postgis cargo bench --features gdal --bench postgis_load
//! RISKATLAS_BENCH_POINTS=1000000 scripts/with-postgis cargo bench --bench postgis_load
//! ```
//!
//! The layer (`RISKATLAS_BENCH_POINTS` landslide points, default 10 million, with three
//! attributes each) is generated in the database by SQL first. Each side then runs
//! `RISKATLAS_BENCH_RUNS` times (default 3), alternating; the first (cold) runs and the
//! medians of the rest (warm) are compared.
//! Without `DATABASE_URL` it says so and does nothing.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

use futures_util::TryStreamExt;
use riskatlas::store::copy::CopyBinary;
use riskatlas::store::postgis;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::time::{Duration, Instant};

const LAYER: &str = "bench_points";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes --bench; a filter that is not ours means another bench was meant.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with('-') && !"postgis_load".contains(&a))
    {
        return Ok(());
    }
    let Ok(url) = std::env::var("DATABASE_URL") else {
        eprintln!("postgis_load: SKIPPED, no DATABASE_URL (run under scripts/with-postgis)");
        return Ok(());
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "riskatlas=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let points = env_usize("RISKATLAS_BENCH_POINTS", 10_000_000);
    let runs = env_usize("RISKATLAS_BENCH_RUNS", 3);
    let pool = postgis::connect(&url).await?;
    generate(&pool, points).await?;

    let (mut floor, mut ours) = (Vec::new(), Vec::new());
    for run in 0..runs {
        let started = Instant::now();
        let tree = copy_and_bulk_load(&pool).await?;
        floor.push(started.elapsed());
        assert_eq!(tree.size(), points);
        drop(tree);

        let started = Instant::now();
        let loaded = postgis::load(&pool, |_| {}).await?;
        ours.push(started.elapsed());
        let layer = loaded.atlas.layer(LAYER).expect("the bench layer loads");
        assert_eq!(layer.len(), points, "{}", loaded.report.to_text());
        assert_eq!(loaded.report.rejected(), 0);
        eprintln!(
            "run {run}: COPY binary + bulk_load {:.2} s, riskatlas load {:.2} s",
            floor[run].as_secs_f64(),
            ours[run].as_secs_f64()
        );
        drop(loaded);
    }
    // The first run of each is cold: its memory is touched for the first time, which on
    // a virtual machine can cost more than the work (see benches/README.md). Later runs
    // reuse the memory the allocator kept, as a reload in a running server would.
    println!(
        "postgis_load {points} points, first run (cold process): COPY binary + bulk_load {:.2} s, riskatlas load {:.2} s, ratio {:.2}x",
        floor[0].as_secs_f64(),
        ours[0].as_secs_f64(),
        ours[0].as_secs_f64() / floor[0].as_secs_f64()
    );
    if runs > 1 {
        let (floor, ours) = (median(floor[1..].to_vec()), median(ours[1..].to_vec()));
        println!(
            "postgis_load {points} points, median of runs 2..{runs} (warm): COPY binary + bulk_load {:.2} s, riskatlas load {:.2} s, ratio {:.2}x",
            floor.as_secs_f64(),
            ours.as_secs_f64(),
            ours.as_secs_f64() / floor.as_secs_f64()
        );
    }
    Ok(())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The bench layer, made in the database unless it is already there at this size.
async fn generate(pool: &postgis::PgPool, points: usize) -> anyhow::Result<()> {
    let have: i64 = sqlx::query_scalar("SELECT count(*) FROM riskatlas_features WHERE layer = $1")
        .bind(LAYER)
        .fetch_one(pool)
        .await?;
    if have as usize == points {
        return Ok(());
    }
    let started = Instant::now();
    eprintln!("postgis_load: generating {points} points in the database...");
    sqlx::query("DELETE FROM riskatlas_layers WHERE id = $1")
        .bind(LAYER)
        .execute(pool)
        .await?;
    sqlx::query("INSERT INTO riskatlas_layers (id, name, kind, position) VALUES ($1, 'bench points', 'landslide', 0)")
        .bind(LAYER)
        .execute(pool)
        .await?;
    // Without the GiST index while inserting, then rebuilt: minutes faster, same table.
    sqlx::query("DROP INDEX IF EXISTS riskatlas_features_geom")
        .execute(pool)
        .await?;
    sqlx::query(
        "INSERT INTO riskatlas_features (layer, id, geom, props)
         SELECT $1, 'p' || g,
                ST_SetSRID(ST_MakePoint(100 + 10 * random(), 25 + 10 * random()), 4326),
                jsonb_build_object('name', '隐患点 ' || g, 'severity', 1 + g % 4,
                                   'threatened_people', g % 500)
         FROM generate_series(1, $2) AS g",
    )
    .bind(LAYER)
    .bind(points as i64)
    .execute(pool)
    .await?;
    sqlx::query("CREATE INDEX riskatlas_features_geom ON riskatlas_features USING gist (geom)")
        .execute(pool)
        .await?;
    sqlx::query("VACUUM ANALYZE riskatlas_features")
        .execute(pool)
        .await?;
    eprintln!(
        "postgis_load: generated in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The floor: the same rows out by binary COPY, points read from the EWKB, one R-tree.
async fn copy_and_bulk_load(
    pool: &postgis::PgPool,
) -> anyhow::Result<RTree<GeomWithData<[f64; 2], u32>>> {
    let mut conn = pool.acquire().await?;
    let mut stream = conn
        .copy_out_raw(&format!(
            "COPY (SELECT id, geom, props FROM riskatlas_features WHERE layer = '{LAYER}') TO STDOUT (FORMAT binary)"
        ))
        .await?;
    let mut parser = CopyBinary::default();
    let mut points = Vec::new();
    while let Some(chunk) = stream.try_next().await? {
        parser.push(&chunk);
        parser.rows(|[_, geom, _]: [Option<&[u8]>; 3]| {
            let g = geom.expect("geometry");
            // EWKB point with SRID: byte order, type, SRID, x, y.
            let x = f64::from_le_bytes(g[9..17].try_into().unwrap());
            let y = f64::from_le_bytes(g[17..25].try_into().unwrap());
            points.push(GeomWithData::new([x, y], points.len() as u32));
        })?;
    }
    parser.finish()?;
    Ok(RTree::bulk_load(points))
}
