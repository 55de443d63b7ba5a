// The inbox, the agent's workday: the chat list, the open conversation and the
// visitor panel side by side on wide screens, as two screens on a phone.
// #/inbox and #/inbox/<chatId>. The list survives moving between chats (only
// the conversation is replaced); it goes when the agent leaves the inbox.

import { api, currentUser } from "../api.js";
import { agentSocket } from "../socket.js";
import { announce, emptyState, fill, h } from "../ui.js";
import { Conversation } from "./inbox/conversation.js";
import { ChatList } from "./inbox/list.js";
import { outbox } from "./inbox/outbox.js";

const UNREAD_RECOUNT_MS = 700;

let inbox = null;
let lastUserId = null;

class Inbox {
  constructor(user, websites) {
    this.user = user;
    this.websites = new Map(websites.map((w) => [w.id, w]));
    this.online = new Map(); // chat id -> visitor online (from visitor_presence)
    this.memberCache = new Map(); // website id -> Promise<[Member]>
    this.memberNames = new Map(); // website id -> Map(user id string -> name)
    this.openChatId = null;
    this.conv = null;
    this.listeners = [];
    this.list = new ChatList(this);
    // Active chats with a visitor message no agent has read, on every website:
    // the server's count, nudged by live frames until the next count arrives.
    this.unreadTotal = 0;
    this.unreadVersion = 0;
    this.unreadTimer = null;
    this.convSlot = h(
      "section",
      { class: "inbox-conv inbox-none", "aria-label": "Conversation" },
      emptyState("Choose a chat to read and answer it."),
    );
    this.visitorSlot = h("div", { class: "inbox-visitor-slot" });
    this.el = h("div", { class: "inbox" }, this.list.el, this.convSlot, this.visitorSlot);
    this.el.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.el.classList.contains("show-visitor")) this.toggleVisitor(false);
    });

    this.on("chat_started", (e) => this.list.chatStarted(e.detail.chat));
    this.on("message", (e) => this.list.message(e.detail));
    this.on("chat_status", (e) => this.list.chatStatus(e.detail));
    this.on("read", (e) => {
      if (e.detail.by === "agent") this.list.markRead(e.detail.chat_id);
    });
    this.on("visitor_presence", (e) => {
      this.online.set(e.detail.chat_id, e.detail.online);
      this.list.presence(e.detail.chat_id);
      if (this.conv && this.conv.id === e.detail.chat_id) this.conv.presence();
    });
    this.on("resumed", () => {
      this.list.load(); // chats may have started while we were away
      this.countUnread(0);
    });
    this.on("ready", () => {
      if (!this.list.loadedLive) this.list.load(); // loaded before the socket was open
      this.countUnread(0);
    });
    this.on("forbidden", () => this.list.load());
    this.visibility = () => this.unreadChanged();
    document.addEventListener("visibilitychange", this.visibility);
  }

  on(type, fn) {
    agentSocket.addEventListener(type, fn);
    this.listeners.push([type, fn]);
  }

  destroy() {
    for (const [type, fn] of this.listeners) agentSocket.removeEventListener(type, fn);
    document.removeEventListener("visibilitychange", this.visibility);
    clearTimeout(this.unreadTimer);
    this.destroyed = true;
    if (this.conv) this.conv.destroy();
    this.conv = null;
    document.title = document.title.replace(/^\(\d+\) /, "");
  }

  say(text) {
    announce(text);
  }

  /** The agent has this chat in front of them (open, tab visible). */
  seeing(chatId) {
    return chatId === this.openChatId && !document.hidden && Boolean(this.conv && this.conv.loaded);
  }

  unreadChanged() {
    if (this.destroyed || (!location.hash.startsWith("#/inbox") && location.hash !== "")) return;
    const n = this.unreadTotal;
    document.title = `${n ? `(${n}) ` : ""}Inbox · Chatelly`;
  }

  /** A frame changed the unread chats by `delta` (0: maybe): show it now, ask
   * the server for the exact count a moment later. */
  countUnread(delta) {
    if (delta) {
      this.unreadTotal = Math.max(0, this.unreadTotal + delta);
      this.unreadVersion += 1;
      this.unreadChanged();
    }
    clearTimeout(this.unreadTimer);
    this.unreadTimer = setTimeout(() => this.fetchUnread(), UNREAD_RECOUNT_MS);
  }

  async fetchUnread() {
    const version = this.unreadVersion;
    try {
      const page = await api.get("/api/v1/chats", { status: "active", unread: "true", page_size: 1 });
      if (this.destroyed || version !== this.unreadVersion) return; // a newer frame: another count comes
      this.unreadTotal = page.count;
      this.unreadChanged();
    } catch {
      // the next frame or reconnect counts again
    }
  }

  members(websiteId) {
    if (!this.memberCache.has(websiteId)) {
      const promise = api
        .get(`/api/v1/websites/${websiteId}/members`, { page_size: 100 })
        .then((page) => {
          const names = new Map(page.results.map((m) => [String(m.user.id), m.user.name || m.user.email]));
          this.memberNames.set(websiteId, names);
          return page.results;
        })
        .catch(() => {
          this.memberCache.delete(websiteId);
          return [];
        });
      this.memberCache.set(websiteId, promise);
    }
    return this.memberCache.get(websiteId);
  }

  memberName(websiteId, userId) {
    const names = this.memberNames.get(websiteId);
    return names ? names.get(userId) : null;
  }

  toggleVisitor(force) {
    const show = force === undefined ? !this.el.classList.contains("show-visitor") : force;
    this.el.classList.toggle("show-visitor", show);
    if (this.conv) {
      this.conv.visitorToggle.setAttribute("aria-expanded", String(show));
      if (show) this.conv.panel.el.focus();
      else this.conv.visitorToggle.focus();
    }
  }

  open(chatId) {
    if (chatId === this.openChatId && this.conv) return;
    const old = this.openChatId;
    this.close();
    this.openChatId = chatId;
    this.el.classList.toggle("has-open", chatId !== null);
    this.el.classList.remove("show-visitor");
    this.list.setOpen(old, chatId);
    if (chatId === null) {
      this.convSlot.hidden = false;
      fill(this.visitorSlot);
      // Back on the list (a phone's first screen): focus the chat just left.
      const row = old !== null && this.list.rows.get(old);
      if (row && getComputedStyle(this.convSlot).display === "none") row.querySelector("a").focus();
      return;
    }
    this.convSlot.hidden = true;
    const conv = new Conversation(this, chatId);
    this.conv = conv;
    this.convSlot.after(conv.el);
    fill(this.visitorSlot, conv.panel.el);
    conv.title.focus({ preventScroll: true });
    conv.start();
  }

  close() {
    if (this.conv) {
      this.conv.destroy();
      this.conv.el.remove();
    }
    this.conv = null;
  }
}

export async function render(main, params) {
  const chatId = params && params[0] ? Number(params[0]) : null;
  const user = currentUser();
  if (lastUserId !== null && lastUserId !== user.id) outbox.clear(); // another agent on this page
  lastUserId = user.id;
  if (inbox && (!user || inbox.user.id !== user.id)) {
    inbox.destroy();
    inbox = null;
  }
  if (!inbox) {
    const websites = await api.get("/api/v1/websites", { page_size: 100 });
    inbox = new Inbox(user, websites.results);
    inbox.list.load();
    inbox.fetchUnread();
  }
  const current = inbox;
  main.classList.add("main-inbox");
  fill(main, current.el);
  if (current.listScroll) current.list.scroller.scrollTop = current.listScroll;
  if (current.openChatId !== chatId) {
    current.close();
    current.open(chatId);
  } else if (current.conv) {
    current.conv.scrollToEnd();
  }
  current.unreadChanged();
  return () => {
    current.listScroll = current.list.scroller.scrollTop;
    if (location.hash.startsWith("#/inbox") && inbox === current) return; // the next render reuses it
    main.classList.remove("main-inbox");
    current.destroy();
    if (inbox === current) inbox = null;
  };
}
