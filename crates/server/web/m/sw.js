// The phone app's service worker (scope /ui/m/): keeps the app shell so the app opens
// with no signal, and sends the outbox when Background Sync says the signal is back
// (where the browser has it; the page sends on its own as well, so nothing relies on it).
// Pages are fetched from the server first, so a new release shows as soon as there is
// signal; the cached copy answers only when the network does not.
import { flush } from "./outbox.js";

const CACHE = "wangge-m-shell-v1";
const SHELL = [
  "/ui/m/",
  "/ui/m/app.js",
  "/ui/m/outbox.js",
  "/ui/m/m.css",
  "/ui/common/api.js",
  "/ui/common/app.css",
];
// A weak signal should not keep the worker waiting on a page it has.
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const k of await caches.keys()) if (k !== CACHE) await caches.delete(k);
    await self.clients.claim();
  })());
});

function shellRequest(url) {
  return url.origin === self.location.origin && (url.pathname.startsWith("/ui/m/") || url.pathname.startsWith("/ui/common/"));
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("timeout")), NETWORK_TIMEOUT_MS);
      fetch(request).then((r) => { clearTimeout(t); resolve(r); }, (e) => { clearTimeout(t); reject(e); });
    });
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (e) {
    const hit = (await cache.match(request, { ignoreSearch: true }))
      || (request.mode === "navigate" ? await cache.match("/ui/m/") : undefined);
    if (hit) return hit;
    throw e;
  }
}

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  // API calls go straight to the network: the page keeps its own copies and outbox.
  if (event.request.method !== "GET" || !shellRequest(url)) return;
  event.respondWith(networkFirst(event.request));
});

self.addEventListener("sync", (event) => {
  // A failed attempt tells the browser to try again later.
  if (event.tag === "wangge-outbox") {
    event.waitUntil(flush().then((r) => { if (r === "offline" || r === "later") throw new Error(r); }));
  }
});

self.addEventListener("message", (event) => {
  if (event.data === "flush") event.waitUntil(flush());
});
