// Headless-browser test of the riskatlas web map.
//
// Run from the repository root, after `npm ci` in tests/browser and a server build:
//     node tests/browser/map.test.mjs
// Environment: RISKATLAS_BIN (default target/debug/riskatlas), CHROMIUM_BIN (default
// /usr/bin/chromium), SCREENSHOT (default target/browser/screenshot.png; README uses docs/screenshot.png).
//
// 1. start the server on a free loopback port and wait for /api/health;
// 2. start Chromium with a fresh profile and every request not addressed to that server
//    aborted and counted (the map must work with no internet);
// 3. load the page and check what a person would see: atlas features drawn, the layer
//    panel, the legend, the attribution, a layer toggle, a popup for a clicked shelter;
// 4. check there were no console errors, failed requests or outside requests, and save a
//    screenshot.
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
const OVERALL_TIMEOUT_MS = 120_000;
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
  report("test finishes within 120 s", "overall timeout reached");
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
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
  context.on("requestfailed", (request) => {
    if (new URL(request.url()).host !== `127.0.0.1:${port}`) return; // counted in `outside`
    failedRequests.push(`${request.url()} (${request.failure()?.errorText})`);
  });
  context.on("response", (response) => {
    if (response.status() >= 400) failedRequests.push(`${response.url()} (HTTP ${response.status()})`);
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
