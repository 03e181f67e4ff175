// 成绩单: a region's yearly figures from GET /api/v1/scorecard with each figure's
// definition, numerator and denominator; a year picker; 「导出Excel」 downloads the same
// numbers as a workbook; printable.
import { api, el } from "../common/api.js";
import { shell } from "../common/shell.js";
import { fmt } from "./charts.js";
import { regionFromUrl, scopeSwitch, crumbs, pageLinks, pageUrl, shortTime } from "./nav.js";

const main = document.getElementById("main");

function value(it) {
  if (it.value === null) return "—";
  if (it.unit === "%") return fmt.pct(it.value);
  return `${fmt.int(it.value)}${it.unit}`;
}

function num(n) {
  if (n === null || n === undefined) return "";
  return fmt.int(Math.round(n * 100) / 100);
}

function sectionTable(s) {
  return el("section", { class: "card", "aria-labelledby": `h-${s.key}` },
    el("h2", { id: `h-${s.key}` }, s.name),
    el("div", { class: "table-wrap" }, el("table", { class: "figures scorecard" },
      el("colgroup", {}, el("col", { class: "c-name" }), el("col", { class: "c-value" }), el("col", { class: "c-num" }), el("col", { class: "c-num" }), el("col", { class: "c-def" })),
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, "项目"), el("th", { scope: "col", class: "num" }, "数值"),
        el("th", { scope: "col", class: "num" }, "分子"), el("th", { scope: "col", class: "num" }, "分母"),
        el("th", { scope: "col" }, "口径"))),
      el("tbody", {}, s.items.map((it) => el("tr", { "data-key": it.key },
        el("th", { scope: "row" }, it.name),
        el("td", { class: "num" }, value(it)),
        el("td", { class: "num" }, num(it.numerator)),
        el("td", { class: "num" }, it.denominator === null ? "" : fmt.int(it.denominator)),
        el("td", { class: "muted" }, it.definition)))))));
}

async function start() {
  const me = await shell("成绩单");
  const region = regionFromUrl(me);
  const params = new URLSearchParams(location.search);
  const thisYear = new Date(Date.now() + 8 * 3600e3).getUTCFullYear();
  const year = Number(params.get("year")) || thisYear;
  let s;
  try {
    s = await api("GET", `/api/v1/scorecard?region=${encodeURIComponent(region)}&year=${year}`);
  } catch (e) {
    main.replaceChildren(el("h1", {}, "成绩单"), el("div", { class: "alert error", role: "alert" }, e.message),
      el("p", {}, el("a", { href: pageUrl("/ui/leader/scorecard.html", region) }, "查看今年的成绩单")));
    return;
  }
  document.title = `${s.region.name} ${s.year}年度成绩单 · 网格综治平台`;
  const years = [];
  for (let y = thisYear; y >= Math.min(thisYear - 5, s.year); y--) years.push(y);
  const picker = el("form", { method: "get", action: "/ui/leader/scorecard.html" },
    el("input", { type: "hidden", name: "region", value: s.region.code }),
    el("div", { class: "field" }, el("label", { for: "year" }, "年度"),
      el("select", { id: "year", name: "year" }, years.map((y) => el("option", { value: y, selected: y === s.year }, `${y}年`)))),
    el("button", { type: "submit" }, "查看"));
  // A plain link: the browser sends the session cookie and saves the file.
  const xlsx = `/api/v1/scorecard.xlsx?region=${encodeURIComponent(s.region.code)}&year=${s.year}`;
  const scopes = await scopeSwitch(me, "/ui/leader/scorecard.html", region);
  // replaceChildren would print a null as text: leave the absent parts out.
  main.replaceChildren(...[
    scopes,
    crumbs(s.path, "/ui/leader/scorecard.html"),
    el("div", { class: "page-head" },
      el("h1", {}, `${s.region.name} ${s.year}年度成绩单`),
      pageLinks(s.region.code, "/ui/leader/scorecard.html")),
    el("p", { class: "muted" }, `统计期：${s.from} 至 ${s.to}（${s.year === thisYear ? "本年截至今日" : "全年"}）；导出时间 ${shortTime(s.as_of)}。网格、网格员、三长与户数为导出时的数字。`),
    el("div", { class: "toolbar no-print" }, picker,
      el("a", { class: "button primary", id: "export", href: xlsx, download: "" }, "导出Excel"),
      el("button", { type: "button", onclick: () => window.print() }, "打印")),
    ...s.sections.map(sectionTable)].filter(Boolean));
}

start();
