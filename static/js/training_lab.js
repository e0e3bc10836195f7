/**
 * training_lab.js — the Training Lab page (GET /training): wires the configuration form, presets,
 * runs, the live telemetry charts, the results and the initialisation experiment together.
 *
 * Modules: training_model.js (config, presets, URL state, request bodies), training_form.js
 * (form ⇄ config), training_stream.js (jobs + SSE), training_curves.js (loss / accuracy / lr,
 * gradient norms, update ratios), training_histograms.js (per-layer distributions),
 * training_results.js (decision boundary, confusion matrix, summary, export),
 * training_init_experiment.js (POST /api/activations panels).
 *
 * Everything the user chooses lives in `state` (see training_model.js) and is mirrored in the URL
 * hash (state.js), so a reload or a shared link restores the same configuration and view.
 * Redraws are coalesced into animation frames and throttled while events stream in.
 */

import { ApiError, getJSON } from "./api.js";
import { addDictionary, initI18n, onLanguageChange, t, tr, hasKey, getLang } from "./i18n.js";
import common from "./i18n/common.js";
import lab from "./i18n/training_lab.js";
import { mountShell, toast } from "./shell.js";
import { readUrlState, writeUrlState } from "./state.js";
import { Plotly, colourAt } from "./plots.js";
import { downloadText, fmt } from "./format.js";
import {
  DEFAULT_FORM,
  INIT_PANELS,
  MAX_RUNS,
  PRESETS,
  PRESET_BY_ID,
  buildConfig,
  clone,
  diffForm,
  formKeyOfField,
  fromUrlState,
  presetRuns,
  runLabel,
  same,
  toUrlState,
  varyingKeys,
} from "./training_model.js";
import { TrainingForm } from "./training_form.js";
import { TrainingSession, TERMINAL } from "./training_stream.js";
import { drawCurves, drawDynamics } from "./training_curves.js";
import { drawHistograms, layerBadges } from "./training_histograms.js";
import { drawBoundary, drawConfusion, renderSummary, runToCSV, runToJSON } from "./training_results.js";
import { InitExperimentView } from "./training_init_experiment.js";

addDictionary(common);
addDictionary(lab);
initI18n();
mountShell({ active: "training", titleKey: "train.page_title" });

const $ = (id) => document.getElementById(id);
const root = $("training-lab");

/** Page state (mirrored in the URL). */
let state = null;
/** Catalogues from the API. */
let cat = null;
/** The form controller. */
let form = null;
/** The running / last training session. */
let session = null;
/** Results display: which run is shown in the per-run charts, which frame, follow live? */
const display = { focus: 0, frame: 0, follow: true };
let initView = null;
let initLoaded = false;

// ---------------------------------------------------------------- labels of runs

function fmtNumber(v) {
  return fmt(v, 3);
}

/** "key=value" text for a form key (run labels and the run list). */
function describe(key, value, f) {
  switch (key) {
    case "label":
      return String(value).startsWith("@") ? t(String(value).slice(1)) : String(value);
    case "ds": {
      const ds = cat?.datasetById.get(value);
      return ds ? tr(ds.name) : String(value);
    }
    case "opt":
      return hasKey(`opt.${value}`) ? t(`opt.${value}`) : cat?.optimizerById.get(value)?.name ?? String(value);
    case "hp": {
      const parts = Object.entries(value || {}).map(([k, v]) => `${k === "lr" ? "η" : k}=${fmtNumber(v)}`);
      return parts.length ? parts.join(" ") : t("train.defaults");
    }
    case "init":
      return value === "normal" ? `σ=${fmtNumber(f.std)}` : t(`initm.${value}`);
    case "std":
      return `σ=${fmtNumber(value)}`;
    case "act":
      return t(`act.${value}`);
    case "bn":
      return value ? t("train.bn_on") : t("train.bn_off");
    case "dp":
      return `${t("train.dropout_short")} ${fmtNumber(value)}`;
    case "l2":
      return `L2 λ=${fmtNumber(value)}`;
    case "l1":
      return `L1 λ=${fmtNumber(value)}`;
    case "h":
      return `[${(value || []).join(",")}]`;
    case "bs":
      return value === 0 ? t("train.bs_gd") : `${t("train.batch_short")} ${value}`;
    case "ep":
      return `${value} ${t("train.epochs_short")}`;
    case "tl":
      return value === null ? t("train.all") : `${t("train.train_short")} ${value}`;
    case "sch":
      return value ? tr(cat?.scheduleById.get(value.type)?.name) || value.type : t("train.constant_lr");
    case "clip":
      return value ? `${t(`clip.${value.mode}`)} ${fmtNumber(value.max)}` : t("clip.none");
    case "es":
      return value ? t("train.early_stopping") : t("train.no_early_stopping");
    default:
      return `${key}=${typeof value === "object" ? JSON.stringify(value) : value}`;
  }
}

function labels() {
  return state.runs.map((r) => runLabel(r, state.runs, describe));
}

function colours() {
  return (session ? session.runs : state.runs).map((_, i) => colourAt(i));
}

// ---------------------------------------------------------------- state and URL

function fitToCatalogue(f) {
  const out = clone(f);
  const ds = cat.datasetById.get(out.ds);
  if (!ds || ds.available === false) {
    out.ds = "digits";
    out.n = out.noise = out.cls = null;
  }
  let spec = cat.optimizerById.get(out.opt);
  if (!spec) {
    out.opt = cat.optimizerById.has("adam") ? "adam" : cat.optimizers[0]?.id;
    out.hp = {};
    spec = cat.optimizerById.get(out.opt);
  }
  const names = new Set((spec?.hyperparams ?? []).map((h) => h.name));
  out.hp = Object.fromEntries(Object.entries(out.hp || {}).filter(([k]) => names.has(k)));
  if (out.sch && !cat.scheduleById.has(out.sch.type)) out.sch = null;
  if (out.sch && out.sch.type === "constant") out.sch = null;
  return out;
}

function saveState({ now = false } = {}) {
  writeUrlState(toUrlState(state), { now });
}

// ---------------------------------------------------------------- presets and runs

function renderPresets() {
  const box = $("preset-buttons");
  if (!box.children.length) {
    // built once and then updated in place (a rebuild could swallow a click)
    for (const p of PRESETS) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "preset";
      b.dataset.preset = p.id;
      b.setAttribute("data-testid", `preset-${p.id}`);
      b.addEventListener("click", () => applyPreset(p.id));
      box.append(b);
    }
  }
  for (const b of box.children) {
    const p = PRESET_BY_ID.get(b.dataset.preset);
    b.textContent = t(`preset.${p.id}`);
    b.title = t(`preset.${p.id}.note`);
    const active = state.pr === p.id && same(state.runs, presetRuns(p.id).map(fitToCatalogue));
    b.classList.toggle("active", active);
    b.setAttribute("aria-pressed", String(active));
  }
  $("preset-note").textContent = state.pr ? t(`preset.${state.pr}.note`) : "";
}

function applyPreset(id) {
  if (session && session.running) {
    toast(t("train.busy_edit"), "info");
    return;
  }
  state.runs = presetRuns(id).map(fitToCatalogue);
  state.sel = 0;
  state.pr = id;
  form.load(state.runs[0]);
  renderRuns();
  renderPresets();
  saveState();
}

function renderRuns() {
  const list = $("run-list");
  const names = labels();
  const axis = varyingKeys(state.runs).filter((k) => k !== "label");
  // Rebuild only when something shown changed: a rebuild between mousedown and click (a field's
  // `change` fires on blur) would swallow the click on a run.
  const details = state.runs.map((r) =>
    axis.length
      ? axis.map((k) => describe(k, r[k], r)).join(" · ")
      : `${describe("opt", r.opt, r)} ${describe("hp", r.hp, r)} · [${r.h.join(",")}] ${t(`act.${r.act}`)}`,
  );
  const key = JSON.stringify([names, details, state.sel]);
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  list.replaceChildren();
  state.runs.forEach((r, i) => {
    const li = document.createElement("li");
    li.className = "run-item";
    li.classList.toggle("selected", i === state.sel);
    li.setAttribute("data-testid", `run-item-${i}`);
    li.style.setProperty("--run-colour", colourAt(i));
    const pick = document.createElement("button");
    pick.type = "button";
    pick.className = "run-pick";
    pick.setAttribute("aria-pressed", String(i === state.sel));
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.setAttribute("aria-hidden", "true");
    const name = document.createElement("span");
    name.className = "run-name";
    name.textContent = names[i];
    const detail = document.createElement("span");
    detail.className = "run-detail";
    detail.textContent = details[i];
    pick.append(swatch, name, detail);
    pick.addEventListener("click", () => selectRun(i));
    li.append(pick);
    if (state.runs.length > 1) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "icon-button remove";
      remove.textContent = "×";
      remove.title = t("common.remove");
      remove.setAttribute("aria-label", `${t("common.remove")}: ${names[i]}`);
      remove.setAttribute("data-testid", `run-remove-${i}`);
      remove.addEventListener("click", () => removeRun(i));
      li.append(remove);
    }
    list.append(li);
  });
  $("run-duplicate").disabled = state.runs.length >= MAX_RUNS;
  const editing = $("editing-note");
  editing.textContent = state.runs.length > 1 ? t("train.editing_run", { label: names[state.sel] }) : "";
  editing.hidden = state.runs.length < 2;
  editing.style.setProperty("--run-colour", colourAt(state.sel));
  $("start-button").textContent = state.runs.length > 1 ? t("train.start_n", { n: state.runs.length }) : t("train.start");
}

function selectRun(i) {
  state.sel = i;
  form.load(state.runs[i]);
  renderRuns();
  saveState();
}

function removeRun(i) {
  if (state.runs.length < 2) return;
  state.runs.splice(i, 1);
  if (state.sel > i) state.sel -= 1;
  state.sel = Math.min(state.sel, state.runs.length - 1);
  form.load(state.runs[state.sel]);
  renderRuns();
  renderPresets();
  saveState();
}

function duplicateRun() {
  if (state.runs.length >= MAX_RUNS) return;
  const copy = clone(state.runs[state.sel]);
  copy.label = "";
  state.runs.push(copy);
  state.sel = state.runs.length - 1;
  form.load(copy);
  renderRuns();
  renderPresets();
  saveState();
}

/**
 * An edit of the selected run. A setting that all runs shared before the edit changes for all
 * runs (e.g. epochs); a setting on which the runs differ changes only the selected run.
 */
function onFormChange(next, previous) {
  const changed = Object.keys(diffForm(next, previous));
  if (!changed.length) return; // e.g. the `change` event after `input` already applied it
  const n = state.runs.length;
  for (const key of changed) {
    const shared = key !== "label" && n > 1 && state.runs.every((r) => same(r[key], previous[key]));
    // changing the optimizer resets its hyperparameters: keep hp in step with opt for all runs
    const keys = key === "opt" ? ["opt", "hp"] : [key];
    state.runs.forEach((r, i) => {
      if (i === state.sel || shared) for (const k of keys) r[k] = clone(next[k]);
    });
  }
  renderRuns();
  renderPresets();
  saveState();
}

// ---------------------------------------------------------------- drawing (throttled)

const dirty = new Set();
let frameRequested = false;
let lastHeavy = 0;
const HEAVY_MS = 180;

function invalidate(...parts) {
  for (const p of parts) dirty.add(p);
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(paint);
}

function paint() {
  frameRequested = false;
  const now = performance.now();
  const streaming = session && session.running;
  // While events stream in, heavy charts are redrawn at most every HEAVY_MS.
  if (streaming && now - lastHeavy < HEAVY_MS && (dirty.has("curves") || dirty.has("hist"))) {
    const light = ["progress", "slider"].filter((p) => dirty.has(p));
    for (const p of light) {
      dirty.delete(p);
      drawPart(p);
    }
    frameRequested = true;
    setTimeout(() => requestAnimationFrame(paint), HEAVY_MS - (now - lastHeavy));
    return;
  }
  lastHeavy = now;
  const parts = [...dirty];
  dirty.clear();
  for (const p of parts) {
    try {
      drawPart(p);
    } catch (err) {
      console.error(`drawing ${p} failed`, err);
    }
  }
}

function focusRun() {
  if (!session) return null;
  return session.runs[Math.min(display.focus, session.runs.length - 1)] ?? null;
}

function drawPart(part) {
  const runs = session ? session.runs : [];
  const run = focusRun();
  switch (part) {
    case "curves":
      drawCurves({ loss: $("loss-plot"), acc: $("acc-plot"), lr: $("lr-plot") }, runs, colours(), t, display.focus);
      renderRunLegend(runs);
      break;
    case "slider":
      updateSlider();
      break;
    case "hist": {
      updateSlider();
      const colour = colourAt(run ? run.index : 0);
      drawHistograms($("hist-plot"), run, display.frame, { view: state.hv, quantity: state.hq, colour }, t);
      renderBadges(run);
      const frame = run?.frames[display.frame];
      drawDynamics({ grad: $("grad-plot"), ratio: $("ratio-plot") }, run, frame ? frame.step : null, t);
      drawBoundaryPart(run);
      break;
    }
    case "results":
      drawConfusion($("confusion-plot"), run?.summary ?? null, t);
      renderSummary($("summary-body"), runs, colours(), t, display.focus, setFocus);
      renderSummaryLine();
      renderFocusSelect();
      break;
    case "progress":
      renderProgress();
      break;
    default:
      break;
  }
}

function isTwoD(run) {
  const name = run ? run.config.dataset.name : state.runs[state.sel].ds;
  return cat.datasetById.get(name)?.kind === "2d";
}

function drawBoundaryPart(run) {
  const twoD = isTwoD(run);
  if ($("boundary-panel").hidden === twoD) {
    $("boundary-panel").hidden = !twoD;
    $("result-charts").classList.toggle("one-up", !twoD);
    // the confusion matrix changed width: let Plotly re-measure it
    const confusion = $("confusion-plot");
    if (confusion.data) requestAnimationFrame(() => Plotly.Plots.resize(confusion));
  }
  if (!twoD) return;
  let boundary = null;
  let step = null;
  let final = false;
  if (run) {
    const atEnd = display.frame >= run.frames.length - 1;
    if (atEnd && run.summary?.boundary) {
      boundary = run.summary.boundary;
      final = true;
    } else {
      for (let i = Math.min(display.frame, run.frames.length - 1); i >= 0; i -= 1) {
        if (run.frames[i].boundary) {
          boundary = run.frames[i].boundary;
          step = run.frames[i].step;
          break;
        }
      }
    }
  }
  drawBoundary($("boundary-plot"), boundary, { classes: run?.summary?.classes ?? [], step, final }, t);
}

function updateSlider() {
  const run = focusRun();
  const slider = $("step-slider");
  const n = run ? run.frames.length : 0;
  slider.max = String(Math.max(0, n - 1));
  if (display.follow) display.frame = Math.max(0, n - 1);
  display.frame = Math.min(display.frame, Math.max(0, n - 1));
  slider.value = String(display.frame);
  slider.disabled = n < 2;
  $("follow-live").checked = display.follow;
  const frame = run?.frames[display.frame];
  $("step-label").textContent = frame
    ? t("hist.frame_label", { k: display.frame + 1, n, step: frame.step, epoch: Number(frame.epoch).toFixed(2) })
    : "";
}

function renderBadges(run) {
  const box = $("layer-badges");
  box.replaceChildren();
  const frame = run?.frames[display.frame];
  const act = run?.config.model.activation;
  for (const b of layerBadges(frame, state.hq)) {
    const item = document.createElement("div");
    item.className = "layer-badge";
    item.setAttribute("data-testid", `layer-badge-${b.layer}`);
    const title = document.createElement("strong");
    title.textContent = t("train.layer_n", { n: b.layer });
    const stats = document.createElement("span");
    stats.textContent = `μ ${fmt(b.mean, 3)} · σ ${fmt(b.std, 3)}`;
    item.append(title, stats);
    const frac = b.saturated ?? b.dead;
    if (frac !== null && frac !== undefined) {
      const tag = document.createElement("span");
      const kind = b.saturated !== null && b.saturated !== undefined ? "saturated" : "dead";
      tag.className = `badge badge-${kind}`;
      tag.classList.toggle("alarm", frac >= 0.5);
      tag.classList.toggle("warn", frac >= 0.1 && frac < 0.5);
      tag.textContent = t(`hist.${kind}`, { p: (100 * frac).toFixed(frac < 0.1 && frac > 0 ? 1 : 0) });
      tag.title = t(`hist.${kind}_tip`);
      tag.setAttribute("data-testid", `badge-${kind}-${b.layer}`);
      item.append(tag);
    }
    box.append(item);
  }
  $("hist-hint").textContent = act ? t(`hist.hint_${state.hv}`) : "";
}

/** One chip per run (colour + label) above the curves; a click shows that run's details. */
function renderRunLegend(runs) {
  const box = $("run-legend");
  const want = runs.map((r) => `${r.label}|${r.status}`).join("\n") + `|${display.focus}`;
  if (box.dataset.key === want) return;
  box.dataset.key = want;
  box.replaceChildren();
  runs.forEach((r, i) => {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "run-chip";
    chip.classList.toggle("focus", i === display.focus);
    chip.style.setProperty("--run-colour", colourAt(i));
    chip.textContent = r.label;
    chip.title = `${t(`status.${r.status}`)} — ${t("res.show_run")}`;
    chip.setAttribute("data-testid", `legend-run-${i}`);
    chip.addEventListener("click", () => setFocus(i));
    box.append(chip);
  });
}

function renderFocusSelect() {
  const select = $("focus-select");
  const runs = session ? session.runs : [];
  $("focus-field").hidden = runs.length < 2;
  const want = runs.map((r) => r.label).join("\n");
  if (select.dataset.labels !== want) {
    select.dataset.labels = want;
    select.replaceChildren(
      ...runs.map((r, i) => {
        const o = document.createElement("option");
        o.value = String(i);
        o.textContent = r.label;
        return o;
      }),
    );
  }
  select.value = String(display.focus);
}

function renderSummaryLine() {
  const line = $("summary-line");
  const runs = session ? session.runs : [];
  const finished = runs.filter((r) => r.summary && typeof r.summary.test_acc === "number");
  if (!finished.length) {
    line.textContent = runs.length ? t("res.waiting") : t("res.none_yet");
    line.classList.remove("has-result");
    return;
  }
  line.classList.add("has-result");
  if (runs.length === 1) {
    const s = finished[0].summary;
    line.textContent = t("res.test_line", {
      acc: (100 * s.test_acc).toFixed(1),
      loss: fmt(s.test_loss),
      epochs: s.epochs_run,
    });
  } else {
    const best = finished.reduce((a, b) => (b.summary.test_acc > a.summary.test_acc ? b : a));
    line.textContent = t("res.best_line", { label: best.label, acc: (100 * best.summary.test_acc).toFixed(1), k: finished.length, n: runs.length });
  }
}

function formatSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return "—";
  if (s < 60) return t("train.seconds", { s: Math.max(0, Math.round(s)) });
  return t("train.minutes", { m: Math.floor(s / 60), s: String(Math.round(s % 60)).padStart(2, "0") });
}

function renderProgress() {
  const text = $("progress-text");
  const fill = $("progress-fill");
  const bar = $("progress");
  const running = Boolean(session && session.running);
  root.dataset.session = session ? (running ? "running" : "finished") : "idle";
  $("start-button").disabled = running;
  $("stop-button").disabled = !running;
  form.root.classList.toggle("locked", running);
  if (!session) {
    fill.style.width = "0%";
    bar.setAttribute("aria-valuenow", "0");
    text.textContent = t("train.idle");
    return;
  }
  const p = session.progress();
  fill.style.width = `${(100 * p.fraction).toFixed(1)}%`;
  bar.setAttribute("aria-valuenow", String(Math.round(100 * p.fraction)));
  bar.classList.toggle("done", !running);
  if (running) {
    const run = session.runs[p.run];
    const parts = [];
    if (p.runs > 1) parts.push(t("train.progress_run", { k: p.run + 1, n: p.runs, label: run?.label ?? "" }));
    if (run?.status === "queued") parts.push(t("status.queued"));
    else if (p.epoch !== null) parts.push(t("train.progress_epoch", { e: Number(p.epoch).toFixed(1), n: p.epochs }));
    if (p.eta !== null) parts.push(t("train.progress_eta", { time: formatSeconds(p.eta) }));
    text.textContent = parts.join(" · ") || t("common.running");
  } else {
    const statuses = session.runs.map((r) => r.status);
    const elapsed = session.runs.reduce((s, r) => s + (r.summary?.elapsed ?? r.latest?.elapsed ?? 0), 0);
    if (statuses.every((s) => s === "done")) text.textContent = t("train.finished", { time: formatSeconds(elapsed) });
    else if (statuses.includes("error")) text.textContent = t("train.finished_error");
    else text.textContent = t("train.stopped");
  }
}

function setFocus(i) {
  display.focus = i;
  display.follow = true;
  invalidate("hist", "results", "curves");
}

// ---------------------------------------------------------------- start / stop

function showRunError(message) {
  const box = $("run-error");
  box.textContent = message || "";
  box.hidden = !message;
}

async function start() {
  if (session && session.running) return;
  if (form.hasInvalid()) {
    showRunError(t("train.fix_fields"));
    return;
  }
  showRunError("");
  form.markErrors([]);
  const names = labels();
  const configs = state.runs.map((r, i) => buildConfig(r, cat, names[i]));
  const next = new TrainingSession(configs, {
    onEvent: (run, name) => {
      if (name === "metrics") {
        if (display.follow && session.current >= 0 && display.focus !== session.current && run.index === session.current) {
          display.focus = run.index;
          invalidate("results");
        }
        invalidate("curves", "hist", "progress");
      } else if (name === "epoch") {
        invalidate("curves", "progress", "results");
      } else if (TERMINAL.includes(name)) {
        if (name === "error") toast(`${run.label}: ${run.message || t("status.error")}`, "error", 8000);
        invalidate("curves", "hist", "results", "progress");
      }
    },
    onChange: () => invalidate("progress", "results"),
  });
  next.forms = clone(state.runs); // to relabel the runs when the language changes
  session = next;
  root.dataset.session = "running"; // at once, not at the next frame: watchers must not see the old state
  display.focus = 0;
  display.frame = 0;
  display.follow = true;
  invalidate("curves", "hist", "results", "progress");
  $("start-button").disabled = true;
  try {
    await next.start();
  } catch (err) {
    session = null;
    const message = err instanceof ApiError ? err.message : String(err && err.message ? err.message : err);
    if (err instanceof ApiError && err.status === 429) showRunError(t("train.too_many_jobs", { message }));
    else showRunError(message);
    if (err instanceof ApiError) {
      const keys = [...new Set(err.fields.map(formKeyOfField).filter(Boolean))];
      form.markErrors(keys);
    }
    invalidate("curves", "hist", "results", "progress");
  }
}

async function stop() {
  if (!session || !session.running) return;
  $("stop-button").disabled = true;
  try {
    await session.stop();
  } catch (err) {
    toast(String(err && err.message ? err.message : err), "error");
  }
  invalidate("progress", "results");
}

/** Leaving the page stops its jobs, so they do not hold a worker slot for nobody. */
function stopOnLeave() {
  if (!session || !session.running) return;
  for (const r of session.runs) {
    if (r.jobId && !TERMINAL.includes(r.status)) {
      try {
        fetch(`/api/jobs/${encodeURIComponent(r.jobId)}`, { method: "DELETE", keepalive: true });
      } catch {
        /* the page is going away anyway */
      }
    }
  }
  session.detach();
}

// ---------------------------------------------------------------- export

function exportRun(kind) {
  const run = focusRun();
  if (!run || !run.events.length) {
    toast(t("res.nothing_to_export"), "info");
    return;
  }
  const base = `training-${(run.label || "run").replace(/[^\w.-]+/g, "_").slice(0, 60)}`;
  if (kind === "json") downloadText(`${base}.json`, JSON.stringify(runToJSON(run), null, 1), "application/json");
  else downloadText(`${base}.csv`, runToCSV(run), "text/csv");
}

// ---------------------------------------------------------------- views

function setView(view) {
  state.v = view;
  for (const b of document.querySelectorAll(".view-tabs [data-view]")) {
    const on = b.dataset.view === view;
    b.setAttribute("aria-selected", String(on));
    b.classList.toggle("active", on);
  }
  $("view-train").hidden = view !== "train";
  $("view-init").hidden = view !== "init";
  $("training-controls").classList.toggle("dimmed", view === "init");
  if (view === "init" && !initLoaded) {
    initLoaded = true;
    runInitExperiment();
  }
  if (view === "train") invalidate("curves", "hist", "results");
  window.dispatchEvent(new Event("resize")); // Plotly sizes hidden plots on show
  saveState();
}

function renderHistControls() {
  for (const b of document.querySelectorAll("#hist-views [data-hv]")) b.setAttribute("aria-pressed", String(b.dataset.hv === state.hv));
  for (const b of document.querySelectorAll("#hist-quantity [data-hq]")) b.setAttribute("aria-pressed", String(b.dataset.hq === state.hq));
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
    input.checked = state.ie.panels.includes(p.id);
    input.setAttribute("data-testid", `ie-panel-${p.id}`);
    input.addEventListener("change", () => {
      const chosen = new Set(state.ie.panels);
      if (input.checked) chosen.add(p.id);
      else chosen.delete(p.id);
      state.ie.panels = INIT_PANELS.map((x) => x.id).filter((id) => chosen.has(id));
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
    if (input.type === "checkbox") input.checked = Boolean(state.ie[key]);
    else if (document.activeElement !== input) input.value = String(state.ie[key]);
  }
}

let initTimer = null;
function runInitExperiment() {
  if (initTimer) clearTimeout(initTimer);
  initTimer = setTimeout(() => {
    initTimer = null;
    initView.run(state.ie);
  }, 150);
}

function onInitInput(ev) {
  const input = ev.target;
  const key = input.dataset.ie;
  if (!key) return;
  if (input.type === "checkbox") state.ie[key] = input.checked;
  else {
    const v = Number(input.value);
    const ok = Number.isInteger(v) && v >= Number(input.min || 0) && (!input.max || v <= Number(input.max));
    input.classList.toggle("invalid", !ok);
    if (!ok) return;
    state.ie[key] = v;
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
  $("start-button").addEventListener("click", start);
  $("stop-button").addEventListener("click", stop);
  $("run-duplicate").addEventListener("click", duplicateRun);
  $("export-json").addEventListener("click", () => exportRun("json"));
  $("export-csv").addEventListener("click", () => exportRun("csv"));
  for (const b of document.querySelectorAll(".view-tabs [data-view]")) b.addEventListener("click", () => setView(b.dataset.view));
  for (const b of document.querySelectorAll("#hist-views [data-hv]")) {
    b.addEventListener("click", () => {
      state.hv = b.dataset.hv;
      renderHistControls();
      saveState();
      invalidate("hist");
    });
  }
  for (const b of document.querySelectorAll("#hist-quantity [data-hq]")) {
    b.addEventListener("click", () => {
      state.hq = b.dataset.hq;
      renderHistControls();
      saveState();
      invalidate("hist");
    });
  }
  $("step-slider").addEventListener("input", (ev) => {
    const run = focusRun();
    display.frame = Number(ev.target.value);
    display.follow = Boolean(run) && display.frame >= run.frames.length - 1;
    invalidate("hist");
  });
  $("follow-live").addEventListener("change", (ev) => {
    display.follow = ev.target.checked;
    invalidate("hist");
  });
  $("focus-select").addEventListener("change", (ev) => setFocus(Number(ev.target.value)));
  $("view-init").addEventListener("change", onInitInput);
  window.addEventListener("pagehide", stopOnLeave);
  onLanguageChange(() => {
    if (session && session.forms) {
      session.runs.forEach((r, i) => {
        r.label = runLabel(session.forms[i], session.forms, describe);
      });
    }
    form.fillSelects();
    renderPresets();
    renderRuns();
    renderInitChoices();
    if (initView) initView.render();
    invalidate("curves", "hist", "results", "progress");
  });
}

async function boot() {
  try {
    cat = await loadCatalogue();
  } catch (err) {
    showRunError(t("common.server_unreachable", { message: err.message }));
    root.dataset.ready = "error";
    return;
  }
  const saved = readUrlState();
  state = fromUrlState(saved);
  if (!saved) state.runs = presetRuns("default");
  state.runs = state.runs.map(fitToCatalogue);
  state.sel = Math.min(state.sel, state.runs.length - 1);

  form = new TrainingForm($("training-form"), cat, { onChange: onFormChange });
  form.load(state.runs[state.sel]);
  initView = new InitExperimentView($("init-panels"), {
    t,
    onError: (err) => toast(err.message || String(err), "error", 8000),
  });
  wire();
  renderPresets();
  renderRuns();
  renderHistControls();
  renderInitChoices();
  setView(state.v);
  invalidate("curves", "hist", "results", "progress");
  saveState({ now: true });
  root.dataset.ready = "true";
  document.documentElement.dataset.lang = getLang();
}

boot();

// For the browser tests and the curious: the live objects (read-only use).
window.trainingLab = {
  get state() {
    return state;
  },
  get session() {
    return session;
  },
  get display() {
    return display;
  },
  DEFAULT_FORM,
};
