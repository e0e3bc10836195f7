/**
 * draw_points.js — draw a labelled 2-D data set: a Plotly scatter where each click adds points of
 * the selected class (colours as in the decision-boundary chart: class k = colourAt(k)); undo,
 * clear, and "use as data set", which hands the points to `onUse` (upload_panel.js posts them as
 * `{"kind": "points", "points": [[x, y, label], ...]}`). The drawing area is [−1, 1]²; training
 * standardises the points with the training split's statistics like any 2-D set.
 *
 *   const drawing = createDrawPoints({ store, root, onUse });
 *   drawing.render(state, prev);     // from the page's one render path
 *   drawing.resize();                // after the drawing area is shown
 *
 * State (the page store's `draw`): {points: [[x, y, k], ...], cls: k, brush: 1 | 5}.
 */

import { applyTranslations, t } from "../shared/i18n.js";
import { el } from "../shared/shell.js";
import { changed } from "../shared/store.js";
import { plotlyOf, colourAt, draw } from "../shared/plots.js";

/** Classes offered for drawing. */
export const DRAW_CLASSES = 4;
/** Fewest points the server accepts for a data set (app/core/datasets/request.py MIN_SAMPLES). */
export const MIN_POINTS = 10;
/** Half-width of the drawing area [−R, R]². */
const R = 1;
/** Spread (std) of the extra points a "5 per click" brush scatters around the click. */
const BRUSH_SPREAD = 0.06;

const initial = () => ({ points: [], cls: 0, brush: 1 });
/** The drawing area needs no mode bar (nothing to zoom, pan or save). */
const DRAW_CONFIG = Object.freeze({ displayModeBar: false });

/** A standard normal draw (Box–Muller), for the brush's scatter. */
function gauss() {
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
}

const clamp = (v) => Math.max(-R, Math.min(R, v));
const round = (v) => Math.round(v * 1e4) / 1e4;

/** Points to add for one click at (x, y): the click itself, plus brush − 1 scattered around it. */
export function brushPoints(x, y, cls, brush) {
  const out = [[round(x), round(y), cls]];
  for (let i = 1; i < brush; i += 1) out.push([round(clamp(x + BRUSH_SPREAD * gauss())), round(clamp(y + BRUSH_SPREAD * gauss())), cls]);
  return out;
}

/** "class 0: 6, class 1: 7" for the drawn points. */
function classCounts(points) {
  const counts = new Array(DRAW_CLASSES).fill(0);
  for (const p of points) counts[p[2]] += 1;
  return counts;
}

/**
 * The drawing panel.
 * @param {{store: object, root: HTMLElement, onUse: (points: number[][]) => void}} deps
 */
export function createDrawPoints({ store, root, onUse }) {
  const state = () => store.get().draw;
  const set = (patch) => store.update((s) => ({ draw: { ...s.draw, ...patch } }));
  store.update({ draw: initial() });

  const classButtons = Array.from({ length: DRAW_CLASSES }, (_, k) => {
    const b = el("button", { type: "button", class: "chip-button draw-class", "data-testid": `draw-class-${k}`, "data-cls": String(k) });
    b.style.setProperty("--run-colour", colourAt(k));
    b.addEventListener("click", () => set({ cls: k }));
    return b;
  });
  const brushSelect = el("select", { "data-testid": "draw-brush" });
  for (const n of [1, 5]) brushSelect.append(el("option", { value: String(n), text: String(n) }));
  brushSelect.addEventListener("change", () => set({ brush: Number(brushSelect.value) }));
  const undo = el("button", { type: "button", class: "secondary", "data-testid": "draw-undo", "data-i18n": "draw.undo" });
  const clear = el("button", { type: "button", class: "secondary", "data-testid": "draw-clear", "data-i18n": "draw.clear" });
  const use = el("button", { type: "button", class: "primary", "data-testid": "draw-use", "data-i18n": "draw.use" });
  const plot = el("div", { class: "chart draw-plot", "data-testid": "draw-plot", role: "img" });
  const count = el("p", { class: "hint draw-count", "data-testid": "draw-count", "aria-live": "polite" });
  undo.addEventListener("click", () => set({ points: state().points.slice(0, -1) }));
  clear.addEventListener("click", () => set({ points: [] }));
  use.addEventListener("click", () => onUse(state().points.map((p) => [...p])));

  const classLabel = el("span", { class: "field-label", "data-i18n": "draw.class" });
  const brushLabel = el("label", { class: "field-inline" }, [el("span", { "data-i18n": "draw.brush" }), brushSelect]);
  root.append(
    el("p", { class: "hint", "data-i18n": "draw.hint" }),
    el("div", { class: "draw-toolbar" }, [classLabel, ...classButtons, brushLabel]),
    plot,
    count,
    el("div", { class: "button-row" }, [undo, clear, use]),
  );
  applyTranslations(root);

  /** Data coordinates of a click on the plot area (null outside it). */
  function toData(ev) {
    const layout = plot._fullLayout;
    if (!layout) return null;
    const box = plot.getBoundingClientRect();
    const size = layout._size;
    const px = ev.clientX - box.left - size.l;
    const py = ev.clientY - box.top - size.t;
    if (px < 0 || py < 0 || px > size.w || py > size.h) return null;
    return [layout.xaxis.p2c(px), layout.yaxis.p2c(py)];
  }

  plot.addEventListener("click", (ev) => {
    const at = toData(ev);
    if (!at) return;
    const { cls, brush, points } = state();
    set({ points: [...points, ...brushPoints(at[0], at[1], cls, brush)] });
  });

  function drawPlot(points) {
    const traces = Array.from({ length: DRAW_CLASSES }, (_, k) => {
      const mine = points.filter((p) => p[2] === k);
      return {
        type: "scatter",
        mode: "markers",
        name: t("draw.class_n", { k }),
        x: mine.map((p) => p[0]),
        y: mine.map((p) => p[1]),
        marker: { color: colourAt(k), size: 9, line: { color: "#ffffff", width: 1 } },
        hoverinfo: "skip",
        showlegend: mine.length > 0,
      };
    });
    const axis = { range: [-R, R], fixedrange: true, zeroline: false, constrain: "domain" };
    const layout = {
      margin: { l: 34, r: 8, t: 8, b: 28 },
      xaxis: axis,
      yaxis: { ...axis, scaleanchor: "x" },
      dragmode: false,
      hovermode: false,
      legend: { orientation: "h", y: -0.12 },
      showlegend: true,
    };
    draw(plot, traces, layout, DRAW_CONFIG);
  }

  /** Plotly measures a plot drawn while hidden wrongly: re-measure once it is shown. */
  function resize() {
    if (!plot._fullLayout || plot.offsetParent === null) return;
    plotlyOf(plot).Plots.resize(plot).then(() => {
      plot.dataset.sized = "true"; // clicks map to data coordinates from here on (browser tests wait for it)
    });
  }

  function render(s, prev) {
    if (!s.draw) return;
    const { points, cls, brush } = s.draw;
    if (changed(s, prev, (x) => x.draw.points, (x) => x.lang)) drawPlot(points);
    if (changed(s, prev, (x) => x.draw, (x) => x.lang, (x) => x.uploads)) {
      classButtons.forEach((b, k) => {
        b.textContent = t("draw.class_n", { k });
        b.setAttribute("aria-pressed", String(k === cls));
        b.classList.toggle("active", k === cls);
      });
      brushSelect.value = String(brush);
      const counts = classCounts(points);
      const shown = counts.map((n, k) => [n, k]).filter(([n]) => n > 0);
      const enough = points.length >= MIN_POINTS && shown.length >= 2;
      count.textContent = enough
        ? t("draw.count", { n: points.length, counts: shown.map(([n, k]) => `${t("draw.class_n", { k })}: ${n}`).join(", ") })
        : t("draw.need", { min: MIN_POINTS });
      plot.setAttribute("aria-label", t("draw.plot_label", { n: points.length, cls: t("draw.class_n", { k: cls }) }));
      plot.dataset.points = String(points.length);
      undo.disabled = clear.disabled = points.length === 0;
      use.disabled = !enough || Boolean(store.get().uploads?.busy);
    }
  }

  return { render, resize };
}
