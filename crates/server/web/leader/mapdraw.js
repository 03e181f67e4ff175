// Draws the grid map from GET /api/v1/dashboard/map as SVG: an equirectangular
// projection (longitude scaled by cos of the middle latitude, so shapes are not
// stretched at 26°N), grids coloured by their open cases in five classes with a legend,
// a native tooltip and an optional label per grid, each grid a keyboard-focusable link.
//
// Base layer: none. Nothing is requested from outside the server. When a county
// configures a tile layer the API sends `tiles` ({url, attribution}); drawing it (and
// allowing its host in the page's Content-Security-Policy) is the hook left for that —
// see `drawTiles` below.
import { el } from "../common/api.js";
import { svg, fmt } from "./charts.js";

const W = 1000;

/** Class limits for the colours: 0, then four steps up to the largest count. */
export function classes(max) {
  if (max <= 0) return [0];
  if (max <= 4) return [0, ...Array.from({ length: max }, (_, i) => i + 1)];
  const step = Math.ceil(max / 4);
  return [0, 1, step + 1, 2 * step + 1, 3 * step + 1];
}

function classOf(n, limits) {
  let k = 0;
  limits.forEach((lim, i) => { if (n >= lim) k = i; });
  return limits.length <= 1 ? 0 : Math.round((k * 4) / (limits.length - 1));
}

/**
 * drawMap(data, {hrefFor(grid), titleFor(grid), labels: "auto" | "always" | "never"})
 * → {figure, legend}. `hrefFor` decides where a click goes (drill in, or the queue).
 */
export function drawMap(data, opts = {}) {
  const { hrefFor = () => null, titleFor = (g) => `${g.name}：在办${g.open}件，超期${g.overdue}件`, labels = "auto" } = opts;
  if (!data.bbox || !data.grids.length) {
    return { figure: el("p", { class: "muted map-empty" }, data.grids_without_boundary > 0
      ? `本区域的${data.grids_without_boundary}个网格尚未录入边界，暂无法绘制地图。可在“网格管理”中导入边界（GeoJSON）。`
      : "本区域暂无网格边界。"), legend: null };
  }
  const [minLng, minLat, maxLng, maxLat] = data.bbox;
  const k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const spanX = Math.max((maxLng - minLng) * k, 1e-9);
  const spanY = Math.max(maxLat - minLat, 1e-9);
  const pad = 10;
  // Fit the width; a tall region is fitted to a height of at most 1000 instead.
  let s = (W - 2 * pad) / spanX;
  let H = spanY * s + 2 * pad;
  if (H > 1000) { s = (1000 - 2 * pad) / spanY; H = 1000; }
  H = Math.max(H, 200);
  const ox = (W - spanX * s) / 2, oy = (H - spanY * s) / 2;
  const px = (lng) => ox + (lng - minLng) * k * s;
  const py = (lat) => oy + (maxLat - lat) * s;
  const limits = classes(data.max_open);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H.toFixed(0)}`, class: "grid-map" });
  drawTiles(root, data.tiles);
  const showLabels = labels === "always" || (labels === "auto" && data.grids.length <= 60);
  const labelLayer = svg("g", { class: "map-labels", "aria-hidden": "true" });
  for (const g of data.grids) {
    const d = g.rings.map((ring) => ring.map(([lng, lat], i) => `${i ? "L" : "M"}${px(lng).toFixed(1)} ${py(lat).toFixed(1)}`).join("") + "Z").join("");
    const cls = `cell c${classOf(g.open, limits)}${g.overdue ? " has-overdue" : ""}`;
    const path = svg("path", { d, class: cls, "fill-rule": "evenodd" });
    const title = titleFor(g);
    const href = hrefFor(g);
    const node = href
      ? svg("a", { href, "aria-label": title, class: "cell-link", "data-grid": g.code }, svg("title", {}, title), path)
      : svg("g", { "data-grid": g.code }, svg("title", {}, title), path);
    root.append(node);
    if (showLabels) {
      const [lx, ly] = [px(g.label[0]), py(g.label[1])];
      labelLayer.append(svg("text", { class: "map-label", x: lx, y: ly - 2, "text-anchor": "middle" }, g.name.replace(/^.*?(第.+网格)$/, "$1")),
        svg("text", { class: "map-count", x: lx, y: ly + 16, "text-anchor": "middle" }, String(g.open)));
    } else if (g.open > 0) {
      labelLayer.append(svg("text", { class: "map-count", x: px(g.label[0]), y: py(g.label[1]) + 5, "text-anchor": "middle" }, String(g.open)));
    }
  }
  root.append(labelLayer);
  const total = data.grids.reduce((a, g) => a + g.open, 0);
  const busiest = [...data.grids].sort((a, b) => b.open - a.open).slice(0, 3).filter((g) => g.open > 0);
  root.setAttribute("role", "group");
  root.setAttribute("aria-label", `${data.region.name}网格地图：${data.grids.length}个网格，在办${total}件` +
    (busiest.length ? `，最多的是${busiest.map((g) => `${g.name}${g.open}件`).join("、")}` : ""));
  const figure = el("figure", { class: "map-figure" }, root);
  return { figure, legend: legend(limits) };
}

function legend(limits) {
  const items = limits.map((lim, i) => {
    const next = limits[i + 1];
    const text = lim === 0 ? "0件" : next === undefined ? `${lim}件及以上` : next - 1 === lim ? `${lim}件` : `${lim}–${next - 1}件`;
    const k = limits.length <= 1 ? 0 : Math.round((i * 4) / (limits.length - 1));
    return el("li", {}, el("span", { class: `swatch c${k}`, "aria-hidden": "true" }), text);
  });
  return el("div", { class: "map-legend" }, el("span", { class: "legend-title" }, "在办事件："),
    el("ul", {}, items, el("li", {}, el("span", { class: "swatch overdue", "aria-hidden": "true" }), "粗红边：有超期")));
}

/** The tile-layer hook: absent `tiles`, nothing happens (and nothing is fetched). */
function drawTiles(_root, tiles) {
  if (!tiles) return;
  // A county that configures a tile layer (e.g. 天地图 with its key) draws the tiles
  // covering the bbox here as <image> elements under the grids; the server must then
  // also allow the tile host in the Content-Security-Policy's img-src.
}

export { fmt };
