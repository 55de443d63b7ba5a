// The account: profile (name, email), password change, notifications (notify.js), the plan.

import { api, changePassword, currentUser, setUser } from "../api.js";
import { busy, PLANS, planName } from "./forms.js";
import { notificationCards } from "./notify.js";
import { errorState, field, fill, formError, h, loading, showErrors } from "../ui.js";

const number = new Intl.NumberFormat();

function profileForm(user) {
  const fields = {
    name: field("Name", h("input", { name: "name", autocomplete: "name", required: true, value: user.name })),
    email: field(
      "Email",
      h("input", { name: "email", type: "email", autocomplete: "email", required: true, value: user.email }),
    ),
  };
  const status = h("p", { class: "saved", role: "status" });
  const submit = h("button", { type: "submit" }, "Save profile");
  const form = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": "profile-title" },
    h("h2", { id: "profile-title" }, "Profile"),
    formError(),
    fields.name.wrap,
    fields.email.wrap,
    h("div", { class: "actions" }, submit),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    busy(submit, true);
    try {
      const saved = await api.patch("/api/v1/user/profile", {
        name: fields.name.input.value,
        email: fields.email.input.value,
      });
      showErrors(form, fields, null);
      setUser(saved);
      fields.email.input.value = saved.email;
      status.textContent = "Profile saved.";
    } catch (err) {
      showErrors(form, fields, err);
    } finally {
      busy(submit, false);
    }
  });
  return form;
}

function passwordForm() {
  const input = (name, autocomplete) => h("input", { name, type: "password", autocomplete, required: true });
  const fields = {
    current_password: field("Current password", input("current_password", "current-password")),
    new_password: field(
      "New password",
      input("new_password", "new-password"),
      "At least 8 characters, not only digits, not a common password. Other sessions are signed out.",
    ),
  };
  const status = h("p", { class: "saved", role: "status" });
  const submit = h("button", { type: "submit" }, "Change password");
  const form = h(
    "form",
    { class: "card", novalidate: true, "aria-labelledby": "password-title" },
    h("h2", { id: "password-title" }, "Password"),
    formError(),
    fields.current_password.wrap,
    fields.new_password.wrap,
    h("div", { class: "actions" }, submit),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.textContent = "";
    busy(submit, true);
    try {
      await changePassword(fields.current_password.input.value, fields.new_password.input.value);
      showErrors(form, fields, null);
      form.reset();
      status.textContent = "Password changed. Your other sessions were signed out.";
    } catch (err) {
      showErrors(form, fields, err);
    } finally {
      busy(submit, false);
    }
  });
  return form;
}

function planCard(user) {
  const limits = PLANS[user.plan] || PLANS.free;
  return h(
    "section",
    { class: "card", "aria-labelledby": "plan-title" },
    h("h2", { id: "plan-title" }, "Plan"),
    h("p", {}, "You are on the ", h("strong", {}, planName(user.plan)), " plan."),
    h(
      "ul",
      {},
      h("li", {}, limits.websites === null ? "Unlimited websites" : `Up to ${limits.websites} websites`),
      h("li", {}, `Up to ${number.format(limits.maxUsers)} visitors connected at once per website`),
    ),
  );
}

export async function render(main) {
  fill(main, loading());
  let user = currentUser();
  try {
    user = await api.get("/api/v1/user/profile");
    setUser(user);
  } catch (err) {
    if (!user) {
      fill(main, errorState(err, () => render(main)));
      return;
    }
  }
  const notifications = h("div", {});
  fill(main, h("h1", {}, "Account"), profileForm(user), passwordForm(), notifications, planCard(user));
  await notificationCards(notifications);
}
