/**
 * optimizer_lab.js — the Optimizer Lab page (static/index.html): holds the page state, wires the
 * panels together, runs the optimizers (POST /api/trajectories, or …/stream when steps > 2000),
 * drives the race and writes every change back to the URL. The pieces live in their own modules:
 *
 *   lab_model.js    config, presets, URL form, request bodies (no DOM)
 *   lab_surface.js  surface picker, formula/description, custom f(x, y), view range, start and
 *                   steps inputs, contour grid loading
 *   lab_view.js     view toggles, main plot at the current step, loss/distance charts, restyle
 *   lab_sweeps.js   learning-rate sweep + start-point map panels
 *   run_cards.js    optimizer cards                 contour.js       main plot (paths, arrows)
 *   race.js         animation clock                 surface_plot.js  2-D contour under it
 *   inspector.js    arrows + internal state         contour_grid.js  grid levels, f(x, y)
 *   results.js      results table + CSV/JSON        plot_pointer.js  start picker, readout
 *   charts.js       side charts
 *
 * The panel modules get one context object, `page` = {S, debounce, saveUrl, changed,
 * showRunError, checkInputs, labels, runNow, surface, view, sweeps}: the state `S` below, the
 * page's shared actions and each other (created once at load; nothing else is shared).
 *
 * Flow: catalogues (GET /api/surfaces, /api/optimizers, /api/schedules) → config (from the URL
 * or the textbook preset) → grid (GET …/grid) and runs (POST /api/trajectories, or …/stream when
 * steps > 2000) → drawing at the race's current step. Every change is written back to the URL.
 * `#optimizer-lab[data-ready]` becomes "true" once the first run is drawn, `data-busy` is "true"
 * while a run is in flight and `data-runs` counts finished runs (tests wait on these).
 */

import { getJSON, postJSON, postSSE, ApiError } from "./api.js";
import { readUrlState, writeUrlState } from "./state.js";
import { addDictionary, initI18n, t, onLanguageChange, getLang } from "./i18n.js";
import common from "./i18n/common.js";
import labDict from "./i18n/optimizer_lab.js";
import { mountShell, toast } from "./shell.js";
import { downloadText } from "./format.js";
import {
  CUSTOM,
  STREAM_THRESHOLD,
  MAX_RUNS,
  PRESETS,
  makeCatalogue,
  fromUrlState,
  toUrlState,
  defaultConfig,
  trajectoryBody,
  runLabel,
  labelTags,
} from "./lab_model.js";
import { RunCards, optimizerName } from "./run_cards.js";
import { drawMainPlotStep } from "./contour.js";
import { linkSurfacePlot } from "./surface_plot.js";
import { attachStartPicker, attachReadout } from "./plot_pointer.js";
import { Race } from "./race.js";
import { renderInspector } from "./inspector.js";
import { drawPlaceholder, moveCursor } from "./charts.js";
import { renderResults, runsToCSV, runsToJSON } from "./results.js";
import { createSurfacePanel } from "./lab_surface.js";
import { createView } from "./lab_view.js";
import { createSweepPanels } from "./lab_sweeps.js";

addDictionary(common);
addDictionary(labDict);
initI18n();
mountShell({ active: "optimizer", titleKey: "lab.page_title" });

const $ = (id) => document.getElementById(id);
const root = $("optimizer-lab");

/** Everything the page holds between events. */
const S = {
  cat: null,
  config: null,
  grid: null,
  gridKey: "",
  exprOk: true,
  results: null, // {request, runs: [...], streamed: bool}
  sweep: null,
  map: null,
  lastRun: null,
  finished: 0, // completed runs (exposed as #optimizer-lab[data-runs] for tests)
  pendingStep: null, // step restored from the URL, applied after the first run
  runSeq: 0,
  runAbort: null,
  gridAbort: null,
  info: null, // surface description for the current parameters (see lab_surface.js)
  infoKey: "",
  infoAbort: null,
  exprAbort: null,
  sweepAbort: null,
  mapAbort: null,
  timers: {},
};

function debounce(name, ms, fn) {
  clearTimeout(S.timers[name]);
  S.timers[name] = setTimeout(fn, ms);
}

/** The context the panel modules share (see the header): state, shared actions, each other. */
const page = { S, debounce, saveUrl, changed, showRunError, checkInputs, labels, runNow };
page.surface = createSurfacePanel(page);
page.view = createView(page);
page.sweeps = createSweepPanels(page);
const { surface, view, sweeps } = page;

// ---------------------------------------------------------------------------------------------
// URL state

function saveUrl({ now = false } = {}) {
  if (S.config) writeUrlState(toUrlState(S.config), { now });
}

// ---------------------------------------------------------------------------------------------
// Changes → URL, grid, auto-run

function changed({ grid = false, run = false } = {}) {
  saveUrl();
  if (grid) debounce("grid", 150, surface.loadGrid);
  if (run) {
    markStale();
    if (S.config.view.autoRun) debounce("run", 400, () => runNow({ auto: true }));
  }
}

function markStale() {
  if (S.results) $("run-status").dataset.stale = "true";
}

// ---------------------------------------------------------------------------------------------
// Running

function labels() {
  const tags = labelTags(t);
  return S.config.runs.map((r) => runLabel(r, optimizerName(S.cat.optimizerById.get(r.optimizer)), tags));
}

function showRunError(err) {
  const box = $("run-error");
  if (!err) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.hidden = false;
  box.textContent = err instanceof ApiError ? err.message : String(err.message ?? err);
}

function setBusy(busy) {
  root.dataset.busy = String(busy);
  const button = $("run-button");
  button.classList.toggle("busy", busy);
  button.textContent = busy ? t("common.running") : t("common.run");
}

function checkInputs() {
  if (S.cards.hasInvalid() || document.querySelector("#start-panel [aria-invalid=true], #surface-params [aria-invalid=true]")) {
    return t("lab.fix_fields");
  }
  if (S.config.surface === CUSTOM && !S.exprOk) return t("lab.fix_expression");
  if (!S.config.runs.length) return t("lab.no_runs");
  return null;
}

/** Attach label and colour to each run of an answer (in request order). */
function decorate(runs, names) {
  return runs.map((r, i) => ({ ...r, label: r.label ?? names[i], colour: S.config.runs[i]?.colour ?? "#333" }));
}

async function runNow({ auto = false } = {}) {
  const problem = checkInputs();
  if (problem) {
    if (!auto) {
      showRunError(new Error(problem));
      toast(problem, "error");
    }
    return;
  }
  showRunError(null);
  S.runAbort?.abort();
  const ctrl = new AbortController();
  S.runAbort = ctrl;
  const seq = ++S.runSeq;
  const names = labels();
  const body = trajectoryBody(S.cat, S.config, names);
  const started = performance.now();
  setBusy(true);
  S.race.pause();
  try {
    if (S.config.steps > STREAM_THRESHOLD) await runStream(body, names, ctrl, seq);
    else {
      const res = await postJSON("/api/trajectories", body, { signal: ctrl.signal });
      if (seq !== S.runSeq) return;
      S.results = { request: body, runs: decorate(res.runs, names), streamed: false };
    }
    if (seq !== S.runSeq) return;
    finishRun(performance.now() - started);
  } catch (err) {
    if (err.name === "AbortError" || seq !== S.runSeq) return;
    showRunError(err);
    if (!auto) toast(err.message, "error");
  } finally {
    if (seq === S.runSeq) setBusy(false);
  }
}

async function runStream(body, names, ctrl, seq) {
  const runs = names.map((label, i) => ({
    label,
    optimizer: body.runs[i].optimizer,
    colour: S.config.runs[i].colour,
    path: [],
    loss: [],
    diverged: false,
    diverged_at: null,
  }));
  S.results = { request: body, runs, streamed: true };
  let scheduled = false;
  const repaint = () => {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(() => {
      scheduled = false;
      if (seq !== S.runSeq) return;
      const n = Math.max(1, ...runs.map((r) => r.path.length));
      view.invalidateMain();
      S.race.setLength(n);
      S.race.set(n - 1, { force: true });
      view.drawSideCharts();
    });
  };
  await postSSE("/api/trajectories/stream", body, {
    signal: ctrl.signal,
    onEvent: (name, data) => {
      if (seq !== S.runSeq) return;
      if (name === "chunk" && data && runs[data.run]) {
        const run = runs[data.run];
        const from = data.from ?? run.path.length;
        run.path.splice(from, data.path.length, ...data.path);
        run.loss.splice(from, data.loss.length, ...data.loss);
        repaint();
      } else if (name === "done" && data) {
        (data.runs ?? []).forEach((summary, i) => {
          if (!runs[i]) return;
          const { path, loss, ...rest } = summary;
          Object.assign(runs[i], rest, { label: summary.label ?? runs[i].label, colour: runs[i].colour });
          if (Array.isArray(path) && path.length) runs[i].path = path;
          if (Array.isArray(loss) && loss.length) runs[i].loss = loss;
        });
      } else if (name === "error") {
        throw new ApiError(data?.message ?? data?.detail ?? "stream error", 500, data);
      }
    },
  });
}

function finishRun(ms) {
  const runs = S.results.runs;
  const n = Math.max(1, ...runs.map((r) => r.path.length));
  view.invalidateMain();
  S.race.setLength(n);
  const k = S.pendingStep !== null ? S.pendingStep : n - 1;
  S.pendingStep = null;
  S.config.step = k >= n - 1 ? null : k;
  S.race.set(Math.min(k, n - 1), { force: true });
  S.cards.setStatus(runs);
  renderResults($("results-body"), runs, (id) => optimizerName(S.cat.optimizerById.get(id)));
  view.drawSideCharts();
  sweeps.fillMapRunSelect();
  const status = $("run-status");
  status.dataset.stale = "false";
  S.lastRun = { runs: runs.length, steps: S.config.steps, ms: Math.round(ms) };
  status.textContent = t("lab.run_done", S.lastRun);
  root.dataset.ready = "true";
  S.finished += 1;
  root.dataset.runs = String(S.finished);
  saveUrl();
}

// ---------------------------------------------------------------------------------------------
// Race hookup: drawing at the current step

function onStep(k) {
  if (!S.config) return;
  const n = S.race.length;
  S.config.step = k >= n - 1 ? null : k;
  if (S.grid) drawMainPlotStep($("main-plot"), view.mainModel());
  renderInspector($("inspector"), S.results?.runs ?? [], k);
  moveCursor($("loss-plot"), k);
  moveCursor($("distance-plot"), k);
  saveUrl();
}

// ---------------------------------------------------------------------------------------------
// Export

function exportJSON() {
  if (!S.results) {
    toast(t("results.nothing"), "error");
    return;
  }
  downloadText("optimizer-runs.json", runsToJSON(S.results.request, S.results.runs, window.location.href), "application/json");
}

function exportCSV() {
  if (!S.results) {
    toast(t("results.nothing"), "error");
    return;
  }
  downloadText("optimizer-runs.csv", runsToCSV(S.results.runs), "text/csv");
}

// ---------------------------------------------------------------------------------------------
// Presets

function renderPresets() {
  const box = $("preset-buttons");
  box.replaceChildren();
  for (const p of PRESETS) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "preset";
    b.dataset.preset = p.id;
    b.setAttribute("data-testid", `preset-${p.id}`);
    b.textContent = t(p.key);
    b.title = t(p.tip);
    b.addEventListener("click", () => applyConfig(p.build(S.cat), { run: true }));
    box.append(b);
  }
}

/** Replace the whole configuration (preset, first load) and redraw everything. */
function applyConfig(config, { run = true } = {}) {
  S.config = config;
  S.results = null;
  S.sweep = null;
  S.map = null;
  S.exprOk = true;
  surface.fillSurfaceSelect();
  surface.renderSurfaceInfo();
  surface.renderStartInputs();
  view.renderViewInputs();
  sweeps.renderInputs();
  S.cards.render(config.runs);
  renderResults($("results-body"), [], () => "");
  renderInspector($("inspector"), [], 0);
  S.race.setLength(1);
  view.drawSideCharts();
  saveUrl();
  const after = () => {
    surface.loadGrid();
    if (run) runNow({ auto: true });
  };
  if (config.surface === CUSTOM) surface.validateExpression(config.expression, { immediate: true }).then(after);
  else after();
}

// ---------------------------------------------------------------------------------------------
// Language switch: redraw everything that holds translated text

function onLanguage() {
  if (!S.cat) return;
  const sel = $("surface-select").value;
  surface.fillSurfaceSelect();
  $("surface-select").value = sel;
  surface.renderSurfaceInfo();
  renderPresets();
  S.cards.render(S.config.runs);
  if (S.results) {
    S.cards.setStatus(S.results.runs);
    renderResults($("results-body"), S.results.runs, (id) => optimizerName(S.cat.optimizerById.get(id)));
  }
  renderInspector($("inspector"), S.results?.runs ?? [], view.currentStep());
  S.race.refreshLabel();
  setBusy(root.dataset.busy === "true");
  if (S.results && S.lastRun) $("run-status").textContent = t("lab.run_done", S.lastRun);
  view.redrawMain();
  view.drawSideCharts();
}

// ---------------------------------------------------------------------------------------------
// Boot

function wire() {
  surface.wire();
  view.wire();
  sweeps.wire();
  $("run-button").addEventListener("click", () => runNow({ auto: false }));
  $("add-run").addEventListener("click", () => {
    if (S.config.runs.length >= MAX_RUNS) {
      toast(t("lab.max_runs", { n: MAX_RUNS }), "error");
      return;
    }
    S.cards.addRun();
  });

  $("export-json").addEventListener("click", exportJSON);
  $("export-csv").addEventListener("click", exportCSV);

  // Plotly adds its event API (div.on) on the first draw: draw placeholders before attaching.
  drawPlaceholder($("main-plot"), t("common.loading"));
  drawPlaceholder($("map-plot"), t("map.empty"));
  linkSurfacePlot($("main-plot"), $("main-surface"));
  attachStartPicker($("main-plot"), surface.setStart);
  attachStartPicker($("map-plot"), surface.setStart);
  attachReadout($("main-plot"), () => S.grid, $("plot-readout"));
  onLanguageChange(onLanguage);
}

async function boot() {
  let lists;
  try {
    const [surfaces, optimizers, schedules] = await Promise.all([
      getJSON("/api/surfaces"),
      getJSON("/api/optimizers"),
      getJSON("/api/schedules"),
    ]);
    lists = { surfaces, optimizers, schedules };
  } catch (err) {
    const msg = t("common.server_unreachable", { message: err.message });
    showRunError(new Error(msg));
    toast(msg, "error", 15000);
    return;
  }
  S.cat = makeCatalogue(lists);
  const saved = readUrlState();
  const config = saved ? fromUrlState(saved, S.cat) : defaultConfig(S.cat);
  S.pendingStep = config.step;

  S.cards = new RunCards($("run-cards"), S.cat, {
    onChange: ({ cosmetic = false, index = -1 } = {}) => {
      if (cosmetic) view.restyleRun(index);
      else changed({ run: true });
    },
    onStructure: () => {
      sweeps.fillMapRunSelect();
      changed({ run: true });
    },
  });
  S.race = new Race({
    play: $("race-play"),
    back: $("race-back"),
    forward: $("race-forward"),
    slider: $("race-slider"),
    speed: $("race-speed"),
    label: $("race-label"),
    onStep,
    formatLabel: (k, n) => t("race.step_of", { k, n }),
  });
  wire();
  renderPresets();
  applyConfig(config, { run: true });
  root.dataset.lang = getLang();
}

boot();
