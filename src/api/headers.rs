//! Security headers on every response (tower-http's `SetResponseHeaderLayer`, so no
//! hand-written middleware), and what they allow:
//!
//! - `Content-Security-Policy`: scripts, styles, fonts and data from this server only;
//!   no inline script (the page has none: `web/index.html` loads `app.js` as a module
//!   and every handler is attached in JavaScript). MapLibre needs `worker-src blob:`
//!   for its tile workers and `img-src data: blob:` for sprites and canvas images.
//!   Inline *styles* stay allowed: the printable reports and cards carry their CSS in
//!   the page so that they print and save as one file, and a style cannot run code.
//!   `frame-ancestors 'none'` (with `X-Frame-Options: DENY` for older browsers) keeps
//!   another site from framing the map to trick a click.
//! - `X-Content-Type-Options: nosniff`: a GeoJSON or CSV answer is never run as script.
//! - `Referrer-Policy: no-referrer`: a scenario in a URL (`/report/impact?scenario=…`)
//!   does not leak to whatever a page links to.
//!
//! - `Strict-Transport-Security: max-age=31536000` only when the server speaks TLS
//!   itself (`--tls-cert`): a browser that reached it once over HTTPS then refuses
//!   plain HTTP to it for a year, so a forged `http://` link cannot strip TLS. Over
//!   plain HTTP browsers ignore the header; behind a TLS proxy, the proxy sets it.
//!
//! CORS stays off: no layer adds `Access-Control-Allow-Origin`, so a page on another
//! site cannot read answers; `access::require` refuses its state-changing requests.

use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// The page's content security policy (see the module doc for each source).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; worker-src 'self' blob:; \
     child-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Every security header, as (name, value).
pub const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
];

/// `Strict-Transport-Security` for a server that speaks TLS: a year, this host only
/// (other hosts of the bureau's domain may still be plain HTTP).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// `router` with the security headers on every response, and HSTS when `tls` (a
/// handler's own value of one wins: none sets any today).
pub fn secure(router: Router, tls: bool) -> Router {
    security_headers(tls).fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

/// Every security header a response carries: [`SECURITY_HEADERS`], and HSTS when `tls`.
fn security_headers(tls: bool) -> impl Iterator<Item = (HeaderName, &'static str)> {
    let hsts = tls.then_some((header::STRICT_TRANSPORT_SECURITY, STRICT_TRANSPORT_SECURITY));
    SECURITY_HEADERS.into_iter().chain(hsts)
}

/// What [`secure`] adds to a response, for one answered before the router
/// (`warm_tiles`): each header the response does not already carry.
pub fn add_security(headers: &mut HeaderMap, tls: bool) {
    for (name, value) in security_headers(tls) {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    }
}
