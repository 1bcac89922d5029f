//! Where GDAL's own messages go (cargo feature `gdal`).
//!
//! By default GDAL prints every error to standard error (`ERROR 4: … not recognized as a
//! supported file format`, `ERROR 1: PROJ: … crs not found`), even when the caller
//! handles it: riskatlas turns each failed call into its own error naming the file and
//! what to do, so the raw line was a second, rawer copy that looked like a crash. GDAL
//! still keeps the last error for the call that failed (that is what the gdal crate's
//! errors carry), so its messages are routed into the log instead: failures at
//! `debug` (the caller reports them), warnings at `warn` (nobody else will).

use gdal::errors::CplErrType;

/// Installs the handler, once per process; call before any GDAL call.
pub fn route_to_log() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        gdal::config::set_error_handler(|class, code, message| match class {
            CplErrType::Warning => tracing::warn!(target: "riskatlas::gdal", code, "{message}"),
            CplErrType::None | CplErrType::Debug => {
                tracing::trace!(target: "riskatlas::gdal", code, "{message}")
            }
            CplErrType::Failure | CplErrType::Fatal => {
                tracing::debug!(target: "riskatlas::gdal", code, "{message}")
            }
        });
    });
}
