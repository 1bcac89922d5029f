//! The warm tile path: a tile the cache holds, answered before the router.
//!
//! A map view asks for dozens of tiles a second, and most are in the cache. Through the
//! router, each passed the request log, the four security-header layers, route
//! matching and percent-decoding, the access and limits middleware (each a boxed
//! future) and the handler's extractors (the header map copied whole) on its way to a
//! cache lookup of a microsecond; measured (`benches/tiles_vs_martin.sh`), that way
//! answered 0.715× the requests a bare handler sending the same response did.
//!
//! [`WarmTiles`] stands in front of the router and answers a request itself only when
//! it gives what the router would:
//!
//! - a `GET /tiles/{ids}/{z}/{x}/{y}` whose path has no percent-escape and no query
//!   (the router would decode the first, and the second is ignored by both, but a
//!   plain path is what a map asks for);
//! - admitted by the same checks as `access::require` (`access::checked`,
//!   `access::admitted`: host, the route's rule in `access::RULES`, who asks); a token
//!   not yet verified, whose argon2 hash is slow by design, goes the router's way;
//! - a tile `tiles::from_cache` finds fresh for the atlas the reader's view holds, in
//!   the encoding asked for, answered by the tile handler's own `respond`, with the
//!   headers `headers::secure` and the router add and the line `request_log::log`
//!   writes.
//!
//! Anything else (a miss, a refusal, a bad request, another route) goes on to the
//! router, untouched, which answers it as it always has. `tests/warm_tiles.rs` asks
//! the same tiles both ways, as users of every role, and compares the answers.

use super::{AppState, access, headers, request_log, tiles};
use axum::Router;
use axum::body::Body;
use axum::body::HttpBody as _;
use axum::http::{HeaderValue, Method, Request, header};
use axum::response::Response;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use tower_service::Service;

/// The route pattern the warm path answers for, as `api::router` and
/// `access::RULES` name it.
pub const TILE_ROUTE: &str = "/tiles/{ids}/{z}/{x}/{y}";

/// The router, with cached tiles answered in front of it (see the module doc).
#[derive(Clone)]
pub struct WarmTiles {
    state: AppState,
    router: Router,
}

impl WarmTiles {
    /// `router` (all routes, with their middleware), behind the warm tile path over
    /// `state`'s tile cache.
    pub fn new(state: AppState, router: Router) -> WarmTiles {
        WarmTiles { state, router }
    }
}

impl Service<Request<Body>> for WarmTiles {
    type Response = Response;
    type Error = Infallible;
    type Future = Answer;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<Request<Body>>::poll_ready(&mut self.router, cx)
    }

    fn call(&mut self, request: Request<Body>) -> Answer {
        let started = Instant::now();
        match answer(&self.state, &request) {
            Some(response) => {
                request_log::tile_answered(
                    request.method(),
                    request.uri(),
                    response.status(),
                    started,
                );
                Answer::Cached(Some(response))
            }
            None => Answer::Routed(self.router.call(request)),
        }
    }
}

/// The cached answer to `request`, when the warm path gives one.
fn answer(state: &AppState, request: &Request<Body>) -> Option<Response> {
    let method = request.method();
    if method != Method::GET || request.uri().query().is_some() {
        return None;
    }
    let segments = tile_segments(request.uri().path())?;
    let headers = request.headers();
    let asked = access::checked(state, method, TILE_ROUTE, None, headers).ok()?;
    if state.access().needs_hashing(asked.authorization) {
        return None;
    }
    let identified = state.access().identify(asked.authorization, asked.cookie);
    let proof = access::admitted(asked.needed, identified, method, TILE_ROUTE, headers).ok()?;
    let mut response = tiles::from_cache(state, &proof.identity, segments, headers)?;
    headers::add_security(response.headers_mut(), state.tls());
    // What axum's router adds to every answer whose body has a known length.
    if let Some(length) = response.body().size_hint().exact() {
        response
            .headers_mut()
            .entry(header::CONTENT_LENGTH)
            .or_insert_with(|| HeaderValue::from(length));
    }
    Some(response)
}

/// `[ids, z, x, y]` of a path `/tiles/{ids}/{z}/{x}/{y}`, when the router would pass
/// them as they stand: no segment empty or percent-escaped, and not a scenario's tile
/// (`/tiles/impact/…`, its own route).
fn tile_segments(path: &str) -> Option<[&str; 4]> {
    let rest = path.strip_prefix("/tiles/")?;
    if rest.contains('%') {
        return None;
    }
    let mut parts = rest.split('/');
    let segments = [parts.next()?, parts.next()?, parts.next()?, parts.next()?];
    let plain =
        parts.next().is_none() && segments[0] != "impact" && segments.iter().all(|s| !s.is_empty());
    plain.then_some(segments)
}

/// [`WarmTiles`]'s future: the cached answer, or the router's.
pub enum Answer {
    Cached(Option<Response>),
    Routed(<Router as Service<Request<Body>>>::Future),
}

impl Future for Answer {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Answer::Cached(response) => {
                Poll::Ready(Ok(response.take().expect("a cached answer is polled once")))
            }
            Answer::Routed(routed) => Pin::new(routed).poll(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_tile_paths_are_taken() {
        assert_eq!(
            tile_segments("/tiles/villages,roads/12/3262/1603"),
            Some(["villages,roads", "12", "3262", "1603"])
        );
        assert_eq!(
            tile_segments("/tiles/villages/12/3262/1603.mvt"),
            Some(["villages", "12", "3262", "1603.mvt"])
        );
        for path in [
            "/tiles/villages/12/3262",
            "/tiles/villages/12/3262/1603/",
            "/tiles/villages/12/3262/1603/7",
            "/tiles//12/3262/1603",
            "/tiles/%E7%BC%96/12/3262/1603",
            "/tiles/impact/12/3262/1603",
            "/api/layers/villages/12/3262/1603",
        ] {
            assert_eq!(tile_segments(path), None, "{path}");
        }
    }

    #[test]
    fn the_tile_route_has_a_rule_and_is_not_heavy() {
        assert!(access::rule(&Method::GET, TILE_ROUTE).is_some());
        assert!(
            !super::super::limits::HEAVY_ROUTES
                .iter()
                .any(|(_, p)| *p == TILE_ROUTE),
            "a heavy route takes a slot in limits::heavy, which the warm path does not"
        );
    }
}
