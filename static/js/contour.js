/**
 * contour.js — the Optimizer Lab's main plot: the surface (filled or line contours, or a 3-D
 * surface), minima ★ and saddles ×, the start point, every run's path up to the race's current
 * step with a marker at the current position, and (2-D) the step inspector's arrows.
 *
 *   import { prepareGrid, linkSurfacePlot, drawMainPlot, drawMainPlotStep, attachStartPicker } from "./contour.js";
 *   linkSurfacePlot(mainDiv, surfaceDiv);           // once: the 2-D surface is drawn in surfaceDiv
 *   const grid = prepareGrid(apiGrid);              // once per GET …/grid answer
 *   drawMainPlot(mainDiv, { grid, surface, domain, start, view, runs, step, text, revision });
 *   drawMainPlotStep(mainDiv, model);               // race frames: only the moving traces
 *   attachStartPicker(mainDiv, ([x, y]) => …);      // a click on the plot sets the start
 *
 * 2-D: two Plotly plots of the same size stacked in one box.
 *   - surface plot (underneath): one Plotly `contour` trace (+ colour bar). It is redrawn only when
 *     the grid, the levels, the view or the axes change — never by a race frame.
 *   - main plot (on top, transparent background): axes, legend, mode bar, markers, paths, current
 *     positions and arrows. Race frames update only these with Plotly.animate(redraw: false).
 * Why two plots: Plotly.animate without a redraw re-plots only "animatable" (scatter) traces and
 * drops the SVG layers of every other trace type of the subplot, so a contour trace sharing the
 * plot disappears at the first race frame; a full Plotly.react per frame costs ~2–3× as much.
 * The surface plot copies the main plot's plot-area box (size, margins, axis domains) and axis
 * ranges after every main-plot redraw (plotly_afterplot: zoom, pan, autoscale, resize) and while
 * the person pans (plotly_relayouting), so the contours lie exactly under the paths. The main
 * plot reserves the right margin for the surface plot's colour bar. Over empty plot area the
 * pointer position is forwarded to the contour trace's own hover (x, y, f); the modebar's PNG
 * button exports both layers as one image.
 *
 * Contour levels: the API returns level values (log-spaced). Plotly contours need equally spaced
 * levels, so z is mapped through the piecewise-linear function that sends levels[i] to i; integer
 * contours of the mapped grid are then exactly the API's levels. The colour bar's ticks and the
 * hover text show the real f values. The 3-D view uses the same mapped height (a log-like
 * relief), with real values on the z ticks.
 *
 * Every trace carries `meta: {kind, run}` (kind: surface | minima | saddles | start | ghost |
 * path | current | arrow_grad | arrow_update | arrow_velocity) so tests and other code can find
 * them in `div.data` (the 2-D "surface" contour trace is in the surface plot's `data`).
 */

import { Plotly, draw, PLOT_CONFIG, CONTOUR_SCALE, CONTOUR_LINE_SCALE, withAlpha } from "./plots.js";
import { fmt } from "./format.js";
import { arrowSegments, fixedArrowLength } from "./inspector.js";

/** Sorted, strictly increasing, finite copy of the level values. */
function cleanLevels(levels) {
  const out = [];
  for (const v of [...(levels ?? [])].filter(Number.isFinite).sort((a, b) => a - b)) {
    if (!out.length || v > out[out.length - 1]) out.push(v);
  }
  return out;
}

/**
 * The map z ↦ fractional level index (levels[i] ↦ i, linear in between), clamped to
 * [0, L − 1]: Plotly's filled contours break when values fall outside [start, end].
 * @param {number[]} levels increasing
 * @returns {(z: number|null) => number|null}
 */
export function levelIndexer(levels) {
  const L = levels.length;
  if (L < 2) {
    return (z) => (Number.isFinite(z) ? 0 : null);
  }
  return (z) => {
    if (z === null || !Number.isFinite(z)) return null;
    if (z <= levels[0]) return 0;
    if (z >= levels[L - 1]) return L - 1;
    // binary search for levels[i] <= z < levels[i + 1]
    let lo = 0;
    let hi = L - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (levels[mid] <= z) lo = mid;
      else hi = mid;
    }
    return lo + (z - levels[lo]) / (levels[lo + 1] - levels[lo]);
  };
}

/**
 * Precompute what the plot needs from a GET /api/surfaces/{id}/grid answer.
 * @param {{x: number[], y: number[], z: (number|null)[][], levels: number[]}} api
 */
export function prepareGrid(api) {
  let levels = cleanLevels(api.levels);
  if (levels.length < 2) {
    const finite = api.z.flat().filter(Number.isFinite);
    const lo = Math.min(...finite);
    const hi = Math.max(...finite);
    levels = hi > lo ? Array.from({ length: 21 }, (_, i) => lo + ((hi - lo) * i) / 20) : [lo, lo + 1];
  }
  const toIndex = levelIndexer(levels);
  const zt = api.z.map((row) => row.map(toIndex));
  const text = api.z.map((row) => row.map((v) => fmt(v)));
  const L = levels.length;
  const every = Math.max(1, Math.ceil(L / 8));
  const tickvals = [];
  const ticktext = [];
  for (let i = 0; i < L; i += every) {
    tickvals.push(i);
    ticktext.push(fmt(levels[i], 3));
  }
  const valueAt = (p) => bilinear(api.x, api.y, api.z, p[0], p[1]);
  return { x: api.x, y: api.y, z: api.z, zt, text, levels, toIndex, tickvals, ticktext, valueAt };
}

function bracket(axis, v) {
  const n = axis.length;
  if (v <= axis[0]) return [0, 0];
  if (v >= axis[n - 1]) return [n - 1, 0];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (axis[mid] <= v) lo = mid;
    else hi = mid;
  }
  return [lo, (v - axis[lo]) / (axis[lo + 1] - axis[lo])];
}

/** Bilinear interpolation of the grid z[i][j] = f(x[j], y[i]) at (x, y); null outside data. */
export function bilinear(xs, ys, z, x, y) {
  const [j, u] = bracket(xs, x);
  const [i, v] = bracket(ys, y);
  const at = (ii, jj) => z[Math.min(ii, ys.length - 1)]?.[Math.min(jj, xs.length - 1)];
  const corners = [at(i, j), at(i, j + 1), at(i + 1, j), at(i + 1, j + 1)];
  if (corners.some((c) => c === null || c === undefined || !Number.isFinite(c))) return at(i, j) ?? null;
  return (1 - v) * ((1 - u) * corners[0] + u * corners[1]) + v * ((1 - u) * corners[2] + u * corners[3]);
}

function pathSlice(run, k) {
  const last = Math.min(k, run.path.length - 1);
  return { last, pts: run.path.slice(0, last + 1) };
}

function pathCustom(run) {
  if (!run._custom || run._custom.length !== run.path.length) {
    run._custom = run.path.map((_, i) => [i, run.loss?.[i] ?? null]);
  }
  return run._custom;
}

function hoverPath(label, text) {
  return `<b>${label.replace(/</g, "&lt;")}</b><br>${text.step} %{customdata[0]}<br>(x, y) = (%{x:.4g}, %{y:.4g})<br>f = %{customdata[1]:.4g}<extra></extra>`;
}

function markerTraces2d(surface, start, text) {
  const traces = [];
  const minima = surface?.minima ?? [];
  const saddles = surface?.saddles ?? [];
  traces.push({
    type: "scatter",
    mode: "markers",
    x: minima.map((p) => p[0]),
    y: minima.map((p) => p[1]),
    name: text.minimum,
    meta: { kind: "minima" },
    marker: { symbol: "star", size: 20, color: "#ffd21f", line: { color: "#5a4500", width: 1.5 } },
    hovertemplate: `${text.minimum} (%{x:.4g}, %{y:.4g})<extra></extra>`,
    showlegend: minima.length > 0,
  });
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
  traces.push({
    type: "scatter",
    mode: "markers",
    x: [start[0]],
    y: [start[1]],
    name: text.start,
    meta: { kind: "start" },
    marker: { symbol: "circle-open", size: 16, color: "#111", line: { width: 3 } },
    hovertemplate: `${text.start} (%{x:.4g}, %{y:.4g})<extra></extra>`,
  });
  return traces;
}

const ARROW_STYLE = {
  grad: (colour) => ({ colour: "#1b1f27", width: 2.2 }),
  update: (colour) => ({ colour, width: 3.5 }),
  velocity: (colour) => ({ colour: withAlpha(colour, 0.6), width: 3 }),
};

/** One arrow (segment + arrow-head marker + label) as a scatter trace; empty when seg.to is null. */
function arrowTrace(seg, run, i) {
  const { colour, width } = ARROW_STYLE[seg.kind](run.colour);
  const has = Boolean(seg.to);
  return {
    type: "scatter",
    mode: "lines+markers+text",
    x: has ? [seg.from[0], seg.to[0]] : [],
    y: has ? [seg.from[1], seg.to[1]] : [],
    text: has ? ["", seg.label] : [],
    textposition: "top right",
    textfont: { size: 14, color: colour },
    line: { color: colour, width },
    marker: { symbol: "arrow", angleref: "previous", size: has ? [0, 10 + 2 * width] : [], color: colour },
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
  const diverged = run.diverged && atEnd;
  const traces = [
    {
      type: "scatter",
      mode: long ? "lines" : "lines+markers",
      x: pts.map((p) => p[0]),
      y: pts.map((p) => p[1]),
      customdata: custom.slice(0, last + 1),
      name: run.label,
      legendgroup: `run${i}`,
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
  for (const seg of arrowSegments(run, step, view, fixed)) traces.push(arrowTrace(seg, run, i));
  return traces;
}

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

/**
 * The surface as a Plotly contour trace over the level-index grid zt[m][n] (see prepareGrid):
 * contours at 0, 1, …, L − 1 are exactly the API's levels; the colour bar's ticks and the hover
 * show the real f. `meta.kind` is "surface".
 */
export function surfaceTrace(grid, view) {
  const top = Math.max(1, grid.levels.length - 1);
  return {
    type: "contour",
    x: grid.x,
    y: grid.y,
    z: grid.zt,
    text: grid.text,
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
}

function layout2d(domain, view, revision) {
  return {
    margin: MARGIN_2D,
    // transparent: the surface plot underneath shows through the plot area
    paper_bgcolor: "rgba(0, 0, 0, 0)",
    plot_bgcolor: "rgba(0, 0, 0, 0)",
    xaxis: { title: { text: "x" }, range: [...domain.x], zeroline: false, showgrid: false, constrain: "domain" },
    yaxis: {
      title: { text: "y" },
      range: [...domain.y],
      zeroline: false,
      showgrid: false,
      scaleanchor: view.equal ? "x" : undefined,
      scaleratio: 1,
      constrain: "domain",
    },
    legend: { orientation: "h", y: 1.0, yanchor: "bottom", x: 0, bgcolor: "rgba(255,255,255,0.8)" },
    hovermode: "closest",
    dragmode: "zoom",
    uirevision: revision,
    showlegend: true,
  };
}

/**
 * Layout of the surface plot: the main plot's size, plot-area box (margins as computed, after
 * automargin; axis domains as constrained by "equal axes") and current axis ranges; no axes of
 * its own (the main plot draws them on top).
 * @param {object} full the main plot's `_fullLayout`
 */
function surfaceLayout(full) {
  const size = full._size;
  const axis = (ax) => ({ range: [...ax.range], domain: [...ax.domain], visible: false, fixedrange: true });
  return {
    width: full.width,
    height: full.height,
    autosize: false,
    margin: { l: size.l, r: size.r, t: size.t, b: size.b, pad: size.p ?? 0, autoexpand: false },
    xaxis: axis(full.xaxis),
    yaxis: axis(full.yaxis),
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
function syncSurface(main) {
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
    if (state.div.data?.length && pending) Plotly.relayout(state.div, pending);
  });
}

/** Show the contour trace's own hover (x, y, f) for a spot of the main plot (data coordinates). */
function hoverSurface(main, xy) {
  const state = main._surface;
  if (!state?.div.data?.length || !state.div._fullLayout) return;
  if (xy) Plotly.Fx.hover(state.div, { xval: xy[0], yval: xy[1] }, "xy", true);
  else Plotly.Fx.unhover(state.div);
}

/** PNG of both layers (surface plot under the main plot), as the mode bar's camera button. */
async function downloadComposite(main) {
  const state = main._surface;
  const full = main._fullLayout;
  const scale = 2;
  const options = { format: "png", width: full.width, height: full.height, scale };
  const layers = [];
  if (state?.div.data?.length && !full.scene) layers.push(await Plotly.toImage(state.div, options));
  layers.push(await Plotly.toImage(main, options));
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
const MAIN_CONFIG_2D = {
  modeBarButtonsToRemove: [...(PLOT_CONFIG.modeBarButtonsToRemove ?? []), "toImage"],
  modeBarButtonsToAdd: [
    {
      name: "toImageWithSurface",
      title: "Download plot as a PNG",
      icon: Plotly.Icons.camera,
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
  main.on("plotly_afterplot", () => syncSurface(main));
  main.on("plotly_relayouting", (event) => followRelayouting(main, event));
  main.on("plotly_hover", () => {
    state.pointHover = true;
    hoverSurface(main, null);
  });
  main.on("plotly_unhover", () => {
    state.pointHover = false;
  });
  main.addEventListener("mousemove", (ev) => {
    if (main._fullLayout?.scene) return;
    const xy = ev.buttons || state.pointHover ? null : dataPointAt(main, ev.clientX, ev.clientY);
    hoverSurface(main, xy);
  });
  main.addEventListener("mouseleave", () => hoverSurface(main, null));
}

function figure3d(model) {
  const { grid, surface, start, runs, step, view, text, domain } = model;
  const lift = 0.06; // paths float slightly above the relief (in level units)
  const data = [
    {
      type: "surface",
      x: grid.x,
      y: grid.y,
      z: grid.zt,
      text: grid.text,
      meta: { kind: "surface" },
      colorscale: CONTOUR_SCALE,
      cmin: 0,
      cmax: grid.levels.length - 1,
      opacity: 0.92,
      showscale: false,
      contours: { z: { show: true, start: 0, end: grid.levels.length - 1, size: 1, color: "rgba(60,70,90,0.35)", width: 1 } },
      hovertemplate: `(x, y) = (%{x:.4g}, %{y:.4g})<br>f = %{text}<extra></extra>`,
      name: "f(x, y)",
    },
  ];
  const zOf = (p) => {
    const v = grid.toIndex(p[2]);
    return v === null ? null : v + lift;
  };
  const pts3 = (list) => list.map((p) => [p[0], p[1], p[2]]);
  const minima = (surface?.minima ?? []).map((p) => [p[0], p[1], grid.valueAt(p) ?? grid.levels[0]]);
  const saddles = (surface?.saddles ?? []).map((p) => [p[0], p[1], grid.valueAt(p) ?? grid.levels[0]]);
  const addMarkers = (list, kind, name, marker) =>
    data.push({
      type: "scatter3d",
      mode: "markers",
      x: list.map((p) => p[0]),
      y: list.map((p) => p[1]),
      z: list.map(zOf),
      name,
      meta: { kind },
      marker,
      showlegend: list.length > 0,
      hovertemplate: `${name} (%{x:.4g}, %{y:.4g})<extra></extra>`,
    });
  addMarkers(pts3(minima), "minima", text.minimum, { symbol: "diamond", size: 7, color: "#ffd21f", line: { color: "#5a4500", width: 1 } });
  addMarkers(pts3(saddles), "saddles", text.saddle, { symbol: "x", size: 7, color: "#111" });
  const startZ = runs[0]?.loss?.[0] ?? grid.valueAt(start) ?? grid.levels[0];
  addMarkers([[start[0], start[1], startZ]], "start", text.start, { symbol: "circle-open", size: 8, color: "#111" });
  runs.forEach((run, i) => {
    const { last, pts } = pathSlice(run, step);
    const z = pts.map((p, j) => zOf([p[0], p[1], run.loss?.[j]]));
    data.push({
      type: "scatter3d",
      mode: "lines",
      x: view.ghost ? run.path.map((p) => p[0]) : [],
      y: view.ghost ? run.path.map((p) => p[1]) : [],
      z: view.ghost ? run.path.map((p, j) => zOf([p[0], p[1], run.loss?.[j]])) : [],
      meta: { kind: "ghost", run: i },
      line: { color: withAlpha(run.colour, 0.3), width: 3 },
      hoverinfo: "skip",
      showlegend: false,
    });
    data.push({
      type: "scatter3d",
      mode: "lines+markers",
      x: pts.map((p) => p[0]),
      y: pts.map((p) => p[1]),
      z,
      customdata: pathCustom(run).slice(0, last + 1),
      name: run.label,
      meta: { kind: "path", run: i },
      line: { color: run.colour, width: 6 },
      marker: { color: run.colour, size: run.path.length > 400 ? 0 : 3 },
      hovertemplate: hoverPath(run.label, text),
    });
    const cur = run.path[last];
    data.push({
      type: "scatter3d",
      mode: "markers",
      x: cur ? [cur[0]] : [],
      y: cur ? [cur[1]] : [],
      z: cur ? [z[last]] : [],
      meta: { kind: "current", run: i },
      marker: { color: run.colour, size: 7, symbol: run.diverged && last === run.path.length - 1 ? "x" : "circle", line: { color: "#fff", width: 2 } },
      showlegend: false,
      hoverinfo: "skip",
    });
  });
  const dx = domain.x[1] - domain.x[0];
  const dy = domain.y[1] - domain.y[0];
  const ratio = Math.min(1.6, Math.max(0.5, dy / dx));
  const layout = {
    margin: { l: 0, r: 0, t: 10, b: 0 },
    scene: {
      xaxis: { title: { text: "x" }, range: [...domain.x] },
      yaxis: { title: { text: "y" }, range: [...domain.y] },
      zaxis: { title: { text: "f" }, tickvals: grid.tickvals.filter((_, i) => i % 2 === 0), ticktext: grid.ticktext.filter((_, i) => i % 2 === 0) },
      aspectmode: "manual",
      aspectratio: { x: 1.3, y: 1.3 * ratio, z: 0.7 },
      camera: { eye: { x: -1.3, y: -1.6, z: 1.1 } },
    },
    legend: { orientation: "h", y: 1.0, yanchor: "bottom", x: 0 },
    uirevision: model.revision,
    showlegend: true,
  };
  return { data, layout };
}

/**
 * Draw (or update) the main plot, and in 2-D the surface plot under it.
 * @param {HTMLElement} div the main plot (linked to its surface plot by linkSurfacePlot)
 * @param {object} model {grid, surface, domain, start, view, runs, step, text, revision}
 *   runs: [{label, colour, path, loss, diverged}]; text: translated labels
 *   {minimum, saddle, start, step, current, whole_path}
 * @returns {Promise} resolves when both plots are drawn
 */
export async function drawMainPlot(div, model) {
  if (!model.grid) return;
  const state = div._surface;
  if (model.view.threeD) {
    const { data, layout } = figure3d(model);
    div._stepLayout = { threeD: true };
    if (state) {
      state.trace = null;
      state.drawnTrace = null;
      state.layoutKey = "";
      state.div.hidden = true;
      Plotly.purge(state.div);
    }
    await draw(div, data, layout);
    return;
  }
  if (state) {
    // one trace object per grid and mode: Plotly.react then sees the same arrays and skips work
    const key = model.view.filled ? "filled" : "lines";
    model.grid._traces = model.grid._traces ?? {};
    model.grid._traces[key] = model.grid._traces[key] ?? surfaceTrace(model.grid, model.view);
    state.trace = model.grid._traces[key];
  }
  const fixed = fixedArrowLength(model.domain);
  const data = [...markerTraces2d(model.surface, model.start, model.text), ...runTraces2d(model.runs, model.step, model.view, model.text, fixed)];
  div._stepLayout = { runs: model.runs.length, base: 3, threeD: false };
  await draw(div, data, layout2d(model.domain, model.view, model.revision), MAIN_CONFIG_2D);
  await syncSurface(div);
}

/**
 * Move the race to model.step cheaply: only the per-step traces of the main plot are updated,
 * through Plotly.animate without a redraw; the surface plot is not touched. Falls back to a full
 * draw when the figure does not have the expected layout (3-D, different number of runs).
 */
export function drawMainPlotStep(div, model) {
  const shape = div._stepLayout;
  if (model.view.threeD || !shape || shape.threeD || shape.runs !== model.runs.length || !div.data) {
    return drawMainPlot(div, model);
  }
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
  return Plotly.animate(div, { data, traces }, { transition: { duration: 0 }, frame: { duration: 0, redraw: false }, mode: "immediate" });
}

/**
 * Data coordinates under a mouse event in a 2-D Plotly plot, from the plot area's box and the
 * axes' current ranges (Plotly click events only report data points, not the clicked spot).
 * @returns {[number, number] | null} null when outside the plot area
 */
export function dataPointAt(div, clientX, clientY) {
  const area = div.querySelector(".nsewdrag");
  const full = div._fullLayout;
  if (!area || !full?.xaxis || !full?.yaxis) return null;
  const box = area.getBoundingClientRect();
  if (clientX < box.left || clientX > box.right || clientY < box.top || clientY > box.bottom) return null;
  const [x0, x1] = full.xaxis.range;
  const [y0, y1] = full.yaxis.range;
  const x = x0 + ((clientX - box.left) / box.width) * (x1 - x0);
  const y = y1 - ((clientY - box.top) / box.height) * (y1 - y0);
  return [x, y];
}

/**
 * Call `onPick([x, y])` when the person clicks a spot of a 2-D plot's axes area (a click, not
 * the end of a zoom drag; not on the mode bar, legend or colour bar), or in 3-D a point of the
 * surface. Works for any 2-D plot with linear axes (also the start-point heat map): the spot is
 * mapped through the axes' ranges, so it does not depend on a trace being under the mouse.
 */
export function attachStartPicker(div, onPick) {
  let down = null;
  div.addEventListener("pointerdown", (ev) => {
    down = { x: ev.clientX, y: ev.clientY };
  }, true);
  div.addEventListener("click", (ev) => {
    if (!down || Math.hypot(ev.clientX - down.x, ev.clientY - down.y) > 5) return;
    if (ev.target?.closest?.(".modebar, .legend, .colorbar")) return;
    if (div._fullLayout?.scene) return; // 3-D: handled by plotly_click below
    const xy = dataPointAt(div, ev.clientX, ev.clientY);
    if (xy) onPick(xy);
  });
  div.on?.("plotly_click", (ev) => {
    const point = ev?.points?.[0];
    if (point && point.data?.type === "surface" && Number.isFinite(point.x) && Number.isFinite(point.y)) onPick([point.x, point.y]);
  });
}

/**
 * Show "x, y, f" under the mouse in `output` (2-D only): f comes from the grid by bilinear
 * interpolation at the exact spot (the contour's hover label snaps to grid nodes, and is hidden
 * while a path point is hovered).
 * @param {HTMLElement} div
 * @param {() => object|null} getGrid returns the current prepareGrid() result
 * @param {HTMLElement} output
 */
export function attachReadout(div, getGrid, output) {
  div.addEventListener("mousemove", (ev) => {
    const grid = getGrid();
    if (!grid || div._fullLayout?.scene) {
      output.textContent = "";
      return;
    }
    const xy = dataPointAt(div, ev.clientX, ev.clientY);
    if (!xy) {
      output.textContent = "";
      return;
    }
    const f = grid.valueAt(xy);
    output.textContent = `(x, y) = (${fmt(xy[0], 3)}, ${fmt(xy[1], 3)})   f = ${fmt(f)}`;
  });
  div.addEventListener("mouseleave", () => {
    output.textContent = "";
  });
}

export { Plotly };
