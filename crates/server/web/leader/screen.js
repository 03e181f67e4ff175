// 大屏: the dashboard for a wall screen — dark, big numbers, charts and the grid map, a
// clock — refreshing itself every 60 s (`?refresh=SECONDS`, 5–3600). A failed refresh
// keeps the last figures on screen and says so (「数据更新失败」) until one succeeds.
import { api, el } from "../common/api.js";
import { fmt } from "./charts.js";
import { drawMap } from "./mapdraw.js";
import { kpis, trendChart, rateDonuts, categoriesChart } from "./panels.js";
import { regionFromUrl, pageUrl, queueUrl, shortTime } from "./nav.js";

const board = document.getElementById("board");
const stale = document.getElementById("stale");
const asOf = document.getElementById("as-of");
const clock = document.getElementById("clock");
const params = new URLSearchParams(location.search);
const refreshS = Math.min(3600, Math.max(5, Number(params.get("refresh")) || 60));
let lastOk = null;

const WEEK = "日一二三四五六";
function tick() {
  const c = new Date(Date.now() + 8 * 3600e3);
  const p = (n) => String(n).padStart(2, "0");
  clock.textContent = `${c.getUTCFullYear()}年${c.getUTCMonth() + 1}月${c.getUTCDate()}日 星期${WEEK[c.getUTCDay()]} ${p(c.getUTCHours())}:${p(c.getUTCMinutes())}:${p(c.getUTCSeconds())}`;
}

function panel(title, ...children) {
  return el("section", { class: "card", "aria-label": title }, el("h2", {}, title), ...children);
}

/** A card around a chart that carries its own caption. */
function chartCard(chart) {
  return el("section", { class: "card" }, chart);
}

function childrenRanking(d) {
  if (!d.children.length) return null;
  const rows = [...d.children].sort((a, b) => b.open - a.open || b.overdue - a.overdue).slice(0, 8);
  return panel("在办事件较多的下级区域",
    el("table", { class: "figures" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "区域"), el("th", { scope: "col", class: "num" }, "在办"), el("th", { scope: "col", class: "num" }, "超期"), el("th", { scope: "col", class: "num" }, "本年受理"))),
      el("tbody", {}, rows.map((c) => el("tr", {},
        el("th", { scope: "row" }, c.name),
        el("td", { class: "num" }, fmt.int(c.open)),
        el("td", { class: "num" }, fmt.int(c.overdue)),
        el("td", { class: "num" }, c.created === null ? "—" : fmt.int(c.created)))))));
}

function mediation(d) {
  const m = d.mediation;
  return panel("矛盾纠纷排查化解（本年）",
    el("div", { class: "kpis" },
      el("div", { class: "kpi-card", "data-kpi": "disputes-screened" }, el("div", { class: "kpi-label" }, "排查"), el("div", { class: "kpi-value" }, fmt.int(m.screened))),
      el("div", { class: "kpi-card", "data-kpi": "disputes-resolved" }, el("div", { class: "kpi-label" }, "化解"), el("div", { class: "kpi-value" }, fmt.int(m.resolved))),
      el("div", { class: "kpi-card", "data-kpi": "success-rate" }, el("div", { class: "kpi-label" }, "调解成功率"), el("div", { class: "kpi-value" }, fmt.pct(m.success_rate.value)))));
}

function mapPanel(m, err) {
  if (err) return panel("网格地图", el("p", { class: "muted" }, err));
  const village = m.region.level === "village";
  const { figure, legend } = drawMap(m, {
    hrefFor: (g) => (village ? queueUrl(g.code) : pageUrl("/ui/leader/screen.html", g.village_code, params.get("refresh") ? { refresh: params.get("refresh") } : {})),
    labels: "auto",
  });
  return panel("网格地图（在办事件）", legend, figure);
}

async function load(region) {
  const d = await api("GET", `/api/v1/dashboard?region=${encodeURIComponent(region)}`);
  let m = null;
  let mapErr = null;
  try {
    m = await api("GET", `/api/v1/dashboard/map?region=${encodeURIComponent(region)}`);
  } catch (e) {
    // Too large a region for one map is not a failure of the screen.
    if (e.details && e.details.reason === "map_too_large") mapErr = e.message;
    else throw e;
  }
  return { d, m, mapErr };
}

function render({ d, m, mapErr }) {
  document.getElementById("title").textContent = `${d.region.name} 网格综治态势`;
  document.title = `${d.region.name} 大屏 · 网格综治平台`;
  document.getElementById("back").href = pageUrl("/ui/leader/dashboard.html", d.region.code);
  asOf.textContent = `数据截至 ${shortTime(d.as_of)}，每${refreshS}秒更新`;
  board.replaceChildren(
    kpis(d),
    el("div", { class: "screen-grid" },
      chartCard(trendChart(d)),
      panel("本年三率与办结", rateDonuts(d, true)),
      mapPanel(m, mapErr),
      chartCard(categoriesChart(d)),
      childrenRanking(d),
      mediation(d)));
}

async function refresh(region) {
  try {
    const data = await load(region);
    render(data);
    lastOk = new Date();
    stale.hidden = true;
    stale.textContent = "";
  } catch (e) {
    // Keep whatever is on screen; say when the figures were last fresh.
    stale.hidden = false;
    const when = lastOk ? `，显示的是${lastOk.toLocaleTimeString("zh-CN", { hour12: false })}的数据` : "";
    stale.textContent = `数据更新失败${when}，稍后自动重试`;
    if (!lastOk) board.replaceChildren(el("div", { class: "alert error", role: "alert" }, e.message || "数据加载失败"));
  } finally {
    setTimeout(() => refresh(region), refreshS * 1000);
  }
}

async function start() {
  tick();
  setInterval(tick, 1000);
  document.getElementById("fullscreen").addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  });
  let region = params.get("region");
  if (!region) {
    const me = await api("GET", "/api/v1/auth/me");
    region = regionFromUrl(me);
  }
  refresh(region);
}

start();
