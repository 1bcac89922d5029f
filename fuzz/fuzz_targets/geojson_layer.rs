//! A GeoJSON file read and validated into a layer of any kind: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    if let Ok(read) = riskatlas::import::source::read_geojson(bytes) {
        let spec = riskatlas_fuzz::spec(selector);
        let _ = riskatlas::import::validate::build_layer(&spec, read, "fuzzed.geojson");
    }
});
