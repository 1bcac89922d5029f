//! The impact report in other shapes: GeoJSON for maps, CSV per admin unit, and a
//! printable HTML page.

use super::impact::Impact;
use crate::atlas::Atlas;
use serde_json::{Value, json};

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// What a printed page says where a count has no data.
pub const NO_DATA: &str = "无数据 no data";

/// A count of people rounded to whole people, or [`NO_DATA`]: missing data is not zero.
pub fn count_or_no_data(count: Option<f64>) -> String {
    count.map_or_else(|| NO_DATA.to_string(), |x| format!("{x:.0}"))
}

/// Hazard areas and affected units as one FeatureCollection; `role` tells them apart.
pub fn geojson(impact: &Impact, atlas: &Atlas) -> Value {
    let mut features: Vec<Value> = impact
        .hazards
        .iter()
        .map(|h| {
            json!({
                "type": "Feature",
                "id": h.id,
                "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&h.area)),
                "properties": {"role": "hazard", "id": h.id, "name": h.name, "kind": h.kind, "severity": h.severity, "detail": h.detail},
            })
        })
        .collect();
    let exposure = atlas.layer(&impact.report.exposure);
    for u in &impact.report.units {
        let Some(feature) = exposure.and_then(|l| l.feature(u.fid)) else {
            continue;
        };
        features.push(json!({
            "type": "Feature",
            "id": u.id,
            "geometry": geojson::Geometry::new(geojson::GeometryValue::from(&feature.geometry)),
            "properties": {
                "role": "unit", "id": u.id, "name": u.name, "people": round1(u.people), "share": u.share,
                "admin_code": u.admin_code, "hazards": u.hazards.join(","), "severity": u.severity,
            },
        }));
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// One row per admin unit at the report's grouping level. Starts with a UTF-8 byte-order
/// mark, without which spreadsheet programs on Chinese-locale desktops misread the names.
/// A count with no data is an empty cell, which spreadsheets read as missing (not 0)
/// while the column stays numeric.
pub fn csv_by_admin(impact: &Impact) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "code",
        "name",
        "level",
        "population",
        "households",
        "elderly",
        "children",
        "disabled",
        "units",
        "contact_name",
        "contact_phone",
    ];
    w.write_record(header)
        .expect("writing to memory cannot fail");
    for a in &impact.report.by_admin {
        let c = a.contacts.first();
        let n = |x: f64| format!("{:.1}", x);
        let known = |x: Option<f64>| x.map(n).unwrap_or_default();
        w.write_record([
            a.code.clone(),
            a.name.clone(),
            a.level.clone(),
            n(a.counts.population),
            known(a.counts.households),
            known(a.counts.elderly),
            known(a.counts.children),
            known(a.counts.disabled),
            a.counts.units.to_string(),
            c.map(|c| c.name.clone()).unwrap_or_default(),
            c.map(|c| c.phone.clone()).unwrap_or_default(),
        ])
        .expect("writing to memory cannot fail");
    }
    let csv = String::from_utf8(w.into_inner().expect("flushing memory cannot fail"))
        .expect("CSV of UTF-8 strings is UTF-8");
    format!("\u{feff}{csv}")
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn table(head: &[&str], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut out = String::from("<table><thead><tr>");
    for h in head {
        out.push_str(&format!("<th>{}</th>", esc(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str(&format!("<td>{}</td>", esc(&cell)));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// A printable, self-contained HTML report (no scripts, no outside resources).
pub fn html(impact: &Impact, atlas_name: &str) -> String {
    let r = &impact.report;
    let t = &r.totals;
    let n0 = |x: f64| format!("{x:.0}");
    let mut body = format!(
        "<h1>Impact report 受灾影响评估 — {}</h1><p class=meta>Exposure: {} · grouped by {} · period: {:?} · {} hazard areas</p>",
        esc(atlas_name),
        esc(&r.exposure),
        r.group_by,
        r.period,
        r.by_hazard.len()
    );
    body.push_str("<h2>Totals 合计</h2>");
    body.push_str(&table(
        &[
            "people 人口",
            "households 户",
            "elderly 老人",
            "children 儿童",
            "disabled 残疾人",
            "units",
        ],
        std::iter::once(vec![
            n0(t.population),
            count_or_no_data(t.households),
            count_or_no_data(t.elderly),
            count_or_no_data(t.children),
            count_or_no_data(t.disabled),
            t.units.to_string(),
        ]),
    ));
    body.push_str(&format!("<h2>By {} 分区统计</h2>", r.group_by));
    body.push_str(&table(
        &[
            "code", "name", "people", "elderly", "children", "disabled", "contact",
        ],
        r.by_admin.iter().map(|a| {
            let c = a
                .contacts
                .first()
                .map(|c| format!("{} {}", c.name, c.phone))
                .unwrap_or_default();
            vec![
                a.code.clone(),
                a.name.clone(),
                n0(a.counts.population),
                count_or_no_data(a.counts.elderly),
                count_or_no_data(a.counts.children),
                count_or_no_data(a.counts.disabled),
                c,
            ]
        }),
    ));
    body.push_str("<h2>Facilities at risk 受威胁设施</h2>");
    body.push_str(&table(
        &[
            "name",
            "category",
            "severity",
            "unusable",
            "why",
            "occupants / capacity",
        ],
        r.facilities.iter().map(|f| {
            vec![
                f.name.clone().unwrap_or_else(|| f.id.clone()),
                f.category.clone(),
                f.severity.to_string(),
                if f.unusable {
                    "yes".into()
                } else {
                    String::new()
                },
                f.closed_by
                    .clone()
                    .or_else(|| f.note.clone())
                    .unwrap_or_default(),
                f.occupants
                    .or(f.capacity)
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
            ]
        }),
    ));
    body.push_str("<h2>Call list 联络名单</h2>");
    body.push_str(&table(
        &["name", "phone", "role", "about", "why"],
        r.calls.iter().map(|c| {
            vec![
                c.name.clone(),
                c.phone.clone(),
                c.role.clone(),
                c.about.clone(),
                c.why.clone(),
            ]
        }),
    ));
    body.push_str(&format!(
        "<h2>Displaced and needs for {} days 转移安置与物资需求</h2><p>Displaced: {}</p>",
        r.needs.days,
        n0(r.displaced.total)
    ));
    body.push_str(&table(
        &["item", "needed", "in depots", "shortfall"],
        r.needs
            .items
            .iter()
            .map(|n| vec![n.item.clone(), n0(n.quantity), n0(n.stock), n0(n.shortfall)]),
    ));
    body.push_str(&format!(
        "<p class=meta>Needs profile: {}</p>",
        esc(&r.needs.source)
    ));
    body.push_str("<h2>Assumptions 假设</h2><ul>");
    for a in r.assumptions.iter().chain(&r.warnings) {
        body.push_str(&format!("<li>{}</li>", esc(a)));
    }
    body.push_str("</ul>");
    format!(
        "<!doctype html><html lang=zh><head><meta charset=utf-8><title>Impact report</title><style>\
body{{font:13px/1.4 'Noto Sans CJK SC','Noto Sans SC',sans-serif;margin:2em;color:#222}}\
table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #bbb;padding:3px 8px;text-align:left}}\
th{{background:#f0eee6}}.meta{{color:#555}}h2{{margin-top:1.5em;border-bottom:2px solid #d7191c}}\
@media print{{body{{margin:0}}h2{{break-after:avoid}}}}</style></head><body>{body}</body></html>"
    )
}
