// Keeps the audit page and its script on the device so that the form opens without a network.
// Network first (a fresh page carries a fresh CSRF token); the kept copy only when the network fails.
"use strict";
const KEEP = "survey-audit-v1";
const PAGES = ["/audit", "/audit.js"];
self.addEventListener("install", event => {
  event.waitUntil(caches.open(KEEP).then(cache => cache.addAll(PAGES)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", event => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", event => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !PAGES.includes(url.pathname)) return;
  event.respondWith(fetch(event.request).then(response => {
    if (response.ok) { const copy = response.clone(); caches.open(KEEP).then(cache => cache.put(url.pathname, copy)); }
    return response;
  }).catch(() => caches.match(url.pathname)));
});
