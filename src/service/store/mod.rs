//! The system of record behind a server, as one trait: a data folder with its edit log
//! ([`folder`]), PostGIS (`postgis`, feature `postgis`), or nothing at all
//! ([`MemoryStore`], for tests and read-only use). A store owns how edits become
//! durable, the audit trail, and catching up with edits made elsewhere; the
//! [`Snapshots`] it installs into are what every request reads.
//!
//! Edits are serialised per store (each sees the one before), and everything that can
//! take a while — finding the feature, rebuilding the layer and its R-tree, `fsync` —
//! runs in [`blocking`], so tiles and analyses keep being served while an edit is made.

pub mod folder;
#[cfg(feature = "postgis")]
pub mod postgis;
pub mod trail;

use super::ServiceError;
use super::snapshot::Snapshots;
pub use crate::edits::trail::{TrailPage, TrailQuery};
use crate::edits::{EditRecord, Request};
use std::future::Future;
use std::pin::Pin;

/// A store's answer, later.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T, ServiceError>> + Send + 'a>>;

/// An edit as a request makes it.
#[derive(Debug, Clone)]
pub struct Edit {
    /// The layer edited.
    pub layer: String,
    /// Insert, patch or delete, with its body.
    pub request: Request,
    /// Who makes it, as the audit trail records it.
    pub who: String,
}

impl Edit {
    /// Stamps a prepared record with the time and the editor.
    pub fn stamp(&self, mut record: EditRecord) -> EditRecord {
        record.at = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        record.who = self.who.clone();
        record
    }
}

/// Where edits go and the audit trail comes from.
pub trait Store: Send + Sync {
    /// Checks an edit, makes it durable, then installs the edited atlas; returns the
    /// logged record. A refused edit changes nothing; one that cannot be made durable
    /// is not applied.
    fn edit<'a>(&'a self, snapshots: &'a Snapshots, edit: Edit) -> Pending<'a, EditRecord>;

    /// A page of the audit trail, newest first: only the records asked for are read.
    fn history(&self, query: TrailQuery) -> Pending<'_, TrailPage>;

    /// Applies edits committed elsewhere since the last one applied; returns how many.
    /// Only a shared store has any.
    fn catch_up<'a>(&'a self, _snapshots: &'a Snapshots) -> Pending<'a, usize> {
        Box::pin(async { Ok(0) })
    }

    /// How far the replica the atlas was loaded from is behind the primary that takes
    /// the edits; None when there is no replica (the store is its own primary).
    fn replica_lag(&self) -> Pending<'_, Option<ReplicaLag>> {
        Box::pin(async { Ok(None) })
    }
}

/// A streaming replica's distance from its primary, as `/api/health` reports it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ReplicaLag {
    /// Still a standby (false: it has been promoted, and follows no primary).
    pub standby: bool,
    /// WAL the primary has written that the replica has not replayed, in bytes.
    pub lag_bytes: Option<u64>,
    /// 0 when nothing is outstanding; otherwise seconds since the last transaction the
    /// replica replayed was committed (None: it has replayed none since it started).
    pub lag_seconds: Option<f64>,
    /// A WAL receiver runs on the replica (false: its stream from the primary is cut).
    pub receiving: bool,
}

/// No store: the atlas as loaded, taking no edits.
pub struct MemoryStore;

impl Store for MemoryStore {
    fn edit<'a>(&'a self, _: &'a Snapshots, _: Edit) -> Pending<'a, EditRecord> {
        Box::pin(async {
            Err(ServiceError::NotAllowed(
                "this server takes no edits (serve a data folder or PostGIS to edit it)".into(),
            ))
        })
    }

    fn history(&self, _: TrailQuery) -> Pending<'_, TrailPage> {
        Box::pin(async { Ok(TrailPage::default()) })
    }
}

/// Runs work that blocks (CPU or disk) off the async threads: the one place the service
/// layer blocks.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("worker failed: {e}")))?
}

/// What went wrong in a store, by kind: what a caller can wait out (the database is
/// unreachable) apart from what it cannot (a broken edit log).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// An accepted edit could not be made durable, so it was not applied.
    #[error("the edit could not be saved, so it was not applied: {0}")]
    NotSaved(String),
    /// The store cannot be read now (the server keeps serving from memory).
    #[error("{what}: {why}")]
    Unreachable {
        /// What could not be read.
        what: &'static str,
        /// Why, from the database driver.
        why: String,
    },
    /// The edit log or its archive cannot be read (its message says why; it is not
    /// also a `source`, which a chain would print again).
    #[error("the edit log cannot be read: {0}")]
    Log(crate::edits::log::LogError),
}

impl From<crate::edits::log::LogError> for StoreError {
    fn from(e: crate::edits::log::LogError) -> Self {
        StoreError::Log(e)
    }
}

/// An edit that could not be made durable, and so was not applied.
fn unsaved(e: impl std::fmt::Display) -> ServiceError {
    tracing::error!("edit not saved: {e}");
    StoreError::NotSaved(e.to_string()).into()
}
