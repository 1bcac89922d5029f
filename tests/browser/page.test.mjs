// Headless-browser test of the page as a new user meets it: the first view, the popup's
// choice and labels, and a phone-sized screen.
//
// Run from the repository root, after `npm ci` in tests/browser and a server build:
//     node tests/browser/page.test.mjs
// Environment: RISKATLAS_BIN, CHROMIUM_BIN, as map.test.mjs.
//
// 1. A copy of the demo with a drill record placed exactly on a shelter is served.
// 2. The first view leaves drill history off and draws hazards, people and shelters.
// 3. With drills ticked, a click on that spot opens the shelter (the drill listed under
//    "also here"), its attributes labelled in Chinese and English, coded values too.
// 4. A click where only admin units are drawn opens one, whose popup links its printed
//    map sheet; the link answers a PDF.
// 5. Shelter names are placed beside their dots.
// 6. At 390 × 844 the panel starts folded at the bottom, the zoom buttons are clear of
//    it, and it unfolds on request.

import fs from "node:fs";
import path from "node:path";
import { assert, check, demoCopy, finish, report, serveAndOpen } from "./harness.mjs";

const OVERALL_TIMEOUT_MS = 180_000;
const DRILL_NAME = "同址演练 drill on the shelter";

const overall = setTimeout(async () => {
  report(`test finishes within ${OVERALL_TIMEOUT_MS / 1000} s`, "overall timeout reached");
  await finish();
}, OVERALL_TIMEOUT_MS);

/** The demo, with one drill record on the first shelter; that shelter. */
function prepare() {
  const data = demoCopy();
  const read = (name) => JSON.parse(fs.readFileSync(path.join(data, name), "utf8"));
  const shelter = read("shelters.geojson").features[0];
  const drills = read("drills.geojson");
  drills.features.push({
    type: "Feature",
    geometry: { type: "Point", coordinates: shelter.geometry.coordinates },
    properties: { date: "2026-06-01", name: DRILL_NAME, scenario: "flood evacuation" },
  });
  fs.writeFileSync(path.join(data, "drills.geojson"), JSON.stringify(drills));
  return { data, shelter };
}

async function main() {
  const { data, shelter } = prepare();
  const served = await serveAndOpen({ data });
  if (!served) return finish();
  const { origin, page, context, problems, outside } = served;

  const idle = await check("page loads and the map goes idle", async () => {
    await page.goto(`${origin}/`, { waitUntil: "load", timeout: 20_000 });
    await page.waitForFunction(() => window.__mapIdle === true, null, { timeout: 45_000 });
  });
  if (!idle) return finish();

  await check("the first view leaves drill history off and shows hazards, people and shelters", async () => {
    const boxes = await page.$$eval("#layer-list input", (inputs) =>
      Object.fromEntries(inputs.map((i) => [i.dataset.layer, i.checked])));
    assert(boxes.drills === false, `drills ticked: ${JSON.stringify(boxes)}`);
    for (const id of ["floods", "landslides", "villages", "shelters"]) {
      assert(boxes[id] === true, `${id} not ticked: ${JSON.stringify(boxes)}`);
    }
    const drawnDrills = await page.evaluate(() => window.map.queryRenderedFeatures()
      .filter((f) => (f.layer.metadata || {})["riskatlas:layer"] === "drills").length);
    assert(drawnDrills === 0, `${drawnDrills} drill features drawn`);
  });

  await check("a click on a shelter with a drill drawn over it opens the shelter", async () => {
    await page.click('#layer-list input[data-layer="drills"]');
    const point = await page.evaluate(async (center) => {
      const map = window.map;
      const idle = new Promise((resolve) => map.once("idle", resolve));
      map.jumpTo({ center, zoom: 14 });
      await idle;
      return map.project(center);
    }, shelter.geometry.coordinates);
    const under = await page.evaluate(({ x, y }) => window.map.queryRenderedFeatures([x, y])
      .map((f) => (f.layer.metadata || {})["riskatlas:layer"]).filter(Boolean), point);
    assert(under.includes("drills") && under.includes("shelters"),
      `the drill and the shelter are not both under the click: ${under.join(", ")}`);
    await page.mouse.click(point.x, point.y);
    const popup = page.locator(".maplibregl-popup .feature-popup");
    await popup.waitFor({ timeout: 5000 });
    assert(await popup.getAttribute("data-layer") === "shelters",
      `the popup shows layer ${await popup.getAttribute("data-layer")}`);
    const also = await page.textContent(".feature-popup .also-here");
    assert(also.includes(DRILL_NAME), `the drill is not listed under "also here": ${also}`);
  });

  await check("popup attributes read in Chinese and English, coded values too", async () => {
    await page.waitForSelector(".feature-popup.enriched", { timeout: 5000 });
    const rows = await page.$$eval(".feature-popup table.attributes tr", (trs) => trs.map((tr) => ({
      key: tr.dataset.key, label: tr.querySelector("th").textContent, value: tr.querySelector("td").textContent,
    })));
    const row = (key) => rows.find((r) => r.key === key);
    assert(row("capacity")?.label === "容量 Capacity", `capacity reads ${JSON.stringify(row("capacity"))}`);
    assert(row("capacity_night")?.label === "夜间容量 Night capacity", JSON.stringify(row("capacity_night")));
    const type = shelter.properties.shelter_type;
    const expected = {
      square: "广场 square", county_square: "县城广场 county square",
      school_yard: "学校操场 school yard", township_hall: "乡镇礼堂 township hall",
    }[type];
    assert(expected, `the demo shelter's type ${type} is not one the test knows`);
    assert(row("shelter_type")?.value === expected, `shelter_type reads ${JSON.stringify(row("shelter_type"))}`);
    const raw = rows.filter((r) => /^[a-z_]+$/.test(r.label));
    assert(raw.length === 0, `labels left raw: ${raw.map((r) => r.label).join(", ")}`);
  });

  await check("an admin unit's popup links its printed map sheet, which the server prints", async () => {
    await page.keyboard.press("Escape");
    // A spot where only admin units are drawn: a click there opens one of them.
    const spot = await page.evaluate(async () => {
      const map = window.map;
      const idle = new Promise((resolve) => map.once("idle", resolve));
      map.jumpTo({ zoom: 12 });
      await idle;
      const canvas = map.getCanvas();
      const { width, height, left, top } = canvas.getBoundingClientRect();
      for (let y = 40; y < height - 40; y += 23) {
        for (let x = 40; x < width - 40; x += 23) {
          // Not under the panel or a control: the click must reach the map.
          if (document.elementFromPoint(left + x, top + y) !== canvas) continue;
          const kinds = map.queryRenderedFeatures([x, y])
            .map((f) => (f.layer.metadata || {})["riskatlas:layer"]).filter(Boolean);
          if (kinds.length && kinds.every((k) => ["county", "townships", "villages"].includes(k))) {
            return { x: left + x, y: top + y };
          }
        }
      }
      return null;
    });
    assert(spot, "no spot with only admin units under it at zoom 12");
    await page.mouse.click(spot.x, spot.y);
    const popup = page.locator(".maplibregl-popup .feature-popup");
    await popup.waitFor({ timeout: 5000 });
    const link = page.locator(".maplibregl-popup .feature-popup a.sheet-link").first();
    await link.waitFor({ timeout: 5000 }).catch(async (e) => {
      throw new Error(`${e.message}; the popup (${await popup.getAttribute("data-layer")}) reads ${await popup.textContent()}`);
    });
    const href = await link.getAttribute("href");
    assert(/^\/sheets\/\d+\.pdf\?paper=A4$/.test(href), `the sheet link is ${href}`);
    const answer = await page.evaluate(async (url) => {
      const r = await fetch(url);
      const bytes = new Uint8Array(await r.arrayBuffer());
      return { status: r.status, type: r.headers.get("content-type"), magic: String.fromCharCode(...bytes.slice(0, 5)) };
    }, href);
    assert(answer.status === 200 && answer.type === "application/pdf" && answer.magic === "%PDF-",
      `the sheet answers ${JSON.stringify(answer)}`);
  });

  await check("shelter names are placed beside their dots, not across them", async () => {
    const layout = await page.evaluate(() => window.map.getStyle().layers
      .find((l) => l.id === "shelters-label").layout);
    const anchors = layout["text-variable-anchor"] || [];
    assert(!anchors.includes("center") && anchors.length >= 2, JSON.stringify(layout));
    assert(layout["text-radial-offset"] > 0.5, JSON.stringify(layout));
  });

  const phone = await context.newPage();
  await check("on a 390 px screen the panel starts folded, clear of the zoom buttons", async () => {
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${origin}/`, { waitUntil: "load", timeout: 20_000 });
    await phone.waitForFunction(() => window.__mapIdle === true, null, { timeout: 45_000 });
    const boxes = await phone.evaluate(() => {
      const box = (selector) => document.querySelector(selector).getBoundingClientRect().toJSON();
      return { sidebar: box("#sidebar"), zoom: box(".maplibregl-ctrl-zoom-in"),
        folded: document.getElementById("sidebar").classList.contains("collapsed") };
    });
    assert(boxes.folded, "the panel starts unfolded");
    const { sidebar: s, zoom: z } = boxes;
    const overlap = !(z.right <= s.left || z.left >= s.right || z.bottom <= s.top || z.top >= s.bottom);
    assert(!overlap, `the panel ${JSON.stringify(s)} covers the zoom buttons ${JSON.stringify(z)}`);
    assert(s.height < 0.2 * 844, `the folded panel is ${s.height} px tall`);
    assert(await phone.isHidden("#layer-list"), "the layer list shows while folded");
    await phone.click("#sidebar-toggle");
    assert(await phone.isVisible("#layer-list"), "the layer list does not show when unfolded");
    const unfolded = await phone.evaluate(() => document.getElementById("sidebar").getBoundingClientRect().height);
    assert(unfolded <= 0.46 * 844, `the unfolded panel is ${unfolded} px tall`);
  });

  await check("no console errors", () => assert(problems.length === 0, problems.join(" | ")));
  await check("no request left the server", () => assert(outside.length === 0, outside.join(", ")));
  clearTimeout(overall);
  await finish();
}

main().catch(async (error) => {
  report("test runs", error);
  await finish();
});
