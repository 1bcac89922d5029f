//! How riskatlas logs: to standard error, at `info` for riskatlas itself unless
//! `RUST_LOG` says otherwise, with colour only when standard error is a terminal (and
//! `NO_COLOR` is unset), so a log file or a CI transcript holds no escape codes; and
//! durations as milliseconds rounded to a tenth (`ms=3.2`, not `ms=3.2183410000000003`).

use std::io::IsTerminal as _;
use std::time::Duration;

/// The filter when `RUST_LOG` is unset: riskatlas's own lines, including the request
/// log (`api::request_log`), and only warnings from the libraries.
pub const DEFAULT_FILTER: &str = "riskatlas=info,warn";

/// Installs the subscriber; call once, first thing in `main`.
pub fn init() {
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| DEFAULT_FILTER.into()),
        )
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .init();
}

/// `elapsed` in milliseconds, rounded to a tenth, for a log field.
pub fn millis(elapsed: Duration) -> f64 {
    (elapsed.as_secs_f64() * 1e4).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_print_with_one_decimal_at_most() {
        assert_eq!(millis(Duration::from_nanos(56_384)).to_string(), "0.1");
        assert_eq!(
            millis(Duration::from_micros(3_218_341)).to_string(),
            "3218.3"
        );
        assert_eq!(millis(Duration::from_micros(20)).to_string(), "0");
    }
}
