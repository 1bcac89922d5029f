//! Jurisdiction: a township's users see, count and edit only their township, in every
//! output. What belongs to a township is worked out here from the demo's source files
//! (villages by `parent_code`, population by `行政区划代码`, points by a ray-casting
//! point-in-polygon test written below), not through the crate.

#![allow(clippy::unwrap_used)]

mod common;

use common::mvt;
use common::users::send;
use riskatlas::api::{AppState, HttpOptions, router};
use riskatlas::service::Service;
use riskatlas::service::access::{Access, Role, USERS_FILE, Users, admin};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

fn source(name: &str) -> Value {
    let path = common::repo_path(&format!("data/demo/{name}"));
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// A township: its code and its exterior ring.
type Township = (String, Vec<[f64; 2]>);

/// The demo's townships.
fn townships() -> Vec<Township> {
    source("townships.geojson")["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let ring = f["geometry"]["coordinates"][0]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| [p[0].as_f64().unwrap(), p[1].as_f64().unwrap()])
                .collect();
            (f["properties"]["code"].as_str().unwrap().to_string(), ring)
        })
        .collect()
}

/// Even-odd ray casting.
fn inside(ring: &[[f64; 2]], [x, y]: [f64; 2]) -> bool {
    let mut odd = false;
    for (a, b) in ring.iter().zip(ring.iter().cycle().skip(1)) {
        if (a[1] > y) != (b[1] > y) && x < a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]) {
            odd = !odd;
        }
    }
    odd
}

/// Ids of the points of `file` inside `ring`: their `编号`, or their position (the
/// demo's other point layers carry no id).
fn points_inside(file: &str, ring: &[[f64; 2]]) -> BTreeSet<String> {
    source(file)["features"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, f)| {
            let c = &f["geometry"]["coordinates"];
            inside(ring, [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()])
        })
        .map(|(i, f)| {
            // The landslides name their ids in 编号 (mapped in atlas.toml).
            f["properties"]["编号"]
                .as_str()
                .map_or_else(|| i.to_string(), str::to_string)
        })
        .collect()
}

/// Village codes whose parent is `township`.
fn villages_of(township: &str) -> BTreeSet<String> {
    source("villages.geojson")["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["parent_code"] == township)
        .map(|f| f["properties"]["code"].as_str().unwrap().to_string())
        .collect()
}

/// Whether a vertex of some flood zone lies inside `ring`.
fn flooded(ring: &[[f64; 2]]) -> bool {
    let floods = source("floods.geojson");
    floods["features"].as_array().unwrap().iter().any(|f| {
        let polygons = match f["geometry"]["type"].as_str().unwrap() {
            "Polygon" => vec![f["geometry"]["coordinates"].clone()],
            _ => f["geometry"]["coordinates"].as_array().unwrap().clone(),
        };
        polygons.iter().any(|p| {
            p[0].as_array()
                .unwrap()
                .iter()
                .any(|v| inside(ring, [v[0].as_f64().unwrap(), v[1].as_f64().unwrap()]))
        })
    })
}

/// Township A and township B: the first two with a shelter each and a flood zone.
fn a_and_b() -> (Township, Township) {
    let mut chosen = townships()
        .into_iter()
        .filter(|(_, ring)| !points_inside("shelters.geojson", ring).is_empty() && flooded(ring));
    (chosen.next().unwrap(), chosen.next().unwrap())
}

/// Users: editors of township A, of township B, of the county by its code and of the
/// county by its six-digit form, and their tokens in that order.
fn users() -> &'static (tempfile::TempDir, Vec<String>) {
    static USERS: OnceLock<(tempfile::TempDir, Vec<String>)> = OnceLock::new();
    USERS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(USERS_FILE);
        let ((a, _), (b, _)) = a_and_b();
        let tokens = [
            ("a", a),
            ("b", b),
            ("county", "629901000000".into()),
            ("county6", "629901".into()),
        ]
        .into_iter()
        .map(|(name, code)| {
            admin::add(&path, name, Role::Editor, vec![code]).unwrap();
            admin::token(&path, name).unwrap()
        })
        .collect();
        (dir, tokens)
    })
}

fn app() -> (tempfile::TempDir, axum::Router) {
    let dir = common::demo_copy();
    let service = Service::open_folder(dir.path()).unwrap();
    let users = Users::read(&users().0.path().join(USERS_FILE)).unwrap();
    let options = HttpOptions {
        access: Access::users(users, None),
        ..HttpOptions::default()
    };
    (dir, router(AppState::serving(Arc::new(service), options)))
}

fn token(who: &str) -> &'static str {
    let i = ["a", "b", "county", "county6"]
        .iter()
        .position(|w| *w == who)
        .unwrap();
    &users().1[i]
}

async fn get(app: &axum::Router, uri: &str, who: &str) -> common::Reply {
    send(app, "GET", uri, None, Some(token(who))).await
}

async fn post(app: &axum::Router, uri: &str, body: &Value, who: &str) -> common::Reply {
    send(app, "POST", uri, Some(body), Some(token(who))).await
}

async fn features(app: &axum::Router, layer: &str, who: &str) -> Vec<Value> {
    let uri = format!("/api/layers/{layer}/features?limit=10000");
    get(app, &uri, who).await.ok_json()["features"]
        .as_array()
        .unwrap()
        .clone()
}

fn ids(features: &[Value]) -> BTreeSet<String> {
    features
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_township_sees_its_own_villages_people_and_shelters_only() {
    let (_dir, app) = app();
    let ((a, ring), _) = a_and_b();
    let villages: BTreeSet<String> = features(&app, "villages", "a")
        .await
        .iter()
        .map(|f| f["properties"]["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(villages, villages_of(&a));
    let people = features(&app, "population", "a").await;
    assert!(!people.is_empty());
    assert!(
        people
            .iter()
            .all(|p| villages.contains(p["properties"]["admin_code"].as_str().unwrap()))
    );
    let expected_people = std::fs::read_to_string(common::repo_path("data/demo/population.csv"))
        .unwrap()
        .lines()
        .filter(|l| villages.iter().any(|v| l.ends_with(v.as_str())))
        .count();
    assert_eq!(people.len(), expected_people);
    for layer in ["shelters", "landslides", "teams", "depots"] {
        let seen = ids(&features(&app, layer, "a").await);
        assert_eq!(
            seen,
            points_inside(&format!("{layer}.geojson"), &ring),
            "{layer}"
        );
    }
    // Roads are shared: the whole network, whoever asks.
    let roads_a = features(&app, "roads", "a").await.len();
    let roads_county = features(&app, "roads", "county").await.len();
    assert_eq!(roads_a, roads_county);
}

#[tokio::test]
async fn the_county_and_its_six_digit_code_see_every_township() {
    let (_dir, app) = app();
    let all_villages = source("villages.geojson")["features"]
        .as_array()
        .unwrap()
        .len();
    for who in ["county", "county6"] {
        assert_eq!(
            features(&app, "villages", who).await.len(),
            all_villages,
            "{who}"
        );
    }
}

/// The floods seen from township A count exactly the units of A that the county's
/// report counts: nothing of B, nothing of A missed (flood zones crossing the boundary
/// are in both views, whole).
#[tokio::test]
async fn an_impact_report_counts_only_the_township_and_all_of_it() {
    let (_dir, app) = app();
    let ((a, _), (b, _)) = a_and_b();
    let scenario = json!({"hazards": [{"layer": "floods"}], "group_by": "village"});
    let impact = |who: &'static str| {
        let app = app.clone();
        let scenario = scenario.clone();
        async move { post(&app, "/api/impact", &scenario, who).await.ok_json() }
    };
    let county = impact("county").await;
    let township = impact("a").await;
    let of_a = villages_of(&a);
    let units = |report: &Value, keep: &dyn Fn(&str) -> bool| -> BTreeSet<(String, String)> {
        report["units"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| keep(u["admin_code"].as_str().unwrap_or("")))
            .map(|u| {
                (
                    u["id"].as_str().unwrap().to_string(),
                    u["people"].to_string(),
                )
            })
            .collect()
    };
    let expected = units(&county, &|c| of_a.contains(c));
    assert!(!expected.is_empty(), "the floods reach township A");
    assert_eq!(units(&township, &|_| true), expected);
    let text = township.to_string();
    for village in villages_of(&b) {
        assert!(
            !text.contains(&village),
            "township B's {village} in A's report"
        );
    }
}

#[tokio::test]
async fn a_plan_for_a_township_uses_its_own_shelters() {
    let (_dir, app) = app();
    let ((_, ring), _) = a_and_b();
    let ours = points_inside("shelters.geojson", &ring);
    let request = json!({"hazards": [{"layer": "floods"}]});
    let plan = post(&app, "/api/evacuation", &request, "a").await.ok_json();
    let used: BTreeSet<String> = plan["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["shelter_id"].as_str().unwrap().to_string())
        .collect();
    assert!(used.is_subset(&ours), "{used:?} not within {ours:?}");
}

#[tokio::test]
async fn tiles_are_cut_per_scope_and_never_served_across_scopes() {
    let (_dir, app) = app();
    let ((a, _), _) = a_and_b();
    let of_a = villages_of(&a);
    let (x0, y0) = common::tile_of(105.55, 34.67, 9);
    let (x1, y1) = common::tile_of(105.94, 34.40, 9);
    let (mut county_villages, mut a_villages) = (0, BTreeSet::new());
    for x in x0..=x1 {
        for y in y0..=y1 {
            let uri = format!("/tiles/villages/9/{x}/{y}");
            // The county first, so a tile cache shared across scopes would hand A its tile.
            let county = get(&app, &uri, "county").await;
            let ours = get(&app, &uri, "a").await;
            for (reply, township) in [(county, false), (ours, true)] {
                if reply.status == 204 {
                    continue;
                }
                for layer in mvt::decode(&reply.body)
                    .into_iter()
                    .filter(|l| l.name == "villages")
                {
                    for f in layer.features {
                        let code = f.props["code"].as_str().unwrap().to_string();
                        if township {
                            a_villages.insert(code);
                        } else {
                            county_villages += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(a_villages, of_a);
    assert!(county_villages > of_a.len());
}

#[tokio::test]
async fn a_scenario_key_from_one_township_draws_nothing_for_another() {
    let (_dir, app) = app();
    let scenario = json!({"hazards": [{"layer": "floods"}]});
    let report = post(&app, "/api/impact", &scenario, "a").await.ok_json();
    let key = report["scenario_key"].as_str().unwrap();
    let uri = format!("/tiles/impact/{key}/0/0/0");
    assert_ne!(get(&app, &uri, "a").await.status, 404);
    assert_eq!(get(&app, &uri, "b").await.status, 404);
}

#[tokio::test]
async fn an_editor_edits_only_inside_the_township() {
    let (_dir, app) = app();
    let ((_, ring_a), (_, ring_b)) = a_and_b();
    let ours = points_inside("shelters.geojson", &ring_a);
    let theirs = points_inside("shelters.geojson", &ring_b);
    let (our, their) = (ours.first().unwrap(), theirs.first().unwrap());
    let patch = json!({"properties": {"capacity": 77}});
    let edit = |method: &'static str, uri: String, body: Option<Value>| {
        let app = app.clone();
        async move { send(&app, method, &uri, body.as_ref(), Some(token("a"))).await }
    };
    let uri = |id: &str| format!("/api/layers/shelters/features/{id}");
    // Another township's shelter is not found, as if it did not exist.
    assert_eq!(
        edit("PATCH", uri(their), Some(patch.clone())).await.status,
        404
    );
    assert_eq!(edit("DELETE", uri(their), None).await.status, 404);
    assert_eq!(edit("PATCH", uri(our), Some(patch)).await.status, 200);
    // Into B, or a new shelter in B: refused.
    let in_b =
        source("shelters.geojson")["features"][their.parse::<usize>().unwrap()]["geometry"].clone();
    let moved = json!({"type": "Feature", "geometry": in_b, "properties": {}});
    let refused = edit("PATCH", uri(our), Some(moved)).await;
    assert_eq!(refused.status, 403, "{}", refused.error());
    assert!(refused.error().contains("jurisdiction"));
    let new = json!({"type": "Feature", "geometry": in_b, "properties": {"capacity": 5}});
    let uri = "/api/layers/shelters/features".to_string();
    assert_eq!(edit("POST", uri, Some(new)).await.status, 403);
}

/// What-if edits are checked as real edits are: another township's shelter reads as
/// absent (400 in a body, the same words as for an id that does not exist), a
/// settlement put in another township is refused (403), and the township's own shelter
/// may be closed in a what-if, as the county may close the other's.
#[tokio::test]
async fn what_if_edits_stay_within_the_jurisdiction() {
    let (_dir, app) = app();
    let ((_, ring_a), (_, ring_b)) = a_and_b();
    let ours = points_inside("shelters.geojson", &ring_a);
    let theirs = points_inside("shelters.geojson", &ring_b);
    let (our, their) = (ours.first().unwrap(), theirs.first().unwrap());
    let what_if =
        |edit: Value| json!({"scenario": {"hazards": [{"layer": "floods"}]}, "edits": [edit]});
    let close = |id: &str| what_if(json!({"layer": "shelters", "op": "delete", "id": id}));
    for id in [their.as_str(), "no-such-shelter"] {
        let reply = post(&app, "/api/compare", &close(id), "a").await;
        assert_eq!(reply.status, 400, "{id}");
        assert_eq!(
            reply.error(),
            format!("edits[0]: layer \"shelters\" has no feature with id \"{id}\"")
        );
    }
    let in_b =
        source("shelters.geojson")["features"][their.parse::<usize>().unwrap()]["geometry"].clone();
    let settlement = json!({"type": "Feature", "geometry": in_b, "properties": {"population": 40}});
    let insert = what_if(json!({"layer": "population", "op": "insert", "feature": settlement}));
    let refused = post(&app, "/api/compare", &insert, "a").await;
    assert_eq!(refused.status, 403, "{}", refused.error());
    assert!(
        refused
            .error()
            .starts_with("edits[0]: the geometry lies outside your jurisdiction"),
        "{}",
        refused.error()
    );
    for (who, id) in [("a", our), ("county", their)] {
        let c = post(&app, "/api/compare", &close(id), who).await.ok_json();
        assert_eq!(c["versions"]["b"], "current with 1 edit", "{who}");
    }
}

/// A hazard outside the scope is not in its view, even when its reach crosses the
/// boundary: a township's report names only its own landslides (the county's users
/// plan across the line).
#[tokio::test]
async fn a_township_report_names_only_its_own_hazards() {
    let (_dir, app) = app();
    let ((_, ring), _) = a_and_b();
    let ours = points_inside("landslides.geojson", &ring);
    let scenario = json!({"hazards": [{"layer": "landslides", "buffer_m": 3000}]});
    let report = post(&app, "/api/impact", &scenario, "a").await.ok_json();
    let named: BTreeSet<String> = report["by_hazard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["name"].as_str().unwrap().to_string())
        .collect();
    let names: BTreeSet<String> = source("landslides.geojson")["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| ours.contains(f["properties"]["编号"].as_str().unwrap()))
        .map(|f| f["properties"]["名称"].as_str().unwrap().to_string())
        .collect();
    assert!(!named.is_empty());
    assert!(named.is_subset(&names), "{named:?} not among {names:?}");
}

/// The audit trail of a township shows the edits of its features, not the neighbour's.
#[tokio::test]
async fn a_township_reads_only_its_own_edits_in_the_audit_trail() {
    let (_dir, app) = app();
    let ((_, ring_a), (_, ring_b)) = a_and_b();
    let ours = points_inside("shelters.geojson", &ring_a);
    let theirs = points_inside("shelters.geojson", &ring_b);
    for (who, id) in [("a", ours.first().unwrap()), ("b", theirs.first().unwrap())] {
        let uri = format!("/api/layers/shelters/features/{id}");
        let patch = json!({"properties": {"capacity": 55}});
        let reply = send(&app, "PATCH", &uri, Some(&patch), Some(token(who))).await;
        assert_eq!(reply.status, 200, "{who}");
    }
    let trail = |who: &'static str| {
        let app = app.clone();
        async move {
            let page = get(&app, "/api/edits?limit=1", who).await.ok_json();
            let ids: Vec<String> = page["edits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string())
                .collect();
            (ids, page["next_before"].clone())
        }
    };
    assert_eq!(
        trail("a").await,
        (vec![ours.first().unwrap().clone()], Value::Null)
    );
    assert_eq!(trail("b").await.0, vec![theirs.first().unwrap().clone()]);
    // The county sees both, a page at a time.
    let (first, next) = trail("county").await;
    assert_eq!(first, vec![theirs.first().unwrap().clone()]);
    assert!(next.is_u64(), "{next}");
}

/// Names of `township`'s villages.
fn village_names_of(township: &str) -> BTreeSet<String> {
    source("villages.geojson")["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["parent_code"] == township)
        .map(|f| f["properties"]["name"].as_str().unwrap().to_string())
        .collect()
}

/// Township A's exports, printable report and cards name nothing of township B: none
/// of B's village codes, none of the names only B's villages have, in any format.
#[tokio::test]
async fn a_townships_exports_reports_and_cards_name_nothing_of_another() {
    let (_dir, app) = app();
    let ((a, _), (b, _)) = a_and_b();
    let (ours, theirs) = (village_names_of(&a), village_names_of(&b));
    let only_theirs: Vec<&String> = theirs.difference(&ours).collect();
    let their_codes = villages_of(&b);
    let scenario = json!({"hazards": [{"layer": "floods"}], "group_by": "village"});
    let encoded: String = scenario
        .to_string()
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    let mut outputs = Vec::new();
    for format in ["csv", "geojson"] {
        for route in ["/api/impact", "/api/evacuation"] {
            let uri = format!("{route}?format={format}");
            outputs.push((uri.clone(), post(&app, &uri, &scenario, "a").await));
        }
    }
    for uri in [
        format!("/report/impact?scenario={encoded}"),
        format!("/cards/evacuation?request={encoded}"),
    ] {
        outputs.push((uri.clone(), get(&app, &uri, "a").await));
    }
    for (uri, reply) in outputs {
        let text = String::from_utf8(reply.body).unwrap();
        assert_eq!(reply.status, 200, "{uri}: {text}");
        for code in &their_codes {
            assert!(
                !text.contains(code.as_str()),
                "{uri} names B's village {code}"
            );
        }
        for name in &only_theirs {
            assert!(
                !text.contains(name.as_str()),
                "{uri} names B's village {name}"
            );
        }
        let names_ours = ours.iter().any(|n| text.contains(n.as_str()))
            || villages_of(&a).iter().any(|c| text.contains(c.as_str()));
        assert!(
            names_ours || uri.contains("geojson"),
            "{uri} names nothing of A either"
        );
    }
}

/// The load report covers the whole atlas: refused to a township, given to the county
/// only if the county has no scope either (here it has one, so refused too).
#[tokio::test]
async fn the_load_report_is_not_for_a_scoped_user() {
    let (_dir, app) = app();
    let reply = get(&app, "/api/report", "a").await;
    assert_eq!(reply.status, 403);
    assert!(reply.error().contains("whole atlas"), "{}", reply.error());
}

#[tokio::test]
async fn a_map_sheet_is_printed_only_for_a_unit_in_the_askers_jurisdiction() {
    let (_dir, app) = app();
    let ((a, _), (b, _)) = a_and_b();
    let mine = get(&app, &format!("/sheets/{a}.pdf"), "a").await;
    assert_eq!(mine.status, 200, "{}", String::from_utf8_lossy(&mine.body));
    assert!(mine.body.starts_with(b"%PDF-"));
    let theirs = get(&app, &format!("/sheets/{b}.pdf"), "a").await;
    assert_eq!(theirs.status, 404, "another township's sheet");
    assert!(
        theirs.error().contains("no admin unit has the code"),
        "{}",
        theirs.error()
    );
    // The county's user prints both.
    for code in [&a, &b] {
        let r = get(&app, &format!("/sheets/{code}.pdf"), "county").await;
        assert_eq!(r.status, 200, "{code}");
    }
}
