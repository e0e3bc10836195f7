/**
 * search/charts.js — the search view's Plotly charts: the trials' scatter (two knobs on log axes,
 * coloured by validation accuracy), the best trials' validation curves as small multiples, and the
 * random-vs-grid contrast (each method's learning rates on one log axis).
 *
 * Axis ranges are the search's own bounds, so a narrowed search visibly zooms in.
 */

import { draw, logAxis, HEATMAP_SCALE } from "../../shared/plots.js";
import { fmt } from "../../shared/format.js";
import { t } from "../../shared/i18n.js";
import { ranked } from "./model.js";

const ok = (trial) => trial.status === "done" && typeof trial.val_acc === "number";
const exp = (v) => (typeof v === "number" ? v.toExponential(1).replace("-", "−") : "—");
const FAILED = "#9aa3ad";

/** Axis settings of one knob: a log or linear axis over the search's range (a little padded). */
function knobAxis(axis) {
  const title = t(`search.knob.${axis.knob}`);
  if (axis.scale === "log") {
    const lo = Math.log10(axis.low);
    const hi = Math.log10(axis.high);
    const pad = (hi - lo) * 0.04;
    return logAxis(title, { range: [lo - pad, hi + pad] }, [axis.low, axis.high]);
  }
  const pad = (axis.high - axis.low) * 0.04;
  return { title: { text: title }, range: [axis.low - pad, axis.high + pad] };
}

/** The two knobs the scatter shows: lr × weight decay when searched, else the first two axes. */
function scatterAxes(space) {
  const lr = space.find((a) => a.knob === "lr");
  const wd = space.find((a) => a.knob === "weight_decay");
  if (lr && wd) return [lr, wd];
  return [space[0], space[1] ?? null];
}

function hover(trial) {
  const values = Object.entries(trial.values).map(([k, v]) => `${t(`search.knob.${k}`)} = ${exp(v)}`);
  const acc = ok(trial) ? `${t("search.colorbar")} ${fmt(trial.val_acc, 3)}` : t(`search.trial_status.${trial.status}`);
  return [`#${trial.index}`, ...values, acc].join("<br>");
}

/** Trials as points of two knobs (one knob: against validation accuracy). */
export function drawScatter(div, search) {
  const [ax, ay] = scatterAxes(search.space);
  if (!ax) return;
  const good = search.trials.filter(ok);
  const bad = search.trials.filter((tr) => !ok(tr));
  const yOf = (tr) => (ay ? tr.values[ay.knob] : tr.val_acc ?? 0);
  const traces = [
    {
      type: "scatter",
      mode: "markers",
      name: t("search.colorbar"),
      x: good.map((tr) => tr.values[ax.knob]),
      y: good.map(yOf),
      text: good.map(hover),
      hoverinfo: "text",
      marker: {
        size: 11,
        color: good.map((tr) => tr.val_acc),
        colorscale: HEATMAP_SCALE,
        cmin: 0,
        cmax: 1,
        line: { width: 0.5, color: "#333" },
        colorbar: { title: { text: t("search.colorbar"), side: "right" }, thickness: 14, len: 0.9, tickformat: ".0%" },
      },
      showlegend: false,
    },
    {
      type: "scatter",
      mode: "markers",
      name: t("search.failed_trials"),
      x: bad.map((tr) => tr.values[ax.knob]),
      y: bad.map((tr) => (ay ? tr.values[ay.knob] : 0)),
      text: bad.map(hover),
      hoverinfo: "text",
      marker: { size: 10, symbol: "x", color: FAILED },
      showlegend: bad.length > 0,
    },
  ];
  const yaxis = ay ? knobAxis(ay) : { title: { text: t("search.colorbar") }, range: [0, 1], tickformat: ".0%" };
  draw(div, traces, { xaxis: knobAxis(ax), yaxis, margin: { l: 70, r: 10, t: 30, b: 56 } });
}

/** The best `n` trials' validation accuracy per epoch, one small panel each (the textbook's figure). */
export function drawCurves(div, search, n = 20) {
  const best = ranked(search.trials).filter(ok).slice(0, n);
  const width = div.clientWidth || div.parentElement?.clientWidth || 1000;
  const cols = width >= 1000 ? 5 : width >= 700 ? 4 : 3;
  const rows = Math.max(1, Math.ceil(best.length / cols));
  const traces = [];
  const layout = { grid: { rows, columns: cols, pattern: "independent", xgap: 0.1, ygap: 0.55 }, showlegend: false, annotations: [], margin: { l: 46, r: 8, t: 40, b: 30 } };
  const epochs = Math.max(1, ...best.map((tr) => tr.epochs.length));
  best.forEach((tr, i) => {
    const suffix = i === 0 ? "" : String(i + 1);
    traces.push({
      type: "scatter",
      mode: epochs > 1 ? "lines" : "markers",
      x: tr.epochs.map((p) => p.epoch),
      y: tr.epochs.map((p) => p.val_acc),
      xaxis: `x${suffix}`,
      yaxis: `y${suffix}`,
      line: { color: i < 5 ? "#1f6feb" : "#6b7c93", width: 2 },
      hovertemplate: `${t("search.axis_epoch")} %{x}: %{y:.1%}<extra>#${i + 1}</extra>`,
    });
    layout[`xaxis${suffix}`] = { range: [0.5, epochs + 0.5], showticklabels: i >= best.length - cols, tickfont: { size: 11 }, dtick: Math.max(1, Math.ceil(epochs / 4)) };
    layout[`yaxis${suffix}`] = { range: [0, 1], tickformat: ".0%", showticklabels: i % cols === 0, tickfont: { size: 11 }, dtick: 0.5 };
    layout.annotations.push({
      text: t("search.curve_title", { rank: i + 1, lr: exp(tr.values.lr), wd: exp(tr.values.weight_decay) }),
      xref: `x${suffix} domain`,
      yref: `y${suffix} domain`,
      x: 0.5,
      y: 1.02,
      xanchor: "center",
      yanchor: "bottom",
      showarrow: false,
      font: { size: 11 },
      align: "center",
    });
  });
  const height = Math.max(180, rows * 150 + 60);
  div.style.height = `${height}px`;
  draw(div, traces, { ...layout, height });
}

/** Each method's learning rates on one log axis (a row per method), coloured by validation accuracy. */
export function drawContrast(div, bySearch) {
  const traces = [];
  const all = [];
  for (const s of bySearch) {
    const label = t(`search.method.${s.method}`);
    const lrs = s.trials.map((tr) => tr.values.lr).filter((v) => typeof v === "number");
    all.push(...lrs);
    traces.push({
      type: "scatter",
      mode: "markers",
      name: label,
      x: s.trials.map((tr) => tr.values.lr),
      y: s.trials.map(() => label),
      text: s.trials.map(hover),
      hoverinfo: "text",
      marker: {
        symbol: "line-ns-open",
        size: 26,
        line: { width: 2 },
        color: s.trials.map((tr) => (ok(tr) ? tr.val_acc : 0)),
        colorscale: HEATMAP_SCALE,
        cmin: 0,
        cmax: 1,
      },
      showlegend: false,
    });
  }
  const lr = bySearch[0]?.space.find((a) => a.knob === "lr");
  const xaxis = lr ? knobAxis(lr) : logAxis(t("search.knob.lr"), {}, all);
  draw(div, traces, { xaxis, yaxis: { type: "category", automargin: true }, margin: { l: 80, r: 16, t: 16, b: 56 } });
}
