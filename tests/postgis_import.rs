//! `riskatlas import DIR --postgis URL`: a whole data folder into PostGIS in one command,
//! against a real PostgreSQL + PostGIS (`scripts/with-postgis`; skipped without
//! `DATABASE_URL`, as in `tests/postgis.rs`).
// Test code unwraps: a panic is the failure report here.
#![allow(clippy::unwrap_used)]
#![cfg(feature = "postgis")]

mod common;

use common::repo_path;
use riskatlas::store::postgis;
use std::process::{Command, Output};

fn import(dir: &std::path::Path, url: &str, strict: bool) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_riskatlas"));
    command.arg("import").arg(dir).args(["--postgis", url]);
    if strict {
        command.arg("--strict");
    }
    command.output().unwrap()
}

/// One test, in order, because the checks share one database.
#[tokio::test]
async fn a_data_folder_imports_into_postgis_in_one_command() {
    let Some(url) = common::postgis_url("the folder import tests") else {
        return;
    };
    let pool = postgis::connect(&url).await.unwrap();
    sqlx::query("TRUNCATE riskatlas_layers CASCADE")
        .execute(&pool)
        .await
        .unwrap();

    // A folder with a rejected row, imported with --strict: nothing is written. Line 3
    // of the CSV gives its capacity in words.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("atlas.toml"),
        "name = \"t\"\n[[layer]]\nid = \"shelters\"\nkind = \"shelter\"\nfile = \"shelters.csv\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("shelters.csv"),
        "name,lon,lat,capacity\nschool,105.5,34.5,800\nhall,105.6,34.5,many\n",
    )
    .unwrap();
    let out = import(dir.path(), &url, true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("rejected shelters.csv line 3: "),
        "{stderr}"
    );
    assert!(
        stderr.ends_with(
            "error: --strict: 1 features rejected and 0 layers unreadable; nothing imported\n"
        ),
        "{stderr}"
    );
    assert_eq!(postgis::layer_count(&pool).await.unwrap(), 0);

    // The demo folder: every layer of its atlas.toml, in its order, feature for feature
    // as the folder loads them.
    let demo = repo_path("data/demo");
    let out = import(&demo, &url, false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let folder = riskatlas::import::load_folder(&demo).unwrap();
    let mut order = Vec::new();
    let loaded = postgis::load(&pool, |p| {
        if let postgis::Progress::Layer(id, _) = p {
            order.push(id.to_string());
        }
    })
    .await
    .unwrap();
    let ids: Vec<String> = folder
        .atlas
        .layers()
        .iter()
        .map(|l| l.id.to_string())
        .collect();
    assert_eq!(order, ids);
    for l in folder.atlas.layers() {
        assert_eq!(
            common::by_id(&loaded.atlas, l.id.as_str()),
            common::by_id(&folder.atlas, l.id.as_str()),
            "layer {}",
            l.id
        );
    }
    assert_eq!(
        stderr.lines().last().unwrap(),
        format!(
            "wrote {} layers ({} features, 0 rejected) to {}",
            ids.len(),
            folder.atlas.feature_count(),
            postgis::redact(&url)
        )
    );
    sqlx::query("TRUNCATE riskatlas_layers CASCADE")
        .execute(&pool)
        .await
        .unwrap();
}
