// Headless-browser test of signing in (run like map.test.mjs, after a server build):
//     node tests/browser/login.test.mjs
//
// 1. copy the demo to a temporary folder and make a users file with `riskatlas users`:
//    a viewer of one township and a county editor, each with a password;
// 2. start the server on them and Chromium with every outside request aborted;
// 3. the page asks for a sign-in; the township viewer signs in and sees only the
//    township's villages (counted from the demo's source file, not the API), duty
//    officers' phones masked, and no edit form;
// 4. sign out; the editor signs in, opens a shelter, changes its capacity in the popup,
//    and the change is in the API and in the edit log under the editor's name;
// 5. no console errors or failed requests beyond the expected 401 before signing in.

import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  assert, check, demoCopy, finish, REPO, report, SERVER_BIN, serveSignedIn,
} from "./harness.mjs";

const TOWNSHIP = "629901100000";
const PASSWORD = "flood season 2026";
const OVERALL_TIMEOUT_MS = 180_000;

const overall = setTimeout(async () => {
  report(`test finishes within ${OVERALL_TIMEOUT_MS / 1000} s`, "overall timeout reached");
  await finish();
}, OVERALL_TIMEOUT_MS);

const source = (name) => JSON.parse(fs.readFileSync(path.join(REPO, "data/demo", name), "utf8"));

/** A copy of the demo (edits are written beside the data) and a users file. */
function prepare() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "riskatlas-login-"));
  const data = demoCopy(path.join(dir, "data"));
  const users = path.join(dir, "users.toml");
  const cli = (args, input) => execFileSync(SERVER_BIN, ["users", "--file", users, ...args],
    { input, stdio: ["pipe", "pipe", "pipe"] });
  cli(["add", "township viewer", "--role", "viewer", "--scope", TOWNSHIP]);
  cli(["add", "county editor", "--role", "editor"]);
  for (const name of ["township viewer", "county editor"]) cli(["password", name], `${PASSWORD}\n`);
  return { dir, data, users };
}

async function signInAs(page, name) {
  await page.waitForSelector("#sign-in:not([hidden])", { timeout: 15_000 });
  await page.fill("#sign-in-name", name);
  await page.fill("#sign-in-password", PASSWORD);
  await page.click("#sign-in button[type=submit]");
  await page.waitForFunction(() => window.__mapIdle === true, null, { timeout: 45_000 });
}

/** Centres the map on a shelter, clicks it and waits for the full record. */
async function openShelter(page, shelter) {
  const lngLat = shelter.geometry.coordinates;
  await page.evaluate(async (center) => {
    const idle = new Promise((resolve) => window.map.once("idle", resolve));
    window.map.jumpTo({ center, zoom: 14 });
    await idle;
  }, lngLat);
  const point = await page.evaluate((c) => window.map.project(c), lngLat);
  await page.mouse.click(point.x, point.y);
  await page.waitForSelector(".feature-popup.enriched", { timeout: 10_000 });
  return page.textContent(".feature-popup");
}

/** GETs JSON through the page (its cookie, its scope). */
const inPage = (page, url) => page.evaluate(async (u) => (await fetch(u)).json(), url);

async function main() {
  const { dir, data, users } = prepare();
  const served = await serveSignedIn({ data, users });
  if (!served) return finish();
  const { port, origin, log, context, page, problems, outside } = served;

  await page.goto(`${origin}/`, { waitUntil: "load" });
  const viewerIn = await check("the page asks a township viewer to sign in, then draws the map",
    () => signInAs(page, "township viewer"));

  await check("the viewer's layer panel counts only the township's villages", async () => {
    assert(viewerIn, "not signed in");
    const ours = source("villages.geojson").features
      .filter((f) => f.properties.parent_code === TOWNSHIP).length;
    const all = source("villages.geojson").features.length;
    const row = await page.textContent('#layer-list li:has(input[data-layer="villages"])');
    const shown = Number(row.replace(/[^\d]/g, ""));
    assert(shown === ours && ours < all, `panel shows ${shown}; the township has ${ours} of ${all}`);
    const who = await page.textContent("#who");
    assert(who.includes("township viewer") && who.includes(TOWNSHIP), `header reads "${who}"`);
  });

  await check("a shelter's duty phone is masked for the viewer, and there is no edit form", async () => {
    assert(viewerIn, "not signed in");
    const { features } = await inPage(page, "/api/layers/shelters/features?limit=1");
    assert(features.length === 1, "the township has a shelter");
    const original = source("shelters.geojson").features
      .find((f) => f.properties.name === features[0].properties.name);
    const phone = original.properties.contact_phone;
    const text = await openShelter(page, features[0]);
    const masked = `${phone.slice(0, 4)}****${phone.slice(8)}`;
    assert(!text.includes(phone), `the popup shows ${phone}`);
    assert(text.includes(masked), `the popup lacks ${masked}: ${text.slice(0, 200)}`);
    assert(await page.$(".edit-form") === null, "a viewer is offered an edit form");
  });

  await check("the viewer is told exports are for planners, and offered none", async () => {
    assert(viewerIn, "not signed in");
    assert(await page.$("#impact-export-csv") === null, "a viewer is offered a CSV export");
    assert(await page.$("#evac-export-csv") === null, "a viewer is offered a plan export");
    const why = await page.textContent(".exports-withheld");
    assert(/planners/.test(why), `the panel says "${why}"`);
  });

  await check("signing out asks for a sign-in again", async () => {
    await page.evaluate(() => { window.__mapIdle = false; });
    await Promise.all([page.waitForEvent("load"), page.click("#sign-out")]);
    await page.waitForSelector("#sign-in:not([hidden])", { timeout: 15_000 });
  });

  await check("an editor signs in and changes a shelter's capacity from its popup", async () => {
    await signInAs(page, "county editor");
    const { features } = await inPage(page, "/api/layers/shelters/features?limit=1");
    const shelter = features[0];
    await openShelter(page, shelter);
    const capacity = Number(shelter.properties.capacity) + 7;
    await page.fill('.edit-form input[name="capacity"]', String(capacity));
    await page.click(".edit-form button[type=submit]");
    await page.waitForSelector(".edit-form.saved", { timeout: 10_000 });
    const after = await inPage(page, `/api/layers/shelters/features/${encodeURIComponent(shelter.id)}`);
    assert(after.properties.capacity === capacity, `capacity is ${after.properties.capacity}, not ${capacity}`);
    const logged = fs.readFileSync(path.join(data, "edits.log"), "utf8");
    assert(logged.includes('"county editor"'), "the edit log does not name the editor");
    assert(await page.$("#impact-export-csv") !== null, "an editor is offered no export");
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
