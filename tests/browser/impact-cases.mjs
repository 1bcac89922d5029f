// The browser test's cases for the "who is affected 受灾影响" panel: draw an area and run
// it, check the totals against the API, show a refused scenario's message, run a flood
// scenario and find its affected units on the map, export CSV, open the printable report.

import fs from "node:fs";
import path from "node:path";
import {
  assert, check, digits, postJSON, REPO, runImpact, screenshot, showWholeAtlas,
} from "./harness.mjs";

const IMPACT_SCREENSHOT = path.resolve(REPO, process.env.IMPACT_SCREENSHOT || "target/browser/impact.png");

/** `t`: {page, context, origin, catalogue, idle, refusal}; returns {panelReady, floodRun}.
 *  `refusal.expected` is true while 400s from POST /api/impact are expected. */
export async function impactCases({ page, context, origin, catalogue, idle, refusal }) {
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
    await showWholeAtlas(page, catalogue.bbox);
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
    const { scenario, report, error } = await runImpact(page);
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

    const answer = await postJSON(`${origin}/api/impact`, scenario);
    assert(answer.status === 200, `POST /api/impact answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const expected = Math.round(answer.body.totals.population);
    assert(expected > 0, "nobody lives in the drawn area: pick other corners");
    const shown = digits(await page.textContent("#impact-total-population"));
    assert(shown === expected, `panel shows ${shown} people; the API says ${expected}`);
    for (const field of ["households", "elderly", "children", "disabled", "units"]) {
      const text = await page.textContent(`#impact-total-${field}`);
      if (answer.body.totals[field] === null) {
        assert(text.includes("无数据"), `panel shows "${text}" for ${field}; the API has no data`);
        continue;
      }
      const want = Math.round(answer.body.totals[field]);
      assert(digits(text) === want, `panel shows ${digits(text)} ${field}; the API says ${want}`);
    }
  });

  await check("a refused scenario shows the server's message", async () => {
    assert(panelReady, "panel not ready");
    await page.click("#impact-draw-clear");
    await page.check("#impact-hazard-landslides");
    await page.fill("#impact-buffer-landslides", "999999");
    refusal.expected = true;
    const { scenario, error } = await runImpact(page).finally(async () => {
      await new Promise((resolve) => setTimeout(resolve, 300)); // late console/response events
      refusal.expected = false;
    });
    await page.fill("#impact-buffer-landslides", "");
    await page.uncheck("#impact-hazard-landslides");
    const answer = await postJSON(`${origin}/api/impact`, scenario);
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
    const { scenario, report, error } = await runImpact(page);
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
    await screenshot(page, IMPACT_SCREENSHOT, "impact-panel");
  });

  return { panelReady, floodRun };
}
