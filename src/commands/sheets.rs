//! `riskatlas sheets`: printed map sheets (see `riskatlas::render::sheet`), one PDF per
//! township or village, with a progress bar on the terminal and a summary line.

use anyhow::Context;
use riskatlas::analysis::scenario::Level;
use riskatlas::config::{SheetsArgs, SheetsPer};
use riskatlas::render::sheet::{SheetOptions, plan_line, sheet, units_at};
use riskatlas::service::store::folder::FolderStore;
use std::process::ExitCode;

/// `riskatlas sheets --out DIR [--data DIR] [--paper A4|A3] [--per township|village]
/// [--only CODE,…] [--scenario REQUEST.json]`.
pub fn run(args: SheetsArgs) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let atlas = FolderStore::read(&args.data)?.atlas;
    let planned = match &args.scenario {
        None => None,
        Some(file) => Some(super::plan_from_file(&atlas, file)?),
    };
    let codes = codes_to_print(&args, &atlas)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let options = SheetOptions {
        paper: args.paper,
        date: today(),
        plan: planned
            .as_ref()
            .map(|(impact, plan)| (&impact.hazards[..], plan, plan_line(&impact.hazards, plan))),
    };
    let bar = indicatif::ProgressBar::new(codes.len() as u64).with_style(
        indicatif::ProgressStyle::with_template(
            "printing {bar:40} {pos}/{len} sheets ({eta} left)",
        )
        .expect("a valid template"),
    );
    // Sheets are independent: both cores (or as many as there are) print them.
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(codes.len());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let bytes = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let print = || -> anyhow::Result<()> {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(code) = codes.get(i) else {
                    return Ok(());
                };
                let sheet =
                    sheet(&atlas, code, &options).with_context(|| format!("sheet {code}"))?;
                let pdf = sheet.to_pdf().with_context(|| format!("sheet {code}"))?;
                let file = args.out.join(sheet.file_name());
                std::fs::write(&file, &pdf)
                    .with_context(|| format!("writing {}", file.display()))?;
                bytes.fetch_add(pdf.len(), std::sync::atomic::Ordering::Relaxed);
                bar.inc(1);
            }
        };
        let handles: Vec<_> = (0..workers).map(|_| scope.spawn(print)).collect();
        for handle in handles {
            handle.join().expect("a sheet worker panicked")?;
        }
        Ok(())
    })?;
    let bytes = bytes.into_inner();
    bar.finish_and_clear();
    eprintln!(
        "{} {} sheets ({}) written to {} in {:.1} s, {:.1} MB",
        codes.len(),
        args.paper.name(),
        match args.per {
            SheetsPer::Township if args.only.is_empty() => "one per township",
            SheetsPer::Village if args.only.is_empty() => "one per village",
            _ => "the units named",
        },
        args.out.display(),
        started.elapsed().as_secs_f64(),
        bytes as f64 / 1e6
    );
    Ok(ExitCode::SUCCESS)
}

/// The units `--only` names, or every unit at the `--per` level.
fn codes_to_print(
    args: &SheetsArgs,
    atlas: &riskatlas::atlas::Atlas,
) -> anyhow::Result<Vec<String>> {
    if !args.only.is_empty() {
        return Ok(args.only.clone());
    }
    let level = match args.per {
        SheetsPer::Township => Level::Township,
        SheetsPer::Village => Level::Village,
    };
    let codes = units_at(atlas, level);
    anyhow::ensure!(
        !codes.is_empty(),
        "{} has no admin unit at level {:?}: nothing to print (name units with --only)",
        args.data.display(),
        level.code()
    );
    Ok(codes)
}

/// Today's date (UTC), `2026-06-01`.
fn today() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()[..10].to_string()
}
