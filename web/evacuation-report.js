// Renders an evacuation plan (the JSON of POST /api/evacuation) into the side panel:
// totals, a map legend, the shelters with how full they get, the people who could not be
// placed (in red, with the reason), the assignments table (sortable) and the assumptions.

import { el, formatCount } from "/dom.js";
import { NEEDS } from "/impact-report.js";

export const EVAC_TOTALS = [
  ["evacuees", "Evacuees", "转移人数", formatCount],
  ["assigned", "Placed", "已安置", formatCount],
  ["unassigned", "Not placed", "未安置", formatCount],
  ["mean_minutes", "Mean min", "平均用时", formatMinutes],
  ["max_minutes", "Clearance min", "最长用时", formatMinutes],
  ["shelters_used", "Shelters", "启用场所", formatCount],
];

/** Why someone could not be placed. */
export const REASONS = {
  unreachable: "Unreachable 无法到达",
  capacity: "No room 容量不足",
  through_hazard: "Only through the hazard 须穿越危险区",
  closed_by_hazard: "Shelters closed by the hazard 避难场所因灾关闭",
};

const ROUTING = { road: "By road 道路", straight_line: "Straight line 直线" };

/** The plan's proof: optimal over every shelter within reach, or how far it may be off. */
function optimalityLine(plan) {
  const o = plan.optimality;
  if (!o) return null;
  const text = o.proved
    ? `Optimal over every shelter within reach 已证明最优 (${formatCount(o.pairs_priced)} pairs priced, ${o.rounds} rounds)`
    : `Not proved optimal 未证明最优: up to ${formatCount(o.gap?.people_possibly_placeable ?? 0)} more people might be placed`;
  return el("p", { class: o.proved ? "hint optimality" : "hint optimality warn", id: "evac-optimality" }, text);
}
const PROFILES = { walk: "walking 步行", drive: "driving 车辆" };

/** Route colours by minutes, light (quick) to dark (long) magenta: no atlas line uses it,
 *  and it keeps clear of the hazards' warning colours and the red of people not placed. */
export const MINUTE_STOPS = [
  [0, "#f9a3c4"], [30, "#f768a1"], [60, "#dd3497"], [120, "#ae017e"], [180, "#7a0177"],
];

/** Rows of the assignments table shown before a "Show all" button. */
const FIRST_ROWS = 100;

export function formatMinutes(value) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return "—";
  return Number(value).toFixed(1);
}

export function formatKm(metres) {
  if (!Number.isFinite(Number(metres))) return "—";
  return `${(Number(metres) / 1000).toFixed(metres < 10_000 ? 2 : 1)} km`;
}

/** A unit's display name: its name from the impact layer, else "#id". */
export const unitName = (units, id) => (units.get(String(id)) || {}).name || `#${id}`;

function section(id, title, count, open, ...body) {
  const summary = el("summary", {}, title, count !== null ? el("span", { class: "count" }, ` ${count}`) : null);
  return el("details", { id, class: "impact-section", open }, summary, ...body);
}

function totals(plan) {
  const t = plan.totals || {};
  return el("div", { class: "impact-totals evac-totals" }, EVAC_TOTALS.map(([field, en, zh, format]) =>
    el("div", { class: `total total-${field}${field === "unassigned" && t[field] > 0 ? " bad" : ""}` },
      el("span", { class: "value", id: `evac-total-${field}` }, format(t[field])),
      el("span", { class: "label" }, en, el("br"), zh))));
}

function legend() {
  const last = MINUTE_STOPS[MINUTE_STOPS.length - 1][0];
  const at = (m) => `${((100 * m) / last).toFixed(1)}%`;
  const ramp = MINUTE_STOPS.map(([m, c]) => `${c} ${at(m)}`).join(", ");
  return el("div", { class: "evac-legend", "aria-label": "Map legend 图例" },
    el("div", { class: "ramp-row" },
      el("span", {}, "Route 路线"),
      el("span", { class: "ramp-wrap" },
        el("span", { class: "ramp", style: `background:linear-gradient(90deg, ${ramp})` }),
        el("span", { class: "ramp-labels" }, MINUTE_STOPS.map(([m]) =>
          el("span", { style: `left:${at(m)}` }, m === last ? `${m}+` : String(m))))),
      el("span", {}, "min 分钟")),
    el("div", { class: "symbols" },
      el("span", {}, el("span", { class: "sym shelter" }), "Shelter, filled share used 场所（填充=使用率）"),
      el("span", {}, el("span", { class: "sym unassigned" }), "Not placed 未安置"),
      el("span", {}, el("span", { class: "sym width" }), "Width = people 线宽=人数")));
}

function shortfallLine(needs) {
  const short = (needs || []).filter((n) => Number(n.shortfall) > 0);
  if (!short.length) return null;
  const parts = short.map((n) => {
    const [label, unit] = NEEDS[n.item] || [n.item, ""];
    return `${label.split(" ").pop()} ${formatCount(n.shortfall)}${unit ? ` ${unit.split(" ")[0]}` : ""}`;
  });
  const text = `Short 缺口: ${parts.join(" · ")}`;
  return el("div", { class: "sub short", title: text }, text);
}

function shelters(plan, handlers) {
  const items = [...(plan.shelters || [])].sort((a, b) =>
    (b.utilisation ?? 0) - (a.utilisation ?? 0) || (b.assigned ?? 0) - (a.assigned ?? 0));
  const full = items.filter((s) => Number(s.utilisation) >= 0.999).length;
  const list = el("ul", { class: "impact-list evac-shelters", id: "evac-shelters" }, items.map((s) => {
    const share = Math.max(0, Math.min(1, Number(s.utilisation) || 0));
    const level = share >= 0.999 ? "full" : share >= 0.8 ? "high" : "";
    return el("li", { "data-shelter": String(s.id), class: "clickable", title: "Show on the map 在地图上显示",
      onclick: () => handlers.onShelter(s) },
    el("div", { class: "grow" },
      el("div", { class: "row-head" }, el("strong", {}, s.name || `#${s.id}`),
        el("span", { class: "num" }, `${formatCount(s.assigned)} / ${formatCount(s.capacity)}`)),
      el("div", { class: `fill-bar ${level}`, title: `${Math.round(share * 100)}% used 已用` },
        el("span", { style: `width:${(share * 100).toFixed(1)}%` })),
      shortfallLine(s.needs)));
  }));
  const summary = full ? `${items.length} · ${full} full 已满` : items.length;
  return section("evac-shelters-section", "Shelters used 启用的避难场所", summary, true,
    items.length ? el("div", { class: "scroll-box" }, list) : el("p", { class: "hint" }, "None 无"));
}

function unassigned(plan, units, handlers) {
  const items = plan.unassigned || [];
  const people = items.reduce((sum, u) => sum + (Number(u.people) || 0), 0);
  const list = el("ul", { class: "impact-list evac-unassigned", id: "evac-unassigned" }, items.map((u) =>
    el("li", { "data-unit": String(u.unit_id), "data-reason": u.reason, class: "clickable",
      title: "Show on the map 在地图上显示", onclick: () => handlers.onUnit(u.unit_id) },
    el("span", { class: "sev-dot", style: "background:var(--severity-4)" }),
    el("div", { class: "grow" },
      el("div", { class: "row-head" }, el("strong", {}, unitName(units, u.unit_id)),
        el("span", { class: "num" }, `${formatCount(u.people)} 人`)),
      el("div", { class: "sub reason" }, REASONS[u.reason] || u.reason),
      el("div", { class: "sub detail" }, u.detail || "")))));
  return section("evac-unassigned-section", "Not placed 未安置", items.length ? `${items.length} · ${formatCount(people)} 人` : 0,
    true, items.length ? el("div", { class: "scroll-box" }, list) : el("p", { class: "hint" }, "Everyone placed 全部安置"));
}

function assignments(plan, units, handlers) {
  const items = plan.assignments || [];
  const tbody = el("tbody");
  const more = el("button", { type: "button", class: "link-button" });
  let sort = null; // { key, dir } or null for the plan's order
  let limit = FIRST_ROWS;
  const headers = {};

  const row = (a) => el("tr", { class: "clickable", "data-unit": String(a.unit_id), "data-shelter": String(a.shelter_id),
    title: `${formatKm(a.distance_m)} · show on the map 在地图上显示`, onclick: () => handlers.onRoute(a) },
  el("td", {}, el("div", {}, unitName(units, a.unit_id)),
    el("div", { class: "sub" }, `→ ${a.shelter_name || `#${a.shelter_id}`}`)),
  el("td", { class: "num" }, formatCount(a.people)),
  el("td", { class: "num minutes" }, formatMinutes(a.minutes)));

  function draw() {
    const rows = [...items];
    if (sort) rows.sort((a, b) => sort.dir * ((Number(a[sort.key]) || 0) - (Number(b[sort.key]) || 0)));
    tbody.replaceChildren(...rows.slice(0, limit).map(row));
    more.textContent = `Show all ${items.length} · 全部显示`;
    more.hidden = rows.length <= limit;
    for (const [key, th] of Object.entries(headers)) {
      th.setAttribute("aria-sort", sort && sort.key === key ? (sort.dir > 0 ? "ascending" : "descending") : "none");
    }
  }
  more.addEventListener("click", () => { limit = Infinity; draw(); });

  const sortable = (key, en, zh) => {
    const button = el("button", { type: "button", class: "sort", id: `evac-sort-${key}`,
      onclick: () => {
        sort = sort && sort.key === key ? { key, dir: -sort.dir } : { key, dir: 1 };
        draw();
      } }, en, el("br"), zh);
    headers[key] = el("th", { class: "num" }, button);
    return headers[key];
  };
  const table = el("table", { class: "impact-table evac-assignments", id: "evac-assignments" },
    el("thead", {}, el("tr", {}, el("th", {}, "Unit → shelter", el("br"), "居民点 → 场所"),
      sortable("people", "People", "人数"), sortable("minutes", "Minutes", "分钟"))),
    tbody);
  draw();
  return section("evac-assignments-section", "Assignments 安置分配", items.length, true,
    items.length ? el("div", {}, el("div", { class: "table-scroll scroll-box" }, table), more)
      : el("p", { class: "hint" }, "Nobody placed 无"));
}

function notes(plan) {
  const assumptions = plan.assumptions || [];
  return section("evac-assumptions", "Assumptions 假设", assumptions.length, false,
    el("ul", { class: "notes" }, assumptions.map((a) => el("li", {}, a))));
}

/** Replaces `container`'s content with the plan. `units` maps unit ids to {name};
 *  `handlers` {onRoute(assignment), onUnit(unitId), onShelter(shelter)} show them. */
export function renderPlan(container, plan, units, handlers) {
  const how = [ROUTING[plan.routing] || plan.routing, PROFILES[plan.profile] || plan.profile].filter(Boolean);
  container.replaceChildren(
    totals(plan),
    how.length ? el("p", { class: "footnote", id: "evac-routing" }, how.join(" · ")) : null,
    optimalityLine(plan),
    legend(),
    unassigned(plan, units, handlers),
    shelters(plan, handlers),
    assignments(plan, units, handlers),
    notes(plan));
}
