/**
 * run_paths.js — one run's path as plot data, shared by the 2-D (main_plot.js) and 3-D
 * (main_plot_3d.js) main plot: the points up to the race's step, the per-point customdata
 * [step, f] and the hover template that shows them.
 *
 *   import { pathSlice, pathCustom, hoverPath } from "./run_paths.js";
 *   const { last, pts } = pathSlice(run, k);    // path[0..min(k, n)], last = that index
 *   pathCustom(run).slice(0, last + 1);         // [[i, loss[i]], …], cached on the run
 *   hoverPath(run.label, text);                 // text: {step} translated label
 */

/** The path up to step k (clamped to the run's length). */
export function pathSlice(run, k) {
  const last = Math.min(k, run.path.length - 1);
  return { last, pts: run.path.slice(0, last + 1) };
}

/** customdata [step, f] of every path point (computed once per run). */
export function pathCustom(run) {
  if (!run._custom || run._custom.length !== run.path.length) {
    run._custom = run.path.map((_, i) => [i, run.loss?.[i] ?? null]);
  }
  return run._custom;
}

/** Hover template of a path point: run label, step, (x, y), f. */
export function hoverPath(label, text) {
  return `<b>${label.replace(/</g, "&lt;")}</b><br>${text.step} %{customdata[0]}<br>(x, y) = (%{x:.4g}, %{y:.4g})<br>f = %{customdata[1]:.4g}<extra></extra>`;
}
