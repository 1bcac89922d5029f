// Small helpers shared by the page's modules: element building, JSON fetches, the
// national warning colours and number formatting. No framework, no build step.

/** The national warning colours; severity 1..4 everywhere. */
export const SEVERITY = [
  { label: "1 Blue 蓝色 (general)", short: "1 Blue 蓝", color: "#1e6fd9" },
  { label: "2 Yellow 黄色 (heavier)", short: "2 Yellow 黄", color: "#f2c200" },
  { label: "3 Orange 橙色 (serious)", short: "3 Orange 橙", color: "#f28500" },
  { label: "4 Red 红色 (most serious)", short: "4 Red 红", color: "#d7191c" },
];

/** The colour of a severity 1..4 (grey when unknown). */
export function severityColor(severity) {
  const entry = SEVERITY[Math.round(Number(severity)) - 1];
  return entry ? entry.color : "#888";
}

export const $ = (id) => document.getElementById(id);

/** `el("a", {href, class, style, onclick}, ...children)`; null children are skipped. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

export async function getJSON(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

/** A count for people: rounded, with thousands separators ("12,345"); "—" when absent. */
export function formatCount(value) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return "—";
  return Math.round(Number(value)).toLocaleString("en-US");
}
