//! The `riskatlas_edits` table: each edit committed with its feature row in one
//! transaction, read back in `seq` order by servers catching up, a page at a time by
//! the audit trail (`ORDER BY seq DESC LIMIT n` on an index), and by idempotency key.

use super::PgPool;
use crate::edits::trail::TrailQuery;
use crate::edits::{EditRecord, Idempotency, Op};
use serde_json::Value as Json;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};

/// The channel every committed edit is announced on.
pub const EDITS_CHANNEL: &str = "riskatlas_edits";

/// The transaction-scoped advisory lock every edit commit takes (`risk` in ASCII).
pub const EDIT_COMMIT_LOCK: i64 = 0x7269_736b;

/// The columns a record is read from, in [`record_of`]'s order.
const COLUMNS: &str = "seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
    who, layer, op, id, before, after, diff, idempotency_key, idempotency_request";

/// Commits one edit in one transaction: the feature row changed, the audit row
/// written, the other servers notified. `feature` is the feature after the edit in its
/// stored form (None for a delete): the record of an update holds only what changed.
/// Returns the record with its `seq` and `at`.
///
/// Holds [`EDIT_COMMIT_LOCK`] until it commits.
pub async fn commit_edit(
    pool: &PgPool,
    record: &EditRecord,
    feature: Option<&Json>,
) -> anyhow::Result<EditRecord> {
    let mut tx = pool.begin().await?;
    // One edit commits at a time across every server, so `seq` order is commit order: a
    // server catching up reads `seq > last applied`, and an edit given a lower `seq`
    // that committed after a higher one would be skipped for good.
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(EDIT_COMMIT_LOCK)
        .execute(&mut *tx)
        .await?;
    let geometry_changed = !record.is_diff()
        || record
            .after
            .as_ref()
            .is_some_and(|a| a.get("geometry").is_some());
    match feature {
        // A property edit leaves the geometry alone: a 75,000-vertex polygon is not
        // sent to the database to change one number.
        Some(feature) if !geometry_changed => {
            sqlx::query(
                "UPDATE riskatlas_features SET props = $3::jsonb WHERE layer = $1 AND id = $2",
            )
            .bind(&record.layer)
            .bind(&record.id)
            .bind(feature["properties"].to_string())
            .execute(&mut *tx)
            .await?;
        }
        Some(feature) => {
            sqlx::query(
                "INSERT INTO riskatlas_features (layer, id, geom, props)
                 VALUES ($1, $2, ST_SetSRID(ST_GeomFromGeoJSON($3), 4326), $4::jsonb)
                 ON CONFLICT (layer, id) DO UPDATE SET geom = EXCLUDED.geom, props = EXCLUDED.props",
            )
            .bind(&record.layer)
            .bind(&record.id)
            .bind(feature["geometry"].to_string())
            .bind(feature["properties"].to_string())
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
    let key = record.idempotency.as_ref();
    let row = sqlx::query(
        "INSERT INTO riskatlas_edits
             (who, layer, op, id, before, after, diff, idempotency_key, idempotency_request)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING seq, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
    )
    .bind(&record.who)
    .bind(&record.layer)
    .bind(op_code(record.op))
    .bind(&record.id)
    .bind(&record.before)
    .bind(&record.after)
    .bind(record.diff)
    .bind(key.map(|k| &k.key))
    .bind(key.map(|k| &k.request))
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

fn record_of(r: PgRow) -> anyhow::Result<EditRecord> {
    let op: String = r.get(4);
    let key: Option<String> = r.get(9);
    let request: Option<String> = r.get(10);
    Ok(EditRecord {
        seq: r.get::<i64, _>(0) as u64,
        at: r.get(1),
        who: r.get(2),
        layer: r.get(3),
        op: serde_json::from_value(Json::String(op))?,
        id: r.get(5),
        before: r.get(6),
        after: r.get(7),
        diff: r.get(8),
        idempotency: key.map(|key| Idempotency {
            key,
            request: request.unwrap_or_default(),
        }),
    })
}

/// Every edit after `seq`, oldest first.
pub async fn edits_after(pool: &PgPool, seq: u64) -> anyhow::Result<Vec<EditRecord>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM riskatlas_edits WHERE seq > $1 ORDER BY seq"
    ))
    .bind(seq as i64)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(record_of).collect()
}

/// A page of the audit trail, newest first, and the `before` of the next page. Only
/// the filters asked for are in the statement, so the planner sees a plain
/// `WHERE layer = $1 ... ORDER BY seq DESC LIMIT n` and walks an index.
pub async fn edit_page(
    pool: &PgPool,
    q: &TrailQuery,
) -> anyhow::Result<(Vec<EditRecord>, Option<u64>)> {
    let mut sql: QueryBuilder<Postgres> =
        QueryBuilder::new(format!("SELECT {COLUMNS} FROM riskatlas_edits WHERE true"));
    if let Some(layer) = &q.layer {
        sql.push(" AND layer = ").push_bind(layer);
    }
    if let Some(id) = &q.id {
        sql.push(" AND id = ").push_bind(id);
    }
    if let Some(before) = q.before {
        sql.push(" AND seq < ")
            .push_bind(i64::try_from(before).unwrap_or(i64::MAX));
    }
    // One more than asked: whether a next page exists.
    sql.push(" ORDER BY seq DESC LIMIT ")
        .push_bind(q.limit as i64 + 1);
    let rows = sql.build().fetch_all(pool).await?;
    let mut edits: Vec<EditRecord> = rows.into_iter().map(record_of).collect::<Result<_, _>>()?;
    let more = edits.len() > q.limit;
    edits.truncate(q.limit);
    let next = edits.last().filter(|_| more).map(|r| r.seq);
    Ok((edits, next))
}

/// The insert `who` sent with idempotency key `key`, if any.
pub async fn edit_by_key(
    pool: &PgPool,
    who: &str,
    key: &str,
) -> anyhow::Result<Option<EditRecord>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM riskatlas_edits WHERE who = $1 AND idempotency_key = $2"
    ))
    .bind(who)
    .bind(key)
    .fetch_optional(pool)
    .await?;
    row.map(record_of).transpose()
}

/// The last edit's `seq` (0 when none).
pub async fn last_edit_seq(pool: &PgPool) -> anyhow::Result<u64> {
    let seq: Option<i64> = sqlx::query_scalar("SELECT max(seq) FROM riskatlas_edits")
        .fetch_one(pool)
        .await?;
    Ok(seq.unwrap_or(0) as u64)
}
