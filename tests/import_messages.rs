//! What `riskatlas check`, `riskatlas import` and the loader say about data a new user
//! brings: each message asserted as a person reads it. Every fixture is written here,
//! by hand or by an outside tool (Python's GBK codec), and each test says what its
//! fixture holds, so the expected text follows from the fixture, not from our output.
// Test code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

use riskatlas::import::{Manifest, load_folder, with_causes};
use std::path::Path;
use std::process::{Command, Output};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// `text` encoded as GBK by Python's own codec (what Excel on Chinese Windows writes),
/// not by the decoder under test.
fn gbk(text: &str) -> Vec<u8> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys; sys.stdout.buffer.write(sys.stdin.read().encode('gbk'))",
        ])
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .expect("python3 runs");
    assert!(out.status.success());
    assert!(
        std::str::from_utf8(&out.stdout).is_err(),
        "GBK Chinese is not UTF-8"
    );
    out.stdout
}

/// A folder whose one layer `shelters` reads `shelters.csv`, with `extra` lines added to
/// its `[[layer]]` entry and the Chinese columns mapped.
fn shelter_folder(extra: &str, csv: &[u8]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "atlas.toml",
        &format!(
            "name = \"t\"\n[[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.csv\"\n{extra}\n[layer.fields]\ncapacity = \"容纳人数\"\nname = \"名称\"\n"
        ),
    );
    std::fs::write(dir.path().join("shelters.csv"), csv).unwrap();
    dir
}

/// Two shelters, header on line 1.
const SHELTERS: &str =
    "名称,经度,纬度,容纳人数\n一中操场,105.5,34.5,800\n二中操场,105.6,34.6,300\n";

fn riskatlas(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .args(args)
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn a_gbk_csv_from_excel_is_read_as_gb18030_and_the_report_says_so() {
    let dir = shelter_folder("", &gbk(SHELTERS));
    let loaded = load_folder(dir.path()).unwrap();
    let layer = loaded.atlas.layer("shelters").unwrap();
    assert_eq!(layer.len(), 2);
    assert_eq!(layer.value(0, "name").to_string(), "一中操场");
    assert_eq!(
        loaded.report.layer("shelters").unwrap().warnings,
        [
            "not UTF-8: read as GB18030 (the GBK that Excel saves on Chinese Windows); \
          say `encoding = \"gb18030\"` in atlas.toml to make it explicit"
        ]
    );
    // Said in atlas.toml, there is nothing to warn about.
    let dir = shelter_folder("encoding = \"gb18030\"", &gbk(SHELTERS));
    let loaded = load_folder(dir.path()).unwrap();
    assert_eq!(loaded.atlas.layer("shelters").unwrap().len(), 2);
    assert!(loaded.report.layer("shelters").unwrap().warnings.is_empty());
    // Said wrongly, the layer fails with the reason. "名" is the first byte past ASCII.
    let dir = shelter_folder("encoding = \"utf-8\"", &gbk(SHELTERS));
    let loaded = load_folder(dir.path()).unwrap();
    let error = loaded
        .report
        .layer("shelters")
        .unwrap()
        .error
        .clone()
        .unwrap();
    assert!(
        error.ends_with(
            "shelters.csv: not UTF-8 text (byte 0), though atlas.toml says encoding = \"utf-8\""
        ),
        "{error}"
    );
}

#[test]
fn a_semicolon_csv_is_refused_with_the_delimiter_that_would_read_it() {
    let semicolons = SHELTERS.replace(',', ";");
    let dir = shelter_folder("", semicolons.as_bytes());
    let loaded = load_folder(dir.path()).unwrap();
    let error = loaded
        .report
        .layer("shelters")
        .unwrap()
        .error
        .clone()
        .unwrap();
    assert!(
        error.ends_with(
            "shelters.csv: no lon column (looked for lon, lng, long, longitude, x, 经度); \
             name it with `lon = \"...\"` in atlas.toml; the header is one column holding \";\": \
             is that the separator? say `delimiter = \";\"` in atlas.toml"
        ),
        "{error}"
    );
    let dir = shelter_folder("delimiter = \";\"", semicolons.as_bytes());
    let loaded = load_folder(dir.path()).unwrap();
    assert_eq!(loaded.atlas.layer("shelters").unwrap().len(), 2);
}

#[test]
fn swapped_axes_are_named_in_a_csv_and_in_geojson() {
    // The second shelter has its latitude in the longitude column and the other way round.
    let csv = "名称,经度,纬度,容纳人数\n一中操场,105.5,34.5,800\n二中操场,34.6,105.6,300\n";
    let dir = shelter_folder("", csv.as_bytes());
    let loaded = load_folder(dir.path()).unwrap();
    let report = loaded.report.layer("shelters").unwrap();
    assert_eq!(report.rejections.len(), 1);
    assert_eq!(
        report.rejections[0].reason,
        "position [34.6, 105.6] is outside lon/lat range; the axes look swapped: is `经度` the latitude?"
    );
    let read = riskatlas::import::source::read_geojson(
        br#"{"type":"FeatureCollection","features":[
        {"type":"Feature","geometry":{"type":"Point","coordinates":[34.6,105.6]},"properties":{}}]}"#,
    )
    .unwrap();
    assert_eq!(
        read.features[0].as_ref().unwrap_err().reason,
        "position [34.6, 105.6] is outside lon/lat range; the axes look swapped: GeoJSON \
         positions are [longitude, latitude], is the first number the latitude?"
    );
}

/// The user's report: one flood zone whose ring is not closed, its return period under
/// a Chinese name that the manifest maps. The field occurs; only the geometry is bad.
#[test]
fn an_unclosed_ring_does_not_make_its_mapped_field_look_missing() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "atlas.toml",
        "name = \"t\"\n[[layer]]\nid = \"floods\"\nkind = \"flood\"\nfile = \"floods.geojson\"\n[layer.fields]\nreturn_period_years = \"重现期\"\n",
    );
    write(
        dir.path(),
        "floods.geojson",
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[105,34],[106,34],[106,35],[105,35]]]},"properties":{"重现期":50}}]}"#,
    );
    let loaded = load_folder(dir.path()).unwrap();
    let report = loaded.report.layer("floods").unwrap();
    assert_eq!(report.warnings, Vec::<String>::new());
    assert_eq!(report.rejections.len(), 1);
    assert!(
        report.rejections[0].reason.contains("not closed"),
        "{report:?}"
    );
}

#[test]
fn a_missing_folder_and_a_bad_manifest_say_each_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = riskatlas(&["check"], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: cannot read {}: {}",
            dir.path().join("atlas.toml").display(),
            std::io::Error::from_raw_os_error(2)
        )
    );
    // An unknown key: the toml crate quotes the line, once.
    write(
        dir.path(),
        "atlas.toml",
        "name = \"t\"\n[[layer]]\nid = \"a\"\nkind = \"flood\"\nfile = \"a.geojson\"\ncolour = 1\n",
    );
    let out = riskatlas(&["check"], dir.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("colour = 1").count(), 1, "{stderr}");
    assert_eq!(
        stderr.matches("unknown field `colour`").count(),
        1,
        "{stderr}"
    );
    // A layer file that is not there: the FAILED line says why, once.
    write(
        dir.path(),
        "atlas.toml",
        "name = \"t\"\n[[layer]]\nid = \"a\"\nkind = \"flood\"\nfile = \"a.geojson\"\n",
    );
    let out = riskatlas(&["check"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.matches("No such file or directory").count(),
        1,
        "{stdout}"
    );
}

/// Four layers; the fourth's kind is a plural.
#[test]
fn a_bad_layer_entry_is_counted_as_the_file_counts_it_with_the_kind_it_meant() {
    let mut text = "name = \"t\"\n".to_string();
    for (id, kind) in [
        ("a", "flood"),
        ("b", "road"),
        ("c", "landslide"),
        ("d", "shelters"),
    ] {
        text.push_str(&format!(
            "[[layer]]\nid = \"{id}\"\nkind = \"{kind}\"\nfile = \"{id}.geojson\"\n"
        ));
    }
    let err = with_causes(&Manifest::parse(&text, Path::new(".")).unwrap_err());
    assert!(
        err.starts_with("atlas.toml: layer 4: unknown layer kind \"shelters\"; did you mean `shelter`? kinds are: "),
        "{err}"
    );
}

/// Line 1 the header, line 2 a good shelter, line 3 a capacity in words, line 4 a good
/// one; the mapping of the night capacity drops the last two characters of its column.
#[test]
fn check_names_the_spreadsheet_line_and_the_field_that_was_meant() {
    let csv = "名称,经度,纬度,容纳人数,夜间容纳人数\n一中操场,105.5,34.5,800,400\n二中操场,105.6,34.5,很多,\n三中,105.7,34.5,90,50\n";
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "atlas.toml",
        "name = \"t\"\n[[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.csv\"\n[layer.fields]\ncapacity = \"容纳人数\"\nname = \"名称\"\ncapacity_night = \"夜间容纳\"\n",
    );
    write(dir.path(), "shelters.csv", csv);
    let out = riskatlas(&["check"], dir.path());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines.contains(
            &"    warning: mapped source field \"夜间容纳\" does not occur in shelters.csv; did you mean `夜间容纳人数`?"
        ),
        "{stdout}"
    );
    let rejected: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("rejected shelters"))
        .collect();
    assert_eq!(rejected.len(), 1, "{stdout}");
    assert!(
        rejected[0].starts_with("    rejected shelters.csv line 3: "),
        "{stdout}"
    );
    // A required attribute under a near-miss name: the mapping that would find it.
    let loaded = load_folder_with(
        "name = \"t\"\n[[layer]]\nid = \"s\"\nkind = \"shelter\"\nfile = \"s.geojson\"\n",
        "s.geojson",
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[105,34]},"properties":{"capacty":80}}]}"#,
    );
    let report = loaded.report.layer("s").unwrap();
    assert_eq!(
        report.rejections[0].reason,
        "missing required attribute \"capacity\"; did you mean `capacty`? map it with `capacity = \"capacty\"` in [layer.fields]"
    );
    assert!(
        loaded
            .report
            .to_text()
            .contains("    rejected s.geojson feature 1: missing")
    );
}

/// Shelter S1 on line 2 and again on line 4.
#[test]
fn a_repeated_id_names_the_line_of_the_first() {
    let loaded = load_folder_with(
        "name = \"t\"\n[[layer]]\nid = \"s\"\nkind = \"shelter\"\nfile = \"s.csv\"\n",
        "s.csv",
        "id,lon,lat,capacity\nS1,105.5,34.5,10\nS2,105.6,34.5,20\nS1,105.7,34.5,30\n",
    );
    let text = loaded.report.to_text();
    assert!(
        text.contains("    rejected s.csv line 4 (id S1): duplicate id \"S1\" (first at line 2)\n"),
        "{text}"
    );
}

fn load_folder_with(manifest: &str, file: &str, text: &str) -> riskatlas::import::Loaded {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "atlas.toml", manifest);
    write(dir.path(), file, text);
    load_folder(dir.path()).unwrap()
}

/// One good shelter, one whose capacity is words.
fn half_bad_csv(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("shelters.csv");
    std::fs::write(
        &file,
        "编号,名称,经度,纬度,容纳人数,联系人\nS1,一中操场,105.5,34.5,800,王\nS2,二中,105.6,34.5,很多,李\n",
    )
    .unwrap();
    file
}

fn import(file: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .arg("import")
        .arg(file)
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn import_says_how_many_were_rejected_and_strict_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = half_bad_csv(dir.path());
    let into = dir.path().join("atlas");
    let into_arg = into.to_str().unwrap();
    let base = [
        "--layer",
        "shelters",
        "--kind",
        "shelter",
        "--map",
        "capacity=容纳人数",
    ];
    let strict = import(
        &file,
        &[&base[..], &["--strict", "--into", into_arg]].concat(),
    );
    let stderr = String::from_utf8_lossy(&strict.stderr);
    assert!(!strict.status.success());
    assert!(
        stderr.ends_with(
            "error: --strict: 1 features rejected and 0 layers unreadable; nothing imported\n"
        ),
        "{stderr}"
    );
    assert!(!into.exists(), "nothing was written");
    let out = import(&file, &[&base[..], &["--into", into_arg]].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stderr.lines().last().unwrap(),
        format!(
            "added layer shelters (1 features, 1 rejected) to {}",
            into.join("atlas.toml").display()
        )
    );
}

/// `--map` takes what `[layer.fields]` takes: the id column and extra fields.
#[test]
fn import_map_takes_the_id_and_extra_fields_as_atlas_toml_does() {
    let dir = tempfile::tempdir().unwrap();
    let file = half_bad_csv(dir.path());
    let into = dir.path().join("atlas");
    let out = import(
        &file,
        &[
            "--layer",
            "shelters",
            "--kind",
            "shelter",
            "--map",
            "id=编号",
            "--map",
            "capacity=容纳人数",
            "--map",
            "contact=联系人",
            "--into",
            into.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let loaded = load_folder(&into).unwrap();
    let layer = loaded.atlas.layer("shelters").unwrap();
    assert_eq!(layer.len(), 1);
    assert_eq!(layer.features()[0].id.to_string(), "S1");
    assert_eq!(layer.value(0, "contact").to_string(), "王");
    // A target that is no field name is refused as atlas.toml refuses it.
    let bad = import(
        &file,
        &[
            "--layer",
            "s2",
            "--kind",
            "shelter",
            "--map",
            "bad name=名称",
            "--into",
            into.to_str().unwrap(),
        ],
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .contains("--map: field mapping target \"bad name\" is not a valid field name")
    );
}

/// A semicolon CSV imported with `--delimiter`: the folder's atlas.toml keeps it, so
/// the folder loads.
#[test]
fn import_delimiter_is_kept_in_the_folder_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shelters.csv");
    std::fs::write(&file, gbk(&SHELTERS.replace(',', ";"))).unwrap();
    let into = dir.path().join("atlas");
    let out = import(
        &file,
        &[
            "--layer",
            "shelters",
            "--kind",
            "shelter",
            "--delimiter",
            ";",
            "--encoding",
            "gbk",
            "--map",
            "capacity=容纳人数",
            "--into",
            into.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let loaded = load_folder(&into).unwrap();
    assert_eq!(loaded.atlas.layer("shelters").unwrap().len(), 2);
    assert!(loaded.report.layer("shelters").unwrap().warnings.is_empty());
}
