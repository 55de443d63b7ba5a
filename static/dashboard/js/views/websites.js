// The caller's websites: paged ("Load more"), each with its role and state,
// and the plan's limits shown before they are hit.

import { api, currentUser } from "../api.js";
import { emptyState, errorState, fill, h, loading } from "../ui.js";
import { PLANS, planLimits, planName } from "./forms.js";

const PAGE_SIZE = 20;

/** How many websites the caller owns (the plan counts those), over every page. */
export async function ownedCount() {
  let count = 0;
  for (let page = 1; page <= 50; page += 1) {
    const data = await api.get("/api/v1/websites", { page, page_size: 100 });
    count += data.results.filter((w) => w.role === "owner").length;
    if (!data.next) break;
  }
  return count;
}

/** The plan line and whether one more website fits: {text, full}. */
export function planStatus(owned, user = currentUser()) {
  const plan = (user && user.plan) || "free";
  const limit = (PLANS[plan] || PLANS.free).websites;
  if (limit === null) return { text: `${owned} websites on the ${planName(plan)} plan (no limit).`, full: false };
  const full = owned >= limit;
  const text = `${owned} of ${limit} websites on the ${planName(plan)} plan.`;
  return {
    text: full ? `${text} The limit is reached: delete a website or change plan to add another.` : text,
    full,
  };
}

function row(site) {
  return h(
    "li",
    { class: "site-row" },
    h("a", { href: `#/websites/${site.id}`, class: "site-name" }, site.name),
    h("span", { class: "site-domain" }, site.domain),
    h("span", { class: "pill" }, site.role),
    h("span", { class: site.is_active ? "pill ok" : "pill off" }, site.is_active ? "Active" : "Inactive"),
  );
}

export async function render(main) {
  fill(main, h("h1", {}, "Websites"), loading());
  let first;
  let owned;
  try {
    [first, owned] = await Promise.all([
      api.get("/api/v1/websites", { page: 1, page_size: PAGE_SIZE }),
      ownedCount(),
    ]);
  } catch (err) {
    fill(main, h("h1", {}, "Websites"), errorState(err, () => render(main)));
    return;
  }
  const status = planStatus(owned);
  const limitId = "plan-limit";
  const create = status.full
    ? h("button", { type: "button", disabled: true, "aria-describedby": limitId }, "New website")
    : h("a", { class: "button", href: "#/websites/new" }, "New website");
  const list = h("ul", { class: "site-list", "aria-label": "Your websites" });
  const more = h("div", { class: "actions" });
  const count = h("p", { class: "hint", role: "status" });
  let page = 1;
  let shown = 0;

  function show(data) {
    list.append(...data.results.map(row));
    shown += data.results.length;
    count.textContent = `Showing ${shown} of ${data.count}.`;
    fill(more);
    if (data.next) {
      const button = h("button", { type: "button", class: "secondary" }, "Load more");
      button.addEventListener("click", async () => {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        try {
          page += 1;
          const next = await api.get("/api/v1/websites", { page, page_size: PAGE_SIZE });
          const focusTarget = next.results.length ? next.results[0].id : null;
          show(next);
          if (focusTarget !== null) list.querySelector(`a[href="#/websites/${focusTarget}"]`).focus();
        } catch (err) {
          page -= 1;
          fill(more, errorState(err, () => show({ results: [], count: data.count, next: data.next })));
        }
      });
      more.append(button);
    }
  }

  fill(
    main,
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Websites"),
      create,
    ),
    h("p", { id: limitId, class: status.full ? "limit full" : "limit" }, status.text),
    h(
      "p",
      { class: "limit" },
      `Each website takes up to ${planLimits(currentUser()).maxUsers.toLocaleString()} visitors at once on this plan.`,
    ),
  );
  if (first.count === 0) {
    main.append(emptyState("No websites yet. Create one to get the snippet for your pages."));
    return;
  }
  main.append(list, count, more);
  show(first);
}
