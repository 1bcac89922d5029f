//! The OpenAPI 3 document of the whole HTTP API, `GET /api/openapi.json`, and a page
//! rendering it, `GET /api/docs`.
//!
//! Generated from the code, not kept beside it: every operation is a rule of
//! `access::RULES` (the table `access::require` refuses any route without), so its
//! method, path, path parameters and who may call it come from there; only the
//! one-line summaries below are words. `tests/openapi.rs` fails when a route of
//! `router` is missing from the document, and validates the document with
//! openapi-spec-validator. Request and answer bodies are described in the README, not
//! yet as schemas.

use super::access::{Need, RULES};
use axum::Json;
use axum::response::Html;
use serde_json::{Map, Value, json};

/// What each operation does, by (method, path).
const SUMMARIES: &[(&str, &str, &str)] = &[
    (
        "GET",
        "/api/health",
        "Liveness, what is loaded, replica lag",
    ),
    (
        "GET",
        "/api/palette",
        "The warning colours the page draws with",
    ),
    (
        "GET",
        "/api/labels",
        "Chinese and English labels of attributes and codes",
    ),
    ("GET", "/api/openapi.json", "This document"),
    ("GET", "/api/docs", "This document as a page"),
    ("GET", "/api/session", "Who is signed in"),
    ("POST", "/api/session", "Sign in with a name and password"),
    ("DELETE", "/api/session", "Sign out"),
    ("GET", "/style.json", "The MapLibre style of the atlas"),
    ("GET", "/ogc", "OGC API landing page"),
    ("GET", "/ogc/conformance", "OGC API conformance classes"),
    (
        "GET",
        "/ogc/collections",
        "OGC API: the layers as collections",
    ),
    ("GET", "/ogc/collections/{id}", "OGC API: one collection"),
    (
        "GET",
        "/ogc/collections/{id}/items",
        "OGC API: a page of features",
    ),
    (
        "GET",
        "/ogc/collections/{id}/items/{fid}",
        "OGC API: one feature by its stable id",
    ),
    (
        "GET",
        "/ogc/collections/{id}/queryables",
        "OGC API: the properties filters may name",
    ),
    (
        "GET",
        "/ogc/tileMatrixSets",
        "OGC API Tiles: the tile matrix sets",
    ),
    (
        "GET",
        "/ogc/tileMatrixSets/{id}",
        "OGC API Tiles: WebMercatorQuad in full",
    ),
    (
        "GET",
        "/ogc/tiles",
        "OGC API Tiles: the tilesets of every layer",
    ),
    (
        "GET",
        "/ogc/tiles/{set}",
        "OGC API Tiles: the tileset of every layer",
    ),
    (
        "GET",
        "/ogc/tiles/{set}/{z}/{row}/{col}",
        "OGC API Tiles: a tile of every layer",
    ),
    (
        "GET",
        "/ogc/collections/{id}/tiles",
        "OGC API Tiles: a layer's tilesets",
    ),
    (
        "GET",
        "/ogc/collections/{id}/tiles/{set}",
        "OGC API Tiles: a layer's tileset",
    ),
    (
        "GET",
        "/ogc/collections/{id}/tiles/{set}/{z}/{row}/{col}",
        "OGC API Tiles: a layer's tile",
    ),
    ("GET", "/api/layers", "The layer catalogue"),
    (
        "GET",
        "/api/report",
        "The load report: every refused and repaired feature",
    ),
    ("GET", "/api/layers/{id}", "A layer's TileJSON"),
    (
        "GET",
        "/api/layers/{id}/features",
        "Features as GeoJSON, by bbox and where filter",
    ),
    ("POST", "/api/layers/{id}/features", "Add a feature"),
    (
        "GET",
        "/api/layers/{id}/features/{fid}",
        "One feature by its stable id",
    ),
    (
        "PATCH",
        "/api/layers/{id}/features/{fid}",
        "Change a feature's attributes or geometry",
    ),
    (
        "DELETE",
        "/api/layers/{id}/features/{fid}",
        "Delete a feature",
    ),
    (
        "GET",
        "/api/layers/{id}/fid/{fid}",
        "The feature a vector tile numbers fid",
    ),
    ("GET", "/api/edits", "The edit history"),
    (
        "GET",
        "/api/audit",
        "The access audit: who read whose contacts",
    ),
    (
        "GET",
        "/tiles/{ids}/{z}/{x}/{y}",
        "A vector tile of one or more layers",
    ),
    (
        "GET",
        "/api/pack",
        "A map pack (PMTiles or MBTiles) for working offline",
    ),
    (
        "GET",
        "/tiles/impact/{key}/{z}/{x}/{y}",
        "A vector tile of an analysed scenario",
    ),
    ("POST", "/api/impact", "Who is affected by a scenario"),
    ("GET", "/report/impact", "The printable impact report"),
    ("POST", "/api/evacuation", "Where they evacuate: the plan"),
    (
        "GET",
        "/cards/evacuation",
        "Printable village and shelter cards",
    ),
    (
        "POST",
        "/api/compare",
        "One request on two versions of the data",
    ),
    ("POST", "/api/drills", "Candidate drills ranked"),
    ("POST", "/api/drills/records", "Record a drill held"),
    ("GET", "/cards/drill", "A drill's printable card"),
    (
        "POST",
        "/api/warnings",
        "A warning's audience, previewed or issued",
    ),
    ("GET", "/api/warnings", "The warnings issued"),
    (
        "GET",
        "/api/warnings/{id}",
        "A warning and how its calls stand",
    ),
    ("POST", "/api/warnings/{id}/acks", "Answer a warning's call"),
    ("POST", "/api/warnings/{id}/cancel", "Cancel a warning"),
    ("POST", "/api/warnings/{id}/update", "Update a warning"),
    ("GET", "/cards/calls", "Printable call sheets of a warning"),
    (
        "GET",
        "/sheets/{file}",
        "A printed map sheet of an admin unit (PDF, A4 or A3), with a plan when a request is given",
    ),
    (
        "POST",
        "/api/coverage",
        "How far people are from shelter and rescue",
    ),
    ("POST", "/api/route", "One trip: how long, and which way"),
];

/// Who may call an operation, in words.
fn who_may(need: &Need) -> String {
    match need {
        Need::Public => "anyone".into(),
        Need::Role(role) => format!("{role} and above"),
        Need::RoleOrPlannerToExport(role) => format!("{role} and above; exports need planner"),
        Need::RoleOrEditorToIssue(role) => format!("{role} and above; issuing needs editor"),
    }
}

fn summary(method: &str, path: &str) -> &'static str {
    SUMMARIES
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map_or("", |s| s.2)
}

/// The path's `{name}` parameters.
fn path_parameters(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
        .collect()
}

/// The document.
pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for (method, path, need) in RULES {
        let operation_id = format!(
            "{}{}",
            method.to_lowercase(),
            path.replace(['/', '{', '}', '.'], "_")
        );
        let mut operation = json!({
            "operationId": operation_id,
            "summary": summary(method, path),
            "description": format!("Who may: {}.", who_may(need)),
            "responses": {
                "200": {"description": "the answer"},
                "4XX": {"description": "what was wrong with the request",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            },
        });
        let parameters = path_parameters(path);
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        if matches!(*method, "POST" | "PATCH") {
            operation["requestBody"] =
                json!({"content": {"application/json": {"schema": {"type": "object"}}}});
        }
        if !matches!(need, Need::Public) {
            operation["security"] = json!([{"bearer": []}, {"session": []}]);
        }
        let item = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        item[method.to_lowercase()] = operation;
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "riskatlas",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Risk maps and disaster analysis: who is affected, where they evacuate, which drill to run.",
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "an API token (riskatlas users token NAME)"},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::service::access::session::COOKIE, "description": "a web page sign-in"},
            },
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]},
            },
        },
    })
}

/// `GET /api/openapi.json`.
pub async fn openapi() -> Json<Value> {
    Json(document())
}

/// `GET /api/docs`: the document as a page, one row per operation.
pub async fn docs() -> Html<String> {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut rows = String::new();
    for (method, path, need) in RULES {
        rows.push_str(&format!(
            "<tr><td><code>{method}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
            escape(path),
            escape(summary(method, path)),
            escape(&who_may(need))
        ));
    }
    Html(format!(
        "<!doctype html><html lang=zh-CN><meta charset=utf-8><title>riskatlas API 接口</title>\
         <style>body{{font:14px sans-serif;margin:2em}}td{{padding:2px 10px;border-bottom:1px solid #ddd}}</style>\
         <h1>riskatlas API 接口</h1><p>The machine-readable document: \
         <a href=\"/api/openapi.json\">/api/openapi.json</a> (OpenAPI 3.0).</p>\
         <table><tr><th>method</th><th>path</th><th>what</th><th>who may</th></tr>\n{rows}</table></html>"
    ))
}
