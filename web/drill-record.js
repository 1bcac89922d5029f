// "Record drill 记录演练" in the drill designer: a drill held goes to
// POST /api/drills/records as one record per village that took part (the server adds
// them to the drill layer as edits, under the signed-in planner's name), and the next
// ranking counts them. The scenario defaults to the row shown on the map, and the
// villages to its affected villages in the row's township.
//
// For the browser test: window.__drillRecorded is the server's answer ({records}), or
// {error} with its message.

import { el, sendJSON } from "/dom.js";

/** Where each level of a twelve-digit admin code ends: province, city, county,
 *  township, village. */
const LEVEL_ENDS = [2, 4, 6, 9, 12];

/** The significant part of an admin code: "629901106000" → "629901106", the prefix every
 *  code below it starts with (the server reads codes the same way). */
export function codePrefix(code) {
  if (!/^\d{12}$/.test(code || "")) return code || "";
  let end = 12;
  for (let i = LEVEL_ENDS.length - 2; i >= 0; i -= 1) {
    if (!/^0+$/.test(code.slice(LEVEL_ENDS[i], end))) break;
    end = LEVEL_ENDS[i];
  }
  return code.slice(0, end);
}

/** The admin codes of the units an impact report found affected within `township`. */
function affectedVillages(report, township) {
  const prefix = codePrefix(township);
  const codes = ((report && report.units) || []).map((u) => u.admin_code)
    .filter((code) => typeof code === "string" && code.startsWith(prefix));
  return [...new Set(codes)];
}

/** Today as YYYY-MM-DD in the browser's time zone (a drill is held on a local day). */
function today() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

const list = (text) => text.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);

/** One number per village from a comma-separated field, or none when it is empty. */
function perVillage(text, villages, label) {
  const values = list(text);
  if (!values.length) return villages.map(() => undefined);
  if (values.length !== villages.length || values.some((v) => !Number.isFinite(Number(v)))) {
    throw new Error(`${label}: give one number per village (${villages.length}), or none ` +
      `每个村一个数字，或留空`);
  }
  return values.map(Number);
}

/** The form, and `use(row, report)` to fill it from the row shown on the map. */
export function recordForm() {
  const input = (id, label, attrs = {}) => el("input", { id, "aria-label": label, ...attrs });
  const date = input("drill-record-date", "Date 日期", { type: "date", value: today(), required: true });
  const scenario = input("drill-record-scenario", "Scenario 情景", { required: true,
    placeholder: "a ranked drill's id, or words 情景编号或说明" });
  const villages = input("drill-record-villages", "Villages 村", { required: true,
    placeholder: "admin codes, comma-separated 行政区划代码，逗号分隔" });
  const people = input("drill-record-people", "People moved 转移人数", {
    placeholder: "per village, comma-separated 每村一个" });
  const minutes = input("drill-record-minutes", "Clearance minutes 撤离用时", {
    placeholder: "per village, comma-separated 每村一个" });
  const problems = el("textarea", { id: "drill-record-problems", rows: "2", "aria-label": "Problems 发现的问题" });
  const message = el("p", { id: "drill-record-message", class: "status", role: "status" });
  const field = (label, control) => el("label", {}, label, control);
  const form = el("form", { id: "drill-record", class: "drill-record" },
    el("h3", {}, "Record drill 记录演练"),
    field("Date 日期", date),
    field("Scenario 情景", scenario),
    field("Villages 村 (admin codes 行政区划代码)", villages),
    field("People moved 转移人数", people),
    field("Clearance minutes 撤离用时（分钟）", minutes),
    field("Problems 发现的问题", problems),
    el("div", { class: "button-row" }, el("button", { type: "submit", id: "drill-record-submit" }, "Record 记录")),
    message);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.classList.remove("error");
    message.textContent = "…";
    try {
      const codes = list(villages.value);
      const moved = perVillage(people.value, codes, "People moved 转移人数");
      const cleared = perVillage(minutes.value, codes, "Clearance minutes 撤离用时");
      const body = {
        date: date.value,
        scenario: scenario.value.trim(),
        villages: codes.map((code, i) => ({
          admin_code: code, people_moved: moved[i], clearance_minutes: cleared[i],
        })),
      };
      if (problems.value.trim()) body.problems = problems.value.trim();
      const answer = await sendJSON("POST", "/api/drills/records", body);
      const n = answer.records.length;
      message.textContent = `Recorded ${n} village record${n === 1 ? "" : "s"} 已记录 ${n} 条`;
      window.__drillRecorded = answer;
    } catch (error) {
      message.textContent = error.message;
      message.classList.add("error");
      window.__drillRecorded = { error: error.message };
    }
  });

  return {
    form,
    use(row, report) {
      scenario.value = row.id;
      const codes = affectedVillages(report, row.township.code);
      if (codes.length) villages.value = codes.join(", ");
    },
  };
}
