// riskatlas web map: a MapLibre map of every atlas layer, a layer panel, a legend and a
// feature popup; the "who is affected" panel lives in impact.js, the evacuation panel in
// evacuation.js, the drill designer (planners and above) in drills.js, targeted warnings
// (planners and above) in warnings.js. Plain ES modules, no build step; everything is
// loaded from this server.
//
// What the page relies on (see the server's /style.json and /api/layers):
//  - every style layer drawn for an atlas layer carries metadata "riskatlas:layer" (the
//    atlas layer id), "riskatlas:kind" and "riskatlas:title";
//  - the first style layer of an atlas layer may carry "riskatlas:legend":
//    [{label, color}];
//  - MVT feature ids are the features' fids (positions), so a click fetches the full
//    feature from /api/layers/{id}/fid/{fid}; everything else names features by their
//    stable id at /api/layers/{id}/features/{feature id}.

import * as maplibregl from "/vendor/maplibre-gl.mjs";
import { $, el, fieldLabel, fieldUnit, getJSON, SEVERITY, valueLabel } from "/dom.js";
import { initImpactPanel } from "/impact.js";
import { anyDrawing } from "/draw.js";
import { evacuationFeaturesAt, evacuationPopup, initEvacuationPanel } from "/evacuation.js";
import { shelterForm } from "/edit.js";
import { initDrillsPanel } from "/drills.js";
import { initWarningsPanel } from "/warnings.js";
import { mayAct, signIn } from "/session.js";

// Chinese labels are drawn from the system's CJK fonts, so no CJK glyph PBFs are needed.
const LOCAL_CJK_FONTS = "'Noto Sans CJK SC', 'Noto Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";

const DEMO_ATTRIBUTION = "Synthetic demo data — not a real county";
const GEOMETRY_RANK = { circle: 0, symbol: 0, line: 1, fill: 2, "fill-extrusion": 2 };
/** Among points under a click, the kind a duty officer most likely means: a shelter
 *  before the drill record drawn over it, a hazard before the people it threatens. */
const KIND_RANK = { shelter: 0, landslide: 1, hazard: 1, facility: 2, depot: 3, team: 3,
  population: 4, road: 5, flood: 6, wildfire: 6, basemap: 7, admin: 8, drill: 9 };

function setStatus(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

const meta = (styleLayer, key) => (styleLayer.metadata || {})[`riskatlas:${key}`];

/** Style layers grouped by the atlas layer they draw, in style order. */
function styleLayersByAtlasLayer(map) {
  const groups = new Map();
  for (const styleLayer of map.getStyle().layers) {
    const id = meta(styleLayer, "layer");
    if (!id) continue;
    if (!groups.has(id)) groups.set(id, []);
    groups.get(id).push(styleLayer);
  }
  return groups;
}

// --- layer panel ---------------------------------------------------------------------------

function buildLayerPanel(map, catalogue, groups) {
  const list = $("layer-list");
  list.replaceChildren();
  for (const layer of catalogue.layers) {
    const styleLayers = groups.get(layer.id) || [];
    const visible = styleLayers.some(
      (l) => (map.getLayoutProperty(l.id, "visibility") ?? "visible") !== "none");
    const checkbox = el("input", {
      type: "checkbox",
      id: `toggle-${layer.id}`,
      "data-layer": layer.id,
      onchange: (event) => {
        const value = event.target.checked ? "visible" : "none";
        for (const l of styleLayers) map.setLayoutProperty(l.id, "visibility", value);
      },
    });
    checkbox.checked = visible;
    checkbox.disabled = styleLayers.length === 0;
    const title = layer.rejected
      ? `${layer.kind}, ${layer.geometry}; ${layer.rejected} feature(s) rejected at import`
      : `${layer.kind}, ${layer.geometry}`;
    list.append(el("li", { title },
      el("label", { for: checkbox.id },
        checkbox,
        el("span", { class: "swatch", style: `background:${layerColor(map, styleLayers)}` }),
        el("span", { class: "layer-name" }, layer.name || layer.id),
        el("span", { class: "count" }, Number(layer.count ?? 0).toLocaleString()))));
  }
}

/** A swatch for a layer: its literal paint colours (several for data-driven styles). */
function layerColor(map, styleLayers) {
  const colours = [];
  for (const l of styleLayers) {
    const prop = { fill: "fill-color", line: "line-color", circle: "circle-color", symbol: "text-color" }[l.type];
    const value = prop && map.getPaintProperty(l.id, prop);
    const literals = [value].flat(Infinity).filter((v) => typeof v === "string" && /^(#|rgb|hsl)/.test(v));
    for (const c of literals) if (!colours.includes(c)) colours.push(c);
    if (colours.length) break;
  }
  if (colours.length === 0) return "#888";
  if (colours.length === 1) return colours[0];
  return `linear-gradient(90deg, ${colours.slice(0, 5).join(", ")})`;
}

// --- legend --------------------------------------------------------------------------------

function legendBlock(title, items) {
  return el("div", { class: "legend-block" },
    el("h3", {}, title),
    el("ul", {}, items.map((item) =>
      el("li", {},
        el("span", { class: "swatch", style: `background:${item.color}` }),
        el("span", {}, item.label)))));
}

function buildLegend(catalogue, groups) {
  const body = $("legend-body");
  body.replaceChildren(legendBlock("Warning level 预警等级 (severity)", SEVERITY));
  for (const layer of catalogue.layers) {
    const styleLayers = groups.get(layer.id) || [];
    const items = styleLayers.map((l) => meta(l, "legend")).find(Array.isArray);
    if (items && items.length) body.append(legendBlock(layer.name || layer.id, items));
  }
}

// --- popup ---------------------------------------------------------------------------------

function formatValue(key, value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  if (typeof value === "boolean") return value ? "是 yes" : "否 no";
  if (typeof value === "number") {
    const unit = fieldUnit(key);
    return `${value.toLocaleString()}${unit ? ` ${unit}` : ""}`;
  }
  return String(valueLabel(key, value));
}

/** Attributes with their labels (the raw key stays as the row's tooltip). */
function attributeTable(properties) {
  const rows = Object.entries(properties).map(([key, value]) =>
    el("tr", { "data-key": key },
      el("th", { scope: "row", title: key }, fieldLabel(key)),
      el("td", {}, formatValue(key, value))));
  return el("table", { class: "attributes" }, el("tbody", {}, rows));
}

function featureTitle(properties, fallback) {
  return properties.name ?? properties.title ?? fallback;
}

/** Features under the click, one per (layer, fid): points before lines before polygons,
 *  then by kind (KIND_RANK), then nearest the click first. */
function hitsAt(map, point) {
  const box = [[point.x - 4, point.y - 4], [point.x + 4, point.y + 4]];
  const seen = new Set();
  const hits = [];
  for (const feature of map.queryRenderedFeatures(box)) {
    const layerId = meta(feature.layer, "layer");
    if (!layerId) continue;
    const key = `${layerId}/${feature.id ?? JSON.stringify(feature.properties)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const kind = meta(feature.layer, "kind");
    hits.push({ layerId, feature, rank: GEOMETRY_RANK[feature.layer.type] ?? 3,
      kindRank: KIND_RANK[kind] ?? 10, distance: pixelDistance(map, point, feature) });
  }
  return hits.sort((a, b) => a.rank - b.rank || a.kindRank - b.kindRank || a.distance - b.distance);
}

/** Pixels from the click to a point feature (0 for lines and polygons). */
function pixelDistance(map, point, feature) {
  if (feature.geometry?.type !== "Point") return 0;
  const at = map.project(feature.geometry.coordinates);
  return Math.hypot(at.x - point.x, at.y - point.y);
}

/** A cluster of a generalised low zoom: how many features it stands for and their sums. */
function clusterPopup(layerName, feature) {
  const { count, ...sums } = feature.properties;
  return el("div", { class: "feature-popup cluster-popup", "data-count": String(count) },
    el("h3", {}, layerName),
    el("p", { class: "feature-name" }, `此处 ${Number(count).toLocaleString()} 个要素 features here`),
    attributeTable(sums),
    el("p", { class: "hint" }, "合计；放大查看每个要素 Totals for the cluster; zoom in to see each feature."));
}

function showFeature(popup, ctx, hits, index) {
  const { layerId, feature } = hits[index];
  const layerName = ctx.layerNames.get(layerId) || layerId;
  if (String(feature.sourceLayer || feature.layer["source-layer"] || "").endsWith(":clusters")) {
    popup.setDOMContent(clusterPopup(layerName, feature));
    return;
  }
  const tableHolder = el("div", {}, attributeTable(feature.properties));
  const others = hits.filter((_, i) => i !== index).slice(0, 6).map((hit) => {
    const i = hits.indexOf(hit);
    const label = `${featureTitle(hit.feature.properties, "?")} · ${ctx.layerNames.get(hit.layerId) || hit.layerId}`;
    return el("li", {}, el("a", { href: "#", onclick: (e) => { e.preventDefault(); showFeature(popup, ctx, hits, i); } }, label));
  });
  const content = el("div", { class: "feature-popup", "data-layer": layerId, "data-fid": String(feature.id ?? "") },
    el("h3", {}, layerName),
    // The tile's number is a position, not the feature's id: the title waits for the id.
    el("p", { class: "feature-name" }, featureTitle(feature.properties, "")),
    tableHolder,
    sheetLinks(ctx, layerId, feature.properties),
    others.length ? el("div", { class: "also-here" }, el("h4", {}, "此处还有 Also here"), el("ul", {}, others)) : null);
  popup.setDOMContent(content);

  // The tile carries the attributes; the API has the authoritative, complete record. A
  // tile numbers features by position (fid), not by their stable id.
  if (feature.id === undefined || feature.id === null) return;
  if (document.body.dataset.mode === "pack") return; // a map pack has the tile's attributes only
  const url = `/api/layers/${encodeURIComponent(layerId)}/fid/${encodeURIComponent(feature.id)}`;
  getJSON(url).then((full) => {
    if (!content.isConnected || !full || !full.properties) return;
    const merged = { ...feature.properties, ...full.properties };
    tableHolder.replaceChildren(attributeTable(merged));
    content.querySelector(".feature-name").textContent = featureTitle(merged, `#${full.id}`);
    if (ctx.layerKinds.get(layerId) === "shelter" && mayAct("editor")) {
      content.append(shelterForm(layerId, full, () => ctx.redraw()));
    }
    content.classList.add("enriched");
  }).catch((error) => console.warn(`feature details unavailable: ${error.message}`));
}

/** An admin unit's printed map sheets (GET /sheets/{code}.pdf), A4 and A3; none in a
 *  map pack, which has no server to print them. */
function sheetLinks(ctx, layerId, properties) {
  if (ctx.layerKinds.get(layerId) !== "admin" || !properties.code) return null;
  if (document.body.dataset.mode === "pack") return null;
  const href = (paper) => `/sheets/${encodeURIComponent(properties.code)}.pdf?paper=${paper}`;
  return el("p", { class: "sheet-links" }, "打印图幅 Print map sheet (PDF): ",
    el("a", { class: "sheet-link", href: href("A4"), target: "_blank", rel: "noopener" }, "A4"), " · ",
    el("a", { class: "sheet-link", href: href("A3"), target: "_blank", rel: "noopener" }, "A3"));
}

/** Opens the popup on the side of the click with the most room, so it never has to
 *  jump when the full record arrives and the table grows (its height is capped in CSS). */
function popupAnchor(map, point) {
  const { clientWidth: w, clientHeight: h } = map.getContainer();
  const vertical = point.y > h / 2 ? "bottom" : "top";
  const horizontal = point.x < w / 4 ? "-left" : point.x > (3 * w) / 4 ? "-right" : "";
  return vertical + horizontal;
}

function enablePopups(map, ctx) {
  let popup = null;
  map.on("click", (event) => {
    if (popup) popup.remove();
    popup = null;
    if (anyDrawing()) return; // clicks add corners of the drawn area instead
    // The evacuation plan's routes, shelters and people not placed come first.
    const [planned] = evacuationFeaturesAt(map, event.point);
    const hits = planned ? [] : hitsAt(map, event.point);
    if (!planned && !hits.length) return;
    popup = new maplibregl.Popup({ maxWidth: "360px", anchor: popupAnchor(map, event.point) });
    popup.setLngLat(event.lngLat);
    if (planned) popup.setDOMContent(evacuationPopup(planned));
    else showFeature(popup, ctx, hits, 0);
    popup.addTo(map);
  });
  map.on("mousemove", (event) => {
    if (anyDrawing()) return; // the drawing tool owns the cursor
    const over = evacuationFeaturesAt(map, event.point).length || hitsAt(map, event.point).length;
    map.getCanvas().style.cursor = over ? "pointer" : "";
  });
}

// --- start-up ------------------------------------------------------------------------------

/** Signals the browser test once atlas features have actually been drawn. */
function signalFirstRender(map) {
  const onIdle = () => {
    const drawn = map.queryRenderedFeatures().some((f) => meta(f.layer, "layer"));
    if (!drawn) return;
    map.off("idle", onIdle);
    window.__mapIdle = true;
    setStatus("");
  };
  map.on("idle", onIdle);
}

/** Keeps the fitted atlas clear of the side panel (which floats over the map). */
function mapPadding() {
  const sidebar = $("sidebar");
  const beside = window.innerWidth > 640 && sidebar;
  return { top: 40, right: 60, bottom: 50, left: beside ? sidebar.offsetWidth + 30 : 40 };
}

/** The panel's fold button: folded from the start on a phone-sized screen. */
function initPanelToggle() {
  const sidebar = $("sidebar");
  const button = $("sidebar-toggle");
  const fold = (folded) => {
    sidebar.classList.toggle("collapsed", folded);
    button.setAttribute("aria-expanded", String(!folded));
    button.textContent = folded ? "展开 Show panel" : "收起 Hide panel";
  };
  fold(window.matchMedia("(max-width: 640px)").matches);
  button.addEventListener("click", () => fold(!sidebar.classList.contains("collapsed")));
}

async function main() {
  initPanelToggle();
  try {
    await signIn();
  } catch (error) {
    setStatus(`Could not sign in: ${error.message}`, true);
    throw error;
  }
  let catalogue;
  try {
    catalogue = await getJSON("/api/layers");
  } catch (error) {
    setStatus(`Could not load the layer catalogue: ${error.message}`, true);
    throw error;
  }
  document.title = `${catalogue.name || "riskatlas"} · riskatlas`;
  $("atlas-name").textContent = catalogue.name || "riskatlas";
  $("attribution").textContent = catalogue.attribution && catalogue.attribution.trim()
    ? catalogue.attribution : DEMO_ATTRIBUTION;

  const [w, s, e, n] = catalogue.bbox || [-180, -85, 180, 85];
  const map = new maplibregl.Map({
    container: "map",
    style: new URL("/style.json", window.location.href).href,
    bounds: [[w, s], [e, n]],
    fitBoundsOptions: { padding: mapPadding() },
    localIdeographFontFamily: LOCAL_CJK_FONTS,
    attributionControl: false,
    maxPitch: 0,
  });
  window.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  map.on("error", (event) => {
    const message = event.error ? event.error.message : String(event);
    console.error(`map error: ${message}`);
    setStatus(`Map error: ${message}`, true);
  });

  const ctx = {
    layerNames: new Map(catalogue.layers.map((l) => [l.id, l.name || l.id])),
    layerKinds: new Map(catalogue.layers.map((l) => [l.id, l.kind])),
    // After an edit: the atlas's tiles again (the server's cache has moved on).
    redraw: () => {
      for (const [id, source] of Object.entries(map.getStyle().sources)) {
        if (source.tiles) map.getSource(id).setTiles(source.tiles);
      }
    },
  };
  signalFirstRender(map);
  map.once("load", () => {
    const groups = styleLayersByAtlasLayer(map);
    buildLayerPanel(map, catalogue, groups);
    buildLegend(catalogue, groups);
    enablePopups(map, ctx);
    const impact = initImpactPanel(map, catalogue);
    const evacuation = initEvacuationPanel(map, catalogue, { padding: mapPadding });
    // The server refuses drill ranking below a planner: a viewer is not offered it.
    if (mayAct("planner")) initDrillsPanel(map, { impact, evacuation, padding: mapPadding });
    // A warning's audience is its call tree of duty contacts: a planner's, as drills are.
    if (mayAct("planner")) initWarningsPanel(map, catalogue);
    setStatus("Rendering…");
  });
}

main();
