/**
 * lab_view.js — what the Optimizer Lab draws (static/index.html): the view toggles above the main
 * plot (filled contours, 3-D, equal axes, log levels, arrows, whole path, auto-run), the main
 * contour / surface plot at the race's current step and the side charts (loss, distance to the
 * nearest minimum, and through `page.sweeps` the sweep and start-map panels).
 *
 *   import { createView } from "./lab_view.js";
 *   const view = createView(page);      // page: see optimizer_lab.js
 *   view.wire();                        // attach the toggles' listeners (once)
 *   view.renderViewInputs()             // config.view → checkboxes (+ the 3-D layout class)
 *   view.redrawMain() / invalidateMain() / drawSideCharts() / currentStep() / mainModel()
 *   view.restyleRun(index)              // a run's colour or label changed: redraw, no new run
 *   view.textBundle()                   // translated labels the chart modules draw
 *
 * Draws from `page.S` (config, grid, gridKey, results, race); asks the page to `saveUrl()`,
 * `runNow()` and `labels()`, and `page.surface` for the surface description and the grid.
 */

import { t } from "./i18n.js";
import { surfaceDomain, surfaceMinima } from "./lab_model.js";
import { drawMainPlot, invalidateMainPlot } from "./contour.js";
import { drawLoss, drawDistance, drawPlaceholder } from "./charts.js";
import { optimizerName } from "./run_cards.js";
import { renderInspector } from "./inspector.js";
import { renderResults } from "./results.js";

const $ = (id) => document.getElementById(id);

/** Checkbox id → key of config.view. */
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

/**
 * The drawing side of one page.
 * @param {object} page the page context: {S, debounce, saveUrl, runNow, labels, surface, sweeps}
 */
export function createView(page) {
  const { S } = page;

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

  function currentStep() {
    return S.race ? S.race.step : 0;
  }

  function mainModel() {
    const cfg = S.config;
    return {
      grid: S.grid,
      surface: page.surface.surfaceSpec(),
      domain: surfaceDomain(page.surface.surfaceSpec(), cfg),
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
    invalidateMainPlot($("main-plot"));
  }

  /** Full redraw of the main plot (surface, markers, runs). */
  function redrawMain() {
    if (!S.grid) return;
    drawMainPlot($("main-plot"), mainModel());
  }

  function drawSideCharts() {
    const runs = S.results?.runs ?? [];
    const text = textBundle();
    const k = currentStep();
    if (runs.length) {
      drawLoss($("loss-plot"), runs, k, text);
      drawDistance($("distance-plot"), runs, surfaceMinima(page.surface.surfaceSpec()), k, text);
    } else {
      drawPlaceholder($("loss-plot"), t("chart.empty"));
      drawPlaceholder($("distance-plot"), t("chart.empty"));
    }
    page.sweeps.drawPanels(text);
  }

  /** A run's colour or label changed: redraw with the results we have, no new computation. */
  function restyleRun(index) {
    page.saveUrl();
    const run = S.config.runs[index];
    const res = S.results?.runs?.[index];
    if (!run || !res || S.results.runs.length !== S.config.runs.length) return;
    res.colour = run.colour;
    res.label = page.labels()[index];
    page.debounce("restyle", 120, () => {
      invalidateMain();
      redrawMain();
      drawSideCharts();
      renderResults($("results-body"), S.results.runs, (id) => optimizerName(S.cat.optimizerById.get(id)));
      renderInspector($("inspector"), S.results.runs, currentStep());
      page.sweeps.fillMapRunSelect();
    });
  }

  function renderViewInputs() {
    for (const [id, key] of Object.entries(VIEW_INPUTS)) $(id).checked = Boolean(S.config.view[key]);
    $("plot-panel").classList.toggle("three-d", S.config.view.threeD);
  }

  function wire() {
    for (const [id, key] of Object.entries(VIEW_INPUTS)) {
      $(id).addEventListener("change", () => {
        S.config.view[key] = $(id).checked;
        renderViewInputs();
        page.saveUrl();
        if (key === "autoRun") {
          if (S.config.view.autoRun && $("run-status").dataset.stale === "true") page.runNow({ auto: true });
          return;
        }
        if (key === "logLevels") {
          page.surface.loadGrid();
          return;
        }
        redrawMain();
      });
    }
  }

  return { textBundle, currentStep, mainModel, invalidateMain, redrawMain, drawSideCharts, restyleRun, renderViewInputs, wire };
}
