//! The data contract end to end: folders with good and bad layers, the `check` command,
//! a real third-party file, and the bundled demo (reproducible and coherent).
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::{get, repo_path, tile_of};
use geo::{Area, Contains, Geometry, Intersects, Point};
use riskatlas::atlas::Value;
use riskatlas::import::load_folder;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A folder with one good layer, one half-bad layer, a CSV with Chinese columns and a
/// layer whose file is missing.
fn mixed_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "atlas.toml",
        r#"name = "mixed"
[[layer]]
id = "floods"
kind = "flood"
file = "floods.geojson"

[[layer]]
id = "shelters"
kind = "shelter"
file = "shelters.csv"
[layer.fields]
capacity = "容纳人数"
name = "名称"

[[layer]]
id = "ghost"
kind = "road"
file = "missing.geojson"
"#,
    );
    write(
        dir.path(),
        "floods.geojson",
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[105,34],[106,34],[106,35],[105,34]]]},"properties":{"return_period_years":50,"severity":2}},
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[105,34],[106,34],[106,35],[105,34]]]},"properties":{"severity":2}},
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[105,34],[106,34],[106,35],[105,35]]]},"properties":{"return_period_years":10}},
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[105,34],[106,34],[106,35],[105,34]]]},"properties":{"return_period_years":10,"severity":"purple"}}
]}"#,
    );
    write(
        dir.path(),
        "shelters.csv",
        "名称,经度,纬度,容纳人数\n一中操场,105.5,34.5,800\n二中操场,105.6,34.5,很多\n",
    );
    dir
}

#[test]
fn a_folder_loads_what_it_can_and_reports_every_refusal_with_file_index_and_reason() {
    let dir = mixed_folder();
    let loaded = load_folder(dir.path()).unwrap();
    assert_eq!(loaded.atlas.layer("floods").unwrap().len(), 1);
    assert_eq!(loaded.atlas.layer("shelters").unwrap().len(), 1);
    assert!(loaded.atlas.layer("ghost").is_none());
    let floods = loaded.report.layer("floods").unwrap();
    let refused: Vec<(usize, &str)> = floods
        .rejections
        .iter()
        .map(|r| (r.index, r.reason.as_str()))
        .collect();
    assert_eq!(refused.iter().map(|r| r.0).collect::<Vec<_>>(), [1, 2, 3]);
    assert!(refused[0].1.contains("return_period_years"));
    assert!(refused[1].1.contains("not closed"));
    assert!(refused[2].1.contains("severity"));
    assert!(floods.rejections.iter().all(|r| r.file == "floods.geojson"));
    let shelters = loaded.report.layer("shelters").unwrap();
    assert_eq!(shelters.rejections[0].index, 1);
    assert!(
        shelters.rejections[0].reason.contains("capacity"),
        "{}",
        shelters.rejections[0].reason
    );
    let ghost = loaded.report.layer("ghost").unwrap();
    assert!(ghost.error.as_deref().unwrap().contains("missing.geojson"));
    // Loaded + rejected accounts for every feature in the files: nothing vanished.
    assert_eq!(floods.loaded + floods.rejected, 4);
    assert_eq!(shelters.loaded + shelters.rejected, 2);
}

#[tokio::test]
async fn the_catalogue_shows_rejected_counts_and_failed_layers() {
    let dir = mixed_folder();
    let loaded = load_folder(dir.path()).unwrap();
    let app = riskatlas::api::router(riskatlas::api::AppState::new(loaded.atlas, loaded.report));
    let body = get(&app, "/api/layers").await.json();
    let by_id: BTreeMap<&str, &serde_json::Value> = body["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["id"].as_str().unwrap(), l))
        .collect();
    assert_eq!(
        (
            by_id["floods"]["count"].as_u64(),
            by_id["floods"]["rejected"].as_u64()
        ),
        (Some(1), Some(3))
    );
    assert_eq!(by_id["ghost"]["status"], "failed");
    assert_eq!(get(&app, "/api/health").await.json()["status"], "degraded");
    let report = get(&app, "/api/report").await.json();
    assert_eq!(
        report["layers"][0]["rejections"].as_array().unwrap().len(),
        3
    );
}

#[test]
fn check_exits_non_zero_only_when_a_layer_cannot_be_loaded_at_all() {
    let bin = env!("CARGO_BIN_EXE_riskatlas");
    let dir = mixed_folder();
    let out = Command::new(bin)
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    // The second feature, counted as a person counts it.
    assert!(text.contains("rejected floods.geojson feature 2"), "{text}");
    assert!(text.contains("ghost") && text.contains("FAILED"), "{text}");

    std::fs::write(
        dir.path().join("atlas.toml"),
        "name = \"ok\"\n[[layer]]\nid = \"floods\"\nkind = \"flood\"\nfile = \"floods.geojson\"\n",
    )
    .unwrap();
    let out = Command::new(bin)
        .arg("check")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rejected features alone are not fatal"
    );

    let out = Command::new(bin)
        .args(["check", "/nonexistent-folder"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("atlas.toml"));
}

#[tokio::test]
async fn the_real_usgs_earthquake_week_imports_whole_and_tiles_its_strongest_quake() {
    let path = repo_path("data/real/usgs-earthquakes-2018-02.geojson");
    let raw: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let features = raw["features"].as_array().unwrap();
    let loaded = load_folder(&repo_path("data/real")).unwrap();
    let quakes = loaded.atlas.layer("earthquakes").unwrap();
    assert_eq!(quakes.len() + loaded.report.rejected(), features.len());
    assert_eq!(
        loaded.report.rejected(),
        0,
        "{:?}",
        loaded.report.layers[0].rejections
    );
    // The Hualien M6.4 of 6 February 2018, found in the raw file independently.
    let (index, hualien) = features
        .iter()
        .enumerate()
        .max_by(|a, b| {
            a.1["properties"]["mag"]
                .as_f64()
                .unwrap_or(0.0)
                .total_cmp(&b.1["properties"]["mag"].as_f64().unwrap_or(0.0))
        })
        .unwrap();
    assert_eq!(hualien["properties"]["mag"], 6.4);
    let fid = index as u32;
    assert_eq!(quakes.value(fid, "mag"), &Value::Float(6.4));
    assert!(
        quakes
            .value(fid, "place")
            .as_str()
            .unwrap()
            .contains("Hualian")
    );
    let [lon, lat] = [
        hualien["geometry"]["coordinates"][0].as_f64().unwrap(),
        hualien["geometry"]["coordinates"][1].as_f64().unwrap(),
    ];
    let app = riskatlas::api::router(riskatlas::api::AppState::new(loaded.atlas, loaded.report));
    let (x, y) = tile_of(lon, lat, 8);
    let reply = get(&app, &format!("/tiles/earthquakes/8/{x}/{y}")).await;
    let layer = &common::mvt::decode(&reply.body)[0];
    let found = layer
        .features
        .iter()
        .find(|f| f.id == u64::from(fid))
        .expect("the quake is in its tile");
    assert_eq!(found.props["mag"], 6.4);
}

#[test]
fn the_committed_demo_is_exactly_what_the_generator_makes_for_seed_7() {
    let out = tempfile::tempdir().unwrap();
    riskatlas::demo::write_demo(out.path(), 7, 1.0).unwrap();
    let committed = repo_path("data/demo");
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let name = entry.unwrap().file_name();
        let fresh = std::fs::read(out.path().join(&name)).unwrap();
        let bundled = std::fs::read(committed.join(&name)).unwrap_or_default();
        assert!(
            fresh == bundled,
            "data/demo/{} differs from the generator's output: regenerate with `riskatlas demo --out data/demo --seed 7`",
            name.to_string_lossy()
        );
    }
}

#[test]
fn the_committed_demo_stays_small() {
    let total: u64 = std::fs::read_dir(repo_path("data/demo"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(total < 5 << 20, "data/demo is {total} bytes");
}

fn demo() -> riskatlas::atlas::Atlas {
    load_folder(&repo_path("data/demo")).unwrap().atlas
}

fn polygon_of(g: &Geometry<f64>) -> &geo::Polygon<f64> {
    match g {
        Geometry::Polygon(p) => p,
        other => panic!("expected a polygon, got {other:?}"),
    }
}

#[test]
fn demo_villages_tile_the_county_without_gaps_or_overlaps() {
    let atlas = demo();
    let area = |id: &str| -> f64 {
        atlas
            .layer(id)
            .unwrap()
            .features()
            .iter()
            .map(|f| f.geometry.unsigned_area())
            .sum()
    };
    let county = area("county");
    assert!(
        ((area("villages") - county) / county).abs() < 1e-9,
        "villages {} vs county {county}",
        area("villages")
    );
    assert!(((area("townships") - county) / county).abs() < 1e-9);
}

#[test]
fn demo_population_points_lie_in_their_own_village() {
    let atlas = demo();
    let villages = atlas.layer("villages").unwrap();
    let by_code: HashMap<&str, u32> = (0..villages.len() as u32)
        .map(|fid| (villages.value(fid, "code").as_str().unwrap(), fid))
        .collect();
    let pop = atlas.layer("population").unwrap();
    for fid in 0..pop.len() as u32 {
        let code = pop.value(fid, "admin_code").as_str().unwrap();
        let village = &villages.feature(by_code[code]).unwrap().geometry;
        let Geometry::Point(p) = pop.feature(fid).unwrap().geometry else {
            panic!("population points")
        };
        assert!(
            polygon_of(village).contains(&p),
            "population {fid} outside village {code}"
        );
        assert!(
            pop.value(fid, "elderly").as_i64().unwrap()
                < pop.value(fid, "population").as_i64().unwrap()
        );
    }
}

#[test]
fn demo_road_network_is_one_connected_graph() {
    let atlas = demo();
    let roads = atlas.layer("roads").unwrap();
    // Union-find over vertices keyed by their exact coordinates.
    let mut ids: HashMap<(u64, u64), usize> = HashMap::new();
    let mut parent: Vec<usize> = Vec::new();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    for f in roads.features() {
        let Geometry::LineString(l) = &f.geometry else {
            panic!("roads are lines")
        };
        let mut prev: Option<usize> = None;
        for c in &l.0 {
            let next = parent.len();
            let id = *ids.entry((c.x.to_bits(), c.y.to_bits())).or_insert(next);
            if id == next {
                parent.push(id);
            }
            if let Some(p) = prev {
                let (a, b) = (find(&mut parent, p), find(&mut parent, id));
                parent[a] = b;
            }
            prev = Some(id);
        }
    }
    let roots: std::collections::HashSet<usize> =
        (0..parent.len()).map(|i| find(&mut parent, i)).collect();
    assert_eq!(
        roots.len(),
        1,
        "the road network falls apart into {} pieces",
        roots.len()
    );
}

#[test]
fn demo_flood_zones_nest_by_return_period_and_some_shelters_lie_inside() {
    let atlas = demo();
    let floods = atlas.layer("floods").unwrap();
    let mut by_reach: BTreeMap<String, Vec<(i64, u32)>> = BTreeMap::new();
    for fid in 0..floods.len() as u32 {
        let name = floods.value(fid, "name").as_str().unwrap();
        let reach = name[name.find('（').unwrap()..].to_string();
        by_reach.entry(reach).or_default().push((
            floods.value(fid, "return_period_years").as_i64().unwrap(),
            fid,
        ));
    }
    for zones in by_reach.values_mut() {
        zones.sort();
        for pair in zones.windows(2) {
            let inner = polygon_of(&floods.feature(pair[0].1).unwrap().geometry);
            let outer = polygon_of(&floods.feature(pair[1].1).unwrap().geometry);
            assert!(inner.unsigned_area() < outer.unsigned_area());
            assert!(
                inner.exterior().points().all(|p| outer.intersects(&p)),
                "{}-year zone leaves the {}-year zone",
                pair[0].0,
                pair[1].0
            );
        }
    }
    let shelters = atlas.layer("shelters").unwrap();
    let flooded = shelters
        .features()
        .iter()
        .filter(|s| {
            floods
                .features()
                .iter()
                .any(|f| f.geometry.intersects(&s.geometry))
        })
        .count();
    assert!(
        flooded > 0 && flooded < shelters.len() / 2,
        "{flooded} of {} shelters are in flood zones",
        shelters.len()
    );
}

#[test]
fn demo_landslides_sit_on_steeper_ground_than_villages() {
    let atlas = demo();
    let slides = atlas.layer("landslides").unwrap();
    let mean_slope: f64 = (0..slides.len() as u32)
        .map(|f| slides.value(f, "slope_deg").as_f64().unwrap())
        .sum::<f64>()
        / slides.len() as f64;
    assert!(mean_slope > 8.0, "mean landslide slope {mean_slope}°");
    for fid in 0..slides.len() as u32 {
        let s = slides.value(fid, "severity").as_i64().unwrap();
        assert!((1..=4).contains(&s));
        let Geometry::Point(p) = slides.feature(fid).unwrap().geometry else {
            panic!()
        };
        let inside_county = atlas.layer("county").unwrap().features()[0]
            .geometry
            .intersects(&Point::from(p.0));
        assert!(inside_county);
    }
}

#[test]
fn riskatlas_import_into_a_folder_adds_a_layer_that_loads_with_the_field_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_riskatlas"))
            .arg("import")
            .arg(common::repo_path("data/real/geonames-cn-populated.csv"))
            .args(args)
            .arg("--into")
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let out = run(&[
        "--layer",
        "places",
        "--kind",
        "population",
        "--map",
        "name=name",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("places") && text.contains("loaded"), "{text}");
    // The real GeoNames file as read directly, against the folder the command made.
    let loaded = riskatlas::import::load_folder(dir.path()).unwrap();
    let rows = std::fs::read_to_string(common::repo_path("data/real/geonames-cn-populated.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    assert_eq!(
        loaded.atlas.layer("places").unwrap().len() + loaded.report.rejected(),
        rows
    );
    // Importing the same layer id again is refused, naming it.
    let again = run(&["--layer", "places", "--kind", "population"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has a layer places"));
    // A mapping to something that is no field name is refused before anything runs.
    let bad = run(&[
        "--layer",
        "p2",
        "--kind",
        "population",
        "--map",
        "bad name=name",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a valid field name"));
}

#[test]
fn riskatlas_import_refuses_gdal_options_on_files_it_reads_itself() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shelters.csv");
    std::fs::write(&file, "name,lon,lat,capacity\nschool,105.5,34.5,800\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .arg("import")
        .arg(&file)
        .args([
            "--layer",
            "shelters",
            "--kind",
            "shelter",
            "--crs",
            "EPSG:4544",
            "--into",
        ])
        .arg(dir.path().join("atlas"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("--crs") && stderr.contains("GDAL"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("atlas/atlas.toml").exists(),
        "nothing was written"
    );
}

/// Without the `gdal` feature a Shapefile is refused with the way to read it.
#[cfg(not(feature = "gdal"))]
#[test]
fn riskatlas_import_without_gdal_names_the_feature_to_build() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("villages.shp");
    std::fs::write(&file, b"not read").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .arg("import")
        .arg(&file)
        .args(["--layer", "villages", "--kind", "population", "--into"])
        .arg(dir.path().join("atlas"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("--features gdal"), "{stderr}");
}

/// One file per rule of the data contract's bounds, each feature's fate written by hand:
/// `(file, kind, text, [(index, reason)] refused, [(index, repair)] repaired)`.
struct BoundsFile {
    file: &'static str,
    kind: &'static str,
    text: &'static str,
    refused: &'static [(usize, &'static str)],
    repaired: &'static [(usize, &'static str)],
}

const BOUNDS_FILES: &[BoundsFile] = &[
    BoundsFile {
        file: "shelters.geojson",
        kind: "shelter",
        text: r#"{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[105.5,34.5]},"properties":{"capacity":500,"occupancy":20}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[105.5,34.5]},"properties":{"capacity":1e20}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[105.5,34.5]},"properties":{"capacity":2.5}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[105.5,34.5]},"properties":{"capacity":50,"occupancy":99999}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[105.5,34.5]},"properties":{"capacity":-3}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[105.5,34.5]},"properties":{"capacity":50000000,"occupancy":50000000}}
]}"#,
        refused: &[
            (
                1,
                "attribute capacity: 1e+20 is above 50000000, the largest count one feature may hold",
            ),
            (2, "attribute capacity: expected a whole number, got 2.5"),
            (
                3,
                "attribute occupancy: 99999 is more than the capacity 50; occupancy may not exceed capacity",
            ),
            (4, "attribute capacity: -3 must not be negative"),
        ],
        repaired: &[],
    },
    BoundsFile {
        file: "population.csv",
        kind: "population",
        text: "lon,lat,population,households\n\
               105.5,34.5,1200,400\n\
               105.5,34.5,60000000,10\n\
               105.5,34.5,1e20,10\n\
               105.5,34.5,300,12.5\n\
               105.5,34.5,99999999999999999999999,1\n",
        refused: &[
            (
                1,
                "attribute population: 60000000 is above 50000000, the largest count one feature may hold",
            ),
            (
                2,
                "attribute population: \"1e20\" is above 50000000, the largest count one feature may hold",
            ),
            (
                3,
                "attribute households: expected a whole number, got \"12.5\"",
            ),
            (
                4,
                "attribute population: \"99999999999999999999999\" is above 50000000, the largest count one feature may hold",
            ),
        ],
        repaired: &[],
    },
    BoundsFile {
        file: "villages.geojson",
        kind: "admin",
        text: r#"{"type":"FeatureCollection","features":[
{"type":"Feature","id":"v1","geometry":{"type":"Polygon","coordinates":[[[105,34],[105.1,34],[105.1,34.1],[105,34]]]},"properties":{"code":"510184001","name":"甲村","level":"村"}},
{"type":"Feature","id":"v2","geometry":{"type":"Polygon","coordinates":[[[105,34],[105.1,34.1],[105,34.1],[105,34]]]},"properties":{"code":"510184002","name":"乙村","level":"村"}},
{"type":"Feature","id":"v3","geometry":{"type":"Polygon","coordinates":[[[105.1,34],[105.2,34],[105.2,34.1],[105.1,34]]]},"properties":{"code":"510184001","name":"丙村","level":"村"}}
]}"#,
        refused: &[(
            2,
            r#"duplicate code "510184001" (first at feature 1, id "v1")"#,
        )],
        repaired: &[],
    },
    BoundsFile {
        file: "floods.geojson",
        kind: "flood",
        text: r#"{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[105.5,34.5],[105.75,34.5],[105.75,34.75],[105.5,34.75],[105.5,34.5]]]},"properties":{"return_period_years":20}},
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[105.5,34.5],[105.75,34.75],[105.75,34.5],[105.5,34.75],[105.5,34.5]]]},"properties":{"return_period_years":50}},
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[-180,-90],[180,-90],[180,90],[-180,90],[-180,-90]]]},"properties":{"return_period_years":100}},
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[105.5,34.5],[105.75,34.5],[105.75,34.75],[105.5,34.75]]]},"properties":{"return_period_years":10}},
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[105,34],[106,34],[107,34],[105,34]]]},"properties":{"return_period_years":10}}
]}"#,
        refused: &[
            (
                2,
                "a flood polygon of 510065625 km² is larger than 100000 km² (about a province): likely a coordinate error (swapped lon/lat, projected coordinates, a placeholder box)",
            ),
            (
                3,
                "exterior ring is not closed (first and last positions differ)",
            ),
            (
                4,
                "polygon 0: its rings cross or overlap at [105, 34], and repairing it leaves no area",
            ),
        ],
        repaired: &[(
            1,
            "polygon 0: its rings cross or overlap at [105.625, 34.625]; repaired by the even-odd rule into 2 valid polygons",
        )],
    },
];

fn bounds_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = String::from("name = \"bounds\"\n");
    for f in BOUNDS_FILES {
        let id = f.file.split('.').next().unwrap();
        manifest.push_str(&format!(
            "[[layer]]\nid = \"{id}\"\nkind = \"{}\"\nfile = \"{}\"\n",
            f.kind, f.file
        ));
        write(dir.path(), f.file, f.text);
    }
    write(dir.path(), "atlas.toml", &manifest);
    dir
}

#[test]
fn the_loader_refuses_every_value_past_the_data_contract_bounds_and_reports_the_repair() {
    let dir = bounds_folder();
    let loaded = load_folder(dir.path()).unwrap();
    for f in BOUNDS_FILES {
        let report = loaded
            .report
            .layer(f.file.split('.').next().unwrap())
            .unwrap();
        let refused: Vec<(usize, &str)> = report
            .rejections
            .iter()
            .map(|r| (r.index, r.reason.as_str()))
            .collect();
        assert_eq!(refused, f.refused, "{}", f.file);
        assert!(report.rejections.iter().all(|r| r.file == f.file));
        let repaired: Vec<(usize, &str)> = report
            .repairs
            .iter()
            .map(|r| (r.index, r.repair.as_str()))
            .collect();
        assert_eq!(repaired, f.repaired, "{}", f.file);
        // Nothing vanished: every feature of the file is loaded or refused.
        let total = if f.file.ends_with(".csv") {
            f.text.lines().count() - 1
        } else {
            f.text.matches("\"Feature\"").count()
        };
        assert_eq!(report.loaded + report.rejected, total, "{}", f.file);
    }
    // The bow-tie is its two triangles, each a quarter of the 0.25° square (0.015625
    // square degrees), not a saturated or silently kept bow-tie.
    let floods = loaded.atlas.layer("floods").unwrap();
    let Geometry::MultiPolygon(parts) = &floods.features()[1].geometry else {
        panic!("{:?}", floods.features()[1].geometry)
    };
    assert_eq!(parts.0.len(), 2);
    for p in &parts.0 {
        assert!((p.unsigned_area() - 0.015625).abs() < 1e-12);
    }
    // The shelter at the bound loads, full.
    let shelters = loaded.atlas.layer("shelters").unwrap();
    assert_eq!(shelters.value(1, "capacity"), &Value::Int(50_000_000));
}

#[test]
fn riskatlas_import_refuses_and_repairs_as_the_loader_does_and_says_so() {
    let source = bounds_folder();
    let into = tempfile::tempdir().unwrap();
    for f in BOUNDS_FILES {
        let out = Command::new(env!("CARGO_BIN_EXE_riskatlas"))
            .arg("import")
            .arg(source.path().join(f.file))
            .args(["--layer", f.file.split('.').next().unwrap()])
            .args(["--kind", f.kind, "--into"])
            .arg(into.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {stderr}", f.file);
        // A CSV row by its line (the header is line 1), any other feature counted from 1.
        let at = |index: usize| match f.file.ends_with(".csv") {
            true => format!("{} line {}", f.file, index + 2),
            false => format!("{} feature {}", f.file, index + 1),
        };
        let said = |verb: &str, index: usize, why: &str| {
            stderr.lines().any(|line| {
                let place = line.split(": ").next().unwrap_or("");
                line.trim_start().starts_with(verb)
                    && (place.ends_with(&at(index))
                        || place.contains(&format!("{} (id", at(index))))
                    && line.ends_with(&format!(": {why}"))
            })
        };
        for (index, why) in f.refused {
            assert!(
                said("rejected", *index, why),
                "{}#{index}: {stderr}",
                f.file
            );
        }
        for (index, what) in f.repaired {
            assert!(
                said("repaired", *index, what),
                "{}#{index}: {stderr}",
                f.file
            );
        }
        let counted = stderr
            .lines()
            .filter(|l| l.trim_start().starts_with("rejected"))
            .count();
        assert_eq!(counted, f.refused.len(), "{stderr}");
    }
    // The folder it made loads to the same verdicts.
    let loaded = load_folder(into.path()).unwrap();
    for f in BOUNDS_FILES {
        let report = loaded
            .report
            .layer(f.file.split('.').next().unwrap())
            .unwrap();
        assert_eq!(report.rejected, f.refused.len(), "{}", f.file);
        assert_eq!(report.repairs.len(), f.repaired.len(), "{}", f.file);
    }
}
