/**
 * plot_text.js — text alternatives of the Training Lab's charts (issue 8 point 10): every plot
 * gets `role="img"` and an `aria-label` stating its key numbers (last losses and accuracies per
 * run, each layer's std, whether the units are identical), so a screen reader — or a student
 * reading the page source — gets what the picture shows.
 *
 *   setAlt(div, text);
 *   describeCurves({loss, acc, lr}, runs, t);
 *   describeHistograms(div, [{run, frame}], quantity, inference, t);
 *   describeUnits(div, facts, frame, t);
 */

import { fmt } from "../shared/format.js";
import { layerHistogram } from "./histogram_charts.js";

/** Give a chart its text alternative. */
export function setAlt(div, text) {
  div.setAttribute("role", "img");
  div.setAttribute("aria-label", text);
}

const last = (points, key) => {
  for (let i = points.length - 1; i >= 0; i -= 1) if (typeof points[i][key] === "number") return points[i][key];
  return null;
};
const pct = (v) => (typeof v === "number" ? `${(100 * v).toFixed(1)}%` : "—");

/** Loss, accuracy and learning-rate charts: the newest value of every run (at most 8 named). */
export function describeCurves(divs, runs, t) {
  if (!runs.some((r) => r.points.length)) {
    for (const d of Object.values(divs)) setAlt(d, t("alt.empty"));
    return;
  }
  const named = runs.slice(0, 8);
  const more = runs.length > named.length ? ` ${t("alt.more_runs", { n: runs.length - named.length })}` : "";
  const loss = named.map((r) => t("alt.loss_run", { label: r.label, train: fmt(last(r.points, "train_loss_eval") ?? last(r.points, "train_loss"), 3), val: fmt(last(r.points, "val_loss"), 3) }));
  const acc = named.map((r) => t("alt.acc_run", { label: r.label, train: pct(last(r.points, "train_accuracy_eval") ?? last(r.points, "train_acc")), val: pct(last(r.points, "val_acc")) }));
  const lr = named.map((r) => `${r.label}: η ${fmt(last(r.points, "lr"), 3)}`);
  setAlt(divs.loss, `${t("train.chart_loss")}. ${loss.join("; ")}.${more}`);
  setAlt(divs.acc, `${t("train.chart_acc")}. ${acc.join("; ")}.${more}`);
  setAlt(divs.lr, `${t("train.chart_lr")}. ${lr.join("; ")}.${more}`);
}

/** Histograms: per shown run, the step and every layer's mean and std. */
export function describeHistograms(div, items, quantity, inference, t) {
  if (!items.length) {
    setAlt(div, t("alt.empty"));
    return;
  }
  const parts = items.map(({ run, frame }) => {
    const layers = (frame?.layers ?? []).map((l, i) => {
      const h = layerHistogram(l, quantity, inference);
      return t("alt.layer_stats", { n: i + 1, mean: fmt(h?.mean, 3), std: fmt(h?.std, 3) });
    });
    return `${run.label}, ${t("common.step")} ${frame?.step ?? 0}: ${layers.join(", ")}`;
  });
  setAlt(div, `${t("train.chart_hist")} (${t(`hist.${quantity}_short`)}). ${parts.join(". ")}.`);
}

/** The per-unit heatmap: how many units and inputs, and whether the columns are identical. */
export function describeUnits(div, facts, frame, t) {
  if (!facts) {
    setAlt(div, t("alt.empty"));
    return;
  }
  const key = facts.identical ? "units.identical" : "units.different";
  setAlt(div, `${t("train.chart_units")}, ${t("common.step")} ${frame.step}: ${t(key, { n: facts.units })}`);
}
