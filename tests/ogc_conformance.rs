//! The conformance classes `/ogc/conformance` claims, checked a requirement at a time
//! (the OGC's executable test suite does not run offline): each assertion names the
//! requirement it checks, from OGC API – Features Part 1 (17-069r4: Core, GeoJSON,
//! HTML), Part 2 (18-058r1: CRS) and OGC API – Tiles (20-057: Core, TileSet, TileSets
//! list, geodata tilesets, MVT). Expected values come from the standards' text and
//! the demo's own files.
// Test code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use axum::Router;
use common::{Reply, demo_app, get};
use serde_json::Value;

const CORE: &str = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core";

fn rels(body: &Value) -> Vec<String> {
    body["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap().to_string())
        .collect()
}

fn media(reply: &Reply) -> String {
    reply.headers["content-type"].to_str().unwrap().to_string()
}

async fn status(app: &Router, path: &str) -> u16 {
    get(app, path).await.status.as_u16()
}

#[tokio::test]
async fn features_core() {
    let app = demo_app();
    // /req/core/root-op, /req/core/root-success: links to the API definition, the
    // conformance declaration and the collections.
    let root = get(&app, "/ogc").await.ok_json();
    for rel in ["service-desc", "conformance", "data", "self"] {
        assert!(
            rels(&root).contains(&rel.to_string()),
            "/req/core/root-success: no {rel}"
        );
    }
    // /req/core/conformance-op, /req/core/conformance-success.
    let conformance = get(&app, "/ogc/conformance").await.ok_json();
    let classes: Vec<&str> = conformance["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(classes.contains(&CORE), "/req/core/conformance-success");
    // /req/core/query-param-unknown: a parameter no resource defines is a 400.
    for path in [
        "/ogc?x=1",
        "/ogc/conformance?x=1",
        "/ogc/collections?x=1",
        "/ogc/collections/shelters?x=1",
    ] {
        assert_eq!(
            status(&app, path).await,
            400,
            "/req/core/query-param-unknown {path}"
        );
    }
    // /req/core/fc-md-op, /req/core/fc-md-success, /req/core/fc-md-items: every layer,
    // each with an id, its extent and a link to its items.
    let collections = get(&app, "/ogc/collections").await.ok_json();
    let catalogue = get(&app, "/api/layers").await.ok_json();
    assert_eq!(
        collections["collections"].as_array().unwrap().len(),
        catalogue["layers"].as_array().unwrap().len(),
        "/req/core/fc-md-items"
    );
    for c in collections["collections"].as_array().unwrap() {
        assert!(
            rels(c).contains(&"items".to_string()),
            "/req/core/fc-md-items-links {}",
            c["id"]
        );
        assert_eq!(
            c["extent"]["spatial"]["bbox"][0].as_array().unwrap().len(),
            4,
            "/req/core/fc-md-extent"
        );
    }
    // /req/core/sfc-md-op, /req/core/sfc-md-success: one collection as listed.
    let one = get(&app, "/ogc/collections/landslides").await.ok_json();
    assert_eq!(one["id"], "landslides", "/req/core/sfc-md-success");

    // /req/core/fc-op, /req/core/fc-response: a FeatureCollection, numberReturned the
    // features returned, numberMatched all that match.
    let items = get(&app, "/ogc/collections/landslides/items?limit=7").await;
    assert_eq!(items.status, 200, "/req/core/fc-op");
    let body = items.json();
    assert_eq!(body["type"], "FeatureCollection", "/req/core/fc-response");
    assert_eq!(body["numberReturned"], 7, "/req/core/fc-numberReturned");
    let landslides = catalogue["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "landslides")
        .unwrap()["count"]
        .clone();
    assert_eq!(
        body["numberMatched"], landslides,
        "/req/core/fc-numberMatched"
    );
    // /req/core/fc-links: self, an alternate encoding, and next while there are more.
    for rel in ["self", "alternate", "next"] {
        assert!(
            rels(&body).contains(&rel.to_string()),
            "/req/core/fc-links: no {rel}"
        );
    }
    // /req/core/fc-limit-definition: 1 to 10,000, default 10; /req/core/query-param-invalid.
    assert_eq!(
        get(&app, "/ogc/collections/landslides/items").await.json()["numberReturned"],
        10
    );
    for bad in [
        "limit=0",
        "limit=10001",
        "limit=ten",
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "datetime=soon",
    ] {
        let path = format!("/ogc/collections/drills/items?{bad}");
        assert_eq!(
            status(&app, &path).await,
            400,
            "/req/core/query-param-invalid {bad}"
        );
    }
    // /req/core/fc-bbox-definition: four or six numbers (a 3D box's heights ignored);
    // /req/core/fc-bbox-response: the same features either way.
    let four = get(
        &app,
        "/ogc/collections/landslides/items?bbox=105.6,34.45,105.8,34.6&limit=1000",
    )
    .await
    .json();
    let six = get(
        &app,
        "/ogc/collections/landslides/items?bbox=105.6,34.45,0,105.8,34.6,100&limit=1000",
    )
    .await
    .json();
    assert_eq!(
        four["numberMatched"], six["numberMatched"],
        "/req/core/fc-bbox-definition"
    );
    // /req/core/fc-time-definition: datetime is accepted (drills have dates).
    assert_eq!(
        status(&app, "/ogc/collections/drills/items?datetime=../2030-01-01").await,
        200
    );
    // /req/core/f-op, /req/core/f-success: one feature, with self, alternate and
    // collection links; an unknown id is a 404.
    let id = body["features"][0]["id"].as_str().unwrap();
    let feature = get(&app, &format!("/ogc/collections/landslides/items/{id}"))
        .await
        .ok_json();
    for rel in ["self", "alternate", "collection"] {
        assert!(
            rels(&feature).contains(&rel.to_string()),
            "/req/core/f-links: no {rel}"
        );
    }
    assert_eq!(
        status(&app, "/ogc/collections/landslides/items/nosuch").await,
        404,
        "/req/core/f-op"
    );
}

#[tokio::test]
async fn features_geojson_and_html() {
    let app = demo_app();
    // /req/geojson/content: features as application/geo+json.
    let items = get(&app, "/ogc/collections/shelters/items").await;
    assert_eq!(
        media(&items),
        "application/geo+json",
        "/req/geojson/content"
    );
    let id = items.json()["features"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let one = get(&app, &format!("/ogc/collections/shelters/items/{id}")).await;
    assert_eq!(media(&one), "application/geo+json", "/req/geojson/content");
    assert_eq!(one.json()["type"], "Feature", "/req/geojson/definition");
    // /req/html/definition, /req/html/content: every resource also as an HTML page.
    for path in [
        "/ogc?f=html",
        "/ogc/conformance?f=html",
        "/ogc/collections?f=html",
        "/ogc/collections/shelters?f=html",
        "/ogc/collections/shelters/items?f=html",
        &format!("/ogc/collections/shelters/items/{id}?f=html"),
    ] {
        let page = get(&app, path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            media(&page).starts_with("text/html"),
            "/req/html/content {path}"
        );
        assert!(
            String::from_utf8(page.body)
                .unwrap()
                .starts_with("<!doctype html>")
        );
    }
}

#[tokio::test]
async fn features_crs() {
    let app = demo_app();
    let collection = get(&app, "/ogc/collections/shelters").await.ok_json();
    // /req/crs/fc-md-crs-list, /req/crs/fc-md-storageCrs.
    let list: Vec<&str> = collection["crs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        list.contains(&"http://www.opengis.net/def/crs/EPSG/0/4490"),
        "/req/crs/fc-md-crs-list"
    );
    assert!(
        list.contains(&collection["storageCrs"].as_str().unwrap()),
        "/req/crs/fc-md-storageCrs"
    );
    // /req/crs/ogc-crs-header: Content-Crs names the CRS of the coordinates.
    let items = get(
        &app,
        "/ogc/collections/shelters/items?crs=http://www.opengis.net/def/crs/EPSG/0/4326",
    )
    .await;
    assert_eq!(
        items.headers["content-crs"].to_str().unwrap(),
        "<http://www.opengis.net/def/crs/EPSG/0/4326>",
        "/req/crs/ogc-crs-header"
    );
    // /req/crs/crs-valid-value, /req/crs/bbox-crs-valid-value: a CRS not listed is a 400.
    let other = "http://www.opengis.net/def/crs/EPSG/0/3857";
    assert_eq!(
        status(
            &app,
            &format!("/ogc/collections/shelters/items?crs={other}")
        )
        .await,
        400
    );
    assert_eq!(
        status(
            &app,
            &format!("/ogc/collections/shelters/items?bbox=0,0,1,1&bbox-crs={other}")
        )
        .await,
        400
    );
}

#[tokio::test]
async fn tiles_classes() {
    let app = demo_app();
    let conformance = get(&app, "/ogc/conformance").await.ok_json();
    let classes: Vec<&str> = conformance["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    // /req/tilesets-list/tilesets-list-success: the tilesets, each with its tiling
    // scheme link.
    let sets = get(&app, "/ogc/tiles").await.ok_json();
    let set = &sets["tilesets"][0];
    assert!(
        rels(set).contains(&"http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme".to_string())
    );
    // /req/tileset/tileset-success: data type, tile matrix set and an item template.
    let tileset = get(&app, "/ogc/collections/roads/tiles/WebMercatorQuad")
        .await
        .ok_json();
    assert_eq!(
        tileset["dataType"], "vector",
        "/req/tileset/tileset-success"
    );
    assert!(
        tileset["tileMatrixSetURI"]
            .as_str()
            .unwrap()
            .ends_with("/WebMercatorQuad")
    );
    let template = tileset["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "item")
        .unwrap();
    assert_eq!(template["templated"], true);
    // /req/core/tc-op, /req/mvt/mvt-content: a tile as MVT; /req/core/tc-error: a tile
    // outside the matrix is a 400 or 404.
    let (x, y) = common::tile_of(105.74, 34.53, 12);
    let tile = get(
        &app,
        &format!("/ogc/collections/roads/tiles/WebMercatorQuad/12/{y}/{x}"),
    )
    .await;
    assert_eq!(tile.status, 200, "/req/core/tc-op");
    assert_eq!(
        media(&tile),
        "application/vnd.mapbox-vector-tile",
        "/req/mvt/mvt-content"
    );
    let outside = status(&app, "/ogc/collections/roads/tiles/WebMercatorQuad/2/9/9").await;
    assert!(
        matches!(outside, 400 | 404),
        "/req/core/tc-error: {outside}"
    );
    for class in [
        "core",
        "tileset",
        "tilesets-list",
        "geodata-tilesets",
        "mvt",
    ] {
        assert!(
            classes.contains(
                &format!("http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/{class}").as_str()
            ),
            "Tiles {class} not claimed"
        );
    }
}
