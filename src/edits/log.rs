//! The edit log: an append-only file of JSON lines, each prefixed by the CRC-32 of its
//! JSON, written and `fsync`ed before an edit is acknowledged.
//!
//! A line reads `1a2b3c4d {"seq":1,...}`. Opening the log reads every line back:
//! - a last line that is incomplete (no newline) or fails its checksum is the trace of a
//!   crash in the middle of an append, whose edit was never acknowledged; it is cut off
//!   and the cut is reported;
//! - a bad line followed by good ones is damage, not a torn append, and opening fails,
//!   naming the line, so that nothing is silently skipped.

use super::EditRecord;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// An open edit log, positioned for appending.
#[derive(Debug)]
pub struct EditLog {
    path: PathBuf,
    file: File,
    next_seq: u64,
}

/// What opening the log found.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Every intact record, in log order.
    pub records: Vec<EditRecord>,
    /// Bytes of a torn last line that were cut off (an unacknowledged edit).
    pub truncated_bytes: u64,
}

/// Why the edit log cannot be opened, read or appended to.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file system refused.
    #[error("edit log {path}: {source}")]
    Io {
        /// The log file.
        path: PathBuf,
        /// What the file system said.
        #[source]
        source: std::io::Error,
    },
    /// Another process holds the log's lock.
    #[error("edit log {path} is in use by another riskatlas process (a server on this folder?)")]
    Locked {
        /// The log file.
        path: PathBuf,
    },
    /// A line before the last is unreadable: damage, not a torn append.
    #[error(
        "edit log {path} is damaged at line {line}: {reason}; later lines are intact, so this is not a torn append (restore the file or remove the line by hand)"
    )]
    Damaged {
        /// The log file.
        path: PathBuf,
        /// The damaged line, 1-based.
        line: usize,
        /// What is wrong with it (checksum, JSON).
        reason: String,
    },
}

impl EditLog {
    /// Opens (or creates) the log at `path`, locks it against other processes, and
    /// reads back its records. Sequence numbers continue after `after_seq` at least
    /// (the last archived edit), so they never repeat after a compaction.
    pub fn open(path: &Path) -> Result<(EditLog, Recovered), LogError> {
        EditLog::open_after(path, 0)
    }

    /// [`EditLog::open`], with sequence numbers continuing after `after_seq` at least.
    pub fn open_after(path: &Path, after_seq: u64) -> Result<(EditLog, Recovered), LogError> {
        let io = |source| LogError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(io)?;
        // One writer per log: a second server, or a compaction under a running server,
        // would interleave appends with a rewrite.
        file.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => LogError::Locked {
                path: path.to_path_buf(),
            },
            std::fs::TryLockError::Error(e) => io(e),
        })?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let (records, good_len) = parse(path, &bytes)?;
        let truncated_bytes = bytes.len() as u64 - good_len;
        if truncated_bytes > 0 {
            tracing::warn!(
                path = %path.display(),
                bytes = truncated_bytes,
                "edit log ends in a torn, unacknowledged append: cut off"
            );
            file.set_len(good_len).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        file.seek(SeekFrom::End(0)).map_err(io)?;
        let next_seq = records.last().map_or(0, |r| r.seq).max(after_seq) + 1;
        Ok((
            EditLog {
                path: path.to_path_buf(),
                file,
                next_seq,
            },
            Recovered {
                records,
                truncated_bytes,
            },
        ))
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every record in the log, read back from the file.
    pub fn read_all(&self) -> Result<Vec<EditRecord>, LogError> {
        read_records(&self.path)
    }

    /// The sequence number the next record will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Appends a record (its `seq` set here) and makes it durable before returning.
    pub fn append(&mut self, mut record: EditRecord) -> Result<EditRecord, LogError> {
        record.seq = self.next_seq;
        self.append_as_is(record)
    }

    /// Appends a record keeping its `seq` (archiving), durable before returning.
    pub fn append_as_is(&mut self, record: EditRecord) -> Result<EditRecord, LogError> {
        let json = serde_json::to_string(&record).expect("records serialise");
        let line = format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes()));
        let io = |source| LogError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.write_all(line.as_bytes()).map_err(io)?;
        // sync_data: the bytes and the new length, which is all a reader needs.
        self.file.sync_data().map_err(io)?;
        self.next_seq = self.next_seq.max(record.seq + 1);
        Ok(record)
    }

    /// Empties the log (after compaction); sequence numbers go on from where they were.
    pub fn clear(&mut self) -> Result<(), LogError> {
        let io = |source| LogError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.set_len(0).map_err(io)?;
        self.file.sync_all().map_err(io)?;
        self.file.seek(SeekFrom::Start(0)).map_err(io)?;
        Ok(())
    }

    /// The last sequence number a log file holds (0 for none or no file).
    pub fn last_seq_in(path: &Path) -> Result<u64, LogError> {
        Ok(read_records(path)?.last().map_or(0, |r| r.seq))
    }
}

/// The records of a log file (none if it does not exist); a torn last line is ignored.
pub fn read_records(path: &Path) -> Result<Vec<EditRecord>, LogError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(parse(path, &bytes)?.0),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(LogError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Parses the log's bytes into records and the length of the intact prefix.
fn parse(path: &Path, bytes: &[u8]) -> Result<(Vec<EditRecord>, u64), LogError> {
    let mut records = Vec::new();
    let mut good_len = 0u64;
    let mut pending_damage: Option<(usize, String)> = None;
    let mut start = 0;
    let mut line_no = 0;
    while start < bytes.len() {
        line_no += 1;
        let (line, complete) = match bytes[start..].iter().position(|&b| b == b'\n') {
            Some(i) => (&bytes[start..start + i], true),
            None => (&bytes[start..], false),
        };
        let next = start + line.len() + usize::from(complete);
        let parsed = if complete {
            parse_line(line)
        } else {
            Err("incomplete last line".to_string())
        };
        match parsed {
            Ok(record) => {
                if let Some((line, reason)) = pending_damage.take() {
                    return Err(LogError::Damaged {
                        path: path.to_path_buf(),
                        line,
                        reason,
                    });
                }
                records.push(record);
                good_len = next as u64;
            }
            Err(reason) => {
                pending_damage.get_or_insert((line_no, reason));
            }
        }
        start = next;
    }
    Ok((records, good_len))
}

fn parse_line(line: &[u8]) -> Result<EditRecord, String> {
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8".to_string())?;
    let (crc, json) = text
        .split_once(' ')
        .ok_or_else(|| "no checksum".to_string())?;
    let want = u32::from_str_radix(crc, 16).map_err(|_| format!("bad checksum {crc:?}"))?;
    if crc32fast::hash(json.as_bytes()) != want {
        return Err("checksum mismatch".into());
    }
    serde_json::from_str(json).map_err(|e| format!("not a record: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edits::Op;

    fn record(id: &str) -> EditRecord {
        EditRecord {
            seq: 0,
            at: "2026-11-24T00:00:00Z".into(),
            who: "test".into(),
            layer: "shelters".into(),
            op: Op::Delete,
            id: id.into(),
            before: None,
            after: None,
        }
    }

    #[test]
    fn records_survive_reopening_with_increasing_seq() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edits.log");
        let (mut log, found) = EditLog::open(&path).unwrap();
        assert!(found.records.is_empty());
        assert_eq!(log.append(record("a")).unwrap().seq, 1);
        assert_eq!(log.append(record("b")).unwrap().seq, 2);
        drop(log);
        let (log, found) = EditLog::open(&path).unwrap();
        let ids: Vec<&str> = found.records.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(log.next_seq(), 3);
    }

    #[test]
    fn a_torn_last_line_is_cut_off_at_every_possible_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edits.log");
        let (mut log, _) = EditLog::open(&path).unwrap();
        log.append(record("kept")).unwrap();
        drop(log);
        let intact = std::fs::read(&path).unwrap();
        let (mut log, _) = EditLog::open(&path).unwrap();
        log.append(record("torn")).unwrap();
        drop(log);
        let full = std::fs::read(&path).unwrap();
        // Every prefix of the second line is a possible crash point.
        for cut in intact.len() + 1..full.len() {
            std::fs::write(&path, &full[..cut]).unwrap();
            let (log, found) = EditLog::open(&path).unwrap();
            assert_eq!(found.records.len(), 1, "cut at {cut}");
            assert_eq!(found.truncated_bytes, (cut - intact.len()) as u64);
            assert_eq!(std::fs::read(&path).unwrap(), intact, "cut at {cut}");
            assert_eq!(log.next_seq(), 2);
        }
    }

    #[test]
    fn a_second_opener_is_refused_while_the_first_holds_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edits.log");
        let (_log, _) = EditLog::open(&path).unwrap();
        let err = EditLog::open(&path).unwrap_err().to_string();
        assert!(err.contains("in use"), "{err}");
    }

    #[test]
    fn damage_before_intact_lines_refuses_to_open_and_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("edits.log");
        let (mut log, _) = EditLog::open(&path).unwrap();
        for id in ["a", "b", "c"] {
            log.append(record(id)).unwrap();
        }
        drop(log);
        let text = std::fs::read_to_string(&path).unwrap();
        let damaged = text.replacen("\"b\"", "\"x\"", 1);
        std::fs::write(&path, damaged).unwrap();
        let err = EditLog::open(&path).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("checksum"), "{err}");
    }
}
