// The phone's outbox: every write is kept in IndexedDB first, with its Idempotency-Key
// fixed when the worker pressed 提交, and sent when there is signal. An entry leaves the
// outbox only once the server has acknowledged it (2xx), or when the worker discards it
// after the server refused it (4xx: kept as 「发送失败」 with the server's reason until then).
// Retries always carry the entry's own key, so a request that reached the server but
// whose answer was lost is answered with the first result instead of being recorded twice.
//
// Used by the page (app.js) and by the service worker (Background Sync), so no DOM here.

const DB_NAME = "wangge-m";
const STORE = "outbox";
const CHANNEL = "wangge-outbox";

let dbPromise = null;
function db() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = () => r.result.createObjectStore(STORE, { keyPath: "key" });
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    dbPromise.catch(() => { dbPromise = null; });
  }
  return dbPromise;
}

async function run(mode, fn) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const req = fn(t.objectStore(STORE));
    t.oncomplete = () => resolve(req && req.result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error || new Error("outbox transaction aborted"));
  });
}

function changed() {
  try {
    const c = new BroadcastChannel(CHANNEL);
    c.postMessage("changed");
    c.close();
  } catch { /* no BroadcastChannel: the page refreshes on its own */ }
}

/** Listens for changes made by any tab or the service worker. */
export function onChange(fn) {
  try {
    const c = new BroadcastChannel(CHANNEL);
    c.onmessage = () => fn();
  } catch { /* see changed() */ }
}

/** All entries, oldest first. */
export async function all() {
  const items = (await run("readonly", (s) => s.getAll())) || [];
  return items.sort((a, b) => a.created - b.created);
}

export async function get(key) {
  return run("readonly", (s) => s.get(key));
}

/**
 * Keeps a write for sending: `{ key, kind, label, path, body, photo?, photoName? }`.
 * `key` is the Idempotency-Key and must not change afterwards.
 */
export async function add(entry) {
  const e = { created: Date.now(), attempts: 0, failed: null, caseId: null, ...entry };
  await run("readwrite", (s) => s.add(e));
  changed();
  return e;
}

async function put(entry) {
  await run("readwrite", (s) => s.put(entry));
  changed();
}

/** Removes an entry: after the server acknowledged it, or when the worker discards it. */
export async function remove(key) {
  await run("readwrite", (s) => s.delete(key));
  changed();
}

/** Sends a refused entry again as it is (e.g. after the reason went away). */
export async function retry(key) {
  const e = await get(key);
  if (!e) return;
  e.failed = null;
  await put(e);
}

/** A refused photo is given up; the case it belonged to was made already. */
export async function dropPhoto(key) {
  const e = await get(key);
  if (!e) return;
  if (e.caseId != null) return remove(key);
  e.photo = null;
  e.failed = null;
  await put(e);
}

export async function counts() {
  const items = await all();
  const failed = items.filter((e) => e.failed).length;
  return { pending: items.length, failed };
}

// ---------------------------------------------------------------------------------------
// Sending.

let csrf = "";
async function csrfToken(force) {
  if (!force && !csrf && typeof sessionStorage !== "undefined") csrf = sessionStorage.getItem("wangge.csrf") || "";
  if (csrf && !force) return csrf;
  const r = await fetch("/api/v1/auth/csrf", { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (r.status === 401) throw new Outcome("auth");
  if (!r.ok) throw new Outcome("later");
  csrf = (await r.json()).csrf_token || "";
  if (typeof sessionStorage !== "undefined") sessionStorage.setItem("wangge.csrf", csrf);
  return csrf;
}

/** Why a send stopped: offline (no answer at all), auth (logged out), later (server busy). */
class Outcome extends Error {
  constructor(kind) { super(kind); this.kind = kind; }
}

async function post(path, body, contentType, key, retried = false) {
  let r;
  try {
    r = await fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": contentType, Accept: "application/json", "Idempotency-Key": key, "X-CSRF-Token": await csrfToken(false) },
      body,
    });
  } catch (e) {
    if (e instanceof Outcome) throw e;
    throw new Outcome("offline");
  }
  const data = await r.json().catch(() => null);
  if (r.ok) return data;
  if (r.status === 401) throw new Outcome("auth");
  if (r.status === 403 && data && data.code === "csrf_failed" && !retried) {
    await csrfToken(true);
    return post(path, body, contentType, key, true);
  }
  if (r.status === 408 || r.status === 429 || r.status >= 500) throw new Outcome("later");
  // A refusal: the request as entered cannot succeed; the worker must see why.
  const err = new Error((data && data.message) || `请求被拒绝（${r.status}）`);
  err.refusal = {
    status: r.status,
    message: (data && data.details && data.details.message) || (data && data.message) || `请求被拒绝（${r.status}）`,
    field: (data && data.details && data.details.field) || null,
  };
  throw err;
}

async function sendOne(e) {
  try {
    if (e.caseId == null) {
      const made = await post(e.path, JSON.stringify(e.body), "application/json", e.key);
      if (!e.photo) {
        await remove(e.key);
        return "sent";
      }
      // Remember the case before uploading its photo: the photo's retries go to it.
      e.caseId = made.id;
      e.attempts = 0;
      await put(e);
    }
    const name = encodeURIComponent(e.photoName || "现场照片.jpg");
    await post(`/api/v1/cases/${e.caseId}/attachments?filename=${name}`, e.photo, e.photo.type || "image/jpeg", `${e.key}/photo`);
    await remove(e.key);
    return "sent";
  } catch (err) {
    if (err instanceof Outcome) {
      e.attempts = (e.attempts || 0) + 1;
      await put(e).catch(() => {});
      return err.kind;
    }
    if (err.refusal) {
      e.failed = { ...err.refusal, photo: e.caseId != null, at: Date.now() };
      await put(e);
      return "failed";
    }
    throw err;
  }
}

/** Who the session belongs to: entries are sent only under their own author's login. */
async function sessionUser() {
  let r;
  try {
    r = await fetch("/api/v1/auth/me", { credentials: "same-origin", headers: { Accept: "application/json" } });
  } catch {
    throw new Outcome("offline");
  }
  if (r.status === 401) throw new Outcome("auth");
  if (!r.ok) throw new Outcome("later");
  return (await r.json()).username;
}

async function sendAll() {
  let result = "done";
  const waiting = (await all()).filter((e) => !e.failed);
  if (!waiting.length) return result;
  let user;
  try { user = await sessionUser(); } catch (e) { return e instanceof Outcome ? e.kind : "later"; }
  for (const e of waiting) {
    if (e.user && e.user !== user) continue;
    // Re-read: another sender (a tab, the service worker) may have sent it meanwhile.
    const current = await get(e.key);
    if (!current || current.failed) continue;
    const r = await sendOne(current);
    if (r === "offline" || r === "auth") return r;
    if (r === "later") result = "later";
  }
  return result;
}

let sending = null;
/**
 * Sends what is waiting, oldest first. Resolves to "done", "later" (try again soon),
 * "offline" or "auth" (log in again; nothing is lost). One sender at a time across the
 * page and the service worker where Web Locks exist.
 */
export function flush() {
  if (sending) return sending;
  const locks = globalThis.navigator && globalThis.navigator.locks;
  const go = () => sendAll().catch(() => "later");
  sending = (locks ? locks.request("wangge-outbox", go) : go()).finally(() => { sending = null; });
  return sending;
}
