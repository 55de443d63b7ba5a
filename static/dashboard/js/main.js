// The dashboard's shell: restore the session from the refresh cookie, route
// by the URL's hash, keep the agent socket open while signed in, and show
// the page-wide states (reconnecting, rate limited).
//
// A view is a module exporting `render(main, params)`; it may return a
// cleanup function, called when the route changes.

import { logout, onAuthChange, onNotice, renew, signedIn } from "./api.js";
import { agentSocket } from "./socket.js";
import { banner, errorState, fill, loading } from "./ui.js";

const ROUTES = [
  // [pattern, module, title, needs a session (true), none (false) or either (null)]
  [/^#\/login$/, "./views/login.js", "Log in", false],
  [/^#\/signup$/, "./views/login.js", "Sign up", false],
  [/^#\/forgot-password$/, "./views/reset.js", "Forgot password", null],
  // The emails' links carry ?token=: a reset or an invitation opened while signed in still works.
  [/^#\/reset-password(?:\?.*)?$/, "./views/reset.js", "Reset password", null],
  [/^#\/accept-invitation(?:\?.*)?$/, "./views/invitation.js", "Invitation", null],
  [/^#\/inbox(?:\/(\d+))?$/, "./views/inbox.js", "Inbox", true],
  [/^#\/websites$/, "./views/websites.js", "Websites", true],
  [/^#\/websites\/(\d+|new)$/, "./views/website.js", "Website", true],
  [/^#\/analytics(?:\/(\d+))?$/, "./views/analytics.js", "Analytics", true],
  [/^#\/account$/, "./views/account.js", "Account", true],
];

const main = document.getElementById("main");
let cleanup = null;
let rendering = 0;

function match(hash) {
  for (const [pattern, module, title, needsSession] of ROUTES) {
    const found = pattern.exec(hash);
    if (found) return { module, title, needsSession, params: found.slice(1) };
  }
  return null;
}

async function route() {
  const hash = location.hash || "#/inbox";
  const found = match(hash);
  if (!found) return location.replace("#/inbox");
  if (found.needsSession && !signedIn()) return location.replace(`#/login`);
  if (found.needsSession === false && signedIn()) return location.replace("#/inbox");
  const ticket = ++rendering;
  if (cleanup) {
    try {
      cleanup();
    } catch {
      // a view's cleanup must not stop the next one
    }
    cleanup = null;
  }
  document.title = `${found.title} · Chatelly`;
  markNav(hash);
  fill(main, loading());
  try {
    const view = await import(found.module);
    if (ticket !== rendering) return;
    // Each render draws into its own element: a slow render that a later route
    // superseded draws into an element no longer on the page, and what it
    // returns is undone at once (it must not keep a view's state alive).
    const slot = document.createElement("div");
    slot.className = "view";
    slot.append(loading());
    main.replaceChildren(slot);
    const undo = (await view.render(slot, found.params, { hash })) || null;
    if (ticket !== rendering) {
      if (undo) undo();
      return;
    }
    cleanup = undo;
  } catch (err) {
    if (ticket !== rendering) return;
    fill(main, errorState(err, () => route()));
  }
  if (ticket === rendering && document.activeElement === document.body) main.focus();
}

function markNav(hash) {
  for (const link of document.querySelectorAll("[data-nav]")) {
    const current = hash.startsWith(`#/${link.dataset.nav}`);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function showShell(user) {
  document.getElementById("topbar").hidden = !user;
  if (user) agentSocket.start();
  else agentSocket.stop();
}

agentSocket.addEventListener("status", (event) => {
  if (event.detail === "reconnecting") banner("Connection lost: reconnecting…", "warning");
  else if (event.detail === "open") banner(null);
});
agentSocket.addEventListener("resumed", () => banner("Reconnected: catching up…", "info"));

onNotice(({ kind, message }) => {
  if (kind === "clear") banner(null);
  else banner(message, "warning");
});

let wasSignedIn = false;
onAuthChange((user) => {
  showShell(user);
  if (wasSignedIn && !user) location.replace("#/login"); // signed out, here or by a revoked session
  wasSignedIn = Boolean(user);
});

document.getElementById("logout").addEventListener("click", async () => {
  if (localStorage.getItem("chatelly.push")) {
    // A browser subscribed to push stops getting this user's notifications (notify.js).
    await import("./views/notify.js").then((m) => m.forgetPush()).catch(() => {});
  }
  await logout();
  location.replace("#/login");
});

// A click on a push notification: the service worker asks an open tab to show
// the notification's page (same origin, in the app), without a reload.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.addEventListener("message", (event) => {
    const data = event.data || {};
    if (data.type !== "open" || typeof data.url !== "string") return;
    const url = new URL(data.url, location.origin);
    if (url.origin === location.origin && url.pathname.startsWith("/app")) location.hash = url.hash || "#/inbox";
  });
  navigator.serviceWorker.startMessages();
}

// No view before the session is known: a form drawn (and filled in) before the
// start-up renewal answers would be drawn again, empty, when it does.
let started = false;
window.addEventListener("hashchange", () => {
  if (started) route();
});

(async () => {
  await renew().catch(() => false); // a reload keeps the session: the cookie renews it
  started = true;
  route();
})();
