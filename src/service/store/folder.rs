//! A data folder as the store: layer files loaded at start, accepted edits appended to
//! the folder's edit log (`fsync`ed before they are acknowledged) and replayed over the
//! files at the next start. The audit trail is kept in memory from the start (the
//! archive of compacted edits, then the log), so `GET /api/edits` reads no disk.

use super::{Edit, Pending, Store, blocking, unsaved};
use crate::atlas::{Atlas, Kind};
use crate::edits::compact::ARCHIVE_FILE as ARCHIVE_FILE_NAME;
use crate::edits::log::EditLog;
use crate::edits::{EditRecord, LOG_FILE};
use crate::import::LoadReport;
use crate::service::ServiceError;
use crate::service::snapshot::Snapshots;
use anyhow::Context;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The folder's edit log and the audit trail.
pub struct FolderStore {
    log: Arc<tokio::sync::Mutex<EditLog>>,
    history: Mutex<Vec<EditRecord>>,
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
        let archive = dir.join(ARCHIVE_FILE_NAME);
        let archived = EditLog::last_seq_in(&archive)?;
        let log_path = dir.join(LOG_FILE);
        let (log, recovered) = EditLog::open_after(&log_path, archived)
            .with_context(|| format!("opening the edit log {}", log_path.display()))?;
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
        let mut history = crate::edits::log::read_records(&archive)?;
        history.extend(recovered.records);
        Ok(OpenedFolder {
            atlas,
            report,
            store: FolderStore {
                log: Arc::new(tokio::sync::Mutex::new(log)),
                history: Mutex::new(history),
            },
        })
    }

    /// A store on an already open log, whose records (and the archive's) are the
    /// history.
    pub fn on_log(log: EditLog) -> anyhow::Result<FolderStore> {
        let mut history =
            crate::edits::log::read_records(&log.path().with_file_name(ARCHIVE_FILE_NAME))?;
        history.extend(log.read_all()?);
        Ok(FolderStore {
            log: Arc::new(tokio::sync::Mutex::new(log)),
            history: Mutex::new(history),
        })
    }
}

impl Store for FolderStore {
    fn edit<'a>(&'a self, snapshots: &'a Snapshots, edit: Edit) -> Pending<'a, EditRecord> {
        Box::pin(async move {
            // Held until the edited atlas is installed: the next edit must see this one.
            let mut log = self.log.clone().lock_owned().await;
            let current = snapshots.current();
            let from = current.clone();
            let (record, atlas, touches_roads, log) = blocking(move || {
                let prepared =
                    crate::edits::prepare(&from.atlas, &edit.layer, edit.request.clone())?;
                let layer = prepared.layer(&from.atlas);
                let touches_roads = layer.kind == Kind::Road;
                let record = log.append(edit.stamp(prepared.record)).map_err(unsaved)?;
                Ok((record, from.atlas.with_layer(layer), touches_roads, log))
            })
            .await?;
            snapshots.install(&current, atlas, touches_roads);
            drop(log);
            self.history
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(record.clone());
            Ok(record)
        })
    }

    fn history(&self) -> Pending<'_, Vec<EditRecord>> {
        Box::pin(async move {
            Ok(self
                .history
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone())
        })
    }
}

impl From<crate::edits::log::LogError> for ServiceError {
    fn from(e: crate::edits::log::LogError) -> Self {
        super::StoreError::Log(e).into()
    }
}
