/* Chatelly widget loader: async, never blocks the page, draws in a closed Shadow DOM. */
(function (w, d, KEY, BASE) {
  "use strict";
  var registry = (w.__chatelly = w.__chatelly || {});
  if (registry[KEY]) return; /* the tag was pasted twice */
  var state = (registry[KEY] = { status: "loading", config: null, error: null });

  function fail(reason) {
    state.status = "error";
    state.error = String(reason);
    if (w.console && w.console.warn) w.console.warn("Chatelly: " + state.error);
  }

  function mount(config) {
    var host = d.createElement("div");
    host.setAttribute("data-chatelly", KEY);
    host.style.cssText = "all:initial;position:fixed;z-index:2147483000;bottom:20px;" +
      ((config.settings.position === "left") ? "left:20px;" : "right:20px;");
    var root = host.attachShadow ? host.attachShadow({ mode: "closed" }) : host;
    var style = d.createElement("style");
    style.textContent = ".bubble{width:56px;height:56px;border-radius:50%;border:0;cursor:pointer;" +
      "box-shadow:0 4px 12px rgba(0,0,0,.25);color:#fff;font:600 14px/1 system-ui,sans-serif;}";
    var bubble = d.createElement("button");
    bubble.className = "bubble";
    bubble.type = "button";
    bubble.setAttribute("aria-label", config.settings.title || "Chat with us");
    bubble.style.background = config.settings.color || "#2563eb";
    bubble.textContent = "Chat";
    root.appendChild(style);
    root.appendChild(bubble);
    (d.body || d.documentElement).appendChild(host);
    state.config = config;
    state.status = "ready";
  }

  function start() {
    if (!w.fetch) return fail("this browser has no fetch()");
    w.fetch(BASE + "/widget/config/" + encodeURIComponent(KEY), { credentials: "omit", mode: "cors" })
      .then(function (r) {
        if (!r.ok) throw new Error("config answered " + r.status);
        return r.json();
      })
      .then(mount, fail)
      .catch(fail);
  }

  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start);
  else start();
})(window, document, __CHATELLY_KEY__, __CHATELLY_BASE__);
