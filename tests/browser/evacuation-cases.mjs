// The browser test's cases for the "Evacuation 转移安置" panel: plan the scenario of the
// who-is-affected panel, find the routes on the map and the totals the API gives, the
// people not placed listed with their reasons, a route's popup, the CSV export and a
// screenshot.

import fs from "node:fs";
import path from "node:path";
import {
  assert, check, digits, mapSettled, postJSON, REPO, runImpact, screenshot, showWholeAtlas,
} from "./harness.mjs";

const EVACUATION_SCREENSHOT = path.resolve(REPO,
  process.env.EVACUATION_SCREENSHOT || "target/browser/evacuation.png");
const DOCS_SCREENSHOT = path.resolve(REPO, "docs/evacuation.png");
const REASONS = { unreachable: "无法到达", capacity: "容量不足", through_hazard: "须穿越危险区" };
const OPTIONS = { routing: "road", profile: "walk", candidates: 8, max_minutes: 180 };

/** The plan's features drawn on the map now: routes as "unit>shelter", shelters, units not placed. */
const drawnPlan = (page) => page.evaluate(() => {
  const map = window.map;
  if (!map.getSource("evacuation")) return null;
  const layers = map.getStyle().layers.filter((l) => l.source === "evacuation").map((l) => l.id);
  const features = map.queryRenderedFeatures({ layers });
  const of = (role) => features.filter((f) => f.properties.role === role);
  return {
    routes: [...new Set(of("route").map((f) => `${f.properties.unit_id}>${f.properties.shelter_id}`))],
    shelters: [...new Set(of("shelter").map((f) => f.properties.shelter_id))],
    unassigned: [...new Set(of("unassigned").map((f) => f.properties.unit_id))],
    points: of("unassigned").map((f) => f.geometry.coordinates),
  };
});

/** `t`: {page, origin, catalogue, idle, panelReady}. */
export async function evacuationCases({ page, origin, catalogue, idle, panelReady }) {
  const plan = await check("an evacuation plan draws routes on the map", async () => {
    assert(idle && panelReady, "map or panel not ready");
    await page.waitForSelector("#evac-panel #evac-run", { timeout: 5000 });
    await page.check("#impact-hazard-floods");
    await page.selectOption("#impact-rp-floods", "50");
    await page.check("#impact-hazard-landslides");
    await page.fill("#impact-buffer-landslides", "");
    const impact = await runImpact(page);
    assert(!impact.error, `the impact panel says: ${impact.error}`);
    await showWholeAtlas(page, catalogue.bbox);

    await page.evaluate(() => { window.__evacDone = false; });
    await page.click("#evac-run");
    await page.waitForFunction(() => window.__evacDone === true, null, { timeout: 30_000 });
    const run = await page.evaluate(() => ({
      request: window.__lastEvacuationRequest, plan: window.__lastPlan, error: window.__evacError,
    }));
    assert(!run.error, `the panel says: ${run.error}`);
    assert(run.plan, "window.__lastPlan is not set");
    const { routing, profile, candidates, max_minutes: maxMinutes, ...scenario } = run.request;
    assert(JSON.stringify(scenario) === JSON.stringify(impact.scenario),
      `the plan's scenario ${JSON.stringify(scenario).slice(0, 160)} is not the impact panel's`);
    assert(JSON.stringify({ routing, profile, candidates, max_minutes: maxMinutes }) === JSON.stringify(OPTIONS),
      `options sent: ${JSON.stringify({ routing, profile, candidates, maxMinutes })}`);

    const answer = await postJSON(`${origin}/api/evacuation`, run.request);
    assert(answer.status === 200, `POST /api/evacuation answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    const expected = answer.body;
    assert(expected.assignments.length > 0, "the plan places nobody: pick a bigger scenario");
    for (const field of ["assigned", "evacuees", "unassigned", "shelters_used"]) {
      const shown = digits(await page.textContent(`#evac-total-${field}`));
      const want = Math.round(expected.totals[field]);
      assert(shown === want, `panel shows ${shown} ${field}; the API says ${want}`);
    }

    const drawn = await page.waitForFunction(() => {
      const map = window.map;
      if (!map.getSource("evacuation")) return null;
      const layers = map.getStyle().layers.filter((l) => l.source === "evacuation").map((l) => l.id);
      const routes = map.queryRenderedFeatures({ layers }).filter((f) => f.properties.role === "route");
      return routes.length > 0;
    }, null, { timeout: 10_000 }).then(() => drawnPlan(page)).catch(() => {
      throw new Error("no route of source \"evacuation\" was drawn within 10 s");
    });
    const pairs = new Set(expected.assignments.map((a) => `${a.unit_id}>${a.shelter_id}`));
    const strangers = drawn.routes.filter((r) => !pairs.has(r));
    assert(strangers.length === 0, `routes drawn that the plan does not have: ${strangers.join(",")}`);
    assert(drawn.routes.length === pairs.size, `${drawn.routes.length} of ${pairs.size} routes drawn`);
    assert(drawn.shelters.length === expected.shelters.length,
      `${drawn.shelters.length} of ${expected.shelters.length} shelters used drawn`);
    return expected;
  });

  await check("unassigned units are listed with their reasons", async () => {
    assert(plan, "no plan");
    assert(plan.unassigned.length > 0, "the plan places everyone: nothing to list");
    const rows = await page.$$eval("#evac-unassigned li", (items) => items.map((li) => ({
      unit: li.dataset.unit, reason: li.dataset.reason, text: li.textContent,
      colour: getComputedStyle(li.querySelector(".reason")).color,
    })));
    assert(rows.length === plan.unassigned.length,
      `${rows.length} rows listed; the plan leaves ${plan.unassigned.length} unplaced`);
    plan.unassigned.forEach((u, i) => {
      const row = rows[i];
      assert(row.unit === String(u.unit_id) && row.reason === u.reason,
        `row ${i} is unit ${row.unit} (${row.reason}); the plan says ${u.unit_id} (${u.reason})`);
      assert(row.text.includes(REASONS[u.reason]), `row ${i} does not say ${REASONS[u.reason]}: ${row.text}`);
      assert(row.colour === "rgb(215, 25, 28)", `row ${i}'s reason is ${row.colour}, not red`);
    });
    const drawn = await drawnPlan(page);
    const ids = [...new Set(plan.unassigned.map((u) => String(u.unit_id)))];
    const missing = ids.filter((id) => !drawn.unassigned.includes(id));
    assert(missing.length === 0, `units not placed but not drawn: ${missing.join(",")}`);
  });

  await check("clicking a route shows its unit, shelter, people and minutes", async () => {
    assert(plan, "no plan");
    // A row of the table shows its route on the map: find one with a spot that no other
    // route, shelter or unit not placed covers, longest trips first.
    await page.click("#evac-sort-minutes");
    await page.click("#evac-sort-minutes");
    const rows = page.locator("#evac-assignments tbody tr");
    let spot = null;
    const tried = [];
    for (let i = 0; i < Math.min(10, await rows.count()) && !spot; i += 1) {
      const unit = await rows.nth(i).getAttribute("data-unit");
      const shelter = await rows.nth(i).getAttribute("data-shelter");
      tried.push(`${unit}>${shelter}`);
      await rows.nth(i).click();
      await mapSettled(page);
      spot = await page.evaluate(([unit, shelter]) => {
        const map = window.map;
        const a = window.__lastPlan.assignments.find((x) => x.unit_id === unit && x.shelter_id === shelter);
        const box = map.getCanvas().getBoundingClientRect();
        const layers = ["evacuation-route", "evacuation-shelter-ring", "evacuation-unassigned"];
        const c = a.route.coordinates;
        for (let j = 0; j + 1 < c.length; j += 1) {
          for (const t of [0.5, 0.25, 0.75]) {
            const p = map.project([c[j][0] + t * (c[j + 1][0] - c[j][0]), c[j][1] + t * (c[j + 1][1] - c[j][1])]);
            if (document.elementFromPoint(box.left + p.x, box.top + p.y) !== map.getCanvas()) continue;
            const hits = map.queryRenderedFeatures([[p.x - 5, p.y - 5], [p.x + 5, p.y + 5]], { layers });
            if (hits.length && hits.every((f) => f.properties.role === "route" &&
              f.properties.unit_id === unit && f.properties.shelter_id === shelter)) {
              return { x: box.left + p.x, y: box.top + p.y, assignment: a };
            }
          }
        }
        return null;
      }, [unit, shelter]);
    }
    assert(spot, `no spot free of other routes and shelters on routes ${tried.join(", ")}`);
    await page.mouse.click(spot.x, spot.y);
    const popup = page.locator(".maplibregl-popup .evac-popup[data-role=route]");
    await popup.waitFor({ timeout: 5000 }).catch(() => { throw new Error("no route popup opened"); });
    const text = await popup.textContent();
    const a = spot.assignment;
    for (const want of [a.shelter_name, `#${a.unit_id}`, Math.round(a.people).toLocaleString("en-US"),
      Number(a.minutes).toFixed(1)]) {
      assert(text.includes(want), `the popup lacks "${want}": ${text.slice(0, 160)}`);
    }
  });

  await check("evacuation CSV export has a row per assignment and unit not placed", async () => {
    assert(plan, "no plan to export");
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 10_000 }),
      page.click("#evac-export-csv"),
    ]);
    const text = fs.readFileSync(await download.path(), "utf8").replace(/^\ufeff/, "");
    const lines = text.trim().split("\n");
    assert(lines[0].startsWith("unit_id,shelter_id,"), `CSV starts "${lines[0].slice(0, 40)}"`);
    const want = plan.assignments.length + plan.unassigned.length;
    assert(lines.length === want + 1, `${lines.length - 1} CSV rows; the plan has ${want}`);
  });

  await check("screenshot of the evacuation plan saved", async () => {
    assert(plan, "no plan to show");
    await showWholeAtlas(page, catalogue.bbox);
    // Close in on the routes and the people not placed.
    const { points } = await drawnPlan(page);
    const all = plan.assignments.flatMap((a) => a.route.coordinates).concat(points);
    const lons = all.map((p) => p[0]);
    const lats = all.map((p) => p[1]);
    await page.evaluate((bounds) => {
      const left = document.getElementById("sidebar").offsetWidth + 40;
      window.map.fitBounds(bounds, { padding: { top: 50, right: 70, bottom: 60, left }, animate: false });
    }, [[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]]);
    await screenshot(page, EVACUATION_SCREENSHOT, "evac-panel");
    if (process.env.SAVE_DOCS_SCREENSHOTS === "1") fs.copyFileSync(EVACUATION_SCREENSHOT, DOCS_SCREENSHOT);
  });
}
