//! The OpenAPI document: valid by a validator no one here wrote, and complete — every
//! route the router declares (read from `src/api/mod.rs` itself, so a new route counts
//! the moment it is written) is in it with each of its methods.
// Test code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::{demo_app, get, repo_path};
use std::collections::BTreeSet;

/// (method, path) of every `.route(...)` in the router's source.
fn routes_in_router() -> BTreeSet<(String, String)> {
    let source = std::fs::read_to_string(repo_path("src/api/mod.rs")).unwrap();
    let mut routes = BTreeSet::new();
    for call in source.split(".route(").skip(1) {
        let Some(rest) = call.trim_start().strip_prefix('"') else {
            continue;
        };
        let path = &rest[..rest.find('"').unwrap()];
        // The handlers up to the next route: get(…).post(…) and so on.
        let handlers = &rest[..rest.find(".route").unwrap_or(rest.len())];
        for method in ["get", "post", "patch", "delete", "put"] {
            // `get(` as the method router, not as the end of a handler's name.
            let called = handlers
                .match_indices(&format!("{method}("))
                .any(|(at, _)| {
                    at == 0 || matches!(handlers.as_bytes()[at - 1], b' ' | b'(' | b'.' | b'\n')
                });
            if called {
                routes.insert((method.to_uppercase(), path.to_string()));
            }
        }
    }
    routes
}

#[tokio::test]
async fn every_route_is_in_the_document_and_it_validates() {
    let document = get(&demo_app(), "/api/openapi.json").await.ok_json();
    let routes = routes_in_router();
    assert!(
        routes.len() > 50,
        "the router's routes were not read: {routes:?}"
    );
    for (method, path) in &routes {
        let operation = &document["paths"][path][method.to_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {path} is not in the OpenAPI document"
        );
        assert!(
            !operation["summary"].as_str().unwrap().is_empty(),
            "{method} {path} has no summary"
        );
    }
    // Nothing in the document that the router does not serve.
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            assert!(
                routes.contains(&(method.to_uppercase(), path.clone())),
                "{method} {path} is documented but not routed"
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, document.to_string()).unwrap();
    let script = repo_path("tests/python/openapi_validate.py");
    let out = std::process::Command::new("python3")
        .args([script.to_str().unwrap(), file.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.trim() == "valid",
        "openapi-spec-validator (pip install openapi-spec-validator, scripts/install-deps): {said}{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The page lists every operation.
    let page = get(&demo_app(), "/api/docs").await;
    let html = String::from_utf8(page.body).unwrap();
    for (method, path) in &routes {
        let row = format!("<td><code>{method}</code></td><td><code>{path}</code></td>");
        assert!(html.contains(&row), "{method} {path} not on /api/docs");
    }
}
