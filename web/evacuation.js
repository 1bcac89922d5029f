// The "Evacuation 转移安置" panel: takes the scenario of the who-is-affected panel, adds the
// routing options, runs POST /api/evacuation and shows the plan (evacuation-report.js)
// and, on the map (GeoJSON source "evacuation"), the routes coloured by minutes and as
// wide as the people on them, the shelters used filled as far as they fill, and the
// people who could not be placed in red. GeoJSON and CSV exports.
//
// For the browser test: after each run window.__lastEvacuationRequest is the body sent,
// window.__lastPlan the plan (null after an error, with window.__evacError the message)
// and window.__evacDone is true.

import { $, el, download, formatCount, getJSON, postJSON, SEVERITY, stamp } from "/dom.js";
import { currentScenario, impactGeoJSON } from "/impact.js";
import { formatKm, formatMinutes, MINUTE_STOPS, REASONS, renderPlan } from "/evacuation-report.js";
import { exportsOrWhy } from "/session.js";

const SOURCE = "evacuation";
const EMPTY = { type: "FeatureCollection", features: [] };
const NOT_PLACED = SEVERITY[SEVERITY.length - 1].color; // the red of the highest warning
const SHELTER = "#14532d"; // the atlas's shelter label colour
const ROLE = (role) => ["==", ["get", "role"], role];
const BY_ZOOM = (low, high) => ["interpolate", ["linear"], ["zoom"], 8, low, 14, high];

/** The plan's layers, above the impact results and below the labels. */
export const EVACUATION_LAYERS = [
  { id: "evacuation-route-casing", type: "line", filter: ROLE("route"),
    layout: { "line-join": "round", "line-cap": "round" },
    paint: { "line-color": "#ffffff", "line-opacity": 0.85,
      "line-width": ["+", 2, ["interpolate", ["linear"], ["get", "people"], 0, 2, 300, 3, 1000, 5, 3000, 8]] } },
  { id: "evacuation-route", type: "line", filter: ROLE("route"),
    layout: { "line-join": "round", "line-cap": "round" },
    paint: {
      "line-color": ["interpolate", ["linear"], ["get", "minutes"], ...MINUTE_STOPS.flat()],
      "line-width": ["interpolate", ["linear"], ["get", "people"], 0, 2, 300, 3, 1000, 5, 3000, 8],
    } },
  { id: "evacuation-shelter-ring", type: "circle", filter: ROLE("shelter"),
    paint: { "circle-radius": BY_ZOOM(7, 12), "circle-color": "#ffffff", "circle-opacity": 0.9,
      "circle-stroke-color": SHELTER, "circle-stroke-width": 2.5 } },
  { id: "evacuation-shelter-fill", type: "circle", filter: ROLE("shelter"),
    paint: { "circle-color": SHELTER,
      "circle-radius": BY_ZOOM(["*", 7, ["sqrt", ["get", "utilisation"]]], ["*", 12, ["sqrt", ["get", "utilisation"]]]) } },
  // People not placed: a red target, unlike any atlas point.
  { id: "evacuation-unassigned-halo", type: "circle", filter: ROLE("unassigned"),
    paint: { "circle-radius": BY_ZOOM(11, 16), "circle-opacity": 0,
      "circle-stroke-color": NOT_PLACED, "circle-stroke-width": 2.5 } },
  { id: "evacuation-unassigned", type: "circle", filter: ROLE("unassigned"),
    paint: { "circle-radius": BY_ZOOM(6, 9), "circle-color": NOT_PLACED,
      "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } },
];
const LAYER_IDS = EVACUATION_LAYERS.map((l) => l.id);
const POINT_RANK = { circle: 0, line: 1 };

function addLayers(map) {
  map.addSource(SOURCE, { type: "geojson", data: EMPTY });
  const firstLabel = map.getStyle().layers.find((l) => l.type === "symbol");
  for (const layer of EVACUATION_LAYERS) {
    map.addLayer({ ...layer, source: SOURCE, metadata: { "riskatlas:evacuation": true } }, firstLabel?.id);
  }
}

// --- positions and names of the units ------------------------------------------------------

/** A point for a unit's geometry: the point itself, or a polygon's area centroid. */
function representativePoint(geometry) {
  if (!geometry) return null;
  const c = geometry.coordinates;
  if (geometry.type === "Point") return c;
  if (geometry.type === "MultiPoint") return c[0] || null;
  const rings = geometry.type === "Polygon" ? [c[0]] : geometry.type === "MultiPolygon" ? c.map((p) => p[0]) : [];
  let best = null;
  for (const ring of rings) {
    let a = 0, x = 0, y = 0;
    for (let i = 0; i + 1 < ring.length; i += 1) {
      const [x0, y0] = ring[i];
      const [x1, y1] = ring[i + 1];
      const cross = x0 * y1 - x1 * y0;
      a += cross; x += (x0 + x1) * cross; y += (y0 + y1) * cross;
    }
    const point = a ? [x / (3 * a), y / (3 * a)] : ring[0];
    if (point && (!best || Math.abs(a) > best.area)) best = { area: Math.abs(a), point };
  }
  return best ? best.point : null;
}

/** unit id → {name, point}: names and places from the affected units of the impact
 *  GeoJSON, places preferably from where the routes start. */
function unitsOf(plan, impact) {
  const units = new Map();
  for (const f of (impact && impact.features) || []) {
    if (!f.properties || f.properties.role !== "unit") continue;
    const id = String(f.properties.id ?? f.id);
    units.set(id, { name: f.properties.name, point: representativePoint(f.geometry) });
  }
  for (const a of plan.assignments || []) {
    const start = a.route && a.route.coordinates && a.route.coordinates[0];
    const unit = units.get(String(a.unit_id)) || {};
    if (start) units.set(String(a.unit_id), { ...unit, point: start });
  }
  return units;
}

/** Fetches the units still without a place (or name) from the exposure layer, by the
 *  plan's unit_id, which is the feature's stable id. */
async function completeUnits(units, plan, exposure) {
  if (!exposure) return;
  const ids = [...new Set((plan.unassigned || []).map((u) => String(u.unit_id)))]
    .filter((id) => !(units.get(id) || {}).point).slice(0, 200);
  await Promise.all(ids.map(async (id) => {
    try {
      const f = await getJSON(`/api/layers/${encodeURIComponent(exposure)}/features/${encodeURIComponent(id)}`);
      units.set(id, { name: f.properties && f.properties.name, point: representativePoint(f.geometry) });
    } catch (error) {
      console.warn(`unit ${id} unavailable: ${error.message}`);
    }
  }));
}

/** shelter id → [lon, lat]: where the routes to it end, else from the shelter layer. */
async function shelterPlaces(plan, shelterLayer) {
  const places = new Map();
  for (const a of plan.assignments || []) {
    const c = a.route && a.route.coordinates;
    if (c && c.length) places.set(String(a.shelter_id), c[c.length - 1]);
  }
  const missing = (plan.shelters || []).map((s) => String(s.id)).filter((id) => !places.has(id));
  if (shelterLayer) {
    await Promise.all(missing.slice(0, 200).map((id) =>
      getJSON(`/api/layers/${encodeURIComponent(shelterLayer)}/features/${encodeURIComponent(id)}`)
        .then((f) => places.set(id, representativePoint(f.geometry)))
        .catch((error) => console.warn(`shelter ${id} unavailable: ${error.message}`))));
  }
  return places;
}

function planFeatures(plan, units, places) {
  const features = [];
  const feature = (geometry, properties) => features.push({ type: "Feature", geometry, properties });
  for (const a of plan.assignments || []) {
    if (!a.route || !a.route.coordinates || a.route.coordinates.length < 2) continue;
    feature(a.route, { role: "route", unit_id: String(a.unit_id), unit_name: (units.get(String(a.unit_id)) || {}).name,
      shelter_id: String(a.shelter_id), shelter_name: a.shelter_name, people: a.people,
      minutes: a.minutes, distance_m: a.distance_m });
  }
  for (const s of plan.shelters || []) {
    const at = places.get(String(s.id));
    if (!at) continue;
    feature({ type: "Point", coordinates: at }, { role: "shelter", shelter_id: String(s.id), shelter_name: s.name,
      capacity: s.capacity, assigned: s.assigned, utilisation: Math.max(0, Math.min(1, Number(s.utilisation) || 0)) });
  }
  for (const u of plan.unassigned || []) {
    const unit = units.get(String(u.unit_id)) || {};
    if (!unit.point) continue;
    feature({ type: "Point", coordinates: unit.point }, { role: "unassigned", unit_id: String(u.unit_id),
      unit_name: unit.name, people: u.people, reason: u.reason });
  }
  return { type: "FeatureCollection", features };
}

// --- popups (opened by app.js) ------------------------------------------------------------

/** The plan's features under a screen point, points before routes. */
export function evacuationFeaturesAt(map, point) {
  if (!map.getLayer(LAYER_IDS[0])) return [];
  const box = [[point.x - 4, point.y - 4], [point.x + 4, point.y + 4]];
  const layers = LAYER_IDS.filter((id) => id !== "evacuation-route-casing");
  return map.queryRenderedFeatures(box, { layers })
    .sort((a, b) => (POINT_RANK[a.layer.type] ?? 2) - (POINT_RANK[b.layer.type] ?? 2));
}

const rows = (pairs) => el("table", {}, el("tbody", {}, pairs.filter(([, v]) => v !== null).map(([k, v]) =>
  el("tr", {}, el("th", { scope: "row" }, k), el("td", {}, v)))));

/** Popup content for one feature of the plan. */
export function evacuationPopup(feature) {
  const p = feature.properties;
  const unit = p.unit_name || `#${p.unit_id}`;
  const shelter = p.shelter_name || `#${p.shelter_id}`;
  let title;
  let name;
  let table;
  if (p.role === "route") {
    title = "Evacuation route 转移路线";
    name = `${unit} → ${shelter}`;
    table = rows([["People 人数", formatCount(p.people)], ["Minutes 分钟", formatMinutes(p.minutes)],
      ["Distance 距离", formatKm(p.distance_m)], ["Unit 居民点", `${unit} (#${p.unit_id})`],
      ["Shelter 场所", `${shelter} (#${p.shelter_id})`]]);
  } else if (p.role === "shelter") {
    title = "Shelter used 启用场所";
    name = shelter;
    table = rows([["Assigned 安置", formatCount(p.assigned)], ["Capacity 容量", formatCount(p.capacity)],
      ["Used 使用率", `${Math.round(Number(p.utilisation) * 100)}%`]]);
  } else {
    title = "Not placed 未安置";
    name = unit;
    table = rows([["People 人数", formatCount(p.people)], ["Reason 原因", REASONS[p.reason] || p.reason]]);
  }
  return el("div", { class: "feature-popup evac-popup", "data-role": p.role, "data-unit": p.unit_id ?? null,
    "data-shelter": p.shelter_id ?? null }, el("h3", {}, title), el("p", { class: "feature-name" }, name), table);
}

// --- the panel ------------------------------------------------------------------------------

const option = (value, label, selected) => el("option", { value, selected }, label);

function numberField(id, label, attrs) {
  return el("label", {}, label, el("input", { type: "number", id, "aria-label": label, ...attrs }));
}

/** `padding()` gives the map padding that keeps fitted features clear of the side panel.
 *  Returns `{plan(scenario)}`, which plans any scenario through the panel and the map. */
export function initEvacuationPanel(map, catalogue, { padding = () => 40 } = {}) {
  const hasRoads = catalogue.layers.some((l) => l.kind === "road");
  const shelterLayer = (catalogue.layers.find((l) => l.kind === "shelter") || {}).id;
  const populationLayer = (catalogue.layers.find((l) => l.kind === "population") || {}).id;
  addLayers(map);

  const runButton = el("button", { type: "button", id: "evac-run", class: "primary", onclick: () => run() },
    "Plan evacuation 生成方案");
  const status = el("p", { id: "evac-status", class: "status", role: "status" });
  const results = el("div", { id: "evac-results" });
  const exportButtons = {
    geojson: el("button", { type: "button", id: "evac-export-geojson", disabled: true,
      title: "Download the routes 下载转移路线", onclick: () => exportAs("geojson") }, "GeoJSON ↓"),
    csv: el("button", { type: "button", id: "evac-export-csv", disabled: true,
      title: "Download one row per assignment and per unit not placed 下载安置分配表", onclick: () => exportAs("csv") }, "CSV ↓"),
  };

  $("analysis-panel").append(el("div", { id: "evac-panel", class: "impact evacuation" },
    el("h3", {}, "Evacuation 转移安置"),
    el("p", { class: "hint" }, "Plans the scenario above: who goes to which shelter. 按上方情景规划转移安置。"),
    el("div", { class: "impact-options evac-options" },
      el("label", {}, "Routing 路径", el("select", { id: "evac-routing", "aria-label": "Routing 路径" },
        // Road routing needs a road layer (the server refuses it without one).
        el("option", { value: "road", selected: hasRoads, disabled: !hasRoads }, "Road 道路"),
        option("straight_line", "Straight 直线", !hasRoads))),
      el("label", {}, "Profile 方式", el("select", { id: "evac-profile", "aria-label": "Profile 方式" },
        option("walk", "Walk 步行", true), option("drive", "Drive 车辆"))),
      numberField("evac-candidates", "Candidates 候选场所", { min: "1", max: "50", step: "1", value: "8",
        title: "Nearest usable shelters considered per unit 每个居民点考虑的最近场所数" }),
      numberField("evac-max-minutes", "Max minutes 最长用时", { min: "1", max: "1440", step: "5", value: "180",
        title: "Longest trip allowed, minutes 最长用时（分钟）" })),
    el("div", { class: "button-row run-row" }, runButton, status),
    exportsOrWhy(Object.values(exportButtons)),
    results));

  let lastRequest = null; // the body of the last good plan

  // A changed scenario makes the plan shown an old one.
  $("impact-panel")?.addEventListener("change", () => {
    if (!lastRequest || status.classList.contains("error")) return;
    status.textContent = "The scenario has changed: plan again 情景已更改，请重新生成";
  });

  function options() {
    const out = { routing: $("evac-routing").value, profile: $("evac-profile").value };
    // An empty field means the server's default; anything else goes as typed for it to check.
    for (const [key, id] of [["candidates", "evac-candidates"], ["max_minutes", "evac-max-minutes"]]) {
      const value = $(id).value.trim();
      if (value !== "") out[key] = Number(value);
    }
    return out;
  }

  async function run() {
    window.__evacDone = false;
    const { scenario, problem } = currentScenario();
    if (problem) return fail(null, problem);
    return plan(scenario);
  }

  /** Plans `scenario` (the impact panel's, or one handed over by the drill designer)
   *  with the options set here; resolves to the plan, or null after an error. */
  async function plan(scenario) {
    window.__evacDone = false;
    const request = { ...scenario, ...options() };
    window.__lastEvacuationRequest = request;
    runButton.disabled = true;
    Object.values(exportButtons).forEach((b) => { b.disabled = true; });
    status.classList.remove("error");
    status.textContent = "Planning… 规划中";
    results.classList.add("stale");
    map.getSource(SOURCE).setData(EMPTY);
    try {
      // The affected units give names and places; the impact panel may have them already.
      const known = impactGeoJSON(scenario);
      const [answer, impact] = await Promise.all([
        postJSON("/api/evacuation", request),
        known || postJSON("/api/impact?format=geojson", scenario).catch(() => null),
      ]);
      const units = unitsOf(answer, impact);
      // Named by none, the exposure is the first population layer (as on the server).
      const exposure = scenario.exposure || populationLayer;
      const [places] = await Promise.all([shelterPlaces(answer, shelterLayer), completeUnits(units, answer, exposure)]);
      map.getSource(SOURCE).setData(planFeatures(answer, units, places));
      renderPlan(results, answer, units, {
        onRoute: (a) => fit(a.route && a.route.coordinates),
        onUnit: (id) => fit([(units.get(String(id)) || {}).point]),
        onShelter: (s) => fit([places.get(String(s.id))]),
      });
      results.classList.remove("stale");
      Object.values(exportButtons).forEach((b) => { b.disabled = false; });
      status.textContent = "";
      lastRequest = request;
      window.__lastPlan = answer;
      window.__evacError = null;
      return answer;
    } catch (error) {
      lastRequest = null;
      fail(request, error.message);
      return null;
    } finally {
      runButton.disabled = false;
      window.__evacDone = true;
    }
  }

  function fail(request, message) {
    status.textContent = message;
    status.classList.add("error");
    results.replaceChildren();
    results.classList.remove("stale");
    window.__lastEvacuationRequest = request;
    window.__lastPlan = null;
    window.__evacError = message;
    window.__evacDone = true;
  }

  /** Shows these positions beside the side panel (a jump: flying there would request,
   *  and then cancel, the tiles of every zoom on the way). */
  function fit(coordinates) {
    const points = (coordinates || []).filter(Boolean);
    if (!points.length) return;
    const lons = points.map((p) => p[0]);
    const lats = points.map((p) => p[1]);
    map.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]],
      { padding: padding(), maxZoom: 14, animate: false });
  }

  async function exportAs(format) {
    if (!lastRequest) return;
    try {
      if (format === "csv") {
        const csv = await postJSON("/api/evacuation?format=csv", lastRequest, true);
        // Decoding the response as text dropped the server's byte-order mark: put it back.
        download(`evacuation-${stamp()}.csv`, "text/csv;charset=utf-8", `\ufeff${csv}`);
      } else {
        const geojson = await postJSON("/api/evacuation?format=geojson", lastRequest);
        download(`evacuation-${stamp()}.geojson`, "application/geo+json", JSON.stringify(geojson));
      }
    } catch (error) {
      status.textContent = `${format.toUpperCase()}: ${error.message}`;
      status.classList.add("error");
    }
  }

  return { plan };
}
