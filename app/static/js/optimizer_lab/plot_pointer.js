/**
 * plot_pointer.js — the pointer on a 2-D Plotly plot in data coordinates: the clicked spot as a
 * new start point, and an "x, y, f" readout under the mouse.
 *
 *   import { dataPointAt, attachStartPicker, attachReadout } from "./plot_pointer.js";
 *   attachStartPicker(mainDiv, ([x, y]) => …);           // a click on the plot sets the start
 *   attachReadout(mainDiv, () => grid, outputElement);   // grid: prepareGrid() result (contour_grid.js)
 *   dataPointAt(div, clientX, clientY);                  // [x, y] under the pointer, or null
 *
 * optimizer_lab/main.js wires the main plot and the start-point map with these; contour_layer.js uses
 * dataPointAt to forward the pointer to the contour's hover.
 */

import { onPlotly } from "../shared/plots.js";
import { fmt } from "../shared/format.js";

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
  onPlotly(div, "plotly_click", (ev) => {
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
 * @param {() => [string, string]} getAxes names of the two coordinates (axis_names.js)
 */
export function attachReadout(div, getGrid, output, getAxes = () => ["x", "y"]) {
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
    const [xName, yName] = getAxes();
    output.textContent = `(${xName}, ${yName}) = (${fmt(xy[0], 3)}, ${fmt(xy[1], 3)})   f = ${fmt(f)}`;
  });
  div.addEventListener("mouseleave", () => {
    output.textContent = "";
  });
}
