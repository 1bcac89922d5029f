//! Printed map sheets read back by poppler (`pdfinfo`, `pdftotext`, `pdffonts`,
//! `pdftoppm`), which no one here wrote: the page is exactly A4 or A3, every font is
//! embedded, the township's villages and shelters and the legend are in its text, a
//! plan's every trip is in the table of the township it starts in, and the rendered
//! page is drawn in the legend's colours, told apart in grey too. What a sheet should
//! hold is computed here from the data files themselves (geometry by `geo`), not by the
//! code that drew it.
// Test and benchmark code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::cli::{output_of, riskatlas, scenario_file};
use common::folder::{collection, data_folder, square};
use common::{demo_copy, get, served, url_encode};
use geo::{Contains, Coord, MultiPolygon, Point};
use riskatlas::render::palette::PALETTE;
use riskatlas::render::sheet::paper::{Panel, Paper};
use serde_json::{Value, json};
use std::path::Path;

const INSTALL: &str = "poppler-utils: scripts/install-deps";

/// The standard output of a poppler tool, after asserting it succeeded.
fn run(program: &str, args: &[&str]) -> Vec<u8> {
    output_of(program, args, INSTALL)
}

/// The text laid out as on the page: a table row is one line.
fn text_of(pdf: &Path) -> String {
    String::from_utf8(run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"])).unwrap()
}

/// The text in drawing order with the white space taken out: a label is one run
/// however the page places it near others (and pdftotext may drop the space between a
/// Latin and a Chinese word).
fn squeezed_text_of(pdf: &Path) -> String {
    let raw = String::from_utf8(run("pdftotext", &["-raw", pdf.to_str().unwrap(), "-"])).unwrap();
    raw.split_whitespace().collect()
}

fn read_json(dir: &Path, file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap()
}

fn area_of(geometry: &Value) -> MultiPolygon<f64> {
    let g: geojson::Geometry = serde_json::from_value(geometry.clone()).unwrap();
    let g: geo::Geometry<f64> = g.try_into().unwrap();
    match g {
        geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
        geo::Geometry::MultiPolygon(m) => m,
        other => panic!("not an area: {other:?}"),
    }
}

/// The demo's townships: (code, name, area).
fn townships(dir: &Path) -> Vec<(String, String, MultiPolygon<f64>)> {
    read_json(dir, "townships.geojson")["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["properties"]["code"].as_str().unwrap().to_string(),
                f["properties"]["name"].as_str().unwrap().to_string(),
                area_of(&f["geometry"]),
            )
        })
        .collect()
}

/// The sheet file of `code` in `out`.
fn sheet_file(out: &Path, code: &str) -> std::path::PathBuf {
    std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_str().unwrap().starts_with(code))
        .unwrap_or_else(|| panic!("no sheet for {code} in {}", out.display()))
}

#[test]
fn one_a4_sheet_per_township_names_its_villages_and_shelters_with_fonts_embedded() {
    let data = demo_copy();
    let out = tempfile::tempdir().unwrap();
    let (d, o) = (data.path().to_str().unwrap(), out.path().to_str().unwrap());
    riskatlas(&["sheets", "--data", d, "--out", o]);
    let towns = townships(data.path());
    let written = std::fs::read_dir(out.path()).unwrap().count();
    assert_eq!(written, towns.len(), "one sheet per township");

    let villages = read_json(data.path(), "villages.geojson");
    let shelters = read_json(data.path(), "shelters.geojson");
    for (code, name, area) in towns.iter().take(3) {
        let pdf = sheet_file(out.path(), code);
        let info = String::from_utf8(run("pdfinfo", &[pdf.to_str().unwrap()])).unwrap();
        assert!(info.contains("Pages:           1"), "{info}");
        // ISO A4 is 210 × 297 mm: 595.276 × 841.89 pt.
        assert!(
            info.contains("Page size:       595.276 x 841.89 pts (A4)"),
            "{info}"
        );

        let text = squeezed_text_of(&pdf);
        assert!(text.contains(&format!("{name}灾害风险图")), "title: {text}");
        for word in [
            "图例Legend",
            "4Red红色",
            "1Blue蓝色",
            "避难场所shelter",
            "N北",
        ] {
            assert!(text.contains(word), "{word:?} not on {name}'s sheet");
        }
        // Every village of the township (by parent code), in the table.
        let mine: Vec<&str> = villages["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["properties"]["parent_code"] == code.as_str())
            .map(|v| v["properties"]["name"].as_str().unwrap())
            .collect();
        assert!(!mine.is_empty());
        for village in &mine {
            assert!(
                text.contains(village),
                "village {village} not on {name}'s sheet"
            );
        }
        // Every shelter inside the township, named with its places.
        for s in shelters["features"].as_array().unwrap() {
            let c = &s["geometry"]["coordinates"];
            let at = Point::new(c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            if area.contains(&at) {
                let label = format!(
                    "{}{}人",
                    s["properties"]["name"].as_str().unwrap(),
                    s["properties"]["capacity"]
                );
                assert!(text.contains(&label), "{label:?} not on {name}'s sheet");
            }
        }

        let fonts = String::from_utf8(run("pdffonts", &[pdf.to_str().unwrap()])).unwrap();
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(!rows.is_empty(), "{fonts}");
        for row in rows {
            // name, type…, then emb sub uni: every font embedded, with a Unicode map (so
            // the text above could be read at all).
            let cols: Vec<&str> = row.split_whitespace().collect();
            let n = cols.len();
            assert_eq!(&cols[n - 5..n - 2], ["yes", "yes", "yes"], "{row}");
        }
        assert!(fonts.contains("CJK"), "no CJK font: {fonts}");
    }

    // One per village too, each naming its village in the title and its table.
    let per_village = tempfile::tempdir().unwrap();
    let pv = per_village.path().to_str().unwrap();
    riskatlas(&["sheets", "--data", d, "--out", pv, "--per", "village"]);
    let all = villages["features"].as_array().unwrap();
    assert_eq!(
        std::fs::read_dir(per_village.path()).unwrap().count(),
        all.len()
    );
    for v in all.iter().step_by(37) {
        let (code, name) = (
            v["properties"]["code"].as_str().unwrap(),
            v["properties"]["name"].as_str().unwrap(),
        );
        let text = squeezed_text_of(&sheet_file(per_village.path(), code));
        assert!(
            text.contains(&format!("{name}灾害风险图")),
            "{code}: {text}"
        );
        assert!(text.contains("村Village网格Grid"), "{code}: {text}");
    }
}

/// Pixels per point of the rendering: 2 (144 dpi), so the densest hatch (4 pt apart,
/// 0.6 pt lines) leaves whole pixels of its colour between the lines.
const PX_PER_PT: f64 = 2.0;

/// The page rendered at [`PX_PER_PT`] as RGB rows.
struct Raster {
    width: usize,
    pixels: Vec<[u8; 3]>,
}

impl Raster {
    fn of(pdf: &Path, gray: bool) -> Raster {
        let dpi = (72.0 * PX_PER_PT).to_string();
        let mut args = vec!["-r", &dpi, "-singlefile"];
        if gray {
            args.push("-gray");
        }
        // With no output root the image goes to standard output.
        args.push(pdf.to_str().unwrap());
        let bytes = run("pdftoppm", &args);
        // P6 (colour) or P5 (grey): magic, width, height, maxval, then the samples.
        let mut fields = Vec::new();
        let mut i = 0;
        while fields.len() < 4 {
            while bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let start = i;
            while !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            fields.push(String::from_utf8(bytes[start..i].to_vec()).unwrap());
        }
        let body = &bytes[i + 1..];
        let width: usize = fields[1].parse().unwrap();
        let pixels = match fields[0].as_str() {
            "P6" => body.chunks(3).map(|c| [c[0], c[1], c[2]]).collect(),
            "P5" => body.iter().map(|&g| [g, g, g]).collect(),
            other => panic!("not a PPM/PGM: {other}"),
        };
        Raster { width, pixels }
    }

    fn inside(&self, p: Panel) -> Vec<[u8; 3]> {
        let px = |v: f64| v * PX_PER_PT;
        let (x0, y0) = (px(p.x).ceil() as usize + 2, px(p.y).ceil() as usize + 2);
        let (x1, y1) = (px(p.x + p.w) as usize - 2, px(p.y + p.h) as usize - 2);
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .map(|(x, y)| self.pixels[y * self.width + x])
            .collect()
    }
}

/// The commonest colour of `pixels`.
fn commonest(pixels: &[[u8; 3]]) -> [u8; 3] {
    let mut counts = std::collections::HashMap::new();
    for p in pixels {
        *counts.entry(*p).or_insert(0) += 1;
    }
    counts.into_iter().max_by_key(|c| c.1).unwrap().0
}

/// The legend swatch of `severity` (1–4): where the legend draws it (see
/// `src/render/templates/sheet.svg`: 20 × 11 pt rows from 18 pt down, worst first).
fn swatch(legend: Panel, severity: u8) -> Panel {
    Panel {
        x: legend.x,
        y: legend.y + 18.0 + 15.0 * f64::from(4 - severity),
        w: 20.0,
        h: 11.0,
    }
}

#[test]
fn the_page_is_drawn_in_the_legends_colours_and_the_levels_differ_in_grey() {
    // One township with three flood zones apart from each other, at levels 1, 2 and 4:
    // no level 3 anywhere.
    let township = square(
        105.0,
        34.0,
        105.1,
        34.08,
        json!({"code": "T1", "name": "试验乡", "level": "township"}),
    );
    let zones: Vec<Value> = [(1u8, 105.01), (2, 105.04), (4, 105.07)]
        .iter()
        .map(|(severity, x)| {
            square(*x, 34.02, x + 0.02, 34.06, json!({"name": format!("z{severity}"), "severity": severity, "return_period_years": 10}))
        })
        .collect();
    let manifest = "name = \"t\"\n[[layer]]\nid = \"towns\"\nkind = \"admin\"\nfile = \"towns.geojson\"\n[[layer]]\nid = \"flood\"\nkind = \"flood\"\nfile = \"flood.geojson\"\n";
    let data = data_folder(
        manifest,
        &[
            ("towns.geojson", collection(vec![township])),
            ("flood.geojson", collection(zones)),
        ],
    );
    let out = tempfile::tempdir().unwrap();
    let (d, o) = (data.path().to_str().unwrap(), out.path().to_str().unwrap());
    riskatlas(&["sheets", "--data", d, "--out", o, "--only", "T1"]);
    let pdf = sheet_file(out.path(), "T1");
    let layout = Paper::A4.layout();

    let page = Raster::of(&pdf, false);
    let map = page.inside(layout.map);
    let drawn = map.iter().filter(|p| **p != [255, 255, 255]).count();
    assert!(
        drawn * 10 > map.len() * 9,
        "the map is mostly blank: {drawn} of {}",
        map.len()
    );
    for severity in 1..=4u8 {
        // The swatch's own colour (between its hatch lines)…
        let colour = commonest(&page.inside(swatch(layout.legend, severity)));
        let level = PALETTE[usize::from(severity) - 1];
        let hex = u32::from_str_radix(&level.color[1..], 16).unwrap();
        let rgb = [(hex >> 16) as u8, (hex >> 8) as u8, hex as u8];
        // …is the level's colour at 35 % over the map's paper, #f7f6f0 (to rounding)…
        let paper = [247.0, 246.0, 240.0];
        for k in 0..3 {
            let expected = paper[k] * 0.65 + f64::from(rgb[k]) * 0.35;
            assert!(
                (f64::from(colour[k]) - expected).abs() <= 3.0,
                "swatch {severity}: {colour:?} is not {} at 35 %",
                level.color
            );
        }
        // …and on the map where, and only where, the data has a zone of that level.
        let on_map = map.iter().filter(|p| **p == colour).count();
        if severity == 3 {
            assert_eq!(
                on_map, 0,
                "level 3's colour {colour:?} drawn with no level-3 zone"
            );
        } else {
            // A zone is 0.02° × 0.04° of a 0.1° × 0.08° township drawn about 500 pt
            // wide: tens of thousands of pixels, less its hatch lines.
            assert!(
                on_map > 5000,
                "level {severity}'s colour {colour:?} on {on_map} map pixels"
            );
        }
    }

    // In grey, each level's swatch (fill and hatch together) is its own shade.
    let grey = Raster::of(&pdf, true);
    let shades: Vec<f64> = (1..=4)
        .map(|s| {
            let px = grey.inside(swatch(layout.legend, s));
            px.iter().map(|p| f64::from(p[0])).sum::<f64>() / px.len() as f64
        })
        .collect();
    for i in 0..4 {
        for j in i + 1..4 {
            assert!(
                (shades[i] - shades[j]).abs() >= 6.0,
                "levels {} and {} look alike in grey: {shades:?}",
                i + 1,
                j + 1
            );
        }
    }
}

#[test]
fn an_a3_plan_sheet_lists_every_trip_in_the_township_it_starts_in() {
    let data = demo_copy();
    let out = tempfile::tempdir().unwrap();
    let (d, o) = (data.path().to_str().unwrap(), out.path().to_str().unwrap());
    let request =
        json!({"hazards": [{"layer": "floods", "where": {"return_period_years": {"lte": 20}}}]});
    let file = scenario_file(data.path(), &request);
    riskatlas(&[
        "sheets",
        "--data",
        d,
        "--out",
        o,
        "--paper",
        "A3",
        "--scenario",
        &file,
    ]);
    // The plan as the evacuation command prints it.
    let plan: Value = serde_json::from_str(&riskatlas(&["evacuate", "--data", d, &file])).unwrap();
    let trips = plan["assignments"].as_array().unwrap();
    assert!(!trips.is_empty());
    let towns = townships(data.path());
    let mut texts = std::collections::HashMap::new();
    for (code, _, _) in &towns {
        let pdf = sheet_file(out.path(), code);
        let info = String::from_utf8(run("pdfinfo", &[pdf.to_str().unwrap()])).unwrap();
        // ISO A3 landscape, 420 × 297 mm.
        assert!(
            info.contains("Page size:       1190.55 x 841.89 pts (A3)"),
            "{info}"
        );
        texts.insert(code.clone(), text_of(&pdf));
    }
    for trip in trips {
        let c = &trip["route"]["coordinates"][0];
        let start = Coord {
            x: c[0].as_f64().unwrap(),
            y: c[1].as_f64().unwrap(),
        };
        let (code, name, _) = towns.iter().find(|t| t.2.contains(&start)).unwrap();
        // One line of the table: village, grid, people, shelter, minutes.
        let wanted = [
            trip["unit_name"].as_str().unwrap().to_string(),
            trip["people"].to_string(),
            trip["shelter_name"].as_str().unwrap().to_string(),
            format!("{:.0}", trip["minutes"].as_f64().unwrap()),
        ];
        let found = texts[code].lines().any(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            wanted.iter().all(|w| cells.contains(&w.as_str()))
        });
        assert!(
            found,
            "trip {wanted:?} not in {name}'s table:\n{}",
            texts[code]
        );
    }
    for x in plan["unassigned"].as_array().unwrap() {
        let start = Coord {
            x: x["lon"].as_f64().unwrap(),
            y: x["lat"].as_f64().unwrap(),
        };
        let (code, name, _) = towns.iter().find(|t| t.2.contains(&start)).unwrap();
        let unit = x["unit_name"].as_str().unwrap();
        let found = texts[code]
            .lines()
            .any(|l| l.contains(unit) && l.contains("未安置 not placed"));
        assert!(
            found,
            "{unit}'s people not placed are not on {name}'s sheet"
        );
    }
    // The legend says what the plan adds.
    let any = texts.values().next().unwrap();
    assert!(any.contains("转移路线 evacuation route") && any.contains("Who goes where"));
}

#[tokio::test]
async fn the_server_answers_a_sheet_as_pdf_and_refuses_what_it_cannot_print() {
    let data = demo_copy();
    let app = served(data.path());
    let (code, name, _) = townships(data.path()).into_iter().next().unwrap();

    let reply = get(&app, &format!("/sheets/{code}.pdf?paper=A3")).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.headers["content-type"], "application/pdf");
    assert!(reply.body.starts_with(b"%PDF-"));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &reply.body).unwrap();
    assert!(text_of(file.path()).contains(&format!("{name} 灾害风险图")));
    let info = String::from_utf8(run("pdfinfo", &[file.path().to_str().unwrap()])).unwrap();
    assert!(info.contains("(A3)"), "{info}");

    let request = json!({"hazards": [{"layer": "floods"}]}).to_string();
    let uri = format!("/sheets/{code}.pdf?request={}", url_encode(&request));
    let reply = get(&app, &uri).await;
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    std::fs::write(file.path(), &reply.body).unwrap();
    assert!(text_of(file.path()).contains("转移安置图 Evacuation map"));

    for (uri, status, says) in [
        (format!("/sheets/{code}.pdf?paper=A5"), 400, "not A4 or A3"),
        (format!("/sheets/{code}.pdf?scale=2"), 400, "scale"),
        (
            "/sheets/999999.pdf".to_string(),
            404,
            "no admin unit has the code",
        ),
        (format!("/sheets/{code}"), 404, ".pdf"),
        (
            format!("/sheets/{code}.pdf?request=nope"),
            400,
            "request is not JSON",
        ),
    ] {
        let reply = get(&app, &uri).await;
        assert_eq!(
            reply.status,
            status,
            "{uri}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        assert!(reply.error().contains(says), "{uri}: {}", reply.error());
    }
}

#[test]
fn a_missing_unit_and_a_bad_paper_are_refused_by_name() {
    let data = demo_copy();
    let out = tempfile::tempdir().unwrap();
    let (d, o) = (data.path().to_str().unwrap(), out.path().to_str().unwrap());
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_riskatlas"))
            .args(args)
            .output()
            .unwrap()
    };
    let missing = run(&["sheets", "--data", d, "--out", o, "--only", "123"]);
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("no admin unit has the code \"123\"")
    );
    let paper = run(&["sheets", "--data", d, "--out", o, "--paper", "B5"]);
    assert!(!paper.status.success());
    let said = String::from_utf8_lossy(&paper.stderr);
    assert!(
        said.contains("B5") && said.contains("a4") && said.contains("a3"),
        "{said}"
    );
}
