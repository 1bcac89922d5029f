// Small helpers shared by the page's modules: element building, JSON fetches and posts,
// downloads, the national warning colours and number formatting. No framework, no build step.

const PALETTE = await loadPalette();

/** The national warning colours, severity 1..4 in order: [{severity, color, ink, name,
 *  name_zh, grade, grade_zh, label, short}]. The server defines them once
 *  (GET /api/palette); the page waits for them before anything draws. They are also set
 *  as the CSS variables --severity-1 .. --severity-4 for app.css. */
export const SEVERITY = PALETTE.severity;

/** How an issued warning's calls stand, as the tracking map colours them, from the same
 *  palette: [{state, color, label}], answered first. */
export const CALL_STATES = PALETTE.call_states;

/** What attribute names and coded values read as, Chinese first and English beside
 *  (GET /api/labels, the table the printed cards use too). Without it keys show raw. */
const LABELS = await getJSON("/api/labels").catch((error) => {
  console.warn(`labels unavailable: ${error.message}`);
  return { fields: {}, values: {} };
});

/** `capacity_night` → "夜间容量 Night capacity" (the key itself when unknown). */
export function fieldLabel(key) {
  const label = LABELS.fields[key];
  return label ? `${label.zh} ${label.en}` : key;
}

/** The unit a field counts in ("kg", "人"), or "". */
export function fieldUnit(key) {
  return LABELS.fields[key]?.unit || "";
}

/** `shelter_type` = `school_yard` → "学校操场 school yard" (the value itself when unknown). */
export function valueLabel(key, value) {
  const label = typeof value === "string" ? LABELS.values[key]?.[value] : null;
  return label ? `${label.zh} ${label.en}` : value;
}

async function loadPalette() {
  try {
    const palette = await getJSON("/api/palette");
    for (const level of palette.severity) {
      document.documentElement.style.setProperty(`--severity-${level.severity}`, level.color);
    }
    return palette;
  } catch (error) {
    const status = document.getElementById("status");
    if (status) {
      status.textContent = `Could not load the warning colours: ${error.message}`;
      status.classList.add("error");
    }
    throw error;
  }
}

/** The colour of a severity 1..4 (grey when unknown). */
export function severityColor(severity) {
  const entry = SEVERITY[Math.round(Number(severity)) - 1];
  return entry ? entry.color : "#888";
}

export const $ = (id) => document.getElementById(id);

/** Opens or closes a side panel beside the map (`aside.side-panel`) and marks its
 *  button; opening one closes the others, since they share the same place. A panel
 *  closed that way hears of it as a "side-panel-closed" event. */
export function toggleSidePanel(panel, opener, open) {
  if (open) {
    for (const other of document.querySelectorAll("aside.side-panel")) {
      if (other === panel || other.hidden) continue;
      other.hidden = true;
      document.querySelector(`[aria-controls="${other.id}"]`)?.classList.remove("active");
      other.dispatchEvent(new Event("side-panel-closed"));
    }
  }
  panel.hidden = !open;
  opener.classList.toggle("active", open);
}

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

// The signed-in session's CSRF token (see session.js): every request that changes
// anything sends it, since the session cookie alone proves nothing for those.
let csrfToken = null;

/** Remembers the session's CSRF token for the requests below. */
export function setCsrf(token) {
  csrfToken = token || null;
}

function jsonHeaders() {
  const headers = { "content-type": "application/json" };
  if (csrfToken) headers["x-csrf-token"] = csrfToken;
  return headers;
}

/** Throws with the server's `{"error"}` message when `response` is a 4xx/5xx. */
async function ensureOk(response) {
  if (response.ok) return;
  let message = `HTTP ${response.status}`;
  try {
    const answer = await response.json();
    if (answer && answer.error) message = answer.error;
  } catch { /* not JSON: keep the status */ }
  throw new Error(message);
}

/** GETs `url` as JSON. Throws with the server's `{"error"}` message on a 4xx/5xx, or with
 *  the URL and the status when the answer says nothing. */
export async function getJSON(url) {
  const response = await fetch(url);
  if (!response.ok) {
    const answer = await response.json().catch(() => null);
    throw new Error(answer && answer.error ? answer.error : `${url}: HTTP ${response.status}`);
  }
  return response.json();
}

/** A count for people: rounded, with thousands separators ("12,345"); "—" when absent. */
export function formatCount(value) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return "—";
  return Math.round(Number(value)).toLocaleString("en-US");
}

/** POSTs `body` as JSON to `url`; the parsed JSON answer, or its text when `asText`.
 *  Throws with the server's `{"error"}` message on a 4xx/5xx. */
export async function postJSON(url, body, asText = false) {
  const response = await fetch(url, {
    method: "POST",
    headers: jsonHeaders(),
    body: JSON.stringify(body),
  });
  await ensureOk(response);
  return asText ? response.text() : response.json();
}

/** POSTs `body` as JSON asking for the media type `accept`, and hands back the response
 *  unread, for an answer read as it streams; `signal` (an AbortController's) aborts it.
 *  Throws with the server's `{"error"}` message on a 4xx/5xx, as postJSON does. */
export async function postStreaming(url, body, { accept, signal } = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { ...jsonHeaders(), accept },
    body: JSON.stringify(body),
    signal,
  });
  await ensureOk(response);
  return response;
}

/** Sends `body` as JSON with `method` (PATCH, DELETE); the parsed JSON answer. */
export async function sendJSON(method, url, body) {
  const response = await fetch(url, {
    method,
    headers: jsonHeaders(),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await ensureOk(response);
  return response.status === 204 ? null : response.json();
}

/** Saves `text` as a file called `name` through the browser's download. */
export function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el("a", { href: url, download: name, style: "display:none" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The local time as "20250131-0942", for file names. */
export function stamp() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}`;
}
