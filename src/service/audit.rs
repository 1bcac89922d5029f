//! The access audit: who ran which analysis, and who read personal data in bulk.
//!
//! Edits have their own trail (the edit log, `GET /api/edits`). Reads leave no trace in
//! the data, yet reading every duty officer's phone is what a bureau must be able to
//! account for. So each analysis, export, printable report or card, and each feature
//! query that returns more than one record with contacts in full, is recorded here:
//!
//! 1. as a JSON line appended to the access log (`access.log` in the data folder, or
//!    `--access-log FILE`), the record a bureau keeps;
//! 2. as a log line (target `riskatlas::audit`), for whoever ships logs elsewhere;
//! 3. in memory, the latest [`RECENT`], for `GET /api/audit` (admins) without reading
//!    the file back.
//!
//! The identity is the one the request proved (token or session), never a header. A
//! record that cannot be written is logged as an error and the answer still goes out:
//! a full disk must not stop a duty officer seeing a flood.

use serde::Serialize;
use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How many records `GET /api/audit` can show.
pub const RECENT: usize = 10_000;

/// The access log of a data folder.
pub const ACCESS_LOG: &str = "access.log";

/// One read worth accounting for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessRecord {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who, as proven.
    pub who: String,
    /// Their role.
    pub role: String,
    /// Their jurisdiction (empty: everything).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<String>,
    /// What they did: `impact`, `evacuation`, `coverage`, `route`, `cards`, `report`,
    /// `features`.
    pub action: &'static str,
    /// The output format (`json`, `geojson`, `csv`, `html`).
    pub format: &'static str,
    /// What it was about, in a few words (the scenario's hazards, the layer).
    pub about: String,
    /// Contacts (names with phones) the answer gave in full; 0 when masked or none.
    pub personal_records: usize,
}

/// Where access records go.
pub struct AccessLog {
    file: Option<PathBuf>,
    recent: Mutex<VecDeque<AccessRecord>>,
}

impl AccessLog {
    /// Records kept in memory and the log only (tests, tools).
    pub fn in_memory() -> AccessLog {
        AccessLog {
            file: None,
            recent: Mutex::default(),
        }
    }

    /// Records appended to `file` too.
    pub fn to_file(file: &Path) -> AccessLog {
        AccessLog {
            file: Some(file.to_path_buf()),
            recent: Mutex::default(),
        }
    }

    /// Records one read.
    pub fn record(&self, record: AccessRecord) {
        tracing::info!(
            target: "riskatlas::audit",
            who = %record.who,
            action = record.action,
            format = record.format,
            personal_records = record.personal_records,
            about = %record.about,
            "access"
        );
        if let Some(file) = &self.file
            && let Err(e) = append(file, &record)
        {
            tracing::error!(
                "access log {}: {e}; the record is only in the log above",
                file.display()
            );
        }
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() == RECENT {
            recent.pop_front();
        }
        recent.push_back(record);
    }

    /// The latest `limit` records, newest first.
    pub fn recent(&self, limit: usize) -> Vec<AccessRecord> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.iter().rev().take(limit).cloned().collect()
    }
}

fn append(file: &Path, record: &AccessRecord) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
    line.push(b'\n');
    // One write per line on a file opened for appending: lines from two requests never
    // interleave.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(file)?
        .write_all(&line)
}

/// Now, as the records spell it.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: usize) -> AccessRecord {
        AccessRecord {
            at: now(),
            who: format!("user {n}"),
            role: "planner".into(),
            scope: vec![],
            action: "impact",
            format: "csv",
            about: "floods".into(),
            personal_records: n,
        }
    }

    #[test]
    fn records_go_to_the_file_and_the_newest_are_kept_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ACCESS_LOG);
        let log = AccessLog::to_file(&path);
        for n in 0..RECENT + 5 {
            log.record(record(n));
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), RECENT + 5);
        let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        assert_eq!(last["who"], format!("user {}", RECENT + 4));
        let recent = log.recent(3);
        assert_eq!(recent[0].personal_records, RECENT + 4);
        assert_eq!(log.recent(usize::MAX).len(), RECENT);
    }
}
