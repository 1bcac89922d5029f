//! Vector tiles: tile math, clipping, MVT encoding and the tile cache.
//!
//! [`render::render_tile`] is pure (layers and a coordinate in, bytes out); the cache
//! and HTTP concerns (gzip, ETag) sit in [`cache`] so the API handler stays thin.

pub mod cache;
pub mod clip;
pub mod coord;
pub mod estimate;
mod frame;
pub mod generalise;
mod low_zoom;
pub mod mbtiles;
pub mod mvt;
pub mod pack;
mod project;
pub mod render;
mod simplify;

pub use cache::{TileBody, TileCache};
pub use coord::{TileCoord, TileCoordError};
pub use low_zoom::{cluster_layer_name, cluster_vector_layer};
pub use render::{TileOptions, features_in_tile, render_tile};
