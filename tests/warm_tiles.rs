//! The warm tile path (`api::WarmTiles`) answers a cached tile before the router, and
//! only as the router would: the same tiles asked both ways, by users of each kind
//! (token, session cookie, anonymous, a township's viewer), plain and gzip, revalidated
//! and not, compared header by header and byte by byte. What the warm path must not
//! answer (a tile not yet drawn, one an edit may have changed, a refusal, a bad
//! request) it hands on: here to a stand-in router that says so.

#![allow(clippy::unwrap_used)]

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{Reply, reply_of, request};
use riskatlas::api::{AppState, HttpOptions, WarmTiles, routes};
use riskatlas::service::Service;
use riskatlas::service::access::{Access, Role, Sessions, Users, admin};
use serde_json::json;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tower::ServiceExt;

const PASSWORD: &str = "river rises at dawn";
/// The stand-in router's answer: the warm path handed the request on.
const HANDED_ON: StatusCode = StatusCode::IM_A_TEAPOT;
const HOST: &str = "riskatlas.bureau.local:8080";

type Headers<'a> = Vec<(&'a str, &'a str)>;

/// Users: a viewer, a planner (full contacts), a viewer of one township (tokens), and
/// an editor who signs in with a password; their tokens in that order.
fn users() -> &'static (tempfile::TempDir, Vec<String>) {
    static USERS: OnceLock<(tempfile::TempDir, Vec<String>)> = OnceLock::new();
    USERS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.toml");
        let with_tokens = [
            ("viewer", Role::Viewer, vec![]),
            ("planner", Role::Planner, vec![]),
            (
                "township viewer",
                Role::Viewer,
                vec!["629901100000".to_string()],
            ),
        ];
        let tokens = with_tokens
            .into_iter()
            .map(|(name, role, scope)| {
                admin::add(&path, name, role, scope).unwrap();
                admin::token(&path, name).unwrap()
            })
            .collect();
        admin::add(&path, "duty editor", Role::Editor, vec![]).unwrap();
        admin::password(&path, "duty editor", PASSWORD).unwrap();
        (dir, tokens)
    })
}

/// The demo served with those users, anonymous requests as viewers, answering to
/// [`HOST`] only, as over TLS (so HSTS is sent): the routed app, and the warm path in
/// front of a stand-in router, over one state (one tile cache).
struct Apps {
    _dir: tempfile::TempDir,
    routed: Router,
    warm: WarmTiles,
}

fn apps() -> Apps {
    let dir = common::demo_copy();
    let access = Access::Users {
        users: Users::read(&users().0.path().join("users.toml")).unwrap(),
        anonymous: Some(Role::Viewer),
        sessions: Sessions::ephemeral(Duration::from_secs(3600)),
    };
    let options = HttpOptions {
        access,
        allowed_hosts: vec![HOST.to_string()],
        tls: true,
        ..HttpOptions::default()
    };
    let state = AppState::serving(Arc::new(Service::open_folder(dir.path()).unwrap()), options);
    let stand_in = Router::new().fallback(|| async { (HANDED_ON, "handed on") });
    Apps {
        _dir: dir,
        routed: routes(state.clone()),
        warm: WarmTiles::new(state, stand_in),
    }
}

fn get(uri: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut req = Request::builder().uri(uri).header("host", HOST);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(Body::empty()).unwrap()
}

async fn warm(apps: &Apps, req: Request<Body>) -> Reply {
    reply_of(apps.warm.clone().oneshot(req).await.unwrap()).await
}

/// Every header, sorted, as text.
fn header_list(reply: &Reply) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = reply
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    list.sort();
    list
}

/// The Web Mercator tile of a lon/lat at `z`.
fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = (lon + 180.0) / 360.0 * n;
    let phi = lat.to_radians();
    let y = (1.0 - (phi.tan() + 1.0 / phi.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    (x as u32, y as u32)
}

/// Asks `uri` with `headers` the warm way before anything is drawn (handed on), then
/// the routed way twice (drawn, then a cache hit), then the warm way again: the same
/// answer as the routed hit. Returns it.
async fn same_both_ways(apps: &Apps, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let routed = request(&apps.routed, get(uri, headers)).await;
    assert!(
        routed.status.is_success() || routed.status == StatusCode::NOT_MODIFIED,
        "{uri} {headers:?}: {} {}",
        routed.status,
        String::from_utf8_lossy(&routed.body)
    );
    let hit = request(&apps.routed, get(uri, headers)).await;
    assert_eq!(hit.headers["x-tile-cache"], "hit", "{uri} {headers:?}");
    let answered = warm(apps, get(uri, headers)).await;
    assert_eq!(answered.status, hit.status, "{uri} {headers:?}");
    assert_eq!(
        header_list(&answered),
        header_list(&hit),
        "{uri} {headers:?}"
    );
    assert!(
        answered.body == hit.body,
        "{uri} {headers:?}: the bodies differ"
    );
    answered
}

/// Signs the editor in: the session cookie (`name=value`) and its CSRF token.
async fn sign_in(apps: &Apps) -> (String, String) {
    let req = Request::builder()
        .method("POST")
        .uri("/api/session")
        .header("host", HOST)
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"name": "duty editor", "password": PASSWORD}).to_string(),
        ))
        .unwrap();
    let reply = request(&apps.routed, req).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let set = reply.headers["set-cookie"].to_str().unwrap();
    let cookie = set.split(';').next().unwrap().to_string();
    (cookie, reply.json()["csrf"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_cached_tile_is_answered_as_the_router_answers_it() {
    let apps = apps();
    let (_, tokens) = users();
    let bearer: Vec<String> = tokens.iter().map(|t| format!("Bearer {t}")).collect();
    let (cookie, _) = sign_in(&apps).await;
    // The middle of the demo county: dense at z14, generalised at z8; and a tile of
    // open sea, empty (204).
    let (lon, lat) = (105.70, 34.48);
    let mut tiles = Vec::new();
    for z in [8, 11, 14] {
        let (x, y) = tile_of(lon, lat, z);
        tiles.push(format!("{z}/{x}/{y}"));
    }
    tiles.push("14/0/0".into());
    let all = "county,townships,villages,rivers,roads,floods,wildfire,landslides,population,\
               shelters,facilities,depots,teams,drills";
    // Shelters carry a contact's phone: masked for viewers, whole for the planner.
    let lists = [all, "shelters", "villages,roads,villages"];
    let who: [Vec<(&str, &str)>; 5] = [
        vec![],
        vec![("authorization", &bearer[0])],
        vec![("authorization", &bearer[1])],
        vec![("authorization", &bearer[2])],
        vec![("cookie", &cookie)],
    ];
    // Which of the cache's tiles each reader gets: anonymous and the viewer the
    // masked one, the planner and the editor the whole one, the township's viewer
    // its township's.
    let tile_kinds = [0, 0, 1, 2, 1];
    let mut drawn = std::collections::HashSet::new();
    let mut answered = 0;
    for tile in &tiles {
        for list in lists {
            let uri = format!("/tiles/{list}/{tile}");
            for (headers, tile_kind) in who.iter().zip(tile_kinds) {
                if drawn.insert((uri.clone(), tile_kind)) {
                    let cold = warm(&apps, get(&uri, headers)).await;
                    assert_eq!(cold.status, HANDED_ON, "{uri}: nothing drawn yet");
                }
                let plain = same_both_ways(&apps, &uri, headers).await;
                let mut gzip = headers.clone();
                gzip.push(("accept-encoding", "gzip"));
                same_both_ways(&apps, &uri, &gzip).await;
                if plain.status == StatusCode::OK {
                    let etag = plain.headers["etag"].to_str().unwrap().to_string();
                    let mut revalidated = headers.clone();
                    revalidated.push(("if-none-match", &etag));
                    let again = same_both_ways(&apps, &uri, &revalidated).await;
                    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
                    let mvt = same_both_ways(&apps, &format!("{uri}.mvt"), headers).await;
                    assert!(mvt.body == plain.body);
                }
                answered += 1;
            }
        }
    }
    assert_eq!(answered, tiles.len() * lists.len() * who.len());
}

#[tokio::test]
async fn what_the_router_refuses_or_has_not_drawn_is_handed_on() {
    let apps = apps();
    let (_, tokens) = users();
    let (x, y) = tile_of(105.70, 34.48, 14);
    let uri = format!("/tiles/villages/14/{x}/{y}");
    // Drawn and cached for an anonymous reader first, so each refusal below is one
    // the cache alone could have answered.
    same_both_ways(&apps, &uri, &[]).await;
    let bearer = format!("Bearer {}", tokens[0]);
    let refused: Vec<(String, Headers, u16)> = vec![
        (
            uri.clone(),
            vec![("authorization", "Bearer not-a-token")],
            401,
        ),
        (
            uri.clone(),
            vec![("authorization", "Basic dXNlcjpwYXNz")],
            401,
        ),
        ("/tiles/villages,nowhere/14/0/0".into(), vec![], 404),
        ("/tiles/villages/99/0/0".into(), vec![], 400),
        ("/tiles/villages/14/x/0".into(), vec![], 400),
        ("/tiles/impact/14/0/0".into(), vec![], 404),
    ];
    for (uri, headers, status) in &refused {
        let routed = request(&apps.routed, get(uri, headers)).await;
        assert_eq!(routed.status.as_u16(), *status, "{uri} {headers:?}");
        let warm_answer = warm(&apps, get(uri, headers)).await;
        assert_eq!(warm_answer.status, HANDED_ON, "{uri} {headers:?}");
    }
    // Another host (a page rebinding its DNS name to the server) is refused, 421.
    let misdirected = || {
        Request::builder()
            .uri(&uri)
            .header("host", "evil.example:8080")
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(request(&apps.routed, misdirected()).await.status, 421);
    assert_eq!(warm(&apps, misdirected()).await.status, HANDED_ON);
    // A token the server has not yet checked against its hash goes the router's way,
    // and once checked, the warm one.
    let first = warm(&apps, get(&uri, &[("authorization", &bearer)])).await;
    assert_eq!(first.status, HANDED_ON, "an unverified token");
    same_both_ways(&apps, &uri, &[("authorization", &bearer)]).await;
    // Not a plain GET of a tile: handed on.
    for req in [
        Request::builder()
            .method("HEAD")
            .uri(&uri)
            .header("host", HOST)
            .body(Body::empty())
            .unwrap(),
        get(&format!("{uri}?v=2"), &[]),
        get(&uri.replace("villages", "vill%61ges"), &[]),
    ] {
        assert_eq!(warm(&apps, req).await.status, HANDED_ON);
    }
}

#[tokio::test]
async fn a_tile_an_edit_may_have_changed_is_handed_on_until_the_router_checks_it() {
    let apps = apps();
    let (cookie, csrf) = sign_in(&apps).await;
    let (lon, lat) = (105.70, 34.48);
    let (x, y) = tile_of(lon, lat, 14);
    let uri = format!("/tiles/shelters/14/{x}/{y}");
    let before = same_both_ways(&apps, &uri, &[]).await;
    // A shelter added inside the tile, from the signed-in page.
    let shelter = json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "name": "新建安置点", "capacity": 120, "capacity_night": 120, "area_m2": 300,
            "shelter_type": "school", "status": "open", "occupancy": 0
        }
    });
    let req = Request::builder()
        .method("POST")
        .uri("/api/layers/shelters/features")
        .header("host", HOST)
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/json")
        .body(Body::from(shelter.to_string()))
        .unwrap();
    let added = request(&apps.routed, req).await;
    assert!(
        added.status.is_success(),
        "{}",
        String::from_utf8_lossy(&added.body)
    );
    let after_edit = warm(&apps, get(&uri, &[])).await;
    assert_eq!(after_edit.status, HANDED_ON, "the edit touched this tile");
    let after = same_both_ways(&apps, &uri, &[]).await;
    assert_ne!(after.body, before.body, "the new shelter is drawn");
}
