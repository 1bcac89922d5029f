//! A data folder as the store: layer files loaded at start, accepted edits appended to
//! the folder's edit log (`fsync`ed before they are acknowledged) and replayed over the
//! files at the next start. The audit trail (the archive of compacted edits, then the
//! log) is indexed in memory and read from disk a page at a time ([`super::trail`]).

use super::trail::{Archived, Trail};
use super::{Edit, Pending, Store, TrailPage, TrailQuery, blocking, unsaved};
use crate::atlas::{Atlas, Kind};
use crate::edits::compact::ARCHIVE_FILE as ARCHIVE_FILE_NAME;
use crate::edits::log::{EditLog, Location};
use crate::edits::{EditRecord, LOG_FILE};
use crate::import::LoadReport;
use crate::service::ServiceError;
use crate::service::snapshot::{Snapshots, Touch};
use anyhow::Context;
use std::path::Path;
use std::sync::Arc;

/// The folder's edit log and the audit trail.
pub struct FolderStore {
    log: Arc<tokio::sync::Mutex<EditLog>>,
    trail: Arc<Trail>,
}

/// A data folder opened for serving.
pub struct OpenedFolder {
    /// The layer files with the edit log replayed over them.
    pub atlas: Atlas,
    /// What loading reported.
    pub report: LoadReport,
    /// The store that takes the folder's edits.
    pub store: FolderStore,
}

impl FolderStore {
    /// Loads `dir`, opens its edit log (locking it against a second server) and replays
    /// it: numbering goes on after the archive of compacted edits.
    pub fn open(dir: &Path) -> anyhow::Result<OpenedFolder> {
        let started = std::time::Instant::now();
        let loaded = crate::import::load_folder(dir)
            .with_context(|| format!("loading data folder {}", dir.display()))?;
        crate::import::log_loaded(&loaded, started);
        let archived = Archived::read(&dir.join(ARCHIVE_FILE_NAME))?;
        let log_path = dir.join(LOG_FILE);
        let (log, recovered) = EditLog::open_after(&log_path, archived.last_seq())
            .with_context(|| format!("opening the edit log {}", log_path.display()))?;
        let trail = Trail::new(
            archived,
            &log_path,
            &recovered.records,
            &recovered.locations,
        )?;
        let (atlas, problems) = crate::edits::replay(&loaded.atlas, &recovered.records);
        for p in &problems {
            tracing::error!("edit log: {p}");
        }
        let mut report = loaded.report;
        report.edit_log = problems;
        tracing::info!(
            edits = recovered.records.len(),
            torn_bytes_cut = recovered.truncated_bytes,
            path = %log_path.display(),
            "edit log replayed"
        );
        Ok(OpenedFolder {
            atlas,
            report,
            store: FolderStore {
                log: Arc::new(tokio::sync::Mutex::new(log)),
                trail: Arc::new(trail),
            },
        })
    }

    /// `dir` as [`FolderStore::open`] loads it — layer files, then the edit log
    /// replayed over them — for reading only: the log is read, not opened for appends
    /// nor locked, so a folder a server is serving can be read beside it (the command
    /// line's comparison of two folders).
    pub fn read(dir: &Path) -> anyhow::Result<crate::import::Loaded> {
        let loaded = crate::import::load_folder(dir)
            .with_context(|| format!("loading data folder {}", dir.display()))?;
        let log_path = dir.join(LOG_FILE);
        let records = crate::edits::log::read_records(&log_path)
            .with_context(|| format!("reading the edit log {}", log_path.display()))?;
        let (atlas, problems) = crate::edits::replay(&loaded.atlas, &records);
        let mut report = loaded.report;
        report.edit_log = problems;
        Ok(crate::import::Loaded { atlas, report })
    }

    /// A store on an already open log, whose records (and the archive's) are the
    /// history.
    pub fn on_log(log: EditLog) -> anyhow::Result<FolderStore> {
        let archived = Archived::read(&log.path().with_file_name(ARCHIVE_FILE_NAME))?;
        let (mut records, mut locations) = (Vec::new(), Vec::new());
        let file = std::fs::File::open(log.path())?;
        crate::edits::log::scan(log.path(), &file, |at, r| {
            records.push(r);
            locations.push(at);
        })?;
        let trail = Trail::new(archived, log.path(), &records, &locations)?;
        Ok(FolderStore {
            log: Arc::new(tokio::sync::Mutex::new(log)),
            trail: Arc::new(trail),
        })
    }
}

impl Store for FolderStore {
    fn edit<'a>(&'a self, snapshots: &'a Snapshots, edit: Edit) -> Pending<'a, EditRecord> {
        Box::pin(async move {
            // Held until the edited atlas is installed and the record indexed: the next
            // edit must see this one, and a retry of it must find its key.
            let mut log = self.log.clone().lock_owned().await;
            if let Some(idempotency) = edit.request.idempotency(&edit.layer) {
                let (trail, who, key) = (
                    self.trail.clone(),
                    edit.who.clone(),
                    idempotency.key.clone(),
                );
                let first = blocking(move || Ok(trail.keyed(&who, &key)?))
                    .await?
                    .map(|original| idempotency.replay(original));
                if let Some(answer) = first {
                    return Ok(answer?);
                }
            }
            let current = snapshots.current();
            let from = current.clone();
            let trail = self.trail.clone();
            let (record, atlas, touches_roads, touched, log) = blocking(move || {
                let prepared =
                    crate::edits::prepare(&from.atlas, &edit.layer, edit.request.clone())?;
                let layer = prepared.layer(&from.atlas);
                let touches_roads = layer.kind == Kind::Road;
                let offset = log.end();
                let record = log.append(edit.stamp(prepared.record)).map_err(unsaved)?;
                let len = (log.end() - offset - 1) as u32;
                trail.push(&record, Location { offset, len });
                let atlas = from.atlas.with_layer(layer);
                let edited = [(record.layer.clone(), record.id.clone())];
                let touched = Touch::of_edits(&from.atlas, &atlas, &edited);
                Ok((record, atlas, touches_roads, touched, log))
            })
            .await?;
            snapshots.install(&current, atlas, touches_roads, touched);
            drop(log);
            Ok(record)
        })
    }

    fn history(&self, query: TrailQuery) -> Pending<'_, TrailPage> {
        let trail = self.trail.clone();
        Box::pin(async move { blocking(move || Ok(trail.page(&query)?)).await })
    }
}

impl From<crate::edits::log::LogError> for ServiceError {
    fn from(e: crate::edits::log::LogError) -> Self {
        super::StoreError::Log(e).into()
    }
}
