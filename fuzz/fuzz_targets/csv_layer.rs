//! A CSV file (points by lon/lat columns) read and validated into a layer: never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use riskatlas::import::source::CsvOptions;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else { return };
    let options = CsvOptions {
        delimiter: if selector & 0x80 == 0 { b',' } else { b';' },
        ..CsvOptions::default()
    };
    if let Ok(read) = riskatlas::import::source::read_csv(bytes, &options) {
        let spec = riskatlas_fuzz::spec(selector);
        let _ = riskatlas::import::validate::build_layer(&spec, read, "fuzzed.csv");
    }
});
