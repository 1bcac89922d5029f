//! `Service`: the application behind the API and the command line — the current atlas,
//! the store it came from and edits go to, what loading reported, and whether the store
//! is reachable. Start-up is here too, so `main` and the tests start a server the same
//! way.

use super::ServiceError;
use super::snapshot::{Snapshot, Snapshots};
use super::store::folder::FolderStore;
use super::store::{Edit, MemoryStore, Store};
use crate::atlas::Atlas;
use crate::edits::EditRecord;
use crate::import::LoadReport;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The application state every request reads.
pub struct Service {
    snapshots: Snapshots,
    store: Box<dyn Store>,
    report: LoadReport,
    /// Why the store is unreachable, while it is (the server keeps serving from memory).
    store_problem: Mutex<Option<String>>,
}

impl Service {
    /// A service on a loaded atlas and its store.
    pub fn new(atlas: Atlas, report: LoadReport, store: Box<dyn Store>) -> Service {
        Service {
            snapshots: Snapshots::new(atlas),
            store,
            report,
            store_problem: Mutex::new(None),
        }
    }

    /// An atlas that takes no edits.
    pub fn in_memory(atlas: Atlas, report: LoadReport) -> Service {
        Service::new(atlas, report, Box::new(MemoryStore))
    }

    /// A data folder, its edit log replayed: what `riskatlas serve --data` serves.
    pub fn open_folder(dir: &Path) -> anyhow::Result<Service> {
        let opened = FolderStore::open(dir)?;
        Ok(Service::new(
            opened.atlas,
            opened.report,
            Box::new(opened.store),
        ))
    }

    /// A PostGIS database, and the task that follows other servers' edits (spawn it on
    /// the server's runtime).
    #[cfg(feature = "postgis")]
    pub async fn open_postgis(
        url: &str,
        progress: impl FnMut(crate::store::postgis::Progress<'_>),
    ) -> anyhow::Result<(
        Arc<Service>,
        impl std::future::Future<Output = ()> + Send + 'static,
    )> {
        use super::store::postgis::{PostgisStore, follow};
        let started = std::time::Instant::now();
        let opened = PostgisStore::open(url, progress).await?;
        crate::import::log_loaded(&opened.loaded, started);
        let pool = opened.store.pool().clone();
        let service = Arc::new(Service::new(
            opened.loaded.atlas,
            opened.loaded.report,
            Box::new(opened.store),
        ));
        Ok((service.clone(), follow(service, pool)))
    }

    /// The current atlas. Take it once per request: an edit may install a new one.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshots.current()
    }

    /// Checks an edit, makes it durable and applies it (see [`Store::edit`]).
    pub async fn edit(&self, edit: Edit) -> Result<EditRecord, ServiceError> {
        self.store.edit(&self.snapshots, edit).await
    }

    /// The audit trail, oldest first.
    pub async fn history(&self) -> Result<Vec<EditRecord>, ServiceError> {
        self.store.history().await
    }

    /// Applies edits other servers committed; how many.
    pub async fn catch_up(&self) -> Result<usize, ServiceError> {
        self.store.catch_up(&self.snapshots).await
    }

    /// What loading reported (refused features, failed layers, unreplayed edits).
    pub fn report(&self) -> &LoadReport {
        &self.report
    }

    /// Records that the store is unreachable (`Some(why)`) or back (`None`).
    pub fn set_store_problem(&self, problem: Option<String>) {
        let mut slot = self.store_problem.lock().unwrap_or_else(|e| e.into_inner());
        if *slot != problem {
            match &problem {
                Some(why) => tracing::warn!("store unreachable, serving from memory: {why}"),
                None => tracing::info!("store reachable again"),
            }
            *slot = problem;
        }
    }

    /// Why the store is unreachable, while it is.
    pub fn store_problem(&self) -> Option<String> {
        self.store_problem
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
