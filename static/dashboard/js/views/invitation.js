// #/accept-invitation?token=... (the invitation email's link): signed in, the
// invitation is accepted at once and the website opens; signed out, the reader
// logs in or signs up first and comes back here (the token waits in
// sessionStorage, forms.js). Logged in as someone else: say so, offer to log out.

import { api, currentUser, logout, signedIn } from "../api.js";
import { announce, errorState, fill, h, loading } from "../ui.js";
import { busy, hashQuery, pendingInvitation } from "./forms.js";

function card(main, role, title, ...children) {
  const heading = h("h1", { tabindex: "-1" }, title);
  fill(main, h("section", { class: "card narrow", role }, heading, ...children));
  heading.focus();
}

function signInFirst(main) {
  card(
    main,
    null,
    "You're invited to Chatelly",
    h(
      "p",
      {},
      "Log in, or create an account, with the email address the invitation was sent to: ",
      "you join the website right after.",
    ),
    h(
      "div",
      { class: "actions" },
      h("a", { class: "button", href: "#/login" }, "Log in"),
      h("a", { class: "button secondary", href: "#/signup" }, "Create an account"),
    ),
  );
}

function wrongUser(main) {
  const me = currentUser();
  const out = h("button", { type: "button" }, "Log out and continue");
  out.addEventListener("click", async () => {
    busy(out, true);
    await logout(); // the token stays: after logging in as the invited address, it is accepted
    location.replace("#/accept-invitation");
  });
  card(
    main,
    "alert",
    "This invitation is for someone else",
    h(
      "p",
      {},
      "The invitation was sent to another email address than the one you are logged in with",
      me ? [" (", h("strong", {}, me.email), ")"] : null,
      ". Log out, then log in or sign up with the invited address.",
    ),
    h("div", { class: "actions" }, out, h("a", { class: "button secondary", href: "#/inbox", onclick: pendingInvitation.clear }, "Stay logged in")),
  );
}

async function accept(main, token) {
  fill(main, loading("Accepting the invitation…"));
  let member;
  try {
    member = await api.post("/api/v1/invitations/accept", { token });
  } catch (err) {
    if (err.status === 403) return wrongUser(main);
    if (err.status === 409) {
      pendingInvitation.clear();
      return card(
        main,
        "status",
        "You are already a member",
        h("p", {}, err.message),
        h("p", {}, h("a", { href: "#/websites" }, "Go to your websites")),
      );
    }
    if (err.status === 400 || err.status === 404) {
      pendingInvitation.clear();
      return card(
        main,
        "alert",
        "This invitation cannot be used",
        h("p", {}, (err.details && err.details.token) || err.message),
        h("p", {}, "It may have been used already, revoked or expired: ask whoever invited you for a new one."),
        h("p", {}, h("a", { href: "#/inbox" }, "Go to the inbox")),
      );
    }
    return fill(main, errorState(err, () => accept(main, token)));
  }
  pendingInvitation.clear();
  const id = Number.isSafeInteger(member.website_id) ? member.website_id : null;
  announce("Invitation accepted: you are now a member.");
  location.replace(id ? `#/websites/${id}` : "#/websites");
}

export function render(main, _params, { hash }) {
  const fromLink = hashQuery(hash).get("token");
  if (fromLink) {
    pendingInvitation.set(fromLink);
    history.replaceState(null, "", "#/accept-invitation"); // the token leaves the address bar and history
  }
  const token = pendingInvitation.get();
  if (!token) {
    return card(
      main,
      null,
      "No invitation to accept",
      h("p", {}, "Open the link in the invitation email again."),
      h("p", {}, h("a", { href: signedIn() ? "#/inbox" : "#/login" }, signedIn() ? "Go to the inbox" : "Log in")),
    );
  }
  if (!signedIn()) return signInFirst(main);
  return accept(main, token);
}
