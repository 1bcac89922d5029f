//! Map packs read back by the reference PMTiles readers (the `pmtiles` package on PyPI,
//! `tests/python/pmtiles_read.py`, and on npm, `tests/browser/pmtiles-read.mjs`): a valid
//! v3 archive whose tiles are exactly the tiles the server serves for the same zooms,
//! decoded and compared, and which both readers read alike.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::cli::{output_of, riskatlas};
use common::{demo_app, get, repo_path, tile_of};
use serde_json::Value;
use std::collections::BTreeMap;

/// The archive as the reference reader sees it: header, metadata, tiles by `z/x/y`.
fn read_back(archive: &std::path::Path) -> (Value, Value, BTreeMap<String, Vec<u8>>) {
    let script = repo_path("tests/python/pmtiles_read.py");
    let stdout = output_of(
        "python3",
        &[script.to_str().unwrap(), archive.to_str().unwrap()],
        "the reference reader: pip install pmtiles, scripts/install-deps",
    );
    parse_read(&stdout)
}

/// The archive as the npm reader sees it, in the same shape.
fn read_back_npm(archive: &std::path::Path) -> (Value, Value, BTreeMap<String, Vec<u8>>) {
    let script = repo_path("tests/browser/pmtiles-read.mjs");
    let stdout = output_of(
        "node",
        &[script.to_str().unwrap(), archive.to_str().unwrap()],
        "the npm reader: npm ci in tests/browser, scripts/install-deps",
    );
    parse_read(&stdout)
}

/// `value` with every number as a float.
fn as_floats(value: Value) -> Value {
    match value {
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        Value::Array(items) => Value::Array(items.into_iter().map(as_floats).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, as_floats(v))).collect())
        }
        other => other,
    }
}

fn parse_read(stdout: &[u8]) -> (Value, Value, BTreeMap<String, Vec<u8>>) {
    let read: Value = serde_json::from_slice(stdout).unwrap();
    let tiles = read["tiles"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), hex(v.as_str().unwrap())))
        .collect();
    (read["header"].clone(), read["metadata"].clone(), tiles)
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn the_npm_reader_reads_the_archive_as_the_python_reader_does() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("county.pmtiles");
    riskatlas(&[
        "pack",
        "--out",
        archive.to_str().unwrap(),
        "--maxzoom",
        "14",
    ]);
    let (py_header, py_metadata, py_tiles) = read_back(&archive);
    let (header, metadata, tiles) = read_back_npm(&archive);
    assert_eq!(header["specVersion"], 3);
    // The spec's enums: tile type 1 is MVT, compression 2 is gzip.
    assert_eq!(
        (
            header["tileType"].clone(),
            header["tileCompression"].clone()
        ),
        (1.into(), 2.into())
    );
    assert_eq!(
        header["numAddressedTiles"],
        py_header["addressed_tiles_count"]
    );
    assert_eq!(
        (header["minZoom"].clone(), header["maxZoom"].clone()),
        (0.into(), 14.into())
    );
    // JavaScript prints 1.0 as 1: numbers compare as numbers.
    assert_eq!(as_floats(metadata), as_floats(py_metadata));
    // The npm reader found its tiles by asking for every z/x/y in the bounds; the Python
    // one by walking the directories: the same set, byte for byte.
    assert_eq!(tiles.len(), py_tiles.len());
    for (key, bytes) in &py_tiles {
        assert_eq!(tiles.get(key), Some(bytes), "tile {key} differs");
    }
}

#[tokio::test]
async fn a_pack_holds_exactly_the_tiles_the_server_serves() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("county.pmtiles");
    let demo = common::demo_copy();
    riskatlas(&[
        "pack",
        "--data",
        demo.path().to_str().unwrap(),
        "--out",
        archive.to_str().unwrap(),
        "--maxzoom",
        "14",
        "--with-contacts",
    ]);
    let (header, metadata, tiles) = read_back(&archive);
    assert_eq!(header["version"], 3);
    assert_eq!(header["tile_type"], "MVT");
    assert_eq!(header["tile_compression"], "GZIP");
    assert_eq!(header["clustered"], true);
    assert_eq!(
        (header["min_zoom"].clone(), header["max_zoom"].clone()),
        (0.into(), 14.into())
    );
    assert_eq!(header["addressed_tiles_count"], tiles.len());

    // Every layer is described, with its fields.
    let catalogue = get(&demo_app(), "/api/layers").await.ok_json();
    let described: Vec<&str> = metadata["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    for layer in catalogue["layers"].as_array().unwrap() {
        let id = layer["id"].as_str().unwrap();
        assert!(
            described.contains(&id),
            "{id} not in the metadata: {described:?}"
        );
    }
    assert_eq!(metadata["name"], catalogue["name"]);

    // The server's tiles over the same zooms and box, asked one by one: the same set,
    // and each the same when decoded.
    let app = demo_app();
    let ids: Vec<&str> = catalogue["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    let bbox = catalogue["bbox"].as_array().unwrap();
    let b: Vec<f64> = bbox.iter().map(|v| v.as_f64().unwrap()).collect();
    let mut served = 0;
    for z in 0..=14u32 {
        let (x0, y0) = tile_of(b[0], b[3], z);
        let (x1, y1) = tile_of(b[2], b[1], z);
        for x in x0..=x1 {
            for y in y0..=y1 {
                let reply = get(&app, &format!("/tiles/{}/{z}/{x}/{y}", ids.join(","))).await;
                let key = format!("{z}/{x}/{y}");
                if reply.status == 204 {
                    assert!(
                        !tiles.contains_key(&key),
                        "{key} is empty on the server but packed"
                    );
                    continue;
                }
                served += 1;
                let packed = tiles
                    .get(&key)
                    .unwrap_or_else(|| panic!("{key} is served but not packed"));
                let decoded = |b: &[u8]| serde_json::to_value(common::mvt::decode(b)).unwrap();
                assert_eq!(decoded(packed), decoded(&reply.body), "{key} differs");
            }
        }
    }
    assert_eq!(served, tiles.len());
    assert!(served > 100, "only {served} tiles");
}

#[test]
fn a_pack_masks_duty_contacts_unless_asked_and_refuses_what_it_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("masked.pmtiles");
    riskatlas(&[
        "pack",
        "--out",
        archive.to_str().unwrap(),
        "--layers",
        "shelters",
        "--maxzoom",
        "12",
    ]);
    let (_, metadata, tiles) = read_back(&archive);
    assert_eq!(metadata["vector_layers"].as_array().unwrap().len(), 1);
    let phones: Vec<String> = tiles
        .values()
        .flat_map(|t| common::mvt::decode(t))
        .flat_map(|l| l.features)
        .filter_map(|f| {
            f.props
                .get("contact_phone")
                .and_then(|p| p.as_str())
                .map(String::from)
        })
        .collect();
    assert!(!phones.is_empty(), "the shelters carry phones");
    let demo = std::fs::read_to_string(repo_path("data/demo/shelters.geojson")).unwrap();
    for phone in &phones {
        assert!(
            !demo.contains(&format!("\"{phone}\"")),
            "a phone packed as stored: {phone}"
        );
    }

    let refused = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_riskatlas"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} was accepted");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let out = archive.to_str().unwrap();
    assert!(refused(&["pack", "--out", out, "--layers", "nope"]).contains("no layer \"nope\""));
    assert!(
        refused(&["pack", "--out", out, "--bbox", "1,2,3"])
            .contains("3 values; expected west,south,east,north")
    );
    assert!(
        refused(&["pack", "--out", out, "--minzoom", "9", "--maxzoom", "3"])
            .contains("--minzoom 9")
    );
}

#[tokio::test]
async fn the_api_serves_the_same_archive_and_refuses_what_it_cannot_draw() {
    let app = demo_app();
    let reply = get(&app, "/api/pack?maxzoom=12&layers=shelters,roads").await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.headers["content-type"], "application/vnd.pmtiles");
    assert!(
        reply.headers["content-disposition"]
            .to_str()
            .unwrap()
            .ends_with(".pmtiles\"")
    );
    // The same pack from the command line, byte for byte (the local identity of a server
    // without users sees contacts as stored).
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("cli.pmtiles");
    riskatlas(&[
        "pack",
        "--out",
        archive.to_str().unwrap(),
        "--layers",
        "shelters,roads",
        "--maxzoom",
        "12",
        "--with-contacts",
    ]);
    assert!(
        std::fs::read(&archive).unwrap() == reply.body,
        "the API's archive differs from the command line's"
    );

    // With a plan: the same archive as `pack --scenario`, byte for byte.
    let request =
        r#"{"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 20}}}]}"#;
    let file = dir.path().join("request.json");
    std::fs::write(&file, request).unwrap();
    let encoded = common::url_encode(request);
    let planned = get(
        &app,
        &format!("/api/pack?maxzoom=12&layers=shelters,roads&request={encoded}"),
    )
    .await;
    assert_eq!(
        planned.status,
        200,
        "{}",
        String::from_utf8_lossy(&planned.body)
    );
    let with_plan = dir.path().join("cli-plan.pmtiles");
    riskatlas(&[
        "pack",
        "--out",
        with_plan.to_str().unwrap(),
        "--layers",
        "shelters,roads",
        "--maxzoom",
        "12",
        "--with-contacts",
        "--scenario",
        file.to_str().unwrap(),
    ]);
    assert!(
        std::fs::read(&with_plan).unwrap() == planned.body,
        "the API's archive with a plan differs from the command line's"
    );
    assert!(planned.body.len() > reply.body.len());

    for (query, status, says) in [
        (
            "maxzoom=17",
            400,
            "maxzoom \"17\" must be an integer from 0 to 16",
        ),
        ("minzoom=9&maxzoom=3", 400, "minzoom 9 is above maxzoom 3"),
        ("bbox=1,2,3", 400, "bbox \"1,2,3\": 3 values"),
        ("zoom=3", 400, "unknown field `zoom`"),
        ("layers=nope", 404, "unknown layer \"nope\""),
        ("request=nope", 400, "request is not JSON"),
        (
            "request=%7B%22hazards%22%3A%5B%7B%22layer%22%3A%22nope%22%7D%5D%7D",
            400,
            "nope",
        ),
        ("bbox=-180,-85,180,85&maxzoom=10", 422, "more than 200000"),
    ] {
        let r = get(&app, &format!("/api/pack?{query}")).await;
        assert_eq!(
            r.status,
            status,
            "{query}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert!(r.error().contains(says), "{query}: {}", r.error());
    }
}

#[tokio::test]
async fn an_mbtiles_pack_opens_in_gdal_and_holds_the_servers_tiles_rows_from_the_south() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("county.mbtiles");
    riskatlas(&[
        "pack",
        "--out",
        archive.to_str().unwrap(),
        "--maxzoom",
        "13",
        "--with-contacts",
    ]);
    // GDAL's MBTiles driver, which no one here wrote: every layer listed, and at zoom 0
    // (the whole county in one tile) every shelter of the layer.
    let ogrinfo = |args: &[&str]| {
        String::from_utf8(output_of("ogrinfo", args, "gdal-bin: scripts/install-deps")).unwrap()
    };
    let path = archive.to_str().unwrap();
    let listed = ogrinfo(&["-ro", "-so", "-oo", "ZOOM_LEVEL=0", path]);
    let catalogue = get(&demo_app(), "/api/layers").await.ok_json();
    for layer in catalogue["layers"].as_array().unwrap() {
        let id = layer["id"].as_str().unwrap();
        assert!(
            listed.contains(&format!(": {id}\n")),
            "{id} not listed:\n{listed}"
        );
    }
    let shelters = ogrinfo(&["-ro", "-so", "-oo", "ZOOM_LEVEL=0", path, "shelters"]);
    let shelter_count = catalogue["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "shelters")
        .unwrap()["count"]
        .clone();
    assert!(
        shelters.contains(&format!("Feature Count: {shelter_count}\n")),
        "{shelters}"
    );

    // A tile read back with SQL, its row turned from TMS to XYZ, equals the server's.
    let app = demo_app();
    let ids: Vec<&str> = catalogue["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    let (x, y) = tile_of(105.74, 34.53, 13);
    let row = (1u32 << 13) - 1 - y;
    let (column, row) = (x.to_string(), row.to_string());
    let stdout = output_of(
        "python3",
        &[
            "-c",
            "import sqlite3,sys,gzip; c=sqlite3.connect(sys.argv[1]); \
             b=c.execute('select tile_data from tiles where zoom_level=13 and tile_column=? and tile_row=?', (int(sys.argv[2]), int(sys.argv[3]))).fetchone()[0]; \
             sys.stdout.write(gzip.decompress(b).hex())",
            path,
            &column,
            &row,
        ],
        "python3 with its sqlite3 module",
    );
    let packed = hex(std::str::from_utf8(&stdout).unwrap());
    let served = get(&app, &format!("/tiles/{}/13/{x}/{y}", ids.join(","))).await;
    let decoded = |b: &[u8]| serde_json::to_value(common::mvt::decode(b)).unwrap();
    assert_eq!(decoded(&packed), decoded(&served.body));
}

#[test]
fn a_pack_carries_a_scenarios_routes_affected_units_and_hazards() {
    let dir = tempfile::tempdir().unwrap();
    let demo = common::demo_copy();
    let request = dir.path().join("request.json");
    std::fs::write(
        &request,
        r#"{"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 20}}}]}"#,
    )
    .unwrap();
    let archive = dir.path().join("plan.pmtiles");
    let data = demo.path().to_str().unwrap();
    riskatlas(&[
        "pack",
        "--data",
        data,
        "--out",
        archive.to_str().unwrap(),
        "--maxzoom",
        "13",
        "--scenario",
        request.to_str().unwrap(),
    ]);
    // The same request planned by the command line, independently of the pack.
    let plan: Value = serde_json::from_str(&riskatlas(&[
        "evacuate",
        request.to_str().unwrap(),
        "--data",
        data,
        "--format",
        "json",
    ]))
    .unwrap();
    let want: std::collections::BTreeSet<(String, String)> = plan["assignments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["unit_id"].as_str().unwrap().into(),
                a["shelter_id"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(!want.is_empty());

    let (_, metadata, tiles) = read_back(&archive);
    let catalogue: Vec<&str> = metadata["riskatlas:catalogue"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    for id in [
        "scenario_hazards",
        "scenario_affected",
        "scenario_routes",
        "scenario_shelter_fill",
    ] {
        assert!(
            catalogue.contains(&id),
            "{id} not in the pack's catalogue: {catalogue:?}"
        );
    }
    let styled = metadata["riskatlas:style"]["layers"].as_array().unwrap();
    for id in ["scenario_routes-line", "scenario_shelter_fill-fill"] {
        assert!(styled.iter().any(|l| l["id"] == id), "{id} is not styled");
    }

    // Every route of the plan is in the pack's tiles (a route crosses several tiles).
    let mut packed = std::collections::BTreeSet::new();
    for (key, bytes) in &tiles {
        if !key.starts_with("13/") {
            continue;
        }
        for layer in common::mvt::decode(bytes)
            .iter()
            .filter(|l| l.name == "scenario_routes")
        {
            for f in &layer.features {
                let text = |k: &str| f.props[k].as_str().unwrap().to_string();
                packed.insert((text("unit_id"), text("shelter_id")));
            }
        }
    }
    assert_eq!(packed, want, "the pack's routes at z13 against the plan's");

    // Every shelter the plan uses, with the people it sends there and its share used.
    let want_fill: BTreeMap<String, (i64, f64)> = plan["shelters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let share = s["assigned"].as_f64().unwrap() / s["capacity"].as_f64().unwrap();
            (
                s["id"].as_str().unwrap().into(),
                (s["assigned"].as_i64().unwrap(), share),
            )
        })
        .collect();
    assert!(!want_fill.is_empty());
    let mut fill = BTreeMap::new();
    for (key, bytes) in tiles.iter().filter(|(k, _)| k.starts_with("13/")) {
        for layer in common::mvt::decode(bytes)
            .iter()
            .filter(|l| l.name == "scenario_shelter_fill")
        {
            for f in &layer.features {
                let id = f.props["shelter_id"].as_str().unwrap().to_string();
                let got = (
                    f.props["assigned"].as_i64().unwrap(),
                    f.props["utilisation"].as_f64().unwrap(),
                );
                // (A shelter near a tile's edge is in its neighbour's buffer too.)
                assert!(fill.insert(id, got).is_none_or(|seen| seen == got), "{key}");
            }
        }
    }
    assert_eq!(
        fill.len(),
        want_fill.len(),
        "shelters in the pack: {fill:?}"
    );
    for (id, (assigned, share)) in &want_fill {
        let (got_assigned, got_share) = fill[id];
        assert_eq!(got_assigned, *assigned, "{id}");
        // The plan rounds its share to three decimals.
        assert!(
            (got_share - share).abs() < 5e-4,
            "{id}: {got_share} against {share}"
        );
    }
}
