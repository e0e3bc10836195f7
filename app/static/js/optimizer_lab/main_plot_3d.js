/**
 * main_plot_3d.js — the Optimizer Lab's main plot in 3-D: the surface as a relief (height = the
 * grid's level index, so log-spaced levels give a log-like relief; real f values on the z ticks),
 * minima, saddles, the start point, and every run's path up to the race's step floating just
 * above the relief. No arrows (they are a 2-D view).
 *
 *   import { figure3d } from "./main_plot_3d.js";
 *   const { data, layout } = figure3d(model);   // model: as main_plot.js's drawMainPlot
 *
 * main_plot.js draws it with Plotly.react in the main plot's own div (the 2-D surface plot is hidden).
 */

import { CONTOUR_SCALE, withAlpha } from "../shared/plots.js";
import { pathSlice, pathCustom, hoverPath } from "./run_paths.js";

/** Figure {data, layout} of the 3-D view; every trace carries meta {kind, run}. */
export function figure3d(model) {
  const { grid, surface, start, runs, step, view, text, domain } = model;
  const lift = 0.06; // paths float slightly above the relief (in level units)
  const data = [
    {
      type: "surface",
      x: grid.x,
      y: grid.y,
      z: grid.zt,
      text: grid.text,
      meta: { kind: "surface" },
      colorscale: CONTOUR_SCALE,
      cmin: 0,
      cmax: grid.levels.length - 1,
      opacity: 0.92,
      showscale: false,
      contours: { z: { show: true, start: 0, end: grid.levels.length - 1, size: 1, color: "rgba(60,70,90,0.35)", width: 1 } },
      hovertemplate: `(x, y) = (%{x:.4g}, %{y:.4g})<br>f = %{text}<extra></extra>`,
      name: "f(x, y)",
    },
  ];
  const zOf = (p) => {
    const v = grid.toIndex(p[2]);
    return v === null ? null : v + lift;
  };
  const pts3 = (list) => list.map((p) => [p[0], p[1], p[2]]);
  const minima = (surface?.minima ?? []).map((p) => [p[0], p[1], grid.valueAt(p) ?? grid.levels[0]]);
  const saddles = (surface?.saddles ?? []).map((p) => [p[0], p[1], grid.valueAt(p) ?? grid.levels[0]]);
  const addMarkers = (list, kind, name, marker) =>
    data.push({
      type: "scatter3d",
      mode: "markers",
      x: list.map((p) => p[0]),
      y: list.map((p) => p[1]),
      z: list.map(zOf),
      name,
      meta: { kind },
      marker,
      showlegend: list.length > 0,
      hovertemplate: `${name} (%{x:.4g}, %{y:.4g})<extra></extra>`,
    });
  addMarkers(pts3(minima), "minima", text.minimum, { symbol: "diamond", size: 7, color: "#ffd21f", line: { color: "#5a4500", width: 1 } });
  addMarkers(pts3(saddles), "saddles", text.saddle, { symbol: "x", size: 7, color: "#111" });
  const startZ = runs[0]?.loss?.[0] ?? grid.valueAt(start) ?? grid.levels[0];
  addMarkers([[start[0], start[1], startZ]], "start", text.start, { symbol: "circle-open", size: 8, color: "#111" });
  runs.forEach((run, i) => {
    const { last, pts } = pathSlice(run, step);
    const z = pts.map((p, j) => zOf([p[0], p[1], run.loss?.[j]]));
    data.push({
      type: "scatter3d",
      mode: "lines",
      x: view.ghost ? run.path.map((p) => p[0]) : [],
      y: view.ghost ? run.path.map((p) => p[1]) : [],
      z: view.ghost ? run.path.map((p, j) => zOf([p[0], p[1], run.loss?.[j]])) : [],
      meta: { kind: "ghost", run: i },
      line: { color: withAlpha(run.colour, 0.3), width: 3 },
      hoverinfo: "skip",
      showlegend: false,
    });
    data.push({
      type: "scatter3d",
      mode: "lines+markers",
      x: pts.map((p) => p[0]),
      y: pts.map((p) => p[1]),
      z,
      customdata: pathCustom(run).slice(0, last + 1),
      name: run.label,
      meta: { kind: "path", run: i },
      line: { color: run.colour, width: 6 },
      marker: { color: run.colour, size: run.path.length > 400 ? 0 : 3 },
      hovertemplate: hoverPath(run.label, text),
    });
    const cur = run.path[last];
    data.push({
      type: "scatter3d",
      mode: "markers",
      x: cur ? [cur[0]] : [],
      y: cur ? [cur[1]] : [],
      z: cur ? [z[last]] : [],
      meta: { kind: "current", run: i },
      marker: { color: run.colour, size: 7, symbol: run.diverged && last === run.path.length - 1 ? "x" : "circle", line: { color: "#fff", width: 2 } },
      showlegend: false,
      hoverinfo: "skip",
    });
  });
  const dx = domain.x[1] - domain.x[0];
  const dy = domain.y[1] - domain.y[0];
  const ratio = Math.min(1.6, Math.max(0.5, dy / dx));
  const layout = {
    margin: { l: 0, r: 0, t: 10, b: 0 },
    scene: {
      xaxis: { title: { text: model.axes?.[0] ?? "x" }, range: [...domain.x] },
      yaxis: { title: { text: model.axes?.[1] ?? "y" }, range: [...domain.y] },
      zaxis: { title: { text: "f" }, tickvals: grid.tickvals.filter((_, i) => i % 2 === 0), ticktext: grid.ticktext.filter((_, i) => i % 2 === 0) },
      aspectmode: "manual",
      aspectratio: { x: 1.3, y: 1.3 * ratio, z: 0.7 },
      camera: { eye: { x: -1.3, y: -1.6, z: 1.1 } },
    },
    legend: { orientation: "h", y: 1.0, yanchor: "bottom", x: 0 },
    uirevision: model.revision,
    showlegend: true,
  };
  return { data, layout };
}
