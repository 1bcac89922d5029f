//! A `where` filter parsed against a demo layer's schema and run over its features.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let atlas = riskatlas_fuzz::demo();
    let layer = &atlas.layers()[selector as usize % atlas.layers().len()];
    if let Ok(filter) = riskatlas::atlas::Filter::parse(text, &layer.schema, layer.kind) {
        for feature in layer.features() {
            let _ = filter.matches(&feature.attrs);
        }
    }
});
