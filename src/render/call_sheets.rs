//! The printable call sheets of an issued warning, in Chinese and English: one page per
//! township ([`crate::analysis::warnings::sheets`]), headed by the warning in its
//! level's colour, its headline and instruction and the escalation clock, then the
//! calls in the order they go down, each with empty columns to write when and how it
//! was answered. A call already answered when the sheet is printed has them filled in.

use super::palette::{PALETTE, RED, WarningLevel};
use crate::analysis::warnings::sheets::Sheet;
use crate::analysis::warnings::tracking::Answer;
use crate::analysis::warnings::{AlertLevel, rfc3339};
use crate::atlas::Disclosure;
use crate::service::warnings::desk::Issued;
use askama::Template;

/// A role as the call tree words it, with its Chinese where the words are known.
fn role_words(role: &str) -> String {
    let zh = match role {
        "county duty officer" => "县级值班员",
        "township duty officer" => "乡镇值班员",
        "village duty officer" => "村值班员",
        "grid duty officer" => "网格员",
        "hazard-point monitor" => "隐患点监测员",
        "shelter manager: open the shelter" => "避难场所管理员：开放场所",
        "shelter manager (closed by the hazard)" => "避难场所管理员（场所受灾关闭）",
        "school contact" => "学校联系人",
        "hospital contact" | "clinic contact" => "医疗机构联系人",
        "nursing_home contact" | "care_home contact" => "养老机构联系人",
        _ => return role.to_string(),
    };
    format!("{zh} {role}")
}

/// One call as the sheet prints it.
struct Row {
    /// The task's id, for a reader that checks the sheet against the API.
    id: String,
    /// Its place on the sheet, from 1.
    number: usize,
    /// Calls between it and the sheet's first (indents it under its caller).
    step: usize,
    unit: String,
    role: String,
    name: String,
    phone: String,
    people: f64,
    /// Filled when the call was answered before printing; empty to write in.
    answered_at: String,
    means: String,
    note: String,
}

impl Row {
    fn new(
        number: usize,
        line: &crate::analysis::warnings::sheets::Line<'_>,
        answer: Option<&Answer>,
        disclosure: Disclosure,
    ) -> Row {
        let t = line.task;
        let contact = t.contact.shown(disclosure);
        Row {
            id: t.id.clone(),
            number,
            step: line.step.min(4),
            unit: t.about.clone(),
            role: role_words(&t.role),
            name: contact.name,
            phone: contact.phone,
            people: t.people,
            answered_at: answer.map(|a| rfc3339(a.at)).unwrap_or_default(),
            means: answer.map(|a| a.means.clone()).unwrap_or_default(),
            note: answer
                .map(|a| {
                    let note = a.note.as_deref().unwrap_or_default();
                    format!("{} {note}", a.by).trim().to_string()
                })
                .unwrap_or_default(),
        }
    }
}

/// One page: a township's calls, or the county's.
struct Page {
    /// The township's code; empty for the county's page.
    code: String,
    title: String,
    rows: Vec<Row>,
}

/// A level's answer time, for the sheet's table of them.
struct Clock {
    level: WarningLevel,
    minutes: f64,
    this_warning: bool,
}

#[derive(Template)]
#[template(path = "call_sheets.html")]
struct CallSheetPage<'a> {
    w: &'a Issued,
    level: WarningLevel,
    issued_at: String,
    minutes: f64,
    clocks: Vec<Clock>,
    pages: Vec<Page>,
    palette: &'static [WarningLevel],
    /// The colour of what must not be missed (cards.css).
    red: WarningLevel,
}

/// The call sheets of `w`, one page per sheet; contacts as `disclosure` shows them.
pub fn call_sheets_html(
    w: &Issued,
    sheets: &[Sheet<'_>],
    disclosure: Disclosure,
) -> Result<String, askama::Error> {
    let pages = sheets
        .iter()
        .map(|sheet| Page {
            code: sheet
                .township
                .as_ref()
                .map(|t| t.code.clone())
                .unwrap_or_default(),
            title: sheet.township.as_ref().map_or_else(
                || "县级 County".to_string(),
                |t| format!("{} ({})", t.name, t.code),
            ),
            rows: sheet
                .lines
                .iter()
                .enumerate()
                .map(|(i, line)| Row::new(i + 1, line, w.answers.get(&line.task.id), disclosure))
                .collect(),
        })
        .collect();
    let level = w.warning.level;
    CallSheetPage {
        w,
        level: WarningLevel::of(level.severity()),
        issued_at: rfc3339(w.issued_at),
        minutes: level.answer_minutes(),
        clocks: AlertLevel::ALL
            .into_iter()
            .rev()
            .map(|l| Clock {
                level: WarningLevel::of(l.severity()),
                minutes: l.answer_minutes(),
                this_warning: l == level,
            })
            .collect(),
        pages,
        palette: &PALETTE,
        red: RED,
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_roles_read_in_both_languages_and_others_as_given() {
        assert_eq!(
            role_words("village duty officer"),
            "村值班员 village duty officer"
        );
        assert_eq!(role_words("ferry contact"), "ferry contact");
    }
}
