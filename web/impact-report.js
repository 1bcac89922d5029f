// Renders a "who is affected" report (the JSON of POST /api/impact) into the side panel:
// totals, warnings, the table per admin unit, facilities at risk, the call list, the
// displaced, relief needs with shortfalls, and the per-hazard breakdown and assumptions.

import { el, formatCount, severityColor } from "/dom.js";

export const TOTALS = [
  ["population", "People", "人口"],
  ["households", "Households", "户数"],
  ["elderly", "Elderly", "老人"],
  ["children", "Children", "儿童"],
  ["disabled", "Disabled", "残疾人"],
  ["units", "Units", "居民点"],
];

const LEVELS = {
  county: "By county 按县",
  township: "By township 按乡镇",
  village: "By village 按村",
  grid: "By grid 按网格",
};

const CATEGORIES = {
  shelter: "Shelter 避难场所",
  school: "School 学校",
  hospital: "Hospital 医院",
  nursing_home: "Nursing home 养老院",
  kindergarten: "Kindergarten 幼儿园",
  clinic: "Clinic 卫生院",
};

const HAZARD_KINDS = {
  flood: "Flood 洪水",
  landslide: "Geohazard 地质灾害",
  wildfire: "Wildfire 森林火灾",
  earthquake: "Earthquake 地震",
  drawn: "Drawn area 绘制区域",
  hazard: "Other hazard 其他灾害",
};

export const NEEDS = {
  rice_kg: ["Rice 大米", "kg"],
  water_l: ["Water 饮用水", "L"],
  instant_food_kg: ["Instant food 方便食品", "kg"],
  tents: ["Tents 帐篷", ""],
  quilts: ["Quilts 棉被", ""],
  folding_beds: ["Beds 折叠床", ""],
  clothing_sets: ["Clothing 衣物", "sets 套"],
};

/** What a count with no data (null in the report) shows: missing data is not zero. */
export const NO_DATA = "No data 无数据";

/** A count that may be null: the layer has no such field, or no unit had a value. */
const formatKnown = (value) => (value === null ? NO_DATA : formatCount(value));

/** Rows shown before a "Show all" button in long lists. */
const FIRST_ROWS = 8;

const dot = (severity) => el("span", {
  class: "sev-dot", style: `background:${severityColor(severity)}`, title: `severity ${severity ?? "?"}`,
});

/** "Need 需求" as "Need", <br>, "需求" for narrow table headers. */
const twoLines = (label) => label.split(" ").flatMap((part, i) => (i ? [el("br"), part] : [part]));

function section(id, title, count, open, ...body) {
  const summary = el("summary", {}, title, count !== null ? el("span", { class: "count" }, ` ${count}`) : null);
  return el("details", { id, class: "impact-section", open }, summary, ...body);
}

/** A list that shows its first rows and a button to show the rest. */
function cappedList(className, items, render) {
  const list = el("ul", { class: className });
  const shown = items.slice(0, FIRST_ROWS).map(render);
  list.append(...shown);
  if (items.length <= FIRST_ROWS) return list;
  const more = el("button", {
    type: "button", class: "link-button",
    onclick: () => { list.append(...items.slice(FIRST_ROWS).map(render)); more.remove(); },
  }, `Show all ${items.length} · 全部显示`);
  return el("div", {}, list, more);
}

function totals(report) {
  const t = report.totals || {};
  return el("div", { class: "impact-totals" }, TOTALS.map(([field, en, zh]) =>
    el("div", { class: `total total-${field}` },
      el("span", { class: t[field] === null ? "value no-data" : "value", id: `impact-total-${field}` },
        formatKnown(t[field])),
      el("span", { class: "label" }, `${en} ${zh}`))));
}

function contactLine(contact) {
  if (!contact || !(contact.name || contact.phone)) return null;
  return el("span", { class: "contact" }, contact.name || "",
    contact.phone ? [" ", el("a", { href: `tel:${contact.phone}` }, contact.phone)] : null);
}

function byAdmin(report) {
  const rows = report.by_admin || [];
  const title = LEVELS[report.group_by] || "By admin unit 按行政区";
  const body = rows.map((a) => el("tr", {},
    el("td", {},
      el("div", { class: "admin-name", title: a.code }, a.name || a.code),
      el("div", { class: "sub" },
        `老 ${formatKnown(a.elderly)} · 幼 ${formatKnown(a.children)} · 残 ${formatKnown(a.disabled)}`),
      (a.contacts || []).slice(0, 1).map((c) => el("div", { class: "sub" }, contactLine(c)))),
    el("td", { class: "num" }, formatCount(a.population)),
    el("td", { class: "num" }, formatKnown(a.households)),
    el("td", { class: "num" }, formatCount(a.units))));
  const table = el("table", { class: "impact-table", id: "impact-by-admin" },
    el("thead", {}, el("tr", {}, el("th", {}, "Name 名称"),
      ["People 人口", "Households 户数", "Units 居民点"].map((h) => el("th", { class: "num" }, ...twoLines(h))))),
    el("tbody", {}, body));
  return section("impact-admin", title, rows.length, true,
    rows.length ? el("div", { class: "table-scroll" }, table) : el("p", { class: "hint" }, "None 无"));
}

function facilities(report) {
  const items = [...(report.facilities || [])].sort((a, b) =>
    Number(b.unusable) - Number(a.unusable) || (b.severity ?? 0) - (a.severity ?? 0));
  const unusable = items.filter((f) => f.unusable).length;
  const render = (f) => el("li", { class: f.unusable ? "unusable" : "" },
    dot(f.severity),
    el("div", { class: "grow" },
      el("div", {}, el("strong", {}, f.name || `${f.layer} #${f.id}`),
        f.unusable ? el("span", { class: "badge danger" }, "Unusable 不可用") : null),
      el("div", { class: "sub" },
        CATEGORIES[f.category] || f.category || "",
        f.shelter_type ? ` (${f.shelter_type})` : "",
        f.capacity !== null && f.capacity !== undefined ? ` · capacity 容量 ${formatCount(f.capacity)}` : "",
        f.occupants !== null && f.occupants !== undefined ? ` · ${formatCount(f.occupants)} occupants 人` : "",
        f.contact ? [" · ", contactLine(f.contact)] : null),
      // Why a shelter closed, or why one inside a hazard stays open (earthquakes leave
      // open spaces usable).
      f.closed_by ? el("div", { class: "sub why" }, `Closed 关闭: ${f.closed_by}`) : null,
      !f.closed_by && f.note ? el("div", { class: "sub why" }, `Usable 可用: ${f.note}`) : null));
  const summary = unusable ? `${items.length} · ${unusable} unusable` : items.length;
  return section("impact-facilities", "Facilities at risk 受威胁设施", summary, true,
    items.length ? cappedList("impact-list", items, render) : el("p", { class: "hint" }, "None 无"));
}

function calls(report) {
  const items = report.calls || [];
  const render = (c) => el("li", {},
    dot(c.severity),
    el("div", { class: "grow" },
      el("div", {}, el("strong", {}, c.name || "—"), " ",
        c.phone ? el("a", { href: `tel:${c.phone}`, class: "phone" }, c.phone) : null),
      el("div", { class: "sub" }, [c.role, c.about].filter(Boolean).join(" · ")),
      c.why ? el("div", { class: "sub why" }, c.why) : null));
  return section("impact-calls", "Call list 通知名单", items.length, true,
    items.length ? cappedList("impact-list", items, render) : el("p", { class: "hint" }, "Nobody to call 无"));
}

function displaced(report) {
  const d = report.displaced || {};
  const kinds = Object.entries(d.by_kind || {}).sort((a, b) => b[1] - a[1]);
  return section("impact-displaced", "Displaced 需转移安置", null, true,
    el("p", { class: "big-number" }, el("span", { id: "impact-displaced-total" }, formatCount(d.total)),
      el("span", { class: "label" }, " people 人")),
    kinds.length ? el("ul", { class: "chips" }, kinds.map(([kind, n]) =>
      el("li", {}, `${HAZARD_KINDS[kind] || kind}: ${formatCount(n)}`))) : null);
}

function needs(report) {
  const n = report.needs || {};
  const items = n.items || [];
  // Without depot data the stock is unknown, not zero: no shortfall is claimed.
  const noDepots = n.depots === 0;
  const short = noDepots ? 0 : items.filter((i) => Number(i.shortfall) > 0).length;
  const rows = items.map((i) => {
    const [label, unit] = NEEDS[i.item] || [i.item, ""];
    const isShort = !noDepots && Number(i.shortfall) > 0;
    return el("tr", { class: isShort ? "shortfall" : "" },
      el("th", { scope: "row" }, label, unit ? el("span", { class: "sub" }, ` ${unit}`) : null),
      el("td", { class: "num" }, formatCount(i.quantity)),
      el("td", { class: "num" }, noDepots ? "—" : formatCount(i.stock)),
      el("td", { class: "num short" }, noDepots ? "—" : isShort ? formatCount(i.shortfall) : "0"));
  });
  const days = n.days ?? "?";
  return section("impact-needs", `Needs 物资需求 · ${days} d 天`, short ? `· ${short} short 缺口` : null, true,
    items.length ? el("div", { class: "table-scroll" }, el("table", { class: "impact-table needs" },
      el("thead", {}, el("tr", {}, el("th", {}, "Item 物资"),
        ["Need 需求", "Stock 库存", "Short 缺口"].map((h) => el("th", { class: "num" }, ...twoLines(h))))),
      el("tbody", {}, rows))) : el("p", { class: "hint" }, "No needs 无"),
    noDepots && items.length ? el("p", { class: "footnote no-depots", id: "impact-no-depots" },
      "无储备库数据：库存和缺口未知 No depot data: stock and shortfall unknown") : null,
    n.source ? el("p", { class: "footnote" }, n.source) : null);
}

function byHazard(report) {
  const items = report.by_hazard || [];
  const render = (h) => el("li", {},
    dot(h.severity),
    el("div", { class: "grow" },
      el("div", {}, h.name || h.id),
      el("div", { class: "sub" }, `${HAZARD_KINDS[h.kind] || h.kind} · ${formatCount(h.population)} people 人 · ${formatCount(h.units)} units`)));
  return section("impact-hazards-list", "By hazard 按灾害", items.length, false,
    items.length ? cappedList("impact-list", items, render) : el("p", { class: "hint" }, "None 无"));
}

function notes(report) {
  const assumptions = report.assumptions || [];
  return section("impact-assumptions", "Assumptions 假设", assumptions.length, false,
    el("ul", { class: "notes" }, assumptions.map((a) => el("li", {}, a))));
}

/** Replaces `container`'s content with the report. */
export function renderReport(container, report) {
  const warnings = report.warnings || [];
  const parts = [
    totals(report),
    warnings.length ? el("ul", { class: "impact-warnings", role: "alert" },
      warnings.map((w) => el("li", {}, w))) : null,
    byAdmin(report),
    facilities(report),
    calls(report),
    displaced(report),
    needs(report),
    byHazard(report),
    notes(report),
  ];
  container.replaceChildren(...parts.filter(Boolean));
}
