// The drill designer "Drills 演练" (planners and above; the server refuses the rest): a
// panel beside the map that ranks candidate drills with POST /api/drills. The answer is
// read as newline-delimited JSON, so a progress bar follows the run ("n / m candidates")
// and Cancel aborts the request, which stops the run on the server too. Then the ranked
// table: a row clicked runs its scenario through the who-is-affected and evacuation
// panels (hazard, affected villages and routes on the map); two rows ticked compare
// (POST /api/compare); each row links to its printable card (/cards/drill); and a drill
// held is recorded below (drill-record.js).
//
// For the browser test: window.__drillProgress holds the counts of the last run,
// window.__drillRanking its answer (null after an error or a cancel, with
// window.__drillError the message) and window.__drillsDone is true once it has ended;
// window.__drillShown is the row last shown on the map once window.__drillShowDone;
// window.__drillCompare is the last comparison.

import { $, el, formatCount, postJSON, postStreaming, toggleSidePanel } from "/dom.js";
import { formatMinutes, REASONS } from "/evacuation-report.js";
import { impactGeoJSON } from "/impact.js";
import { recordForm } from "/drill-record.js";

const NDJSON = "application/x-ndjson";

/** The ranking's weights, in the order the server's metrics go. */
const WEIGHTS = [
  ["people", "People 受影响人口"],
  ["vulnerable", "Vulnerable 老幼病残"],
  ["facilities", "Facilities 重点场所"],
  ["unplaced", "Not placed 无法安置"],
  ["clearance_minutes", "Clearance 撤离用时"],
  ["mean_minutes", "Mean trip 平均用时"],
  ["supply_shortfall", "Supplies short 物资缺口"],
  ["years_since_drill", "Years since drill 距上次演练"],
];

/** The comparison's totals, each {a, b} in the answer. */
const COMPARED = [
  ["people", "People affected 受影响人口", formatCount],
  ["vulnerable", "Vulnerable 老幼病残", formatCount],
  ["evacuees", "Evacuees 需转移", formatCount],
  ["placed", "Placed 已安置", formatCount],
  ["not_placed", "Not placed 未安置", formatCount],
  ["clearance_minutes", "Clearance min 撤离用时", formatMinutes],
  ["mean_minutes", "Mean min 平均用时", formatMinutes],
  ["shelters_used", "Shelters used 启用场所", formatCount],
];

/** Calls `onLine(value)` for each line of a newline-delimited JSON body as it arrives. */
async function readLines(response, onLine) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop();
    for (const line of lines) if (line.trim()) onLine(JSON.parse(line));
  }
  pending += decoder.decode();
  if (pending.trim()) onLine(JSON.parse(pending));
}

/** The [west, south, east, north] of the hazards in an impact GeoJSON, or null. */
function hazardBounds(geojson) {
  const xs = [];
  const ys = [];
  const walk = (c) => {
    if (typeof c[0] === "number") { xs.push(c[0]); ys.push(c[1]); } else c.forEach(walk);
  };
  for (const f of (geojson && geojson.features) || []) {
    if (f.properties && f.properties.role === "hazard" && f.geometry) walk(f.geometry.coordinates);
  }
  return xs.length ? [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)] : null;
}

/** The printable card's address for a ranked row, with the ranking's reasons. */
export function cardURL(row) {
  return `/cards/drill?id=${encodeURIComponent(row.id)}` +
    `&request=${encodeURIComponent(JSON.stringify(row.scenario))}` +
    `&why=${encodeURIComponent(JSON.stringify(row.why || []))}`;
}

/** Builds the panel into #drills-panel and shows its button; `impact` and `evacuation`
 *  are the panels' handles ({show}, {plan}), `padding()` the side panel's map padding. */
export function initDrillsPanel(map, { impact, evacuation, padding }) {
  const panel = $("drills-panel");
  const opener = $("drills-open");
  const weightInputs = new Map(WEIGHTS.map(([name, label]) => [name, el("input", {
    type: "number", id: `drill-weight-${name}`, min: "0", step: "0.5", placeholder: "默认 default",
    "aria-label": label,
  })]));
  const runButton = el("button", { type: "button", id: "drills-run", class: "primary", onclick: () => run() },
    "Rank drills 排序");
  const cancelButton = el("button", { type: "button", id: "drills-cancel", disabled: true,
    onclick: () => controller && controller.abort() }, "Cancel 取消");
  const bar = el("progress", { id: "drills-progress", value: "0", max: "1" });
  const count = el("span", { id: "drills-count", class: "count" });
  const status = el("p", { id: "drills-status", class: "status", role: "status" });
  const results = el("div", { id: "drills-results" });
  const compareButton = el("button", { type: "button", id: "drills-compare", disabled: true,
    onclick: () => compare() }, "Compare 对比");
  const compared = el("div", { id: "drills-compared" });
  const record = recordForm();

  panel.replaceChildren(
    el("div", { class: "row-head" },
      el("h2", {}, "Drills 演练设计"),
      el("button", { type: "button", class: "link-button", "aria-label": "Close 关闭",
        onclick: () => toggle(false) }, "×")),
    el("p", { class: "hint" }, "Ranks candidate drills per township: what is most worth rehearsing. " +
      "按乡镇排序候选演练情景。Click a row to show it on the map 点击一行在地图上显示。"),
    el("fieldset", { class: "drill-weights" }, el("legend", {}, "Weights 权重"),
      WEIGHTS.map(([name, label]) => el("label", {}, label, weightInputs.get(name)))),
    el("div", { class: "button-row run-row" }, runButton, cancelButton),
    el("div", { class: "drill-progress" }, bar, count),
    status,
    results,
    // Each row's scenario carries `within`, its township: shown, compared or printed,
    // it runs on what the ranking measured.
    el("p", { class: "hint" }, "A row's figures, map, comparison and card are all for its township. " +
      "每行的指标、地图、对比和演练卡均按本乡镇计算。"),
    el("div", { class: "button-row" }, compareButton,
      el("span", { class: "hint" }, "Tick two rows 勾选两行")),
    compared,
    record.form);
  opener.hidden = false;
  opener.addEventListener("click", () => toggle(panel.hidden));

  let controller = null; // the running request's, while it runs
  let ranking = null;

  function toggle(open) {
    toggleSidePanel(panel, opener, open);
  }

  /** The body: the weights filled in (the server fills the rest with its defaults). */
  function request() {
    const weights = {};
    for (const [name, input] of weightInputs) {
      if (input.value.trim() !== "") weights[name] = Number(input.value);
    }
    return Object.keys(weights).length ? { weights } : {};
  }

  function showCount({ done, total }) {
    window.__drillProgress.push({ done, total });
    bar.max = Math.max(total, 1);
    bar.value = done;
    count.textContent = `${formatCount(done)} / ${formatCount(total)} candidates 候选情景`;
  }

  async function run() {
    window.__drillsDone = false;
    window.__drillProgress = [];
    controller = new AbortController();
    runButton.disabled = true;
    cancelButton.disabled = false;
    bar.removeAttribute("value"); // indeterminate until the first count
    count.textContent = "";
    status.classList.remove("error");
    status.textContent = "Running… 运行中";
    results.classList.add("stale");
    let answer = null;
    let refused = null;
    try {
      const response = await postStreaming("/api/drills", request(), { accept: NDJSON, signal: controller.signal });
      await readLines(response, (line) => {
        if (line.progress) showCount(line.progress);
        else if (line.result) answer = line.result;
        else if (line.error) refused = line.error.message;
      });
      if (refused) throw new Error(refused);
      if (!answer) throw new Error("The answer ended before the ranking 排序结果未返回");
      showRanking(answer);
    } catch (error) {
      const cancelled = error.name === "AbortError";
      fail(cancelled ? "Cancelled 已取消" : error.message, cancelled);
    } finally {
      controller = null;
      runButton.disabled = false;
      cancelButton.disabled = true;
      window.__drillsDone = true;
    }
  }

  function fail(message, cancelled = false) {
    ranking = null;
    status.textContent = message;
    status.classList.toggle("error", !cancelled);
    status.classList.toggle("cancelled", cancelled);
    if (cancelled) {
      if (!bar.hasAttribute("value")) bar.value = 0;
      count.textContent = count.textContent ? `${count.textContent} — cancelled 已取消` : "Cancelled 已取消";
    }
    results.replaceChildren();
    results.classList.remove("stale");
    compareButton.disabled = true;
    window.__drillRanking = null;
    window.__drillError = message;
  }

  function showRanking(answer) {
    ranking = answer;
    for (const [name, input] of weightInputs) input.value = answer.weights[name];
    status.classList.remove("error", "cancelled");
    status.textContent = `${formatCount(answer.candidates_run)} candidates in ${formatCount(answer.townships)} ` +
      `townships, ${formatCount(answer.no_one_affected)} affecting no one; ${answer.ranking}. ` +
      `${formatCount(answer.candidates_run)} 个候选情景，${formatCount(answer.no_one_affected)} 个无人受影响。`;
    results.replaceChildren(rankingTable(answer.scenarios));
    results.classList.remove("stale");
    compared.replaceChildren();
    updateCompare();
    window.__drillRanking = answer;
    window.__drillError = null;
  }

  function rankingTable(rows) {
    const head = ["", "#", "Drill 演练 · why 原因", "Score 得分", "People 受影响", "Not placed 无法安置",
      "Clearance min 撤离用时", ""];
    return el("div", { class: "table-scroll scroll-box drill-scroll" }, el("table", { class: "impact-table drill-table" },
      el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows.map((row) => rankingRow(row)))));
  }

  function rankingRow(row) {
    const m = row.metrics;
    const tick = el("input", { type: "checkbox", class: "drill-pick", "aria-label": `Compare ${row.title}`,
      onchange: () => updateCompare() });
    const tr = el("tr", { class: "clickable", "data-id": row.id, "data-rank": String(row.rank),
      title: "Show on the map 在地图上显示" },
      el("td", {}, tick),
      el("td", { class: "num" }, String(row.rank)),
      el("th", { scope: "row" }, el("span", { class: "admin-name" }, row.title),
        el("div", { class: "sub" }, `${row.township.name} · ${row.kind}`),
        el("div", { class: "why" }, (row.why || []).join("; "))),
      el("td", { class: "num score" }, Number(row.score).toFixed(3)),
      el("td", { class: "num" }, formatCount(m.people)),
      el("td", { class: "num" }, formatCount(m.unplaced)),
      el("td", { class: "num" }, formatMinutes(m.clearance_minutes)),
      el("td", {}, el("a", { href: cardURL(row), target: "_blank", rel: "noopener", class: "drill-card" },
        "Card 卡片")));
    tr.drill = row;
    tr.addEventListener("click", (event) => {
      if (event.target.closest("input, a")) return; // ticking or opening the card
      show(row, tr);
    });
    return tr;
  }

  /** Runs a row's scenario through the who-is-affected and evacuation panels. */
  async function show(row, tr) {
    window.__drillShowDone = false;
    for (const other of results.querySelectorAll("tr.selected")) other.classList.remove("selected");
    tr.classList.add("selected");
    status.classList.remove("error");
    status.textContent = `Showing ${row.title} on the map… 正在显示`;
    const report = await impact.show(row.scenario);
    fitHazard(row.scenario);
    const plan = report && (await evacuation.plan(row.scenario));
    record.use(row, report);
    if (report && plan) {
      status.textContent = `${row.title} (${row.township.name}) on the map 已在地图上显示; details in the side panel 详见左侧`;
    } else {
      status.textContent = `${row.title}: see the side panel for what went wrong 详见左侧面板`;
      status.classList.add("error");
    }
    window.__drillShown = row;
    window.__drillShowDone = true;
  }

  /** Shows the hazards of the scenario just run, clear of both panels. */
  function fitHazard(scenario) {
    const bounds = hazardBounds(impactGeoJSON(scenario));
    if (!bounds) return;
    const right = panel.hidden ? 60 : panel.offsetWidth + 70;
    map.fitBounds([[bounds[0], bounds[1]], [bounds[2], bounds[3]]],
      { padding: { ...padding(), right }, maxZoom: 14, animate: false });
  }

  function picked() {
    return [...results.querySelectorAll("tr")].filter((tr) => tr.querySelector(".drill-pick:checked"))
      .map((tr) => tr.drill);
  }

  function updateCompare() {
    compareButton.disabled = picked().length !== 2;
  }

  async function compare() {
    const [a, b] = picked();
    if (!a || !b) return;
    compareButton.disabled = true;
    compared.replaceChildren(el("p", { class: "status" }, "Comparing… 对比中"));
    try {
      const answer = await postJSON("/api/compare", { a: a.scenario, b: b.scenario });
      compared.replaceChildren(comparisonTable(answer.totals, a, b));
      window.__drillCompare = { a: a.id, b: b.id, totals: answer.totals };
    } catch (error) {
      compared.replaceChildren(el("p", { class: "status error", role: "alert" }, error.message));
      window.__drillCompare = { error: error.message };
    } finally {
      updateCompare();
    }
  }
}

/** The totals of a comparison side by side: A and B, each a ranked row. */
function comparisonTable(totals, a, b) {
  const rows = COMPARED.filter(([key]) => totals[key]).map(([key, label, format]) =>
    [label, format(totals[key].a), format(totals[key].b)]);
  for (const [reason, sides] of Object.entries(totals.not_placed_by_reason || {})) {
    rows.push([`· ${REASONS[reason] || reason}`, formatCount(sides.a), formatCount(sides.b)]);
  }
  const side = (letter, row) => el("th", { scope: "col", class: "num", title: row.id },
    `${letter} · #${row.rank}`, el("div", { class: "sub" }, `${row.title}, ${row.township.name}`));
  return el("table", { class: "impact-table drill-compare" },
    el("thead", {}, el("tr", {}, el("th", {}, "Totals 合计"), side("A", a), side("B", b))),
    el("tbody", {}, rows.map(([label, va, vb]) => el("tr", { class: va === vb ? null : "changed" },
      el("th", { scope: "row" }, label), el("td", { class: "num" }, va), el("td", { class: "num" }, vb)))));
}
