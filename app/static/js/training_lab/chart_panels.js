/**
 * chart_panels.js — everything the Training Lab draws from a session (static/training.html,
 * right column), redrawn in animation frames: the loss / accuracy / lr curves with the run legend,
 * the per-layer histograms with the step slider and layer badges, gradient norms and update
 * ratios, the decision boundary, the confusion matrix, the summary table and line, the progress
 * bar (session_control.js's renderProgress), and the per-run JSON / CSV export.
 *
 *   import { createCharts } from "./chart_panels.js";
 *   const charts = createCharts({ store, toast });   // slider, follow-live, focus, export wired
 *   charts.render(state, prev);            // marks the parts the change affects for the next frame
 *
 * Redraws are coalesced into one animation frame; while events stream in, the heavy parts
 * (curves, histograms) are redrawn at most every HEAVY_MS. Draws the newest state
 * (`store.get()`: session, config, cat, display {focus, frame, follow}); the slider, the focus
 * select and the legend chips update `display` through the store. While `display.follow` is on,
 * the frame shown is the newest one.
 */

import { t } from "../shared/i18n.js";
import { changed } from "../shared/store.js";
import { renderProgress } from "./session_control.js";
import { drawSharpness } from "./landscape/sharpness_chart.js";
import { plotlyOf, colourAt } from "../shared/plots.js";
import { downloadText, fmt } from "../shared/format.js";
import { drawCurves, drawDynamics } from "./curve_charts.js";
import { drawHistograms, layerBadges } from "./histogram_charts.js";
import { drawBoundary, drawConfusion, renderSummary, runToCSV, runsToCSV, runToJSON } from "./result_charts.js";
import { drawCompareDynamics, drawCompareHistograms, MAX_COMPARE_ROWS } from "./compare_charts.js";
import { saturationLabel } from "./saturation_text.js";
import { describeCurves, describeHistograms, setAlt } from "./plot_text.js";
import { drawBnPart, drawUnitsPart, renderCurveNotes } from "./lesson_panels.js";

const $ = (id) => document.getElementById(id);

/**
 * The charts of one page.
 * @param {{store: object, toast: Function}} deps
 */
export function createCharts({ store, toast }) {
  const current = () => store.get();
  /** The frame shown of run `run`: the newest while following live. */
  const frameOf = (run) => {
    const n = run ? run.frames.length : 0;
    const { display } = current();
    return display.follow ? Math.max(0, n - 1) : Math.min(display.frame, Math.max(0, n - 1));
  };

  /** One palette colour per run (session runs once started, else the configured runs). */
  function colours() {
    const s = current();
    return (s.session ? s.session.runs : s.config.runs).map((_, i) => colourAt(i));
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
    const streaming = current().session && current().session.running;
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
    const { session, display } = current();
    if (!session) return null;
    return session.runs[Math.min(display.focus, session.runs.length - 1)] ?? null;
  }

  function drawPart(part) {
    const { session, display, config } = current();
    const runs = session ? session.runs : [];
    const run = focusRun();
    switch (part) {
      case "curves": {
        const shown = drawCurves({ loss: $("loss-plot"), acc: $("acc-plot"), lr: $("lr-plot") }, runs, colours(), t, { focus: display.focus, lossScale: config.ly });
        renderCurveNotes(shown, config.ly, t);
        describeCurves({ loss: $("loss-plot"), acc: $("acc-plot"), lr: $("lr-plot") }, runs, t);
        renderRunLegend(runs);
        drawBnPart(runs, t);
        $("sharpness-panel").hidden = !drawSharpness($("sharpness-plot"), $("sharpness-note"), runs, colours(), t); // issue 11
        break;
      }
      case "slider":
        updateSlider();
        break;
      case "hist": {
        updateSlider();
        drawHistPart(run, runs, config);
        renderBadges(run);
        const frame = run?.frames[frameOf(run)];
        // side by side, the small multiples need the full width
        const grid = $("grad-plot").closest(".chart-grid");
        if (grid.classList.contains("one-up") !== compareMode(runs, config)) {
          grid.classList.toggle("one-up", compareMode(runs, config));
          requestAnimationFrame(() => ["grad-plot", "ratio-plot"].forEach((id) => $(id).data && plotlyOf($(id)).Plots.resize($(id))));
        }
        if (compareMode(runs, config)) {
          drawCompareDynamics($("grad-plot"), runs, "grad_norm", t);
          drawCompareDynamics($("ratio-plot"), runs, "update_ratio", t);
        } else {
          for (const id of ["grad-plot", "ratio-plot"]) $(id).style.height = "";
          drawDynamics({ grad: $("grad-plot"), ratio: $("ratio-plot") }, run, frame ? frame.step : null, t);
        }
        setAlt($("grad-plot"), t("alt.grad", { runs: compareMode(runs, config) ? runs.length : 1 }));
        setAlt($("ratio-plot"), t("alt.ratio", { runs: compareMode(runs, config) ? runs.length : 1 }));
        drawUnitsPart(run, frame, t);
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
        renderProgress(current());
        break;
      default:
        break;
    }
  }

  const compareMode = (runs, config) => Boolean(config.hc) && runs.length > 1;

  /** The histograms: of the focused run, or of every run side by side (compare mode). */
  function drawHistPart(run, runs, config) {
    const frame = run?.frames[frameOf(run)];
    const hasInference = Boolean(frame?.layers?.some((l) => l.inference));
    $("hist-inference-field").hidden = !hasInference || config.hq === "w";
    $("hist-inference").checked = Boolean(config.hi);
    $("hist-compare-field").hidden = runs.length < 2;
    $("hist-compare").checked = Boolean(config.hc);
    const inference = hasInference && Boolean(config.hi) && config.hq !== "w";
    let mode = "";
    if (frame && config.hq !== "w") mode = t(inference ? "hist.mode_inference" : frame.mode === "batch" && hasInference ? "hist.mode_batch_bn" : "hist.mode_batch");
    if (compareMode(runs, config)) {
      const res = drawCompareHistograms($("hist-plot"), runs, frame ? frame.step : null, { quantity: config.hq, inference }, t);
      if (runs.length > MAX_COMPARE_ROWS) mode = `${mode} ${t("hist.compare_first", { n: MAX_COMPARE_ROWS, total: runs.length })}`.trim();
      describeHistograms($("hist-plot"), res.shown.map((r) => ({ run: r, frame: r.frames.find((f) => f.step === frame?.step) ?? r.frames[r.frames.length - 1] })), config.hq, inference, t);
    } else {
      drawHistograms($("hist-plot"), run, frameOf(run), { view: config.hv, quantity: config.hq, colour: colourAt(run ? run.index : 0), inference }, t);
      describeHistograms($("hist-plot"), run && frame ? [{ run, frame }] : [], config.hq, inference, t);
    }
    $("hist-mode").textContent = mode;
    $("hist-plot").dataset.compare = String(compareMode(runs, config));
    $("hist-plot").dataset.inference = String(inference);
  }

  function isTwoD(run) {
    const { config, cat } = current();
    const name = run ? run.config.dataset.name : config.runs[config.sel].ds;
    return cat.datasetById.get(name)?.kind === "2d";
  }

  function drawBoundaryPart(run) {
    const twoD = isTwoD(run);
    if ($("boundary-panel").hidden === twoD) {
      $("boundary-panel").hidden = !twoD;
      $("result-charts").classList.toggle("one-up", !twoD);
      // the confusion matrix changed width: let Plotly re-measure it
      const confusion = $("confusion-plot");
      if (confusion.data) requestAnimationFrame(() => plotlyOf(confusion).Plots.resize(confusion));
    }
    if (!twoD) return;
    let boundary = null;
    let step = null;
    let final = false;
    if (run) {
      const shown = frameOf(run);
      const atEnd = shown >= run.frames.length - 1;
      if (atEnd && run.summary?.boundary) {
        boundary = run.summary.boundary;
        final = true;
      } else {
        for (let i = Math.min(shown, run.frames.length - 1); i >= 0; i -= 1) {
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

  /** "a frame every N steps", marked adaptive when the server's telemetry budget stretched the interval. */
  function intervalText(frame, asked) {
    if (typeof frame.interval !== "number") return "";
    return frame.adaptive
      ? t("hist.frame_every_adaptive", { n: frame.interval, asked: asked ?? "?" })
      : t("hist.frame_every", { n: frame.interval });
  }

  function updateSlider() {
    const run = focusRun();
    const slider = $("step-slider");
    const n = run ? run.frames.length : 0;
    slider.max = String(Math.max(0, n - 1));
    const shown = frameOf(run);
    slider.value = String(shown);
    slider.disabled = n < 2;
    $("follow-live").checked = current().display.follow;
    const frame = run?.frames[shown];
    $("step-label").textContent = frame
      ? [
          t("hist.frame_label", { k: shown + 1, n, step: frame.step, epoch: Number(frame.epoch).toFixed(2) }),
          intervalText(frame, run.config.telemetry?.interval),
        ]
          .filter(Boolean)
          .join(" · ")
      : "";
  }

  function renderBadges(run) {
    const box = $("layer-badges");
    box.replaceChildren();
    const { config } = current();
    const frame = run?.frames[frameOf(run)];
    const act = run?.config.model.activation;
    const inference = Boolean(config.hi) && Boolean(frame?.layers?.some((l) => l.inference));
    for (const b of layerBadges(frame, config.hq, inference)) {
      const item = document.createElement("div");
      item.className = "layer-badge";
      item.setAttribute("data-testid", `layer-badge-${b.layer}`);
      const title = document.createElement("strong");
      title.textContent = t("train.layer_n", { n: b.layer });
      const stats = document.createElement("span");
      stats.textContent = `μ ${fmt(b.mean, 3)} · σ ${fmt(b.std, 3)}`;
      item.append(title, stats);
      const pctText = (f) => (100 * f).toFixed(f < 0.1 && f > 0 ? 1 : 0);
      if (typeof b.saturated === "number" && b.rule) {
        // the activation's own rule: ReLU's "= 0" share is about half in a healthy layer
        const tag = document.createElement("span");
        const sat = saturationLabel(b.rule, t);
        tag.className = "badge badge-saturated";
        tag.classList.toggle("alarm", b.saturated >= sat.alarm);
        tag.classList.toggle("warn", b.saturated >= sat.warn && b.saturated < sat.alarm);
        tag.textContent = `${sat.short} ${pctText(b.saturated)}%`;
        tag.title = sat.tip;
        tag.setAttribute("data-testid", `badge-saturated-${b.layer}`);
        item.append(tag);
      }
      if (typeof b.dead === "number") {
        const tag = document.createElement("span");
        tag.className = "badge badge-dead";
        tag.classList.toggle("alarm", b.dead >= 0.5);
        tag.classList.toggle("warn", b.dead >= 0.1 && b.dead < 0.5);
        tag.textContent = t("hist.dead", { p: pctText(b.dead) });
        tag.title = t("hist.dead_tip");
        tag.setAttribute("data-testid", `badge-dead-${b.layer}`);
        item.append(tag);
      }
      box.append(item);
    }
    $("hist-hint").textContent = act ? t(`hist.hint_${config.hv}`) : "";
  }

  /** One chip per run (colour + label) above the curves; a click shows that run's details. */
  function renderRunLegend(runs) {
    const box = $("run-legend");
    const { focus } = current().display;
    const want = runs.map((r) => `${r.label}|${r.status}`).join("\n") + `|${focus}`;
    if (box.dataset.key === want) return;
    box.dataset.key = want;
    box.replaceChildren();
    runs.forEach((r, i) => {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "run-chip";
      chip.classList.toggle("focus", i === focus);
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
    const { session, display } = current();
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
    const runs = current().session ? current().session.runs : [];
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

  function setFocus(i) {
    store.update((s) => ({ display: { ...s.display, focus: i, follow: true } }));
  }

  // ---------------------------------------------------------------- export

  /** Every run of the session (not only the focused one): JSON = a list of runs, CSV = a run column. */
  function exportRuns(kind) {
    const runs = (current().session?.runs ?? []).filter((r) => r.events.length);
    if (!runs.length) {
      toast(t("res.nothing_to_export"), "info");
      return;
    }
    const base = runs.length === 1 ? `training-${(runs[0].label || "run").replace(/[^\w.-]+/g, "_").slice(0, 60)}` : `training-${runs.length}-runs`;
    // one run: its own record (as before); several: {runs: [...]} and a CSV with a "run" column
    const json = runs.length === 1 ? runToJSON(runs[0]) : { runs: runs.map(runToJSON) };
    if (kind === "json") downloadText(`${base}.json`, JSON.stringify(json, null, 1), "application/json");
    else downloadText(`${base}.csv`, runs.length === 1 ? runToCSV(runs[0]) : runsToCSV(runs), "text/csv");
  }

  /** Mark what a state change affects; the next animation frame draws it. */
  function render(state, prev) {
    const parts = new Set();
    const add = (...p) => p.forEach((x) => parts.add(x));
    const all = () => add("curves", "hist", "results", "progress");
    if (changed(state, prev, (s) => s.session, (s) => s.lang, (s) => s.telemetry.status)) all();
    if (changed(state, prev, (s) => s.telemetry.metrics)) add("curves", "hist", "progress");
    if (changed(state, prev, (s) => s.telemetry.epoch)) add("curves", "progress", "results");
    if (changed(state, prev, (s) => s.display)) add("hist", "results", "curves");
    if (changed(state, prev, (s) => s.config.hv, (s) => s.config.hq, (s) => s.config.hi, (s) => s.config.hc)) add("hist");
    if (changed(state, prev, (s) => s.config.ly)) add("curves");
    if (changed(state, prev, (s) => s.config.v) && state.config.v === "train") add("curves", "hist", "results");
    if (!state.session && changed(state, prev, (s) => s.config.runs, (s) => s.config.sel)) add("hist");
    if (parts.size) invalidate(...parts);
  }

  $("export-json").addEventListener("click", () => exportRuns("json"));
  $("export-csv").addEventListener("click", () => exportRuns("csv"));
  $("step-slider").addEventListener("input", (ev) => {
    const run = focusRun();
    const frame = Number(ev.target.value);
    store.update((s) => ({ display: { ...s.display, frame, follow: Boolean(run) && frame >= run.frames.length - 1 } }));
  });
  $("follow-live").addEventListener("change", (ev) => {
    const run = focusRun();
    store.update((s) => ({ display: { ...s.display, follow: ev.target.checked, frame: frameOf(run) } }));
  });
  $("focus-select").addEventListener("change", (ev) => setFocus(Number(ev.target.value)));

  return { render };
}
