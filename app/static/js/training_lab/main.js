/**
 * training_lab/main.js — the Training Lab page (GET /training): holds the page state, wires the
 * configuration form, the run list, the session control, the charts and the initialisation
 * experiment together, switches between the two views and mirrors everything in the URL.
 *
 * Modules: model.js (config, presets, URL state, request bodies), form.js
 * (form ⇄ config), run_list.js (presets, run list, run labels), session_control.js
 * (start / stop, progress, errors), chart_panels.js (throttled redraws of every chart, the
 * results and export), job_stream.js (jobs + SSE), curve_charts.js (loss / accuracy / lr,
 * gradient norms, update ratios), histogram_charts.js (per-layer distributions),
 * result_charts.js (decision boundary, confusion matrix, summary, export),
 * init_experiment.js (POST /api/activations panels).
 *
 * Everything the user chooses lives in `state` (see model.js) and is mirrored in the URL
 * hash (url_state.js), so a reload or a shared link restores the same configuration and view.
 * Redraws are coalesced into animation frames and throttled while events stream in.
 * The panel modules get one context object, `page` = {lab, root, saveState, runs, control,
 * charts}: the page's data `lab` below, the URL writer and each other (created once at load).
 * `window.trainingLab` exposes the live state, session and display for the browser tests.
 */

import { getJSON } from "../shared/api.js";
import { addDictionary, initI18n, onLanguageChange, t, getLang } from "../shared/i18n.js";
import common from "../shared/dictionary.js";
import labDict from "./dictionary.js";
import { mountShell, toast } from "../shared/shell.js";
import { readUrlState, writeUrlState } from "../shared/url_state.js";
import { DEFAULT_FORM, INIT_PANELS, fromUrlState, presetRuns, runLabel, toUrlState } from "./model.js";
import { TrainingForm } from "./form.js";
import { InitExperimentView } from "./init_experiment.js";
import { createRunList } from "./run_list.js";
import { createSessionControl } from "./session_control.js";
import { createCharts } from "./chart_panels.js";

addDictionary(common);
addDictionary(labDict);
initI18n();
mountShell({ active: "training", titleKey: "train.page_title" });

const $ = (id) => document.getElementById(id);
const root = $("training-lab");

/** Everything the page holds between events (handed to the panel modules as `page.lab`). */
const lab = {
  /** Page state (mirrored in the URL). */
  state: null,
  /** Catalogues from the API. */
  cat: null,
  /** The form controller. */
  form: null,
  /** The running / last training session. */
  session: null,
  /** Results display: which run is shown in the per-run charts, which frame, follow live? */
  display: { focus: 0, frame: 0, follow: true },
  /** The initialisation experiment: its panels, loaded on first show, and the re-run debounce. */
  initView: null,
  initLoaded: false,
  initTimer: null,
};

function saveState({ now = false } = {}) {
  writeUrlState(toUrlState(lab.state), { now });
}

/** The context the panel modules share (see the header). */
const page = { lab, root, saveState };
page.runs = createRunList(page);
page.control = createSessionControl(page);
page.charts = createCharts(page);
const { runs, control, charts } = page;

// ---------------------------------------------------------------- views

function setView(view) {
  lab.state.v = view;
  for (const b of document.querySelectorAll(".view-tabs [data-view]")) {
    const on = b.dataset.view === view;
    b.setAttribute("aria-selected", String(on));
    b.classList.toggle("active", on);
  }
  $("view-train").hidden = view !== "train";
  $("view-init").hidden = view !== "init";
  $("training-controls").classList.toggle("dimmed", view === "init");
  if (view === "init" && !lab.initLoaded) {
    lab.initLoaded = true;
    runInitExperiment();
  }
  if (view === "train") charts.invalidate("curves", "hist", "results");
  window.dispatchEvent(new Event("resize")); // Plotly sizes hidden plots on show
  saveState();
}

function renderHistControls() {
  for (const b of document.querySelectorAll("#hist-views [data-hv]")) b.setAttribute("aria-pressed", String(b.dataset.hv === lab.state.hv));
  for (const b of document.querySelectorAll("#hist-quantity [data-hq]")) b.setAttribute("aria-pressed", String(b.dataset.hq === lab.state.hq));
}

// ---------------------------------------------------------------- init experiment

function renderInitChoices() {
  const box = $("init-choices");
  box.replaceChildren();
  for (const p of INIT_PANELS) {
    const label = document.createElement("label");
    label.className = "toggle init-choice";
    const input = document.createElement("input");
    input.type = "checkbox";
    input.value = p.id;
    input.checked = lab.state.ie.panels.includes(p.id);
    input.setAttribute("data-testid", `ie-panel-${p.id}`);
    input.addEventListener("change", () => {
      const chosen = new Set(lab.state.ie.panels);
      if (input.checked) chosen.add(p.id);
      else chosen.delete(p.id);
      lab.state.ie.panels = INIT_PANELS.map((x) => x.id).filter((id) => chosen.has(id));
      saveState();
      runInitExperiment();
    });
    const span = document.createElement("span");
    span.textContent = t(`init.panel.${p.id}`);
    label.append(input, span);
    box.append(label);
  }
  for (const input of document.querySelectorAll("[data-ie]")) {
    const key = input.dataset.ie;
    if (input.type === "checkbox") input.checked = Boolean(lab.state.ie[key]);
    else if (document.activeElement !== input) input.value = String(lab.state.ie[key]);
  }
}

function runInitExperiment() {
  if (lab.initTimer) clearTimeout(lab.initTimer);
  lab.initTimer = setTimeout(() => {
    lab.initTimer = null;
    lab.initView.run(lab.state.ie);
  }, 150);
}

function onInitInput(ev) {
  const input = ev.target;
  const key = input.dataset.ie;
  if (!key) return;
  if (input.type === "checkbox") lab.state.ie[key] = input.checked;
  else {
    const v = Number(input.value);
    const ok = Number.isInteger(v) && v >= Number(input.min || 0) && (!input.max || v <= Number(input.max));
    input.classList.toggle("invalid", !ok);
    if (!ok) return;
    lab.state.ie[key] = v;
  }
  saveState();
  runInitExperiment();
}

// ---------------------------------------------------------------- boot

async function loadCatalogue() {
  const [datasets, optimizers, schedules] = await Promise.all([
    getJSON("/api/datasets"),
    getJSON("/api/optimizers"),
    getJSON("/api/schedules"),
  ]);
  const mlp = optimizers.filter((o) => o.mlp && !o.needs_hessian);
  return {
    datasets,
    optimizers: mlp,
    schedules,
    datasetById: new Map(datasets.map((d) => [d.id, d])),
    optimizerById: new Map(mlp.map((o) => [o.id, o])),
    scheduleById: new Map(schedules.map((s) => [s.id, s])),
  };
}

function wire() {
  runs.wire();
  control.wire();
  charts.wire();
  for (const b of document.querySelectorAll(".view-tabs [data-view]")) b.addEventListener("click", () => setView(b.dataset.view));
  for (const b of document.querySelectorAll("#hist-views [data-hv]")) {
    b.addEventListener("click", () => {
      lab.state.hv = b.dataset.hv;
      renderHistControls();
      saveState();
      charts.invalidate("hist");
    });
  }
  for (const b of document.querySelectorAll("#hist-quantity [data-hq]")) {
    b.addEventListener("click", () => {
      lab.state.hq = b.dataset.hq;
      renderHistControls();
      saveState();
      charts.invalidate("hist");
    });
  }
  $("view-init").addEventListener("change", onInitInput);
  onLanguageChange(() => {
    if (lab.session && lab.session.forms) {
      lab.session.runs.forEach((r, i) => {
        r.label = runLabel(lab.session.forms[i], lab.session.forms, runs.describe);
      });
    }
    lab.form.fillSelects();
    runs.renderPresets();
    runs.renderRuns();
    renderInitChoices();
    if (lab.initView) lab.initView.render();
    charts.invalidate("curves", "hist", "results", "progress");
  });
}

async function boot() {
  try {
    lab.cat = await loadCatalogue();
  } catch (err) {
    control.showRunError(t("common.server_unreachable", { message: err.message }));
    root.dataset.ready = "error";
    return;
  }
  const saved = readUrlState();
  lab.state = fromUrlState(saved);
  if (!saved) lab.state.runs = presetRuns("default");
  lab.state.runs = lab.state.runs.map(runs.fitToCatalogue);
  lab.state.sel = Math.min(lab.state.sel, lab.state.runs.length - 1);

  lab.form = new TrainingForm($("training-form"), lab.cat, { onChange: runs.onFormChange });
  lab.form.load(lab.state.runs[lab.state.sel]);
  lab.initView = new InitExperimentView($("init-panels"), {
    t,
    onError: (err) => toast(err.message || String(err), "error", 8000),
  });
  wire();
  runs.renderPresets();
  runs.renderRuns();
  renderHistControls();
  renderInitChoices();
  setView(lab.state.v);
  charts.invalidate("curves", "hist", "results", "progress");
  saveState({ now: true });
  root.dataset.ready = "true";
  document.documentElement.dataset.lang = getLang();
}

boot();

// For the browser tests and the curious: the live objects (read-only use).
window.trainingLab = {
  get state() {
    return lab.state;
  },
  get session() {
    return lab.session;
  },
  get display() {
    return lab.display;
  },
  DEFAULT_FORM,
};
