/**
 * main_plot.js — the Optimizer Lab's main plot: minima ★ and saddles ×, the start point, every
 * run's path up to the race's current step with a marker at the current position, and (2-D) the
 * step inspector's arrows; in 3-D also the surface itself as a relief.
 *
 *   import { drawMainPlot, drawMainPlotStep, invalidateMainPlot } from "./main_plot.js";
 *   drawMainPlot(mainDiv, { grid, surface, domain, start, view, runs, step, text, revision });
 *   drawMainPlotStep(mainDiv, model);     // race frames: only the moving traces
 *   invalidateMainPlot(mainDiv);          // new runs: the next step change draws everything
 *
 * Pieces it builds on: contour_grid.js (prepareGrid: the grid's level-index map, imported
 * by the page), contour_layer.js (the 2-D contour drawn in its own plot under this one; linked once with
 * linkSurfacePlot), main_plot_3d.js (the 3-D figure), run_paths.js (path slices and hover) and
 * plot_pointer.js (start picker, x/y/f readout).
 *
 * One drawing path: drawMainPlot and drawMainPlotStep only *request* a draw. Requests are
 * numbered and run one at a time; a request overtaken by a newer one before it starts is dropped
 * (the newest model wins, and a pending full draw is never downgraded to a per-step update). So
 * a late full Plotly.react cannot land after a newer race step, and Plotly.animate never runs on
 * a half-finished react.
 *
 * 2-D per-step updates use Plotly.animate(redraw: false) on the path, current-marker and arrow
 * traces only. Every arrow trace always has exactly two points (null coordinates and no label
 * when the arrow is absent at this step): animate re-draws a trace whose points go from some to
 * none by dropping it from the join, so its old SVG — line, head and label — would stay on
 * screen (stale "Δθ" labels at the last step, or at θ0 after the first run).
 *
 * Every trace carries `meta: {kind, run}` (kind: surface (3-D) | minima | saddles | theta_star | start |
 * ghost | path | current | arrow_grad | arrow_update | arrow_velocity) so tests and other code
 * can find them in `div.data` (the 2-D "surface" contour trace is in the surface plot's `data`).
 */

import { Plotly, plotlyOf, draw, baseLayout, startTrace, withAlpha } from "../shared/plots.js";
import { arrowSegments, fixedArrowLength } from "./inspector.js";
import { drawSurfaceFirst, setSurfaceTrace, hideSurfacePlot, syncSurface, MAIN_CONFIG_2D } from "./contour_layer.js";
import { figure3d } from "./main_plot_3d.js";
import { pathSlice, pathCustom, hoverPath } from "./run_paths.js";
import { thetaStarTraces } from "./landscape_surface.js";


/** Is point p one of the listed global minima (to rounding)? */
function isGlobal(p, globals) {
  return globals.some((g) => Math.hypot(p[0] - g[0], p[1] - g[1]) <= 1e-9 * (1 + Math.hypot(g[0], g[1])));
}

/**
 * Minima split by kind: global ones as filled gold stars, the others (local) as hollow circles,
 * each with its own legend entry (docs/surfaces.md lists both `minima` and `global_minima`).
 */
export function minimaTraces(surface, text, size = 20) {
  const minima = surface?.minima ?? [];
  const globals = surface?.global_minima ?? minima;
  const global = minima.filter((p) => isGlobal(p, globals));
  const local = minima.filter((p) => !isGlobal(p, globals));
  const trace = (points, kind, name, marker) => ({
    type: "scatter",
    mode: "markers",
    x: points.map((p) => p[0]),
    y: points.map((p) => p[1]),
    name,
    meta: { kind },
    marker,
    hovertemplate: `${name} (%{x:.4g}, %{y:.4g})<extra></extra>`,
    showlegend: points.length > 0,
  });
  return [
    trace(global, "minima", text.global_minimum, { symbol: "star", size, color: "#ffd21f", line: { color: "#5a4500", width: 1.5 } }),
    trace(local, "local_minima", text.local_minimum, { symbol: "circle-open", size: Math.round(size * 0.7), color: "#111", line: { color: "#111", width: 2.5 } }),
  ];
}

/**
 * Where paths leave the plotting domain (outcome.exit): an arrow head on the edge, pointing the
 * way the run went, in the run's colour.
 */
function exitTrace(runs, text) {
  const exits = runs.map((r) => r.outcome?.exit).map((e, i) => (e ? { ...e, run: runs[i] } : null)).filter(Boolean);
  return {
    type: "scatter",
    mode: "markers",
    x: exits.map((e) => e.point[0]),
    y: exits.map((e) => e.point[1]),
    name: text.exit,
    meta: { kind: "exits" },
    cliponaxis: false,
    marker: {
      symbol: "arrow",
      size: 24,
      // Plotly's angle is clockwise from up: atan2(dx, dy)
      angle: exits.map((e) => (Math.atan2(e.direction[0], e.direction[1]) * 180) / Math.PI),
      color: exits.map((e) => e.run.colour),
      line: { color: "#000", width: 1.5 },
    },
    text: exits.map((e) => e.run.label),
    hovertemplate: `%{text}: ${text.exit} (%{x:.3g}, %{y:.3g})<extra></extra>`,
    showlegend: false,
  };
}

function markerTraces2d(surface, start, text, runs) {
  const traces = [];
  const saddles = surface?.saddles ?? [];
  traces.push(...minimaTraces(surface, text), exitTrace(runs, text));
  traces.push({
    type: "scatter",
    mode: "markers",
    x: saddles.map((p) => p[0]),
    y: saddles.map((p) => p[1]),
    name: text.saddle,
    meta: { kind: "saddles" },
    marker: { symbol: "x-thin", size: 18, color: "#111", line: { color: "#111", width: 3 } },
    hovertemplate: `${text.saddle} (%{x:.4g}, %{y:.4g})<extra></extra>`,
    showlegend: saddles.length > 0,
  });
  traces.push(...thetaStarTraces(surface, start)); // a network's plane: θ* at (0, 0), under the start and the paths
  traces.push(startTrace(start, text.start, { hovertemplate: `${text.start} (%{x:.4g}, %{y:.4g})<extra></extra>` }));
  return traces;
}

const ARROW_STYLE = {
  grad: (colour) => ({ colour: "#1b1f27", width: 2.2 }),
  update: (colour) => ({ colour, width: 3.5 }),
  velocity: (colour) => ({ colour: withAlpha(colour, 0.6), width: 3 }),
};

/**
 * One arrow (segment + arrow-head marker + label) as a scatter trace. Always two points, null
 * (not drawn, no label) when seg.to is null: see the header on why the point count must not change.
 */
function arrowTrace(seg, run, i) {
  const { colour, width } = ARROW_STYLE[seg.kind](run.colour);
  const has = Boolean(seg.to);
  return {
    type: "scatter",
    mode: "lines+markers+text",
    x: has ? [seg.from[0], seg.to[0]] : [null, null],
    y: has ? [seg.from[1], seg.to[1]] : [null, null],
    text: has ? ["", seg.label] : ["", ""],
    textposition: "top right",
    textfont: { size: 16, color: colour },
    line: { color: colour, width },
    marker: { symbol: "arrow", angleref: "previous", size: has ? [0, 10 + 2 * width] : [0, 0], color: colour },
    meta: { kind: `arrow_${seg.kind}`, run: i },
    name: seg.label,
    hoverinfo: "skip",
    showlegend: false,
  };
}

/** The traces of run i that change with the step: path so far, current marker, arrows. */
function stepTraces(run, i, step, view, text, fixed) {
  const { last, pts } = pathSlice(run, step);
  const custom = pathCustom(run);
  const atEnd = last === run.path.length - 1;
  const long = run.path.length > 400;
  const cur = run.path[last];
  const diverged = (run.outcome ? run.outcome.status === "diverged" : run.diverged) && atEnd;
  const traces = [
    {
      type: "scatter",
      mode: long ? "lines" : "lines+markers",
      x: pts.map((p) => p[0]),
      y: pts.map((p) => p[1]),
      customdata: custom.slice(0, last + 1),
      name: run.label,
      legendgroup: `run${i}`,
      showlegend: false, // runs are named in the run key under the plot (view_toggles.js)
      meta: { kind: "path", run: i },
      line: { color: run.colour, width: 3 },
      marker: { color: run.colour, size: 6 },
      hovertemplate: hoverPath(run.label, text),
    },
    {
      type: "scatter",
      mode: "markers",
      x: cur ? [cur[0]] : [],
      y: cur ? [cur[1]] : [],
      customdata: cur ? [custom[last]] : [],
      name: `${run.label} · ${text.current}`,
      legendgroup: `run${i}`,
      meta: { kind: "current", run: i },
      showlegend: false,
      marker: diverged
        ? { symbol: "x", size: 18, color: run.colour, line: { color: "#000", width: 1.5 } }
        : { symbol: "circle", size: 15, color: run.colour, line: { color: "#fff", width: 2.5 } },
      hovertemplate: hoverPath(run.label, text),
    },
  ];
  // arrows for the selected run only (view.arrowRun; −1 = every run): one run's arrows read on a projector
  const shown = view.arrowRun === -1 || view.arrowRun === i || view.arrowRun === undefined ? view : { grad: false, update: false, velocity: false };
  for (const seg of arrowSegments(run, step, shown, fixed)) traces.push(arrowTrace(seg, run, i));
  return traces;
}

/**
 * The Hessian's eigen-directions at the selected run's point (model.curvature): two segments
 * through the point, the longer for the larger |λ| (length ∝ |λ|), dashed where λ < 0. Always two
 * traces (null points when no curvature is known), so per-step updates keep the trace count.
 */
function curvatureTraces(curv, fixed, text, domain) {
  const out = [];
  const centre = domain ? [(domain.x[0] + domain.x[1]) / 2, (domain.y[0] + domain.y[1]) / 2] : null;
  const lam = curv?.eigenvalues ?? [];
  const top = Math.max(...lam.map((v) => Math.abs(v)), 0);
  ["min", "max"].forEach((which, j) => {
    const l = lam[j];
    let v = curv?.eigenvectors?.[j];
    // an eigenvector has no sign: label the end that points into the plot (labels stay visible)
    if (v && centre && curv?.point && v[0] * (centre[0] - curv.point[0]) + v[1] * (centre[1] - curv.point[1]) < 0) v = [-v[0], -v[1]];
    const has = Boolean(curv && v && Number.isFinite(l) && top > 0);
    const len = has ? fixed * Math.max(0.12, Math.abs(l) / top) : 0;
    const p = curv?.point;
    const colour = which === "max" ? "#8b0000" : "#0b3d91";
    out.push({
      type: "scatter",
      // no text on the plot (it would collide with the arrows' labels): values in the inspector and the hover
      mode: "lines",
      x: has ? [p[0] - len * v[0], p[0] + len * v[0]] : [null, null],
      y: has ? [p[1] - len * v[1], p[1] + len * v[1]] : [null, null],
      text: has ? [`λ${which === "max" ? "₂" : "₁"} = ${fmtShort(l)}`, `λ${which === "max" ? "₂" : "₁"} = ${fmtShort(l)}`] : ["", ""],
      line: { color: colour, width: 3, dash: has && l < 0 ? "dash" : "solid" },
      meta: { kind: `curv_${which}`, eigenvalue: has ? l : null },
      cliponaxis: false,
      name: text.curvature,
      hovertemplate: `${text.curvature}: %{text}<extra></extra>`,
      showlegend: false,
    });
  });
  return out;
}

const fmtShort = (v) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : String(Number(v.toPrecision(3))));

const STEP_TRACES = 5; // path, current, 3 arrows (per run, after the ghost)

function runTraces2d(runs, step, view, text, fixed) {
  const traces = [];
  runs.forEach((run, i) => {
    traces.push({
      type: "scatter",
      mode: "lines",
      x: view.ghost ? run.path.map((p) => p[0]) : [],
      y: view.ghost ? run.path.map((p) => p[1]) : [],
      name: `${run.label} (${text.whole_path})`,
      meta: { kind: "ghost", run: i },
      line: { color: withAlpha(run.colour, 0.28), width: 2, dash: "dot" },
      hoverinfo: "skip",
      showlegend: false,
    });
    traces.push(...stepTraces(run, i, step, view, text, fixed));
  });
  return traces;
}

/** Margins of the 2-D main plot; the right one holds the surface plot's colour bar. */
const MARGIN_2D = { l: 58, r: 104, t: 10, b: 48 };

function layout2d(domain, view, revision, axes = ["x", "y"]) {
  return {
    margin: MARGIN_2D,
    // transparent: the surface plot underneath shows through the plot area
    paper_bgcolor: "rgba(0, 0, 0, 0)",
    plot_bgcolor: "rgba(0, 0, 0, 0)",
    xaxis: { title: { text: axes[0] }, range: [...domain.x], zeroline: false, showgrid: false, constrain: "domain" },
    yaxis: {
      title: { text: axes[1] },
      range: [...domain.y],
      zeroline: false,
      showgrid: false,
      scaleanchor: view.equal ? "x" : undefined,
      scaleratio: 1,
      constrain: "domain",
    },
    legend: { orientation: "h", y: 1.0, yanchor: "bottom", x: 0, traceorder: "normal", bgcolor: "rgba(255,255,255,0.8)", font: { size: 16 } },
    hovermode: "closest",
    dragmode: "zoom",
    uirevision: revision,
    showlegend: true,
  };
}

/** Full draw of the main plot (and in 2-D the surface plot under it) at model.step. */
async function drawFull(div, model) {
  if (model.view.threeD) {
    const { data, layout } = figure3d(model);
    div._stepLayout = { threeD: true };
    hideSurfacePlot(div);
    await draw(div, data, layout);
    return;
  }
  setSurfaceTrace(div, model.grid, model.view);
  const fixed = fixedArrowLength(model.domain);
  const markers = markerTraces2d(model.surface, model.start, model.text, model.runs);
  const data = [
    ...markers,
    ...runTraces2d(model.runs, model.step, model.view, model.text, fixed),
    ...curvatureTraces(model.curvature, fixed, model.text, model.domain),
  ];
  div._stepLayout = { runs: model.runs.length, base: markers.length, threeD: false };
  await draw(div, data, layout2d(model.domain, model.view, model.revision, model.axes), MAIN_CONFIG_2D);
  await syncSurface(div);
}

/** Can model.step be shown by updating only the per-step traces of the figure on screen? */
function canStep(div, model) {
  const shape = div._stepLayout;
  return Boolean(!model.view.threeD && shape && !shape.threeD && shape.runs === model.runs.length && div.data);
}

/** Per-step update: path, current marker and arrows of every run, through Plotly.animate. */
function drawStep(div, model) {
  const shape = div._stepLayout;
  const fixed = fixedArrowLength(model.domain);
  const data = [];
  const traces = [];
  model.runs.forEach((run, i) => {
    const first = shape.base + i * (STEP_TRACES + 1) + 1; // skip the run's ghost trace
    stepTraces(run, i, model.step, model.view, model.text, fixed).forEach((trace, j) => {
      data.push(trace);
      traces.push(first + j);
    });
  });
  const after = shape.base + model.runs.length * (STEP_TRACES + 1);
  curvatureTraces(model.curvature, fixed, model.text, model.domain).forEach((trace, j) => {
    data.push(trace);
    traces.push(after + j);
  });
  const options = { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" };
  // an interrupted animation rejects without a reason: nothing to report, the next draw follows
  return plotlyOf(div).animate(div, { data, traces }, options).catch((err) => {
    if (err) throw err;
  });
}

/**
 * The one drawing path (see the header): queue the newest request, start the pump if idle.
 * The pump starts after a microtask so that requests of one synchronous burst (e.g. a finished
 * run: race length, then race step) collapse into one draw.
 * @returns {Promise} resolves when every request so far is drawn (or dropped for a newer one)
 */
function requestDraw(div, model, full) {
  const queue = (div._drawQueue ??= { seq: 0, next: null, running: null, drawn: 0 });
  queue.seq += 1;
  queue.next = { model, full: full || Boolean(queue.next?.full), seq: queue.seq };
  if (!queue.running) {
    queue.running = (async () => {
      await null;
      while (queue.next) {
        const job = queue.next;
        queue.next = null;
        try {
          if (job.full || !canStep(div, job.model)) await drawFull(div, job.model);
          else await drawStep(div, job.model);
          queue.drawn = job.seq;
        } catch (err) {
          setTimeout(() => {
            throw err; // reported as an uncaught error; later requests are still drawn
          });
        }
      }
      queue.running = null;
    })();
  }
  return queue.running;
}

/**
 * The page's first contour, before the main plot's first draw (contour_layer.js
 * drawSurfaceFirst): the surface plot of `model` in the box the 2-D main plot will have.
 * @param {HTMLElement} div the main plot (linked to its surface plot, never drawn yet)
 * @param {object} model as for drawMainPlot (grid, domain, view, revision, axes are used)
 * @returns {Promise|null} the surface plot's draw; null when not drawn this way (3-D, no grid, already drawn)
 */
export function drawFirstContour(div, model) {
  if (model.view.threeD || !model.grid) return null;
  return drawSurfaceFirst(div, model.grid, model.view, baseLayout(layout2d(model.domain, model.view, model.revision, model.axes)));
}

/**
 * Draw (or update) the main plot, and in 2-D the surface plot under it.
 * @param {HTMLElement} div the main plot (linked to its surface plot by linkSurfacePlot)
 * @param {object} model {grid, surface, domain, start, view, runs, step, text, revision}
 *   runs: [{label, colour, path, loss, diverged}]; text: translated labels
 *   {minimum, saddle, start, step, current, whole_path}
 * @returns {Promise} resolves when both plots are drawn
 */
export function drawMainPlot(div, model) {
  if (!model.grid) return Promise.resolve();
  return requestDraw(div, model, true);
}

/**
 * Move the race to model.step cheaply: only the per-step traces of the main plot are updated,
 * through Plotly.animate without a redraw; the surface plot is not touched. Becomes a full draw
 * when the figure does not have the expected layout (3-D, different number of runs, invalidated).
 */
export function drawMainPlotStep(div, model) {
  if (!model.grid) return Promise.resolve();
  return requestDraw(div, model, false);
}

/** New runs (ghosts, legend, trace count): the next requested draw is a full one. */
export function invalidateMainPlot(div) {
  div._stepLayout = null;
}

export { Plotly };
