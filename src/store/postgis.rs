//! PostGIS as the system of record: layers written to and loaded from a database.
//!
//! Schema (versioned migrations in `migrations/`, applied with `sqlx::migrate!`): a
//! `riskatlas_layers` table (id, name, kind, order) and one `riskatlas_features` table
//! with a layer column, geometry in EPSG:4326 under a GiST index and attributes as
//! `jsonb` (the migration says why one table). Loading streams each layer's rows
//! (geometry as WKB, decoded by geozero) through the same validation as files, so a
//! refused row is reported exactly like a refused feature in a file. Users and the
//! shared session key live here too (`users`), for servers that share the database;
//! a streaming replica to load from, and its lag, in `replica`.

use crate::atlas::{Atlas, Layer};
use crate::import::LayerReport;
use crate::import::manifest::LayerSpec;
use crate::import::source::{RawFeature, Unreadable};
use crate::import::validate::LayerBuilder;
use crate::import::{LoadReport, Loaded};
use anyhow::Context;
use futures_util::TryStreamExt;
use geozero::ToGeo;
use geozero::wkb::Ewkb;
use sqlx::Row;
pub use sqlx::postgres::PgPool;

mod edits;
mod replica;
mod users;
pub mod warnings;
pub use edits::{
    EDIT_COMMIT_LOCK, EDITS_CHANNEL, commit_edit, edit_by_key, edit_page, edits_after,
    last_edit_seq,
};
pub use replica::{connect_replica, replica_lag};
use sqlx::postgres::PgPoolOptions;
pub use users::PostgisUsers;

/// Connects and brings the schema up to date. The database must take writes: a standby
/// is refused with the way to serve one (see `replica`).
pub async fn connect(url: &str) -> anyhow::Result<PgPool> {
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect(url)
        .await
        .with_context(|| format!("connecting to {}", redact(url)))?;
    let standby: bool = sqlx::query_scalar("SELECT pg_is_in_recovery()")
        .fetch_one(&pool)
        .await
        .with_context(|| format!("asking {} whether it is a standby", redact(url)))?;
    anyhow::ensure!(
        !standby,
        "{} is a read-only standby (pg_is_in_recovery() is true): imports, edits, users and \
         the schema need the primary; to serve from this replica, pass --postgis REPLICA_URL \
         --postgis-primary PRIMARY_URL",
        redact(url)
    );
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .context("applying the riskatlas schema migrations")?;
    Ok(pool)
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s && url[s + 3..at].contains(':') => {
            let user = url[s + 3..at].split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// How many layers the store holds.
pub async fn layer_count(pool: &PgPool) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM riskatlas_layers")
        .fetch_one(pool)
        .await?)
}

/// Writes a layer (replacing any layer of that id) in one transaction.
pub async fn write_layer(pool: &PgPool, layer: &Layer, position: i32) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM riskatlas_layers WHERE id = $1")
        .bind(layer.id.as_str())
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO riskatlas_layers (id, name, kind, position) VALUES ($1, $2, $3, $4)")
        .bind(layer.id.as_str())
        .bind(&layer.name)
        .bind(layer.kind.code())
        .bind(position)
        .execute(&mut *tx)
        .await?;
    // Rows go as parallel arrays: one round trip per thousand features.
    for chunk in layer.features().chunks(1000) {
        let mut ids = Vec::with_capacity(chunk.len());
        let mut wkbs = Vec::with_capacity(chunk.len());
        let mut props = Vec::with_capacity(chunk.len());
        for f in chunk {
            ids.push(f.id.to_string());
            wkbs.push(wkb_of(&f.geometry)?);
            props.push(crate::edits::feature_json(layer, f)["properties"].to_string());
        }
        sqlx::query(
            "INSERT INTO riskatlas_features (layer, id, geom, props)
             SELECT $1, i, ST_SetSRID(ST_GeomFromWKB(g), 4326), p::jsonb
             FROM unnest($2::text[], $3::bytea[], $4::text[]) AS t(i, g, p)",
        )
        .bind(layer.id.as_str())
        .bind(&ids)
        .bind(&wkbs)
        .bind(&props)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

fn wkb_of(g: &geo::Geometry<f64>) -> anyhow::Result<Vec<u8>> {
    use geozero::{CoordDimensions, ToWkb};
    g.to_wkb(CoordDimensions::xy())
        .map_err(|e| anyhow::anyhow!("encoding a geometry as WKB: {e}"))
}

/// Loads every layer, in order, through the import's validation. `progress` hears each
/// layer's id and row count before its rows stream, then once per row.
pub async fn load(pool: &PgPool, mut progress: impl FnMut(Progress<'_>)) -> anyhow::Result<Loaded> {
    // The planner's statistics size the progress bar and the buffers: counting exactly
    // would cost a scan of the table before reading it.
    let estimates = row_estimates(pool).await?;
    progress(Progress::Start(
        (!estimates.is_empty()).then(|| estimates.values().sum()),
    ));
    let layers = sqlx::query("SELECT id, name, kind FROM riskatlas_layers ORDER BY position, id")
        .fetch_all(pool)
        .await
        .context("listing layers")?;
    let mut built = Vec::new();
    let mut report = LoadReport::default();
    for row in layers {
        let (id, name, kind): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        let expected = estimates.get(&id).copied().unwrap_or(0);
        progress(Progress::Layer(&id, expected));
        let label = format!("postgis:{id}");
        let layer_id = crate::atlas::LayerId::parse(&id).map_err(|e| e.to_string());
        let kind = kind
            .parse::<crate::atlas::Kind>()
            .map_err(|e| e.to_string());
        let (layer_id, kind) = match (layer_id, kind) {
            (Ok(l), Ok(k)) => (l, k),
            (Err(e), _) | (_, Err(e)) => {
                report.layers.push(LayerReport {
                    layer: id.clone(),
                    file: label,
                    error: Some(e),
                    ..Default::default()
                });
                continue;
            }
        };
        let spec = LayerSpec {
            id: layer_id,
            kind,
            name,
            file: label.clone().into(),
            rename: Default::default(),
            defaults: Default::default(),
            lon: None,
            lat: None,
            delimiter: b',',
            encoding: None,
            personal: Default::default(),
        };
        // Room for the estimate, and a little over, so the buffer is not copied as it grows.
        let room = (expected as usize).saturating_add(expected as usize / 50);
        // (layer, id) is the table's primary key.
        let mut builder = LayerBuilder::new(&spec, &label, room).ids_unique_by_construction();
        let started = std::time::Instant::now();
        read_layer_rows(pool, &id, &mut builder, &mut progress)
            .await
            .with_context(|| format!("reading layer {id}"))?;
        let read = started.elapsed();
        // Layers from PostGIS have no field mapping, so no column list is needed.
        let (layer, layer_report) = builder.finish(&[], false, Vec::new());
        tracing::info!(
            layer = %id,
            rows = layer_report.loaded + layer_report.rejected,
            read_ms = crate::log::millis(read),
            build_ms = crate::log::millis(started.elapsed() - read),
            "layer loaded from PostGIS"
        );
        built.push(layer);
        report.layers.push(layer_report);
    }
    Ok(Loaded {
        atlas: Atlas::new("riskatlas (PostGIS)".into(), String::new(), built)
            .with_failed(report.failed_layers()),
        report,
    })
}

/// What [`load`] is doing, for a progress bar.
pub enum Progress<'a> {
    /// The load starts: about this many rows in all (None: unknown).
    Start(Option<u64>),
    /// A layer starts, with about this many rows (0: unknown).
    Layer(&'a str, u64),
    /// This many more rows of it were read.
    Rows(u64),
}

/// Reads one layer's rows with `COPY ... TO STDOUT (FORMAT binary)` (see
/// [`super::copy`]): geometry as EWKB, attributes as binary jsonb. Rows come in physical
/// order; a feature's stable address is its id, not its position.
async fn read_layer_rows(
    pool: &PgPool,
    layer: &str,
    builder: &mut LayerBuilder<'_>,
    progress: &mut impl FnMut(Progress<'_>),
) -> anyhow::Result<()> {
    // COPY takes no bind parameters: quote the id as a literal (layer ids are [a-z0-9_-]
    // anyway, but a row written by hand may not be).
    let literal = layer.replace('\'', "''");
    let sql = format!(
        "COPY (SELECT id, geom, props FROM riskatlas_features WHERE layer = '{literal}') \
         TO STDOUT (FORMAT binary)"
    );
    let mut conn = pool.acquire().await?;
    let mut stream = conn.copy_out_raw(&sql).await?;
    let mut parser = super::copy::CopyBinary::default();
    let mut index = 0;
    while let Some(chunk) = stream.try_next().await? {
        parser.push(&chunk);
        let before = index;
        // Validated as the rows arrive, while the database sends the next ones.
        parser.rows(|[id, geom, props]: [Option<&[u8]>; 3]| {
            builder.push(raw_feature(index, id, geom, props));
            index += 1;
        })?;
        progress(Progress::Rows((index - before) as u64));
    }
    parser.finish()?;
    Ok(())
}

/// Rows per layer as the planner estimates them (`pg_stats` of the layer column times
/// the table's row estimate); empty when the table was never analysed.
async fn row_estimates(pool: &PgPool) -> anyhow::Result<std::collections::HashMap<String, u64>> {
    let total: f32 = sqlx::query_scalar(
        "SELECT reltuples FROM pg_class WHERE oid = 'riskatlas_features'::regclass",
    )
    .fetch_one(pool)
    .await
    .context("reading the table's size estimate")?;
    if total <= 0.0 {
        return Ok(Default::default());
    }
    let stats: Option<(Vec<String>, Vec<f32>)> = sqlx::query_as(
        "SELECT most_common_vals::text::text[], most_common_freqs FROM pg_stats
         WHERE schemaname = current_schema() AND tablename = 'riskatlas_features'
           AND attname = 'layer' AND most_common_vals IS NOT NULL",
    )
    .fetch_optional(pool)
    .await
    .context("reading the table's statistics")?;
    Ok(stats
        .map(|(layers, freqs)| {
            layers
                .into_iter()
                .zip(freqs)
                .map(|(layer, f)| (layer, (f * total) as u64))
                .collect()
        })
        .unwrap_or_default())
}

/// One COPY row (id text, geom EWKB, props binary jsonb) as a raw feature.
fn raw_feature(
    index: usize,
    id: Option<&[u8]>,
    geom: Option<&[u8]>,
    props: Option<&[u8]>,
) -> Result<RawFeature, Unreadable> {
    let id = id.map(|b| String::from_utf8_lossy(b).into_owned());
    let parsed = geom
        .ok_or_else(|| "no geometry".to_string())
        .and_then(ewkb_geometry)
        .and_then(|geometry| {
            // Binary jsonb is a version byte (1) and the JSON text.
            let props = match props {
                None => Vec::new(),
                Some([1, text @ ..]) => {
                    serde_json::from_slice::<PropList>(text)
                        .map_err(|e| format!("props: {e}"))?
                        .0
                }
                Some(_) => return Err("props: unknown jsonb binary version".to_string()),
            };
            Ok((geometry, props))
        });
    match parsed {
        Ok((geometry, props)) => Ok(RawFeature {
            index,
            id,
            geometry,
            props,
        }),
        Err(reason) => Err(Unreadable { index, id, reason }),
    }
}

/// A JSON object read straight into the reader's property list, in its order, without
/// building a map first (a third of the per-row allocations of a big load).
struct PropList(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for PropList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = PropList;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object of attributes")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<PropList, A::Error> {
                let mut props = Vec::with_capacity(map.size_hint().unwrap_or(4));
                while let Some(entry) = map.next_entry()? {
                    props.push(entry);
                }
                Ok(PropList(props))
            }
        }
        d.deserialize_map(Visit)
    }
}

/// PostGIS sends geometry as EWKB. Little-endian 2D points, nearly all of a big layer,
/// are read directly; everything else goes through geozero.
fn ewkb_geometry(bytes: &[u8]) -> Result<geo::Geometry<f64>, String> {
    const POINT: u32 = 1;
    const POINT_WITH_SRID: u32 = 0x2000_0001;
    if bytes.len() >= 21 && bytes[0] == 1 {
        let ty = u32::from_le_bytes(bytes[1..5].try_into().expect("4 bytes"));
        // byte order, type, [SRID,] x, y
        let at = match (ty, bytes.len()) {
            (POINT, 21) => Some(5),
            (POINT_WITH_SRID, 25) => Some(9),
            _ => None,
        };
        if let Some(at) = at {
            let x = f64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
            let y = f64::from_le_bytes(bytes[at + 8..at + 16].try_into().expect("8 bytes"));
            return Ok(geo::Geometry::Point(geo::Point::new(x, y)));
        }
    }
    Ewkb(bytes).to_geo().map_err(|e| format!("geometry: {e}"))
}

#[cfg(test)]
mod tests {
    /// EWKB written by hand (PostGIS `ST_AsEWKB` layout): the point fast path and the
    /// general path must agree with what the bytes say.
    #[test]
    fn ewkb_points_and_polygons_decode() {
        let mut point = vec![1u8];
        point.extend(0x2000_0001u32.to_le_bytes());
        point.extend(4326u32.to_le_bytes());
        point.extend(105.5f64.to_le_bytes());
        point.extend(34.25f64.to_le_bytes());
        assert_eq!(
            super::ewkb_geometry(&point).unwrap(),
            geo::Geometry::Point(geo::Point::new(105.5, 34.25))
        );
        let plain = [&point[..5], &point[9..]].concat();
        let mut plain = plain;
        plain[1..5].copy_from_slice(&1u32.to_le_bytes());
        assert_eq!(
            super::ewkb_geometry(&plain).unwrap(),
            geo::Geometry::Point(geo::Point::new(105.5, 34.25))
        );
        let mut polygon = vec![1u8];
        polygon.extend(0x2000_0003u32.to_le_bytes());
        polygon.extend(4326u32.to_le_bytes());
        polygon.extend(1u32.to_le_bytes()); // one ring
        polygon.extend(4u32.to_le_bytes()); // four points
        for (x, y) in [(0.0f64, 0.0f64), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)] {
            polygon.extend(x.to_le_bytes());
            polygon.extend(y.to_le_bytes());
        }
        let geo::Geometry::Polygon(p) = super::ewkb_geometry(&polygon).unwrap() else {
            panic!("a polygon")
        };
        assert_eq!(p.exterior().0.len(), 4);
        assert!(super::ewkb_geometry(&point[..20]).is_err());
    }

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("postgres://ops:s3cret@db:5432/atlas"),
            "postgres://ops:***@db:5432/atlas"
        );
        assert_eq!(
            super::redact("postgres://ops@127.0.0.1/atlas"),
            "postgres://ops@127.0.0.1/atlas"
        );
    }
}
