//! OGC API – Features, read by a client no one here wrote: GDAL's OAPIF driver lists
//! every collection and pages through every feature of a layer, and the features equal
//! the layer's (count, ids, attributes, geometry within 1e-7°). Paging by `next`
//! links, property filters and the errors are checked over HTTP as well.
// Test code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::server::{Guard, http, http_full, start_until};
use serde_json::Value;
use std::collections::BTreeMap;
use std::ffi::OsStr;

fn serve(demo: &std::path::Path) -> (Guard, String) {
    let args: [&OsStr; 2] = ["--data".as_ref(), demo.as_os_str()];
    let (child, addr) = start_until(&args, None, |addr| {
        http(addr, "GET", "/api/health", "").is_some()
    });
    (Guard(child), addr)
}

fn get_json(addr: &str, path: &str) -> Value {
    let (status, body) = http_full(addr, "GET", path, "").unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// The layer's features as `/api/layers/{id}/features` gives them, by id.
fn layer_features(addr: &str, id: &str) -> BTreeMap<String, Value> {
    let all = get_json(addr, &format!("/api/layers/{id}/features?limit=10000"));
    all["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_string(), f.clone()))
        .collect()
}

/// Every coordinate of a GeoJSON geometry, flattened.
fn coordinates(geometry: &Value) -> Vec<f64> {
    fn walk(v: &Value, out: &mut Vec<f64>) {
        match v {
            Value::Number(n) => out.push(n.as_f64().unwrap()),
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&geometry["coordinates"], &mut out);
    out
}

fn ogr(program: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} does not run (apt-get install gdal-bin, scripts/install-deps): {e}")
        });
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn gdal_lists_every_collection_and_reads_every_feature_through_paging() {
    let demo = common::demo_copy();
    let (_server, addr) = serve(demo.path());
    let url = format!("OAPIF:http://{addr}/ogc");
    let listing = ogr("ogrinfo", &["-ro", "-q", &url]);
    let catalogue = get_json(&addr, "/api/layers");
    for layer in catalogue["layers"].as_array().unwrap() {
        let id = layer["id"].as_str().unwrap();
        assert!(
            listing.contains(&format!(": {id} ")),
            "{id} not listed:\n{listing}"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    for id in ["shelters", "landslides", "floods"] {
        // Into a GeoPackage, as a planner would keep it: GDAL asks for pages of its
        // own size and follows the `next` links; then read back as GeoJSON.
        let gpkg = dir.path().join(format!("{id}.gpkg"));
        ogr(
            "ogr2ogr",
            &[
                "-f",
                "GPKG",
                gpkg.to_str().unwrap(),
                &url,
                id,
                "-oo",
                "PAGE_SIZE=25",
            ],
        );
        let out = dir.path().join(format!("{id}.geojson"));
        ogr(
            "ogr2ogr",
            &[
                "-f",
                "GeoJSON",
                out.to_str().unwrap(),
                gpkg.to_str().unwrap(),
                id,
            ],
        );
        let read: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let read = read["features"].as_array().unwrap();
        let expected = layer_features(&addr, id);
        assert_eq!(read.len(), expected.len(), "{id}: feature count");
        for feature in read {
            // GDAL keeps the feature's id as a property named `id`.
            let fid = feature["properties"]["id"].as_str().unwrap();
            let want = expected
                .get(fid)
                .unwrap_or_else(|| panic!("{id}: unknown id {fid}"));
            for (key, value) in want["properties"].as_object().unwrap() {
                let got = &feature["properties"][key];
                let same = match (got.as_f64(), value.as_f64()) {
                    (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                    _ => got == value,
                };
                assert!(same, "{id}/{fid}.{key}: {got} against {value}");
            }
            let (a, b) = (
                coordinates(&feature["geometry"]),
                coordinates(&want["geometry"]),
            );
            assert_eq!(a.len(), b.len(), "{id}/{fid}: vertex count");
            assert!(
                a.iter().zip(&b).all(|(x, y)| (x - y).abs() <= 1e-7),
                "{id}/{fid}: geometry moved"
            );
        }
    }
}

#[test]
fn items_page_by_next_links_filter_by_property_and_refuse_what_they_cannot_do() {
    let demo = common::demo_copy();
    let (_server, addr) = serve(demo.path());
    let conformance = get_json(&addr, "/ogc/conformance");
    let classes = conformance["conformsTo"].as_array().unwrap();
    assert!(
        classes.contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core".into())
    );

    // Following `next` from the first page of 7 collects every landslide once.
    let expected = layer_features(&addr, "landslides");
    let mut seen = Vec::new();
    let mut path = Some("/ogc/collections/landslides/items?limit=7".to_string());
    while let Some(p) = path {
        let page = get_json(&addr, &p);
        assert_eq!(page["numberMatched"], expected.len());
        assert!(page["features"].as_array().unwrap().len() <= 7);
        seen.extend(
            page["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_string()),
        );
        path = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| {
                let href = l["href"].as_str().unwrap();
                href[href.find("/ogc/").unwrap()..].to_string()
            });
    }
    let unique: std::collections::BTreeSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (expected.len(), expected.len()));

    // A property filter: the landslides whose severity is 4, counted from the layer.
    let severe = expected
        .values()
        .filter(|f| f["properties"]["severity"] == 4)
        .count();
    let page = get_json(
        &addr,
        "/ogc/collections/landslides/items?severity=4&limit=1000",
    );
    assert_eq!(page["numberMatched"], severe);
    assert!(
        page["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"]["severity"] == 4)
    );
    // Values read as import reads them: 滑坡 is `landslide`.
    let slides = expected
        .values()
        .filter(|f| f["properties"]["hazard_type"] == "landslide")
        .count();
    let encoded: String = "滑坡".bytes().map(|b| format!("%{b:02X}")).collect();
    let page = get_json(
        &addr,
        &format!("/ogc/collections/landslides/items?hazard_type={encoded}&limit=1000"),
    );
    assert_eq!(page["numberMatched"], slides);

    // One feature by its stable id, and what does not exist.
    let (id, want) = expected.iter().next().unwrap();
    let one = get_json(&addr, &format!("/ogc/collections/landslides/items/{id}"));
    assert_eq!(one["properties"], want["properties"]);
    for (path, status, says) in [
        ("/ogc/collections/nosuch/items", 404, "nosuch"),
        ("/ogc/collections/landslides/items/nosuch", 404, "nosuch"),
        (
            "/ogc/collections/landslides/items?colour=red",
            400,
            "colour",
        ),
        (
            "/ogc/collections/landslides/items?limit=20000",
            400,
            "limit",
        ),
        (
            "/ogc/collections/landslides/items?f=xml",
            400,
            "json and html",
        ),
    ] {
        let (got, body) = http_full(&addr, "GET", path, "").unwrap();
        assert_eq!(got, status, "{path}: {body}");
        assert!(body.contains(says), "{path}: {body}");
    }
}

/// `GET` with the answer's headers too.
fn get_with_headers(addr: &str, path: &str) -> (String, Value) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let (head, body) = reply.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}\n{body}");
    (
        head.to_ascii_lowercase(),
        serde_json::from_str(body).unwrap(),
    )
}

#[test]
fn crs_datetime_cql2_and_queryables() {
    let demo = common::demo_copy();
    let (_server, addr) = serve(demo.path());
    let landslides = layer_features(&addr, "landslides");
    let (id, want) = landslides.iter().next().unwrap();
    let [lon, lat] = [0, 1].map(|i| want["geometry"]["coordinates"][i].as_f64().unwrap());

    // CGCS2000 and EPSG:4326 are latitude first; CRS84 longitude first, the default.
    for (crs, expected) in [
        ("http://www.opengis.net/def/crs/EPSG/0/4490", [lat, lon]),
        ("http://www.opengis.net/def/crs/EPSG/0/4326", [lat, lon]),
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", [lon, lat]),
    ] {
        let (head, one) = get_with_headers(
            &addr,
            &format!("/ogc/collections/landslides/items/{id}?crs={crs}"),
        );
        assert!(
            head.contains(&format!("content-crs: <{crs}>").to_ascii_lowercase()),
            "{head}"
        );
        assert_eq!(
            one["geometry"]["coordinates"],
            serde_json::json!(expected),
            "{crs}"
        );
    }
    // A bbox given latitude first finds the same features as the lon/lat one.
    let lonlat = format!(
        "{},{},{},{}",
        lon - 0.01,
        lat - 0.01,
        lon + 0.01,
        lat + 0.01
    );
    let latlon = format!(
        "{},{},{},{}",
        lat - 0.01,
        lon - 0.01,
        lat + 0.01,
        lon + 0.01
    );
    let a = get_json(
        &addr,
        &format!("/ogc/collections/landslides/items?bbox={lonlat}&limit=1000"),
    );
    let b = get_json(
        &addr,
        &format!(
            "/ogc/collections/landslides/items?bbox={latlon}&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4490&limit=1000"
        ),
    );
    assert!(a["numberMatched"].as_u64().unwrap() >= 1);
    assert_eq!(a["numberMatched"], b["numberMatched"]);

    // datetime: the drills held in 2024 or later, counted from the layer's own dates.
    let drills = layer_features(&addr, "drills");
    let since: usize = drills
        .values()
        .filter(|f| f["properties"]["date"].as_str().unwrap() >= "2024-01-01")
        .count();
    let page = get_json(
        &addr,
        "/ogc/collections/drills/items?datetime=2024-01-01/..&limit=1000",
    );
    assert_eq!(page["numberMatched"], since);
    assert!(
        since > 0 && since < drills.len(),
        "the demo's drills straddle 2024"
    );

    // CQL2 text, with its `<>`.
    let expected = landslides
        .values()
        .filter(|f| {
            f["properties"]["severity"].as_i64() >= Some(3)
                && f["properties"]["hazard_type"] != "collapse"
        })
        .count();
    let cql = "severity >= 3 AND hazard_type <> 'collapse'";
    let encoded: String = cql.bytes().map(|b| format!("%{b:02X}")).collect();
    let page = get_json(
        &addr,
        &format!(
            "/ogc/collections/landslides/items?filter={encoded}&filter-lang=cql2-text&limit=1000"
        ),
    );
    assert_eq!(page["numberMatched"], expected);

    // Queryables: the layer's fields, typed.
    let q = get_json(&addr, "/ogc/collections/landslides/queryables");
    assert_eq!(q["properties"]["severity"]["type"], "integer");
    assert_eq!(q["properties"]["hazard_type"]["type"], "string");
}

/// OWSLib's answer to `query` on `collection`: the collections listed, the count
/// matched and the ids returned.
fn owslib(addr: &str, collection: &str, query: Value) -> Value {
    let script = common::repo_path("tests/python/owslib_read.py");
    let out = std::process::Command::new("python3")
        .args([
            script.to_str().unwrap(),
            &format!("http://{addr}/ogc"),
            collection,
            &query.to_string(),
        ])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "OWSLib (pip install OWSLib, scripts/install-deps): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn owslib_lists_collections_and_queries_items_as_the_features_api_answers() {
    let demo = common::demo_copy();
    let (_server, addr) = serve(demo.path());
    let catalogue = get_json(&addr, "/api/layers");
    let ids_of = |v: &Value| -> Vec<String> {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    let bbox = [105.6, 34.45, 105.8, 34.6];
    let by_bbox = format!("{},{},{},{}", bbox[0], bbox[1], bbox[2], bbox[3]);
    for (collection, query, features_api) in [
        (
            "landslides",
            serde_json::json!({"bbox": bbox, "limit": 1000}),
            format!("/api/layers/landslides/features?bbox={by_bbox}&limit=1000"),
        ),
        (
            "landslides",
            serde_json::json!({"severity": "4", "limit": 1000}),
            "/api/layers/landslides/features?where=severity%3D4&limit=1000".to_string(),
        ),
        (
            "shelters",
            serde_json::json!({"status": "open", "bbox": bbox, "limit": 1000}),
            format!("/api/layers/shelters/features?where=status%3Dopen&bbox={by_bbox}&limit=1000"),
        ),
    ] {
        let got = owslib(&addr, collection, query.clone());
        let listed: Vec<&str> = got["collections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let layers: Vec<&str> = catalogue["layers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap())
            .collect();
        assert_eq!(listed, layers);
        let want = get_json(&addr, &features_api);
        assert_eq!(
            got["numberMatched"], want["numberMatched"],
            "{collection} {query}"
        );
        let got_ids: Vec<String> = got["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_str().unwrap().to_string())
            .collect();
        assert_eq!(got_ids, ids_of(&want), "{collection} {query}");
        assert!(
            !got_ids.is_empty(),
            "{collection} {query} matched nothing: a weak test"
        );
    }
}

/// `GET` returning the status and the body's bytes (a tile is binary).
fn get_bytes(addr: &str, path: &str) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).unwrap();
    let split = reply.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&reply[..split]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, reply[split + 4..].to_vec())
}

#[test]
fn ogc_tiles_describe_web_mercator_quad_and_lead_to_the_maps_tiles() {
    let demo = common::demo_copy();
    let (_server, addr) = serve(demo.path());
    let conformance = get_json(&addr, "/ogc/conformance");
    assert!(
        conformance["conformsTo"]
            .as_array()
            .unwrap()
            .contains(&"http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core".into())
    );

    let shelters = layer_features(&addr, "shelters");
    let shelter = shelters.values().next().unwrap();
    let [lon, lat] = [0, 1].map(|i| shelter["geometry"]["coordinates"][i].as_f64().unwrap());
    // The tile matrix set, read as a client reads it: from the origin, the cell size and
    // the tile width, the tile of a point equals the XYZ formula's.
    let tms = get_json(&addr, "/ogc/tileMatrixSets/WebMercatorQuad");
    let r = 6_378_137.0_f64;
    let (mx, my) = (
        r * lon.to_radians(),
        r * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
            .tan()
            .ln(),
    );
    for z in [0u32, 5, 12, 14] {
        let m = &tms["tileMatrices"][z as usize];
        assert_eq!(m["id"], z.to_string());
        assert_eq!(m["matrixWidth"], 1u64 << z);
        let span = m["cellSize"].as_f64().unwrap() * m["tileWidth"].as_f64().unwrap();
        let origin = &m["pointOfOrigin"];
        let col = ((mx - origin[0].as_f64().unwrap()) / span).floor() as u32;
        let row = ((origin[1].as_f64().unwrap() - my) / span).floor() as u32;
        assert_eq!((col, row), common::tile_of(lon, lat, z), "zoom {z}");
    }

    // From the collection to its tileset to a tile, by links only.
    let sets = get_json(&addr, "/ogc/collections/shelters/tiles");
    let set_href = sets["tilesets"][0]["links"][0]["href"].as_str().unwrap();
    let set = get_json(&addr, &set_href[set_href.find("/ogc/").unwrap()..]);
    let template = set["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "item")
        .unwrap()["href"]
        .as_str()
        .unwrap()
        .to_string();
    let (col, row) = common::tile_of(lon, lat, 14);
    let href = template
        .replace("{tileMatrix}", "14")
        .replace("{tileRow}", &row.to_string())
        .replace("{tileCol}", &col.to_string());
    let (status, tile) = get_bytes(&addr, &href[href.find("/ogc/").unwrap()..]);
    assert_eq!(status, 200);
    let (_, same) = get_bytes(&addr, &format!("/tiles/shelters/14/{col}/{row}"));
    assert_eq!(tile, same, "the OGC tile is the map's tile");
    let layers = common::mvt::decode(&tile);
    let drawn = layers.iter().find(|l| l.name == "shelters").unwrap();
    assert!(
        drawn
            .features
            .iter()
            .any(|f| f.props.get("name") == Some(&shelter["properties"]["name"])),
        "the shelter is not in its tile"
    );
    let (status, _) = get_bytes(
        &addr,
        "/ogc/collections/shelters/tiles/WorldCRS84Quad/0/0/0",
    );
    assert_eq!(status, 404);
}

#[test]
fn a_scenario_analysed_on_the_server_is_read_as_two_collections() {
    let demo = common::demo_copy();
    let (_server, addr) = serve(demo.path());
    let scenario =
        r#"{"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 20}}}]}"#;
    let (status, body) = http_full(&addr, "POST", "/api/impact", scenario).unwrap();
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    let affected = report["ogc_collections"]["affected"].as_str().unwrap();
    let hazards = report["ogc_collections"]["hazards"].as_str().unwrap();
    let path = |href: &str| href[href.find("/ogc/").unwrap()..].to_string();

    // Every affected unit of the report, with its people, and every hazard area.
    let units = get_json(&addr, &format!("{}/items?limit=10000", path(affected)));
    let mut got: Vec<(String, i64)> = units["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["properties"]["people"].as_f64().unwrap().round() as i64,
            )
        })
        .collect();
    let mut want: Vec<(String, i64)> = report["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_string(),
                u["people"].as_f64().unwrap().round() as i64,
            )
        })
        .collect();
    got.sort();
    want.sort();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    let areas = get_json(&addr, &format!("{}/items?limit=10000", path(hazards)));
    assert_eq!(
        areas["numberMatched"],
        report["by_hazard"].as_array().unwrap().len()
    );
    let described = get_json(&addr, &path(affected));
    assert_eq!(described["id"], path(affected).rsplit('/').next().unwrap());

    // GDAL reads it too.
    let url = format!("OAPIF:http://{addr}/ogc");
    let name = path(affected).rsplit('/').next().unwrap().to_string();
    let listing = ogr(
        "ogrinfo",
        &["-ro", "-so", &format!("{url}/collections/{name}"), &name],
    );
    assert!(
        listing.contains(&format!("Feature Count: {}", want.len())),
        "{listing}"
    );

    // Someone else's key, or one never analysed, is a 404.
    let (status, _) = http_full(
        &addr,
        "GET",
        "/ogc/collections/impact-0000-1-all-affected/items",
        "",
    )
    .unwrap();
    assert_eq!(status, 404);
}

#[test]
fn qgis_adds_a_layer_through_oapif_and_draws_its_vector_tiles_with_the_style() {
    let demo = common::demo_copy();
    let (_server, addr) = serve(demo.path());
    let shelters = layer_features(&addr, "shelters");
    let open = shelters
        .values()
        .find(|f| f["properties"]["status"] == "open")
        .unwrap();
    let [lon, lat] = [0, 1].map(|i| open["geometry"]["coordinates"][i].as_f64().unwrap());
    let (x, y) = common::tile_of(lon, lat, 14);
    let script = common::repo_path("tests/python/qgis_read.py");
    // QGIS's Python bindings are Debian's, for the system Python.
    let out = std::process::Command::new("/usr/bin/python3")
        .args([
            script.to_str().unwrap(),
            &format!("http://{addr}"),
            "shelters",
            "14",
        ])
        .args([x.to_string(), y.to_string()])
        .output()
        .expect("/usr/bin/python3 runs");
    assert!(
        out.status.success(),
        "QGIS (apt-get install python3-qgis, scripts/install-deps): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let read: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(read["oapif_valid"], true, "{read}");
    let ids: std::collections::BTreeSet<String> = read["oapif_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap().to_string())
        .collect();
    let want: std::collections::BTreeSet<String> = shelters.keys().cloned().collect();
    assert_eq!(read["oapif_count"], shelters.len());
    assert_eq!(ids, want, "QGIS read other features than the layer's");
    assert_eq!(read["vector_tiles_valid"], true, "{read}");
    assert_eq!(read["style_converted"], true, "{read}");
    assert!(
        read["open_shelter_pixels"].as_u64().unwrap() > 0,
        "QGIS drew no open shelter in its tile: {read}"
    );
    // Counted through the vector-tile provider: one green patch per open shelter of the
    // layer inside the tile (those within a tenth of the tile of its edge left out on
    // both sides, as their symbols may be cut), at the shelter's place.
    let (west, north) = tile_corner(x, y, 14);
    let (east, south) = tile_corner(x + 1, y + 1, 14);
    let inside = |fx: f64, fy: f64| (0.1..=0.9).contains(&fx) && (0.1..=0.9).contains(&fy);
    let mut expected: Vec<(f64, f64)> = shelters
        .values()
        .filter(|f| f["properties"]["status"] == "open")
        .map(|f| {
            let lon = f["geometry"]["coordinates"][0].as_f64().unwrap();
            let lat = f["geometry"]["coordinates"][1].as_f64().unwrap();
            let (mx, my) = mercator(lon, lat);
            let (mw, mn) = mercator(west, north);
            let (me, ms) = mercator(east, south);
            ((mx - mw) / (me - mw), (mn - my) / (mn - ms))
        })
        .filter(|&(fx, fy)| inside(fx, fy))
        .collect();
    let mut drawn: Vec<(f64, f64)> = read["open_shelter_patches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
        .filter(|&(fx, fy)| inside(fx, fy))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        drawn.len(),
        expected.len(),
        "patches {drawn:?}, shelters {expected:?}"
    );
    expected.sort_by(|a, b| a.partial_cmp(b).unwrap());
    drawn.sort_by(|a, b| a.partial_cmp(b).unwrap());
    for (d, e) in drawn.iter().zip(&expected) {
        assert!(
            (d.0 - e.0).abs() < 0.02 && (d.1 - e.1).abs() < 0.02,
            "drawn at {d:?}, the shelter is at {e:?}"
        );
    }
}

/// The lon/lat of tile corner (x, y) at zoom z (its north-west corner).
fn tile_corner(x: u32, y: u32, z: u32) -> (f64, f64) {
    let n = f64::from(1u32 << z);
    let lon = f64::from(x) / n * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * f64::from(y) / n))
        .sinh()
        .atan()
        .to_degrees();
    (lon, lat)
}

/// Web Mercator metres of lon/lat.
fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let r = 6_378_137.0_f64;
    (
        r * lon.to_radians(),
        r * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
            .tan()
            .ln(),
    )
}

#[test]
fn every_page_reads_as_html_in_a_browser() {
    let demo = common::demo_copy();
    let (_server, addr) = serve(demo.path());
    let page = get_json(&addr, "/ogc/collections/landslides/items?limit=5");
    let first_five: Vec<String> = page["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(first_five.len(), 5);
    let browser = "Accept: text/html,application/xhtml+xml,*/*;q=0.8";
    for (path, must) in [
        ("/ogc?f=html", vec!["collections?f=html".to_string()]),
        (
            "/ogc/conformance?f=html",
            vec!["ogcapi-features-1/1.0/conf/core".into()],
        ),
        (
            "/ogc/collections?f=html",
            vec!["landslides".into(), "shelters".into()],
        ),
        (
            "/ogc/collections/landslides?f=html",
            vec!["items?f=html".into()],
        ),
        (
            "/ogc/collections/landslides/items?f=html&limit=5",
            first_five
                .iter()
                .map(|id| format!("items/{id}?f=html"))
                .collect(),
        ),
    ] {
        let (status, body) = http_full(&addr, "GET", path, "").unwrap();
        assert_eq!(status, 200, "{path}");
        assert!(
            body.starts_with("<!doctype html>"),
            "{path}: {}",
            &body[..80.min(body.len())]
        );
        for text in must {
            assert!(body.contains(&text), "{path} lacks {text}");
        }
    }
    // A browser asking without `f` gets the page; a client, JSON.
    let (_, page) =
        common::server::http_with(&addr, "GET", "/ogc/collections", &[browser], "").unwrap();
    assert!(page.starts_with("<!doctype html>"));
    let (_, json) = common::server::http_with(
        &addr,
        "GET",
        "/ogc/collections",
        &["Accept: application/json"],
        "",
    )
    .unwrap();
    assert!(json.starts_with('{'));
}

#[test]
fn an_evacuation_plan_is_read_as_its_routes() {
    let demo = common::demo_copy();
    let (_server, addr) = serve(demo.path());
    let request =
        r#"{"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 20}}}]}"#;
    let (status, body) = http_full(&addr, "POST", "/api/evacuation", request).unwrap();
    assert_eq!(status, 200, "{body}");
    let plan: Value = serde_json::from_str(&body).unwrap();
    let routes = plan["ogc_collections"]["routes"].as_str().unwrap();
    let path = routes[routes.find("/ogc/").unwrap()..].to_string();
    let read = get_json(&addr, &format!("{path}/items?limit=10000"));
    let assignments = plan["assignments"].as_array().unwrap();
    assert!(!assignments.is_empty());
    assert_eq!(read["numberMatched"], assignments.len());
    // Each route is an assignment: who, where, how many, and the line itself.
    for (feature, a) in read["features"].as_array().unwrap().iter().zip(assignments) {
        let p = &feature["properties"];
        assert_eq!(
            (&p["unit_id"], &p["shelter_id"], &p["people"]),
            (&a["unit_id"], &a["shelter_id"], &a["people"])
        );
        assert_eq!(
            feature["geometry"]["coordinates"],
            a["route"]["coordinates"]
        );
    }
    // GDAL reads them as lines.
    let name = path.rsplit('/').next().unwrap().to_string();
    let listing = ogr(
        "ogrinfo",
        &[
            "-ro",
            "-so",
            &format!("OAPIF:http://{addr}/ogc/collections/{name}"),
            &name,
        ],
    );
    assert!(listing.contains("Line String"), "{listing}");
    assert!(
        listing.contains(&format!("Feature Count: {}", assignments.len())),
        "{listing}"
    );
}
