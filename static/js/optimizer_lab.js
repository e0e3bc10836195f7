/**
 * optimizer_lab.js — the Optimizer Lab page (static/index.html): wires the surface picker, the
 * optimizer cards, the main contour plot, the race, the step inspector, the results table, the
 * side charts and the URL state together. The pieces live in their own modules:
 *
 *   lab_model.js  config, presets, URL form, request bodies     contour.js   main + surface plot
 *   run_cards.js  optimizer cards                               race.js      animation clock
 *   inspector.js  arrows + internal state at the current step   charts.js    side charts
 *   results.js    results table + CSV/JSON export
 *
 * Flow: catalogues (GET /api/surfaces, /api/optimizers, /api/schedules) → config (from the URL
 * or the textbook preset) → grid (GET …/grid) and runs (POST /api/trajectories, or …/stream when
 * steps > 2000) → drawing at the race's current step. Every change is written back to the URL.
 * `#optimizer-lab[data-ready]` becomes "true" once the first run is drawn, `data-busy` is "true"
 * while a run is in flight and `data-runs` counts finished runs (tests wait on these).
 */

import { getJSON, postJSON, postSSE, ApiError } from "./api.js";
import { readUrlState, writeUrlState } from "./state.js";
import { addDictionary, initI18n, t, tr, onLanguageChange, getLang } from "./i18n.js";
import common from "./i18n/common.js";
import labDict from "./i18n/optimizer_lab.js";
import { mountShell, toast } from "./shell.js";
import { renderMath, exprToTex } from "./math.js";
import { fmt, parseNumber, downloadText } from "./format.js";
import {
  CUSTOM,
  STREAM_THRESHOLD,
  MAX_RUNS,
  MAX_STEPS,
  PRESETS,
  makeCatalogue,
  fromUrlState,
  toUrlState,
  defaultConfig,
  defaultSurfaceParams,
  prefersLogLevels,
  surfaceDomain,
  surfaceMinima,
  surfaceBody,
  trajectoryBody,
  runBody,
  runLabel,
  labelTags,
} from "./lab_model.js";
import { RunCards, optimizerName } from "./run_cards.js";
import { prepareGrid, linkSurfacePlot, drawMainPlot, drawMainPlotStep, attachStartPicker, attachReadout } from "./contour.js";
import { Race } from "./race.js";
import { renderInspector } from "./inspector.js";
import { drawLoss, drawDistance, drawSweep, drawStartMap, drawPlaceholder, moveCursor } from "./charts.js";
import { renderResults, runsToCSV, runsToJSON } from "./results.js";

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
  info: null, // surface description for the current parameters (see surfaceSpec)
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

function textBundle() {
  return {
    minimum: t("plot.minimum"),
    saddle: t("plot.saddle"),
    start: t("plot.start"),
    step: t("common.step"),
    current: t("plot.current"),
    whole_path: t("view.ghost"),
    loss: t("chart.loss_axis"),
    linear: t("chart.linear"),
    distance: t("chart.distance_axis"),
    no_minima: t("chart.no_minima"),
    lr: t("sweep.lr_axis"),
    final_loss: t("sweep.final_loss"),
    final_loss_log: t("map.final_loss_log"),
    diverged: t("common.diverged"),
    diverged_fraction: t("map.diverged_fraction"),
  };
}

// ---------------------------------------------------------------------------------------------
// URL state

function saveUrl({ now = false } = {}) {
  if (S.config) writeUrlState(toUrlState(S.config), { now });
}

// ---------------------------------------------------------------------------------------------
// Surface panel

/** The catalogue entry of the current surface (null for custom). */
function currentSurface() {
  return S.cat.surfaceById.get(S.config.surface) ?? null;
}

function infoKey() {
  const c = S.config;
  return JSON.stringify([c.surface, c.surface === CUSTOM ? c.expression : c.surfaceParams]);
}

/**
 * The current surface as described for the current parameters (GET /api/surfaces/{id}?…, or
 * custom?expression=…): formula, description, domain, minima and saddles can move with them.
 * Until that answer arrives, the catalogue entry (or a plain custom stand-in).
 */
function surfaceSpec() {
  if (S.info && S.infoKey === infoKey()) return S.info;
  if (S.config.surface === CUSTOM) {
    return { domain: { x: [-5, 5], y: [-5, 5] }, minima: [], saddles: [], formula: `f(x,y) = ${exprToTex(S.config.expression)}` };
  }
  return currentSurface();
}

async function loadSurfaceInfo() {
  const cfg = S.config;
  const custom = cfg.surface === CUSTOM;
  if (custom && !S.exprOk) return;
  const key = infoKey();
  if (S.info && S.infoKey === key) return;
  S.infoAbort?.abort();
  const ctrl = new AbortController();
  S.infoAbort = ctrl;
  try {
    const info = await getJSON(`/api/surfaces/${encodeURIComponent(cfg.surface)}`, custom ? { expression: cfg.expression } : { ...cfg.surfaceParams }, { signal: ctrl.signal });
    if (key !== infoKey()) return;
    S.info = info;
    S.infoKey = key;
    renderSurfaceText();
    renderDomainInputs();
    redrawMain();
    drawSideCharts();
  } catch (err) {
    if (err.name !== "AbortError") console.warn("surface description unavailable:", err.message);
  }
}

function fillSurfaceSelect() {
  const select = $("surface-select");
  select.replaceChildren();
  for (const s of S.cat.surfaces) {
    const o = document.createElement("option");
    o.value = s.id;
    o.textContent = tr(s.name) || s.id;
    select.append(o);
  }
  const o = document.createElement("option");
  o.value = CUSTOM;
  o.textContent = t("lab.custom");
  select.append(o);
  select.value = S.config.surface;
}

/** Formula and description of the current surface, in the current language. */
function renderSurfaceText() {
  const spec = surfaceSpec();
  renderMath($("surface-formula"), spec?.formula ?? "");
  const description = tr(spec?.description);
  $("surface-description").textContent = description || (S.config.surface === CUSTOM ? t("lab.custom_description") : "");
}

function renderSurfaceInfo() {
  const cfg = S.config;
  const surface = currentSurface();
  const custom = cfg.surface === CUSTOM;
  $("expression-row").hidden = !custom;
  $("expression-input").value = cfg.expression;
  renderSurfaceText();

  const params = $("surface-params");
  params.replaceChildren();
  for (const p of surface?.params ?? []) {
    const label = document.createElement("label");
    label.className = "field";
    const caption = document.createElement("span");
    caption.className = "field-label";
    caption.textContent = tr(p.description) || (p.name === "kappa" ? t("lab.kappa") : p.name);
    const input = document.createElement("input");
    input.type = "number";
    input.step = "any";
    input.id = `surface-param-${p.name}`;
    input.dataset.testid = `surface-param-${p.name}`;
    input.setAttribute("data-testid", `surface-param-${p.name}`);
    if (Number.isFinite(p.min)) input.min = p.min;
    if (Number.isFinite(p.max)) input.max = p.max;
    input.value = cfg.surfaceParams[p.name] ?? p.default;
    input.addEventListener("input", () => {
      const v = parseNumber(input.value);
      const ok = Number.isFinite(v) && !(Number.isFinite(p.min) && v < p.min) && !(Number.isFinite(p.max) && v > p.max);
      input.setAttribute("aria-invalid", String(!ok));
      input.title = ok ? "" : t("common.invalid_number", { min: fmt(p.min), max: fmt(p.max) });
      if (!ok) return;
      cfg.surfaceParams[p.name] = v;
      changed({ grid: true, run: true });
    });
    label.append(caption, input);
    params.append(label);
  }
  renderDomainInputs();
}

function renderDomainInputs() {
  const d = surfaceDomain(surfaceSpec(), S.config);
  $("domain-x0").value = d.x[0];
  $("domain-x1").value = d.x[1];
  $("domain-y0").value = d.y[0];
  $("domain-y1").value = d.y[1];
}

function onDomainInput() {
  const vals = ["domain-x0", "domain-x1", "domain-y0", "domain-y1"].map((id) => parseNumber($(id).value));
  const ok = vals.every(Number.isFinite) && vals[0] < vals[1] && vals[2] < vals[3];
  for (const id of ["domain-x0", "domain-x1", "domain-y0", "domain-y1"]) $(id).setAttribute("aria-invalid", String(!ok));
  if (!ok) return;
  S.config.domain = { x: [vals[0], vals[1]], y: [vals[2], vals[3]] };
  changed({ grid: true });
}

function selectSurface(id) {
  const cfg = S.config;
  cfg.surface = id;
  const surface = currentSurface();
  cfg.surfaceParams = defaultSurfaceParams(surface);
  cfg.domain = null;
  cfg.view.logLevels = prefersLogLevels(surface);
  renderViewInputs();
  if (surface?.start) cfg.start = [...surface.start];
  S.sweep = null;
  S.map = null;
  renderSurfaceInfo();
  renderStartInputs();
  if (id === CUSTOM) validateExpression(cfg.expression, { immediate: true, adoptStart: true });
  else S.exprOk = true;
  changed({ grid: true, run: true });
  drawSideCharts();
}

/**
 * Check a typed f(x, y) with the server; show the error inline, or its gradient. `adoptStart`
 * (when picking "custom") also moves the start to the server's suggestion for that function.
 */
async function validateExpression(text, { immediate = false, adoptStart = false } = {}) {
  const run = async () => {
    S.exprAbort?.abort();
    const ctrl = new AbortController();
    S.exprAbort = ctrl;
    const box = $("expression-error");
    const input = $("expression-input");
    try {
      const res = await postJSON("/api/expressions/validate", { expression: text }, { signal: ctrl.signal });
      S.exprOk = true;
      box.hidden = true;
      box.textContent = "";
      input.setAttribute("aria-invalid", "false");
      const grad = res.gradient_tex ?? (res.gradient ?? []).map(exprToTex);
      if (grad.length === 2) {
        renderMath($("expression-gradient"), `\\nabla f = \\left( ${grad[0]}, \\; ${grad[1]} \\right)`);
      } else {
        $("expression-gradient").replaceChildren();
      }
      renderMath($("surface-formula"), res.tex ?? `f(x,y) = ${exprToTex(text)}`);
      if (adoptStart && Array.isArray(res.start) && res.start.length === 2) {
        S.config.start = [...res.start];
        renderStartInputs();
      }
      if (S.config.expression !== text) {
        S.config.expression = text;
        changed({ grid: true, run: true });
      } else if (adoptStart) {
        changed({ grid: true, run: true });
      }
    } catch (err) {
      if (err.name === "AbortError") return;
      S.exprOk = false;
      box.hidden = false;
      box.textContent = err instanceof ApiError ? err.message : String(err);
      input.setAttribute("aria-invalid", "true");
      $("expression-gradient").replaceChildren();
    }
  };
  if (immediate) return run();
  debounce("expr", 300, run);
  return null;
}

// ---------------------------------------------------------------------------------------------
// Start / steps

function renderStartInputs() {
  $("start-x").value = S.config.start[0];
  $("start-y").value = S.config.start[1];
  $("steps-input").value = S.config.steps;
}

/** Round a picked coordinate to a precision that suits the visible range. */
function roundForRange(v, width) {
  const decimals = Math.max(0, Math.min(6, 3 - Math.floor(Math.log10(Math.max(width, 1e-12)))));
  return Number(v.toFixed(decimals));
}

function setStart(point) {
  const d = surfaceDomain(surfaceSpec(), S.config);
  S.config.start = [roundForRange(point[0], d.x[1] - d.x[0]), roundForRange(point[1], d.y[1] - d.y[0])];
  renderStartInputs();
  $("start-x").setAttribute("aria-invalid", "false");
  $("start-y").setAttribute("aria-invalid", "false");
  changed({ run: true });
  redrawMain();
}

// ---------------------------------------------------------------------------------------------
// Changes → URL, grid, auto-run

function changed({ grid = false, run = false } = {}) {
  saveUrl();
  if (grid) debounce("grid", 150, loadGrid);
  if (run) {
    markStale();
    if (S.config.view.autoRun) debounce("run", 400, () => runNow({ auto: true }));
  }
}

function markStale() {
  if (S.results) $("run-status").dataset.stale = "true";
}

function gridQuery() {
  const cfg = S.config;
  const q = { n: 120, scale: cfg.view.logLevels ? "log" : "linear" };
  if (cfg.domain) Object.assign(q, { x_min: cfg.domain.x[0], x_max: cfg.domain.x[1], y_min: cfg.domain.y[0], y_max: cfg.domain.y[1] });
  if (cfg.surface === CUSTOM) q.expression = cfg.expression;
  else Object.assign(q, cfg.surfaceParams);
  return q;
}

async function loadGrid() {
  const cfg = S.config;
  if (cfg.surface === CUSTOM && !S.exprOk) return;
  loadSurfaceInfo();
  const query = gridQuery();
  const key = JSON.stringify([cfg.surface, query]);
  if (key === S.gridKey && S.grid) return;
  S.gridAbort?.abort();
  const ctrl = new AbortController();
  S.gridAbort = ctrl;
  try {
    const api = await getJSON(`/api/surfaces/${encodeURIComponent(cfg.surface)}/grid`, query, { signal: ctrl.signal });
    S.grid = prepareGrid(api);
    S.gridKey = key;
    redrawMain();
  } catch (err) {
    if (err.name === "AbortError") return;
    showRunError(err);
  }
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
      invalidateMain();
      S.race.setLength(n);
      S.race.set(n - 1, { force: true });
      drawSideCharts();
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
  invalidateMain();
  S.race.setLength(n);
  const k = S.pendingStep !== null ? S.pendingStep : n - 1;
  S.pendingStep = null;
  S.config.step = k >= n - 1 ? null : k;
  S.race.set(Math.min(k, n - 1), { force: true });
  S.cards.setStatus(runs);
  renderResults($("results-body"), runs, (id) => optimizerName(S.cat.optimizerById.get(id)));
  drawSideCharts();
  fillMapRunSelect();
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
// Drawing at the current step

function currentStep() {
  return S.race ? S.race.step : 0;
}

function mainModel() {
  const cfg = S.config;
  return {
    grid: S.grid,
    surface: surfaceSpec(),
    domain: surfaceDomain(surfaceSpec(), cfg),
    start: cfg.start,
    view: cfg.view,
    runs: S.results?.runs ?? [],
    step: currentStep(),
    text: textBundle(),
    revision: `${S.gridKey}|${cfg.view.threeD}`,
  };
}

/** The next step change redraws the whole main plot (new runs: ghosts, legend, trace count). */
function invalidateMain() {
  $("main-plot")._stepLayout = null;
}

/** Full redraw of the main plot (surface, markers, runs). */
function redrawMain() {
  if (!S.grid) return;
  drawMainPlot($("main-plot"), mainModel());
}

function onStep(k) {
  if (!S.config) return;
  const n = S.race.length;
  S.config.step = k >= n - 1 ? null : k;
  if (S.grid) drawMainPlotStep($("main-plot"), mainModel());
  renderInspector($("inspector"), S.results?.runs ?? [], k);
  moveCursor($("loss-plot"), k);
  moveCursor($("distance-plot"), k);
  saveUrl();
}

function drawSideCharts() {
  const runs = S.results?.runs ?? [];
  const text = textBundle();
  const k = currentStep();
  if (runs.length) {
    drawLoss($("loss-plot"), runs, k, text);
    drawDistance($("distance-plot"), runs, surfaceMinima(surfaceSpec()), k, text);
  } else {
    drawPlaceholder($("loss-plot"), t("chart.empty"));
    drawPlaceholder($("distance-plot"), t("chart.empty"));
  }
  if (S.sweep) drawSweep($("sweep-plot"), S.sweep.data, S.sweep.colours, stabilityThreshold(), text);
  else drawPlaceholder($("sweep-plot"), t("sweep.empty"));
  if (S.map) drawStartMap($("map-plot"), S.map, surfaceSpec(), S.config.start, text);
  else drawPlaceholder($("map-plot"), t("map.empty"));
}

/** A run's colour or label changed: redraw with the results we have, no new computation. */
function restyleRun(index) {
  saveUrl();
  const run = S.config.runs[index];
  const res = S.results?.runs?.[index];
  if (!run || !res || S.results.runs.length !== S.config.runs.length) return;
  res.colour = run.colour;
  res.label = labels()[index];
  debounce("restyle", 120, () => {
    invalidateMain();
    redrawMain();
    drawSideCharts();
    renderResults($("results-body"), S.results.runs, (id) => optimizerName(S.cat.optimizerById.get(id)));
    renderInspector($("inspector"), S.results.runs, currentStep());
    fillMapRunSelect();
  });
}

// ---------------------------------------------------------------------------------------------
// Sweep and start-point map

/**
 * Plain-GD stability limit near the minimum: GD on a quadratic with Hessian H converges only for
 * η < 2/λ_max(H). Used when the sweep answer has no `gd_threshold`. The Hessian's eigenvalues
 * come from the API: a surface may list them
 * (`hessian_eigenvalues`), else a one-step Newton run started at the (global) minimum reports
 * them in its state (`eig`). For a quadratic (book_bowl, course_quadratic, ill_conditioned) the
 * limit is exact everywhere; elsewhere it is the local limit near that minimum.
 * Returns {lr} or null (custom functions, saddles only, no positive curvature).
 */
async function fetchStabilityThreshold() {
  const s = surfaceSpec();
  if (!s) return null;
  let eig = Array.isArray(s.hessian_eigenvalues) ? s.hessian_eigenvalues : null;
  const minimum = s.global_minima?.[0] ?? s.minima?.[0];
  if (!eig && minimum && S.cat.optimizerById.has("newton")) {
    const body = {
      ...surfaceBody(S.cat, S.config),
      start: [...minimum],
      steps: 1,
      runs: [{ optimizer: "newton", params: { lr: 1 }, label: "hessian probe" }],
      record_state: true,
    };
    try {
      const res = await postJSON("/api/trajectories", body);
      eig = res.runs?.[0]?.state?.eig?.[0] ?? null;
    } catch {
      eig = null;
    }
  }
  if (!Array.isArray(eig) || !eig.every(Number.isFinite)) return null;
  const lmax = Math.max(...eig);
  if (!(lmax > 0)) return null;
  return { lr: 2 / lmax };
}

/** The threshold of the current sweep with its label in the current language. */
function stabilityThreshold() {
  const th = S.sweep?.threshold;
  return th ? { lr: th.lr, label: t("sweep.threshold", { lr: fmt(th.lr, 3) }) } : null;
}

async function runSweep() {
  const problem = checkInputs();
  if (problem) {
    toast(problem, "error");
    return;
  }
  const lrMin = parseNumber($("sweep-lr-min").value);
  const lrMax = parseNumber($("sweep-lr-max").value);
  const n = Math.round(parseNumber($("sweep-n").value));
  if (!(lrMin > 0 && lrMax > lrMin && n >= 2)) {
    toast(t("sweep.bad_range"), "error");
    return;
  }
  S.config.sweep = { lrMin, lrMax, n };
  saveUrl();
  S.sweepAbort?.abort();
  const ctrl = new AbortController();
  S.sweepAbort = ctrl;
  const names = labels();
  const colours = S.config.runs.map((r) => r.colour);
  const body = {
    ...surfaceBody(S.cat, S.config),
    start: [...S.config.start],
    steps: Math.min(S.config.steps, 2000),
    runs: S.config.runs.map((r, i) => runBody(r, names[i])),
    lr_min: lrMin,
    lr_max: lrMax,
    n,
  };
  const button = $("sweep-button");
  button.disabled = true;
  button.classList.add("busy");
  try {
    const data = await postJSON("/api/sweeps/lr", body, { signal: ctrl.signal });
    // the sweep answer may carry plain GD's limit itself; else derive it from the Hessian
    const threshold = Number.isFinite(data.gd_threshold) && data.gd_threshold > 0 ? { lr: data.gd_threshold } : await fetchStabilityThreshold();
    S.sweep = { data, colours, threshold };
    drawSweep($("sweep-plot"), data, colours, stabilityThreshold(), textBundle());
  } catch (err) {
    if (err.name !== "AbortError") toast(err.message, "error");
  } finally {
    button.disabled = false;
    button.classList.remove("busy");
  }
}

function fillMapRunSelect() {
  const select = $("map-run");
  const names = labels();
  select.replaceChildren(
    ...names.map((name, i) => {
      const o = document.createElement("option");
      o.value = String(i);
      o.textContent = name;
      return o;
    }),
  );
  const idx = Math.min(S.config.map.run, Math.max(0, names.length - 1));
  select.value = String(idx);
}

async function runMap() {
  const problem = checkInputs();
  if (problem) {
    toast(problem, "error");
    return;
  }
  const idx = Number($("map-run").value);
  const n = Math.round(parseNumber($("map-n").value));
  const steps = Math.round(parseNumber($("map-steps").value));
  if (!(n >= 5 && n <= 200 && steps >= 1 && steps <= 2000) || !S.config.runs[idx]) {
    toast(t("map.bad_input"), "error");
    return;
  }
  S.config.map = { run: idx, n, steps };
  saveUrl();
  S.mapAbort?.abort();
  const ctrl = new AbortController();
  S.mapAbort = ctrl;
  const { label, ...run } = runBody(S.config.runs[idx], labels()[idx]);
  const body = {
    ...surfaceBody(S.cat, S.config),
    run,
    steps,
    n,
    domain: S.config.domain ? { x: [...S.config.domain.x], y: [...S.config.domain.y] } : null,
  };
  const button = $("map-button");
  button.disabled = true;
  button.classList.add("busy");
  try {
    S.map = await postJSON("/api/sweeps/start-map", body, { signal: ctrl.signal });
    drawStartMap($("map-plot"), S.map, surfaceSpec(), S.config.start, textBundle());
  } catch (err) {
    if (err.name !== "AbortError") toast(err.message, "error");
  } finally {
    button.disabled = false;
    button.classList.remove("busy");
  }
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
// View toggles, presets

const VIEW_INPUTS = {
  "view-filled": "filled",
  "view-3d": "threeD",
  "view-equal": "equal",
  "view-log": "logLevels",
  "view-grad": "grad",
  "view-update": "update",
  "view-velocity": "velocity",
  "view-ghost": "ghost",
  "auto-run": "autoRun",
};

function renderViewInputs() {
  for (const [id, key] of Object.entries(VIEW_INPUTS)) $(id).checked = Boolean(S.config.view[key]);
  $("plot-panel").classList.toggle("three-d", S.config.view.threeD);
}

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

function renderSweepMapInputs() {
  $("sweep-lr-min").value = S.config.sweep.lrMin;
  $("sweep-lr-max").value = S.config.sweep.lrMax;
  $("sweep-n").value = S.config.sweep.n;
  $("map-n").value = S.config.map.n;
  $("map-steps").value = S.config.map.steps;
  fillMapRunSelect();
}

/** Replace the whole configuration (preset, first load) and redraw everything. */
function applyConfig(config, { run = true } = {}) {
  S.config = config;
  S.results = null;
  S.sweep = null;
  S.map = null;
  S.exprOk = true;
  fillSurfaceSelect();
  renderSurfaceInfo();
  renderStartInputs();
  renderViewInputs();
  renderSweepMapInputs();
  S.cards.render(config.runs);
  renderResults($("results-body"), [], () => "");
  renderInspector($("inspector"), [], 0);
  S.race.setLength(1);
  drawSideCharts();
  saveUrl();
  const after = () => {
    loadGrid();
    if (run) runNow({ auto: true });
  };
  if (config.surface === CUSTOM) validateExpression(config.expression, { immediate: true }).then(after);
  else after();
}

// ---------------------------------------------------------------------------------------------
// Language switch: redraw everything that holds translated text

function onLanguage() {
  if (!S.cat) return;
  const sel = $("surface-select").value;
  fillSurfaceSelect();
  $("surface-select").value = sel;
  renderSurfaceInfo();
  renderPresets();
  S.cards.render(S.config.runs);
  if (S.results) {
    S.cards.setStatus(S.results.runs);
    renderResults($("results-body"), S.results.runs, (id) => optimizerName(S.cat.optimizerById.get(id)));
  }
  renderInspector($("inspector"), S.results?.runs ?? [], currentStep());
  S.race.refreshLabel();
  setBusy(root.dataset.busy === "true");
  if (S.results && S.lastRun) $("run-status").textContent = t("lab.run_done", S.lastRun);
  redrawMain();
  drawSideCharts();
}

// ---------------------------------------------------------------------------------------------
// Boot

function wire() {
  $("surface-select").addEventListener("change", (ev) => selectSurface(ev.target.value));
  $("expression-input").addEventListener("input", (ev) => validateExpression(ev.target.value));
  for (const id of ["domain-x0", "domain-x1", "domain-y0", "domain-y1"]) $(id).addEventListener("change", onDomainInput);
  $("domain-reset").addEventListener("click", () => {
    S.config.domain = null;
    renderDomainInputs();
    changed({ grid: true });
  });

  const startInput = (id, index) =>
    $(id).addEventListener("input", () => {
      const v = parseNumber($(id).value);
      const ok = Number.isFinite(v);
      $(id).setAttribute("aria-invalid", String(!ok));
      if (!ok) return;
      S.config.start[index] = v;
      changed({ run: true });
      redrawMain();
    });
  startInput("start-x", 0);
  startInput("start-y", 1);
  $("steps-input").addEventListener("input", () => {
    const v = parseNumber($("steps-input").value);
    const ok = Number.isInteger(v) && v >= 1 && v <= MAX_STEPS;
    $("steps-input").setAttribute("aria-invalid", String(!ok));
    $("steps-input").title = ok ? "" : t("common.invalid_number", { min: 1, max: MAX_STEPS });
    if (!ok) return;
    S.config.steps = v;
    changed({ run: true });
  });
  $("run-button").addEventListener("click", () => runNow({ auto: false }));
  $("add-run").addEventListener("click", () => {
    if (S.config.runs.length >= MAX_RUNS) {
      toast(t("lab.max_runs", { n: MAX_RUNS }), "error");
      return;
    }
    S.cards.addRun();
  });

  for (const [id, key] of Object.entries(VIEW_INPUTS)) {
    $(id).addEventListener("change", () => {
      S.config.view[key] = $(id).checked;
      renderViewInputs();
      saveUrl();
      if (key === "autoRun") {
        if (S.config.view.autoRun && $("run-status").dataset.stale === "true") runNow({ auto: true });
        return;
      }
      if (key === "logLevels") {
        loadGrid();
        return;
      }
      redrawMain();
    });
  }

  $("export-json").addEventListener("click", exportJSON);
  $("export-csv").addEventListener("click", exportCSV);
  $("sweep-button").addEventListener("click", runSweep);
  $("map-button").addEventListener("click", runMap);
  $("map-run").addEventListener("change", () => {
    S.config.map.run = Number($("map-run").value);
    saveUrl();
  });

  // Plotly adds its event API (div.on) on the first draw: draw placeholders before attaching.
  drawPlaceholder($("main-plot"), t("common.loading"));
  drawPlaceholder($("map-plot"), t("map.empty"));
  linkSurfacePlot($("main-plot"), $("main-surface"));
  attachStartPicker($("main-plot"), setStart);
  attachStartPicker($("map-plot"), setStart);
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
      if (cosmetic) restyleRun(index);
      else changed({ run: true });
    },
    onStructure: () => {
      fillMapRunSelect();
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
