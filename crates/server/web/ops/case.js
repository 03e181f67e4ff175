// One case: its facts, deadline and cards, the whole timeline, parties, attachments and
// links, and one small form per action the API says this user may take now
// (`allowed_actions` with the fields each requires). Every action carries the version last
// read, so a case changed meanwhile is refused rather than overwritten.
import { api, clearErrors, el, fmtTime, showErrors } from "../common/api.js";
import { shell } from "../common/shell.js";
import { PRIORITY, SATISFACTION, askReveal, badges, categoryNames, loadCatalogue, regionLabel, remaining, stateName } from "./lib.js";

const me = await shell("事件详情");
const id = Number(new URLSearchParams(location.search).get("id"));
const root = document.getElementById("case");
const notice = document.getElementById("notice");
const cat = await loadCatalogue();
const catNames = categoryNames(cat);
const MAY_REVEAL = ["intake_operator", "dispatcher", "mediator", "legal_advisor", "grid_worker", "block_leader"];
const MAY_MERGE = ["intake_operator", "dispatcher"];

const back = document.getElementById("back");
if (document.referrer.startsWith(`${location.origin}/ui/ops/queue.html`)) back.href = document.referrer;

const FIELD_LABEL = {
  note: "说明", reason: "原因", assignee: "承办人", satisfaction: "满意度",
  extension_days: "延期天数", resolution: "办理结果",
};
const SUPERVISE = { red: "红牌督办", yellow: "黄牌督办", normal: "督办" };
const PARTY_ROLE = { reporter: "反映人", applicant: "申请人", respondent: "被申请人", other: "其他" };

let c;
if (!Number.isInteger(id) || id <= 0) {
  root.replaceChildren(el("div", { class: "alert error", role: "alert" }, "链接缺少事件编号。"));
} else {
  await load();
}

async function load() {
  try {
    c = await api("GET", `/api/v1/cases/${id}`);
  } catch (err) {
    root.replaceChildren(el("div", { class: "alert error", role: "alert" },
      err.status === 404 ? "事件不存在，或不在您的管辖范围内。" : err.message));
    return;
  }
  document.title = `${c.number} ${c.title} · 网格综治平台`;
  await render();
}

function say(kind, text, extra) {
  notice.replaceChildren(el("div", { class: `alert ${kind}`, role: kind === "error" ? "alert" : "status", tabindex: "-1" }, text, extra || null));
  notice.firstChild.focus();
}

/** The current assignee's name from the last dispatch or reassignment on the timeline. */
function assigneeName() {
  if (!c.assignee_user_id) return "未派遣";
  const e = [...c.timeline].reverse().find((x) => x.data && x.data.assignee === c.assignee_user_id);
  return e?.data.assignee_name || `用户 ${c.assignee_user_id}`;
}

function eventDetails(e) {
  const d = e.data || {};
  const out = [];
  if (d.assignee_name) out.push(`承办人：${d.assignee_name}`);
  if (d.reason) out.push(`原因：${d.reason}`);
  if (d.extension_days) out.push(`延期 ${d.extension_days} 天`);
  if (d.supervise_level) out.push(SUPERVISE[d.supervise_level] || "督办");
  if (d.satisfaction) out.push(`满意度：${SATISFACTION[d.satisfaction] || d.satisfaction}${d.solved === false ? "，未解决" : d.solved ? "，已解决" : ""}`);
  if (d.resolution) out.push(`办理结果：${d.resolution}`);
  if (d.on_time === false) out.push("超期办结");
  if (d.into) out.push(`并入事件 ${d.into}`);
  if (d.from_level && d.to_level) out.push(el("span", {}, "由 ", regionLabel(d.from_level), " 上报至 ", regionLabel(d.to_level)));
  if (e.note && e.note !== d.reason) out.push(e.note);
  return out.flatMap((x, i) => (i ? [el("br"), x] : [x]));
}

async function render() {
  const left = remaining(c);
  const mayReveal = MAY_REVEAL.includes(me.role) && (c.reporter_phone || c.parties.some((p) => p.phone || p.id_number));
  const facts = [
    ["状态", `${c.state_name}${c.terminal ? "（已结束）" : ""}`],
    ["事件类型", c.type_name],
    ["分类", catNames.get(c.category) || c.category_name],
    ["来源渠道", c.source_name],
    ["紧急程度", PRIORITY[c.priority] || c.priority],
    ["所在区划", regionLabel(c.region_code)],
    ["当前办理层级", regionLabel(c.handling_region)],
    ["承办人", assigneeName()],
    ["本环节期限", c.due_at ? el("span", {}, fmtTime(c.due_at), " ", el("span", { class: left.overdue ? "overdue" : "" }, `（${left.text}）`)) : left.text],
    ["督办", c.supervise_level ? SUPERVISE[c.supervise_level] || "督办" : "无"],
    ["反映人", [c.reporter_name, c.reporter_phone].filter(Boolean).join("  ") || "—"],
    ["坐标", c.lng != null ? `${c.lng}, ${c.lat}` : "—"],
    ["登记时间", fmtTime(c.created_at)],
    ["办结时间", c.closed_at ? fmtTime(c.closed_at) : "—"],
    ["回访满意度", c.satisfaction ? SATISFACTION[c.satisfaction] || c.satisfaction : "—"],
  ];
  if (c.origin) facts.push(["来源记录", c.origin]);

  const links = [];
  if (c.merged_into) links.push(el("li", {}, "已并入事件 ", caseLink(c.merged_into), "，随主事件办结。"));
  if (c.possible_duplicate_of) links.push(el("li", {}, "疑似与事件 ", caseLink(c.possible_duplicate_of), " 重复。"));
  for (const m of c.merged_cases) links.push(el("li", {}, "事件 ", caseLink(m), " 已并入本事件。"));
  if (c.type === "dispute") links.push(el("li", {}, el("a", { href: `/ui/mediation/dispute.html?id=${c.id}` }, "查看纠纷卷宗（调解记录、协议书）")));

  root.replaceChildren(...[
    el("div", { class: "case-head" },
      el("h1", {}, `${c.number} ${c.title}`),
      el("span", { class: "badges" }, badges(c))),
    el("div", { class: "two-col" },
      el("section", { class: "card", "aria-labelledby": "facts-h" },
        el("h2", { id: "facts-h" }, "概况"),
        el("dl", { class: "kv" }, facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
        mayReveal ? el("p", {}, el("button", { type: "button", onclick: reveal }, "查看完整电话和身份证号")) : null,
        el("h2", {}, "描述"),
        el("p", { class: "pre" }, c.description || "（无）"),
        links.length ? [el("h2", {}, "关联事件"), el("ul", {}, links)] : null),
      el("section", { class: "card actions", "aria-labelledby": "act-h" },
        el("h2", { id: "act-h" }, "办理"),
        actionForms(),
        mergeForm())),
    partiesSection(),
    attachmentsSection(),
    el("section", { class: "card", "aria-labelledby": "tl-h" },
      el("h2", { id: "tl-h" }, `办理过程（${c.timeline.length}）`),
      el("div", { class: "table-wrap" }, el("table", { class: "timeline" },
        el("thead", {}, el("tr", {}, ["时间", "操作人", "动作", "状态", "说明"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, c.timeline.map((e) => el("tr", {},
          el("td", {}, fmtTime(e.at)),
          el("td", {}, e.actor === "system" ? "系统" : e.actor),
          el("td", {}, e.action_name),
          el("td", {}, e.from_state === e.to_state || !e.from_state
            ? stateName(cat, c.type, e.to_state)
            : `${stateName(cat, c.type, e.from_state)} → ${stateName(cat, c.type, e.to_state)}`),
          el("td", {}, eventDetails(e))))))))].filter(Boolean));
  loadDuplicates();
}

function caseLink(cid) {
  return el("a", { href: `/ui/ops/case.html?id=${cid}` }, `#${cid}`);
}

function actionForms() {
  if (c.merged_into) return el("p", { class: "muted" }, "本事件已并入其他事件，请在主事件上办理。");
  if (!c.allowed_actions.length) return el("p", { class: "muted" }, "当前环节您没有可办理的动作。");
  return c.allowed_actions.map((a) => {
    const form = el("form", { novalidate: true, "data-action": a.id },
      el("div", { class: "form-error" }),
      a.requires.flatMap((f) => fieldFor(a, f, true)),
      a.requires.includes("note") ? null : fieldFor(a, "note", false),
      el("button", { type: "submit", class: "primary" }, `确认${a.name}`));
    form.addEventListener("submit", (e) => { e.preventDefault(); fire(a, form); });
    return el("details", {}, el("summary", {}, a.name), form);
  });
}

function fieldFor(a, f, required) {
  const fid = `${a.id}-${f}`;
  const label = el("label", { for: fid }, `${FIELD_LABEL[f] || f}${required ? "" : "（可选）"}`);
  let input;
  switch (f) {
    case "assignee":
      input = el("select", { id: fid, name: "assignee", required: true }, el("option", { value: "" }, "正在加载承办人…"));
      fillAssignees(input, a.id);
      break;
    case "satisfaction":
      return [
        el("div", { class: "field" }, label,
          el("select", { id: fid, name: "satisfaction", required: true },
            Object.entries(SATISFACTION).map(([v, t]) => el("option", { value: v }, t)))),
        el("div", { class: "field" }, el("label", { for: `${a.id}-solved` }, "问题是否解决"),
          el("select", { id: `${a.id}-solved`, name: "solved" },
            el("option", { value: "" }, "按满意度判断"), el("option", { value: "true" }, "已解决"), el("option", { value: "false" }, "未解决"))),
      ];
    case "extension_days":
      input = el("input", { id: fid, name: f, type: "number", min: "1", max: "365", step: "1", required: true, inputmode: "numeric" });
      break;
    default:
      input = el("textarea", { id: fid, name: f, rows: f === "note" && !required ? 2 : 3, required });
  }
  return el("div", { class: "field" }, label, input);
}

async function fillAssignees(select, action) {
  try {
    const list = await api("GET", `/api/v1/cases/${id}/assignees?action=${encodeURIComponent(action)}`);
    select.replaceChildren(el("option", { value: "" }, list.length ? "请选择" : "（范围内没有可派遣的承办人）"),
      ...list.map((u) => el("option", { value: u.id }, `${u.display_name}（${u.role_name}）`)));
    select.append(el("option", { value: "auto" }, "按分拨规则自动确定"));
  } catch (err) {
    select.replaceChildren(el("option", { value: "auto" }, "按分拨规则自动确定"));
  }
}

async function fire(a, form) {
  clearErrors(form);
  const body = { action: a.id, version: c.version };
  for (const [k, v] of new FormData(form)) {
    const s = String(v).trim();
    if (s === "" || s === "auto") continue;
    if (k === "assignee" || k === "extension_days") body[k] = Number(s);
    else if (k === "solved") body[k] = s === "true";
    else body[k] = s;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    c = await api("POST", `/api/v1/cases/${id}/transitions`, body);
    await render();
    say("ok", `已${a.name}。当前状态：${c.state_name}。`);
  } catch (err) {
    button.disabled = false;
    if (err.code === "version_conflict") {
      say("error", "该事件刚被他人更新，您的操作未生效。请查看最新情况后再办理。",
        el("button", { type: "button", onclick: () => { notice.replaceChildren(); load(); } }, "刷新事件"));
    } else showErrors(form, err);
  }
}

function mergeForm() {
  if (!MAY_MERGE.includes(me.role) || c.terminal || c.merged_into) return null;
  const form = el("form", { novalidate: true },
    el("div", { class: "form-error" }),
    el("div", { id: "dups" }),
    el("div", { class: "field" }, el("label", { for: "merge-into" }, "并入的主事件（事件ID）"),
      el("input", { id: "merge-into", name: "into", inputmode: "numeric", required: true, value: c.possible_duplicate_of || "" })),
    el("button", { type: "submit" }, "确认合并"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const into = Number(form.elements.into.value);
    try {
      c = await api("POST", `/api/v1/cases/${id}/merge`, { into });
      await render();
      say("ok", `已并入事件 #${into}，将随主事件一同办结。`);
    } catch (err) { showErrors(form, err); }
  });
  return el("details", {}, el("summary", {}, "合并重复事件"), form);
}

async function loadDuplicates() {
  const box = document.getElementById("dups");
  if (!box) return;
  try {
    const dups = await api("GET", `/api/v1/cases/${id}/duplicates`);
    if (!dups.length) { box.replaceChildren(el("p", { class: "muted" }, "没有发现疑似重复的未办结事件。")); return; }
    box.replaceChildren(el("p", {}, "疑似重复："), el("ul", { class: "dup-list" }, dups.map((d) => el("li", {},
      el("a", { href: `/ui/ops/case.html?id=${d.case.id}` }, `#${d.case.id} ${d.case.number} ${d.case.title}`),
      ` · ${d.case.state_name} · 相似度 ${Math.round(d.score * 100)}% `,
      el("button", { type: "button", onclick: () => { document.getElementById("merge-into").value = d.case.id; document.getElementById("merge-into").focus(); } }, "选为主事件")))));
  } catch { box.replaceChildren(); }
}

function partiesSection() {
  if (!c.parties.length) return null;
  return el("section", { class: "card", "aria-labelledby": "parties-h" },
    el("h2", { id: "parties-h" }, "当事人"),
    el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {}, ["身份", "姓名/单位", "电话", "身份证号/信用代码"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, c.parties.map((p) => el("tr", {},
        el("td", {}, PARTY_ROLE[p.role] || p.role), el("td", {}, p.name),
        el("td", {}, p.phone || "—"), el("td", {}, p.id_number || p.uscc || "—")))))));
}

function attachmentsSection() {
  const input = el("input", { id: "upload", type: "file", multiple: true, accept: "image/jpeg,image/png,image/webp,application/pdf" });
  const form = el("form", { novalidate: true, class: "no-print" },
    el("div", { class: "form-error" }),
    el("div", { class: "field" }, el("label", { for: "upload" }, "上传附件（照片、扫描件）"), input),
    el("button", { type: "submit" }, "上传"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      for (const f of input.files) await api("POST", `/api/v1/cases/${id}/attachments?filename=${encodeURIComponent(f.name)}`, f);
      await load();
      say("ok", "附件已上传。");
    } catch (err) { showErrors(form, err); }
  });
  return el("section", { class: "card", "aria-labelledby": "att-h" },
    el("h2", { id: "att-h" }, `附件（${c.attachments.length}）`),
    c.attachments.length
      ? el("ul", {}, c.attachments.map((a) => el("li", {},
        el("a", { href: a.url, target: "_blank", rel: "noopener" }, a.filename), ` · ${Math.ceil(a.size / 1024)} KB`)))
      : el("p", { class: "muted" }, "暂无附件。"),
    c.terminal ? null : form);
}

function reveal() {
  askReveal("查看完整个人信息", async (reason) => {
    const r = await api("POST", `/api/v1/cases/${id}/reveal`, { reason });
    const rows = [];
    if (r.reporter_phone) rows.push([`反映人电话${c.reporter_name ? `（${c.reporter_name}）` : ""}`, r.reporter_phone]);
    for (const p of r.parties) {
      if (p.phone) rows.push([`${p.name} 电话`, p.phone]);
      if (p.id_number) rows.push([`${p.name} 身份证号`, p.id_number]);
    }
    return rows.length ? rows : [["结果", "没有可显示的个人信息"]];
  });
}
