// A website's open invitations (owners and admins only): people invited by
// email who have no account yet. Each can be sent again (a new expiry) or
// revoked after confirming. Part of the members card (website.js).

import { api } from "../api.js";
import { announce, confirmDialog, dateTimeFormat, emptyState, fill, h } from "../ui.js";
import { busy, pagedLoader } from "./forms.js";

export function invitedSection(site, status) {
  const list = h("ul", { class: "invited", "aria-labelledby": "invited-title" });
  const empty = emptyState("No open invitations.");
  const moreWrap = h("div", { class: "actions" });
  const rows = new Map(); // invitation id -> li

  const expires = (inv) => `expires ${dateTimeFormat.format(new Date(inv.expires_at))}`;

  function sync() {
    empty.hidden = rows.size > 0;
  }

  function row(inv) {
    const when = h("time", { datetime: inv.expires_at }, expires(inv));
    const resend = h("button", { type: "button", class: "secondary", "aria-label": `Resend invitation to ${inv.email}` }, "Resend");
    const revoke = h("button", { type: "button", class: "danger", "aria-label": `Revoke invitation to ${inv.email}` }, "Revoke");
    resend.addEventListener("click", async () => {
      busy(resend, true);
      try {
        const next = await api.post(`/api/v1/websites/${site.id}/invitations/${inv.id}/resend`);
        when.dateTime = next.expires_at;
        when.textContent = expires(next);
        status.textContent = `The invitation to ${inv.email} was sent again.`;
      } catch (err) {
        status.textContent = err.message;
      } finally {
        busy(resend, false);
      }
    });
    revoke.addEventListener("click", async () => {
      const ok = await confirmDialog(
        `Revoke the invitation to ${inv.email}?`,
        "The link in the email stops working. You can invite the address again later.",
        "Revoke invitation",
      );
      if (!ok) return revoke.focus();
      busy(revoke, true);
      try {
        await api.del(`/api/v1/websites/${site.id}/invitations/${inv.id}`);
        li.remove();
        rows.delete(inv.id);
        sync();
        status.textContent = `The invitation to ${inv.email} was revoked.`;
        announce(status.textContent);
        const next = list.querySelector("button");
        (next || document.getElementById("invited-title")).focus();
      } catch (err) {
        busy(revoke, false);
        status.textContent = err.message;
      }
    });
    const li = h(
      "li",
      { class: "invite-row" },
      h("span", { class: "email" }, inv.email),
      h("span", { class: "pill" }, inv.role),
      h("span", { class: "hint" }, when),
      h("span", { class: "row-actions" }, resend, revoke),
    );
    return li;
  }

  /** Show one invitation (a new one goes first, an existing one is replaced). */
  function add(inv, first = false) {
    const li = row(inv);
    const old = rows.get(inv.id);
    if (old) old.replaceWith(li);
    else if (first) list.prepend(li);
    else list.append(li);
    rows.set(inv.id, li);
    sync();
  }

  const load = pagedLoader({
    fetchPage: (page) => api.get(`/api/v1/websites/${site.id}/invitations`, { page, page_size: 50 }),
    draw: (results) => results.forEach((inv) => add(inv)),
    moreWrap,
    status,
    label: "Load more invitations",
  });

  const section = h(
    "div",
    { class: "invited-wrap" },
    h("h3", { id: "invited-title", tabindex: "-1" }, "Invited"),
    h("p", { class: "hint" }, "People without an account yet get an email with a link to join."),
    list,
    empty,
    moreWrap,
  );
  sync();
  return { section, load, add };
}
