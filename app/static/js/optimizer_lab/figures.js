/**
 * figures.js — decides what the Optimizer Lab redraws for a new state, and draws it cheaply:
 * the main plot (main_plot.js: full draw when the runs, the grid, the surface, the view, the start
 * or the language change; per-step update when only the race's step moved), the loss and distance
 * charts (side_charts.js: full draw, or only their step cursor), the step inspector and the
 * results table.
 *
 *   import { createFigures, textBundle } from "./figures.js";
 *   const figures = createFigures();
 *   figures.render(state, prev);    // from the page's one render path
 *
 * Reads the page state: grid, results, step, config (view, start, domain), info, cat, lang.
 */

import { axisNames } from "./axis_names.js";
import { t } from "../shared/i18n.js";
import { changed } from "../shared/store.js";
import { afterPaint, drawPending } from "../shared/plots.js";
import { displayRuns, optimizerName, surfaceDomain, surfaceMinima, surfaceSpec } from "./model.js";
import { drawFirstContour, drawMainPlot, drawMainPlotStep, invalidateMainPlot } from "./main_plot.js";
import { drawLoss, drawLr, drawDistance, drawPlaceholder, moveCursor } from "./side_charts.js";
import { renderInspector } from "./inspector.js";
import { renderResults } from "./results_table.js";
import { currentCurvature } from "./curvature.js";
import { drawTextbookLayout } from "./textbook_layout.js";

const $ = (id) => document.getElementById(id);

/** The translated labels the chart modules draw. */
export function textBundle() {
  return {
    minimum: t("plot.minimum"),
    global_minimum: t("plot.global_minimum"),
    local_minimum: t("plot.local_minimum"),
    exit: t("plot.exit"),
    curvature: t("insp.curvature"),
    saddle: t("plot.saddle"),
    start: t("plot.start"),
    step: t("common.step"),
    current: t("plot.current"),
    whole_path: t("view.ghost"),
    loss: t("chart.loss_axis"),
    linear: t("chart.linear"),
    symlog: t("chart.scale_symlog"),
    log_gap: t("chart.log_gap"),
    no_lr: t("chart.no_lr"),
    distance: t("chart.distance_axis"),
    no_minima: t("chart.no_minima"),
    lr: t("sweep.lr_axis"),
    final_loss: t("sweep.final_loss"),
    final_loss_log: t("map.final_loss_log"),
    diverged: t("common.diverged"),
    diverged_fraction: t("map.diverged_fraction"),
    basin: t("map.basin"),
  };
}

/** The main plot's model at the state's step (see main_plot.js). */
export function mainModel(state) {
  const spec = surfaceSpec(state);
  return {
    grid: state.grid?.data ?? null,
    surface: spec,
    domain: surfaceDomain(spec, state.config),
    start: state.config.start,
    view: state.config.view,
    runs: displayRuns(state),
    step: state.step,
    curvature: state.config.view.threeD ? null : currentCurvature(state),
    text: textBundle(),
    axes: axisNames(spec),
    revision: `${state.grid?.key ?? ""}|${state.config.view.threeD}`,
  };
}

/**
 * The main plot, the side charts, the inspector and the results table of one page: `render(state,
 * prev)` on every state change, and `drawFirst(state)` once at boot (the first contour before
 * the first render).
 * @param {{onMainDrawn?: (drawn: Promise) => void}} [hooks] onMainDrawn: called once, with the
 *   promise of the first full draw of the main figure (2-D plot and contour, 3-D or textbook)
 */
export function createFigures({ onMainDrawn = () => {} } = {}) {
  let last = { runs: null, spec: null };
  let firstMain = true;
  const mainDrawn = (drawn) => {
    if (firstMain) onMainDrawn(Promise.resolve(drawn));
    firstMain = false;
  };

  function render(state, prev) {
    if (!state.config) return;
    const runs = displayRuns(state);
    const spec = surfaceSpec(state);
    const runsChanged = runs !== last.runs;
    const specChanged = spec !== last.spec;
    const langChanged = changed(state, prev, (s) => s.lang);
    const curvChanged = changed(state, prev, (s) => s.curv);
    const stepChanged = changed(state, prev, (s) => s.step) || curvChanged;
    last = { runs, spec };

    // main plot: a full draw when what it shows changed, else (race frames) only the moving traces
    if (runsChanged) invalidateMainPlot($("main-plot"));
    const full = runsChanged || specChanged || langChanged || changed(state, prev, (s) => s.grid, (s) => s.config.view, (s) => s.config.start, (s) => s.config.domain);
    // textbook layout (one small panel per run) instead of the main plot; the hidden main plot
    // is not drawn (it is drawn in full when the layout is switched off: the view changed)
    const textbook = Boolean(state.config.view.textbook) && !state.config.view.threeD;
    $("plot-panel").classList.toggle("textbook", textbook);
    if (textbook) {
      if (state.grid && full) mainDrawn(drawTextbookLayout($("textbook-panels"), mainModel(state)));
    } else if (state.grid && full) mainDrawn(drawMainPlot($("main-plot"), mainModel(state)));
    else if (state.grid && stepChanged) drawMainPlotStep($("main-plot"), mainModel(state));

    // loss and distance charts: full draw, or only their step cursor
    const scale = state.config.view.lossScale;
    const scaleChanged = changed(state, prev, (s) => s.config.view.lossScale);
    if (scaleChanged) $("loss-scale").value = scale;
    // a chart whose draw is still held (shared/plots.js holdDraws) has no cursor to move: queue it anew
    const sideHeld = ["loss-plot", "lr-plot", "distance-plot"].some((id) => drawPending($(id)));
    if (runsChanged || specChanged || langChanged || scaleChanged || (stepChanged && sideHeld)) {
      const text = textBundle();
      if (runs.length) {
        drawLoss($("loss-plot"), runs, state.step, text, { scale, fMin: spec?.f_min ?? null });
        drawLr($("lr-plot"), runs, state.step, text);
        drawDistance($("distance-plot"), runs, surfaceMinima(spec), state.step, text);
      } else {
        for (const id of ["loss-plot", "lr-plot", "distance-plot"]) drawPlaceholder($(id), t("chart.empty"));
      }
    } else if (stepChanged) {
      for (const id of ["loss-plot", "lr-plot", "distance-plot"]) moveCursor($(id), state.step);
    }

    if (runsChanged || stepChanged || langChanged) renderInspector($("inspector"), runs, state.step, currentCurvature(state), axisNames(spec));
    if (runsChanged || langChanged) renderResults($("results-body"), runs, (id) => optimizerName(state.cat.optimizerById.get(id)));
  }

  /**
   * At boot, before the first render: the contour of `state` (config and grid, no runs yet) on
   * screen at once (the 2-D main plot's surface; not in the textbook layout or 3-D). Resolves
   * true after the browser has painted it, false when nothing was drawn.
   */
  async function drawFirst(state) {
    if (state.config.view.textbook) return false;
    const drawn = drawFirstContour($("main-plot"), mainModel(state));
    if (!drawn) return false;
    await drawn;
    await afterPaint();
    return true;
  }

  return { render, drawFirst };
}
