/**
 * overlay.js — several saved runs on the same axes: training loss and accuracy per epoch (one
 * colour per run, the run's label in the legend; solid = training, dashed = validation) and, below,
 * each run's activation histograms at its last frame side by side (compare_charts.js, one row
 * per run, one column per layer, shared x axis per layer).
 *
 *   const drawn = drawOverlay({loss, acc, hist}, runs, t);   // runs: sessionFromSaved(...).runs
 *   drawn → {traces, runs, layers}
 */

import { colourAt, draw } from "../../shared/plots.js";
import { drawCompareHistograms } from "../compare_charts.js";

/** Characters of a run's label beside its row of histograms. */
const ROW_LABEL = 16;

function column(points, key) {
  const x = [];
  const y = [];
  for (const p of points) {
    if (typeof p[key] !== "number") continue;
    x.push(p.epoch);
    y.push(p[key]);
  }
  return { x, y };
}

/**
 * @param {{loss: HTMLElement, acc: HTMLElement, hist: HTMLElement}} divs
 * @param {object[]} runs run records (job_stream.js makeRun), index = position in the overlay
 * @param {Function} t
 */
export function drawOverlay(divs, runs, t) {
  const loss = [];
  const acc = [];
  runs.forEach((run, i) => {
    const colour = colourAt(i);
    const hasEval = run.points.some((p) => typeof p.train_accuracy_eval === "number");
    const common = { type: "scatter", mode: "lines", legendgroup: `run${i}`, connectgaps: true };
    const trainLoss = column(run.points, hasEval ? "train_loss_eval" : "train_loss");
    const valLoss = column(run.points, "val_loss");
    const trainAcc = column(run.points, hasEval ? "train_accuracy_eval" : "train_acc");
    const valAcc = column(run.points, "val_acc");
    const hover = (what, digits) => `${what} %{y:.${digits}}<br>${t("train.epoch")} %{x:.2f}<extra>${run.label}</extra>`;
    loss.push({ ...common, ...trainLoss, name: run.label, line: { color: colour, width: 2.5 }, hovertemplate: hover(t("train.train_loss"), "4g") });
    if (valLoss.x.length) loss.push({ ...common, ...valLoss, name: `${run.label} (${t("train.val_short")})`, showlegend: false, line: { color: colour, width: 2, dash: "dash" }, hovertemplate: hover(t("train.val_loss"), "4g") });
    acc.push({ ...common, ...trainAcc, name: run.label, line: { color: colour, width: 2.5 }, hovertemplate: hover(t("train.train_acc"), "3f") });
    if (valAcc.x.length) acc.push({ ...common, ...valAcc, name: `${run.label} (${t("train.val_short")})`, showlegend: false, line: { color: colour, width: 2, dash: "dash" }, hovertemplate: hover(t("train.val_acc"), "3f") });
  });
  const legend = { orientation: "h", x: 0, y: 1.02, yanchor: "bottom" };
  const xaxis = { title: { text: t("train.epoch") }, rangemode: "tozero" };
  draw(divs.loss, loss, { xaxis, yaxis: { title: { text: t("train.loss_axis") }, rangemode: "tozero" }, showlegend: true, legend, margin: { t: 40 } });
  draw(divs.acc, acc, { xaxis, yaxis: { title: { text: t("train.acc_axis") }, range: [0, 1.02] }, showlegend: true, legend, margin: { t: 40 } });
  // the row titles are written sideways beside 130-px rows: long labels are cut (the legend above has them whole)
  const short = (label) => (label.length > ROW_LABEL ? `${label.slice(0, ROW_LABEL - 1)}…` : label);
  const rows = runs.map((run) => ({ ...run, label: short(run.label) }));
  const hist = drawCompareHistograms(divs.hist, rows, null, { quantity: "act", inference: false }, t);
  return { traces: runs.length, runs: hist.runs, layers: hist.layers };
}
