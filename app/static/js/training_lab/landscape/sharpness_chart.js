/**
 * landscape/sharpness_chart.js — λ_max of the training loss's Hessian against the optimizer step,
 * with GD's stability threshold 2/η (Cohen et al. 2021, "edge of stability"; docs/landscape.md §7).
 *
 * Drawn in the Training view when a run of the session has the option `sharpness` (its events
 * `sharpness` {step, lambda_max, threshold}); hidden otherwise. Each run: solid λ_max, dashed 2/η
 * in the same colour (a step function when a schedule changes η).
 *
 *   drawSharpness(div, note, runs, colours, t);   // returns true when something was drawn
 */

import { draw, colourAt } from "../../shared/plots.js";

/**
 * @param {HTMLElement} div the plot
 * @param {HTMLElement} note the text under it
 * @param {object[]} runs session runs (job_stream.js; `sharpness` events per run)
 * @param {string[]} colours one per run
 * @param {(key: string, vars?: object) => string} t
 */
export function drawSharpness(div, note, runs, colours, t) {
  const traces = [];
  let adaptive = false;
  runs.forEach((run, i) => {
    const points = run.sharpness ?? [];
    if (!points.length) return;
    const colour = colours[i] ?? colourAt(i);
    const group = `shp${i}`;
    traces.push({
      type: "scatter",
      mode: "lines+markers",
      x: points.map((p) => p.step),
      y: points.map((p) => p.lambda_max),
      name: `${run.label}: λ_max`,
      legendgroup: group,
      line: { color: colour, width: 3 },
      marker: { size: 5, color: colour },
      hovertemplate: `${t("shp.step")} %{x}<br>λ_max = %{y:.4g}<extra>${run.label}</extra>`,
    });
    traces.push({
      type: "scatter",
      mode: "lines",
      x: points.map((p) => p.step),
      y: points.map((p) => p.threshold),
      name: `${run.label}: 2/η`,
      legendgroup: group,
      line: { color: colour, width: 2, dash: "dash", shape: "hv" },
      hovertemplate: `${t("shp.step")} %{x}<br>2/η = %{y:.4g}<extra>${run.label}</extra>`,
    });
    if (run.config?.optimizer?.optimizer && run.config.optimizer.optimizer !== "sgd") adaptive = true;
  });
  if (!traces.length) return false;
  draw(div, traces, {
    xaxis: { title: { text: t("shp.step") } },
    yaxis: { title: { text: t("shp.axis") }, rangemode: "tozero" },
  });
  note.textContent = t("shp.note") + (adaptive ? ` ${t("shp.note_adaptive")}` : "");
  return true;
}
