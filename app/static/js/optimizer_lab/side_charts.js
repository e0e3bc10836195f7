/**
 * side_charts.js — the Optimizer Lab's side charts: loss vs step, distance to the nearest minimum vs
 * step, the learning-rate sweep and the start-point map. Each function draws into a div with the
 * shared theme (plots.js) and only needs plain data.
 *
 *   drawLoss(div, runs, k, text, {scale, fMin})    runs: [{label, colour, loss}]; scale log | symlog | linear
 *   drawLr(div, runs, k, text)                     η_t per step
 *   drawDistance(div, runs, minima, k, text)       distance from path to the closest known minimum
 *   drawSweep(div, sweep, colours, threshold, text)
 *   drawStartMap(div, map, surface, start, text)
 *
 * Log axes are used where every value is positive (else linear, with a note in the title), so a
 * surface that goes below zero (saddle) still plots.
 */

import { draw, plotlyOf, logAxis, vline, minimaTrace, startTrace, HEATMAP_SCALE } from "../shared/plots.js";
import { fmt } from "../shared/format.js";

// Log axes when no value is negative and some are positive (exact zeros, e.g. Newton landing
// on the minimum, are simply not drawn on a log axis); otherwise linear.
const allPositive = (values) => values.some((v) => v > 0) && values.every((v) => v >= 0);

function finite(values) {
  return values.filter((v) => typeof v === "number" && Number.isFinite(v));
}

function cursor(k) {
  return vline(k, { color: "#333", dash: "dot", width: 1.5 });
}

/** Distance from each path point to the nearest of `minima` (null when none are known). */
export function distanceSeries(path, minima) {
  if (!minima?.length) return null;
  return path.map((p) => Math.min(...minima.map((m) => Math.hypot(p[0] - m[0], p[1] - m[1]))));
}

/** symlog: y ↦ sign(y)·log10(1 + |y|/c), linear within ±c and logarithmic beyond. */
const symlog = (v, c) => Math.sign(v) * Math.log10(1 + Math.abs(v) / c);

/** Ticks of a symlog axis at 0 and ±10^e over the values' span. */
function symlogAxis(values, c, title) {
  const top = Math.max(c, ...values.map((v) => Math.abs(v)));
  const lo = Math.floor(Math.log10(c));
  const hi = Math.ceil(Math.log10(top));
  const every = Math.max(1, Math.ceil((hi - lo) / 5));
  const tickvals = [0];
  const ticktext = ["0"];
  const hasNeg = values.some((v) => v < 0);
  const hasPos = values.some((v) => v > 0);
  // ticks too close to 0 (less than 8 % of the axis span) would print on top of the 0 tick
  const span = symlog(top, c);
  for (let e = hi; e >= lo; e -= every) {
    if (symlog(10 ** e, c) < 0.08 * span) continue;
    if (hasPos) tickvals.push(symlog(10 ** e, c)), ticktext.push(`10${sup(String(e))}`);
    if (hasNeg) tickvals.push(symlog(-(10 ** e), c)), ticktext.push(`−10${sup(String(e))}`);
  }
  return { title: { text: title }, tickvals, ticktext, zeroline: true };
}

const SUP = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
const sup = (digits) => [...String(digits)].map((ch) => SUP[ch] ?? ch).join("");

/**
 * The loss series transformed for an axis scale ("log": f − f_min on a log axis, f_min = the
 * surface's lowest known value or 0; "symlog": sign-preserving log for surfaces unbounded below;
 * "linear") and the y-axis to draw it on.
 */
export function lossAxis(runs, scale, fMin, text) {
  const values = finite(runs.flatMap((r) => r.loss ?? []));
  const shift = Number.isFinite(fMin) ? fMin : 0;
  if (scale === "log" && values.some((v) => v - shift > 0)) {
    const gaps = values.map((v) => v - shift).filter((v) => v > 0);
    const title = shift === 0 ? text.loss : text.log_gap;
    return { series: (loss) => loss.map((v) => (v - shift > 0 ? v - shift : null)), axis: logAxis(title, {}, gaps), scale: "log" };
  }
  if (scale === "symlog" || scale === "log") {
    const c = 1;
    return { series: (loss) => loss.map((v) => (Number.isFinite(v) ? symlog(v, c) : null)), axis: { ...symlogAxis(values, c, `${text.loss} (${text.symlog})`), type: "linear" }, scale: "symlog" };
  }
  return { series: (loss) => loss, axis: { type: "linear", title: { text: `${text.loss} (${text.linear})` } }, scale: "linear" };
}

/** Loss vs step on the chosen scale (see lossAxis); the hover shows the true f. */
export function drawLoss(div, runs, k, text, { scale = "log", fMin = null } = {}) {
  const ax = lossAxis(runs, scale, fMin, text);
  const data = runs.map((r, i) => ({
    type: "scatter",
    mode: "lines",
    x: (r.loss ?? []).map((_, j) => j),
    y: ax.series(r.loss ?? []),
    customdata: r.loss ?? [],
    name: r.label,
    meta: { kind: "loss", run: i },
    line: { color: r.colour, width: 2.5 },
    hovertemplate: `${r.label.replace(/</g, "&lt;")}<br>${text.step} %{x}<br>f = %{customdata:.4g}<extra></extra>`,
  }));
  div.dataset.scale = ax.scale;
  return draw(div, data, {
    xaxis: { title: { text: text.step } },
    yaxis: ax.axis,
    shapes: runs.length ? [cursor(k)] : [],
    showlegend: false,
    margin: { t: 16 },
  });
}

/** Learning rate η_t vs step (the trajectory's per-step lr: schedules made visible). */
export function drawLr(div, runs, k, text) {
  const data = runs.map((r, i) => ({
    type: "scatter",
    mode: "lines",
    x: (r.lr ?? []).map((_, j) => j),
    y: r.lr ?? [],
    name: r.label,
    meta: { kind: "lr", run: i },
    line: { color: r.colour, width: 2.5, shape: "hv" },
    hovertemplate: `${r.label.replace(/</g, "&lt;")}<br>${text.step} %{x}<br>η = %{y:.4g}<extra></extra>`,
  }));
  const values = finite(runs.flatMap((r) => r.lr ?? []));
  if (!values.length) return drawPlaceholder(div, text.no_lr);
  const positive = values.every((v) => v > 0);
  const spread = positive ? Math.max(...values) / Math.min(...values) : 1;
  return draw(div, data, {
    xaxis: { title: { text: text.step } },
    yaxis: spread > 20 ? logAxis("η", {}, values) : { title: { text: "η" }, rangemode: "tozero" },
    shapes: runs.length ? [cursor(k)] : [],
    showlegend: false,
    margin: { t: 16 },
  });
}

/** Distance to the nearest known minimum vs step (log y). */
export function drawDistance(div, runs, minima, k, text) {
  // The API sends a per-step `distance` (to the nearest known minimum); else compute it here.
  const series = runs.map((r) => (Array.isArray(r.distance) && r.distance.length === r.path?.length ? r.distance : distanceSeries(r.path ?? [], minima)));
  const data = runs.map((r, i) => ({
    type: "scatter",
    mode: "lines",
    x: (series[i] ?? []).map((_, j) => j),
    y: series[i] ?? [],
    name: r.label,
    meta: { kind: "distance", run: i },
    line: { color: r.colour, width: 2.5 },
    hovertemplate: `${r.label.replace(/</g, "&lt;")}<br>${text.step} %{x}<br>d = %{y:.4g}<extra></extra>`,
  }));
  const values = finite(series.flat().filter((v) => v !== null));
  if (!values.length) return drawPlaceholder(div, text.no_minima);
  const log = allPositive(values);
  const layout = {
    xaxis: { title: { text: text.step } },
    yaxis: log ? logAxis(text.distance, {}, values) : { title: { text: text.distance } },
    shapes: runs.length ? [cursor(k)] : [],
    showlegend: false,
    margin: { t: 16 },
  };
  return draw(div, data, layout);
}

/** Update only the step cursor of the loss/distance charts (cheap, for the race). */
export function moveCursor(div, k) {
  if (!div.layout || !div.data?.length) return null;
  return plotlyOf(div).relayout(div, { shapes: [cursor(k)] });
}

/**
 * Final loss vs learning rate, log–log, one line per run; diverged learning rates are marked
 * with × along the top edge; a stability threshold (if known) is a vertical line.
 * @param {object} sweep answer of POST /api/sweeps/lr
 * @param {string[]} colours per result
 * @param {{lr: number, label: string, colour?: string}[]|object|null} threshold stability limits
 */
export function drawSweep(div, sweep, colours, threshold, text) {
  const data = [];
  const values = finite(sweep.results.flatMap((r) => r.final_loss));
  const log = allPositive(values);
  sweep.results.forEach((r, i) => {
    data.push({
      type: "scatter",
      mode: "lines+markers",
      x: sweep.lrs,
      y: r.final_loss.map((v, j) => (r.diverged[j] ? null : v)),
      name: r.label,
      meta: { kind: "sweep", run: i },
      line: { color: colours[i], width: 2.5 },
      marker: { size: 5, color: colours[i] },
      connectgaps: false,
      hovertemplate: `${String(r.label).replace(/</g, "&lt;")}<br>η = %{x:.4g}<br>f = %{y:.4g}<extra></extra>`,
    });
    const dx = sweep.lrs.filter((_, j) => r.diverged[j]);
    if (dx.length) {
      data.push({
        type: "scatter",
        mode: "markers",
        x: dx,
        y: dx.map(() => 1),
        yaxis: "y2",
        name: `${r.label} · ${text.diverged}`,
        meta: { kind: "sweep_diverged", run: i },
        marker: { symbol: "x-thin", size: 11, color: colours[i], line: { color: colours[i], width: 2.5 } },
        hovertemplate: `${String(r.label).replace(/</g, "&lt;")}<br>η = %{x:.4g}<br>${text.diverged}<extra></extra>`,
        showlegend: false,
      });
    }
  });
  const shapes = [];
  const annotations = [];
  // stability limits (one vertical line each, labelled, staggered so two labels do not overlap)
  const logLrs = sweep.lrs.map((v) => Math.log10(v));
  const where = (lr) => (Math.log10(lr) - logLrs[0]) / Math.max(1e-12, logLrs[logLrs.length - 1] - logLrs[0]);
  (Array.isArray(threshold) ? threshold : threshold ? [threshold] : []).forEach((th, j) => {
    if (!Number.isFinite(th.lr)) return;
    const colour = th.colour ?? "#b00020";
    shapes.push({ ...vline(th.lr, { color: colour, dash: "dash", width: 2.5 }), name: "threshold" });
    annotations.push({
      x: Math.log10(th.lr),
      xref: "x",
      y: 0.02 + 0.34 * j,
      yref: "paper",
      yanchor: "bottom",
      xanchor: where(th.lr) > 0.5 ? "right" : "left",
      align: where(th.lr) > 0.5 ? "right" : "left",
      text: th.label,
      showarrow: false,
      font: { size: 16, color: colour },
      bgcolor: "rgba(255,255,255,0.85)",
    });
  });
  return draw(div, data, {
    xaxis: logAxis(text.lr, { dtick: 1 }),
    yaxis: log ? logAxis(text.final_loss, {}, values) : { title: { text: text.final_loss } },
    yaxis2: { overlaying: "y", range: [0, 1.05], visible: false, fixedrange: true },
    shapes,
    annotations,
    legend: { orientation: "h", y: 1.02, yanchor: "bottom" },
    margin: { t: 40 },
  });
}

const BASIN_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];

/**
 * Basin map: the colour of each start is the known minimum it converged to (the start map's
 * `basin` indices into `minima`); −1 (none, diverged or still far) stays grey. Each reached
 * minimum is marked in its colour with a legend entry (the first ten; further ones repeat colours).
 */
export function drawBasinMap(div, map, start, text) {
  const minima = map.minima ?? [];
  const k = Math.max(1, minima.length);
  const colour = (i) => BASIN_COLOURS[i % BASIN_COLOURS.length];
  const colorscale = [];
  for (let i = 0; i < k; i += 1) colorscale.push([i / k, colour(i)], [(i + 1) / k, colour(i)]);
  const z = map.basin.map((row) => row.map((b) => (Number.isInteger(b) && b >= 0 ? b : null)));
  const reached = [...new Set(z.flat().filter((b) => b !== null))].sort((a, b) => a - b);
  const data = [
    {
      type: "heatmap",
      x: map.x,
      y: map.y,
      z,
      zmin: -0.5,
      zmax: k - 0.5,
      colorscale,
      showscale: false,
      meta: { kind: "basin_map", basins: reached.length },
      hoverongaps: false,
      hovertemplate: `${text.start} (%{x:.3g}, %{y:.3g})<br>${text.basin} #%{z}<extra></extra>`,
    },
    ...reached.map((b, j) => ({
      type: "scatter",
      mode: "markers",
      x: [minima[b][0]],
      y: [minima[b][1]],
      name: `${text.basin} #${b} (${fmt(minima[b][0], 3)}, ${fmt(minima[b][1], 3)})`,
      meta: { kind: "basin_minimum", basin: b },
      marker: { symbol: "star", size: 16, color: colour(b), line: { color: "#000", width: 1.5 } },
      showlegend: j < 10,
      hoverinfo: "name",
    })),
    startTrace(start, text.start, { size: 14, color: "#fff", hoverinfo: "skip", showlegend: false }),
  ];
  div.dataset.basins = String(reached.length);
  return draw(div, data, {
    xaxis: { title: { text: "x₀" }, range: [map.x[0], map.x[map.x.length - 1]], showgrid: false, zeroline: false },
    yaxis: { title: { text: "y₀" }, range: [map.y[0], map.y[map.y.length - 1]], showgrid: false, zeroline: false },
    plot_bgcolor: "#c9ccd1",
    showlegend: true,
    legend: { orientation: "h", y: -0.42, yanchor: "top", font: { size: 15 } },
    margin: { t: 16, b: 20 },
  });
}

/**
 * Heat map of the final loss (log colour where positive) over start points; diverged starts are
 * left blank (grey background), minima ★ and the current start ○ on top.
 */
export function drawStartMap(div, map, surface, start, text) {
  const flat = finite(map.final_loss.flat());
  const log = allPositive(flat);
  // exact zeros get the colour of the smallest positive loss (they are "at least that good")
  const floor = log ? Math.min(...flat.filter((v) => v > 0)) : 0;
  const z = map.final_loss.map((row) =>
    row.map((v) => (v === null || !Number.isFinite(v) ? null : log ? Math.log10(Math.max(v, floor)) : v)),
  );
  let colorbar = { title: { text: log ? text.final_loss_log : text.final_loss, side: "right" }, thickness: 14 };
  if (log && flat.length) {
    const lo = Math.floor(Math.log10(floor));
    const hi = Math.ceil(Math.log10(Math.max(...flat)));
    const every = Math.max(1, Math.ceil((hi - lo) / 6));
    const ticks = [];
    for (let e = lo; e <= hi; e += every) ticks.push(e);
    colorbar = { ...colorbar, tickvals: ticks, ticktext: ticks.map((e) => `1e${e}`) };
  }
  const minima = surface?.minima ?? [];
  const data = [
    {
      type: "heatmap",
      x: map.x,
      y: map.y,
      z,
      customdata: map.final_loss,
      meta: { kind: "start_map" },
      colorscale: HEATMAP_SCALE,
      colorbar,
      hoverongaps: false,
      hovertemplate: `${text.start} (%{x:.3g}, %{y:.3g})<br>${text.final_loss} = %{customdata:.4g}<extra></extra>`,
    },
    minimaTrace(minima, text.minimum, { hoverinfo: "skip" }),
    startTrace(start, text.start, { size: 14, color: "#fff", hoverinfo: "skip" }),
  ];
  return draw(div, data, {
    xaxis: { title: { text: "x₀" }, range: [map.x[0], map.x[map.x.length - 1]], showgrid: false, zeroline: false },
    yaxis: { title: { text: "y₀" }, range: [map.y[0], map.y[map.y.length - 1]], showgrid: false, zeroline: false },
    plot_bgcolor: "#c9ccd1",
    showlegend: false,
    margin: { t: 16 },
    annotations: [
      {
        text: `${text.diverged_fraction}: ${fmt(100 * (map.diverged_fraction ?? 0), 3)}%`,
        xref: "paper",
        yref: "paper",
        x: 0,
        y: 1,
        yanchor: "bottom",
        showarrow: false,
        font: { size: 13, color: "#444" },
      },
    ],
  });
}

/** A faint placeholder (title only) for a chart that has no data yet. */
export function drawPlaceholder(div, message) {
  return draw(div, [], {
    xaxis: { visible: false },
    yaxis: { visible: false },
    annotations: [{ text: message, xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { size: 15, color: "#778" } }],
    margin: { t: 10, b: 10, l: 10, r: 10 },
  });
}

