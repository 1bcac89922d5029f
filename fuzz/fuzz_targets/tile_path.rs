//! Any path under /tiles/ (and a few API paths) through the router: a 4xx or a tile,
//! never a 5xx or a panic.
#![no_main]
use axum::body::Body;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tower::ServiceExt;

fn app() -> &'static (tokio::runtime::Runtime, axum::Router) {
    static APP: OnceLock<(tokio::runtime::Runtime, axum::Router)> = OnceLock::new();
    APP.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
        let atlas = riskatlas_fuzz::demo().clone();
        let state = riskatlas::api::AppState::new(atlas, Default::default());
        (runtime, riskatlas::api::router(state))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(tail) = std::str::from_utf8(data) else { return };
    let prefixes = ["/tiles/", "/api/layers/", "/tiles/impact/"];
    let prefix = prefixes[tail.len() % prefixes.len()];
    let Ok(request) = Request::get(format!("{prefix}{tail}")).body(Body::empty()) else { return };
    let (runtime, router) = app();
    let response = runtime
        .block_on(router.clone().oneshot(request))
        .expect("the router never fails");
    assert!(!response.status().is_server_error(), "{prefix}{tail}: {}", response.status());
});
