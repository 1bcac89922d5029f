// Targeted warnings "Warnings 预警" (planners and above; the server refuses the rest): a
// panel beside the map to compose a warning — its area drawn on the map, picked as
// townships, or the impact scenario shown in the side panel — with its level, hazard,
// headline, instruction, onset and expiry. "Audience 受众" previews POST /api/warnings:
// the totals, the admin units reached, the facilities, the shelters to open and the call
// tree, with contacts as the server gives them. "Issue 发布" (editors) issues it and
// tracks it (warning-track.js); the warnings issued are listed to reopen one.
//
// For the browser test: window.__warningBody is the last body sent,
// window.__warningAudience its audience (null after an error, with window.__warningError
// the message) once window.__warningPreviewDone; window.__warningIssued the last issue's
// answer once window.__warningIssueDone.

import { $, el, formatCount, getJSON, postJSON, SEVERITY, toggleSidePanel } from "/dom.js";
import { PolygonDrawer } from "/draw.js";
import { shownScenario } from "/impact.js";
import { mayAct } from "/session.js";
import { initTracking } from "/warning-track.js";

/** The API's level names, severity 1 (blue) to 4 (red). */
const LEVELS = ["blue", "yellow", "orange", "red"];
const HAZARD_TYPES = ["flood", "flash_flood", "landslide", "debris_flow", "wildfire", "earthquake", "storm"];
const AREA_MODES = [
  ["draw", "Draw on the map 地图绘制"],
  ["townships", "Townships 乡镇"],
  ["scenario", "Impact scenario shown 当前影响分析"],
];
const TOTALS = [
  ["people", "People 人口"], ["households", "Households 户数"], ["elderly", "Elderly 老人"],
  ["children", "Children 儿童"], ["disabled", "Disabled 残疾人"],
];

/** A `datetime-local` value as RFC 3339 with this browser's offset ("…T14:00:00+08:00"). */
function withOffset(local) {
  if (!local) return null;
  const minutes = -new Date(local).getTimezoneOffset();
  const sign = minutes >= 0 ? "+" : "-";
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  const seconds = local.length === 16 ? ":00" : "";
  return `${local}${seconds}${sign}${pad(minutes / 60)}:${pad(minutes % 60)}`;
}

const labelled = (label, control) => el("label", {}, label, control);

/** Builds the panel into #warnings-panel and shows its button. */
export function initWarningsPanel(map, catalogue) {
  const panel = $("warnings-panel");
  const opener = $("warnings-open");
  const red = SEVERITY[SEVERITY.length - 1];
  const drawer = new PolygonDrawer(map, () => updateDraw(), red.color, "warning-draw");

  const mode = el("select", { id: "warning-area-mode", "aria-label": "Area 区域", onchange: () => updateArea() },
    AREA_MODES.map(([value, label]) => el("option", { value }, label)));
  const drawButton = el("button", { type: "button", id: "warning-draw", onclick: () => drawer.start() }, "Draw 绘制");
  const finishButton = el("button", { type: "button", id: "warning-draw-finish", onclick: () => finishDrawing() },
    "Finish 完成");
  const clearButton = el("button", { type: "button", id: "warning-draw-clear", onclick: () => drawer.clear() },
    "Clear 清除");
  const drawHint = el("p", { class: "hint", id: "warning-draw-hint" });
  const townships = el("select", { id: "warning-townships", multiple: true, size: "6",
    "aria-label": "Townships 乡镇" });
  const scenarioHint = el("p", { class: "hint", id: "warning-scenario-hint" });
  const areaBlocks = {
    draw: el("div", {}, el("div", { class: "button-row" }, drawButton, finishButton, clearButton), drawHint),
    townships: el("div", {}, townships, el("p", { class: "hint" }, "Ctrl/⌘-click for several 按住 Ctrl 多选")),
    scenario: el("div", {}, scenarioHint),
  };

  const level = el("select", { id: "warning-level", "aria-label": "Level 等级",
    onchange: () => drawer.setColor(SEVERITY[level.selectedIndex].color) },
  SEVERITY.map((s, i) => el("option", { value: LEVELS[i], selected: s === red }, `${s.name_zh} ${s.name}`)));
  const hazard = el("input", { id: "warning-hazard", list: "warning-hazard-types", value: "flood" });
  const headline = el("input", { id: "warning-headline", maxlength: "500", placeholder: "山洪红色预警 …" });
  const instruction = el("textarea", { id: "warning-instruction", rows: "2", maxlength: "4000",
    placeholder: "立即转移 Move now" });
  const onset = el("input", { id: "warning-onset", type: "datetime-local" });
  const expires = el("input", { id: "warning-expires", type: "datetime-local" });

  const previewButton = el("button", { type: "button", id: "warning-preview", class: "primary",
    onclick: () => preview() }, "Audience 受众");
  // The server refuses to issue below an editor: a planner previews only.
  const issueButton = mayAct("editor")
    ? el("button", { type: "button", id: "warning-issue", class: "danger", disabled: true,
      title: "Preview the audience first 请先预览受众", onclick: () => issue() }, "Issue 发布")
    : null;
  const status = el("p", { id: "warning-status", class: "status", role: "status" });
  const results = el("div", { id: "warning-audience-results" });
  const tracking = el("section", { id: "warning-tracking", class: "warning-tracking" });
  const list = el("div", { id: "warning-list" });

  panel.replaceChildren(
    el("div", { class: "row-head" },
      el("h2", {}, "Warnings 预警"),
      el("button", { type: "button", class: "link-button", "aria-label": "Close 关闭",
        onclick: () => toggle(false) }, "×")),
    el("details", { class: "warning-compose", open: true }, el("summary", {}, "New warning 新预警"),
      el("fieldset", {}, el("legend", {}, "Area 区域"), mode, Object.values(areaBlocks)),
      el("div", { class: "warning-fields" },
        labelled("Level 等级", level),
        labelled("Hazard 灾种", hazard),
        labelled("Onset 开始", onset),
        labelled("Expires 截止", expires)),
      el("datalist", { id: "warning-hazard-types" }, HAZARD_TYPES.map((h) => el("option", { value: h }))),
      el("div", { class: "warning-words" },
        labelled("Headline 标题", headline),
        labelled("Instruction 防御指引", instruction)),
      el("div", { class: "button-row run-row" }, previewButton, issueButton ??
        el("span", { class: "hint" }, "发布需编辑人员及以上权限 Issuing is for editors and above.")),
      status,
      results),
    tracking,
    el("section", { class: "warning-issued" },
      el("div", { class: "row-head" }, el("h3", {}, "Issued 已发布"),
        el("button", { type: "button", id: "warning-list-refresh", onclick: () => loadList() }, "Refresh 刷新")),
      list));
  // The list's counts follow the warning tracked.
  const track = initTracking(map, tracking, () => loadList());
  opener.hidden = false;
  opener.addEventListener("click", () => toggle(panel.hidden));
  panel.addEventListener("side-panel-closed", () => toggle(false));
  updateArea();
  updateDraw();

  let townshipsLoaded = false;
  let previewed = null; // the body whose audience is shown

  function toggle(open) {
    toggleSidePanel(panel, opener, open);
    if (!open) {
      if (drawer.drawing) drawer.cancel();
      track.pause();
      return;
    }
    if (!townshipsLoaded) loadTownships();
    updateArea(); // an impact scenario may have been run since
    loadList();
    track.resume();
  }

  function updateArea() {
    for (const [name, block] of Object.entries(areaBlocks)) block.hidden = name !== mode.value;
    if (mode.value !== "draw" && drawer.drawing) drawer.cancel();
    const scenario = shownScenario();
    scenarioHint.textContent = scenario
      ? `The scenario of the impact report shown (${scenario.hazards.length} hazard(s)) 使用当前影响分析的情景`
      : "Run an impact analysis first (side panel) 请先在左侧运行影响分析";
  }

  function updateDraw() {
    drawButton.disabled = drawer.drawing;
    finishButton.disabled = !drawer.drawing;
    clearButton.disabled = !drawer.drawing && !drawer.polygon;
    drawButton.classList.toggle("active", drawer.drawing);
    drawHint.textContent = drawer.drawing
      ? `Click the map to add corners (${drawer.corners.length}); double-click or Finish 单击添加顶点，双击完成`
      : drawer.polygon ? `Area with ${drawer.polygon.coordinates[0].length - 1} corners 已绘制区域`
        : "Draw the warning's area 绘制预警区域";
  }

  function finishDrawing() {
    const problem = drawer.finish();
    if (problem) drawHint.textContent = problem;
  }

  /** Townships of every admin layer with codes and levels, by name. */
  async function loadTownships() {
    townshipsLoaded = true;
    const admin = catalogue.layers.filter((l) => l.kind === "admin" &&
      ["code", "level"].every((name) => (l.fields || []).some((f) => f.name === name)));
    const where = encodeURIComponent("level = 'township'");
    try {
      const found = await Promise.all(admin.map((l) =>
        getJSON(`/api/layers/${encodeURIComponent(l.id)}/features?where=${where}&limit=10000`)));
      const units = found.flatMap((fc) => fc.features.map((f) => f.properties))
        .sort((a, b) => String(a.code).localeCompare(String(b.code)));
      townships.replaceChildren(...units.map((u) => el("option", { value: u.code }, `${u.name} ${u.code}`)));
    } catch (error) {
      townshipsLoaded = false;
      townships.replaceChildren(el("option", { disabled: true }, error.message));
    }
  }

  /** The area as POST /api/warnings takes it, or throws saying what is missing. */
  function area() {
    if (mode.value === "draw") {
      if (drawer.drawing) {
        const problem = drawer.finish();
        if (problem) throw new Error(problem);
      }
      if (!drawer.polygon) throw new Error("Draw the area on the map first 请先在地图上绘制区域");
      return { geometry: drawer.polygon };
    }
    if (mode.value === "townships") {
      const codes = [...townships.selectedOptions].map((o) => o.value);
      if (!codes.length) throw new Error("Pick at least one township 请至少选择一个乡镇");
      return { admin_codes: codes };
    }
    const scenario = shownScenario();
    if (!scenario) throw new Error("No impact scenario is shown 尚无影响分析情景");
    return { scenario };
  }

  /** The warning the form describes; the server checks the words and times. */
  function body() {
    const b = { area: area(), level: level.value, hazard_type: hazard.value.trim(),
      headline: headline.value.trim(), instruction: instruction.value.trim() };
    if (onset.value) b.onset = withOffset(onset.value);
    if (expires.value) b.expires = withOffset(expires.value);
    return b;
  }

  function fail(message) {
    status.textContent = message;
    status.classList.add("error");
  }

  async function preview() {
    window.__warningPreviewDone = false;
    status.classList.remove("error");
    previewed = null;
    if (issueButton) issueButton.disabled = true;
    try {
      const sent = body();
      window.__warningBody = sent;
      status.textContent = "Finding the audience… 正在计算受众";
      results.classList.add("stale");
      const audience = await postJSON("/api/warnings", sent);
      results.replaceChildren(el("div", {}, audienceView(audience)));
      status.textContent = "";
      previewed = sent;
      if (issueButton) issueButton.disabled = false;
      window.__warningAudience = audience;
      window.__warningError = null;
    } catch (error) {
      results.replaceChildren();
      fail(error.message);
      window.__warningAudience = null;
      window.__warningError = error.message;
    } finally {
      results.classList.remove("stale");
      window.__warningPreviewDone = true;
    }
  }

  /** Issues the warning previewed (the form as it was then), and tracks it. */
  async function issue() {
    if (!previewed) return;
    window.__warningIssueDone = false;
    issueButton.disabled = true;
    status.classList.remove("error");
    status.textContent = "Issuing… 正在发布";
    try {
      const state = await postJSON("/api/warnings?issue=true", previewed);
      status.textContent = `${state.id} issued 已发布: calls start now 开始逐级呼叫`;
      window.__warningIssued = state;
      results.replaceChildren();
      panel.querySelector(".warning-compose").open = false;
      await track.open(state.id, state);
    } catch (error) {
      fail(error.message);
      issueButton.disabled = false;
      window.__warningIssued = null;
    } finally {
      window.__warningIssueDone = true;
    }
  }

  async function loadList() {
    try {
      const { warnings, durable } = await getJSON("/api/warnings");
      // Wrapped in el(), which skips a missing part (replaceChildren would print "null").
      list.replaceChildren(el("div", {},
        warnings.length ? warningTable(warnings) : el("p", { class: "hint" }, "None yet 暂无"),
        durable ? null : el("p", { class: "hint" }, "Kept in memory only: a restart forgets them 重启后不保留")));
    } catch (error) {
      list.replaceChildren(el("p", { class: "status error", role: "alert" }, error.message));
    }
  }

  function warningTable(warnings) {
    return el("div", { class: "table-scroll scroll-box" }, el("table", { class: "impact-table warning-table" },
      el("tbody", {}, warnings.map((w) => {
        const s = SEVERITY[LEVELS.indexOf(w.level)] || SEVERITY[0];
        const tr = el("tr", { class: "clickable", "data-id": w.id, title: "Track 跟踪" },
          el("td", {}, el("span", { class: "sev-dot", style: `background:${s.color}` })),
          el("th", { scope: "row" }, w.headline, el("div", { class: "sub" }, `${w.id} · ${w.status}`)),
          el("td", { class: "num" }, `${formatCount(w.counts.answered || 0)} / ${formatCount(w.tasks_total)}`));
        tr.addEventListener("click", () => track.open(w.id));
        return tr;
      }))));
  }
}

/** The audience of a warning, as the panel shows it. */
function audienceView(a) {
  const byLevel = {};
  for (const u of a.units) byLevel[u.level] = (byLevel[u.level] || 0) + 1;
  return [
    el("div", { class: "impact-totals" }, TOTALS.map(([key, label]) =>
      el("div", { class: `total total-${key === "people" ? "population" : key}` },
        el("span", { class: "value", id: `warning-total-${key}` },
          a.totals[key] === null || a.totals[key] === undefined ? "无数据 no data" : formatCount(a.totals[key])),
        el("span", { class: "label" }, label))),
      el("div", { class: "total" }, el("span", { class: "value", id: "warning-total-tasks" }, formatCount(a.tasks.length)),
        el("span", { class: "label" }, "Calls 呼叫"))),
    a.warnings && a.warnings.length
      ? el("ul", { class: "impact-warnings" }, a.warnings.map((w) => el("li", {}, w))) : null,
    section("Units reached 覆盖单位", a.units.length, [
      el("p", { class: "hint", id: "warning-units-by-level" },
        Object.entries(byLevel).map(([l, n]) => `${n} ${l}`).join(" · ")),
      el("div", { class: "table-scroll scroll-box" }, el("table", { class: "impact-table", id: "warning-units" },
        el("tbody", {}, a.units.map((u) => el("tr", { "data-code": u.code },
          el("th", { scope: "row" }, u.name, el("div", { class: "sub" }, `${u.level} · ${u.code}`)),
          el("td", { class: "num" }, formatCount(u.people))))))),
    ]),
    section("Facilities 重点场所", a.facilities.length, el("ul", { class: "impact-list" }, a.facilities.map((f) =>
      el("li", { class: f.unusable ? "unusable" : null }, el("span", { class: "grow" },
        el("strong", {}, f.name || f.id), ` · ${f.category}`,
        f.occupants !== null && f.occupants !== undefined ? ` · ${formatCount(f.occupants)} 人` : ""))))),
    section("Shelters to open 需开放避难场所", a.shelters_to_open.length,
      el("ul", { class: "impact-list", id: "warning-shelters" }, a.shelters_to_open.map((s) =>
        el("li", {}, el("span", { class: "grow" }, el("strong", {}, s.name), ` · ${formatCount(s.capacity)} 位 places`))))),
    section("Call tree 呼叫树", a.tasks.length, el("ul", { class: "call-tree", id: "warning-call-tree" },
      a.call_tree.map((node) => callNode(node, 0))), { open: true }),
  ];
}

/** A folding part of the audience: its title and count, then `content`. */
function section(title, count, content, { open = false } = {}) {
  return el("details", { class: "impact-section", open },
    el("summary", {}, `${title} `, el("span", { class: "count" }, formatCount(count))), content);
}

/** One call and, folded under it, the calls its contact makes. */
function callNode(node, depth) {
  const line = el("span", { class: "call" },
    el("strong", {}, node.about), ` · ${node.role} · ${node.name} `,
    el("span", { class: "phone" }, node.phone),
    node.people ? el("span", { class: "sub" }, ` · ${formatCount(node.people)} 人`) : null);
  if (!node.calls.length) return el("li", { "data-task": node.id }, line);
  return el("li", { "data-task": node.id }, el("details", { open: depth === 0 },
    el("summary", {}, line, el("span", { class: "count" }, ` (${node.calls.length})`)),
    el("ul", {}, node.calls.map((c) => callNode(c, depth + 1)))));
}
