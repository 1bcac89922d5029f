//! Tiles through the router: exact feature sets against a brute force, valid MVT, gzip,
//! ETags, composite ids, and a decoded snapshot of a small hand-readable fixture.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::mvt::{self, Geom};
use common::{buffered_tile_bounds, demo_app, get, repo_path, request, tile_of};
use geo::{BoundingRect, Geometry, Rect, Relate};
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};

const BUFFER: f64 = 64.0;

/// Every layer's features, loaded a second time, for the brute force.
fn demo_layers() -> Vec<(String, Vec<Geometry<f64>>)> {
    let loaded = riskatlas::import::load_folder(&repo_path("data/demo")).unwrap();
    loaded
        .atlas
        .layers()
        .iter()
        .map(|l| {
            (
                l.id.to_string(),
                l.features().iter().map(|f| f.geometry.clone()).collect(),
            )
        })
        .collect()
}

/// Brute force: every feature whose geometry meets the rectangle, by a full scan and
/// geo's DE-9IM `Relate` (a different algorithm from the server's `Intersects`).
fn brute_force(geoms: &[Geometry<f64>], b: (f64, f64, f64, f64)) -> BTreeSet<u64> {
    let rect = Rect::new((b.0, b.1), (b.2, b.3));
    let rect_poly = rect.to_polygon();
    geoms
        .iter()
        .enumerate()
        .filter(|(_, g)| {
            let bb = g.bounding_rect().unwrap();
            let disjoint =
                bb.max().x < b.0 || bb.min().x > b.2 || bb.max().y < b.1 || bb.min().y > b.3;
            !disjoint && g.relate(&rect_poly).is_intersects()
        })
        .map(|(i, _)| i as u64)
        .collect()
}

fn tiles_to_check() -> Vec<(u32, u32, u32)> {
    // The demo spans about lon 105.55..105.94, lat 34.40..34.67.
    let (w, s, e, n) = (105.548, 34.398, 105.935, 34.673);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    let mut tiles = Vec::new();
    for z in 0..=16u32 {
        let (x0, y0) = tile_of(w, n, z);
        let (x1, y1) = tile_of(e, s, z);
        let all: Vec<(u32, u32)> = (x0..=x1)
            .flat_map(|x| (y0..=y1).map(move |y| (x, y)))
            .collect();
        if all.len() <= 16 {
            tiles.extend(all.into_iter().map(|(x, y)| (z, x, y)));
        } else {
            for _ in 0..16 {
                let (x, y) = all[rng.random_range(0..all.len())];
                tiles.push((z, x, y));
            }
        }
        // And the tiles just outside the area, where the buffer alone may bring features in.
        tiles.push((z, x0.saturating_sub(1), y0));
        tiles.push((z, x1 + 1, y1));
    }
    tiles.retain(|&(z, x, y)| x < (1 << z) && y < (1 << z));
    tiles
}

#[tokio::test]
async fn every_tile_holds_exactly_the_features_meeting_its_buffered_bounds() {
    let app = demo_app();
    let layers = demo_layers();
    let ids: Vec<&str> = layers.iter().map(|(id, _)| id.as_str()).collect();
    let mut checked = 0;
    for (z, x, y) in tiles_to_check() {
        let reply = get(&app, &format!("/tiles/{}/{z}/{x}/{y}", ids.join(","))).await;
        let bounds = buffered_tile_bounds(z, x, y, BUFFER);
        let decoded: BTreeMap<String, mvt::Layer> = match reply.status.as_u16() {
            200 => mvt::decode(&reply.body)
                .into_iter()
                .map(|l| (l.name.clone(), l))
                .collect(),
            204 => BTreeMap::new(),
            other => panic!("tile {z}/{x}/{y}: status {other}"),
        };
        assert!(
            decoded.keys().all(|name| layers
                .iter()
                .any(|(id, _)| name == id || *name == format!("{id}:label"))),
            "unexpected layers {:?}",
            decoded.keys()
        );
        for (id, geoms) in &layers {
            let expected = brute_force(geoms, bounds);
            let got: BTreeSet<u64> = decoded
                .get(id)
                .map(|l| l.features.iter().map(|f| f.id).collect())
                .unwrap_or_default();
            assert_eq!(got, expected, "layer {id} in tile {z}/{x}/{y}");
            checked += expected.len();
        }
        for layer in decoded.values() {
            assert_eq!((layer.version, layer.extent), (2, 4096));
            for f in &layer.features {
                for [cx, cy] in f.geom.coords() {
                    assert!(
                        (-64..=4160).contains(&cx) && (-64..=4160).contains(&cy),
                        "{cx},{cy} outside the buffered tile"
                    );
                }
                if let Geom::Rings(rings) = &f.geom {
                    assert!(
                        rings[0].1 > 0,
                        "an exterior ring must have positive area (clockwise on screen)"
                    );
                }
            }
        }
    }
    assert!(
        checked > 5_000,
        "the check should cover many features, covered {checked}"
    );
}

#[tokio::test]
async fn tile_features_carry_their_attributes() {
    let app = demo_app();
    let (x, y) = tile_of(105.74, 34.53, 8);
    let reply = get(&app, &format!("/tiles/shelters/8/{x}/{y}")).await;
    let layers = mvt::decode(&reply.body);
    let shelters = &layers[0];
    let geojson = get(&app, "/api/layers/shelters/features?limit=10000")
        .await
        .json();
    // A tile numbers features by position: the unfiltered list's order.
    let by_id: BTreeMap<u64, &serde_json::Value> = geojson["features"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(fid, f)| (fid as u64, f))
        .collect();
    for f in &shelters.features {
        let expected = &by_id[&f.id]["properties"];
        assert_eq!(f.props["name"], expected["name"]);
        assert_eq!(f.props["capacity"], expected["capacity"]);
    }
}

#[tokio::test]
async fn a_tile_with_nothing_in_it_is_204() {
    let reply = get(&demo_app(), "/tiles/roads,floods/10/0/0").await;
    assert_eq!(reply.status, 204);
    assert!(reply.body.is_empty());
}

#[tokio::test]
async fn gzip_is_served_when_accepted_and_etags_revalidate() {
    use axum::body::Body;
    use axum::http::Request;
    use std::io::Read;
    let app = demo_app();
    let (x, y) = tile_of(105.74, 34.53, 11);
    let uri = format!("/tiles/villages,roads/11/{x}/{y}");
    let plain = get(&app, &uri).await;
    assert_eq!(plain.status, 200);
    assert_eq!(
        plain.headers["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    assert!(plain.headers.get("content-encoding").is_none());
    let gz = request(
        &app,
        Request::get(&uri)
            .header("accept-encoding", "gzip")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(gz.headers["content-encoding"], "gzip");
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, plain.body);
    let etag = plain.headers["etag"].to_str().unwrap().to_string();
    assert!(
        plain.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let again = request(
        &app,
        Request::get(&uri)
            .header("if-none-match", &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
}

#[tokio::test]
async fn composite_ids_give_one_mvt_layer_each_in_request_order_without_repeats() {
    let (x, y) = tile_of(105.74, 34.53, 9);
    let reply = get(
        &demo_app(),
        &format!("/tiles/roads,villages,roads/9/{x}/{y}"),
    )
    .await;
    let names: Vec<String> = mvt::decode(&reply.body)
        .into_iter()
        .map(|l| l.name)
        .collect();
    // Admin layers also carry their label anchors, right after their polygons.
    assert_eq!(names, ["roads", "villages", "villages:label"]);
}

/// A fixture anyone can check by hand: at z1, tile (1, 1) covers lon 0..180, lat -85..0.
/// - point at lon 90, lat 0: tile x = (0.75·2 − 1)·4096 = 2048, y = (0.5·2 − 1)·4096 = 0;
/// - line from lon 45 to lon 135 along the equator: x 1024 → 3072, y 0;
/// - a square lon 0..90, lat −40..0, which starts at the tile's west edge.
fn fixture_app() -> axum::Router {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("atlas.toml"),
        "name = \"fixture\"\n[[layer]]\nid = \"things\"\nkind = \"basemap\"\nfile = \"things.geojson\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("things.geojson"),
        r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[90,0]},"properties":{"name":"pt","feature_class":"marker"}},
        {"type":"Feature","geometry":{"type":"LineString","coordinates":[[45,0],[135,0]]},"properties":{"name":"equator"}},
        {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,-40],[90,-40],[90,0],[0,0],[0,-40]]]},"properties":{"name":"square"}}
        ]}"#,
    )
    .unwrap();
    let loaded = riskatlas::import::load_folder(dir.path()).unwrap();
    riskatlas::api::router(riskatlas::api::AppState::new(loaded.atlas, loaded.report))
}

#[tokio::test]
async fn hand_worked_fixture_lands_where_the_arithmetic_says() {
    let reply = get(&fixture_app(), "/tiles/things/1/1/1").await;
    let layer = &mvt::decode(&reply.body)[0];
    assert_eq!(layer.features[0].geom, Geom::Points(vec![[2048, 0]]));
    assert_eq!(
        layer.features[1].geom,
        Geom::Lines(vec![vec![[1024, 0], [3072, 0]]])
    );
    let Geom::Rings(rings) = &layer.features[2].geom else {
        panic!("square is a polygon")
    };
    let xs: BTreeSet<i64> = rings[0].0.iter().map(|p| p[0]).collect();
    assert_eq!(xs, BTreeSet::from([0, 2048]));
    // lat −40 in Web Mercator: world y = 0.5 − ln(tan(45° − 20°))/(2π); tile y = (2·world − 1)·4096.
    let y40 = ((0.5
        - (std::f64::consts::FRAC_PI_4 - 20f64.to_radians())
            .tan()
            .ln()
            / (2.0 * std::f64::consts::PI))
        * 2.0
        - 1.0)
        * 4096.0;
    let ys: BTreeSet<i64> = rings[0].0.iter().map(|p| p[1]).collect();
    assert_eq!(ys, BTreeSet::from([0, y40.round() as i64]));
}

#[tokio::test]
async fn decoded_fixture_tiles_match_their_reviewed_snapshots() {
    let app = fixture_app();
    for (z, x, y) in [(0, 0, 0), (1, 1, 1), (2, 2, 2)] {
        let reply = get(&app, &format!("/tiles/things/{z}/{x}/{y}")).await;
        insta::assert_json_snapshot!(format!("fixture_{z}_{x}_{y}"), mvt::decode(&reply.body));
    }
}

#[tokio::test]
async fn admin_labels_come_once_per_unit_from_a_point_inside_it() {
    let app = demo_app();
    let atlas = riskatlas::import::load_folder(&repo_path("data/demo"))
        .unwrap()
        .atlas;
    let townships = atlas.layer("townships").unwrap();
    let (x0, y0) = tile_of(105.548, 34.673, 9);
    let (x1, y1) = tile_of(105.935, 34.398, 9);
    let mut labelled = BTreeSet::new();
    for x in x0..=x1 {
        for y in y0..=y1 {
            let reply = get(&app, &format!("/tiles/townships/9/{x}/{y}")).await;
            for layer in mvt::decode(&reply.body)
                .into_iter()
                .filter(|l| l.name == "townships:label")
            {
                let ids: Vec<u64> = layer.features.iter().map(|f| f.id).collect();
                let unique: BTreeSet<u64> = ids.iter().copied().collect();
                assert_eq!(
                    ids.len(),
                    unique.len(),
                    "a label repeats within tile 9/{x}/{y}"
                );
                for f in &layer.features {
                    assert!(
                        matches!(&f.geom, Geom::Points(p) if p.len() == 1),
                        "a label is one point"
                    );
                    assert_eq!(
                        f.props["name"].as_str(),
                        townships.value(f.id as u32, "name").as_str()
                    );
                }
                labelled.extend(unique);
            }
        }
    }
    assert_eq!(
        labelled.len(),
        townships.len(),
        "every township gets a label"
    );
    for fid in 0..townships.len() as u32 {
        let p = townships.label_point(fid).unwrap();
        let polygon = &townships.feature(fid).unwrap().geometry;
        assert!(
            geo::Contains::contains(polygon, &p),
            "label {fid} outside its township"
        );
    }
}
