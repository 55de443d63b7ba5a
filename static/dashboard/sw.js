// The dashboard's service worker, served at /app/sw.js (scope /app/) by
// chatelly/dashboard.py. It only shows Web Push notifications and opens them:
// no caching, no fetch handler (the dashboard stays online-only).
//
// A push's payload is JSON {"title", "body", "url", "tag"}; a click focuses an
// open dashboard tab and shows `url` there, or opens a new tab.

const APP = new URL("/app/", self.location.origin).href;

/** Only pages of this dashboard: a payload cannot send the click elsewhere. */
function target(url) {
  try {
    const u = new URL(url || APP, self.location.origin);
    if (u.origin === self.location.origin && u.pathname.startsWith("/app")) return u.href;
  } catch {
    // not a URL
  }
  return APP;
}

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data.text() };
  }
  const options = { body: data.body || "", data: { url: target(data.url) } };
  if (data.tag) {
    options.tag = data.tag;
    options.renotify = true; // a newer message about the same chat alerts again
  }
  event.waitUntil(self.registration.showNotification(data.title || "Chatelly", options));
});

async function open(url) {
  const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const tab = tabs.find((c) => new URL(c.url).pathname.startsWith("/app"));
  if (!tab) return self.clients.openWindow(url);
  // The tab changes its own hash (main.js): no reload, its session stays.
  tab.postMessage({ type: "open", url });
  return tab.focus();
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(open(target(event.notification.data && event.notification.data.url)));
});
