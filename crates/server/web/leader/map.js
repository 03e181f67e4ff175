// 网格地图: the grids of a county or smaller from GET /api/v1/dashboard/map, coloured by
// open cases. Above a village a grid drills into its village's map; in a village it
// opens the operator queue filtered to the grid's open cases. The table below lists the
// same grids for keyboard and screen-reader users and for exact numbers.
import { api, el } from "../common/api.js";
import { shell } from "../common/shell.js";
import { fmt } from "./charts.js";
import { drawMap } from "./mapdraw.js";
import { regionFromUrl, scopeSwitch, crumbs, pageLinks, pageUrl, queueUrl, shortTime } from "./nav.js";

const main = document.getElementById("main");

function gridRows(list, village) {
  return list.map((g) => el("tr", {},
    el("th", { scope: "row" }, g.name),
    el("td", { class: "num" }, fmt.int(g.open)),
    el("td", { class: "num" }, g.overdue ? el("span", { class: "badge red" }, fmt.int(g.overdue)) : "0"),
    el("td", {},
      el("a", { href: queueUrl(g.code) }, "在办事件"),
      village ? null : [" · ", el("a", { href: pageUrl("/ui/leader/map.html", g.village_code) }, "本村地图")])));
}

function gridTable(list, village) {
  return el("div", { class: "table-wrap" }, el("table", { class: "figures" },
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, "网格"), el("th", { scope: "col", class: "num" }, "在办"),
      el("th", { scope: "col", class: "num" }, "超期"), el("th", { scope: "col" }, "查看"))),
    el("tbody", {}, gridRows(list, village))));
}

/** Grids with open cases first; the quiet ones folded away when there are many. */
function gridLists(m, village) {
  const rows = [...m.grids].sort((a, b) => b.open - a.open || b.overdue - a.overdue || a.code.localeCompare(b.code));
  const busy = rows.filter((g) => g.open > 0);
  const quiet = rows.filter((g) => g.open === 0);
  const fold = rows.length > 30;
  return el("section", { class: "card", "aria-labelledby": "h-grids" },
    el("h2", { id: "h-grids" }, fold ? `有在办事件的网格（${busy.length}个）` : "各网格在办事件"),
    fold ? (busy.length ? gridTable(busy, village) : el("p", {}, "目前没有在办事件。")) : gridTable(rows, village),
    fold && quiet.length ? el("details", {}, el("summary", {}, `其余${quiet.length}个网格（无在办事件）`), gridTable(quiet, village)) : null);
}

async function start() {
  const me = await shell("网格地图");
  const region = regionFromUrl(me);
  let m;
  try {
    m = await api("GET", `/api/v1/dashboard/map?region=${encodeURIComponent(region)}`);
  } catch (e) {
    const up = e.details && e.details.reason === "map_too_large";
    main.replaceChildren(el("h1", {}, "网格地图"), el("div", { class: "alert error", role: "alert" }, e.message),
      el("p", { hidden: !up }, "请从", el("a", { href: pageUrl("/ui/leader/dashboard.html", region) }, "态势总览"), "下钻到县级或以下区域后再看地图。"));
    return;
  }
  document.title = `${m.region.name} 网格地图 · 网格综治平台`;
  const village = m.region.level === "village" || m.region.level === "grid";
  const { figure, legend } = drawMap(m, {
    hrefFor: (g) => (village ? queueUrl(g.code) : pageUrl("/ui/leader/map.html", g.village_code)),
    titleFor: (g) => `${g.name}：在办${g.open}件${g.overdue ? `，超期${g.overdue}件` : ""}（${village ? "打开事件队列" : "进入本村地图"}）`,
  });
  const notes = [];
  if (m.grids_without_boundary) notes.push(`${m.grids_without_boundary}个网格尚未录入边界，未画出。`);
  if (m.open_not_drawn) notes.push(`另有在办事件${m.open_not_drawn}件（超期${m.overdue_not_drawn}件）不在已画出的网格内（登记在村或以上，或所在网格无边界）。`);
  const scopes = await scopeSwitch(me, "/ui/leader/map.html", region);
  // replaceChildren would print a null as text: leave the absent parts out.
  main.replaceChildren(...[
    scopes,
    crumbs(m.path, "/ui/leader/map.html"),
    el("div", { class: "page-head" },
      el("h1", {}, `${m.region.name} 网格地图`),
      el("span", { class: "muted" }, `数据截至 ${shortTime(m.as_of)}`),
      pageLinks(m.region.code, "/ui/leader/map.html")),
    el("section", { class: "card" },
      el("p", { class: "muted" }, village ? "点网格打开该网格的在办事件。" : "点网格进入所在村（社区）的地图；颜色越深，在办事件越多。"),
      legend, figure,
      notes.length ? el("p", { class: "muted" }, notes.join("")) : null),
    m.grids.length ? gridLists(m, village) : null].filter(Boolean));
}

start();
