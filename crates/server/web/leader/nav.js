// What the leaders' pages share: the region in the URL (so a link or a reload shows the
// same place), the breadcrumb back up, and links between the four pages.
import { api, el } from "../common/api.js";

/** The region asked for in `?region=`, else the user's first scope. */
export function regionFromUrl(me) {
  const q = new URLSearchParams(location.search).get("region");
  if (q && /^\d{2,21}$/.test(q)) return q;
  return (me.regions && me.regions[0]) || "";
}

/** `page?region=code` keeping any other parameters given. */
export function pageUrl(page, region, extra = {}) {
  const p = new URLSearchParams({ region, ...extra });
  return `${page}?${p}`;
}

/** Breadcrumb from the widest region the user may see down to this one. */
export function crumbs(path, page) {
  return el("nav", { class: "crumbs", "aria-label": "区域层级" },
    el("ol", {}, path.map((r, i) => el("li", {},
      el("a", { href: pageUrl(page, r.code), "aria-current": i === path.length - 1 ? "page" : undefined }, r.name)))));
}

/** Links to the other leaders' pages for the same region. */
export function pageLinks(region, here) {
  const pages = [
    ["/ui/leader/dashboard.html", "态势总览"],
    ["/ui/leader/map.html", "网格地图"],
    ["/ui/leader/screen.html", "大屏"],
    ["/ui/leader/scorecard.html", "成绩单"],
  ];
  return el("div", { class: "actions no-print" }, pages.filter(([p]) => p !== here)
    .map(([p, t]) => el("a", { class: "button", href: pageUrl(p, region) }, t)));
}

/** The operator queue filtered to a region's open cases (overdue only if asked). */
export function queueUrl(region, extra = {}) {
  return pageUrl("/ui/ops/queue.html", region, { open: "true", ...extra });
}

/** "2026-03-02T13:00:00+08:00" → "2026-03-02 13:00". */
export function shortTime(iso) {
  return String(iso || "").replace("T", " ").slice(0, 16);
}

/** For a user scoped to several regions: links to each (empty for one region). */
export async function scopeSwitch(me, page, current) {
  if (!me.regions || me.regions.length < 2) return null;
  const roots = await api("GET", "/api/v1/regions").catch(() => []);
  if (roots.length < 2) return null;
  return el("nav", { class: "crumbs", "aria-label": "我的辖区" }, el("ol", {},
    el("li", {}, "辖区："),
    roots.map((r) => el("li", {}, el("a", { href: pageUrl(page, r.code), "aria-current": r.code === current ? "page" : undefined }, r.name)))));
}
