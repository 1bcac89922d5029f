// Headless-browser test of generalised low zooms: a province-sized demo (scale 20, about
// 40,000 features) zoomed from the whole province down to a village.
//
// Run from the repository root, after `npm ci` in tests/browser and a server build:
//     node tests/browser/clusters.test.mjs
// Environment: RISKATLAS_BIN, CHROMIUM_BIN, as map.test.mjs; CLUSTERS_SCREENSHOT (default
// target/browser/clusters.png).
//
// 1. generate the demo at scale 20 with `riskatlas demo` and serve it;
// 2. at zoom 6 the province is drawn as clusters with their counts, and the landslide
//    clusters and single points on screen add up to every landslide in the layer;
// 3. clicking a cluster shows how many features it stands for;
// 4. zooming in step by step to zoom 15, every tile answers (200 or 204, no error and no
//    failed request), the map is never blank, and from each layer's detail zoom on no
//    cluster is drawn.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  assert, check, finish, mapSettled, REPO, report, screenshot, SERVER_BIN, serveAndOpen,
} from "./harness.mjs";

const SCREENSHOT = path.resolve(REPO, process.env.CLUSTERS_SCREENSHOT || "target/browser/clusters.png");

const OVERALL_TIMEOUT_MS = 240_000;

const overall = setTimeout(async () => {
  report(`test finishes within ${OVERALL_TIMEOUT_MS / 1000} s`, "overall timeout reached");
  await finish();
}, OVERALL_TIMEOUT_MS);

/** Every rendered feature of style layers whose id ends with `suffix`. */
const rendered = (page, suffix) => page.evaluate((suffix) => {
  const ids = window.map.getStyle().layers.map((l) => l.id).filter((id) => id.endsWith(suffix));
  return window.map.queryRenderedFeatures({ layers: ids }).map((f) => ({
    layer: f.layer.id, props: f.properties, id: f.id,
  }));
}, suffix);

async function main() {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "riskatlas-province-"));
  process.on("exit", () => fs.rmSync(data, { recursive: true, force: true }));
  const generated = await check("riskatlas demo --scale 20 writes a province", () => {
    const run = spawnSync(SERVER_BIN, ["demo", "--out", data, "--scale", "20"], { encoding: "utf8" });
    assert(run.status === 0, `demo exited ${run.status}: ${run.stderr.slice(-300)}`);
  });
  if (!generated) return finish();

  const served = await serveAndOpen({ data, healthyName: "server on the province becomes healthy" });
  if (!served) return finish();
  const { origin, context, page, problems, outside } = served;
  const catalogue = await (await fetch(`${origin}/api/layers`)).json();
  const landslides = catalogue.layers.find((l) => l.id === "landslides");
  const tiles = [];
  context.on("response", (r) => { if (r.url().includes("/tiles/")) tiles.push(r.status()); });

  const loaded = await check("page loads and goes idle", async () => {
    await page.goto(`${origin}/`, { waitUntil: "load", timeout: 20_000 });
    await page.waitForFunction(() => window.__mapIdle === true, null, { timeout: 45_000 });
  });
  if (!loaded) return finish();

  const [west, south, east, north] = catalogue.bbox || landslides.bbox;
  const centre = [(west + east) / 2, (south + north) / 2];
  const zoomTo = async (zoom) => {
    await page.evaluate(([centre, zoom]) => window.map.jumpTo({ center: centre, zoom }), [centre, zoom]);
    await mapSettled(page);
  };

  await check("at zoom 6 the province is drawn as clusters with their counts", async () => {
    await zoomTo(6);
    const clusters = await rendered(page, "-clusters");
    assert(clusters.length > 0, "no cluster drawn");
    const labels = await rendered(page, "-cluster-count");
    assert(labels.length > 0, "no cluster count drawn");
    assert(clusters.every((c) => Number(c.props.count) >= 1), "a cluster without a count");
  });

  await check("screenshot of the province at zoom 7 saved", async () => {
    await zoomTo(7);
    await screenshot(page, SCREENSHOT);
    await zoomTo(6);
  });

  await check("landslide clusters and single points on screen count every landslide", async () => {
    const clusters = (await rendered(page, "-clusters")).filter((c) => c.layer === "landslides-clusters");
    const singles = (await rendered(page, "landslides-circle"));
    const counted = clusters.reduce((sum, c) => sum + Number(c.props.count), 0) + singles.length;
    assert(counted === landslides.count, `${counted} counted on screen, ${landslides.count} in the layer`);
  });

  await check("clicking a cluster tells how many features it stands for", async () => {
    const where = await page.evaluate(() => {
      const ids = window.map.getStyle().layers.map((l) => l.id).filter((id) => id.endsWith("-clusters"));
      const f = window.map.queryRenderedFeatures({ layers: ids })
        .find((f) => Number(f.properties.count) > 1);
      const p = window.map.project(f.geometry.coordinates);
      return { x: p.x, y: p.y, count: Number(f.properties.count) };
    });
    await page.mouse.click(where.x, where.y);
    const popup = await page.waitForSelector(".cluster-popup", { timeout: 5_000 });
    const text = await popup.textContent();
    assert(/features here/.test(text), `popup says: ${text.slice(0, 80)}`);
    await page.evaluate(() => document.querySelector(".maplibregl-popup-close-button")?.click());
  });

  for (const zoom of [8, 10, 12, 15]) {
    await check(`zoom ${zoom}: every tile answers and the map is not blank`, async () => {
      tiles.length = 0;
      await zoomTo(zoom);
      const all = await page.evaluate(() => window.map.queryRenderedFeatures().length);
      assert(all > 0, "nothing drawn");
      assert(tiles.every((s) => s === 200 || s === 204 || s === 304), `tile statuses ${[...new Set(tiles)]}`);
      if (zoom >= 12) {
        const clusters = await rendered(page, "-clusters");
        assert(clusters.length === 0, `${clusters.length} clusters at zoom ${zoom}, past every detail zoom`);
      }
    });
  }

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
