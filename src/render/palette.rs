//! The warning palette: severity 1–4 as the national warning colours, with their names in
//! English and Chinese. Defined once here; the map style ([`crate::style`]), the printed
//! pages and the web page (`GET /api/palette`) all read it.
//!
//! The grades are those of the national master plan for public emergencies
//! (国家突发公共事件总体应急预案, §3.1): warnings are graded Ⅰ 特别严重, Ⅱ 严重, Ⅲ 较重,
//! Ⅳ 一般, shown in red, orange, yellow and blue. Our severity counts the other way
//! (1 = blue = Ⅳ) so that a larger number is worse. The 特别重大/重大/较大/一般 words
//! grade incidents after the fact, not warnings, so they are not used here.

use serde::Serialize;

/// One warning level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarningLevel {
    /// 1 (blue) to 4 (red).
    pub severity: u8,
    /// The fill colour, `#rrggbb`.
    pub color: &'static str,
    /// The colour of text written on that fill (dark on yellow, white elsewhere).
    pub ink: &'static str,
    /// The colour's name: "Blue".
    pub name: &'static str,
    /// The colour's name in Chinese: "蓝色".
    pub name_zh: &'static str,
    /// The grade in English: "general".
    pub grade: &'static str,
    /// The grade in Chinese: "一般".
    pub grade_zh: &'static str,
}

/// Severity 1 to 4, in order (`PALETTE[s - 1]` is severity `s`).
pub const PALETTE: [WarningLevel; 4] = [
    WarningLevel {
        severity: 1,
        color: "#1e6fd9",
        ink: "#ffffff",
        name: "Blue",
        name_zh: "蓝色",
        grade: "general",
        grade_zh: "一般",
    },
    WarningLevel {
        severity: 2,
        color: "#f2c200",
        ink: "#222222",
        name: "Yellow",
        name_zh: "黄色",
        grade: "heavier",
        grade_zh: "较重",
    },
    WarningLevel {
        severity: 3,
        color: "#f28500",
        ink: "#ffffff",
        name: "Orange",
        name_zh: "橙色",
        grade: "serious",
        grade_zh: "严重",
    },
    WarningLevel {
        severity: 4,
        color: "#d7191c",
        ink: "#ffffff",
        name: "Red",
        name_zh: "红色",
        grade: "most serious",
        grade_zh: "特别严重",
    },
];

/// The highest level: red.
pub const RED: WarningLevel = PALETTE[3];

/// How a call of an issued warning stands, as the tracking map colours its admin unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CallState {
    /// The state as the API names it (`answered`, `waiting`, …).
    pub state: &'static str,
    /// Its fill colour, `#rrggbb`.
    pub color: &'static str,
    /// What a legend says, in Chinese and English.
    pub label: &'static str,
}

/// Every state of a call, the good one first: answered green, waiting amber, escalated
/// red; blocked (its caller has not answered) and closed grey, since nobody can act on
/// them at that unit. The colours are the traffic-light ramp of ColorBrewer's RdYlGn,
/// apart from the warning levels above so that a state never reads as a level.
pub const CALL_STATES: [CallState; 5] = [
    CallState {
        state: "answered",
        color: "#1a9850",
        label: "已应答 answered",
    },
    CallState {
        state: "waiting",
        color: "#fdae61",
        label: "等待应答 waiting",
    },
    CallState {
        state: "escalated",
        color: "#d73027",
        label: "已上报 escalated",
    },
    CallState {
        state: "blocked",
        color: "#969696",
        label: "上级未应答 blocked",
    },
    CallState {
        state: "closed",
        color: "#969696",
        label: "已关闭 closed",
    },
];

/// The colour of a call's state (grey for a state not listed).
pub fn call_state_color(state: &str) -> &'static str {
    CALL_STATES
        .iter()
        .find(|s| s.state == state)
        .map_or(CALL_STATES[3].color, |s| s.color)
}

impl WarningLevel {
    /// The level of a severity, clamped into 1–4 (0, "unknown", reads as blue: the
    /// lowest warning, never none).
    pub fn of(severity: u8) -> WarningLevel {
        PALETTE[usize::from(severity.clamp(1, 4)) - 1]
    }

    /// What a legend says: "1 Blue 蓝色 (一般 general)".
    pub fn label(&self) -> String {
        format!(
            "{} {} {} ({} {})",
            self.severity, self.name, self.name_zh, self.grade_zh, self.grade
        )
    }

    /// What a narrow control says: "1 Blue 蓝".
    pub fn short(&self) -> String {
        let first = self.name_zh.chars().next().unwrap_or_default();
        format!("{} {} {first}", self.severity, self.name)
    }
}

/// A level as the web page reads it (`GET /api/palette`): the fields, and the labels
/// made from them so that the page words them as the map style does.
#[derive(Debug, Serialize)]
struct LevelJson {
    severity: u8,
    color: &'static str,
    ink: &'static str,
    name: &'static str,
    name_zh: &'static str,
    grade: &'static str,
    grade_zh: &'static str,
    label: String,
    short: String,
}

impl From<&WarningLevel> for LevelJson {
    fn from(l: &WarningLevel) -> LevelJson {
        LevelJson {
            severity: l.severity,
            color: l.color,
            ink: l.ink,
            name: l.name,
            name_zh: l.name_zh,
            grade: l.grade,
            grade_zh: l.grade_zh,
            label: l.label(),
            short: l.short(),
        }
    }
}

/// The palette as the web page reads it: `{"severity": [level 1, …, level 4],
/// "call_states": [{state, color, label}, …]}`.
pub fn to_json() -> serde_json::Value {
    let levels: Vec<LevelJson> = PALETTE.iter().map(LevelJson::from).collect();
    serde_json::json!({ "severity": levels, "call_states": CALL_STATES })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_palette_runs_blue_yellow_orange_red_from_one_to_four() {
        let names: Vec<(u8, &str, &str)> = PALETTE
            .iter()
            .map(|l| (l.severity, l.name, l.name_zh))
            .collect();
        assert_eq!(
            names,
            [
                (1, "Blue", "蓝色"),
                (2, "Yellow", "黄色"),
                (3, "Orange", "橙色"),
                (4, "Red", "红色")
            ]
        );
    }

    #[test]
    fn colours_are_six_digit_hex() {
        for l in PALETTE {
            for c in [l.color, l.ink] {
                assert!(
                    c.len() == 7
                        && c.starts_with('#')
                        && c[1..].chars().all(|d| d.is_ascii_hexdigit()),
                    "{c}"
                );
            }
        }
    }

    #[test]
    fn an_unknown_severity_reads_as_the_nearest_level() {
        assert_eq!(WarningLevel::of(0).name, "Blue");
        assert_eq!(WarningLevel::of(4).name, "Red");
        assert_eq!(WarningLevel::of(9).name, "Red");
    }

    #[test]
    fn labels_name_the_colour_and_grade_in_both_languages() {
        assert_eq!(PALETTE[0].label(), "1 Blue 蓝色 (一般 general)");
        assert_eq!(PALETTE[3].short(), "4 Red 红");
    }

    #[test]
    fn the_served_palette_carries_each_level_with_its_labels() {
        let json = to_json();
        let levels = json["severity"].as_array().expect("an array");
        assert_eq!(levels.len(), 4);
        assert_eq!(levels[2]["color"], "#f28500");
        assert_eq!(levels[2]["label"], "3 Orange 橙色 (严重 serious)");
        assert_eq!(json["call_states"][0]["state"], "answered");
        assert_eq!(json["call_states"][0]["color"], "#1a9850");
    }

    #[test]
    fn a_state_not_listed_is_grey() {
        assert_eq!(call_state_color("escalated"), "#d73027");
        assert_eq!(call_state_color("blocked"), call_state_color("whatever"));
    }
}
