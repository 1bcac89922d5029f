//! The first ten minutes, as a new user meets them: the binary run outside the checkout
//! with no data folder finds the demo, exploring it writes nothing into the
//! repository, and the server's log is plain text with a line per request.
// Test code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]

mod common;

use common::server::{Guard, http, start_until};
use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

fn riskatlas_in(cwd: &Path, home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .args(args)
        .current_dir(cwd)
        .env("RISKATLAS_HOME", home)
        .env_remove("RISKATLAS_DATA")
        .output()
        .expect("the binary runs")
}

#[test]
fn without_a_data_folder_the_demo_is_generated_once_outside_the_checkout() {
    let elsewhere = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let scenario = elsewhere.path().join("scenario.json");
    std::fs::write(&scenario, r#"{"hazards": [{"layer": "landslides"}]}"#).unwrap();
    let scenario = scenario.to_str().unwrap();

    let first = riskatlas_in(elsewhere.path(), home.path(), &["impact", scenario]);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "impact failed: {stderr}");
    let copy = home.path().join("demo");
    assert!(
        stderr.contains("generating the demo county") && stderr.contains(&*copy.to_string_lossy()),
        "the first run says where the demo went: {stderr}"
    );
    // The working copy is the bundled demo, file for file.
    for name in [
        "atlas.toml",
        "shelters.geojson",
        "population.csv",
        "floods.geojson",
    ] {
        let bundled = std::fs::read(common::repo_path("data/demo").join(name)).unwrap();
        assert_eq!(std::fs::read(copy.join(name)).unwrap(), bundled, "{name}");
    }
    let report: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert!(report["totals"]["units"].as_u64().unwrap() > 0, "{report}");

    let second = riskatlas_in(elsewhere.path(), home.path(), &["impact", scenario]);
    assert!(second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(!stderr.contains("generating"), "generated twice: {stderr}");
    // The demo starts clean: nothing a new user would read as a fault.
    assert!(
        !stderr.contains(" WARN ") && !stderr.contains(" ERROR "),
        "warnings on a clean demo: {stderr}"
    );
    assert_eq!(
        second.stdout, first.stdout,
        "the same demo gives the same report"
    );
}

#[test]
fn a_named_folder_that_is_missing_fails_and_is_not_created() {
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("typo");
    let run = riskatlas_in(
        home.path(),
        home.path(),
        &["impact", "-", "--data", missing.to_str().unwrap()],
    );
    assert!(!run.status.success());
    assert!(!missing.exists(), "a mistyped --data must not be filled");
    assert!(!home.path().join("demo").exists(), "nor the demo generated");
}

#[test]
fn the_server_log_is_plain_text_with_a_line_per_request() {
    let demo = common::demo_copy();
    let log_file = demo.path().join("server.log");
    let args: [&OsStr; 2] = ["--data".as_ref(), demo.path().as_os_str()];
    let (child, addr) = start_until(&args, Some(&log_file), |addr| {
        http(addr, "GET", "/api/health", "").is_some()
    });
    let server = Guard(child);
    assert_eq!(http(&addr, "GET", "/api/layers/nosuch", ""), Some(404));
    // A tile answered well: with data (200) or empty (204).
    let tile = http(&addr, "GET", "/tiles/roads/10/823/403", "");
    assert!(matches!(tile, Some(200 | 204)), "{tile:?}");
    assert_eq!(http(&addr, "GET", "/tiles/nosuch/10/1/1", ""), Some(404));
    assert_eq!(
        http(&addr, "POST", "/api/impact", "{not json"),
        Some(400),
        "a malformed body is refused"
    );
    drop(server);
    let log = std::fs::read_to_string(&log_file).unwrap();
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a log file:\n{log}"
    );
    let line = |needle: &str, status: &str| {
        log.lines()
            .any(|l| l.contains(needle) && l.contains(&format!("status={status}")))
    };
    assert!(
        line("uri=/api/layers/nosuch", "404"),
        "no line for the 404:\n{log}"
    );
    assert!(
        line("uri=/api/impact", "400"),
        "no line for the 400:\n{log}"
    );
    // Tiles answered well stay out of the info log; a refused one is in it.
    assert!(
        !log.contains("uri=/tiles/roads/10/"),
        "a good tile logged at info:\n{log}"
    );
    assert!(
        line("uri=/tiles/nosuch/10/1/1", "404"),
        "no line for the bad tile:\n{log}"
    );
    // Durations print rounded: no `ms=0.056384000000000004`.
    for value in log.split("ms=").skip(1) {
        let number: String = value
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let decimals = number.split('.').nth(1).map_or(0, str::len);
        assert!(decimals <= 1, "ms={number} in:\n{log}");
    }
}

#[test]
fn a_failure_states_its_cause_once() {
    let demo = common::demo_copy();
    // An edit log that cannot be opened: a folder in its place.
    std::fs::create_dir(demo.path().join("edits.log")).unwrap();
    let args: [&OsStr; 2] = ["--data".as_ref(), demo.path().as_os_str()];
    let (status, stderr) = common::server::serve_refused(&args);
    assert!(!status.success());
    assert!(stderr.contains("edits.log"), "{stderr}");
    assert_eq!(
        stderr.matches("(os error").count(),
        1,
        "the cause repeated:\n{stderr}"
    );
}
