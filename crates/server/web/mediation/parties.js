// Party inputs named like the API's error fields (`parties[0].name`), so a refused 身份证号
// is shown beside the right box.
import { el } from "../common/api.js";

export const PARTY_ROLE = { applicant: "申请人", respondent: "被申请人", reporter: "反映人", other: "其他" };
export const RISK = { low: "低", medium: "中", high: "高", critical: "极高" };
export const CAME_BY = {
  screening: "排查发现", application: "当事人申请", transfer: "转办", hotline_12345: "12345热线",
  police: "公安移交", court: "法院委托", government: "政府指定", active: "主动调解",
};

export function partyFields(i, role) {
  const id = (f) => `p${i}-${f}`;
  const name = (f) => `parties[${i}].${f}`;
  const box = el("fieldset", { class: "party", "data-index": i },
    el("legend", {}, `当事人 ${i + 1}`),
    el("div", { class: "row" },
      el("div", { class: "field" }, el("label", { for: id("role") }, "身份"),
        el("select", { id: id("role"), name: name("role") },
          Object.entries(PARTY_ROLE).map(([v, t]) => el("option", { value: v, selected: v === role }, t)))),
      el("div", { class: "field" }, el("label", { for: id("name") }, "姓名或单位名称"), el("input", { id: id("name"), name: name("name"), autocomplete: "off" })),
      el("div", { class: "field" }, el("label", { for: id("phone") }, "电话"), el("input", { id: id("phone"), name: name("phone"), inputmode: "tel", autocomplete: "off" })),
      el("div", { class: "field" }, el("label", { for: id("id_number") }, "身份证号"), el("input", { id: id("id_number"), name: name("id_number"), autocomplete: "off" })),
      el("div", { class: "field" }, el("label", { for: id("uscc") }, "统一社会信用代码（单位）"), el("input", { id: id("uscc"), name: name("uscc"), autocomplete: "off" }))));
  return box;
}

export function partyValues(form) {
  return [...form.querySelectorAll("fieldset.party")].map((p) => {
    const i = p.dataset.index;
    const v = (f) => form.elements[`parties[${i}].${f}`].value.trim() || undefined;
    return { role: v("role"), name: v("name") || "", phone: v("phone"), id_number: v("id_number"), uscc: v("uscc") };
  }).filter((p) => p.name || p.phone || p.id_number || p.uscc);
}
