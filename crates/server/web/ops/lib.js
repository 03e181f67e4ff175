// Shared by the operator and mediation pages: the catalogue (case types, categories,
// sources), region names and the region picker, deadline marks (黄牌/红牌, 督办, remaining
// time) and the reason-asking reveal dialog. Everything comes from the API; nothing here
// decides what a user may do.
import { api, el } from "../common/api.js";

let catalogue;
/** {types, categories, sources} from the API, fetched once per page. */
export function loadCatalogue() {
  catalogue ||= Promise.all([
    api("GET", "/api/v1/case-types"),
    api("GET", "/api/v1/categories"),
    api("GET", "/api/v1/sources"),
  ]).then(([types, categories, sources]) => ({ types, categories, sources }));
  return catalogue;
}

/** State name of a case type ("" for the start of a timeline). */
export function stateName(cat, type, id) {
  if (!id) return "";
  const t = cat.types.find((x) => x.id === type);
  return t?.states.find((s) => s.id === id)?.name || id;
}

/** Every second-level category id → name, with the first-level name for context. */
export function categoryNames(cat) {
  const out = new Map();
  for (const top of cat.categories) {
    out.set(top.id, top.name);
    for (const c of top.children || []) out.set(c.id, `${top.name} / ${c.name}`);
  }
  return out;
}

/** <option>s of the two-level category tree; the first level selectable only when `topToo`. */
export function categoryOptions(cat, { topToo = false, only } = {}) {
  return cat.categories
    .filter((top) => !only || only(top))
    .map((top) => el("optgroup", { label: top.name },
      topToo ? el("option", { value: top.id }, `${top.name}（全部）`) : null,
      (top.children || []).map((c) => el("option", { value: c.id }, c.name))));
}

// Region names, looked up once each (the list shows codes of many villages and grids).
const regionCache = new Map();
export function region(code) {
  if (!regionCache.has(code)) {
    regionCache.set(code, api("GET", `/api/v1/regions/${encodeURIComponent(code)}`).catch(() => null));
  }
  return regionCache.get(code);
}

/** A span that shows the code first and the region's name once it is known. */
export function regionLabel(code) {
  const span = el("span", { title: code }, code);
  if (code) region(code).then((r) => { if (r) span.textContent = r.name; });
  return span;
}

/**
 * Cascading selects over the caller's regions (roots from GET /api/v1/regions, children
 * from GET /api/v1/regions/{code}); the deepest choice is written to `hidden.value`.
 */
export async function regionPicker(hidden, { anyText = "全部（我的范围）", onchange } = {}) {
  const box = el("div", { class: "row region-picker" });
  const roots = await api("GET", "/api/v1/regions");
  const chain = [];
  // Rebuild the chain of selected codes from the value upwards to one of the roots.
  let code = hidden.value;
  for (let i = 0; code && i < 10; i++) {
    if (roots.some((r) => r.code === code)) { chain.unshift(code); break; }
    const r = await region(code);
    if (!r) { chain.length = 0; break; }
    chain.unshift(code);
    code = r.parent_code;
    if (!code) { chain.length = 0; break; }
  }
  if (chain.length && !roots.some((r) => r.code === chain[0])) chain.length = 0;

  const addSelect = (options, selected, level) => {
    const s = el("select", { "aria-label": `区划（第${level + 1}级）`, "data-level": level },
      el("option", { value: "" }, level === 0 ? anyText : "全部下级"),
      options.map((o) => el("option", { value: o.code, selected: o.code === selected }, o.name)));
    s.addEventListener("change", async () => {
      [...box.querySelectorAll("select")].filter((x) => Number(x.dataset.level) > level).forEach((x) => x.remove());
      const prev = box.querySelector(`select[data-level="${level - 1}"]`);
      hidden.value = s.value || (prev ? prev.value : "");
      if (s.value) {
        const r = await region(s.value);
        if (r && r.children.length) addSelect(r.children, "", level + 1);
      }
      onchange?.(hidden.value);
    });
    box.append(s);
  };
  addSelect(roots, chain[0] || "", 0);
  for (let i = 0; i < chain.length; i++) {
    const r = await region(chain[i]);
    if (r && r.children.length) addSelect(r.children, chain[i + 1] || "", i + 1);
  }
  hidden.value = chain.at(-1) || "";
  return box;
}

/** "3天4小时" from milliseconds. */
export function span(ms) {
  const m = Math.max(0, Math.round(ms / 60000));
  const d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mm = m % 60;
  if (d) return h ? `${d}天${h}小时` : `${d}天`;
  if (h) return mm ? `${h}小时${mm}分` : `${h}小时`;
  return `${mm}分钟`;
}

/** Remaining time of the current state: {text, overdue}. */
export function remaining(c, now = Date.now()) {
  if (c.terminal || !c.due_at) return { text: c.terminal ? "已办结" : "不计时", overdue: false };
  const left = new Date(c.due_at).getTime() - now;
  return left >= 0
    ? { text: `剩余 ${span(left)}`, overdue: false }
    : { text: `超期 ${span(-left)}`, overdue: true };
}

const SUPERVISE = { red: "红牌督办", yellow: "黄牌督办", normal: "督办" };

/** 黄牌/红牌 of the deadline, the 督办 grade, and merge hints as badges. */
export function badges(c) {
  const out = [];
  if (c.card === "red") out.push(el("span", { class: "badge red", title: "已超过本环节时限" }, "红牌"));
  else if (c.card === "yellow") out.push(el("span", { class: "badge yellow", title: "临近本环节时限" }, "黄牌"));
  if (c.supervise_level) {
    const cls = c.supervise_level === "normal" ? "badge" : `badge ${c.supervise_level}`;
    out.push(el("span", { class: cls }, SUPERVISE[c.supervise_level] || "督办"));
  }
  if (c.priority === "urgent") out.push(el("span", { class: "badge red" }, "特急"));
  else if (c.priority === "high") out.push(el("span", { class: "badge yellow" }, "紧急"));
  if (c.merged_into) out.push(el("span", { class: "badge" }, "已合并"));
  else if (c.possible_duplicate_of) out.push(el("span", { class: "badge", title: `可能与事件 ${c.possible_duplicate_of} 重复` }, "疑似重复"));
  return out;
}

export const PRIORITY = { low: "低", normal: "一般", high: "紧急", urgent: "特急" };
export const SATISFACTION = { satisfied: "满意", basic_satisfied: "基本满意", unsatisfied: "不满意" };

/**
 * Asks a reason (a real <dialog>, keyboard-usable), then calls `reveal(reason)`; the
 * unmasked values it returns are shown in the dialog for this view only, never stored.
 */
export function askReveal(title, reveal) {
  const reason = el("input", { id: "reveal-reason", name: "reason", required: true, placeholder: "如：电话回访当事人" });
  const out = el("div", { "aria-live": "polite" });
  const form = el("form", { method: "dialog", class: "reveal-form" },
    el("h2", {}, title),
    el("p", { class: "muted" }, "查看完整信息须说明原因，每次查看都记入审计日志。"),
    el("div", { class: "form-error" }),
    el("div", { class: "field" }, el("label", { for: "reveal-reason" }, "查看原因"), reason),
    out,
    el("div", { class: "row" },
      el("button", { type: "submit", class: "primary" }, "查看"),
      el("button", { type: "button", value: "close", onclick: () => dlg.close() }, "关闭")));
  const dlg = el("dialog", { "aria-label": title }, form);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const box = form.querySelector(".form-error");
    box.textContent = ""; box.className = "form-error";
    if (!reason.value.trim()) { reason.focus(); return; }
    try {
      const shown = await reveal(reason.value.trim());
      out.replaceChildren(el("dl", { class: "kv" }, shown.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v || "—")])));
    } catch (err) {
      box.className = "form-error alert error";
      box.setAttribute("role", "alert");
      box.textContent = err.message;
    }
  });
  dlg.addEventListener("close", () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  reason.focus();
}
