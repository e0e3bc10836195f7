/**
 * main.js — the Optimizer Lab page (static/index.html): one state, one render path.
 *
 * Everything the page shows lives in one store (shared/store.js); every change — an edit, a
 * preset, a run's answer, a race frame, a language switch, a restore from the URL — is a
 * `store.update`, and `render(state, prev)` below brings the screen in line, each panel diffing
 * the slice of the state it draws. The panels get what they need as arguments (the store, the api,
 * callbacks); none of them calls another.
 *
 *   model.js          config, presets, labels, request bodies     url_fields.js   the URL table
 *   surface_panel.js  surface picker, f(x, y), range, start       surface_data.js grid, description, f check
 *   run_cards.js      one card per optimizer run                  runner.js       runs, re-runs, streaming
 *   view_toggles.js   view switches                               race.js         animation clock
 *   figures.js        what to redraw: main_plot.js (paths, arrows; contour_layer.js the contour
 *                     under them, main_plot_3d.js the 3-D view), side_charts.js, inspector.js,
 *                     results_table.js
 *   sweep_panels.js   learning-rate sweep + start-point map       plot_pointer.js start picker, readout
 *
 * State: {lang, cat, limits (GET /api/limits), config (see model.js), epoch (+1 when the whole
 * config is replaced), pendingStep, exprCheck, grid, info, results, sweep, map, step, busy,
 * scheduled, stale, runError, retry, lastRun, finished, ready}.
 * `#optimizer-lab[data-ready]` becomes "true" once the first run is drawn, `data-busy` is "true"
 * while a run is in flight, `data-pending` while one is in flight, scheduled or waiting to be retried
 * after a 503 (`#run-status[data-retry]` then says "server busy, retrying in N s"), and `data-runs`
 * counts finished runs (tests wait on these).
 */

import { getJSON, postJSON, postSSE } from "../shared/api.js";
import { early } from "../shared/early_requests.js";
import { readUrlState, writeUrlState } from "../shared/url_state.js";
import { addDictionary, initI18n, t, onLanguageChange, getLang } from "../shared/i18n.js";
import { formatApiError } from "../shared/errors.js";
import { labFieldLabel } from "./field_labels.js";
import common from "../shared/dictionary.js";
import labDict from "./dictionary.js";
import { mountShell, toast, el } from "../shared/shell.js";
import { downloadText } from "../shared/format.js";
import { createStore, changed } from "../shared/store.js";
import { CUSTOM, PRESETS, makeCatalogue, defaultSurfaceParams, prefersLogLevels, suggestedLossScale, displayRuns, surfaceDomain, surfaceSpec, surfaceBody } from "./model.js";
import { configFromUrl, configToUrl } from "./url_fields.js";
import { RunCards } from "./run_cards.js";
import { linkSurfacePlot } from "./contour_layer.js";
import { attachStartPicker, attachReadout } from "./plot_pointer.js";
import { Race } from "./race.js";
import { runsToCSV, runsToJSON } from "./results_table.js";
import { createSurfacePanel } from "./surface_panel.js";
import { createSurfaceData } from "./surface_data.js";
import { createViewToggles } from "./view_toggles.js";
import { createFigures } from "./figures.js";
import { createSweepPanels } from "./sweep_panels.js";
import { createRunner } from "./runner.js";
import { createCurvature } from "./curvature.js";
import { createSavedRun } from "./saved_run.js"; // runs: Save, /?run=<id>
import { withLandscapeSurface } from "./landscape_surface.js"; // issue 11: a network's loss landscape
import { axisNames } from "./axis_names.js"; // a landscape plane's a, b instead of x, y
import { plotlyReady, holdDraws } from "../shared/plots.js";

addDictionary(common);
addDictionary(labDict);
initI18n();
mountShell({ active: "optimizer", titleKey: "lab.page_title" });

const $ = (id) => document.getElementById(id);
const root = $("optimizer-lab");
const api = { getJSON, postJSON, postSSE };

const store = createStore({
  lang: getLang(),
  cat: null,
  limits: null,
  config: null,
  epoch: 0,
  pendingStep: null, // step restored from the URL, applied after the first run
  exprCheck: { text: "", status: "ok", message: "", gradient: null, tex: null },
  grid: null, // {key, data: prepareGrid(answer)}
  info: null, // {key, spec}: the surface described for the current parameters
  results: null, // {request, runs, streamed, rev}
  sweep: null,
  map: null,
  step: 0,
  busy: false,
  scheduled: false,
  stale: false,
  runError: null,
  retry: null, // {seconds}: the server was busy (503), the run is sent again after this countdown
  lastRun: null,
  finished: 0,
  ready: false,
  curv: null, // the Hessian at the selected run's point (curvature.js)
});

/** Replace parts of the configuration (a shallow patch: changed parts are new objects). */
function setConfig(patch) {
  store.update((s) => ({ config: { ...s.config, ...patch } }));
}

function checkInputs(state) {
  if (cards.hasInvalid() || document.querySelector("#start-panel [aria-invalid=true], #surface-params [aria-invalid=true]")) {
    return t("lab.fix_fields");
  }
  if (state.config.surface === CUSTOM && state.exprCheck.status !== "ok") return t("lab.fix_expression");
  if (!state.config.runs.length) return t("lab.no_runs");
  return null;
}

// ---------------------------------------------------------------------------------------------
// Panels (each gets its dependencies; none reaches into another)

const race = new Race({
  play: $("race-play"),
  back: $("race-back"),
  forward: $("race-forward"),
  slider: $("race-slider"),
  speed: $("race-speed"),
  label: $("race-label"),
  onStep: (k) =>
    store.update((s) => (s.config ? { step: k, config: { ...s.config, step: k >= race.length - 1 ? null : k } } : { step: k })),
  formatLabel: (k, n) => t("race.step_of", { k, n }),
});
const cards = new RunCards($("run-cards"), {
  onRunsChange: (runs) => setConfig({ runs, map: { ...store.get().config.map, run: Math.min(store.get().config.map.run, Math.max(0, runs.length - 1)) } }),
  onOptimizerPicked: (key) => suggestLr(key),
  scheduleSpec: (type) => scaledSchedules.get(type) ?? null,
});

/**
 * A new or switched card gets its optimizer's defaults with an η that moves visibly on this
 * surface from this start within these steps (POST /api/lr-suggestion, docs/stability.md), and
 * the card says where it came from. An answer for a card that changed meanwhile (another
 * optimizer, or a parameter the student typed while the answer was on its way) is dropped.
 */
async function suggestLr(key) {
  const s = store.get();
  const run = s.config.runs.find((r) => r.key === key);
  if (!run || (s.config.surface === CUSTOM && s.exprCheck.status !== "ok")) return;
  const body = { ...surfaceBody(s.cat, s.config), start: [...s.config.start], steps: s.config.steps, optimizer: run.optimizer };
  const asked = JSON.stringify(run.params); // a value the student types meanwhile wins over the answer
  let answer;
  try {
    answer = await postJSON("/api/lr-suggestion", body);
  } catch {
    return; // the defaults stay; the run itself reports any problem with the surface
  }
  const now = store.get().config.runs;
  const i = now.findIndex((r) => r.key === key);
  if (i < 0 || now[i].optimizer !== answer.optimizer || JSON.stringify(now[i].params) !== asked) return;
  const runs = [...now];
  runs[i] = { ...now[i], params: { ...now[i].params, ...answer.params }, lrSource: { ...answer.source, lr: answer.lr } };
  setConfig({ runs });
}

/** Schedule specs whose defaults scale with the run's steps (GET /api/schedules?steps=N). */
let scaledSchedules = new Map();
let scaledFor = null;
async function loadScaledSchedules(steps) {
  if (steps === scaledFor) return;
  scaledFor = steps;
  try {
    const list = await getJSON(`/api/schedules?steps=${encodeURIComponent(steps)}`);
    if (scaledFor === steps) scaledSchedules = new Map(list.map((x) => [x.id, x]));
  } catch {
    scaledSchedules = new Map(); // the catalogue's defaults
  }
}
store.subscribe((st, prev) => {
  if (st.config && st.config.steps !== prev.config?.steps) loadScaledSchedules(st.config.steps);
});
const surfaceData = createSurfaceData({ store, api, onError: (err) => store.update({ runError: err }) });
const runner = createRunner({ store, api, race, checkInputs, toast });
const surfacePanel = createSurfacePanel({
  store,
  setConfig,
  selectSurface,
  checkExpression: (text) => surfaceData.checkExpression(text),
});
const toggles = createViewToggles({
  onToggle: (key, on) => setConfig({ view: { ...store.get().config.view, [key]: on } }),
  onArrowRun: (i) => setConfig({ view: { ...store.get().config.view, arrowRun: i } }),
});
// The first contour first (issue 9): every other chart (placeholders, side charts, sweep and map)
// is drawn after the main figure is on screen, or once the page knows it will not be drawn.
let releaseCharts;
const chartsReleased = new Promise((resolve) => (releaseCharts = resolve));
const MAIN_FIGURE = ["main-plot", "main-surface", "textbook-panels"].map($);
holdDraws((div) => MAIN_FIGURE.some((box) => box.contains(div)), chartsReleased);
const figures = createFigures({
  onMainDrawn: (drawn) =>
    drawn.finally(() => {
      $("main-loading").hidden = true;
      releaseCharts();
    }),
});
store.subscribe((s) => {
  if (s.runError) releaseCharts(); // no grid, no main figure: draw the rest now
});
createCurvature({ store, api });
const sweeps = createSweepPanels({ store, api, checkInputs, setConfig, toast });

function selectSurface(id) {
  const s = store.get();
  const surface = s.cat.surfaceById.get(id) ?? null;
  const custom = id === CUSTOM;
  store.update({
    config: {
      ...s.config,
      surface: id,
      surfaceParams: defaultSurfaceParams(surface),
      domain: null,
      view: { ...s.config.view, logLevels: prefersLogLevels(surface), lossScale: suggestedLossScale(surface) },
      start: surface?.start ? [...surface.start] : s.config.start,
    },
    sweep: null,
    map: null,
    exprCheck: { ...s.exprCheck, status: custom ? "pending" : "ok" },
  });
  if (custom) surfaceData.checkExpression(s.config.expression, { immediate: true, adoptStart: true });
}

/** A start point picked on a plot, rounded to a precision that suits the visible range. */
function setStart(point) {
  const s = store.get();
  const d = surfaceDomain(surfaceSpec(s), s.config);
  const round = (v, width) => Number(v.toFixed(Math.max(0, Math.min(6, 3 - Math.floor(Math.log10(Math.max(width, 1e-12)))))));
  $("start-x").setAttribute("aria-invalid", "false");
  $("start-y").setAttribute("aria-invalid", "false");
  setConfig({ start: [round(point[0], d.x[1] - d.x[0]), round(point[1], d.y[1] - d.y[0])] });
}

/** Replace the whole configuration (preset, first load) and run it. */
async function applyConfig(config) {
  runner.cancel();
  const s = store.get();
  const custom = config.surface === CUSTOM;
  store.update({
    config,
    epoch: s.epoch + 1,
    pendingStep: config.step,
    results: null,
    sweep: null,
    map: null,
    stale: false,
    exprCheck: { text: config.expression, status: custom ? "pending" : "ok", message: "", gradient: null, tex: null },
  });
  race.setLength(1);
  if (custom) await surfaceData.checkExpression(config.expression, { immediate: true });
  surfaceData.loadGrid();
  runner.run({ auto: true });
}

// ---------------------------------------------------------------------------------------------
// The one render path

function renderPresets(state, prev) {
  if (!changed(state, prev, (s) => s.lang)) return;
  const box = $("preset-buttons");
  box.replaceChildren();
  for (const p of PRESETS) {
    const b = el("button", { type: "button", class: "preset", "data-preset": p.id, "data-testid": `preset-${p.id}`, text: t(p.key), title: t(p.tip) });
    b.addEventListener("click", () => applyConfig(p.build(store.get().cat)));
    box.append(b);
  }
}

function renderStatus(state, prev) {
  if (changed(state, prev, (s) => s.busy, (s) => s.lang)) {
    const button = $("run-button");
    button.classList.toggle("busy", state.busy);
    button.textContent = state.busy ? t("common.running") : t("common.run");
  }
  const status = $("run-status");
  status.dataset.stale = String(state.stale);
  if (changed(state, prev, (s) => s.lastRun, (s) => s.retry, (s) => s.lang)) {
    if (state.retry) status.textContent = t("lab.busy_retry", { n: state.retry.seconds });
    else status.textContent = state.lastRun ? t("lab.run_done", state.lastRun) : "";
    status.dataset.retry = String(Boolean(state.retry));
  }
  if (changed(state, prev, (s) => s.runError, (s) => s.lang)) {
    const box = $("run-error");
    box.hidden = !state.runError;
    box.textContent = state.runError ? formatApiError(state.runError, { fieldLabel: labFieldLabel }) : "";
  }
  if (changed(state, prev, (s) => s.lang)) race.refreshLabel();
  root.dataset.busy = String(state.busy);
  root.dataset.pending = String(state.busy || state.scheduled || Boolean(state.retry));
  root.dataset.runs = String(state.finished);
  if (state.ready) root.dataset.ready = "true";
  root.dataset.lang = state.lang;
}

function render(state, before) {
  if (!state.cat || !state.config) return;
  const prev = before?.cat && before?.config ? before : null; // null: draw everything
  renderPresets(state, prev);
  surfacePanel.render(state, prev);
  cards.render(state, prev);
  toggles.render(state, prev);
  figures.render(state, prev);
  sweeps.render(state, prev);
  renderStatus(state, prev);
  if (changed(state, prev, (s) => s.config)) writeUrlState(configToUrl(state.config, state));
}

store.subscribe(render);
onLanguageChange((lang) => store.update({ lang }));
const savedRun = createSavedRun({ store, toast, configToUrl, displayRuns });
onLanguageChange(() => savedRun.render());

// ---------------------------------------------------------------------------------------------
// Export

function exportResults(kind) {
  const state = store.get();
  if (!state.results) {
    toast(t("results.nothing"), "error");
    return;
  }
  const runs = displayRuns(state);
  if (kind === "json") downloadText("optimizer-runs.json", runsToJSON(state.results.request, runs, window.location.href), "application/json");
  else downloadText("optimizer-runs.csv", runsToCSV(runs), "text/csv");
}

// ---------------------------------------------------------------------------------------------
// Boot

function wire() {
  $("run-button").addEventListener("click", () => runner.run({ auto: false }));
  $("add-run").addEventListener("click", () => {
    const { config, limits } = store.get();
    if (config.runs.length >= limits.max_runs) {
      toast(t("lab.max_runs", { n: limits.max_runs }), "error");
      return;
    }
    cards.addRun();
  });
  $("loss-scale").addEventListener("change", (e) => setConfig({ view: { ...store.get().config.view, lossScale: e.target.value } }));
  $("export-json").addEventListener("click", () => exportResults("json"));
  $("export-csv").addEventListener("click", () => exportResults("csv"));

  // The Plotly event handlers (onPlotly) are attached by each plot's first draw; until the first
  // contour, #main-loading says "Loading…" (plain HTML: a Plotly placeholder costs a draw).
  linkSurfacePlot($("main-plot"), $("main-surface"));
  attachStartPicker($("main-plot"), setStart);
  attachStartPicker($("map-plot"), setStart);
  attachReadout($("main-plot"), () => store.get().grid?.data ?? null, $("plot-readout"), () => axisNames(surfaceSpec(store.get())));
}

/** Boot failed (a catalogue or Plotly did not load): say so where the run status goes. */
function bootFailed(err) {
  const msg = t("common.server_unreachable", { message: err.message });
  store.update({ runError: msg });
  $("run-error").hidden = false;
  $("run-error").textContent = msg;
  toast(msg, "error", 15000);
  $("main-loading").hidden = true;
  releaseCharts();
}

async function boot() {
  let lists;
  try {
    // The catalogues are asked for before this module runs (early_requests.js) and before Plotly
    // (deferred, after this module in the page) runs; only drawing waits for Plotly.
    const [surfaces, optimizers, schedules, limits, lab] = await Promise.all([
      early("/api/surfaces"), // sent early (index.html names them), before the module graph has loaded
      early("/api/optimizers"),
      early("/api/schedules"),
      early("/api/limits"),
      early("/api/lab/catalogue"),
    ]);
    const withPlane = await withLandscapeSurface(surfaces, readUrlState(), { onError: (err) => toast(formatApiError(err), "error", 15000) });
    lists = { surfaces: withPlane, optimizers, schedules, limits, lab };
  } catch (err) {
    bootFailed(err);
    return;
  }
  const cat = { ...makeCatalogue(lists), lab: lists.lab }; // lab: run-card bounds and clip/noise starting values
  const { limits } = lists;
  const saved = await savedRun.savedConfig(); // runs: /?run=<id> restores a saved configuration
  const config = configFromUrl(saved ?? readUrlState(), { cat, limits });
  surfaceData.prefetchGrid(config); // the first contour's grid, asked for before Plotly and the first render
  try {
    await plotlyReady;
  } catch (err) {
    bootFailed(err);
    return;
  }
  $("steps-input").max = limits.max_steps;
  wire();
  store.update({ cat, limits });
  // The first contour before the first render (issue 9): run cards, formulas and the main
  // plot's axes and markers come after the surface is on screen.
  const grid = await surfaceData.prefetchedGrid(config);
  if (grid) {
    store.update({ grid });
    if (await figures.drawFirst({ ...store.get(), config })) $("main-loading").hidden = true;
  }
  applyConfig(config);
}

boot();
