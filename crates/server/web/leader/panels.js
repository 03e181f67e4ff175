// Panels the dashboard and the 大屏 both draw from one GET /api/v1/dashboard answer.
import { el } from "../common/api.js";
import { lineChart, barChart, donut, fmt } from "./charts.js";

/** A KPI tile; `key` is a stable data attribute (tests and the 大屏 read the numbers). */
export function kpi(key, label, value, note, alarm = false) {
  return el("div", { class: `kpi-card${alarm ? " alarm" : ""}`, "data-kpi": key },
    el("div", { class: "kpi-label" }, label),
    el("div", { class: "kpi-value" }, fmt.int(value)),
    note ? el("div", { class: "kpi-note" }, note) : null);
}

export function kpis(d) {
  return el("section", { class: "kpis", "aria-label": "主要数字" },
    kpi("month-created", "本月受理", d.this_month.created, d.this_month.from),
    kpi("month-closed", "本月受理已办结", d.this_month.closed, `办结率 ${fmt.pct(d.this_month.created ? d.this_month.closed / d.this_month.created : null)}`),
    kpi("year-created", "本年受理", d.this_year.created, `${d.this_year.from} 至 ${d.this_year.to}`),
    kpi("year-closed", "本年受理已办结", d.this_year.closed, `办结率 ${fmt.pct(d.closure_rate.value)}`),
    kpi("open", "在办", d.open, "尚未办结的事件"),
    kpi("overdue", "超期（红牌）", d.overdue, "在办且已过当前环节时限", d.overdue > 0));
}

export function trendChart(d) {
  return lineChart({
    title: "近12个月受理与办结",
    labels: d.trend.map((m) => m.month),
    series: [
      { name: "受理", values: d.trend.map((m) => m.created) },
      { name: "其中已办结", values: d.trend.map((m) => m.closed) },
    ],
    yLabel: "件",
  });
}

export function rateDonuts(d, small = false) {
  const r = d.rates;
  return el("div", { class: "rates" },
    donut({ title: "响应率", value: r.response_rate.value, numerator: r.response_rate.numerator, denominator: r.response_rate.denominator, numeratorLabel: "按时签收", denominatorLabel: "派单", small }),
    donut({ title: "解决率", value: r.resolution_rate.value, numerator: r.resolution_rate.numerator, denominator: r.resolution_rate.denominator, numeratorLabel: "已解决", denominatorLabel: "已回访", small }),
    donut({ title: "满意率", value: r.satisfaction_rate.value, numerator: r.satisfaction_rate.numerator, denominator: r.satisfaction_rate.denominator, numeratorLabel: "满意折算", denominatorLabel: "已回访", small }),
    donut({ title: "办结率", value: d.closure_rate.value, numerator: d.closure_rate.numerator, denominator: d.closure_rate.denominator, numeratorLabel: "已办结", denominatorLabel: "受理", small }),
    donut({ title: "按时办结率", value: r.on_time_rate.value, numerator: r.on_time_rate.numerator, denominator: r.on_time_rate.denominator, numeratorLabel: "按时", denominatorLabel: "已办结", small }));
}

export function categoriesChart(d) {
  return barChart({ title: "本年高发事件类别", items: d.top_categories.map((c) => ({ label: c.name, value: c.count })), unit: "件" });
}
