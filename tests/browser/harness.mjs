// The machinery of the browser test (map.test.mjs): the case runner and its `ok -` lines,
// the server under test, the browser, and page helpers shared by the cases.

import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// Where `cargo build` put it: CARGO_TARGET_DIR when set (a target dir shared between
// checkouts), else the repository's own target/.
export const SERVER_BIN = path.resolve(
  REPO,
  process.env.RISKATLAS_BIN || path.join(process.env.CARGO_TARGET_DIR || "target", "debug/riskatlas"),
);
export const CHROMIUM = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
/** When set, the server serves the page from this folder instead of its embedded copy. */
export const WEB_DIR = process.env.RISKATLAS_TEST_WEB_DIR || "";
const HEALTH_TIMEOUT_MS = 30_000;

let passed = 0;
let failed = 0;
let server = null;
let context = null;
let profileDir = null;

export function report(name, error) {
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
export async function check(name, fn) {
  try {
    const value = await fn();
    report(name);
    return value ?? true;
  } catch (error) {
    report(name, error);
    return undefined;
  }
}

export function assert(condition, message) {
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

/** Stops the server and the browser, prints `N passed, N failed` and exits. */
export async function finish() {
  await cleanup();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** A private copy of the bundled demo in `dir` (a new temporary folder when absent),
 *  without the logs a server writes there: tests never serve `data/demo` itself, which
 *  a server the user runs may hold, and never write into the repository. */
export function demoCopy(dir = fs.mkdtempSync(path.join(os.tmpdir(), "riskatlas-demo-"))) {
  fs.mkdirSync(dir, { recursive: true });
  const demo = path.join(REPO, "data/demo");
  for (const name of fs.readdirSync(demo)) {
    if (!name.endsWith(".log")) fs.copyFileSync(path.join(demo, name), path.join(dir, name));
  }
  process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts the server on `port` (on `data`, a private copy of the demo by default, with
 *  `extra` arguments) and waits for a healthy /api/health; its output goes to `log`. */
export async function startServer(port, log, { data = demoCopy(), extra = [] } = {}) {
  const args = ["serve", "--data", data, "--bind", `127.0.0.1:${port}`, ...extra];
  // Only RISKATLAS_TEST_WEB_DIR may swap the page: by default the embedded copy is tested.
  if (WEB_DIR) args.push("--web-dir", WEB_DIR);
  const env = { ...process.env, RUST_LOG: process.env.RUST_LOG || "warn" };
  delete env.RISKATLAS_WEB_DIR;
  server = spawn(SERVER_BIN, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"], env });
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

/** Headless Chromium with a fresh profile. */
export async function launchBrowser(chromium) {
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
  return context;
}

// --- page helpers --------------------------------------------------------------------------

/** The digits of a displayed number ("12,345 people" → 12345). */
export const digits = (text) => Number(String(text).replace(/[^\d]/g, ""));

/** POSTs JSON from node; `{status, body}` with the body parsed. */
export async function postJSON(url, body) {
  const response = await fetch(url, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** Shows the whole atlas beside the side panel, with no popup open, and waits for idle. */
export const showWholeAtlas = (page, bbox) => page.evaluate(async (bbox) => {
  document.querySelector(".maplibregl-popup-close-button")?.click();
  const map = window.map;
  const left = document.getElementById("sidebar").offsetWidth + 30;
  map.fitBounds([[bbox[0], bbox[1]], [bbox[2], bbox[3]]],
    { padding: { top: 40, right: 60, bottom: 50, left }, animate: false });
  const idle = new Promise((resolve) => map.once("idle", resolve));
  map.triggerRepaint();
  await idle;
}, bbox);

/** Waits until the map has stopped moving and drawn everything. */
export const mapSettled = (page) => page.evaluate(async () => {
  const map = window.map;
  if (map.isMoving()) await new Promise((resolve) => map.once("moveend", resolve));
  const idle = new Promise((resolve) => map.once("idle", resolve));
  map.triggerRepaint();
  await idle;
});

/** Clicks Run in the who-is-affected panel and waits for it; returns what the page recorded. */
export async function runImpact(page) {
  await page.evaluate(() => { window.__impactDone = false; });
  await page.click("#impact-run");
  await page.waitForFunction(() => window.__impactDone === true, null, { timeout: 30_000 });
  return page.evaluate(() => ({
    scenario: window.__lastScenario, report: window.__lastImpact, error: window.__impactError,
  }));
}

/** Scrolls the side panel to an element, waits for the map, saves a screenshot of the page. */
export async function screenshot(page, file, scrollTo) {
  await page.evaluate(async (id) => {
    const sidebar = document.getElementById("sidebar");
    const target = id && document.getElementById(id);
    if (target) sidebar.scrollTop += target.getBoundingClientRect().top - sidebar.getBoundingClientRect().top - 8;
    const idle = new Promise((resolve) => window.map.once("idle", resolve));
    window.map.triggerRepaint();
    await idle;
  }, scrollTo || null);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  const size = fs.statSync(file).size;
  assert(size > 10_000, `screenshot is only ${size} bytes`);
}

/**
 * The set-up the browser tests share: the browser and the server binary checked, a
 * server started on `data` with `extra` arguments (its health check reported as
 * `healthyName`), and a page whose requests beyond the server are aborted (and listed in
 * `outside`) and whose console errors, uncaught errors, HTTP errors and failed requests
 * are collected in `problems` — except the 401 of /api/session before signing in, and
 * failures `aborted(request)` says are expected (a run the test cancels). Returns null,
 * having reported why, when it cannot start; else the server's `health` and the rest.
 */
export async function serveAndOpen({ data, extra = [], healthyName = "server becomes healthy", aborted = () => false }) {
  if (!fs.existsSync(CHROMIUM)) {
    report("chromium is installed", `${CHROMIUM} not found (apt-get install chromium)`);
    return null;
  }
  if (!fs.existsSync(SERVER_BIN)) {
    report("server binary exists", `${SERVER_BIN} not found (cargo build first)`);
    return null;
  }
  const { chromium } = await import("playwright-core");
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const log = [];
  const health = await check(healthyName, () => startServer(port, log, { data, extra }));
  if (!health) return null;
  const context = await launchBrowser(chromium);
  const outside = [];
  await context.route("**/*", (route) => {
    if (new URL(route.request().url()).host === `127.0.0.1:${port}`) return route.continue();
    outside.push(route.request().url());
    return route.abort("blockedbyclient");
  });
  const page = context.pages()[0] || (await context.newPage());
  const problems = [];
  // Before signing in, GET /api/session is 401 by design: the page then asks.
  const expected = (url, status) => status === 401 && url === `${origin}/api/session`;
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 401/.test(m.text())) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  context.on("response", (r) => {
    if (r.status() >= 400 && !expected(r.url(), r.status())) problems.push(`${r.url()} (HTTP ${r.status()})`);
  });
  context.on("requestfailed", (r) => {
    if (!aborted(r) && new URL(r.url()).host === `127.0.0.1:${port}`) {
      problems.push(`${r.url()} (${r.failure()?.errorText})`);
    }
  });
  return { port, origin, log, context, page, problems, outside, health };
}

/** [`serveAndOpen`] with the users file `users`: the signed-in browser tests' set-up. */
export function serveSignedIn({ data, users, aborted = () => false }) {
  return serveAndOpen({ data, extra: ["--users", users], healthyName: "server with users becomes healthy", aborted });
}
