// Headless-browser test of the riskatlas web map.
//
// Run from the repository root, after `npm ci` in tests/browser and a server build:
//     node tests/browser/map.test.mjs
// Environment: RISKATLAS_BIN (default debug/riskatlas under $CARGO_TARGET_DIR, else
// target), CHROMIUM_BIN (default /usr/bin/chromium), RISKATLAS_TEST_WEB_DIR (serve the
// page from this folder, e.g. `web`, instead of the copy embedded in the binary: for
// working on the page without a rebuild),
// SCREENSHOT (default target/browser/screenshot.png; README uses docs/screenshot.png),
// IMPACT_SCREENSHOT (default target/browser/impact.png; README uses docs/impact.png),
// EVACUATION_SCREENSHOT (default target/browser/evacuation.png, copied to
// docs/evacuation.png for the README when SAVE_DOCS_SCREENSHOTS=1).
//
// 1. start the server on a free loopback port and wait for /api/health;
// 2. start Chromium with a fresh profile and every request not addressed to that server
//    aborted and counted (the map must work with no internet);
// 3. load the page and check what a person would see: atlas features drawn, the layer
//    panel, the legend, the attribution, a layer toggle, a popup for a clicked shelter;
// 4. use the "who is affected" panel (impact-cases.mjs): draw an area and run it, check
//    the totals against the API, show a refused scenario's message, run a flood scenario
//    and find its affected units on the map, export CSV and open the printable report;
// 5. plan an evacuation (evacuation-cases.mjs): routes on the map, totals against the API,
//    the people not placed listed with their reasons, a route's popup, the CSV export;
// 6. check there were no console errors, failed requests or outside requests, and save
//    screenshots.
// Prints `ok - name` / `not ok - name: reason` per case and `N passed, N failed`.

import fs from "node:fs";
import path from "node:path";
import { evacuationCases } from "./evacuation-cases.mjs";
import {
  assert, check, CHROMIUM, finish, freePort, launchBrowser, REPO, report, screenshot,
  SERVER_BIN, startServer, WEB_DIR,
} from "./harness.mjs";
import { impactCases } from "./impact-cases.mjs";

const SCREENSHOT = path.resolve(REPO, process.env.SCREENSHOT || "target/browser/screenshot.png");
const OVERALL_TIMEOUT_MS = 240_000;
const REQUIRED_LAYERS = ["villages", "roads", "floods", "shelters"];

const overall = setTimeout(async () => {
  report(`test finishes within ${OVERALL_TIMEOUT_MS / 1000} s`, "overall timeout reached");
  await finish();
}, OVERALL_TIMEOUT_MS);

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
  if (WEB_DIR) console.log(`# page served from ${WEB_DIR} (RISKATLAS_TEST_WEB_DIR), not the embedded copy`);

  const catalogue = await (await fetch(`${origin}/api/layers`)).json();

  const context = await launchBrowser(chromium);

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

  await check("screenshot saved", () => screenshot(page, SCREENSHOT));

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
      throw new Error("popup was not enriched from /api/layers/{id}/fid/{fid}");
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

  const { panelReady, floodRun } = await impactCases({ page, context, origin, catalogue, idle, refusal });
  await evacuationCases({ page, origin, catalogue, idle, panelReady, floodRun });

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
