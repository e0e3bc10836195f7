/**
 * contour_grid.js — the contour grid of the Optimizer Lab's main plot, prepared once per
 * GET /api/surfaces/{id}/grid answer (no DOM, no Plotly).
 *
 *   import { prepareGrid, levelIndexer, bilinear } from "./contour_grid.js";
 *   const grid = prepareGrid(apiGrid);   // {x, y, z, zt, text, levels, toIndex, tickvals, ticktext, valueAt}
 *   grid.valueAt([x, y]);                // f at any spot, bilinear between grid nodes
 *
 * Contour levels: the API returns level values (log-spaced). Plotly contours need equally spaced
 * levels, so z is mapped through the piecewise-linear function that sends levels[i] to i; integer
 * contours of the mapped grid (`zt`) are then exactly the API's levels. The colour bar's ticks
 * (`tickvals`, `ticktext`) and the hover text (`text`, made when first read) show the real f values. The 3-D view uses
 * the same mapped height (a log-like relief), with real values on the z ticks.
 * contour_layer.js draws `zt` as the 2-D contour, main_plot.js as the 3-D relief and the readout
 * (plot_pointer.js) reads `valueAt`.
 */

import { fmt } from "../shared/format.js";

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
  // The hover text (f at every node, formatted: 14,400 strings for 120 × 120) is made the first
  // time it is read: the page's first contour is drawn without it (contour_layer.js).
  let text = null;
  const L = levels.length;
  const every = Math.max(1, Math.ceil(L / 8));
  const tickvals = [];
  const ticktext = [];
  for (let i = 0; i < L; i += every) {
    tickvals.push(i);
    ticktext.push(fmt(levels[i], 3));
  }
  const valueAt = (p) => bilinear(api.x, api.y, api.z, p[0], p[1]);
  return {
    x: api.x,
    y: api.y,
    z: api.z,
    zt,
    get text() {
      text ??= api.z.map((row) => row.map((v) => fmt(v)));
      return text;
    },
    levels,
    toIndex,
    tickvals,
    ticktext,
    valueAt,
  };
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
