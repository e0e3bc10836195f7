/**
 * init_experiment.js — the textbook's activation-histogram experiment (docs/experiments.md §2,
 * "Deep Learning from Scratch" ch. 6): 1,000 random inputs through 5 layers of 100 units, no
 * training, one panel per weight initialisation. Each panel shows the per-layer 30-bin histograms
 * side by side (the textbook's figure) and the statistics that explain them: mean, std, the share
 * of activations below 0.1 / above 0.9 (sigmoid saturation) and exactly 0 (ReLU).
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
      const responses = await Promise.all(panels.map((p) => postJSON("/api/activations", activationRequest(p, ie))));
      if (token !== this.token) return;
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
        gapX: 0.025,
        titles,
        xTitle: "",
        yTitle: layers.length ? t("hist.count") : "",
        titleSize: 13,
      });
      const colour = PANEL_COLOUR[p.activation] ?? colourAt(0);
      const traces = layers.map((l, i) => histogramBar(l, axisNames[i], { colour, name: titles[i], t }));
      // Same count axis in every layer of a panel, as in the textbook figure; like the textbook's
      // ReLU figures (plt.ylim) the axis is cut when one bin (the zeros) dwarfs the others.
      const cap = spikeCap(layers.map((l) => l.counts));
      const peak = cap ?? Math.max(1, ...layers.flatMap((l) => l.counts)) * 1.05;
      if (cap !== null) layers.forEach((l, i) => layout.annotations.push(...capLabels(l, cap, axisNames[i])));
      layers.forEach((_, i) => {
        const suffix = i === 0 ? "" : String(i + 1);
        layout[`yaxis${suffix}`].range = [0, peak];
        if (i > 0) layout[`yaxis${suffix}`].showticklabels = false;
        layout[`xaxis${suffix}`].nticks = 3;
      });
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
    for (const key of ["init.col_layer", "init.col_mean", "init.col_std", "init.col_low", "init.col_high", "init.col_zero"]) {
      const th = document.createElement("th");
      th.textContent = t(key);
      hr.append(th);
    }
    head.append(hr);
    const body = document.createElement("tbody");
    const relu = panel.activation !== "sigmoid" && panel.activation !== "tanh";
    for (const l of res.layers || []) {
      const tr = document.createElement("tr");
      const cells = [String(l.index), fmt(l.mean, 3), fmt(l.std, 3), pct(l.frac_low), pct(l.frac_high), pct(l.frac_zero)];
      cells.forEach((text, i) => {
        const td = document.createElement("td");
        td.textContent = text;
        if (i > 0) td.className = "num";
        // highlight what the panel is about: saturation for sigmoid/tanh, zeros for ReLU
        const warn =
          (!relu && (i === 3 || i === 4) && l.frac_low + l.frac_high > 0.6 && (i === 3 ? l.frac_low : l.frac_high) > 0.25) ||
          (relu && i === 5 && l.frac_zero > 0.6);
        if (warn) td.classList.add("warn");
        tr.append(td);
      });
      body.append(tr);
    }
    table.append(head, body);
  }
}
