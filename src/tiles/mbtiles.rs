//! Map packs as MBTiles 1.3 (SQLite), for the tools that read that rather than PMTiles
//! (GDAL's MBTiles driver, older mobile apps): the same tiles as [`super::pack`], gzipped,
//! rows numbered from the south as the spec's TMS scheme wants, and the spec's metadata
//! rows, `json` holding `vector_layers`.
//!
//! Written with rusqlite 0.31 (its `libsqlite3-sys` 0.28 is the one sqlx 0.8 names: two
//! crates may not link two SQLites) on the system's SQLite, not a bundled copy: GDAL
//! links the system's too, and two SQLites in one process crashed GDAL's GeoPackage
//! driver (a bundled copy's `sqlite3_*` symbols shadow the library GDAL was built with).

use super::pack::{PackOptions, PackSummary, center_zoom, draw_tiles, metadata, pack_area};
use crate::atlas::{Atlas, Disclosure, Layer};
use anyhow::Context;
use std::path::Path;

/// Writes `layers` of `atlas` as an MBTiles file at `path` (replacing it).
pub fn write_mbtiles(
    atlas: &Atlas,
    layers: &[&Layer],
    options: &PackOptions,
    disclosure: Disclosure,
    path: &Path,
    progress: impl FnMut(u64, u64),
) -> anyhow::Result<PackSummary> {
    let bbox = pack_area(layers, options)?;
    if path.exists() {
        std::fs::remove_file(path).with_context(|| format!("replacing {}", path.display()))?;
    }
    let mut db =
        rusqlite::Connection::open(path).with_context(|| format!("creating {}", path.display()))?;
    db.execute_batch(
        "PRAGMA journal_mode = OFF;
         PRAGMA synchronous = OFF;
         CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);",
    )?;
    let tx = db.transaction()?;
    let summary = {
        let mut insert = tx.prepare(
            "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?1, ?2, ?3, ?4)",
        )?;
        draw_tiles(
            layers,
            bbox,
            options,
            disclosure,
            progress,
            |coord, bytes| {
                // MBTiles numbers rows from the south (TMS).
                let row = (1u32 << coord.z()) - 1 - coord.y();
                insert.execute(rusqlite::params![
                    coord.z(),
                    coord.x(),
                    row,
                    super::cache::gzip(bytes)
                ])?;
                Ok(())
            },
        )?
    };
    let tilejson = metadata(atlas, layers, options);
    let (cx, cy) = bbox.center();
    let rows = [
        ("name", atlas.name.clone()),
        ("format", "pbf".into()),
        ("type", "overlay".into()),
        ("attribution", atlas.attribution.clone()),
        ("minzoom", options.min_zoom.to_string()),
        ("maxzoom", options.max_zoom.to_string()),
        (
            "bounds",
            format!("{},{},{},{}", bbox.west, bbox.south, bbox.east, bbox.north),
        ),
        ("center", format!("{cx},{cy},{}", center_zoom(options))),
        (
            "json",
            serde_json::json!({"vector_layers": tilejson["vector_layers"]}).to_string(),
        ),
    ];
    for (name, value) in rows {
        tx.execute(
            "INSERT INTO metadata (name, value) VALUES (?1, ?2)",
            rusqlite::params![name, value],
        )?;
    }
    tx.execute_batch(
        "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);",
    )?;
    tx.commit()?;
    Ok(summary)
}
