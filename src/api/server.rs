//! The accept loop `riskatlas serve` runs: connections with a cap, a header timeout,
//! TLS when asked for, and the graceful shutdown `axum::serve` gave.
//!
//! `axum::serve` has no connection cap and keeps hyper's defaults; probed, a client
//! sending half a header held its connection 75+ s, and 20,000 half-open connections
//! took RSS from 17 to 605 MB and made `/api/health` time out, with nothing logged. So:
//!
//! 1. a slot ([`tokio::sync::Semaphore`]) is taken *before* `accept`: beyond
//!    `max_connections`, new connections wait in the kernel's listen backlog (and are
//!    refused by the kernel when that is full) instead of costing a task and buffers
//!    each; reaching the cap is logged once per burst (a burst ends after 10 s below
//!    the cap), not once per connection;
//! 2. with `--tls-cert` (see [`super::tls`]), the TLS handshake must finish within
//!    [`ConnectionLimits::header_timeout`] too: hyper's timer only starts once there
//!    are bytes of HTTP to wait for, so without this a client that opens TCP and never
//!    sends a ClientHello would hold its slot forever;
//! 3. each connection is served by hyper's HTTP/1 server with `header_read_timeout`:
//!    hyper starts that timer whenever it waits for a request head, so it bounds both a
//!    slow header and an idle keep-alive connection (one timer, [`ConnectionLimits::header_timeout`]);
//! 4. a request body must arrive whole within [`ConnectionLimits::body_timeout`]
//!    (tower-http's `RequestBodyDeadline`, a hard deadline rather than an idle timer, so
//!    one byte every few seconds does not keep it open); `ApiJson` answers 408;
//! 5. a request head hyper refuses itself (too long an address, too large a head) is
//!    answered in JSON like every other error (see [`super::head_errors`]);
//! 6. on shutdown the loop stops accepting, asks every connection to finish the request
//!    it is serving and close, and waits for them, as `axum::serve` did; TLS handshakes
//!    still under way are dropped (measured: a silent client otherwise held a shutdown
//!    for the whole header timeout).
//!
//! hyper-util's `TowerToHyperService` and `GracefulShutdown` do the plumbing (the same
//! crates `axum::serve` is built on), so this file holds only the policy.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower_http::timeout::RequestBodyDeadline;

/// Connections served at once by default: far above what a bureau's staff open (a
/// browser keeps about six per server) and far below what exhausts memory or file
/// descriptors (each costs a task and about 16 KiB of buffers; `ulimit -n` is often 1024,
/// hence not more).
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// How long a client may take to send a request head, counted from when the server
/// starts waiting for it, which on a kept-alive connection includes the idle time before
/// the next request. Browsers send a head in one packet; 20 s spares slow links.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(20);

/// How long a request body may take to arrive whole: 8 MiB (the largest body) at
/// 2 Mbit/s, with room to spare.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// Connection-level limits of the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
    /// Time to receive a request head (and idle time between requests).
    pub header_timeout: Duration,
    /// Time to receive a request body whole.
    pub body_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> ConnectionLimits {
        ConnectionLimits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then drains connections;
/// over TLS through `tls` when given (see [`super::tls::load`]).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(super::head_errors::MAX_HEAD_BYTES)
        .keep_alive(true);
    let app = RequestBodyDeadline::new(app, limits.body_timeout);
    let graceful = GracefulShutdown::new();
    // Handshakes under way are dropped at shutdown rather than waited for: they have
    // no request to finish (graceful shutdown only covers watched HTTP connections).
    let (stop_handshakes, stopping) = tokio::sync::watch::channel(());
    let mut burst = Burst::default();
    tokio::pin!(shutdown);
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if burst.full(Instant::now()) {
                    tracing::warn!(
                        max_connections = limits.max_connections,
                        "connection cap reached: new connections wait in the listen backlog"
                    );
                }
                let slot = tokio::select! {
                    slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                    () = &mut shutdown => break,
                };
                // At the cap all the while it waited.
                burst.full(Instant::now());
                slot
            }
        };
        if let Some(lasted) = burst.freed(Instant::now()) {
            tracing::info!(
                "below the connection cap again; it was reached for {:.1} s",
                lasted.as_secs_f64()
            );
        }
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // Subscribed now, so a shutdown signalled from here on reaches this connection
        // even while its handshake is still under way.
        let watcher = graceful.watcher();
        let (http, app, tls) = (http.clone(), app.clone(), tls.clone());
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            match tls {
                None => connection(&http, stream, app, watcher).await,
                Some(tls) => tokio::select! {
                    secured = handshake(&tls, stream, limits.header_timeout) => {
                        if let Some(stream) = secured {
                            connection(&http, stream, app, watcher).await;
                        }
                    }
                    _ = stopping.changed() => {}
                },
            }
            drop(slot);
        });
    }
    drop(listener);
    let _ = stop_handshakes.send(());
    graceful.shutdown().await;
}

/// The service every connection runs: the router under the body deadline.
type App = RequestBodyDeadline<Router>;

/// Serves HTTP/1 on `io` until the client closes, a timeout ends it, or shutdown.
async fn connection<I>(http: &http1::Builder, io: I, app: App, watcher: Watcher)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = super::head_errors::JsonHeadErrors::new(io);
    let conn = http.serve_connection(TokioIo::new(io), TowerToHyperService::new(app));
    if let Err(e) = watcher.watch(conn).await {
        tracing::debug!("connection closed: {e}");
    }
}

/// The TLS handshake on `stream`, given `within` to finish; `None` (and the
/// connection dropped) when it fails or takes longer: plain HTTP sent to the TLS port,
/// a client that does not trust the certificate, or one that never says hello.
async fn handshake(
    tls: &TlsAcceptor,
    stream: TcpStream,
    within: Duration,
) -> Option<tokio_rustls::server::TlsStream<TcpStream>> {
    match tokio::time::timeout(within, tls.accept(stream)).await {
        Ok(Ok(stream)) => Some(stream),
        Ok(Err(e)) => {
            tracing::debug!("TLS handshake failed: {e}");
            None
        }
        Err(_) => {
            tracing::debug!(
                "no TLS handshake within {:.1} s: connection closed",
                within.as_secs_f64()
            );
            None
        }
    }
}

/// How long the loop must stay below its cap before a burst counts as over: slots
/// freed one by one by timeouts and taken again at once are one burst, logged once.
const BURST_QUIET: Duration = Duration::from_secs(10);

/// Whether the accept loop is in a burst at its cap, so that a burst is logged once.
#[derive(Debug, Default)]
struct Burst {
    /// When the burst began, and when the cap was last reached.
    since: Option<(Instant, Instant)>,
}

impl Burst {
    /// The cap is reached at `now`: true when this starts a burst (log it).
    fn full(&mut self, now: Instant) -> bool {
        match &mut self.since {
            Some((_, last)) => {
                *last = now;
                false
            }
            None => {
                self.since = Some((now, now));
                true
            }
        }
    }

    /// A connection is taken at `now`: how long the burst lasted, when this ends one
    /// (the cap not reached for [`BURST_QUIET`]).
    fn freed(&mut self, now: Instant) -> Option<Duration> {
        match self.since {
            Some((start, last)) if now.duration_since(last) >= BURST_QUIET => {
                self.since = None;
                Some(last.duration_since(start))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_at_the_cap_is_reported_once_until_the_cap_is_left_alone() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut burst = Burst::default();
        assert_eq!(burst.freed(at(0)), None);
        assert!(burst.full(at(1)));
        // Slots freed by timeouts and taken again within the quiet time: one burst.
        assert_eq!(burst.freed(at(5)), None);
        assert!(!burst.full(at(6)));
        assert_eq!(burst.freed(at(15)), None);
        assert!(!burst.full(at(20)));
        // Quiet for 10 s: the burst, from 1 s to 20 s, is over.
        assert_eq!(burst.freed(at(30)), Some(Duration::from_secs(19)));
        assert_eq!(burst.freed(at(31)), None);
        assert!(burst.full(at(40)));
    }
}
