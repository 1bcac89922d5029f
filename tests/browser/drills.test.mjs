// Headless-browser test of the drill designer (run like map.test.mjs, after a server build):
//     node tests/browser/drills.test.mjs
//
// 1. copy the demo to a temporary folder (records are written beside the data) and make
//    a users file with `riskatlas users`: a county viewer and a county planner;
// 2. start the server on them and Chromium with every outside request aborted;
// 3. the viewer is not offered the designer;
// 4. the planner opens it: a run cancelled at once says so; a run streams its progress
//    to the bar up to the candidates the answer ran, fills the weights with the
//    server's defaults, and its first row is the API's first scenario;
// 5. the first row clicked shows its hazard and its plan on the map, and its card opens
//    with its id, timeline and map;
// 6. two rows compared show the totals /api/compare gives;
// 7. a drill recorded through the form is in the drill layer;
// 8. no console errors or failed requests beyond the expected ones, nothing outside.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  assert, check, demoCopy, finish, mapSettled, REPO, report, SERVER_BIN, serveSignedIn,
} from "./harness.mjs";

const PASSWORD = "drill season 2026";
const OVERALL_TIMEOUT_MS = 120_000;

const overall = setTimeout(async () => {
  report(`test finishes within ${OVERALL_TIMEOUT_MS / 1000} s`, "overall timeout reached");
  await finish();
}, OVERALL_TIMEOUT_MS);

/** A copy of the demo and a users file with a viewer and a planner of the whole county. */
function prepare() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "riskatlas-drills-"));
  const data = demoCopy(path.join(dir, "data"));
  const users = path.join(dir, "users.toml");
  const cli = (args, input) => execFileSync(SERVER_BIN, ["users", "--file", users, ...args],
    { input, stdio: ["pipe", "pipe", "pipe"] });
  cli(["add", "county viewer", "--role", "viewer"]);
  cli(["add", "county planner", "--role", "planner"]);
  for (const name of ["county viewer", "county planner"]) cli(["password", name], `${PASSWORD}\n`);
  return { dir, users, data };
}

async function signInAs(page, name) {
  await page.waitForSelector("#sign-in:not([hidden])", { timeout: 15_000 });
  await page.fill("#sign-in-name", name);
  await page.fill("#sign-in-password", PASSWORD);
  await page.click("#sign-in button[type=submit]");
  await page.waitForFunction(() => window.__mapIdle === true, null, { timeout: 45_000 });
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

/** Clicks Run in the designer and waits for the run to end; what the page recorded. */
async function runDesigner(page) {
  await page.evaluate(() => { window.__drillsDone = false; });
  await page.click("#drills-run");
  await page.waitForFunction(() => window.__drillsDone === true, null, { timeout: 60_000 });
  return page.evaluate(() => ({
    ranking: window.__drillRanking, error: window.__drillError, progress: window.__drillProgress,
  }));
}

/** The features the map draws now from the analysis sources, by source and role. */
const drawnAnalysis = (page) => page.evaluate(() => {
  const map = window.map;
  const count = (source, role) => {
    const layers = map.getStyle().layers.filter((l) => l.source === source).map((l) => l.id);
    return map.queryRenderedFeatures({ layers }).filter((f) => f.properties.role === role).length;
  };
  return { hazards: count("impact", "hazard"), units: count("impact", "unit"), routes: count("evacuation", "route") };
});

async function main() {
  const { dir, users, data } = prepare();
  const served = await serveSignedIn({ data, users, aborted: (r) => r.url().endsWith("/api/drills") && /ABORTED/.test(r.failure()?.errorText || "") });
  if (!served) return finish();
  const { port, origin, log, context, page, problems, outside } = served;

  await page.goto(`${origin}/`, { waitUntil: "load" });
  await check("a viewer is not offered the drill designer", async () => {
    await signInAs(page, "county viewer");
    await page.waitForSelector("#impact-panel", { timeout: 10_000 });
    assert(await page.isHidden("#drills-open"), "the Drills button shows for a viewer");
    assert(await page.$("#drills-run") === null, "the designer was built for a viewer");
  });

  const plannerIn = await check("a planner signs in and opens the designer", async () => {
    await page.evaluate(() => { window.__mapIdle = false; });
    await Promise.all([page.waitForEvent("load"), page.click("#sign-out")]);
    await signInAs(page, "county planner");
    await page.click("#drills-open");
    await page.waitForSelector("#drills-panel:not([hidden]) #drills-run", { timeout: 10_000 });
  });

  await check("Cancel stops a run, and the bar says so", async () => {
    assert(plannerIn, "not signed in");
    await page.evaluate(() => {
      window.__drillsDone = false;
      document.getElementById("drills-run").click();
      document.getElementById("drills-cancel").click();
    });
    await page.waitForFunction(() => window.__drillsDone === true, null, { timeout: 30_000 });
    const error = await page.evaluate(() => window.__drillError);
    assert(/Cancelled/.test(error), `the page says "${error}"`);
    const count = await page.textContent("#drills-count");
    assert(/cancelled|Cancelled/.test(count), `the bar reads "${count}"`);
    assert(await page.isEnabled("#drills-run") && await page.isDisabled("#drills-cancel"),
      "Run is not offered again after the cancel");
  });

  const run = await check("a run streams its progress to the bar up to the candidates it ran", async () => {
    assert(plannerIn, "not signed in");
    const result = await runDesigner(page);
    assert(!result.error, `the page says: ${result.error}`);
    const total = result.ranking.candidates_run;
    const counts = result.progress;
    assert(counts.length >= 1, "no progress line reached the page");
    assert(counts.every((c, i) => i === 0 || c.done >= counts[i - 1].done), "the count went back");
    const last = counts[counts.length - 1];
    assert(last.done === total && last.total === total, `the last count ${JSON.stringify(last)}; ran ${total}`);
    const bar = await page.$eval("#drills-progress", (b) => ({ value: b.value, max: b.max }));
    assert(bar.value === total && bar.max === total, `the bar is at ${bar.value} of ${bar.max}`);
    const text = await page.textContent("#drills-count");
    assert(text.includes(`${total.toLocaleString("en-US")} / ${total.toLocaleString("en-US")}`), `the bar reads "${text}"`);
    return result.ranking;
  });

  const expectedFirst = await check("the first row is the API's first scenario, and the weights its defaults", async () => {
    assert(run, "no run");
    const api = await inPage(page, "POST", "/api/drills", {});
    assert(api.status === 200, `the API answered ${api.status}`);
    const first = api.body.scenarios[0];
    const row = await page.$eval("#drills-results tbody tr", (tr) => ({ id: tr.dataset.id, text: tr.textContent }));
    assert(row.id === first.id, `first row ${row.id}, the API's ${first.id}`);
    for (const part of [first.title, first.township.name, Number(first.score).toFixed(3)]) {
      assert(row.text.includes(part), `the row lacks "${part}": ${row.text.slice(0, 160)}`);
    }
    const weights = await page.$$eval(".drill-weights input", (inputs) =>
      Object.fromEntries(inputs.map((i) => [i.id.replace("drill-weight-", ""), Number(i.value)])));
    const names = Object.keys(api.body.weights);
    assert(names.length === Object.keys(weights).length && names.every((n) => weights[n] === api.body.weights[n]),
      `weights ${JSON.stringify(weights)}; the server's ${JSON.stringify(api.body.weights)}`);
    return first;
  });

  const shown = await check("the first row clicked shows its hazard and its plan on the map", async () => {
    assert(expectedFirst, "no first row");
    await page.evaluate(() => { window.__drillShowDone = false; });
    await page.click("#drills-results tbody tr:first-child th");
    await page.waitForFunction(() => window.__drillShowDone === true, null, { timeout: 60_000 });
    const ran = await page.evaluate(() => ({
      scenario: window.__lastScenario, impactError: window.__impactError, evacError: window.__evacError,
      request: window.__lastEvacuationRequest,
    }));
    assert(!ran.impactError && !ran.evacError, `the panels say: ${ran.impactError || ran.evacError}`);
    assert(JSON.stringify(ran.scenario) === JSON.stringify(expectedFirst.scenario),
      `the impact panel ran ${JSON.stringify(ran.scenario)}`);
    assert(JSON.stringify(ran.request.hazards) === JSON.stringify(expectedFirst.scenario.hazards),
      "the evacuation panel planned another scenario");
    await mapSettled(page);
    const drawn = await drawnAnalysis(page);
    assert(drawn.hazards > 0 && drawn.units > 0, `drawn: ${JSON.stringify(drawn)}`);
    assert(drawn.routes > 0, `no route drawn: ${JSON.stringify(drawn)}`);
    const selected = await page.$eval("#drills-results tr.selected", (tr) => tr.dataset.id);
    assert(selected === expectedFirst.id, `row ${selected} is marked`);
    return true;
  });

  await check("the first row's card opens: its id, scenario, timeline and map", async () => {
    assert(expectedFirst, "no first row");
    const link = page.locator("#drills-results tbody tr:first-child a.drill-card");
    const href = await link.getAttribute("href");
    const url = new URL(href, origin);
    assert(url.pathname === "/cards/drill", `the link goes to ${url.pathname}`);
    assert(url.searchParams.get("id") === expectedFirst.id, `id ${url.searchParams.get("id")}`);
    const request = JSON.parse(url.searchParams.get("request"));
    assert(JSON.stringify(request) === JSON.stringify(expectedFirst.scenario), `request ${JSON.stringify(request)}`);
    const [tab] = await Promise.all([context.waitForEvent("page"), link.click()]);
    await tab.waitForLoadState("domcontentloaded").catch(() => {});
    assert(tab.url() === url.href, `the new tab opened ${tab.url()}`);
    const heading = await tab.textContent("h2");
    assert(heading.includes("Drill card") && heading.includes(expectedFirst.title), `card heading ${heading}`);
    assert(await tab.locator("svg.map path").count() > 0, "the card prints a map of the drill area");
    const timeline = await tab.textContent("body");
    assert(timeline.includes("T+0") && timeline.includes("all-clear"), "the card has its timeline");
    assert(await tab.$eval("section.card", (s) => s.dataset.drill) === expectedFirst.id, "the card is the row's");
    await tab.close();
  });

  await check("two rows compared show the totals /api/compare gives", async () => {
    assert(run, "no run");
    await page.evaluate(() => { window.__drillCompare = null; });
    const picks = page.locator("#drills-results .drill-pick");
    await picks.nth(0).check();
    await picks.nth(1).check();
    await page.click("#drills-compare");
    await page.waitForFunction(() => window.__drillCompare !== null, null, { timeout: 60_000 });
    const shownCompare = await page.evaluate(() => window.__drillCompare);
    assert(!shownCompare.error, `the page says: ${shownCompare.error}`);
    const [a, b] = run.scenarios;
    const api = await inPage(page, "POST", "/api/compare", { a: a.scenario, b: b.scenario });
    assert(api.status === 200, `the API answered ${api.status}`);
    assert(JSON.stringify(shownCompare.totals) === JSON.stringify(api.body.totals), "the page compared other totals");
    const cells = await page.$$eval("#drills-compared tbody tr", (rows) => rows.map((r) => r.textContent));
    const people = cells.find((c) => c.startsWith("People affected"));
    const fmt = (n) => Math.round(n).toLocaleString("en-US");
    const { a: pa, b: pb } = api.body.totals.people;
    assert(people && people.includes(fmt(pa)) && people.includes(fmt(pb)),
      `the people row reads "${people}"; the API: ${pa} → ${pb}`);
  });

  await check("a drill recorded through the form is in the drill layer", async () => {
    assert(shown, "no row shown");
    const scenario = await page.inputValue("#drill-record-scenario");
    assert(scenario === expectedFirst.id, `the form's scenario is "${scenario}"`);
    const prefilled = (await page.inputValue("#drill-record-villages")).split(",").map((s) => s.trim());
    const prefix = expectedFirst.township.code.slice(0, 9);
    assert(prefilled.length > 0 && prefilled.every((c) => c.startsWith(prefix)),
      `villages prefilled: ${prefilled.join(", ")} (township ${expectedFirst.township.code})`);
    const villages = prefilled.slice(0, 2);
    const moved = villages.map((_, i) => 100 + i);
    await page.fill("#drill-record-villages", villages.join(", "));
    await page.fill("#drill-record-people", moved.join(", "));
    await page.fill("#drill-record-minutes", villages.map(() => 45).join(", "));
    await page.fill("#drill-record-problems", "the river road flooded first");
    await page.evaluate(() => { window.__drillRecorded = null; });
    await page.click("#drill-record-submit");
    await page.waitForFunction(() => window.__drillRecorded !== null, null, { timeout: 20_000 });
    const recorded = await page.evaluate(() => window.__drillRecorded);
    assert(!recorded.error, `the form says: ${recorded.error}`);
    assert(recorded.records.length === villages.length, `${recorded.records.length} records`);
    const message = await page.textContent("#drill-record-message");
    assert(message.includes(String(villages.length)), `the form says "${message}"`);
    const where = encodeURIComponent(`scenario = '${expectedFirst.id}'`);
    const found = await page.evaluate(async (url) => (await fetch(url)).json(),
      `/api/layers/drills/features?where=${where}`);
    const ours = found.features.filter((f) => f.properties.problems === "the river road flooded first");
    const codes = ours.map((f) => f.properties.admin_code).sort();
    assert(JSON.stringify(codes) === JSON.stringify([...villages].sort()), `in the layer: ${codes.join(", ")}`);
    const people = ours.map((f) => f.properties.people_moved).sort();
    assert(JSON.stringify(people) === JSON.stringify(moved), `people moved: ${people.join(", ")}`);
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
