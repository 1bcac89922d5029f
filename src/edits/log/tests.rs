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
        diff: false,
        idempotency: None,
    }
}

/// A log of records `a`, `b`, `c` (seq 1–3), closed.
fn three(dir: &Path) -> PathBuf {
    let path = dir.join("edits.log");
    let (mut log, _) = EditLog::open(&path).unwrap();
    for id in ["a", "b", "c"] {
        log.append(record(id)).unwrap();
    }
    path
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
    // Every prefix of the second line short of its newline is a possible crash point.
    for cut in intact.len() + 1..full.len() {
        std::fs::write(&path, &full[..cut]).unwrap();
        let (log, found) = EditLog::open(&path).unwrap();
        assert_eq!(found.records.len(), 1, "cut at {cut}");
        assert_eq!(found.truncated_bytes, (cut - intact.len()) as u64);
        assert_eq!(std::fs::read(&path).unwrap(), intact, "cut at {cut}");
        assert_eq!(log.next_seq(), 2);
        assert_eq!(log.end(), intact.len() as u64);
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
    let path = three(dir.path());
    let text = std::fs::read_to_string(&path).unwrap();
    let damaged = text.replacen("\"b\"", "\"x\"", 1);
    std::fs::write(&path, &damaged).unwrap();
    let err = EditLog::open(&path).unwrap_err().to_string();
    assert!(err.contains("line 2") && err.contains("checksum"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), damaged);
}

#[test]
fn a_complete_last_line_with_a_bad_checksum_is_damage_and_the_file_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = three(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    // One bit flipped inside the last record's id: the line keeps its newline.
    let at = bytes.len() - 1 - bytes.iter().rev().position(|&b| b == b'c').unwrap();
    bytes[at] ^= 0x01;
    assert_eq!(bytes.last(), Some(&b'\n'));
    std::fs::write(&path, &bytes).unwrap();
    let err = EditLog::open(&path).unwrap_err().to_string();
    assert!(
        err.contains(&path.display().to_string())
            && err.contains("line 3")
            && err.contains("checksum mismatch")
            && err.contains("nothing was cut"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "not a byte changed");
    // Reading without opening (compaction, tests) says the same.
    let err = read_records::<EditRecord>(&path).unwrap_err().to_string();
    assert!(err.contains("line 3"), "{err}");
}

#[test]
fn a_complete_last_line_that_is_not_a_record_is_damage_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = three(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"\x00\x00\x00\x00\n");
    std::fs::write(&path, &bytes).unwrap();
    let err = EditLog::open(&path).unwrap_err().to_string();
    assert!(err.contains("line 4"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn locations_point_at_each_record_line_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = three(dir.path());
    let text = std::fs::read_to_string(&path).unwrap();
    let (log, found) = EditLog::open(&path).unwrap();
    // Computed apart: the lines as the file splits them, and their byte offsets.
    let mut offset = 0;
    for (line, at) in text.lines().zip(&found.locations) {
        assert_eq!(
            *at,
            Location {
                offset,
                len: line.len() as u32
            }
        );
        offset += line.len() as u64 + 1;
    }
    assert_eq!(log.end(), text.len() as u64);
    let file = File::open(&path).unwrap();
    let second: EditRecord = read_at(&path, &file, found.locations[1]).unwrap();
    assert_eq!(second, found.records[1]);
    assert_eq!(second.id, "b");
}
