// The "who is affected 受灾影响" panel: pick hazard layers (flood return period, fire
// danger level, landslide buffer) and/or draw an area, choose day or night, grouping and
// days of needs, run POST /api/impact, and show the report, the hazard areas and the
// affected units on the map (GeoJSON source "impact"), with GeoJSON/CSV/print exports.
//
// For the browser test: after each run window.__lastScenario is the scenario sent,
// window.__lastImpact the report (null after an error, with window.__impactError the
// message) and window.__impactDone is true.
//
// currentScenario() hands the scenario the form describes to the evacuation panel;
// initImpactPanel() returns {show(scenario)}, which runs a scenario from elsewhere (the
// drill designer's) through the same report and map.

import { $, el, download, postJSON, SEVERITY, stamp } from "/dom.js";
import { PolygonDrawer } from "/draw.js";
import { renderReport } from "/impact-report.js";
import { exportsOrWhy } from "/session.js";

const HAZARD_KINDS = ["flood", "landslide", "wildfire", "hazard"];
const RETURN_PERIODS = [10, 20, 50, 100];
const DEFAULT_RETURN_PERIOD = 50;
const DANGER_LEVELS = [1, 2, 3, 4, 5];
const DEFAULT_DANGER_LEVEL = 4;
const DRAWN_NAME = "Drawn area 绘制区域";
const NO_HAZARD = "Pick a hazard layer or draw an area first 请先选择灾害图层或绘制区域";
const SOURCE = "impact";
const EMPTY = { type: "FeatureCollection", features: [] };

let drawer = null;
let form = null; // { hazardLayers, catalogue } once the panel is built
let last = null; // { scenario, report, geojson } of the last good run

/** The scenario the impact panel describes now, for other analyses (the evacuation
 *  panel): `{scenario}`, or `{problem}` saying why there is none. Finishes an area
 *  being drawn, as Run does. */
export function currentScenario() {
  if (!form) return { problem: "The map is still loading 地图加载中" };
  if (drawer.drawing) {
    const problem = drawer.finish();
    if (problem) return { problem };
  }
  const scenario = scenarioFromForm(form.hazardLayers, form.catalogue);
  if (!scenario.hazards.length) return { problem: NO_HAZARD };
  return { scenario };
}

/** The GeoJSON (hazard areas, affected units) of the last run when it ran `scenario`. */
export function impactGeoJSON(scenario) {
  return last && JSON.stringify(last.scenario) === JSON.stringify(scenario) ? last.geojson : null;
}

/** The scenario of the report shown now (its last good run), or null: what the warning
 *  panel offers as the area of a warning. */
export const shownScenario = () => (last ? last.scenario : null);

const option = (value, label, selected) => el("option", { value: String(value), selected }, label);

function select(id, title, options) {
  return el("select", { id, title, "aria-label": title }, options);
}

/** One row of the hazard picker: a checkbox and the layer's own parameter. */
function hazardRow(layer) {
  const box = el("input", { type: "checkbox", id: `impact-hazard-${layer.id}`, "data-layer": layer.id });
  let param = null;
  if (layer.kind === "flood") {
    param = select(`impact-rp-${layer.id}`, "Return period 重现期",
      RETURN_PERIODS.map((n) => option(n, `≤ ${n} yr 年`, n === DEFAULT_RETURN_PERIOD)));
  } else if (layer.kind === "wildfire") {
    param = select(`impact-danger-${layer.id}`, "Least danger level 最低火险等级",
      DANGER_LEVELS.map((n) => option(n, `≥ level ${n} 级`, n === DEFAULT_DANGER_LEVEL)));
  } else if (layer.kind === "landslide") {
    param = el("input", {
      type: "number", id: `impact-buffer-${layer.id}`, min: "0", max: "50000", step: "10",
      placeholder: "auto 自动", title: "Buffer in metres (empty: each point's threat radius) 缓冲半径（米）",
      "aria-label": "Buffer in metres",
    });
  }
  // Choosing a parameter picks the layer (clearing the buffer does not).
  if (param) param.addEventListener("change", () => { if (param.value !== "") box.checked = true; });
  const unit = layer.kind === "landslide" ? el("span", { class: "unit" }, "m") : null;
  return el("div", { class: "hazard-row", title: `${layer.kind} layer "${layer.id}"` },
    el("label", { for: box.id }, box, el("span", {}, layer.name || layer.id)),
    param ? el("span", { class: "param" }, param, unit) : null);
}

/** The scenario the form describes (without running anything). */
function scenarioFromForm(hazardLayers, catalogue) {
  const hazards = [];
  for (const layer of hazardLayers) {
    if (!$(`impact-hazard-${layer.id}`).checked) continue;
    const hazard = { layer: layer.id };
    if (layer.kind === "flood") {
      hazard.where = { return_period_years: { lte: Number($(`impact-rp-${layer.id}`).value) } };
    } else if (layer.kind === "wildfire") {
      hazard.where = { danger_level: { gte: Number($(`impact-danger-${layer.id}`).value) } };
    } else if (layer.kind === "landslide") {
      const buffer = $(`impact-buffer-${layer.id}`).value.trim();
      if (buffer !== "") hazard.buffer_m = Number(buffer);
    }
    hazards.push(hazard);
  }
  if (drawer.polygon) {
    hazards.push({
      geometry: drawer.polygon,
      severity: Number($("impact-draw-severity").value),
      name: DRAWN_NAME,
    });
  }
  const scenario = { hazards };
  const exposure = catalogue.layers.find((l) => l.kind === "population");
  if (exposure) scenario.exposure = exposure.id;
  scenario.group_by = $("impact-group-by").value;
  scenario.period = $("impact-period").value;
  // An empty field means the default; anything else goes as typed for the server to check.
  const days = $("impact-days").value.trim();
  scenario.days = days === "" ? 3 : Number(days);
  return scenario;
}

/** POSTs a scenario; throws with the server's `{"error"}` message on a 4xx/5xx. */
function post(scenario, format) {
  const url = format ? `/api/impact?format=${format}` : "/api/impact";
  return postJSON(url, scenario, format === "csv");
}

// --- map ------------------------------------------------------------------------------------

// `severity` of a hazard feature is the one the analysis used, derived or defaulted where
// the data had none (detail.severity_from says which), so a hazard is drawn in the colour
// it was counted at; grey only for a feature that somehow has none.
const SEVERITY_COLOR = ["match", ["coalesce", ["get", "severity"], 0],
  ...SEVERITY.flatMap((s) => [s.severity, s.color]), "#888888"];
/** A drawn area starts at the highest level (red) until the user picks another. */
const DRAWN_SEVERITY = SEVERITY.length;
const IS_POLYGON = ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]];
const IS_POINT = ["in", ["geometry-type"], ["literal", ["Point", "MultiPoint"]]];
const ROLE = (role) => ["==", ["get", "role"], role];
// Affected units in deep purple and hollow, dashed where they are areas: the severity
// colours and filled dots belong to hazards, so neither hue nor shape is shared
// (a red ring read as a severity-4 dot).
const AFFECTED = "#5b1a8f";

/** The result layers: above every atlas layer except the labels, which stay readable. */
export const IMPACT_LAYERS = [
  { id: "impact-hazard-fill", type: "fill", filter: ["all", ROLE("hazard"), IS_POLYGON],
    paint: { "fill-color": SEVERITY_COLOR, "fill-opacity": 0.22 } },
  { id: "impact-hazard-line", type: "line", filter: ["all", ROLE("hazard"), IS_POLYGON],
    paint: { "line-color": SEVERITY_COLOR, "line-width": 1.5, "line-opacity": 0.9 } },
  { id: "impact-unit-fill", type: "fill", filter: ["all", ROLE("unit"), IS_POLYGON],
    paint: { "fill-color": AFFECTED, "fill-opacity": 0.12 } },
  { id: "impact-unit-line", type: "line", filter: ["all", ROLE("unit"), IS_POLYGON],
    paint: { "line-color": AFFECTED, "line-width": 2.5, "line-dasharray": [2, 1] } },
  { id: "impact-unit-circle", type: "circle", filter: ["all", ROLE("unit"), IS_POINT],
    paint: {
      "circle-radius": ["interpolate", ["linear"], ["zoom"], 8, 5, 14, 10],
      "circle-color": AFFECTED, "circle-opacity": 0,
      "circle-stroke-color": AFFECTED, "circle-stroke-width": 3,
    } },
];

function addResultLayers(map) {
  map.addSource(SOURCE, { type: "geojson", data: EMPTY });
  const firstLabel = map.getStyle().layers.find((l) => l.type === "symbol");
  for (const layer of IMPACT_LAYERS) {
    map.addLayer({ ...layer, source: SOURCE, metadata: { "riskatlas:impact": true } }, firstLabel?.id);
  }
}

// --- the panel ------------------------------------------------------------------------------

/** Builds the panel; `{show(scenario)}` runs any scenario through it. */
export function initImpactPanel(map, catalogue) {
  const hazardLayers = catalogue.layers.filter((l) => HAZARD_KINDS.includes(l.kind));
  form = { hazardLayers, catalogue };
  const panel = $("analysis-panel");
  panel.querySelector(".hint")?.remove();

  addResultLayers(map);
  const drawn = SEVERITY[DRAWN_SEVERITY - 1];
  drawer = new PolygonDrawer(map, () => updateDrawControls(), drawn.color);

  const severitySelect = select("impact-draw-severity", "Severity of the drawn area 绘制区域等级",
    SEVERITY.map((s) => option(s.severity, s.short, s === drawn)));
  severitySelect.addEventListener("change", () =>
    drawer.setColor(SEVERITY[Number(severitySelect.value) - 1].color));
  const drawButton = el("button", { type: "button", id: "impact-draw", onclick: () => drawer.start() }, "Draw area 绘制");
  const finishButton = el("button", {
    type: "button", id: "impact-draw-finish",
    onclick: () => { const problem = drawer.finish(); if (problem) drawHint.textContent = problem; },
  }, "Finish 完成");
  const clearButton = el("button", { type: "button", id: "impact-draw-clear", onclick: () => drawer.clear() }, "Clear 清除");
  const drawHint = el("p", { class: "hint", id: "impact-draw-hint" });

  function updateDrawControls() {
    const drawing = drawer.drawing;
    const done = Boolean(drawer.polygon);
    drawButton.disabled = drawing;
    drawButton.textContent = done ? "Redraw 重绘" : "Draw area 绘制";
    finishButton.disabled = !drawing;
    clearButton.disabled = !drawing && !done;
    drawButton.classList.toggle("active", drawing);
    if (drawing) {
      const n = drawer.corners.length;
      drawHint.textContent = `Click the map to add corners (${n}); double-click or Finish to close, Esc to cancel. ` +
        "单击地图添加顶点，双击或点“完成”闭合。";
    } else if (done) {
      drawHint.textContent = `Area with ${drawer.polygon.coordinates[0].length - 1} corners 已绘制区域`;
    } else {
      drawHint.textContent = "Optional: an area of your own 可选：自绘区域";
    }
  }

  const runButton = el("button", { type: "button", id: "impact-run", class: "primary", onclick: () => run() }, "Run 分析");
  const status = el("p", { id: "impact-status", class: "status", role: "status" });
  const results = el("div", { id: "impact-results" });
  const exportButtons = {
    geojson: el("button", { type: "button", id: "impact-export-geojson", disabled: true,
      title: "Download the hazard areas and affected units 下载灾害范围与受影响单元", onclick: () => exportGeoJSON() }, "GeoJSON ↓"),
    csv: el("button", { type: "button", id: "impact-export-csv", disabled: true,
      title: "Download one row per admin unit 下载分区统计表", onclick: () => exportCSV() }, "CSV ↓"),
    print: el("button", { type: "button", id: "impact-print", disabled: true,
      title: "Printable report in a new tab 打印报告", onclick: () => printReport() }, "Print report 打印报告"),
  };

  panel.append(el("div", { id: "impact-panel", class: "impact" },
    el("h3", {}, "Who is affected 受灾影响"),
    el("fieldset", { class: "impact-hazards" },
      el("legend", {}, "Hazards 灾害"),
      hazardLayers.length ? hazardLayers.map(hazardRow)
        : el("p", { class: "hint" }, "No hazard layers in this atlas 无灾害图层")),
    el("fieldset", { class: "impact-draw" },
      el("legend", {}, "Drawn area 绘制区域"),
      el("div", { class: "button-row" }, drawButton, finishButton, clearButton),
      el("label", { class: "inline" }, "Severity 等级 ", severitySelect),
      drawHint),
    el("div", { class: "impact-options" },
      el("label", {}, "Period 时段", select("impact-period", "Period 时段",
        [option("day", "Day 白天", true), option("night", "Night 夜间")])),
      el("label", {}, "Group by 汇总", select("impact-group-by", "Group by 汇总",
        [option("township", "Township 乡镇", true), option("village", "Village 村")])),
      el("label", {}, "Days 天数", el("input", {
        type: "number", id: "impact-days", min: "1", max: "365", step: "1", value: "3", "aria-label": "Days 天数",
      }))),
    el("div", { class: "button-row run-row" }, runButton, status),
    exportsOrWhy(Object.values(exportButtons)),
    results));
  updateDrawControls();

  async function run() {
    window.__impactDone = false;
    if (drawer.drawing) {
      const problem = drawer.finish();
      if (problem) return fail(null, problem);
    }
    const scenario = scenarioFromForm(hazardLayers, catalogue);
    if (!scenario.hazards.length) return fail(null, NO_HAZARD);
    return show(scenario);
  }

  /** Runs `scenario` (the form's, or one handed over by the drill designer) and shows
   *  the report and the map; resolves to the report, or null after an error. */
  async function show(scenario) {
    window.__impactDone = false;
    runButton.disabled = true;
    Object.values(exportButtons).forEach((b) => { b.disabled = true; });
    status.classList.remove("error");
    status.textContent = "Running… 分析中";
    results.classList.add("stale");
    map.getSource(SOURCE).setData(EMPTY);
    try {
      const [report, geojson] = await Promise.all([post(scenario), post(scenario, "geojson")]);
      last = { scenario, report, geojson };
      map.getSource(SOURCE).setData(geojson);
      renderReport(results, report);
      results.classList.remove("stale");
      Object.values(exportButtons).forEach((b) => { b.disabled = false; });
      status.textContent = "";
      window.__lastScenario = scenario;
      window.__lastImpact = report;
      window.__impactError = null;
      return report;
    } catch (error) {
      last = null;
      fail(scenario, error.message);
      return null;
    } finally {
      runButton.disabled = false;
      window.__impactDone = true;
    }
  }

  function fail(scenario, message) {
    status.textContent = message;
    status.classList.add("error");
    results.replaceChildren();
    results.classList.remove("stale");
    window.__lastScenario = scenario;
    window.__lastImpact = null;
    window.__impactError = message;
    window.__impactDone = true;
  }

  function exportGeoJSON() {
    if (!last) return;
    download(`impact-${stamp()}.geojson`, "application/geo+json", JSON.stringify(last.geojson));
  }

  async function exportCSV() {
    if (!last) return;
    try {
      const csv = await post(last.scenario, "csv");
      // The byte-order mark lets spreadsheet programs read the Chinese names as UTF-8.
      // The server sends one, but decoding the response as text drops it: put it back.
      download(`impact-${stamp()}.csv`, "text/csv;charset=utf-8", `\ufeff${csv}`);
    } catch (error) {
      status.textContent = `CSV: ${error.message}`;
      status.classList.add("error");
    }
  }

  function printReport() {
    if (!last) return;
    const url = `/report/impact?scenario=${encodeURIComponent(JSON.stringify(last.scenario))}`;
    window.open(url, "_blank", "noopener");
  }

  return { show };
}
