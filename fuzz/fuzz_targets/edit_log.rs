//! Any bytes as an edit log: opened (torn last line cut, damage refused with a
//! reason), never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join(riskatlas::edits::LOG_FILE);
    std::fs::write(&path, data).expect("writes");
    let _ = riskatlas::edits::log::EditLog::open(&path);
});
