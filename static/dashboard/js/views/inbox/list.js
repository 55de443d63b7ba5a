// The chat list: per website or all, filtered, searched, paged (50 a page), newest
// activity first, kept live by the agent socket.

import { api } from "../../api.js";
import { agentSocket } from "../../socket.js";
import { h, fill, loading, emptyState, errorState, timeEl } from "../../ui.js";
import { preview, visitorName } from "./format.js";
import { alertAgent, askPermission, pref, setPref } from "./notify.js";

const PAGE_SIZE = 50;
const SEARCH_AGAIN_MS = 1000;
const FILTERS_KEY = "chatelly.inbox.filters";

function savedFilters() {
  try {
    return { website: "", assigned: "", status: "active", ...JSON.parse(sessionStorage.getItem(FILTERS_KEY)) };
  } catch {
    return { website: "", assigned: "", status: "active" };
  }
}

function select(label, options, value, onchange) {
  const id = `inbox-${label.toLowerCase().replace(/\W+/g, "-")}`;
  const el = h(
    "select",
    { id, onchange },
    options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)),
  );
  return { el, wrap: h("div", { class: "inbox-filter" }, h("label", { for: id }, label), el) };
}

export class ChatList {
  constructor(ctx) {
    this.ctx = ctx;
    this.chats = new Map(); // id -> Chat (the loaded ones)
    this.rows = new Map(); // id -> <li>
    this.fetching = new Set();
    this.filters = { ...savedFilters(), search: "" };
    this.page = 1;
    this.ticket = 0;
    this.searchTimer = null;

    const f = this.filters;
    if (f.website && !ctx.websites.has(Number(f.website))) f.website = "";
    this.website = select(
      "Website",
      [["", "All websites"], ...[...ctx.websites.values()].map((w) => [String(w.id), w.name])],
      f.website,
      (e) => this.setFilter("website", e.target.value),
    );
    this.assigned = select(
      "Assigned",
      [
        ["", "All"],
        ["none", "Unassigned"],
        ["me", "Mine"],
      ],
      f.assigned,
      (e) => this.setFilter("assigned", e.target.value),
    );
    this.status = select(
      "Status",
      [
        ["active", "Active"],
        ["closed", "Closed"],
        ["", "Any"],
      ],
      f.status,
      (e) => this.setFilter("status", e.target.value),
    );
    this.search = h("input", {
      type: "search",
      id: "inbox-search",
      autocomplete: "off",
      oninput: () => {
        clearTimeout(this.searchTimer);
        this.searchTimer = setTimeout(() => this.setFilter("search", this.search.value.trim()), 300);
      },
    });
    const notify = h("input", { type: "checkbox", id: "inbox-notify", checked: pref("notify") });
    notify.addEventListener("change", async () => {
      if (notify.checked && !(await askPermission())) {
        notify.checked = false;
        this.ctx.say("Notifications are blocked by the browser.");
      }
      setPref("notify", notify.checked);
    });
    const sound = h("input", { type: "checkbox", id: "inbox-sound", checked: pref("sound") });
    sound.addEventListener("change", () => setPref("sound", sound.checked));

    this.state = h("div", { class: "inbox-list-state" });
    this.ul = h("ul", { class: "chat-list", "aria-labelledby": "inbox-title" });
    this.more = h(
      "button",
      { type: "button", class: "secondary inbox-more", hidden: true, onclick: () => this.loadMore() },
      "Load more chats",
    );
    this.countEl = h("p", { class: "inbox-count", role: "status" });
    this.scroller = h("div", { class: "chat-list-scroll" }, this.state, this.ul, this.more);
    this.el = h(
      "section",
      { class: "inbox-list", "aria-labelledby": "inbox-title" },
      h("h1", { id: "inbox-title" }, "Inbox"),
      h(
        "div",
        { class: "inbox-filters" },
        this.website.wrap,
        this.assigned.wrap,
        this.status.wrap,
        h("div", { class: "inbox-filter inbox-search" }, h("label", { for: "inbox-search" }, "Search chats"), this.search),
        h(
          "div",
          { class: "inbox-alerts" },
          h("span", { class: "inbox-check" }, notify, h("label", { for: "inbox-notify" }, "Notify me")),
          h("span", { class: "inbox-check" }, sound, h("label", { for: "inbox-sound" }, "Sound")),
        ),
      ),
      this.countEl,
      this.scroller,
    );
  }

  query(page) {
    const f = this.filters;
    return {
      page,
      page_size: PAGE_SIZE,
      website_id: f.website,
      assigned: f.assigned,
      status: f.status,
      search: f.search,
    };
  }

  setFilter(name, value) {
    if (this.filters[name] === value) return;
    this.filters[name] = value;
    const { website, assigned, status } = this.filters;
    try {
      sessionStorage.setItem(FILTERS_KEY, JSON.stringify({ website, assigned, status }));
    } catch {
      // not kept
    }
    this.load();
  }

  /** Live activity while searching: run the search again (once a second at most). */
  searchAgainSoon() {
    if (this.searchAgain) return;
    this.searchAgain = setTimeout(() => {
      this.searchAgain = null;
      if (this.filters.search && !this.ctx.destroyed) this.load();
    }, SEARCH_AGAIN_MS);
  }

  async load() {
    const ticket = ++this.ticket;
    const focused = this.ul.contains(document.activeElement) ? document.activeElement.closest("li") : null;
    // Events from here on come live only if the socket is open now; if it is
    // not, the inbox loads the list again when it is (see `ready`).
    this.loadedLive = agentSocket.state === "open"; // ready (the server sends us events)
    this.page = 1;
    this.ul.setAttribute("aria-busy", "true");
    if (this.chats.size === 0) fill(this.state, loading("Loading chats…"));
    let data;
    try {
      data = await api.get("/api/v1/chats", this.query(1));
    } catch (err) {
      if (ticket !== this.ticket) return;
      this.ul.removeAttribute("aria-busy");
      fill(this.state, errorState(err, () => this.load()));
      return;
    }
    if (ticket !== this.ticket) return;
    this.ul.removeAttribute("aria-busy");
    this.chats.clear();
    this.rows.clear();
    this.ul.replaceChildren();
    fill(this.state);
    this.total = data.count;
    this.add(data.results);
    this.more.hidden = !data.next;
    this.afterChange();
    // A search run again under the agent's focus keeps it on the same chat.
    const row = focused && this.rows.get(Number(focused.dataset.chatId));
    if (row) row.querySelector("a").focus();
  }

  async loadMore() {
    const ticket = this.ticket;
    this.more.disabled = true;
    this.more.setAttribute("aria-busy", "true");
    try {
      const data = await api.get("/api/v1/chats", this.query(this.page + 1));
      if (ticket !== this.ticket) return;
      this.page += 1;
      this.add(data.results);
      this.more.hidden = !data.next;
      this.afterChange();
    } catch (err) {
      this.ctx.say(`Could not load more chats: ${err.message}`);
    } finally {
      this.more.disabled = false;
      this.more.removeAttribute("aria-busy");
    }
  }

  add(chats) {
    for (const chat of chats) {
      if (this.chats.has(chat.id)) continue; // moved up by live activity meanwhile
      if (this.ctx.seeing(chat.id)) chat.unread_count = 0; // read by the agent, maybe not yet told
      this.chats.set(chat.id, chat);
      const row = this.row(chat);
      this.rows.set(chat.id, row);
      this.ul.append(row);
    }
  }

  afterChange() {
    if (this.chats.size === 0 && this.ctx.websites.size === 0) {
      fill(
        this.state,
        h("p", { class: "state empty" }, "No website yet: ", h("a", { href: "#/websites/new" }, "add your website"), " to get chats."),
      );
    } else if (this.chats.size === 0) {
      fill(this.state, emptyState(this.filters.search ? "No chats match this search." : "No chats here yet."));
    } else {
      fill(this.state);
    }
    const shown = this.chats.size;
    this.countEl.textContent =
      this.total !== undefined && this.total > shown ? `${shown} of ${this.total} chats` : `${shown} chat${shown === 1 ? "" : "s"}`;
    this.ctx.unreadChanged();
  }

  row(chat) {
    const unread = chat.unread_count || 0;
    const open = chat.id === this.ctx.openChatId;
    const site = this.filters.website ? null : this.ctx.websites.get(chat.website_id);
    const online = this.ctx.online.get(chat.id);
    const link = h(
      "a",
      { href: `#/inbox/${chat.id}`, class: "chat-link", "aria-current": open ? "page" : null },
      h(
        "span",
        { class: "chat-top" },
        h("span", { class: "chat-name" }, visitorName(chat)),
        online ? h("span", { class: "chat-online" }, "Online") : null,
        timeEl(chat.last_activity_at || chat.started_at),
      ),
      h("span", { class: "chat-preview" }, preview(chat.last_message, this.ctx.user.id)),
      h(
        "span",
        { class: "chat-meta" },
        site ? h("span", { class: "chat-site" }, site.name) : null,
        chat.status === "closed" ? h("span", { class: "chat-tag" }, "Closed") : null,
        chat.assigned_to === this.ctx.user.id ? h("span", { class: "chat-tag" }, "Mine") : null,
        unread
          ? h("span", { class: "badge" }, String(unread), h("span", { class: "visually-hidden" }, " unread"))
          : null,
      ),
    );
    return h("li", { dataset: { chatId: chat.id } }, link);
  }

  /** Redraw a chat's row; `toTop` moves it to the top (new activity). */
  update(chat, toTop = false) {
    const old = this.rows.get(chat.id);
    const row = this.row(chat);
    this.rows.set(chat.id, row);
    const hadFocus = old && old.contains(document.activeElement);
    if (toTop) {
      if (old) old.remove();
      this.ul.prepend(row);
    } else if (old) {
      old.replaceWith(row);
    } else {
      this.ul.prepend(row);
    }
    if (hadFocus) row.querySelector("a").focus();
  }

  remove(chatId) {
    const row = this.rows.get(chatId);
    if (row) row.remove();
    this.rows.delete(chatId);
    this.chats.delete(chatId);
  }

  matches(chat) {
    const f = this.filters;
    if (f.website && String(chat.website_id) !== f.website) return false;
    if (f.status && chat.status !== f.status) return false;
    if (f.assigned === "none" && chat.assigned_to !== null) return false;
    if (f.assigned === "me" && chat.assigned_to !== this.ctx.user.id) return false;
    return !f.search; // a search shows what the server found
  }

  // --- live ------------------------------------------------------------------

  chatStarted(chat) {
    if (this.chats.has(chat.id)) return;
    chat.unread_count = chat.unread_count || 0;
    chat.last_activity_at = chat.last_activity_at || chat.started_at;
    alertAgent("New chat", `${visitorName(chat)} started a chat`, chat.id);
    this.ctx.countUnread(chat.unread_count && chat.status === "active" ? 1 : 0);
    if (this.filters.search) return this.searchAgainSoon();
    if (!this.matches(chat)) return;
    this.chats.set(chat.id, chat);
    if (this.total !== undefined) this.total += 1;
    this.update(chat, true);
    this.afterChange();
  }

  message(message) {
    const chat = this.chats.get(message.chat_id);
    if (message.sender_type === "visitor") {
      alertAgent(chat ? visitorName(chat) : "New message", message.content || "Sent a file", message.chat_id);
    }
    if (!chat) {
      if (message.sender_type === "visitor") this.ctx.countUnread(0);
      return this.fetchChat(message.chat_id);
    }
    if (chat.last_message && chat.last_message.seq >= message.seq) return;
    chat.last_message = message;
    chat.last_activity_at = message.created_at;
    chat.message_count = Math.max(chat.message_count || 0, message.seq);
    if (message.sender_type === "visitor" && !this.ctx.seeing(chat.id)) {
      this.ctx.countUnread(!chat.unread_count && chat.status === "active" ? 1 : 0);
      chat.unread_count = (chat.unread_count || 0) + 1;
    }
    this.update(chat, true);
    this.afterChange();
  }

  /** A chat not in the list had activity: show it when it belongs here. */
  async fetchChat(chatId) {
    if (this.filters.search) return this.searchAgainSoon(); // only the server knows what matches
    if (this.fetching.has(chatId)) return;
    this.fetching.add(chatId);
    const ticket = this.ticket;
    try {
      const chat = await api.get(`/api/v1/chats/${chatId}`);
      if (ticket !== this.ticket || this.chats.has(chatId) || !this.matches(chat)) return;
      if (this.ctx.seeing(chatId)) chat.unread_count = 0;
      this.chats.set(chatId, chat);
      this.update(chat, true);
      this.afterChange();
    } catch {
      // gone or not ours: nothing to show
    } finally {
      this.fetching.delete(chatId);
    }
  }

  chatStatus(frame) {
    this.ctx.countUnread(0); // a closed chat leaves the count, a reopened one may come back
    const chat = this.chats.get(frame.chat_id);
    if (!chat) return this.fetchChat(frame.chat_id);
    chat.status = frame.status;
    chat.assigned_to = frame.assigned_to === undefined ? chat.assigned_to : frame.assigned_to;
    if (!this.matches(chat) && chat.id !== this.ctx.openChatId) {
      this.remove(chat.id);
    } else {
      this.update(chat);
    }
    this.afterChange();
  }

  markRead(chatId) {
    const chat = this.chats.get(chatId);
    this.ctx.countUnread(chat && chat.unread_count && chat.status === "active" ? -1 : 0);
    if (!chat || !chat.unread_count) return;
    chat.unread_count = 0;
    this.update(chat);
    this.afterChange();
  }

  presence(chatId) {
    const chat = this.chats.get(chatId);
    if (chat) this.update(chat);
  }

  setOpen(oldId, newId) {
    for (const id of [oldId, newId]) {
      const chat = this.chats.get(id);
      if (chat) this.update(chat);
    }
  }
}
