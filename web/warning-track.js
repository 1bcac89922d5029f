// Tracking an issued warning (call and respond), inside the warnings panel: its admin
// units on the map coloured by the state of their duty officer's call
// (GET /api/warnings/{id}?format=geojson, source "warning-state"), a legend of the
// states, the counts and the time to full acknowledgement, and the silent list — who is
// still silent, most urgent first, as the server orders it — each with "Answered 已应答"
// to record an answer (POST /api/warnings/{id}/acks). Editors may cancel the warning.
//
// The map layer is read every few seconds. The full state, which names every contact,
// is read again only when the map shows a change, on demand, or once a minute (so that
// escalations of calls the map does not colour still show): each read of it goes into
// the server's access audit, and a page left open should not write one every 5 s.
//
// For the browser test: window.__warningState is the state shown (window.__warningTrackError
// the last error), window.__warningStates counts the states shown.

import { el, formatCount, getJSON, sendJSON, CALL_STATES, SEVERITY } from "/dom.js";
import { mayAct } from "/session.js";

const SOURCE = "warning-state";
const EMPTY = { type: "FeatureCollection", features: [] };
const MAP_EVERY_MS = 5_000;
const STATE_AT_LEAST_EVERY_MS = 60_000;
const LEVELS = ["blue", "yellow", "orange", "red"];
const MEANS = [
  ["phone", "电话 phone"], ["sms", "短信 sms"], ["radio", "对讲 radio"], ["in_person", "当面 in person"],
  ["app", "应用 app"], ["loudspeaker", "广播 loudspeaker"], ["other", "其他 other"],
];
const STATE_WORDS = Object.fromEntries(CALL_STATES.map((s) => [s.state, s.label]));
const STATE_COLOR = Object.fromEntries(CALL_STATES.map((s) => [s.state, s.color]));

/** A county is drawn as an outline, a township lightly and a village fully, so that the
 *  finest unit's colour shows where units nest. */
const BY_LEVEL = (county, township, other) =>
  ["match", ["get", "level"], "county", county, "township", township, other];

function addLayers(map) {
  map.addSource(SOURCE, { type: "geojson", data: EMPTY });
  const firstLabel = map.getStyle().layers.find((l) => l.type === "symbol");
  map.addLayer({
    id: `${SOURCE}-fill`, type: "fill", source: SOURCE,
    layout: { "fill-sort-key": BY_LEVEL(0, 1, 2) },
    paint: { "fill-color": ["get", "colour"], "fill-opacity": BY_LEVEL(0, 0.3, 0.6) },
  }, firstLabel?.id);
  map.addLayer({
    id: `${SOURCE}-line`, type: "line", source: SOURCE,
    paint: { "line-color": ["get", "colour"], "line-width": BY_LEVEL(3, 2, 0.8) },
  }, firstLabel?.id);
}

/** What the map shows, in a few characters: a change means the state has moved. */
const fingerprint = (geojson) =>
  JSON.stringify(geojson.features.map((f) => [f.id, f.properties.state, f.properties.answered]));

/** "14:05" in local time, or "—". */
function clock(time) {
  if (!time) return "—";
  const d = new Date(time);
  return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

const chip = (state) => el("span", { class: "state-chip", style: `background:${STATE_COLOR[state] || "#969696"}` },
  STATE_WORDS[state] || state);

/** Builds the tracking view into `container`; `onState(state)` hears of each state
 *  shown. `{open(id, state?), close()}`. */
export function initTracking(map, container, onState) {
  addLayers(map);
  let id = null;
  let state = null;
  let timer = null;
  let lastPrint = null;
  let lastFull = 0;
  const status = el("p", { id: "warning-track-status", class: "status", role: "status" });
  const body = el("div", { id: "warning-track-body" });
  container.replaceChildren(status, body);
  container.hidden = true;

  async function open(warningId, known = null) {
    close();
    id = warningId;
    container.hidden = false;
    window.__warningStates = 0;
    if (known) show(known);
    await resume();
  }

  /** Stops reading while the panel is closed, and takes the layer off the map: a map
   *  that no longer refreshes must not pass for the live state. */
  function pause() {
    if (timer) clearInterval(timer);
    timer = null;
    setVisible(false);
  }

  async function resume() {
    if (!id) return;
    setVisible(true);
    await refresh(true);
    // Keeps trying after a failed read; a warning no longer active changes no more.
    if (!timer && (!state || state.status === "active")) timer = setInterval(() => refresh(false), MAP_EVERY_MS);
  }

  function setVisible(on) {
    for (const layer of [`${SOURCE}-fill`, `${SOURCE}-line`]) {
      map.setLayoutProperty(layer, "visibility", on ? "visible" : "none");
    }
  }

  function close() {
    if (timer) clearInterval(timer);
    timer = null;
    id = null;
    state = null;
    lastPrint = null;
    map.getSource(SOURCE)?.setData(EMPTY);
    container.hidden = true;
  }

  /** Reads the map layer, and the full state when asked or when the map has moved on. */
  async function refresh(full) {
    const asked = id;
    if (!asked) return;
    try {
      const geojson = await getJSON(`/api/warnings/${encodeURIComponent(asked)}?format=geojson`);
      if (asked !== id) return; // another warning was opened meanwhile
      map.getSource(SOURCE).setData(geojson);
      const print = fingerprint(geojson);
      if (full || print !== lastPrint || Date.now() - lastFull > STATE_AT_LEAST_EVERY_MS) {
        const fresh = await getJSON(`/api/warnings/${encodeURIComponent(asked)}`);
        if (asked !== id) return;
        lastFull = Date.now();
        show(fresh);
      }
      lastPrint = print;
      status.classList.remove("error");
      window.__warningTrackError = null;
    } catch (error) {
      status.textContent = error.message;
      status.classList.add("error");
      window.__warningTrackError = error.message;
    }
  }

  function show(fresh) {
    state = fresh;
    if (fresh.status !== "active" && timer) {
      // A cancelled or superseded warning changes no more: one last read, then rest.
      clearInterval(timer);
      timer = null;
    }
    const tasks = new Map(fresh.tasks.map((t) => [t.id, t]));
    const typing = openAnswers();
    body.replaceChildren(
      heading(fresh),
      counts(fresh),
      legend(),
      actions(fresh),
      silentList(fresh, tasks));
    reopenAnswers(typing, tasks);
    status.textContent = `更新于 as of ${clock(fresh.at)}`;
    onState(fresh);
    window.__warningState = fresh;
    window.__warningStates = (window.__warningStates || 0) + 1;
  }

  function heading(s) {
    const level = SEVERITY[LEVELS.indexOf(s.warning.level)] || SEVERITY[0];
    return el("div", { class: "warning-heading" },
      el("span", { class: "level-badge", style: `background:${level.color};color:${level.ink}` },
        `${level.name_zh} ${level.name}`),
      el("strong", {}, s.warning.headline),
      el("div", { class: "sub" }, `${s.id} · ${s.warning.hazard_type} · 发布 issued ${clock(s.issued_at)} ` +
        `by ${s.issued_by} · ${s.status}`));
  }

  function counts(s) {
    const answered = s.counts.answered || 0;
    const minutes = s.minutes_to_full_acknowledgement;
    return el("div", { class: "warning-counts" },
      el("p", { class: "big-number", id: "warning-answered" },
        `${formatCount(answered)} / ${formatCount(s.tasks_total)}`,
        el("span", { class: "label" }, " answered 已应答")),
      el("ul", { class: "chips" }, CALL_STATES.filter((c) => s.counts[c.state]).map((c) =>
        el("li", { id: `warning-count-${c.state}`, "data-count": String(s.counts[c.state]) },
          chip(c.state), ` ${formatCount(s.counts[c.state])}`))),
      el("p", { class: "hint", id: "warning-full-ack" }, minutes === null || minutes === undefined
        ? "尚未全部应答 Not yet fully acknowledged"
        : `全部应答用时 Fully acknowledged in ${minutes} min`));
  }

  function legend() {
    return el("ul", { class: "warning-legend", "aria-label": "Call states 呼叫状态" },
      CALL_STATES.map((c) => el("li", {}, el("span", { class: "swatch", style: `background:${c.color}` }), c.label)));
  }

  function actions(s) {
    const sheet = el("a", { id: "warning-sheet-link", href: `/cards/calls?warning=${encodeURIComponent(s.id)}`,
      target: "_blank", rel: "noopener" }, "Call sheets 呼叫单");
    const refreshButton = el("button", { type: "button", id: "warning-refresh", onclick: () => refresh(true) },
      "Refresh 刷新");
    const row = el("div", { class: "button-row" }, refreshButton, sheet);
    if (mayAct("editor") && s.status === "active") row.append(cancelControl(s));
    return row;
  }

  /** Cancel asks once more, inline, with an optional reason. */
  function cancelControl(s) {
    const reason = el("input", { id: "warning-cancel-reason", placeholder: "原因 reason (optional)", hidden: true });
    const confirm = el("button", { type: "button", id: "warning-cancel-confirm", class: "danger", hidden: true,
      onclick: async () => {
        confirm.disabled = true;
        try {
          const text = reason.value.trim();
          show(await sendJSON("POST", `/api/warnings/${encodeURIComponent(s.id)}/cancel`, text ? { reason: text } : {}));
          await refresh(false);
        } catch (error) {
          status.textContent = error.message;
          status.classList.add("error");
          confirm.disabled = false;
        }
      } }, "Confirm cancel 确认撤销");
    const start = el("button", { type: "button", id: "warning-cancel", onclick: () => {
      start.hidden = true;
      reason.hidden = false;
      confirm.hidden = false;
      reason.focus();
    } }, "Cancel warning 撤销预警");
    return el("span", { class: "cancel-control" }, start, reason, confirm);
  }

  function escalatedTo(s, tasks) {
    if (!s.escalated_to) return "—";
    if (s.escalated_to === "duty desk") return "值班室 duty desk";
    const up = tasks.get(s.escalated_to);
    return up ? `${up.about} ${up.name}` : s.escalated_to;
  }

  function silentList(s, tasks) {
    const rows = s.silent.map((taskId) => tasks.get(taskId)).filter(Boolean);
    const head = ["Name 姓名", "Unit 单位", "State 状态", ""];
    return el("section", { class: "warning-silent" },
      el("h3", {}, `Silent 未应答 `, el("span", { class: "count", id: "warning-silent-count" }, formatCount(rows.length))),
      rows.length === 0 ? el("p", { class: "hint" }, "Everyone has answered 全部已应答") :
        el("div", { class: "table-scroll scroll-box" }, el("table", { class: "impact-table", id: "warning-silent" },
          el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, rows.map((t) => silentRow(t, tasks))))));
  }

  function silentRow(t, tasks) {
    const phone = /\d/.test(t.phone) && !t.phone.includes("*")
      ? el("a", { href: `tel:${t.phone.replace(/[^\d+]/g, "")}` }, t.phone) : t.phone;
    const tr = el("tr", { "data-task": t.id },
      el("th", { scope: "row" }, t.name, el("div", { class: "sub" }, phone)),
      el("td", {}, t.about, el("div", { class: "sub" }, t.role)),
      el("td", {}, chip(t.state),
        t.due && t.state === "waiting" ? el("div", { class: "sub" }, `due 截止 ${clock(t.due)}`) : null,
        t.escalated_to ? el("div", { class: "sub escalated" }, `→ ${escalatedTo(t, tasks)}`) : null),
      el("td", {}, el("button", { type: "button", class: "warning-answered", onclick: () => answerForm(tr, t) },
        "Answered 已应答")));
    return tr;
  }

  /** The answers being written: a refresh redraws the list, and must not lose them. */
  function openAnswers() {
    return [...body.querySelectorAll("tr.answer-row")].map((row) => ({
      task: row.dataset.answering,
      means: row.querySelector(".answer-means").value,
      note: row.querySelector(".answer-note").value,
    }));
  }

  function reopenAnswers(typing, tasks) {
    for (const { task, means, note } of typing) {
      const tr = body.querySelector(`tr[data-task="${CSS.escape(task)}"]`);
      if (!tr || !tasks.has(task)) continue; // answered meanwhile: nothing left to write
      const form = answerForm(tr, tasks.get(task));
      form.querySelector(".answer-means").value = means;
      form.querySelector(".answer-note").value = note;
    }
  }

  /** The answer's means and note, in a row under the call; recorded on "Record 记录". */
  function answerForm(tr, t) {
    const open = tr.nextElementSibling;
    if (open?.classList.contains("answer-row")) return open;
    const means = el("select", { class: "answer-means", "aria-label": "Means 方式" },
      MEANS.map(([value, label]) => el("option", { value }, label)));
    const note = el("input", { class: "answer-note", placeholder: "备注 note", maxlength: "1000" });
    const message = el("span", { class: "status", role: "alert" });
    const form = el("tr", { class: "answer-row", "data-answering": t.id }, el("td", { colspan: "4" },
      el("div", { class: "button-row" }, means, note,
        el("button", { type: "button", class: "primary", onclick: () => record() }, "Record 记录"),
        el("button", { type: "button", class: "link-button", "aria-label": "Close 关闭",
          onclick: () => form.remove() }, "×"),
        message)));
    tr.after(form);
    note.focus();
    return form;

    async function record() {
      message.textContent = "";
      const answer = { task_id: t.id, means: means.value };
      if (note.value.trim()) answer.note = note.value.trim();
      try {
        show(await sendJSON("POST", `/api/warnings/${encodeURIComponent(state.id)}/acks`, answer));
        await refresh(false);
      } catch (error) {
        message.textContent = error.message;
        message.classList.add("error");
      }
    }
  }

  return { open, pause, resume };
}
