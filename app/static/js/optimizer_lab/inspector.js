/**
 * inspector.js — what each optimizer "sees and does" at the race's current step k:
 * arrows on the contour and its internal state as numbers.
 *
 *   import { arrowSegments, fixedArrowLength, renderInspector } from "./inspector.js";
 *   const segs = arrowSegments(run, k, view, fixedArrowLength(domain));  // main_plot.js draws them
 *   renderInspector(container, runs, k, curv);   // curv: curvature.js, on the selected run's card
 *
 * A run (from POST /api/trajectories, plus `label`, `colour`) has path[0..n], loss[0..n],
 * grad[0..n] (gradient used at path[i]), update[0..n-1] (path[i] → path[i+1]), lr[0..n-1] and
 * state[key][0..n-1] (state after update i). At step k the optimizer stands at θ_k, sees g_k,
 * updates its state to state[k] and moves by Δθ_k = update[k] to θ_{k+1}.
 *
 * Arrows (2-D only), from θ_k:
 *   −∇f  direction of steepest descent (fixed length: gradients span many orders of magnitude)
 *   Δθ   the update actually taken (true length)
 *   v    velocity carried into this step, v_{k−1} (true length; momentum, Nesterov), or
 *   −m   direction of the first-moment estimate (Adam family; fixed length)
 */

import { t, hasKey } from "../shared/i18n.js";
import { fmt } from "../shared/format.js";

const norm = (v) => Math.hypot(v[0], v[1]);
const usable = (v) => Array.isArray(v) && v.length === 2 && Number.isFinite(norm(v)) && norm(v) > 0;

/** The vector-valued state key that plays "velocity/momentum" for this run, if any. */
function velocityKey(run) {
  const state = run.state ?? {};
  if (Array.isArray(state.m)) return { key: "m", carried: false };
  if (Array.isArray(state.v) && ["momentum", "nesterov"].includes(run.optimizer)) return { key: "v", carried: true };
  return null;
}

/**
 * The arrows of one run at step k, as segments {kind, from, to, label}; kinds are "grad",
 * "update", "velocity" (always all three, `to` null when there is nothing to draw or the view
 * hides it, so a plot can keep a fixed set of traces).
 * @param {object} run
 * @param {number} k
 * @param {{grad: boolean, update: boolean, velocity: boolean}} view
 * @param {number} fixed length used for direction-only arrows (data units)
 */
export function arrowSegments(run, k, view, fixed) {
  const i = Math.min(k, run.path.length - 1);
  const here = run.path[i];
  const out = { grad: null, update: null, velocity: null };
  if (here) {
    const g = run.grad?.[i];
    if (view.grad && usable(g)) {
      const s = fixed / norm(g);
      out.grad = { from: here, to: [here[0] - s * g[0], here[1] - s * g[1]], label: "−∇f" };
    }
    const d = run.update?.[i];
    if (view.update && usable(d)) out.update = { from: here, to: [here[0] + d[0], here[1] + d[1]], label: "Δθ" };
    const vk = velocityKey(run);
    if (view.velocity && vk) {
      const series = run.state[vk.key];
      const v = vk.carried ? (i >= 1 ? series[i - 1] : null) : series[Math.min(i, series.length - 1)];
      if (usable(v)) {
        if (vk.carried) out.velocity = { from: here, to: [here[0] + v[0], here[1] + v[1]], label: "v" };
        else {
          const s = fixed / norm(v);
          out.velocity = { from: here, to: [here[0] - s * v[0], here[1] - s * v[1]], label: "−m" };
        }
      }
    }
  }
  return ["grad", "update", "velocity"].map((kind) => ({ kind, ...(out[kind] ?? { from: null, to: null, label: "" }) }));
}

/** Length of direction-only arrows: 7 % of the visible diagonal. */
export function fixedArrowLength(domain) {
  return 0.07 * Math.hypot(domain.x[1] - domain.x[0], domain.y[1] - domain.y[0]);
}

function stateName(optimizer, key) {
  for (const k of [`state.${optimizer}.${key}`, `state.${key}`]) if (hasKey(k)) return t(k);
  return key;
}

function cell(tag, text, cls) {
  const el = document.createElement(tag);
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

/** The texts of a value's cells: a 2-vector fills the x and y columns, anything else spans both. */
function cellTexts(value) {
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "number" || v === null)) {
    return [fmt(value[0]), fmt(value[1])];
  }
  if (Array.isArray(value)) return [value.map((v) => fmt(v)).join(", ")];
  return [typeof value === "number" || value === null ? fmt(value) : String(value)];
}

function row(name, value, title) {
  const tr = document.createElement("tr");
  const th = cell("th", name);
  if (title) th.title = title;
  tr.append(th);
  const texts = cellTexts(value);
  for (const text of texts) {
    const td = cell("td", text);
    if (texts.length === 1) td.colSpan = 2;
    tr.append(td);
  }
  return tr;
}

/** Rows (name, value, title) describing one run at step k. */
export function inspectorRows(run, k) {
  const n = run.path.length - 1;
  const i = Math.min(k, n);
  const rows = [];
  rows.push([t("insp.position"), run.path[i]]);
  rows.push([t("insp.loss"), run.loss?.[i] ?? null]);
  if (!run.grad) return rows;
  const g = run.grad[i];
  if (g) {
    rows.push([t("insp.gradient"), g]);
    rows.push([t("insp.gradient_norm"), norm(g)]);
  }
  if (i < n) {
    const lr = run.lr?.[i];
    if (lr !== undefined) rows.push([t("insp.lr"), lr]);
    const d = run.update?.[i];
    if (d) {
      rows.push([t("insp.update"), d]);
      rows.push([t("insp.update_norm"), norm(d)]);
    }
    const state = run.state ?? {};
    for (const [key, series] of Object.entries(state)) {
      if (!Array.isArray(series) || series[i] === undefined) continue;
      rows.push([stateName(run.optimizer, key), series[i], t("insp.state_tip")]);
    }
    // AdaGrad/RMSprop: the effective per-coordinate rate η/(√h + ε), unless the API sends it.
    const h = state.h?.[i];
    const hasEffective = Object.keys(state).some((key) => /eff|rate/.test(key));
    if (Array.isArray(h) && lr !== undefined && !hasEffective) {
      const eps = run.params?.eps ?? 0;
      rows.push([t("insp.effective_lr"), h.map((hc) => lr / (Math.sqrt(Math.max(hc, 0)) + eps)), t("insp.effective_lr_tip")]);
    }
  }
  return rows;
}

/** The Hessian rows of the selected run's card (curvature.js): eigenvalues and GD's local limit. */
function curvatureRows(curv) {
  const [lmin, lmax] = curv.eigenvalues;
  const rows = [[t("insp.curvature"), `λ₁ = ${fmt(lmin, 4)}, λ₂ = ${fmt(lmax, 4)}`, t("insp.curvature_tip")]];
  rows.push([t("insp.gd_limit"), lmax > 0 ? `η < ${fmt(2 / lmax, 4)}` : "—", t("insp.gd_limit_tip")]);
  return rows;
}

/** What one run's card shows at step k: the heading's step text and the table rows. */
function cardContent(run, k, curv) {
  const n = run.path.length - 1;
  const i = Math.min(k, n);
  let stepText = i < n ? t("insp.step_to", { k: i, k1: i + 1 }) : t("insp.step_final", { k: i });
  const status = run.outcome?.status ?? (run.diverged ? "diverged" : null);
  if ((status === "diverged" || status === "escaped") && i === n) stepText += ` · ${t(`outcome.${status}_at`, { k: run.outcome?.step ?? run.diverged_at ?? n })}`;
  return { stepText, rows: curv ? [...inspectorRows(run, k), ...curvatureRows(curv)] : inspectorRows(run, k) };
}

/**
 * Render one small table per run into `container`. During the race only numbers change: when
 * the cards would have the same structure as the ones on screen (same runs, labels, colours,
 * row names and cell counts), their texts are updated in place instead of rebuilding the DOM.
 * @param {HTMLElement} container
 * @param {object[]} runs runs with label/colour and the per-step arrays
 * @param {number} k current step
 * @param {object|null} curv the Hessian at the selected run's point (curvature.js), shown on its card
 * @param {[string, string]} axes names of the two coordinates (axis_names.js)
 */
export function renderInspector(container, runs, k, curv = null, axes = ["x", "y"]) {
  const contents = runs.map((run, i) => cardContent(run, k, curv && curv.run === i ? curv : null));
  const shape = JSON.stringify([
    axes,
    runs.map((run) => [run.label, run.colour, Boolean(run.grad)]),
    contents.map((c) => c.rows.map(([name, value, title]) => [name, title ?? "", cellTexts(value).length])),
  ]);
  const shown = container._inspector;
  if (shown && shown.runs === runs && shown.shape === shape && runs.length) {
    contents.forEach((content, index) => {
      const card = shown.cards[index];
      card.step.textContent = content.stepText;
      content.rows.forEach(([, value], r) => {
        cellTexts(value).forEach((text, c) => {
          const td = card.cells[r][c];
          if (td.textContent !== text) td.textContent = text;
        });
      });
    });
    return;
  }
  container.replaceChildren();
  container._inspector = null;
  if (!runs.length) {
    container.append(cell("p", t("insp.empty"), "muted"));
    return;
  }
  const cards = [];
  for (const [index, run] of runs.entries()) {
    const content = contents[index];
    const card = document.createElement("div");
    card.className = "insp-card";
    card.dataset.testid = "inspector-card";
    card.setAttribute("data-testid", "inspector-card");
    card.dataset.run = String(index);
    card.style.setProperty("--run-colour", run.colour);
    const head = document.createElement("div");
    head.className = "insp-head";
    const step = cell("span", content.stepText, "muted");
    head.append(cell("span", "", "swatch"), cell("strong", run.label), step);
    card.append(head);
    const table = document.createElement("table");
    table.className = "insp-table";
    const thead = document.createElement("thead");
    const hr = document.createElement("tr");
    hr.append(cell("th", ""), cell("th", axes[0]), cell("th", axes[1]));
    thead.append(hr);
    const tbody = document.createElement("tbody");
    const cells = [];
    for (const [name, value, title] of content.rows) {
      const tr = row(name, value, title);
      cells.push([...tr.querySelectorAll("td")]);
      tbody.append(tr);
    }
    table.append(thead, tbody);
    card.append(table);
    if (!run.grad) card.append(cell("p", t("insp.streamed_note"), "muted small"));
    container.append(card);
    cards.push({ step, cells });
  }
  container._inspector = { runs, shape, cards };
}
