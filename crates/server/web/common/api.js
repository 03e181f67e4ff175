// The one way pages talk to the server: JSON over /api/v1 with the session cookie, the
// CSRF header on writes, and the API's error body ({code, message, details}) turned into
// messages beside the offending form field.

let csrf = sessionStorage.getItem("wangge.csrf") || "";

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `请求失败（${status}）`);
    this.status = status;
    this.code = (body && body.code) || "http_" + status;
    this.details = (body && body.details) || {};
  }
}

export function setCsrf(token) {
  csrf = token || "";
  sessionStorage.setItem("wangge.csrf", csrf);
}

async function ensureCsrf() {
  if (csrf) return csrf;
  const r = await fetch("/api/v1/auth/csrf", { credentials: "same-origin" });
  if (r.ok) setCsrf((await r.json()).csrf_token);
  return csrf;
}

/** api("GET", "/api/v1/cases?state=open") → parsed JSON; throws ApiError. */
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: "application/json", ...(opts.headers || {}) };
  const write = !["GET", "HEAD"].includes(method);
  if (write) headers["X-CSRF-Token"] = await ensureCsrf();
  if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
  let payload;
  if (body instanceof FormData) payload = body;
  else if (body instanceof Blob) {
    // A file as the whole request body (attachment uploads): its own content type.
    headers["Content-Type"] = opts.contentType || body.type || "application/octet-stream";
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const r = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  if (r.status === 401 && !opts.noRedirect) {
    const next = encodeURIComponent(location.pathname + location.search);
    location.href = `/ui/?next=${next}`;
    throw new ApiError(401, { message: "请先登录" });
  }
  if (r.status === 403 && write && !opts.retried) {
    const b = await r.clone().json().catch(() => null);
    if (b && b.code === "csrf_failed") {
      setCsrf("");
      return api(method, path, body, { ...opts, retried: true });
    }
  }
  if (r.status === 204) return null;
  const type = r.headers.get("content-type") || "";
  const data = type.includes("json") ? await r.json().catch(() => null) : await r.text();
  if (!r.ok) throw new ApiError(r.status, typeof data === "object" ? data : null);
  return data;
}

/** Shows an API error in a form: beside the named field when there is one, else on top. */
export function showErrors(form, err) {
  clearErrors(form);
  const field = err.details && (err.details.field || err.details.fields?.[0]?.field);
  const input = field && form.querySelector(`[name="${CSS.escape(field)}"]`);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    const msg = document.createElement("div");
    msg.className = "field-error";
    msg.id = `${input.id || input.name}-error`;
    msg.setAttribute("role", "alert");
    msg.textContent = err.details.message || err.message;
    input.setAttribute("aria-describedby", msg.id);
    input.insertAdjacentElement("afterend", msg);
    input.focus();
  } else {
    const box = form.querySelector(".form-error") || form.insertAdjacentElement("afterbegin", el("div", { class: "form-error" }));
    box.className = "form-error alert error";
    box.setAttribute("role", "alert");
    box.textContent = err.message;
  }
}

export function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((e) => {
    e.removeAttribute("aria-invalid");
    e.removeAttribute("aria-describedby");
  });
  const box = form.querySelector(".form-error");
  if (box) { box.textContent = ""; box.className = "form-error"; }
}

/** el("a", {href: "/"}, "text", child) — small DOM builder; text is never parsed as HTML. */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, "");
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

/** Form fields as an object; empty strings left out. */
export function formData(form) {
  const out = {};
  for (const [k, v] of new FormData(form).entries()) if (v !== "") out[k] = v;
  return out;
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** "2026-11-29T03:04:05Z" → "2026-11-29 11:04" (China time, as counties read it). */
export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const c = new Date(d.getTime() + 8 * 3600e3);
  const p = (n) => String(n).padStart(2, "0");
  return `${c.getUTCFullYear()}-${p(c.getUTCMonth() + 1)}-${p(c.getUTCDate())} ${p(c.getUTCHours())}:${p(c.getUTCMinutes())}`;
}
