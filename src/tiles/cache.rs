//! The tile cache: encoded tiles with their gzip form and ETag, under a byte budget.
//!
//! `quick_cache` gives a concurrent cache with weighted (byte) eviction and a
//! get-or-insert that lets one request render a tile while others wait for it, so a
//! burst of requests for a cold tile renders it once.
//!
//! An edit does not empty the cache. Each entry remembers the atlas generation it was
//! drawn from and the newest generation it is known to be good for; a request from a
//! newer generation asks the snapshot journal whether any edit since touched the tile
//! ([`crate::service::snapshot::Snapshots::unchanged`]: the edited layer, the old and
//! new geometry's box). Untouched, the entry is marked good for the new generation and
//! served; touched, it is drawn again. Checking on read rather than purging on write
//! also covers a tile whose drawing began before an edit and was stored after it.

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use quick_cache::Weighter;
use quick_cache::sync::Cache;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// An encoded tile as served: raw MVT bytes, their gzip, and a strong ETag.
/// An empty body means "no features" (HTTP 204).
#[derive(Debug)]
pub struct TileBody {
    /// The encoded tile.
    pub raw: Bytes,
    /// `raw` gzipped, made by the first request that accepts gzip: a tile drawn for a
    /// client that does not (or with the cache off, for one that does not) is never
    /// compressed for nothing.
    gzip: OnceLock<Bytes>,
    /// A strong ETag, quoted: a hash of `raw` and its length.
    pub etag: String,
}

impl TileBody {
    /// The body of the encoded tile `raw`, its ETag made once.
    pub fn new(raw: Vec<u8>) -> TileBody {
        // SipHash with fixed keys: the same tile bytes give the same ETag on every server.
        let mut h = std::hash::DefaultHasher::new();
        raw.hash(&mut h);
        let etag = format!("\"{:016x}-{:x}\"", h.finish(), raw.len());
        TileBody {
            raw: Bytes::from(raw),
            gzip: OnceLock::new(),
            etag,
        }
    }

    /// `raw` gzipped (empty when `raw` is), made on first use and kept.
    pub fn gzip(&self) -> &Bytes {
        self.gzip.get_or_init(|| {
            if self.raw.is_empty() {
                Bytes::new()
            } else {
                Bytes::from(gzip(&self.raw))
            }
        })
    }

    /// Whether [`Self::gzip`] would answer without compressing.
    pub fn has_gzip(&self) -> bool {
        self.gzip.get().is_some()
    }

    /// Whether the tile has no feature (served as 204 No Content).
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
}

pub(super) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 2), Compression::fast());
    enc.write_all(data).expect("writing to a Vec cannot fail");
    enc.finish().expect("writing to a Vec cannot fail")
}

/// What identifies a cached tile. The atlas generation is not part of it: entries
/// outlive edits that do not touch them (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TileKey {
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

/// A [`TileKey`] of borrowed parts: a tile looked up without building its key (the
/// warm tile path, `TileCache::fresh`). Its fields hash in the key's order and as the
/// key's, so it finds the entry the key would.
#[derive(Debug, Clone, Copy, Hash)]
pub struct TileKeyRef<'a> {
    /// Normalised comma-joined layer ids.
    pub layers: &'a str,
    /// Zoom.
    pub z: u8,
    /// Column.
    pub x: u32,
    /// Row, from the north.
    pub y: u32,
    /// How personal fields are drawn.
    pub disclosure: crate::atlas::Disclosure,
    /// The jurisdiction's admin codes joined (empty: everything).
    pub scope: &'a str,
}

impl quick_cache::Equivalent<TileKey> for TileKeyRef<'_> {
    fn equivalent(&self, key: &TileKey) -> bool {
        *self.layers == *key.layers
            && (self.z, self.x, self.y) == (key.z, key.x, key.y)
            && self.disclosure == key.disclosure
            && *self.scope == *key.scope
    }
}

impl TileKeyRef<'_> {
    /// The key these parts make.
    pub fn owned(self) -> TileKey {
        TileKey {
            layers: self.layers.into(),
            z: self.z,
            x: self.x,
            y: self.y,
            disclosure: self.disclosure,
            scope: self.scope.into(),
        }
    }
}

impl TileKey {
    /// The key as borrowed parts.
    pub fn borrowed(&self) -> TileKeyRef<'_> {
        TileKeyRef {
            layers: &self.layers,
            z: self.z,
            x: self.x,
            y: self.y,
            disclosure: self.disclosure,
            scope: &self.scope,
        }
    }
}

/// A cached tile and the generations it is good for.
struct Entry {
    body: Arc<TileBody>,
    /// The newest atlas generation this tile is known to be right for.
    good_through: AtomicU64,
}

#[derive(Clone)]
struct ByteWeighter;

impl Weighter<TileKey, Arc<Entry>> for ByteWeighter {
    fn weight(&self, key: &TileKey, entry: &Arc<Entry>) -> u64 {
        let body = &entry.body;
        // The gzip is counted as half the raw bytes, made or not (a weight cannot change
        // once the entry is in); the key and bookkeeping too, so empty tiles are not free.
        (body.raw.len() * 3 / 2 + key.layers.len() + key.scope.len() + 112) as u64
    }
}

/// Whether a cached tile was served as it was, checked against edits, or drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Served from the cache.
    Hit,
    /// Drawn now (absent, or touched by an edit since it was drawn).
    Miss,
}

impl CacheOutcome {
    /// As the `X-Tile-Cache` header says it.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Miss => "miss",
        }
    }
}

/// A byte-budgeted tile cache shared by all requests.
pub struct TileCache {
    cache: Cache<TileKey, Arc<Entry>, ByteWeighter>,
    /// A budget of 0 (`--tile-cache-mb 0`, for benchmarks of cold tiles): every tile is
    /// drawn for its request.
    off: bool,
}

impl TileCache {
    /// A cache holding at most about `budget_bytes` of tiles (0: no cache).
    pub fn new(budget_bytes: u64) -> TileCache {
        // Estimated item count only sizes internal tables; assume ~8 KB per tile.
        let items = (budget_bytes / 8192).clamp(16, 1 << 20) as usize;
        TileCache {
            cache: Cache::with_weighter(items, budget_bytes.max(1), ByteWeighter),
            off: budget_bytes == 0,
        }
    }

    /// The cached tile for atlas `generation`, when one is held and known good through
    /// that generation: the fast path, cheap enough for a request to take on its own
    /// async thread before it hands a miss to a worker thread (`get_or_render`). An
    /// entry older than `generation` is left to `get_or_render`, which asks whether an
    /// edit since touched it.
    pub fn fresh(&self, key: TileKeyRef<'_>, generation: u64) -> Option<Arc<TileBody>> {
        if self.off {
            return None;
        }
        let entry = self.cache.get(&key)?;
        (entry.good_through.load(Ordering::Acquire) >= generation).then(|| entry.body.clone())
    }

    /// The tile for atlas `generation`: cached, or rendered (once, even under concurrent
    /// requests) and cached. `unchanged(since)` says whether no edit after generation
    /// `since`, up to `generation`, touched this tile.
    pub fn get_or_render(
        &self,
        key: TileKey,
        generation: u64,
        unchanged: impl Fn(u64) -> bool,
        render: impl Fn() -> Vec<u8>,
    ) -> (Arc<TileBody>, CacheOutcome) {
        if self.off {
            return (Arc::new(TileBody::new(render())), CacheOutcome::Miss);
        }
        for _ in 0..3 {
            let mut drawn = false;
            let entry = match self.cache.get_or_insert_with(&key, || {
                drawn = true;
                Ok::<_, std::convert::Infallible>(Arc::new(Entry {
                    body: Arc::new(TileBody::new(render())),
                    good_through: AtomicU64::new(generation),
                }))
            }) {
                Ok(entry) => entry,
                Err(never) => match never {},
            };
            let outcome = if drawn {
                CacheOutcome::Miss
            } else {
                CacheOutcome::Hit
            };
            let good_through = entry.good_through.load(Ordering::Acquire);
            if good_through >= generation || unchanged(good_through) {
                entry.good_through.fetch_max(generation, Ordering::AcqRel);
                return (entry.body.clone(), outcome);
            }
            // Touched by an edit since: drop this entry (not a newer one another
            // request just stored) and draw again.
            self.cache.remove_if(&key, |e| Arc::ptr_eq(e, &entry));
        }
        // Three rounds lost to edits landing meanwhile: draw it for this request alone.
        (Arc::new(TileBody::new(render())), CacheOutcome::Miss)
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
            layers: "a".into(),
            z: 10,
            x,
            y: 0,
            disclosure: crate::atlas::Disclosure::Full,
            scope: "".into(),
        }
    }

    #[test]
    fn a_borrowed_key_hashes_and_compares_as_its_key() {
        use quick_cache::Equivalent;
        use std::hash::BuildHasher;
        let hasher = std::collections::hash_map::RandomState::new();
        let key = TileKey {
            layers: "villages,roads".into(),
            scope: "620521,620522".into(),
            disclosure: crate::atlas::Disclosure::Masked,
            ..key(7)
        };
        let borrowed = TileKeyRef {
            layers: "villages,roads",
            z: 10,
            x: 7,
            y: 0,
            disclosure: crate::atlas::Disclosure::Masked,
            scope: "620521,620522",
        };
        assert_eq!(hasher.hash_one(&key), hasher.hash_one(borrowed));
        assert!(borrowed.equivalent(&key));
        for other in [
            TileKeyRef {
                layers: "villages",
                ..borrowed
            },
            TileKeyRef { y: 1, ..borrowed },
            TileKeyRef {
                disclosure: crate::atlas::Disclosure::Full,
                ..borrowed
            },
            TileKeyRef {
                scope: "",
                ..borrowed
            },
        ] {
            assert!(!other.equivalent(&key), "{other:?}");
        }
    }

    #[test]
    fn a_cached_tile_is_rendered_once() {
        let cache = TileCache::new(1 << 20);
        let renders = std::cell::Cell::new(0);
        for _ in 0..3 {
            cache.get_or_render(
                key(1),
                0,
                |_| true,
                || {
                    renders.set(renders.get() + 1);
                    vec![1, 2, 3]
                },
            );
        }
        assert_eq!(renders.get(), 1);
    }

    #[test]
    fn the_cache_stays_within_its_byte_budget() {
        let cache = TileCache::new(100_000);
        for x in 0..200 {
            cache.get_or_render(key(x), 0, |_| true, || vec![7u8; 5_000]);
        }
        assert!(cache.weight() <= 100_000, "weight {}", cache.weight());
        assert!(cache.len() < 200);
    }

    #[test]
    fn an_edit_redraws_only_the_tiles_it_touched() {
        let cache = TileCache::new(1 << 20);
        let draws = std::cell::Cell::new(0);
        let draw = || {
            draws.set(draws.get() + 1);
            vec![draws.get() as u8]
        };
        cache.get_or_render(key(1), 0, |_| true, draw);
        cache.get_or_render(key(2), 0, |_| true, draw);
        // Generation 1 touched tile 2 only.
        let touched = |x: u32| move |since: u64| since >= 1 || x != 2;
        let (_, one) = cache.get_or_render(key(1), 1, touched(1), draw);
        let (_, two) = cache.get_or_render(key(2), 1, touched(2), draw);
        assert_eq!((one, two), (CacheOutcome::Hit, CacheOutcome::Miss));
        assert_eq!(draws.get(), 3);
        // Both now known good for generation 1: no further check, no redraw.
        let (_, again) = cache.get_or_render(key(2), 1, |_| false, draw);
        assert_eq!(again, CacheOutcome::Hit);
        assert_eq!(draws.get(), 3);
    }

    #[test]
    fn only_a_tile_known_good_through_the_generation_is_fresh() {
        let cache = TileCache::new(1 << 20);
        assert!(
            cache.fresh(key(1).borrowed(), 0).is_none(),
            "nothing held yet"
        );
        cache.get_or_render(key(1), 3, |_| true, || vec![9]);
        assert_eq!(
            cache.fresh(key(1).borrowed(), 3).map(|b| b.raw.to_vec()),
            Some(vec![9])
        );
        assert!(
            cache.fresh(key(1).borrowed(), 2).is_some(),
            "an older generation is covered too"
        );
        // After an edit (generation 4) the entry may be stale: get_or_render decides.
        assert!(cache.fresh(key(1).borrowed(), 4).is_none());
        cache.get_or_render(key(1), 4, |_| true, || vec![0]);
        assert!(
            cache.fresh(key(1).borrowed(), 4).is_some(),
            "checked unchanged through 4"
        );
        let off = TileCache::new(0);
        off.get_or_render(key(1), 0, |_| true, || vec![9]);
        assert!(
            off.fresh(key(1).borrowed(), 0).is_none(),
            "a cache switched off holds nothing"
        );
    }

    #[test]
    fn gzip_round_trips_and_etags_follow_content() {
        use std::io::Read;
        let body = TileBody::new(b"hello tiles hello tiles".to_vec());
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&body.gzip()[..])
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
