/**
 * chart_panels.js — everything the Training Lab draws from a session (static/training.html,
 * right column), redrawn in animation frames: the loss / accuracy / lr curves with the run legend,
 * the per-layer histograms with the step slider and layer badges, gradient norms and update
 * ratios, the decision boundary, the confusion matrix, the summary table and line, the progress
 * bar (through `page.control`), and the per-run JSON / CSV export.
 *
 *   import { createCharts } from "./chart_panels.js";
 *   const charts = createCharts(page);     // page: see training_lab/main.js
 *   charts.wire();                         // attach slider, follow-live, focus and export (once)
 *   charts.invalidate("curves", "hist", "results", "progress", "slider")   // redraw those parts
 *   charts.focusRun() / setFocus(i)        // the run shown in the per-run charts
 *
 * Redraws are coalesced into one animation frame; while events stream in, the heavy parts
 * (curves, histograms) are redrawn at most every HEAVY_MS. Reads `page.lab` (state, cat,
 * session) and moves `page.lab.display` ({focus, frame, follow}).
 */

import { t } from "../shared/i18n.js";
import { toast } from "../shared/shell.js";
import { Plotly, colourAt } from "../shared/plots.js";
import { downloadText, fmt } from "../shared/format.js";
import { drawCurves, drawDynamics } from "./curve_charts.js";
import { drawHistograms, layerBadges } from "./histogram_charts.js";
import { drawBoundary, drawConfusion, renderSummary, runToCSV, runToJSON } from "./result_charts.js";

const $ = (id) => document.getElementById(id);

/**
 * The charts of one page.
 * @param {object} page the page context: {lab, control}
 */
export function createCharts(page) {
  const { lab } = page;
  const { display } = lab;

  /** One palette colour per run (session runs once started, else the configured runs). */
  function colours() {
    return (lab.session ? lab.session.runs : lab.state.runs).map((_, i) => colourAt(i));
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
    const streaming = lab.session && lab.session.running;
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
    if (!lab.session) return null;
    return lab.session.runs[Math.min(display.focus, lab.session.runs.length - 1)] ?? null;
  }

  function drawPart(part) {
    const runs = lab.session ? lab.session.runs : [];
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
        drawHistograms($("hist-plot"), run, display.frame, { view: lab.state.hv, quantity: lab.state.hq, colour }, t);
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
        page.control.renderProgress();
        break;
      default:
        break;
    }
  }

  function isTwoD(run) {
    const name = run ? run.config.dataset.name : lab.state.runs[lab.state.sel].ds;
    return lab.cat.datasetById.get(name)?.kind === "2d";
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
    for (const b of layerBadges(frame, lab.state.hq)) {
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
    $("hist-hint").textContent = act ? t(`hist.hint_${lab.state.hv}`) : "";
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
    const runs = lab.session ? lab.session.runs : [];
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
    const runs = lab.session ? lab.session.runs : [];
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
    display.focus = i;
    display.follow = true;
    invalidate("hist", "results", "curves");
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

  function wire() {
    $("export-json").addEventListener("click", () => exportRun("json"));
    $("export-csv").addEventListener("click", () => exportRun("csv"));
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
  }

  return { invalidate, focusRun, setFocus, wire };
}
