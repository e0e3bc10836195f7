/**
 * textbook_layout.js — the textbook layout (like the textbook's figure 6-8): one small contour
 * panel per optimizer, each with that run's whole path, the minima and the start, so the runs are
 * compared side by side instead of on top of each other. Shown instead of the main plot when
 * `config.view.textbook` is on (the toolbar's "textbook layout" switch; URL `v.tb`).
 *
 *   import { drawTextbookLayout } from "./textbook_layout.js";
 *   drawTextbookLayout(container, { grid, surface, domain, start, runs, text });
 */

import { draw, startTrace } from "../shared/plots.js";
import { surfaceTrace } from "./contour_layer.js";
import { minimaTraces } from "./main_plot.js";

/** One panel: the contour lines, the run's path (markers at every iterate), minima, start. */
function panelData(model, run, i) {
  const contour = surfaceTrace(model.grid, { filled: false }, { hover: false });
  return [
    contour,
    ...minimaTraces(model.surface, model.text, 16).map((t) => ({ ...t, showlegend: false })),
    startTrace(model.start, model.text.start, { size: 12, hoverinfo: "skip", showlegend: false }),
    {
      type: "scatter",
      mode: run.path.length > 400 ? "lines" : "lines+markers",
      x: run.path.map((p) => p[0]),
      y: run.path.map((p) => p[1]),
      name: run.label,
      meta: { kind: "textbook_path", run: i },
      line: { color: run.colour, width: 2.5 },
      marker: { color: run.colour, size: 5 },
      hovertemplate: `${run.label.replace(/</g, "&lt;")}<br>(%{x:.4g}, %{y:.4g})<extra></extra>`,
      showlegend: false,
    },
  ];
}

/** Draw one small panel per run into `container` (rebuilt when the number of runs changes). */
export function drawTextbookLayout(container, model) {
  if (!model.grid) return;
  const runs = model.runs;
  if (container.children.length !== runs.length) {
    container.replaceChildren(
      ...runs.map((_, i) => {
        const div = document.createElement("div");
        div.className = "textbook-panel";
        div.dataset.run = String(i);
        div.setAttribute("data-testid", "textbook-panel");
        return div;
      }),
    );
  }
  runs.forEach((run, i) => {
    const div = container.children[i];
    draw(div, panelData(model, run, i), {
      title: { text: run.label, font: { size: 16, color: run.colour }, x: 0.02, xanchor: "left" },
      xaxis: { range: [...model.domain.x], showgrid: false, zeroline: false },
      yaxis: { range: [...model.domain.y], showgrid: false, zeroline: false },
      margin: { l: 40, r: 10, t: 34, b: 30 },
      showlegend: false,
    });
  });
}
