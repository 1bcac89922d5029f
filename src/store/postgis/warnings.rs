//! Warning events in PostGIS: `riskatlas_warning_events`, one row per event of the
//! warning desk (`crate::service::warnings::desk`), with `NOTIFY riskatlas_warnings`
//! so every server on the database follows the others' warnings and answers.

use crate::service::warnings::desk::Event;
use sqlx::Row;
use sqlx::postgres::PgPool;

/// The channel each committed event is announced on.
pub const WARNINGS_CHANNEL: &str = "riskatlas_warnings";

/// Why an event was not stored.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    /// Another server recorded an answer to this task first.
    #[error("the task was answered already (through another server)")]
    AnsweredElsewhere,
    /// The database failed.
    #[error("warning events: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored event does not read back.
    #[error("a stored warning event does not read back: {0}")]
    Unreadable(#[from] serde_json::Error),
}

/// Stores `event`, numbering it (and naming a new warning `W{seq}`), and announces it.
pub async fn insert_event(pool: &PgPool, mut event: Event) -> Result<Event, EventError> {
    let mut tx = pool.begin().await?;
    let seq: i64 = sqlx::query_scalar("SELECT nextval('riskatlas_warning_events_seq_seq')")
        .fetch_one(&mut *tx)
        .await?;
    event.seq = seq as u64;
    if event.warning.is_empty() {
        event.warning = format!("W{seq}");
    }
    let body = serde_json::to_value(&event.what)?;
    let inserted = sqlx::query(
        "INSERT INTO riskatlas_warning_events (seq, at, who, warning, event) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(seq)
    .bind(event.at)
    .bind(&event.who)
    .bind(&event.warning)
    .bind(&body)
    .execute(&mut *tx)
    .await;
    if let Err(sqlx::Error::Database(e)) = &inserted
        && e.is_unique_violation()
    {
        return Err(EventError::AnsweredElsewhere);
    }
    inserted?;
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(WARNINGS_CHANNEL)
        .bind(seq.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(event)
}

/// Every event after `seq`, in order.
pub async fn events_after(pool: &PgPool, seq: u64) -> Result<Vec<Event>, EventError> {
    let rows = sqlx::query(
        "SELECT seq, at, who, warning, event FROM riskatlas_warning_events WHERE seq > $1 ORDER BY seq",
    )
    .bind(seq as i64)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let what = serde_json::from_value(r.get::<serde_json::Value, _>(4))?;
            Ok(Event {
                seq: r.get::<i64, _>(0) as u64,
                at: r.get(1),
                who: r.get(2),
                warning: r.get(3),
                what,
            })
        })
        .collect()
}
