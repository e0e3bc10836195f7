/**
 * contour_layer.js — the 2-D surface under the Optimizer Lab's main plot: one Plotly `contour`
 * trace (+ colour bar) in its own plot, kept aligned with the main plot, and the mode bar's PNG
 * export of both layers.
 *
 *   import { linkSurfacePlot, drawSurfaceFirst, setSurfaceTrace, hideSurfacePlot, syncSurface, MAIN_CONFIG_2D } from "./contour_layer.js";
 *   linkSurfacePlot(mainDiv, surfaceDiv);   // once (optimizer_lab/main.js): the surface is drawn in surfaceDiv
 *   drawSurfaceFirst(mainDiv, grid, view, layout); // main_plot.js: the page's first contour, before the main plot
 *   setSurfaceTrace(mainDiv, grid, view);   // main_plot.js, before each 2-D main-plot draw
 *   await syncSurface(mainDiv);             // main_plot.js, after it (also runs on plotly_afterplot)
 *   hideSurfacePlot(mainDiv);               // main_plot.js, when the 3-D view takes over
 *
 * Two Plotly plots of the same size are stacked in one box:
 *   - surface plot (underneath): the contour trace. It is redrawn only when the grid, the levels,
 *     the view or the axes change — never by a race frame.
 *   - main plot (on top, transparent background, main_plot.js): axes, legend, mode bar, markers,
 *     paths, current positions and arrows.
 * Why two plots: Plotly.animate without a redraw re-plots only "animatable" (scatter) traces and
 * drops the SVG layers of every other trace type of the subplot, so a contour trace sharing the
 * plot disappears at the first race frame; a full Plotly.react per frame costs ~2–3× as much.
 * The surface plot copies the main plot's plot-area box (size, margins, axis domains) and axis
 * ranges after every main-plot redraw (plotly_afterplot: zoom, pan, autoscale, resize) and while
 * the person pans (plotly_relayouting), so the contours lie exactly under the paths. The main
 * plot reserves the right margin for the colour bar. Over empty plot area the pointer position
 * is forwarded to the contour trace's own hover (x, y, f); the modebar's PNG button
 * (MAIN_CONFIG_2D) exports both layers as one image. The contour trace has `meta.kind`
 * "surface" and lives in the surface plot's `data`.
 */

import { Plotly, plotlyOf, onPlotly, draw, PLOT_CONFIG, CONTOUR_SCALE, CONTOUR_LINE_SCALE } from "../shared/plots.js";
import { dataPointAt } from "./plot_pointer.js";

/**
 * The surface as a Plotly contour trace over the level-index grid zt[m][n] (see prepareGrid):
 * contours at 0, 1, …, L − 1 are exactly the API's levels; the colour bar's ticks and the hover
 * show the real f. `meta.kind` is "surface".
 */
export function surfaceTrace(grid, view, { hover = true } = {}) {
  const top = Math.max(1, grid.levels.length - 1);
  const trace = {
    type: "contour",
    x: grid.x,
    y: grid.y,
    z: grid.zt,
    meta: { kind: "surface" },
    name: "f(x, y)",
    zauto: false,
    zmin: 0,
    zmax: top,
    autocontour: false,
    contours: { start: 0, end: top, size: 1, coloring: view.filled ? "fill" : "lines", showlines: true },
    colorscale: view.filled ? CONTOUR_SCALE : CONTOUR_LINE_SCALE,
    line: view.filled ? { color: "rgba(55, 65, 85, 0.38)", width: 1.2, smoothing: 0.6 } : { width: 2, smoothing: 0.6 },
    colorbar: {
      title: { text: "f", side: "top" },
      tickvals: grid.tickvals,
      ticktext: grid.ticktext,
      thickness: 14,
      len: 0.9,
      x: 1,
      xanchor: "left",
      xpad: 14,
      outlinewidth: 0,
    },
    hoverongaps: false,
    hovertemplate: "(x, y) = (%{x:.4g}, %{y:.4g})<br>f = %{text}<extra></extra>",
    showlegend: false,
  };
  // hover: false — the first contour (drawSurfaceFirst): no hover text, no colour bar
  return hover ? { ...trace, text: grid.text } : { ...trace, hoverinfo: "skip", showscale: false };
}


/**
 * Layout of the surface plot: the main plot's size, plot-area box (margins as computed, after
 * automargin; axis domains as constrained by "equal axes") and current axis ranges; no axes of
 * its own (the main plot draws them on top).
 * @param {object} full the main plot's `_fullLayout`
 */
function surfaceLayout(full) {
  const size = full._size;
  const axis = (ax) => hiddenAxis(ax.range, ax.domain);
  const margin = { l: size.l, r: size.r, t: size.t, b: size.b, pad: size.p ?? 0 };
  return boxLayout(full.width, full.height, margin, axis(full.xaxis), axis(full.yaxis));
}

/** An axis of the surface plot: the main plot's range and domain, not drawn, not zoomable. */
function hiddenAxis(range, domain, constraint = {}) {
  return { range: [...range], domain: [...domain], visible: false, fixedrange: true, ...constraint };
}

/** The surface plot's layout for a plot box: size, margins (no automargin) and its two axes. */
function boxLayout(width, height, { l, r, t, b, pad }, xaxis, yaxis) {
  return {
    width,
    height,
    autosize: false,
    margin: { l, r, t, b, pad, autoexpand: false },
    xaxis,
    yaxis,
    showlegend: false,
    hovermode: "closest",
    dragmode: false,
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
  };
}

const SURFACE_CONFIG = { displayModeBar: false, responsive: false, scrollZoom: false, doubleClick: false, showTips: false };

/**
 * Bring the surface plot in line with the main plot (same box, same ranges) and draw `state.trace`
 * on it. Cheap when nothing changed (compares a key first), so it can run after every main-plot
 * redraw.
 */
export function syncSurface(main) {
  const state = main._surface;
  const full = main._fullLayout;
  if (!state || !state.trace || !full?.xaxis || !full?.yaxis || full.scene || !full._size) return null;
  const layout = surfaceLayout(full);
  const key = JSON.stringify(layout);
  if (key === state.layoutKey && state.drawnTrace === state.trace) return null;
  state.layoutKey = key;
  state.drawnTrace = state.trace;
  state.div.hidden = false;
  return draw(state.div, [state.trace], layout, SURFACE_CONFIG);
}

/** While the person pans, move the surface plot's ranges with the main plot's (once per frame). */
function followRelayouting(main, event) {
  const state = main._surface;
  if (!state?.trace || main._fullLayout?.scene) return;
  const pick = (axis) => {
    const a = event?.[`${axis}.range[0]`] ?? event?.[`${axis}.range`]?.[0];
    const b = event?.[`${axis}.range[1]`] ?? event?.[`${axis}.range`]?.[1];
    return Number.isFinite(a) && Number.isFinite(b) ? [a, b] : null;
  };
  const update = {};
  for (const axis of ["xaxis", "yaxis"]) {
    const range = pick(axis);
    if (range) update[`${axis}.range`] = range;
  }
  if (!Object.keys(update).length) return;
  state.pending = { ...state.pending, ...update };
  if (state.frame) return;
  state.frame = requestAnimationFrame(() => {
    const pending = state.pending;
    state.frame = null;
    state.pending = null;
    state.layoutKey = ""; // the box is the same; force the next sync to re-check the ranges
    if (state.div.data?.length && pending) plotlyOf(state.div).relayout(state.div, pending);
  });
}

/** Show the contour trace's own hover (x, y, f) for a spot of the main plot (data coordinates). */
function hoverSurface(main, xy) {
  const state = main._surface;
  if (!state?.div.data?.length || !state.div._fullLayout) return;
  if (xy) plotlyOf(state.div).Fx.hover(state.div, { xval: xy[0], yval: xy[1] }, "xy", true);
  else plotlyOf(state.div).Fx.unhover(state.div);
}

/** PNG of both layers (surface plot under the main plot), as the mode bar's camera button. */
async function downloadComposite(main) {
  const state = main._surface;
  const full = main._fullLayout;
  const scale = 2;
  const options = { format: "png", width: full.width, height: full.height, scale };
  const layers = [];
  if (state?.div.data?.length && !full.scene) layers.push(await plotlyOf(state.div).toImage(state.div, options));
  layers.push(await plotlyOf(main).toImage(main, options));
  const canvas = document.createElement("canvas");
  canvas.width = full.width * scale;
  canvas.height = full.height * scale;
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (const url of layers) {
    const img = new Image();
    img.src = url;
    await img.decode();
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  }
  const link = document.createElement("a");
  link.href = canvas.toDataURL("image/png");
  link.download = `${PLOT_CONFIG.toImageButtonOptions?.filename ?? "plot"}.png`;
  link.click();
}

/**
 * Mode bar of the 2-D main plot: Plotly's own PNG button replaced by the two-layer export (one
 * constant object, so Plotly.react sees an unchanged config and does not replot for it).
 */
export const MAIN_CONFIG_2D = {
  modeBarButtonsToRemove: [...(PLOT_CONFIG.modeBarButtonsToRemove ?? []), "toImage"],
  modeBarButtonsToAdd: [
    {
      name: "toImageWithSurface",
      title: "Download plot as a PNG",
      get icon() {
        return Plotly.Icons.camera; // read when Plotly draws (it runs after this module: deferred)
      },
      click: (gd) => downloadComposite(gd),
    },
  ],
};

/**
 * Put the 2-D surface of `main` into `surfaceDiv` (a box of the same size directly under it)
 * and keep the two in step: box and ranges after every main-plot redraw and while panning;
 * the contour's hover shown for the spot under the pointer when no path point is hovered.
 * Call once, after a first draw of `main` (Plotly adds its event API then).
 * @param {HTMLElement} main
 * @param {HTMLElement} surfaceDiv
 */
export function linkSurfacePlot(main, surfaceDiv) {
  const state = { div: surfaceDiv, trace: null, drawnTrace: null, layoutKey: "", pending: null, frame: null, pointHover: false };
  main._surface = state;
  onPlotly(main, "plotly_afterplot", () => syncSurface(main));
  onPlotly(main, "plotly_relayouting", (event) => followRelayouting(main, event));
  onPlotly(main, "plotly_hover", () => {
    state.pointHover = true;
    hoverSurface(main, null);
  });
  onPlotly(main, "plotly_unhover", () => {
    state.pointHover = false;
  });
  main.addEventListener("mousemove", (ev) => {
    if (main._fullLayout?.scene) return;
    const xy = ev.buttons || state.pointHover ? null : dataPointAt(main, ev.clientX, ev.clientY);
    hoverSurface(main, xy);
  });
  main.addEventListener("mouseleave", () => hoverSurface(main, null));
}

/**
 * Make the contour of `grid` (in the current filled/lines mode) the trace the surface plot shows;
 * drawn by the next syncSurface. No-op when `main` has no linked surface plot.
 */
export function setSurfaceTrace(main, grid, view) {
  const state = main._surface;
  if (!state) return;
  // one trace object per grid and mode: Plotly.react then sees the same arrays and skips work
  const key = view.filled ? "filled" : "lines";
  grid._traces = grid._traces ?? {};
  grid._traces[key] = grid._traces[key] ?? surfaceTrace(grid, view);
  state.trace = grid._traces[key];
}

/**
 * Top margin the main plot's one-row horizontal legend adds by automargin, per pixel of legend
 * font size (34 px at the main plot's 16 px; measured in Chromium, plotly.js 4.1).
 */
const LEGEND_ROW_PER_FONT_PX = 2.125;

/**
 * The page's first contour, drawn before the main plot's first draw (issue 9: first contour
 * < 1 s). The main plot's first draw (axes, legend, mode bar, markers) is the longer of the two
 * cold Plotly draws; the surface plot is drawn first, in the box the main plot's `layout`
 * declares: the main plot's size, its margins (the top one with one legend row) and its axis
 * ranges (equal axes constrained the same way), without the colour bar and the hover text. The
 * main plot's draw then computes the real box (automargin) and the syncSurface after it moves
 * the surface there and adds both.
 * Nothing happens once the main plot has been drawn.
 * @param {HTMLElement} main the main plot (linked by linkSurfacePlot, not drawn yet)
 * @param {object} grid prepared grid (contour_grid.js prepareGrid)
 * @param {object} view the configuration's view switches
 * @param {object} layout the main plot's whole layout (baseLayout merged)
 * @returns {Promise|null} the surface plot's draw; null when not drawn this way
 */
export function drawSurfaceFirst(main, grid, view, layout) {
  const state = main._surface;
  if (!state || main._fullLayout || !main.clientWidth || !main.clientHeight) return null;
  const { l, r, t, b } = layout.margin;
  const legendRow = layout.showlegend === false ? 0 : Math.round(LEGEND_ROW_PER_FONT_PX * (layout.legend?.font?.size ?? 14));
  // the main plot's own constraint (equal axes), so Plotly constrains the domain the same way
  const constraint = (ax) => ({ ...(ax.scaleanchor ? { scaleanchor: ax.scaleanchor, scaleratio: ax.scaleratio ?? 1 } : {}), constrain: ax.constrain });
  const axis = (ax) => hiddenAxis(ax.range, [0, 1], constraint(ax));
  const margin = { l, r, t: t + legendRow, b, pad: 0 };
  const ahead = boxLayout(main.clientWidth, main.clientHeight, margin, axis(layout.xaxis), axis(layout.yaxis));
  // The colour bar and the hover text come with the real box: they are ~45 % of this cold
  // draw's cost (~70 and ~25 ms; no hover reaches the surface before the main plot is drawn),
  // and the hover text takes ~80 ms more to make (contour_grid.js makes it when first read).
  state.layoutKey = ""; // the main plot's first draw gives the real box: syncSurface redraws there
  state.drawnTrace = null;
  state.div.hidden = false;
  return draw(state.div, [surfaceTrace(grid, view, { hover: false })], ahead, SURFACE_CONFIG);
}

/** The 3-D view draws its own surface: empty and hide the surface plot. */
export function hideSurfacePlot(main) {
  const state = main._surface;
  if (!state) return;
  state.trace = null;
  state.drawnTrace = null;
  state.layoutKey = "";
  state.div.hidden = true;
  plotlyOf(state.div).purge(state.div);
}
