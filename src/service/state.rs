//! `Service`: the application behind the API and the command line — the current atlas,
//! the store it came from and edits go to, what loading reported, and whether the store
//! is reachable. Start-up is here too, so `main` and the tests start a server the same
//! way.

use super::ServiceError;
use super::scope::Jurisdiction;
use super::snapshot::{Snapshot, Snapshots};
use super::store::folder::FolderStore;
use super::store::{Edit, MemoryStore, ReplicaLag, Store, TrailPage, TrailQuery};
use crate::atlas::Atlas;
use crate::edits::EditRecord;
use crate::import::LoadReport;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The application state every request reads.
pub struct Service {
    snapshots: Snapshots,
    store: Box<dyn Store>,
    report: LoadReport,
    /// Why the store is unreachable, while it is (the server keeps serving from memory).
    store_problem: Mutex<Option<String>>,
    /// The latest view of each scope asked for (one per scope: a users file names few).
    views: Mutex<HashMap<Vec<String>, Arc<View>>>,
    /// Warnings issued and their call-and-respond (see [`super::warnings::desk`]).
    warnings: Arc<super::warnings::desk::Desk>,
}

/// What a user's scope sees of one snapshot (see [`super::scope`]).
pub struct View {
    /// The snapshot cut down to the scope (the snapshot itself for everything).
    pub snapshot: Arc<Snapshot>,
    /// The scope resolved against that snapshot.
    pub jurisdiction: Arc<Jurisdiction>,
}

impl Service {
    /// A service on a loaded atlas and its store.
    pub fn new(atlas: Atlas, report: LoadReport, store: Box<dyn Store>) -> Service {
        Service {
            snapshots: Snapshots::new(atlas),
            store,
            report,
            store_problem: Mutex::new(None),
            views: Mutex::default(),
            warnings: Arc::new(super::warnings::desk::Desk::in_memory()),
        }
    }

    /// The same service keeping its warnings at `desk`.
    pub fn with_warnings(mut self, desk: super::warnings::desk::Desk) -> Service {
        self.warnings = Arc::new(desk);
        self
    }

    /// Warnings issued and their call-and-respond.
    pub fn warnings(&self) -> &Arc<super::warnings::desk::Desk> {
        &self.warnings
    }

    /// An atlas that takes no edits.
    pub fn in_memory(atlas: Atlas, report: LoadReport) -> Service {
        Service::new(atlas, report, Box::new(MemoryStore))
    }

    /// A data folder, its edit log replayed: what `riskatlas serve --data` serves.
    pub fn open_folder(dir: &Path) -> anyhow::Result<Service> {
        let opened = FolderStore::open(dir)?;
        let desk = super::warnings::desk::Desk::open(dir)?;
        Ok(Service::new(opened.atlas, opened.report, Box::new(opened.store)).with_warnings(desk))
    }

    /// A PostGIS database, and the task that follows other servers' edits (spawn it on
    /// the server's runtime). With `primary`, `url` is a streaming replica the atlas is
    /// loaded from, and edits, warnings and the follower use `primary`.
    #[cfg(feature = "postgis")]
    pub async fn open_postgis(
        url: &str,
        primary: Option<&str>,
        progress: impl FnMut(crate::store::postgis::Progress<'_>),
    ) -> anyhow::Result<(
        Arc<Service>,
        impl std::future::Future<Output = ()> + Send + 'static,
    )> {
        use super::store::postgis::{PostgisStore, follow};
        let started = std::time::Instant::now();
        let opened = PostgisStore::open(url, primary, progress).await?;
        crate::import::log_loaded(&opened.loaded, started);
        let pool = opened.store.pool().clone();
        let desk = super::warnings::desk::Desk::on_postgis(pool.clone()).await?;
        let service = Arc::new(
            Service::new(
                opened.loaded.atlas,
                opened.loaded.report,
                Box::new(opened.store),
            )
            .with_warnings(desk),
        );
        Ok((service.clone(), follow(service, pool)))
    }

    /// The current atlas. Take it once per request: an edit may install a new one.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshots.current()
    }

    /// Whether no edit after generation `since` touched a tile (see
    /// [`Snapshots::unchanged`]).
    pub fn tile_unchanged(
        &self,
        since: u64,
        layers: &str,
        scoped: bool,
        bounds: geo::Rect<f64>,
    ) -> bool {
        self.snapshots.unchanged(since, layers, scoped, bounds)
    }

    /// What `scope` sees of the current snapshot, if it is ready: everything, or a
    /// view already cut for this generation. None when [`Service::view`] must cut it.
    pub fn ready_view(&self, scope: &[String]) -> Option<Arc<View>> {
        let current = self.snapshot();
        if scope.is_empty() {
            return Some(Arc::new(View {
                snapshot: current,
                jurisdiction: Arc::default(),
            }));
        }
        let views = self.views.lock().unwrap_or_else(|e| e.into_inner());
        views
            .get(scope)
            .filter(|v| v.snapshot.generation == current.generation)
            .cloned()
    }

    /// What `scope` sees of the current snapshot, cut now if it is not ready (this
    /// copies the scope's features: call it off the async threads).
    pub fn view(&self, scope: &[String]) -> Arc<View> {
        if let Some(ready) = self.ready_view(scope) {
            return ready;
        }
        let current = self.snapshot();
        let started = std::time::Instant::now();
        let jurisdiction = Jurisdiction::resolve(&current, scope);
        let atlas = jurisdiction.view(&current);
        if jurisdiction.is_empty() {
            tracing::warn!(
                ?scope,
                "a scope names no admin unit of the atlas: it sees no census data"
            );
        }
        tracing::debug!(
            ?scope,
            features = atlas.feature_count(),
            ms = crate::log::millis(started.elapsed()),
            "scope view cut"
        );
        let view = Arc::new(View {
            snapshot: Arc::new(current.view(atlas)),
            jurisdiction: Arc::new(jurisdiction),
        });
        self.views
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(scope.to_vec(), view.clone());
        view
    }

    /// Checks an edit, makes it durable and applies it (see [`Store::edit`]).
    pub async fn edit(&self, edit: Edit) -> Result<EditRecord, ServiceError> {
        self.store.edit(&self.snapshots, edit).await
    }

    /// A page of the audit trail, newest first.
    pub async fn history(&self, query: TrailQuery) -> Result<TrailPage, ServiceError> {
        self.store.history(query).await
    }

    /// Applies edits other servers committed; how many.
    pub async fn catch_up(&self) -> Result<usize, ServiceError> {
        self.store.catch_up(&self.snapshots).await
    }

    /// How far the replica the atlas was loaded from is behind its primary (None when
    /// there is none).
    pub async fn replica_lag(&self) -> Result<Option<ReplicaLag>, ServiceError> {
        self.store.replica_lag().await
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
