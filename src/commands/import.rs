//! `riskatlas import`: one file, checked, into a data folder or PostGIS; or every layer
//! of a data folder into PostGIS.
//!
//! 1. read the file (itself, or through GDAL) or load the folder;
//! 2. validate it as the loader does and print the report;
//! 3. with `--strict`, stop there when anything was rejected;
//! 4. write: copy into the folder and append to its `atlas.toml`, or write to PostGIS;
//!    the last line says how many features went in and how many were rejected.

use riskatlas::config::ImportArgs;
use riskatlas::import::{LoadReport, manifest::LayerSpec};
use std::process::ExitCode;

/// Runs `riskatlas import`.
pub fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    if args.file.is_dir() {
        import_folder(&args)
    } else {
        import_file(&args)
    }
}

/// One file into a data folder or PostGIS.
fn import_file(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let spec = import_spec(args)?;
    let through_gdal = !riskatlas::import::source::is_native(&args.file);
    let read = if through_gdal {
        read_with_gdal(args)?
    } else {
        read_natively(args, &spec)?
    };
    // A GDAL-read file goes into a data folder as GeoJSON, source fields and all, so the
    // folder loads without GDAL; the manifest keeps the field mapping.
    let converted = match (&args.into, through_gdal) {
        (Some(_), true) => Some(raw_geojson(&read)),
        _ => None,
    };
    let label = args.file.display().to_string();
    let (layer, report) = riskatlas::import::validate::build_layer(&spec, read, &label);
    let summary = LoadReport {
        layers: vec![report],
        edit_log: Vec::new(),
    };
    eprint!("{}", summary.to_text());
    refuse_if_strict(args, &summary)?;
    let counts = format!("{} features, {} rejected", layer.len(), summary.rejected());
    if let Some(url) = &args.postgis {
        let runtime = tokio::runtime::Runtime::new()?;
        runtime.block_on(write_postgis(url, &[&layer]))?;
        eprintln!("wrote layer {} ({counts}) to {}", layer.id, redact(url));
    } else if let Some(dir) = &args.into {
        add_to_folder(dir, &spec, args, converted)?;
        eprintln!(
            "added layer {} ({counts}) to {}",
            layer.id,
            dir.join("atlas.toml").display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Every layer of a data folder (its edit log replayed, as it is served) into PostGIS.
/// A layer whose file cannot be read is reported and left out, as `serve` leaves it out;
/// the command then fails once the others are written.
fn import_folder(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let dir = &args.file;
    let Some(url) = &args.postgis else {
        anyhow::bail!(
            "{} is a data folder: import it into PostGIS with --postgis URL",
            dir.display()
        );
    };
    anyhow::ensure!(
        args.layer.is_none()
            && args.kind.is_none()
            && args.name.is_none()
            && args.map.is_empty()
            && args.lon.is_none()
            && args.lat.is_none()
            && args.delimiter.is_none()
            && args.encoding.is_none()
            && args.crs.is_none()
            && args.source_layer.is_none()
            && !args.cells,
        "{} is a data folder: its atlas.toml describes its layers, so only --postgis and \
         --strict apply",
        dir.display()
    );
    let loaded = riskatlas::service::store::folder::FolderStore::read(dir)?;
    eprint!("{}", loaded.report.to_text());
    for e in &loaded.report.edit_log {
        eprintln!("    edit not replayed: {e}");
    }
    refuse_if_strict(args, &loaded.report)?;
    let layers: Vec<&riskatlas::atlas::Layer> =
        loaded.atlas.layers().iter().map(|l| l.as_ref()).collect();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(write_postgis(url, &layers))?;
    let failed = loaded.report.failed().count();
    eprintln!(
        "wrote {} layers ({} features, {} rejected) to {}{}",
        layers.len(),
        loaded.atlas.feature_count(),
        loaded.report.rejected(),
        redact(url),
        if failed > 0 {
            format!("; {failed} layers could not be read and were left out")
        } else {
            String::new()
        }
    );
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// With `--strict`, an error when the report refused anything: nothing is written.
fn refuse_if_strict(args: &ImportArgs, report: &LoadReport) -> anyhow::Result<()> {
    let rejected = report.rejected();
    let failed = report.failed().count();
    if args.strict && (rejected > 0 || failed > 0) {
        anyhow::bail!(
            "--strict: {rejected} features rejected and {failed} layers unreadable; nothing imported"
        );
    }
    Ok(())
}

/// The layer `riskatlas import` makes: its kind, id, name, `--map` field mapping and
/// CSV options, checked as a manifest entry would be.
fn import_spec(args: &ImportArgs) -> anyhow::Result<LayerSpec> {
    let (Some(layer), Some(kind)) = (&args.layer, &args.kind) else {
        anyhow::bail!("a file is imported with --layer ID and --kind KIND");
    };
    let kind: riskatlas::atlas::Kind = kind.parse().map_err(|e| anyhow::anyhow!("--kind: {e}"))?;
    let id =
        riskatlas::atlas::LayerId::parse(layer).map_err(|e| anyhow::anyhow!("--layer: {e}"))?;
    // `--map` takes what `[layer.fields]` takes, checked by the same function.
    let mut fields = std::collections::BTreeMap::new();
    for m in &args.map {
        let (canonical, source) = m
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--map {m:?}: write it as canonical=source"))?;
        fields.insert(canonical.to_string(), source.to_string());
    }
    let rename = riskatlas::import::manifest::rename_map(fields)
        .map_err(|e| anyhow::anyhow!("--map: {e}"))?;
    let encoding = match &args.encoding {
        Some(name) if riskatlas::import::source::is_native(&args.file) => Some(
            riskatlas::import::source::TextEncoding::parse(name)
                .map_err(|e| anyhow::anyhow!("--encoding: {e}"))?,
        ),
        _ => None,
    };
    let delimiter = match args.delimiter {
        None => b',',
        Some(c) if c.is_ascii() => c as u8,
        Some(c) => anyhow::bail!("--delimiter {c:?}: one ASCII character"),
    };
    Ok(LayerSpec {
        id,
        kind,
        name: args.name.clone().unwrap_or_else(|| layer.clone()),
        file: args.file.clone(),
        rename,
        defaults: Default::default(),
        lon: args.lon.clone(),
        lat: args.lat.clone(),
        delimiter,
        encoding,
        personal: Default::default(),
    })
}

/// Reads a file riskatlas reads itself (GeoJSON, CSV, OSM PBF), refusing the options
/// that only GDAL reads take.
fn read_natively(
    args: &ImportArgs,
    spec: &LayerSpec,
) -> anyhow::Result<riskatlas::import::source::SourceRead> {
    anyhow::ensure!(
        args.crs.is_none() && args.source_layer.is_none() && !args.cells,
        "--crs, --source-layer and --cells apply to files read through GDAL, \
         not to GeoJSON, CSV or OSM PBF"
    );
    let csv = riskatlas::import::source::CsvOptions {
        lon: spec.lon.clone(),
        lat: spec.lat.clone(),
        delimiter: spec.delimiter,
        encoding: spec.encoding,
    };
    // The error names the file itself.
    Ok(riskatlas::import::source::read_file(
        &args.file, &csv, spec.kind,
    )?)
}

#[cfg(feature = "postgis")]
fn redact(url: &str) -> String {
    riskatlas::store::postgis::redact(url)
}

#[cfg(not(feature = "postgis"))]
fn redact(url: &str) -> String {
    url.to_string()
}

/// Writes `layers` after the database's own, in their order (a layer of the same id is
/// replaced).
#[cfg(feature = "postgis")]
async fn write_postgis(url: &str, layers: &[&riskatlas::atlas::Layer]) -> anyhow::Result<()> {
    let pool = riskatlas::store::postgis::connect(url).await?;
    let mut position = riskatlas::store::postgis::layer_count(&pool).await?;
    for layer in layers {
        riskatlas::store::postgis::write_layer(&pool, layer, position as i32).await?;
        position += 1;
    }
    Ok(())
}

#[cfg(not(feature = "postgis"))]
async fn write_postgis(_url: &str, _layers: &[&riskatlas::atlas::Layer]) -> anyhow::Result<()> {
    anyhow::bail!("this riskatlas was built without the `postgis` feature")
}

#[cfg(feature = "gdal")]
fn read_with_gdal(args: &ImportArgs) -> anyhow::Result<riskatlas::import::source::SourceRead> {
    use riskatlas::import::ogr;
    let opts = ogr::OgrOptions {
        encoding: args.encoding.clone(),
        source_layer: args.source_layer.clone(),
        crs: args.crs.clone(),
        raster: if args.cells {
            ogr::RasterShape::Cells
        } else {
            ogr::RasterShape::Points
        },
    };
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} ({eta})")
            .expect("a valid template"),
    );
    bar.set_message(format!("reading {}", args.file.display()));
    let read = ogr::read(&args.file, &opts, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    read.map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))
}

#[cfg(not(feature = "gdal"))]
fn read_with_gdal(args: &ImportArgs) -> anyhow::Result<riskatlas::import::source::SourceRead> {
    anyhow::bail!(
        "{}: riskatlas reads GeoJSON, CSV and OSM PBF itself; for Shapefile, GeoPackage, \
         rasters and other GDAL formats build it with `--features gdal` (needs libgdal-dev)",
        args.file.display()
    )
}

/// The readable features of `read` as GeoJSON text, with their source properties.
fn raw_geojson(read: &riskatlas::import::source::SourceRead) -> String {
    let features: Vec<serde_json::Value> = read
        .features
        .iter()
        .filter_map(|f| f.as_ref().ok())
        .map(|f| {
            let props: serde_json::Map<_, _> = f.props.iter().cloned().collect();
            let geometry = geojson::Geometry::new(geojson::GeometryValue::from(&f.geometry));
            let mut feature =
                serde_json::json!({"type": "Feature", "geometry": geometry, "properties": props});
            if let Some(id) = &f.id {
                feature["id"] = id.clone().into();
            }
            feature
        })
        .collect();
    serde_json::json!({"type": "FeatureCollection", "features": features}).to_string()
}

/// Copies the file (or writes `converted` as `<layer>.geojson`) into `dir` and appends its
/// `[[layer]]` to `dir/atlas.toml`.
fn add_to_folder(
    dir: &std::path::Path,
    spec: &LayerSpec,
    args: &ImportArgs,
    converted: Option<String>,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let converted_name = std::ffi::OsString::from(format!("{}.geojson", spec.id));
    let file_name = match converted {
        Some(_) => converted_name.as_os_str(),
        None => args
            .file
            .file_name()
            .ok_or_else(|| anyhow::anyhow!("{} is not a file", args.file.display()))?,
    };
    let manifest = dir.join(riskatlas::import::manifest::MANIFEST_FILE);
    let existing = std::fs::read_to_string(&manifest).unwrap_or_default();
    anyhow::ensure!(
        !riskatlas::import::manifest::Manifest::parse(&existing, dir)
            .map(|m| m.layers.iter().any(|l| l.id == spec.id))
            .unwrap_or(false),
        "{} already has a layer {}",
        manifest.display(),
        spec.id
    );
    let target = dir.join(file_name);
    anyhow::ensure!(
        !target.exists(),
        "{} already exists; choose another --layer id or remove it",
        target.display()
    );
    match converted {
        Some(text) => std::fs::write(&target, text)?,
        None => std::fs::copy(&args.file, &target).map(drop)?,
    }
    riskatlas::import::manifest::append_layer(dir, spec, &file_name.to_string_lossy())?;
    Ok(())
}
