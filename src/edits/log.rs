//! The edit log: an append-only file of JSON lines, each prefixed by the CRC-32 of its
//! JSON, written and `fsync`ed before an edit is acknowledged.
//!
//! A line reads `1a2b3c4d {"seq":1,...}\n`. [`EditLog::append`] writes the whole line,
//! newline last, in one `write`, then `fdatasync`s, and only then returns; the store
//! applies the edit and the API answers 201 after that. So an *acknowledged* edit is a
//! line whose every byte, the newline included, was on disk before the answer left.
//!
//! Opening the log reads every line back:
//! - a last line without its newline is the trace of a crash in the middle of an
//!   append, whose edit was never acknowledged (the `fsync` had not returned); it is cut
//!   off and the cut is reported;
//! - a complete line (ending in its newline) that fails its checksum or does not parse,
//!   last or not, is damage (bit rot, a bad sector, an edit by hand): it may hold an
//!   acknowledged edit, so opening fails, naming the file, the line and what is wrong,
//!   and the file is left byte for byte as it was, for a person to restore or mend.
//!
//! An append that fails half-way (disk full) is undone by cutting the file back to
//! where it ended, so that its partial line never sits under a later, complete one.
//!
//! Opening also reports where each record lies ([`Location`]), so the audit trail can
//! keep an index of offsets and read back only the records a page asks for.
//!
//! The file format and its guarantees are those of any [`Journal`] of [`Logged`]
//! records: the edit log is `Journal<EditRecord>`, and the warnings' call-and-respond
//! journal (`crate::service::warnings`) is another, held to the same rules.

use super::EditRecord;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// A record a [`Journal`] keeps: JSON, numbered by the journal.
pub trait Logged: Serialize + DeserializeOwned {
    /// Its sequence number.
    fn seq(&self) -> u64;
    /// Numbers it.
    fn set_seq(&mut self, seq: u64);
}

impl Logged for EditRecord {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn set_seq(&mut self, seq: u64) {
        self.seq = seq;
    }
}

/// An open journal of `R` records, positioned for appending.
#[derive(Debug)]
pub struct Journal<R> {
    path: PathBuf,
    file: File,
    next_seq: u64,
    /// The file's length: where the next line starts.
    end: u64,
    /// An append failed and could not be undone: no more appends until a restart.
    broken: bool,
    records: PhantomData<fn() -> R>,
}

/// The edit log.
pub type EditLog = Journal<EditRecord>;

/// Where a record's line lies in its file: `len` bytes from `offset`, newline excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// The line's first byte.
    pub offset: u64,
    /// The line's length without its newline.
    pub len: u32,
}

/// What opening the log found.
#[derive(Debug)]
pub struct Recovered<R = EditRecord> {
    /// Every intact record, in log order.
    pub records: Vec<R>,
    /// Where each of `records` lies in the file.
    pub locations: Vec<Location>,
    /// Bytes of a torn last line that were cut off (an unacknowledged edit).
    pub truncated_bytes: u64,
}

impl<R> Default for Recovered<R> {
    fn default() -> Self {
        Recovered {
            records: Vec::new(),
            locations: Vec::new(),
            truncated_bytes: 0,
        }
    }
}

/// Why the edit log cannot be opened, read or appended to.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// The file system refused.
    // The OS's words are in the message, not also a `source`: printed as a chain
    // (`{:#}`) they came out twice.
    #[error("log {path}: {error}")]
    Io {
        /// The log file.
        path: PathBuf,
        /// What the file system said.
        error: std::io::Error,
    },
    /// Another process holds the log's lock.
    #[error("log {path} is in use by another riskatlas process (a server on this folder?)")]
    Locked {
        /// The log file.
        path: PathBuf,
    },
    /// A complete line is unreadable: damage, not a torn append.
    #[error(
        "log {path} is damaged at line {line}: {reason}; the line is complete (it ends in its newline), so it is not a torn append and may hold an acknowledged record: nothing was cut (restore the file from a backup, or mend or remove the line by hand)"
    )]
    Damaged {
        /// The log file.
        path: PathBuf,
        /// The damaged line, 1-based.
        line: usize,
        /// What is wrong with it (checksum, JSON).
        reason: String,
    },
    /// A record the index points at no longer reads back as it did at open.
    #[error("log {path}: the record at byte {offset} no longer reads back ({reason})")]
    Changed {
        /// The log file.
        path: PathBuf,
        /// Where the record was.
        offset: u64,
        /// What is wrong now.
        reason: String,
    },
    /// An earlier append failed and its partial line could not be cut off.
    #[error("log {path}: an earlier append failed and could not be undone; restart the server")]
    Broken {
        /// The log file.
        path: PathBuf,
    },
}

impl<R: Logged> Journal<R> {
    /// Opens (or creates) the log at `path`, locks it against other processes, and
    /// reads back its records.
    pub fn open(path: &Path) -> Result<(Journal<R>, Recovered<R>), LogError> {
        Journal::open_after(path, 0)
    }

    /// [`EditLog::open`], with sequence numbers continuing after `after_seq` at least
    /// (the last archived edit), so they never repeat after a compaction.
    pub fn open_after(path: &Path, after_seq: u64) -> Result<(Journal<R>, Recovered<R>), LogError> {
        let io = |source| LogError::Io {
            path: path.to_path_buf(),
            error: source,
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
        let mut found = Recovered::default();
        let scanned = scan(path, &file, |at, record: R| {
            found.records.push(record);
            found.locations.push(at);
        })?;
        found.truncated_bytes = scanned.len - scanned.good_len;
        if found.truncated_bytes > 0 {
            tracing::warn!(
                path = %path.display(),
                bytes = found.truncated_bytes,
                "log ends in a torn, unacknowledged append (no newline): cut off"
            );
            file.set_len(scanned.good_len).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        file.seek(SeekFrom::Start(scanned.good_len)).map_err(io)?;
        let next_seq = found.records.last().map_or(0, |r| r.seq()).max(after_seq) + 1;
        let log = Journal {
            path: path.to_path_buf(),
            file,
            next_seq,
            end: scanned.good_len,
            broken: false,
            records: PhantomData,
        };
        Ok((log, found))
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sequence number the next record will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The file's length: where the next record's line will start.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Appends a record (its `seq` set here) and makes it durable before returning.
    pub fn append(&mut self, mut record: R) -> Result<R, LogError> {
        record.set_seq(self.next_seq);
        self.append_as_is(record)
    }

    /// Appends a record (its `seq` set here) *without* waiting for the disk; returns it
    /// and the offset its line ends at. Not durable until a [`Syncer`] has synced to that
    /// offset: the caller must not acknowledge it before (group commit: many writers'
    /// lines made durable by one `fsync`).
    pub fn append_unsynced(&mut self, mut record: R) -> Result<(R, u64), LogError> {
        if self.broken {
            return Err(LogError::Broken {
                path: self.path.clone(),
            });
        }
        record.set_seq(self.next_seq);
        let json = serde_json::to_string(&record).expect("records serialise");
        let line = format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes()));
        if let Err(source) = self.file.write_all(line.as_bytes()) {
            self.undo();
            return Err(LogError::Io {
                path: self.path.clone(),
                error: source,
            });
        }
        self.end += line.len() as u64;
        self.next_seq += 1;
        Ok((record, self.end))
    }

    /// A handle that makes this journal durable up to an offset, for many writers.
    pub fn syncer(&self) -> Result<Syncer, LogError> {
        let file = self.file.try_clone().map_err(|source| LogError::Io {
            path: self.path.clone(),
            error: source,
        })?;
        Ok(Syncer {
            file,
            path: self.path.clone(),
            synced: std::sync::Mutex::new(Ok(self.end)),
        })
    }

    /// Cuts the file back to where the last whole line ended (after a failed write).
    fn undo(&mut self) {
        let undone = self
            .file
            .set_len(self.end)
            .and_then(|()| self.file.seek(SeekFrom::Start(self.end)).map(|_| ()));
        if let Err(e) = undone {
            tracing::error!(path = %self.path.display(), "a failed append could not be undone: {e}");
            self.broken = true;
        }
    }

    /// Appends a record keeping its `seq` (archiving), durable before returning.
    pub fn append_as_is(&mut self, record: R) -> Result<R, LogError> {
        if self.broken {
            return Err(LogError::Broken {
                path: self.path.clone(),
            });
        }
        let json = serde_json::to_string(&record).expect("records serialise");
        let line = format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes()));
        // One write, newline last, then sync_data (the bytes and the new length, all a
        // reader needs): the record is acknowledged only once both returned.
        let written = self
            .file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data());
        if let Err(source) = written {
            let undone = self
                .file
                .set_len(self.end)
                .and_then(|()| self.file.seek(SeekFrom::Start(self.end)));
            if let Err(e) = undone {
                tracing::error!(path = %self.path.display(), "a failed append could not be undone: {e}");
                self.broken = true;
            }
            return Err(LogError::Io {
                path: self.path.clone(),
                error: source,
            });
        }
        self.end += line.len() as u64;
        self.next_seq = self.next_seq.max(record.seq() + 1);
        Ok(record)
    }

    /// Empties the log (after compaction); sequence numbers go on from where they were.
    pub fn clear(&mut self) -> Result<(), LogError> {
        let io = |source| LogError::Io {
            path: self.path.clone(),
            error: source,
        };
        self.file.set_len(0).map_err(io)?;
        self.file.sync_all().map_err(io)?;
        self.file.seek(SeekFrom::Start(0)).map_err(io)?;
        self.end = 0;
        Ok(())
    }

    /// The last sequence number a log file holds (0 for none or no file).
    pub fn last_seq_in(path: &Path) -> Result<u64, LogError> {
        Ok(read_records::<R>(path)?.last().map_or(0, |r| r.seq()))
    }
}

/// Group commit: makes a journal's appended lines durable up to an offset. Writers
/// that wait while another's `fsync` runs find their lines covered by it, or by the
/// next one, which one of them runs for all: one `fsync` per batch, not per record.
#[derive(Debug)]
pub struct Syncer {
    file: File,
    path: PathBuf,
    /// Durable up to this offset; an error once an `fsync` failed (what it covered is
    /// in doubt, so nothing after it is acknowledged until a restart re-reads the file).
    synced: std::sync::Mutex<Result<u64, String>>,
}

impl Syncer {
    /// Returns once every byte up to `end` is on disk.
    pub fn sync_to(&self, end: u64) -> Result<(), LogError> {
        let mut synced = self.synced.lock().unwrap_or_else(|e| e.into_inner());
        match &*synced {
            Err(why) => {
                return Err(LogError::Io {
                    path: self.path.clone(),
                    error: std::io::Error::other(why.clone()),
                });
            }
            Ok(at) if *at >= end => return Ok(()),
            Ok(_) => {}
        }
        // Whatever was written by now is covered, `end` and any line after it.
        let written = self
            .file
            .metadata()
            .map(|m| m.len())
            .unwrap_or(end)
            .max(end);
        match self.file.sync_data() {
            Ok(()) => {
                *synced = Ok(written);
                Ok(())
            }
            Err(source) => {
                *synced = Err(source.to_string());
                Err(LogError::Io {
                    path: self.path.clone(),
                    error: source,
                })
            }
        }
    }
}

/// What [`scan`] read: the file's length and that of its intact prefix.
#[derive(Debug, Clone, Copy)]
pub struct Scanned {
    /// Bytes read.
    pub len: u64,
    /// Bytes up to the end of the last complete line (the rest is a torn append).
    pub good_len: u64,
}

/// Reads a log file from its start, handing each intact record and where it lies to
/// `visit`, one at a time (an archive of a million edits is never held whole). A
/// complete line that does not read back fails the scan as [`LogError::Damaged`]; a
/// last line without its newline is left out of `good_len`.
pub fn scan<R: Logged>(
    path: &Path,
    file: &File,
    mut visit: impl FnMut(Location, R),
) -> Result<Scanned, LogError> {
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let mut line = Vec::new();
    let (mut offset, mut line_no) = (0u64, 0usize);
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|source| LogError::Io {
                path: path.to_path_buf(),
                error: source,
            })?;
        if read == 0 {
            return Ok(Scanned {
                len: offset,
                good_len: offset,
            });
        }
        line_no += 1;
        if line.last() != Some(&b'\n') {
            // read_until stops short of a newline only at the end of the file.
            return Ok(Scanned {
                len: offset + read as u64,
                good_len: offset,
            });
        }
        let text = &line[..read - 1];
        let record = parse_line(text).map_err(|reason| LogError::Damaged {
            path: path.to_path_buf(),
            line: line_no,
            reason,
        })?;
        let len = u32::try_from(text.len()).map_err(|_| LogError::Damaged {
            path: path.to_path_buf(),
            line: line_no,
            reason: "a line over 4 GiB".into(),
        })?;
        visit(Location { offset, len }, record);
        offset += read as u64;
    }
}

/// The records of a log file (none if it does not exist); a torn last line is ignored.
pub fn read_records<R: Logged>(path: &Path) -> Result<Vec<R>, LogError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(LogError::Io {
                path: path.to_path_buf(),
                error: source,
            });
        }
    };
    let mut records = Vec::new();
    scan(path, &file, |_, r| records.push(r))?;
    Ok(records)
}

/// The record at `at` in `file` (the log at `path`), its checksum checked again.
pub fn read_at<R: Logged>(path: &Path, file: &File, at: Location) -> Result<R, LogError> {
    let mut line = vec![0; at.len as usize];
    file.read_exact_at(&mut line, at.offset)
        .map_err(|source| LogError::Io {
            path: path.to_path_buf(),
            error: source,
        })?;
    parse_line(&line).map_err(|reason| LogError::Changed {
        path: path.to_path_buf(),
        offset: at.offset,
        reason,
    })
}

fn parse_line<R: Logged>(line: &[u8]) -> Result<R, String> {
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
mod tests;
