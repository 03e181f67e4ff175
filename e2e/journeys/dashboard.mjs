// The leaders' pages: the county leader logs in and lands on 态势总览 with numbers; drills
// down county → township → village and back up by the breadcrumb; a case raised and
// closed through the API moves this month's 受理 and 办结 by exactly one; the grid map,
// the 大屏 (and its 「数据更新失败」 state when a refresh fails) and the 成绩单 with its
// Excel export. Screenshots: dashboard, drill-down, map, map-village, screen,
// screen-stale, scorecard.
//
// The demo has grids but no boundaries, so the journey first imports a made-up tiling
// of 桂东县's grids as the administrator (through the API, as a county would).

const COUNTY = "431027000000";
const GRID = "431027100001001"; // 东华社区第一网格, the demo grid worker's

/** The number shown in a KPI tile (data-kpi="…"), e.g. "1,234" → 1234. */
export async function kpiValue(page, key) {
  const text = await page.locator(`[data-kpi="${key}"] .kpi-value`).first().textContent();
  return Number(String(text).replace(/[^\d.-]/g, ""));
}

/** A JSON call from a logged-in page, with the session cookie and the CSRF token. */
async function call(page, method, path, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") {
    const csrf = await page.request.get("/api/v1/auth/csrf");
    headers["X-CSRF-Token"] = (await csrf.json()).csrf_token;
  }
  const r = await page.request.fetch(path, { method, headers, data: body });
  const data = await r.json().catch(() => null);
  if (!r.ok()) throw new Error(`${method} ${path}: ${r.status()} ${JSON.stringify(data)}`);
  return data;
}

/**
 * Raises a case in the demo grid worker's grid and closes it (核查结案), as the grid
 * worker and the dispatcher would, each from their own logged-in page. Returns its id.
 */
export async function createAndCloseCase(ctx) {
  const gw = await ctx.newPage();
  await ctx.login(gw, "gridworker");
  const disp = await ctx.newPage();
  await ctx.login(disp, "dispatcher");
  const me = await call(gw, "GET", "/api/v1/auth/me");
  const c = await call(gw, "POST", "/api/v1/cases", {
    type: "general", category: "facilities.manhole", source: "grid_report", region_code: GRID,
    title: "东华路井盖松动", description: "东华路口井盖松动，车辆经过有响声",
  });
  const step = (page, body) => call(page, "POST", `/api/v1/cases/${c.id}/transitions`, body);
  await step(gw, { action: "register" });
  await step(disp, { action: "dispatch", assignee: me.id });
  await step(gw, { action: "accept" });
  await step(gw, { action: "report_back", note: "已重新固定井盖" });
  const closed = await step(gw, { action: "verify" });
  ctx.assert.equal(closed.state, "closed", "核查结案");
  await gw.context().close();
  await disp.context().close();
  return c.id;
}

/** Made-up boundaries for every demo grid: villages tile the county row by row, each
 *  split into its two grids; inner corners are jittered (shared, so the tiling holds). */
async function importBoundaries(ctx) {
  const admin = await ctx.api("admin");
  const county = await admin.get(`/api/v1/regions/${COUNTY}`);
  const villages = [];
  for (const t of county.children) {
    const town = await admin.get(`/api/v1/regions/${t.code}`);
    villages.push(...town.children.filter((v) => v.level === "village"));
  }
  const cols = Math.ceil(Math.sqrt(villages.length * 1.3));
  const rows = Math.ceil(villages.length / cols);
  const [lng0, lat0, cell] = [113.72, 26.22, 0.42 / cols];
  const noise = (i, j) => {
    const s = Math.sin(i * 12.9898 + j * 78.233) * 43758.5453;
    return s - Math.floor(s) - 0.5;
  };
  // Lattice at half-cell steps across (a village is two grids wide).
  const pt = (i, j) => {
    const inner = i > 0 && i < cols * 2 && j > 0 && j < rows;
    const dx = inner ? noise(i, j) * cell * 0.35 : 0;
    const dy = inner ? noise(j + 91, i + 17) * cell * 0.35 : 0;
    return [+(lng0 + (i * cell) / 2 + dx).toFixed(6), +(lat0 - j * cell * 0.9 + dy).toFixed(6)];
  };
  const features = [];
  villages.forEach((v, k) => {
    const c = k % cols;
    const r = Math.floor(k / cols);
    for (const half of [0, 1]) {
      const i = 2 * c + half;
      const ring = [pt(i, r), pt(i + 1, r), pt(i + 1, r + 1), pt(i, r + 1), pt(i, r)];
      features.push({ type: "Feature", properties: { code: `${v.code}00${half + 1}` }, geometry: { type: "Polygon", coordinates: [ring] } });
    }
  });
  const r = await admin.call("POST", "/api/v1/grids/import", { type: "FeatureCollection", features });
  ctx.assert.equal(r.status, 200, JSON.stringify(r.data));
  return features.length;
}

export default async function (ctx) {
  const { assert } = ctx;
  const grids = await importBoundaries(ctx);
  assert.ok(grids > 100, `boundaries for the demo's grids (${grids})`);

  // The leader lands on the dashboard of the county, with numbers.
  const page = await ctx.newPage({ viewport: { width: 1366, height: 900 } });
  await ctx.login(page, "leader");
  await page.waitForURL(/\/ui\/leader\/dashboard\.html/);
  await page.locator('[data-kpi="year-created"]').waitFor();
  await assert.doesNotReject(page.getByRole("heading", { level: 1, name: "桂东县 态势总览" }).waitFor());
  const before = {
    monthCreated: await kpiValue(page, "month-created"),
    monthClosed: await kpiValue(page, "month-closed"),
    yearCreated: await kpiValue(page, "year-created"),
    yearClosed: await kpiValue(page, "year-closed"),
  };
  assert.ok(before.yearCreated > 0, `the demo's cases are counted: ${JSON.stringify(before)}`);
  assert.ok(await page.locator("figure.chart svg[role=img] title").count() >= 3, "charts with titles");
  assert.ok(await page.locator("details.chart-data table").count() >= 3, "data tables behind the charts");
  await ctx.screenshot(page, "dashboard");

  // Drill down county → township → village, then back up by the breadcrumb.
  const township = page.locator("#h-kids ~ .table-wrap tbody th a").first();
  const townshipName = (await township.textContent()).trim();
  await Promise.all([page.waitForURL(/region=431027\d{3}000/), township.click()]);
  await page.getByRole("heading", { level: 1, name: `${townshipName} 态势总览` }).waitFor();
  const village = page.locator("#h-kids ~ .table-wrap tbody th a").first();
  const isVillage = (u) => /^\d{12}$/.test(u.searchParams.get("region") || "") && !u.searchParams.get("region").endsWith("000");
  await Promise.all([page.waitForURL(isVillage), village.click()]);
  await page.locator("#h-kids").waitFor();
  assert.equal(await page.locator("#h-kids").textContent(), "各网格");
  assert.equal(await page.locator(".crumbs li").count(), 3, "县 › 乡镇 › 村");
  await ctx.screenshot(page, "drill-down");
  await Promise.all([page.waitForURL(new RegExp(`region=${COUNTY}`)), page.locator(".crumbs a").first().click()]);
  await page.getByRole("heading", { level: 1, name: "桂东县 态势总览" }).waitFor();

  // A case raised and closed moves this month's and this year's figures by one each.
  await createAndCloseCase(ctx);
  await page.reload();
  await page.locator('[data-kpi="month-created"]').waitFor();
  const after = {
    monthCreated: await kpiValue(page, "month-created"),
    monthClosed: await kpiValue(page, "month-closed"),
    yearCreated: await kpiValue(page, "year-created"),
    yearClosed: await kpiValue(page, "year-closed"),
  };
  assert.deepEqual(after, {
    monthCreated: before.monthCreated + 1,
    monthClosed: before.monthClosed + 1,
    yearCreated: before.yearCreated + 1,
    yearClosed: before.yearClosed + 1,
  });

  // The map: every grid drawn; a grid drills into its village; there a grid opens the queue.
  await page.goto(`/ui/leader/map.html?region=${COUNTY}`);
  await page.locator("svg.grid-map").waitFor();
  assert.equal(await page.locator("svg.grid-map path.cell").count(), grids);
  assert.ok(await page.locator(".map-legend li").count() >= 2, "a legend");
  await ctx.screenshot(page, "map");
  const cell = page.locator(`svg.grid-map a[data-grid="${GRID}"]`);
  await Promise.all([page.waitForURL(/map\.html\?region=431027100001$/), cell.click()]);
  await page.locator("svg.grid-map").waitFor();
  assert.equal(await page.locator("svg.grid-map path.cell").count(), 2);
  const href = await page.locator(`svg.grid-map a[data-grid="${GRID}"]`).getAttribute("href");
  assert.equal(href, `/ui/ops/queue.html?region=${GRID}&open=true`);
  await ctx.screenshot(page, "map-village");

  // The 大屏: big numbers, charts and map; a failed refresh keeps the figures.
  ctx.allowConsoleError(/ERR_FAILED|Failed to fetch|net::/);
  const screen = await ctx.newPage({ viewport: { width: 1920, height: 1080 } });
  await ctx.login(screen, "leader");
  await screen.goto(`/ui/leader/screen.html?region=${COUNTY}&refresh=5`);
  await screen.locator('[data-kpi="year-created"]').waitFor();
  await screen.locator("svg.grid-map").waitFor();
  assert.equal(await kpiValue(screen, "year-created"), after.yearCreated);
  assert.match(await screen.locator("#clock").textContent(), /\d{4}年\d+月\d+日 星期. \d\d:\d\d:\d\d/);
  await ctx.screenshot(screen, "screen");
  await screen.route("**/api/v1/dashboard**", (route) => route.abort());
  await screen.locator("#stale").waitFor({ state: "visible", timeout: 12_000 });
  assert.match(await screen.locator("#stale").textContent(), /数据更新失败/);
  assert.equal(await kpiValue(screen, "year-created"), after.yearCreated, "the last figures stay");
  await ctx.screenshot(screen, "screen-stale");
  await screen.unroute("**/api/v1/dashboard**");
  await screen.locator("#stale").waitFor({ state: "hidden", timeout: 12_000 });

  // The 成绩单 with its Excel export.
  await page.goto(`/ui/leader/scorecard.html?region=${COUNTY}`);
  await page.locator('tr[data-key="disputes.success_rate"]').waitFor();
  const created = await page.locator('tr[data-key="cases.created"] td.num').first().textContent();
  assert.equal(Number(created.replace(/[^\d]/g, "")), after.yearCreated, "成绩单 and dashboard agree");
  const xlsx = await page.locator("#export").getAttribute("href");
  const r = await page.request.get(xlsx);
  assert.equal(r.status(), 200);
  assert.match(r.headers()["content-type"], /spreadsheetml/);
  assert.ok((await r.body()).length > 2000, "a workbook");
  await ctx.screenshot(page, "scorecard");
}
