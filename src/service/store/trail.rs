//! A data folder's audit trail: an index in memory, the records on disk.
//!
//! The trail is the archive of compacted edits (`edits-archive.log`) followed by the
//! edit log. Holding every record in memory would cost what the log weighs (a gigabyte
//! for a busy year of edits to big polygons), and re-reading the files for each
//! `GET /api/edits` would take seconds while holding up edits. So the index keeps, per
//! record, only its `seq`, layer, feature id and where its line lies: built while the
//! files are read at open (the log is read then anyway, to replay it), extended as each
//! edit is appended. A page filters the index, newest first, then reads back from disk
//! only the lines it returns, each checksum checked again.
//!
//! Reads never wait for edits: the index is behind a `RwLock` held only to push an
//! entry or to pick a page's entries, and the lines are read through handles of their
//! own at offsets that never change while a server holds the log (it only grows;
//! compaction needs the server stopped).
//!
//! The index also maps each `(who, Idempotency-Key)` to the insert it was first sent
//! with, so a retried insert is answered from the log after a restart too.

use super::{TrailPage, TrailQuery};
use crate::edits::EditRecord;
use crate::edits::log::{self, Location, LogError};
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// The index over a folder's archive and log.
pub struct Trail {
    archive: Option<(PathBuf, File)>,
    log: (PathBuf, File),
    index: RwLock<Index>,
}

#[derive(Default)]
struct Index {
    /// Ascending by `seq`.
    entries: Vec<Entry>,
    /// Layer ids, interned: an entry holds a position in this list.
    layers: Vec<Box<str>>,
    /// `(who, key)` → the `seq` of the insert first sent with the key.
    keys: HashMap<(Box<str>, Box<str>), u64>,
}

/// One record: enough to filter on and to find its line.
struct Entry {
    seq: u64,
    in_log: bool,
    at: Location,
    layer: u32,
    id: Box<str>,
}

impl Index {
    fn push(&mut self, record: &EditRecord, at: Location, in_log: bool) {
        let layer = match self.layers.iter().position(|l| **l == *record.layer) {
            Some(i) => i,
            None => {
                self.layers.push(record.layer.as_str().into());
                self.layers.len() - 1
            }
        };
        if let Some(idem) = &record.idempotency {
            self.keys
                .entry((record.who.as_str().into(), idem.key.as_str().into()))
                .or_insert(record.seq);
        }
        self.entries.push(Entry {
            seq: record.seq,
            in_log,
            at,
            layer: layer as u32,
            id: record.id.as_str().into(),
        });
    }

    fn last_seq(&self) -> u64 {
        self.entries.last().map_or(0, |e| e.seq)
    }
}

/// The archive, read through and indexed: the first part of a trail.
pub struct Archived {
    file: Option<(PathBuf, File)>,
    index: Index,
}

impl Archived {
    /// Reads the archive at `path` (none yet is an empty one), indexing each record.
    pub fn read(path: &Path) -> Result<Archived, LogError> {
        let mut index = Index::default();
        let file = match File::open(path) {
            Ok(file) => {
                log::scan(path, &file, |at, r| index.push(&r, at, false))?;
                Some((path.to_path_buf(), file))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(LogError::Io {
                    path: path.to_path_buf(),
                    error: source,
                });
            }
        };
        Ok(Archived { file, index })
    }

    /// The last archived `seq` (0: none): the log's numbering goes on after it.
    pub fn last_seq(&self) -> u64 {
        self.index.last_seq()
    }
}

impl Trail {
    /// The archive followed by the log at `path`, whose `records` (at `locations`)
    /// opening it found. Records the archive already holds (a compaction that stopped
    /// before emptying the log) are indexed once.
    pub fn new(
        archived: Archived,
        path: &Path,
        records: &[EditRecord],
        locations: &[Location],
    ) -> Result<Trail, LogError> {
        let file = File::open(path).map_err(|source| LogError::Io {
            path: path.to_path_buf(),
            error: source,
        })?;
        let Archived {
            file: archive,
            mut index,
        } = archived;
        let last_archived = index.last_seq();
        for (r, at) in records.iter().zip(locations) {
            if r.seq > last_archived {
                index.push(r, *at, true);
            }
        }
        Ok(Trail {
            archive,
            log: (path.to_path_buf(), file),
            index: RwLock::new(index),
        })
    }

    /// Adds a record just appended to the log at `at`.
    pub fn push(&self, record: &EditRecord, at: Location) {
        self.write().push(record, at, true);
    }

    /// The insert `who` first sent with `key`, read back from disk.
    pub fn keyed(&self, who: &str, key: &str) -> Result<Option<EditRecord>, LogError> {
        let found = {
            let index = self.read();
            let seq = index.keys.get(&(who.into(), key.into())).copied();
            seq.and_then(|seq| {
                let i = index.entries.binary_search_by_key(&seq, |e| e.seq).ok()?;
                Some((index.entries[i].in_log, index.entries[i].at))
            })
        };
        found
            .map(|(in_log, at)| self.read_line(in_log, at))
            .transpose()
    }

    /// A page of the trail: the matching entries are picked from the index, then only
    /// their lines are read.
    pub fn page(&self, q: &TrailQuery) -> Result<TrailPage, LogError> {
        let (picked, next_before) = {
            let index = self.read();
            let below = q.before.map_or(index.entries.len(), |b| {
                index.entries.partition_point(|e| e.seq < b)
            });
            let mut hits = index.entries[..below]
                .iter()
                .rev()
                .filter(|e| q.matches(e.seq, &index.layers[e.layer as usize], &e.id));
            let picked: Vec<(u64, bool, Location)> = hits
                .by_ref()
                .take(q.limit)
                .map(|e| (e.seq, e.in_log, e.at))
                .collect();
            let more = hits.next().is_some();
            let next_before = picked.last().filter(|_| more).map(|p| p.0);
            (picked, next_before)
        };
        let edits = picked
            .into_iter()
            .map(|(_, in_log, at)| self.read_line(in_log, at))
            .collect::<Result<_, _>>()?;
        Ok(TrailPage { edits, next_before })
    }

    fn read_line(&self, in_log: bool, at: Location) -> Result<EditRecord, LogError> {
        let (path, file) = match (&self.archive, in_log) {
            (Some(archive), false) => archive,
            _ => &self.log,
        };
        log::read_at(path, file, at)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edits::log::EditLog;
    use crate::edits::{Idempotency, Op};

    fn insert(who: &str, id: &str, key: &str) -> EditRecord {
        EditRecord {
            seq: 0,
            at: "2026-12-01T00:00:00Z".into(),
            who: who.into(),
            layer: "shelters".into(),
            op: Op::Insert,
            id: id.into(),
            before: None,
            after: None,
            diff: false,
            idempotency: Some(Idempotency {
                key: key.into(),
                request: format!("sha256:{id}"),
            }),
        }
    }

    #[test]
    fn keys_are_per_user_and_found_again_after_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edits.log");
        let (mut log, _) = EditLog::open(&path).unwrap();
        log.append(insert("王", "a", "k1")).unwrap();
        log.append(insert("李", "b", "k1")).unwrap();
        drop(log);
        let (_log, found) = EditLog::open(&path).unwrap();
        let archived = Archived::read(&dir.path().join("no-archive.log")).unwrap();
        let trail = Trail::new(archived, &path, &found.records, &found.locations).unwrap();
        let id = |who: &str| trail.keyed(who, "k1").unwrap().map(|r| r.id);
        assert_eq!(id("王").as_deref(), Some("a"));
        assert_eq!(id("李").as_deref(), Some("b"));
        assert_eq!(id("赵"), None);
        assert_eq!(trail.keyed("王", "k2").unwrap(), None);
    }
}
