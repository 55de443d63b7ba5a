// Analytics as pictures: totals as tiles, daily chats / messages / visitors
// as an SVG chart, busiest hours as a heat map (each with a table of the same
// figures), a range and time-zone picker, the CSV download; per website
// (#/analytics/<id>) and across all (#/analytics).

import { api, request } from "../api.js";
import { announce, errorState, field, fill, formError, h, loading, showErrors } from "../ui.js";
import { busy, timeZones } from "./forms.js";

const SVG = "http://www.w3.org/2000/svg";
const DAY_MS = 86_400_000;
const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const SERIES = [
  ["chats", "Chats", "line-a"],
  ["messages", "Messages", "line-b"],
  ["visitors", "Visitors", "line-c"],
];
const number = new Intl.NumberFormat();

// Kept while the agent moves between websites.
const state = { tz: timeZones().own, from: "", to: "", preset: 30 };

function today(tz) {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone: tz }).format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

function shift(iso, days) {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function usePreset(days) {
  state.preset = days;
  state.to = today(state.tz);
  state.from = shift(state.to, -(days - 1));
}

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

const formatDate = (iso) =>
  new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" }).format(
    new Date(`${iso}T00:00:00Z`),
  );

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

function tiles(totals) {
  const tile = (label, value, note) =>
    h("div", { class: "tile" }, h("dt", {}, label), h("dd", {}, value), note ? h("dd", { class: "note" }, note) : null);
  return h(
    "dl",
    { class: "tiles" },
    tile("Chats", number.format(totals.chats)),
    tile(
      "Messages",
      number.format(totals.messages),
      `${number.format(totals.visitor_messages)} visitor · ${number.format(totals.agent_messages)} agent · ${number.format(totals.bot_messages)} bot`,
    ),
    tile("Visitors", number.format(totals.visitors)),
    tile("Active chats now", number.format(totals.active_chats)),
    tile("Avg first response", duration(totals.avg_first_response_seconds)),
    tile("Avg chat duration", duration(totals.avg_chat_duration_seconds)),
  );
}

function dataTable(caption, head, rows, wide = false) {
  // A wide table scrolls sideways on a phone: focusable, so the keyboard can scroll it.
  const scroll = wide ? { tabindex: "0", role: "region", "aria-label": caption } : {};
  return h(
    "div",
    { class: "table-wrap", ...scroll },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        rows.map(([first, ...rest]) => h("tr", {}, h("th", { scope: "row" }, first), rest.map((c) => h("td", {}, c)))),
      ),
    ),
  );
}

function chart(series, totals, range) {
  const W = 720;
  const H = 240;
  const pad = { l: 44, r: 12, t: 12, b: 28 };
  const max = Math.max(1, ...series.flatMap((d) => [d.chats, d.messages, d.visitors]));
  const x = (i) => pad.l + (series.length > 1 ? (i * (W - pad.l - pad.r)) / (series.length - 1) : (W - pad.l - pad.r) / 2);
  const y = (v) => H - pad.b - (v * (H - pad.t - pad.b)) / max;
  const busiest = series.reduce((a, d) => (d.messages > a.messages ? d : a), series[0] || { messages: 0 });
  const label =
    `Daily chats, messages and visitors from ${range.from} to ${range.to}: ` +
    `${totals.chats} chats, ${totals.messages} messages, ${totals.visitors} visitors in total` +
    (busiest && busiest.messages ? `; most messages on ${busiest.date} (${busiest.messages}).` : ".");
  const grid = [0, 0.5, 1].map((f) => {
    const v = Math.round(max * f);
    return svg(
      "g",
      {},
      svg("line", { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), class: "grid" }),
      svg("text", { x: pad.l - 6, y: y(v) + 4, "text-anchor": "end", class: "axis" }, String(v)),
    );
  });
  const lines = SERIES.map(([key, , cls]) =>
    svg("polyline", {
      class: cls,
      fill: "none",
      points: series.map((d, i) => `${x(i).toFixed(1)},${y(d[key]).toFixed(1)}`).join(" "),
    }),
  );
  const xLabels = series.length
    ? [
        svg("text", { x: x(0), y: H - 8, class: "axis", "text-anchor": "start" }, formatDate(series[0].date)),
        svg("text", { x: x(series.length - 1), y: H - 8, class: "axis", "text-anchor": "end" }, formatDate(series[series.length - 1].date)),
      ]
    : [];
  const picture = svg(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "chart", focusable: "false" },
    ...grid,
    ...lines,
    ...xLabels,
  );
  const legend = h(
    "ul",
    { class: "legend", "aria-hidden": "true" },
    SERIES.map(([, name, cls]) => h("li", {}, h("span", { class: `key ${cls}` }), name)),
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "daily-title" },
    h("h2", { id: "daily-title" }, "Daily activity"),
    legend,
    picture,
    h(
      "details",
      {},
      h("summary", {}, "Daily figures as a table"),
      dataTable(
        "Chats, messages and visitors per day",
        ["Date", "Chats", "Messages", "Visitors"],
        series.map((d) => [d.date, d.chats, d.messages, d.visitors]),
      ),
    ),
  );
}

function heatMap(cells, tz) {
  const counts = Array.from({ length: 7 }, () => Array(24).fill(0));
  for (const c of cells) counts[c.weekday][c.hour] = c.chats;
  const max = Math.max(0, ...cells.map((c) => c.chats));
  const size = 24;
  const left = 40;
  const top = 18;
  const rects = [];
  counts.forEach((row, d) =>
    row.forEach((n, hr) => {
      const level = n === 0 ? 0 : Math.ceil((n / max) * 4);
      rects.push(
        svg("rect", { x: left + hr * size, y: top + d * size, width: size - 2, height: size - 2, rx: 3, class: `heat heat-${level}` }),
      );
    }),
  );
  const dayLabels = WEEKDAYS.map((name, d) =>
    svg("text", { x: left - 6, y: top + d * size + 16, "text-anchor": "end", class: "axis" }, name.slice(0, 3)),
  );
  const hourLabels = [0, 6, 12, 18, 23].map((hr) =>
    svg("text", { x: left + hr * size + 11, y: 12, "text-anchor": "middle", class: "axis" }, String(hr).padStart(2, "0")),
  );
  const top3 = [...cells].sort((a, b) => b.chats - a.chats).slice(0, 3);
  const label = top3.length
    ? `Chats started by weekday and hour (${tz}). Busiest: ` +
      top3.map((c) => `${WEEKDAYS[c.weekday]} ${String(c.hour).padStart(2, "0")}:00 (${c.chats})`).join(", ") +
      "."
    : `Chats started by weekday and hour (${tz}): no chats in this range.`;
  const picture = svg(
    "svg",
    { viewBox: `0 0 ${left + 24 * size} ${top + 7 * size}`, role: "img", "aria-label": label, class: "heatmap", focusable: "false" },
    ...hourLabels,
    ...dayLabels,
    ...rects,
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "hours-title" },
    h("h2", { id: "hours-title" }, "Busiest hours"),
    h("p", { class: "hint" }, `Darker is busier; hours in ${tz}.`),
    h("div", { class: "heat-wrap", tabindex: "0", role: "region", "aria-label": "Heat map, scrolls sideways" }, picture),
    h(
      "details",
      {},
      h("summary", {}, "Chats per weekday and hour as a table"),
      dataTable(
        "Chats started per weekday (rows) and hour (columns)",
        ["Day", ...Array.from({ length: 24 }, (_, i) => String(i).padStart(2, "0"))],
        counts.map((row, d) => [WEEKDAYS[d], ...row]),
        true,
      ),
    ),
  );
}

function perWebsite(websites) {
  return h(
    "section",
    { class: "card", "aria-labelledby": "sites-title" },
    h("h2", { id: "sites-title" }, "By website"),
    websites.length
      ? dataTable(
          "Chats, messages and visitors per website",
          ["Website", "Chats", "Messages", "Visitors"],
          websites.map((w) => [h("a", { href: `#/analytics/${w.id}` }, w.name), w.chats, w.messages, w.visitors]),
        )
      : h("p", { class: "state empty" }, "No websites yet."),
    h("p", { class: "hint" }, "Open a website to see its busiest hours."),
  );
}

export async function render(main, params) {
  const siteId = params[0] || "";
  if (!state.to) usePreset(30);
  const heading = h("h1", {}, "Analytics");
  fill(main, heading, loading());

  let sites = [];
  try {
    sites = (await api.get("/api/v1/websites", { page_size: 100 })).results;
  } catch (err) {
    fill(main, heading, errorState(err, () => render(main, params)));
    return;
  }
  let current = sites.find((s) => String(s.id) === siteId);
  if (siteId && !current) {
    current = await api.get(`/api/v1/websites/${siteId}`).catch(() => null);
    if (current) sites.push(current);
  }
  if (siteId && current) heading.textContent = `Analytics: ${current.name}`;

  const siteSelect = h(
    "select",
    { name: "website" },
    h("option", { value: "" }, "All websites"),
    sites.map((s) => h("option", { value: s.id, selected: String(s.id) === siteId }, s.name)),
  );
  siteSelect.addEventListener("change", () => {
    location.hash = siteSelect.value ? `#/analytics/${siteSelect.value}` : "#/analytics";
  });
  const { zones } = timeZones();
  const fields = {
    website: field("Website", siteSelect),
    from: field("From", h("input", { type: "date", name: "from", value: state.from })),
    to: field("To", h("input", { type: "date", name: "to", value: state.to })),
    tz: field(
      "Time zone",
      h("select", { name: "tz" }, zones.map((z) => h("option", { value: z, selected: z === state.tz }, z))),
    ),
  };
  const apply = h("button", { type: "submit" }, "Show");
  const csv = h("button", { type: "button", class: "secondary" }, "Download CSV");
  const presets = [7, 30, 90].map((days) => {
    const b = h("button", { type: "button", class: "secondary", "aria-pressed": String(state.preset === days) }, `Last ${days} days`);
    b.addEventListener("click", () => {
      state.tz = fields.tz.input.value;
      usePreset(days);
      fields.from.input.value = state.from;
      fields.to.input.value = state.to;
      presets.forEach((p, i) => p.setAttribute("aria-pressed", String([7, 30, 90][i] === days)));
      load();
    });
    return b;
  });
  const controls = h(
    "form",
    { class: "card controls", novalidate: true, "aria-label": "Range and time zone" },
    formError(),
    h("div", { class: "inline-fields" }, fields.website.wrap, fields.from.wrap, fields.to.wrap, fields.tz.wrap),
    h("div", { class: "actions" }, apply, h("div", { class: "presets", role: "group", "aria-label": "Presets" }, presets), csv),
  );
  const results = h("div", { class: "results", "aria-busy": "false" });
  const path = siteId ? `/api/v1/analytics/websites/${siteId}` : "/api/v1/analytics/dashboard";
  const query = () => ({ from: state.from, to: state.to, tz: state.tz });

  function readControls() {
    state.from = fields.from.input.value;
    state.to = fields.to.input.value;
    state.tz = fields.tz.input.value;
    state.preset = null;
    presets.forEach((p) => p.setAttribute("aria-pressed", "false"));
  }

  let ticket = 0;
  async function load() {
    const mine = ++ticket;
    results.setAttribute("aria-busy", "true");
    fill(results, loading("Loading figures…"));
    try {
      const data = await api.get(path, query());
      if (mine !== ticket) return;
      showErrors(controls, fields, null);
      fill(
        results,
        h("h2", { class: "visually-hidden" }, "Totals"),
        tiles(data.totals),
        chart(data.series, data.totals, data.range),
        siteId ? heatMap(data.busiest_hours || [], data.range.tz) : perWebsite(data.websites || []),
      );
      announce(`Figures from ${data.range.from} to ${data.range.to} shown`);
    } catch (err) {
      if (mine !== ticket) return;
      if (err.status === 400) {
        showErrors(controls, fields, err);
        fill(results);
      } else {
        fill(results, errorState(err, load));
      }
    } finally {
      if (mine === ticket) results.setAttribute("aria-busy", "false");
    }
  }

  controls.addEventListener("submit", (event) => {
    event.preventDefault();
    readControls();
    load();
  });
  csv.addEventListener("click", async () => {
    busy(csv, true);
    try {
      const response = await request("GET", path, { query: { ...query(), format: "csv" } });
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const scope = current ? `website-${current.id}` : "all";
      const a = h("a", { href: url, download: `chatelly-${scope}-${state.from}-${state.to}.csv`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      announce("CSV downloaded");
    } catch (err) {
      if (err.status === 400) showErrors(controls, fields, err);
      else announce(err.message || "The download failed.");
    } finally {
      busy(csv, false);
    }
  });

  if (siteId && !current) {
    fill(main, heading, controls, errorState({ message: "This website was not found." }));
    return;
  }
  fill(main, heading, controls, results);
  await load();
}
