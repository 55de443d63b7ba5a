// The agent socket (/ws/agent/), kept open all day.
//
// Messages reach the views exactly once and in `seq` order per chat: a chat the
// inbox watches has a last seq; a frame at or below it is a duplicate and is
// dropped, one past a gap is held while a `sync` fetches what is missing. On
// every reconnect a banner shows and a `sync` of every watched chat runs; the
// banner goes when `synced` comes. A socket that has heard nothing for a while
// is presumed dead and replaced (a half-open connection never closes by itself).

import { api, renew } from "./api.js";

const PING_MS = 25_000;
const SILENT_MS = 65_000;
const MAX_BACKOFF_MS = 15_000;

export class AgentSocket extends EventTarget {
  constructor() {
    super();
    this.seqs = new Map(); // chat id -> last seq delivered (watched chats)
    this.held = new Map(); // chat id -> Map(seq -> message) waiting for a gap to fill
    this.ws = null;
    this.stopped = true;
    this.attempt = 0;
    this.everOpen = false;
    this.websites = [];
    this.lastFrameAt = 0;
    this.timer = null;
    this.retryTimer = null;
    // The browser knows the network went: drop the socket now rather than wait
    // for silence, and reconnect as soon as it is back.
    this.onOffline = () => this.drop();
    this.onOnline = () => {
      if (this.ws || this.stopped || !this.retryTimer) return;
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.attempt = 0;
      this.connect();
    };
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
    this.timer = setInterval(() => this.beat(), PING_MS);
    window.addEventListener("offline", this.onOffline);
    window.addEventListener("online", this.onOnline);
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    window.removeEventListener("offline", this.onOffline);
    window.removeEventListener("online", this.onOnline);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
  }

  get open() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Send a frame; false when the socket is not open (the caller retries later). */
  send(frame) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  /** Deliver this chat's messages in order from after `seq` on. */
  watch(chatId, seq) {
    const known = this.seqs.get(chatId);
    if (known === undefined || seq > known) this.seqs.set(chatId, seq);
  }

  unwatch(chatId) {
    this.seqs.delete(chatId);
    this.held.delete(chatId);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  status(state) {
    this.state = state;
    this.emit("status", state);
  }

  async connect() {
    if (this.stopped) return;
    this.status(this.everOpen ? "reconnecting" : "connecting");
    let ticket;
    try {
      ticket = (await api.post("/api/v1/realtime/ticket", {})).ticket;
    } catch (err) {
      if (err.status === 401) return; // signed out: the session's listeners take over
      return this.retry();
    }
    if (this.stopped) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/agent/?ticket=${encodeURIComponent(ticket)}`);
    this.ws = ws;
    ws.addEventListener("message", (event) => this.receive(event.data));
    ws.addEventListener("close", (event) => this.closed(ws, event.code));
  }

  retry() {
    if (this.stopped) return;
    this.attempt += 1;
    const ceiling = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, ceiling / 2 + Math.random() * (ceiling / 2));
  }

  /** Give up on the current socket at once (its close event may come much later). */
  drop() {
    const ws = this.ws;
    if (!ws) return;
    ws.close(4000);
    this.closed(ws, 4000);
  }

  async closed(ws, code) {
    if (ws !== this.ws) return;
    this.ws = null;
    if (this.stopped) return;
    this.status(this.everOpen ? "reconnecting" : "connecting");
    if (code === 4401) {
      // Tokens revoked (password changed elsewhere): a new access token or sign out.
      if (!(await renew().catch(() => false))) return;
    }
    if (code === 4403) this.emit("forbidden", null); // a membership went: views reload
    this.retry();
  }

  beat() {
    if (!this.open) return;
    if (Date.now() - this.lastFrameAt > SILENT_MS) {
      this.ws.close(4000); // presumed dead; `close` reconnects
      return;
    }
    this.send({ type: "ping" });
  }

  receive(text) {
    this.lastFrameAt = Date.now();
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    switch (frame.type) {
      case "ready":
        return this.ready(frame);
      case "message":
        return this.deliver(frame.message, false);
      case "ack": // our own message, stored: it takes its place in the order too
        this.emit("ack", frame);
        return this.deliver(frame.message, false);
      case "history":
        for (const message of frame.messages) this.deliver(message, true);
        return;
      case "synced":
        this.status("open");
        return this.emit("synced", null);
      case "pong":
        return;
      default:
        return this.emit(frame.type, frame);
    }
  }

  ready(frame) {
    const reconnect = this.everOpen;
    this.everOpen = true;
    this.attempt = 0;
    this.websites = frame.websites;
    this.emit("ready", frame);
    if (!reconnect) return this.status("open");
    const chats = {};
    for (const [chatId, seq] of this.seqs) chats[chatId] = seq;
    this.send({ type: "sync", chats });
    this.emit("resumed", frame); // views reload their lists: chats may have started meanwhile
  }

  /** One message, at most once and in seq order for watched chats. */
  deliver(message, fromHistory) {
    const chatId = message.chat_id;
    const last = this.seqs.get(chatId);
    if (last === undefined) return this.emit("message", message);
    if (message.seq <= last) return; // seen already
    if (message.seq > last + 1) {
      if (!this.held.has(chatId)) this.held.set(chatId, new Map());
      this.held.get(chatId).set(message.seq, message);
      if (!fromHistory) this.send({ type: "sync", chats: { [chatId]: last } });
      return;
    }
    this.seqs.set(chatId, message.seq);
    this.emit("message", message);
    const held = this.held.get(chatId);
    if (held && held.has(message.seq + 1)) {
      const next = held.get(message.seq + 1);
      held.delete(message.seq + 1);
      this.deliver(next, true);
    }
  }
}

export const agentSocket = new AgentSocket();
