//! Generalised low zooms, checked against a brute force written from the rule in the
//! README (anchors, first drawn zooms and cells computed here with this file's own
//! Mercator arithmetic): every feature left out of a tile below its layer's detail zoom
//! is counted in a cluster of that tile, people and capacity are preserved exactly per
//! tile, no tile is over budget, and from the detail zoom on tiles are exact.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::mvt::{self, Geom};
use common::{buffered_tile_bounds, tile_of};
use geo::{BoundingRect, Geometry, Rect, Relate};
use riskatlas::atlas::{Atlas, Disclosure, Layer};
use riskatlas::tiles::{TileCoord, TileOptions, render_tile};
use std::collections::BTreeSet;

const BUDGET: usize = 500 * 1024;

/// The demo at scale 20: about 40,000 features, enough that the busiest layers are
/// generalised below zoom 8 or 9.
fn province() -> Atlas {
    riskatlas::demo::generate(7, 20.0).into_loaded().atlas
}

/// World y of a latitude (textbook Web Mercator, as `tile_of`).
fn world_y(lat: f64) -> f64 {
    let r = lat.to_radians();
    (1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0
}

/// The rule's anchor: a point's position, else the centre of the lon/lat box.
fn anchor(g: &Geometry<f64>) -> (f64, f64) {
    match g {
        Geometry::Point(p) => (p.x(), p.y()),
        other => {
            let r = other.bounding_rect().unwrap();
            ((r.min().x + r.max().x) / 2.0, (r.min().y + r.max().y) / 2.0)
        }
    }
}

/// Whether the rule draws `g` at zoom `z` below the detail zoom: lines and polygons
/// whose box's longer side spans 128 tile units or more.
fn drawn_at(g: &Geometry<f64>, z: u8) -> bool {
    if matches!(g, Geometry::Point(_) | Geometry::MultiPoint(_)) {
        return false;
    }
    let r = g.bounding_rect().unwrap();
    let dx = (r.max().x - r.min().x) / 360.0;
    let dy = (world_y(r.min().y) - world_y(r.max().y)).abs();
    dx.max(dy) * 4096.0 * 2f64.powi(i32::from(z)) >= 128.0
}

fn meets(g: &Geometry<f64>, b: (f64, f64, f64, f64)) -> bool {
    let rect = Rect::new((b.0, b.1), (b.2, b.3)).to_polygon();
    g.relate(&rect).is_intersects()
}

/// Every tile at zoom `z` with an anchor of `layer` in it.
fn tiles_with_data(layer: &Layer, z: u8) -> BTreeSet<(u32, u32)> {
    layer
        .features()
        .iter()
        .map(|f| {
            let (lon, lat) = anchor(&f.geometry);
            tile_of(lon, lat, u32::from(z))
        })
        .collect()
}

/// The count fields clusters must sum, by layer kind (from the README's rule).
fn summed(layer: &Layer) -> Vec<&'static str> {
    let candidates = [
        "population",
        "households",
        "elderly",
        "children",
        "disabled",
        "population_night",
        "capacity",
        "capacity_night",
        "occupancy",
        "occupants",
        "members",
        "threatened_people",
        "threatened_households",
    ];
    candidates
        .into_iter()
        .filter(|f| layer.schema.position(f).is_some())
        .collect()
}

fn number(v: &serde_json::Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// Checks one tile of one generalised layer below its detail zoom against the brute force.
fn check_generalised_tile(layer: &Layer, z: u8, x: u32, y: u32) -> usize {
    let coord = TileCoord::new(z.into(), x.into(), y.into()).unwrap();
    let bytes =
        render_tile(&[layer], coord, &TileOptions::default(), Disclosure::Full).unwrap_or_default();
    assert!(
        bytes.len() <= BUDGET,
        "{} {z}/{x}/{y}: {} bytes",
        layer.id,
        bytes.len()
    );
    let decoded = mvt::decode(&bytes);
    let main = decoded.iter().find(|l| l.name == layer.id.as_str());
    let clusters = decoded
        .iter()
        .find(|l| l.name == format!("{}:clusters", layer.id));
    let buffered = buffered_tile_bounds(z.into(), x, y, 64.0);

    // The brute force: what is drawn, and what is summarised in this tile.
    let mut drawn = BTreeSet::new();
    let mut summarised = Vec::new();
    for (fid, f) in layer.features().iter().enumerate() {
        if drawn_at(&f.geometry, z) {
            if meets(&f.geometry, buffered) {
                drawn.insert(fid as u64);
            }
        } else {
            let (lon, lat) = anchor(&f.geometry);
            if tile_of(lon, lat, z.into()) == (x, y) {
                summarised.push(fid);
            }
        }
    }

    let main_ids: BTreeSet<u64> = main
        .map(|l| l.features.iter().map(|f| f.id).collect())
        .unwrap_or_default();
    assert!(
        drawn.is_subset(&main_ids),
        "{} {z}/{x}/{y}: drawn features missing: {:?}",
        layer.id,
        drawn.difference(&main_ids).take(5).collect::<Vec<_>>()
    );
    // What else the main layer holds are points alone in their cell, drawn as themselves.
    let singles: Vec<u64> = main_ids.difference(&drawn).copied().collect();
    for id in &singles {
        assert!(
            summarised.contains(&(*id as usize)),
            "{} {z}/{x}/{y}: feature {id} is neither drawn by the rule nor summarised here",
            layer.id
        );
        assert!(matches!(
            layer.features()[*id as usize].geometry,
            Geometry::Point(_)
        ));
    }
    let cluster_features = clusters.map(|l| l.features.as_slice()).unwrap_or_default();
    let counted: f64 = cluster_features
        .iter()
        .map(|c| number(&c.props["count"]))
        .sum::<f64>()
        + singles.len() as f64;
    assert_eq!(
        counted as usize,
        summarised.len(),
        "{} {z}/{x}/{y}: clusters and single points count {counted}, the brute force {}",
        layer.id,
        summarised.len()
    );
    for field in summed(layer) {
        let position = layer.schema.position(field).unwrap();
        let expected: f64 = summarised
            .iter()
            .map(|&fid| {
                layer.features()[fid].attrs[position]
                    .as_f64()
                    .unwrap_or(0.0)
            })
            .sum();
        let got: f64 = cluster_features
            .iter()
            .map(|c| c.props.get(field).map(number).unwrap_or(0.0))
            .sum::<f64>()
            + singles
                .iter()
                .map(|&id| {
                    layer.features()[id as usize].attrs[position]
                        .as_f64()
                        .unwrap_or(0.0)
                })
                .sum::<f64>();
        assert!(
            (got - expected).abs() < 1e-6,
            "{} {z}/{x}/{y}: {field} sums to {got} in the tile, {expected} by brute force",
            layer.id
        );
    }
    for c in cluster_features {
        let Geom::Points(p) = &c.geom else {
            panic!("a cluster is a point")
        };
        assert!(
            p.iter()
                .all(|q| (0..=4096).contains(&q[0]) && (0..=4096).contains(&q[1])),
            "a cluster lies outside its tile: {p:?}"
        );
    }
    summarised.len()
}

#[test]
fn below_the_detail_zoom_every_left_out_feature_is_counted_in_its_tile() {
    let atlas = province();
    let generalised: Vec<&Layer> = atlas
        .layers()
        .iter()
        .map(|l| l.as_ref())
        .filter(|l| l.generalised().detail_zoom() > 0)
        .collect();
    let names: Vec<String> = generalised
        .iter()
        .map(|l| format!("{} below z{}", l.id, l.generalised().detail_zoom()))
        .collect();
    eprintln!("generalised: {names:?}");
    assert!(
        names.len() >= 2,
        "the scale-20 demo should generalise its busiest layers, got {names:?}"
    );
    let mut summarised = 0;
    for layer in generalised {
        let detail = layer.generalised().detail_zoom();
        for z in (0..detail).rev().take(4) {
            for (x, y) in tiles_with_data(layer, z).into_iter().take(6) {
                summarised += check_generalised_tile(layer, z, x, y);
            }
        }
    }
    assert!(
        summarised > 10_000,
        "only {summarised} features were summarised"
    );
}

#[test]
fn from_the_detail_zoom_on_tiles_are_exact() {
    let atlas = province();
    for layer in atlas
        .layers()
        .iter()
        .filter(|l| l.generalised().detail_zoom() > 0)
    {
        let z = layer.generalised().detail_zoom();
        for (x, y) in tiles_with_data(layer, z).into_iter().take(4) {
            let coord = TileCoord::new(z.into(), x.into(), y.into()).unwrap();
            let bytes =
                render_tile(&[layer], coord, &TileOptions::default(), Disclosure::Full).unwrap();
            let decoded = mvt::decode(&bytes);
            assert!(
                !decoded.iter().any(|l| l.name.ends_with(":clusters")),
                "{} {z}/{x}/{y}: clusters at the detail zoom",
                layer.id
            );
            let ids: BTreeSet<u64> = decoded
                .iter()
                .filter(|l| l.name == layer.id.as_str())
                .flat_map(|l| l.features.iter().map(|f| f.id))
                .collect();
            let buffered = buffered_tile_bounds(z.into(), x, y, 64.0);
            let expected: BTreeSet<u64> = layer
                .features()
                .iter()
                .enumerate()
                .filter(|(_, f)| meets(&f.geometry, buffered))
                .map(|(i, _)| i as u64)
                .collect();
            assert_eq!(ids, expected, "{} {z}/{x}/{y}", layer.id);
        }
    }
}

/// Every feature of a decoded tile, MVT layer by MVT layer, as a sorted list: the
/// features' MVT ids (their fids) and their order left out.
fn feature_multisets(bytes: &[u8]) -> Vec<(String, Vec<String>)> {
    mvt::decode(bytes)
        .into_iter()
        .map(|l| {
            let mut features: Vec<String> = l
                .features
                .iter()
                .map(|f| serde_json::to_string(&(&f.props, &f.geom)).unwrap())
                .collect();
            features.sort();
            (l.name, features)
        })
        .collect()
}

/// A layer read in another order (a folder gives its file's order, PostGIS its heap's,
/// which a large table's scans do not keep) draws the same low-zoom tiles: a cluster
/// stands at its best feature with ties going to the lowest id, not the first read.
#[test]
fn low_zoom_tiles_do_not_depend_on_the_order_features_were_read_in() {
    let atlas = province();
    let mut compared = 0;
    let mut tied_layers = 0;
    for layer in atlas.layers().iter().map(|l| l.as_ref()) {
        let detail = layer.generalised().detail_zoom();
        if detail == 0 {
            continue;
        }
        let mut reversed = layer.features().to_vec();
        reversed.reverse();
        let reversed = Layer::new(
            layer.id.clone(),
            layer.name.clone(),
            layer.kind,
            layer.schema.clone(),
            reversed,
        );
        // A layer without a rank (roads) ties in every cell: the case that differed.
        tied_layers += usize::from(layer.generalised().rank_field().is_none());
        for z in (0..detail).rev().take(3) {
            for (x, y) in tiles_with_data(layer, z).into_iter().take(4) {
                let coord = TileCoord::new(z.into(), x.into(), y.into()).unwrap();
                let draw = |l: &Layer| {
                    render_tile(&[l], coord, &TileOptions::default(), Disclosure::Full)
                        .unwrap_or_default()
                };
                assert_eq!(
                    feature_multisets(&draw(layer)),
                    feature_multisets(&draw(&reversed)),
                    "{} {z}/{x}/{y} read in reverse draws another tile",
                    layer.id
                );
                compared += 1;
            }
        }
    }
    assert!(compared >= 12, "only {compared} tiles compared");
    assert!(tied_layers >= 1, "no generalised layer without a rank");
}

#[test]
fn the_whole_province_in_one_tile_stays_under_budget_with_every_layer() {
    let atlas = province();
    let layers: Vec<&Layer> = atlas.layers().iter().map(|l| l.as_ref()).collect();
    let bbox = atlas.bbox().unwrap();
    for z in 0..=9u8 {
        let (x, y) = tile_of(bbox.center().0, bbox.center().1, z.into());
        let coord = TileCoord::new(z.into(), x.into(), y.into()).unwrap();
        let bytes = render_tile(&layers, coord, &TileOptions::default(), Disclosure::Full).unwrap();
        assert!(bytes.len() <= BUDGET, "z{z}: {} bytes", bytes.len());
    }
}

#[test]
fn a_tile_served_coarser_by_the_size_estimate_was_near_the_budget_drawn_as_the_rule_says() {
    // The estimate (`tiles::estimate`) lets a tile skip an exact drawing it predicts is
    // over budget. Compared here with the reference, which always draws as the rule
    // says first and coarsens only when that is over: wherever the two differ, the
    // reference's tile (the finest that fits) must have been close to the budget, so
    // the estimate only ever gives up detail that was nearly too big anyway.
    let atlas = province();
    let layers: Vec<&Layer> = atlas.layers().iter().map(|l| l.as_ref()).collect();
    let estimating = TileOptions::default();
    let reference = TileOptions {
        estimate_size: false,
        ..TileOptions::default()
    };
    let (mut tiles, mut coarser, mut over_budget) = (0, 0, 0);
    for z in 6..=9u8 {
        let with_data: BTreeSet<(u32, u32)> =
            layers.iter().flat_map(|l| tiles_with_data(l, z)).collect();
        for (x, y) in with_data {
            let coord = TileCoord::new(z.into(), x.into(), y.into()).unwrap();
            let fast = render_tile(&layers, coord, &estimating, Disclosure::Full).unwrap();
            let finest = render_tile(&layers, coord, &reference, Disclosure::Full).unwrap();
            assert!(fast.len() <= BUDGET, "{z}/{x}/{y}: {} bytes", fast.len());
            tiles += 1;
            if finest.len() > 9 * BUDGET / 10 {
                over_budget += 1;
            }
            if fast != finest {
                coarser += 1;
                assert!(
                    finest.len() >= 3 * BUDGET / 4,
                    "{z}/{x}/{y} was served coarser than needed though its finest drawing \
                     is {} bytes, far under the budget",
                    finest.len()
                );
            }
        }
    }
    println!("{tiles} tiles at z6–z9: {coarser} served coarser than the finest that fits");
    assert!(
        over_budget > 0,
        "the scale-20 demo should have tiles near the budget at z6–z9, or this checks nothing"
    );
}

#[test]
fn a_tile_over_budget_is_drawn_coarser_until_it_fits_and_still_counts_everyone() {
    // 1,000 shelters with long names in a few hundred metres: too few to be generalised
    // by count, but 1,000 × 960 bytes of name is over the budget in any one tile.
    let name = "避难场所".repeat(80);
    let features: Vec<serde_json::Value> = (0..1_000)
        .map(|i| {
            let (dx, dy) = (f64::from(i % 50) * 0.0001, f64::from(i / 50) * 0.0001);
            common::folder::point(
                &format!("S{i}"),
                105.7 + dx,
                34.5 + dy,
                serde_json::json!({"capacity": i + 1, "name": format!("{name}{i}")}),
            )
        })
        .collect();
    let dir = common::folder::data_folder(
        "name = \"crowded\"\n[[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.geojson\"\n",
        &[("shelters.geojson", common::folder::collection(features))],
    );
    let atlas = riskatlas::import::load_folder(dir.path()).unwrap().atlas;
    let layer = atlas.layer("shelters").unwrap();
    assert_eq!(
        layer.generalised().detail_zoom(),
        0,
        "few enough to be exact by count"
    );
    let total_capacity: f64 = (1..=1_000).map(f64::from).sum();
    for z in [8u8, 10, 12] {
        let (x, y) = tile_of(105.7, 34.5, z.into());
        assert_eq!(
            tile_of(105.7049, 34.5039, z.into()),
            (x, y),
            "the shelters span tiles at z{z}"
        );
        let coord = TileCoord::new(z.into(), x.into(), y.into()).unwrap();
        let bytes =
            render_tile(&[layer], coord, &TileOptions::default(), Disclosure::Full).unwrap();
        assert!(bytes.len() <= BUDGET, "z{z}: {} bytes", bytes.len());
        let decoded = mvt::decode(&bytes);
        let clusters = decoded
            .iter()
            .find(|l| l.name == "shelters:clusters")
            .unwrap();
        let singles = decoded
            .iter()
            .find(|l| l.name == "shelters")
            .map_or(0, |l| l.features.len());
        let count: f64 = clusters
            .features
            .iter()
            .map(|c| number(&c.props["count"]))
            .sum();
        let capacity: f64 = clusters
            .features
            .iter()
            .map(|c| number(&c.props["capacity"]))
            .sum::<f64>()
            + decoded
                .iter()
                .filter(|l| l.name == "shelters")
                .flat_map(|l| l.features.iter())
                .map(|f| number(&f.props["capacity"]))
                .sum::<f64>();
        assert_eq!(count as usize + singles, 1_000, "z{z}");
        assert_eq!(capacity, total_capacity, "z{z}");
    }
}

#[tokio::test]
async fn tilejson_describes_the_clusters_of_a_generalised_layer_up_to_its_detail_zoom() {
    let atlas = province();
    let detail = atlas
        .layer("landslides")
        .unwrap()
        .generalised()
        .detail_zoom();
    assert!(detail > 0);
    let report = riskatlas::import::LoadReport::default();
    let app = riskatlas::api::router(riskatlas::api::AppState::new(atlas, report));
    let tilejson = common::get(&app, "/api/layers/landslides").await.ok_json();
    let clusters = &tilejson["vector_layers"][1];
    assert_eq!(clusters["id"], "landslides:clusters");
    assert_eq!(clusters["maxzoom"], u64::from(detail) - 1);
    for field in ["count", "threatened_people", "severity_max"] {
        assert!(
            clusters["fields"].get(field).is_some(),
            "{field} in {clusters}"
        );
    }
    // The county's single polygon is exact at every zoom: no clusters to describe.
    let county = common::get(&app, "/api/layers/county").await.ok_json();
    assert_eq!(county["vector_layers"].as_array().unwrap().len(), 1);
}
