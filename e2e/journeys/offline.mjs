// The grid worker's phone with no signal: the app opens from the service worker's cache,
// two reports (one with a photo) wait in the outbox as 「待发送 2 条」, survive a reload,
// and go out when the signal returns — exactly two cases, even though the first answer is
// lost on the way back and the outbox is replayed afterwards. Then a patrol with an 异常
// item, a visit to a household due for one, a 民情日记 entry, and a refused entry shown as
// 「发送失败」 and discarded.
import path from "node:path";
import { fileURLToPath } from "node:url";

const PHOTO = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "photo.png");
const VILLAGE = "431027100001"; // 东华社区
const GRID = "431027100001001"; // 东华社区第一网格
const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  // Near 东华社区 (the demo has no grid boundaries, so the grid is chosen on the form).
  geolocation: { latitude: 25.9812, longitude: 113.9405, accuracy: 20 },
  permissions: ["geolocation"],
};

async function pending(page) {
  return Number(await page.locator("#pending").getAttribute("data-pending"));
}

async function waitPending(page, n, timeout = 30_000) {
  await page.waitForFunction((want) => document.querySelector("#pending")?.dataset.pending === String(want), n, { timeout });
}

async function casesWith(api, description) {
  const r = await api.get(`/api/v1/cases?region=${VILLAGE}&sort=newest&per_page=100`);
  return r.items.filter((c) => c.description === description);
}

export default async function ({ newPage, login, screenshot, assert, api, allowConsoleError }) {
  const stamp = Date.now().toString(36);
  const admin = await api("admin");
  const worker = await api("gridworker");

  // A household in the worker's grid that nobody has visited yet.
  const hh = await admin.call("POST", "/api/v1/households", { household_no: `E2E-${stamp}`, region_code: GRID, address: `东华路${stamp}号` });
  assert.equal(hh.status, 201, JSON.stringify(hh.data));
  const before = (await worker.get(`/api/v1/cases?region=${VILLAGE}&per_page=1`)).total;

  const page = await newPage(PHONE);
  const context = page.context();
  await login(page, "gridworker");
  assert.match(new URL(page.url()).pathname, /^\/ui\/m\/(index\.html)?$/);
  await page.getByRole("heading", { name: "我的任务" }).waitFor();
  await page.getByText(`东华路${stamp}号`).waitFor();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 });
  await page.waitForFunction(async () => Boolean(await caches.match("/ui/m/app.js")) && Boolean(await caches.match("/ui/common/api.js")), null, { timeout: 15_000 });
  await screenshot(page, "tasks");

  // The page keeps what it needs to work offline (categories, places) once it has seen it.
  await page.click("nav >> text=上报事件");
  await page.locator("#report-form").waitFor();
  await page.waitForFunction(() => document.querySelector("#lat").value !== "", null, { timeout: 10_000 });

  // ---- No signal.
  allowConsoleError(/net::ERR_INTERNET_DISCONNECTED|net::ERR_FAILED|net::ERR_CONNECTION_RESET|net::ERR_ABORTED/);
  await context.setOffline(true);
  // Really offline, the service worker included: what opens next comes from its cache.
  const [worker0] = context.serviceWorkers();
  assert.ok(worker0, "a service worker runs");
  assert.equal(await worker0.evaluate(() => fetch("/healthz").then(() => "reached", () => "offline")), "offline");
  assert.equal(await page.evaluate(() => fetch("/healthz").then(() => "reached", () => "offline")), "offline");
  await page.reload();
  await page.locator("#report-form").waitFor();
  await page.getByText("无网络").first().waitFor();

  const first = `离线上报一 ${stamp}：东华路口垃圾堆放三天无人清理`;
  const second = `离线上报二 ${stamp}：桥头护栏松动，有坠落危险`;
  await page.selectOption("#category", "environment.garbage");
  await page.selectOption("#region_code", GRID);
  await page.fill("#description", first);
  await page.click("#report-form button[type=submit]");
  await waitPending(page, 1);

  await page.selectOption("#category", "facilities.road");
  await page.selectOption("#region_code", GRID);
  await page.fill("#description", second);
  await page.setInputFiles("#photo", PHOTO);
  await page.locator("img.photo-preview").waitFor();
  await page.click("#report-form button[type=submit]");
  await waitPending(page, 2);
  assert.match(await page.locator("#pending").innerText(), /待发送 2 条/);
  await screenshot(page, "report-offline");

  // Closed and opened again with no signal: the app comes from the service worker's cache
  // and the outbox is still there.
  await page.evaluate(() => { location.hash = "#tasks"; });
  await page.reload();
  await page.getByRole("heading", { name: "我的任务" }).waitFor();
  assert.equal(await pending(page), 2);
  await screenshot(page, "tasks-offline");

  // Keep the entries as they are now, to replay them later.
  const entries = await page.evaluate(async () => {
    const ob = await import("/ui/m/outbox.js");
    return (await ob.all()).map((e) => ({ key: e.key, path: e.path, body: e.body }));
  });
  assert.equal(entries.length, 2);

  // ---- The signal returns, but the answer to the first report is lost on the way back:
  // the server made the case, the phone heard nothing and sends it again.
  let lost = 0;
  await context.route("**/api/v1/cases", async (route) => {
    if (route.request().method() === "POST" && lost === 0) {
      lost++;
      await route.fetch();
      return route.abort("connectionreset");
    }
    return route.fallback();
  });
  await context.setOffline(false);
  await waitPending(page, 0, 45_000);
  assert.equal(lost, 1, "the first answer was dropped");
  await context.unroute("**/api/v1/cases");

  const a = await casesWith(worker, first);
  const b = await casesWith(worker, second);
  assert.equal(a.length, 1, `one case for the first report, got ${a.length}`);
  assert.equal(b.length, 1, `one case for the second report, got ${b.length}`);
  assert.equal(a[0].source, "grid_report");
  assert.equal(b[0].lat.toFixed(3), "25.981");
  const detail = await worker.get(`/api/v1/cases/${b[0].id}`);
  assert.equal(detail.attachments.length, 1, "the photo is attached once");
  assert.equal(detail.attachments[0].content_type, "image/png");

  // Replaying the whole outbox (the same keys) makes nothing new.
  const replays = await page.evaluate(async (list) => {
    const csrf = (await (await fetch("/api/v1/auth/csrf")).json()).csrf_token;
    const out = [];
    for (const e of list) {
      const r = await fetch(e.path, { method: "POST", body: JSON.stringify(e.body),
        headers: { "Content-Type": "application/json", "Idempotency-Key": e.key, "X-CSRF-Token": csrf } });
      out.push([r.status, r.headers.get("idempotent-replayed")]);
    }
    return out;
  }, entries);
  assert.deepEqual(replays, [[201, "true"], [201, "true"]]);
  assert.equal((await casesWith(worker, first)).length, 1);
  assert.equal((await casesWith(worker, second)).length, 1);
  assert.equal((await worker.get(`/api/v1/cases?region=${VILLAGE}&per_page=1`)).total, before + 2, "exactly two new cases");

  // ---- 巡查: start, tick, one 异常 that becomes a case.
  await page.click("nav >> text=巡查");
  await page.selectOption("#grid_code", GRID);
  await page.click("text=开始巡查");
  await page.locator("#patrol-form").waitFor();
  const items = page.locator("#patrol-form fieldset.item");
  const n = await items.count();
  assert.ok(n >= 2, "the template has items");
  await items.nth(0).getByText("异常", { exact: true }).click();
  await page.fill(`#patrol-form textarea >> nth=0`, `消防栓漏水 ${stamp}`);
  for (let i = 1; i < n; i++) await items.nth(i).getByText("正常", { exact: true }).click();
  await screenshot(page, "patrol");
  await page.click("#patrol-form button[type=submit]");
  await page.locator("main .alert.ok").waitFor();
  await waitPending(page, 0);
  const raised = (await worker.get(`/api/v1/cases?region=${VILLAGE}&sort=newest&per_page=20`)).items.filter((c) => c.description === `消防栓漏水 ${stamp}`);
  assert.equal(raised.length, 1, "the 异常 item raised one case");
  assert.match(raised[0].origin, /^patrol:\d+$/);

  // ---- 走访 of the household due for one, from 我的任务.
  await page.click("nav >> text=我的任务");
  const card = page.locator("article", { hasText: `东华路${stamp}号` });
  await card.getByRole("link", { name: "记录走访" }).click();
  await page.locator("#visit-form").waitFor();
  assert.equal(await page.inputValue("#household_id"), String(hh.data.id));
  await page.fill("#whom", "户主刘某");
  await page.fill("#findings", `家中老人身体尚可，反映楼道灯不亮 ${stamp}`);
  await page.click("#visit-form button[type=submit]");
  await page.locator("main .alert.ok").waitFor();
  await waitPending(page, 0);
  const visits = await worker.get("/api/v1/visits?limit=20");
  assert.equal(visits.filter((v) => v.household_id === hh.data.id).length, 1, "one visit recorded");
  await page.click("nav >> text=我的任务");
  await page.getByRole("heading", { name: "本网格未办结事件" }).waitFor();
  assert.equal(await page.getByText(`东华路${stamp}号`).count(), 0, "the household is no longer due");

  // ---- 民情日记.
  await page.click("nav >> text=民情日记");
  await page.fill("#resident", "张大娘");
  await page.fill("#request", `希望小区增设健身器材 ${stamp}`);
  await page.click("#diary-form button[type=submit]");
  await page.locator("main .alert.ok").waitFor();
  await waitPending(page, 0);
  const diary = await worker.get("/api/v1/diary");
  assert.equal(diary.filter((d) => d.request === `希望小区增设健身器材 ${stamp}`).length, 1);
  await page.getByText(`张大娘：希望小区增设健身器材 ${stamp}`).waitFor();

  // ---- A refusal is shown, never dropped silently: the worker fixes one and discards another.
  const refused = (request) => page.evaluate(async (request) => {
    const ob = await import("/ui/m/outbox.js");
    await ob.add({ key: crypto.randomUUID(), kind: "diary", label: `民情日记：${request}`, path: "/api/v1/diary",
      body: { region_code: "431027100001", resident: "", request } });
  }, request);
  await refused(`忘了写姓名 ${stamp}`);
  await page.click("#send-now");
  await page.waitForFunction(() => document.querySelector("#pending")?.dataset.failed === "1");
  await page.click("#pending");
  await page.getByText(/发送失败：群众姓名/).first().waitFor();
  await screenshot(page, "outbox-refused");
  await page.getByRole("button", { name: "修改" }).click();
  await page.locator("#diary-form").waitFor();
  await page.getByText(/发送失败：群众姓名/).first().waitFor();
  assert.equal(await page.inputValue("#request"), `忘了写姓名 ${stamp}`);
  await page.fill("#resident", "陈师傅");
  await page.click("#diary-form button[type=submit]");
  await page.locator("main .alert.ok").waitFor();
  await waitPending(page, 0);
  assert.equal((await worker.get("/api/v1/diary")).filter((d) => d.request === `忘了写姓名 ${stamp}`).length, 1, "the fixed entry was sent once");

  await refused(`不要了 ${stamp}`);
  await page.click("#send-now");
  await page.waitForFunction(() => document.querySelector("#pending")?.dataset.failed === "1");
  await page.click("#pending");
  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "放弃" }).click();
  await waitPending(page, 0);
  assert.equal((await worker.get("/api/v1/diary")).filter((d) => d.request === `不要了 ${stamp}`).length, 0);

  // ---- The session ends with something still waiting: it stays until the worker logs in again.
  await context.clearCookies();
  await page.evaluate(async (request) => {
    const ob = await import("/ui/m/outbox.js");
    await ob.add({ key: crypto.randomUUID(), user: "gridworker", kind: "diary", label: "民情日记：登录过期", path: "/api/v1/diary",
      body: { region_code: "431027100001", resident: "孙大爷", request } });
  }, `登录过期时记下的 ${stamp}`);
  await page.click("#send-now");
  await page.locator("#relogin").waitFor();
  assert.equal(await pending(page), 1);
  await login(page, "gridworker");
  await waitPending(page, 0);
  assert.equal((await worker.get("/api/v1/diary")).filter((d) => d.request === `登录过期时记下的 ${stamp}`).length, 1);

  // ---- One column at 320px and at 200% zoom (half the CSS width): nothing wider than the screen.
  for (const width of [320, 195]) {
    await page.setViewportSize({ width, height: 700 });
    for (const view of ["tasks", "report", "patrol", "visit", "diary"]) {
      await page.goto(`/ui/m/#${view}`);
      await page.locator("main h1").waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `#${view} at ${width}px is ${overflow}px wider than the screen`);
    }
  }
  await page.goto("/ui/m/#report");
  await page.locator("#report-form").waitFor();
  await screenshot(page, "report-zoom-200");
}
