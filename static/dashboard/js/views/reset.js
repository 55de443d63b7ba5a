// A forgotten password (one view, two forms by route): #/forgot-password asks
// for the address and sends the link; #/reset-password?token=... (the email's
// link) sets the new password and signs in, like the login form.

import { api, resetPassword } from "../api.js";
import { field, fill, formError, h, showErrors } from "../ui.js";
import { afterSignIn, busy, hashQuery } from "./forms.js";

const back = () => h("p", { class: "switch" }, h("a", { href: "#/login" }, "Back to log in"));

function forgotForm(main) {
  const fields = {
    email: field("Email", h("input", { name: "email", type: "email", autocomplete: "email", required: true })),
  };
  const submit = h("button", { type: "submit" }, "Send reset link");
  const form = h(
    "form",
    { class: "card narrow", novalidate: true },
    h("h1", {}, "Forgot your password?"),
    h("p", {}, "Enter your account's email address: we send you a link to set a new password."),
    formError(),
    fields.email.wrap,
    submit,
    back(),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    busy(submit, true);
    try {
      const email = fields.email.input.value.trim();
      await api.post("/api/v1/auth/password-reset", { email });
      // The same answer for every address: the page must not tell who has an account.
      const heading = h("h1", { tabindex: "-1" }, "Check your email");
      fill(
        main,
        h(
          "section",
          { class: "card narrow", role: "status" },
          heading,
          h("p", {}, "If an account exists for ", h("strong", {}, email), ", we've sent a link to set a new password."),
          h(
            "p",
            { class: "hint" },
            "The link works once and for a limited time. Nothing came? Check your spam folder, or ",
            h("a", { href: "#/forgot-password", onclick: () => forgotForm(main) }, "send it again"),
            ".",
          ),
          back(),
        ),
      );
      heading.focus();
    } catch (err) {
      showErrors(form, fields, err);
      busy(submit, false);
    }
  });
  fill(main, form);
  fields.email.input.focus();
}

/** The link is bad, used or expired: say so, and offer a new one. */
function deadLink(main, message) {
  const heading = h("h1", { tabindex: "-1" }, "This link cannot be used");
  fill(
    main,
    h(
      "section",
      { class: "card narrow", role: "alert" },
      heading,
      h("p", {}, message || "The password reset link is invalid, was already used or has expired."),
      h("p", {}, h("a", { class: "button", href: "#/forgot-password" }, "Request a new link")),
      back(),
    ),
  );
  heading.focus();
}

function resetForm(main, token) {
  const input = (name) => h("input", { name, type: "password", autocomplete: "new-password", required: true });
  const fields = {
    new_password: field(
      "New password",
      input("new_password"),
      "At least 8 characters, not only digits, not a common password.",
    ),
    repeat: field("Repeat the new password", input("repeat")),
  };
  const submit = h("button", { type: "submit" }, "Set password and log in");
  const form = h(
    "form",
    { class: "card narrow", novalidate: true },
    h("h1", {}, "Set a new password"),
    formError(),
    fields.new_password.wrap,
    fields.repeat.wrap,
    submit,
    back(),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = fields.new_password.input.value;
    if (password !== fields.repeat.input.value) {
      showErrors(form, fields, { message: "", details: { repeat: "The two passwords differ." } });
      return;
    }
    busy(submit, true);
    try {
      await resetPassword(token, password);
      sessionStorage.removeItem(RESET);
      location.replace(afterSignIn());
    } catch (err) {
      busy(submit, false);
      if (err.details && err.details.token) {
        sessionStorage.removeItem(RESET);
        return deadLink(main, err.details.token);
      }
      showErrors(form, fields, err);
    }
  });
  fill(main, form);
  fields.new_password.input.focus();
}

// The link's token leaves the address bar and the history at once, and waits
// here (this tab only) until it is used or refused.
const RESET = "chatelly.reset";

export function render(main, _params, { hash }) {
  if (hash.startsWith("#/forgot-password")) return forgotForm(main);
  const fromLink = hashQuery(hash).get("token");
  if (fromLink) {
    sessionStorage.setItem(RESET, fromLink);
    history.replaceState(null, "", "#/reset-password");
  }
  const token = sessionStorage.getItem(RESET);
  if (!token) return deadLink(main, "The link is incomplete: open it from the email again, or ask for a new one.");
  return resetForm(main, token);
}
