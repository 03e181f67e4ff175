// Disputes: the list (GET /api/v1/cases?type=dispute, filters in the URL), the 民转刑 risk
// watch list for those the API lets see it, and registering a new dispute with its parties.
import { api, clearErrors, el, fmtTime, formData, showErrors } from "../common/api.js";
import { shell } from "../common/shell.js";
import { badges, categoryOptions, loadCatalogue, regionLabel, regionPicker, remaining } from "../ops/lib.js";
import { RISK, partyFields, partyValues } from "./parties.js";

const me = await shell("矛盾纠纷");
const cat = await loadCatalogue();
const MEDIATE = ["mediator", "legal_advisor", "grid_worker", "block_leader", "group_leader", "neighbor_leader", "intake_operator", "dispatcher"];

// ---- the list -------------------------------------------------------------------------
const form = document.getElementById("filters");
const params = new URLSearchParams(location.search);
if (!params.has("f")) params.set("open", "true");
const dispute = cat.types.find((t) => t.id === "dispute");
form.elements.state.append(...(dispute?.states || []).map((s) => el("option", { value: s.id }, s.name)));
for (const [k, v] of params) {
  const f = form.elements[k];
  if (!f || k === "region") continue;
  if (f.type === "checkbox") f.checked = f.value === v;
  else f.value = v;
}
form.elements.region.value = params.get("region") || "";
document.getElementById("region-box").append(await regionPicker(form.elements.region));
form.addEventListener("submit", (e) => {
  e.preventDefault();
  const q = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (v !== "") q.set(k, v);
  location.href = `${location.pathname}?${q}`;
});

const query = new URLSearchParams({ type: "dispute", sort: "deadline" });
for (const k of ["region", "state", "open", "overdue", "assignee", "q", "page"]) if (params.get(k)) query.set(k, params.get(k));
const summary = document.getElementById("summary");
try {
  const page = await api("GET", `/api/v1/cases?${query}`);
  const capped = page.total > 10000; // the API stops counting there
  const pages = capped ? null : Math.max(1, Math.ceil(page.total / page.per_page));
  const where = pages ? `第 ${page.page} / ${pages} 页` : `第 ${page.page} 页`;
  summary.textContent = capped ? `超过 10000 件，${where}` : page.total ? `共 ${page.total} 件，${where}` : "没有符合条件的纠纷。";
  document.querySelector("#disputes tbody").replaceChildren(...page.items.map((c) => {
    const left = remaining(c);
    return el("tr", {},
      el("td", {}, el("a", { href: `/ui/mediation/dispute.html?id=${c.id}` }, c.number)),
      el("td", {}, el("a", { href: `/ui/mediation/dispute.html?id=${c.id}` }, c.title)),
      el("td", {}, c.category_name),
      el("td", {}, regionLabel(c.region_code)),
      el("td", {}, c.state_name),
      el("td", { class: left.overdue ? "overdue" : undefined }, left.text),
      el("td", {}, el("span", { class: "badges" }, badges(c))),
      el("td", {}, fmtTime(c.created_at)));
  }));
  const link = (p) => { const q = new URLSearchParams(params); q.set("f", "1"); q.set("page", p); return `?${q}`; };
  document.getElementById("pager").replaceChildren(
    page.page > 1 ? el("a", { class: "button", rel: "prev", href: link(page.page - 1) }, "上一页") : el("span", { class: "muted" }, "上一页"),
    el("span", {}, where),
    (pages ? page.page < pages : page.items.length === page.per_page) ? el("a", { class: "button", rel: "next", href: link(page.page + 1) }, "下一页") : el("span", { class: "muted" }, "下一页"));
} catch (err) {
  summary.textContent = "";
  showErrors(form, err);
}

// ---- the watch list: shown when the API answers it for this user ------------------------
// The list asks for one region: the filter's, else the user's own (first) region.
const watchRegion = params.get("region") || (me.regions || [])[0];
(watchRegion ? api("GET", `/api/v1/disputes/watchlist?region=${encodeURIComponent(watchRegion)}`) : Promise.reject(new Error("no region")))
  .then((items) => {
    document.getElementById("watch").hidden = false;
    const body = document.querySelector("#watchlist tbody");
    if (!items.length) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "muted" }, "目前没有高风险的未结纠纷。")));
      return;
    }
    body.replaceChildren(...items.map((w) => el("tr", {},
      el("td", {}, el("a", { href: `/ui/mediation/dispute.html?id=${w.case_id}` }, `${w.number} ${w.title}`)),
      el("td", {}, regionLabel(w.region_code)),
      el("td", { class: `risk-${w.risk.level}` }, `${RISK[w.risk.level] || w.risk.level}（${w.risk.score}分）`),
      el("td", {}, el("ul", {}, w.risk.reasons.map((r) => el("li", {}, `${r.explanation}（+${r.points}）`)))))));
  })
  .catch(() => { /* not for this role */ });

// ---- registering a dispute ------------------------------------------------------------
if (MEDIATE.includes(me.role)) {
  document.getElementById("register").hidden = false;
  const nd = document.getElementById("new-dispute");
  nd.elements.category.append(...categoryOptions(cat, { only: (top) => top.id === "dispute" }));
  document.getElementById("nd-region-box").append(await regionPicker(nd.elements.region_code, { anyText: "请选择" }));
  const box = document.getElementById("nd-parties");
  let n = 0;
  const add = (role) => box.append(partyFields(n++, role));
  add("applicant");
  add("respondent");
  document.getElementById("nd-add-party").addEventListener("click", () => add("other"));
  let busy = false;
  nd.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    clearErrors(nd);
    const v = formData(nd);
    const body = {
      category: v.category || "",
      region_code: v.region_code || "",
      title: v.title || "",
      description: v.description || "",
      came_by: v.came_by,
      amount_yuan: v.amount_yuan ? Number(v.amount_yuan) : undefined,
      parties: partyValues(nd),
    };
    busy = true;
    try {
      const file = await api("POST", "/api/v1/disputes", body);
      location.href = `/ui/mediation/dispute.html?id=${file.case.id}`;
    } catch (err) {
      showErrors(nd, err);
    } finally { busy = false; }
  });
}
