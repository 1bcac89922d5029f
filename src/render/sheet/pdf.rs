//! A sheet's SVG as a one-page PDF: vector drawing, text kept as text (so it can be
//! searched and copied) in subsets of the fonts it uses, embedded.
//!
//! Conversion is svg2pdf's (the converter behind Typst's SVG support): the sheet is
//! drawn once, as SVG, and the same drawing is the PDF. Fonts come from the system
//! (Debian's `fonts-noto-cjk`, which `scripts/install-deps` installs) or from the file
//! `RISKATLAS_FONT` names; a machine with no font that has Chinese glyphs gets an error
//! saying what to install, never a sheet with empty boxes for names.

use std::sync::{Arc, OnceLock};
use svg2pdf::usvg::{self, fontdb};

/// The families a sheet asks for, in order; the first one installed draws the text.
pub const FONT_FAMILIES: &str =
    "'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', 'Droid Sans Fallback'";

/// A character every Chinese font has: the test of a usable font.
const PROBE: char = '村';

/// Why a sheet could not be written as PDF.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// No installed font draws Chinese.
    #[error(
        "no font with Chinese characters is installed, so the sheet's names cannot be \
         printed; install one (Debian: apt install fonts-noto-cjk) or name a font file \
         in RISKATLAS_FONT"
    )]
    NoChineseFont,
    /// `RISKATLAS_FONT` names a file that is not a font.
    #[error("RISKATLAS_FONT={0}: {1}")]
    BadFontFile(String, String),
    /// The SVG did not parse (a bug in the sheet's template).
    #[error("the sheet's drawing is not valid SVG: {0}")]
    Svg(String),
    /// The converter failed.
    #[error("converting the sheet to PDF failed: {0}")]
    Convert(String),
}

/// The fonts, found once per process (scanning the system's fonts takes a moment).
fn fonts() -> Result<Arc<fontdb::Database>, PdfError> {
    static FONTS: OnceLock<Result<Arc<fontdb::Database>, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| find_fonts().map(Arc::new).map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| match e {
            e if e == PdfError::NoChineseFont.to_string() => PdfError::NoChineseFont,
            e => PdfError::BadFontFile(std::env::var("RISKATLAS_FONT").unwrap_or_default(), e),
        })
}

/// The font files a sheet uses, read into memory once: the families of
/// [`FONT_FAMILIES`] that are installed (regular and bold), else any installed font
/// that draws Chinese. (fontdb reads a font named by path afresh on every use: tens of
/// megabytes per sheet for a CJK font.)
fn find_fonts() -> Result<fontdb::Database, PdfError> {
    let mut installed = fontdb::Database::new();
    let named = std::env::var_os("RISKATLAS_FONT");
    match &named {
        Some(file) => installed.load_font_file(file).map_err(|e| {
            PdfError::BadFontFile(file.to_string_lossy().into_owned(), e.to_string())
        })?,
        None => installed.load_system_fonts(),
    }
    let wanted: Vec<&str> = FONT_FAMILIES
        .split(',')
        .map(|f| f.trim().trim_matches('\''))
        .collect();
    let family_of = |face: &fontdb::FaceInfo| face.families.first().map(|(n, _)| n.clone());
    let mut chosen: Vec<&fontdb::FaceInfo> = installed
        .faces()
        .filter(|face| {
            face.families
                .iter()
                .any(|(n, _)| wanted.contains(&n.as_str()))
        })
        .collect();
    if chosen.is_empty() {
        chosen = installed
            .faces()
            .filter(|face| {
                installed
                    .with_face_data(face.id, |data, index| has_glyph(data, index, PROBE))
                    .unwrap_or(false)
            })
            .collect();
    }
    let Some(first) = chosen.first().and_then(|f| family_of(f)) else {
        return Err(match named {
            Some(file) => PdfError::BadFontFile(
                file.to_string_lossy().into_owned(),
                "it has no Chinese characters".into(),
            ),
            None => PdfError::NoChineseFont,
        });
    };
    let mut files: Vec<&std::path::Path> = chosen
        .iter()
        .filter_map(|face| match &face.source {
            fontdb::Source::File(path) => Some(path.as_path()),
            _ => None,
        })
        .collect();
    files.sort();
    files.dedup();
    let mut db = fontdb::Database::new();
    for file in files {
        let data = std::fs::read(file)
            .map_err(|e| PdfError::BadFontFile(file.display().to_string(), e.to_string()))?;
        db.load_font_data(data);
    }
    // Whatever family the text asks for, a font that draws Chinese answers.
    db.set_sans_serif_family(first);
    Ok(db)
}

/// Whether the face at `index` of `data` has a glyph for `c`.
fn has_glyph(data: &[u8], index: u32, c: char) -> bool {
    ttf_parser::Face::parse(data, index).is_ok_and(|face| face.glyph_index(c).is_some())
}

/// `svg` (user units in points) as a one-page PDF of the same size.
pub fn to_pdf(svg: &str) -> Result<Vec<u8>, PdfError> {
    let options = usvg::Options {
        fontdb: fonts()?,
        font_family: "sans-serif".to_string(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).map_err(|e| PdfError::Svg(e.to_string()))?;
    svg2pdf::to_pdf(
        &tree,
        svg2pdf::ConversionOptions::default(),
        svg2pdf::PageOptions::default(),
    )
    .map_err(|e| PdfError::Convert(e.to_string()))
}
