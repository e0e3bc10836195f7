/**
 * units_view.js — the first hidden layer unit by unit (issue 8 point 7; docs/telemetry.md,
 * "The per-unit view"): a heatmap of the frame's `units.weights` (shown inputs × shown units, one
 * column per unit) with each unit's mean activation as a strip above it. With `init: "zeros"`
 * every unit computes the same function and gets the same gradient, so all columns stay
 * identical (the symmetry problem); a random initialisation gives every unit its own column.
 *
 *   const facts = drawUnits(div, frame, t);   // → {units, inputs, identical, spread} or null
 */

import { draw } from "../shared/plots.js";

/**
 * Largest column difference, relative to the largest |weight|, below which the columns count as
 * identical. Equal units are equal only up to rounding: the BLAS may sum a batch's gradient in a
 * different order for different columns (seen: columns 1.7e-5 apart after two epochs of the
 * zero-init preset on an AMD EPYC's OpenBLAS kernels, rounding below included; exactly equal on
 * the machines the suite ran on before), and the server sends each weight with 4 significant
 * digits (app/core/nn/frames.py UNIT_VIEW_DIGITS), so two equal weights can come out one unit of
 * the 4th digit apart, up to 1e-3 of the largest one. A random initialisation's units differ by
 * about the weights themselves (spread ~1); the heatmap's colours resolve ~4e-3.
 */
const IDENTICAL_SPREAD = 1e-2;

/**
 * Are all columns of a matrix equal (up to rounding: IDENTICAL_SPREAD)? Also the largest
 * difference between a column and the first one, relative to the largest |entry|.
 * @param {number[][]} w rows × columns
 */
export function columnSpread(w) {
  let scale = 0;
  let diff = 0;
  for (const row of w) {
    for (const v of row) scale = Math.max(scale, Math.abs(v ?? 0));
    for (const v of row) diff = Math.max(diff, Math.abs((v ?? 0) - (row[0] ?? 0)));
  }
  const spread = scale > 0 ? diff / scale : 0;
  return { identical: spread <= IDENTICAL_SPREAD, spread };
}

/**
 * Draw the per-unit view of one metrics frame.
 * @param {HTMLElement} div
 * @param {object|null} frame a metrics event (with `units`)
 * @param {Function} t
 * @returns {{units: number, inputs: number, identical: boolean, spread: number}|null}
 */
export function drawUnits(div, frame, t) {
  const u = frame?.units;
  if (!u || !u.weights?.length) {
    draw(div, [], {
      xaxis: { visible: false },
      yaxis: { visible: false },
      height: 260,
      annotations: [{ text: t("train.no_data"), xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { size: 16, color: "#6b7380" } }],
    });
    return null;
  }
  const cols = (u.units_index ?? u.weights[0].map((_, j) => j)).map((j) => j + 1);
  const rows = (u.inputs ?? u.weights.map((_, i) => i)).map((i) => i + 1);
  let m = 0;
  for (const row of u.weights) for (const v of row) m = Math.max(m, Math.abs(v ?? 0));
  m = m || 1;
  const traces = [
    {
      type: "heatmap",
      x: cols,
      y: rows,
      z: u.weights,
      zmin: -m,
      zmax: m,
      colorscale: "RdBu",
      reversescale: true,
      colorbar: { title: { text: "w", side: "right" }, thickness: 12, len: 0.75, y: 0.38 },
      xaxis: "x",
      yaxis: "y",
      hovertemplate: `${t("units.unit")} %{x}<br>${t("units.input")} %{y}<br>w = %{z:.4g}<extra></extra>`,
    },
    {
      type: "heatmap",
      x: cols,
      y: [t("units.mean_act")],
      z: [u.activations_mean ?? []],
      colorscale: "Greys",
      reversescale: true,
      showscale: false,
      xaxis: "x",
      yaxis: "y2",
      hovertemplate: `${t("units.unit")} %{x}<br>${t("units.mean_act")} %{z:.4g}<extra></extra>`,
    },
  ];
  draw(div, traces, {
    height: 380,
    margin: { l: 70, r: 20, t: 36, b: 48 },
    xaxis: { title: { text: t("units.units_axis") }, anchor: "y", showgrid: false, ticks: "" },
    yaxis: { title: { text: t("units.inputs_axis") }, domain: [0, 0.78], autorange: "reversed", showgrid: false, ticks: "" },
    yaxis2: { domain: [0.84, 1], showgrid: false, ticks: "", tickfont: { size: 11 }, automargin: true },
    title: { text: t("units.title_at", { step: frame.step }), font: { size: 14 }, x: 0, xanchor: "left" },
    uirevision: "units",
  });
  return { units: cols.length, inputs: rows.length, ...columnSpread(u.weights) };
}
