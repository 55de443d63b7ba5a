/* Chatelly widget UI. Plain JavaScript, no dependencies; everything lives in a
 * shadow root, and every piece of text is inserted as text, never as HTML. */
(function (w, d) {
  "use strict";
  if (w.__chatellyApp) return;

  var CSS = [
    /* The host element is positioned here, with !important: rules inside a shadow
       root win over the page's !important ones, so no page CSS can move or hide it. */
    ":host{all:initial !important;display:block !important;position:fixed !important;",
    "z-index:2147483000 !important;bottom:20px !important;right:20px !important;left:auto !important;",
    "top:auto !important;width:auto !important;height:auto !important;opacity:1 !important;",
    "visibility:visible !important;transform:none !important}",
    ":host([data-side=left]){left:20px !important;right:auto !important}",
    ".root{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#111827;",
    "-webkit-font-smoothing:antialiased;--accent:#2563eb}",
    ":where(.root *){box-sizing:border-box;font:inherit;color:inherit;margin:0}",
    "button{cursor:pointer;border:0;background:none;padding:0}",
    "[hidden]{display:none !important}",
    ".launcher{position:relative;width:56px;height:56px;border-radius:50%;background:var(--accent);",
    "color:#fff;box-shadow:0 6px 18px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}",
    ".launcher svg{width:26px;height:26px;fill:#fff}",
    ".launcher:focus-visible,.panel button:focus-visible,.panel textarea:focus-visible,.panel input:focus-visible",
    "{outline:3px solid #f59e0b;outline-offset:2px}",
    ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;",
    "background:#dc2626;color:#fff;font-size:12px;font-weight:700;line-height:20px;text-align:center}",
    ".panel{position:fixed;bottom:88px;width:360px;height:540px;max-height:calc(100vh - 110px);",
    "background:#fff;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.25);display:flex;",
    "flex-direction:column;overflow:hidden}",
    ".right .panel{right:20px}.left .panel{left:20px}",
    "header{background:var(--accent);color:#fff;padding:14px 16px;display:flex;align-items:flex-start;gap:8px}",
    "header .titles{flex:1;min-width:0}",
    "header h2{font-size:16px;font-weight:700}",
    "header p{font-size:13px;opacity:.9;white-space:pre-wrap}",
    ".close{color:#fff;font-size:22px;line-height:1;width:32px;height:32px;border-radius:6px}",
    ".status{padding:8px 16px;font-size:13px;background:#fef3c7;color:#78350f;white-space:pre-wrap}",
    ".log{flex:1;overflow-y:auto;padding:12px;display:flex;flex-direction:column;gap:8px;background:#f9fafb}",
    ".msg{max-width:80%;padding:8px 12px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word;",
    "overflow-wrap:anywhere}",
    ".msg.visitor{align-self:flex-end;background:var(--accent);color:#fff;border-bottom-right-radius:4px}",
    ".msg.agent,.msg.bot,.msg.system{align-self:flex-start;background:#fff;border:1px solid #e5e7eb;",
    "border-bottom-left-radius:4px}",
    ".msg.bot{background:#eef2ff}",
    ".who{display:block;font-size:11px;font-weight:700;opacity:.7;margin-bottom:2px}",
    ".msg.pending{opacity:.6}.msg.failed{opacity:1;outline:2px solid #dc2626}",
    ".msg img{display:block;max-width:100%;max-height:180px;border-radius:8px;margin-top:4px}",
    ".msg a{text-decoration:underline}",
    ".retry{display:block;margin-top:4px;font-size:12px;text-decoration:underline;color:inherit}",
    ".typing{padding:0 16px 6px;font-size:12px;color:#6b7280;background:#f9fafb}",
    "form{display:flex;gap:6px;padding:10px;border-top:1px solid #e5e7eb;background:#fff;align-items:flex-end}",
    "form.email{flex-wrap:wrap}form.email label{width:100%;font-size:13px}",
    "textarea,input[type=email]{flex:1;min-width:0;border:1px solid #d1d5db;border-radius:8px;padding:8px;",
    "resize:none;max-height:120px;background:#fff}",
    ".send,.ok{background:var(--accent);color:#fff;border-radius:8px;padding:8px 12px;font-weight:600}",
    ".attach{width:36px;height:36px;border-radius:8px;display:flex;align-items:center;justify-content:center}",
    ".attach svg{width:20px;height:20px;fill:none;stroke:#4b5563;stroke-width:2}",
    "form.leave{flex-direction:column;align-items:stretch}form.leave label{font-size:13px}",
    ".done{padding:8px 16px;font-size:13px;background:#ecfdf5;color:#065f46}",
    ".back{font-weight:600}.error{color:#b91c1c;font-size:13px}.error:empty{display:none}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "@media (max-width:480px){.panel{inset:0;width:auto;height:auto;max-height:none;border-radius:0;",
    "bottom:0}.right .panel,.left .panel{left:0;right:0}",
    // The panel fills a phone's screen: the launcher would cover its buttons
    // (the panel has its own close button).
    ".launcher[aria-expanded=true]{display:none}}"
  ].join("");

  var ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";
  var CLIP = "M21 11l-8.5 8.5a5 5 0 0 1-7-7L14 4a3.5 3.5 0 0 1 5 5l-8.5 8.5a2 2 0 0 1-3-3L15 7";
  var SVG_NS = "http://www.w3.org/2000/svg";

  function icon(shape) {
    var svg = d.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    var path = d.createElementNS(SVG_NS, "path");
    path.setAttribute("d", shape);
    svg.appendChild(path);
    return svg;
  }

  function el(tag, attrs, text) {
    var node = d.createElement(tag);
    for (var name in attrs || {}) node.setAttribute(name, attrs[name]);
    if (text != null) node.textContent = text;
    return node;
  }

  function uid() {
    if (w.crypto && w.crypto.randomUUID) return w.crypto.randomUUID();
    var s = "";
    for (var i = 0; i < 4; i++) s += Math.random().toString(36).slice(2, 10);
    return s.slice(0, 32);
  }

  function store(key, value) {
    try {
      if (value === undefined) return w.localStorage.getItem(key);
      w.localStorage.setItem(key, value);
    } catch (e) { /* storage blocked: the visit still works */ }
    return null;
  }

  function Widget(key, base, config, state) {
    this.key = key;
    this.base = base;
    this.config = config;
    this.settings = config.settings || {};
    this.state = state;
    this.tokenKey = "chatelly:" + key + ":token";
    this.messages = {};       /* seq -> node, for the active chat */
    this.pending = {};        /* client_id -> {frame, node, timer} */
    this.chatId = null;
    this.lastSeq = 0;
    this.unread = 0;
    this.attempt = 0;
    this.stopped = false;
    this.chatKey = "chatelly:" + key + ":chat";
    this.needEmail = !!this.settings.require_email && !store("chatelly:" + key + ":email");
    /* Closed (config.mode): "hidden" shows nothing and "form" a leave-a-message form,
       unless this visitor has a chat going, who keeps their conversation. */
    var mode = config.mode || "live";
    if (mode !== "live" && (state.resumed || store(this.tokenKey) && store(this.chatKey))) mode = "live";
    if (mode === "hidden") { state.status = "hidden"; return; }
    this.formMode = mode === "form";
    this.build();
    if (this.formMode) state.status = "form";
    else this.connect();
    var self = this;
    w.addEventListener("online", function () { if (!self.ws) self.connect(); });
    w.addEventListener("popstate", function () { self.pageView(); });
    w.addEventListener("hashchange", function () { self.pageView(); });
  }

  Widget.prototype.build = function () {
    var s = this.settings, self = this;
    var host = (this.host = el("div", { "data-chatelly": this.key }));
    var side = s.position === "left" ? "left" : "right";
    host.setAttribute("data-side", side);
    var root = host.attachShadow({ mode: "open" });
    root.appendChild(el("style", null, CSS));
    var wrap = (this.root = el("div", { "class": "root " + side }));
    if (/^#[0-9a-fA-F]{6}$/.test(s.color || "")) wrap.style.setProperty("--accent", s.color);
    if (s.locale) wrap.setAttribute("lang", s.locale);
    root.appendChild(wrap);

    var title = s.title || this.config.name || "Chat";
    var panel = (this.panel = el("section", { "class": "panel", role: "dialog", "aria-label": title, hidden: "" }));
    var header = el("header");
    var titles = el("div", { "class": "titles" });
    titles.appendChild(el("h2", null, title));
    if (s.greeting) titles.appendChild(el("p", null, s.greeting));
    var back = this.backText();
    if (back) titles.appendChild(el("p", { "class": "back" }, back));
    header.appendChild(titles);
    var close = el("button", { "class": "close", type: "button", "aria-label": "Close chat" }, "\u00d7");
    close.addEventListener("click", function () { self.toggle(false); });
    header.appendChild(close);
    panel.appendChild(header);
    this.status = panel.appendChild(el("div", { "class": "status", role: "status", hidden: "" }));
    this.log = panel.appendChild(el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-label": "Messages", tabindex: "0" }));
    this.typing = panel.appendChild(el("div", { "class": "typing", "aria-live": "polite", hidden: "" }, "Agent is typing\u2026"));

    var email = (this.emailForm = el("form", { "class": "email", hidden: "" }));
    var emailId = "chatelly-email-" + this.key;
    email.appendChild(el("label", { "for": emailId }, "Your email, so we can reply"));
    this.emailInput = email.appendChild(el("input", { type: "email", id: emailId, required: "", autocomplete: "email" }));
    email.appendChild(el("button", { "class": "ok", type: "submit" }, "Continue"));
    email.addEventListener("submit", function (e) { e.preventDefault(); self.identify(); });
    panel.appendChild(email);
    if (this.formMode) this.buildLeave(panel);
    this.buildTranscript(panel);

    var form = (this.form = el("form", { "class": "composer" }));
    var file = (this.file = el("input", { type: "file", hidden: "", tabindex: "-1",
      accept: "image/png,image/jpeg,image/gif,image/webp,.pdf,.txt,.csv,.docx,.xlsx,.zip" }));
    var attach = el("button", { "class": "attach", type: "button", "aria-label": "Attach a file" });
    attach.appendChild(icon(CLIP));
    attach.addEventListener("click", function () { file.click(); });
    file.addEventListener("change", function () { if (file.files[0]) self.upload(file.files[0]); file.value = ""; });
    var input = (this.input = el("textarea", { rows: "1", "aria-label": "Message", placeholder: "Write a message\u2026" }));
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); self.submit(); }
    });
    input.addEventListener("input", function () { self.typed(); });
    form.appendChild(attach);
    form.appendChild(file);
    form.appendChild(input);
    form.appendChild(el("button", { "class": "send", type: "submit" }, "Send"));
    form.addEventListener("submit", function (e) { e.preventDefault(); self.submit(); });
    panel.appendChild(form);
    panel.addEventListener("keydown", function (e) { if (e.key === "Escape") self.toggle(false); });
    wrap.appendChild(panel);

    var launcher = (this.launcher = el("button", { "class": "launcher", type: "button",
      "aria-label": "Open chat: " + title, "aria-expanded": "false" }));
    launcher.appendChild(icon(ICON));
    this.badge = launcher.appendChild(el("span", { "class": "badge", hidden: "" }));
    launcher.addEventListener("click", function () { self.toggle(); });
    wrap.appendChild(launcher);
    (d.body || d.documentElement).appendChild(host);
    this.showOffline(this.config.agents_online);
  };

  Widget.prototype.backText = function () {
    var at = this.config.opens_at && new Date(this.config.opens_at), opts = { weekday: "long", month: "short",
      day: "numeric", hour: "numeric", minute: "2-digit" };
    if (!at || isNaN(at)) return "";
    try { return "We're back " + new Intl.DateTimeFormat(this.settings.locale || undefined, opts).format(at); }
    catch (e) { return "We're back " + new Intl.DateTimeFormat(undefined, opts).format(at); }
  };

  /* Leave a message: an email and a message, sent as identify + message over the socket. */
  Widget.prototype.buildLeave = function (panel) {
    var self = this, id = "chatelly-leave-" + this.key;
    var form = (this.leave = el("form", { "class": "leave", "aria-label": "Leave a message", novalidate: "" }));
    form.appendChild(el("label", { "for": id + "-email" }, "Your email (required)"));
    this.leaveEmail = form.appendChild(el("input", { type: "email", id: id + "-email", required: "", autocomplete: "email" }));
    form.appendChild(el("label", { "for": id + "-text" }, "Your message"));
    this.leaveText = form.appendChild(el("textarea", { id: id + "-text", rows: "4", required: "" }));
    this.leaveError = form.appendChild(el("p", { "class": "error", role: "alert" }));
    form.appendChild(el("button", { "class": "send", type: "submit" }, "Send"));
    form.addEventListener("submit", function (e) { e.preventDefault(); self.leaveMessage(); });
    panel.appendChild(form);
  };

  Widget.prototype.leaveMessage = function () {
    var email = this.leaveEmail.value.trim(), text = this.leaveText.value;
    this.leaveEmail.value = email;
    var bad = !email || !this.leaveEmail.checkValidity() ? this.leaveEmail : (!text.trim() ? this.leaveText : null);
    this.leaveEmail.setAttribute("aria-invalid", String(bad === this.leaveEmail));
    this.leaveText.setAttribute("aria-invalid", String(bad === this.leaveText));
    this.leaveError.textContent = bad ? (bad === this.leaveEmail ? "Enter a valid email address." : "Write a message.") : "";
    if (bad) return bad.focus();
    if (this.sentTo) return; /* sent once; a retry reuses the same client_id */
    this.sentTo = email;
    this.lead = { type: "identify", email: email };
    this.showEmail();
    this.queue({ type: "message", content: text, client_id: uid() }, { sender_type: "visitor", content: text });
    this.log.focus();
    this.connect();
  };

  /* After a chat ends: "Email me the transcript", to the address the visitor gave. */
  Widget.prototype.buildTranscript = function (panel) {
    var self = this, id = "chatelly-transcript-" + this.key;
    var form = (this.tr = el("form", { "class": "leave", "aria-label": "Transcript", novalidate: "", hidden: "" }));
    form.appendChild(el("label", { "for": id }, "Your email, for the transcript"));
    this.trEmail = form.appendChild(el("input", { type: "email", id: id, required: "", autocomplete: "email" }));
    this.trError = form.appendChild(el("p", { "class": "error", role: "alert" }));
    form.appendChild(el("button", { "class": "send", type: "submit" }, "Email me the transcript"));
    form.addEventListener("submit", function (e) { e.preventDefault(); self.sendTranscript(); });
    panel.appendChild(form);
    this.trDone = panel.appendChild(el("p", { "class": "done", role: "status", hidden: "" }));
  };

  Widget.prototype.ended = function (chatId) {
    this.endedChat = chatId;
    this.tr.hidden = !chatId;
    this.trDone.hidden = true;
    if (chatId && !this.trEmail.value) this.trEmail.value = this.email || "";
    this.showOffline(this.agentsOnline);
  };

  Widget.prototype.sendTranscript = function () {
    var self = this, input = this.trEmail, email = input.value.trim();
    input.value = email;
    var bad = !email || !input.checkValidity();
    input.setAttribute("aria-invalid", String(bad));
    this.trError.textContent = bad ? "Enter a valid email address." : "";
    if (bad) return input.focus();
    if (this.trBusy) return; /* a double click sends once */
    this.trBusy = true;
    w.fetch(this.base + "/widget/transcript", {
      method: "POST", mode: "cors", credentials: "omit",
      headers: { "Content-Type": "application/json", "X-Visitor-Token": store(this.tokenKey) || "" },
      body: JSON.stringify({ widget_key: this.key, chat_id: this.endedChat, email: email })
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    }).then(function (res) {
      self.trBusy = false;
      if (!res.ok) {
        self.trError.textContent = res.status === 429 ? "Too many requests; try again later." :
          (res.data.details && res.data.details.email) || res.data.message || "Not sent.";
        return;
      }
      self.tr.hidden = true;
      self.trDone.hidden = false;
      self.trDone.textContent = "Transcript sent to " + email + ".";
    }, function () {
      self.trBusy = false;
      self.trError.textContent = "Not sent; check your connection.";
    });
  };

  Widget.prototype.toggle = function (open) {
    open = open === undefined ? this.panel.hidden : open;
    this.panel.hidden = !open;
    this.launcher.setAttribute("aria-expanded", String(open));
    this.launcher.setAttribute("aria-label", (open ? "Close chat: " : "Open chat: ") + (this.settings.title || this.config.name || "Chat"));
    if (open) {
      this.unread = 0;
      this.renderBadge();
      this.showEmail();
      (this.formMode ? (this.sentTo ? this.log : this.leaveEmail) : this.needEmail ? this.emailInput : this.input).focus();
      this.markRead();
      this.log.scrollTop = this.log.scrollHeight;
    } else {
      this.launcher.focus();
    }
  };

  Widget.prototype.renderBadge = function () {
    this.badge.hidden = this.unread === 0;
    this.badge.textContent = this.unread > 9 ? "9+" : String(this.unread);
    this.badge.setAttribute("aria-label", this.unread + " unread");
  };

  Widget.prototype.showEmail = function () {
    var f = this.formMode;
    this.emailForm.hidden = f || !this.needEmail;
    this.form.hidden = f || this.needEmail;
    if (f) { this.leave.hidden = !!this.sentTo; this.log.hidden = !this.sentTo; }
  };

  Widget.prototype.showOffline = function (online) {
    this.agentsOnline = online;
    var text = this.thanks ? "Thanks \u2014 we'll reply by email at " + this.thanks + "." :
      this.endedChat ? "This conversation has ended. Write to start a new one." : this.notice || (online ? "" : (this.settings.away_message || "We are away right now. Leave a message and we will get back to you."));
    this.setStatus(text);
  };

  Widget.prototype.setStatus = function (text) {
    this.status.textContent = text;
    this.status.hidden = !text;
  };

  /* --- the socket ------------------------------------------------------------ */

  Widget.prototype.connect = function () {
    if (this.stopped || (this.formMode && !this.sentTo) || this.ws) return;
    var token = store(this.tokenKey);
    var url = this.config.ws_url + (token ? "?token=" + encodeURIComponent(token) : "");
    var ws, self = this;
    try { ws = new WebSocket(url); } catch (e) { return this.retry(); }
    this.ws = ws;
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame.type === "string") self.onFrame(frame);
    };
    ws.onclose = function (event) {
      if (self.ws === ws) self.ws = null;
      self.ready = false;
      if (event.code === 4403) {
        self.stopped = true;
        self.setStatus("Chat is not available.");
        return;
      }
      self.retry(event.code);
    };
  };

  Widget.prototype.retry = function (code) {
    /* Exponential back-off with jitter; never a tight loop. */
    var self = this;
    var ceiling = Math.min(30000, 1000 * Math.pow(2, this.attempt++));
    if (code === 4429) ceiling = Math.max(ceiling, 10000);
    if (code === 1012) ceiling = Math.min(ceiling, 1500);
    var delay = ceiling / 2 + Math.random() * ceiling / 2;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(function () { if (!self.ws) self.connect(); }, delay);
    this.state.reconnects = (this.state.reconnects || 0) + 1;
  };

  Widget.prototype.sendFrame = function (frame) {
    if (this.ws && this.ready && this.ws.readyState === 1) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  };

  Widget.prototype.onFrame = function (f) {
    switch (f.type) {
      case "session":
        this.ready = true;
        this.attempt = 0;
        store(this.tokenKey, f.token);
        store(this.chatKey, f.chat ? "1" : "");
        if (this.lead) this.ws.send(JSON.stringify(this.lead)); /* before any queued message */
        if (f.chat && f.chat.visitor) this.email = f.chat.visitor.email || this.email;
        this.state.visitorId = f.visitor_id;
        this.showOffline(!!f.agents_online);
        if (!f.chat) this.setChat(null);
        else if (f.chat.id !== this.chatId) this.setChat(f.chat.id);
        this.pageView();
        this.flushPending();
        if (!this.panel.hidden) this.markRead(); /* opened by a resume link before the socket */
        this.state.status = "ready";
        break;
      case "history":
        if (f.chat_id && f.chat_id !== this.chatId) this.setChat(f.chat_id);
        for (var i = 0; i < f.messages.length; i++) this.addMessage(f.messages[i], true);
        break;
      case "ack":
        this.confirm(f.client_id, f.message);
        break;
      case "message":
        if (f.message.chat_id !== this.chatId) this.setChat(f.message.chat_id);
        this.addMessage(f.message, false);
        break;
      case "typing":
        if (f.from === "agent") this.showTyping(f.is_typing);
        break;
      case "chat_status":
        if (f.status === "closed" && f.chat_id === this.chatId) this.ended(f.chat_id);
        break;
      case "agents_online":
        this.showOffline(f.online);
        break;
      case "error":
        this.onError(f);
        break;
    }
  };

  Widget.prototype.setChat = function (chatId) {
    /* A new chat starts a new thread; keep what is on screen until then. */
    if (chatId !== this.chatId && this.chatId !== null && chatId !== null) {
      this.log.textContent = "";
      this.messages = {};
      this.lastSeq = 0;
    }
    this.chatId = chatId;
  };

  Widget.prototype.onError = function (f) {
    var item = f.client_id && this.pending[f.client_id];
    if (f.code === "email_required") {
      this.needEmail = true;
      this.showEmail();
      this.emailInput.focus();
    }
    if (item) {
      clearTimeout(item.timer);
      if (f.code === "unavailable" || f.code === "rate_limited") return this.failed(item, "Not sent. Retry");
      this.failed(item, f.code === "too_long" ? "Too long to send" : "Not sent");
      delete this.pending[f.client_id];
    }
  };

  /* --- messages ---------------------------------------------------------------- */

  Widget.prototype.render = function (node, m) {
    var who = m.sender_type === "bot" ? "Bot" : (m.sender_type === "agent" ? (this.config.name || "Agent") : "");
    node.className = "msg " + m.sender_type;
    node.textContent = "";
    if (who) node.appendChild(el("span", { "class": "who" }, who));
    if (m.content) node.appendChild(d.createTextNode(m.content));
    var a = m.attachment;
    if (a && a.url) {
      var href = a.url.charAt(0) === "/" ? this.base + a.url : a.url;
      if (!/^https?:\/\//i.test(href)) return node;
      if (m.type === "image") {
        var link = node.appendChild(el("a", { href: href, target: "_blank", rel: "noopener noreferrer" }));
        link.appendChild(el("img", { src: href, alt: a.name || "image", loading: "lazy" }));
      } else {
        node.appendChild(el("a", { href: href, target: "_blank", rel: "noopener noreferrer", download: a.name || "" },
          a.name || "file"));
      }
    }
    return node;
  };

  Widget.prototype.addMessage = function (m, quiet) {
    if (m.chat_id !== this.chatId || this.messages[m.seq]) return; /* each seq once */
    var item = m.client_id && this.pending[m.client_id];
    var node = item ? item.node : el("div");
    if (item) { clearTimeout(item.timer); delete this.pending[m.client_id]; }
    this.render(node, m);
    node.setAttribute("data-seq", m.seq);
    this.messages[m.seq] = node;
    /* Keep the thread in seq order; pending messages stay last. */
    var before = null, kids = this.log.children;
    for (var i = 0; i < kids.length; i++) {
      var seq = +kids[i].getAttribute("data-seq");
      if (!seq || seq > m.seq) { before = kids[i]; break; }
    }
    this.log.insertBefore(node, before);
    if (m.seq > this.lastSeq) this.lastSeq = m.seq;
    if (m.sender_type !== "visitor") {
      this.showTyping(false);
      if (!quiet && this.panel.hidden) { this.unread++; this.renderBadge(); }
      if (!this.panel.hidden) this.markRead();
    }
    this.log.scrollTop = this.log.scrollHeight;
  };

  Widget.prototype.confirm = function (clientId, m) {
    store(this.chatKey, "1");
    if (this.lead) { this.thanks = this.email = this.lead.email; this.lead = null; }
    if (this.endedChat && m.chat_id !== this.endedChat) this.ended(null);
    this.notice = "";
    if (m.chat_id !== this.chatId) this.setChat(m.chat_id);
    this.showOffline(this.agentsOnline); /* clears "conversation ended" */
    this.addMessage(m, true);
  };

  Widget.prototype.submit = function () {
    var text = this.input.value;
    if (!text.trim()) return;
    this.input.value = "";
    this.queue({ type: "message", content: text, client_id: uid() }, { sender_type: "visitor", content: text });
    this.stopTyping();
  };

  Widget.prototype.queue = function (frame, preview) {
    var node = this.render(el("div"), preview);
    node.className += " pending";
    this.log.appendChild(node);
    this.log.scrollTop = this.log.scrollHeight;
    var item = (this.pending[frame.client_id] = { frame: frame, node: node });
    this.transmit(item);
  };

  Widget.prototype.transmit = function (item) {
    var self = this;
    item.node.className = item.node.className.replace(" failed", "");
    var retry = item.node.querySelector(".retry");
    if (retry) retry.parentNode.removeChild(retry);
    clearTimeout(item.timer);
    /* Without an ack in 10 s the message shows a retry button; a reconnect resends it. */
    item.timer = setTimeout(function () { self.failed(item, "Not sent. Retry"); }, 10000);
    this.sendFrame(item.frame);
  };

  Widget.prototype.failed = function (item, label) {
    var self = this;
    if (item.node.querySelector(".retry")) return;
    item.node.className += " failed";
    var button = el("button", { "class": "retry", type: "button" }, label);
    if (label.indexOf("Retry") >= 0) button.addEventListener("click", function () { self.transmit(item); });
    item.node.appendChild(button);
  };

  Widget.prototype.flushPending = function () {
    for (var id in this.pending) this.transmit(this.pending[id]); /* same client_id: no duplicate */
  };

  Widget.prototype.identify = function () {
    var email = this.emailInput.value.trim();
    if (!email || !this.emailInput.checkValidity()) return this.emailInput.focus();
    if (!this.sendFrame({ type: "identify", email: email })) return;
    store("chatelly:" + this.key + ":email", "1");
    this.email = email;
    this.needEmail = false;
    this.showEmail();
    this.input.focus();
  };

  Widget.prototype.pageView = function () {
    this.sendFrame({ type: "page_view", url: String(w.location.href).slice(0, 2048), title: String(d.title || "").slice(0, 512) });
  };

  Widget.prototype.markRead = function () {
    if (this.lastSeq && this.lastSeq !== this.readSeq && this.sendFrame({ type: "read", seq: this.lastSeq })) {
      this.readSeq = this.lastSeq;
    }
  };

  Widget.prototype.typed = function () {
    var self = this, now = Date.now();
    if (!this.typingSent || now - this.typingSent > 2500) {
      if (this.sendFrame({ type: "typing", is_typing: true })) this.typingSent = now;
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(function () { self.stopTyping(); }, 3000);
  };

  Widget.prototype.stopTyping = function () {
    clearTimeout(this.typingTimer);
    if (this.typingSent) { this.sendFrame({ type: "typing", is_typing: false }); this.typingSent = 0; }
  };

  Widget.prototype.showTyping = function (on) {
    var self = this;
    this.typing.hidden = !on;
    clearTimeout(this.typingHide);
    if (on) this.typingHide = setTimeout(function () { self.typing.hidden = true; }, 8000);
  };

  Widget.prototype.upload = function (file) {
    var self = this, token = store(this.tokenKey);
    var note = this.log.appendChild(el("div", { "class": "msg visitor pending" }, "Uploading " + file.name + "\u2026"));
    var body = new FormData();
    body.append("file", file);
    w.fetch(this.base + "/widget/upload/" + encodeURIComponent(this.key), {
      method: "POST", body: body, mode: "cors", credentials: "omit", headers: { "X-Visitor-Token": token || "" }
    }).then(function (r) {
      return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; });
    }).then(function (res) {
      self.log.removeChild(note);
      if (!res.ok) {
        var why = res.status === 413 ? "The file is too large." : ((res.data.details && res.data.details.file) || res.data.message || "Upload failed.");
        return self.setStatus(why);
      }
      var a = res.data;
      var type = /^image\//.test(a.content_type) ? "image" : "file";
      self.queue({ type: "message", content: "", client_id: uid(), attachment_id: a.id },
        { sender_type: "visitor", content: "", type: type, attachment: a });
    }, function () {
      if (note.parentNode) self.log.removeChild(note);
      self.setStatus("Upload failed; check your connection.");
    });
  };

  /* A resume link: trade its token for the chat's visitor token, then start as
     that visitor (the socket resumes an active chat; a closed one shows here). */
  function resume(key, base, config, state) {
    function start(data) {
      var widget = (state.widget = new Widget(key, base, config, state));
      if (!widget.panel) return;
      if (data.chat) {
        widget.email = data.email;
        widget.setChat(data.chat.id);
        for (var i = 0; i < data.messages.length; i++) widget.addMessage(data.messages[i], true);
        if (data.chat.status === "closed") widget.ended(data.chat.id);
      } else {
        widget.notice = "This link has expired. Write to start a new conversation.";
        widget.showOffline(config.agents_online);
      }
      widget.toggle(true);
    }
    w.fetch(base + "/widget/resume", {
      method: "POST", mode: "cors", credentials: "omit", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: state.resume, widget_key: key })
    }).then(function (r) { return r.ok ? r.json() : {}; }).then(function (data) {
      if (data.visitor_token) {
        store("chatelly:" + key + ":token", data.visitor_token);
        store("chatelly:" + key + ":chat", data.chat.status === "active" ? "1" : "");
        state.resumed = true;
      }
      start(data.visitor_token ? data : {});
    }, function () { start({}); });
  }

  w.__chatellyApp = {
    mount: function (key, base, config, state) {
      if (state.resume) return resume(key, base, config, state);
      state.widget = new Widget(key, base, config, state);
      return state.widget;
    }
  };
})(window, document);
