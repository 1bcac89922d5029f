//! Personal data (duty officers' names and phones) reads in full for planners and
//! masked for viewers, in every output: features, tiles, analyses, exports, reports
//! and cards. The contacts are read straight from the demo's source files, not through
//! the atlas, so a field the loader forgot to mark personal shows up here as a leak.

#![allow(clippy::unwrap_used)]

mod common;

use common::mvt;
use common::users::{app, send, token};
use riskatlas::atlas::Disclosure;
use riskatlas::service::access::Role;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Every contact name and phone in the demo's GeoJSON files (the landslides name their
/// columns in Chinese: 监测员 and 联系电话).
fn demo_contacts() -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut names, mut phones) = (BTreeSet::new(), BTreeSet::new());
    for entry in std::fs::read_dir(common::repo_path("data/demo")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "geojson") {
            continue;
        }
        let collection: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for feature in collection["features"].as_array().unwrap() {
            let props = &feature["properties"];
            for key in ["contact_name", "监测员"] {
                if let Some(name) = props[key].as_str() {
                    names.insert(name.to_string());
                }
            }
            for key in ["contact_phone", "联系电话"] {
                if let Some(phone) = props[key].as_str() {
                    phones.insert(phone.to_string());
                }
            }
        }
    }
    assert!(phones.len() > 500, "the demo has its duty contacts");
    (names, phones)
}

/// The contacts of `demo_contacts` that occur in `text`: names of three characters or
/// more (a two-character name may well be part of a place name), and every phone.
fn leaked(text: &str) -> Vec<String> {
    let (names, phones) = demo_contacts();
    names
        .into_iter()
        .filter(|n| n.chars().count() >= 3)
        .chain(phones)
        .filter(|c| text.contains(c.as_str()))
        .collect()
}

/// A demo phone, `555-dddd-dddd`, masked: `555-****-dddd`.
fn is_masked_phone(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 13 && text.starts_with("555-****-") && b[9..].iter().all(u8::is_ascii_digit)
}

fn count_masked_phones(text: &str) -> usize {
    text.match_indices("555-****-").count()
}

const LAYERS_WITH_CONTACTS: &str = "county,townships,villages,landslides,shelters,teams,depots";

/// The demo's tiles at zoom 9 (the county fits in a few).
fn county_tiles() -> Vec<(u32, u32)> {
    let (x0, y0) = common::tile_of(105.55, 34.67, 9);
    let (x1, y1) = common::tile_of(105.94, 34.40, 9);
    (x0..=x1)
        .flat_map(|x| (y0..=y1).map(move |y| (x, y)))
        .collect()
}

/// The string values of every feature in a tile.
fn tile_strings(body: &[u8]) -> String {
    let mut out = String::new();
    for layer in mvt::decode(body) {
        for feature in layer.features {
            for (_, value) in feature.props {
                if let Some(s) = value.as_str() {
                    out.push_str(s);
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn a_viewer_reads_every_feature_with_contacts_masked_and_a_planner_in_full() {
    let (_dir, app) = app(Vec::new());
    for layer in LAYERS_WITH_CONTACTS.split(',') {
        let uri = format!("/api/layers/{layer}/features?limit=10000");
        let viewer = send(&app, "GET", &uri, None, Some(token(Role::Viewer))).await;
        let text = String::from_utf8(viewer.body.clone()).unwrap();
        assert_eq!(viewer.status, 200, "{text}");
        assert_eq!(leaked(&text), Vec::<String>::new(), "{layer} as a viewer");
        let features = viewer.json()["features"].as_array().unwrap().clone();
        let phones: Vec<&str> = features
            .iter()
            .filter_map(|f| f["properties"]["contact_phone"].as_str())
            .collect();
        assert!(!phones.is_empty(), "{layer} has contacts");
        assert!(
            phones.iter().all(|p| is_masked_phone(p)),
            "{layer}: {phones:?}"
        );

        let planner = send(&app, "GET", &uri, None, Some(token(Role::Planner))).await;
        let text = String::from_utf8(planner.body).unwrap();
        assert!(
            !leaked(&text).is_empty(),
            "{layer}: a planner reads contacts"
        );
        assert_eq!(count_masked_phones(&text), 0, "{layer} as a planner");
    }
}

#[tokio::test]
async fn one_feature_reads_masked_by_id_and_by_tile_number() {
    let (_dir, app) = app(Vec::new());
    let all = send(
        &app,
        "GET",
        "/api/layers/shelters/features?limit=1",
        None,
        Some(token(Role::Planner)),
    )
    .await
    .ok_json();
    let first = &all["features"][0];
    let phone = first["properties"]["contact_phone"].as_str().unwrap();
    let id = first["id"].as_str().unwrap();
    for uri in [
        format!("/api/layers/shelters/features/{id}"),
        "/api/layers/shelters/fid/0".to_string(),
    ] {
        let viewer = send(&app, "GET", &uri, None, Some(token(Role::Viewer))).await;
        let seen = viewer.ok_json()["properties"]["contact_phone"].clone();
        // The same number, its middle four digits hidden.
        let expected = format!("{}****{}", &phone[..4], &phone[8..]);
        assert_eq!(seen, json!(expected), "{uri}");
    }
}

#[tokio::test]
async fn a_viewer_cannot_filter_on_a_personal_field() {
    let (_dir, app) = app(Vec::new());
    let shelters: Value = serde_json::from_slice(
        &std::fs::read(common::repo_path("data/demo/shelters.geojson")).unwrap(),
    )
    .unwrap();
    let phone = shelters["features"][0]["properties"]["contact_phone"]
        .as_str()
        .unwrap();
    let uri = &format!("/api/layers/shelters/features?where=contact_phone%20%3D%20%27{phone}%27");
    let viewer = send(&app, "GET", uri, None, Some(token(Role::Viewer))).await;
    assert_eq!(viewer.status, 403, "{}", viewer.error());
    assert!(
        viewer.error().contains("contact_phone"),
        "{}",
        viewer.error()
    );
    let planner = send(&app, "GET", uri, None, Some(token(Role::Planner))).await;
    assert!(planner.ok_json()["numberMatched"].as_u64().unwrap() >= 1);
}

/// The same tiles asked for first by a planner, then by a viewer: the viewer's come
/// out masked, so the cache keeps the two apart.
#[tokio::test]
async fn tiles_are_masked_for_viewers_and_cached_apart_from_planners() {
    let (_dir, app) = app(Vec::new());
    let (mut full, mut masked) = (String::new(), String::new());
    for (x, y) in county_tiles() {
        let uri = format!("/tiles/{LAYERS_WITH_CONTACTS}/9/{x}/{y}");
        let planner = send(&app, "GET", &uri, None, Some(token(Role::Planner))).await;
        let viewer = send(&app, "GET", &uri, None, Some(token(Role::Viewer))).await;
        if planner.status == 204 {
            assert_eq!(viewer.status, 204);
            continue;
        }
        assert_ne!(planner.headers["etag"], viewer.headers["etag"]);
        full.push_str(&tile_strings(&planner.body));
        masked.push_str(&tile_strings(&viewer.body));
    }
    assert_eq!(leaked(&masked), Vec::<String>::new());
    let (_, phones) = demo_contacts();
    // Every contact is drawn at zoom 9 (points and label anchors alike), masked.
    assert!(count_masked_phones(&masked) >= phones.len(), "{masked}");
    assert!(phones.iter().all(|p| full.contains(p.as_str())));
}

/// A 50-year flood: a call list, duty officers per township, facilities with contacts.
fn flood() -> Value {
    json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 50}}}], "group_by": "township"})
}

#[tokio::test]
async fn impact_reports_and_plans_mask_contacts_for_viewers() {
    let (_dir, app) = app(Vec::new());
    let viewer = send(
        &app,
        "POST",
        "/api/impact",
        Some(&flood()),
        Some(token(Role::Viewer)),
    )
    .await;
    let text = String::from_utf8(viewer.body.clone()).unwrap();
    let report = viewer.ok_json();
    assert!(!report["calls"].as_array().unwrap().is_empty());
    assert_eq!(leaked(&text), Vec::<String>::new());
    for call in report["calls"].as_array().unwrap() {
        assert!(is_masked_phone(call["phone"].as_str().unwrap()), "{call}");
    }
    let planner = send(
        &app,
        "POST",
        "/api/impact",
        Some(&flood()),
        Some(token(Role::Planner)),
    )
    .await;
    let text = String::from_utf8(planner.body).unwrap();
    assert!(!leaked(&text).is_empty(), "a planner reads the call list");

    let plan = send(
        &app,
        "POST",
        "/api/evacuation",
        Some(&flood()),
        Some(token(Role::Viewer)),
    )
    .await;
    let text = String::from_utf8(plan.body).unwrap();
    assert_eq!(plan.status, 200, "{text}");
    assert_eq!(leaked(&text), Vec::<String>::new());
}

/// Exports, the printable report and the cards are a planner's (403 for a viewer);
/// rendered for one who may only see masked contacts, they mask them too.
#[test]
fn every_format_masks_what_a_viewer_may_not_read() {
    use riskatlas::render::{self, Format, Output};
    let loaded = riskatlas::import::load_folder(&common::repo_path("data/demo")).unwrap();
    let atlas = &loaded.atlas;
    let graph = riskatlas::routing::RoadGraph::from_atlas(atlas);
    let (impact, plan) =
        riskatlas::service::analyses::evacuate(atlas, graph.as_ref(), flood()).unwrap();
    let text = |o: Output| match o {
        Output::Json(v) => v.to_string(),
        Output::Csv(t) | Output::Html(t) | Output::Cap(t) => t,
    };
    for format in [Format::Json, Format::GeoJson, Format::Csv, Format::Html] {
        let masked = text(render::impact(&impact, atlas, format, Disclosure::Masked).unwrap());
        assert_eq!(leaked(&masked), Vec::<String>::new(), "impact {format:?}");
        let cards =
            text(render::plan(&plan, &impact, atlas, format, Disclosure::Masked, None).unwrap());
        assert_eq!(leaked(&cards), Vec::<String>::new(), "plan {format:?}");
    }
    let full = text(render::impact(&impact, atlas, Format::Csv, Disclosure::Full).unwrap());
    assert!(
        !leaked(&full).is_empty(),
        "a planner's CSV has the contacts"
    );
    let masked = text(render::impact(&impact, atlas, Format::Csv, Disclosure::Masked).unwrap());
    assert!(count_masked_phones(&masked) > 0, "{masked}");
    let cards = text(
        render::plan(
            &plan,
            &impact,
            atlas,
            Format::Html,
            Disclosure::Masked,
            None,
        )
        .unwrap(),
    );
    assert!(
        count_masked_phones(&cards) > 0,
        "the cards name their duty officers"
    );
}

/// A field `atlas.toml` marks personal is masked like the contacts; a name there that
/// matches no field is reported (it would leave the field it meant unmasked).
#[tokio::test]
async fn fields_marked_personal_in_the_manifest_are_masked_and_a_misspelt_one_reported() {
    use common::folder::{collection, data_folder, point};
    let dir = data_folder(
        r#"name = "t"
[[layer]]
id = "shelters"
kind = "shelter"
file = "shelters.geojson"
personal = ["管理员身份证", "管理员手机号"]
"#,
        &[(
            "shelters.geojson",
            collection(vec![point(
                "s1",
                105.7,
                34.5,
                json!({"capacity": 100, "管理员身份证": "620502198001011234", "note": "open"}),
            )]),
        )],
    );
    let loaded = riskatlas::import::load_folder(dir.path()).unwrap();
    let warnings = &loaded.report.layers[0].warnings;
    assert!(
        warnings.iter().any(|w| w.contains("管理员手机号")),
        "{warnings:?}"
    );
    let layer = loaded.atlas.layer("shelters").unwrap();
    let shown = layer.to_geojson_as(&layer.features()[0], Disclosure::Masked);
    assert_eq!(shown["properties"]["管理员身份证"], "620***********1234");
    assert_eq!(shown["properties"]["note"], "open");
}
