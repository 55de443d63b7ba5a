// The agent's unsent messages, kept for the life of the page (not of one
// conversation view): each has a client_id made once and is sent over the agent
// socket until its ack (or the stored message) comes back; unanswered after
// 10 s, or after a reconnect, it goes again with the SAME client_id, which the
// server stores only once. Switching chats or pages loses nothing.

import { agentSocket } from "../../socket.js";
import { uuid } from "./format.js";

const RESEND_MS = 10_000;
const RETRYABLE = new Set(["rate_limited", "unavailable", "server_error"]);

class Outbox extends EventTarget {
  constructor() {
    super();
    this.entries = new Map(); // client_id -> {chatId, content, attachment, sentAt, failed}
    agentSocket.addEventListener("message", (e) => this.settle(e.detail.client_id, e.detail));
    agentSocket.addEventListener("error", (e) => this.refused(e.detail));
    agentSocket.addEventListener("synced", () => this.flush(true));
    setInterval(() => this.flush(false), 1_000);
  }

  changed(clientId) {
    this.dispatchEvent(new CustomEvent("change", { detail: clientId }));
  }

  add(chatId, content, attachment) {
    const clientId = uuid();
    this.entries.set(clientId, { chatId, content, attachment, sentAt: 0, failed: null });
    this.flush(false);
    return clientId;
  }

  get(clientId) {
    return this.entries.get(clientId);
  }

  forChat(chatId) {
    return [...this.entries].filter(([, entry]) => entry.chatId === chatId);
  }

  /** The message with this client_id is stored: nothing more to send. */
  settle(clientId, message) {
    if (!clientId || !this.entries.has(clientId)) return;
    if (message && message.sender_type !== "agent") return;
    this.entries.delete(clientId);
    this.changed(clientId);
  }

  /** Send what has no ack yet: new entries at once, unanswered ones again after
   * RESEND_MS, or all at once (`now`) after a reconnect. */
  flush(now) {
    const t = Date.now();
    for (const [clientId, entry] of this.entries) {
      if (entry.failed) continue;
      if (entry.sentAt && !now && t - entry.sentAt < RESEND_MS) continue;
      const frame = { type: "message", chat_id: entry.chatId, content: entry.content, client_id: clientId };
      if (entry.attachment) frame.attachment_id = entry.attachment.id;
      if (agentSocket.send(frame)) entry.sentAt = t;
    }
  }

  refused(frame) {
    const entry = frame && frame.client_id ? this.entries.get(frame.client_id) : null;
    if (!entry || RETRYABLE.has(frame.code)) return; // sent again after the resend delay
    entry.failed = { code: frame.code, message: frame.message || frame.code };
    this.changed(frame.client_id);
  }

  retry(clientId) {
    const entry = this.entries.get(clientId);
    if (!entry) return;
    entry.failed = null;
    entry.sentAt = 0;
    this.changed(clientId);
    this.flush(false);
  }

  discard(clientId) {
    if (this.entries.delete(clientId)) this.changed(clientId);
  }

  /** Another agent signed in on this page: their messages are not ours to send. */
  clear() {
    const ids = [...this.entries.keys()];
    this.entries.clear();
    for (const id of ids) this.changed(id);
  }
}

export const outbox = new Outbox();
