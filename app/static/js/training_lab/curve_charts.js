/**
 * curve_charts.js — the Training Lab's line charts:
 *   - training loss, training vs validation accuracy, learning rate (every run overlaid, one
 *     colour per run; solid = training, dashed = validation), x = epoch;
 *   - per-layer gradient norm ‖∂L/∂W‖ and update-to-weight ratio ‖ΔW‖/‖W‖ of one run over
 *     time, log y, with CS231n's 1e-3 rule of thumb as a dashed line.
 *
 *   drawCurves({loss, acc, lr}, runs, colours, t);
 *   drawDynamics({grad, ratio}, run, step, t);
 * Each call redraws with Plotly.react (cheap diffs); the page throttles calls to animation frames.
 */

import { colourAt, draw, logAxis, vline, withAlpha } from "../shared/plots.js";

/** Column `key` of a run's curve points as x (epoch) / y arrays. */
function series(points, key) {
  const x = [];
  const y = [];
  for (const p of points) {
    x.push(p.epoch);
    y.push(p[key] ?? null);
  }
  return { x, y };
}

const EMPTY_NOTE = (text) => ({
  text,
  xref: "paper",
  yref: "paper",
  x: 0.5,
  y: 0.5,
  showarrow: false,
  font: { size: 16, color: "#6b7380" },
});

/** The q-quantile (0 … 1) of finite numbers (linear interpolation); null for none. */
export function quantile(values, q) {
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  return v[lo] + (v[Math.min(lo + 1, v.length - 1)] - v[lo]) * (pos - lo);
}

/**
 * The loss axis: log when asked, or in "auto" when the values span more than 100× (the BN σ = 1
 * run starts near 250,000 while the others sit near 2.3: a linear axis would flatten them to 0).
 * An explicit linear axis is ranged on the 90th percentile (×1.25) when the largest value is more
 * than 4× that percentile, so one huge start value cannot flatten the rest; what it cuts off is
 * named in `cut`.
 * @param {number[]} values every plotted loss value
 * @param {"auto"|"log"|"linear"} scale
 * @returns {{log: boolean, range: number[]|null, cut: number|null}}
 */
export function lossAxis(values, scale) {
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x) && x > 0);
  if (!v.length) return { log: scale === "log", range: null, cut: null };
  const lo = Math.min(...v);
  const hi = Math.max(...v);
  const log = scale === "log" || (scale === "auto" && hi / lo > 100);
  if (log) return { log, range: null, cut: null };
  // "auto" chose linear: the span is below 100×, every value fits. An explicit linear axis is cut
  // only for a real outlier (4× above the 90th percentile: a diverging start), never a modest spread.
  const q90 = quantile(v, 0.9);
  return scale === "linear" && hi > 4 * q90 ? { log, range: [0, 1.25 * q90], cut: hi } : { log, range: null, cut: null };
}

/**
 * Loss, accuracy and learning-rate charts for all runs. The solid training curves are measured
 * like the results table (`train_loss_eval`, `train_accuracy_eval`: inference mode, no dropout);
 * runs with dropout also get a dotted curve of the running average with dropout on (`train_acc`),
 * which sits below validation (docs/telemetry.md, "Why two training curves").
 * @param {{loss: HTMLElement, acc: HTMLElement, lr: HTMLElement}} divs
 * @param {object[]} runs session runs (see job_stream.js)
 * @param {string[]} colours one per run
 * @param {(key: string, vars?: object) => string} t translation function
 * @param {{focus?: number, lossScale?: "auto"|"log"|"linear"}} options
 * @returns {{log: boolean, cut: number|null, dropout: boolean}} what the charts show (for notes)
 */
export function drawCurves(divs, runs, colours, t, { focus = -1, lossScale = "auto" } = {}) {
  const loss = [];
  const acc = [];
  const lr = [];
  const lossValues = [];
  const any = runs.some((r) => r.points.length);
  let dropout = false;
  runs.forEach((run, i) => {
    const colour = colours[i] ?? colourAt(i);
    // with several runs, the one whose details are shown is drawn a little stronger
    const w = runs.length > 1 && i === focus ? 1.35 : 1;
    const name = run.label;
    const group = `run${i}`;
    const hasEval = run.points.some((p) => typeof p.train_accuracy_eval === "number");
    const tl = series(run.points, hasEval ? "train_loss_eval" : "train_loss");
    const vl = series(run.points, "val_loss");
    const ta = series(run.points, hasEval ? "train_accuracy_eval" : "train_acc");
    const va = series(run.points, "val_acc");
    const rate = series(run.points, "lr");
    lossValues.push(...tl.y, ...vl.y);
    const common = { type: "scatter", mode: "lines", legendgroup: group, connectgaps: true };
    loss.push(
      { ...common, ...tl, name, line: { color: colour, width: 3 * w }, hovertemplate: `${t("train.train_loss")} %{y:.4g}<br>${t("train.epoch")} %{x:.2f}<extra>${name}</extra>` },
      { ...common, ...vl, name: `${name} (${t("train.val_short")})`, showlegend: false, line: { color: colour, width: 2.5 * w, dash: "dash" }, hovertemplate: `${t("train.val_loss")} %{y:.4g}<br>${t("train.epoch")} %{x:.2f}<extra>${name}</extra>` },
    );
    acc.push(
      { ...common, ...ta, name, line: { color: colour, width: 3 * w }, hovertemplate: `${t("train.train_acc")} %{y:.3f}<br>${t("train.epoch")} %{x:.2f}<extra>${name}</extra>` },
      { ...common, ...va, name: `${name} (${t("train.val_short")})`, showlegend: false, line: { color: colour, width: 2.5 * w, dash: "dash" }, hovertemplate: `${t("train.val_acc")} %{y:.3f}<br>${t("train.epoch")} %{x:.2f}<extra>${name}</extra>` },
    );
    if (hasEval && (run.config.model?.dropout ?? 0) > 0) {
      dropout = true;
      const td = series(run.points, "train_acc");
      acc.push({
        ...common,
        ...td,
        name: `${name} (${t("train.train_dropout")})`,
        showlegend: false,
        meta: { kind: "train_dropout" },
        line: { color: colour, width: 2 * w, dash: "dot" },
        hovertemplate: `${t("train.train_dropout")} %{y:.3f}<br>${t("train.epoch")} %{x:.2f}<extra>${name}</extra>`,
      });
    }
    lr.push({ ...common, ...rate, name, line: { color: colour, width: 3, shape: "hv" }, hovertemplate: `η %{y:.4g}<br>${t("train.epoch")} %{x:.2f}<extra>${name}</extra>` });
  });
  const xaxis = { title: { text: t("train.epoch") }, rangemode: "tozero" };
  const note = any ? [] : [EMPTY_NOTE(t("train.no_data"))];
  const axis = lossAxis(lossValues, lossScale);
  const lossTitle = `${t("train.loss_axis")}${axis.log ? ` (${t("train.scale_log")})` : ""}`;
  draw(divs.loss, loss, {
    xaxis,
    yaxis: axis.log
      ? logAxis(lossTitle, { dtick: undefined, autorange: true })
      : { title: { text: lossTitle }, type: "linear", rangemode: "tozero", ...(axis.range ? { range: axis.range, autorange: false } : { autorange: true }) },
    annotations: note,
    showlegend: false,
    uirevision: `loss-${axis.log}-${axis.range ? axis.range[1] : "auto"}`,
  });
  draw(divs.acc, acc, {
    xaxis,
    yaxis: { title: { text: t("train.acc_axis") }, range: [0, 1.02] },
    annotations: note,
    showlegend: false,
    uirevision: "acc",
  });
  draw(divs.lr, lr, {
    xaxis,
    yaxis: logAxis(t("train.lr_axis"), { dtick: undefined }),
    annotations: note,
    showlegend: false,
    uirevision: "lr",
  });
  return { log: axis.log, cut: axis.cut, dropout };
}

/** The layer series of one run: x = step, y = layer[key] for each layer. */
function layerSeries(frames, key) {
  const n = frames.length ? frames[frames.length - 1].layers?.length ?? 0 : 0;
  const out = [];
  for (let li = 0; li < n; li += 1) out.push({ x: [], y: [] });
  for (const f of frames) {
    const layers = f.layers || [];
    for (let li = 0; li < n; li += 1) {
      const v = layers[li] ? layers[li][key] : null;
      out[li].x.push(f.step);
      // log axes cannot show 0 or negatives: leave a gap instead
      out[li].y.push(typeof v === "number" && v > 0 ? v : null);
    }
  }
  return out;
}

/**
 * Gradient-norm and update-ratio charts of one run.
 * @param {{grad: HTMLElement, ratio: HTMLElement}} divs
 * @param {object|null} run
 * @param {number|null} step the step selected with the histogram slider (marked), or null
 * @param {Function} t
 */
export function drawDynamics(divs, run, step, t) {
  const frames = run ? run.frames : [];
  const grad = layerSeries(frames, "grad_norm");
  const ratio = layerSeries(frames, "update_ratio");
  const traces = (list, what) =>
    list.map((s, li) => ({
      type: "scatter",
      mode: "lines",
      x: s.x,
      y: s.y,
      name: t("train.layer_n", { n: li + 1 }),
      line: { color: colourAt(li), width: 2.5 },
      hovertemplate: `${what} %{y:.3g}<br>${t("common.step")} %{x}<extra>${t("train.layer_n", { n: li + 1 })}</extra>`,
    }));
  const shapes = step !== null && step !== undefined && frames.length ? [vline(step, { color: "#888", width: 1.5 })] : [];
  const note = frames.length ? [] : [EMPTY_NOTE(t("train.no_data"))];
  const xaxis = { title: { text: t("train.step_axis") } };
  draw(divs.grad, traces(grad, "‖∇W‖"), {
    xaxis,
    yaxis: logAxis(t("train.grad_norm_axis"), { dtick: undefined }),
    shapes,
    annotations: note,
    uirevision: "grad",
  });
  const ref = {
    type: "line",
    xref: "paper",
    yref: "y",
    x0: 0,
    x1: 1,
    y0: 1e-3,
    y1: 1e-3,
    line: { color: withAlpha("#111111", 0.7), dash: "dash", width: 2 },
  };
  const refLabel = {
    xref: "paper",
    yref: "y",
    x: 0.01,
    y: -3,
    xanchor: "left",
    yanchor: "bottom",
    text: t("train.ratio_rule"),
    showarrow: false,
    font: { size: 13, color: "#333" },
  };
  // annotation y on a log axis is given as log10(value)
  draw(divs.ratio, traces(ratio, "‖ΔW‖/‖W‖"), {
    xaxis,
    yaxis: logAxis(t("train.ratio_axis"), { dtick: undefined }),
    shapes: [ref, ...shapes],
    annotations: [...note, refLabel],
    uirevision: "ratio",
  });
}
