// One website (#/websites/<id>) or a new one (#/websites/new): name, domain,
// max_users and every setting, activation, the embed snippet, the widget
// key, members and roles, deletion. Owner and admin manage; agents read.
// Controls a role may not use are not drawn (the API refuses them anyway).

import { api, currentUser } from "../api.js";
import {
  announce,
  confirmDialog,
  errorState,
  field,
  fill,
  formError,
  h,
  loading,
  nextId,
  showErrors,
} from "../ui.js";
import { busy, nearestFields, pagedLoader, planLimits, planName, timeZones } from "./forms.js";
import { invitedSection } from "./invitations.js";
import { ownedCount, planStatus } from "./websites.js";

const DAYS = [
  ["mon", "Monday"],
  ["tue", "Tuesday"],
  ["wed", "Wednesday"],
  ["thu", "Thursday"],
  ["fri", "Friday"],
  ["sat", "Saturday"],
  ["sun", "Sunday"],
];
const RANGE = /^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$/;
const pad = (t) => (t.length === 4 ? `0${t}` : t);
const lines = (text) =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);

function select(name, options, value) {
  return h(
    "select",
    { name },
    options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)),
  );
}

function checkbox(label, name, checked, hint) {
  const input = h("input", { type: "checkbox", name, id: nextId("check"), checked });
  const f = field(label, input, hint);
  f.wrap.classList.add("check");
  return f;
}

/** The website form: the site's own fields and every setting. */
function websiteForm(site, { isNew, canEdit, user }) {
  const s = (site && site.settings) || {};
  const fields = {};
  const text = (name, value, attrs = {}) => h("input", { name, value: value ?? "", ...attrs });
  const limit = planLimits(user);

  fields.name = field("Name", text("name", site && site.name, { required: true, maxlength: 100 }));
  fields.domain = field(
    "Domain",
    text("domain", site && site.domain, { required: true, autocomplete: "off", spellcheck: "false" }),
    "A host name such as shop.example.com, or *.example.com for every sub-domain. No https://, path or port.",
  );
  fields.max_users = field(
    "Most visitors at once",
    text("max_users", site ? site.max_users : Math.min(100, limit.maxUsers), {
      type: "number",
      min: 1,
      max: limit.maxUsers,
      inputmode: "numeric",
    }),
    `At most ${limit.maxUsers.toLocaleString()} on the ${planName(user && user.plan)} plan.`,
  );

  // Appearance and messages.
  fields["settings.title"] = field("Widget title", text("title", s.title, { maxlength: 60 }));
  const swatch = h("span", { class: "swatch", "aria-hidden": "true" });
  fields["settings.color"] = field(
    "Colour",
    text("color", s.color, { placeholder: "#1f5fbf", autocomplete: "off", spellcheck: "false" }),
    "A colour as #rrggbb.",
  );
  const paint = () => {
    const v = fields["settings.color"].input.value.trim();
    swatch.style.background = /^#[0-9a-f]{6}$/i.test(v) ? v : "transparent";
  };
  fields["settings.color"].input.addEventListener("input", paint);
  const colourRow = h("div", { class: "with-swatch" });
  fields["settings.color"].input.replaceWith(colourRow);
  colourRow.append(fields["settings.color"].input, swatch);
  paint();
  fields["settings.position"] = field(
    "Position",
    select("position", [["", "Default (right)"], ["right", "Right"], ["left", "Left"]], s.position || ""),
  );
  fields["settings.greeting"] = field(
    "Greeting",
    h("textarea", { name: "greeting", rows: 2, maxlength: 1000 }, s.greeting || ""),
  );
  fields["settings.away_message"] = field(
    "Away message",
    h("textarea", { name: "away_message", rows: 2, maxlength: 1000 }, s.away_message || ""),
  );
  fields["settings.locale"] = field(
    "Language",
    text("locale", s.locale, { placeholder: "en", autocomplete: "off" }),
    "A language tag such as en or de-DE.",
  );
  fields["settings.require_email"] = checkbox(
    "Ask visitors for their email before they chat",
    "require_email",
    Boolean(s.require_email),
  );

  // Business hours.
  const hours = s.business_hours || null;
  const { zones } = timeZones();
  const zoneList = hours && !zones.includes(hours.timezone) ? [hours.timezone, ...zones] : zones;
  fields["settings.business_hours"] = field(
    "Time zone of the business hours",
    select("bh_timezone", [["", "No business hours (always open)"], ...zoneList.map((z) => [z, z])], hours ? hours.timezone : ""),
  );
  fields["settings.business_hours.timezone"] = fields["settings.business_hours"];
  const dayFields = DAYS.map(([key, label]) => {
    const ranges = (hours && hours.days && hours.days[key]) || [];
    const f = field(
      `${label} hours`,
      text(`bh_${key}`, ranges.map(([a, b]) => `${a}-${b}`).join(", "), {
        placeholder: "09:00-17:00",
        autocomplete: "off",
      }),
    );
    fields[`settings.business_hours.days.${key}`] = f;
    return f;
  });
  fields["settings.business_hours.days"] = dayFields[0];
  fields["settings.holidays"] = field(
    "Holidays",
    h("textarea", { name: "holidays", rows: 2, placeholder: "2026-12-25" }, (s.holidays || []).join("\n")),
    "One date (YYYY-MM-DD) per line, in the business hours' time zone.",
  );
  fields["settings.offline_mode"] = field(
    "Outside business hours",
    select(
      "offline_mode",
      [
        ["live", "Show the chat (live)"],
        ["form", "Show a message form"],
        ["hidden", "Hide the widget"],
      ],
      s.offline_mode || "live",
    ),
    "What the widget shows when closed, or when no agent is online if there are no business hours.",
  );

  // Security.
  fields["settings.allowed_origins"] = field(
    "Allowed origins",
    h(
      "textarea",
      { name: "allowed_origins", rows: 2, placeholder: "https://app.example.com" },
      (s.allowed_origins || []).join("\n"),
    ),
    "Other full origins that may load the widget, one per line.",
  );

  // Auto-replies: a list editor.
  const rulesList = h("ol", { class: "rules" });
  const ruleFields = [];
  function addRule(rule = { keywords: [], reply: "" }, focus = false) {
    const n = ruleFields.length + 1;
    const kw = field(`Keywords of rule ${n}`, text(`kw${n}`, rule.keywords.join(", ")), "Comma separated.");
    const reply = field(`Reply of rule ${n}`, h("textarea", { name: `reply${n}`, rows: 2 }, rule.reply));
    const entry = { kw, reply, li: null };
    const remove = canEdit
      ? h("button", { type: "button", class: "secondary" }, `Remove rule ${n}`)
      : null;
    entry.li = h("li", { class: "rule" }, kw.wrap, reply.wrap, remove);
    if (remove) {
      remove.addEventListener("click", () => {
        const at = ruleFields.indexOf(entry);
        const kept = ruleFields.filter((r) => r !== entry).map(readRule);
        fill(rulesList);
        ruleFields.length = 0;
        for (const key of Object.keys(fields)) if (key.startsWith("settings.auto_replies.")) delete fields[key];
        kept.forEach((r) => addRule(r));
        announce(`Rule ${at + 1} removed`);
        addButton.focus();
      });
    }
    ruleFields.push(entry);
    rulesList.append(entry.li);
    fields[`settings.auto_replies.${n - 1}`] = kw;
    fields[`settings.auto_replies.${n - 1}.keywords`] = kw;
    fields[`settings.auto_replies.${n - 1}.reply`] = reply;
    if (focus) kw.input.focus();
  }
  const readRule = (r) => ({ keywords: lines(r.kw.input.value), reply: r.reply.input.value });
  (s.auto_replies || []).forEach((r) => addRule(r));
  const addButton = canEdit
    ? h("button", { type: "button", class: "secondary", onclick: () => addRule(undefined, true) }, "Add auto-reply")
    : null;
  const rulesError = h("p", { class: "field-error", id: nextId("rules-error"), hidden: true });
  fields["settings.auto_replies"] = { input: addButton || rulesList, error: rulesError };

  const formErr = formError();
  const submit = canEdit ? h("button", { type: "submit" }, isNew ? "Create website" : "Save changes") : null;
  const section = (title, ...children) =>
    h("fieldset", { class: "group" }, h("legend", {}, title), ...children);
  const body = h(
    "fieldset",
    { class: "plain", disabled: !canEdit },
    h("legend", { class: "visually-hidden" }, isNew ? "New website" : "Website settings"),
    section("Website", fields.name.wrap, fields.domain.wrap, fields.max_users.wrap),
    section(
      "Appearance and messages",
      fields["settings.title"].wrap,
      fields["settings.color"].wrap,
      fields["settings.position"].wrap,
      fields["settings.greeting"].wrap,
      fields["settings.away_message"].wrap,
      fields["settings.locale"].wrap,
      fields["settings.require_email"].wrap,
    ),
    section(
      "Business hours",
      h("p", { class: "hint" }, "Ranges as 09:00-12:00, 13:00-17:00; leave a day empty when closed."),
      fields["settings.business_hours"].wrap,
      h("div", { class: "days" }, dayFields.map((f) => f.wrap)),
      fields["settings.holidays"].wrap,
      fields["settings.offline_mode"].wrap,
    ),
    section("Security", fields["settings.allowed_origins"].wrap),
    section(
      "Auto-replies",
      h("p", { class: "hint" }, "A visitor message containing a keyword gets the reply."),
      rulesList,
      rulesError,
      addButton,
    ),
  );
  const form = h(
    "form",
    { class: "card", novalidate: true, "aria-label": isNew ? "New website" : "Website settings" },
    formErr,
    body,
    submit ? h("div", { class: "actions" }, submit) : null,
  );

  /** The request body, or {errors} found before asking the server. */
  function collect() {
    const errors = {};
    const settings = { ...s };
    const set = (key, value, keep) => {
      if (keep) settings[key] = value;
      else delete settings[key];
    };
    const val = (name) => fields[`settings.${name}`].input.value.trim();
    set("title", val("title"), val("title") !== "");
    set("color", val("color"), val("color") !== "");
    set("position", val("position"), val("position") !== "");
    set("greeting", fields["settings.greeting"].input.value, val("greeting") !== "");
    set("away_message", fields["settings.away_message"].input.value, val("away_message") !== "");
    set("locale", val("locale"), val("locale") !== "");
    const requireEmail = fields["settings.require_email"].input.checked;
    set("require_email", requireEmail, requireEmail || "require_email" in s);
    const zone = fields["settings.business_hours"].input.value;
    const days = {};
    for (const [key] of DAYS) {
      const raw = fields[`settings.business_hours.days.${key}`].input.value.trim();
      if (!raw) continue;
      const ranges = [];
      for (const part of raw.split(",")) {
        const m = RANGE.exec(part);
        if (!m) {
          errors[`settings.business_hours.days.${key}`] = `"${part.trim()}" is not a range such as 09:00-17:00.`;
          break;
        }
        ranges.push([pad(m[1]), pad(m[2])]);
      }
      days[key] = ranges;
    }
    if (!zone && Object.keys(days).length) {
      errors["settings.business_hours"] = "Choose the time zone of these hours.";
    }
    set("business_hours", { timezone: zone, days }, Boolean(zone));
    const holidays = lines(fields["settings.holidays"].input.value);
    set("holidays", holidays, holidays.length > 0 || "holidays" in s);
    const mode = val("offline_mode");
    set("offline_mode", mode, mode !== "live" || "offline_mode" in s);
    const origins = lines(fields["settings.allowed_origins"].input.value);
    set("allowed_origins", origins, origins.length > 0 || "allowed_origins" in s);
    const rules = ruleFields.map(readRule).filter((r) => r.keywords.length || r.reply.trim());
    set("auto_replies", rules, rules.length > 0 || "auto_replies" in s);
    const maxUsers = Number(fields.max_users.input.value);
    const data = {
      name: fields.name.input.value.trim(),
      domain: fields.domain.input.value.trim(),
      max_users: Number.isInteger(maxUsers) && fields.max_users.input.value !== "" ? maxUsers : fields.max_users.input.value,
      settings,
    };
    return { data, errors };
  }

  return { form, fields, submit, collect };
}

function snippetSection(site) {
  const snippet = () => `<script async src="${location.origin}/widget/script/${site.widget_key}"></script>`;
  const code = h("code", {}, snippet());
  const status = h("span", { class: "saved", role: "status" });
  const copy = h("button", { type: "button", class: "secondary" }, "Copy snippet");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(snippet());
      status.textContent = "Copied";
      announce("Copied");
    } catch {
      status.textContent = "Copying failed: select the snippet and copy it by hand.";
    }
  });
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "snippet-title" },
    h("h2", { id: "snippet-title" }, "Embed snippet"),
    h("p", {}, "Paste this before </body> on every page of ", h("strong", {}, site.domain), " that should show the chat."),
    h("pre", {}, code),
    h("div", { class: "actions" }, copy, status),
  );
  return {
    section,
    update(next) {
      site = next;
      code.textContent = snippet();
      status.textContent = "";
    },
  };
}

function keySection(site, onRotated) {
  const rotate = h("button", { type: "button", class: "danger" }, "Rotate widget key");
  rotate.addEventListener("click", async () => {
    const ok = await confirmDialog(
      "Rotate the widget key?",
      "The current snippet stops working at once: every page that has it loses the chat widget until you " +
        "paste the new snippet. Visitors chatting now cannot reconnect with the old key.",
      "Rotate key",
    );
    if (!ok) return rotate.focus();
    busy(rotate, true);
    try {
      const next = await api.post(`/api/v1/websites/${site.id}/rotate-key`);
      onRotated(next);
      announce("Widget key rotated: copy the new snippet.");
    } catch (err) {
      announce(err.message);
    } finally {
      busy(rotate, false);
      rotate.focus();
    }
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "key-title" },
    h("h2", { id: "key-title" }, "Widget key"),
    h(
      "p",
      {},
      "Rotate the key if the snippet was put where it should not be. ",
      h("strong", {}, "The old snippet stops working at once"),
      " and must be replaced on every page.",
    ),
    h("div", { class: "actions" }, rotate),
  );
}

function membersSection(site, { canManage, me }) {
  const body = h("tbody");
  const moreWrap = h("div", { class: "actions" });
  const status = h("p", { class: "saved", role: "status" });

  function row(member) {
    const u = member.user;
    const who = u.name || u.email;
    const roleCell = h("td", {});
    const actions = h("td", {});
    if (member.role === "owner" || !canManage || u.id === me.id) {
      roleCell.append(member.role);
    } else {
      const roleSelect = select("role", [["admin", "admin"], ["agent", "agent"]], member.role);
      roleSelect.setAttribute("aria-label", `Role of ${who}`);
      const save = h("button", { type: "button", class: "secondary" }, `Change role of ${who}`);
      save.addEventListener("click", async () => {
        busy(save, true);
        try {
          const updated = await api.patch(`/api/v1/websites/${site.id}/members/${u.id}`, { role: roleSelect.value });
          status.textContent = `${who} is now ${updated.role}.`;
        } catch (err) {
          status.textContent = err.message;
        } finally {
          busy(save, false);
        }
      });
      roleCell.append(roleSelect);
      const remove = h("button", { type: "button", class: "danger" }, `Remove ${who}`);
      remove.addEventListener("click", async () => {
        const ok = await confirmDialog(`Remove ${who}?`, `${who} will no longer see ${site.name} or its chats.`, "Remove member");
        if (!ok) return remove.focus();
        try {
          await api.del(`/api/v1/websites/${site.id}/members/${u.id}`);
          tr.remove();
          status.textContent = `${who} was removed.`;
          addEmail && addEmail.focus();
        } catch (err) {
          status.textContent = err.message;
        }
      });
      actions.append(h("div", { class: "row-actions" }, save, remove));
    }
    const tr = h(
      "tr",
      {},
      h("th", { scope: "row" }, u.name || "—", u.id === me.id ? " (you)" : ""),
      h("td", { class: "email" }, u.email),
      roleCell,
      canManage ? actions : null,
    );
    return tr;
  }

  const load = pagedLoader({
    fetchPage: (page) => api.get(`/api/v1/websites/${site.id}/members`, { page, page_size: 50 }),
    draw: (results) => body.append(...results.map(row)),
    moreWrap,
    status,
    label: "Load more members",
  });


  let addEmail = null;
  let addForm = null;
  const invited = canManage ? invitedSection(site, status) : null;
  if (canManage) {
    const fields = {
      email: field("Email of the new member", h("input", { name: "email", type: "email", autocomplete: "off" })),
      role: field("Role", select("role", [["agent", "agent"], ["admin", "admin"]], "agent")),
    };
    addEmail = fields.email.input;
    const submit = h("button", { type: "submit" }, "Add member");
    addForm = h(
      "form",
      { class: "add-member", novalidate: true, "aria-labelledby": "add-member-title" },
      h("h3", { id: "add-member-title" }, "Add a member"),
      h("p", { class: "hint" }, "Someone without a Chatelly account yet is emailed an invitation."),
      formError(),
      h("div", { class: "inline-fields" }, fields.email.wrap, fields.role.wrap),
      submit,
    );
    addForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      busy(submit, true);
      try {
        const result = await api.post(`/api/v1/websites/${site.id}/members`, {
          email: fields.email.input.value.trim(),
          role: fields.role.input.value,
        });
        showErrors(addForm, fields, null);
        if (result && result.invitation) {
          invited.add(result.invitation, true);
          status.textContent = `No account for ${result.invitation.email} yet: an invitation was emailed.`;
        } else {
          body.append(row(result));
          status.textContent = `${result.user.name || result.user.email} was added as ${result.role}.`;
        }
        fields.email.input.value = "";
      } catch (err) {
        showErrors(addForm, fields, err);
      } finally {
        busy(submit, false);
      }
    });
  }

  const table = h(
    "table",
    { class: "members" },
    h("caption", { class: "visually-hidden" }, `Members of ${site.name}`),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Name"),
        h("th", { scope: "col" }, "Email"),
        h("th", { scope: "col" }, "Role"),
        canManage ? h("th", { scope: "col" }, "Actions") : null,
      ),
    ),
    body,
  );
  const section = h(
    "section",
    { class: "card", "aria-labelledby": "members-title" },
    h("h2", { id: "members-title" }, "Members"),
    h(
      "p",
      { class: "hint" },
      "Owner and admins manage members and settings; agents answer chats and see settings read-only.",
    ),
    h("div", { class: "table-wrap" }, table),
    moreWrap,
    status,
    addForm,
    invited && invited.section,
  );
  const loadAll = () => Promise.all([load(), invited && invited.load()]);
  return { section, load: loadAll };
}

function activationSection(site, onChanged) {
  const label = site.is_active ? "Deactivate website" : "Activate website";
  const button = h("button", { type: "button", class: site.is_active ? "danger" : "" }, label);
  button.addEventListener("click", async () => {
    if (site.is_active) {
      const ok = await confirmDialog(
        `Deactivate ${site.name}?`,
        "The widget disappears from your pages and visitors cannot connect; nothing is deleted and you can activate it again.",
        "Deactivate",
      );
      if (!ok) return button.focus();
    }
    busy(button, true);
    try {
      const next = await api.patch(`/api/v1/websites/${site.id}`, { is_active: !site.is_active });
      announce(next.is_active ? "Website activated" : "Website deactivated");
      onChanged(next);
    } catch (err) {
      busy(button, false);
      announce(err.message);
    }
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "active-title" },
    h("h2", { id: "active-title" }, "Status"),
    h(
      "p",
      {},
      site.is_active
        ? "Active: the widget shows on your pages."
        : "Inactive: the widget is switched off; chats and settings are kept.",
    ),
    h("div", { class: "actions" }, button),
  );
}

function deleteSection(site) {
  const button = h("button", { type: "button", class: "danger" }, "Delete website");
  button.addEventListener("click", async () => {
    const ok = await confirmDialog(
      `Delete ${site.name}?`,
      "Its chats, messages, visitors, files and analytics are deleted for good. This cannot be undone.",
      "Delete for good",
    );
    if (!ok) return button.focus();
    busy(button, true);
    try {
      await api.del(`/api/v1/websites/${site.id}`);
      announce(`${site.name} was deleted`);
      location.hash = "#/websites";
    } catch (err) {
      busy(button, false);
      announce(err.message);
    }
  });
  return h(
    "section",
    { class: "card danger-zone", "aria-labelledby": "delete-title" },
    h("h2", { id: "delete-title" }, "Delete"),
    h("p", {}, "Deleting removes the website with all its chats and visitors."),
    h("div", { class: "actions" }, button),
  );
}

function wireSave(built, save) {
  const { form, fields, submit, collect } = built;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { data, errors } = collect();
    if (Object.keys(errors).length) {
      showErrors(form, fields, { message: "Some fields are invalid.", details: errors });
      return;
    }
    busy(submit, true);
    try {
      await save(data);
      showErrors(form, fields, null);
    } catch (err) {
      showErrors(form, fields, nearestFields(err, fields));
    } finally {
      busy(submit, false);
    }
  });
}

async function renderNew(main) {
  const user = currentUser();
  fill(main, h("h1", {}, "New website"), loading());
  let owned;
  try {
    owned = await ownedCount();
  } catch (err) {
    fill(main, h("h1", {}, "New website"), errorState(err, () => renderNew(main)));
    return;
  }
  const status = planStatus(owned, user);
  const head = [h("p", { class: "back" }, h("a", { href: "#/websites" }, "← Websites")), h("h1", {}, "New website")];
  if (status.full) {
    fill(main, ...head, h("p", { class: "limit full" }, status.text));
    return;
  }
  const built = websiteForm(null, { isNew: true, canEdit: true, user });
  wireSave(built, async (data) => {
    const site = await api.post("/api/v1/websites", data);
    announce(`${site.name} was created`);
    location.replace(`#/websites/${site.id}`);
  });
  fill(main, ...head, h("p", { class: "limit" }, status.text), built.form);
  built.fields.name.input.focus();
}

async function renderSite(main, id) {
  fill(main, loading());
  let site;
  try {
    site = await api.get(`/api/v1/websites/${id}`);
  } catch (err) {
    fill(main, h("h1", {}, "Website"), errorState(err, () => renderSite(main, id)));
    return;
  }
  const user = currentUser();
  const canManage = site.role === "owner" || site.role === "admin";
  const isOwner = site.role === "owner";
  const title = h("h1", {}, site.name);
  const stateLine = h(
    "p",
    { class: "site-meta" },
    h("span", { class: "pill" }, `Your role: ${site.role}`),
    " ",
    h("span", { class: site.is_active ? "pill ok" : "pill off" }, site.is_active ? "Active" : "Inactive"),
    " ",
    h("a", { href: `#/analytics/${site.id}` }, "Analytics"),
  );
  const snippet = snippetSection(site);
  const built = websiteForm(site, { isNew: false, canEdit: canManage, user });
  const status = h("p", { class: "saved", role: "status" });
  if (canManage) {
    wireSave(built, async (data) => {
      site = await api.patch(`/api/v1/websites/${site.id}`, data);
      title.textContent = site.name;
      snippet.update(site);
      status.textContent = "Changes saved.";
    });
    built.form.append(status);
  }
  const members = membersSection(site, { canManage, me: user || {} });
  fill(
    main,
    h("p", { class: "back" }, h("a", { href: "#/websites" }, "← Websites")),
    title,
    stateLine,
    canManage ? null : h("p", { class: "hint" }, "You are an agent here: settings and members are read-only."),
    snippet.section,
    h("h2", { class: "section-title" }, "Settings"),
    built.form,
    members.section,
    canManage ? keySection(site, (next) => snippet.update(next)) : null,
    canManage
      ? activationSection(site, async () => {
          await renderSite(main, id);
          const again = document.getElementById("active-title");
          if (again) again.parentElement.querySelector("button").focus(); // keep the keyboard's place
        })
      : null,
    isOwner ? deleteSection(site) : null,
  );
  members.load().catch((err) => members.section.append(errorState(err)));
}

export function render(main, params) {
  const id = params[0];
  return id === "new" ? renderNew(main) : renderSite(main, id);
}
