//! Running the built `riskatlas` binary, as a script would.

use std::path::Path;
use std::process::Command;

/// Runs `riskatlas <args>` from the repository root; its standard output, after
/// asserting that it succeeded (showing standard error if not). Without `--data` a
/// command uses the demo working copy, generated afresh in a private home: what a user
/// runs or edits never changes a test.
pub fn riskatlas(args: &[&str]) -> String {
    let home = tempfile::tempdir().expect("a temporary folder");
    let out = Command::new(env!("CARGO_BIN_EXE_riskatlas"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RISKATLAS_HOME", home.path())
        .env_remove("RISKATLAS_DATA")
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "riskatlas {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("output is UTF-8")
}

/// Writes `scenario` as a JSON file in `dir`; its path.
pub fn scenario_file(dir: &Path, scenario: &serde_json::Value) -> String {
    let path = dir.join("scenario.json");
    std::fs::write(&path, scenario.to_string()).expect("the temporary folder takes a file");
    path.to_str().expect("a UTF-8 path").to_string()
}

/// The rows of a CSV document after its byte-order mark, header first, as a CSV
/// reader (not the crate's writer) reads them.
pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let body = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for spreadsheets");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| {
            r.expect("well-formed CSV")
                .iter()
                .map(String::from)
                .collect()
        })
        .collect()
}

/// The standard output of `program args`, after asserting it succeeded (`install` says
/// where the program comes from, for the failure message).
pub fn output_of(program: &str, args: &[&str], install: &str) -> Vec<u8> {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} does not run ({install}): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({install}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
