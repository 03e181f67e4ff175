// The grid worker's phone view: 我的任务, 上报事件, 巡查, 走访, 民情日记 — usable with no
// signal. Reads come from the server when it answers and from the last copy kept on the
// phone when it does not; every write goes into the outbox (outbox.js) first and is sent
// when the signal returns.
import { api, ApiError, el, uuid, fmtTime, setCsrf, clearErrors } from "../common/api.js";
import * as outbox from "./outbox.js";

const main = document.getElementById("main");
const KEEP = "wangge.m.get:";
/** A household not visited for this long is due for a visit (包干 走访). */
const VISIT_DUE_DAYS = 30;

// ---------------------------------------------------------------------------------------
// Reading, with the last good copy kept for when there is no signal.

class NoSignal extends Error {}

/** GET through the API; without an answer, the copy kept from the last one. */
async function read(path) {
  try {
    const data = await api("GET", path);
    try { localStorage.setItem(KEEP + path, JSON.stringify({ at: Date.now(), data })); } catch { /* full: keep going */ }
    return { data, at: null };
  } catch (e) {
    if (e instanceof ApiError) throw e;
    const kept = localStorage.getItem(KEEP + path);
    if (kept) {
      const { at, data } = JSON.parse(kept);
      return { data, at };
    }
    throw new NoSignal("无网络，本机也没有保存过这部分数据");
  }
}

function staleNote(...results) {
  const at = results.map((r) => r && r.at).filter(Boolean);
  if (!at.length) return null;
  return el("p", { class: "stale", role: "note" }, `无网络：显示的是 ${fmtTime(new Date(Math.min(...at)).toISOString())} 保存的数据`);
}

let me = null;
let places = []; // [{code, name, level}] the worker's regions and the ones just below
const lookups = {};

async function loadMe() {
  const r = await read("/api/v1/auth/me");
  me = r.data;
  document.getElementById("who").textContent = `${me.display_name}（${me.role_name}）`;
  places = [];
  for (const code of me.regions) {
    try {
      const node = (await read(`/api/v1/regions/${code}`)).data;
      places.push({ code: node.code, name: node.name, level: node.level });
      for (const c of node.children || []) places.push({ code: c.code, name: c.name, level: c.level });
    } catch { places.push({ code, name: code, level: "" }); }
  }
}

async function lookup(name, path) {
  if (!lookups[name]) lookups[name] = read(path).then((r) => r.data).catch((e) => { delete lookups[name]; throw e; });
  return lookups[name];
}

/** The deepest of the worker's places that holds `code` (a household's 邻, say). */
const placeFor = (code) => places.filter((p) => code && code.startsWith(p.code)).sort((a, b) => b.code.length - a.code.length)[0];
const placeName = (code) => (places.find((p) => p.code === code) || {}).name || code;

function placeSelect(name, { gridsOnly = false, value } = {}) {
  const list = gridsOnly ? places.filter((p) => p.level === "grid") : places;
  return el("select", { id: name, name, required: true },
    list.map((p) => el("option", { value: p.code, selected: p.code === value || undefined }, p.name)));
}

async function categorySelect(value) {
  const cats = await lookup("categories", "/api/v1/categories");
  return el("select", { id: "category", name: "category", required: true },
    el("option", { value: "" }, "请选择分类"),
    cats.map((top) => el("optgroup", { label: top.name },
      top.children.map((c) => el("option", { value: c.id, selected: c.id === value || undefined }, c.name)))));
}

// ---------------------------------------------------------------------------------------
// Small form helpers.

function field(label, input, hint) {
  const id = input.id || input.name;
  return el("div", { class: "field" }, el("label", { for: id }, label), input, hint ? el("span", { class: "muted" }, hint) : null);
}

function fail(form, name, message) {
  const input = form.querySelector(`[name="${name}"]`);
  const msg = el("div", { class: "field-error", id: `${name}-error`, role: "alert" }, message);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", msg.id);
    input.insertAdjacentElement("afterend", msg);
    input.focus();
  } else form.prepend(msg);
  return false;
}

function value(form, name) {
  const f = form.elements[name];
  return f ? String(f.value || "").trim() : "";
}

let notice = null;
/** After a form is handled: the view opens afresh at `hash`, with `text` on top. */
async function done(text, hash) {
  notice = text;
  if (location.hash !== hash) location.hash = hash; // hashchange routes
  else await route();
}

/** Queues a write and tries to send it at once. */
async function enqueue(entry) {
  await outbox.add({ key: uuid(), user: me && me.username, ...entry });
  await refreshBar();
  registerSync();
  sync();
}

// ---------------------------------------------------------------------------------------
// Location.

let lastFix = null;
function locate() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error("此设备不支持定位"));
    navigator.geolocation.getCurrentPosition(
      (p) => { lastFix = { lat: p.coords.latitude, lng: p.coords.longitude, accuracy: p.coords.accuracy, at: Date.now() }; resolve(lastFix); },
      (e) => reject(new Error(e.code === 1 ? "未允许定位，请手动填写经纬度" : "暂时无法定位，请手动填写经纬度")),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });
}

async function locationGranted() {
  try { return (await navigator.permissions.query({ name: "geolocation" })).state === "granted"; } catch { return false; }
}

/** The GPS block of a form: a button, the fix, and a manual fallback (lat/lng inputs). */
function locationBlock() {
  const status = el("p", { class: "loc muted", role: "status", "aria-live": "polite" }, "尚未定位");
  const lat = el("input", { id: "lat", name: "lat", type: "number", step: "any", min: "-90", max: "90", inputmode: "decimal" });
  const lng = el("input", { id: "lng", name: "lng", type: "number", step: "any", min: "-180", max: "180", inputmode: "decimal" });
  const manual = el("details", {}, el("summary", {}, "手动填写经纬度"), field("纬度", lat), field("经度", lng));
  const fix = async () => {
    status.textContent = "正在定位…";
    try {
      const p = await locate();
      lat.value = p.lat.toFixed(6);
      lng.value = p.lng.toFixed(6);
      status.textContent = `已定位：纬度 ${p.lat.toFixed(5)}，经度 ${p.lng.toFixed(5)}（精度约 ${Math.round(p.accuracy)} 米）`;
    } catch (e) {
      status.textContent = e.message;
      manual.open = true;
    }
  };
  const button = el("button", { type: "button", onclick: fix }, "获取当前位置");
  const block = el("div", { class: "field loc-block" }, el("strong", {}, "位置"), button, status, manual);
  // Where permission was given already, locate without asking (again after each report).
  block.refresh = () => locationGranted().then((ok) => { if (ok) return fix(); status.textContent = "尚未定位"; });
  block.refresh();
  return block;
}

function coords(form) {
  const lat = value(form, "lat");
  const lng = value(form, "lng");
  if (!lat && !lng) return {};
  const la = Number(lat);
  const ln = Number(lng);
  if (!lat || !Number.isFinite(la) || la < -90 || la > 90) return { error: ["lat", "纬度应在 -90 至 90 之间"] };
  if (!lng || !Number.isFinite(ln) || ln < -180 || ln > 180) return { error: ["lng", "经度应在 -180 至 180 之间"] };
  return { lat: la, lng: ln };
}

// ---------------------------------------------------------------------------------------
// Photos: big camera pictures are scaled down on the phone so they go out on a weak signal.

const PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
const PHOTO_MAX_BYTES = 1.5 * 1024 * 1024;
const PHOTO_MAX_SIDE = 1600;

async function preparePhoto(file) {
  if (PHOTO_TYPES.includes(file.type) && file.size <= PHOTO_MAX_BYTES) return { blob: file, name: file.name || "现场照片.jpg" };
  let bitmap;
  try { bitmap = await createImageBitmap(file); } catch { throw new Error("无法读取这张照片，请换一张（支持 JPEG、PNG、WebP）"); }
  const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
  if (!blob) throw new Error("照片处理失败，请重试");
  return { blob, name: (file.name || "现场照片").replace(/\.[^.]*$/, "") + ".jpg" };
}

// ---------------------------------------------------------------------------------------
// 我的任务.

function caseCard(c) {
  const card = c.card === "red" ? el("span", { class: "badge red" }, "红牌·超期") : c.card === "yellow" ? el("span", { class: "badge yellow" }, "黄牌·将到期") : null;
  return el("article", { class: "m-card" },
    el("h3", {}, c.title),
    el("div", { class: "meta" }, el("span", { class: "badge" }, c.state_name), card, el("span", {}, c.number), el("span", {}, c.category_name)),
    el("p", { class: "muted" }, `${placeName(c.region_code)} · 登记于 ${fmtTime(c.created_at)}${c.due_at ? ` · 时限 ${fmtTime(c.due_at)}` : ""}`),
    el("details", {}, el("summary", {}, "详细情况"), el("p", {}, c.description)));
}

async function viewTasks() {
  const seq = routeSeq;
  const out = [el("h1", {}, "我的任务")];
  const mine = await read("/api/v1/cases?assignee=me&open=true&sort=deadline&per_page=50").catch(() => null);
  const area = [];
  for (const code of me.regions) area.push(await read(`/api/v1/cases?region=${code}&open=true&sort=deadline&per_page=50`).catch(() => null));
  const stale = staleNote(mine, ...area);
  if (stale) out.push(stale);

  out.push(el("h2", {}, "派给我的事件"));
  const mineItems = mine ? mine.data.items : [];
  out.push(mineItems.length ? mineItems.map(caseCard) : el("p", { class: "muted" }, mine ? "没有派给我的未办结事件" : "暂时无法读取"));

  out.push(el("h2", {}, "本网格未办结事件"));
  const seen = new Set(mineItems.map((c) => c.id));
  const areaItems = area.flatMap((r) => (r ? r.data.items : [])).filter((c) => !seen.has(c.id) && seen.add(c.id));
  out.push(areaItems.length ? areaItems.map(caseCard) : el("p", { class: "muted" }, area.some(Boolean) ? "本网格没有未办结事件" : "暂时无法读取"));

  out.push(el("h2", {}, `待走访的户（${VISIT_DUE_DAYS}天内未走访）`));
  out.push(await dueHouseholds());
  render(seq, out);
}

async function dueHouseholds() {
  try {
    const visits = (await read("/api/v1/visits?limit=200")).data;
    const last = new Map();
    for (const v of visits) if (v.household_id && !last.has(v.household_id)) last.set(v.household_id, v.visited_at);
    const households = [];
    for (const code of me.regions) households.push(...(await read(`/api/v1/households?region=${code}&per_page=100`)).data.items);
    const pendingVisits = (await outbox.all()).filter((e) => e.kind === "visit" && e.body.household_id).map((e) => e.body.household_id);
    const cutoff = Date.now() - VISIT_DUE_DAYS * 86400e3;
    const due = households
      .filter((h) => !pendingVisits.includes(h.id))
      .filter((h) => !last.has(h.id) || new Date(last.get(h.id)).getTime() < cutoff)
      .sort((a, b) => (last.has(a.id) ? new Date(last.get(a.id)).getTime() : 0) - (last.has(b.id) ? new Date(last.get(b.id)).getTime() : 0));
    if (!due.length) return el("p", { class: "muted" }, households.length ? "包干的户都已按时走访" : "本网格暂无登记的户");
    return due.map((h) => el("article", { class: "m-card" },
      el("h3", {}, h.address),
      el("div", { class: "meta" }, el("span", {}, `户号 ${h.household_no}`), el("span", {}, placeName(h.region_code)),
        el("span", {}, last.has(h.id) ? `上次走访 ${fmtTime(last.get(h.id))}` : "从未走访")),
      el("div", { class: "actions" }, el("a", { class: "button primary", href: `#visit?household=${h.id}` }, "记录走访"))));
  } catch (e) {
    return el("p", { class: "muted" }, e instanceof NoSignal ? "无网络，本机没有保存过户的名单" : e.message);
  }
}

// ---------------------------------------------------------------------------------------
// Fixing a refused entry: the form opens with what was entered; sending it again makes a
// new entry (with a new key) in place of the refused one.

let editing = null;
function takeEditing(kind) {
  const e = editing && editing.kind === kind ? editing : null;
  editing = null;
  return e;
}

function refusalNote(e) {
  if (!e) return null;
  return el("p", { class: "alert error", role: "alert" }, `发送失败：${e.failed ? e.failed.message : ""}。请修改后重新提交。`);
}

function markRefusedField(form, e) {
  if (e && e.failed && e.failed.field) {
    const name = e.failed.field.replace(/^raise_case\./, "");
    if (form.elements[name]) fail(form, name, e.failed.message);
  }
}

// ---------------------------------------------------------------------------------------
// 上报事件.

async function viewReport() {
  const seq = routeSeq;
  const fix = takeEditing("case");
  const b = fix ? fix.body : {};
  let photo = fix && fix.photo ? { blob: fix.photo, name: fix.photoName } : null;
  const preview = el("div", {});
  const showPhoto = () => {
    preview.replaceChildren();
    if (!photo) return;
    const img = el("img", { class: "photo-preview", alt: "待上传的现场照片" });
    img.src = URL.createObjectURL(photo.blob);
    preview.append(img, el("p", { class: "muted" }, `${photo.name}，${Math.ceil(photo.blob.size / 1024)} KB`),
      el("button", { type: "button", onclick: () => { photo = null; fileInput.value = ""; showPhoto(); } }, "移除照片"));
  };
  const fileInput = el("input", { id: "photo", name: "photo", type: "file", accept: "image/*", capture: "environment" });
  fileInput.addEventListener("change", async () => {
    const f = fileInput.files && fileInput.files[0];
    clearErrors(form);
    if (!f) return;
    try { photo = await preparePhoto(f); showPhoto(); } catch (e) { photo = null; fail(form, "photo", e.message); }
  });
  const form = el("form", { id: "report-form", class: "card", novalidate: true },
    field("事件分类", await categorySelect(b.category)),
    field("所在网格", placeSelect("region_code", { value: b.region_code })),
    field("情况描述", el("textarea", { id: "description", name: "description", required: true, rows: "4", maxlength: "4000" }, b.description || ""), "写清楚地点、情况和影响"),
    field("标题", el("input", { id: "title", name: "title", maxlength: "200", value: b.title || "" }), "可不填，默认取描述的开头"),
    el("div", { class: "field file-pick" }, el("strong", {}, "现场照片"),
      el("label", { class: "button", for: "photo" }, "拍照或选择照片"), fileInput),
    preview,
    locationBlock(),
    el("button", { class: "primary wide", type: "submit" }, "提交上报"),
    el("p", { class: "muted" }, "没有信号时先保存在手机上，有信号后自动发送。"));
  if (b.lat != null) { form.elements.lat.value = b.lat; form.elements.lng.value = b.lng; }
  showPhoto();
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const description = value(form, "description");
    if (!value(form, "category")) return fail(form, "category", "请选择事件分类");
    if (!description) return fail(form, "description", "请填写情况描述");
    const at = coords(form);
    if (at.error) return fail(form, ...at.error);
    const title = value(form, "title") || description.replace(/\s+/g, " ").slice(0, 30);
    const body = { type: "general", category: value(form, "category"), source: "grid_report", region_code: value(form, "region_code"),
      title, description, ...(at.lat != null ? { lat: at.lat, lng: at.lng } : {}) };
    await enqueue({ kind: "case", label: `上报：${title}`, path: "/api/v1/cases", body, photo: photo ? photo.blob : null, photoName: photo ? photo.name : null });
    if (fix) await outbox.remove(fix.key);
    await done(navigator.onLine ? "已提交，正在发送" : "已保存在手机上，有信号后自动发送", "#report");
  });
  render(seq, [el("h1", {}, "上报事件"), refusalNote(fix), form]);
  markRefusedField(form, fix);
}

// ---------------------------------------------------------------------------------------
// 巡查: the patrol runs on the phone (start, tick items, finish) and goes out as one record.

const PATROL = "wangge.m.patrol";
const current = () => JSON.parse(localStorage.getItem(PATROL) || "null");
const keepPatrol = (p) => (p ? localStorage.setItem(PATROL, JSON.stringify(p)) : localStorage.removeItem(PATROL));

function trackPoint(p) {
  if (lastFix && Date.now() - lastFix.at < 5 * 60e3) p.track.push([lastFix.lng, lastFix.lat, lastFix.at]);
}

async function viewPatrol() {
  const seq = routeSeq;
  const templates = await lookup("templates", "/api/v1/patrol-templates").catch(() => []);
  const p = current();
  if (!p) {
    if (!templates.length) return render(seq, [el("h1", {}, "巡查"), el("p", { class: "muted" }, "无网络，本机还没有保存巡查模板，请有信号时再打开一次。")]);
    const form = el("form", { id: "patrol-start", class: "card", novalidate: true },
      field("巡查网格", placeSelect("grid_code", { gridsOnly: true })),
      field("检查项模板", el("select", { id: "template_id", name: "template_id" }, templates.map((t) => el("option", { value: t.id }, t.name)))),
      el("button", { class: "primary wide", type: "submit" }, "开始巡查"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!value(form, "grid_code")) return fail(form, "grid_code", "您的范围内没有网格");
      const t = templates.find((x) => String(x.id) === value(form, "template_id"));
      const np = { grid_code: value(form, "grid_code"), template_id: t.id, template: t, started_at: new Date().toISOString(), answers: {}, track: [] };
      if (await locationGranted()) await locate().catch(() => null);
      trackPoint(np);
      keepPatrol(np);
      viewPatrol();
    });
    return render(seq, [el("h1", {}, "巡查"), form]);
  }
  const items = p.template.items.map((it) => {
    const a = p.answers[it.id] || {};
    const note = el("textarea", { id: `note-${it.id}`, name: `note-${it.id}`, rows: "2", placeholder: "异常情况说明（必填）" }, a.note || "");
    const noteField = el("div", { class: "field", hidden: a.result !== "abnormal" || undefined }, el("label", { for: note.id }, "异常情况"), note);
    const choose = async (result) => {
      p.answers[it.id] = { ...(p.answers[it.id] || {}), result };
      noteField.hidden = result !== "abnormal";
      if (result === "abnormal") {
        if (await locationGranted()) await locate().catch(() => null);
        if (lastFix) Object.assign(p.answers[it.id], { lat: lastFix.lat, lng: lastFix.lng });
        trackPoint(p);
        note.focus();
      }
      keepPatrol(p);
    };
    note.addEventListener("input", () => { p.answers[it.id] = { ...(p.answers[it.id] || { result: "abnormal" }), note: note.value }; keepPatrol(p); });
    const radio = (result, text, cls) => el("label", { class: cls },
      el("input", { type: "radio", name: `r-${it.id}`, value: result, checked: a.result === result || undefined, onchange: () => choose(result) }), text);
    return el("fieldset", { class: "item" }, el("legend", {}, it.name),
      el("div", { class: "choices" }, radio("normal", "正常"), radio("abnormal", "异常", "bad")), noteField);
  });
  const form = el("form", { id: "patrol-form", novalidate: true },
    el("p", {}, `巡查中：${placeName(p.grid_code)}，${fmtTime(p.started_at)} 开始。逐项检查，异常的写明情况，提交后自动登记为事件。`),
    items,
    el("button", { class: "primary wide", type: "submit" }, "结束巡查并提交"),
    el("p", {}, el("button", { type: "button", class: "wide", onclick: () => { if (confirm("放弃本次巡查？已勾选的内容不会保存。")) { keepPatrol(null); viewPatrol(); } } }, "放弃本次巡查")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const answered = p.template.items.filter((it) => p.answers[it.id] && p.answers[it.id].result);
    if (!answered.length) return fail(form, `r-${p.template.items[0].id}`, "请至少检查一项");
    for (const it of answered) {
      const a = p.answers[it.id];
      if (a.result === "abnormal" && !(a.note || "").trim()) return fail(form, `note-${it.id}`, "异常项须说明情况");
    }
    trackPoint(p);
    const body = { grid_code: p.grid_code, template_id: p.template_id, started_at: p.started_at, ended_at: new Date().toISOString(), track: p.track,
      items: answered.map((it) => {
        const a = p.answers[it.id];
        return { item_id: it.id, result: a.result, ...(a.result === "abnormal" ? { note: a.note.trim() } : {}), ...(a.lat != null ? { lat: a.lat, lng: a.lng } : {}) };
      }) };
    const abnormal = body.items.filter((i) => i.result === "abnormal").length;
    await enqueue({ kind: "patrol", label: `巡查：${placeName(p.grid_code)}（${body.items.length}项，异常${abnormal}项）`, path: "/api/v1/patrols", body });
    keepPatrol(null);
    await done("巡查记录已保存，有信号后自动发送", "#patrol");
  });
  render(seq, [el("h1", {}, "巡查"), form]);
}

// ---------------------------------------------------------------------------------------
// 走访.

function localNow() {
  const d = new Date(Date.now() - new Date().getTimezoneOffset() * 60e3);
  return d.toISOString().slice(0, 16);
}

async function viewVisit(params) {
  const seq = routeSeq;
  const fix = takeEditing("visit");
  const b = fix ? fix.body : {};
  const households = [];
  for (const code of me.regions) {
    try { households.push(...(await read(`/api/v1/households?region=${code}&per_page=100`)).data.items); } catch { /* none kept */ }
  }
  const assignments = await read("/api/v1/assignments").then((r) => r.data).catch(() => []);
  const chosen = Number(params.get("household") || b.household_id || 0);
  const h = households.find((x) => x.id === chosen);
  const cats = await categorySelect(b.raise_case && b.raise_case.category);
  const raise = el("input", { id: "raise", name: "raise", type: "checkbox", checked: b.raise_case ? true : undefined });
  const caseFields = el("div", { hidden: b.raise_case ? undefined : true }, field("事件分类", cats));
  raise.addEventListener("change", () => { caseFields.hidden = !raise.checked; });
  const form = el("form", { id: "visit-form", class: "card", novalidate: true },
    field("走访的户", el("select", { id: "household_id", name: "household_id" },
      el("option", { value: "" }, "不指定户"),
      households.map((x) => el("option", { value: x.id, selected: x.id === chosen || undefined }, `${x.address}（${x.household_no}）`)))),
    field("所在区域", placeSelect("region_code", { value: b.region_code || (h && placeFor(h.region_code) ? placeFor(h.region_code).code : undefined) })),
    assignments.length ? field("包干关系", el("select", { id: "assignment_id", name: "assignment_id" },
      el("option", { value: "" }, "不属于包干走访"),
      assignments.filter((a) => a.active).map((a) => el("option", { value: a.id, selected: a.id === b.assignment_id || undefined }, `${a.kind_name} ${a.name}（${a.agency}）`)))) : null,
    field("走访时间", el("input", { id: "visited_at", name: "visited_at", type: "datetime-local", required: true, value: b.visited_at ? localFrom(b.visited_at) : localNow() })),
    field("走访地点", el("input", { id: "place", name: "place", required: true, maxlength: "200", value: b.place || (h ? h.address : "") })),
    field("走访对象", el("input", { id: "whom", name: "whom", required: true, maxlength: "100", value: b.whom || "" }), "见到了谁，如：户主张某"),
    field("走访情况", el("textarea", { id: "findings", name: "findings", required: true, rows: "4", maxlength: "2000" }, b.findings || "")),
    el("label", { class: "check", for: "raise" }, raise, "发现问题，同时登记为事件"),
    caseFields,
    el("button", { class: "primary wide", type: "submit" }, "保存走访"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    for (const [n, m] of [["visited_at", "请填写走访时间"], ["place", "请填写走访地点"], ["whom", "请填写走访对象"], ["findings", "请填写走访情况"]]) {
      if (!value(form, n)) return fail(form, n, m);
    }
    const when = new Date(value(form, "visited_at"));
    if (Number.isNaN(when.getTime())) return fail(form, "visited_at", "走访时间格式不对");
    if (when.getTime() > Date.now() + 5 * 60e3) return fail(form, "visited_at", "走访时间不能晚于现在");
    if (raise.checked && !value(form, "category")) return fail(form, "category", "请选择事件分类");
    const hid = value(form, "household_id");
    const aid = value(form, "assignment_id");
    const body = { region_code: value(form, "region_code"), visited_at: when.toISOString(), place: value(form, "place"), whom: value(form, "whom"),
      findings: value(form, "findings"), ...(hid ? { household_id: Number(hid) } : {}), ...(aid ? { assignment_id: Number(aid) } : {}),
      ...(raise.checked ? { raise_case: { category: value(form, "category") } } : {}) };
    await enqueue({ kind: "visit", label: `走访：${body.place}（${body.whom}）`, path: "/api/v1/visits", body });
    if (fix) await outbox.remove(fix.key);
    await done("走访记录已保存，有信号后自动发送", "#visit");
  });
  render(seq, [el("h1", {}, "走访"), refusalNote(fix), form]);
  markRefusedField(form, fix);
}

function localFrom(iso) {
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60e3).toISOString().slice(0, 16);
}

// ---------------------------------------------------------------------------------------
// 民情日记.

async function viewDiary() {
  const seq = routeSeq;
  const fix = takeEditing("diary");
  const b = fix ? fix.body : {};
  const form = el("form", { id: "diary-form", class: "card", novalidate: true },
    field("群众姓名", el("input", { id: "resident", name: "resident", required: true, maxlength: "50", value: b.resident || "" })),
    field("所在区域", placeSelect("region_code", { value: b.region_code })),
    field("诉求内容", el("textarea", { id: "request", name: "request", required: true, rows: "4", maxlength: "2000" }, b.request || "")),
    el("button", { class: "primary wide", type: "submit" }, "记入日记"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!value(form, "resident")) return fail(form, "resident", "请填写群众姓名");
    if (!value(form, "request")) return fail(form, "request", "请填写诉求内容");
    const body = { region_code: value(form, "region_code"), resident: value(form, "resident"), request: value(form, "request") };
    await enqueue({ kind: "diary", label: `民情日记：${body.resident}`, path: "/api/v1/diary", body });
    if (fix) await outbox.remove(fix.key);
    await done("已记下，有信号后自动发送", "#diary");
  });
  const list = [el("h2", {}, "我记的民情")];
  const waiting = (await outbox.all()).filter((e) => e.kind === "diary");
  for (const e of waiting) list.push(el("article", { class: "m-card" }, el("h3", {}, `${e.body.resident}：${e.body.request}`), el("div", { class: "meta" }, el("span", { class: "badge yellow" }, e.failed ? "发送失败" : "待发送"))));
  try {
    const r = await read("/api/v1/diary?limit=50");
    const stale = staleNote(r);
    if (stale) list.push(stale);
    for (const d of r.data) {
      list.push(el("article", { class: "m-card" }, el("h3", {}, `${d.resident}：${d.request}`),
        el("div", { class: "meta" }, el("span", { class: d.done ? "badge ok" : "badge" }, d.done ? "已销号" : "未销号"), el("span", {}, fmtTime(d.created_at)), el("span", {}, placeName(d.region_code))),
        d.done_note ? el("p", { class: "muted" }, d.done_note) : null));
    }
    if (!r.data.length && !waiting.length) list.push(el("p", { class: "muted" }, "还没有记录"));
  } catch (e) { list.push(el("p", { class: "muted" }, e.message)); }
  render(seq, [el("h1", {}, "民情日记"), refusalNote(fix), form, ...list]);
  markRefusedField(form, fix);
}

// ---------------------------------------------------------------------------------------
// 待发送: what is waiting, and what the server refused (to fix or discard).

const KIND_VIEW = { case: "report", visit: "visit", diary: "diary" };

async function viewOutbox() {
  const seq = routeSeq;
  const items = await outbox.all();
  const out = [el("h1", {}, "待发送")];
  if (!items.length) out.push(el("p", { class: "muted" }, "没有待发送的内容，全部已发送。"));
  for (const e of items) {
    const actions = [];
    if (e.failed) {
      if (e.failed.photo) {
        actions.push(el("button", { type: "button", onclick: async () => { await outbox.retry(e.key); sync(); } }, "重新发送照片"));
        actions.push(el("button", { type: "button", onclick: async () => { if (confirm("放弃这张照片？事件已登记，不受影响。")) await outbox.dropPhoto(e.key); } }, "放弃照片"));
      } else {
        if (KIND_VIEW[e.kind]) actions.push(el("button", { type: "button", class: "primary", onclick: () => { editing = e; location.hash = `#${KIND_VIEW[e.kind]}`; } }, "修改"));
        actions.push(el("button", { type: "button", onclick: async () => { await outbox.retry(e.key); sync(); } }, "重新发送"));
        actions.push(el("button", { type: "button", onclick: async () => { if (confirm(`放弃“${e.label}”？放弃后不会再发送。`)) await outbox.remove(e.key); } }, "放弃"));
      }
    }
    out.push(el("article", { class: e.failed ? "m-card failed" : "m-card" },
      el("h3", {}, e.label),
      el("div", { class: "meta" }, el("span", {}, `录入于 ${fmtTime(new Date(e.created).toISOString())}`), e.photo ? el("span", {}, "含照片") : null,
        e.attempts ? el("span", {}, `已尝试 ${e.attempts} 次`) : null),
      e.failed
        ? el("p", { class: "field-error", role: "alert" }, `发送失败：${e.failed.photo ? "事件已登记，但照片未能上传：" : ""}${e.failed.message}`)
        : el("p", { class: "muted" }, e.user && me && e.user !== me.username ? `由 ${e.user} 录入，须其本人登录后才会发送` : "待发送"),
      actions.length ? el("div", { class: "actions" }, actions) : null));
  }
  if (items.some((e) => !e.failed)) out.push(el("button", { type: "button", class: "primary wide", onclick: () => sync() }, "立即发送"));
  render(seq, out);
}

// ---------------------------------------------------------------------------------------
// The frame: views by the address's #, the network state and the outbox bar.

/** Draws a view, unless the worker has moved on to another since it started loading. */
function render(seq, nodes) {
  if (seq !== routeSeq) return;
  const note = notice ? el("p", { class: "alert ok", role: "status", tabindex: "-1" }, notice) : null;
  notice = null;
  const [head, ...rest] = nodes.flat().filter(Boolean);
  main.replaceChildren(...[head, note, ...rest].filter(Boolean));
  if (note) note.focus();
}

const VIEWS = { tasks: viewTasks, report: viewReport, patrol: viewPatrol, visit: viewVisit, diary: viewDiary, outbox: viewOutbox };
let currentView = "";
let routeSeq = 0;

async function route() {
  const [name, query] = (location.hash.slice(1) || "tasks").split("?");
  const view = VIEWS[name] ? name : "tasks";
  currentView = view;
  const seq = ++routeSeq;
  for (const a of document.querySelectorAll(".m-nav a")) {
    if (a.dataset.view === view) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${{ tasks: "我的任务", report: "上报事件", patrol: "巡查", visit: "走访", diary: "民情日记", outbox: "待发送" }[view]} · 网格综治平台`;
  try {
    await VIEWS[view](new URLSearchParams(query || ""));
  } catch (e) {
    render(seq, [el("p", { class: "alert error", role: "alert" }, e.message || String(e))]);
  }
}

let authLost = false;
async function refreshBar() {
  const { pending, failed } = await outbox.counts();
  const bar = document.getElementById("outbox-bar");
  const link = document.getElementById("pending");
  link.dataset.pending = String(pending);
  link.dataset.failed = String(failed);
  link.replaceChildren(`待发送 ${pending} 条`, failed ? el("span", { class: "failed" }, `（其中 ${failed} 条发送失败，请查看）`) : "");
  let relogin = document.getElementById("relogin");
  if (authLost && !relogin) {
    relogin = el("a", { id: "relogin", class: "failed", href: "/ui/?next=/ui/m/" }, "登录已过期，请重新登录（待发送的内容仍在手机上，登录后自动发送）");
    link.insertAdjacentElement("afterend", relogin);
  } else if (!authLost && relogin) relogin.remove();
  bar.dataset.state = pending ? "pending" : "empty";
  document.getElementById("send-now").hidden = !(pending - failed > 0);
  const net = document.getElementById("net");
  net.textContent = navigator.onLine ? "" : "无网络";
  net.className = navigator.onLine ? "m-net" : "m-net offline";
  if (currentView === "outbox") viewOutbox();
}

let retryTimer = null;
let retries = 0;
/** Sends the outbox now; on no signal or a busy server, again later with backoff. */
async function sync() {
  clearTimeout(retryTimer);
  const result = await outbox.flush();
  authLost = result === "auth";
  await refreshBar();
  const mine = (await outbox.all()).filter((e) => !e.failed && (!e.user || e.user === me.username)).length;
  if (result === "done" || mine === 0) { retries = 0; return; }
  if (result === "auth") return;
  retries = Math.min(retries + 1, 7);
  const delay = Math.min(300e3, 2000 * 2 ** (retries - 1)) * (0.75 + Math.random() / 2);
  retryTimer = setTimeout(sync, delay);
}

async function registerSync() {
  try {
    const reg = await navigator.serviceWorker.ready;
    if (reg.sync) await reg.sync.register("wangge-outbox");
  } catch { /* no Background Sync: the page sends by itself */ }
}

async function start() {
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/ui/m/sw.js", { scope: "/ui/m/", type: "module" }).catch(() => {});
  }
  try {
    await loadMe();
  } catch (e) {
    render(routeSeq, [el("p", { class: "alert error", role: "alert" }, e instanceof NoSignal ? "无网络，且这部手机还没有登录过。请有信号时登录一次。" : e.message),
      el("a", { class: "button primary", href: "/ui/?next=/ui/m/" }, "去登录")]);
    return;
  }
  document.getElementById("send-now").addEventListener("click", () => sync());
  document.getElementById("logout").addEventListener("click", async () => {
    const { pending } = await outbox.counts();
    if (pending && !confirm(`还有 ${pending} 条没有发送，退出后仍保存在这部手机上，重新登录后发送。确定退出？`)) return;
    try { await api("POST", "/api/v1/auth/logout"); } catch { /* offline: the cookie ends on its own */ }
    for (const k of Object.keys(localStorage)) if (k.startsWith(KEEP)) localStorage.removeItem(k);
    setCsrf("");
    location.href = "/ui/";
  });
  addEventListener("online", () => { retries = 0; sync(); refreshBar(); });
  addEventListener("offline", () => refreshBar());
  addEventListener("hashchange", route);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") sync(); });
  outbox.onChange(() => refreshBar());
  await refreshBar();
  await route();
  sync();
  warm();
}

/** With signal, keeps a fresh copy of what the forms need, for when there is none. */
async function warm() {
  if (!navigator.onLine) return;
  const paths = ["/api/v1/categories", "/api/v1/patrol-templates", "/api/v1/assignments", "/api/v1/visits?limit=200", "/api/v1/diary?limit=50",
    ...me.regions.map((c) => `/api/v1/households?region=${c}&per_page=100`)];
  for (const p of paths) await read(p).catch(() => {});
}

start();
