//! Any bytes as an OpenStreetMap PBF extract read for roads: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("fuzzed.osm.pbf");
    std::fs::write(&path, data).expect("writes");
    let _ = riskatlas::import::osm::read_osm(&path, riskatlas::atlas::Kind::Road);
});
