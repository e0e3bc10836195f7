/**
 * main.js — the Training Lab page (GET /training): one state, one render path.
 *
 * Everything the page shows lives in one store (shared/store.js): the configuration (mirrored in
 * the URL hash through url_fields.js, so a reload or a shared link restores it), the catalogues,
 * the running / last session and what the charts display. Every change — an edit, a preset, a
 * telemetry event, a language switch, a restore from the URL — is a `store.update`, and
 * `render(state, prev)` below brings the screen in line; each panel diffs the slice it draws and
 * gets its dependencies (the store, callbacks) as arguments — none calls another.
 *
 * Modules: model.js (form fields, defaults and bounds from the catalogue, request
 * bodies), url_fields.js (the URL table), form.js (form ⇄ the selected run), run_list.js (presets,
 * run list, run labels), session_control.js (start / stop, progress, errors), chart_panels.js
 * (throttled redraws of every chart, the results and export), job_stream.js (jobs + SSE),
 * curve_charts.js, histogram_charts.js, result_charts.js (what they draw), compare_charts.js
 * (runs side by side, the batch-norm small multiples), units_view.js (per-unit heatmap),
 * lesson_panels.js (notes that state a chart's lesson), plot_text.js (text alternatives),
 * saturation_text.js (per-activation saturation labels), presets.js, field_labels.js (error
 * labels), init_experiment.js (POST /api/activations panels).
 *
 * State: {lang, cat (lists + `catalogue` = GET /api/training/catalogue), defaults (the default
 * form), config {v, runs, sel, pr, hv, hq, ie}, formEpoch (+1: the form reloads the selected run),
 * session, telemetry {metrics, epoch, status}, display {focus, frame, follow}, runError, errorKeys}.
 * `window.trainingLab` exposes the live state, session and display for the browser tests.
 */

import { early } from "../shared/early_requests.js";
import { addDictionary, initI18n, onLanguageChange, t, getLang } from "../shared/i18n.js";
import { formatApiError } from "../shared/errors.js";
import { trainingFieldLabel } from "./field_labels.js";
import common from "../shared/dictionary.js";
import labDict from "./dictionary.js";
import { mountShell, toast } from "../shared/shell.js";
import { readUrlState, writeUrlState } from "../shared/url_state.js";
import { createStore, changed } from "../shared/store.js";
import { INIT_PANELS, formDefaults, runLabel } from "./model.js";
import { presetRuns } from "./presets.js";
import { defaultState, stateFromUrl, stateToUrl } from "./url_fields.js";
import { TrainingForm } from "./form.js";
import { InitExperimentView } from "./init_experiment.js";
import { createRunList, describe, fitToCatalogue } from "./run_list.js";
import { createSessionControl } from "./session_control.js";
import { createCharts } from "./chart_panels.js";
import { createUploadPanel, withUploads } from "./upload_panel.js"; // uploads: "Your own data"
import savedDict from "./saved_runs/dictionary.js"; // runs: "Saved runs"
import { createSavedRunsView } from "./saved_runs/view.js";

import searchDict from "./search/dictionary.js"; // search: "Hyperparameter search"
import { createSearchView } from "./search/view.js";
import { searchDefaults } from "./search/model.js";
import { createLandscapeView } from "./landscape/view.js"; // issue 11: the Landscape view
import { plotlyReady, holdDraws } from "../shared/plots.js";

addDictionary(common);
addDictionary(labDict);
addDictionary(savedDict);
addDictionary(searchDict);
initI18n();
mountShell({ active: "training", titleKey: "train.page_title" });

const $ = (id) => document.getElementById(id);
const root = $("training-lab");
// The loss chart first (issue 9): the training view's other charts, and the plots outside the
// views (the upload panel's), are drawn after it (shared/plots.js); the other views draw at once.
holdDraws((div) => div.id === "loss-plot" || Boolean(div.closest(".view:not(#view-train)")));

const store = createStore({
  lang: getLang(),
  cat: null,
  defaults: null,
  config: null,
  formEpoch: 0,
  session: null,
  telemetry: { metrics: 0, epoch: 0, status: 0 },
  display: { focus: 0, frame: 0, follow: true },
  runError: "",
  errorKeys: [],
  landscape: null, // the Landscape view's last answer (landscape/view.js)
});

function setConfig(patch) {
  store.update((s) => ({ config: { ...s.config, ...patch } }));
}

// ---------------------------------------------------------------- panels

const form = new TrainingForm($("training-form"), { onChange: (next, previous) => runList.onFormChange(next, previous) });
const runList = createRunList({ store, setConfig, toast });
createSessionControl({ store, hasInvalid: () => form.hasInvalid(), toast });
const charts = createCharts({ store, toast });
const searchView = createSearchView({ store, setConfig }); // search
const landscapeView = createLandscapeView({ store, setConfig, toast });
const initView = new InitExperimentView($("init-panels"), { t, onError: (err) => toast(formatApiError(err), "error", 8000) });

// ---------------------------------------------------------------- views, histogram controls, init experiment

function renderView(state, prev) {
  if (!changed(state, prev, (s) => s.config.v)) return;
  const view = state.config.v;
  for (const b of document.querySelectorAll(".view-tabs [data-view]")) {
    const on = b.dataset.view === view;
    b.setAttribute("aria-selected", String(on));
    b.classList.toggle("active", on);
  }
  $("view-train").hidden = view !== "train";
  $("view-init").hidden = view !== "init";
  $("view-runs").hidden = view !== "runs";
  $("view-search").hidden = view !== "search"; // search
  $("view-landscape").hidden = view !== "landscape";
  $("training-controls").classList.toggle("dimmed", view !== "train");
  if (prev) window.dispatchEvent(new Event("resize")); // Plotly sizes hidden plots on show
}

function renderHistControls(state, prev) {
  if (!changed(state, prev, (s) => s.config.hv, (s) => s.config.hq, (s) => s.config.hi, (s) => s.config.hc)) return;
  for (const b of document.querySelectorAll("#hist-views [data-hv]")) b.setAttribute("aria-pressed", String(b.dataset.hv === state.config.hv));
  for (const b of document.querySelectorAll("#hist-quantity [data-hq]")) b.setAttribute("aria-pressed", String(b.dataset.hq === state.config.hq));
}

function renderInitChoices(state, prev) {
  if (!changed(state, prev, (s) => s.config.ie, (s) => s.lang)) return;
  const { ie } = state.config;
  const box = $("init-choices");
  box.replaceChildren();
  for (const p of INIT_PANELS) {
    const label = document.createElement("label");
    label.className = "toggle init-choice";
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = p.id;
    input.checked = ie.panels.includes(p.id);
    input.setAttribute("data-testid", `ie-panel-${p.id}`);
    input.addEventListener("change", () => {
      const chosen = new Set(store.get().config.ie.panels);
      if (input.checked) chosen.add(p.id);
      else chosen.delete(p.id);
      setConfig({ ie: { ...store.get().config.ie, panels: INIT_PANELS.map((x) => x.id).filter((id) => chosen.has(id)) } });
    });
    const span = document.createElement("span");
    span.textContent = t(`init.panel.${p.id}`);
    label.append(input, span);
    box.append(label);
  }
  for (const input of document.querySelectorAll("[data-ie]")) {
    const key = input.dataset.ie;
    if (input.type === "checkbox") input.checked = Boolean(ie[key]);
    else if (document.activeElement !== input) input.value = String(ie[key]);
  }
}

let initTimer = null;
let initShown = null; // {ie, lang} the init experiment's panels were last drawn for

/**
 * The init experiment runs when its view is first shown and again (debounced) when its settings
 * change; a language switch redraws its panels (when they are next shown).
 */
function runInitExperiment(state) {
  if (state.config.v !== "init") return;
  const { ie } = state.config;
  if (initShown?.ie !== ie) {
    clearTimeout(initTimer);
    initTimer = setTimeout(() => initView.run(store.get().config.ie), 150);
  } else if (initShown.lang !== state.lang) initView.render();
  initShown = { ie, lang: state.lang };
}

function onInitInput(ev) {
  const input = ev.target;
  const key = input.dataset.ie;
  if (!key) return;
  let value;
  if (input.type === "checkbox") value = input.checked;
  else {
    value = Number(input.value);
    const ok = Number.isInteger(value) && value >= Number(input.min || 0) && (!input.max || value <= Number(input.max));
    input.classList.toggle("invalid", !ok);
    if (!ok) return;
  }
  setConfig({ ie: { ...store.get().config.ie, [key]: value } });
}

// ---------------------------------------------------------------- the one render path

function render(state, before) {
  if (!state.cat || !state.config) return;
  const prev = before?.cat && before?.config ? before : null; // null: draw everything
  if (changed(state, prev, (s) => s.lang) && state.session?.forms) {
    // the session's runs carry labels in the language they started in: relabel them
    const forms = state.session.forms;
    state.session.runs.forEach((r, i) => {
      r.label = runLabel(forms[i], forms, (k, v, f) => describe(state, k, v, f));
    });
  }
  form.render(state, prev);
  runList.render(state, prev);
  renderView(state, prev);
  renderHistControls(state, prev);
  renderInitChoices(state, prev);
  uploads.render(state, prev); // uploads: "Your own data"
  savedRuns.render(state, prev); // runs: "Saved runs"
  runInitExperiment(state);
  searchView.render(state, prev); // search
  landscapeView.render(state, prev);
  charts.render(state, prev);
  if (changed(state, prev, (s) => s.runError, (s) => s.lang)) {
    $("run-error").textContent = state.runError ? formatApiError(state.runError, { fieldLabel: trainingFieldLabel(store.get) }) : "";
    $("run-error").hidden = !state.runError;
  }
  if (changed(state, prev, (s) => s.config)) writeUrlState(stateToUrl(state.config, state), { now: !prev });
  document.documentElement.dataset.lang = state.lang;
}

// uploads: "Your own data" (upload_panel.js); created before the first render
const uploads = createUploadPanel({ store, root: $("upload-panel"), toast });

// runs: "Saved runs" (saved_runs/view.js); opening one shows it in the Training view like a finished run
function openSession(session) {
  if (store.get().session?.running) {
    toast(t("saved.busy"), "error", 6000);
    return;
  }
  store.update((s) => ({
    session,
    display: { focus: 0, frame: Math.max(0, (session.runs[0]?.frames.length ?? 1) - 1), follow: true },
    telemetry: { metrics: s.telemetry.metrics + 1, epoch: s.telemetry.epoch + 1, status: s.telemetry.status + 1 },
    config: { ...s.config, v: "train" },
  }));
}
const savedRuns = createSavedRunsView({ store, root: $("view-runs"), openSession, toast });

store.subscribe(render);
onLanguageChange((lang) => store.update({ lang }));

// ---------------------------------------------------------------- boot

async function loadCatalogue() {
  const [datasets, optimizers, schedules, catalogue, searchCatalogue] = await Promise.all([
    early("/api/datasets"), // sent early (training.html names them), before the module graph has loaded
    early("/api/optimizers"),
    early("/api/schedules"),
    early("/api/training/catalogue"),
    early("/api/searches/catalogue"), // search
  ]);
  // what the server offers for MLPs, in its order, with the details of the general lists
  const pick = (list, ids) => ids.map((id) => list.find((x) => x.id === id)).filter(Boolean);
  const usable = { datasets: withUploads(datasets, catalogue.datasets) /* uploads */, optimizers: pick(optimizers, catalogue.optimizers), schedules: pick(schedules, catalogue.schedules) };
  return {
    ...usable,
    catalogue,
    searchCatalogue, // search
    datasetById: new Map(usable.datasets.map((d) => [d.id, d])),
    optimizerById: new Map(usable.optimizers.map((o) => [o.id, o])),
    scheduleById: new Map(usable.schedules.map((s) => [s.id, s])),
  };
}

function wire() {
  for (const b of document.querySelectorAll(".view-tabs [data-view]")) b.addEventListener("click", () => setConfig({ v: b.dataset.view }));
  for (const b of document.querySelectorAll("#hist-views [data-hv]")) b.addEventListener("click", () => setConfig({ hv: b.dataset.hv }));
  for (const b of document.querySelectorAll("#hist-quantity [data-hq]")) b.addEventListener("click", () => setConfig({ hq: b.dataset.hq }));
  for (const b of document.querySelectorAll("#loss-scale [data-ly]")) b.addEventListener("click", () => setConfig({ ly: b.dataset.ly }));
  $("hist-inference").addEventListener("change", (ev) => setConfig({ hi: ev.target.checked }));
  $("hist-compare").addEventListener("change", (ev) => setConfig({ hc: ev.target.checked }));
  $("view-init").addEventListener("change", onInitInput);
}

async function boot() {
  let cat;
  try {
    // fetched as soon as this module runs; Plotly (deferred, after this module in the page) runs meanwhile
    [cat] = await Promise.all([loadCatalogue(), plotlyReady]);
  } catch (err) {
    $("run-error").textContent = t("common.server_unreachable", { message: err.message });
    $("run-error").hidden = false;
    root.dataset.ready = "error";
    return;
  }
  const defaults = formDefaults(cat.catalogue);
  const { limits } = cat.catalogue;
  $("ie-layers").max = String(limits.max_layers);
  $("ie-n").max = String(limits.max_activation_samples);
  $("ie-width").max = String(limits.max_width);
  // the init experiment's inputs also take POST /api/activations' own static bounds (catalogue `activation_experiment`)
  const ieFields = { n: "n_samples", features: "n_features", layers: "layers", width: "width", bins: "bins", seed: "seed" };
  for (const [key, name] of Object.entries(ieFields)) {
    const b = cat.catalogue.activation_experiment[name];
    $(`ie-${key}`).min = String(b.minimum);
    if (b.maximum !== undefined) $(`ie-${key}`).max = String(b.maximum);
  }
  const ctx = { catalogue: cat.catalogue, defaults, searchCatalogue: cat.searchCatalogue };
  const config = stateFromUrl(readUrlState(), ctx) ?? defaultState(presetRuns("default", defaults), cat.catalogue);
  config.s = config.s ?? searchDefaults(cat.searchCatalogue); // search
  config.runs = config.runs.map((f) => fitToCatalogue(cat, defaults, f));
  config.sel = Math.min(config.sel, config.runs.length - 1);
  wire();
  store.update({ cat, defaults, config });
  root.dataset.ready = "true";
  savedRuns.openFromUrl(); // runs: /training?run=<id>
}

boot();

// For the browser tests and the curious: the live objects (read-only use).
window.trainingLab = {
  get state() {
    return store.get().config;
  },
  get session() {
    return store.get().session;
  },
  get display() {
    return store.get().display;
  },
  get defaults() {
    return store.get().defaults;
  },
  get catalogue() {
    return store.get().cat?.catalogue ?? null;
  },
  get search() {
    return { main: searchView.main, contrast: searchView.contrast }; // search: the searches shown
  },
};
