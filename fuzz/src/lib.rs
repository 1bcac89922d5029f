//! What the fuzz targets share: the demo atlas (loaded once) and layer specs of each
//! kind, so a target spends its time in the parser it aims at.

use riskatlas::atlas::{Atlas, Kind, LayerId};
use riskatlas::import::manifest::LayerSpec;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The bundled demo county.
pub fn demo() -> &'static Atlas {
    static DEMO: OnceLock<Atlas> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/demo");
        riskatlas::import::load_folder(&dir)
            .expect("the demo loads")
            .atlas
    })
}

/// A layer spec of the kind `selector` picks (any byte picks one).
pub fn spec(selector: u8) -> LayerSpec {
    let kind = Kind::ALL[selector as usize % Kind::ALL.len()];
    LayerSpec {
        id: LayerId::parse("fuzzed").expect("a valid id"),
        kind,
        name: "fuzzed".into(),
        file: "fuzzed".into(),
        rename: Default::default(),
        defaults: Default::default(),
        lon: None,
        lat: None,
        delimiter: b',',
        encoding: None,
        personal: Default::default(),
    }
}
