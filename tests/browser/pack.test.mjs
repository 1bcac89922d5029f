// Headless-browser test of laptop mode: the web map served from a map pack alone.
//
// Run from the repository root, after `npm ci` in tests/browser and a server build:
//     node tests/browser/pack.test.mjs
// Environment: RISKATLAS_BIN, CHROMIUM_BIN, as map.test.mjs.
//
// 1. `riskatlas pack` writes the demo county to a PMTiles archive in a temporary folder;
// 2. `riskatlas serve --pack` serves it (no data folder is read: the one given is empty);
// 3. with every request beyond that server cut off, the page loads, the layers draw, the
//    page says it shows an offline map pack, and a click on a shelter opens a popup that
//    names it;
// 4. an analysis asked of it answers 503 naming laptop mode, and nothing else fails.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { assert, check, demoCopy, finish, report, SERVER_BIN, serveAndOpen } from "./harness.mjs";

const OVERALL_TIMEOUT_MS = 180_000;
const REQUIRED_LAYERS = ["villages", "roads", "floods", "shelters"];

const overall = setTimeout(async () => {
  report(`test finishes within ${OVERALL_TIMEOUT_MS / 1000} s`, "overall timeout reached");
  await finish();
}, OVERALL_TIMEOUT_MS);

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "riskatlas-pack-"));
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  const archive = path.join(dir, "county.pmtiles");
  const packed = await check("riskatlas pack writes the demo county", () => {
    const run = spawnSync(SERVER_BIN, ["pack", "--data", demoCopy(path.join(dir, "demo")), "--out", archive], { encoding: "utf8" });
    assert(run.status === 0, `pack exited ${run.status}: ${run.stderr.slice(-300)}`);
  });
  if (!packed) return finish();

  // An empty folder as --data: laptop mode must not read it.
  const empty = path.join(dir, "no-data");
  fs.mkdirSync(empty);
  const served = await serveAndOpen({ data: empty, extra: ["--pack", archive], healthyName: "serve --pack becomes healthy" });
  if (!served) return finish();
  const { origin, page, problems, outside, health } = served;
  await check("health says it serves the pack", () => {
    assert(health.mode === "pack" && health.layers === 14, JSON.stringify(health));
  });

  const idle = await check("page loads and the map goes idle", async () => {
    await page.goto(`${origin}/`, { waitUntil: "load", timeout: 20_000 });
    await page.waitForFunction(() => window.__mapIdle === true, null, { timeout: 45_000 });
  });
  if (!idle) return finish();

  await check(`layers drawn from the pack: ${REQUIRED_LAYERS.join(", ")}`, async () => {
    const drawn = await page.evaluate(() => [...new Set(window.map.queryRenderedFeatures()
      .map((f) => (f.layer.metadata || {})["riskatlas:layer"]).filter(Boolean))]);
    const missing = REQUIRED_LAYERS.filter((id) => !drawn.includes(id));
    assert(missing.length === 0, `not drawn: ${missing.join(", ")}`);
  });

  await check("the page says it shows an offline map pack", async () => {
    const who = await page.textContent("#who");
    assert(/offline map pack/.test(who), `#who says: ${who}`);
  });

  await check("a click on a shelter opens a popup that names it", async () => {
    const where = await page.evaluate(() => {
      const ids = window.map.getStyle().layers.filter((l) => (l.metadata || {})["riskatlas:layer"] === "shelters")
        .map((l) => l.id);
      const f = window.map.queryRenderedFeatures({ layers: ids })[0];
      const p = window.map.project(f.geometry.coordinates);
      return { x: p.x, y: p.y, name: f.properties.name };
    });
    await page.mouse.click(where.x, where.y);
    const popup = await page.waitForSelector(".feature-popup", { timeout: 5_000 });
    const text = await popup.textContent();
    // The shelter is the popup's feature, or listed under "Also here" when a drill
    // record is drawn on the same spot.
    assert(text.includes(where.name), `popup says: ${text.slice(0, 160)}, not ${where.name}`);
    await page.evaluate(() => document.querySelector(".maplibregl-popup-close-button")?.click());
  });

  await check("an analysis answers 503 naming laptop mode", async () => {
    const response = await fetch(`${origin}/api/impact`, {
      method: "POST", headers: { "content-type": "application/json" }, body: "{}",
    });
    const body = await response.json();
    assert(response.status === 503 && /map pack/.test(body.error), `${response.status}: ${JSON.stringify(body)}`);
  });

  await check("no console error, failed request or outside request", () => {
    assert(outside.length === 0, `outside requests: ${outside.slice(0, 3).join(" | ")}`);
    assert(problems.length === 0, problems.slice(0, 3).join(" | "));
  });
  clearTimeout(overall);
  return finish();
}

main().catch(async (error) => {
  report("browser test runs", error);
  await finish();
});
