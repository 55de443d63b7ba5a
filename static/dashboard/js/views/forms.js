// Helpers shared by the account, website and analytics views.
import { fill, h } from "../ui.js";

export const PLANS = {
  free: { websites: 3, maxUsers: 100 },
  pro: { websites: 20, maxUsers: 1000 },
  business: { websites: null, maxUsers: 100000 },
};

export const planName = (plan) => (plan ? plan[0].toUpperCase() + plan.slice(1) : "Free");

export const planLimits = (user) => PLANS[(user && user.plan) || "free"] || PLANS.free;

export function busy(button, on) {
  button.disabled = on;
  if (on) button.setAttribute("aria-busy", "true");
  else button.removeAttribute("aria-busy");
}

/**
 * A paged list with a "Load more" button in `moreWrap`: `fetchPage(n)` gets
 * page n, `draw(results)` adds its rows; a failed page says so in `status`
 * and can be asked for again. Returns the function that loads the next page.
 */
export function pagedLoader({ fetchPage, draw, moreWrap, status, label }) {
  let page = 1;
  async function load() {
    const data = await fetchPage(page);
    draw(data.results);
    fill(moreWrap);
    if (!data.next) return;
    const more = h("button", { type: "button", class: "secondary" }, label);
    more.addEventListener("click", async () => {
      busy(more, true);
      page += 1;
      try {
        await load();
      } catch (err) {
        page -= 1;
        busy(more, false);
        status.textContent = err.message;
      }
    });
    moreWrap.append(more);
  }
  return load;
}

/** The IANA zones the browser knows, the browser's own first. */
export function timeZones() {
  const own = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  let zones = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    zones = [];
  }
  if (!zones.includes("UTC")) zones = ["UTC", ...zones];
  if (!zones.includes(own)) zones = [own, ...zones];
  return { own, zones };
}

/**
 * An ApiError whose `details` keys are moved to the nearest field that exists
 * ("settings.auto_replies.2.keywords.0" -> "settings.auto_replies.2.keywords").
 */
export function nearestFields(err, fields) {
  if (!err || !err.details) return err;
  const details = {};
  for (const [name, message] of Object.entries(err.details)) {
    let key = name;
    let rest = "";
    while (!(key in fields) && key.includes(".")) {
      rest = key.slice(key.lastIndexOf(".")) + rest;
      key = key.slice(0, key.lastIndexOf("."));
    }
    if (!(key in fields)) key = name;
    const where = rest.match(/^\.(\d+)/);
    details[key] = where && key !== name ? `Item ${Number(where[1]) + 1}: ${message}` : message;
  }
  return { message: err.message, details };
}

// An invitation link's token waits here (this tab only) while its reader logs in or signs up.
const INVITATION = "chatelly.invitation";

export const pendingInvitation = {
  get: () => sessionStorage.getItem(INVITATION),
  set: (token) => sessionStorage.setItem(INVITATION, token),
  clear: () => sessionStorage.removeItem(INVITATION),
};

/** Where to go once signed in: the invitation waiting to be accepted, or the inbox. */
export const afterSignIn = () => (pendingInvitation.get() ? "#/accept-invitation" : "#/inbox");

/** The hash's query (#/route?token=...) as URLSearchParams. */
export const hashQuery = (hash) => new URLSearchParams((hash || "").split("?")[1] || "");
