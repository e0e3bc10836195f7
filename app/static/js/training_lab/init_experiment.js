/**
 * init_experiment.js — the textbook's activation-histogram experiment (docs/experiments.md §2,
 * "Deep Learning from Scratch" ch. 6): 1,000 random inputs through 5 layers of 100 units, no
 * training, one panel per weight initialisation. Each panel shows the per-layer 30-bin histograms
 * side by side (the textbook's figure) and the statistics that explain them: mean, std and the
 * saturated share by the activation's own rule (saturation_text.js).
 *
 * Panels of one activation share their axes (issue 8 point 2): sigmoid and tanh histograms have
 * fixed edges ((0, 1), (−1, 1)); for ReLU-like activations the panels are asked again with
 * `hist_range` = [smallest min, largest max] over the activation's panels and layers, so ReLU
 * std 0.01 (scale-invariant without bias: the same shape as He, a million times narrower) falls
 * into the first bin instead of looking like He. `ie.own` gives every layer its own x axis.
 *
 *   const view = new InitExperimentView(container, {t, onError});
 *   await view.run(ie);      // ie = page state's init-experiment settings (model.js)
 *   view.render();           // redraw in the current language
 */

import { postJSON } from "../shared/api.js";
import { colourAt, draw } from "../shared/plots.js";
import { fmt } from "../shared/format.js";
import { activationRequest, INIT_PANELS } from "./model.js";
import { capLabels, histogramBar, multiplotAxes, spikeCap } from "./histogram_charts.js";
import { COLLAPSED_STD, saturationLabel } from "./saturation_text.js";
import { setAlt } from "./plot_text.js";

/** Activations whose histogram edges the server fixes (no shared range needed). */
const FIXED_EDGES = new Set(["sigmoid", "tanh"]);

/** [lo, hi] over every layer of the responses (ReLU: from 0). */
function sharedRange(responses, activation) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const res of responses) {
    for (const l of res.layers ?? []) {
      if (Number.isFinite(l.min)) lo = Math.min(lo, l.min);
      if (Number.isFinite(l.max)) hi = Math.max(hi, l.max);
    }
  }
  if (activation === "relu") lo = 0;
  return Number.isFinite(lo) && Number.isFinite(hi) && hi > lo ? [lo, hi] : null;
}

const PANEL_COLOUR = {
  sigmoid: colourAt(1),
  tanh: colourAt(4),
  relu: colourAt(2),
  leaky_relu: colourAt(3),
  elu: colourAt(5),
};

function pct(v) {
  return typeof v === "number" ? `${(100 * v).toFixed(1)}%` : "—";
}

/** The init experiment's panels: one card per chosen initialisation (see the header). */
export class InitExperimentView {
  /**
   * @param {HTMLElement} container where the panels go
   * @param {{t: Function, onError: (err: Error) => void}} options
   */
  constructor(container, { t, onError }) {
    this.container = container;
    this.t = t;
    this.onError = onError;
    this.results = new Map(); // panel id → response
    this.panels = [];
    this.token = 0;
  }

  /** Fetch every selected panel (in parallel) and draw them. */
  async run(ie) {
    const token = ++this.token;
    const panels = INIT_PANELS.filter((p) => ie.panels.includes(p.id));
    this.panels = panels;
    this.container.dataset.state = "loading";
    this.layout(panels);
    try {
      let responses = await Promise.all(panels.map((p) => postJSON("/api/activations", activationRequest(p, ie))));
      if (token !== this.token) return;
      this.ranges = new Map();
      if (!ie.own) {
        // second pass: one x range per activation over all its panels and layers
        const again = panels.map((p, i) => {
          if (FIXED_EDGES.has(p.activation)) return responses[i];
          const group = panels.map((q, j) => (q.activation === p.activation ? responses[j] : null)).filter(Boolean);
          const range = sharedRange(group, p.activation);
          if (!range) return responses[i];
          this.ranges.set(p.id, range);
          return postJSON("/api/activations", activationRequest(p, ie, range));
        });
        responses = await Promise.all(again);
        if (token !== this.token) return;
      }
      this.own = Boolean(ie.own);
      this.results = new Map(panels.map((p, i) => [p.id, responses[i]]));
      this.render();
      this.container.dataset.state = "ready";
    } catch (err) {
      if (token !== this.token) return;
      this.container.dataset.state = "error";
      this.onError(err);
    }
  }

  /** Build one card per panel (title, plot, stats table). */
  layout(panels) {
    const existing = new Map([...this.container.querySelectorAll(".init-card")].map((c) => [c.dataset.panel, c]));
    this.container.replaceChildren();
    for (const p of panels) {
      let card = existing.get(p.id);
      if (!card) {
        card = document.createElement("article");
        card.className = "panel init-card";
        card.dataset.panel = p.id;
        card.setAttribute("data-testid", "init-panel");
        const h = document.createElement("h3");
        h.className = "init-title";
        const sub = document.createElement("p");
        sub.className = "hint init-sub";
        const plot = document.createElement("div");
        plot.className = "init-plot";
        plot.id = `init-plot-${p.id}`;
        plot.setAttribute("data-testid", `init-plot-${p.id}`);
        const table = document.createElement("table");
        table.className = "init-stats";
        table.setAttribute("data-testid", `init-stats-${p.id}`);
        card.append(h, sub, plot, table);
      }
      this.container.append(card);
    }
    this.renderTitles();
  }

  renderTitles() {
    const t = this.t;
    for (const card of this.container.querySelectorAll(".init-card")) {
      const id = card.dataset.panel;
      card.querySelector(".init-title").textContent = t(`init.panel.${id}`);
      card.querySelector(".init-sub").textContent = t(`init.note.${id}`);
    }
  }

  /** Draw every panel that has a result (also after a language change). */
  render() {
    const t = this.t;
    this.renderTitles();
    for (const p of this.panels) {
      const res = this.results.get(p.id);
      const card = this.container.querySelector(`.init-card[data-panel="${p.id}"]`);
      if (!res || !card) continue;
      const layers = res.layers || [];
      const titles = layers.map((l) => t("train.layer_n", { n: l.index }));
      const { layout, axisNames } = multiplotAxes(layers.length, {
        maxCols: layers.length,
        gapX: 0.05,
        titles,
        xTitle: "",
        yTitle: layers.length ? t("hist.count") : "",
        titleSize: 13,
      });
      const colour = PANEL_COLOUR[p.activation] ?? colourAt(0);
      const traces = layers.map((l, i) => histogramBar(l, axisNames[i], { colour, name: titles[i], t }));
      // Same count axis in every layer and every panel of one activation, as in the textbook
      // figure; like the textbook's ReLU figures (plt.ylim) the axis is cut when one bin (the
      // zeros) dwarfs the others.
      const group = this.own ? [res] : this.panels.filter((q) => q.activation === p.activation).map((q) => this.results.get(q.id)).filter(Boolean);
      const counts = group.flatMap((g) => (g.layers ?? []).map((l) => l.counts));
      const cap = spikeCap(counts);
      const peak = cap ?? Math.max(1, ...counts.flat()) * 1.05;
      if (cap !== null) layers.forEach((l, i) => layout.annotations.push(...capLabels(l, cap, axisNames[i])));
      const range = this.own ? null : this.ranges?.get(p.id) ?? (FIXED_EDGES.has(p.activation) ? [layers[0]?.edges[0], layers[0]?.edges.at(-1)] : null);
      layers.forEach((_, i) => {
        const suffix = i === 0 ? "" : String(i + 1);
        layout[`yaxis${suffix}`].range = [0, peak];
        if (i > 0) layout[`yaxis${suffix}`].showticklabels = false;
        layout[`xaxis${suffix}`].nticks = 3;
        if (range) layout[`xaxis${suffix}`].range = range;
      });
      const plot = card.querySelector(".init-plot");
      plot.dataset.xrange = range ? range.join(",") : "";
      setAlt(plot, `${t(`init.panel.${p.id}`)}: ${layers.map((l) => t("alt.layer_stats", { n: l.index, mean: fmt(l.mean, 3), std: fmt(l.std, 3) })).join(", ")}`);
      draw(card.querySelector(".init-plot"), traces, {
        ...layout,
        height: 230,
        bargap: 0,
        showlegend: false,
        margin: { l: 56, r: 8, t: 28, b: 32 },
        uirevision: p.id,
      });
      this.renderStats(card.querySelector(".init-stats"), p, res);
    }
  }

  renderStats(table, panel, res) {
    const t = this.t;
    table.replaceChildren();
    const head = document.createElement("thead");
    const hr = document.createElement("tr");
    const sat = saturationLabel(res.saturation_rule, t);
    for (const text of [t("init.col_layer"), t("init.col_mean"), t("init.col_std"), sat.column]) {
      const th = document.createElement("th");
      th.textContent = text;
      hr.append(th);
    }
    hr.lastChild.title = sat.tip;
    head.append(hr);
    const body = document.createElement("tbody");
    for (const l of res.layers || []) {
      const tr = document.createElement("tr");
      const cells = [String(l.index), fmt(l.mean, 3), fmt(l.std, 3), pct(l.saturated)];
      cells.forEach((text, i) => {
        const td = document.createElement("td");
        td.textContent = text;
        if (i > 0) td.className = "num";
        // only the bad cases: a collapsed spread (std 0.01) or saturation by the activation's rule
        const warn = (i === 2 && l.std < COLLAPSED_STD) || (i === 3 && l.saturated >= sat.alarm);
        if (warn) td.classList.add("warn");
        tr.append(td);
      });
      body.append(tr);
    }
    table.append(head, body);
  }
}
