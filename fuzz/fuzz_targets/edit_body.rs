//! An edit body (insert or patch) checked against a demo layer: accepted or refused
//! with a reason, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use riskatlas::edits::Request;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(bytes) else { return };
    let atlas = riskatlas_fuzz::demo();
    let layer = &atlas.layers()[selector as usize % atlas.layers().len()];
    let request = if selector & 0x80 == 0 {
        Request::Insert { body, key: None }
    } else {
        let id = layer.features().first().map_or_else(String::new, |f| f.id.to_string());
        Request::Patch { id, body }
    };
    let _ = riskatlas::edits::prepare(atlas, layer.id.as_str(), request);
});
