// Headless-browser test of the riskatlas web map.
//
// Run from the repository root, after `npm ci` in tests/browser and a server build:
//     node tests/browser/map.test.mjs
// Environment: RISKATLAS_BIN (default target/debug/riskatlas), CHROMIUM_BIN (default
// /usr/bin/chromium), SCREENSHOT (default target/browser/screenshot.png; README uses docs/screenshot.png),
// IMPACT_SCREENSHOT (default target/browser/impact.png; README uses docs/impact.png).
//
// 1. start the server on a free loopback port and wait for /api/health;
// 2. start Chromium with a fresh profile and every request not addressed to that server
//    aborted and counted (the map must work with no internet);
// 3. load the page and check what a person would see: atlas features drawn, the layer
//    panel, the legend, the attribution, a layer toggle, a popup for a clicked shelter;
// 4. use the "who is affected" panel: draw an area and run it, check the totals against
//    the API, show a refused scenario's message, run a flood scenario and find its
//    affected units on the map, export CSV and open the printable report;
// 5. check there were no console errors, failed requests or outside requests, and save
//    screenshots.
// Prints `ok - name` / `not ok - name: reason` per case and `N passed, N failed`.

import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const SERVER_BIN = path.resolve(REPO, process.env.RISKATLAS_BIN || "target/debug/riskatlas");
const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const SCREENSHOT = path.resolve(REPO, process.env.SCREENSHOT || "target/browser/screenshot.png");
const IMPACT_SCREENSHOT = path.resolve(REPO, process.env.IMPACT_SCREENSHOT || "target/browser/impact.png");
const OVERALL_TIMEOUT_MS = 180_000;
const HEALTH_TIMEOUT_MS = 30_000;
const REQUIRED_LAYERS = ["villages", "roads", "floods", "shelters"];

let passed = 0;
let failed = 0;
let server = null;
let context = null;
let profileDir = null;

function report(name, error) {
  if (error) {
    failed += 1;
    const reason = String(error && error.message ? error.message : error).split("\n")[0];
    console.log(`not ok - ${name}: ${reason}`);
  } else {
    passed += 1;
    console.log(`ok - ${name}`);
  }
}

/** Runs one named case; returns its value, or undefined when it failed. */
async function check(name, fn) {
  try {
    const value = await fn();
    report(name);
    return value ?? true;
  } catch (error) {
    report(name, error);
    return undefined;
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

async function cleanup() {
  if (context) await context.close().catch(() => {});
  context = null;
  if (server && server.exitCode === null && server.signalCode === null) {
    const pid = server.pid;
    process.kill(pid, "SIGTERM");
    const exited = await Promise.race([
      new Promise((resolve) => server.once("exit", () => resolve(true))),
      new Promise((resolve) => setTimeout(() => resolve(false), 3000)),
    ]);
    if (!exited) process.kill(pid, "SIGKILL");
  }
  server = null;
  if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  profileDir = null;
}

async function finish() {
  await cleanup();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

const overall = setTimeout(async () => {
  report(`test finishes within ${OVERALL_TIMEOUT_MS / 1000} s`, "overall timeout reached");
  await finish();
}, OVERALL_TIMEOUT_MS);

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function startServer(port, log) {
  server = spawn(SERVER_BIN, ["serve", "--data", "data/demo", "--bind", `127.0.0.1:${port}`], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn" },
  });
  for (const stream of [server.stdout, server.stderr]) {
    stream.on("data", (chunk) => log.push(...chunk.toString().split("\n").filter(Boolean)));
  }
  const spawnError = new Promise((_, reject) => server.once("error", reject));
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) {
      throw new Error(`server exited with ${server.exitCode}: ${log.slice(-3).join(" | ")}`);
    }
    try {
      const response = await Promise.race([fetch(`http://127.0.0.1:${port}/api/health`), spawnError]);
      if (response.ok) {
        const body = await response.json();
        if (body.status === "ok") return body;
      }
    } catch (error) {
      if (error && error.code === "ENOENT") throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no healthy /api/health within 30 s: ${log.slice(-3).join(" | ")}`);
}

async function main() {
  // Preconditions: never skip silently.
  if (!fs.existsSync(CHROMIUM)) {
    report("chromium is installed", `${CHROMIUM} not found (apt-get install chromium)`);
    return finish();
  }
  if (!fs.existsSync(SERVER_BIN)) {
    report("server binary exists", `${SERVER_BIN} not found (cargo build first)`);
    return finish();
  }
  let chromium;
  try {
    ({ chromium } = await import("playwright-core"));
  } catch (error) {
    report("playwright-core is installed", `${error.message} (run npm ci in tests/browser)`);
    return finish();
  }

  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const serverLog = [];
  const health = await check("server becomes healthy within 30 s", () => startServer(port, serverLog));
  if (!health) return finish();

  const catalogue = await (await fetch(`${origin}/api/layers`)).json();

  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "riskatlas-chromium-"));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
      "--enable-unsafe-swiftshader",
    ],
  });

  // Only the server under test may be reached.
  const outside = [];
  await context.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.host === `127.0.0.1:${port}`) return route.continue();
    outside.push(route.request().url());
    return route.abort("blockedbyclient");
  });

  const page = context.pages()[0] || (await context.newPage());
  const consoleErrors = [];
  const failedRequests = [];
  // The refused-scenario case expects 400s from POST /api/impact; nothing else may fail.
  const refusal = { expected: false };
  const isImpactRequest = (url) => url.startsWith(`${origin}/api/impact`);
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const expected = refusal.expected && /status of 400/.test(message.text()) &&
      isImpactRequest(message.location().url || "");
    if (!expected) consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
  context.on("requestfailed", (request) => {
    if (new URL(request.url()).host !== `127.0.0.1:${port}`) return; // counted in `outside`
    failedRequests.push(`${request.url()} (${request.failure()?.errorText})`);
  });
  context.on("response", (response) => {
    if (response.status() < 400) return;
    if (refusal.expected && response.status() === 400 && isImpactRequest(response.url())) return;
    failedRequests.push(`${response.url()} (HTTP ${response.status()})`);
  });

  const loaded = await check("page loads", async () => {
    const response = await page.goto(`${origin}/`, { waitUntil: "load", timeout: 20_000 });
    assert(response && response.ok(), `GET / answered ${response && response.status()}`);
  });
  if (!loaded) return finish();

  const idle = await check("map goes idle with atlas features drawn", async () => {
    await page.waitForFunction(() => window.__mapIdle === true, null, { timeout: 45_000 });
  });

  await check(`features rendered from ${REQUIRED_LAYERS.join(", ")}`, async () => {
    assert(idle, "map never became idle");
    const drawn = await page.evaluate(() => {
      const ids = new Set();
      for (const f of window.map.queryRenderedFeatures()) {
        const id = (f.layer.metadata || {})["riskatlas:layer"];
        if (id) ids.add(id);
      }
      return [...ids];
    });
    const missing = REQUIRED_LAYERS.filter((id) => !drawn.includes(id));
    assert(missing.length === 0, `not drawn: ${missing.join(", ")} (drawn: ${drawn.join(", ") || "none"})`);
  });

  await check("screenshot saved", async () => {
    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    const size = fs.statSync(SCREENSHOT).size;
    assert(size > 10_000, `screenshot is only ${size} bytes`);
  });

  await check("layer panel lists every layer with its feature count", async () => {
    const rows = await page.$$eval("#layer-list li", (items) => items.map((li) => ({
      id: li.querySelector("input").dataset.layer,
      text: li.textContent,
    })));
    assert(rows.length === catalogue.layers.length,
      `${rows.length} rows for ${catalogue.layers.length} layers`);
    for (const layer of catalogue.layers) {
      const row = rows.find((r) => r.id === layer.id);
      assert(row, `no row for ${layer.id}`);
      assert(row.text.includes(layer.name), `row for ${layer.id} lacks its name ${layer.name}`);
      assert(row.text.replace(/[,\s]/g, "").includes(String(layer.count)),
        `row for ${layer.id} lacks its count ${layer.count}`);
    }
  });

  await check("unticking a layer hides all its style layers", async () => {
    const result = await page.evaluate(async () => {
      const box = document.querySelector('#layer-list input[data-layer="villages"]');
      const styleIds = window.map.getStyle().layers
        .filter((l) => (l.metadata || {})["riskatlas:layer"] === "villages").map((l) => l.id);
      box.click();
      const hidden = styleIds.map((id) => window.map.getLayoutProperty(id, "visibility"));
      box.click();
      const shown = styleIds.map((id) => window.map.getLayoutProperty(id, "visibility") ?? "visible");
      return { styleIds, hidden, shown };
    });
    assert(result.styleIds.length > 0, "no style layer is tagged riskatlas:layer=villages");
    assert(result.hidden.every((v) => v === "none"), `after untick: ${result.hidden.join(",")}`);
    assert(result.shown.every((v) => v === "visible"), `after tick: ${result.shown.join(",")}`);
  });

  await check("legend shows the four warning colours", async () => {
    const colours = await page.$$eval("#legend-body .swatch",
      (swatches) => swatches.map((s) => getComputedStyle(s).backgroundColor));
    for (const rgb of ["rgb(30, 111, 217)", "rgb(242, 194, 0)", "rgb(242, 133, 0)", "rgb(215, 25, 28)"]) {
      assert(colours.includes(rgb), `legend lacks ${rgb}`);
    }
  });

  await check("attribution says the data are synthetic", async () => {
    const text = await page.textContent("#attribution");
    assert(/Synthetic demo data/.test(text), `attribution reads "${text}"`);
  });

  await check("clicking a shelter shows its name in the popup", async () => {
    assert(idle, "map never became idle");
    const collection = await (await fetch(`${origin}/api/layers/shelters/features?limit=1`)).json();
    const shelter = collection.features && collection.features[0];
    assert(shelter, "no shelter from /api/layers/shelters/features?limit=1");
    const name = shelter.properties && shelter.properties.name;
    assert(name, `shelter ${shelter.id} has no name`);
    const coords = JSON.stringify(shelter.geometry.coordinates).match(/-?\d+(\.\d+)?(e-?\d+)?/g).map(Number);
    const lngLat = [coords[0], coords[1]];
    // Centre the shelter so the side panel cannot cover it, close enough to be drawn.
    await page.evaluate(async (center) => {
      const map = window.map;
      const idle = new Promise((resolve) => map.once("idle", resolve));
      map.jumpTo({ center, zoom: Math.max(map.getZoom(), 13) });
      await idle;
    }, lngLat);
    const point = await page.evaluate((c) => window.map.project(c), lngLat);
    await page.mouse.click(point.x, point.y);
    const popup = page.locator(".maplibregl-popup .feature-popup");
    await popup.waitFor({ timeout: 5000 });
    const text = await popup.textContent();
    assert(text.includes(name), `popup does not mention "${name}": ${text.slice(0, 120)}`);
    await page.waitForSelector(".feature-popup.enriched", { timeout: 5000 }).catch(() => {
      throw new Error("popup was not enriched from /api/layers/{id}/features/{fid}");
    });
  });

  await check("the style's glyph URL serves Latin glyph ranges", async () => {
    const style = await (await fetch(`${origin}/style.json`)).json();
    assert(typeof style.glyphs === "string", "style has no glyphs URL");
    for (const range of ["0-255", "256-511"]) {
      const url = style.glyphs.replace("{fontstack}", encodeURIComponent("Noto Sans Regular"))
        .replace("{range}", range);
      const response = await fetch(url);
      assert(response.ok, `${url} answered ${response.status}`);
      const size = (await response.arrayBuffer()).byteLength;
      assert(size > 1000, `${url} is only ${size} bytes`);
    }
  });

  // --- who is affected 受灾影响 ------------------------------------------------------------

  /** Shows the whole atlas beside the side panel, with no popup open, and waits for idle. */
  const showWholeAtlas = () => page.evaluate(async (bbox) => {
    document.querySelector(".maplibregl-popup-close-button")?.click();
    const map = window.map;
    const left = document.getElementById("sidebar").offsetWidth + 30;
    map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]],
      { padding: { top: 40, right: 60, bottom: 50, left }, animate: false });
    const idle = new Promise((resolve) => map.once("idle", resolve));
    map.triggerRepaint();
    await idle;
  }, catalogue.bbox);

  /** Clicks Run and waits for the panel to finish; returns what the page recorded. */
  const runImpact = async () => {
    await page.evaluate(() => { window.__impactDone = false; });
    await page.click("#impact-run");
    await page.waitForFunction(() => window.__impactDone === true, null, { timeout: 30_000 });
    return page.evaluate(() => ({
      scenario: window.__lastScenario, report: window.__lastImpact, error: window.__impactError,
    }));
  };

  const postImpact = async (scenario, format = "") => {
    const response = await fetch(`${origin}/api/impact${format ? `?format=${format}` : ""}`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(scenario),
    });
    return { status: response.status, body: await response.json() };
  };

  const digits = (text) => Number(String(text).replace(/[^\d]/g, ""));
  const panelReady = await check("the who-is-affected panel offers the hazard layers", async () => {
    await page.waitForSelector("#impact-panel #impact-run", { timeout: 5000 });
    const hazardIds = catalogue.layers
      .filter((l) => ["flood", "landslide", "wildfire", "hazard"].includes(l.kind)).map((l) => l.id);
    const offered = await page.$$eval("#impact-panel .hazard-row input[type=checkbox]",
      (boxes) => boxes.map((b) => b.dataset.layer));
    assert(JSON.stringify(offered) === JSON.stringify(hazardIds),
      `offered ${offered.join(",")}; hazard layers are ${hazardIds.join(",")}`);
    for (const id of ["impact-rp-floods", "impact-danger-wildfire", "impact-buffer-landslides"]) {
      assert(await page.$(`#${id}`), `no #${id}`);
    }
  });

  await check("drawing a polygon and running shows the totals", async () => {
    assert(idle && panelReady, "map or panel not ready");
    await showWholeAtlas();
    const corners = [[105.65, 34.47], [105.80, 34.47], [105.80, 34.58], [105.65, 34.58]];
    await page.click("#impact-draw");
    for (const corner of corners) {
      const { x, y, onMap } = await page.evaluate((c) => {
        const p = window.map.project(c);
        const box = window.map.getCanvas().getBoundingClientRect();
        const hit = document.elementFromPoint(box.left + p.x, box.top + p.y);
        return { x: box.left + p.x, y: box.top + p.y, onMap: hit === window.map.getCanvas() };
      }, corner);
      assert(onMap, `corner ${corner} at (${Math.round(x)}, ${Math.round(y)}) is not on the map canvas`);
      await page.mouse.click(x, y);
    }
    await page.click("#impact-draw-finish");
    const { scenario, report, error } = await runImpact();
    assert(!error, `the panel says: ${error}`);
    assert(report, "window.__lastImpact is not set");

    const drawn = scenario.hazards.filter((h) => h.geometry);
    assert(drawn.length === 1 && scenario.hazards.length === 1,
      `scenario hazards: ${JSON.stringify(scenario.hazards).slice(0, 200)}`);
    const ring = drawn[0].geometry.coordinates[0];
    assert(drawn[0].geometry.type === "Polygon", `drawn geometry is a ${drawn[0].geometry.type}`);
    assert(ring.length === 5, `the drawn ring has ${ring.length} positions, not 5`);
    assert(JSON.stringify(ring[0]) === JSON.stringify(ring[4]), "the drawn ring is not closed");
    corners.forEach((c, i) => {
      const off = Math.hypot(ring[i][0] - c[0], ring[i][1] - c[1]);
      assert(off < 0.003, `corner ${i} drawn at ${ring[i]}, clicked at ${c}`);
    });

    const answer = await postImpact(scenario);
    assert(answer.status === 200, `POST /api/impact answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const expected = Math.round(answer.body.totals.population);
    assert(expected > 0, "nobody lives in the drawn area: pick other corners");
    const shown = digits(await page.textContent("#impact-total-population"));
    assert(shown === expected, `panel shows ${shown} people; the API says ${expected}`);
    for (const field of ["households", "elderly", "children", "disabled", "units"]) {
      const value = digits(await page.textContent(`#impact-total-${field}`));
      const want = Math.round(answer.body.totals[field]);
      assert(value === want, `panel shows ${value} ${field}; the API says ${want}`);
    }
  });

  await check("a refused scenario shows the server's message", async () => {
    assert(panelReady, "panel not ready");
    await page.click("#impact-draw-clear");
    await page.check("#impact-hazard-landslides");
    await page.fill("#impact-buffer-landslides", "999999");
    refusal.expected = true;
    const { scenario, error } = await runImpact().finally(async () => {
      await new Promise((resolve) => setTimeout(resolve, 300)); // late console/response events
      refusal.expected = false;
    });
    await page.fill("#impact-buffer-landslides", "");
    await page.uncheck("#impact-hazard-landslides");
    const answer = await postImpact(scenario);
    assert(answer.status === 400, `the API answered ${answer.status} to buffer_m 999999`);
    const status = await page.$eval("#impact-status", (s) => ({ text: s.textContent, error: s.classList.contains("error") }));
    assert(status.error, "the status line is not marked as an error");
    assert(status.text === answer.body.error && error === answer.body.error,
      `panel says "${status.text}"; the API says "${answer.body.error}"`);
  });

  const floodRun = await check("flood scenario highlights affected villages on the map", async () => {
    assert(idle && panelReady, "map or panel not ready");
    await page.check("#impact-hazard-floods");
    await page.selectOption("#impact-rp-floods", "50");
    const { scenario, report, error } = await runImpact();
    assert(!error, `the panel says: ${error}`);
    assert(JSON.stringify(scenario.hazards) ===
      JSON.stringify([{ layer: "floods", where: { return_period_years: { lte: 50 } } }]),
    `scenario hazards: ${JSON.stringify(scenario.hazards)}`);
    assert(report.units.length > 0, "the flood scenario affects no unit");
    const rendered = await page.waitForFunction(() => {
      const map = window.map;
      if (!map.getSource("impact")) return null;
      const layers = map.getStyle().layers.filter((l) => l.source === "impact").map((l) => l.id);
      const features = map.queryRenderedFeatures({ layers });
      const units = features.filter((f) => f.properties.role === "unit").map((f) => String(f.properties.id));
      const hazards = features.filter((f) => f.properties.role === "hazard").length;
      return units.length && hazards ? { units: [...new Set(units)], hazards, layers } : null;
    }, null, { timeout: 10_000 }).then((handle) => handle.jsonValue()).catch(() => {
      throw new Error("no unit and hazard features of source \"impact\" were drawn within 10 s");
    });
    const ids = new Set(report.units.map((u) => String(u.id)));
    const strangers = rendered.units.filter((id) => !ids.has(id));
    assert(strangers.length === 0, `units drawn that the report does not list: ${strangers.join(",")}`);
    const top = await page.evaluate(() => {
      const ids = window.map.getStyle().layers.map((l) => l.id);
      return { impact: ids.indexOf("impact-unit-circle"), atlas: ids.indexOf("drills-circle") };
    });
    assert(top.impact > top.atlas, "the affected units are drawn below the atlas points");
    return true;
  });

  await check("CSV export downloads the table per admin unit", async () => {
    assert(floodRun, "no flood run to export");
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 10_000 }),
      page.click("#impact-export-csv"),
    ]);
    const text = fs.readFileSync(await download.path(), "utf8").replace(/^\ufeff/, "");
    const lines = text.trim().split("\n");
    assert(lines[0].startsWith("code,name,"), `CSV starts "${lines[0].slice(0, 40)}"`);
    const report = await page.evaluate(() => window.__lastImpact);
    assert(lines.length === report.by_admin.length + 1,
      `${lines.length - 1} CSV rows for ${report.by_admin.length} admin units`);
  });

  await check("Print report opens the printable report in a new tab", async () => {
    assert(floodRun, "no flood run to print");
    const [tab] = await Promise.all([
      context.waitForEvent("page", { timeout: 10_000 }),
      page.click("#impact-print"),
    ]);
    await tab.waitForLoadState("load");
    const url = new URL(tab.url());
    const sent = await page.evaluate(() => window.__lastScenario);
    assert(url.pathname === "/report/impact", `opened ${url.pathname}`);
    assert(JSON.stringify(JSON.parse(url.searchParams.get("scenario"))) === JSON.stringify(sent),
      "the report URL carries another scenario");
    const heading = await tab.textContent("h1");
    await tab.close();
    assert(/Impact report/.test(heading), `the report page's heading is "${heading}"`);
  });

  await check("screenshot of the impact panel saved", async () => {
    assert(floodRun, "no flood results to show");
    await page.evaluate(async () => {
      const sidebar = document.getElementById("sidebar");
      const panel = document.getElementById("impact-panel");
      sidebar.scrollTop += panel.getBoundingClientRect().top - sidebar.getBoundingClientRect().top - 8;
      const idle = new Promise((resolve) => window.map.once("idle", resolve));
      window.map.triggerRepaint();
      await idle;
    });
    fs.mkdirSync(path.dirname(IMPACT_SCREENSHOT), { recursive: true });
    await page.screenshot({ path: IMPACT_SCREENSHOT });
    const size = fs.statSync(IMPACT_SCREENSHOT).size;
    assert(size > 10_000, `screenshot is only ${size} bytes`);
  });

  await check("no console errors", async () => {
    assert(consoleErrors.length === 0, `${consoleErrors.length}: ${consoleErrors.slice(0, 3).join(" | ")}`);
  });
  await check("no failed requests", async () => {
    assert(failedRequests.length === 0, `${failedRequests.length}: ${failedRequests.slice(0, 3).join(" | ")}`);
  });
  await check("no request left the server", async () => {
    assert(outside.length === 0, `${outside.length} blocked: ${outside.slice(0, 3).join(" | ")}`);
  });

  return finish();
}

main().catch(async (error) => {
  report("test harness", error);
  await finish();
}).finally(() => clearTimeout(overall));
