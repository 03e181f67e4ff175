// The dispute file (纠纷卷宗): parties (masked), category, amount, how it came, risk;
// mediation sessions, legal consultations (a mediator asks, only a legal advisor answers),
// referral after 调解不成, the 人民调解协议书 (inline preview, PDF, 签字确认, 司法确认 window),
// follow-ups and outcomes. Each write is one API call; the page redraws from its answer.
import { api, clearErrors, el, fmtTime, showErrors } from "../common/api.js";
import { shell } from "../common/shell.js";
import { SATISFACTION, askReveal, badges, regionLabel, remaining, span } from "../ops/lib.js";
import { CAME_BY, PARTY_ROLE, RISK } from "./parties.js";

const me = await shell("纠纷卷宗");
const id = Number(new URLSearchParams(location.search).get("id"));
const root = document.getElementById("file");
const notice = document.getElementById("notice");
const MEDIATE = ["mediator", "legal_advisor", "grid_worker", "block_leader", "group_leader", "neighbor_leader", "intake_operator", "dispatcher"];
const MAY_REVEAL = ["intake_operator", "dispatcher", "mediator", "legal_advisor", "grid_worker", "block_leader"];
const RESULT = { continue: "继续调解", success: "调解成功", failure: "调解不成" };
const REFERRAL = { litigation: "引导诉讼", arbitration: "引导仲裁", petition: "引导信访" };
const SIGN_METHOD = { device: "设备确认", paper_scan: "纸质签字扫描" };
const mayMediate = MEDIATE.includes(me.role);

let d;
if (!Number.isInteger(id) || id <= 0) root.replaceChildren(el("div", { class: "alert error", role: "alert" }, "链接缺少纠纷编号。"));
else await load();

async function load() {
  try {
    d = await api("GET", `/api/v1/disputes/${id}`);
  } catch (err) {
    root.replaceChildren(el("div", { class: "alert error", role: "alert" },
      err.status === 404 ? "纠纷不存在，或不在您的管辖范围内。" : err.message));
    return;
  }
  document.title = `${d.case.number} ${d.case.title} · 纠纷卷宗`;
  render();
}

function say(kind, text) {
  notice.replaceChildren(el("div", { class: `alert ${kind}`, role: kind === "error" ? "alert" : "status", tabindex: "-1" }, text));
  notice.firstChild.focus();
}

/** A small form: fields, a submit button; `send(values)` returns the new file. */
function smallForm(idp, fields, button, send, done) {
  const form = el("form", { novalidate: true, id: idp },
    el("div", { class: "form-error" }), fields, el("button", { type: "submit", class: "primary" }, button));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    const b = form.querySelector("button[type=submit]");
    b.disabled = true;
    try {
      const r = await send(form);
      if (r && r.case) d = r;
      else await load();
      render();
      say("ok", done);
    } catch (err) {
      b.disabled = false;
      showErrors(form, err);
    }
  });
  return form;
}

function field(label, input) {
  return el("div", { class: "field" }, el("label", { for: input.id }, label), input);
}
const val = (form, name) => form.elements[name].value.trim();
const lines = (s) => s.split(/\n+/).map((x) => x.trim()).filter(Boolean);
const list = (s) => s.split(/[，,、;；\n]+/).map((x) => x.trim()).filter(Boolean);

/** Now in China time as a datetime-local value. */
function nowLocal() {
  return new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 16);
}

function render() {
  const c = d.case;
  const left = remaining(c);
  const allowed = new Set(c.allowed_actions.map((a) => a.id));
  const facts = [
    ["状态", c.state_name],
    ["纠纷类别", c.category_name],
    ["纠纷来源", CAME_BY[d.came_by] || d.came_by],
    ["涉及金额", d.amount_yuan != null ? `${d.amount_yuan.toLocaleString("zh-CN")} 元` : "—"],
    ["所在区划", regionLabel(c.region_code)],
    ["办理层级", regionLabel(c.handling_region)],
    ["本环节期限", c.due_at ? `${fmtTime(c.due_at)}（${left.text}）` : left.text],
    ["调解结果", d.outcome === "success" ? "调解成功" : d.outcome === "failure" ? "调解不成" : "尚无"],
    ["引导去向", d.referral ? REFERRAL[d.referral] || d.referral : "—"],
    ["民转刑 / 刑转命", `${d.civil_to_criminal ? "已发生民转刑" : "无民转刑"}；${d.criminal_to_homicide ? "已发生刑转命" : "无刑转命"}`],
    ["登记时间", fmtTime(c.created_at)],
  ];
  root.replaceChildren(...[
    el("div", { class: "case-head" }, el("h1", {}, `${c.number} ${c.title}`), el("span", { class: "badges" }, badges(c))),
    el("p", { class: "no-print" }, el("a", { href: `/ui/ops/case.html?id=${c.id}` }, "事件详情与办理（办理过程、指派调解员、上报、督办）")),
    el("div", { class: "two-col" },
      el("section", { class: "card", "aria-labelledby": "facts-h" },
        el("h2", { id: "facts-h" }, "卷宗概况"),
        el("dl", { class: "kv" }, facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)])),
        el("h2", {}, "纠纷情况"), el("p", { class: "pre" }, c.description || "（无）")),
      el("section", { class: "card", "aria-labelledby": "risk-h" },
        el("h2", { id: "risk-h" }, "风险研判"),
        el("p", { class: `risk-${d.risk.level}` }, `风险等级：${RISK[d.risk.level] || d.risk.level}（${d.risk.score} 分）${d.risk.watch ? "，已列入预警名单" : ""}`),
        d.risk.reasons.length ? el("ul", {}, d.risk.reasons.map((r) => el("li", {}, `${r.explanation}（+${r.points}）`))) : el("p", { class: "muted" }, "暂无风险信号。"),
        outcomesForm())),
    partiesSection(),
    sessionsSection(c, allowed),
    consultationsSection(c),
    referralSection(allowed),
    agreementSection(),
    followupsSection(allowed),
  ].filter(Boolean));
}

function partiesSection() {
  const mayReveal = MAY_REVEAL.includes(me.role) && d.parties.some((p) => p.phone || p.id_number);
  return el("section", { class: "card", "aria-labelledby": "parties-h" },
    el("h2", { id: "parties-h" }, `当事人（${d.parties.length}）`),
    d.parties.length ? el("div", { class: "table-wrap" }, el("table", {},
      el("thead", {}, el("tr", {}, ["身份", "姓名/单位", "电话", "身份证号/信用代码"].map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, d.parties.map((p) => el("tr", {},
        el("td", {}, PARTY_ROLE[p.role] || p.role), el("td", {}, p.name),
        el("td", {}, p.phone || "—"), el("td", {}, p.id_number || p.uscc || "—"))))))
      : el("p", { class: "muted" }, "卷宗未登记当事人。"),
    mayReveal ? el("button", { type: "button", class: "no-print", onclick: reveal }, "查看完整电话和身份证号") : null);
}

function reveal() {
  askReveal("查看当事人完整信息", async (reason) => {
    const r = await api("POST", `/api/v1/cases/${id}/reveal`, { reason });
    const rows = [];
    for (const p of r.parties) {
      if (p.phone) rows.push([`${p.name} 电话`, p.phone]);
      if (p.id_number) rows.push([`${p.name} 身份证号`, p.id_number]);
    }
    return rows.length ? rows : [["结果", "没有可显示的个人信息"]];
  });
}

function sessionsSection(c) {
  const items = d.sessions.map((s, i) => el("article", { class: "card" },
    el("h3", {}, `第 ${i + 1} 次调解 · ${fmtTime(s.held_at)} · ${s.place} · ${RESULT[s.result] || s.result}`),
    el("dl", { class: "kv" },
      el("dt", {}, "参加人"), el("dd", {}, s.attendees.join("、")),
      el("dt", {}, "查明事实"), el("dd", { class: "pre" }, s.facts),
      el("dt", {}, "调解方案"), el("dd", { class: "pre" }, s.proposals))));
  let form = null;
  if (mayMediate && c.state === "mediating") {
    const result = el("select", { id: "s-result", name: "result" }, Object.entries(RESULT).map(([v, t]) => el("option", { value: v }, t)));
    const resolution = field("达成的协议（调解成功时填写，默认同调解方案）", el("textarea", { id: "s-resolution", name: "resolution", rows: 2 }));
    const reason = field("调解不成的原因", el("textarea", { id: "s-reason", name: "reason", rows: 2 }));
    const sync = () => { resolution.hidden = result.value !== "success"; reason.hidden = result.value !== "failure"; };
    result.addEventListener("change", sync);
    sync();
    form = el("details", { class: "no-print" }, el("summary", {}, "记录一次调解"),
      smallForm("session-form", [
        el("div", { class: "row" },
          field("时间", el("input", { id: "s-held_at", name: "held_at", type: "datetime-local", value: nowLocal(), required: true })),
          field("地点", el("input", { id: "s-place", name: "place", required: true, placeholder: "村部调解室、田间、院坝…" }))),
        field("参加人（用顿号或逗号分隔）", el("input", { id: "s-attendees", name: "attendees", required: true })),
        field("查明的事实", el("textarea", { id: "s-facts", name: "facts", rows: 3, required: true })),
        field("调解方案或建议", el("textarea", { id: "s-proposals", name: "proposals", rows: 3, required: true })),
        field("结果", result), resolution, reason,
      ], "保存调解记录", (f) => {
        const held = val(f, "held_at");
        return api("POST", `/api/v1/disputes/${id}/sessions`, {
          held_at: held ? `${held.length === 16 ? `${held}:00` : held}+08:00` : "",
          place: val(f, "place"),
          attendees: list(val(f, "attendees")),
          facts: val(f, "facts"),
          proposals: val(f, "proposals"),
          result: val(f, "result"),
          resolution: f.elements.result.value === "success" ? val(f, "resolution") || undefined : undefined,
          reason: f.elements.result.value === "failure" ? val(f, "reason") || undefined : undefined,
        });
      }, "调解记录已保存。"));
  }
  return el("section", { class: "card", "aria-labelledby": "sessions-h" },
    el("h2", { id: "sessions-h" }, `调解记录（${d.sessions.length}）`),
    items.length ? items : el("p", { class: "muted" }, "尚无调解记录。"), form);
}

function consultationsSection(c) {
  const isAdvisor = me.role === "legal_advisor";
  const items = d.consultations.map((q) => el("article", { class: "card" },
    el("p", {}, el("strong", {}, "咨询："), q.question, el("span", { class: "muted" }, `（${fmtTime(q.asked_at)}）`)),
    q.answer
      ? el("p", {}, el("strong", {}, "法律顾问答复："), el("span", { class: "pre" }, q.answer), el("span", { class: "muted" }, `（${fmtTime(q.answered_at)}）`))
      : isAdvisor
        ? smallForm(`answer-${q.id}`, field("答复", el("textarea", { id: `a-${q.id}`, name: "answer", rows: 3, required: true })), "提交答复",
          (f) => api("POST", `/api/v1/consultations/${q.id}/answer`, { answer: val(f, "answer") }), "答复已保存。")
        : el("p", { class: "muted" }, "等待法律顾问答复。")));
  const ask = mayMediate && !c.terminal
    ? el("details", { class: "no-print" }, el("summary", {}, "向法律顾问咨询"),
      smallForm("ask-form", [
        field("咨询的问题", el("textarea", { id: "q-question", name: "question", rows: 3, required: true })),
        d.sessions.length ? field("关联的调解（可选）", el("select", { id: "q-session", name: "session_id" }, el("option", { value: "" }, "不关联"),
          d.sessions.map((s, i) => el("option", { value: s.id }, `第 ${i + 1} 次调解（${fmtTime(s.held_at)}）`)))) : null,
      ], "提交咨询", (f) => api("POST", `/api/v1/disputes/${id}/consultations`, {
        question: val(f, "question"),
        session_id: f.elements.session_id?.value ? Number(f.elements.session_id.value) : undefined,
      }), "咨询已提交，法律顾问答复后记入卷宗。"))
    : null;
  return el("section", { class: "card", "aria-labelledby": "consult-h" },
    el("h2", { id: "consult-h" }, `法律咨询（${d.consultations.length}）`),
    items.length ? items : el("p", { class: "muted" }, "尚无法律咨询。"), ask);
}

function referralSection(allowed) {
  if (!allowed.has("refer")) return null;
  return el("section", { class: "card no-print", "aria-labelledby": "refer-h" },
    el("h2", { id: "refer-h" }, "调解不成：引导诉讼、仲裁或信访"),
    smallForm("refer-form", [
      field("引导去向", el("select", { id: "r-to", name: "to" }, Object.entries(REFERRAL).map(([v, t]) => el("option", { value: v }, t)))),
      field("说明（告知当事人的途径、材料）", el("textarea", { id: "r-note", name: "note", rows: 2, required: true })),
    ], "确认引导", (f) => api("POST", `/api/v1/disputes/${id}/refer`, { to: val(f, "to"), note: val(f, "note") }), "已记录引导去向。"));
}

function agreementSection() {
  const a = d.agreement;
  if (d.outcome !== "success" && !a) return null;
  const parts = [el("h2", { id: "agr-h" }, "人民调解协议书")];
  if (a) {
    const signed = new Map(a.signatures.map((s) => [s.party_id, s]));
    parts.push(
      el("p", {}, `协议书编号：${a.number}　`,
        el("a", { class: "button", href: a.pdf_url, download: `人民调解协议书-${a.number}.pdf` }, "下载 PDF"), " ",
        el("a", { class: "button", href: a.pdf_url, target: "_blank", rel: "noopener" }, "打印（PDF）")),
      el("iframe", { class: "agreement-frame", src: a.html_url, title: "人民调解协议书预览" }),
      el("h3", {}, "签字确认"),
      el("div", { class: "table-wrap" }, el("table", {},
        el("thead", {}, el("tr", {}, ["当事人", "身份", "确认情况"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, d.parties.map((p) => {
          const s = signed.get(p.id);
          return el("tr", {}, el("td", {}, p.name), el("td", {}, PARTY_ROLE[p.role] || p.role),
            el("td", {}, s ? `已确认（${SIGN_METHOD[s.method] || s.method}，${fmtTime(s.signed_at)}）` : el("span", { class: "overdue" }, "未确认")));
        })))));
    const unsigned = d.parties.filter((p) => !signed.has(p.id));
    if (mayMediate && unsigned.length) parts.push(signForm(unsigned));
    parts.push(el("h3", {}, "司法确认"), judicialBlock(a));
    if (mayMediate && !a.signatures.length) parts.push(el("details", { class: "no-print" }, el("summary", {}, "修改协议书"), agreementForm(a.content)));
  } else if (mayMediate) {
    parts.push(el("p", { class: "muted" }, "调解已成功，请制作协议书，当事人全部签字确认后生效。"), agreementForm(null));
  } else parts.push(el("p", { class: "muted" }, "尚未制作协议书。"));
  return el("section", { class: "card", "aria-labelledby": "agr-h" }, parts);
}

function judicialBlock(a) {
  if (!a.effective_at) return el("p", { class: "muted" }, "全部当事人签字确认后协议生效，自生效之日起30日内可共同向人民法院申请司法确认。");
  const out = [el("p", {}, `协议已于 ${fmtTime(a.effective_at)} 生效。`)];
  if (a.judicial_number) {
    out.push(el("p", { class: "badge ok" }, `已司法确认：${a.judicial_number}`));
    return el("div", {}, out);
  }
  if (a.judicial_deadline) {
    const end = new Date(`${a.judicial_deadline.slice(0, 10)}T23:59:59+08:00`).getTime();
    const left = end - Date.now();
    out.push(el("p", { class: left < 0 ? "overdue" : "" }, `申请司法确认截止：${a.judicial_deadline.slice(0, 10)}`,
      left >= 0 ? `（还剩 ${span(left)}）` : "（申请期已过）"));
  }
  if (mayMediate) {
    out.push(smallForm("judicial-form", field("法院调确字号", el("input", { id: "j-number", name: "number", required: true, placeholder: "（2026）湘1027民特××号" })),
      "记录司法确认", (f) => api("POST", `/api/v1/disputes/${id}/judicial-confirmation`, { number: val(f, "number") }), "已记录司法确认。"));
  }
  return el("div", {}, out);
}

function signForm(unsigned) {
  const method = el("select", { id: "g-method", name: "method" }, Object.entries(SIGN_METHOD).map(([v, t]) => el("option", { value: v }, t)));
  const scan = field("签字扫描件（纸质签字时上传）", el("input", { id: "g-scan", name: "scan", type: "file", accept: "image/jpeg,image/png,image/webp,application/pdf" }));
  const sync = () => { scan.hidden = method.value !== "paper_scan"; };
  method.addEventListener("change", sync);
  sync();
  return el("details", { class: "no-print" }, el("summary", {}, "记录签字确认"),
    smallForm("sign-form", [
      field("当事人", el("select", { id: "g-party", name: "party_id" }, unsigned.map((p) => el("option", { value: p.id }, `${p.name}（${PARTY_ROLE[p.role] || p.role}）`)))),
      field("确认方式", method), scan,
    ], "确认签字", async (f) => {
      const body = { party_id: Number(f.elements.party_id.value), method: method.value };
      if (method.value === "paper_scan") {
        const file = f.elements.scan.files[0];
        if (file) {
          const att = await api("POST", `/api/v1/cases/${id}/attachments?filename=${encodeURIComponent(file.name)}`, file);
          body.attachment_id = att.id;
        }
      }
      return api("POST", `/api/v1/disputes/${id}/agreement/signatures`, body);
    }, "已记录签字确认。"));
}

function agreementForm(content) {
  const cnt = content || {};
  const today = nowLocal().slice(0, 10);
  return smallForm("agreement-form", [
    el("div", { class: "row" },
      field("人民调解委员会", el("input", { id: "ag-committee", name: "committee", required: true, value: cnt.committee || "" })),
      field("签订日期", el("input", { id: "ag-signed_date", name: "signed_date", type: "date", required: true, value: cnt.signed_date || today })),
      field("协议书编号（可选，默认按事件编号）", el("input", { id: "ag-number", name: "number", value: cnt.number || "" }))),
    field("纠纷主要事实", el("textarea", { id: "ag-facts", name: "facts", rows: 3, required: true }, cnt.facts || d.sessions.at(-1)?.facts || "")),
    field("争议事项", el("textarea", { id: "ag-disputed_points", name: "disputed_points", rows: 2, required: true }, cnt.disputed_points || "")),
    field("各方责任（可选）", el("textarea", { id: "ag-responsibilities", name: "responsibilities", rows: 2 }, cnt.responsibilities || "")),
    field("协议内容（每行一条）", el("textarea", { id: "ag-terms", name: "terms", rows: 4, required: true }, (cnt.terms || []).join("\n") || d.sessions.at(-1)?.proposals || "")),
    field("履行方式、地点、期限", el("textarea", { id: "ag-performance", name: "performance", rows: 2, required: true }, cnt.performance || "")),
    field("调解员（用顿号或逗号分隔）", el("input", { id: "ag-mediators", name: "mediators", required: true, value: (cnt.mediators || [me.display_name]).join("、") })),
  ], content ? "保存修改" : "制作协议书", (f) => api("PUT", `/api/v1/disputes/${id}/agreement`, {
    committee: val(f, "committee"),
    signed_date: val(f, "signed_date"),
    number: val(f, "number") || undefined,
    facts: val(f, "facts"),
    disputed_points: val(f, "disputed_points"),
    responsibilities: val(f, "responsibilities") || undefined,
    terms: lines(val(f, "terms")),
    performance: val(f, "performance"),
    mediators: list(val(f, "mediators")),
  }), "协议书已保存，请打印后由各方签字确认。");
}

function followupsSection(allowed) {
  const items = d.followups.map((f) => el("li", {}, `${fmtTime(f.at)} · ${f.performed ? "已履行" : "未履行"} · ${f.note}`));
  const mayFollow = allowed.has("follow_up") || allowed.has("not_performed");
  if (!items.length && !mayFollow) return null;
  const performed = el("select", { id: "f-performed", name: "performed" }, el("option", { value: "true" }, "已履行"), el("option", { value: "false" }, "未履行（重新调解）"));
  const sat = field("当事人满意度", el("select", { id: "f-satisfaction", name: "satisfaction" }, Object.entries(SATISFACTION).map(([v, t]) => el("option", { value: v }, t))));
  performed.addEventListener("change", () => { sat.hidden = performed.value !== "true"; });
  return el("section", { class: "card", "aria-labelledby": "fu-h" },
    el("h2", { id: "fu-h" }, "回访"),
    items.length ? el("ul", {}, items) : el("p", { class: "muted" }, "尚未回访。"),
    mayFollow ? el("details", { class: "no-print" }, el("summary", {}, "记录回访"),
      smallForm("followup-form", [
        field("协议履行情况", performed), sat,
        field("回访情况", el("textarea", { id: "f-note", name: "note", rows: 2, required: true })),
      ], "保存回访", (f) => api("POST", `/api/v1/disputes/${id}/followups`, {
        performed: performed.value === "true",
        satisfaction: performed.value === "true" ? val(f, "satisfaction") : undefined,
        note: val(f, "note"),
      }), "回访已记录。")) : null);
}

function outcomesForm() {
  if (!mayMediate) return null;
  return el("details", { class: "no-print" }, el("summary", {}, "记录纠纷后果（民转刑、刑转命）"),
    smallForm("outcomes-form", [
      el("div", { class: "checks" },
        el("label", {}, el("input", { type: "checkbox", name: "civil_to_criminal", checked: d.civil_to_criminal }), " 已转为刑事案件（民转刑）"),
        el("label", {}, el("input", { type: "checkbox", name: "criminal_to_homicide", checked: d.criminal_to_homicide }), " 已发生命案（刑转命）")),
      field("情况说明", el("textarea", { id: "o-note", name: "note", rows: 2, required: true })),
    ], "保存", (f) => api("POST", `/api/v1/disputes/${id}/outcomes`, {
      civil_to_criminal: f.elements.civil_to_criminal.checked,
      criminal_to_homicide: f.elements.criminal_to_homicide.checked,
      note: val(f, "note"),
    }), "已记录。"));
}
