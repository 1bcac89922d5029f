//! PostGIS as the store: the atlas loaded from the database at start, each edit one
//! transaction (feature row, audit row, `NOTIFY`), and every server on the database
//! following the others' edits in `seq` order (`LISTEN`, plus a catch-up every few
//! seconds in case a notification was missed while the connection was down).
//!
//! A server may load from a streaming replica instead (`--postgis REPLICA
//! --postgis-primary PRIMARY`): the big read at start-up goes to the replica, and
//! everything else — edits, the audit trail, idempotency keys, `LISTEN` and every
//! catch-up — to the primary. A standby delivers no `NOTIFY`, and reading the edits a
//! notification announces from the replica could miss rows it has not replayed yet:
//! the notification would be spent and the edit would wait for the next one. Reading
//! them from the primary, where the notifying transaction has committed, cannot. The
//! replica's lag therefore never delays an edit reaching this server; it bounds how
//! much of a start-up's load the catch-up from the primary must make up.

use super::{
    Edit, Pending, ReplicaLag, Store, StoreError, TrailPage, TrailQuery, blocking, unsaved,
};
use crate::atlas::Kind;
use crate::edits::EditRecord;
use crate::import::Loaded;
use crate::service::snapshot::{Snapshots, Touch};
use crate::service::{Service, ServiceError};
use crate::store::postgis::{self as pg, PgPool};
use anyhow::Context;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A database shared by any number of servers.
pub struct PostgisStore {
    /// The primary: edits, the audit trail and catch-ups.
    pool: PgPool,
    /// The streaming replica the atlas was loaded from, if not the primary.
    replica: Option<PgPool>,
    /// Serialises this server's edits and catch-ups.
    lock: tokio::sync::Mutex<()>,
    /// The last edit (by `seq`) this server has applied.
    applied_seq: AtomicU64,
}

/// A database opened for serving.
pub struct OpenedPostgis {
    /// The atlas as loaded from the database, and the load report.
    pub loaded: Loaded,
    /// The store that takes edits into the database.
    pub store: PostgisStore,
}

impl PostgisStore {
    /// Connects and loads the atlas, reporting progress (rows so far, of about how many).
    /// With `primary`, `url` is a streaming replica: the atlas is loaded from it, and
    /// edits and catch-ups go to `primary`.
    pub async fn open(
        url: &str,
        primary: Option<&str>,
        progress: impl FnMut(pg::Progress<'_>),
    ) -> anyhow::Result<OpenedPostgis> {
        let (pool, replica) = match primary {
            None => (pg::connect(url).await?, None),
            Some(primary) => {
                // The primary first: its migrations reach the replica through the WAL.
                let pool = pg::connect(primary)
                    .await
                    .context("--postgis-primary (the primary that takes edits)")?;
                let replica = pg::connect_replica(url)
                    .await
                    .context("--postgis (the streaming replica to load from)")?;
                (pool, Some(replica))
            }
        };
        let source = replica.as_ref().unwrap_or(&pool);
        // Read before loading: edits committed during the load are replayed after it.
        // On a replica, every edit up to this `seq` has been replayed there (a standby
        // is a prefix of its primary's history), and the catch-up reads the rest from
        // the primary.
        let applied = pg::last_edit_seq(source).await?;
        let loaded = pg::load(source, progress).await?;
        let mut store = PostgisStore::on_pool(pool, applied);
        store.replica = replica;
        Ok(OpenedPostgis { loaded, store })
    }

    /// A store on a connected pool whose edits up to `applied_seq` the atlas holds.
    pub fn on_pool(pool: PgPool, applied_seq: u64) -> PostgisStore {
        PostgisStore {
            pool,
            replica: None,
            lock: tokio::sync::Mutex::new(()),
            applied_seq: applied_seq.into(),
        }
    }

    /// The primary's connection pool (for the edit follower and the warning desk).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The insert `who` first sent with idempotency key `key`, if any.
    async fn keyed(&self, who: &str, key: &str) -> Result<Option<EditRecord>, ServiceError> {
        pg::edit_by_key(&self.pool, who, key).await.map_err(|e| {
            StoreError::Unreachable {
                what: "cannot look up the Idempotency-Key",
                why: format!("{e:#}"),
            }
            .into()
        })
    }

    /// Replays the edits committed after the last one applied (by any server), in
    /// order. Replay is idempotent, so a notification that arrives twice changes nothing.
    async fn catch_up_locked(&self, snapshots: &Snapshots) -> Result<usize, ServiceError> {
        let after = self.applied_seq.load(Ordering::SeqCst);
        let records =
            pg::edits_after(&self.pool, after)
                .await
                .map_err(|e| StoreError::Unreachable {
                    what: "cannot read edits",
                    why: format!("{e:#}"),
                })?;
        let Some(last) = records.last().map(|r| r.seq) else {
            return Ok(0);
        };
        let current = snapshots.current();
        let count = records.len();
        let from = current.clone();
        let (atlas, touches_roads, touched) = blocking(move || {
            let (atlas, problems) = crate::edits::replay(&from.atlas, &records);
            for p in problems {
                tracing::error!("edit from PostGIS not applied: {p}");
            }
            let touches_roads = records.iter().any(|r| {
                from.atlas
                    .layer(&r.layer)
                    .is_some_and(|l| l.kind == Kind::Road)
            });
            let edited: Vec<(String, String)> = records
                .iter()
                .map(|r| (r.layer.clone(), r.id.clone()))
                .collect();
            let touched = Touch::of_edits(&from.atlas, &atlas, &edited);
            Ok((atlas, touches_roads, touched))
        })
        .await?;
        snapshots.install(&current, atlas, touches_roads, touched);
        self.applied_seq.store(last, Ordering::SeqCst);
        tracing::info!(
            edits = count,
            through_seq = last,
            "applied edits from PostGIS"
        );
        Ok(count)
    }
}

impl Store for PostgisStore {
    fn edit<'a>(&'a self, snapshots: &'a Snapshots, edit: Edit) -> Pending<'a, EditRecord> {
        Box::pin(async move {
            let _serial = self.lock.lock().await;
            let idempotency = edit.request.idempotency(&edit.layer);
            if let Some(idem) = &idempotency
                && let Some(original) = self.keyed(&edit.who, &idem.key).await?
            {
                return Ok(idem.replay(original)?);
            }
            let current = snapshots.current();
            let request = edit.clone();
            let prepared = blocking(move || {
                Ok(crate::edits::prepare(
                    &current.atlas,
                    &request.layer,
                    request.request,
                )?)
            })
            .await?;
            let committed = pg::commit_edit(
                &self.pool,
                &edit.stamp(prepared.record),
                prepared.feature.as_ref(),
            )
            .await;
            let record = match (committed, &idempotency) {
                (Ok(record), _) => record,
                // Another server committed this key first (the unique index refused
                // ours): the retry is answered with that server's record.
                (Err(e), Some(idem)) => match self.keyed(&edit.who, &idem.key).await? {
                    Some(original) => return Ok(idem.replay(original)?),
                    None => return Err(unsaved(format!("{e:#}"))),
                },
                (Err(e), None) => return Err(unsaved(format!("{e:#}"))),
            };
            // Apply everything committed up to it, in order, so that edits from other
            // servers to the same feature land in the same order everywhere.
            if let Err(e) = self.catch_up_locked(snapshots).await {
                tracing::warn!("edit {} committed; catching up failed: {e}", record.seq);
            }
            Ok(record)
        })
    }

    fn history(&self, query: TrailQuery) -> Pending<'_, TrailPage> {
        Box::pin(async move {
            let (edits, next_before) =
                pg::edit_page(&self.pool, &query)
                    .await
                    .map_err(|e| StoreError::Unreachable {
                        what: "cannot read the audit trail",
                        why: format!("{e:#}"),
                    })?;
            Ok(TrailPage { edits, next_before })
        })
    }

    fn catch_up<'a>(&'a self, snapshots: &'a Snapshots) -> Pending<'a, usize> {
        Box::pin(async move {
            let _serial = self.lock.lock().await;
            self.catch_up_locked(snapshots).await
        })
    }

    fn replica_lag(&self) -> Pending<'_, Option<ReplicaLag>> {
        Box::pin(async move {
            let Some(replica) = &self.replica else {
                return Ok(None);
            };
            // Health must answer even while a database hangs.
            let lag = tokio::time::timeout(
                std::time::Duration::from_secs(3),
                pg::replica_lag(replica, &self.pool),
            )
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("no answer within 3 s")))
            .map_err(|e| StoreError::Unreachable {
                what: "cannot read the replica's lag",
                why: format!("{e:#}"),
            })?;
            Ok(Some(lag))
        })
    }
}

/// Follows the edits (and the warning events) other servers commit, for as long as the
/// server runs: woken by
/// `NOTIFY`, and every few seconds in case a notification was missed while the
/// connection was down. While the database is out of reach the service says so (its
/// health is degraded) and keeps serving from memory.
pub async fn follow(service: Arc<Service>, pool: PgPool) {
    let catch_up = || async {
        let warnings = service
            .warnings()
            .catch_up()
            .await
            .map_err(|e| e.to_string());
        match service
            .catch_up()
            .await
            .map_err(|e| e.to_string())
            .and(warnings)
        {
            Ok(_) => service.set_store_problem(None),
            Err(e) => service.set_store_problem(Some(e)),
        }
    };
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        let listener = async {
            let mut l = sqlx::postgres::PgListener::connect_with(&pool).await?;
            l.listen_all([pg::EDITS_CHANNEL, pg::warnings::WARNINGS_CHANNEL])
                .await?;
            Ok::<_, sqlx::Error>(l)
        };
        match listener.await {
            Ok(mut listener) => {
                catch_up().await;
                loop {
                    tokio::select! {
                        n = listener.recv() => match n {
                            Ok(_) => catch_up().await,
                            Err(e) => {
                                service.set_store_problem(Some(format!(
                                    "edit notifications interrupted: {e}"
                                )));
                                break;
                            }
                        },
                        _ = tick.tick() => catch_up().await,
                    }
                }
            }
            Err(e) => service.set_store_problem(Some(format!("cannot listen for edits: {e}"))),
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}
