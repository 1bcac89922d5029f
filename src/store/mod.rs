//! Where the atlas is kept between runs. The data folder (files plus the edit log, see
//! [`crate::import`] and [`crate::edits`]) is the embedded default; [`postgis`] is the
//! store a bureau runs in production (cargo feature `postgis`, on by default).

#[cfg(feature = "postgis")]
pub mod copy;
#[cfg(feature = "postgis")]
pub mod postgis;
