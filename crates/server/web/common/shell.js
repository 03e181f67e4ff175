// The page frame: who is logged in, the navigation their role may use, and logout.
import { api, el, setCsrf } from "./api.js";

/** Where each role starts after logging in. */
export const HOME = {
  admin: "/ui/leader/dashboard.html",
  leader: "/ui/leader/dashboard.html",
  intake_operator: "/ui/ops/queue.html",
  dispatcher: "/ui/ops/queue.html",
  department_handler: "/ui/ops/queue.html",
  mediator: "/ui/mediation/",
  legal_advisor: "/ui/mediation/",
  grid_worker: "/ui/m/",
  block_leader: "/ui/m/",
  group_leader: "/ui/m/",
  neighbor_leader: "/ui/m/",
  enterprise: "/ui/ops/queue.html",
};

const NAV = [
  { href: "/ui/ops/queue.html", text: "事件队列", roles: ["leader", "intake_operator", "dispatcher", "department_handler", "mediator", "legal_advisor", "enterprise"] },
  { href: "/ui/ops/intake.html", text: "事件受理", roles: ["intake_operator", "dispatcher", "enterprise"] },
  { href: "/ui/mediation/", text: "矛盾纠纷", roles: ["mediator", "legal_advisor", "leader", "admin"] },
  { href: "/ui/leader/dashboard.html", text: "态势总览", roles: ["leader", "admin", "dispatcher"] },
  { href: "/ui/leader/map.html", text: "网格地图", roles: ["leader", "admin", "dispatcher"] },
  { href: "/ui/leader/scorecard.html", text: "成绩单", roles: ["leader", "admin"] },
  { href: "/ui/m/", text: "手机版", roles: ["grid_worker", "block_leader", "group_leader", "neighbor_leader"] },
];

/** Draws the header and returns the user (GET /api/v1/auth/me); sends strangers to login. */
export async function shell(title) {
  document.title = `${title} · 网格综治平台`;
  const me = await api("GET", "/api/v1/auth/me");
  const nav = el("nav", { "aria-label": "主导航" },
    NAV.filter((n) => n.roles.includes(me.role)).map((n) =>
      el("a", { href: n.href, "aria-current": location.pathname === n.href ? "page" : undefined }, n.text)));
  const logout = el("button", { type: "button", onclick: async () => {
    try { await api("POST", "/api/v1/auth/logout"); } finally { setCsrf(""); location.href = "/ui/"; }
  } }, "退出");
  const header = el("header", { class: "top" },
    el("a", { class: "skip", href: "#main" }, "跳到正文"),
    el("a", { class: "brand", href: HOME[me.role] || "/ui/" }, "网格综治平台"),
    nav,
    el("div", { class: "who" }, el("span", {}, `${me.display_name}（${me.role_name}）`), logout));
  document.body.prepend(header);
  return me;
}
