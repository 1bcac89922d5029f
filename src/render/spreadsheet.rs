//! CSV for spreadsheets: a byte-order mark first, and text that cannot run as a formula.
//!
//! Spreadsheet programs on Chinese-locale desktops read a CSV without a UTF-8 byte-order
//! mark in the local code page and garble the names, so every CSV starts with one.
//!
//! A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is taken for a
//! formula when the file is opened (OWASP, "CSV Injection"): a village named
//! `=HYPERLINK(...)` in someone's layer file would become a live link in a duty
//! officer's spreadsheet. Text cells that start so get a leading apostrophe, which the
//! spreadsheet shows as text and does not display. Numbers are written by us from
//! numbers, so they are left as they are (a negative number stays a number).

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell made safe to open: an apostrophe before a leading formula character.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// One cell, text or number, as it will be written.
pub struct Cell(String);

impl Cell {
    /// Text from the data (names, ids, phones, reasons): neutralised.
    pub fn text(text: &str) -> Cell {
        Cell(neutralise(text).into_owned())
    }

    /// A number we formatted ourselves: written as it is.
    pub fn number(number: impl std::fmt::Display) -> Cell {
        Cell(number.to_string())
    }

    /// An empty cell: no value, or no data (which spreadsheets read as missing, not 0,
    /// while the column stays numeric).
    pub fn empty() -> Cell {
        Cell(String::new())
    }
}

/// A CSV document: a header, then rows of cells.
pub struct Sheet {
    writer: csv::Writer<Vec<u8>>,
}

impl Sheet {
    /// A sheet with these column names.
    pub fn new(header: &[&str]) -> Sheet {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer
            .write_record(header)
            .expect("writing to memory cannot fail");
        Sheet { writer }
    }

    /// Adds one row.
    pub fn row(&mut self, cells: impl IntoIterator<Item = Cell>) {
        self.writer
            .write_record(cells.into_iter().map(|c| c.0))
            .expect("writing to memory cannot fail");
    }

    /// The document, byte-order mark first.
    pub fn finish(self) -> String {
        let bytes = self
            .writer
            .into_inner()
            .expect("flushing memory cannot fail");
        let text = String::from_utf8(bytes).expect("CSV of UTF-8 strings is UTF-8");
        format!("\u{feff}{text}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_that_starts_a_formula_gets_an_apostrophe() {
        for (given, written) in [
            (
                "=HYPERLINK(\"http://x\",\"click\")",
                "'=HYPERLINK(\"http://x\",\"click\")",
            ),
            ("+1", "'+1"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
        ] {
            assert_eq!(neutralise(given), written);
        }
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in ["石峪村", "a=b", "", " =x", "13800138000"] {
            assert_eq!(neutralise(text), text);
        }
    }

    #[test]
    fn numbers_are_not_neutralised_and_the_sheet_starts_with_a_byte_order_mark() {
        let mut sheet = Sheet::new(&["name", "delta"]);
        sheet.row([Cell::text("=1+1"), Cell::number(-2.5)]);
        sheet.row([Cell::text("村"), Cell::empty()]);
        assert_eq!(sheet.finish(), "\u{feff}name,delta\n'=1+1,-2.5\n村,\n");
    }
}
