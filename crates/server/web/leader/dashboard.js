// 态势总览: one region's figures from GET /api/v1/dashboard, drill-down through its
// children (county → township → village → grids), breadcrumb back up, region in the URL.
import { api, el } from "../common/api.js";
import { shell } from "../common/shell.js";
import { donut, fmt } from "./charts.js";
import { kpi, kpis, trendChart, rateDonuts, categoriesChart } from "./panels.js";
import { regionFromUrl, scopeSwitch, crumbs, pageLinks, pageUrl, queueUrl, shortTime } from "./nav.js";

const main = document.getElementById("main");

function overdueTable(d) {
  if (d.overdue_cases === null) return el("p", { class: "muted" }, "您的角色不查看事件详情；超期件数见上方。");
  if (!d.overdue_cases.length) return el("p", {}, "目前没有超期事件。");
  return el("div", { class: "table-wrap" }, el("table", {},
    el("caption", { class: "muted" }, "超过当前环节时限最久的事件（最多10件）"),
    el("thead", {}, el("tr", {}, ["编号", "事件", "地点", "环节", "时限", "超期", "督办"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, d.overdue_cases.map((c) => el("tr", {},
      el("td", {}, el("a", { href: `/ui/ops/case.html?id=${c.id}` }, c.number)),
      el("td", {}, c.title, el("div", { class: "muted" }, c.category_name)),
      el("td", {}, c.region_name || c.region_code),
      el("td", {}, c.state_name),
      el("td", {}, shortTime(c.due_at)),
      el("td", {}, el("span", { class: `badge ${c.card === "red" ? "red" : "yellow"}` }, c.card === "red" ? "红牌" : "黄牌"), ` ${hours(c.overdue_hours)}`),
      el("td", {}, c.supervise_level === "red" ? el("span", { class: "badge red" }, "红牌督办")
        : c.supervise_level === "yellow" ? el("span", { class: "badge yellow" }, "黄牌督办") : "—"))))));
}

function hours(h) {
  return h >= 48 ? `${Math.floor(h / 24)}天` : `${h}小时`;
}

function mediationCard(d) {
  const m = d.mediation;
  return el("section", { class: "card", "aria-labelledby": "h-med" },
    el("h2", { id: "h-med" }, "矛盾纠纷排查化解（本年）"),
    el("div", { class: "kpis" },
      kpi("disputes-screened", "排查数", m.screened),
      kpi("disputes-resolved", "化解数", m.resolved),
      kpi("disputes-failed", "调解不成", m.failed),
      kpi("civil-to-criminal", "民转刑", m.civil_to_criminal, null, m.civil_to_criminal > 0)),
    donut({ title: "调解成功率", value: m.success_rate.value, numerator: m.success_rate.numerator, denominator: m.success_rate.denominator, numeratorLabel: "化解", denominatorLabel: "化解+调解不成" }));
}

function coverageCard(d) {
  const c = d.coverage;
  return el("section", { class: "card", "aria-labelledby": "h-cov" },
    el("h2", { id: "h-cov" }, "网格与三长覆盖"),
    el("div", { class: "kpis" },
      kpi("grids", "网格", c.grids, `已配网格员 ${fmt.int(c.grids_with_worker)}`),
      kpi("grid-workers", "网格员", c.grid_workers_full_time + c.grid_workers_part_time, `专职 ${fmt.int(c.grid_workers_full_time)}，兼职 ${fmt.int(c.grid_workers_part_time)}`),
      kpi("three-leaders", "片长/组长/邻长", c.block_leaders + c.group_leaders + c.neighbor_leaders, `${fmt.int(c.block_leaders)} / ${fmt.int(c.group_leaders)} / ${fmt.int(c.neighbor_leaders)}`),
      kpi("households", "三长联系户", c.households_covered, `共 ${fmt.int(c.households)} 户`)),
    el("div", { class: "rates" },
      donut({ title: "网格员配备率", value: c.grid_worker_rate.value, numerator: c.grid_worker_rate.numerator, denominator: c.grid_worker_rate.denominator, numeratorLabel: "已配", denominatorLabel: "网格" }),
      donut({ title: "三长联系户覆盖率", value: c.household_rate.value, numerator: c.household_rate.numerator, denominator: c.household_rate.denominator, numeratorLabel: "已联系", denominatorLabel: "户" })));
}

function childrenTable(d) {
  if (!d.children_level) return null;
  const grids = d.children_level === "grid";
  const head = ["下级区域", "本年受理", "其中已办结", "在办", "超期", ""];
  const rows = d.children.map((c) => el("tr", {},
    el("th", { scope: "row" }, grids ? c.name : el("a", { href: pageUrl("/ui/leader/dashboard.html", c.code) }, c.name)),
    el("td", { class: "num" }, c.created === null ? "—" : fmt.int(c.created)),
    el("td", { class: "num" }, c.closed === null ? "—" : fmt.int(c.closed)),
    el("td", { class: "num" }, fmt.int(c.open)),
    el("td", { class: "num" }, c.overdue ? el("span", { class: "badge red" }, fmt.int(c.overdue)) : "0"),
    el("td", {}, el("a", { href: queueUrl(c.code) }, "在办事件"))));
  if (d.direct) {
    rows.push(el("tr", {},
      el("th", { scope: "row" }, `${d.region.name}本级`),
      el("td", { class: "num" }, d.direct.created === null ? "—" : fmt.int(d.direct.created)),
      el("td", { class: "num" }, d.direct.closed === null ? "—" : fmt.int(d.direct.closed)),
      el("td", { class: "num" }, fmt.int(d.direct.open)),
      el("td", { class: "num" }, fmt.int(d.direct.overdue)),
      el("td", {}, "")));
  }
  const levelName = { city: "市", county: "县", township: "乡镇（街道）", village: "村（社区）", grid: "网格" }[d.children_level] || "下级";
  return el("section", { class: "card", "aria-labelledby": "h-kids" },
    el("h2", { id: "h-kids" }, `各${levelName}`),
    grids ? el("p", { class: "muted" }, "受理与办结数统计到村（社区）；网格只列在办与超期。") : el("p", { class: "muted" }, "点区域名称查看下一级。"),
    el("div", { class: "table-wrap" }, el("table", { class: "figures" },
      el("thead", {}, el("tr", {}, head.map((h, i) => el("th", { scope: "col", class: i && i < 5 ? "num" : undefined }, h)))),
      el("tbody", {}, rows))));
}

function definitions() {
  return el("details", { class: "card definitions" }, el("summary", {}, "口径说明"),
    el("dl", {},
      el("dt", {}, "受理、已办结"), el("dd", {}, "按事件受理（登记）的月份统计：本月受理的事件中，到现在已办结的件数计入“已办结”。"),
      el("dt", {}, "在办、超期"), el("dd", {}, "在办：尚未进入终结状态的事件（含待综合评价）。超期：在办且已超过当前环节时限（红牌）。"),
      el("dt", {}, "响应率"), el("dd", {}, "时限内签收的派单数 ÷ 派单数。"),
      el("dt", {}, "解决率、满意率"), el("dd", {}, "已解决件数 ÷ 已回访件数；（满意 + 系数 × 基本满意）÷ 已回访件数。"),
      el("dt", {}, "调解成功率"), el("dd", {}, "化解件数 ÷（化解 + 调解不成）件数，仍在调解中的不计。"),
      el("dt", {}, "三长联系户"), el("dd", {}, "所在的邻已有邻长的户。")));
}

async function main_() {
  const me = await shell("态势总览");
  const region = regionFromUrl(me);
  let d;
  try {
    d = await api("GET", `/api/v1/dashboard?region=${encodeURIComponent(region)}`);
  } catch (e) {
    main.replaceChildren(el("h1", {}, "态势总览"), el("div", { class: "alert error", role: "alert" }, e.message));
    return;
  }
  document.title = `${d.region.name} 态势总览 · 网格综治平台`;
  const scopes = await scopeSwitch(me, "/ui/leader/dashboard.html", region);
  // replaceChildren would print a null as text: leave the absent parts out.
  main.replaceChildren(...[
    scopes,
    crumbs(d.path, "/ui/leader/dashboard.html"),
    el("div", { class: "page-head" },
      el("h1", {}, `${d.region.name} 态势总览`),
      el("span", { class: "muted" }, `数据截至 ${shortTime(d.as_of)}`),
      pageLinks(d.region.code, "/ui/leader/dashboard.html")),
    kpis(d),
    el("div", { class: "cols" },
      el("section", { class: "card" }, trendChart(d)),
      el("section", { class: "card", "aria-labelledby": "h-rates" },
        el("h2", { id: "h-rates" }, "本年三率与办结"), rateDonuts(d))),
    el("section", { class: "card", "aria-labelledby": "h-over" },
      el("h2", { id: "h-over" }, "超期事件"),
      overdueTable(d),
      d.overdue > 0 ? el("p", {}, el("a", { href: queueUrl(d.region.code, { overdue: "true" }) }, `在事件队列中查看全部${d.overdue}件超期事件`)) : null),
    el("div", { class: "cols" },
      el("section", { class: "card" }, categoriesChart(d)),
      childrenTable(d)),
    el("div", { class: "cols" }, mediationCard(d), coverageCard(d)),
    definitions()].filter(Boolean));
}

main_();
