// DOM helpers shared by every view. Text always goes in as text (never as
// HTML): names, messages and URLs come from visitors.

/** h("button", {type: "button", onclick: fn, class: "x"}, "text", child...) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      el.className = value;
    } else if (key === "dataset") {
      Object.assign(el.dataset, value);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
export function nextId(prefix = "f") {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A labelled form field: returns {wrap, input, error}; `error` is where its message goes. */
export function field(label, input, hint) {
  const id = input.id || nextId("field");
  input.id = id;
  const error = h("p", { class: "field-error", id: `${id}-error`, hidden: true });
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  const describedBy = [hintEl && `${id}-hint`, `${id}-error`].filter(Boolean).join(" ");
  input.setAttribute("aria-describedby", describedBy);
  const wrap = h("div", { class: "field" }, h("label", { for: id }, label), input, hintEl, error);
  return { wrap, input, error };
}

/** Show an ApiError's `details` next to the fields named by `fields` ({apiName: {input, error}}). */
export function showErrors(form, fields, err) {
  for (const f of Object.values(fields)) {
    f.error.hidden = true;
    f.error.textContent = "";
    f.input.removeAttribute("aria-invalid");
  }
  const general = form.querySelector(".form-error");
  let first = null;
  let unplaced = [];
  for (const [name, message] of Object.entries((err && err.details) || {})) {
    const target = fields[name];
    if (target) {
      target.error.textContent = message;
      target.error.hidden = false;
      target.input.setAttribute("aria-invalid", "true");
      first = first || target.input;
    } else {
      unplaced.push(name === "non_field_errors" ? message : `${name}: ${message}`);
    }
  }
  if (err && !first && unplaced.length === 0) unplaced = [err.message];
  if (general) {
    general.textContent = unplaced.join(" ");
    general.hidden = unplaced.length === 0;
  }
  if (first) first.focus();
  else if (general && !general.hidden) general.focus();
}

export function formError() {
  return h("p", { class: "form-error", role: "alert", tabindex: "-1", hidden: true });
}

/** Say something to screen readers (and nothing on screen). */
export function announce(text) {
  const el = document.getElementById("announcer");
  el.textContent = "";
  setTimeout(() => {
    el.textContent = text;
  }, 50);
}

/** The page-wide status banner (reconnecting, rate limited...); null hides it. */
export function banner(text, kind = "info") {
  const el = document.getElementById("banner");
  if (!text) {
    el.hidden = true;
    el.textContent = "";
    return;
  }
  el.textContent = text;
  el.className = `banner banner-${kind}`;
  el.hidden = false;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
export const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A time in the agent's own time zone: hh:mm today, the date otherwise. */
export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  const today = new Date();
  return date.toDateString() === today.toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date);
}

export function timeEl(iso) {
  return h("time", { datetime: iso, title: iso ? dateTimeFormat.format(new Date(iso)) : "" }, when(iso));
}

/** A modal confirmation (a native <dialog>: focus kept inside, Escape cancels). */
export function confirmDialog(title, text, confirmLabel = "Confirm") {
  return new Promise((resolve) => {
    const titleId = nextId("dialog");
    const dialog = h(
      "dialog",
      { class: "dialog", "aria-labelledby": titleId },
      h("h2", { id: titleId }, title),
      h("p", {}, text),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: () => dialog.close("cancel") }, "Cancel"),
        h("button", { type: "button", class: "danger", onclick: () => dialog.close("ok") }, confirmLabel),
      ),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "ok");
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function loading(text = "Loading…") {
  return h("p", { class: "state", role: "status" }, text);
}

export function emptyState(text) {
  return h("p", { class: "state empty" }, text);
}

/** An error state with a retry button. */
export function errorState(err, retry) {
  return h(
    "div",
    { class: "state error", role: "alert" },
    h("p", {}, (err && err.message) || "Something went wrong."),
    retry ? h("button", { type: "button", onclick: retry }, "Try again") : null,
  );
}
