//! A scenario (the body of POST /api/impact) parsed against the demo and, when it
//! parses, analysed: never a panic, whatever the JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let atlas = riskatlas_fuzz::demo();
    if let Ok(scenario) = riskatlas::analysis::Scenario::parse(&json, atlas) {
        let _ = riskatlas::analysis::analyse(atlas, &scenario);
    }
});
