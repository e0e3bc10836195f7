/**
 * plots.js — Plotly helpers shared by both labs: one theme readable on a projector (large
 * fonts, strong lines, light background), one colour palette, one config (PNG export kept, no
 * button that uploads or shares a chart: see PLOT_CONFIG).
 *
 * Plotly itself is loaded as a classic `defer` script placed after the page's module script, first
 * a 2-D bundle built from plotly.js's sources (scatter, bar, heatmap, contour: scripts/
 * build_plotly_2d.sh), ~1.2 MB instead of 4.8 (the server rewrites
 * the names to versioned, cached-for-a-year URLs and writes the partial's trace types into the tag):
 *   <script type="module" src="/static/js/…/main.js"></script>
 *   <script defer id="plotly-script" src="/vendor/plotly-2d.min.js"
 *           data-full-src="/vendor/plotly.min.js" data-trace-types=""></script>   (never a CDN)
 * so the page's module graph runs first and sends its requests, then Plotly runs while the server
 * answers; a page's boot awaits `plotlyReady` (below) before its first draw. `holdDraws` (below)
 * lets a page draw its first chart before the others. The first `draw` of a
 * trace type the partial lacks (surface, scatter3d: the Optimizer Lab's 3-D view) loads the full
 * bundle (same plotly.js version) once; from then on `Plotly` is the full one for the rest of the
 * page, and a plot drawn by the partial is re-drawn by the full bundle the next time `draw` draws
 * it (its Plotly event handlers, registered through `onPlotly`, are attached again).
 *
 * How a page uses it:
 *
 *   import { Plotly, plotlyOf, draw, onPlotly, baseLayout, PALETTE, colourAt, withAlpha, logAxis } from "/static/js/shared/plots.js";
 *
 *   draw(div, traces, { xaxis: { title: { text: "step" } }, yaxis: logAxis("loss") });
 *   // draw = Plotly.react with the shared theme merged under your layout and the shared config;
 *   // call it again with new data to update (Plotly diffs, cheap).
 *   plotlyOf(div).relayout(div, {...});     // any other Plotly call on a drawn plot: its own Plotly
 *   onPlotly(div, "plotly_click", handler);  // instead of div.on(…): survives the switch to the full bundle
 *   const colour = colourAt(2);            // third palette colour, cycles
 *   const faint = withAlpha(colour, 0.3);  // "rgba(…, 0.3)"
 *
 * The palette is Okabe–Ito / Tableau-like: distinguishable for colour-blind viewers and on a
 * washed-out projector, and dark enough to read over the light contour colours.
 */

const SCRIPT = document.getElementById("plotly-script");
/** Trace types of the bundle the page loads first (empty: not known, so it is the full bundle). */
const FIRST_TYPES = new Set((SCRIPT?.dataset.traceTypes ?? "").split(/\s+/).filter(Boolean));

/**
 * The global Plotly object (loaded by the page's Plotly script). The pages load Plotly `defer`,
 * after their module, so their modules run, and fetch what the first chart needs, before Plotly: `Plotly` is a live binding, set once the script has run (and again when
 * the full bundle replaces the partial one), and a page awaits `plotlyReady` before it draws.
 */
export let Plotly = window.Plotly;
/** Whether `Plotly` is the full bundle (every trace type). */
let isFull = FIRST_TYPES.size === 0;

function scriptLoaded(script) {
  return new Promise((resolve, reject) => {
    const done = () => {
      Plotly = window.Plotly;
      if (Plotly) resolve(Plotly);
      else reject(new Error("Plotly did not load"));
    };
    if (!script) done();
    else {
      script.addEventListener("load", done, { once: true });
      script.addEventListener("error", () => reject(new Error("Plotly did not load")), { once: true });
    }
  });
}

/** Resolves with Plotly once the page's Plotly script has run; rejects if it fails to load. */
export const plotlyReady = Plotly ? Promise.resolve(Plotly) : scriptLoaded(SCRIPT);

let fullReady = null;

/**
 * Resolves with the full Plotly bundle, loading it (once) if the page started with the partial
 * one; `Plotly` is the full bundle afterwards.
 */
export function fullPlotlyReady() {
  if (isFull) return plotlyReady;
  fullReady ??= plotlyReady.then(() => {
    const script = document.createElement("script");
    script.src = SCRIPT.dataset.fullSrc;
    script.async = true;
    script.dataset.plotlyFull = "";
    const loaded = scriptLoaded(script).then((full) => {
      isFull = true;
      return full;
    });
    document.head.append(script);
    return loaded;
  });
  return fullReady;
}

/** Whether the Plotly loaded now can draw every trace of `data`. */
function canDraw(data) {
  return isFull || data.every((trace) => FIRST_TYPES.has(trace?.type ?? "scatter"));
}

/** The Plotly that drew `div` (the partial or the full bundle), or the current one. */
export function plotlyOf(div) {
  return div?._plotlyLib ?? Plotly;
}

/**
 * `div.on(event, handler)`, remembered so that it is attached again when the full bundle takes
 * the plot over (each bundle keeps its own event emitter on the plot). Called before the plot's
 * first `draw`, the handler is attached by that draw.
 */
export function onPlotly(div, event, handler) {
  (div._plotlyHandlers ??= []).push([event, handler]);
  div.on?.(event, handler);
}

/**
 * Move a plot drawn by another Plotly (the partial bundle) to the current one: purge it with its
 * own Plotly, so that `draw` makes it anew; returns whether handlers must be attached again.
 */
function adopt(div) {
  const own = div._plotlyLib;
  if (!own || own === Plotly) return false;
  own.purge(div);
  div._plotlyLib = Plotly;
  return true;
}

export const FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", "Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic", "NanumGothic", sans-serif';

export const PALETTE = [
  "#d62728", // red
  "#1f77b4", // blue
  "#2ca02c", // green
  "#ff7f0e", // orange
  "#9467bd", // purple
  "#17becf", // cyan
  "#e377c2", // pink
  "#8c564b", // brown
  "#bcbd22", // olive
  "#111111", // near black
];

/** Palette colour number i (cycles). */
export function colourAt(i) {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

/** "#rrggbb" → "rgba(r, g, b, alpha)". */
export function withAlpha(hex, alpha) {
  const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(String(hex));
  if (!m) return hex;
  const [r, g, b] = m.slice(1).map((h) => parseInt(h, 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** A light sequential scale for filled contours: paths in palette colours stay visible on it. */
export const CONTOUR_SCALE = [
  [0, "#fff6d5"],
  [0.3, "#e9f3dc"],
  [0.6, "#d6eaf0"],
  [1, "#b7cbe6"],
];

/** Line-contour colours (darker: lines are thin). */
export const CONTOUR_LINE_SCALE = [
  [0, "#1f4e79"],
  [0.5, "#7d8597"],
  [1, "#a0522d"],
];

/** Sequential scale for heat maps (start-point map): dark = low loss. */
export const HEATMAP_SCALE = "Viridis";

/**
 * What no chart may offer: uploading or sharing it off the machine (the app works offline, in
 * classrooms). Plotly 4 shows a "Share chart…" (Plotly Cloud) button unless `showSendToCloud` is
 * false; the other keys cover older Plotly versions' Chart Studio button and "Edit chart" link.
 * `plotConfig()` applies these after any chart's own config, so no chart can turn them back on.
 */
const OFFLINE_CONFIG = {
  showSendToCloud: false,
  showEditInChartStudio: false,
  showLink: false,
  displaylogo: false,
  plotlyServerURL: "",
};
const CLOUD_BUTTONS = ["sendChartToCloud", "sendDataToCloud", "editInChartStudio"];

/** The one Plotly config of every chart in both labs (PNG export kept, no cloud buttons). */
export const PLOT_CONFIG = Object.freeze({
  responsive: true,
  scrollZoom: false,
  toImageButtonOptions: { format: "png", scale: 2, filename: "optimizer-playground" },
  ...OFFLINE_CONFIG,
  modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d", ...CLOUD_BUTTONS],
});

const mergedConfigs = new WeakMap();
const NO_CONFIG = Object.freeze({});

/**
 * PLOT_CONFIG with a chart's own additions (`config`), the offline keys and cloud buttons
 * enforced. The same `config` object gives the same result object (charts pass constants, so
 * Plotly.react sees an unchanged config).
 */
export function plotConfig(config = NO_CONFIG) {
  let merged = mergedConfigs.get(config);
  if (!merged) {
    const remove = [...PLOT_CONFIG.modeBarButtonsToRemove, ...(config.modeBarButtonsToRemove ?? [])];
    merged = { ...PLOT_CONFIG, ...config, ...OFFLINE_CONFIG, modeBarButtonsToRemove: [...new Set(remove)] };
    mergedConfigs.set(config, merged);
  }
  return merged;
}

function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Deep-merge plain objects (arrays and other values from `over` replace those in `base`). */
export function merge(base, over) {
  const out = { ...base };
  for (const [k, v] of Object.entries(over || {})) {
    out[k] = isPlainObject(v) && isPlainObject(base[k]) ? merge(base[k], v) : v;
  }
  return out;
}

const AXIS = {
  gridcolor: "#e3e6ea",
  zerolinecolor: "#c5cad1",
  linecolor: "#9aa3ad",
  showline: true,
  mirror: false,
  ticks: "outside",
  tickfont: { size: 14 },
  title: { font: { size: 15 } },
  automargin: true,
};

/** The shared layout; `overrides` are deep-merged on top. */
export function baseLayout(overrides = {}) {
  const base = {
    font: { family: FONT_FAMILY, size: 15, color: "#1d2430" },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    margin: { l: 60, r: 20, t: 36, b: 52 },
    xaxis: AXIS,
    yaxis: AXIS,
    legend: { orientation: "h", y: 1.02, yanchor: "bottom", x: 0, font: { size: 14 } },
    hoverlabel: { font: { family: FONT_FAMILY, size: 14 } },
    colorway: PALETTE,
  };
  return merge(base, overrides);
}

/**
 * A log axis with a title and readable exponent ticks. Pass the plotted values to label only
 * the powers of ten when they span 1–12 decades (no "2, 5" clutter; wider spans: Plotly's choice).
 */
export function logAxis(title, extra = {}, values = null) {
  const axis = { type: "log", title: { text: title }, exponentformat: "power" };
  if (values) {
    const positive = values.filter((v) => typeof v === "number" && v > 0 && Number.isFinite(v));
    const decades = positive.length ? Math.log10(Math.max(...positive)) - Math.log10(Math.min(...positive)) : 0;
    if (decades >= 1 && decades <= 12) axis.dtick = 1;
  }
  return merge(axis, extra);
}

/**
 * Draw or update a plot with the shared theme (Plotly.react).
 * @param {HTMLElement} div
 * @param {object[]} data traces
 * @param {object} [layout] deep-merged over baseLayout()
 * @param {object} [config] merged over PLOT_CONFIG (see plotConfig: the offline keys always win)
 */
export function draw(div, data, layout = {}, config = NO_CONFIG) {
  if (held && !held.keep(div)) return queueDraw(div, [data, layout, config]);
  if (held?.release) {
    // held until the first drawn plot is drawn (holdDraws without `until`)
    const release = held.release;
    held.release = null;
    const drawn = draw(div, data, layout, config);
    Promise.resolve(drawn).then(release, release);
    return drawn;
  }
  if (waiting.has(div)) {
    // drawn now with newer data: the queued draw is dropped, its callers get this one
    const entry = waiting.get(div);
    waiting.delete(div);
    const drawn = draw(div, data, layout, config);
    drawn.then(entry.resolve, entry.reject);
    return drawn;
  }
  if (!canDraw(data)) return fullPlotlyReady().then(() => draw(div, data, layout, config));
  const first = !div._plotlyLib; // handlers registered (onPlotly) before the first draw are attached now
  const moved = adopt(div);
  div._plotlyLib = Plotly;
  const drawn = Plotly.react(div, data, baseLayout(layout), plotConfig(config));
  if (first) for (const [event, handler] of div._plotlyHandlers ?? []) div.on(event, handler);
  if (!moved) return drawn;
  return drawn.then((result) => {
    for (const [event, handler] of div._plotlyHandlers ?? []) div.on(event, handler);
    return result;
  });
}

// ---------------------------------------------------------------------------------------------
// The first chart first (issue 9: first contour < 1 s). Every Plotly draw is one long main-thread
// task (~50–150 ms each on the 2-core machine, the first ones more); a page that draws its
// placeholders and side charts before its main chart makes the student wait for all of them.
// `holdDraws(keep, until)` queues every draw of a plot that `keep` does not name until the
// promise `until` settles (the page's first main chart is drawn), then draws the queued plots
// one per task, so the browser paints the first chart in between. A queued plot keeps only its
// newest draw (the callers of the older ones get the newest one's promise).

let held = null; // {keep: (div) => boolean} while draws are held
const waiting = new Map(); // div → {args, promise, resolve, reject}: draws queued while held

function queueDraw(div, args) {
  let entry = waiting.get(div);
  if (!entry) {
    entry = {};
    entry.promise = new Promise((resolve, reject) => Object.assign(entry, { resolve, reject }));
    waiting.set(div, entry);
  }
  entry.args = args;
  return entry.promise;
}

/** Draw the next queued plot, then (in a later task) the one after it. */
function drawWaiting() {
  if (held) return;
  const next = waiting.entries().next();
  if (next.done) return;
  const [div, entry] = next.value;
  waiting.delete(div);
  try {
    draw(div, ...entry.args).then(entry.resolve, entry.reject);
  } catch (err) {
    entry.reject(err);
  }
  setTimeout(drawWaiting, 0);
}

/**
 * Hold every draw of a plot other than the ones `keep(div)` accepts until `until` settles, then
 * draw the held plots (each with its newest figure) one per task, after the browser has painted.
 * @param {(div: HTMLElement) => boolean} keep plots drawn at once (the page's first chart)
 * @param {Promise|null} until settles once the first chart is on screen (or will not be drawn);
 *   null: the first draw of a plot `keep` accepts
 * @param {{maxMs?: number}} [options] the others are drawn after maxMs at the latest
 */
export function holdDraws(keep, until = null, { maxMs = 3000 } = {}) {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    held = null;
    afterPaint().then(drawWaiting);
  };
  held = { keep, release: until ? null : release };
  until?.then(release, release);
  setTimeout(release, maxMs); // whatever happens to the first chart, the others are drawn
}

/**
 * Resolves in a task after the browser's next paint, so that what was just drawn is on screen
 * before the next long task starts (a timer too: a hidden page gets no animation frames).
 */
export function afterPaint() {
  return new Promise((resolve) => {
    let started = false;
    const start = () => {
      if (started) return;
      started = true;
      setTimeout(resolve, 0);
    };
    requestAnimationFrame(start);
    setTimeout(start, 100);
  });
}

/** Whether a draw of `div` is queued by holdDraws (not drawn yet; its cursor cannot be moved). */
export function drawPending(div) {
  return waiting.has(div);
}

/** A vertical line shape at x (data coordinates) spanning the plot height. */
export function vline(x, { color = "#555", dash = "dot", width = 2 } = {}) {
  return { type: "line", xref: "x", yref: "paper", x0: x, x1: x, y0: 0, y1: 1, line: { color, dash, width } };
}

/**
 * The minima as gold stars (one scatter trace), the same on every chart that marks them.
 * @param {number[][]} minima [[x, y], …]
 * @param {string} name legend / hover name
 * @param {object} extra trace fields to add or override (size, hover, legend)
 */
export function minimaTrace(minima, name, { size = 16, ...extra } = {}) {
  return {
    type: "scatter",
    mode: "markers",
    x: minima.map((p) => p[0]),
    y: minima.map((p) => p[1]),
    name,
    meta: { kind: "minima" },
    marker: { symbol: "star", size, color: "#ffd21f", line: { color: "#5a4500", width: 1.5 } },
    ...extra,
  };
}

/**
 * The start point as an open circle (one scatter trace).
 * @param {number[]} start [x, y]
 * @param {string} name legend / hover name
 * @param {object} options size, colour, and trace fields to add or override
 */
export function startTrace(start, name, { size = 16, color = "#111", ...extra } = {}) {
  return {
    type: "scatter",
    mode: "markers",
    x: [start[0]],
    y: [start[1]],
    name,
    meta: { kind: "start" },
    marker: { symbol: "circle-open", size, color, line: { width: 3 } },
    ...extra,
  };
}
