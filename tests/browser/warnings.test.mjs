// Headless-browser test of targeted warnings (run like map.test.mjs, after a server build):
//     node tests/browser/warnings.test.mjs
//
// 1. copy the demo to a temporary folder (warnings are journalled beside the data) and
//    make a county editor with `riskatlas users`;
// 2. start the server on them and Chromium with every outside request aborted;
// 3. the editor opens the warning view: two townships picked preview their audience;
//    then an area is drawn across townships on the map;
// 4. the audience preview shows the totals and the call tree of a direct
//    POST /api/warnings with the same body;
// 5. the warning is issued and tracked: its units on the map, its silent list;
// 6. two tasks answered through the API (with the session's CSRF token) turn their
//    units green on the map by the next refresh, the counts move and the silent list
//    loses them; one more answered with the "Answered 已应答" button leaves it too;
// 7. the call sheet link opens one page per township the warning reaches;
// 8. the drill designer, opened, takes the warning view's place and its layer off the map;
// 9. no console errors or failed requests beyond the expected ones, nothing outside.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  assert, check, demoCopy, digits, finish, mapSettled, REPO, report, SERVER_BIN, serveSignedIn,
} from "./harness.mjs";

const PASSWORD = "warning season 2026";
const OVERALL_TIMEOUT_MS = 120_000;
/** Where the screenshots of the preview and of the tracking go. */
const SHOTS = path.resolve(REPO, process.env.WARNINGS_SCREENSHOTS || "target/browser");
/** An area across the middle of the demo county, over several townships. */
const CORNERS = [[105.65, 34.47], [105.80, 34.47], [105.80, 34.58], [105.65, 34.58]];

const overall = setTimeout(async () => {
  report(`test finishes within ${OVERALL_TIMEOUT_MS / 1000} s`, "overall timeout reached");
  await finish();
}, OVERALL_TIMEOUT_MS);

/** A copy of the demo and a users file with an editor of the whole county. */
function prepare() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "riskatlas-warnings-"));
  const data = demoCopy(path.join(dir, "data"));
  const users = path.join(dir, "users.toml");
  const cli = (args, input) => execFileSync(SERVER_BIN, ["users", "--file", users, ...args],
    { input, stdio: ["pipe", "pipe", "pipe"] });
  cli(["add", "county editor", "--role", "editor"]);
  cli(["password", "county editor"], `${PASSWORD}\n`);
  return { dir, users, data };
}

/** Sends JSON through the page (its session cookie, its CSRF token); the parsed answer. */
const inPage = (page, method, url, body) => page.evaluate(async ({ method, url, body }) => {
  const { csrf } = await (await fetch("/api/session")).json();
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}, { method, url, body });

/** Fits the county between the side panel and the warnings panel. */
const fitBetweenPanels = (page, bbox) => page.evaluate(async (bbox) => {
  const map = window.map;
  const left = document.getElementById("sidebar").offsetWidth + 30;
  const right = document.getElementById("warnings-panel").offsetWidth + 70;
  map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]],
    { padding: { top: 40, right, bottom: 50, left }, animate: false });
  const idle = new Promise((resolve) => map.once("idle", resolve));
  map.triggerRepaint();
  await idle;
}, bbox);

/** The warning layer's features as the map holds and draws them, by admin code. */
const warningMap = (page) => page.evaluate(() => {
  const map = window.map;
  const byCode = (features) => Object.fromEntries(features.map((f) =>
    [f.properties.admin_code, { colour: f.properties.colour, state: f.properties.state, level: f.properties.level }]));
  return {
    source: byCode(map.querySourceFeatures("warning-state")),
    drawn: byCode(map.queryRenderedFeatures({ layers: ["warning-state-fill"] })),
    paint: map.getPaintProperty("warning-state-fill", "fill-color"),
  };
});

/** Saves a screenshot of the page, the warnings panel scrolled to `selector`. */
async function shot(page, name, selector) {
  await page.evaluate((selector) => document.querySelector(selector)?.scrollIntoView(), selector);
  await mapSettled(page);
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file });
  assert(fs.statSync(file).size > 10_000, `${name} is blank`);
}

/** The silent list as shown: its count and its rows' task ids. */
const silentShown = (page) => page.evaluate(() => ({
  count: Number(document.getElementById("warning-silent-count")?.textContent.replace(/[^\d]/g, "")),
  rows: [...document.querySelectorAll("#warning-silent tbody tr[data-task]")].map((tr) => tr.dataset.task),
}));

async function main() {
  const { dir, users, data } = prepare();
  const served = await serveSignedIn({ data, users });
  if (!served) return finish();
  const { port, origin, log, context, page, problems, outside } = served;

  await page.goto(`${origin}/`, { waitUntil: "load" });
  const catalogue = await check("the editor signs in and opens the warning view", async () => {
    await page.waitForSelector("#sign-in:not([hidden])", { timeout: 15_000 });
    await page.fill("#sign-in-name", "county editor");
    await page.fill("#sign-in-password", PASSWORD);
    await page.click("#sign-in button[type=submit]");
    await page.waitForFunction(() => window.__mapIdle === true, null, { timeout: 45_000 });
    await page.click("#warnings-open");
    await page.waitForSelector("#warnings-panel:not([hidden]) #warning-issue", { timeout: 10_000 });
    // The township picker lists the demo's townships, from the admin layer.
    await page.waitForFunction(() => document.querySelectorAll("#warning-townships option[value]").length > 0,
      null, { timeout: 10_000 });
    const townships = JSON.parse(fs.readFileSync(path.join(REPO, "data/demo/townships.geojson"), "utf8"));
    const offered = await page.$$eval("#warning-townships option[value]", (os) => os.map((o) => o.value).sort());
    const inFile = townships.features.map((f) => f.properties.code).sort();
    assert(JSON.stringify(offered) === JSON.stringify(inFile), `offered ${offered.length} of ${inFile.length} townships`);
    return page.evaluate(async () => (await fetch("/api/layers")).json());
  });

  await check("two townships picked preview their audience", async () => {
    assert(catalogue, "not signed in");
    await page.selectOption("#warning-area-mode", "townships");
    const picked = (await page.$$eval("#warning-townships option[value]", (os) => os.map((o) => o.value))).slice(0, 2);
    await page.selectOption("#warning-townships", picked);
    await page.fill("#warning-headline", "两镇黄色预警");
    await page.fill("#warning-instruction", "做好转移准备");
    await page.selectOption("#warning-level", "yellow");
    await page.evaluate(() => { window.__warningPreviewDone = false; });
    await page.click("#warning-preview");
    await page.waitForFunction(() => window.__warningPreviewDone === true, null, { timeout: 30_000 });
    const { body, audience, error } = await page.evaluate(() => ({
      body: window.__warningBody, audience: window.__warningAudience, error: window.__warningError,
    }));
    assert(!error, `the panel says: ${error}`);
    assert(JSON.stringify(body.area) === JSON.stringify({ admin_codes: picked }), `area ${JSON.stringify(body.area)}`);
    assert(body.level === "yellow", `level ${body.level}`);
    const reached = audience.units.filter((u) => u.level === "township").map((u) => u.code).sort();
    assert(JSON.stringify(reached) === JSON.stringify([...picked].sort()), `reaches townships ${reached.join(", ")}`);
    await page.selectOption("#warning-level", "red");
    await page.selectOption("#warning-area-mode", "draw");
  });

  const previewed = await check("the area drawn previews the audience a direct POST /api/warnings gives", async () => {
    assert(catalogue, "not signed in");
    await fitBetweenPanels(page, catalogue.bbox);
    await page.click("#warning-draw");
    for (const corner of CORNERS) {
      const { x, y, onMap } = await page.evaluate((c) => {
        const p = window.map.project(c);
        const box = window.map.getCanvas().getBoundingClientRect();
        const hit = document.elementFromPoint(box.left + p.x, box.top + p.y);
        return { x: box.left + p.x, y: box.top + p.y, onMap: hit === window.map.getCanvas() };
      }, corner);
      assert(onMap, `corner ${corner} at (${Math.round(x)}, ${Math.round(y)}) is not on the map canvas`);
      await page.mouse.click(x, y);
    }
    await page.click("#warning-draw-finish");
    await page.fill("#warning-headline", "山洪红色预警 Flash-flood red warning");
    await page.fill("#warning-instruction", "立即转移 Move now");
    await page.evaluate(() => { window.__warningPreviewDone = false; });
    await page.click("#warning-preview");
    await page.waitForFunction(() => window.__warningPreviewDone === true, null, { timeout: 30_000 });
    const { body, audience, error } = await page.evaluate(() => ({
      body: window.__warningBody, audience: window.__warningAudience, error: window.__warningError,
    }));
    assert(!error, `the panel says: ${error}`);
    const ring = body.area.geometry.coordinates[0];
    assert(ring.length === 5, `the drawn ring has ${ring.length} positions`);
    CORNERS.forEach((c, i) => {
      assert(Math.hypot(ring[i][0] - c[0], ring[i][1] - c[1]) < 0.003, `corner ${i} drawn at ${ring[i]}`);
    });
    const direct = await inPage(page, "POST", "/api/warnings", body);
    assert(direct.status === 200, `POST /api/warnings answered ${direct.status}: ${JSON.stringify(direct.body)}`);
    assert(JSON.stringify(audience.totals) === JSON.stringify(direct.body.totals),
      `the panel's totals ${JSON.stringify(audience.totals)}; the API's ${JSON.stringify(direct.body.totals)}`);
    const people = Math.round(direct.body.totals.people);
    assert(people > 0, "nobody lives in the drawn area");
    const shown = digits(await page.textContent("#warning-total-people"));
    assert(shown === people, `the panel shows ${shown} people; the API ${people}`);
    const calls = await page.$$eval("#warning-call-tree li[data-task]", (lis) => lis.map((li) => li.dataset.task));
    const tasks = direct.body.tasks.map((t) => t.id);
    assert(JSON.stringify([...calls].sort()) === JSON.stringify([...tasks].sort()),
      `the call tree shows ${calls.length} calls; the API has ${tasks.length}`);
    const townships = direct.body.units.filter((u) => u.level === "township");
    assert(townships.length >= 2, `the area reaches ${townships.length} township(s)`);
    await shot(page, "warnings-audience.png", "#warning-call-tree");
    return direct.body;
  });

  const issued = await check("issued, the warning is tracked: its units on the map, its silent list", async () => {
    assert(previewed, "no preview");
    await page.evaluate(() => { window.__warningIssueDone = false; });
    await page.click("#warning-issue");
    await page.waitForFunction(() => window.__warningIssueDone === true, null, { timeout: 30_000 });
    const state = await page.evaluate(() => window.__warningIssued);
    assert(state && /^W\d+$/.test(state.id), `issued: ${JSON.stringify(state).slice(0, 200)}`);
    assert(state.tasks_total === previewed.tasks.length, `${state.tasks_total} tasks; previewed ${previewed.tasks.length}`);
    await page.waitForFunction((n) => window.map.querySourceFeatures("warning-state").length >= n,
      state.units.length, { timeout: 15_000 });
    const silent = await silentShown(page);
    assert(silent.count === state.silent.length && silent.rows.length === state.silent.length,
      `the silent list shows ${silent.count} (${silent.rows.length} rows); the state has ${state.silent.length}`);
    assert(JSON.stringify(silent.rows) === JSON.stringify(state.silent), "the silent list is not in the state's order");
    return state;
  });

  const answered = await check("two tasks answered through the API turn their units green by the next refresh", async () => {
    assert(issued, "not issued");
    await mapSettled(page);
    const before = await page.evaluate(() => window.__warningState);
    const villages = before.tasks.filter((t) => t.role === "village duty officer" && t.state === "blocked").slice(0, 2);
    assert(villages.length === 2, "fewer than two village duty officers");
    const green = "#1a9850";
    const mapBefore = await warningMap(page);
    for (const t of villages) {
      assert(mapBefore.drawn[t.admin_code], `${t.admin_code} is not drawn`);
      assert(mapBefore.drawn[t.admin_code].colour !== green, `${t.admin_code} is green before its answer`);
      const ack = await inPage(page, "POST", `/api/warnings/${issued.id}/acks`,
        { task_id: t.id, means: "phone", note: "村里已收到" });
      assert(ack.status === 201, `ack of ${t.id} answered ${ack.status}: ${JSON.stringify(ack.body)}`);
    }
    // No click: the view refreshes itself.
    await page.waitForFunction((n) => (window.__warningState.counts.answered || 0) >= n,
      (before.counts.answered || 0) + 2, { timeout: 15_000 });
    await mapSettled(page);
    const after = await warningMap(page);
    assert(JSON.stringify(after.paint) === JSON.stringify(["get", "colour"]), `fill-color ${JSON.stringify(after.paint)}`);
    for (const t of villages) {
      assert(after.source[t.admin_code]?.colour === green, `${t.admin_code} in the source: ${JSON.stringify(after.source[t.admin_code])}`);
      assert(after.drawn[t.admin_code]?.colour === green, `${t.admin_code} drawn: ${JSON.stringify(after.drawn[t.admin_code])}`);
    }
    const answeredText = await page.textContent("#warning-answered");
    assert(answeredText.startsWith(`${(before.counts.answered || 0) + 2} /`), `the count reads "${answeredText}"`);
    const chip = await page.getAttribute("#warning-count-answered", "data-count");
    assert(Number(chip) === (before.counts.answered || 0) + 2, `the answered chip reads ${chip}`);
    const silent = await silentShown(page);
    assert(silent.count === before.silent.length - 2 && silent.rows.length === before.silent.length - 2,
      `the silent list went from ${before.silent.length} to ${silent.count} (${silent.rows.length} rows)`);
    assert(villages.every((t) => !silent.rows.includes(t.id)), "an answered task is still listed as silent");
    await shot(page, "warnings-tracking.png", "#warning-tracking");
    return villages;
  });

  await check("the Answered button records an answer and the call leaves the silent list", async () => {
    assert(answered, "no answers");
    const before = await silentShown(page);
    const first = before.rows[0];
    await page.click(`#warning-silent tr[data-task="${first}"] .warning-answered`);
    await page.selectOption(`#warning-silent tr.answer-row .answer-means`, "sms");
    await page.fill(`#warning-silent tr.answer-row .answer-note`, "已发短信");
    const states = await page.evaluate(() => window.__warningStates);
    await page.click(`#warning-silent tr.answer-row button.primary`);
    await page.waitForFunction((n) => window.__warningStates > n, states, { timeout: 10_000 });
    const state = await page.evaluate(() => window.__warningState);
    const task = state.tasks.find((t) => t.id === first);
    assert(task.state === "answered" && task.answer.means === "sms" && task.answer.note === "已发短信",
      `the task is ${JSON.stringify(task)}`);
    assert(task.answer.by === "county editor", `answered by ${task.answer.by}`);
    const after = await silentShown(page);
    assert(after.count === before.count - 1 && !after.rows.includes(first), `silent: ${before.count} → ${after.count}`);
  });

  await check("the call sheet link opens one page per township the warning reaches", async () => {
    assert(issued, "not issued");
    const link = page.locator("#warning-sheet-link");
    const href = await link.getAttribute("href");
    assert(href === `/cards/calls?warning=${issued.id}`, `the link goes to ${href}`);
    const [tab] = await Promise.all([context.waitForEvent("page"), link.click()]);
    await tab.waitForLoadState("domcontentloaded").catch(() => {});
    const pages = await tab.$$eval("section.sheet", (ss) => ss.map((s) => ({ code: s.dataset.township, title: s.querySelector("h2").textContent })));
    const townships = previewed.units.filter((u) => u.level === "township");
    const codes = pages.map((p) => p.code).filter(Boolean).sort();
    assert(JSON.stringify(codes) === JSON.stringify(townships.map((u) => u.code).sort()),
      `sheets for ${codes.join(", ")}; the warning reaches ${townships.map((u) => u.code).join(", ")}`);
    for (const u of townships) {
      const sheet = pages.find((p) => p.code === u.code);
      assert(sheet.title.includes(u.name), `the sheet of ${u.code} is titled "${sheet.title}"`);
    }
    const ticked = await tab.$$eval("tr.answered", (rows) => rows.map((r) => r.dataset.task));
    assert(answered.every((t) => ticked.includes(t.id)), `answered rows on the sheet: ${ticked.join(", ")}`);
    await tab.close();
  });

  await check("opening the drill designer closes the warning view and takes its layer off the map", async () => {
    assert(issued, "not issued");
    await page.click("#drills-open");
    await page.waitForSelector("#drills-panel:not([hidden])", { timeout: 10_000 });
    assert(await page.isHidden("#warnings-panel"), "both panels are open in one place");
    const shown = await page.evaluate(() => window.map.getLayoutProperty("warning-state-fill", "visibility"));
    assert(shown === "none", `the warning layer is ${shown} with its panel closed`);
    await page.click("#warnings-open");
    await page.waitForFunction(() => window.map.getLayoutProperty("warning-state-fill", "visibility") === "visible",
      null, { timeout: 10_000 });
    assert(await page.isHidden("#drills-panel"), "the drill designer stayed open");
  });

  await check("no console errors or failed requests", () => {
    assert(problems.length === 0, `${problems.length}: ${problems.slice(0, 3).join(" | ")}`);
  });
  await check("no request left the server", () => {
    assert(outside.length === 0, `${outside.length} blocked: ${outside.slice(0, 3).join(" | ")}`);
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return finish();
}

main().catch(async (error) => {
  report("test harness", error);
  await finish();
}).finally(() => clearTimeout(overall));
