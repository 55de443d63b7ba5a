// Log in and sign up (one view, two forms by route).

import { login, register } from "../api.js";
import { field, formError, h, fill, showErrors } from "../ui.js";
import { afterSignIn, pendingInvitation } from "./forms.js";

export function render(main, _params, { hash }) {
  const signup = hash === "#/signup";
  const fields = {};
  if (signup) fields.name = field("Name", h("input", { name: "name", autocomplete: "name", required: true }));
  fields.email = field(
    "Email",
    h("input", { name: "email", type: "email", autocomplete: "email", required: true }),
  );
  fields.password = field(
    "Password",
    h("input", {
      name: "password",
      type: "password",
      autocomplete: signup ? "new-password" : "current-password",
      required: true,
    }),
    signup ? "At least 8 characters, not only digits, not a common password." : null,
  );
  const submit = h("button", { type: "submit" }, signup ? "Create account" : "Log in");
  const form = h(
    "form",
    { class: "card narrow", novalidate: true },
    h("h1", {}, signup ? "Create your Chatelly account" : "Log in to Chatelly"),
    pendingInvitation.get()
      ? h("p", { class: "hint" }, "Use the email address the invitation was sent to: you join the website right after.")
      : null,
    formError(),
    Object.values(fields).map((f) => f.wrap),
    signup ? null : h("p", { class: "forgot" }, h("a", { href: "#/forgot-password" }, "Forgot password?")),
    submit,
    h(
      "p",
      { class: "switch" },
      signup ? "Already have an account? " : "New here? ",
      h("a", { href: signup ? "#/login" : "#/signup" }, signup ? "Log in" : "Create an account"),
    ),
  );
  // The API names a wrong email or password `authentication_failed`, not a field.
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    submit.setAttribute("aria-busy", "true");
    try {
      const values = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.input.value]));
      if (signup) await register(values.name, values.email, values.password);
      else await login(values.email, values.password);
      location.replace(afterSignIn());
    } catch (err) {
      showErrors(form, fields, err);
    } finally {
      submit.disabled = false;
      submit.removeAttribute("aria-busy");
    }
  });
  fill(main, form);
  (fields.name || fields.email).input.focus();
}
