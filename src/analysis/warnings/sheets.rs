//! A warning's call sheets: its tasks grouped by the township they fall in, each group in
//! the order the calls go down — the township's duty officer, then each village's officer
//! followed by the facilities and shelters that village calls — so that a township's
//! desk can work down one printed page and tick each call off as it is answered.
//!
//! A task falls in the township that holds its admin unit (the unit itself, or up its
//! `parent_code` chain). The county's own tasks, and any whose unit lies above or
//! outside every township, make a sheet of their own, which comes first: the duty desk
//! works that one.

use super::audience::Task;
use crate::analysis::admin::AdminIndex;
use crate::analysis::scenario::Level;
use std::collections::{HashMap, HashSet};

/// A township, by code and name.
#[derive(Debug, Clone, PartialEq)]
pub struct Township {
    /// Admin code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// One call on a sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    /// The task.
    pub task: &'a Task,
    /// Calls between this one and the sheet's first (0: called from outside the sheet,
    /// by the county or the duty desk).
    pub step: usize,
}

/// The calls of one township, or of the units above every township.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet<'a> {
    /// The township; None for the calls above or outside every township.
    pub township: Option<Township>,
    /// Its calls, each followed by the calls its contact makes.
    pub lines: Vec<Line<'a>>,
}

/// The township an admin code lies in, read from the atlas's admin units.
pub fn township_in<'a>(admins: &'a AdminIndex<'a>) -> impl Fn(&str) -> Option<Township> + 'a {
    |code| {
        admins.at_level(code, Level::Township).map(|unit| Township {
            code: unit.code().to_string(),
            name: unit.name().to_string(),
        })
    }
}

/// `tasks` (in calling order) grouped by township (`township_of` says which township an
/// admin code lies in), each sheet in the order the calls go down. Sheets come in the
/// order their first call is made, the one above every township first. Every task is
/// on exactly one sheet.
pub fn call_sheets<'a>(
    tasks: impl IntoIterator<Item = &'a Task>,
    township_of: impl Fn(&str) -> Option<Township>,
) -> Vec<Sheet<'a>> {
    let mut groups: Vec<(Option<Township>, Vec<&'a Task>)> = vec![(None, Vec::new())];
    let mut by_code: HashMap<String, usize> = HashMap::new();
    for task in tasks {
        let group = match task.admin_code.as_deref().and_then(&township_of) {
            None => 0,
            Some(township) => *by_code.entry(township.code.clone()).or_insert_with(|| {
                groups.push((Some(township), Vec::new()));
                groups.len() - 1
            }),
        };
        groups[group].1.push(task);
    }
    groups
        .into_iter()
        .filter(|(_, tasks)| !tasks.is_empty())
        .map(|(township, tasks)| Sheet {
            township,
            lines: down_the_tree(&tasks),
        })
        .collect()
}

/// The tasks depth first down the call tree: each call followed by the calls its
/// contact makes, siblings in calling order.
fn down_the_tree<'a>(tasks: &[&'a Task]) -> Vec<Line<'a>> {
    let ids: HashSet<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    let mut calls: HashMap<&str, Vec<&'a Task>> = HashMap::new();
    let mut roots = Vec::new();
    for &task in tasks {
        match task.caller.as_deref().filter(|c| ids.contains(c)) {
            Some(caller) => calls.entry(caller).or_default().push(task),
            None => roots.push(task),
        }
    }
    let mut out = Vec::with_capacity(tasks.len());
    let mut seen: HashSet<&str> = HashSet::new();
    // Children go on the stack last first, so that they come off in calling order.
    let mut stack: Vec<(&'a Task, usize)> = roots.into_iter().rev().map(|t| (t, 0)).collect();
    while let Some((task, step)) = stack.pop() {
        if !seen.insert(task.id.as_str()) {
            continue;
        }
        out.push(Line { task, step });
        if let Some(children) = calls.get(task.id.as_str()) {
            stack.extend(children.iter().rev().map(|&c| (c, step + 1)));
        }
    }
    // A caller chain that loops (journal edited by hand) has no root: its tasks still
    // go on the sheet, at the end, rather than vanish from it.
    for &task in tasks {
        if seen.insert(task.id.as_str()) {
            out.push(Line { task, step: 0 });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::hazards::Contact;

    fn task(id: &str, caller: Option<&str>, code: &str) -> Task {
        Task {
            id: id.into(),
            depth: 0,
            caller: caller.map(str::to_string),
            role: "duty officer".into(),
            contact: Contact {
                name: id.into(),
                phone: "555".into(),
            },
            about: id.into(),
            admin_code: Some(code.into()),
            people: 1.0,
        }
    }

    /// Township codes start with `t`; `ta1` lies in `ta`, `tb2` in `tb`; `c` is the
    /// county, above both.
    fn township_of(code: &str) -> Option<Township> {
        code.starts_with('t').then(|| Township {
            code: code[..2].to_string(),
            name: code[..2].to_uppercase(),
        })
    }

    /// A county calling townships ta and tb; ta's villages ta1 (with a school) and ta2,
    /// and a shelter ta calls itself; tb's village tb2. In calling order, by depth.
    fn tree() -> Vec<Task> {
        vec![
            task("county", None, "c"),
            task("ta", Some("county"), "ta"),
            task("tb", Some("county"), "tb"),
            task("ta1", Some("ta"), "ta1"),
            task("ta2", Some("ta"), "ta2"),
            task("shelter", Some("ta"), "ta"),
            task("tb2", Some("tb"), "tb2"),
            task("school", Some("ta1"), "ta1"),
        ]
    }

    fn ids<'a>(sheet: &Sheet<'a>) -> Vec<(&'a str, usize)> {
        sheet
            .lines
            .iter()
            .map(|l| (l.task.id.as_str(), l.step))
            .collect()
    }

    #[test]
    fn each_township_sheet_runs_down_its_call_tree() {
        let tasks = tree();
        let sheets = call_sheets(&tasks, township_of);
        let names: Vec<Option<&str>> = sheets
            .iter()
            .map(|s| s.township.as_ref().map(|t| t.code.as_str()))
            .collect();
        assert_eq!(names, [None, Some("ta"), Some("tb")]);
        assert_eq!(ids(&sheets[0]), [("county", 0)]);
        assert_eq!(
            ids(&sheets[1]),
            [
                ("ta", 0),
                ("ta1", 1),
                ("school", 2),
                ("ta2", 1),
                ("shelter", 1)
            ]
        );
        assert_eq!(ids(&sheets[2]), [("tb", 0), ("tb2", 1)]);
    }

    #[test]
    fn without_county_tasks_there_is_no_sheet_above_the_townships() {
        let tasks = tree();
        let sheets = call_sheets(tasks.iter().skip(1), township_of);
        assert_eq!(sheets.len(), 2);
        assert!(sheets.iter().all(|s| s.township.is_some()));
        // Called from outside the sheet (the county, not on it): step 0.
        assert_eq!(sheets[0].lines[0].step, 0);
    }

    #[test]
    fn a_looping_caller_chain_still_puts_every_task_on_a_sheet() {
        let tasks = vec![
            task("ta1", Some("ta2"), "ta1"),
            task("ta2", Some("ta1"), "ta2"),
        ];
        let sheets = call_sheets(&tasks, township_of);
        assert_eq!(ids(&sheets[0]), [("ta1", 0), ("ta2", 0)]);
    }
}
