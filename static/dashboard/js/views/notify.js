// The account's notification settings: email about unread chats, after how
// many minutes, quiet hours in a time zone (GET/PATCH /user/notifications);
// and this browser's push notifications: the service worker at /app/sw.js,
// PushManager.subscribe with the server's key, the subscription sent to
// /user/push-subscriptions (and deleted again when turned off).

import { api, currentUser } from "../api.js";
import { errorState, field, fill, formError, h, loading, nextId, showErrors } from "../ui.js";
import { busy, nearestFields, timeZones } from "./forms.js";

function checkbox(label, name, checked, hint) {
  const f = field(label, h("input", { type: "checkbox", name, id: nextId("check"), checked }), hint);
  f.wrap.classList.add("check");
  return f;
}

function preferencesForm(prefs) {
  const { own, zones } = timeZones();
  // The server's default is UTC; while no quiet hours use it, offer the browser's zone.
  const zone = !prefs.time_zone || (prefs.time_zone === "UTC" && !prefs.quiet_hours) ? own : prefs.time_zone;
  const quiet = prefs.quiet_hours;
  const fields = {
    email_enabled: checkbox("Email me about unread chats", "email_enabled", prefs.email_enabled),
    unread_minutes: field(
      "Minutes a chat waits unread before I'm notified",
      h("input", { name: "unread_minutes", type: "number", min: 1, max: 1440, inputmode: "numeric", value: prefs.unread_minutes }),
      "From 1 to 1440; for email and browser notifications.",
    ),
    quiet_hours: checkbox("Pause notifications during quiet hours", "quiet", Boolean(quiet)),
    "quiet_hours.start": field("Quiet hours start", h("input", { name: "quiet_start", type: "time", value: quiet ? quiet.start : "22:00" })),
    "quiet_hours.end": field("Quiet hours end", h("input", { name: "quiet_end", type: "time", value: quiet ? quiet.end : "07:00" })),
    time_zone: field(
      "Time zone",
      h(
        "select",
        { name: "time_zone" },
        (zones.includes(zone) ? zones : [zone, ...zones]).map((z) => h("option", { value: z, selected: z === zone }, z)),
      ),
      `The quiet hours are in this time zone. Your browser's: ${own}.`,
    ),
  };
  const times = [fields["quiet_hours.start"], fields["quiet_hours.end"]];
  const toggleTimes = () => {
    for (const f of times) f.input.disabled = !fields.quiet_hours.input.checked;
  };
  fields.quiet_hours.input.addEventListener("change", toggleTimes);
  toggleTimes();

  const status = h("p", { class: "saved", role: "status" });
  const submit = h("button", { type: "submit" }, "Save notification settings");
  const form = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": "notify-title" },
    h("h2", { id: "notify-title" }, "Notifications"),
    h("p", { class: "hint" }, "When a chat of one of your websites waits unread."),
    formError(),
    fields.email_enabled.wrap,
    fields.unread_minutes.wrap,
    fields.quiet_hours.wrap,
    h("div", { class: "inline-fields" }, times.map((f) => f.wrap)),
    fields.time_zone.wrap,
    h("div", { class: "actions" }, submit),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    const minutes = fields.unread_minutes.input.value;
    const body = {
      email_enabled: fields.email_enabled.input.checked,
      unread_minutes: /^\d+$/.test(minutes) ? Number(minutes) : minutes,
      quiet_hours: fields.quiet_hours.input.checked
        ? { start: times[0].input.value, end: times[1].input.value }
        : null,
      time_zone: fields.time_zone.input.value,
    };
    busy(submit, true);
    try {
      Object.assign(prefs, await api.patch("/api/v1/user/notifications", body));
      showErrors(form, fields, null);
      status.textContent = "Notification settings saved.";
    } catch (err) {
      showErrors(form, fields, nearestFields(err, fields));
    } finally {
      busy(submit, false);
    }
  });
  return form;
}

// --- push -------------------------------------------------------------------

const STORED = "chatelly.push"; // {user, id}: this browser's subscription on the server

const b64url = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

function stored() {
  try {
    const value = JSON.parse(localStorage.getItem(STORED) || "null");
    return value && currentUser() && value.user === currentUser().id ? value : null;
  } catch {
    return null;
  }
}

async function registration() {
  return navigator.serviceWorker.getRegistration("/app/");
}

/** Why push cannot be turned on here, or null. */
function unsupported(key) {
  if (!key) return "Browser notifications are not set up on this server.";
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return "This browser cannot show push notifications. On an iPhone or iPad, add Chatelly to the Home Screen first.";
  }
  return null;
}

async function subscribe(key, prefs) {
  if ((await Notification.requestPermission()) !== "granted") {
    throw new Error("Notifications are blocked for this site: allow them in the browser's site settings, then try again.");
  }
  const reg = await navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" });
  await navigator.serviceWorker.ready;
  const sub =
    (await reg.pushManager.getSubscription()) ||
    (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64url(key) }));
  const saved = await api.post("/api/v1/user/push-subscriptions", sub.toJSON());
  localStorage.setItem(STORED, JSON.stringify({ user: currentUser().id, id: saved.id }));
  if (!prefs.push_enabled) Object.assign(prefs, await api.patch("/api/v1/user/notifications", { push_enabled: true }));
}

async function unsubscribe() {
  const reg = await registration();
  const sub = reg && (await reg.pushManager.getSubscription());
  const mine = stored();
  if (mine) {
    try {
      await api.del(`/api/v1/user/push-subscriptions/${mine.id}`);
    } catch (err) {
      if (err.status !== 404) throw err; // already gone on the server
    }
  }
  localStorage.removeItem(STORED);
  if (sub) await sub.unsubscribe();
}

/** On log out: this browser stops getting the user's notifications (a shared computer). */
export async function forgetPush() {
  if (stored() && "serviceWorker" in navigator) await unsubscribe();
}

function pushCard(key, prefs) {
  const why = unsupported(key);
  const f = checkbox(
    "Notify me in this browser",
    "push",
    false,
    why || "A notification when a chat waits unread, also while this tab is closed.",
  );
  const input = f.input;
  input.disabled = true;
  const status = h("p", { class: "saved", role: "status" });
  const card = h(
    "section",
    { class: "card", "aria-labelledby": "push-title" },
    h("h2", { id: "push-title" }, "Browser notifications"),
    f.wrap,
    status,
  );
  if (why) return card;

  (async () => {
    const reg = await registration();
    const sub = reg && (await reg.pushManager.getSubscription());
    input.checked = Boolean(sub && stored());
    const denied = Notification.permission === "denied";
    input.disabled = denied && !input.checked;
    if (denied) status.textContent = "Notifications are blocked for this site in the browser's settings.";
  })().catch(() => {
    input.disabled = false;
  });

  input.addEventListener("change", async () => {
    const on = input.checked;
    input.disabled = true;
    status.textContent = on ? "Turning on…" : "Turning off…";
    try {
      if (on) await subscribe(key, prefs);
      else await unsubscribe();
      status.textContent = on ? "This browser will show notifications." : "This browser will not show notifications.";
    } catch (err) {
      input.checked = !on;
      status.textContent = err.message || "That did not work.";
    } finally {
      input.disabled = Notification.permission === "denied" && !input.checked;
      input.focus();
    }
  });
  return card;
}

/** The notifications and browser notifications cards, drawn into `slot`. */
export async function notificationCards(slot) {
  fill(slot, loading("Loading notification settings…"));
  let prefs;
  let key;
  try {
    [prefs, key] = await Promise.all([
      api.get("/api/v1/user/notifications"),
      api.get("/api/v1/push/key").then((d) => d.public_key, () => null),
    ]);
  } catch (err) {
    fill(slot, errorState(err, () => notificationCards(slot)));
    return;
  }
  fill(slot, preferencesForm(prefs), pushCard(key, prefs));
}
