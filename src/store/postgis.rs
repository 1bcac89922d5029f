//! PostGIS as the system of record: layers written to and loaded from a database.
//!
//! Schema (versioned migrations in `migrations/`, applied with `sqlx::migrate!`): a
//! `riskatlas_layers` table (id, name, kind, order) and one `riskatlas_features` table
//! with a layer column, geometry in EPSG:4326 under a GiST index and attributes as
//! `jsonb` (the migration says why one table). Loading streams each layer's rows
//! (geometry as WKB, decoded by geozero) through the same validation as files, so a
//! refused row is reported exactly like a refused feature in a file.

use crate::atlas::{Atlas, Layer};
use crate::edits::{EditRecord, Op};
use crate::import::manifest::LayerSpec;
use crate::import::source::{RawFeature, SourceRead, Unreadable};
use crate::import::validate::{LayerReport, build_layer};
use crate::import::{LoadReport, Loaded};
use anyhow::Context;
use futures_util::TryStreamExt;
use geozero::ToGeo;
use geozero::wkb::Wkb;
use sqlx::Row;
pub use sqlx::postgres::PgPool;
use sqlx::postgres::PgPoolOptions;

/// Connects and brings the schema up to date.
pub async fn connect(url: &str) -> anyhow::Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect(url)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .context("applying the riskatlas schema migrations")?;
    Ok(pool)
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s && url[s + 3..at].contains(':') => {
            let user = url[s + 3..at].split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// How many layers the store holds.
pub async fn layer_count(pool: &PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM riskatlas_layers")
        .fetch_one(pool)
        .await?)
}

/// Writes a layer (replacing any layer of that id) in one transaction.
pub async fn write_layer(pool: &PgPool, layer: &Layer, position: i32) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM riskatlas_layers WHERE id = $1")
        .bind(layer.id.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO riskatlas_layers (id, name, kind, position) VALUES ($1, $2, $3, $4)")
        .bind(layer.id.as_str())
        .bind(&layer.name)
        .bind(layer.kind.code())
        .bind(position)
        .execute(&mut *tx)
        .await?;
    // Rows go as parallel arrays: one round trip per thousand features.
    for chunk in layer.features().chunks(1000) {
        let mut ids = Vec::with_capacity(chunk.len());
        let mut wkbs = Vec::with_capacity(chunk.len());
        let mut props = Vec::with_capacity(chunk.len());
        for f in chunk {
            ids.push(f.id.to_string());
            wkbs.push(wkb_of(&f.geometry)?);
            props.push(crate::edits::feature_json(layer, f)["properties"].to_string());
        }
        sqlx::query(
            "INSERT INTO riskatlas_features (layer, id, geom, props)
             SELECT $1, i, ST_SetSRID(ST_GeomFromWKB(g), 4326), p::jsonb
             FROM unnest($2::text[], $3::bytea[], $4::text[]) AS t(i, g, p)",
        )
        .bind(layer.id.as_str())
        .bind(&ids)
        .bind(&wkbs)
        .bind(&props)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn wkb_of(g: &geo::Geometry<f64>) -> anyhow::Result<Vec<u8>> {
    use geozero::{CoordDimensions, ToWkb};
    g.to_wkb(CoordDimensions::xy())
        .map_err(|e| anyhow::anyhow!("encoding a geometry as WKB: {e}"))
}

/// Loads every layer, in order, through the import's validation. `progress` hears each
/// layer's id and row count before its rows stream, then once per row.
pub async fn load(pool: &PgPool, mut progress: impl FnMut(Progress<'_>)) -> anyhow::Result<Loaded> {
    let layers = sqlx::query(
        "SELECT l.id, l.name, l.kind,
                (SELECT count(*) FROM riskatlas_features f WHERE f.layer = l.id)
         FROM riskatlas_layers l ORDER BY l.position, l.id",
    )
    .fetch_all(pool)
    .await
    .context("listing layers")?;
    let mut built = Vec::new();
    let mut report = LoadReport::default();
    for row in layers {
        let (id, name, kind, count): (String, String, String, i64) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        progress(Progress::Layer(&id, count as u64));
        let label = format!("postgis:{id}");
        let layer_id = crate::atlas::LayerId::parse(&id).map_err(|e| e.to_string());
        let kind = kind
            .parse::<crate::atlas::Kind>()
            .map_err(|e| e.to_string());
        let (layer_id, kind) = match (layer_id, kind) {
            (Ok(l), Ok(k)) => (l, k),
            (Err(e), _) | (_, Err(e)) => {
                report.layers.push(LayerReport {
                    layer: id.clone(),
                    file: label,
                    error: Some(e),
                    ..Default::default()
                });
                continue;
            }
        };
        let spec = LayerSpec {
            id: layer_id,
            kind,
            name,
            file: label.clone().into(),
            rename: Default::default(),
            defaults: Default::default(),
            lon: None,
            lat: None,
            delimiter: b',',
        };
        let mut rows = sqlx::query(
            "SELECT id, ST_AsBinary(geom), props::text
             FROM riskatlas_features WHERE layer = $1 ORDER BY id",
        )
        .bind(&id)
        .fetch(pool);
        let mut features = Vec::with_capacity(count as usize);
        let mut columns = std::collections::BTreeSet::new();
        while let Some(row) = rows
            .try_next()
            .await
            .with_context(|| format!("reading layer {id}"))?
        {
            let index = features.len();
            let feature = raw_feature(index, row.get(0), row.get(1), row.get(2));
            if let Ok(f) = &feature {
                columns.extend(f.props.iter().map(|(k, _)| k.clone()));
            }
            features.push(feature);
            progress(Progress::Row);
        }
        let read = SourceRead {
            features,
            text_cells: false,
            columns: columns.into_iter().collect(),
            warnings: Vec::new(),
        };
        let (layer, layer_report) = build_layer(&spec, read, &label);
        built.push(layer);
        report.layers.push(layer_report);
    }
    Ok(Loaded {
        atlas: Atlas::new("riskatlas (PostGIS)".into(), String::new(), built),
        report,
    })
}

/// The channel every committed edit is announced on.
pub const EDITS_CHANNEL: &str = "riskatlas_edits";

/// Commits one edit in one transaction: the feature row changed, the audit row
/// written, the other servers notified. Returns the record with its `seq` and `at`.
pub async fn commit_edit(pool: &PgPool, record: &EditRecord) -> anyhow::Result<EditRecord> {
    let mut tx = pool.begin().await?;
    match &record.after {
        Some(after) => {
            sqlx::query(
                "INSERT INTO riskatlas_features (layer, id, geom, props)
                 VALUES ($1, $2, ST_SetSRID(ST_GeomFromGeoJSON($3), 4326), $4::jsonb)
                 ON CONFLICT (layer, id) DO UPDATE SET geom = EXCLUDED.geom, props = EXCLUDED.props",
            )
            .bind(&record.layer)
            .bind(&record.id)
            .bind(after["geometry"].to_string())
            .bind(after["properties"].to_string())
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM riskatlas_features WHERE layer = $1 AND id = $2")
                .bind(&record.layer)
                .bind(&record.id)
                .execute(&mut *tx)
                .await?;
        }
    }
    let row = sqlx::query(
        "INSERT INTO riskatlas_edits (who, layer, op, id, before, after)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
    )
    .bind(&record.who)
    .bind(&record.layer)
    .bind(op_code(record.op))
    .bind(&record.id)
    .bind(&record.before)
    .bind(&record.after)
    .fetch_one(&mut *tx)
    .await?;
    let seq: i64 = row.get(0);
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(EDITS_CHANNEL)
        .bind(seq.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let mut done = record.clone();
    done.seq = seq as u64;
    done.at = row.get(1);
    Ok(done)
}

fn op_code(op: Op) -> &'static str {
    match op {
        Op::Insert => "insert",
        Op::Update => "update",
        Op::Delete => "delete",
    }
}

/// Every edit after `seq`, oldest first.
pub async fn edits_after(pool: &PgPool, seq: u64) -> anyhow::Result<Vec<EditRecord>> {
    let rows = sqlx::query(
        "SELECT seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                who, layer, op, id, before, after
         FROM riskatlas_edits WHERE seq > $1 ORDER BY seq",
    )
    .bind(seq as i64)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let op: String = r.get(4);
            Ok(EditRecord {
                seq: r.get::<i64, _>(0) as u64,
                at: r.get(1),
                who: r.get(2),
                layer: r.get(3),
                op: serde_json::from_value(serde_json::Value::String(op))?,
                id: r.get(5),
                before: r.get(6),
                after: r.get(7),
            })
        })
        .collect()
}

/// The last edit's `seq` (0 when none).
pub async fn last_edit_seq(pool: &PgPool) -> anyhow::Result<u64> {
    let seq: Option<i64> = sqlx::query_scalar("SELECT max(seq) FROM riskatlas_edits")
        .fetch_one(pool)
        .await?;
    Ok(seq.unwrap_or(0) as u64)
}

/// What [`load`] is doing, for a progress bar.
pub enum Progress<'a> {
    Layer(&'a str, u64),
    Row,
}

fn raw_feature(
    index: usize,
    id: String,
    wkb: Vec<u8>,
    props: String,
) -> Result<RawFeature, Unreadable> {
    let parsed = Wkb(wkb)
        .to_geo()
        .map_err(|e| format!("geometry: {e}"))
        .and_then(|geometry| {
            let props: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&props).map_err(|e| format!("props: {e}"))?;
            Ok((geometry, props))
        });
    match parsed {
        Ok((geometry, props)) => Ok(RawFeature {
            index,
            id: Some(id),
            geometry,
            props: props.into_iter().collect(),
        }),
        Err(reason) => Err(Unreadable {
            index,
            id: Some(id),
            reason,
        }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("postgres://ops:s3cret@db:5432/atlas"),
            "postgres://ops:***@db:5432/atlas"
        );
        assert_eq!(
            super::redact("postgres://ops@127.0.0.1/atlas"),
            "postgres://ops@127.0.0.1/atlas"
        );
    }
}
