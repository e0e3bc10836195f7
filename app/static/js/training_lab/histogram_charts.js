/**
 * histogram_charts.js — per-layer activation distributions of a training run (docs/telemetry.md).
 *
 * Four views of the `layers[*].act` (or `.pre`) histograms carried by `metrics` events:
 *   a  one histogram per layer side by side at the selected step (the textbook's figure);
 *   b  overlay: several steps up to the selected one per layer, light = early, dark = late;
 *   c  offset / ridge: the histograms stacked over time, newest in front (TensorBoard "offset");
 *   d  percentile bands 5/25/50/75/95 over time (TensorBoard "distributions"), selected step marked.
 * Hover shows the exact bin range and count. Edges are fixed per layer for a job (the server
 * widens them rarely), so frames are comparable.
 *
 *   drawHistograms(div, run, frameIndex, {view, quantity, colour}, t);
 *   layerBadges(frame, quantity, activation)  → [{layer, mean, std, saturated, dead}]
 *   multiplotAxes(n, …)                        → subplot layout shared with the init experiment
 */

import { draw, withAlpha } from "../shared/plots.js";

const MAX_OVERLAY = 6;
const MAX_RIDGE = 24;

/**
 * Layout axes for n small plots in a grid of at most `maxCols` columns.
 * @returns {{layout: object, axisNames: {x: string, y: string}[]}}
 */
export function multiplotAxes(n, { maxCols = 5, gapX = 0.035, gapY = 0.16, xTitle = "", yTitle = "", titles = [], titleSize = 14 } = {}) {
  // balanced rows: 6 layers → 2 × 3 rather than 5 + 1
  const rows = Math.max(1, Math.ceil(n / maxCols));
  const cols = Math.max(1, Math.ceil(n / rows));
  const layout = { annotations: [] };
  const axisNames = [];
  const w = (1 - gapX * (cols - 1)) / cols;
  const h = (1 - gapY * (rows - 1)) / rows;
  for (let i = 0; i < n; i += 1) {
    const r = Math.floor(i / cols);
    const c = i % cols;
    const suffix = i === 0 ? "" : String(i + 1);
    const x0 = c * (w + gapX);
    const y1 = 1 - r * (h + gapY);
    layout[`xaxis${suffix}`] = {
      domain: [x0, x0 + w],
      anchor: `y${suffix}`,
      title: { text: r === rows - 1 ? xTitle : "", font: { size: 13 } },
      tickfont: { size: 12 },
      automargin: true,
    };
    layout[`yaxis${suffix}`] = {
      domain: [Math.max(0, y1 - h), y1],
      anchor: `x${suffix}`,
      title: { text: c === 0 ? yTitle : "", font: { size: 13 } },
      tickfont: { size: 12 },
      automargin: true,
    };
    if (titles[i]) {
      layout.annotations.push({
        text: titles[i],
        xref: "paper",
        yref: "paper",
        x: x0 + w / 2,
        y: y1,
        xanchor: "center",
        yanchor: "bottom",
        showarrow: false,
        font: { size: titleSize },
      });
    }
    axisNames.push({ x: `x${suffix}`, y: `y${suffix}` });
  }
  return { layout, axisNames, rows, cols };
}

/** Bin centres, widths and [lo, hi] pairs of a histogram with `edges`. */
export function binGeometry(edges) {
  const centres = [];
  const widths = [];
  const ranges = [];
  for (let i = 0; i + 1 < edges.length; i += 1) {
    const lo = edges[i];
    const hi = edges[i + 1];
    centres.push((lo + hi) / 2);
    widths.push(hi - lo);
    ranges.push([lo, hi]);
  }
  return { centres, widths, ranges };
}

/** One bar trace of a histogram with exact hover values. */
export function histogramBar(hist, axes, { colour, name, t, opacity = 0.85 }) {
  const { centres, widths, ranges } = binGeometry(hist.edges || []);
  return {
    type: "bar",
    x: centres,
    y: hist.counts || [],
    width: widths,
    customdata: ranges,
    marker: { color: withAlpha(colour, opacity), line: { color: colour, width: 0.5 } },
    name,
    showlegend: false,
    xaxis: axes.x,
    yaxis: axes.y,
    hovertemplate: `${t("hist.bin")} [%{customdata[0]:.4g}, %{customdata[1]:.4g})<br>${t("hist.count")} %{y}<extra>${name}</extra>`,
  };
}

/**
 * A y-axis cap for histograms where one bin dwarfs the rest (ReLU's bin at 0), as the textbook
 * does for its ReLU figures (plt.ylim): 1.25 × the second-largest count, or null when no single
 * bin is more than 3 × every other one.
 * @param {number[][]} countArrays histograms that share the axis
 */
export function spikeCap(countArrays) {
  // the largest bin of any histogram vs the largest runner-up bin of any histogram
  let top = 0;
  let second = 0;
  for (const counts of countArrays) {
    const sorted = [...(counts || [])].sort((a, b) => b - a);
    top = Math.max(top, sorted[0] ?? 0);
    second = Math.max(second, sorted[1] ?? 0);
  }
  return second > 0 && top > 3 * second ? second * 1.25 : null;
}

/** Annotations naming the true height of bars cut by a cap (placed just under the cap). */
export function capLabels(hist, cap, axes) {
  if (cap === null) return [];
  const { centres } = binGeometry(hist.edges || []);
  const out = [];
  (hist.counts || []).forEach((c, i) => {
    if (c > cap) {
      out.push({
        x: centres[i],
        y: cap,
        xref: axes.x,
        yref: axes.y,
        text: `${c.toLocaleString("en-US")} ↑`,
        showarrow: false,
        xanchor: i < (hist.counts.length / 2) ? "left" : "right",
        yanchor: "top",
        font: { size: 12, color: "#1d2430" },
        bgcolor: "rgba(255,255,255,0.85)",
      });
    }
  });
  return out;
}

/** Evenly spaced indices 0 … last (inclusive), at most k of them. */
export function spreadIndices(last, k) {
  if (last < 0) return [];
  if (last + 1 <= k) return Array.from({ length: last + 1 }, (_, i) => i);
  const out = new Set();
  for (let j = 0; j < k; j += 1) out.add(Math.round((j * last) / (k - 1)));
  return [...out].sort((a, b) => a - b);
}

/** Mix two "#rrggbb" colours: f = 0 → a, f = 1 → b. */
function mix(a, b, f) {
  const pa = [1, 3, 5].map((i) => parseInt(a.slice(i, i + 2), 16));
  const pb = [1, 3, 5].map((i) => parseInt(b.slice(i, i + 2), 16));
  const c = pa.map((v, i) => Math.round(v + (pb[i] - v) * f));
  return `#${c.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

/**
 * A layer's histogram of one quantity: "act", "pre" or "w" (the incoming weights), from the main
 * (batch-statistics) view or, with `inference`, from the layer's inference-mode view when the
 * frame carries one (batch-norm networks; docs/telemetry.md, "The inference view").
 */
export function layerHistogram(layer, quantity, inference = false) {
  if (!layer) return null;
  if (quantity === "w") return layer.weights ?? null;
  if (inference && layer.inference) return layer.inference[quantity] ?? null;
  return layer[quantity] ?? null;
}

/** Per-layer numbers for the badges at one frame. */
export function layerBadges(frame, quantity, inference = false) {
  if (!frame) return [];
  return (frame.layers || []).map((layer) => {
    const h = layerHistogram(layer, quantity, inference) || {};
    const view = inference && layer.inference ? layer.inference : layer;
    return {
      layer: layer.index,
      mean: h.mean ?? null,
      std: h.std ?? null,
      // the activation's own rule (sigmoid < 0.01 or > 0.99, tanh |a| > 0.99, ReLU = 0 …)
      saturated: view.saturated ?? layer.act?.saturated ?? null,
      rule: layer.saturation_rule ?? null,
      dead: layer.act?.dead ?? null,
    };
  });
}

function stepLabel(frame, t) {
  return `${t("common.step")} ${frame.step} (${t("train.epoch")} ${Number(frame.epoch).toFixed(2)})`;
}

/**
 * Draw the selected histogram view.
 * @param {HTMLElement} div
 * @param {object|null} run a session run (frames = metrics events)
 * @param {number} index selected frame
 * @param {{view: string, quantity: "act"|"pre", colour: string}} options
 * @param {Function} t
 */
export function drawHistograms(div, run, index, { view, quantity, colour, inference = false }, t) {
  const hist = (f, li) => layerHistogram(f.layers?.[li], quantity, inference);
  const frames = run ? run.frames : [];
  const nLayers = frames.length ? (frames[frames.length - 1].layers || []).length : 0;
  if (!frames.length || !nLayers) {
    draw(div, [], {
      xaxis: { visible: false },
      yaxis: { visible: false },
      annotations: [{ text: t("train.no_data"), xref: "paper", yref: "paper", x: 0.5, y: 0.5, showarrow: false, font: { size: 16, color: "#6b7380" } }],
      height: 300,
    });
    return;
  }
  const k = Math.max(0, Math.min(index, frames.length - 1));
  const frame = frames[k];
  const qLabel = t(`hist.${quantity}_short`);
  const titles = [];
  for (let li = 0; li < nLayers; li += 1) titles.push(t("train.layer_n", { n: li + 1 }));
  const yTitle = view === "c" ? t("common.step") : view === "d" ? qLabel : t("hist.count");
  const xTitle = view === "d" ? t("common.step") : qLabel;
  const { layout, axisNames, rows } = multiplotAxes(nLayers, { xTitle, yTitle, titles, maxCols: 5, gapY: 0.2 });
  const traces = [];

  if (view === "a") {
    for (let li = 0; li < nLayers; li += 1) {
      const h = hist(frame, li);
      if (!h) continue;
      traces.push(histogramBar(h, axisNames[li], { colour, name: titles[li], t }));
      const cap = spikeCap([h.counts]);
      if (cap !== null) {
        const suffix = li === 0 ? "" : String(li + 1);
        layout[`yaxis${suffix}`].range = [0, cap];
        layout.annotations.push(...capLabels(h, cap, axisNames[li]));
      }
    }
  } else if (view === "b") {
    const picks = spreadIndices(k, MAX_OVERLAY);
    picks.forEach((fi, j) => {
      const f = frames[fi];
      const shade = mix("#d0d7e0", colour, picks.length === 1 ? 1 : 0.15 + (0.85 * j) / (picks.length - 1));
      for (let li = 0; li < nLayers; li += 1) {
        const h = hist(f, li);
        if (!h) continue;
        const { ranges } = binGeometry(h.edges);
        const counts = h.counts || [];
        traces.push({
          type: "scatter",
          mode: "lines",
          x: h.edges,
          y: [...counts, counts[counts.length - 1] ?? 0],
          customdata: [...ranges, ranges[ranges.length - 1]],
          line: { shape: "hv", color: shade, width: j === picks.length - 1 ? 3 : 2 },
          name: `${t("common.step")} ${f.step}`,
          legendgroup: `s${fi}`,
          showlegend: li === 0,
          xaxis: axisNames[li].x,
          yaxis: axisNames[li].y,
          hovertemplate: `${t("common.step")} ${f.step}<br>${t("hist.bin")} [%{customdata[0]:.4g}, %{customdata[1]:.4g})<br>${t("hist.count")} %{y}<extra>${titles[li]}</extra>`,
        });
      }
    });
    layout.showlegend = true;
    // below the x-axis titles: ~70 px under the plot area
    const plotHeight = 70 + rows * 250 + 60 - 40 - 110;
    layout.legend = { orientation: "h", y: -70 / plotHeight, yanchor: "top", x: 0 };
  } else if (view === "c") {
    const picks = spreadIndices(k, MAX_RIDGE);
    for (let li = 0; li < nLayers; li += 1) {
      let peak = 0;
      for (const fi of picks) for (const c of hist(frames[fi], li)?.counts || []) peak = Math.max(peak, c);
      // one dominant bin (ReLU's zeros) would flatten every ridge: scale to the rest, cut the spike
      const cap = spikeCap(picks.map((fi) => hist(frames[fi], li)?.counts || []));
      peak = cap !== null ? cap / 1.25 : peak || 1;
      const gap = 1;
      const height = 2.2; // a ridge may overlap the ones behind it, as in TensorBoard
      const tickvals = [];
      const ticktext = [];
      picks.forEach((fi, j) => {
        const f = frames[fi];
        const h = hist(f, li);
        if (!h) return;
        const base = (picks.length - 1 - j) * gap; // oldest at the top/back, newest at the bottom/front
        const { centres, ranges } = binGeometry(h.edges);
        const x = [h.edges[0], ...centres, h.edges[h.edges.length - 1]];
        const y = [base, ...h.counts.map((c) => base + height * Math.min(c / peak, 1.5)), base];
        const cd = [[null, null, 0], ...ranges.map((r, bi) => [r[0], r[1], h.counts[bi]]), [null, null, 0]];
        const shade = mix("#c9d2dd", colour, picks.length === 1 ? 1 : 0.2 + (0.8 * j) / (picks.length - 1));
        traces.push({
          type: "scatter",
          mode: "lines",
          x,
          y,
          customdata: cd,
          fill: "toself",
          fillcolor: "rgba(255,255,255,0.92)",
          line: { color: shade, width: 1.8 },
          name: `${t("common.step")} ${f.step}`,
          showlegend: false,
          xaxis: axisNames[li].x,
          yaxis: axisNames[li].y,
          hoveron: "points",
          hovertemplate: `${t("common.step")} ${f.step}<br>${t("hist.bin")} [%{customdata[0]:.4g}, %{customdata[1]:.4g})<br>${t("hist.count")} %{customdata[2]}<extra>${titles[li]}</extra>`,
        });
        if (j === 0 || j === picks.length - 1 || j % Math.ceil(picks.length / 4) === 0) {
          tickvals.push(base);
          ticktext.push(String(f.step));
        }
      });
      const suffix = li === 0 ? "" : String(li + 1);
      layout[`yaxis${suffix}`] = { ...layout[`yaxis${suffix}`], tickvals, ticktext, zeroline: false, showgrid: false };
    }
  } else {
    // d: percentile bands over time
    const upto = frames.slice(0, frames.length);
    for (let li = 0; li < nLayers; li += 1) {
      const x = upto.map((f) => f.step);
      const p = (q) => upto.map((f) => hist(f, li)?.percentiles?.[q] ?? null);
      const ax = axisNames[li];
      const base = { type: "scatter", mode: "lines", x, xaxis: ax.x, yaxis: ax.y, showlegend: false, hoverinfo: "skip" };
      traces.push(
        { ...base, y: p("5"), line: { width: 0, color: colour } },
        { ...base, y: p("95"), line: { width: 0, color: colour }, fill: "tonexty", fillcolor: withAlpha(colour, 0.18) },
        { ...base, y: p("25"), line: { width: 0, color: colour } },
        { ...base, y: p("75"), line: { width: 0, color: colour }, fill: "tonexty", fillcolor: withAlpha(colour, 0.35) },
        {
          ...base,
          y: p("50"),
          line: { width: 2.5, color: colour },
          hoverinfo: undefined,
          customdata: upto.map((f) => {
            const q = hist(f, li)?.percentiles || {};
            return [q["5"], q["25"], q["75"], q["95"]];
          }),
          hovertemplate: `${t("common.step")} %{x}<br>p95 %{customdata[3]:.4g}<br>p75 %{customdata[2]:.4g}<br>p50 %{y:.4g}<br>p25 %{customdata[1]:.4g}<br>p5 %{customdata[0]:.4g}<extra>${titles[li]}</extra>`,
        },
      );
    }
    layout.shapes = axisNames.map((ax) => ({
      type: "line",
      xref: ax.x,
      yref: `${ax.y} domain`,
      x0: frame.step,
      x1: frame.step,
      y0: 0,
      y1: 1,
      line: { color: "#555", dash: "dot", width: 1.5 },
    }));
  }

  const height = 70 + rows * 250 + (view === "b" ? 60 : 0);
  draw(div, traces, {
    ...layout,
    height,
    bargap: 0,
    hovermode: "closest",
    showlegend: layout.showlegend ?? false,
    margin: { l: 60, r: 16, t: 40, b: view === "b" ? 110 : 56 },
    title: { text: `${qLabel} · ${stepLabel(frame, t)}`, font: { size: 15 }, x: 0, xanchor: "left", y: 0.995, yanchor: "top" },
    uirevision: `${view}-${quantity}-${nLayers}`,
  });
}
