//! What attribute names and coded values read as, Chinese first and English beside: one
//! table for the printed pages (cards, reports) and the web page (its popups and panels
//! fetch it from `GET /api/labels`), so a key such as `capacity_night` or a code such as
//! `school_yard` is never shown raw where a label exists.
//!
//! Keys are the canonical attribute names of `atlas::kind` and the needs items of
//! `analysis::needs`; a key or code missing here prints as itself (a bureau's extra
//! columns keep their own names, which are usually Chinese already).

use serde_json::{Map, Value, json};

/// A field's label: (key, Chinese, English, unit).
type FieldLabel = (&'static str, &'static str, &'static str, &'static str);

/// Every canonical attribute and needs item.
pub const FIELDS: &[FieldLabel] = &[
    ("name", "名称", "Name", ""),
    ("code", "行政区划代码", "Admin code", ""),
    ("admin_code", "行政区划代码", "Admin code", ""),
    ("parent_code", "上级代码", "Parent code", ""),
    ("level", "级别", "Level", ""),
    ("contact_name", "联系人", "Contact", ""),
    ("contact_phone", "联系电话", "Phone", ""),
    ("population", "人口", "Population", "人"),
    ("population_night", "夜间人口", "Night population", "人"),
    ("households", "户数", "Households", "户"),
    ("elderly", "老年人", "Elderly", "人"),
    ("children", "儿童", "Children", "人"),
    ("disabled", "残疾人", "Disabled", "人"),
    ("hazard_type", "灾害类型", "Hazard type", ""),
    ("threatened_people", "威胁人数", "People threatened", "人"),
    (
        "threatened_households",
        "威胁户数",
        "Households threatened",
        "户",
    ),
    ("threat_radius_m", "威胁半径", "Threat radius", "m"),
    ("severity", "预警等级", "Warning level", ""),
    ("return_period_years", "重现期", "Return period", "年"),
    ("depth_m", "淹没水深", "Flood depth", "m"),
    ("danger_level", "火险等级", "Fire danger level", ""),
    ("forest_type", "林分类型", "Forest type", ""),
    ("capacity", "容量", "Capacity", "人"),
    ("capacity_night", "夜间容量", "Night capacity", "人"),
    ("area_m2", "面积", "Area", "m²"),
    ("shelter_type", "场所类型", "Shelter type", ""),
    ("status", "状态", "Status", ""),
    ("occupancy", "已安置", "Occupancy", "人"),
    ("facility_type", "设施类型", "Facility type", ""),
    ("occupants", "在内人数", "Occupants", "人"),
    ("members", "队员", "Members", "人"),
    ("team_type", "队伍类型", "Team type", ""),
    ("road_class", "道路等级", "Road class", ""),
    ("speed_kmh", "设计速度", "Speed", "km/h"),
    ("oneway", "单行", "One way", ""),
    ("date", "日期", "Date", ""),
    ("scenario", "情景", "Scenario", ""),
    ("people_moved", "转移人数", "People moved", "人"),
    ("clearance_minutes", "撤离用时", "Clearance time", "分钟"),
    ("problems", "发现的问题", "Problems found", ""),
    ("feature_class", "要素类别", "Feature class", ""),
    ("rice_kg", "大米", "Rice", "kg"),
    ("water_l", "饮用水", "Drinking water", "L"),
    ("instant_food_kg", "方便食品", "Instant food", "kg"),
    ("tents", "帐篷", "Tents", "顶"),
    ("quilts", "棉被", "Quilts", "床"),
    ("folding_beds", "折叠床", "Folding beds", "张"),
    ("clothing_sets", "衣物", "Clothing sets", "套"),
    ("count", "要素数", "Features", ""),
    ("severity_max", "最高预警等级", "Highest warning level", ""),
];

/// A coded value's label: (field, code, Chinese, English).
type ValueLabel = (&'static str, &'static str, &'static str, &'static str);

/// Every code the kinds define, and the demo's open vocabularies.
pub const VALUES: &[ValueLabel] = &[
    ("level", "county", "县", "county"),
    ("level", "township", "乡镇", "township"),
    ("level", "village", "村", "village"),
    ("level", "grid", "网格", "grid"),
    ("hazard_type", "landslide", "滑坡", "landslide"),
    ("hazard_type", "collapse", "崩塌", "rockfall"),
    ("hazard_type", "debris_flow", "泥石流", "debris flow"),
    ("hazard_type", "subsidence", "地面塌陷", "subsidence"),
    ("status", "open", "开放", "open"),
    ("status", "closed", "关闭", "closed"),
    ("status", "full", "已满", "full"),
    ("shelter_type", "square", "广场", "square"),
    ("shelter_type", "county_square", "县城广场", "county square"),
    ("shelter_type", "school_yard", "学校操场", "school yard"),
    ("shelter_type", "township_hall", "乡镇礼堂", "township hall"),
    ("facility_type", "school", "学校", "school"),
    ("facility_type", "kindergarten", "幼儿园", "kindergarten"),
    ("facility_type", "hospital", "医院", "hospital"),
    ("facility_type", "nursing_home", "养老院", "nursing home"),
    ("team_type", "fire", "消防", "fire"),
    ("team_type", "geohazard", "地灾应急", "geohazard"),
    ("team_type", "medical", "医疗", "medical"),
    ("team_type", "militia", "民兵", "militia"),
    ("road_class", "county", "县道", "county road"),
    ("road_class", "township", "乡道", "township road"),
    ("road_class", "village", "村道", "village road"),
    (
        "scenario",
        "flood evacuation",
        "洪水转移",
        "flood evacuation",
    ),
    (
        "scenario",
        "landslide evacuation",
        "滑坡转移",
        "landslide evacuation",
    ),
    (
        "scenario",
        "earthquake evacuation",
        "地震转移",
        "earthquake evacuation",
    ),
    ("forest_type", "coniferous", "针叶林", "coniferous"),
    ("forest_type", "broadleaf", "阔叶林", "broadleaf"),
    ("forest_type", "mixed", "混交林", "mixed"),
    ("feature_class", "river", "河流", "river"),
];

/// `key` as a page shows it: `夜间容量 Night capacity`, or the key itself.
pub fn field(key: &str) -> String {
    match FIELDS.iter().find(|f| f.0 == key) {
        Some((_, zh, en, _)) => format!("{zh} {en}"),
        None => key.to_string(),
    }
}

/// The unit a field's quantities are counted in (`kg`, `人`), if any.
pub fn unit(key: &str) -> &'static str {
    FIELDS.iter().find(|f| f.0 == key).map_or("", |f| f.3)
}

/// A coded `value` of `key` as a page shows it: `学校操场 school yard`, or the value.
pub fn value(key: &str, value: &str) -> String {
    match VALUES.iter().find(|v| v.0 == key && v.1 == value) {
        Some((_, _, zh, en)) => format!("{zh} {en}"),
        None => value.to_string(),
    }
}

/// The table for the web page: `{"fields": {key: {zh, en, unit}}, "values": {key:
/// {code: {zh, en}}}}`.
pub fn to_json() -> Value {
    let mut fields = Map::new();
    for (key, zh, en, unit) in FIELDS {
        fields.insert((*key).into(), json!({"zh": zh, "en": en, "unit": unit}));
    }
    let mut values: Map<String, Value> = Map::new();
    for (key, code, zh, en) in VALUES {
        let codes = values.entry(*key).or_insert_with(|| json!({}));
        codes[*code] = json!({"zh": zh, "en": en});
    }
    json!({"fields": fields, "values": values})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlas::Kind;
    use crate::atlas::kind::Rule;

    #[test]
    fn every_canonical_attribute_and_stock_item_has_a_label() {
        for kind in Kind::ALL {
            for attr in kind.attrs() {
                assert!(
                    FIELDS.iter().any(|f| f.0 == attr.name),
                    "{}'s attribute {} has no label",
                    kind.code(),
                    attr.name
                );
            }
        }
        for item in crate::atlas::kind::STOCK_ITEMS {
            assert!(FIELDS.iter().any(|f| f.0 == *item), "{item}");
        }
    }

    #[test]
    fn every_code_a_kind_defines_has_a_label() {
        for kind in Kind::ALL {
            for attr in kind.attrs() {
                let codes: Vec<&str> = match attr.rule {
                    Rule::OneOf { codes, .. } => codes.to_vec(),
                    Rule::Aliased(aliases) => aliases.iter().map(|(_, code)| *code).collect(),
                    _ => Vec::new(),
                };
                for code in codes {
                    assert!(
                        VALUES.iter().any(|v| v.0 == attr.name && v.1 == code),
                        "{}: {} = {code} has no label",
                        kind.code(),
                        attr.name
                    );
                }
            }
        }
    }

    #[test]
    fn labels_read_chinese_first_and_unknown_keys_stay_themselves() {
        assert_eq!(field("capacity_night"), "夜间容量 Night capacity");
        assert_eq!(value("shelter_type", "school_yard"), "学校操场 school yard");
        assert_eq!(field("村长"), "村长");
        assert_eq!(value("status", "half"), "half");
        assert_eq!(unit("rice_kg"), "kg");
        let table = to_json();
        assert_eq!(table["fields"]["water_l"]["zh"], "饮用水");
        assert_eq!(table["values"]["status"]["closed"]["zh"], "关闭");
    }
}
