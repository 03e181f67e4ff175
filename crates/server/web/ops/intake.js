// Intake for every channel: one form, POST /api/v1/cases with an Idempotency-Key that
// belongs to this filled-in form (a double click or a retry after a lost answer returns
// the same case), then attachments, then the duplicates the API suspects.
import { ApiError, api, clearErrors, el, showErrors, uuid } from "../common/api.js";
import { shell } from "../common/shell.js";
import { categoryOptions, loadCatalogue, regionPicker } from "./lib.js";

const me = await shell("事件受理");
const form = document.getElementById("intake");
const result = document.getElementById("result");
const cat = await loadCatalogue();

// The workflow a channel's cases usually follow; the operator may pick another.
const TYPE_OF_SOURCE = { hotline_12345: "hotline_12345", petition: "petition", device_alert: "device_alert" };
const PARTY_ROLES = { reporter: "反映人", applicant: "申请人", respondent: "被申请人", other: "其他" };

form.elements.source.append(...cat.sources.map((s) => el("option", { value: s.id }, s.name)));
form.elements.type.append(...cat.types.map((t) => el("option", { value: t.id }, t.name)));
form.elements.category.append(...categoryOptions(cat));
form.elements.type.value = cat.types.some((t) => t.id === "general") ? "general" : cat.types[0]?.id;
const preset = new URLSearchParams(location.search);
for (const k of ["source", "type", "category"]) if (preset.get(k)) form.elements[k].value = preset.get(k);

form.elements.source.addEventListener("change", () => {
  const t = TYPE_OF_SOURCE[form.elements.source.value] || "general";
  if (cat.types.some((x) => x.id === t)) form.elements.type.value = t;
});

const regionBox = document.getElementById("region-box");
async function drawPicker() {
  regionBox.replaceChildren(await regionPicker(form.elements.region_code, { anyText: "请选择（或按坐标定位）" }));
}
await drawPicker();

// Coordinates → grid, with the API's own lookup (the same one intake uses when no region is given).
document.getElementById("locate").addEventListener("click", async () => {
  const out = document.getElementById("located");
  clearErrors(form);
  const lng = Number(form.elements.lng.value), lat = Number(form.elements.lat.value);
  if (!form.elements.lng.value || Number.isNaN(lng)) return fieldError("lng", "请填写经度（数字）");
  if (!form.elements.lat.value || Number.isNaN(lat)) return fieldError("lat", "请填写纬度（数字）");
  try {
    const r = await api("GET", `/api/v1/grids/locate?lng=${lng}&lat=${lat}`);
    if (r.grid) {
      form.elements.region_code.value = r.grid;
      await drawPicker();
      out.textContent = `已定位：${r.name || r.grid}`;
    } else out.textContent = "该坐标不在您范围内的任何网格中，请手动选择区划。";
  } catch (err) { showErrors(form, err); }
});

function fieldError(field, message) {
  showErrors(form, new ApiError(422, { code: "validation_failed", message, details: { field, message } }));
}

let parties = 0;
document.getElementById("add-party").addEventListener("click", () => addParty());
function addParty() {
  const i = parties++;
  const id = (f) => `party-${i}-${f}`;
  const name = (f) => `parties[${i}].${f}`;
  const box = el("fieldset", { class: "party card", "data-index": i },
    el("legend", {}, `当事人 ${i + 1}`),
    el("div", { class: "row" },
      el("div", { class: "field" }, el("label", { for: id("role") }, "身份"),
        el("select", { id: id("role"), name: name("role") },
          Object.entries(PARTY_ROLES).map(([v, t]) => el("option", { value: v, selected: v === (i === 0 ? "applicant" : "respondent") }, t)))),
      el("div", { class: "field" }, el("label", { for: id("name") }, "姓名或单位名称"), el("input", { id: id("name"), name: name("name"), autocomplete: "off" })),
      el("div", { class: "field" }, el("label", { for: id("phone") }, "电话"), el("input", { id: id("phone"), name: name("phone"), inputmode: "tel", autocomplete: "off" })),
      el("div", { class: "field" }, el("label", { for: id("id_number") }, "身份证号"), el("input", { id: id("id_number"), name: name("id_number"), autocomplete: "off" })),
      el("div", { class: "field" }, el("label", { for: id("uscc") }, "统一社会信用代码（单位）"), el("input", { id: id("uscc"), name: name("uscc"), autocomplete: "off" })),
      el("button", { type: "button", onclick: () => box.remove() }, "移除")));
  document.getElementById("parties").append(box);
  box.querySelector("input").focus();
}

// One key per filled-in form: kept across retries, renewed once a case has been made.
let key = uuid();
let busy = false;
form.addEventListener("input", () => { if (!busy) result.replaceChildren(); });

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  if (busy) return;
  clearErrors(form);
  const f = form.elements;
  const v = (n) => f[n].value.trim();
  const num = (n) => (v(n) === "" ? undefined : Number(v(n)));
  for (const [n, label] of [["lng", "经度"], ["lat", "纬度"]]) {
    if (v(n) !== "" && Number.isNaN(Number(v(n)))) return fieldError(n, `${label}应为数字`);
  }
  if (!v("category")) return fieldError("category", "请选择分类");
  const address = v("address");
  const body = {
    type: v("type"),
    source: v("source"),
    category: v("category"),
    priority: v("priority"),
    title: v("title"),
    // The API has no address field: the address leads the description, where handlers read it.
    description: [address && `地址：${address}`, v("description")].filter(Boolean).join("\n"),
    region_code: v("region_code"),
    lng: num("lng"),
    lat: num("lat"),
    reporter_name: v("reporter_name") || undefined,
    reporter_phone: v("reporter_phone") || undefined,
    parties: [...form.querySelectorAll("fieldset.party")].map((p) => {
      const i = p.dataset.index;
      const pv = (x) => form.elements[`parties[${i}].${x}`].value.trim() || undefined;
      return { role: pv("role"), name: pv("name") || "", phone: pv("phone"), id_number: pv("id_number"), uscc: pv("uscc") };
    }),
  };
  busy = true;
  const button = document.getElementById("submit");
  button.disabled = true;
  button.textContent = "正在登记…";
  try {
    const c = await api("POST", "/api/v1/cases", body, { idempotencyKey: key });
    const files = [...f.files.files];
    key = uuid();
    const uploadErrors = [];
    for (const file of files) {
      try {
        await api("POST", `/api/v1/cases/${c.id}/attachments?filename=${encodeURIComponent(file.name)}`, file);
      } catch (err) { uploadErrors.push(`${file.name}：${err.message}`); }
    }
    form.reset();
    f.type.value = body.type;
    f.source.value = body.source;
    document.getElementById("parties").replaceChildren();
    document.getElementById("located").textContent = "";
    await drawPicker();
    await showCreated(c, files.length - uploadErrors.length, uploadErrors);
  } catch (err) {
    showErrors(form, err);
  } finally {
    busy = false;
    button.disabled = false;
    button.textContent = "登记事件";
  }
});

async function showCreated(c, uploaded, uploadErrors) {
  const box = el("section", { class: "card alert ok", "aria-labelledby": "created-h" },
    el("h2", { id: "created-h" }, "已登记"),
    el("p", {}, "事件编号 ", el("a", { href: `/ui/ops/case.html?id=${c.id}` }, c.number), `：${c.title}（${c.state_name}）`),
    uploaded ? el("p", {}, `已上传附件 ${uploaded} 个。`) : null,
    uploadErrors.length ? el("div", { class: "alert error", role: "alert" }, "以下附件未能上传，可在事件详情页重新上传：", el("ul", {}, uploadErrors.map((m) => el("li", {}, m)))) : null);
  result.replaceChildren(box);
  let dups = [];
  try { dups = await api("GET", `/api/v1/cases/${c.id}/duplicates`); } catch { /* the case stands; duplicates are a hint */ }
  if (c.possible_duplicate_of && !dups.some((d) => d.case.id === c.possible_duplicate_of)) {
    try { dups.unshift({ score: 1, case: await api("GET", `/api/v1/cases/${c.possible_duplicate_of}`) }); } catch { /* out of scope */ }
  }
  if (dups.length) {
    const mayMerge = ["intake_operator", "dispatcher"].includes(me.role);
    result.append(el("section", { class: "card", "aria-labelledby": "dup-h" },
      el("h2", { id: "dup-h" }, `疑似重复事件（${dups.length}）`),
      el("p", { class: "muted" }, "同类、地点相近、时间相近、描述相似的未办结事件。确属同一件事的，可把刚登记的事件并入原事件，两者一同办结。"),
      el("ul", { class: "dup-list" }, dups.map((d) => el("li", {},
        el("a", { href: `/ui/ops/case.html?id=${d.case.id}` }, `${d.case.number} ${d.case.title}`),
        ` · ${d.case.state_name} · 相似度 ${Math.round(d.score * 100)}% `,
        mayMerge ? el("button", { type: "button", onclick: (ev) => merge(c, d.case, ev.target) }, "并入此事件") : null)))));
  }
  box.querySelector("a").focus();
}

async function merge(c, into, button) {
  button.disabled = true;
  try {
    await api("POST", `/api/v1/cases/${c.id}/merge`, { into: into.id });
    button.replaceWith(el("strong", {}, `已并入 ${into.number}`));
  } catch (err) {
    button.disabled = false;
    button.after(el("span", { class: "field-error", role: "alert" }, ` ${err.message}`));
  }
}
