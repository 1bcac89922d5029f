//! The GDAL importer (cargo feature `gdal`) on files built with GDAL's own tools and on a
//! real third-party Shapefile:
//!
//! - a GBK Shapefile with Chinese field names, with and without its `.cpg`;
//! - a CGCS2000 3-degree Gauss–Krüger Shapefile whose projected coordinates this test
//!   computes itself (Krüger series), read back to the lon/lat they came from;
//! - a two-layer GeoPackage;
//! - a population GeoTIFF made from a hand-written grid;
//! - the NASA landslide points shipped in climada-petals' test data (fetched by
//!   `scripts/fetch-real-data`), checked against this test's own reading of the `.shp`
//!   and `.dbf` bytes.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "gdal")]

use geo::Geometry;
use riskatlas::import::manifest::Manifest;
use riskatlas::import::ogr::{self, OgrOptions, RasterShape};
use riskatlas::import::source::SourceRead;
use riskatlas::import::validate::build_layer;
use std::path::{Path, PathBuf};
use std::process::Command;

fn gdal_tool(tool: &str, args: &[&str]) {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} is needed (Debian package gdal-bin; scripts/install-deps installs it): {e}")
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(path: &Path, opts: &OgrOptions) -> Result<SourceRead, String> {
    ogr::read(path, opts, &|_, _| {})
}

fn points(read: &SourceRead) -> Vec<(f64, f64)> {
    read.features
        .iter()
        .map(|f| match &f.as_ref().expect("readable").geometry {
            Geometry::Point(p) => (p.x(), p.y()),
            other => panic!("expected a point, got {other:?}"),
        })
        .collect()
}

fn text_prop(read: &SourceRead, i: usize, name: &str) -> String {
    let f = read.features[i].as_ref().unwrap();
    f.props
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("feature {i} has no text {name:?}: {:?}", f.props))
        .to_string()
}

const VILLAGES: &[(&str, &str, i64, f64, f64)] = &[
    ("v1", "石门村", 1234, 105.1, 30.2),
    ("v2", "龙泉镇新华社区", 56, 105.3, 30.4),
    ("v3", "䶮岭村", 890, 105.5, 30.1), // 䶮 is in GB18030 but not in GBK
];

fn village_geojson() -> String {
    let features: Vec<String> = VILLAGES
        .iter()
        .map(|(id, name, people, x, y)| {
            format!(
                r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{x},{y}]}},"properties":{{"id":"{id}","名称":"{name}","人口":{people}}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        features.join(",")
    )
}

#[test]
fn a_gb18030_shapefile_with_chinese_field_names_reads_with_and_without_its_cpg() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("villages.geojson");
    std::fs::write(&src, village_geojson()).unwrap();
    let shp = dir.path().join("villages.shp");
    gdal_tool(
        "ogr2ogr",
        &[
            "-f",
            "ESRI Shapefile",
            shp.to_str().unwrap(),
            src.to_str().unwrap(),
            "-lco",
            "ENCODING=GB18030",
        ],
    );
    // The fixture really is GB18030: the DBF holds the encoded bytes, not UTF-8.
    let dbf = std::fs::read(dir.path().join("villages.dbf")).unwrap();
    for (_, name, ..) in VILLAGES {
        let (gb, _, unmappable) = encoding_rs::GB18030.encode(name);
        assert!(!unmappable);
        assert!(
            contains(&dbf, &gb),
            "{name} is not GB18030-encoded in the DBF"
        );
        assert!(
            !contains(&dbf, name.as_bytes()),
            "{name} is in the DBF as UTF-8"
        );
    }

    let check = |read: &SourceRead| {
        assert_eq!(read.columns, ["id", "名称", "人口"]);
        for (i, (id, name, people, x, y)) in VILLAGES.iter().enumerate() {
            let f = read.features[i].as_ref().unwrap();
            assert_eq!(f.id.as_deref(), Some(*id));
            assert_eq!(text_prop(read, i, "名称"), *name);
            let p = f.props.iter().find(|(k, _)| k == "人口").unwrap();
            assert_eq!(p.1.as_i64(), Some(*people));
            assert_eq!(points(read)[i], (*x, *y));
        }
    };
    // 1. With the .cpg GDAL writes, GDAL recodes.
    let with_cpg = read(&shp, &OgrOptions::default()).unwrap();
    check(&with_cpg);
    assert!(with_cpg.warnings.is_empty(), "{:?}", with_cpg.warnings);
    // 2. Without it (common in deliveries), the bytes are decoded as GB18030, with a warning.
    std::fs::remove_file(dir.path().join("villages.cpg")).unwrap();
    let guessed = read(&shp, &OgrOptions::default()).unwrap();
    check(&guessed);
    assert!(
        guessed
            .warnings
            .iter()
            .any(|w| w.contains("GB18030") && w.contains("--encoding")),
        "{:?}",
        guessed.warnings
    );
    // 3. Named on the command line: GDAL recodes, nothing is guessed.
    let named = read(
        &shp,
        &OgrOptions {
            encoding: Some("GB18030".into()),
            ..Default::default()
        },
    )
    .unwrap();
    check(&named);
    assert!(named.warnings.is_empty(), "{:?}", named.warnings);

    // Through the CLI into a data folder, with the Chinese fields mapped; the folder then
    // loads without GDAL (the layer is written as GeoJSON).
    let folder = dir.path().join("atlas");
    let out = Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .args([
            "import",
            shp.to_str().unwrap(),
            "--layer",
            "villages",
            "--kind",
            "population",
        ])
        .args(["--map", "name=名称", "--map", "population=人口", "--into"])
        .arg(&folder)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("GB18030"),
        "the guessed encoding is reported: {stderr}"
    );
    let manifest = Manifest::read(&folder).unwrap();
    let loaded = riskatlas::import::load_folder(&folder).unwrap();
    assert_eq!(loaded.report.rejected(), 0, "{:?}", loaded.report);
    let layer = loaded.atlas.layer("villages").unwrap();
    assert_eq!(manifest.layers[0].file, folder.join("villages.geojson"));
    assert_eq!(layer.len(), VILLAGES.len());
    for (id, name, people, ..) in VILLAGES {
        let fid = layer.features().iter().position(|f| &*f.id == *id).unwrap() as u32;
        assert_eq!(layer.value(fid, "name").as_str(), Some(*name));
        assert_eq!(layer.value(fid, "population").as_i64(), Some(*people));
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Transverse Mercator forward projection by Krüger's series to fourth order in n
/// (Karney 2011, eqs. 7–12), on the CGCS2000 ellipsoid: an implementation independent of
/// PROJ's, accurate to well under a millimetre within a 3-degree zone.
fn gauss_kruger(lon: f64, lat: f64, lon0: f64) -> (f64, f64) {
    let (a, f): (f64, f64) = (6_378_137.0, 1.0 / 298.257_222_101);
    let n = f / (2.0 - f);
    let (n2, n3, n4) = (n * n, n * n * n, n * n * n * n);
    let big_a = a / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0);
    let alpha = [
        n / 2.0 - 2.0 * n2 / 3.0 + 5.0 * n3 / 16.0 + 41.0 * n4 / 180.0,
        13.0 * n2 / 48.0 - 3.0 * n3 / 5.0 + 557.0 * n4 / 1440.0,
        61.0 * n3 / 240.0 - 103.0 * n4 / 140.0,
        49561.0 * n4 / 161280.0,
    ];
    let (phi, lambda) = (lat.to_radians(), (lon - lon0).to_radians());
    let e = (f * (2.0 - f)).sqrt();
    let t = (phi.sin().atanh() - e * (e * phi.sin()).atanh()).sinh();
    let xi_p = t.atan2(lambda.cos());
    let eta_p = (lambda.sin() / (1.0 + t * t).sqrt()).atanh();
    let (mut xi, mut eta) = (xi_p, eta_p);
    for (j, a_j) in alpha.iter().enumerate() {
        let k = 2.0 * (j + 1) as f64;
        xi += a_j * (k * xi_p).sin() * (k * eta_p).cosh();
        eta += a_j * (k * xi_p).cos() * (k * eta_p).sinh();
    }
    (500_000.0 + big_a * eta, big_a * xi)
}

#[test]
fn the_krueger_series_matches_a_published_gauss_kruger_value() {
    // On the central meridian, northing is the meridian arc: 0 at the equator, and the
    // quarter meridian of GRS80/CGCS2000 is 10,001,965.729 m.
    assert_eq!(gauss_kruger(105.0, 0.0, 105.0), (500_000.0, 0.0));
    let (_, quarter) = gauss_kruger(105.0, 90.0, 105.0);
    assert!((quarter - 10_001_965.729).abs() < 0.001, "{quarter}");
}

/// Writes `lonlat` projected by [`gauss_kruger`] (CM 105E, `zone_prefix` × 1,000,000 added
/// to the easting) to a Shapefile labelled `epsg`; GDAL only labels, it does not project.
fn projected_shapefile(
    dir: &Path,
    name: &str,
    lonlat: &[(f64, f64)],
    epsg: &str,
    zone_prefix: f64,
) -> PathBuf {
    let features: Vec<String> = lonlat
        .iter()
        .enumerate()
        .map(|(i, &(lon, lat))| {
            let (x, y) = gauss_kruger(lon, lat, 105.0);
            let x = x + zone_prefix * 1e6;
            format!(
                r#"{{"type":"Feature","geometry":{{"type":"Point","coordinates":[{x:.4},{y:.4}]}},"properties":{{"id":"p{i}"}}}}"#
            )
        })
        .collect();
    let src = dir.join(format!("{name}.geojson"));
    std::fs::write(
        &src,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
    let shp = dir.join(format!("{name}.shp"));
    gdal_tool(
        "ogr2ogr",
        &[
            "-f",
            "ESRI Shapefile",
            "-a_srs",
            epsg,
            shp.to_str().unwrap(),
            src.to_str().unwrap(),
        ],
    );
    shp
}

#[test]
fn cgcs2000_gauss_kruger_coordinates_come_back_as_lonlat() {
    let dir = tempfile::tempdir().unwrap();
    let lonlat: Vec<(f64, f64)> = (0..25)
        .map(|i| (103.55 + 0.12 * i as f64, 25.0 + 0.4 * i as f64))
        .collect();
    // CM 105E without the zone number, and the same zone (35) with it.
    let shp = projected_shapefile(dir.path(), "survey", &lonlat, "EPSG:4544", 0.0);
    let zoned = projected_shapefile(dir.path(), "zoned", &lonlat, "EPSG:4523", 35.0);
    let check = |read: &SourceRead| {
        for (i, ((lon, lat), (x, y))) in lonlat.iter().zip(points(read)).enumerate() {
            // 1e-8 degrees is about a millimetre.
            assert!(
                (lon - x).abs() < 1e-8 && (lat - y).abs() < 1e-8,
                "point {i}: expected {lon},{lat}, read {x},{y}"
            );
        }
    };
    for file in [&shp, &zoned] {
        let read_back = read(file, &OgrOptions::default()).unwrap();
        check(&read_back);
        assert!(read_back.warnings.is_empty(), "{:?}", read_back.warnings);
    }

    // Without the .prj the coordinates are plainly not lon/lat: refused, with the fix named.
    std::fs::remove_file(dir.path().join("survey.prj")).unwrap();
    let err = read(&shp, &OgrOptions::default()).unwrap_err();
    assert!(err.contains("--crs") && err.contains("no CRS"), "{err}");
    let told = read(
        &shp,
        &OgrOptions {
            crs: Some("EPSG:4544".into()),
            ..Default::default()
        },
    )
    .unwrap();
    check(&told);
    let wrong = read(
        &shp,
        &OgrOptions {
            crs: Some("EPSG:999999".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(wrong.contains("--crs"), "{wrong}");
}

#[test]
fn a_geopackage_layer_is_chosen_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("villages.geojson");
    std::fs::write(&src, village_geojson()).unwrap();
    let gpkg = dir.path().join("census.gpkg");
    let gpkg_s = gpkg.to_str().unwrap();
    gdal_tool(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            gpkg_s,
            src.to_str().unwrap(),
            "-nln",
            "villages",
        ],
    );
    gdal_tool(
        "ogr2ogr",
        &[
            "-f",
            "GPKG",
            "-update",
            gpkg_s,
            src.to_str().unwrap(),
            "-nln",
            "copy",
            "-where",
            "\"人口\" > 100",
        ],
    );
    let err = read(&gpkg, &OgrOptions::default()).unwrap_err();
    assert!(
        err.contains("--source-layer") && err.contains("villages") && err.contains("copy"),
        "{err}"
    );
    let layer = |name: &str| {
        read(
            &gpkg,
            &OgrOptions {
                source_layer: Some(name.into()),
                ..Default::default()
            },
        )
    };
    let villages = layer("villages").unwrap();
    assert_eq!(villages.features.len(), 3);
    assert_eq!(text_prop(&villages, 1, "名称"), "龙泉镇新华社区");
    assert_eq!(
        layer("copy").unwrap().features.len(),
        2,
        "the two villages over 100 people"
    );
    let missing = layer("roads").unwrap_err();
    assert!(
        missing.contains("roads") && missing.contains("villages"),
        "{missing}"
    );
}

/// A 4 × 3 grid: no-data, zero and negative cells are not people; 2.5 and 0.4 round.
const GRID: &str = "ncols 4\nnrows 3\nxllcorner 105.0\nyllcorner 30.0\ncellsize 0.01\nNODATA_value -9999\n\
                    10 -9999 0 2.5\n\
                    0.4 7 -3 100\n\
                    1 1 1 -9999\n";

fn population_tiff(dir: &Path) -> PathBuf {
    let asc = dir.join("grid.asc");
    std::fs::write(&asc, GRID).unwrap();
    let tif = dir.join("population.tif");
    gdal_tool(
        "gdal_translate",
        &[
            "-q",
            "-of",
            "GTiff",
            "-a_srs",
            "EPSG:4326",
            asc.to_str().unwrap(),
            tif.to_str().unwrap(),
        ],
    );
    tif
}

#[test]
fn a_population_raster_becomes_points_at_cell_centres_or_cells() {
    let dir = tempfile::tempdir().unwrap();
    let tif = population_tiff(dir.path());
    let read_points = read(&tif, &OgrOptions::default()).unwrap();
    // Worked by hand from GRID: (row, col, people); row 0 is the northern row.
    let expected = [
        (0, 0, 10),
        (0, 3, 3), // 2.5 rounds half away from zero
        (1, 1, 7),
        (1, 3, 100),
        (2, 0, 1),
        (2, 1, 1),
        (2, 2, 1),
    ];
    // 0.4 rounds to nobody: no point, but the rounding report counts it.
    assert_eq!(read_points.features.len(), expected.len());
    for (f, (row, col, people)) in read_points.features.iter().zip(expected) {
        let f = f.as_ref().unwrap();
        assert_eq!(f.id.as_deref(), Some(format!("r{row}c{col}").as_str()));
        let Geometry::Point(p) = f.geometry else {
            panic!("a point")
        };
        let (x, y) = (
            105.0 + (col as f64 + 0.5) * 0.01,
            30.03 - (row as f64 + 0.5) * 0.01,
        );
        assert!(
            (p.x() - x).abs() < 1e-12 && (p.y() - y).abs() < 1e-12,
            "{p:?} vs {x},{y}"
        );
        assert_eq!(f.props[0].1.as_i64(), Some(people));
    }
    assert!(
        read_points
            .warnings
            .iter()
            .any(|w| w.contains("rounded") && w.contains("122.9") && w.contains("123")),
        "{:?}",
        read_points.warnings
    );

    let read_cells = read(
        &tif,
        &OgrOptions {
            raster: RasterShape::Cells,
            ..Default::default()
        },
    )
    .unwrap();
    let Geometry::Polygon(cell) = &read_cells.features[0].as_ref().unwrap().geometry else {
        panic!("a polygon")
    };
    use geo::BoundingRect;
    let r = cell.bounding_rect().unwrap();
    assert!((r.min().x - 105.0).abs() < 1e-12 && (r.max().x - 105.01).abs() < 1e-12);
    assert!((r.min().y - 30.02).abs() < 1e-12 && (r.max().y - 30.03).abs() < 1e-12);

    // Validated as a population layer: every point loads.
    let spec = Manifest::parse(
        "name = \"t\"\n[[layer]]\nid = \"grid\"\nkind = \"population\"\nfile = \"population.tif\"\n",
        dir.path(),
    )
    .unwrap()
    .layers
    .remove(0);
    let (layer, report) = build_layer(&spec, read_points, "population.tif");
    assert_eq!(
        (layer.len(), report.rejected),
        (expected.len(), 0),
        "{report:?}"
    );
}

/// The real landslide points: GDAL's reading agrees with this test's own parse of the
/// Shapefile bytes (ESRI Shapefile Technical Description, 1998).
#[test]
fn the_nasa_landslide_shapefile_imports_point_for_point() {
    let shp =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("target/real-data/landslides/test_ls_hist.shp");
    if !shp.exists() {
        let why = format!("{} is missing: run scripts/fetch-real-data", shp.display());
        if std::env::var_os("RISKATLAS_REQUIRE_REAL_DATA").is_some() {
            panic!("{why}");
        }
        eprintln!("SKIPPED the_nasa_landslide_shapefile_imports_point_for_point: {why}");
        return;
    }
    let bytes = std::fs::read(&shp).unwrap();
    let mut expected = Vec::new();
    let mut at = 100;
    while at + 8 <= bytes.len() {
        let words = u32::from_be_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        let shape_type = i32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap());
        assert_eq!(shape_type, 1, "a point record");
        let x = f64::from_le_bytes(bytes[at + 12..at + 20].try_into().unwrap());
        let y = f64::from_le_bytes(bytes[at + 20..at + 28].try_into().unwrap());
        expected.push((x, y));
        at += 8 + 2 * words;
    }
    let dbf = std::fs::read(shp.with_extension("dbf")).unwrap();
    let dbf_records = u32::from_le_bytes(dbf[4..8].try_into().unwrap()) as usize;
    assert_eq!(expected.len(), 308, "the catalogue extract has 308 points");
    assert_eq!(dbf_records, expected.len());

    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("atlas");
    let out = Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .args([
            "import",
            shp.to_str().unwrap(),
            "--layer",
            "landslides",
            "--kind",
            "landslide",
            "--into",
        ])
        .arg(&folder)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let loaded = riskatlas::import::load_folder(&folder).unwrap();
    assert_eq!(loaded.report.rejected(), 0, "{:?}", loaded.report);
    let layer = loaded.atlas.layer("landslides").unwrap();
    assert_eq!(layer.len(), expected.len());
    for (f, (x, y)) in layer.features().iter().zip(&expected) {
        let Geometry::Point(p) = &f.geometry else {
            panic!("a point")
        };
        assert_eq!((p.x(), p.y()), (*x, *y), "feature {}", f.id);
    }
}

#[test]
fn files_gdal_cannot_read_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("roads.shp");
    std::fs::write(&fake, "this is not a shapefile").unwrap();
    let err = read(&fake, &OgrOptions::default()).unwrap_err();
    assert!(err.contains("GDAL cannot open it"), "{err}");
    let err = read(&dir.path().join("absent.gpkg"), &OgrOptions::default()).unwrap_err();
    assert!(err.contains("no such file"), "{err}");
}

#[test]
fn kml_and_an_older_chinese_datum_read_with_what_was_assumed_said() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("villages.geojson");
    std::fs::write(&src, village_geojson()).unwrap();
    // KML: names and points as written.
    let kml = dir.path().join("villages.kml");
    gdal_tool(
        "ogr2ogr",
        &["-f", "KML", kml.to_str().unwrap(), src.to_str().unwrap()],
    );
    let read_kml = read(&kml, &OgrOptions::default()).unwrap();
    assert_eq!(read_kml.features.len(), VILLAGES.len());
    for (i, (.., x, y)) in VILLAGES.iter().enumerate() {
        let (px, py) = points(&read_kml)[i];
        assert!((px - x).abs() < 1e-9 && (py - y).abs() < 1e-9);
    }

    // Beijing 1954 Gauss–Krüger (a different ellipsoid and datum): GDAL projects the
    // villages there, riskatlas brings them back through PROJ and says the datum shift
    // may be approximate. The round trip lands within a metre.
    let shp = dir.path().join("beijing54.shp");
    gdal_tool(
        "ogr2ogr",
        &[
            "-f",
            "ESRI Shapefile",
            "-t_srs",
            "EPSG:2432",
            shp.to_str().unwrap(),
            src.to_str().unwrap(),
        ],
    );
    let back = read(&shp, &OgrOptions::default()).unwrap();
    assert!(
        back.warnings
            .iter()
            .any(|w| w.contains("Beijing 1954") && w.contains("approximate")),
        "{:?}",
        back.warnings
    );
    for (i, (.., x, y)) in VILLAGES.iter().enumerate() {
        let (px, py) = points(&back)[i];
        // 1e-5 degrees is about a metre.
        assert!(
            (px - x).abs() < 1e-5 && (py - y).abs() < 1e-5,
            "{px},{py} vs {x},{y}"
        );
    }
}
