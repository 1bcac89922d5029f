//! No input yields a 5xx: every route of the access table, its path parameters, query
//! and body drawn at random (hostile text, numbers at the edges, JSON of any shape, and
//! mutations of valid bodies), through the router on a copy of the demo. A 5xx is a bug
//! the request could not have caused; a panic would take the request down with it.

#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::Request;
use proptest::prelude::*;
use riskatlas::api::access::RULES;
use serde_json::{Value, json};
use std::sync::OnceLock;

/// The demo copy the runs edit (kept for the whole test binary) and its router.
fn app() -> &'static (tempfile::TempDir, axum::Router) {
    static APP: OnceLock<(tempfile::TempDir, axum::Router)> = OnceLock::new();
    APP.get_or_init(|| {
        let dir = common::demo_copy();
        let service = riskatlas::service::Service::open_folder(dir.path()).unwrap();
        let state = riskatlas::api::AppState::serving(
            std::sync::Arc::new(service),
            riskatlas::api::HttpOptions::default(),
        );
        (dir, riskatlas::api::router(state))
    })
}

/// Text a path segment or query value might hold: ids that exist, numbers at the
/// edges, escapes, Unicode, and anything.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("shelters".to_string()),
        Just("villages,roads,floods".to_string()),
        Just("0".to_string()),
        Just("18446744073709551615".to_string()),
        Just("-1".to_string()),
        Just("%00%ff%2F..%2F".to_string()),
        Just("避难场所".to_string()),
        "[a-z0-9_,.%-]{0,24}",
        any::<String>().prop_map(|s| s.chars().take(40).collect()),
    ]
}

/// JSON of any shape, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |x| x.is_finite())
            .prop_map(|x| json!(x)),
        "[ -~]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("hazards".to_string()),
                    Just("layer".to_string()),
                    Just("geometry".to_string()),
                    Just("type".to_string()),
                    Just("coordinates".to_string()),
                    Just("properties".to_string()),
                    Just("where".to_string()),
                    Just("buffer_m".to_string()),
                    Just("from".to_string()),
                    Just("to".to_string()),
                    "[a-z_]{1,10}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Valid bodies of each kind, with one field replaced by anything.
fn mutated_body() -> impl Strategy<Value = Value> {
    let valid = prop_oneof![
        Just(json!({"hazards": [{"layer": "floods"}]})),
        Just(
            json!({"hazards": [{"layer": "landslides", "buffer_m": 500}], "group_by": "township"})
        ),
        Just(json!({"from": [105.7, 34.5], "to": [105.75, 34.52]})),
        Just(json!({"thresholds": [10, 30]})),
        Just(
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [105.7, 34.5]}, "properties": {"capacity": 10}})
        ),
        Just(json!({"properties": {"capacity": 11}})),
        Just(
            json!({"a": {"hazards": [{"layer": "floods"}]}, "b": {"hazards": [{"layer": "landslides"}]}})
        ),
        Just(
            json!({"scenario": {"hazards": [{"layer": "floods"}]}, "edits": [{"layer": "shelters", "op": "delete", "id": "0"}]})
        ),
    ];
    (valid, "[a-z_]{1,12}", any_json()).prop_map(|(mut body, key, value)| {
        if let Some(object) = body.as_object_mut() {
            let key = object
                .keys()
                .nth(key.len() % object.len().max(1))
                .cloned()
                .unwrap_or(key);
            object.insert(key, value);
        }
        body
    })
}

/// A what-if comparison whose one edit has a member replaced by anything.
fn mutated_what_if() -> impl Strategy<Value = Value> {
    const MEMBERS: [&str; 4] = ["layer", "op", "id", "feature"];
    (0..MEMBERS.len(), any_json()).prop_map(|(i, value)| {
        let mut edit = json!({"layer": "shelters", "op": "update", "id": "0",
                              "feature": {"properties": {"capacity": 11}}});
        edit[MEMBERS[i]] = value;
        json!({"scenario": {"hazards": [{"layer": "floods"}]}, "edits": [edit]})
    })
}

fn body() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        mutated_what_if().prop_map(|v| Some(v.to_string())),
        Just(None),
        any_json().prop_map(|v| Some(v.to_string())),
        mutated_body().prop_map(|v| Some(v.to_string())),
        "[ -~]{0,64}".prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn no_request_gets_a_5xx(
        route in 0..RULES.len(),
        params in prop::collection::vec(segment(), 4),
        query in prop::option::of((segment(), segment())),
        body in body(),
    ) {
        let (method, pattern, _) = RULES[route];
        let mut path = pattern.to_string();
        for (name, value) in ["{ids}", "{id}", "{fid}", "{key}"].iter().zip(&params) {
            path = path.replace(name, &utf8_percent(value));
        }
        path = path.replace("{z}/{x}/{y}", &format!("{}/{}/{}", utf8_percent(&params[1]), utf8_percent(&params[2]), utf8_percent(&params[3])));
        if let Some((k, v)) = &query {
            let k = ["format", "limit", "where", "bbox", "scenario", "request", "kind"][k.len() % 7];
            path = format!("{path}?{k}={}", utf8_percent(v));
        }
        let mut req = Request::builder().method(method).uri(&path);
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req.body(body.clone().map_or(Body::empty(), Body::from)).unwrap();
        let reply = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(common::request(&app().1, req));
        prop_assert!(
            !reply.status.is_server_error(),
            "{method} {path} {body:?} -> {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, ..ProptestConfig::default() })]

    /// What-if edits of every shape reach the edit checks the feature routes use;
    /// none of them may fail the server.
    #[test]
    fn no_what_if_edit_gets_a_5xx(body in mutated_what_if()) {
        let reply = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(common::post(&app().1, "/api/compare", &body));
        prop_assert!(
            !reply.status.is_server_error(),
            "{body} -> {} {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        );
    }
}

/// Percent-encodes every byte outside the unreserved set, so any text is a valid URI.
fn utf8_percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b',' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
