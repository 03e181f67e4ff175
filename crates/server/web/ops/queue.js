// The case queue: filters mirror GET /api/v1/cases and live in the URL (a filtered queue
// can be bookmarked or sent to a colleague); rows and pages are plain links, with j/k and
// n/p keys on top for people who work the queue all day.
import { api, el, fmtTime, showErrors } from "../common/api.js";
import { shell } from "../common/shell.js";
import { badges, categoryNames, categoryOptions, loadCatalogue, regionLabel, regionPicker, remaining } from "./lib.js";

const me = await shell("事件队列");
const form = document.getElementById("filters");
const tbody = document.querySelector("#queue tbody");
const summary = document.getElementById("summary");
const pager = document.getElementById("pager");

const FILTERS = ["region", "state", "type", "category", "source", "assignee", "overdue", "open", "from", "to", "q", "sort", "page", "per_page"];
const params = new URLSearchParams(location.search);
// A bare URL opens the working queue: open cases, and a handler's own cases.
if (!params.has("f")) {
  params.set("open", "true");
  if (me.role === "department_handler") params.set("assignee", "me");
}

const cat = await loadCatalogue();
const catNames = categoryNames(cat);

// Fill the selects from the catalogue, then the form from the URL.
const typeSel = form.elements.type;
typeSel.append(...cat.types.map((t) => el("option", { value: t.id }, t.name)));
form.elements.source.append(...cat.sources.map((s) => el("option", { value: s.id }, s.name)));
form.elements.category.append(...categoryOptions(cat, { topToo: true }));

function fillStates() {
  const sel = form.elements.state;
  const keep = sel.value || params.get("state") || "";
  sel.replaceChildren(el("option", { value: "" }, "全部"));
  const types = typeSel.value ? cat.types.filter((t) => t.id === typeSel.value) : cat.types;
  // The same state id in several workflows is one filter value: show all its names.
  const names = new Map();
  for (const t of types) for (const s of t.states) {
    const n = names.get(s.id) || [];
    if (!n.includes(s.name)) n.push(s.name);
    names.set(s.id, n);
  }
  for (const [id, n] of names) sel.append(el("option", { value: id, selected: id === keep }, n.join(" / ")));
}
for (const [k, v] of params) {
  const f = form.elements[k];
  if (!f || k === "region") continue;
  if (f.type === "checkbox") f.checked = f.value === v;
  else f.value = v;
}
fillStates();
typeSel.addEventListener("change", fillStates);

form.elements.region.value = params.get("region") || "";
document.getElementById("region-box").append(await regionPicker(form.elements.region));

// Submitting leaves empty fields out of the URL, so bookmarks stay short and readable.
form.addEventListener("submit", (e) => {
  e.preventDefault();
  const q = new URLSearchParams();
  for (const [k, v] of new FormData(form)) if (v !== "") q.set(k, v);
  location.href = `${location.pathname}?${q}`;
});

function urlWith(page) {
  const q = new URLSearchParams(params);
  q.set("f", "1");
  q.set("page", String(page));
  return `${location.pathname}?${q}`;
}

const query = new URLSearchParams();
for (const k of FILTERS) if (params.get(k)) query.set(k, params.get(k));
let rows = [];
let selected = -1;
let prevUrl = null, nextUrl = null;

try {
  const page = await api("GET", `/api/v1/cases?${query}`);
  render(page);
} catch (err) {
  summary.textContent = "";
  showErrors(form, err);
}

function render(page) {
  const now = Date.now();
  // The API stops counting at 10,000 (it answers 10,001): page on without a last page.
  const capped = page.total > 10000;
  const pages = capped ? null : Math.max(1, Math.ceil(page.total / page.per_page));
  const where = pages ? `第 ${page.page} / ${pages} 页` : `第 ${page.page} 页`;
  summary.textContent = capped
    ? `超过 10000 件，${where}（可加筛选条件缩小范围）`
    : page.total ? `共 ${page.total} 件，${where}` : "没有符合条件的事件。";
  tbody.replaceChildren(...page.items.map((c) => {
    const left = remaining(c, now);
    return el("tr", { "data-id": c.id },
      el("td", { class: "nowrap" }, el("a", { href: `/ui/ops/case.html?id=${c.id}` }, c.number)),
      el("td", {}, el("a", { href: `/ui/ops/case.html?id=${c.id}`, class: "title" }, c.title)),
      el("td", {}, c.type_name),
      el("td", {}, catNames.get(c.category) || c.category_name),
      el("td", {}, c.source_name),
      el("td", {}, regionLabel(c.region_code)),
      el("td", {}, c.state_name),
      el("td", { class: left.overdue ? "overdue" : undefined, title: c.due_at ? `期限 ${fmtTime(c.due_at)}` : undefined }, left.text),
      el("td", {}, el("span", { class: "badges" }, badges(c))),
      el("td", {}, fmtTime(c.created_at)));
  }));
  rows = [...tbody.rows];
  prevUrl = page.page > 1 ? urlWith(page.page - 1) : null;
  nextUrl = (pages ? page.page < pages : page.items.length === page.per_page) ? urlWith(page.page + 1) : null;
  pager.replaceChildren(
    prevUrl ? el("a", { href: prevUrl, rel: "prev", class: "button" }, "上一页") : el("span", { class: "muted" }, "上一页"),
    el("span", {}, where),
    nextUrl ? el("a", { href: nextUrl, rel: "next", class: "button" }, "下一页") : el("span", { class: "muted" }, "下一页"));
}

function select(i) {
  if (!rows.length) return;
  i = Math.max(0, Math.min(rows.length - 1, i));
  rows[selected]?.classList.remove("selected");
  rows[selected]?.removeAttribute("aria-current");
  selected = i;
  const row = rows[i];
  row.classList.add("selected");
  row.setAttribute("aria-current", "true");
  row.querySelector("a.title").focus();
  row.scrollIntoView({ block: "nearest" });
}

// A row's link taking focus (by Tab too) makes it the selected row.
tbody.addEventListener("focusin", (e) => {
  const row = e.target.closest("tr");
  const i = rows.indexOf(row);
  if (i >= 0 && i !== selected) {
    rows[selected]?.classList.remove("selected");
    selected = i;
    row.classList.add("selected");
  }
});

document.addEventListener("keydown", (e) => {
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  const t = e.target;
  if (t.closest("input, select, textarea, dialog") || t.isContentEditable) return;
  switch (e.key) {
    case "j": case "ArrowDown": select(selected + 1); break;
    case "k": case "ArrowUp": select(selected < 0 ? 0 : selected - 1); break;
    case "Enter":
      if (selected < 0 || t.tagName === "A" || t.tagName === "BUTTON") return;
      location.href = `/ui/ops/case.html?id=${rows[selected].dataset.id}`;
      break;
    case "n": case "PageDown": if (!nextUrl) return; location.href = nextUrl; break;
    case "p": case "PageUp": if (!prevUrl) return; location.href = prevUrl; break;
    case "/": form.elements.q.focus(); break;
    default: return;
  }
  e.preventDefault();
});
