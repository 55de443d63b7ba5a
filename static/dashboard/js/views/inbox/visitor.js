// The visitor panel: who the visitor is, where they are, where they have been.

import { api } from "../../api.js";
import { h, fill, loading, errorState, timeEl } from "../../ui.js";
import { visitorName } from "./format.js";

/** "Chrome 120 on Windows" from a User-Agent string (a best guess, never raw). */
export function browserName(ua) {
  if (!ua) return "Unknown";
  const found = (re) => {
    const m = re.exec(ua);
    return m ? m[1].split(".")[0] : null;
  };
  let browser = "Unknown browser";
  let v;
  if ((v = found(/Edg(?:e|A|iOS)?\/([\d.]+)/))) browser = `Edge ${v}`;
  else if ((v = found(/OPR\/([\d.]+)/))) browser = `Opera ${v}`;
  else if ((v = found(/SamsungBrowser\/([\d.]+)/))) browser = `Samsung Internet ${v}`;
  else if ((v = found(/Firefox\/([\d.]+)/)) || (v = found(/FxiOS\/([\d.]+)/))) browser = `Firefox ${v}`;
  else if ((v = found(/(?:Chrome|CriOS|Chromium)\/([\d.]+)/))) browser = `Chrome ${v}`;
  else if ((v = found(/Version\/([\d.]+).*Safari/))) browser = `Safari ${v}`;
  else if (/curl|python|bot|spider/i.test(ua)) browser = "A script or bot";
  let os = "";
  if (/Windows/.test(ua)) os = "Windows";
  else if (/iPhone|iPad|iPod/.test(ua)) os = "iOS";
  else if (/Mac OS X|Macintosh/.test(ua)) os = "macOS";
  else if (/Android/.test(ua)) os = "Android";
  else if (/CrOS/.test(ua)) os = "ChromeOS";
  else if (/Linux/.test(ua)) os = "Linux";
  return os ? `${browser} on ${os}` : browser;
}

function safeLink(url, text) {
  if (typeof url === "string" && /^https?:\/\//i.test(url)) {
    return h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, text || url);
  }
  return text || url || "—";
}

function row(term, ...value) {
  return [h("dt", {}, term), h("dd", {}, ...value)];
}

export class VisitorPanel {
  constructor(ctx, chatId, onClose) {
    this.ctx = ctx;
    this.chatId = chatId;
    this.body = h("div", { class: "visitor-body" }, loading("Loading visitor…"));
    this.el = h(
      "aside",
      { class: "inbox-visitor", id: "visitor-panel", "aria-labelledby": "visitor-title", tabindex: "-1" },
      h(
        "div",
        { class: "visitor-head" },
        h("h2", { id: "visitor-title" }, "Visitor"),
        h("button", { type: "button", class: "secondary visitor-close", onclick: onClose }, "Hide details"),
      ),
      this.body,
    );
    this.online = null;
  }

  async load() {
    this.failed = false;
    fill(this.body, loading("Loading visitor…"));
    try {
      this.data = await api.get(`/api/v1/chats/${this.chatId}/visitor`);
    } catch (err) {
      this.failed = true;
      fill(this.body, errorState(err, () => this.load()));
      return;
    }
    this.draw();
  }

  setOnline(online) {
    this.online = online;
    if (this.data) this.draw();
  }

  draw() {
    const v = this.data;
    const name = v.name || visitorName({ visitor: v, visitor_id: v.visitor_id });
    const location = v.location ? [v.location.city, v.location.country].filter(Boolean).join(", ") : "";
    const pages = (v.pages || []).slice(0, 10);
    const past = v.past_chats || [];
    fill(
      this.body,
      h(
        "dl",
        { class: "visitor-facts" },
        row("Name", name),
        row("Email", v.email ? h("a", { href: `mailto:${v.email}` }, v.email) : "Not given"),
        this.online === null ? null : row("Status", this.online ? "Online now" : "Offline"),
        row("Current page", v.page_url ? safeLink(v.page_url) : "Unknown"),
        row("Browser", browserName(v.user_agent)),
        row("Location", location || "Unknown"),
        row("First seen", timeEl(v.first_seen)),
        row("Last seen", timeEl(v.last_seen)),
      ),
      h("h3", {}, "Pages visited"),
      pages.length
        ? h(
            "ol",
            { class: "visitor-pages" },
            pages.map((p) => h("li", {}, safeLink(p.url, p.title || p.url), " ", timeEl(p.at))),
          )
        : h("p", { class: "muted" }, "No page views recorded."),
      h("h3", {}, "Past chats"),
      past.length
        ? h(
            "ul",
            { class: "visitor-chats" },
            past.map((c) =>
              h(
                "li",
                {},
                h("a", { href: `#/inbox/${c.id}` }, "Chat of ", timeEl(c.started_at)),
                ` · ${c.message_count} message${c.message_count === 1 ? "" : "s"}`,
                c.status === "closed" ? " · closed" : "",
              ),
            ),
          )
        : h("p", { class: "muted" }, "No other chats."),
    );
  }
}
