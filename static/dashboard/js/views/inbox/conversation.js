// One conversation: its history (the last page first, older pages as the agent
// scrolls up), live messages exactly once and in seq order (agentSocket.watch),
// the visitor's typing, read receipts both ways, optimistic sending with one
// client_id per message (the page-wide outbox resends it until stored, never
// shown twice), attachments, assign and close.

import { api } from "../../api.js";
import { agentSocket } from "../../socket.js";
import { confirmDialog, errorState, fill, h, loading, timeEl } from "../../ui.js";
import { fileSize, safeUrl, visitorName } from "./format.js";
import { outbox } from "./outbox.js";
import { VisitorPanel } from "./visitor.js";

const PAGE = 50;
const TYPING_IDLE_MS = 4_000;
const TYPING_SHOWN_MS = 8_000;

export class Conversation {
  constructor(ctx, chatId) {
    this.ctx = ctx;
    this.id = chatId;
    this.chat = null;
    this.firstSeq = 1; // the oldest seq shown
    this.lastSeq = 0; // the newest seq shown
    this.lastVisitorSeq = 0;
    this.readSent = 0;
    this.seenSeq = 0;
    this.bubbles = new Map(); // client_id -> the optimistic <li> of an unsent message
    this.loaded = false;
    this.closedView = false;
    this.listeners = [];
    this.typingOut = false;
    this.typingOutAt = 0;

    this.title = h("h2", { id: "conv-title", tabindex: "-1" }, "Loading chat…");
    this.statusEl = h("p", { class: "conv-status" });
    this.assignWrap = h("div", { class: "conv-assign" });
    this.closeBtn = h("button", { type: "button", class: "secondary", onclick: () => this.close() }, "Close chat");
    this.visitorToggle = h(
      "button",
      {
        type: "button",
        class: "secondary conv-visitor-toggle",
        "aria-expanded": "false",
        "aria-controls": "visitor-panel",
        onclick: () => this.ctx.toggleVisitor(),
      },
      "Visitor details",
    );
    this.older = h(
      "button",
      { type: "button", class: "secondary conv-older", hidden: true, onclick: () => this.loadOlder() },
      "Load earlier messages",
    );
    this.list = h("ol", { class: "messages" });
    this.log = h(
      "div",
      {
        class: "conv-log",
        role: "log",
        "aria-live": "polite",
        "aria-relevant": "additions",
        "aria-label": "Messages",
        tabindex: "0",
        "aria-busy": "true",
      },
      this.older,
      this.list,
    );
    this.log.addEventListener("scroll", () => {
      if (this.log.scrollTop < 80) this.loadOlder();
    });
    this.typing = h("p", { class: "conv-typing", role: "status", "aria-live": "polite" });
    this.input = h("textarea", { id: "conv-input", rows: "2", maxlength: "4000", autocomplete: "off" });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => this.typed());
    this.input.addEventListener("blur", () => this.stopTyping());
    this.file = h("input", { type: "file", id: "conv-file", class: "visually-hidden" });
    this.file.addEventListener("change", () => this.attach());
    this.formError = h("p", { class: "form-error", role: "alert", hidden: true });
    this.sendBtn = h("button", { type: "submit" }, "Send");
    this.form = h(
      "form",
      { class: "composer", "aria-label": "Reply" },
      this.formError,
      h("label", { for: "conv-input", class: "visually-hidden" }, "Message"),
      this.input,
      h(
        "div",
        { class: "composer-actions" },
        this.file,
        h("label", { for: "conv-file", class: "button secondary composer-attach" }, "Attach a file"),
        this.sendBtn,
      ),
    );
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.submit();
    });
    this.body = h("div", { class: "conv-body" }, loading("Loading messages…"));
    this.el = h(
      "section",
      { class: "inbox-conv", "aria-labelledby": "conv-title" },
      h(
        "div",
        { class: "conv-head" },
        h("a", { href: "#/inbox", class: "conv-back" }, "← All chats"),
        h("div", { class: "conv-heading" }, this.title, this.statusEl),
        h("div", { class: "conv-actions" }, this.assignWrap, this.closeBtn, this.visitorToggle),
      ),
      this.body,
    );
    this.panel = new VisitorPanel(ctx, chatId, () => this.ctx.toggleVisitor(false));
  }

  on(type, fn) {
    agentSocket.addEventListener(type, fn);
    this.listeners.push([type, fn]);
  }

  async start() {
    this.on("message", (e) => this.received(e.detail));
    this.on("typing", (e) => this.visitorTyping(e.detail));
    this.on("read", (e) => this.readFrame(e.detail));
    this.on("chat_status", (e) => this.statusFrame(e.detail));
    this.on("ready", () => {
      // Back online: what failed to load loads again.
      if (this.panel.failed) this.panel.load();
      if (this.failed) this.load();
      else this.resync();
    });
    this.on("synced", () => this.markRead());
    this.onOutbox = (e) => {
      if (this.loaded && (this.bubbles.has(e.detail) || outbox.get(e.detail)?.chatId === this.id)) {
        this.drawBubble(e.detail);
      }
    };
    outbox.addEventListener("change", this.onOutbox);
    this.visibility = () => this.markRead();
    document.addEventListener("visibilitychange", this.visibility);
    this.panel.load();
    await this.load();
  }

  destroy() {
    this.destroyed = true;
    this.stopTyping();
    for (const [type, fn] of this.listeners) agentSocket.removeEventListener(type, fn);
    outbox.removeEventListener("change", this.onOutbox);
    clearTimeout(this.typingTimer);
    clearTimeout(this.typingShownTimer);
    document.removeEventListener("visibilitychange", this.visibility);
    agentSocket.unwatch(this.id);
  }

  // --- loading -----------------------------------------------------------------

  async load() {
    this.failed = false;
    fill(this.body, loading("Loading messages…"));
    let messages = [];
    try {
      this.chat = await api.get(`/api/v1/chats/${this.id}`);
      this.drawHead();
      // The last page first: start 50 before the newest seq the chat reported,
      // then page forward until the end (messages may have come meanwhile).
      const newest = this.chat.last_message ? this.chat.last_message.seq : this.chat.message_count || 0;
      let after = Math.max(0, newest - PAGE);
      for (;;) {
        const page = await api.get(`/api/v1/chats/${this.id}/messages`, { after, limit: 200 });
        messages = messages.concat(page.results);
        if (page.next_after === null || page.next_after === undefined) break;
        after = page.next_after;
      }
    } catch (err) {
      if (this.destroyed) return;
      this.failed = true;
      this.title.textContent = "Chat";
      fill(this.body, errorState(err, () => this.load()));
      return;
    }
    if (this.destroyed) return;
    fill(this.body, this.log, this.typing, this.form);
    this.list.replaceChildren();
    this.firstSeq = messages.length ? messages[0].seq : this.lastSeq + 1;
    for (const m of messages) {
      outbox.settle(m.client_id, m); // stored already: its ack was lost
      this.appendStored(m);
    }
    for (const [clientId] of outbox.forChat(this.id)) this.drawBubble(clientId);
    this.older.hidden = this.firstSeq <= 1;
    this.log.removeAttribute("aria-busy");
    this.loaded = true;
    // From here on the socket hands us each later message once, in order. One
    // that came between the REST read and this line (or while the socket was
    // not open) is fetched by a sync (syncs have a budget: only when needed).
    agentSocket.watch(this.id, this.lastSeq);
    if (agentSocket.state !== "open") this.missed = true; // not ready: events may be missed
    this.resync();
    this.drawComposer();
    this.drawSeen();
    this.scrollToEnd();
    this.markRead();
  }

  resync() {
    if (!this.loaded || !this.missed) return;
    if (agentSocket.send({ type: "sync", chats: { [String(this.id)]: this.lastSeq } })) this.missed = false;
  }

  async loadOlder() {
    if (!this.loaded || this.loadingOlder || this.firstSeq <= 1) return;
    this.loadingOlder = true;
    this.older.disabled = true;
    this.log.setAttribute("aria-busy", "true");
    const after = Math.max(0, this.firstSeq - 1 - PAGE);
    try {
      const page = await api.get(`/api/v1/chats/${this.id}/messages`, { after, limit: this.firstSeq - 1 - after });
      if (this.destroyed) return;
      const older = page.results.filter((m) => m.seq < this.firstSeq);
      const height = this.log.scrollHeight;
      const top = this.log.scrollTop;
      const frag = document.createDocumentFragment();
      for (const m of older) frag.append(this.messageEl(m));
      this.list.prepend(frag);
      this.drawSeen();
      if (older.length) this.firstSeq = older[0].seq;
      else this.firstSeq = 1;
      this.log.scrollTop = top + (this.log.scrollHeight - height); // the agent's place stays put
      this.older.hidden = this.firstSeq <= 1;
    } catch (err) {
      this.ctx.say(`Could not load earlier messages: ${err.message}`);
    } finally {
      this.loadingOlder = false;
      this.older.disabled = false;
      this.log.removeAttribute("aria-busy");
    }
  }

  // --- drawing -----------------------------------------------------------------

  drawHead() {
    const chat = this.chat;
    this.title.textContent = visitorName(chat);
    const site = this.ctx.websites.get(chat.website_id);
    const online = this.ctx.online.get(chat.id);
    this.statusEl.textContent = [
      site ? site.name : null,
      chat.status === "closed" ? "Closed" : "Active",
      online === undefined ? null : online ? "Visitor online" : "Visitor offline",
    ]
      .filter(Boolean)
      .join(" · ");
    this.closeBtn.hidden = chat.status === "closed";
    this.drawAssign();
  }

  async drawAssign() {
    const chat = this.chat;
    const me = this.ctx.user.id;
    const members = await this.ctx.members(chat.website_id);
    if (this.destroyed) return;
    const select = h(
      "select",
      { id: "conv-assignee", onchange: (e) => this.assign(e.target.value ? Number(e.target.value) : null) },
      h("option", { value: "", selected: chat.assigned_to === null }, "Nobody"),
      members.map((m) =>
        h(
          "option",
          { value: String(m.user.id), selected: m.user.id === chat.assigned_to },
          m.user.id === me ? `${m.user.name || m.user.email} (you)` : m.user.name || m.user.email,
        ),
      ),
    );
    fill(
      this.assignWrap,
      h("label", { for: "conv-assignee" }, "Assigned to"),
      select,
      chat.assigned_to === me || chat.status === "closed"
        ? null
        : h("button", { type: "button", class: "secondary", onclick: () => this.assign(me) }, "Assign to me"),
    );
    select.disabled = chat.status === "closed";
  }

  drawComposer() {
    const closed = this.chat.status === "closed";
    this.input.disabled = closed;
    this.file.disabled = closed;
    this.sendBtn.disabled = closed;
    this.input.placeholder = closed ? "This chat is closed." : "";
    this.form.classList.toggle("is-closed", closed);
  }

  senderName(m) {
    if (m.sender_type === "visitor") return visitorName(this.chat);
    if (m.sender_type === "bot" || m.is_from_bot) return "Bot";
    if (m.sender_type === "system") return "Chatelly";
    if (m.sender_id === String(this.ctx.user.id)) return "You";
    const member = this.ctx.memberName(this.chat.website_id, m.sender_id);
    return member || "Agent";
  }

  attachmentEl(a) {
    const url = safeUrl(a.url);
    if (!url) return h("p", { class: "msg-file" }, a.name);
    if ((a.content_type || "").startsWith("image/") && !/svg/i.test(a.content_type)) {
      return h(
        "a",
        { href: url, target: "_blank", rel: "noopener", class: "msg-image" },
        h("img", { src: url, alt: a.name, loading: "lazy" }),
      );
    }
    return h("a", { href: url, download: a.name, class: "msg-file" }, `${a.name} (${fileSize(a.size)})`);
  }

  messageEl(m) {
    // The visitor read it before this page loaded (read_at): "Seen" after a reload too.
    if (m.sender_type !== "visitor" && m.read_at) this.seenSeq = Math.max(this.seenSeq, m.seq);
    const kind = m.is_from_bot ? "bot" : m.sender_type;
    return h(
      "li",
      { class: `msg msg-${kind}`, dataset: { seq: m.seq, sender: m.sender_type } },
      h("span", { class: "msg-who" }, this.senderName(m)),
      m.content ? h("p", { class: "msg-text" }, m.content) : null,
      m.attachment ? this.attachmentEl(m.attachment) : null,
      h(
        "span",
        { class: "msg-meta" },
        timeEl(m.created_at),
        m.sender_type === "agent" ? h("span", { class: "msg-seen" }, m.seq <= this.seenSeq ? "Seen" : "") : null,
      ),
    );
  }

  firstPending() {
    return this.list.querySelector("li.msg-pending");
  }

  appendStored(m) {
    if (m.seq <= this.lastSeq) return false;
    this.list.insertBefore(this.messageEl(m), this.firstPending());
    this.lastSeq = m.seq;
    if (m.sender_type === "visitor") this.lastVisitorSeq = m.seq;
    return true;
  }

  nearEnd() {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 120;
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  // --- live --------------------------------------------------------------------

  received(m) {
    if (m.chat_id !== this.id) return;
    if (!this.loaded) {
      this.missed = true; // the REST read may not have it: sync once loaded
      return;
    }
    const stick = this.nearEnd();
    // Our own message stored: its bubble goes (the outbox settled it) and the
    // message takes its place in seq order.
    const mine = m.sender_type === "agent" && m.sender_id === String(this.ctx.user.id);
    if (m.client_id && this.bubbles.has(m.client_id)) this.drawBubble(m.client_id);
    if (!this.appendStored(m)) return;
    if (m.sender_type === "visitor") this.showTyping(false);
    if (stick || mine) this.scrollToEnd();
    this.markRead();
    this.drawSeen();
  }

  visitorTyping(frame) {
    if (frame.chat_id !== this.id || frame.from !== "visitor") return;
    this.showTyping(frame.is_typing);
  }

  showTyping(on) {
    clearTimeout(this.typingShownTimer);
    const text = on ? "Visitor is typing…" : "";
    if (this.typing.textContent !== text) this.typing.textContent = text;
    if (on) this.typingShownTimer = setTimeout(() => this.showTyping(false), TYPING_SHOWN_MS);
  }

  readFrame(frame) {
    if (frame.chat_id !== this.id) return;
    if (frame.by === "visitor") {
      this.seenSeq = Math.max(this.seenSeq, frame.seq);
      this.drawSeen();
    } else {
      this.ctx.list.markRead(this.id); // another agent read it
    }
  }

  /** "Seen" under the newest agent message the visitor has read. */
  drawSeen() {
    let last = null;
    for (const el of this.list.querySelectorAll("li.msg-agent")) {
      const seen = el.querySelector(".msg-seen");
      if (seen) seen.textContent = "";
      if (Number(el.dataset.seq) <= this.seenSeq) last = seen;
    }
    if (last) last.textContent = "Seen";
  }

  statusFrame(frame) {
    if (frame.chat_id !== this.id || !this.chat) return;
    this.chat.status = frame.status;
    if (frame.assigned_to !== undefined) this.chat.assigned_to = frame.assigned_to;
    this.drawHead();
    this.drawComposer();
  }

  presence() {
    if (this.chat) this.drawHead();
    this.panel.setOnline(this.ctx.online.get(this.id));
  }

  /** Tell the server (and the visitor) the agent has seen the visitor's messages. */
  markRead() {
    if (!this.loaded || document.hidden || this.ctx.openChatId !== this.id) return;
    this.ctx.list.markRead(this.id);
    if (this.lastVisitorSeq <= this.readSent) return;
    if (agentSocket.send({ type: "read", chat_id: this.id, seq: this.lastVisitorSeq })) {
      this.readSent = this.lastVisitorSeq;
    }
  }

  // --- sending -----------------------------------------------------------------

  typed() {
    if (!this.loaded || this.chat.status === "closed") return;
    const now = Date.now();
    if (!this.typingOut || now - this.typingOutAt > 3_000) {
      if (agentSocket.send({ type: "typing", chat_id: this.id, is_typing: true })) {
        this.typingOut = true;
        this.typingOutAt = now;
      }
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.typingTimer);
    if (!this.typingOut) return;
    this.typingOut = false;
    agentSocket.send({ type: "typing", chat_id: this.id, is_typing: false });
  }

  showFormError(text) {
    this.formError.textContent = text || "";
    this.formError.hidden = !text;
  }

  submit() {
    const content = this.input.value;
    if (!content.trim() || !this.loaded || this.chat.status === "closed") return;
    this.showFormError(null);
    this.input.value = "";
    this.stopTyping();
    this.queue(content, null);
  }

  queue(content, attachment) {
    const clientId = outbox.add(this.id, content, attachment);
    this.drawBubble(clientId);
    this.scrollToEnd();
  }

  /** The optimistic bubble of an unsent message: "Sending…", or why it failed. */
  drawBubble(clientId) {
    const entry = outbox.get(clientId);
    const old = this.bubbles.get(clientId);
    if (!entry) {
      if (old) old.remove(); // stored (its message takes the place) or discarded
      this.bubbles.delete(clientId);
      return;
    }
    const failed = entry.failed;
    const el = h(
      "li",
      { class: "msg msg-agent msg-pending", dataset: { clientId } },
      h("span", { class: "msg-who" }, "You"),
      entry.content ? h("p", { class: "msg-text" }, entry.content) : null,
      entry.attachment ? h("p", { class: "msg-file" }, entry.attachment.name) : null,
      h(
        "span",
        { class: "msg-meta" },
        failed
          ? h(
              "span",
              { class: "msg-failed" },
              `Not sent: ${failed.message}`,
              " ",
              h("button", { type: "button", class: "link-button", onclick: () => outbox.retry(clientId) }, "Retry"),
              h(
                "button",
                {
                  type: "button",
                  class: "link-button",
                  onclick: () => {
                    outbox.discard(clientId);
                    this.input.focus();
                  },
                },
                "Discard",
              ),
            )
          : h("span", { class: "msg-sending" }, "Sending…"),
      ),
    );
    if (old) old.replaceWith(el);
    else this.list.append(el);
    this.bubbles.set(clientId, el);
    if (failed && failed.code === "chat_closed" && this.chat.status !== "closed") {
      this.chat.status = "closed";
      this.drawHead();
      this.drawComposer();
    }
  }

  async attach() {
    const file = this.file.files[0];
    if (!file) return;
    this.file.value = "";
    this.showFormError(null);
    const form = new FormData();
    form.append("file", file);
    form.append("website_id", String(this.chat.website_id));
    this.ctx.say(`Uploading ${file.name}…`);
    try {
      const attachment = await api.upload("/api/v1/uploads", form);
      if (this.destroyed) return;
      const text = this.input.value.trim() ? this.input.value : "";
      this.input.value = "";
      this.queue(text, attachment);
    } catch (err) {
      this.showFormError(`Could not upload ${file.name}: ${(err.details && err.details.file) || err.message}`);
    }
  }

  // --- assign and close --------------------------------------------------------

  async assign(userId) {
    try {
      this.chat = { ...this.chat, ...(await api.post(`/api/v1/chats/${this.id}/assign`, { user_id: userId })) };
      this.ctx.say(userId === null ? "Chat unassigned." : userId === this.ctx.user.id ? "Assigned to you." : "Chat assigned.");
      this.ctx.list.chatStatus({ chat_id: this.id, status: this.chat.status, assigned_to: this.chat.assigned_to });
    } catch (err) {
      this.ctx.say(`Could not assign: ${err.message}`);
    }
    this.drawHead();
  }

  async close() {
    const ok = await confirmDialog(
      "Close this chat?",
      "The visitor is told the chat has ended; their next message starts a new chat.",
      "Close chat",
    );
    if (!ok) return;
    try {
      this.chat = { ...this.chat, ...(await api.post(`/api/v1/chats/${this.id}/close`, {})) };
      this.ctx.say("Chat closed.");
      this.ctx.list.chatStatus({ chat_id: this.id, status: "closed", assigned_to: this.chat.assigned_to });
    } catch (err) {
      this.ctx.say(`Could not close the chat: ${err.message}`);
    }
    this.drawHead();
    this.drawComposer();
    this.title.focus();
  }
}
