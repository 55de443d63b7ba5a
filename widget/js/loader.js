/* Chatelly loader: async, tiny, never blocks or breaks the page. It fetches the
 * widget's config, then the UI bundle, and mounts it in a shadow root. */
(function (w, d, KEY, BASE, APP) {
  "use strict";
  var registry = (w.__chatelly = w.__chatelly || {});
  if (registry[KEY]) return; /* the tag was pasted twice */
  var state = (registry[KEY] = { status: "loading", config: null, error: null });

  /* A resume link from an email (#chatelly-resume=<token>): taken out of the
     address bar at once, so it is not bookmarked, shared or kept in history. */
  var hash = /^#chatelly-resume=([\w.:-]{1,500})$/.exec(w.location.hash || "");
  if (hash) {
    state.resume = hash[1];
    try { w.history.replaceState(w.history.state, "", w.location.pathname + w.location.search); } catch (e) { /* keep going */ }
  }

  function fail(reason) {
    state.status = "error";
    state.error = String(reason && reason.message || reason);
    if (w.console && w.console.warn) w.console.warn("Chatelly: " + state.error);
  }

  function mount() {
    try {
      w.__chatellyApp.mount(KEY, BASE, state.config, state);
    } catch (e) {
      fail(e);
    }
  }

  function loadApp() {
    if (w.__chatellyApp) return mount();
    var waiting = (w.__chatellyWaiting = w.__chatellyWaiting || []);
    waiting.push(mount);
    if (waiting.length > 1) return; /* another widget on this page is loading it */
    var script = d.createElement("script");
    script.async = true;
    script.src = APP;
    script.onload = function () {
      var queue = w.__chatellyWaiting || [];
      w.__chatellyWaiting = [];
      for (var i = 0; i < queue.length; i++) queue[i]();
    };
    script.onerror = function () { fail("the widget could not be loaded"); };
    (d.head || d.documentElement).appendChild(script);
  }

  function resuming() {
    try {
      var ls = w.localStorage, pre = "chatelly:" + KEY;
      return !!(ls.getItem(pre + ":token") && ls.getItem(pre + ":chat"));
    } catch (e) { return false; }
  }

  function start() {
    if (!w.fetch || !w.WebSocket || !d.documentElement.attachShadow) return fail("this browser is too old");
    w.fetch(BASE + "/widget/config/" + encodeURIComponent(KEY), { credentials: "omit", mode: "cors" })
      .then(function (r) {
        if (!r.ok) throw new Error("config answered " + r.status);
        return r.json();
      })
      .then(function (config) {
        state.config = config;
        /* Hidden while closed: no UI bundle, unless this visitor has a chat going. */
        if (config.mode === "hidden" && !resuming() && !state.resume) state.status = "hidden";
        else loadApp();
      })
      .catch(fail);
  }

  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start);
  else start();
})(window, document, __CHATELLY_KEY__, __CHATELLY_BASE__, __CHATELLY_APP__);
