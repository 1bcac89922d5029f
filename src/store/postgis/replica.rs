//! A streaming replica (a hot standby fed by PostgreSQL's own WAL streaming) to load
//! the atlas from, and how far it is behind its primary.
//!
//! A standby is read-only: nothing is migrated on it (the primary's migrations reach it
//! through the WAL like any other change), and it can neither take edits nor deliver
//! `NOTIFY`, so those stay on the primary (see `crate::service::store::postgis`).

use super::{PgPool, redact};
use crate::service::store::ReplicaLag;
use anyhow::Context;
use sqlx::postgres::PgPoolOptions;

/// Connects to a standby to read from. It must be in recovery: a primary given as the
/// replica would work, but its "lag" would mean nothing, so the mix-up is refused.
pub async fn connect_replica(url: &str) -> anyhow::Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect(url)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))?;
    let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&pool)
        .await
        .with_context(|| format!("asking {} whether it is a standby", redact(url)))?;
    anyhow::ensure!(
        standby,
        "{} is not a standby (pg_is_in_recovery() is false): give a streaming replica's URL, \
         or serve this database with --postgis alone",
        redact(url)
    );
    Ok(pool)
}

/// How far `replica` is behind `primary`. The replica is asked first, so a primary that
/// moves on meanwhile makes the lag read larger, never smaller.
///
/// `lag_bytes` is the primary's WAL position (`pg_current_wal_lsn()`) less what the
/// replica has replayed (`pg_last_wal_replay_lsn()`). Measured against the primary
/// rather than against what the replica has received (`pg_last_wal_receive_lsn()`), it
/// counts WAL not yet received as well as WAL not yet applied, so a replica whose stream
/// is cut does not read as caught up. `lag_seconds` is 0 when nothing is
/// outstanding, and otherwise the age of the last transaction replayed
/// (`pg_last_xact_replay_timestamp()`), the usual upper bound: on an idle primary the
/// age of the last commit is not lag.
pub async fn replica_lag(replica: &PgPool, primary: &PgPool) -> anyhow::Result<ReplicaLag> {
    // pg_stat_wal_receiver has a row while the receiver process runs; its other
    // columns are hidden from unprivileged roles, its existence is not.
    let (standby, receiving, replayed, age): (bool, bool, Option<String>, Option<f64>) =
        sqlx::query_as(
            "SELECT pg_is_in_recovery(), EXISTS (SELECT 1 FROM pg_stat_wal_receiver),
                    pg_last_wal_replay_lsn()::text,
                    extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8",
        )
        .fetch_one(replica)
        .await
        .context("reading the replica's WAL positions")?;
    let Some(replayed) = replayed.filter(|_| standby) else {
        // Promoted (or never a standby): it is a primary of its own now.
        return Ok(ReplicaLag {
            standby: false,
            lag_bytes: None,
            lag_seconds: None,
            receiving: false,
        });
    };
    let behind: f64 =
        sqlx::query_scalar("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::float8")
            .bind(&replayed)
            .fetch_one(primary)
            .await
            .context("reading the primary's WAL position")?;
    let lag_bytes = behind.max(0.0) as u64;
    Ok(ReplicaLag {
        standby: true,
        lag_bytes: Some(lag_bytes),
        lag_seconds: if lag_bytes == 0 {
            Some(0.0)
        } else {
            age.map(|s| s.max(0.0))
        },
        receiving,
    })
}
