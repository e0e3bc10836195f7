/**
 * compare_charts.js — several runs side by side (issue 8 point 5), as small multiples on shared
 * axes (TensorBoard's run comparison):
 *   - drawCompareHistograms: one row per run, one column per layer, the histograms of every run
 *     at the same step; each layer's column shares its x axis, so "std 0.01" is visibly narrower
 *     than "He" (ReLU without bias is scale-invariant: a panel scaled to its own data hides it);
 *   - drawCompareDynamics: gradient norms or update ratios, one panel per run, one shared log axis;
 *   - drawBnGrid: the textbook's figure 6-19 — one panel per initial weight scale, training
 *     accuracy per epoch with batch norm (solid) and without (dashed).
 *
 *   drawCompareHistograms(div, runs, step, {quantity, inference}, t) → {runs, layers, shown}
 *   drawCompareDynamics(div, runs, key, t)
 *   bnPairs(runs) → [{std, bn: run, plain: run}] or null (not a BN-vs-scale comparison)
 *   drawBnGrid(div, pairs, t) → {scales, learnedBn, learnedPlain}
 */

import { colourAt, draw, withAlpha } from "../shared/plots.js";
import { histogramBar, layerHistogram, multiplotAxes } from "./histogram_charts.js";

/** At most this many runs are drawn as rows of the histogram comparison (the rest are named). */
export const MAX_COMPARE_ROWS = 8;
/** A run "learns" when its final training accuracy is above this share (10 classes: chance 0.1). */
export const LEARNED_ACCURACY = 0.5;

const axisSuffix = (i) => (i === 0 ? "" : String(i + 1));

/** The frame of `run` closest to `step` (null when the run has no frame yet). */
export function frameAtStep(run, step) {
  let best = null;
  for (const f of run.frames) {
    if (step === null || step === undefined) best = f;
    else if (!best || Math.abs(f.step - step) < Math.abs(best.step - step)) best = f;
  }
  return best;
}

/**
 * Histograms of several runs at one step: rows = runs, columns = layers, x axes shared per column.
 * @param {HTMLElement} div
 * @param {object[]} runs session runs
 * @param {number|null} step the step to show (null: each run's newest frame)
 * @param {{quantity: string, inference: boolean}} options
 * @param {Function} t
 * @returns {{runs: number, layers: number, shown: object[]}} what was drawn
 */
export function drawCompareHistograms(div, runs, step, { quantity, inference }, t) {
  const shown = runs.filter((r) => r.frames.length).slice(0, MAX_COMPARE_ROWS);
  const frames = shown.map((r) => frameAtStep(r, step));
  const nLayers = Math.max(0, ...frames.map((f) => (f?.layers ?? []).length));
  const n = shown.length * nLayers;
  if (!n) {
    draw(div, [], { xaxis: { visible: false }, yaxis: { visible: false }, height: 300, annotations: [{ text: t("train.no_data"), xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false }] });
    return { runs: 0, layers: 0, shown: [] };
  }
  const titles = [];
  shown.forEach(() => {
    for (let li = 0; li < nLayers; li += 1) titles.push(titles.length < nLayers ? t("train.layer_n", { n: li + 1 }) : "");
  });
  const { layout, axisNames } = multiplotAxes(n, { maxCols: nLayers, gapX: 0.02, gapY: 0.08, titles, titleSize: 13 });
  const traces = [];
  shown.forEach((run, ri) => {
    const colour = colourAt(run.index);
    for (let li = 0; li < nLayers; li += 1) {
      const k = ri * nLayers + li;
      const h = layerHistogram(frames[ri]?.layers?.[li], quantity, inference);
      if (h) traces.push(histogramBar(h, axisNames[k], { colour, name: `${run.label} · ${t("train.layer_n", { n: li + 1 })}`, t }));
      // one x axis per layer column: every run's histogram of that layer on the same range
      if (ri > 0) layout[`xaxis${axisSuffix(k)}`].matches = axisNames[li].x;
      layout[`xaxis${axisSuffix(k)}`].nticks = 4;
      if (ri < shown.length - 1) layout[`xaxis${axisSuffix(k)}`].showticklabels = false;
      layout[`yaxis${axisSuffix(k)}`].showticklabels = false;
    }
    const first = layout[`yaxis${axisSuffix(ri * nLayers)}`];
    layout.annotations.push({
      text: run.label,
      xref: "paper",
      yref: "paper",
      x: 0,
      xanchor: "right",
      y: (first.domain[0] + first.domain[1]) / 2,
      yanchor: "middle",
      showarrow: false,
      textangle: -90,
      font: { size: 12, color: colour },
    });
  });
  draw(div, traces, {
    ...layout,
    height: 60 + shown.length * 130,
    bargap: 0,
    showlegend: false,
    margin: { l: 40, r: 12, t: 36, b: 36 },
    uirevision: `compare-${quantity}-${inference}-${shown.length}-${nLayers}`,
  });
  return { runs: shown.length, layers: nLayers, shown };
}

/** Per-layer series of one run: x = step, y = layer[key] (null where not positive: log axis). */
function layerSeries(frames, key) {
  const n = frames.length ? frames[frames.length - 1].layers?.length ?? 0 : 0;
  return Array.from({ length: n }, (_, li) => ({
    x: frames.map((f) => f.step),
    y: frames.map((f) => {
      const v = f.layers?.[li]?.[key];
      return typeof v === "number" && v > 0 ? v : null;
    }),
  }));
}

/**
 * Gradient norms (key "grad_norm") or update ratios ("update_ratio") of several runs: one panel
 * per run, one colour per layer, every panel on the same log y axis.
 * @param {HTMLElement} div
 * @param {object[]} runs
 * @param {"grad_norm"|"update_ratio"} key
 * @param {Function} t
 */
export function drawCompareDynamics(div, runs, key, t) {
  const shown = runs.filter((r) => r.frames.length).slice(0, 16);
  const { layout, axisNames, rows } = multiplotAxes(Math.max(1, shown.length), {
    maxCols: 4,
    gapX: 0.03,
    gapY: 0.12,
    titles: shown.map((r) => r.label),
    titleSize: 12,
  });
  const traces = [];
  shown.forEach((run, ri) => {
    layerSeries(run.frames, key).forEach((s, li) => {
      traces.push({
        type: "scatter",
        mode: "lines",
        x: s.x,
        y: s.y,
        xaxis: axisNames[ri].x,
        yaxis: axisNames[ri].y,
        name: t("train.layer_n", { n: li + 1 }),
        legendgroup: `l${li}`,
        showlegend: ri === 0,
        line: { color: colourAt(li), width: 2 },
        hovertemplate: `%{y:.3g}<br>${t("common.step")} %{x}<extra>${run.label} · ${t("train.layer_n", { n: li + 1 })}</extra>`,
      });
    });
    const y = layout[`yaxis${axisSuffix(ri)}`];
    Object.assign(y, { type: "log", exponentformat: "power" });
    if (ri > 0) y.matches = "y";
  });
  if (key === "update_ratio") {
    layout.shapes = axisNames.slice(0, shown.length).map((ax) => ({
      type: "line",
      xref: `${ax.x} domain`,
      yref: ax.y,
      x0: 0,
      x1: 1,
      y0: 1e-3,
      y1: 1e-3,
      line: { color: withAlpha("#111111", 0.6), dash: "dash", width: 1.5 },
    }));
  }
  const height = 90 + rows * 170;
  div.style.height = `${height}px`;
  draw(div, traces, {
    ...layout,
    height,
    showlegend: true,
    // above the panel titles: 30 px over the plot area
    legend: { orientation: "h", y: 1 + 30 / (height - 66 - 40), yanchor: "bottom", x: 0 },
    margin: { l: 56, r: 12, t: 66, b: 40 },
    uirevision: `cmp-${key}-${shown.length}`,
  });
}

/**
 * The runs as (σ, with BN, without BN) pairs when they compare batch norm across weight scales
 * (the batch-norm preset), else null.
 * @param {object[]} runs session runs (their request bodies in `config`)
 */
export function bnPairs(runs) {
  if (runs.length < 4) return null;
  const byStd = new Map();
  for (const r of runs) {
    const m = r.config.model ?? {};
    if (m.init !== "normal") return null;
    const entry = byStd.get(m.init_std) ?? {};
    entry[m.batch_norm ? "bn" : "plain"] = r;
    byStd.set(m.init_std, entry);
  }
  const pairs = [...byStd.entries()].map(([std, e]) => ({ std, ...e }));
  if (pairs.length < 2 || pairs.some((p) => !p.bn || !p.plain)) return null;
  return pairs.sort((a, b) => b.std - a.std);
}

/** Training accuracy per epoch of a run (inference mode, like the table) as x / y arrays. */
function accuracyCurve(run) {
  const x = [];
  const y = [];
  for (const p of run.epochs) {
    x.push(p.epoch);
    y.push(p.train_accuracy_eval ?? p.train_acc ?? null);
  }
  return { x, y };
}

/** The accuracy a run ended with (the summary's, else its last epoch's); null before any. */
export function finalAccuracy(run) {
  if (typeof run.summary?.train_acc === "number") return run.summary.train_acc;
  const last = run.epochs[run.epochs.length - 1];
  return last ? last.train_accuracy_eval ?? last.train_acc ?? null : null;
}

/**
 * Figure 6-19: one small panel per weight scale, accuracy per epoch with BN (solid) and without.
 * @param {HTMLElement} div
 * @param {{std: number, bn: object, plain: object}[]} pairs
 * @param {Function} t
 * @returns {{scales: number, finished: number, learnedBn: number, learnedPlain: number}}
 */
export function drawBnGrid(div, pairs, t) {
  const { layout, axisNames, rows } = multiplotAxes(pairs.length, {
    maxCols: 4,
    gapX: 0.04,
    gapY: 0.11,
    titles: pairs.map((p) => `σ = ${Number(p.std.toPrecision(3))}`),
    titleSize: 13,
  });
  const traces = [];
  let learnedBn = 0;
  let learnedPlain = 0;
  let finished = 0;
  // the legend names each line once, from the first panel that has it (σ = 1 without BN diverges:
  // no epoch points, and Plotly leaves an empty trace out of the legend)
  const firstWith = (key) => pairs.findIndex((p) => p[key].epochs.length > 0);
  const legendAt = { bn: firstWith("bn"), plain: firstWith("plain") };
  pairs.forEach((p, i) => {
    const ax = axisNames[i];
    const bn = accuracyCurve(p.bn);
    const plain = accuracyCurve(p.plain);
    const common = { type: "scatter", mode: "lines", xaxis: ax.x, yaxis: ax.y, legendgroup: "", connectgaps: true };
    traces.push(
      { ...common, ...bn, name: t("train.bn_on"), legendgroup: "bn", showlegend: i === legendAt.bn, line: { color: colourAt(0), width: 2.5 }, hovertemplate: `%{y:.3f}<extra>σ=${p.std} · ${t("train.bn_on")}</extra>` },
      { ...common, ...plain, name: t("train.bn_off"), legendgroup: "plain", showlegend: i === legendAt.plain, line: { color: colourAt(1), width: 2.5, dash: "dash" }, hovertemplate: `%{y:.3f}<extra>σ=${p.std} · ${t("train.bn_off")}</extra>` },
    );
    const y = layout[`yaxis${axisSuffix(i)}`];
    Object.assign(y, { range: [0, 1.05], nticks: 3 });
    if (i % 4) y.showticklabels = false;
    layout[`xaxis${axisSuffix(i)}`].nticks = 3;
    if (p.plain.summary?.status === "diverged") {
      // the dashed line is missing there: say why, inside the panel
      layout.annotations.push({
        text: t("bn.diverged"),
        xref: `${ax.x} domain`,
        yref: `${ax.y} domain`,
        x: 0.97,
        y: 0.08,
        xanchor: "right",
        yanchor: "bottom",
        showarrow: false,
        font: { size: 12, color: colourAt(1) },
      });
    }
    const a = finalAccuracy(p.bn);
    const b = finalAccuracy(p.plain);
    if (p.bn.summary && p.plain.summary) finished += 1;
    if (p.bn.summary && a !== null && a > LEARNED_ACCURACY) learnedBn += 1;
    if (p.plain.summary && b !== null && b > LEARNED_ACCURACY) learnedPlain += 1;
  });
  const height = 100 + rows * 150;
  div.style.height = `${height}px`;
  draw(div, traces, {
    ...layout,
    height,
    showlegend: true,
    // under the last row's tick labels
    legend: { orientation: "h", y: -34 / (height - 40 - 66), yanchor: "top", x: 0 },
    margin: { l: 48, r: 12, t: 40, b: 66 },
    uirevision: `bn-grid-${pairs.length}`,
  });
  return { scales: pairs.length, finished, learnedBn, learnedPlain };
}
