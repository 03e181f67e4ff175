// Browser journeys against a fresh demo server, driving Debian's chromium.
//
//   node run.mjs [--bin PATH] [journey ...]
//
// Seeds a new demo database in a temp dir, serves it on 127.0.0.1, runs every
// journeys/*.mjs (or the ones named) and prints one line per journey. A journey fails on
// a throw, on an uncaught page error or console error, on a 5xx answer, and on any
// request to a host other than 127.0.0.1: pages must work with the network cut off from
// everything but the server. Exits non-zero when any journey failed.
import { spawn, spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..");
const DEMO_PASSWORD = "Wangge@2026";
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const JOURNEY_TIMEOUT_MS = Number(process.env.E2E_JOURNEY_TIMEOUT_MS || 120_000);
const STEP_TIMEOUT_MS = Number(process.env.E2E_STEP_TIMEOUT_MS || 15_000);
const SHOTS = path.join(HERE, "screenshots");

function parseArgs(argv) {
  let bin = process.env.WANGGE_BIN || path.join(process.env.CARGO_TARGET_DIR || path.join(REPO, "target"), "debug", "wangge");
  const names = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--bin") bin = argv[++i];
    else if (argv[i].startsWith("--bin=")) bin = argv[i].slice(6);
    else names.push(argv[i]);
  }
  return { bin: path.resolve(REPO, bin), names };
}

function freePort() {
  if (process.env.E2E_PORT) return Promise.resolve(Number(process.env.E2E_PORT));
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(promise, ms, what) {
  let t;
  const timer = new Promise((_, reject) => { t = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); });
  return Promise.race([promise, timer]).finally(() => clearTimeout(t));
}

async function waitHealthy(baseUrl, server, log) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited (${server.exitCode}):\n${tail(log)}`);
    try {
      const r = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) return;
    } catch { /* not up yet */ }
    await sleep(250);
  }
  throw new Error(`server did not answer /healthz within 60 s:\n${tail(log)}`);
}

function tail(file, lines = 30) {
  try { return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n"); } catch { return ""; }
}

function journeyFiles(names) {
  const dir = path.join(HERE, "journeys");
  const all = fs.readdirSync(dir).filter((f) => f.endsWith(".mjs")).sort();
  if (!names.length) return all.map((f) => path.join(dir, f));
  return names.map((n) => {
    const base = path.basename(n).replace(/\.mjs$/, "") + ".mjs";
    if (!all.includes(base)) throw new Error(`no journey ${n} (have: ${all.join(", ")})`);
    return path.join(dir, base);
  });
}

/** A small API client for journeys: logs in by password and sends the bearer token. */
async function apiAs(baseUrl, username) {
  const r = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password: DEMO_PASSWORD }),
  });
  if (!r.ok) throw new Error(`API login as ${username}: ${r.status} ${await r.text()}`);
  const { token } = await r.json();
  const call = async (method, p, body, headers = {}) => {
    const res = await fetch(baseUrl + p, {
      method,
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json", ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let data = text;
    try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: res.status, ok: res.ok, data, headers: res.headers };
  };
  return {
    token,
    call,
    /** GET and expect 2xx. */
    get: async (p) => {
      const res = await call("GET", p);
      if (!res.ok) throw new Error(`GET ${p}: ${res.status} ${JSON.stringify(res.data)}`);
      return res.data;
    },
  };
}

async function runJourney(file, browser, baseUrl) {
  const name = path.basename(file, ".mjs");
  const problems = []; // failures found by watching the pages, not thrown by the journey
  const consoleErrors = [];
  const allowed = []; // console error patterns a journey declared expected (e.g. while offline)
  const contexts = [];

  const watch = (context) => {
    // Anything not on the server is aborted and reported: the app must not need it.
    context.route((url) => url.hostname !== "127.0.0.1" && url.protocol.startsWith("http"), (route) => {
      problems.push(`request to a foreign host: ${route.request().url()}`);
      return route.abort("blockedbyclient");
    });
    context.on("request", (req) => {
      const u = req.url();
      if (/^(https?|wss?):/.test(u) && new URL(u).hostname !== "127.0.0.1") problems.push(`request to a foreign host: ${u}`);
    });
    context.on("response", (res) => {
      if (res.status() >= 500) problems.push(`${res.status()} from ${res.request().method()} ${res.url()}`);
    });
    context.on("page", (page) => watchPage(page));
  };
  const watchPage = (page) => {
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
    page.on("pageerror", (err) => problems.push(`uncaught error on ${page.url()}: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() !== "error") return;
      const text = msg.text();
      // The API answers 4xx by design (not logged in, validation); pages show those.
      if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
      if (allowed.some((re) => re.test(text))) return;
      consoleErrors.push(`${page.url()}: ${text}`);
    });
  };

  const ctx = {
    baseUrl,
    assert,
    password: DEMO_PASSWORD,
    browser,
    /** A page in a fresh browser context; `options` go to browser.newContext (viewport, isMobile, geolocation…). */
    async newPage(options = {}) {
      const context = await browser.newContext({ baseURL: baseUrl, locale: "zh-CN", timezoneId: "Asia/Shanghai", ...options });
      context.setDefaultTimeout(STEP_TIMEOUT_MS);
      contexts.push(context);
      watch(context);
      return context.newPage();
    },
    /** Logs in through the real login page and waits until it has moved on to the role's home. */
    async login(page, username, password = DEMO_PASSWORD) {
      await page.goto(`${baseUrl}/ui/`);
      await page.fill("#username", username);
      await page.fill("#password", password);
      await Promise.all([
        page.waitForURL((u) => !/^\/ui\/(index\.html)?$/.test(u.pathname)),
        page.click("#login button[type=submit]"),
      ]);
    },
    /** Full-page PNG under e2e/screenshots/<journey>-<name>.png. */
    async screenshot(page, shot) {
      fs.mkdirSync(SHOTS, { recursive: true });
      const file = path.join(SHOTS, `${name}-${shot}.png`);
      await page.screenshot({ path: file, fullPage: true });
      return file;
    },
    /** Console errors matching `re` are expected from here on (e.g. failed fetches while offline). */
    allowConsoleError(re) { allowed.push(re); },
    /** An API client logged in as a demo user: `{ call(method, path, body, headers), get(path), token }`. */
    api: (username) => apiAs(baseUrl, username),
    sleep,
  };

  const started = Date.now();
  let error = null;
  try {
    const mod = await import(pathToFileURL(file).href);
    if (typeof mod.default !== "function") throw new Error("journey has no default export function");
    await withTimeout(mod.default(ctx), JOURNEY_TIMEOUT_MS, name);
  } catch (e) {
    error = e;
  }
  for (const c of contexts) await c.close().catch(() => {});
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const issues = [...problems, ...consoleErrors.map((c) => `console error: ${c}`)];
  if (!error && !issues.length) {
    console.log(`ok      ${name} (${secs} s)`);
    return true;
  }
  const first = error ? (error.stack || String(error)).split("\n").slice(0, 6).join("\n        ") : "page problems";
  console.log(`FAILED  ${name} (${secs} s): ${first}`);
  for (const i of [...new Set(issues)]) console.log(`        - ${i}`);
  return false;
}

async function main() {
  const { bin, names } = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(bin)) throw new Error(`no wangge binary at ${bin} (build it with cargo build -p wangge, or pass --bin)`);
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  const files = journeyFiles(names);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), "wangge-e2e-"));
  const dataDir = path.join(work, "demo");
  const log = path.join(work, "server.log");
  let server = null;
  let browser = null;
  const cleanup = () => {
    if (server && server.exitCode === null) server.kill("SIGTERM");
    if (!process.env.E2E_KEEP) fs.rmSync(work, { recursive: true, force: true });
  };
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => { cleanup(); process.exit(130); });

  try {
    const seed = spawnSync(bin, ["--data-dir", dataDir, "demo", "--no-serve"], { encoding: "utf8", timeout: 180_000 });
    if (seed.status !== 0) throw new Error(`demo seed failed (${seed.status ?? seed.signal}):\n${seed.stderr}`);

    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const out = fs.openSync(log, "a");
    server = spawn(bin, ["--data-dir", dataDir, "demo", "--listen", `127.0.0.1:${port}`], { stdio: ["ignore", out, out] });
    await waitHealthy(baseUrl, server, log);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60_000,
      // Belt and braces to the per-journey route check: no name resolves but the server's.
      args: ["--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--disable-background-networking", "--disable-component-update"],
    });

    let passed = 0;
    let failed = 0;
    for (const f of files) {
      if (await runJourney(f, browser, baseUrl)) passed++;
      else failed++;
    }
    if (failed && server) console.log(`server log (last lines):\n${tail(log)}`);
    console.log(`e2e: ${passed} passed, ${failed} failed`);
    return failed ? 1 : 0;
  } finally {
    if (browser) await browser.close().catch(() => {});
    cleanup();
  }
}

main().then((code) => process.exit(code), (err) => {
  console.error(`e2e: ${err.stack || err}`);
  process.exit(2);
});
