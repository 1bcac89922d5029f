//! The tile cache: encoded tiles with their gzip form and ETag, under a byte budget.
//!
//! `quick_cache` gives a concurrent cache with weighted (byte) eviction and a
//! get-or-insert that lets one request render a tile while others wait for it, so a
//! burst of requests for a cold tile renders it once. Keys carry the atlas generation:
//! when data changes, old entries simply stop being asked for and age out.

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::sync::Arc;

/// An encoded tile as served: raw MVT bytes, their gzip, and a strong ETag.
/// An empty body means "no features" (HTTP 204).
#[derive(Debug)]
pub struct TileBody {
    /// The encoded tile.
    pub raw: Bytes,
    /// `raw` gzipped, for clients that accept it (empty when `raw` is).
    pub gzip: Bytes,
    /// A strong ETag, quoted: a hash of `raw` and its length.
    pub etag: String,
}

impl TileBody {
    /// The body of the encoded tile `raw`, its gzip and ETag made once.
    pub fn new(raw: Vec<u8>) -> TileBody {
        let gzip = if raw.is_empty() {
            Bytes::new()
        } else {
            Bytes::from(gzip(&raw))
        };
        // SipHash with fixed keys: the same tile bytes give the same ETag on every server.
        let mut h = std::hash::DefaultHasher::new();
        raw.hash(&mut h);
        let etag = format!("\"{:016x}-{:x}\"", h.finish(), raw.len());
        TileBody {
            raw: Bytes::from(raw),
            gzip,
            etag,
        }
    }

    /// Whether the tile has no feature (served as 204 No Content).
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 2), Compression::fast());
    enc.write_all(data).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

/// What identifies a cached tile.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
    /// The atlas generation the tile was drawn from (bumped by every edit), so no
    /// stale tile is served.
    pub generation: u64,
    /// Normalised comma-joined layer ids.
    pub layers: Arc<str>,
    /// Zoom.
    pub z: u8,
    /// Column.
    pub x: u32,
    /// Row, from the north.
    pub y: u32,
    /// How personal fields are drawn: a masked tile and a full one are different tiles.
    pub disclosure: crate::atlas::Disclosure,
    /// The jurisdiction it was cut for (its admin codes joined; empty: everything), so
    /// no tile is served across scopes.
    pub scope: Arc<str>,
}

#[derive(Clone)]
struct ByteWeighter;

impl Weighter<TileKey, Arc<TileBody>> for ByteWeighter {
    fn weight(&self, key: &TileKey, body: &Arc<TileBody>) -> u64 {
        // Count the key and bookkeeping too, so empty tiles are not free.
        (body.raw.len() + body.gzip.len() + key.layers.len() + key.scope.len() + 96) as u64
    }
}

/// A byte-budgeted tile cache shared by all requests.
pub struct TileCache {
    cache: Cache<TileKey, Arc<TileBody>, ByteWeighter>,
}

impl TileCache {
    /// A cache holding at most about `budget_bytes` of tiles.
    pub fn new(budget_bytes: u64) -> TileCache {
        // Estimated item count only sizes internal tables; assume ~8 KB per tile.
        let items = (budget_bytes / 8192).clamp(16, 1 << 20) as usize;
        TileCache {
            cache: Cache::with_weighter(items, budget_bytes.max(1), ByteWeighter),
        }
    }

    /// The cached tile, or renders it (once, even under concurrent requests) and caches it.
    pub fn get_or_render(&self, key: TileKey, render: impl FnOnce() -> Vec<u8>) -> Arc<TileBody> {
        match self.cache.get_or_insert_with(&key, || {
            Ok::<_, std::convert::Infallible>(Arc::new(TileBody::new(render())))
        }) {
            Ok(body) => body,
            Err(never) => match never {},
        }
    }

    /// The bytes held, as the budget counts them.
    pub fn weight(&self) -> u64 {
        self.cache.weight()
    }

    /// The number of tiles held.
    pub fn len(&self) -> usize {
        self.cache.len()
    }

    /// Whether no tile is held.
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }

    /// Drops every tile.
    pub fn clear(&self) {
        self.cache.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(x: u32) -> TileKey {
        TileKey {
            generation: 0,
            layers: "a".into(),
            z: 10,
            x,
            y: 0,
            disclosure: crate::atlas::Disclosure::Full,
            scope: "".into(),
        }
    }

    #[test]
    fn a_cached_tile_is_rendered_once() {
        let cache = TileCache::new(1 << 20);
        let mut renders = 0;
        for _ in 0..3 {
            cache.get_or_render(key(1), || {
                renders += 1;
                vec![1, 2, 3]
            });
        }
        assert_eq!(renders, 1);
    }

    #[test]
    fn the_cache_stays_within_its_byte_budget() {
        let cache = TileCache::new(100_000);
        for x in 0..200 {
            cache.get_or_render(key(x), || vec![7u8; 5_000]);
        }
        assert!(cache.weight() <= 100_000, "weight {}", cache.weight());
        assert!(cache.len() < 200);
    }

    #[test]
    fn gzip_round_trips_and_etags_follow_content() {
        use std::io::Read;
        let body = TileBody::new(b"hello tiles hello tiles".to_vec());
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body.gzip[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"hello tiles hello tiles");
        assert_eq!(
            body.etag,
            TileBody::new(b"hello tiles hello tiles".to_vec()).etag
        );
        assert_ne!(body.etag, TileBody::new(b"other".to_vec()).etag);
    }
}
